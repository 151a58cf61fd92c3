# lib.sh - shared helpers for the integration tests (sourced, bash).
#
# The tests start the real binaries as an operator would: klaimd on a temp
# data dir with real worker processes, klaimctl over a real ZeroMQ socket,
# and read the real SQLite file with the sqlite3 shell to check the store.
# Environment (set by ctest, see integration.cmake):
#   KLAIMD, KLAIMCTL, KLAIM_WORKER   the binaries under test
#   KLAIM_SHARED_DIR                 ../shared (cases.jsonl, registry-demo.csv)
set -euo pipefail

: "${KLAIMD:?set KLAIMD to the klaimd binary}"
: "${KLAIMCTL:?set KLAIMCTL to the klaimctl binary}"
: "${KLAIM_SHARED_DIR:?set KLAIM_SHARED_DIR to the shared/ folder}"

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/klaimtest.XXXXXX")
T_DATA="$T_DIR/data"
T_LOG="$T_DIR/klaimd.log"
T_PID=""
# A free loopback port per test run (ctest may run tests in parallel).
# Free loopback ports per test run (ctest runs tests in parallel): intake,
# dispatch feed and HTTP gateway.
read -r T_PORT T_FEED_PORT T_HTTP_PORT < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
T_EP="tcp://127.0.0.1:$T_PORT"
T_FEED_EP="tcp://127.0.0.1:$T_FEED_PORT"
T_HTTP="127.0.0.1:$T_HTTP_PORT"

fail() { echo "FAIL: $*" >&2; echo "--- klaimd log (last 40 lines) ---" >&2; tail -40 "$T_LOG" >&2 || true; exit 1; }
pass() { echo "ok - $*"; }

cleanup() {
    if [ -n "$T_PID" ] && kill -0 "$T_PID" 2>/dev/null; then kill -9 "$T_PID" 2>/dev/null || true; fi
    pkill -9 -f "klaim-worker --endpoint ipc://$T_DATA/" 2>/dev/null || true
    rm -rf "$T_DIR"
}
trap cleanup EXIT

# Extra global flags for klaimctl (e.g. CURVE keys): T_CTL_ARGS=(--curve-key K --server-key S)
T_CTL_ARGS=()
ctl() { "$KLAIMCTL" --endpoint "$T_EP" "${T_CTL_ARGS[@]}" "$@"; }

# start_klaimd [extra klaimd flags...]: starts klaimd in the background and
# waits until it answers stats (10 s at most).
start_klaimd() {
    "$KLAIMD" --data-dir "$T_DATA" --intake-endpoint "$T_EP" --feed-endpoint "$T_FEED_EP" --http-listen "$T_HTTP" \
        "$@" >>"$T_LOG" 2>&1 &
    T_PID=$!
    for _ in $(seq 1 100); do
        if ctl --timeout 200 stats >/dev/null 2>&1; then return 0; fi
        kill -0 "$T_PID" 2>/dev/null || fail "klaimd exited during start-up"
        sleep 0.1
    done
    fail "klaimd did not answer within 10 s"
}

# stop_klaimd: SIGTERM and wait for a clean exit (status 0).
stop_klaimd() {
    kill -TERM "$T_PID"
    local rc=0
    wait "$T_PID" || rc=$?
    T_PID=""
    [ "$rc" -eq 0 ] || fail "klaimd exited with $rc on SIGTERM"
}

# kill9_klaimd: the crash. Workers notice the EOF on fd 3 and exit too.
kill9_klaimd() {
    kill -9 "$T_PID"
    wait "$T_PID" 2>/dev/null || true
    T_PID=""
    for _ in $(seq 1 50); do
        pgrep -f "klaim-worker --endpoint ipc://$T_DATA/" >/dev/null || return 0
        sleep 0.1
    done
    fail "workers outlived a killed klaimd"
}

import_demo_registry() {
    ctl registry import "$KLAIM_SHARED_DIR/domain/registry-demo.csv" >"$T_DIR/import.json" \
        || fail "registry import failed"
}

# db "SQL": runs a query on the store (read-only; klaimd may be running).
db() { sqlite3 -readonly -batch -noheader "$T_DATA/klaim.db" "$1"; }

# json_get FILE|- EXPR: evaluates a Python expression on the parsed JSON `j`.
json_get() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1]) if sys.argv[1]!="-" else sys.stdin); print(eval(sys.argv[2]))' "$1" "$2"; }

# wait_decided N [SECONDS]: until N claims are in a decided state (or parked).
wait_decided() {
    local n=$1 secs=${2:-60} got=0
    for _ in $(seq 1 $((secs * 10))); do
        got=$(db "SELECT count(*) FROM claims WHERE state IN (3,4,5,6)")
        [ "$got" -ge "$n" ] && return 0
        sleep 0.1
    done
    fail "only $got of $n claims decided after ${secs}s"
}
