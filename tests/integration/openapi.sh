#!/usr/bin/env bash
# openapi.sh - daemon/openapi.json against the running gateway: klaimd
# serves the document it was built with at GET /openapi.json, and every
# route of it is called at least once with success and with an error, each
# response (status, Content-Type, JSON body) checked against the document
# by openapi_check.py (JSON Schema 2020-12). Every decision of the public
# acceptance set and of the money cases is read over HTTP and checked too.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh installs it)"
python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null \
    || fail "python3-jsonschema (>= 4, JSON Schema 2020-12) is needed (scripts/install-deps.sh installs it)"
DOC="$(cd "$(dirname "$0")/../.." && pwd)/daemon/openapi.json"
CHECK="$(dirname "$0")/openapi_check.py"
SEEN="$T_DIR/seen"
: >"$SEEN"

tok() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$T_DIR/tokens" <<TOK
$(tok hosp-secret) hospital RS Islam Sakinah
$(tok console-secret) console Dispatch Room
$(tok up-secret) upstream BPJS Upstream
$(tok rev-secret) reviewer Sri Wahyuni
$(tok mon-secret) monitor Prometheus
$(tok admin-secret) admin Operator
TOK
echo "tokens_file = $T_DIR/tokens" >"$T_DIR/klaimd.conf"
start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"
import_demo_registry
U="http://$T_HTTP"

# call WANT METHOD PATH TOKEN [curl args...]: one request; its status must
# be WANT and its response must match the document. The body is left in
# $T_DIR/body.
call() {
    local want=$1 m=$2 p=$3 t=$4; shift 4
    local args=(-s -o "$T_DIR/body" -w '%{http_code} %{content_type}' -X "$m")
    [ -n "$t" ] && args+=(-H "Authorization: Bearer $t")
    [ "$m" = GET ] || [[ "$*" == *Content-Type:* ]] || args+=(-H "Content-Type: application/json")
    local out; out=$(curl "${args[@]}" "$@" "$U$p") || fail "$m $p: curl failed"
    local code=${out%% *} ctype=${out#* }
    [ "$code" = "$want" ] || fail "$m $p: expected $want, got $code $(head -c 400 "$T_DIR/body")"
    python3 "$CHECK" "$DOC" "$m" "$p" "$code" "$ctype" "$T_DIR/body" "$SEEN" || fail "$m $p: see above"
}
# A request the framer refuses (two Content-Length headers): 400 as JSON.
bad_frame() { call 400 GET "$1" "" -H "Content-Length: 0" -H "Content-Length: 1"; }

# The checker itself refuses what the document does not allow.
echo '{"claim_id":"k-000000000001","state":"MAYBE"}' >"$T_DIR/wrong"
python3 "$CHECK" "$DOC" GET /v1/claims/k-000000000001 200 application/json "$T_DIR/wrong" 2>"$T_DIR/wrong.err" \
    && fail "openapi_check.py accepted a decision without its members"
grep -q "does not match the document" "$T_DIR/wrong.err" || fail "openapi_check.py: $(cat "$T_DIR/wrong.err")"
python3 "$CHECK" "$DOC" GET /v1/claims/k-000000000001 418 application/json "$T_DIR/wrong" 2>/dev/null \
    && fail "openapi_check.py accepted an undocumented status"

# The document: served as built, and itself valid OpenAPI 3.1 JSON.
call 200 GET /openapi.json ""
cmp -s "$T_DIR/body" "$DOC" || fail "GET /openapi.json is not daemon/openapi.json"
[ "$(json_get "$T_DIR/body" 'j["openapi"]')" = 3.1.0 ] || fail "not OpenAPI 3.1.0"
bad_frame /openapi.json
for p in /healthz / /index.html /app.js /style.css; do call 200 GET "$p" ""; bad_frame "$p"; done
call 200 GET /metrics mon-secret
call 401 GET /metrics ""
call 403 GET /metrics console-secret
pass "GET /openapi.json is the built document; healthz, console files, metrics match it"

# Claims: every decision of the public acceptance set, over HTTP.
python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.dumps(json.loads(l)["claim"]))' "$KLAIM_SHARED_DIR/domain/cases.jsonl" \
    >"$T_DIR/all.jsonl"
head -1 "$T_DIR/all.jsonl" >"$T_DIR/c1.json"
call 201 POST /v1/claims hosp-secret --data-binary @"$T_DIR/c1.json"
first=$(json_get "$T_DIR/body" 'j["claim_id"]')
call 200 POST /v1/claims hosp-secret --data-binary @"$T_DIR/c1.json"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["event"]["hospital"]="Other"; print(json.dumps(c))' \
    "$T_DIR/c1.json" >"$T_DIR/c1b.json"
call 409 POST /v1/claims hosp-secret --data-binary @"$T_DIR/c1b.json"
call 422 POST /v1/claims hosp-secret --data-binary '{"idempotency_key":5}'
call 400 POST /v1/claims hosp-secret --data-binary '[1]'
call 401 POST /v1/claims "" --data-binary @"$T_DIR/c1.json"
call 403 POST /v1/claims console-secret --data-binary @"$T_DIR/c1.json"
call 403 POST /v1/claims hosp-secret -H "Origin: http://evil.example" --data-binary @"$T_DIR/c1.json"
call 415 POST /v1/claims hosp-secret -H "Content-Type: text/plain" --data-binary @"$T_DIR/c1.json"
call 405 GET /v1/claims hosp-secret
head -c $((20 << 20)) /dev/zero | tr '\0' ' ' >"$T_DIR/big"
call 413 POST /v1/claims hosp-secret --data-binary @"$T_DIR/big"
tail -n +2 "$T_DIR/all.jsonl" >"$T_DIR/rest.jsonl"
ctl submit --wait --inflight 4 "$T_DIR/rest.jsonl" >"$T_DIR/decided.jsonl" || fail "ctl submit --wait"
ids=$(python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["claim_id"])' "$T_DIR/decided.jsonl")
[ "$(wc -l <"$T_DIR/decided.jsonl")" -ge 29 ] || fail "expected 29 more decisions, got $(wc -l <"$T_DIR/decided.jsonl")"
# The money cases (docs/money.md) one at a time, so follow-ups are netted.
python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.dumps(json.loads(l)["claim"]))' "$KLAIM_SHARED_DIR/domain/cases-money.jsonl" \
    >"$T_DIR/money.jsonl"
ctl submit --wait --inflight 1 "$T_DIR/money.jsonl" >>"$T_DIR/decided.jsonl" || fail "ctl submit --wait (money)"
ids=$(python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["claim_id"])' "$T_DIR/decided.jsonl")
: >"$T_DIR/all-bodies"
for id in $first $ids; do call 200 GET "/v1/claims/$id" up-secret; cat "$T_DIR/body" >>"$T_DIR/all-bodies"; done
grep -q '"payees"' "$T_DIR/all-bodies" || fail "no decision read over HTTP has payees: their schema went unchecked"
call 404 GET /v1/claims/k-000000099999 admin-secret
call 400 GET /v1/claims/nonsense admin-secret
call 403 GET "/v1/claims/$first" console-secret
call 405 POST "/v1/claims/$first" admin-secret --data-binary '{}'
pass "POST /v1/claims and GET /v1/claims/{id}: $(($(echo "$ids" | wc -l) + 1)) decisions and every error match"

# Review: the queue, a reject with a note, what cannot be reviewed.
call 200 GET "/v1/review?limit=2" rev-secret
[ "$(json_get "$T_DIR/body" 'len(j["decisions"]), j["more"]')" = "(2, True)" ] || fail "review page: $(cat "$T_DIR/body")"
call 200 GET /v1/review rev-secret
pending=$(json_get "$T_DIR/body" 'j["decisions"][0]["claim_id"]')
call 400 GET "/v1/review?limit=0" rev-secret
call 403 GET /v1/review hosp-secret
call 200 POST "/v1/claims/$pending/review" rev-secret --data-binary '{"action":"reject","by":"Sri Wahyuni","note":"no proof"}'
[ "$(json_get "$T_DIR/body" 'j["state"], j["reviews"][0]["action"]')" = "('REJECTED', 'REJECT')" ] \
    || fail "review reject: $(cat "$T_DIR/body")"
call 409 POST "/v1/claims/$pending/review" rev-secret --data-binary '{"action":"reject","by":"Sri","note":"again"}'
call 400 POST "/v1/claims/$pending/review" rev-secret --data-binary '{"action":"frobnicate","by":"Sri"}'
call 403 POST "/v1/claims/$pending/review" hosp-secret --data-binary '{"action":"reject","by":"x","note":"y"}'
pass "GET /v1/review and POST /v1/claims/{id}/review match"

# Reports.
call 200 GET "/v1/reports/claims?from=2015-01-01" up-secret
[ "$(json_get "$T_DIR/body" 'len(j["rows"]) > 0')" = True ] || fail "claims report has no rows"
call 200 GET "/v1/reports/claims?from=2015-01-01&to=2026-12-31&by=event" console-secret
call 400 GET "/v1/reports/claims?by=payday" up-secret
call 200 GET "/v1/reports/coverage?as_of=2026-10-31" up-secret
[ "$(json_get "$T_DIR/body" 'len(j["rows"]) > 0')" = True ] || fail "coverage report has no rows"
call 403 GET /v1/reports/coverage hosp-secret
pass "GET /v1/reports/claims and /v1/reports/coverage match"

# Dispatch: cases, the SSE stream, actions.
call 200 GET /v1/dispatch/cases console-secret
cid=$(json_get "$T_DIR/body" 'j["cases"][0]["case_id"]')
call 403 GET /v1/dispatch/cases hosp-secret
curl -sN -m 2 -D "$T_DIR/sse.h" -o "$T_DIR/sse" "$U/v1/dispatch?since=0&access_token=console-secret" || true
grep -qi '^content-type: text/event-stream' "$T_DIR/sse.h" || fail "SSE headers: $(cat "$T_DIR/sse.h")"
grep -q '^HTTP/1.1 200' "$T_DIR/sse.h" && echo "GET /v1/dispatch 200" >>"$SEEN"
python3 -c 'import json,sys
n = [json.loads(l[6:])["seq"] for l in open(sys.argv[1]) if l.startswith("data: ")]
assert n and n == sorted(n), n' "$T_DIR/sse" || fail "SSE data: $(head -c 400 "$T_DIR/sse")"
call 400 GET "/v1/dispatch?since=-4" console-secret
call 401 GET /v1/dispatch ""
call 200 POST "/v1/dispatch/$cid/ack" console-secret --data-binary '{"by":"Sri"}'
call 200 POST "/v1/dispatch/$cid/close" console-secret --data-binary '{"by":"Sri","note":"stable"}'
call 409 POST "/v1/dispatch/$cid/assign" console-secret --data-binary '{"by":"Sri","team":"B"}'
call 404 POST "/v1/dispatch/$cid/frob" console-secret --data-binary '{"by":"Sri"}'
call 400 POST "/v1/dispatch/$cid/ack" console-secret --data-binary '{"by":7}'
pass "GET /v1/dispatch/cases, the SSE stream and POST /v1/dispatch/{case}/{action} match"

python3 "$CHECK" "$DOC" --coverage "$SEEN" || fail "some operation of daemon/openapi.json was not exercised"
pass "every operation of daemon/openapi.json exercised with success and with an error"
stop_klaimd
