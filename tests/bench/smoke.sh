#!/usr/bin/env bash
# smoke.sh - bench_smoke: klaim-bench --spawn end to end, briefly.
#
# Builds nothing. Runs klaim-bench on a fresh klaimd with a 20,000-row
# generated registry, 2 s per phase (closed loop, open loop at 200/s), and
# checks that every required key is printed with a number and that every
# acked claim was decided (all_decided=1). Then a 2-second closed-loop pass
# with --remote-workers 1 (workers = 0, one klaim-worker over tcp + CURVE),
# checked the same way. No figure is judged: this machine's speed is not a
# test result.
# Environment (set by ctest, see bench.cmake): KLAIM_BENCH, KLAIMD, KLAIMCTL.
set -euo pipefail
: "${KLAIM_BENCH:?set KLAIM_BENCH to the klaim-bench binary}"
: "${KLAIMD:?set KLAIMD to the klaimd binary}"
: "${KLAIMCTL:?set KLAIMCTL to the klaimctl binary}"

out=$(mktemp "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")
rout=$(mktemp "${TMPDIR:-/tmp}/bench-smoke-remote.XXXXXX")
trap 'rm -f "$out" "$rout"' EXIT
rc=0
"$KLAIM_BENCH" --spawn --klaimd "$KLAIMD" --klaimctl "$KLAIMCTL" \
    --participants 20000 --seconds 2 --rates 200 >"$out" || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: klaim-bench exited with $rc" >&2; exit 1; }

# s_keys FILE PHASE...: every figure of each phase, as a number
s_keys() {
    local f=$1 missing=0
    shift
    for p in "$@"; do
        for k in acks_per_s decided_per_s ack_p50_us ack_p99_us ack_p999_us ack_max_us \
                 decision_p50_us decision_p99_us daemon_rss_kb worker_rss_kb db_bytes_per_claim \
                 commit_batch_mean commit_batch_max all_decided; do
            grep -qE "^${p}${k}=[0-9]+(\.[0-9]+)?$" "$f" || { echo "FAIL: no numeric ${p}${k}= line" >&2; missing=1; }
        done
    done
    return $missing
}
s_keys "$out" closed_ open_200_ || exit 1
grep -qx 'workers_transport=ipc' "$out" || { echo "FAIL: no workers_transport=ipc line" >&2; exit 1; }
grep -qx 'all_decided=1' "$out" || { echo "FAIL: not every acked claim was decided (all_decided != 1)" >&2; exit 1; }
# the phases really ran: claims were acked and decisions sampled
for p in closed_ open_200_; do
    acks=$(sed -n "s/^${p}acks=//p" "$out")
    samples=$(sed -n "s/^${p}decision_samples=//p" "$out")
    [ "${acks:-0}" -gt 0 ] || { echo "FAIL: ${p}acks is ${acks:-missing}" >&2; exit 1; }
    [ "${samples:-0}" -gt 0 ] || { echo "FAIL: ${p}decision_samples is ${samples:-missing}" >&2; exit 1; }
done
grep -qx 'open_200_acks=400' "$out" || { echo "FAIL: the open phase should ack exactly 200/s x 2 s = 400 claims" >&2; exit 1; }
echo "ok - klaim-bench printed every key and all claims were decided"

# The scale-out path: one remote worker over tcp + CURVE, nothing local.
rc=0
"$KLAIM_BENCH" --spawn --klaimd "$KLAIMD" --klaimctl "$KLAIMCTL" ${KLAIM_WORKER:+--klaim-worker "$KLAIM_WORKER"} \
    --participants 20000 --seconds 2 --phases closed --remote-workers 1 >"$rout" || rc=$?
cat "$rout"
[ "$rc" -eq 0 ] || { echo "FAIL: klaim-bench --remote-workers 1 exited with $rc" >&2; exit 1; }
s_keys "$rout" closed_ || exit 1
grep -qx 'workers_transport=tcp+curve' "$rout" || { echo "FAIL: no workers_transport=tcp+curve line" >&2; exit 1; }
grep -qx 'all_decided=1' "$rout" || { echo "FAIL: --remote-workers 1: not every acked claim was decided" >&2; exit 1; }
acks=$(sed -n "s/^closed_acks=//p" "$rout")
[ "${acks:-0}" -gt 0 ] || { echo "FAIL: --remote-workers 1: closed_acks is ${acks:-missing}" >&2; exit 1; }
echo "ok - klaim-bench --remote-workers 1 printed every key and all claims were decided"
