#!/usr/bin/env bash
# http.sh - the HTTP gateway (issue 5): every endpoint, bearer tokens and
# roles (403 JSON), bad bodies (invalid JSON, wrong types, 20 MB), and the
# same submit path as ZeroMQ (idempotency, ack after commit).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh installs it)"

tok() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$T_DIR/tokens" <<TOK
# SHA256_HEX ROLE NAME
$(tok hosp-secret) hospital RS Islam Sakinah
$(tok hosp2-secret) hospital RSUD Wahidin
$(tok console-secret) console Dispatch Room
$(tok up-secret) upstream BPJS Upstream
$(tok admin-secret) admin Operator
TOK
echo "tokens_file = $T_DIR/tokens" >"$T_DIR/klaimd.conf"
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/acc.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    c = json.loads(l)["claim"]
    if c["program"] == "JKK" and c["event"]["type"] == "ACCIDENT":
        print(json.dumps(c))
PY
start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"
import_demo_registry
U="http://$T_HTTP"
# req METHOD PATH TOKEN [curl args...]: prints "STATUS BODY" (body on one line).
req() {
    local m=$1 p=$2 t=$3; shift 3
    local auth=(); [ -n "$t" ] && auth=(-H "Authorization: Bearer $t")
    # Bodies go as JSON: anything else is refused 415 (http_safe.sh).
    [ "$m" = GET ] || auth+=(-H "Content-Type: application/json")
    curl -s -o "$T_DIR/body" -w '%{http_code}' -X "$m" "${auth[@]}" "$@" "$U$p" >"$T_DIR/code" || echo "curl failed" >"$T_DIR/code"
    echo "$(cat "$T_DIR/code") $(tr -d '\n' <"$T_DIR/body")"
}
expect() { # STATUS ERROR_CODE|- "req args..."
    local want=$1 code=$2; shift 2
    local got; got=$(req "$@")
    [ "${got%% *}" = "$want" ] || fail "$*: expected $want, got $got"
    if [ "$code" != - ]; then
        echo "${got#* }" | python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]==sys.argv[1] and "message" in e and "field" in e, e' "$code" \
            || fail "$*: expected error $code, got $got"
    fi
}

expect 200 - GET /healthz ""
expect 200 - GET / ""
expect 200 - GET /app.js ""
expect 404 NOT_FOUND GET /no-such-page ""
expect 401 UNAUTHENTICATED GET /metrics ""
expect 401 UNAUTHENTICATED GET /metrics wrong-token
expect 403 FORBIDDEN GET /metrics console-secret
got=$(req GET /metrics admin-secret)
for m in klaimd_claims klaimd_queue_depth klaimd_committed_ops_total klaimd_worker_restarts_total klaimd_feed_seq \
         klaimd_http_request_duration_seconds_bucket klaimd_feed_publish_delay_seconds_count; do
    grep -q "$m" "$T_DIR/body" || fail "/metrics lacks $m"
done
pass "healthz, console page, metrics (admin only), 401/403 as JSON"

# POST /v1/claims: same path as ZeroMQ.
head -1 "$T_DIR/acc.jsonl" >"$T_DIR/c1.json"
expect 403 FORBIDDEN POST /v1/claims console-secret --data-binary @"$T_DIR/c1.json"
expect 403 FORBIDDEN POST /v1/claims up-secret --data-binary @"$T_DIR/c1.json"
expect 201 - POST /v1/claims hosp-secret --data-binary @"$T_DIR/c1.json"
id=$(json_get "$T_DIR/body" 'j["claim_id"]')
[ "$(json_get "$T_DIR/body" 'j["duplicate"]')" = False ] || fail "first submit marked duplicate"
[ "$(db "SELECT owner FROM claims WHERE id = ${id#k-}")" = "token:$(tok hosp-secret | cut -c1-16)" ] \
    || fail "owner is not the token's hash prefix: $(db "SELECT owner FROM claims WHERE id = ${id#k-}")"
expect 200 - POST /v1/claims hosp-secret --data-binary @"$T_DIR/c1.json"
[ "$(json_get "$T_DIR/body" 'j["claim_id"]')" = "$id" ] || fail "repeat got another id"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["event"]["hospital"]="Other"; print(json.dumps(c))' \
    "$T_DIR/c1.json" >"$T_DIR/c1b.json"
expect 409 IDEMPOTENCY_CONFLICT POST /v1/claims hosp-secret --data-binary @"$T_DIR/c1b.json"
pass "POST /v1/claims: 201 after commit, repeat 200 same id, conflict 409, roles"

# The durability histograms: one new claim acked (the repeat and the
# conflict are not new claims), and at least its commit and its sync.
req GET /metrics admin-secret >/dev/null
python3 - "$T_DIR/body" <<'PY' || fail "/metrics histograms: $(grep -E '_(count|bucket\{le="\+Inf"\})' "$T_DIR/body")"
import re, sys
text = open(sys.argv[1]).read()
def hist(name):
    buckets = [int(v) for v in re.findall(r"^%s_bucket\{le=\"[^\"]+\"\} (\d+)$" % name, text, re.M)]
    count = int(re.search(r"^%s_count (\d+)$" % name, text, re.M).group(1))
    assert len(buckets) == 16 and buckets == sorted(buckets) and buckets[-1] == count, (name, buckets, count)
    return count
assert hist("klaimd_claim_ack_delay_seconds") == 1
assert hist("klaimd_commit_duration_seconds") >= 1
assert hist("klaimd_wal_sync_duration_seconds") >= 1
PY
pass "/metrics: claim ack delay, commit and WAL sync duration histograms"

# Bad bodies: every one a 4xx JSON error, never 5xx or a dropped connection.
expect 400 BAD_REQUEST POST /v1/claims hosp-secret --data-binary '{"idempotency_key":'
expect 400 BAD_REQUEST POST /v1/claims hosp-secret --data-binary '[1,2]'
expect 400 BAD_REQUEST POST /v1/claims hosp-secret
expect 400 BAD_REQUEST POST /v1/claims hosp-secret --data-binary $'\xff\xfe'
expect 422 INVALID_CLAIM POST /v1/claims hosp-secret --data-binary '{"idempotency_key":5}'
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["outcome"]={"expenses":{"medical":12.5}}; c["idempotency_key"]="HTTP-X"; print(json.dumps(c))' \
    "$T_DIR/c1.json" >"$T_DIR/real.json"
expect 422 INVALID_CLAIM POST /v1/claims hosp-secret --data-binary @"$T_DIR/real.json"
grep -q "outcome.expenses.medical" "$T_DIR/body" || fail "wrong type not named: $(cat "$T_DIR/body")"
head -c $((20 << 20)) /dev/zero | tr '\0' ' ' >"$T_DIR/big"
expect 413 TOO_LARGE POST /v1/claims hosp-secret --data-binary @"$T_DIR/big"
expect 405 METHOD_NOT_ALLOWED GET /v1/claims hosp-secret
expect 200 - GET /healthz ""
pass "bad bodies: invalid JSON, not an object, empty, wrong types, 20 MB -> 4xx JSON; klaimd still up"

# GET /v1/claims/{id}: own claims for hospitals, all for upstream/admin.
for _ in $(seq 1 100); do
    req GET "/v1/claims/$id" hosp-secret >/dev/null
    [ "$(json_get "$T_DIR/body" 'j["state"]')" = APPROVED ] && break; sleep 0.1
done
[ "$(json_get "$T_DIR/body" 'j["claim_id"]')" = "$id" ] || fail "GET claim: $(cat "$T_DIR/body")"
expect 200 - GET "/v1/claims/$id" up-secret
expect 404 NOT_FOUND GET "/v1/claims/$id" hosp2-secret
expect 403 FORBIDDEN GET "/v1/claims/$id" console-secret
expect 400 BAD_REQUEST GET /v1/claims/nonsense admin-secret
expect 404 NOT_FOUND GET /v1/claims/k-000000099999 admin-secret
pass "GET /v1/claims/{id}: own claims only for a hospital, 403 for console"

# Dispatch: cases, SSE, actions.
expect 403 FORBIDDEN GET /v1/dispatch/cases hosp-secret
expect 200 - GET /v1/dispatch/cases console-secret
cid=$(json_get "$T_DIR/body" 'j["cases"][0]["case_id"]')
head=$(json_get "$T_DIR/body" 'j["head"]')
expect 403 FORBIDDEN GET "/v1/dispatch?since=0" hosp-secret
curl -sN -m 3 -H "Authorization: Bearer console-secret" "$U/v1/dispatch?since=0" >"$T_DIR/sse" || true
python3 - "$T_DIR/sse" "$head" <<'PY' || fail "SSE: $(head -c 600 "$T_DIR/sse")"
import json, sys
ids = [int(l[4:]) for l in open(sys.argv[1]) if l.startswith("id: ")]
data = [json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("data: ")]
assert ids == list(range(1, int(sys.argv[2]) + 1)), ids
assert [d["seq"] for d in data] == ids
PY
curl -sN -m 2 -H "Authorization: Bearer console-secret" -H "Last-Event-ID: 1" "$U/v1/dispatch" >"$T_DIR/sse2" || true
[ "$(grep -m1 '^id: ' "$T_DIR/sse2")" = "id: 2" ] || fail "Last-Event-ID not honoured: $(head -c 300 "$T_DIR/sse2")"
curl -sN -m 2 "$U/v1/dispatch?since=1&access_token=console-secret" >"$T_DIR/sse3" || true
grep -q '^id: 2' "$T_DIR/sse3" || fail "access_token query parameter refused"
expect 400 BAD_REQUEST GET "/v1/dispatch?since=-4" console-secret
pass "SSE: id = seq from since / Last-Event-ID, console only"

expect 403 FORBIDDEN POST "/v1/dispatch/$cid/ack" hosp-secret --data-binary '{"by":"x"}'
expect 400 BAD_REQUEST POST "/v1/dispatch/$cid/ack" console-secret --data-binary '{}'
expect 400 BAD_REQUEST POST "/v1/dispatch/$cid/ack" console-secret --data-binary '{"by":7}'
expect 404 NOT_FOUND POST "/v1/dispatch/c-000000009999/ack" console-secret --data-binary '{"by":"Sri"}'
expect 404 NOT_FOUND POST "/v1/dispatch/$cid/frob" console-secret --data-binary '{"by":"Sri"}'
expect 200 - POST "/v1/dispatch/$cid/ack" console-secret --data-binary '{"by":"Sri"}'
[ "$(json_get "$T_DIR/body" 'j["changed"], j["case"]["state"], j["case"]["acked"]["by"]')" = "(True, 'ACKED', 'Sri')" ] \
    || fail "ack: $(cat "$T_DIR/body")"
expect 200 - POST "/v1/dispatch/$cid/ack" console-secret --data-binary '{"by":"Budi"}'
[ "$(json_get "$T_DIR/body" 'j["changed"], j["case"]["acked"]["by"]')" = "(False, 'Sri')" ] || fail "ack twice changed it"
expect 400 BAD_REQUEST POST "/v1/dispatch/$cid/assign" console-secret --data-binary '{"by":"Sri"}'
expect 200 - POST "/v1/dispatch/$cid/assign" console-secret --data-binary '{"by":"Sri","team":"Ambulans 2"}'
expect 200 - POST "/v1/dispatch/$cid/assign" console-secret --data-binary '{"by":"Sri","team":"Ambulans 2"}'
[ "$(json_get "$T_DIR/body" 'j["changed"]')" = False ] || fail "assign twice changed it"
expect 400 BAD_REQUEST POST "/v1/dispatch/$cid/close" console-secret --data-binary '{"by":"Sri"}'
expect 200 - POST "/v1/dispatch/$cid/close" admin-secret --data-binary '{"by":"Sri","note":"taken to RSUD, stable"}'
expect 200 - POST "/v1/dispatch/$cid/close" admin-secret --data-binary '{"by":"Sri","note":"again"}'
[ "$(json_get "$T_DIR/body" 'j["changed"], j["case"]["closed"]["note"]')" = "(False, 'taken to RSUD, stable')" ] \
    || fail "close twice: $(cat "$T_DIR/body")"
expect 409 CASE_IS_CLOSED POST "/v1/dispatch/$cid/assign" console-secret --data-binary '{"by":"Sri","team":"B"}'
[ "$(db 'SELECT group_concat(type) FROM events WHERE type IN (4,5,6)')" = "4,5,6" ] || fail "action events"
[ "$(db "SELECT json_extract(payload, '\$.client') FROM events WHERE type = 6")" = "Operator" ] || fail "who closed"
pass "dispatch actions: roles, idempotent ack/assign/close recorded with who and when"
stop_klaimd
