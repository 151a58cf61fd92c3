// app.js - the klaimd rapid-response console (plain ES2017, no build step).
// Loads the open cases (GET /v1/dispatch/cases), then follows the feed
// from that head (GET /v1/dispatch?since=HEAD, Server-Sent Events): every
// event that carries a "case" replaces the shown case; a closed case
// leaves the list. The browser resumes a broken stream with Last-Event-ID,
// so nothing is missed or shown twice. Actions POST to
// /v1/dispatch/{case}/ack|assign|close and the result comes back as an event.
'use strict';

const cases = new Map();   // case_id -> case JSON
let head = 0;
let source = null;
let skew = 0;              // server clock - browser clock, ms

const $ = (id) => document.getElementById(id);

function token() { return localStorage.getItem('klaimd.token') || ''; }
function who() { return ($('who').value || 'console').trim() || 'console'; }

function headers(json) {
  const h = {};
  if (json) h['Content-Type'] = 'application/json';
  if (token()) h['Authorization'] = 'Bearer ' + token();
  return h;
}

function setStatus(on, text) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status ' + (on ? 'on' : 'off');
}

function needToken() {
  $('token-box').classList.remove('hidden');
  setStatus(false, 'token needed');
}

function fmtLeft(ms) {
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  const t = (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + s + 's';
  return neg ? '-' + t : t;
}

function clockText(name, c, now) {
  if (!c) return null;
  const span = document.createElement('span');
  span.className = 'clock';
  if (c.breached) { span.classList.add('breached'); span.textContent = name + ': BREACHED'; }
  else if (c.met_ms) { span.classList.add('met'); span.textContent = name + ': met'; }
  else { span.textContent = name + ': ' + fmtLeft(c.due_ms - now); }
  return span;
}

function text(tag, t, cls) {
  const e = document.createElement(tag);
  e.textContent = t;
  if (cls) e.className = cls;
  return e;
}

async function act(id, verb, body, btn) {
  btn.disabled = true;
  body.by = who();
  try {
    const r = await fetch('/v1/dispatch/' + encodeURIComponent(id) + '/' + verb,
                          { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) { alertRow(id, (j.error && j.error.message) || r.statusText); btn.disabled = false; return; }
    upsert(j.case);   // the event follows; showing it now is harmless (same case)
  } catch (e) {
    alertRow(id, String(e));
    btn.disabled = false;
  }
}

function alertRow(id, msg) {
  const row = document.querySelector('tr[data-case="' + id + '"] .msg');
  if (row) row.textContent = msg;
}

function actions(c) {
  const td = document.createElement('td');
  td.className = 'act';
  const ack = text('button', c.acked ? 'Acknowledged' : 'Acknowledge', 'ack' + (c.acked ? ' done' : ''));
  ack.type = 'button';
  ack.disabled = !!c.acked || c.state === 'CLOSED';
  ack.dataset.state = c.acked ? 'acked' : 'open';
  ack.addEventListener('click', () => act(c.case_id, 'ack', {}, ack));
  td.appendChild(ack);

  const team = document.createElement('input');
  team.placeholder = 'team / vehicle';
  team.className = 'team';
  team.value = c.assigned ? c.assigned.to : '';
  const assign = text('button', 'Assign', 'assign');
  assign.type = 'button';
  assign.addEventListener('click', () => {
    if (team.value.trim()) act(c.case_id, 'assign', { team: team.value.trim() }, assign);
    else alertRow(c.case_id, 'name a team or vehicle first');
  });
  td.appendChild(document.createElement('br'));
  td.appendChild(team);
  td.appendChild(assign);

  const note = document.createElement('input');
  note.placeholder = 'outcome note';
  note.className = 'note';
  const close = text('button', 'Close', 'close');
  close.type = 'button';
  close.addEventListener('click', () => {
    if (note.value.trim()) act(c.case_id, 'close', { note: note.value.trim() }, close);
    else alertRow(c.case_id, 'write an outcome note first');
  });
  td.appendChild(document.createElement('br'));
  td.appendChild(note);
  td.appendChild(close);
  td.appendChild(text('div', '', 'msg small'));
  return td;
}

function row(c, now) {
  const tr = document.createElement('tr');
  tr.dataset.case = c.case_id;
  tr.dataset.state = c.state;
  tr.className = 'p' + c.priority_rank;
  const p = document.createElement('td');
  p.appendChild(text('span', c.priority, 'badge b-' + c.priority));
  p.appendChild(text('div', 'opened ' + fmtLeft(now - c.opened_at_ms) + ' ago', 'small'));
  tr.appendChild(p);
  const id = document.createElement('td');
  id.appendChild(text('div', c.case_id));
  id.appendChild(text('div', c.claims + ' report' + (c.claims > 1 ? 's' : '') + ' · ' + c.event_date, 'small'));
  tr.appendChild(id);
  const part = document.createElement('td');
  part.appendChild(text('div', 'KPJ ' + c.kpj));
  if (c.participant && c.participant.nik) part.appendChild(text('div', 'NIK ' + c.participant.nik, 'small'));
  tr.appendChild(part);
  const where = document.createElement('td');
  const loc = c.location || {};
  where.appendChild(text('div', [loc.district, loc.regency].filter(Boolean).join(', ') || '-'));
  if (c.hospital) where.appendChild(text('div', c.hospital, 'small'));
  if (loc.lat_e6 !== undefined)
    where.appendChild(text('div', (loc.lat_e6 / 1e6).toFixed(5) + ', ' + (loc.lon_e6 / 1e6).toFixed(5), 'small'));
  tr.appendChild(where);
  const cov = document.createElement('td');
  cov.appendChild(text('span', c.coverage.replace('_', ' '), 'badge b-' + c.coverage));
  tr.appendChild(cov);
  const clocks = document.createElement('td');
  clocks.className = 'clocks';
  const k = c.clocks || {};
  for (const [name, cl] of [['report', k.report], ['decision', k.decision], ['ack', k.ack]]) {
    const s = clockText(name, cl, now);
    if (s) clocks.appendChild(s);
  }
  tr.appendChild(clocks);
  const st = document.createElement('td');
  st.appendChild(text('div', c.state, 'state'));
  if (c.assigned) st.appendChild(text('div', '→ ' + c.assigned.to, 'small'));
  if (c.acked) st.appendChild(text('div', 'by ' + c.acked.by, 'small'));
  tr.appendChild(st);
  tr.appendChild(actions(c));
  return tr;
}

function render() {
  const now = Date.now() + skew;
  const list = [...cases.values()].sort((a, b) =>
    a.priority_rank - b.priority_rank || a.opened_at_ms - b.opened_at_ms);
  const tbody = $('rows');
  // Keep what the operator is typing: rebuild only rows that changed.
  const keep = new Map();
  for (const tr of [...tbody.children]) keep.set(tr.dataset.case, tr);
  tbody.textContent = '';
  for (const c of list) {
    const old = keep.get(c.case_id);
    if (old && old.dataset.version === c._v) { refreshClocks(old, c, now); tbody.appendChild(old); continue; }
    const tr = row(c, now);
    tr.dataset.version = c._v;
    if (old) {
      for (const cls of ['team', 'note']) {
        const a = old.querySelector('input.' + cls), b = tr.querySelector('input.' + cls);
        if (a && b && a.value && document.activeElement === a) b.value = a.value;
      }
    }
    tbody.appendChild(tr);
  }
  $('empty').classList.toggle('hidden', list.length > 0);
  $('cases').classList.toggle('hidden', list.length === 0);
  $('count').textContent = String(list.length);
  $('seq').textContent = String(head);
}

function refreshClocks(tr, c, now) {
  const td = tr.querySelector('td.clocks');
  td.textContent = '';
  const k = c.clocks || {};
  for (const [name, cl] of [['report', k.report], ['decision', k.decision], ['ack', k.ack]]) {
    const s = clockText(name, cl, now);
    if (s) td.appendChild(s);
  }
}

let version = 0;
function upsert(c) {
  if (!c || !c.case_id) return;
  c._v = String(++version);
  if (c.state === 'CLOSED') cases.delete(c.case_id);
  else cases.set(c.case_id, c);
  render();
}

function onEvent(ev) {
  let e;
  try { e = JSON.parse(ev.data); } catch (_) { return; }
  if (e.seq <= head) return;     // already shown (replayed page overlap)
  head = e.seq;
  if (e.at_ms) skew = e.at_ms - Date.now();
  if (e.case) upsert(e.case);
  else render();
}

function follow() {
  if (source) source.close();
  const q = 'since=' + head + (token() ? '&access_token=' + encodeURIComponent(token()) : '');
  source = new EventSource('/v1/dispatch?' + q);
  source.onopen = () => setStatus(true, 'live');
  source.onmessage = onEvent;
  source.onerror = () => {
    setStatus(false, 'reconnecting…');
    // EventSource resumes by itself with Last-Event-ID; a refused stream
    // (401/403) closes it: start over, which asks for a token if needed.
    if (source.readyState === EventSource.CLOSED) setTimeout(start, 3000);
  };
}

async function start() {
  try {
    const r = await fetch('/v1/dispatch/cases', { headers: headers(false) });
    if (r.status === 401 || r.status === 403) { needToken(); return; }
    const j = await r.json();
    if (!r.ok) { setStatus(false, (j.error && j.error.message) || r.statusText); return; }
    cases.clear();
    // degraded mode: the registry is too old, decisions are provisional
    $('stale').classList.toggle('hidden', !(j.registry && j.registry.stale));
    head = j.head;
    skew = j.now_ms - Date.now();
    for (const c of j.cases) upsert(c);
    render();
    follow();
  } catch (e) {
    setStatus(false, 'klaimd unreachable; retrying');
    setTimeout(start, 3000);
  }
}

$('who').value = localStorage.getItem('klaimd.who') || 'console';
$('who').addEventListener('change', () => localStorage.setItem('klaimd.who', who()));
$('token-save').addEventListener('click', () => {
  localStorage.setItem('klaimd.token', $('token').value.trim());
  $('token-box').classList.add('hidden');
  start();
});
setInterval(() => {
  const now = Date.now() + skew;
  for (const tr of $('rows').children) {
    const c = cases.get(tr.dataset.case);
    if (c) refreshClocks(tr, c, now);
  }
}, 1000);
start();
