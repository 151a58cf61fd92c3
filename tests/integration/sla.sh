#!/usr/bin/env bash
# sla.sh - SLA clocks of dispatch cases (issue 5), with clocks in fifths of
# a second (sla_test_unit_ms): a late first report breaches REPORT when the
# case opens; an unacknowledged case breaches ACK; an undecided one
# (no registry yet, so it waits) breaches DECISION; an acknowledged one does
# not breach ACK; and clocks that run out while klaimd is down fire once
# after the restart (they are stored deadlines).
source "$(dirname "$0")/lib.sh"

cat >"$T_DIR/klaimd.conf" <<CONF
sla_test_unit_ms = 200
sla_report_hours = 48
sla_ack_minutes = 10
sla_decision_days = 15
CONF
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" "$T_DIR" <<'PY'
import json, sys, datetime
acc = [json.loads(l)["claim"] for l in open(sys.argv[1])]
acc = [c for c in acc if c["program"] == "JKK" and c["event"]["type"] == "ACCIDENT"]
wib = datetime.timezone(datetime.timedelta(hours=7))
now = datetime.datetime.now(wib)
def claim(i, key, date, reported):
    c = json.loads(json.dumps(acc[i]))
    c["idempotency_key"] = key
    c["event"]["date"] = date
    c["event"]["reported_at"] = reported
    c.get("outcome", {}).pop("death_date", None)
    return c
d = sys.argv[2]
# A: accident 5 days ago, first reported now: the 2x24 h deadline has passed.
json.dump(claim(0, "SLA-LATE", (now - datetime.timedelta(days=5)).strftime("%Y-%m-%d"), now.isoformat(timespec="seconds")), open(d + "/a.json", "w"))
# B, C: accidents today, reported now.
today = now.strftime("%Y-%m-%d")
json.dump(claim(1, "SLA-RESTART", today, now.isoformat(timespec="seconds")), open(d + "/b.json", "w"))
json.dump(claim(2, "SLA-ACKED", today, now.isoformat(timespec="seconds")), open(d + "/c.json", "w"))
PY
# breaches CASE_CLAIM_KEY: "CLOCK CLOCK ..." of SLA_BREACHED events for that claim's case.
breaches() {
    db "SELECT group_concat(json_extract(e.payload, '\$.clock'), ' ') FROM events e
        JOIN case_claims cc ON cc.case_id = e.case_id JOIN claims c ON c.id = cc.claim_id
        WHERE e.type = 7 AND c.idem_key = '$1' ORDER BY e.seq"
}
wait_breaches() { # KEY EXPECTED SECONDS
    for _ in $(seq 1 $(($3 * 10))); do
        [ "$(breaches "$1" | tr ' ' '\n' | sort | tr '\n' ' ')" = "$2" ] && return 0
        sleep 0.1
    done
    fail "$1: breaches \"$(breaches "$1")\", expected \"$2\""
}

start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"
# No registry imported: claims wait RECEIVED, so the decision clock runs.
ctl submit "$T_DIR/a.json" >/dev/null || fail "submit A"
[ "$(breaches SLA-LATE)" = "REPORT" ] || fail "late report not breached at once: \"$(breaches SLA-LATE)\""
pass "a first report after the 2x24 h deadline breaches REPORT when the case opens"
wait_breaches SLA-LATE "ACK DECISION REPORT " 10
[ "$(db "SELECT breached FROM cases c JOIN claims k ON k.id = c.first_claim WHERE k.idem_key = 'SLA-LATE'")" = 7 ] \
    || fail "case row does not show the breaches"
pass "unacknowledged and undecided: ACK and DECISION breach, and the case shows them"

# check_clock_gauge WHEN: /metrics' running clocks (kept in memory) equal the
# count of the store's partial indexes; clocks may run out in between, so it
# tries for 2 s until both agree on a value.
check_clock_gauge() {
    local m q
    for _ in $(seq 1 20); do
        m=$(curl -sf "http://$T_HTTP/metrics" | awk '/^klaimd_sla_clocks_pending /{print $2}')
        q=$(db "SELECT (SELECT count(*) FROM cases WHERE acked_at_ms = 0 AND breached & 4 = 0)
                     + (SELECT count(*) FROM cases WHERE decided_at_ms = 0 AND breached & 2 = 0)")
        [ -n "$m" ] && [ "$m" = "$q" ] && return 0
        sleep 0.1
    done
    fail "$1: /metrics says $m clocks running, the store $q"
}

# C is acknowledged at once: its ACK clock is met, only DECISION runs out.
ctl submit "$T_DIR/c.json" >/dev/null || fail "submit C"
cid=$(db "SELECT case_id FROM case_claims cc JOIN claims k ON k.id = cc.claim_id WHERE k.idem_key = 'SLA-ACKED'")
check_clock_gauge "a new case"
curl -sf -XPOST -H 'Content-Type: application/json' "http://$T_HTTP/v1/dispatch/$(printf 'c-%012d' "$cid")/ack" -d '{"by":"Sri"}' >/dev/null || fail "ack C"
check_clock_gauge "after an ack"
wait_breaches SLA-ACKED "DECISION " 10
check_clock_gauge "after a breach"
sleep 0.5
[ "$(breaches SLA-ACKED)" = "DECISION" ] || fail "acknowledged case breached: $(breaches SLA-ACKED)"
pass "an acknowledged case does not breach ACK"

# B: klaimd stops before its clocks run out and starts after: they fire once.
ctl submit "$T_DIR/b.json" >/dev/null || fail "submit B"
stop_klaimd
[ -z "$(breaches SLA-RESTART)" ] || fail "B breached before the stop"
sleep 3.5
start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"
wait_breaches SLA-RESTART "ACK DECISION " 5
check_clock_gauge "after a restart"
stop_klaimd
start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"
sleep 1
[ "$(breaches SLA-RESTART)" = "$(breaches SLA-RESTART | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')" ] \
    || fail "a breach fired twice: $(breaches SLA-RESTART)"
[ "$(db 'SELECT count(*) FROM events WHERE type = 7')" = 6 ] || fail "expected 6 breaches in all"
pass "clocks that ran out while klaimd was down fire once after the restart"
stop_klaimd
