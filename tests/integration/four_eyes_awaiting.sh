#!/usr/bin/env bash
# four_eyes_awaiting.sh - AWAITING_CONFIRMATION (docs/money.md §5) with real
# CURVE identities: with review_second_approval_rupiah = 0 an approved claim,
# once decided again, waits in AWAITING_CONFIRMATION (status, review list,
# stats) until a second reviewer confirms; the confirm makes it APPROVED,
# payable and announced (DECIDED on the feed, audit); a confirm that comes
# while the claim is still being decided again is kept and applies when the
# decision comes; a threshold equal to the total still needs the confirm;
# a heir with the participant's NIK is only got past with new heirs.
# Needs the result path that stores AWAITING_CONFIRMATION and the JOB's
# reviewer heirs (broker.c), and the worker's heir check (workers/).
source "$(dirname "$0")/lib.sh"

K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -p "$K" "$C"
for who in server sri agus admin; do
    "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"
done
allow() { printf 'name = %s\nrole = %s\n%s\n' "$2" "$3" "$(grep '^public' "$K/$1.pub")" >"$C/$1.client"; }
allow sri "Sri Lestari" reviewer
allow agus "Agus Salim" reviewer
allow admin "Admin" admin
read -r T_RW_PORT < <(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf() {
    printf 'curve_secret_key_file = %s\nclients_dir = %s\nreview_second_approval_rupiah = %s\n' \
        "$K/server.key" "$C" "$1" >"$T_DIR/klaimd.conf"
}
as() { local who=$1; shift; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/$who.key" --server-key "$K/server.pub" "$@"; }
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" "$T_DIR" <<'PY'
import json, sys
cases = {c["name"]: c for c in map(json.loads, open(sys.argv[1]))}
json.dump(cases["review-report-late-2025"]["claim"], open(f"{sys.argv[2]}/late.json", "w"))
json.dump(cases["review-bpu-arrears-2-months"]["claim"], open(f"{sys.argv[2]}/bpu.json", "w"))
money = {c["name"]: c for c in map(json.loads, open(sys.argv[1].replace("cases.jsonl", "cases-money.jsonl")))}
m1 = money["money-heir-is-participant-then-heirs-supplied"]
json.dump(m1["claim"], open(f"{sys.argv[2]}/money01.json", "w"))
with open(f"{sys.argv[2]}/money01.heirs", "w") as f:
    for h in m1["review"][0]["heirs"]:
        print("--heir", f'{h["nik"]}:{h["name"]}:{h["relation"]}', sep="\n", file=f)
PY
conf 0
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1
import_demo_registry
late=$(ctl submit --wait "$T_DIR/late.json" | json_get - 'j["claim_id"]')
bpu=$(ctl submit --wait "$T_DIR/bpu.json" | json_get - 'j["claim_id"]')
row() { db "SELECT state || ' ' || approval || ' ' || payment_state FROM claims WHERE id = ${1#k-}+0"; }
[ "$(row "$late")" = "5 0 0" ] && [ "$(row "$bpu")" = "5 0 0" ] || fail "setup: $(row "$late") / $(row "$bpu")"

as sri review approve "$late" --by "Sri" --note "report in time" >/dev/null || fail "approve"
as sri status --wait 20000 "$late" >"$T_DIR/await.json" || fail "status"
python3 - "$T_DIR/await.json" <<'PY' || fail "awaiting claim: $(cat "$T_DIR/await.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "AWAITING_CONFIRMATION", j["state"]
assert j["total"] > 0 and j["total"] == sum(i["amount"] for i in j["items"]) and j["reasons"] == [], j
assert [(r["action"], r["identity"]) for r in j["reviews"]] == [("APPROVE", "Sri Lestari")], j["reviews"]
PY
total=$(json_get "$T_DIR/await.json" 'j["total"]')
[ "$(row "$late")" = "7 1 0" ] || fail "awaiting: state, approval, payment_state = $(row "$late")"
as agus review list >"$T_DIR/list.jsonl" || fail "review list"
python3 - "$T_DIR/list.jsonl" "$late" <<'PY' || fail "review list: $(cat "$T_DIR/list.jsonl")"
import json, sys
got = {j["claim_id"]: j["state"] for j in map(json.loads, open(sys.argv[1]))}
assert got[sys.argv[2]] == "AWAITING_CONFIRMATION" and len(got) == 2, got
PY
ctl stats | json_get - 'j["claims"]["AWAITING_CONFIRMATION"]' | grep -qx 1 || fail "stats: $(ctl stats)"
rc=0; as agus review approve "$late" --by "Agus" >/dev/null 2>"$T_DIR/re.err" || rc=$?
[ "$rc" = 65 ] && grep -q "AWAITING_CONFIRMATION, not pending review" "$T_DIR/re.err" || fail "approve again: exit $rc $(cat "$T_DIR/re.err")"
rc=0; as sri review confirm "$late" --by "Sri" >/dev/null 2>"$T_DIR/self.err" || rc=$?
[ "$rc" = 65 ] && grep -q "nobody confirms their own approval" "$T_DIR/self.err" || fail "own confirm: exit $rc"
[ "$(row "$late")" = "7 1 0" ] || fail "a refused confirm changed the claim: $(row "$late")"
pass "approved on review, the claim waits in AWAITING_CONFIRMATION (status, review list, stats)"

as agus review confirm "$late" --by "Agus" >"$T_DIR/confirmed.json" || fail "confirm"
python3 - "$T_DIR/confirmed.json" "$total" <<'PY' || fail "the confirm's reply: $(cat "$T_DIR/confirmed.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "APPROVED" and j["total"] == int(sys.argv[2]) and j["decided_at"], j
assert [(r["action"], r["identity"]) for r in j["reviews"]] == [("APPROVE", "Sri Lestari"), ("CONFIRM", "Agus Salim")]
PY
[ "$(row "$late")" = "3 2 1" ] || fail "confirmed: state, approval, payment_state = $(row "$late")"
db "SELECT payload FROM events WHERE type = 2 AND claim_id = ${late#k-}+0 ORDER BY seq DESC LIMIT 1" | grep -q '"state":"APPROVED"' \
    || fail "no DECIDED APPROVED event after the confirm"
db "SELECT detail FROM audit WHERE action = 'REVIEW_CONFIRM' AND claim_id = ${late#k-}+0" | grep -q '"approved":true' \
    || fail "no audit entry for the confirm"
as agus review list | grep -q "$late" && fail "a confirmed claim is still listed for review"
ctl stats | json_get - '(j["claims"]["AWAITING_CONFIRMATION"], j["claims"]["APPROVED"])' | grep -qx '(0, 1)' \
    || fail "stats after the confirm: $(ctl stats)"
pass "the second reviewer's confirm makes it APPROVED and payable, announced and audited"

# A confirm while the claim is being decided again: no local worker, so the
# approved claim stays RECEIVED; the confirm is kept and applies later.
stop_klaimd
start_klaimd --config "$T_DIR/klaimd.conf" --workers 0 --remote-worker-endpoint "tcp://127.0.0.1:$T_RW_PORT"
as sri review approve "$bpu" --by "Sri" --note "arrears paid" >/dev/null || fail "approve bpu"
as agus review confirm "$bpu" --by "Agus" >"$T_DIR/early.json" || fail "an early confirm is refused"
json_get "$T_DIR/early.json" 'j["state"]' | grep -qx RECEIVED || fail "early confirm: $(cat "$T_DIR/early.json")"
[ "$(row "$bpu")" = "1 2 0" ] || fail "early confirm: state, approval, payment_state = $(row "$bpu")"
stop_klaimd
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1
as sri status --wait 20000 "$bpu" | json_get - 'j["state"]' | grep -qx APPROVED || fail "the early confirm did not apply"
pass "a confirm while the claim is decided again is kept and applies when the decision comes"

# At the threshold (total == review_second_approval_rupiah) it still waits.
stop_klaimd
conf "$total"
T_DATA="$T_DIR/data-at-threshold"
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1
import_demo_registry
late3=$(ctl submit --wait "$T_DIR/late.json" | json_get - 'j["claim_id"]')
as sri review approve "$late3" --by "Sri" >/dev/null || fail "approve at the threshold"
as sri status --wait 20000 "$late3" | json_get - '(j["state"], j["total"])' | grep -qx "('AWAITING_CONFIRMATION', $total)" \
    || fail "at the threshold: $(as sri status "$late3")"
pass "a total equal to review_second_approval_rupiah needs the second reviewer"

# A heir with the participant's own NIK (INCONSISTENT_DATA that no waiver
# skips): only new heirs get it past; they go to the worker with the JOB.
m1=$(ctl submit --wait "$T_DIR/money01.json" | json_get - 'j["claim_id"]')
as sri status "$m1" | json_get - '(j["state"], j["reasons"][0]["code"])' | grep -qx "('PENDING_REVIEW', 'INCONSISTENT_DATA')" \
    || fail "setup: $(as sri status "$m1")"
rc=0; as sri review approve "$m1" --by "Sri" >/dev/null 2>"$T_DIR/m1.err" || rc=$?
[ "$rc" = 65 ] && grep -q "participant's own NIK" "$T_DIR/m1.err" || fail "approve without heirs: exit $rc $(cat "$T_DIR/m1.err")"
mapfile -t m1heirs <"$T_DIR/money01.heirs"
as sri review approve "$m1" --by "Sri" --note "heir NIK corrected from the family card" "${m1heirs[@]}" >/dev/null \
    || fail "approve with the family card's heirs"
as sri status --wait 20000 "$m1" | json_get - '(j["state"], j["total"])' | grep -qx "('AWAITING_CONFIRMATION', 42000000)" \
    || fail "decided again with the reviewer's heirs: $(as sri status "$m1")"
as agus review confirm "$m1" --by "Agus" | json_get - '(j["state"], j["total"], j["scholarship_children"])' \
    | grep -qx "('APPROVED', 42000000, 1)" || fail "confirmed: $(as agus status "$m1")"
pass "a heir with the participant's NIK: new heirs from the reviewer, decided again, confirmed"
stop_klaimd
