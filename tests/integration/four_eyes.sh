#!/usr/bin/env bash
# four_eyes.sh - review that changes what is decided, the reviewer role and
# four eyes (docs/money.md §3, §5), with real CURVE identities and HTTP
# tokens: a reviewer key approves, the same key cannot confirm, a second
# reviewer key confirms and the claim is APPROVED; a hospital key cannot
# review; a reviewer cannot submit or import; nobody approves a claim their
# own client submitted; an approve of HEIRS_MISSING must bring heirs (kept
# with the claim and the review); malformed heirs are typed errors; heirs
# with another reason are refused; the HTTP review endpoints; the
# review_second_approval_rupiah threshold set high (no confirm needed).
# What AWAITING_CONFIRMATION looks like (status, review list) before the
# confirm is four_eyes_awaiting.sh.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh installs it)"

K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -p "$K" "$C"
for who in server sri agus rsis admin; do
    "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"
done
allow() { printf 'name = %s\nrole = %s\n%s\n' "$2" "$3" "$(grep '^public' "$K/$1.pub")" >"$C/$1.client"; }
allow sri "Sri Lestari" reviewer
allow agus "Agus Salim" reviewer
allow rsis "RS Islam Sakinah" hospital
allow admin "Admin" admin
tok() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$T_DIR/tokens" <<TOK
$(tok rita-secret) reviewer Rita (HTTP)
$(tok budi-secret) reviewer Budi (HTTP)
$(tok hosp-secret) hospital RS Islam Sakinah
TOK
conf() {
    printf 'curve_secret_key_file = %s\nclients_dir = %s\ntokens_file = %s\nreview_second_approval_rupiah = %s\n' \
        "$K/server.key" "$C" "$T_DIR/tokens" "$1" >"$T_DIR/klaimd.conf"
}
as() { local who=$1; shift; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/$who.key" --server-key "$K/server.pub" "$@"; }
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")
conf 0
start_klaimd --config "$T_DIR/klaimd.conf" --workers 2
grep -q "CURVE on: 4 clients" "$T_LOG" || fail "klaimd did not load the 4 clients"
import_demo_registry

# The claims: from the acceptance and the money cases.
python3 - "$KLAIM_SHARED_DIR/domain" "$T_DIR" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
cases = {}
for f in ("cases.jsonl", "cases-money.jsonl"):
    for l in open(f"{d}/{f}"):
        c = json.loads(l); cases[c["name"]] = c
def put(name, case):
    json.dump(cases[case]["claim"], open(f"{out}/{name}.json", "w"))
put("late", "review-report-late-2025")              # REPORT_LATE, hospital's
put("heirs", "money-heirs-missing-approved-with-heirs")  # HEIRS_MISSING, no heirs
put("nonik", "money-heirs-without-nik-approve-refused")
c = json.load(open(f"{out}/nonik.json")); del c["heirs"]    # HEIRS_MISSING by every rule set: no heirs at all
json.dump(c, open(f"{out}/nonik.json", "w"))
put("bpu", "review-bpu-arrears-2-months")           # BPU_ARREARS
put("employer", "review-employer-arrears-4-months") # EMPLOYER_ARREARS, admin's own
put("nikmm", "review-nik-mismatch")                 # INCONSISTENT_DATA, no heir has the participant's NIK
json.dump(cases["money-heirs-missing-approved-with-heirs"]["review"][0]["heirs"], open(f"{out}/money02-heirs.json", "w"))
PY
submit_as() { # submit_as WHO NAME: submits, waits for the decision, prints the claim id
    as "$1" submit --wait "$T_DIR/$2.json" >"$T_DIR/$2.decision" || fail "$1 submit $2"
    json_get "$T_DIR/$2.decision" 'j["claim_id"]'
}
late=$(submit_as rsis late); heirs=$(submit_as rsis heirs); nonik=$(submit_as rsis nonik)
bpu=$(submit_as rsis bpu); employer=$(submit_as admin employer); nikmm=$(submit_as rsis nikmm)
for x in late:REPORT_LATE heirs:HEIRS_MISSING nonik:HEIRS_MISSING bpu:BPU_ARREARS employer:EMPLOYER_ARREARS \
         nikmm:INCONSISTENT_DATA; do
    [ "$(json_get "$T_DIR/${x%%:*}.decision" 'j["state"] + " " + j["reasons"][0]["code"]')" = "PENDING_REVIEW ${x#*:}" ] \
        || fail "setup: ${x%%:*} is not PENDING_REVIEW ${x#*:}: $(cat "$T_DIR/${x%%:*}.decision")"
done
pass "setup: six claims wait for review"

# ---------------------------------------------------------------- roles
expect_forbidden() {
    local who=$1; shift
    local rc=0
    as "$who" "$@" >/dev/null 2>"$T_DIR/forb.err" || rc=$?
    [ "$rc" = 77 ] && grep -q FORBIDDEN "$T_DIR/forb.err" || fail "$who $*: exit $rc, expected 77 FORBIDDEN ($(cat "$T_DIR/forb.err"))"
}
expect_forbidden rsis review list
expect_forbidden rsis review approve "$late" --by "RS staff"
expect_forbidden rsis review confirm "$late" --by "RS staff"
expect_forbidden sri submit "$T_DIR/late.json"
expect_forbidden sri registry import "$KLAIM_SHARED_DIR/domain/registry-demo.csv"
expect_forbidden sri stats
expect_forbidden sri export decisions --since 2020-01-01
grep -q "reviewer: review list, approve, reject, confirm and status of any claim" "$T_DIR/forb.err" \
    || fail "the FORBIDDEN message does not say what a reviewer may do: $(cat "$T_DIR/forb.err")"
as sri status "$late" >/dev/null || fail "a reviewer reads a hospital's claim"
as sri review list >"$T_DIR/list0.jsonl" || fail "reviewer review list"
[ "$(wc -l <"$T_DIR/list0.jsonl")" = 6 ] || fail "review list: expected 6 claims, got $(cat "$T_DIR/list0.jsonl")"
pass "roles: a reviewer reviews and reads any claim, nothing else; a hospital cannot review"

# ---------------------------------------------------- four eyes (CURVE)
as sri review approve "$late" --by "Sri" --note "employer report arrived by fax in time" >/dev/null \
    || fail "reviewer approve"
as sri status --wait 20000 "$late" >/dev/null || fail "status after approve"
[ "$(db "SELECT approval || ' ' || approved_by FROM claims WHERE id = ${late#k-}+0")" = "1 Sri Lestari" ] \
    || fail "approve did not record approval 1 by the key's client"
rc=0; as sri review confirm "$late" --by "Sri again" >/dev/null 2>"$T_DIR/self.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_REVIEWABLE "$T_DIR/self.err" && grep -q "nobody confirms their own approval" "$T_DIR/self.err" \
    || fail "the approver's own confirm: exit $rc $(cat "$T_DIR/self.err")"
[ "$(db "SELECT approval FROM claims WHERE id = ${late#k-}+0")" = 1 ] || fail "a refused confirm changed the approval"
as agus review confirm "$late" --by "Agus" >"$T_DIR/late.confirmed" || fail "second reviewer confirm"
as agus status --wait 20000 "$late" >"$T_DIR/late.status" || fail "status after confirm"
python3 - "$T_DIR/late.status" <<'PY' || fail "confirmed claim: $(cat "$T_DIR/late.status")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "APPROVED" and j["total"] > 0 and j["reasons"] == [], j
a, c = j["reviews"]
assert (a["action"], a["reason_code"], a["by"], a["client"], a["identity"]) == \
    ("APPROVE", "REPORT_LATE", "Sri", "Sri Lestari", "Sri Lestari"), a
assert (c["action"], c["reason_code"], c["by"], c["client"], c["identity"]) == \
    ("CONFIRM", "REPORT_LATE", "Agus", "Agus Salim", "Agus Salim"), c
assert "heirs" not in a and "heirs" not in c, j
PY
[ "$(db "SELECT approval || ' ' || state FROM claims WHERE id = ${late#k-}+0")" = "2 3" ] \
    || fail "after the confirm: approval, state = $(db "SELECT approval, state FROM claims WHERE id = ${late#k-}+0")"
rc=0; as sri review confirm "$late" --by "Sri" >/dev/null 2>"$T_DIR/again.err" || rc=$?
[ "$rc" = 65 ] && grep -q "confirmed already" "$T_DIR/again.err" || fail "a second confirm: exit $rc $(cat "$T_DIR/again.err")"
rc=0; as agus review confirm "$bpu" --by "Agus" >/dev/null 2>"$T_DIR/none.err" || rc=$?
[ "$rc" = 65 ] && grep -q "nothing to confirm" "$T_DIR/none.err" || fail "confirm without an approval: exit $rc $(cat "$T_DIR/none.err")"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'REVIEW_CONFIRM' AND claim_id = ${late#k-}+0")" = 1 ] \
    || fail "the confirm has no audit entry"
pass "four eyes: the approver's key cannot confirm, a second reviewer key can; the claim is APPROVED"

# Nobody approves a claim their own client submitted.
rc=0; as admin review approve "$employer" --by "Admin" >/dev/null 2>"$T_DIR/own.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_REVIEWABLE "$T_DIR/own.err" && grep -q "submitted claim" "$T_DIR/own.err" \
    || fail "approving one's own client's claim: exit $rc $(cat "$T_DIR/own.err")"
[ "$(db "SELECT state || ' ' || approval FROM claims WHERE id = ${employer#k-}+0")" = "5 0" ] \
    || fail "a refused approve changed the claim"
as sri review approve "$employer" --by "Sri" --note "arrears paid since" >/dev/null || fail "another reviewer approves"
as sri status --wait 20000 "$employer" >/dev/null
rc=0; as admin review confirm "$employer" --by "Admin" >/dev/null 2>"$T_DIR/own2.err" || rc=$?
[ "$rc" = 65 ] && grep -q "submitted claim" "$T_DIR/own2.err" || fail "confirming one's own client's claim: exit $rc"
as agus review confirm "$employer" --by "Agus" >/dev/null || fail "a second reviewer confirms the admin's claim"
as agus status --wait 20000 "$employer" | json_get - 'j["state"]' | grep -qx APPROVED || fail "employer claim not APPROVED"
pass "four eyes: nobody approves or confirms a claim their own client submitted"

# --------------------------------------------------- heirs (docs/money.md §3)
unchanged() { # unchanged ID: still PENDING_REVIEW, no approval, no review heirs, no review
    [ "$(db "SELECT state || ' ' || approval || ' ' || (review_heirs IS NULL) || ' ' ||
              (SELECT count(*) FROM reviews r WHERE r.claim_id = c.id) FROM claims c WHERE id = ${1#k-}+0")" = "5 0 1 0" ] \
        || fail "$1 changed: $(db "SELECT state, approval, review_heirs IS NULL FROM claims WHERE id = ${1#k-}+0")"
}
rc=0; as sri review approve "$heirs" --by "Sri" >/dev/null 2>"$T_DIR/h0.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_REVIEWABLE "$T_DIR/h0.err" && grep -q -- "--heir" "$T_DIR/h0.err" \
    || fail "approve HEIRS_MISSING without heirs: exit $rc $(cat "$T_DIR/h0.err")"
unchanged "$heirs"
rc=0; as sri review approve "$nonik" --by "Sri" --heir ":Abdul Rohim:SPOUSE" >/dev/null 2>"$T_DIR/h1.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_REVIEWABLE "$T_DIR/h1.err" && grep -q "16-digit NIK" "$T_DIR/h1.err" \
    || fail "approve with heirs none of whom has a NIK: exit $rc $(cat "$T_DIR/h1.err")"
unchanged "$nonik"
pnik=$(json_get "$T_DIR/heirs.json" 'j["participant"]["nik"]')
rc=0; as sri review approve "$heirs" --by "Sri" --heir "$pnik:Supriyadi:SPOUSE" >/dev/null 2>"$T_DIR/h2.err" || rc=$?
[ "$rc" = 65 ] && grep -q "heirs\[0\].nik" "$T_DIR/h2.err" && grep -q "participant's own NIK" "$T_DIR/h2.err" \
    || fail "a heir with the participant's NIK: exit $rc $(cat "$T_DIR/h2.err")"
unchanged "$heirs"
for bad in "351602050505000:Dimas:CHILD" "3576020505050006:Dimas:COUSIN" "3576020505050006::CHILD" \
           "3576020505050006:Dimas:CHILD:02:1234567890" "3576020505050006:Dimas:CHILD:002:12345" \
           "3576020505050006:Dimas" "3576020505050006:Dimas:CHILD:002"; do
    rc=0; as sri review approve "$heirs" --by "Sri" --heir "$bad" >/dev/null 2>"$T_DIR/h3.err" || rc=$?
    [ "$rc" = 64 ] && grep -q -- "--heir #1" "$T_DIR/h3.err" || fail "malformed --heir $bad: exit $rc $(cat "$T_DIR/h3.err")"
done
unchanged "$heirs"
rc=0; as sri review approve "$bpu" --by "Sri" --heir "3576020505050006:Dimas:CHILD" >/dev/null 2>"$T_DIR/h4.err" || rc=$?
[ "$rc" = 65 ] && grep -q BAD_REQUEST "$T_DIR/h4.err" && grep -q "heirs only replace missing or wrong heirs" "$T_DIR/h4.err" \
    || fail "heirs with BPU_ARREARS: exit $rc $(cat "$T_DIR/h4.err")"
unchanged "$bpu"
rc=0; as sri review approve "$nikmm" --by "Sri" --heir "3576020505050006:Dimas:CHILD" >/dev/null 2>"$T_DIR/h5.err" || rc=$?
[ "$rc" = 65 ] && grep -q "heirs only replace missing or wrong heirs" "$T_DIR/h5.err" \
    || fail "heirs with an INCONSISTENT_DATA that is not about heirs: exit $rc $(cat "$T_DIR/h5.err")"
unchanged "$nikmm"
pass "heirs: required for HEIRS_MISSING, checked (typed errors naming the field), refused with another reason"

# The approve with the family card's heirs (the first one paid to a bank account).
mapfile -t hargs < <(python3 - "$T_DIR/money02-heirs.json" <<'PY'
import json, sys
for i, h in enumerate(json.load(open(sys.argv[1]))):
    print("--heir"); print(f'{h["nik"]}:{h["name"]}:{h["relation"]}' + (":002:0123456789" if i == 0 else ""))
PY
)
as sri review approve "$heirs" --by "Sri" --note "heirs from the family card" "${hargs[@]}" >/dev/null \
    || fail "approve HEIRS_MISSING with heirs"
[ "$(db "SELECT review_heirs IS NOT NULL AND approval = 1 FROM claims WHERE id = ${heirs#k-}+0")" = 1 ] \
    || fail "the reviewer's heirs are not stored with the claim"
as sri status --wait 20000 "$heirs" >/dev/null
as agus review confirm "$heirs" --by "Agus" >/dev/null || fail "confirm the heirs approval"
as agus status --wait 20000 "$heirs" >"$T_DIR/heirs.after" || fail "status"
python3 - "$T_DIR/heirs.after" "$T_DIR/money02-heirs.json" <<'PY' || fail "heirs approval: $(cat "$T_DIR/heirs.after")"
import json, sys
j = json.load(open(sys.argv[1])); want = json.load(open(sys.argv[2]))
assert j["state"] == "APPROVED" and j["total"] == 42000000, (j["state"], j["total"])
a = j["reviews"][0]
assert a["action"] == "APPROVE" and a["reason_code"] == "HEIRS_MISSING" and a["identity"] == "Sri Lestari", a
got = [(h["nik"], h["name"], h["relation"]) for h in a["heirs"]]
assert got == [(h["nik"], h["name"], h["relation"]) for h in want], got
assert a["heirs"][0]["bank"] == {"bank_code": "002", "account": "0123456789", "name": want[0]["name"]}, a["heirs"][0]
assert "bank" not in a["heirs"][1], a
assert j["reviews"][1]["action"] == "CONFIRM" and j["reviews"][1]["identity"] == "Agus Salim", j["reviews"]
PY
pass "heirs: an approve brings them; they are kept with the claim and shown in the review"

# ------------------------------------------------------------------ HTTP
U="http://$T_HTTP"
req() { # req METHOD PATH TOKEN [BODY]: prints "STATUS BODY"
    local args=(-s -o "$T_DIR/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3")
    [ $# -ge 4 ] && args+=(-H "Content-Type: application/json" --data-binary "$4")
    curl "${args[@]}" "$U$2" >"$T_DIR/code" || echo "curl-failed" >"$T_DIR/code"
    echo "$(cat "$T_DIR/code") $(tr -d '\n' <"$T_DIR/body")"
}
expect() { # expect STATUS ERROR_CODE|- FIELD|- METHOD PATH TOKEN [BODY]
    local want=$1 code=$2 field=$3; shift 3
    local got; got=$(req "$@")
    [ "${got%% *}" = "$want" ] || fail "$1 $2: expected $want, got $got"
    if [ "$code" != - ]; then
        echo "${got#* }" | python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]
assert e["code"]==sys.argv[1] and (sys.argv[2]=="-" or e["field"]==sys.argv[2]) and e["message"], e' "$code" "$field" \
            || fail "$1 $2: expected error $code field $field, got $got"
    fi
}
expect 403 FORBIDDEN - GET /v1/review hosp-secret
expect 403 FORBIDDEN - POST "/v1/claims/$bpu/review" hosp-secret '{"action":"approve","by":"x"}'
expect 400 BAD_REQUEST limit GET "/v1/review?limit=0" rita-secret
expect 400 BAD_REQUEST after GET "/v1/review?after=zz" rita-secret
expect 200 - - GET "/v1/review?limit=1" rita-secret
json_get "$T_DIR/body" '(len(j["decisions"]), j["more"], j["decisions"][0]["claim_id"])' | grep -qx "(1, True, '$nonik')" \
    || fail "GET /v1/review?limit=1: $(cat "$T_DIR/body")"
expect 200 - - GET "/v1/review?after=$nonik" rita-secret
json_get "$T_DIR/body" '[d["claim_id"] for d in j["decisions"]] == ["'"$bpu"'", "'"$nikmm"'"] and not j["more"]' \
    | grep -qx True \
    || fail "GET /v1/review?after=: $(cat "$T_DIR/body")"
expect 400 BAD_REQUEST action POST "/v1/claims/$bpu/review" rita-secret '{"action":"frobnicate","by":"Rita"}'
expect 400 BAD_REQUEST note POST "/v1/claims/$bpu/review" rita-secret '{"action":"reject","by":"Rita"}'
expect 400 BAD_REQUEST - POST "/v1/claims/$bpu/review" rita-secret 'not json'
expect 422 INVALID_CLAIM "heirs[1].nik" POST "/v1/claims/$nonik/review" rita-secret \
    '{"action":"approve","by":"Rita","heirs":[{"nik":"3516137011820099","name":"Abdul Rohim","relation":"SPOUSE"},{"nik":"12","name":"Nabila","relation":"CHILD"}]}'
expect 422 INVALID_CLAIM "heirs[0].bank.account" POST "/v1/claims/$nonik/review" rita-secret \
    '{"action":"approve","by":"Rita","heirs":[{"nik":"3516137011820099","name":"Abdul Rohim","relation":"SPOUSE","bank":{"bank_code":"002","account":"12-34","name":"Abdul Rohim"}}]}'
expect 400 BAD_REQUEST heirs POST "/v1/claims/$bpu/review" rita-secret \
    '{"action":"approve","by":"Rita","heirs":[{"nik":"3516137011820099","name":"Abdul Rohim","relation":"SPOUSE"}]}'
expect 409 NOT_REVIEWABLE heirs POST "/v1/claims/$nonik/review" rita-secret '{"action":"approve","by":"Rita"}'
unchanged "$nonik"; unchanged "$bpu"
expect 200 - - POST "/v1/claims/$nonik/review" rita-secret \
    '{"action":"approve","by":"Rita","note":"KTP received","heirs":[{"nik":"3516137011820099","name":"Abdul Rohim","relation":"SPOUSE","bank":{"bank_code":"008","account":"1234567","name":"Abdul Rohim"}}]}'
as sri status --wait 20000 "$nonik" >/dev/null
expect 409 NOT_REVIEWABLE by POST "/v1/claims/$nonik/review" rita-secret '{"action":"confirm","by":"Rita"}'
expect 200 - - POST "/v1/claims/$nonik/review" budi-secret '{"action":"confirm","by":"Budi"}'
as sri status --wait 20000 "$nonik" >"$T_DIR/nonik.after"
python3 - "$T_DIR/nonik.after" <<'PY' || fail "HTTP-reviewed claim: $(cat "$T_DIR/nonik.after")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "APPROVED", j["state"]
a, c = j["reviews"]
assert (a["action"], a["identity"], a["client"]) == ("APPROVE", "Rita (HTTP)", "Rita (HTTP)"), a
assert a["heirs"] == [{"nik": "3516137011820099", "name": "Abdul Rohim", "relation": "SPOUSE",
                       "bank": {"bank_code": "008", "account": "1234567", "name": "Abdul Rohim"}}], a
assert (c["action"], c["identity"]) == ("CONFIRM", "Budi (HTTP)"), c
PY
expect 200 - - GET "/v1/claims/$nonik" rita-secret
expect 200 - - POST "/v1/claims/$bpu/review" budi-secret '{"action":"reject","by":"Budi","note":"arrears unpaid"}'
json_get "$T_DIR/body" 'j["state"]' | grep -qx REJECTED || fail "HTTP reject: $(cat "$T_DIR/body")"
expect 409 NOT_REVIEWABLE claim_id POST "/v1/claims/$bpu/review" rita-secret '{"action":"approve","by":"Rita"}'
expect 404 NOT_FOUND claim_id POST "/v1/claims/k-000000099999/review" rita-secret '{"action":"confirm","by":"Rita"}'
expect 405 - - GET "/v1/claims/$bpu/review" rita-secret
pass "HTTP: GET /v1/review and POST /v1/claims/{id}/review, same checks, roles and typed errors"

# ------------------------------------------ threshold: a high one needs no confirm
stop_klaimd
conf 1000000000000
T_DATA="$T_DIR/data-threshold"   # a fresh store, the same keys
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1
import_demo_registry
late2=$(submit_as rsis late)
[ "$(json_get "$T_DIR/late.decision" 'j["reasons"][0]["code"]')" = REPORT_LATE ] || fail "setup: $(cat "$T_DIR/late.decision")"
as sri review approve "$late2" --by "Sri" --note "report in time" >/dev/null || fail "approve below the threshold"
as sri status --wait 20000 "$late2" >"$T_DIR/late2.status" || fail "status"
python3 - "$T_DIR/late2.status" <<'PY' || fail "approval below the threshold: $(cat "$T_DIR/late2.status")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "APPROVED" and j["total"] > 0, j
assert [r["action"] for r in j["reviews"]] == ["APPROVE"], j["reviews"]
PY
as sri review list >"$T_DIR/list9.jsonl" || fail "review list"
grep -q "$late2" "$T_DIR/list9.jsonl" && fail "an APPROVED claim is still listed for review"
pass "threshold: below review_second_approval_rupiah an approval applies without a confirm"
stop_klaimd
