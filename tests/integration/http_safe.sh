#!/usr/bin/env bash
# http_safe.sh - safe HTTP defaults (issue 16): a web page of another origin
# cannot act through a browser on the host (Origin, Sec-Fetch-Site: 403;
# a body that is not application/json: 415), the console's own origin and
# a plain JSON client still can; the monitor role reads /metrics only;
# tokens_file is reloaded on SIGHUP (an added token works, a removed one is
# refused, its open SSE stream ends, a bad file keeps the running tokens);
# every refusal is one access-log line with its status.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh installs it)"

python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/acc.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    c = json.loads(l)["claim"]
    if c["program"] == "JKK" and c["event"]["type"] == "ACCIDENT":
        print(json.dumps(c))
PY
U="http://$T_HTTP"
# req METHOD PATH [curl args...]: prints "STATUS BODY" (body on one line).
req() {
    local m=$1 p=$2; shift 2
    curl -s -o "$T_DIR/body" -w '%{http_code}' -X "$m" "$@" "$U$p" >"$T_DIR/code" || echo "curl failed" >"$T_DIR/code"
    echo "$(cat "$T_DIR/code") $(tr -d '\n' <"$T_DIR/body")"
}
# expect STATUS ERROR_CODE|- FIELD|- METHOD PATH [curl args...]
expect() {
    local want=$1 code=$2 field=$3; shift 3
    local got; got=$(req "$@")
    [ "${got%% *}" = "$want" ] || fail "$*: expected $want, got $got"
    if [ "$code" != - ]; then
        echo "${got#* }" | python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]
assert e["code"]==sys.argv[1] and (sys.argv[2]=="-" or e["field"]==sys.argv[2]) and e["message"], e' "$code" "$field" \
            || fail "$*: expected error $code ($field), got $got"
    fi
}
JSON=(-H "Content-Type: application/json")
case_state() { # case_state CASE_ID: its state in GET /v1/dispatch/cases
    curl -fsS "$U/v1/dispatch/cases" "$@" | python3 -c 'import json,sys
j=json.load(sys.stdin); print([c["state"] for c in j["cases"] if c["case_id"]==sys.argv[1]][0])' "$cid"
}

# ------------------------------------------------ no tokens_file (default)
start_klaimd --workers 1
import_demo_registry
head -1 "$T_DIR/acc.jsonl" >"$T_DIR/c1.json"
expect 201 - - POST /v1/claims "${JSON[@]}" --data-binary @"$T_DIR/c1.json"
cid=$(curl -fsS "$U/v1/dispatch/cases" | json_get - 'j["cases"][0]["case_id"]') || fail "no dispatch case"
[ "$(case_state)" = OPEN ] || fail "the new case is $(case_state), not OPEN"

# The finding: a page on evil.example POSTing text/plain (a CORS-simple
# request, no preflight) acked the case. Now 403, with or without a JSON
# content type, and the case is still OPEN with no action event.
expect 403 FORBIDDEN Origin POST "/v1/dispatch/$cid/ack" -H 'Origin: http://evil.example' \
    -H 'Content-Type: text/plain' --data-binary '{"by":"evil"}'
expect 403 FORBIDDEN Origin POST "/v1/dispatch/$cid/ack" -H 'Origin: http://evil.example' "${JSON[@]}" \
    --data-binary '{"by":"evil"}'
expect 403 FORBIDDEN Origin POST "/v1/dispatch/$cid/ack" -H 'Origin: null' "${JSON[@]}" --data-binary '{"by":"evil"}'
# Another port of the same host is another origin.
expect 403 FORBIDDEN Origin POST "/v1/dispatch/$cid/ack" -H "Origin: http://127.0.0.1:1" "${JSON[@]}" \
    --data-binary '{"by":"evil"}'
expect 403 FORBIDDEN Sec-Fetch-Site POST "/v1/dispatch/$cid/ack" -H 'Sec-Fetch-Site: cross-site' "${JSON[@]}" \
    --data-binary '{"by":"evil"}'
expect 403 FORBIDDEN Sec-Fetch-Site POST "/v1/dispatch/$cid/ack" -H 'Sec-Fetch-Site: same-site' "${JSON[@]}" \
    --data-binary '{"by":"evil"}'
expect 415 UNSUPPORTED_MEDIA_TYPE Content-Type POST "/v1/dispatch/$cid/ack" -H 'Content-Type: text/plain' \
    --data-binary '{"by":"evil"}'
expect 415 UNSUPPORTED_MEDIA_TYPE Content-Type POST "/v1/dispatch/$cid/ack" --data-binary '{"by":"evil"}'
expect 415 UNSUPPORTED_MEDIA_TYPE Content-Type POST "/v1/dispatch/$cid/ack" -H 'Content-Type: application/jsonp' \
    --data-binary '{"by":"evil"}'
expect 415 UNSUPPORTED_MEDIA_TYPE Content-Type POST /v1/claims -H 'Content-Type: multipart/form-data; boundary=x' \
    --data-binary @"$T_DIR/c1.json"
[ "$(case_state)" = OPEN ] || fail "a refused request changed the case: $(case_state)"
[ "$(db 'SELECT count(*) FROM events WHERE type IN (4,5,6)')" = 0 ] || fail "a refused request left an action event"
# A GET from anywhere is still answered (reads change nothing).
expect 200 - - GET /v1/dispatch/cases -H 'Origin: http://evil.example' -H 'Sec-Fetch-Site: cross-site'
pass "foreign Origin, Sec-Fetch-Site cross-site/same-site: 403; non-JSON body: 415; the case stays OPEN"

# The console's own origin (what a browser sends from the page klaimd
# served: Origin = http://Host, Sec-Fetch-Site: same-origin) is accepted.
expect 200 - - POST "/v1/dispatch/$cid/ack" -H "Origin: http://$T_HTTP" -H 'Sec-Fetch-Site: same-origin' \
    -H 'Content-Type: application/json; charset=UTF-8' --data-binary '{"by":"Sri"}'
[ "$(case_state)" = ACKED ] || fail "the console's ack did not ack: $(case_state)"
# A script (curl, klaimctl-like) with the JSON content type and no Origin.
expect 200 - - POST "/v1/dispatch/$cid/assign" "${JSON[@]}" --data-binary '{"by":"Sri","team":"Ambulans 2"}'
[ "$(case_state)" = ASSIGNED ] || fail "the JSON assign did not assign: $(case_state)"
# An empty-bodied POST needs no content type; it meets the usual 400.
expect 400 BAD_REQUEST - POST "/v1/dispatch/$cid/close"
pass "the console's own origin and a JSON client without Origin act; empty body 400"

# The console page itself sends the JSON content type on its POSTs.
curl -fsS "$U/app.js" >"$T_DIR/app.js" || fail "GET /app.js"
grep -q "'Content-Type'\] = 'application/json'" "$T_DIR/app.js" || fail "app.js does not send Content-Type: application/json"

# Every refusal is one access-log line: method, path, status, identity, duration.
grep -qE "http: POST /v1/dispatch/$cid/ack 403 \"local\" [0-9.]+ms" "$T_LOG" || fail "no access line for the 403"
grep -qE "http: POST /v1/dispatch/$cid/ack 415 \"local\" [0-9.]+ms" "$T_LOG" || fail "no access line for the 415"
grep -qE "http: POST /v1/dispatch/$cid/ack 200 \"local\" [0-9.]+ms" "$T_LOG" || fail "no access line for the 200"
[ "$(grep -cE "http: POST /v1/dispatch/$cid/ack 403 " "$T_LOG")" = 6 ] || fail "not one line per 403: $(grep -c "ack 403" "$T_LOG")"
pass "access log: one line per request, refusals with their status"
stop_klaimd

# --------------------------------------------------------- with tokens_file
tok() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$T_DIR/tokens" <<TOK
$(tok prom-secret) monitor Prometheus
$(tok admin-secret) admin Operator
$(tok old-secret) console Dispatch Old
TOK
cat >"$T_DIR/klaimd.conf" <<CONF
tokens_file = $T_DIR/tokens
http_allowed_origins = https://ops.example:8443 https://other.example
CONF
start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"
ADMIN=(-H "Authorization: Bearer admin-secret")
PROM=(-H "Authorization: Bearer prom-secret")
id=$(db "SELECT 'k-' || printf('%012d', min(id)) FROM claims")

expect 200 - - GET /metrics "${PROM[@]}"
grep -q '^klaimd_feed_seq ' "$T_DIR/body" || fail "the monitor's /metrics has no klaimd_feed_seq"
expect 200 - - GET /healthz "${PROM[@]}"
expect 403 FORBIDDEN - GET "/v1/claims/$id" "${PROM[@]}"
grep -q 'monitor reads GET /metrics' "$T_DIR/body" || fail "the 403 does not say what a monitor may do: $(cat "$T_DIR/body")"
expect 403 FORBIDDEN - GET /v1/dispatch/cases "${PROM[@]}"
expect 403 FORBIDDEN - POST /v1/claims "${PROM[@]}" "${JSON[@]}" --data-binary @"$T_DIR/c1.json"
expect 403 FORBIDDEN - GET "/v1/dispatch?since=0" "${PROM[@]}"
expect 200 - - GET /metrics "${ADMIN[@]}"
expect 403 FORBIDDEN - GET /metrics -H "Authorization: Bearer old-secret"
expect 401 UNAUTHENTICATED - GET /metrics
grep -qE "http: GET /v1/claims/$id 403 \"Prometheus\" [0-9.]+ms" "$T_LOG" || fail "no access line for the monitor's 403"
grep -qE "http: GET /metrics 401 - [0-9.]+ms" "$T_LOG" || fail "no access line for the 401"
grep -qE "http: GET /metrics 200 \"Prometheus\" [0-9.]+ms" "$T_LOG" || fail "no access line for the monitor's scrape"
pass "monitor: /metrics and /healthz, 403 elsewhere; refusals logged with identity"

# A token does not make a foreign page safe: the browser guard runs for
# every token; a listed origin may POST (even cross-site).
cid=$(curl -fsS "$U/v1/dispatch/cases" "${ADMIN[@]}" | json_get - 'j["cases"][0]["case_id"]') || fail "no case"
expect 403 FORBIDDEN Origin POST "/v1/dispatch/$cid/close" "${ADMIN[@]}" -H 'Origin: https://evil.example' \
    "${JSON[@]}" --data-binary '{"by":"x","note":"x"}'
expect 415 UNSUPPORTED_MEDIA_TYPE - POST "/v1/dispatch/$cid/close" "${ADMIN[@]}" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary '{"by":"x","note":"x"}'
[ "$(case_state "${ADMIN[@]}")" = ASSIGNED ] || fail "a refused close changed the case"
expect 200 - - POST "/v1/dispatch/$cid/close" "${ADMIN[@]}" -H 'Origin: https://ops.example:8443' \
    -H 'Sec-Fetch-Site: cross-site' "${JSON[@]}" --data-binary '{"by":"Sri","note":"closed from the ops console"}'
pass "with tokens: foreign Origin 403, form body 415, an http_allowed_origins origin may POST"

# SIGHUP reloads tokens_file: add new-secret, drop old-secret.
OLD=(-H "Authorization: Bearer old-secret")
NEW=(-H "Authorization: Bearer new-secret")
expect 200 - - GET /v1/dispatch/cases "${OLD[@]}"
expect 401 UNAUTHENTICATED - GET /v1/dispatch/cases "${NEW[@]}"
curl -sN -m 30 "$U/v1/dispatch?since=0" "${OLD[@]}" >"$T_DIR/sse_old" 2>/dev/null &
sse_pid=$!
for _ in $(seq 1 50); do grep -q '^retry:' "$T_DIR/sse_old" 2>/dev/null && break; sleep 0.1; done
grep -q '^retry:' "$T_DIR/sse_old" || fail "the old token's SSE stream did not start"
cat >"$T_DIR/tokens.next" <<TOK
$(tok prom-secret) monitor Prometheus
$(tok admin-secret) admin Operator
$(tok new-secret) console Dispatch New
TOK
mv "$T_DIR/tokens.next" "$T_DIR/tokens"
pid=$T_PID
kill -HUP "$pid"
for _ in $(seq 1 50); do grep -q 'reload: 3 HTTP bearer tokens' "$T_LOG" && break; sleep 0.1; done
grep -q 'reload: 3 HTTP bearer tokens' "$T_LOG" || fail "no reload line for the tokens"
[ "$pid" = "$T_PID" ] && kill -0 "$pid" || fail "klaimd is not the same running process after SIGHUP"
expect 200 - - GET /v1/dispatch/cases "${NEW[@]}"
expect 401 UNAUTHENTICATED - GET /v1/dispatch/cases "${OLD[@]}"
expect 401 UNAUTHENTICATED - GET "/v1/dispatch?since=0" "${OLD[@]}"
for _ in $(seq 1 50); do kill -0 "$sse_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sse_pid" 2>/dev/null; then kill "$sse_pid"; fail "the removed token's SSE stream was not ended"; fi
wait "$sse_pid" || true
grep -q 'ending the dispatch stream of "Dispatch Old"' "$T_LOG" || fail "the ended stream is not logged"
pass "SIGHUP: an added token works, a removed one gets 401 and its stream ends, no restart"

# A bad tokens file on reload: logged, the running tokens kept.
printf '%s\n' "$(tok x) monitor" "not a token line" >"$T_DIR/tokens"
n=$(grep -c 'keeping the running HTTP tokens' "$T_LOG" || true)
kill -HUP "$T_PID"
for _ in $(seq 1 50); do [ "$(grep -c 'keeping the running HTTP tokens' "$T_LOG")" -gt "$n" ] && break; sleep 0.1; done
grep -E "reload: tokens_file $T_DIR/tokens: line 1: .*keeping the running HTTP tokens" "$T_LOG" >/dev/null \
    || fail "the bad tokens file was not logged with its line"
expect 200 - - GET /v1/dispatch/cases "${NEW[@]}"
expect 200 - - GET /metrics "${PROM[@]}"
expect 401 UNAUTHENTICATED - GET /v1/dispatch/cases "${OLD[@]}"
pass "SIGHUP with a bad tokens file: logged with its line, the running tokens kept"
stop_klaimd

# A bad http_allowed_origins is a config error (exit 78) naming the value.
printf 'http_allowed_origins = https://ok.example ops.example/path\n' >"$T_DIR/bad.conf"
rc=0
"$KLAIMD" --data-dir "$T_DATA" --intake-endpoint "$T_EP" --feed-endpoint "$T_FEED_EP" --http-listen "$T_HTTP" \
    --config "$T_DIR/bad.conf" >"$T_DIR/bad.out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "a bad http_allowed_origins exited $rc, not 78"
grep -q 'http_allowed_origins: "ops.example/path" is not an origin' "$T_DIR/bad.out" \
    || fail "the error does not name the bad origin: $(cat "$T_DIR/bad.out")"
pass "a bad http_allowed_origins: exit 78 naming it"
