#!/usr/bin/env bash
# payment_clock.sh - the JKM payment clock through the real daemon
# (docs/money.md §7): an APPROVED death claim with heirs shows payment.due;
# with sla_test_unit_ms a working day lasts 1.5 s, so its clock runs out
# about 6 s after the approval: an SLA_BREACHED event with clock PAYMENT,
# once per claim (also across a restart), seen by klaimctl watch and
# counted in /metrics. Paying is another module's job: to see "paid on
# time" and "paid late" the test sets claims.payment_state and a PAID
# payment line's settled_on with the sqlite3 shell while klaimd is stopped,
# and moves three approvals to a fixed past date, then checks the
# decision's days_late and late_amount (with a configured holiday), the
# claims report by decision date and by event date (klaimctl JSON and CSV,
# HTTP), and the export's D rows (kpj, nik, event date, death date).
source "$(dirname "$0")/lib.sh"
CASES="$KLAIM_SHARED_DIR/domain/cases.jsonl"

# A bad holidays value stops klaimd at start, naming the value (exit 78).
printf 'holidays = 2026-01-01, 2026-02-30\n' >"$T_DIR/bad.conf"
rc=0
"$KLAIMD" --data-dir "$T_DATA" --intake-endpoint "$T_EP" --feed-endpoint "$T_FEED_EP" --http-listen "$T_HTTP" \
    --config "$T_DIR/bad.conf" >"$T_DIR/bad.out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "holidays = 2026-02-30: exit $rc, expected 78"
grep -q '"2026-02-30" is not a date' "$T_DIR/bad.out" || fail "holidays error does not name the date: $(cat "$T_DIR/bad.out")"
pass "a holiday that is no date stops klaimd with exit 78, naming it"

cat >"$T_DIR/test.conf" <<CONF
sla_test_unit_ms = 1500
CONF
python3 - "$CASES" "$T_DIR" <<'PY'
import json, sys
claims = [json.loads(l)["claim"] for l in open(sys.argv[1])]
d = sys.argv[2]
json.dump(claims[0], open(d + "/first.json", "w"))          # DEMO-001: JKM, heirs, 42,000,000
with open(d + "/rest.jsonl", "w") as f:
    for c in claims[1:]:
        f.write(json.dumps(c) + "\n")
PY

start_klaimd --workers 2 --config "$T_DIR/test.conf"
import_demo_registry
ctl submit --wait "$T_DIR/first.json" >/dev/null || fail "submit DEMO-001"
ctl status --key DEMO-001 >"$T_DIR/s1.json" || fail "status DEMO-001"
python3 - "$T_DIR/s1.json" <<'PY' || fail "DEMO-001 before its deadline: $(cat "$T_DIR/s1.json")"
import datetime, json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "APPROVED" and j["program"] == "JKM", j
p = j["payment"]
wib = datetime.timezone(datetime.timedelta(hours=7))
# test clock: 4 units of 1.5 s after the approval, so today's WIB date (or
# tomorrow's within 6 s of midnight)
today = datetime.datetime.now(wib).date()
assert p["due"] in (today.isoformat(), (today + datetime.timedelta(days=1)).isoformat()), p
assert p["days_late"] == 0 and p["late_amount"] == 0, p
PY
head=$(db "SELECT coalesce(max(seq), 0) FROM events")
ctl watch --since "$head" --for 14000 >"$T_DIR/watch.jsonl" 2>"$T_DIR/watch.err" &
W=$!
ctl submit --wait "$T_DIR/rest.jsonl" >"$T_DIR/rest.out" || fail "submit the other cases"
# The claims with the clock: APPROVED death claims (all of them have heirs).
db "SELECT idem_key FROM claims WHERE state = 3 AND death_date IS NOT NULL ORDER BY idem_key" >"$T_DIR/clock.txt"
n_clock=$(wc -l <"$T_DIR/clock.txt")
[ "$n_clock" -ge 5 ] || fail "only $n_clock APPROVED death claims among the cases"
grep -qx DEMO-001 "$T_DIR/clock.txt" || fail "DEMO-001 not an APPROVED death claim"
ctl status --key DEMO-007 >"$T_DIR/s7.json" || fail "status DEMO-007"
json_get "$T_DIR/s7.json" '"payment" not in j or "due" not in j["payment"]' | grep -qx True \
    || fail "an accident without a death shows a payment clock: $(cat "$T_DIR/s7.json")"
pass "an APPROVED JKM claim with heirs shows payment.due; an accident without a death has no clock"

# breached_keys: claims with an SLA_BREACHED PAYMENT event, one line each.
breached_keys() {
    db "SELECT c.idem_key FROM events e JOIN claims c ON c.id = e.claim_id
        WHERE e.type = 7 AND json_extract(e.payload, '\$.clock') = 'PAYMENT' ORDER BY c.idem_key"
}
for _ in $(seq 1 200); do
    [ "$(breached_keys | wc -l)" -ge "$n_clock" ] && break
    sleep 0.1
done
breached_keys | diff - "$T_DIR/clock.txt" >/dev/null || fail "breached: $(breached_keys | tr '\n' ' '), clocks: $(tr '\n' ' ' <"$T_DIR/clock.txt")"
pass "each of the $n_clock clocks breached once, unpaid after 3 working days of 1.5 s"

metric() { curl -sf "http://$T_HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
[ "$(metric klaimd_payment_clock_breaches_total)" = "$n_clock" ] \
    || fail "/metrics breaches: $(metric klaimd_payment_clock_breaches_total), expected $n_clock"
[ "$(metric klaimd_payment_clocks_running)" = 0 ] || fail "/metrics running clocks: $(metric klaimd_payment_clocks_running)"
[ "$(db "SELECT count(*) FROM claims WHERE payment_clock = 1")" = "$n_clock" ] || fail "payment_clock not marked"
pass "/metrics: $n_clock breaches counted, no clock running"

wait $W || fail "watch: $(cat "$T_DIR/watch.err")"
python3 - "$T_DIR/watch.jsonl" "$n_clock" <<'PY' || fail "watch did not show the breaches: $(grep SLA_BREACHED "$T_DIR/watch.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
b = [e for e in ev if e["type"] == "SLA_BREACHED" and e.get("clock") == "PAYMENT"]
assert len(b) == int(sys.argv[2]), b
assert len({e["claim_id"] for e in b}) == len(b), b
for e in b:
    assert e["due"] and e["due_ms"] > 0 and e["total"] > 0, e
PY
ctl status --key DEMO-001 >"$T_DIR/s1b.json" || fail "status DEMO-001 after the breach"
python3 - "$T_DIR/s1b.json" <<'PY' || fail "DEMO-001 after its deadline: $(cat "$T_DIR/s1b.json")"
import json, sys
p = json.load(open(sys.argv[1]))["payment"]
assert p["days_late"] >= 1 and p["late_amount"] == 42000000 * p["days_late"] // 100, p
PY
pass "klaimctl watch shows each PAYMENT breach live; the decision shows days late and the late amount"

# A restart does not breach again.
stop_klaimd
start_klaimd --workers 1 --config "$T_DIR/test.conf"
sleep 2
[ "$(breached_keys | wc -l)" = "$n_clock" ] || fail "a breach fired again after the restart: $(breached_keys | tr '\n' ' ')"
pass "no breach fires twice across a restart"
stop_klaimd

# ---- paid on time, paid late, unpaid (set by hand: payments are another module's)
# DEMO-001 (42,000,000), DEMO-002 (24,000,000), DEMO-003 (24,000,000) approved on
# Friday 2026-01-02 10:00 WIB: due Wednesday 2026-01-07. With the holiday
# 2026-01-08: DEMO-001 paid 2026-01-07 (on time), DEMO-002 paid 2026-01-09
# (1 working day late: 240,000), DEMO-003 unpaid.
python3 - "$T_DATA/klaim.db" <<'PY' || fail "setting payments by hand"
import datetime, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
day = lambda s: (datetime.date.fromisoformat(s) - datetime.date(1970, 1, 1)).days
approved = int(datetime.datetime(2026, 1, 2, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7))).timestamp() * 1000)
db.execute("UPDATE claims SET decided_at_ms = ? WHERE idem_key IN ('DEMO-001', 'DEMO-002', 'DEMO-003')", (approved,))
for line, (key, paid) in enumerate((("DEMO-001", "2026-01-07"), ("DEMO-002", "2026-01-09")), 1):
    cid, total = db.execute("SELECT id, total FROM claims WHERE idem_key = ?", (key,)).fetchone()
    db.execute("UPDATE claims SET payment_state = 3 WHERE id = ?", (cid,))
    db.execute("INSERT INTO payment_lines(batch_id, line, claim_id, payee, role, payee_id, payee_name, bank_code,"
               " account, account_name, amount, items, state, reference, settled_on, settled_at_ms)"
               " VALUES(1, ?, ?, 0, 1, '3576010101010001', 'Heir', '002', '1234567890', 'Heir', ?, 'JKM_LUMP_SUM',"
               " 3, 'REF', ?, ?)", (line, cid, total, day(paid), approved))
db.commit()
PY
cat >"$T_DIR/real.conf" <<CONF
# no sla_test_unit_ms: working days are calendar days
holidays = 2026-01-08, 2026-12-25
CONF
start_klaimd --workers 1 --config "$T_DIR/real.conf"
for k in 001 002 003; do ctl status --key "DEMO-$k" >"$T_DIR/p$k.json" || fail "status DEMO-$k"; done
python3 - "$T_DIR" <<'PY' || fail "paid on time / late / unpaid: $(cat "$T_DIR"/p00?.json)"
import datetime, json, sys
d = sys.argv[1]
p = {k: json.load(open(f"{d}/p{k}.json"))["payment"] for k in ("001", "002", "003")}
for k in p:
    assert p[k]["due"] == "2026-01-07", p
assert p["001"]["days_late"] == 0 and p["001"]["late_amount"] == 0, p
assert p["002"]["days_late"] == 1 and p["002"]["late_amount"] == 240000, p
# unpaid: working days after 2026-01-07 up to today (WIB), minus the holidays
today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).date()
hol = {datetime.date(2026, 1, 8), datetime.date(2026, 12, 25)}
n, x = 0, datetime.date(2026, 1, 8)
while x <= today:
    n += x.weekday() < 5 and x not in hol
    x += datetime.timedelta(days=1)
assert p["003"]["days_late"] == n and p["003"]["late_amount"] == 24000000 * n // 100, (p["003"], n)
open(d + "/late3", "w").write(str(24000000 * n // 100))
PY
late3=$(cat "$T_DIR/late3")
pass "paid on the due date: on time; paid after a holiday: 1 day late, 240,000; unpaid: late as of today"

# ---- the claims report, by decision date and by event date
# sums FILE: claims approved pending_review paid_on_time paid_late unpaid_past_due late_amount
sums() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["rows"]
print(*[sum(x[k] for x in r) for k in ("claims","approved","pending_review","paid_on_time","paid_late","unpaid_past_due","late_amount")])' "$1"
}
ctl report claims --from 2026-01-01 --to 2026-01-31 >"$T_DIR/r_dec.json" || fail "report --by decision (default)"
[ "$(sums "$T_DIR/r_dec.json")" = "3 3 0 1 1 1 $((240000 + late3))" ] \
    || fail "report decided in January 2026: $(sums "$T_DIR/r_dec.json")"
ctl report claims --by decision --from 2019-12-01 --to 2019-12-31 >"$T_DIR/r_dec19.json" || fail "report --by decision 2019"
[ "$(json_get "$T_DIR/r_dec19.json" 'len(j["rows"])')" = 0 ] || fail "claims decided in 2019: $(cat "$T_DIR/r_dec19.json")"
# deaths of December 2019: DEMO-001 (paid on time), DEMO-002 (paid late), DEMO-030 (pending review)
ctl report claims --by event --from 2019-12-01 --to 2019-12-31 >"$T_DIR/r_ev19.json" || fail "report --by event"
[ "$(sums "$T_DIR/r_ev19.json")" = "3 2 1 1 1 0 240000" ] || fail "report by event, Dec 2019: $(sums "$T_DIR/r_ev19.json")"
json_get "$T_DIR/r_ev19.json" 'j["by"]' | grep -qx event || fail "report does not say it is by event"
python3 - "$T_DIR/r_ev19.json" <<'PY' || fail "report rows by event: $(cat "$T_DIR/r_ev19.json")"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
a = [x for x in rows if x["reason"] == "" and x["program"] == "JKM"]
assert len(a) == 1 and a[0]["regency"] == "Kota Mojokerto" and a[0]["approved"] == 2, rows
assert a[0]["paid"] == 66000000 and a[0]["paid_on_time"] == 1 and a[0]["paid_late"] == 1, a
PY
# events of 2018: DEMO-003 (JKM, unpaid past due) and DEMO-028 (accident, pending review)
ctl report claims --by event --from 2018-01-01 --to 2018-12-31 >"$T_DIR/r_ev18.json" || fail "report --by event 2018"
[ "$(sums "$T_DIR/r_ev18.json")" = "2 1 1 0 0 1 $late3" ] || fail "report by event, 2018: $(sums "$T_DIR/r_ev18.json")"
ctl report claims --by event --from 2019-12-01 --to 2019-12-31 --format csv >"$T_DIR/r_ev19.csv" || fail "report csv"
python3 - "$T_DIR/r_ev19.csv" "$T_DIR/r_ev19.json" <<'PY' || fail "report CSV differs from JSON: $(cat "$T_DIR/r_ev19.csv")"
import csv, json, sys
c = list(csv.DictReader(open(sys.argv[1])))
j = json.load(open(sys.argv[2]))["rows"]
assert list(c[0].keys())[-4:] == ["paid_on_time", "paid_late", "unpaid_past_due", "late_amount"], c[0]
assert [{k: str(v) for k, v in x.items()} for x in j] == c, (c, j)
PY
ctl --format table report claims --by event --from 2019-12-01 --to 2019-12-31 >"$T_DIR/r_ev19.txt" || fail "report table"
grep -q "by event date" "$T_DIR/r_ev19.txt" && grep -q "late_amount" "$T_DIR/r_ev19.txt" \
    || fail "report table: $(cat "$T_DIR/r_ev19.txt")"
curl -fsS "http://$T_HTTP/v1/reports/claims?from=2019-12-01&to=2019-12-31&by=event" >"$T_DIR/h_ev19.json" \
    || fail "GET /v1/reports/claims?by=event"
python3 - "$T_DIR/h_ev19.json" "$T_DIR/r_ev19.json" <<'PY' || fail "HTTP report by event differs"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a["by"] == "event" and a["rows"] == b["rows"], (a, b)
PY
code=$(curl -s -o "$T_DIR/h_bad.json" -w '%{http_code}' "http://$T_HTTP/v1/reports/claims?by=payday")
[ "$code" = 400 ] || fail "GET /v1/reports/claims?by=payday: $code, expected 400"
rc=0
ctl report claims --by payday >/dev/null 2>"$T_DIR/bad_by.err" || rc=$?
[ "$rc" = 64 ] && grep -q -- "--by event" "$T_DIR/bad_by.err" || fail "report --by payday: exit $rc, $(cat "$T_DIR/bad_by.err")"
pass "report claims: by decision and by event date give their own rows; paid on time/late, past due, late amount"

# ---- export: D rows carry kpj, nik, event date, death date
ctl export decisions --since 2015-01-01 --out "$T_DIR/e.csv" || fail "export csv"
ctl export decisions --since 2015-01-01 --format jsonl >"$T_DIR/e.jsonl" || fail "export jsonl"
python3 - "$T_DIR/e.csv" "$T_DIR/e.jsonl" "$CASES" <<'PY' || fail "export identity columns"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
head = open(sys.argv[1]).readline().strip().split(",")
assert head[:17] == ["record", "claim_id", "idempotency_key", "program", "state", "rule_set", "decided_at", "regency",
                     "sponsor", "category", "reason", "provisional", "payee_type", "payee_name", "payee_id", "amount",
                     "items"], head
assert head[17:] == ["kpj", "nik", "event_date", "death_date", "bank_code", "account", "account_name"], head
cases = {json.loads(l)["claim"]["idempotency_key"]: json.loads(l)["claim"] for l in open(sys.argv[3])}
D = {r["idempotency_key"]: r for r in rows if r["record"] == "D"}
assert len(D) == 30, len(D)
for key, r in D.items():
    c = cases[key]
    death = c["event"]["date"] if c["program"] == "JKM" else c.get("outcome", {}).get("death_date", "")
    assert (r["kpj"], r["nik"], r["event_date"], r["death_date"]) == (
        c["participant"]["kpj"], c["participant"]["nik"], c["event"]["date"], death), (key, r)
assert D["DEMO-001"]["death_date"] == "2019-12-02" and D["DEMO-004"]["death_date"] == "2024-07-16"
assert D["DEMO-007"]["death_date"] == ""
for r in rows:
    if r["record"] != "D":
        assert (r["kpj"], r["nik"], r["event_date"], r["death_date"]) == ("", "", "", ""), r
J = {j["idempotency_key"]: j for j in map(json.loads, open(sys.argv[2])) if "control" not in j}
assert J["DEMO-004"]["kpj"] == "24475687858" and J["DEMO-004"]["death_date"] == "2024-07-16", J["DEMO-004"]
assert J["DEMO-007"]["death_date"] is None and J["DEMO-007"]["event_date"] == "2023-02-10", J["DEMO-007"]
PY
pass "export: D rows end with kpj, nik, event date and death date (CSV and JSON Lines)"
stop_klaimd
