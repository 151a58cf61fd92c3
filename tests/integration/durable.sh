#!/usr/bin/env bash
# durable.sh - an ack waits for the fdatasync of the WAL, and only for it.
# klaimd commits without fsync and syncs the WAL in a thread of its own
# (daemon/walsync.c); this holds that sync with an LD_PRELOAD shim
# (sync_gate.c) and shows: the claim is committed, the main loop still
# answers, but no ack and no status leave until the sync is let go. Then a
# failing fdatasync: klaimd exits 74 without acknowledging, and after a
# restart the retried claim gets one answer and one decision.
source "$(dirname "$0")/lib.sh"
: "${SYNC_GATE_SO:?set SYNC_GATE_SO to the sync_gate shim}"

GATE="$T_DIR/gate"
FAILF="$T_DIR/fail"
# The shim comes first; a sanitized klaimd would otherwise refuse it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_gated() {
    LD_PRELOAD="$SYNC_GATE_SO" SYNC_GATE="$GATE" SYNC_FAIL="$FAILF" start_klaimd --workers 1 "$@"
}

start_gated
import_demo_registry
gen_claims 3 DUR 0 >"$T_DIR/claims.jsonl"
sed -n 1p "$T_DIR/claims.jsonl" >"$T_DIR/c1.jsonl"
sed -n 2p "$T_DIR/claims.jsonl" >"$T_DIR/c2.jsonl"
sed -n 3p "$T_DIR/claims.jsonl" >"$T_DIR/c3.jsonl"

# 1. Hold the WAL sync: the claim commits, the ack does not leave.
touch "$GATE"
ctl --timeout 60000 submit "$T_DIR/c1.jsonl" >"$T_DIR/ack1.json" 2>"$T_DIR/ack1.err" &
submit_pid=$!
for _ in $(seq 1 100); do
    [ "$(db "SELECT count(*) FROM claims WHERE idem_key = 'DUR-000000'")" = 1 ] && break
    sleep 0.1
done
[ "$(db "SELECT count(*) FROM claims WHERE idem_key = 'DUR-000000'")" = 1 ] || fail "the claim was not committed"
ctl --timeout 3000 stats >/dev/null || fail "the main loop stopped answering while the WAL sync was held"
ctl --timeout 60000 status --key DUR-000000 >"$T_DIR/status1.json" &
status_pid=$!
sleep 1
kill -0 "$submit_pid" 2>/dev/null || fail "an ack left before the WAL was synced: $(cat "$T_DIR/ack1.json")"
kill -0 "$status_pid" 2>/dev/null || fail "a status showed a claim whose commit was not yet synced"
[ ! -s "$T_DIR/ack1.json" ] || fail "ack output before the sync: $(cat "$T_DIR/ack1.json")"
pass "committed but unsynced: no ack, no status, the loop answers"

rm -f "$GATE"
wait "$submit_pid" || fail "submit failed once the sync was let go: $(cat "$T_DIR/ack1.err")"
wait "$status_pid" || fail "status failed once the sync was let go"
[ "$(json_get "$T_DIR/ack1.json" 'j["idempotency_key"]')" = DUR-000000 ] || fail "no ack after the sync"
pass "the sync let go: ack and status arrive"
wait_decided 1

# 2. A failing WAL sync: klaimd exits 74 (EX_IOERR) and acknowledges nothing.
touch "$FAILF"
rc=0
ctl --timeout 5000 submit "$T_DIR/c2.jsonl" >"$T_DIR/ack2.json" 2>"$T_DIR/ack2.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a claim was acknowledged although its WAL sync failed"
[ ! -s "$T_DIR/ack2.json" ] || fail "ack output after a failed sync: $(cat "$T_DIR/ack2.json")"
st=0
for _ in $(seq 1 50); do kill -0 "$T_PID" 2>/dev/null || break; sleep 0.1; done
wait "$T_PID" || st=$?
T_PID=""
[ "$st" -eq 74 ] || fail "klaimd exited with $st after a failed fdatasync (expected 74)"
grep -q "fdatasync of .*klaim.db-wal failed" "$T_LOG" || fail "the failed sync is not in the log"
pkill -9 -f "klaim-worker --endpoint ipc://$T_DATA/" 2>/dev/null || true
rm -f "$FAILF"
pass "a failed fdatasync: exit 74, no ack"

# 3. Restart; the client retries: one claim for the key, every claim decided once.
start_gated
ctl submit "$T_DIR/c2.jsonl" >"$T_DIR/ack2b.json" || fail "retry after the restart"
ctl submit "$T_DIR/c3.jsonl" >/dev/null || fail "a new claim after the restart"
wait_decided 3
[ "$(db "SELECT count(*) FROM claims WHERE idem_key = 'DUR-000001'")" = 1 ] || fail "the retried key has more than one claim"
[ "$(db "SELECT count(*) FROM claims WHERE state IN (3,4,5,6)")" = 3 ] || fail "not every claim decided once"
ctl submit "$T_DIR/c2.jsonl" >"$T_DIR/ack2c.json" || fail "duplicate submit"
[ "$(json_get "$T_DIR/ack2b.json" 'j["claim_id"]')" = "$(json_get "$T_DIR/ack2c.json" 'j["claim_id"]')" ] \
    || fail "a duplicate got another claim id"
stop_klaimd
pass "after the restart: the retry has one claim, every claim decided once"
