#!/usr/bin/env bash
# spine.sh - submit -> durable ack -> worker decision, through the real binaries.
# Checks the two headline payouts (42M JKM, 70M JKK death at 1M declared income),
# an unknown participant, idempotency (same key twice, same key other claim),
# status by id and by key, stats, and a clean restart that keeps everything.
source "$(dirname "$0")/lib.sh"

start_klaimd --workers 2
import_demo_registry
[ "$(json_get "$T_DIR/import.json" 'j["inserted"]')" = 40 ] || fail "registry import did not insert 40 rows"

# The headline cases, taken from the acceptance set (one source of truth).
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/headline.jsonl" <<'PY'
import json, sys
want = {"jkm-regime-boundary-2019-12-02-42M", "jkk-death-bpu-1M-70M", "reject-participant-not-found"}
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c["name"] in want:
        print(json.dumps(c["claim"]))
PY
[ "$(wc -l <"$T_DIR/headline.jsonl")" = 3 ] || fail "headline cases missing from cases.jsonl"

ctl submit --wait "$T_DIR/headline.jsonl" >"$T_DIR/decisions.jsonl" || fail "submit --wait failed"
python3 - "$T_DIR/decisions.jsonl" <<'PY' || fail "headline decisions differ"
import json, sys
d = {j["idempotency_key"]: j for j in map(json.loads, open(sys.argv[1]))}
jkm, jkk, unknown = d["DEMO-001"], d["DEMO-004"], d["DEMO-016"]
assert jkm["state"] == "APPROVED" and jkm["total"] == 42000000, jkm
assert {i["code"]: i["amount"] for i in jkm["items"]} == {
    "JKM_LUMP_SUM": 20000000, "JKM_PERIODIC": 12000000, "JKM_FUNERAL": 10000000}, jkm
assert jkm["rule_set"] == "PP-82-2019", jkm
assert all(i["basis"] for i in jkm["items"]), "every item names its basis"
assert jkk["state"] == "APPROVED" and jkk["total"] == 70000000, jkk
assert {i["code"]: i["amount"] for i in jkk["items"]} == {
    "JKK_DEATH_LUMP_SUM": 48000000, "JKK_FUNERAL": 10000000, "JKK_PERIODIC": 12000000}, jkk
assert unknown["state"] == "REJECTED" and unknown["total"] == 0, unknown
assert unknown["reasons"][0]["code"] == "PARTICIPANT_NOT_FOUND", unknown
assert unknown["items"] == []
for j in d.values():
    assert j["claim_id"].startswith("k-") and j["received_at"] and j["decided_at"], j
PY
pass "42M JKM, 70M JKK death, unknown participant rejected"

# The same key and claim again: the first claim id, nothing new stored.
first_id=$(json_get "$T_DIR/decisions.jsonl" 'j["claim_id"]' 2>/dev/null || head -1 "$T_DIR/decisions.jsonl" | json_get - 'j["claim_id"]')
head -1 "$T_DIR/headline.jsonl" >"$T_DIR/again.json"
ctl submit "$T_DIR/again.json" >"$T_DIR/again.out" || fail "repeat submit failed"
[ "$(json_get "$T_DIR/again.out" 'j["claim_id"]')" = "$first_id" ] || fail "repeat got a new claim id"
[ "$(db 'SELECT count(*) FROM claims')" = 3 ] || fail "repeat stored a second row"
pass "same key twice -> one claim id ($first_id)"

# The same key with another claim: a typed conflict, exit 65, no row.
sed 's/"2019-12-02"/"2019-11-30"/' "$T_DIR/again.json" >"$T_DIR/conflict.json"
rc=0; ctl submit "$T_DIR/conflict.json" >/dev/null 2>"$T_DIR/conflict.err" || rc=$?
[ "$rc" = 65 ] || fail "conflicting reuse of a key: exit $rc, expected 65"
grep -q IDEMPOTENCY_CONFLICT "$T_DIR/conflict.err" || fail "no IDEMPOTENCY_CONFLICT in: $(cat "$T_DIR/conflict.err")"
[ "$(db 'SELECT count(*) FROM claims')" = 3 ] || fail "conflict stored a row"
pass "same key, different claim -> IDEMPOTENCY_CONFLICT"

# status by id and by key agree; an unknown id is exit 65.
ctl status "$first_id" >"$T_DIR/s1.json" || fail "status by id"
ctl status --key DEMO-001 >"$T_DIR/s2.json" || fail "status by key"
cmp -s "$T_DIR/s1.json" "$T_DIR/s2.json" || fail "status by id and by key differ"
[ "$(json_get "$T_DIR/s1.json" 'j["total"]')" = 42000000 ] || fail "status total"
rc=0; ctl status k-000000999999 >/dev/null 2>&1 || rc=$?
[ "$rc" = 65 ] || fail "status of an unknown claim: exit $rc, expected 65"
pass "status by id and key"

ctl stats >"$T_DIR/stats.json" || fail "stats"
[ "$(json_get "$T_DIR/stats.json" 'j["claims"]["APPROVED"]')" = 2 ] || fail "stats APPROVED"
[ "$(json_get "$T_DIR/stats.json" 'j["claims"]["REJECTED"]')" = 1 ] || fail "stats REJECTED"
[ "$(json_get "$T_DIR/stats.json" 'j["workers"]["ready"]')" = 2 ] || fail "stats workers ready"
[ "$(json_get "$T_DIR/stats.json" 'j["registry"]["rows"]')" = 40 ] || fail "stats registry rows"
pass "stats"

# A clean stop and start keeps decisions and the registry generation.
stop_klaimd
start_klaimd --workers 1
ctl status "$first_id" >"$T_DIR/s3.json" || fail "status after restart"
cmp -s "$T_DIR/s1.json" "$T_DIR/s3.json" || fail "decision changed across a restart"
[ "$(ctl stats | json_get - 'j["registry"]["generation"]')" = 1 ] || fail "registry generation lost"
pass "restart keeps decisions and registry"

# A second klaimd on the same data dir refuses with 78 and names the holder.
rc=0; "$KLAIMD" --data-dir "$T_DATA" --intake-endpoint "tcp://127.0.0.1:1" >"$T_DIR/second.log" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "second klaimd on the same data dir: exit $rc, expected 78"
grep -q "in use by another klaimd (pid $T_PID)" "$T_DIR/second.log" || fail "second klaimd message: $(cat "$T_DIR/second.log")"
pass "data dir lock"
stop_klaimd
echo "spine: all passed"
