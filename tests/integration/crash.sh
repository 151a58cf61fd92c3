# crash.sh - crash tests: no acknowledged claim is ever lost, and every
# acknowledged claim is decided exactly once.
#
# Owns: three scenarios on the real binaries (lib.sh):
#   1. klaimd kill -9 while klaimctl streams 3000 claims; restart on the same
#      data dir; every acked claim is stored with its key and gets decided;
#      resubmitting the whole file returns the same ids for the acked keys;
#      exactly 3000 rows at the end, nothing left queued or in flight.
#   2. worker kill -9 (a few times) while klaimctl streams 2100 claims; every
#      acked claim is decided once (rows = unique keys), restarts counted.
#   3. a poison claim (KLAIM_WORKER_CRASH_KPJ, max_attempts = 3) is parked as
#      PENDING_REVIEW / PROCESSING_FAILED (db state 6); good claims decide.
# Runs in: ctest (it_crash), bash. Generated claims are all eligible: JKK
# workplace accidents with medical expenses for six open, paid-up demo
# participants, one (kpj, date) each (gen_claims), so every one decides
# APPROVED and a claim stored twice would show as DUPLICATE_CLAIM.
source "$(dirname "$0")/lib.sh"

# s_check_acks ACKS PREFIX: every line of ACKS names a stored claim with the
# same key; prints the number of acks. Fails on a lost or mismatched claim.
s_check_acks() {
    python3 - "$T_DATA/klaim.db" "$1" "$2" <<'EOF' || fail "acked claims missing from the store (see above)"
import json, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
rows = dict(db.execute("SELECT id, idem_key FROM claims"))
bad = n = 0
for line in open(sys.argv[2]):
    if not line.strip():
        continue
    a = json.loads(line)
    n += 1
    cid = int(a["claim_id"].split("-")[1])
    if not a["idempotency_key"].startswith(sys.argv[3] + "-") or rows.get(cid) != a["idempotency_key"]:
        bad += 1
        if bad <= 5:
            print("acked %s as %s, store has %r" % (a["idempotency_key"], a["claim_id"], rows.get(cid)),
                  file=sys.stderr)
if bad:
    sys.exit(1)
print(n)
EOF
}

# s_snapshot FILE: id|state|decided_at_ms|total of every claim, for "decided once".
s_snapshot() { db "SELECT id, state, decided_at_ms, total FROM claims ORDER BY id" >"$1"; }

# s_wait_lines FILE N PID: until FILE has N lines or the submitter PID ended (30 s at most).
s_wait_lines() {
    for _ in $(seq 1 3000); do
        [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        kill -0 "$3" 2>/dev/null || return 0
        sleep 0.01
    done
}

# s_stats_quiet: stats says nothing is queued, in flight, RECEIVED or PROCESSING.
s_stats_quiet() {
    ctl stats >"$T_DIR/stats.json" || fail "klaimctl stats failed"
    local q
    q=$(json_get "$T_DIR/stats.json" '(j["queue_depth"], j["in_flight"], j["claims"]["RECEIVED"], j["claims"]["PROCESSING"])')
    [ "$q" = "(0, 0, 0, 0)" ] || fail "stats after all decided: queue_depth, in_flight, RECEIVED, PROCESSING = $q"
}

# ---------------------------------------------------------------- part 1
N1=3000
gen_claims $N1 KC 0 >"$T_DIR/c1.jsonl"
start_klaimd
import_demo_registry
"$KLAIMCTL" --endpoint "$T_EP" --timeout 3000 submit "$T_DIR/c1.jsonl" >"$T_DIR/acks1.jsonl" 2>"$T_DIR/submit1.err" &
SUB=$!
s_wait_lines "$T_DIR/acks1.jsonl" 300 $SUB
kill9_klaimd
rc=0; wait $SUB || rc=$?
acked=$(s_check_acks "$T_DIR/acks1.jsonl" KC)
echo "# part 1: klaimd killed after $acked of $N1 acks (klaimctl exit $rc)"
[ "$acked" -ge 300 ] || fail "only $acked acks before the kill"
[ "$acked" -lt $N1 ] || echo "# part 1: every claim was acked before the kill (a weaker run)"
[ "$acked" -eq $N1 ] || [ "$rc" -ne 0 ] || fail "klaimctl exited 0 with only $acked of $N1 acks"
stored=$(db "SELECT count(*) FROM claims")
[ "$stored" -ge "$acked" ] || fail "$stored claims stored, $acked acked"

start_klaimd
wait_decided "$stored" 60
s_check_acks "$T_DIR/acks1.jsonl" KC >/dev/null
n=$(db "SELECT count(*) FROM claims WHERE state NOT IN (3, 4, 5)")
[ "$n" -eq 0 ] || fail "$n claims not decided after restart: $(db 'SELECT state, count(*) FROM claims GROUP BY state')"
s_snapshot "$T_DIR/snap1"
pass "klaimd kill -9: $acked acked claims stored and decided after restart ($stored stored)"

ctl --timeout 10000 submit "$T_DIR/c1.jsonl" >"$T_DIR/acks1b.jsonl" || fail "resubmitting the whole file failed"
[ "$(wc -l <"$T_DIR/acks1b.jsonl")" -eq $N1 ] || fail "resubmission acked $(wc -l <"$T_DIR/acks1b.jsonl") of $N1"
python3 - "$T_DIR/acks1.jsonl" "$T_DIR/acks1b.jsonl" <<'EOF' || fail "resubmission changed claim ids"
import json, sys
first = {a["idempotency_key"]: a["claim_id"] for a in map(json.loads, open(sys.argv[1])) }
second = {a["idempotency_key"]: a["claim_id"] for a in map(json.loads, open(sys.argv[2]))}
bad = [(k, v, second.get(k)) for k, v in first.items() if second.get(k) != v]
for b in bad[:5]:
    print("key %s: first ack %s, resubmission %s" % b, file=sys.stderr)
ids = list(second.values())
if len(set(ids)) != len(ids):
    print("resubmission gave one claim id to two keys", file=sys.stderr)
    sys.exit(1)
sys.exit(1 if bad else 0)
EOF
s_check_acks "$T_DIR/acks1b.jsonl" KC >/dev/null
wait_decided $N1 60
[ "$(db 'SELECT count(*) FROM claims')" -eq $N1 ] || fail "$(db 'SELECT count(*) FROM claims') rows for $N1 keys"
[ "$(db 'SELECT count(DISTINCT idem_key) FROM claims')" -eq $N1 ] || fail "an idempotency key stored twice"
n=$(db "SELECT count(*) FROM claims WHERE state = 3")
[ "$n" -eq $N1 ] || fail "$n of $N1 APPROVED: $(db 'SELECT state, count(*) FROM claims GROUP BY state')"
# claims decided before the resubmission were not decided again
db "SELECT id, state, decided_at_ms, total FROM claims WHERE id IN (SELECT id FROM claims ORDER BY id LIMIT $(wc -l <"$T_DIR/snap1")) ORDER BY id" >"$T_DIR/snap1b"
cmp -s "$T_DIR/snap1" "$T_DIR/snap1b" || fail "a claim decided before the resubmission was decided again"
s_stats_quiet
pass "klaimd kill -9: resubmission kept the $acked acked ids, $N1 rows, all APPROVED once"
stop_klaimd

# ---------------------------------------------------------------- part 2
T_DATA="$T_DIR/data2"
N2=2100
gen_claims $N2 KW 3000 >"$T_DIR/c2.jsonl"
start_klaimd --workers 2
import_demo_registry
"$KLAIMCTL" --endpoint "$T_EP" --timeout 10000 submit --inflight 32 "$T_DIR/c2.jsonl" >"$T_DIR/acks2.jsonl" 2>"$T_DIR/submit2.err" &
SUB=$!
kills=0
for at in 300 900 1500; do
    # kill while claims are being decided: wait for progress, then for a worker
    for _ in $(seq 1 300); do
        [ "$(db 'SELECT count(*) FROM claims WHERE state IN (3, 4, 5, 6)')" -ge $at ] && break
        sleep 0.01
    done
    pids=""
    for _ in $(seq 1 100); do
        pids=$(pgrep -f "klaim-worker --endpoint ipc://$T_DATA/" || true)
        [ -n "$pids" ] && break
        sleep 0.05
    done
    [ -n "$pids" ] || continue
    # shellcheck disable=SC2086
    kill -9 $pids && kills=$((kills + 1))
done
rc=0; wait $SUB || rc=$?
[ "$rc" -eq 0 ] || fail "klaimctl submit exited $rc while workers were killed: $(cat "$T_DIR/submit2.err")"
[ "$kills" -ge 2 ] || fail "only $kills worker kills happened"
acked=$(s_check_acks "$T_DIR/acks2.jsonl" KW)
[ "$acked" -eq $N2 ] || fail "$acked of $N2 claims acked"
wait_decided $N2 90
[ "$(db 'SELECT count(*) FROM claims')" -eq $N2 ] || fail "$(db 'SELECT count(*) FROM claims') rows for $N2 keys"
n=$(db "SELECT count(*) FROM claims WHERE state = 3")
[ "$n" -eq $N2 ] || fail "$n of $N2 APPROVED: $(db 'SELECT state, count(*) FROM claims GROUP BY state')"
s_stats_quiet
restarts=$(json_get "$T_DIR/stats.json" 'j["workers"]["restarts"]')
[ "$restarts" -gt 0 ] || fail "stats shows $restarts worker restarts after $kills kills"
pass "worker kill -9 x$kills: $N2 claims decided once, $restarts restarts"
stop_klaimd

# ---------------------------------------------------------------- part 3
T_DATA="$T_DIR/data3"
POISON_KPJ=24887972376
printf '# crash test\nmax_attempts = 3\n' >"$T_DIR/klaimd.conf"
gen_claims 20 KG 6000 >"$T_DIR/good.jsonl"
# the poison claim in the middle of the good ones, so that they share workers
{
    head -10 "$T_DIR/good.jsonl"
    echo '{"idempotency_key":"KP-POISON","program":"JKM","participant":{"kpj":"'$POISON_KPJ'","nik":"3516060302910002"},"event":{"type":"DEATH","date":"2025-05-05","reported_at":"2025-05-06T09:00:00+07:00"},"heirs":[{"nik":"3516064101930901","name":"Rina","relation":"SPOUSE"}]}'
    tail -10 "$T_DIR/good.jsonl"
} >"$T_DIR/c3.jsonl"
export KLAIM_WORKER_CRASH_KPJ=$POISON_KPJ
start_klaimd --config "$T_DIR/klaimd.conf" --workers 2
unset KLAIM_WORKER_CRASH_KPJ
import_demo_registry
ctl submit "$T_DIR/c3.jsonl" >/dev/null || fail "submitting the poison claim and 20 good ones failed"
wait_decided 21 40
ctl status --key KP-POISON >"$T_DIR/poison.out" || fail "klaimctl status --key KP-POISON failed"
got=$(json_get "$T_DIR/poison.out" '(j["state"], j["reasons"][0]["code"] if j["reasons"] else None)')
[ "$got" = "('PENDING_REVIEW', 'PROCESSING_FAILED')" ] || fail "poison claim: (state, reasons[0].code) = $got"
[ "$(db "SELECT state || '/' || attempt FROM claims WHERE idem_key = 'KP-POISON'")" = "6/3" ] \
    || fail "poison claim in db: state/attempt = $(db "SELECT state || '/' || attempt FROM claims WHERE idem_key = 'KP-POISON'")"
n=$(db "SELECT count(*) FROM claims WHERE idem_key LIKE 'KG-%' AND state = 3")
# architecture.md §3: a worker dying with two leases makes both suspect and
# suspects go only to idle workers, so an innocent claim is never parked
[ "$n" -eq 20 ] || fail "$n of 20 good claims APPROVED next to the poison one (id|key|state|attempt): $(db "SELECT id, idem_key, state, attempt FROM claims WHERE state <> 3 OR attempt > 1" | tr '\n' ' ')"
pass "poison claim parked PENDING_REVIEW/PROCESSING_FAILED after 3 attempts; 20 good claims APPROVED"
stop_klaimd

# ---------------------------------------------------------------- part 4
# kill -9 of klaimd at random points, again and again, on one data dir:
# KLAIM_CRASH_ITERATIONS times (20 by default; set more for a long run).
# After each restart every acknowledged claim is stored under its key and
# decided, and no claim decided before a crash is decided again.
T_DATA="$T_DIR/data4"
ITER=${KLAIM_CRASH_ITERATIONS:-20}
PER=350
start_klaimd --workers 2
import_demo_registry
total=0
for it in $(seq 1 "$ITER"); do
    # events repeat after 24 iterations (long runs): repeats decide as DUPLICATE_CLAIM
    gen_claims $PER "KL$it" $(( (it - 1) % 24 * PER )) >"$T_DIR/l.jsonl"
    s_snapshot "$T_DIR/before"
    "$KLAIMCTL" --endpoint "$T_EP" --timeout 2000 submit --inflight 8 "$T_DIR/l.jsonl" >"$T_DIR/l.acks" 2>/dev/null &
    SUB=$!
    # a random moment within 0-150 ms: mid-stream, mid-commit or mid-decision
    sleep "$(printf '0.%03d' $((RANDOM % 150)))"
    kill9_klaimd
    wait $SUB 2>/dev/null || true
    acked=$(s_check_acks "$T_DIR/l.acks" "KL$it")
    start_klaimd --workers 2
    stored=$(db "SELECT count(*) FROM claims")
    wait_decided "$stored" 60
    s_check_acks "$T_DIR/l.acks" "KL$it" >/dev/null
    n=$(db "SELECT count(*) FROM claims WHERE state NOT IN (3, 4, 5)")
    [ "$n" -eq 0 ] || fail "iteration $it: $n claims undecided after restart"
    # decided exactly once: rows decided before this crash are untouched
    python3 - "$T_DIR/before" <<PY || fail "iteration $it: a claim decided before the crash changed"
import sqlite3, sys
db = sqlite3.connect("file:$T_DATA/klaim.db?mode=ro", uri=True)
now = {str(r[0]): "|".join("" if v is None else str(v) for v in r) for r in db.execute("SELECT id, state, decided_at_ms, total FROM claims")}
for line in open(sys.argv[1]):
    line = line.strip()
    i, state = line.split("|")[0], line.split("|")[1]
    if state in ("3", "4", "5") and now.get(i) != line:
        print("claim", i, "was", line, "now", now.get(i), file=sys.stderr); sys.exit(1)
PY
    total=$((total + acked))
done
[ "$(db 'SELECT count(*) FROM claims')" = "$(db 'SELECT count(DISTINCT idem_key) FROM claims')" ] || fail "a key stored twice"
pass "$ITER random kill -9 of klaimd: $total of $((ITER * PER)) claims acked before the kills, all stored and decided exactly once"
stop_klaimd
