#!/usr/bin/env bash
# sandbox.sh - workers drop what they do not need: with the probe hook set,
# each worker tries to exec, fork, open a file for writing and open an
# AF_INET socket after entering its sandbox, and logs what happened; all four
# must be refused, and the worker must still decide claims.
source "$(dirname "$0")/lib.sh"

KLAIM_WORKER_SANDBOX_PROBE=1 start_klaimd --workers 2
import_demo_registry
for _ in $(seq 30); do [ "$(grep -c 'sandbox probe:' "$T_LOG")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c 'sandbox probe: exec=EPERM fork=EPERM open_write=EPERM socket_inet=EAFNOSUPPORT' "$T_LOG")" -ge 2 ] \
    || fail "sandbox probe: $(grep 'sandbox probe' "$T_LOG" | head -2)"
[ ! -e /tmp/klaim-sandbox-probe ] || fail "a sandboxed worker created a file"
grep -q "^Seccomp:[[:space:]]*2" "/proc/$(pgrep -f "klaim-worker --endpoint ipc://$T_DATA/" | head -1)/status" \
    || fail "the worker has no seccomp filter"
grep -q "^NoNewPrivs:[[:space:]]*1" "/proc/$(pgrep -f "klaim-worker --endpoint ipc://$T_DATA/" | head -1)/status" \
    || fail "the worker can still gain privileges"
grep -q "^CapEff:[[:space:]]*0000000000000000" "/proc/$(pgrep -f "klaim-worker --endpoint ipc://$T_DATA/" | head -1)/status" \
    || fail "the worker kept capabilities"
pass "workers: no exec, no fork, no writes, no inet sockets, no capabilities, seccomp on"

python3 -c 'import json,sys
for l in open(sys.argv[1]):
    c=json.loads(l)
    if c["name"]=="jkk-death-bpu-1M-70M": print(json.dumps(c["claim"]))' "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/c.json"
ctl submit --wait "$T_DIR/c.json" | json_get - 'j["total"]' | grep -qx 70000000 || fail "a sandboxed worker could not decide"
pass "sandboxed workers decide"
stop_klaimd
