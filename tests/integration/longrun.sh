#!/usr/bin/env bash
# longrun.sh - long runs can pass and killed tests leave nothing behind.
#   1. it_crash's ctest TIMEOUT follows KLAIM_CRASH_ITERATIONS at ctest time
#      (the README's 200-iteration run needs about 25 min, not 300 s).
#   2. A test stopped with SIGTERM or SIGINT removes its temp dir and stops
#      its klaimd (lib.sh traps them).
#   3. A test killed as ctest kills one past its TIMEOUT (SIGKILL of the
#      whole process tree) still leaves no temp dir: lib.sh's janitor.
source "$(dirname "$0")/lib.sh"
: "${KLAIM_BUILD_DIR:?set KLAIM_BUILD_DIR to the build directory (ctest does)}"

timeout_of() {  # timeout_of ITERATIONS: it_crash's TIMEOUT as ctest would apply it
    KLAIM_CRASH_ITERATIONS=$1 ctest --test-dir "$KLAIM_BUILD_DIR" -R '^it_crash$' --show-only=json-v1 | python3 -c '
import json, sys
t = [t for t in json.load(sys.stdin)["tests"] if t["name"] == "it_crash"]
print(int(next(p["value"] for p in t[0]["properties"] if p["name"] == "TIMEOUT")) if t else 0)'
}
t20=$(timeout_of 20); t200=$(timeout_of 200); t1000=$(timeout_of 1000)
[ "$t20" -ge 300 ] || fail "it_crash TIMEOUT for 20 iterations is $t20 s"
[ "$t200" -ge 1600 ] || fail "it_crash TIMEOUT for 200 iterations is $t200 s (about 2.5 s per iteration are needed)"
[ "$t1000" -gt "$t200" ] || fail "it_crash TIMEOUT does not grow with the iterations ($t200 s, $t1000 s)"
pass "it_crash TIMEOUT scales: 20 -> ${t20} s, 200 -> ${t200} s, 1000 -> ${t1000} s"

# An inner test: lib.sh, a running klaimd, then a long wait.
cat >"$T_DIR/inner.sh" <<INNER
source "$(dirname "$0")/lib.sh"
start_klaimd --workers 1
echo "\$T_DIR \$T_PID" >"$T_DIR/inner.\$1"
while :; do sleep 0.2; done
INNER
run_inner() {  # run_inner TAG SIGNAL [tree]: start, wait for klaimd, signal; prints "dir pid"
    local tag=$1 sig=$2
    # its own session (so the tree can be found), and SIGINT not ignored
    # (bash ignores it in the commands it starts with &)
    python3 -c 'import os, signal, sys
os.setsid(); signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp("bash", ["bash"] + sys.argv[1:])' "$T_DIR/inner.sh" "$tag" >"$T_DIR/inner.$tag.out" 2>&1 &
    local pid=$!
    for _ in $(seq 1 150); do [ -s "$T_DIR/inner.$tag" ] && break; sleep 0.1; done
    [ -s "$T_DIR/inner.$tag" ] || fail "the inner test ($tag) did not start: $(tail -5 "$T_DIR/inner.$tag.out")"
    read -r dir kpid <"$T_DIR/inner.$tag"
    [ -d "$dir" ] && kill -0 "$kpid" || fail "inner test ($tag): no temp dir or klaimd"
    if [ "${3:-}" = tree ]; then
        # as ctest does on a timeout: stop the tree, then SIGKILL every member
        local members
        members=$(pgrep -s "$pid" || true)
        kill -STOP $members 2>/dev/null || true
        kill -KILL $members 2>/dev/null || true
    else
        kill "-$sig" "$pid"
    fi
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 $(pgrep -s "$pid") 2>/dev/null || true
        rm -rf "$dir"
        echo "$sig-ignored"
        return 0
    fi
    wait "$pid" 2>/dev/null || true
    echo "$dir $kpid"
}
gone_within() {  # gone_within SECONDS DIR PID
    for _ in $(seq 1 $(($1 * 10))); do
        [ ! -e "$2" ] && ! kill -0 "$3" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
for sig in TERM INT; do
    read -r dir kpid < <(run_inner "$sig" "$sig")
    [ "$dir" != "$sig-ignored" ] || fail "SIG$sig did not stop the test within 10 s"
    gone_within 5 "$dir" "$kpid" || fail "after SIG$sig the test left $(ls -d "$dir" 2>/dev/null) klaimd $(kill -0 "$kpid" 2>/dev/null && echo running)"
    pass "SIG$sig: temp dir removed, klaimd stopped"
done
read -r dir kpid < <(run_inner KILL KILL tree)
gone_within 5 "$dir" "$kpid" || fail "after SIGKILL of the test's tree, $dir is still there"
pass "SIGKILL of the whole test (a ctest timeout): temp dir removed within 5 s"
