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
# A test stopped by a signal still runs its EXIT trap (cleanup, or the
# test's own trap that calls it): TERM from an operator or a CI runner, INT
# from ^C.
trap 'exit 143' TERM
trap 'exit 130' INT
# ctest ends a test that ran past its TIMEOUT with SIGKILL (the whole process
# tree), which no trap sees. A janitor outside that tree (double fork: it is
# re-parented at once, so it is not among the killed descendants) waits for
# this shell to go and then unmounts anything mounted below T_DIR (the
# disk-full test's tmpfs) and removes T_DIR. It exits by itself once T_DIR
# is gone, within a second of a normal end.
T_SHELL=$$
( setsid bash -c '
    while [ -d "$1" ] && kill -0 "$2" 2>/dev/null; do sleep 1; done
    [ -d "$1" ] || exit 0
    pkill -9 -f "klaimd --data-dir $1/" 2>/dev/null
    pkill -9 -f "klaim-worker --endpoint ipc://$1/" 2>/dev/null
    for m in $(awk -v d="$1/" "index(\$2, d) == 1 { print \$2 }" /proc/mounts); do umount -l "$m" 2>/dev/null; done
    rm -rf "$1"' janitor "$T_DIR" "$T_SHELL" </dev/null >/dev/null 2>&1 & )

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

# gen_claims N PREFIX OFFSET [START] > FILE: N claims with keys PREFIX-000000..;
# OFFSET shifts the events so that two files never describe the same event;
# events from START (default 2023-01-01). Each is a work accident of one of
# six covered, paid-up workers, one a day each: repeated deaths of the same
# people would be earlier deaths (a person dies once), not load.
gen_claims() {
    python3 - "$@" <<'EOF'
import json, sys, datetime
n, prefix, offset = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
start = datetime.date.fromisoformat(sys.argv[4]) if len(sys.argv) > 4 else datetime.date(2023, 1, 1)
P = [("24128006011", "3516051406890001"), ("24748257545", "3516162412840009"),
     ("24823051714", "3516051403920010"), ("24395453724", "3516060107870011"),
     ("24269139173", "3516111111850015"), ("24525717112", "3516144802890022")]
for i in range(n):
    j = i + offset
    kpj, nik = P[j % len(P)]
    d = start + datetime.timedelta(days=j // len(P))
    assert d <= datetime.date(2026, 10, 31), "too many claims for the date range"
    c = {"idempotency_key": "%s-%06d" % (prefix, i), "program": "JKK",
         "participant": {"kpj": kpj, "nik": nik},
         "event": {"type": "ACCIDENT", "date": d.isoformat(), "circumstance": "WORKPLACE",
                   "reported_at": (d + datetime.timedelta(days=1)).isoformat() + "T09:00:00+07:00",
                   "location": {"regency": "Kabupaten Mojokerto"}},
         "outcome": {"expenses": {"medical": 1000000 + j}}}
    print(json.dumps(c, separators=(",", ":")))
EOF
}

# check_cases CASES.jsonl DECISIONS.jsonl: each decision (in file order) as
# its acceptance case expects: state, total, every item, first reason,
# scholarship children. Prints a line a case; non-zero when one differs.
check_cases() {
    python3 - "$1" "$2" <<'PY'
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(cases), f"{len(got)} decisions for {len(cases)} cases"
bad = 0
for c, d in zip(cases, got):
    e = c["expect"]
    items = {i["code"]: i["amount"] for i in d["items"]}
    problems = []
    if d["idempotency_key"] != c["claim"]["idempotency_key"]: problems.append("key")
    if d["state"] != e["state"]: problems.append(f"state {d['state']} != {e['state']}")
    if d["total"] != e["total"]: problems.append(f"total {d['total']} != {e['total']}")
    if items != e["items"]: problems.append(f"items {items} != {e['items']}")
    if e["reasons"] and (not d["reasons"] or d["reasons"][0]["code"] != e["reasons"][0]):
        problems.append(f"reasons {d['reasons']} != {e['reasons']}")
    if not e["reasons"] and d["reasons"]: problems.append(f"unexpected reasons {d['reasons']}")
    if "scholarship_children" in e and d["scholarship_children"] != e["scholarship_children"]:
        problems.append(f"scholarship {d['scholarship_children']} != {e['scholarship_children']}")
    if d["total"] != sum(items.values()): problems.append("total is not the sum of items")
    if problems:
        bad += 1
        print(f"FAIL {c['name']}: " + "; ".join(problems))
    else:
        print(f"ok   {c['name']}")
print(f"{len(cases) - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY
}
