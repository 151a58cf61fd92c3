#!/usr/bin/env bash
# remote.sh - remote workers over tcp + CURVE (issue 7, scale-out), with the
# real binaries and real sockets:
#   1. configuration: a remote endpoint without CURVE, workers = 0 without
#      one, are exit 78 naming the keys;
#   2. one ROUTER, two listeners: with a local worker and a remote endpoint
#      the ipc endpoint stays plain (the local worker is READY), while the
#      tcp one refuses a plain (non-CURVE) peer and a hospital key (refused
#      at the handshake, logged, never READY); a worker key on the intake
#      gets FORBIDDEN;
#   3. workers = 0, two remote klaim-workers with worker keys: the 30
#      acceptance cases decide as expected, and 400 generated claims too;
#   4. kill -9 of one remote worker under load: every acked claim is decided
#      exactly once (one DECIDED audit entry each), by the other;
#   5. a remote worker whose registry copy lacks the new generation gets no
#      claims and both sides say which file is missing; copied, it catches up;
#   6. kill -9 of klaimd and a restart: the remote workers come back by
#      themselves (READY on a new routing id) and decide again.
source "$(dirname "$0")/lib.sh"
: "${KLAIM_WORKER:?set KLAIM_WORKER to the klaim-worker binary}"
CASES="$KLAIM_SHARED_DIR/domain/cases.jsonl"
[ -s "$CASES" ] || fail "$CASES is missing: the acceptance cases live in ../shared/domain"

T_RW_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
T_RW_EP="tcp://127.0.0.1:$T_RW_PORT"
HB=300 # heartbeat_ms of klaimd and of the remote workers: silence is noticed in 0.9 s

# Remote workers are started by this test, not by klaimd: stop them by pid.
RW_PIDS=()
# kill_rw PID: kill -9 and reap it (quietly: no "Killed" job report).
kill_rw() { { kill -9 "$1" && wait "$1"; } 2>/dev/null || true; }
remote_cleanup() {
    local p
    for p in "${RW_PIDS[@]}"; do kill_rw "$p"; done
    cleanup
}
trap remote_cleanup EXIT

K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -p "$K" "$C"
for who in server admin w1 w2 w3 hosp; do "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"; done
allow() { printf 'name = %s\nrole = %s\n%s\n' "$2" "$3" "$(grep '^public' "$K/$1.pub")" >"$C/$1.client"; }
allow admin "Admin" admin
allow w1 "Remote worker one" worker
allow w2 "Remote worker two" worker
allow w3 "Remote worker three" worker
allow hosp "RS Islam Sakinah" hospital
printf 'curve_secret_key_file = %s\nclients_dir = %s\nheartbeat_ms = %d\n' "$K/server.key" "$C" $HB >"$T_DIR/klaimd.conf"
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")

# start_rw NAME KEY [klaim-worker flags...]: a remote worker in the
# background; its pid in RW_<NAME>, its log in $T_DIR/rw-NAME.log.
start_rw() {
    local name=$1 key=$2
    shift 2
    "$KLAIM_WORKER" --endpoint "$T_RW_EP" --curve-key "$K/$key.key" --server-key "$K/server.pub" \
        --registry-dir "$T_DATA/registry" --name "$name" --heartbeat-ms $HB --credits 16 "$@" \
        >>"$T_DIR/rw-$name.log" 2>&1 &
    RW_PIDS+=($!)
    printf -v "RW_$name" '%s' $!
}
# workers_ready: the stats figure (local and remote).
workers_ready() { ctl stats | json_get - 'j["workers"]["ready"]'; }
# wait_ready N [SECONDS]: until stats shows N workers ready.
wait_ready() {
    local n=$1 secs=${2:-10} got=0
    for _ in $(seq 1 $((secs * 10))); do
        got=$(workers_ready)
        [ "$got" -eq "$n" ] && return 0
        sleep 0.1
    done
    fail "$got workers ready after ${secs}s, expected $n"
}
# decided_once PREFIX N: N claims with keys PREFIX-*, all APPROVED, each
# with exactly one DECIDED entry in the audit chain.
decided_once() {
    local n
    n=$(db "SELECT count(*) FROM claims WHERE idem_key LIKE '$1-%' AND state = 3")
    [ "$n" -eq "$2" ] || fail "$n of $2 $1 claims APPROVED: $(db "SELECT state, count(*) FROM claims WHERE idem_key LIKE '$1-%' GROUP BY state")"
    n=$(db "SELECT count(*) FROM (SELECT c.id FROM claims c JOIN audit a ON a.claim_id = c.id AND a.action = 'DECIDED'
            WHERE c.idem_key LIKE '$1-%' GROUP BY c.id HAVING count(*) = 1)")
    [ "$n" -eq "$2" ] || fail "$n of $2 $1 claims have exactly one DECIDED audit entry"
}

# ---------------------------------------------------------------- part 1
rc=0; "$KLAIMD" --data-dir "$T_DIR/d1" --remote-worker-endpoint "$T_RW_EP" >/dev/null 2>"$T_DIR/e1" || rc=$?
[ "$rc" = 78 ] && grep -q "curve_secret_key_file" "$T_DIR/e1" && grep -q "clients_dir" "$T_DIR/e1" \
    || fail "remote endpoint without CURVE: exit $rc, $(cat "$T_DIR/e1")"
rc=0; "$KLAIMD" --data-dir "$T_DIR/d1" --workers 0 >/dev/null 2>"$T_DIR/e2" || rc=$?
[ "$rc" = 78 ] && grep -q "remote_worker_endpoint" "$T_DIR/e2" || fail "workers = 0 alone: exit $rc, $(cat "$T_DIR/e2")"
rc=0; "$KLAIMD" --config "$T_DIR/klaimd.conf" --data-dir "$T_DIR/d1" --remote-worker-endpoint ipc:///tmp/x \
    >/dev/null 2>"$T_DIR/e3" || rc=$?
[ "$rc" = 78 ] && grep -q "expected tcp://HOST:PORT" "$T_DIR/e3" || fail "ipc remote endpoint: exit $rc"
pass "configuration: a remote endpoint needs CURVE and tcp, workers = 0 needs a remote endpoint (exit 78)"

# ---------------------------------------------------------------- part 2
T_DATA="$T_DIR/data1"
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1 --remote-worker-endpoint "$T_RW_EP"
wait_ready 1
grep -q "broker: worker w0.1 ready" "$T_LOG" || fail "the local worker did not get READY over the plain ipc endpoint"
# A plain DEALER on the tcp endpoint, claiming a local worker's routing id.
/usr/bin/python3 - "$T_RW_EP" >"$T_DIR/plain.out" <<'PY'
import sys, zmq
s = zmq.Context().socket(zmq.DEALER)
s.setsockopt(zmq.IDENTITY, b"w0.2"); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
ready = b"\x0a\x04KLW1" + b"\x10\x01" + b"\x18\x04"          # Ready{magic, pid 1, credits 4}
s.send(b"\x08\x01" + b"\x52" + bytes([len(ready)]) + ready)  # WorkerMsg{version 1, ready}
print("answered" if s.poll(1500) else "nothing")
PY
[ "$(cat "$T_DIR/plain.out")" = nothing ] || fail "a plain (non-CURVE) peer on the remote endpoint got an answer"
start_rw hosp hosp
for _ in $(seq 1 50); do grep -q "refused this worker's key" "$T_DIR/rw-hosp.log" && break; sleep 0.1; done
grep -q "refused this worker's key" "$T_DIR/rw-hosp.log" || fail "the hospital-key worker did not log its refusal"
grep -q 'refused client "RS Islam Sakinah" (hospital) from .* on the remote worker endpoint' "$T_LOG" \
    || fail "klaimd did not log the refused hospital key"
sleep 1
[ "$(workers_ready)" = 1 ] || fail "a plain peer or a hospital key became a worker: $(workers_ready) ready"
grep -q "remote worker .* ready" "$T_LOG" && fail "klaimd admitted a remote worker: $(grep 'remote worker .* ready' "$T_LOG")"
kill_rw "$RW_hosp"
rc=0; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/w1.key" --server-key "$K/server.pub" stats >/dev/null \
    2>"$T_DIR/forb.err" || rc=$?
[ "$rc" = 77 ] && grep -q FORBIDDEN "$T_DIR/forb.err" || fail "a worker key on the intake: exit $rc, expected 77 FORBIDDEN"
pass "one ROUTER: ipc stays plain, tcp refuses plain peers and non-worker keys; a worker key may not use the intake"
stop_klaimd

# ---------------------------------------------------------------- part 3
T_DATA="$T_DIR/data2"
start_klaimd --config "$T_DIR/klaimd.conf" --workers 0 --remote-worker-endpoint "$T_RW_EP"
import_demo_registry
start_rw w1 w1
start_rw w2 w2
wait_ready 2
grep -q 'remote worker r\.w1\.[0-9]*\.1\.[0-9a-f]* ready client="Remote worker one" peer=127.0.0.1' "$T_LOG" \
    || fail "klaimd did not log the remote worker's client name and address"
grep -q "^Seccomp:[[:space:]]*2" "/proc/$RW_w1/status" && grep -q "^NoNewPrivs:[[:space:]]*1" "/proc/$RW_w1/status" \
    || fail "the remote worker runs without its sandbox"
python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.dumps(json.loads(l)["claim"]))' "$CASES" >"$T_DIR/cases.jsonl"
ctl submit --wait --inflight 1 "$T_DIR/cases.jsonl" >"$T_DIR/decisions.jsonl" || fail "submit --wait of the cases failed"
check_cases "$CASES" "$T_DIR/decisions.jsonl" >"$T_DIR/cases.out" || fail "acceptance cases decided by remote workers differ: $(grep FAIL "$T_DIR/cases.out")"
# Events from 2020-04-01, after the acceptance cases' accidents of 2020-03-10
# of two of the generated participants (no same-event claims).
gen_claims 400 RB 0 2020-04-01 >"$T_DIR/batch.jsonl"
ctl submit --inflight 32 "$T_DIR/batch.jsonl" >"$T_DIR/batch.acks" || fail "submitting 400 claims failed"
wait_decided $(( 30 + 400 )) 60
decided_once RB 400
for who in "Remote worker one" "Remote worker two"; do
    n=$(db "SELECT count(*) FROM audit WHERE action = 'DECIDED' AND actor LIKE 'worker r.%($who)'")
    [ "$n" -gt 0 ] || fail "$who decided nothing"
done
pass "workers = 0, 2 remote workers: 30 acceptance cases as expected, 400 claims APPROVED once, both workers used"

# ---------------------------------------------------------------- part 4
N=1500
gen_claims $N RK 400 2020-04-01 >"$T_DIR/kill.jsonl"
"$KLAIMCTL" --endpoint "$T_EP" "${T_CTL_ARGS[@]}" --timeout 10000 submit --inflight 32 "$T_DIR/kill.jsonl" \
    >"$T_DIR/kill.acks" 2>"$T_DIR/kill.err" &
SUB=$!
for _ in $(seq 1 500); do
    [ "$(db "SELECT count(*) FROM claims WHERE idem_key LIKE 'RK-%' AND state = 3")" -ge 200 ] && break
    sleep 0.01
done
kill_rw "$RW_w1"
rc=0; wait $SUB || rc=$?
[ "$rc" -eq 0 ] || fail "klaimctl submit exited $rc while a remote worker was killed: $(cat "$T_DIR/kill.err")"
[ "$(wc -l <"$T_DIR/kill.acks")" -eq $N ] || fail "$(wc -l <"$T_DIR/kill.acks") of $N claims acked"
wait_decided $(( 430 + N )) 90
decided_once RK $N
for _ in $(seq 1 30); do grep -q 'remote worker r\.w1\..* dropped' "$T_LOG" && break; sleep 0.1; done
grep -q 'remote worker r\.w1\..* dropped' "$T_LOG" || fail "klaimd did not drop the killed remote worker"
wait_ready 1
after=$(db "SELECT count(*) FROM audit WHERE action = 'DECIDED' AND actor LIKE '%(Remote worker two)'
            AND seq > (SELECT max(seq) FROM audit WHERE actor LIKE '%(Remote worker one)')")
[ "$after" -gt 0 ] || fail "remote worker two decided nothing after the kill"
pass "kill -9 of a remote worker under load: $N acked claims decided exactly once, the rest by the other"

# ---------------------------------------------------------------- part 5
# w3 decides from a copy of the registry folder that lags behind.
mkdir -p "$T_DIR/copy"
cp "$T_DATA"/registry/gen-*.db "$T_DIR/copy/"
"$KLAIM_WORKER" --endpoint "$T_RW_EP" --curve-key "$K/w3.key" --server-key "$K/server.pub" \
    --registry-dir "$T_DIR/copy" --name w3 --heartbeat-ms $HB >>"$T_DIR/rw-w3.log" 2>&1 &
RW_PIDS+=($!)
RW_w3=$!
wait_ready 2
gen=$(ctl stats | json_get - 'j["registry"]["generation"]')
import_demo_registry
next=$((gen + 1))
for _ in $(seq 1 50); do grep -q "registry generation $next is missing on this host" "$T_DIR/rw-w3.log" && break; sleep 0.1; done
grep -q "registry generation $next is missing on this host: no $T_DIR/copy/gen-$next.db" "$T_DIR/rw-w3.log" \
    || fail "the lagging worker did not name the missing file: $(tail -3 "$T_DIR/rw-w3.log")"
for _ in $(seq 1 50); do grep -q "r\.w3\..* has registry generation $gen open, not $next" "$T_LOG" && break; sleep 0.1; done
grep -q "r\.w3\..* has registry generation $gen open, not $next: it gets no claims until gen-$next.db" "$T_LOG" \
    || fail "klaimd did not say which generation the lagging worker lacks"
gen_claims 60 RG 1900 2020-04-01 >"$T_DIR/gen.jsonl"
ctl submit --inflight 8 "$T_DIR/gen.jsonl" >/dev/null || fail "submitting while a worker lags failed"
wait_decided $(( 1930 + 60 )) 30
decided_once RG 60
[ "$(db "SELECT count(*) FROM audit WHERE actor LIKE '%(Remote worker three)'")" -eq 0 ] \
    || fail "the worker without the current generation was given claims"
cp "$T_DATA/registry/gen-$next.db" "$T_DIR/copy/"
for _ in $(seq 1 50); do grep -q "r\.w3\..* has registry generation $next open" "$T_LOG" && break; sleep 0.1; done
grep -q "r\.w3\..* has registry generation $next open" "$T_LOG" || fail "the synced worker did not catch up"
kill_rw "$RW_w3"
pass "a remote worker without the current generation gets no claims, both logs name gen-$next.db; synced, it catches up"

# ---------------------------------------------------------------- part 6
start_rw w1 w1   # a new remote worker one, beside two
wait_ready 2 20
kill9_klaimd
before=$(grep -c "remote worker .* ready" "$T_LOG")
start_klaimd --config "$T_DIR/klaimd.conf" --workers 0 --remote-worker-endpoint "$T_RW_EP"
wait_ready 2 20
[ "$(grep -c "remote worker .* ready" "$T_LOG")" -ge $((before + 2)) ] || fail "the remote workers did not READY again"
grep -q "sending READY again on a new connection" "$T_DIR/rw-w2.log" || fail "worker two did not say it sent READY again"
kill -0 "$RW_w1" && kill -0 "$RW_w2" || fail "a remote worker exited when klaimd died"
gen_claims 50 RR 2000 2020-04-01 >"$T_DIR/restart.jsonl"
ctl submit --inflight 8 "$T_DIR/restart.jsonl" >/dev/null || fail "submitting after the restart failed"
wait_decided $(( 1990 + 50 )) 30
decided_once RR 50
pass "klaimd kill -9 and restart: the remote workers came back by themselves and decide"
stop_klaimd
