#!/usr/bin/env bash
# bad_input.sh - klaimd and klaimctl refuse bad input with the right typed
# error or exit code, store nothing for it, and keep serving afterwards.
#
# Owns: the bad-input integration test (it_bad_input). Runs under ctest with
# the environment of integration.cmake plus RAWSEND (tests/integration/
# rawsend.c: sends one raw frame, prints the Reply as JSON).
# Checks: malformed frames on the wire (garbage, empty, too large, truncated,
# wrong version, no body, unknown enum, two frames); bad claim files through
# klaimctl (exit 65 naming the field); an unknown participant is stored and
# REJECTED; an unreachable klaimd (69); klaimd's own usage (64) and
# configuration (78) errors.
source "$(dirname "$0")/lib.sh"
: "${RAWSEND:?set RAWSEND to the rawsend test tool}"

# raw MODE [ARG]: one raw request; the Reply JSON lands in $T_DIR/raw.json.
raw() {
    local rc=0
    "$RAWSEND" "$T_EP" "$@" >"$T_DIR/raw.json" 2>"$T_DIR/raw.err" || rc=$?
    [ "$rc" -eq 0 ] || fail "rawsend $* got no reply (exit $rc): $(cat "$T_DIR/raw.err")"
}
raw_get() { json_get "$T_DIR/raw.json" "$1"; }

# expect_error MODE [ARG] -- CODE [FIELD]: the reply is an error with CODE
# (and FIELD when given).
expect_error() {
    local args=()
    while [ "$1" != "--" ]; do args+=("$1"); shift; done
    shift
    local code=$1 field=${2-}
    raw "${args[@]}"
    local body got
    body=$(raw_get 'j["body"]')
    [ "$body" = "error" ] || fail "rawsend ${args[*]}: expected an error reply, got $(cat "$T_DIR/raw.json")"
    got=$(raw_get 'j["code"]')
    [ "$got" = "$code" ] || fail "rawsend ${args[*]}: expected $code, got $(cat "$T_DIR/raw.json")"
    if [ -n "$field" ]; then
        got=$(raw_get 'j["field"]')
        [ "$got" = "$field" ] || fail "rawsend ${args[*]}: expected field $field, got $(cat "$T_DIR/raw.json")"
    fi
    [ -n "$(raw_get 'j["message"]')" ] || fail "rawsend ${args[*]}: error without a message"
    pass "${args[*]} -> $code${field:+ ($field)}"
}

# ctl_rc EXPECTED NAME ARGS...: klaimctl exits with EXPECTED; its stderr is
# kept in $T_DIR/ctl.err, stdout in $T_DIR/ctl.out.
ctl_rc() {
    local want=$1 name=$2 rc=0
    shift 2
    timeout 60 "$KLAIMCTL" "$@" >"$T_DIR/ctl.out" 2>"$T_DIR/ctl.err" || rc=$?
    [ "$rc" -eq "$want" ] || fail "$name: klaimctl $* exited $rc, expected $want; stderr: $(cat "$T_DIR/ctl.err")"
}

# klaimd_rc EXPECTED NAME ARGS...: klaimd (not meant to start) exits with
# EXPECTED within 20 s; stderr in $T_DIR/klaimd.err.
klaimd_rc() {
    local want=$1 name=$2 rc=0
    shift 2
    timeout 20 "$KLAIMD" "$@" >/dev/null 2>"$T_DIR/klaimd.err" || rc=$?
    [ "$rc" -ne 124 ] || fail "$name: klaimd $* did not exit within 20 s (it should refuse to start)"
    [ "$rc" -eq "$want" ] || fail "$name: klaimd $* exited $rc, expected $want; stderr: $(cat "$T_DIR/klaimd.err")"
}

# claim_variant OUT KEY PYTHON: writes a JSON claim based on cases.jsonl
# line 10 (a JKK claim with expenses) after running PYTHON on it (`c`).
claim_variant() {
    python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" "$1" "$2" "$3" <<'EOF'
import datetime, json, sys
lines = open(sys.argv[1]).read().splitlines()
c = json.loads(lines[9])["claim"]
c["idempotency_key"] = sys.argv[3]
exec(sys.argv[4])
open(sys.argv[2], "w").write(json.dumps(c) + "\n")
EOF
}

start_klaimd --workers 2
import_demo_registry
valid=0

# ------------------------------------------------ malformed frames on the wire
expect_error garbage -- BAD_REQUEST
expect_error empty -- BAD_REQUEST
expect_error size $((2 * 1024 * 1024)) -- TOO_LARGE
# above max_message_bytes * 4 + 64 KiB libzmq used to drop the frame (and the
# connection) without a reply; up to the intake's ceiling (64 MiB) it is
# received and answered
expect_error size $((5 * 1024 * 1024)) -- TOO_LARGE
expect_error size $((60 * 1024 * 1024)) -- TOO_LARGE
# above the ceiling libzmq ends the connection mid-frame: no reply can leave
# (PROTOCOL.md, "Frame sizes"); the client times out, klaimd carries on
rc=0; "$RAWSEND" "$T_EP" size $((65 * 1024 * 1024)) >"$T_DIR/raw.json" 2>"$T_DIR/raw.err" || rc=$?
[ "$rc" -eq 2 ] || fail "a 65 MiB frame: rawsend exit $rc, expected 2 (no reply): $(cat "$T_DIR/raw.json" "$T_DIR/raw.err")"
expect_error size $((5 * 1024 * 1024)) -- TOO_LARGE
pass "65 MiB frame: connection cut, no reply, as documented; the next client is answered"
expect_error truncated -- BAD_REQUEST
expect_error version 2 -- BAD_REQUEST
expect_error version 0 -- BAD_REQUEST
expect_error nobody -- BAD_REQUEST
expect_error badenum -- INVALID_CLAIM program
expect_error twoframes -- BAD_REQUEST
head -c 4096 /dev/urandom >"$T_DIR/random.bin"
expect_error file "$T_DIR/random.bin" -- BAD_REQUEST

# After all of that klaimd still answers, and a valid submit gets an ack.
kill -0 "$T_PID" 2>/dev/null || fail "klaimd died on bad input"
raw valid
[ "$(raw_get 'j["body"]')" = "ack" ] || fail "valid submit after bad input: expected an ack, got $(cat "$T_DIR/raw.json")"
[ "$(raw_get 'j["request_id"]')" = "4242" ] || fail "the ack does not echo request_id 4242: $(cat "$T_DIR/raw.json")"
[ "$(raw_get 'j["claim_id"]')" != "" ] || fail "the ack has no claim_id: $(cat "$T_DIR/raw.json")"
valid=$((valid + 1))
pass "a valid submit after bad input is acknowledged ($(raw_get 'j["claim_id"]'))"
ctl --timeout 5000 stats >/dev/null || fail "klaimd stopped answering stats after bad input"
n=$(db "SELECT count(*) FROM claims")
[ "$n" -eq "$valid" ] || fail "the store holds $n claims, expected $valid (bad requests must store nothing)"
pass "nothing stored for bad frames ($n claim)"

# ------------------------------------------------------ bad claims via klaimctl
claim_variant "$T_DIR/decimal.json" BAD-DECIMAL 'c["outcome"]["expenses"]["medical"] = 12.5'
ctl_rc 65 "decimal amount" --endpoint "$T_EP" submit "$T_DIR/decimal.json"
grep -q 'outcome\.expenses\.medical' "$T_DIR/ctl.err" || fail "decimal amount: stderr does not name outcome.expenses.medical: $(cat "$T_DIR/ctl.err")"
pass "amount 12.5 -> exit 65 naming outcome.expenses.medical"

claim_variant "$T_DIR/baddate.json" BAD-DATE 'c["event"]["date"] = "2026-02-30"'
ctl_rc 65 "impossible date" --endpoint "$T_EP" submit "$T_DIR/baddate.json"
grep -q 'event\.date' "$T_DIR/ctl.err" || fail "impossible date: stderr does not name event.date: $(cat "$T_DIR/ctl.err")"
pass "2026-02-30 -> exit 65 naming event.date"

claim_variant "$T_DIR/future.json" BAD-FUTURE '
d = datetime.date.today() + datetime.timedelta(days=40)
c["event"]["date"] = d.isoformat()
c["event"]["reported_at"] = d.isoformat() + "T09:00:00+07:00"'
ctl_rc 65 "future date" --endpoint "$T_EP" submit "$T_DIR/future.json"
grep -q 'event\.' "$T_DIR/ctl.err" || fail "future date: stderr does not name an event field: $(cat "$T_DIR/ctl.err")"
pass "event date 40 days ahead -> exit 65 ($(head -1 "$T_DIR/ctl.err" | cut -c1-100))"

printf 'this is not JSON {\n' >"$T_DIR/notjson.json"
ctl_rc 65 "not JSON" --endpoint "$T_EP" submit "$T_DIR/notjson.json"
[ -s "$T_DIR/ctl.err" ] || fail "not JSON: klaimctl said nothing on stderr"
pass "a file that is not JSON -> exit 65"

n=$(db "SELECT count(*) FROM claims")
[ "$n" -eq "$valid" ] || fail "the store holds $n claims after refused klaimctl submits, expected $valid"
pass "nothing stored for refused claim files"

# An unknown participant is a valid claim: stored, then REJECTED.
claim_variant "$T_DIR/unknown.json" UNKNOWN-PARTICIPANT 'c["participant"]["kpj"] = "99999999999"'
ctl_rc 0 "unknown participant" --endpoint "$T_EP" --timeout 30000 submit --wait "$T_DIR/unknown.json"
valid=$((valid + 1))
st=$(json_get "$T_DIR/ctl.out" 'j["state"]')
[ "$st" = "REJECTED" ] || fail "unknown participant: expected REJECTED, got $(cat "$T_DIR/ctl.out")"
rc0=$(json_get "$T_DIR/ctl.out" 'j["reasons"][0]["code"]')
[ "$rc0" = "PARTICIPANT_NOT_FOUND" ] || fail "unknown participant: expected reason PARTICIPANT_NOT_FOUND, got $(cat "$T_DIR/ctl.out")"
[ "$(json_get "$T_DIR/ctl.out" 'j["total"]')" = "0" ] || fail "unknown participant: a REJECTED decision must have total 0: $(cat "$T_DIR/ctl.out")"
pass "kpj 99999999999 -> stored and REJECTED (PARTICIPANT_NOT_FOUND)"

n=$(db "SELECT count(*) FROM claims")
[ "$n" -eq "$valid" ] || fail "the store holds $n claims, expected $valid valid submits"
kill -0 "$T_PID" 2>/dev/null || fail "klaimd died during the test"
pass "store holds exactly the $valid valid claims; klaimd alive"

# -------------------------------------------------------- unreachable klaimd
dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ctl_rc 69 "unreachable" --endpoint "tcp://127.0.0.1:$dead_port" --timeout 500 stats
pass "klaimctl against a port where nothing listens -> exit 69"

stop_klaimd
pass "klaimd stops cleanly after bad input"

# ------------------------------------------------- klaimd usage and config errors
klaimd_rc 64 "unknown flag" --bogus
pass "klaimd --bogus -> 64"

conf="$T_DIR/bad.conf"
printf '# test config\n[klaimd]\ndata_dir = %s\nno_such_key = 1\n' "$T_DIR/data-conf" >"$conf"
klaimd_rc 78 "unknown config key" --config "$conf"
grep -q "$conf:4" "$T_DIR/klaimd.err" || fail "unknown config key: the message does not name $conf:4: $(cat "$T_DIR/klaimd.err")"
pass "klaimd --config with an unknown key -> 78 naming FILE:LINE"

klaimd_rc 78 "workers four" --data-dir "$T_DIR/data-four" --workers four
pass "klaimd --workers four -> 78"

# Under -DKLAIM_SANITIZE=ON a worker's report would only reach the log.
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T_LOG"; then
    fail "a sanitizer report in klaimd's log (klaimd or a worker)"
fi
pass "no sanitizer report in klaimd's log"
