#!/usr/bin/env bash
# http_strict.sh - hostile HTTP framing: every request klaimd refuses gets
# one reply, klaimd's JSON error (never libevent's HTML page), and the
# connection closes; a body announced but not sent times out after
# http_body_timeout_ms. Raw bytes over a real socket (python3), because
# curl cannot send most of these.
source "$(dirname "$0")/lib.sh"

echo "http_body_timeout_ms = 1500" >"$T_DIR/klaimd.conf"
start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"

# raw LABEL HOLD_S [BYTES as a printf format...]: sends the bytes, waits up to
# HOLD_S seconds for klaimd to answer and close; writes "STATUS SECONDS" to
# $T_DIR/status and the body to $T_DIR/body. STATUS is "none" without a reply.
raw() {
    local hold=$1; shift
    python3 - "$T_HTTP_PORT" "$hold" "$(printf "$@"; printf .)" >"$T_DIR/raw.out" <<'PY'
import socket, sys, time
# the "." keeps $(...) from eating trailing newlines
port, hold, data = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3][:-1].encode("latin-1")
s = socket.create_connection(("127.0.0.1", port))
t0 = time.monotonic()
s.sendall(data)
s.settimeout(hold)
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        got += b
except socket.timeout:
    pass
took = time.monotonic() - t0
if not got:
    print("none %.1f" % took); print(""); sys.exit(0)
head, _, body = got.partition(b"\r\n\r\n")
print(head.split(b" ")[1].decode(), "%.1f" % took)
print(head.decode("latin-1").replace("\r\n", " | "))
print(body.decode("latin-1").strip())
PY
    sed -n 1p "$T_DIR/raw.out" >"$T_DIR/status"
    sed -n 2p "$T_DIR/raw.out" >"$T_DIR/head"
    sed -n '3,$p' "$T_DIR/raw.out" >"$T_DIR/body"
}
# expect_raw STATUS CODE WHAT -- printf-args: one JSON error reply with CODE.
expect_raw() {
    local want=$1 code=$2 what=$3; shift 4
    raw 5 "$@"
    read -r got took <"$T_DIR/status"
    [ "$got" = "$want" ] || fail "$what: expected $want, got $got ($(cat "$T_DIR/head") $(head -c 300 "$T_DIR/body"))"
    grep -qi "Content-Type: application/json" "$T_DIR/head" || fail "$what: not JSON: $(cat "$T_DIR/head")"
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]==sys.argv[2] and e["message"], e' \
        "$T_DIR/body" "$code" || fail "$what: expected JSON error $code, got $(head -c 300 "$T_DIR/body")"
    pass "$what -> $want $code ($(json_get "$T_DIR/body" 'j["error"]["message"]' | cut -c1-70))"
}

P='POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
# request smuggling: framing a proxy could read differently
expect_raw 400 BAD_REQUEST "two Content-Length (2 and 5)" -- "${P}Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}abc"
expect_raw 400 BAD_REQUEST "two equal Content-Length" -- "${P}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
expect_raw 400 BAD_REQUEST "a Content-Length list" -- "${P}Content-Length: 2, 2\r\n\r\n{}"
expect_raw 400 BAD_REQUEST "Content-Length with Transfer-Encoding" -- \
    "${P}Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
expect_raw 400 BAD_REQUEST "Transfer-Encoding: gzip, chunked" -- "${P}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
expect_raw 400 BAD_REQUEST "a negative Content-Length" -- "${P}Content-Length: -1\r\n\r\n"
expect_raw 400 BAD_REQUEST "whitespace before the colon" -- "${P}Content-Length : 2\r\n\r\n{}"
expect_raw 400 BAD_REQUEST "a folded header" -- "${P}X-A: 1\r\n  folded\r\nContent-Length: 2\r\n\r\n{}"
expect_raw 400 BAD_REQUEST "bare LF line ends" -- 'GET /healthz HTTP/1.1\nHost: x\n\n'
# chunk sizes (they used to get 413)
expect_raw 400 BAD_REQUEST "chunk size zz" -- "${P}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
expect_raw 400 BAD_REQUEST "chunk size -2" -- "${P}Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n"
expect_raw 400 BAD_REQUEST "chunk size 0x2" -- "${P}Transfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n"
expect_raw 400 BAD_REQUEST "a 17-digit chunk size" -- "${P}Transfer-Encoding: chunked\r\n\r\n10000000000000002\r\n{}\r\n0\r\n\r\n"
expect_raw 400 BAD_REQUEST "chunk longer than its size" -- "${P}Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n"
expect_raw 413 TOO_LARGE "a chunked body over the limit" -- "${P}Transfer-Encoding: chunked\r\n\r\n200000\r\n"
expect_raw 413 TOO_LARGE "Content-Length over the limit" -- "${P}Content-Length: 40000000\r\n\r\n"
# request line, method, headers: these were libevent's HTML pages
expect_raw 400 BAD_REQUEST "a garbage request line" -- 'HELLO\r\n\r\n'
expect_raw 405 METHOD_NOT_ALLOWED "method FOO" -- 'FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
expect_raw 405 METHOD_NOT_ALLOWED "method CONNECT" -- 'CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n'
expect_raw 505 BAD_REQUEST "HTTP/2.0 in the request line" -- 'GET /healthz HTTP/2.0\r\n\r\n'
expect_raw 400 BAD_REQUEST "a space in the target" -- 'GET /a b HTTP/1.1\r\n\r\n'
expect_raw 400 BAD_REQUEST "a bad %-escape" -- 'GET /%%zz HTTP/1.1\r\n\r\n'
expect_raw 400 BAD_REQUEST "a header without a colon" -- 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'
expect_raw 400 BAD_REQUEST "two Host headers" -- 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
expect_raw 400 BAD_REQUEST "a body on HEAD" -- 'HEAD /healthz HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc'
expect_raw 417 BAD_REQUEST "Expect: something-else" -- "${P}Expect: magic\r\nContent-Length: 2\r\n\r\n{}"
big=$(head -c 20000 /dev/zero | tr '\0' a)
expect_raw 431 TOO_LARGE "a 20 kB header" -- "GET /healthz HTTP/1.1\r\nX-Big: $big\r\n\r\n"

# a body announced but not sent: 408 after http_body_timeout_ms (1.5 s here), not 60 s
raw 10 "${P}Content-Length: 40000\r\n\r\n{\"a\":"
read -r got took <"$T_DIR/status"
[ "$got" = 408 ] || fail "an announced body never sent: expected 408, got $got after ${took}s"
python3 -c "import sys; sys.exit(0 if 1.3 <= $took <= 4 else 1)" || fail "the body timeout took ${took}s (http_body_timeout_ms = 1500)"
json_get "$T_DIR/body" 'j["error"]["code"]' | grep -qx TIMEOUT || fail "408 body: $(cat "$T_DIR/body")"
pass "Content-Length: 40000 with 5 bytes sent: 408 TIMEOUT JSON after ${took}s"
raw 10 'GET /healthz HTTP/1.1\r\nHost: x\r\n'
read -r got took <"$T_DIR/status"
[ "$got" = 408 ] || fail "a head never finished: expected 408, got $got after ${took}s"
pass "an unfinished head: 408 after ${took}s"

# good requests still work: pipelined, chunked, Expect: 100-continue, HTTP/1.0
python3 - "$T_HTTP_PORT" <<'PY' || fail "two pipelined requests did not both get 200"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
s.settimeout(5)
got = b""
while True:
    b = s.recv(65536)
    if not b: break
    got += b
assert got.count(b"HTTP/1.1 200") == 2, got
PY
raw 3 'GET /healthz HTTP/1.0\r\n\r\n'
read -r got took <"$T_DIR/status"
[ "$got" = 200 ] || fail "HTTP/1.0 GET: $got"
raw 3 "${P}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n{\r\n1;x=y\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n"
read -r got took <"$T_DIR/status"
[ "$got" = 422 ] || fail "a chunked {} claim: expected 422 (an empty claim), got $got $(cat "$T_DIR/body")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' -H 'Content-Type: application/json' \
    --data-binary '{}' "http://$T_HTTP/v1/claims")
[ "$code" = 422 ] || fail "curl with Expect: 100-continue: $code"
code=$(curl -s -o "$T_DIR/app.js" -w '%{http_code}' "http://$T_HTTP/app.js")
[ "$code" = 200 ] && [ "$(wc -c <"$T_DIR/app.js")" -gt 1000 ] || fail "GET /app.js after all that: $code"
kill -0 "$T_PID" || fail "klaimd died"
pass "pipelined, HTTP/1.0, chunked with extension and trailer, Expect: 100-continue: all answered"
stop_klaimd
