#!/usr/bin/env bash
# review.sh - the review queue: PENDING_REVIEW claims are listed, approved
# (the reason is waived and the claim decided again by a worker, then
# confirmed by a second reviewer: docs/money.md §5) or rejected
# (final, with the reviewer's note), and every action is recorded with who,
# when and why, across a restart.
source "$(dirname "$0")/lib.sh"

start_klaimd --workers 2
import_demo_registry
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/review.jsonl" <<'PY'
import json, sys
want = ["review-report-late-2025", "review-heirs-missing", "review-pp44-transport-rule-unverified",
        "review-bpu-arrears-2-months", "jkm-regime-boundary-2019-12-02-42M"]
cases = {c["name"]: c for c in map(json.loads, open(sys.argv[1]))}
for n in want:
    print(json.dumps(cases[n]["claim"]))
PY
ctl submit --wait --inflight 1 "$T_DIR/review.jsonl" >"$T_DIR/first.jsonl" || fail "submit --wait"
id_of() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    j=json.loads(l)
    if j["reasons"] and j["reasons"][0]["code"]==sys.argv[2]: print(j["claim_id"])' "$T_DIR/first.jsonl" "$1"; }
late=$(id_of REPORT_LATE); heirs=$(id_of HEIRS_MISSING); unverified=$(id_of RULE_UNVERIFIED)
approved=$(json_get - 'j["claim_id"]' < <(grep '"APPROVED"' "$T_DIR/first.jsonl" | head -1))
[ -n "$late" ] && [ -n "$heirs" ] && [ -n "$unverified" ] && [ -n "$approved" ] || fail "setup decisions: $(cat "$T_DIR/first.jsonl")"

ctl review list >"$T_DIR/list1.jsonl" || fail "review list"
[ "$(wc -l <"$T_DIR/list1.jsonl")" = 4 ] || fail "review list: expected 4 claims, got $(cat "$T_DIR/list1.jsonl")"
grep -q "$approved" "$T_DIR/list1.jsonl" && fail "an APPROVED claim is listed for review"
ctl review list --limit 1 >"$T_DIR/page1" 2>"$T_DIR/page1.err" || fail "review list --limit 1"
[ "$(wc -l <"$T_DIR/page1")" = 1 ] && grep -q "review list --after" "$T_DIR/page1.err" || fail "paging hint missing"
pass "review list"

# Approve REPORT_LATE: the worker decides again without that check.
# Four eyes (review_second_approval_rupiah = 0): a second reviewer confirms.
ctl review approve "$late" --by "Sri Wahyuni" --note "employer report arrived by fax in time" >/dev/null \
    || fail "approve $late"
ctl status --wait 20000 "$late" >/dev/null || fail "status of the approved claim"
ctl review confirm "$late" --by "Agus Salim" >/dev/null || fail "confirm $late"
ctl status --wait 20000 "$late" >"$T_DIR/late.json" || fail "status of the confirmed claim"
python3 - "$T_DIR/late.json" <<'PY' || fail "approved REPORT_LATE claim: $(cat "$T_DIR/late.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "APPROVED", j["state"]
assert j["total"] > 0 and j["total"] == sum(i["amount"] for i in j["items"]), j
assert j["reasons"] == []
r = j["reviews"][0]
assert (r["action"], r["reason_code"], r["by"], r["client"]) == ("APPROVE", "REPORT_LATE", "Sri Wahyuni", "local"), r
assert r["note"] == "employer report arrived by fax in time" and r["at"] and r["identity"] == "by:Sri Wahyuni", r
c = j["reviews"][1]
assert (c["action"], c["by"], c["identity"]) == ("CONFIRM", "Agus Salim", "by:Agus Salim"), c
PY
pass "approve waives REPORT_LATE and, once confirmed, pays"

# Reject HEIRS_MISSING: final, with the note.
rc=0; ctl review reject "$heirs" --by "Sri Wahyuni" >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "reject without a note: exit $rc, expected 64"
ctl review reject "$heirs" --by "Sri Wahyuni" --note "no heir came forward in 90 days" >"$T_DIR/heirs.json" \
    || fail "reject $heirs"
python3 - "$T_DIR/heirs.json" <<'PY' || fail "rejected claim: $(cat "$T_DIR/heirs.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "REJECTED" and j["total"] == 0 and j["items"] == []
assert j["reasons"][0]["code"] == "HEIRS_MISSING"
assert "no heir came forward in 90 days" in j["reasons"][0]["message"]
assert j["reviews"][0]["action"] == "REJECT"
PY
pass "reject is final and keeps the reason"

# What cannot be reviewed.
rc=0; ctl review approve "$unverified" --by x >/dev/null 2>"$T_DIR/unv.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_REVIEWABLE "$T_DIR/unv.err" || fail "approve RULE_UNVERIFIED: exit $rc $(cat "$T_DIR/unv.err")"
rc=0; ctl review approve "$approved" --by x >/dev/null 2>"$T_DIR/appr.err" || rc=$?
[ "$rc" = 65 ] && grep -q "not pending review" "$T_DIR/appr.err" || fail "approve an APPROVED claim: exit $rc"
rc=0; ctl review reject "$heirs" --by x --note again >/dev/null 2>&1 || rc=$?
[ "$rc" = 65 ] || fail "second review of a rejected claim: exit $rc, expected 65"
rc=0; ctl review approve k-000000099999 --by x >/dev/null 2>&1 || rc=$?
[ "$rc" = 65 ] || fail "review of an unknown claim: exit $rc, expected 65"
rc=0; ctl review frobnicate >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "unknown review action: exit $rc, expected 64"
pass "not reviewable: typed errors"

ctl review list >"$T_DIR/list2.jsonl"
[ "$(wc -l <"$T_DIR/list2.jsonl")" = 2 ] || fail "after two reviews 2 claims should wait: $(cat "$T_DIR/list2.jsonl")"
[ "$(db 'SELECT count(*) FROM reviews')" = 3 ] || fail "reviews table"

stop_klaimd
start_klaimd --workers 1
ctl status "$heirs" | json_get - 'j["reviews"][0]["by"]' | grep -qx "Sri Wahyuni" || fail "review lost across a restart"
pass "reviews survive a restart"
stop_klaimd
