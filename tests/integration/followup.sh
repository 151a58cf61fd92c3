#!/usr/bin/env bash
# followup.sh - an event is paid once, whichever of its claims is approved
# first (docs/money.md §4), through the real daemon:
#   A: an accident reported late (REPORT_LATE, waits for review);
#   B: a second claim of the same accident (late too, then DUPLICATE_CLAIM);
# B approved first is paid in full (nothing of the event was paid yet);
# A approved afterwards is netted against B, so A + B pay what one merged
# claim would: STMB for 40 days 4,000,000 and medical 18,000,000.
# Then a claim after the person's approved death is an earlier death, and
# the payees of every APPROVED claim add up with an id each.
source "$(dirname "$0")/lib.sh"

start_klaimd --workers 2
import_demo_registry
claim() { # KEY DAYS MEDICAL REPORTED
    printf '{"idempotency_key":"%s","program":"JKK","participant":{"kpj":"24128006011","nik":"3516051406890001"},"event":{"type":"ACCIDENT","date":"2025-04-07","circumstance":"WORKPLACE","reported_at":"%s","hospital":"RS Islam Sakinah"},"outcome":{"incapacity_days":%d,"expenses":{"medical":%d}}}\n' "$1" "$4" "$2" "$3"
}
claim FU-A 30 15000000 2025-04-14T09:00:00+07:00 >"$T_DIR/a.json"
claim FU-B 10 3000000 2025-04-14T10:00:00+07:00 >"$T_DIR/b.json"
a=$(ctl submit --wait "$T_DIR/a.json" | json_get - 'j["claim_id"]')
ctl submit --wait "$T_DIR/b.json" >"$T_DIR/b1.out"
b=$(json_get "$T_DIR/b1.out" 'j["claim_id"]')
[ "$(ctl status "$a" | json_get - 'j["reasons"][0]["code"]')" = REPORT_LATE ] || fail "A should wait on REPORT_LATE"
[ "$(json_get "$T_DIR/b1.out" 'j["reasons"][0]["code"]')" = REPORT_LATE ] || fail "B: $(cat "$T_DIR/b1.out")"

# B carries the first report's time too: late, then the same event as A.
ctl review approve "$b" --by "Sri" --note "report arrived by fax in time" >/dev/null || fail "approve B (late)"
ctl review confirm "$b" --by "Agus" >/dev/null || fail "confirm B (late)"
[ "$(ctl status --wait 20000 "$b" | json_get - 'j["reasons"][0]["code"]')" = DUPLICATE_CLAIM ] || fail "B: no DUPLICATE_CLAIM"
ctl review approve "$b" --by "Sri" --note "Tahap II of the same accident" >/dev/null || fail "approve B"
ctl review confirm "$b" --by "Agus" >/dev/null || fail "confirm B"
ctl status --wait 20000 "$b" >"$T_DIR/b2.out"
python3 - "$T_DIR/b2.out" <<'PY' || fail "B approved first: $(cat "$T_DIR/b2.out")"
import json, sys
d = json.load(open(sys.argv[1]))
items = {i["code"]: i["amount"] for i in d["items"]}
assert d["state"] == "APPROVED", d["state"]
assert items == {"JKK_STMB": 1000000, "JKK_MEDICAL": 3000000}, items
assert "netted_against" not in d, d
roles = {p["role"]: p for p in d["payees"]}
assert roles["PROVIDER"]["id"] == "RS Islam Sakinah" and roles["PROVIDER"]["items"] == ["JKK_MEDICAL"], roles
assert roles["EMPLOYER"]["id"] == "PT Ngoro Sinar Tekstil" and roles["EMPLOYER"]["amount"] == 1000000, roles
PY
pass "the follow-up approved first is paid in full"

ctl review approve "$a" --by "Sri" --note "report arrived by fax in time" >/dev/null || fail "approve A"
ctl review confirm "$a" --by "Agus" >/dev/null || fail "confirm A"
ctl status --wait 20000 "$a" >"$T_DIR/a2.out"
python3 - "$T_DIR/a2.out" "$b" <<'PY' || fail "A netted against B: $(cat "$T_DIR/a2.out")"
import json, sys
d = json.load(open(sys.argv[1]))
items = {i["code"]: i["amount"] for i in d["items"]}
assert d["state"] == "APPROVED", d["state"]
assert items == {"JKK_STMB": 3000000, "JKK_MEDICAL": 15000000}, items
assert d["netted_against"] == [sys.argv[2]], d["netted_against"]
assert sum(p["amount"] for p in d["payees"]) == d["total"] == 18000000
PY
pass "the first claim approved later is netted: A + B = one merged claim (22,000,000)"

# A death, then an accident after it on the person's other membership.
cat >"$T_DIR/death.json" <<'JSON'
{"idempotency_key":"FU-DEATH","program":"JKM","participant":{"kpj":"24219612818","nik":"3576010909870035"},"event":{"type":"DEATH","date":"2026-05-10","reported_at":"2026-05-11T08:15:00+07:00"},"heirs":[{"nik":"3576011203120009","name":"Fikri Hakim","relation":"CHILD","bank":{"bank_code":"002","account":"123456789012","name":"FIKRI HAKIM"}}]}
{"idempotency_key":"FU-AFTER","program":"JKK","participant":{"kpj":"24337600171","nik":"3576010909870035"},"event":{"type":"ACCIDENT","date":"2026-06-02","circumstance":"COMMUTE","reported_at":"2026-06-02T15:10:00+07:00"},"outcome":{"expenses":{"medical":2400000}}}
JSON
ctl submit --wait --inflight 1 "$T_DIR/death.json" >"$T_DIR/death.out" || fail "submit the death and the accident"
python3 - "$T_DIR/death.out" <<'PY' || fail "earlier death: $(cat "$T_DIR/death.out")"
import json, sys
death, after = [json.loads(l) for l in open(sys.argv[1])]
assert death["state"] == "APPROVED" and death["total"] == 42000000, death
heir = death["payees"][0]
assert (heir["role"], heir["id"], heir["amount"]) == ("HEIR", "3576011203120009", 42000000), heir
assert after["state"] == "PENDING_REVIEW" and after["reasons"][0]["code"] == "INCONSISTENT_DATA", after
assert death["claim_id"] in after["reasons"][0]["message"], after["reasons"][0]
PY
pass "an accident after the person's death waits for a person (INCONSISTENT_DATA naming the death)"

# The earlier death survives a restart (the deaths are read back at start).
stop_klaimd
start_klaimd --workers 1
sed 's/FU-AFTER/FU-AFTER-2/; s/2026-06-02/2026-06-03/g' "$T_DIR/death.json" | tail -1 >"$T_DIR/after2.json"
[ "$(ctl submit --wait "$T_DIR/after2.json" | json_get - 'j["reasons"][0]["code"]')" = INCONSISTENT_DATA ] \
    || fail "after a restart the earlier death was forgotten"
pass "earlier deaths are remembered across a restart"
stop_klaimd
