#!/usr/bin/env bash
# run.sh - klaimd against this machine's ceilings and the reference daemon,
# measured in the same run, one after another (never at once: 2 vCPUs).
#
# usage: tests/bench/run.sh [--seconds S] [--bench PATH]
#   S      length of each measured phase (default 10)
#   PATH   klaim-bench (default $KLAIM_BENCH, else build/klaim-bench of this
#          checkout, else the newest build*/klaim-bench); the klaimd and klaimctl it spawns are found beside it,
#          or via $KLAIMD / $KLAIMCTL
# env: BENCH_DATA_DIR (where temp data dirs go; put it on klaimd's disk),
#      BENCH_KIT (default ../shared/bench beside the checkout)
#
# Runs, in order:
#   1. BENCH_KIT/limits.sh                       fdatasync and SQLite ceilings
#   2. BENCH_KIT/reference/run.sh S 1000 10000   the Python batched reference
#   3. klaim-bench --spawn --seconds S --phases closed,open,cold --rates 1000,10000
#      (closed 1024 in flight, then open loop at 1,000/s and 10,000/s, then the
#      same rates again right after dropping the registry's page cache: cold_*;
#      1,000,000 participants)
#   4. the scale-out path, closed loop only, S seconds each:
#      klaim-bench --spawn --curve --phases closed          CURVE intake, local ipc workers (CPU count)
#      klaim-bench --spawn --remote-workers 2 --phases closed  CURVE intake, 2 remote workers
#                                                          over tcp + CURVE (workers = 0)
#      the two differ only in the worker transport
# and prints all their key=value lines, then the ratios with both raw numbers:
#   ratio_vs_reference          klaimd closed acks/s / ref_closed_acks_per_s
#   ratio_vs_reference_decided  klaimd closed decided/s / ref_closed_acks_per_s
#                               (the reference decides inside its ack's commit)
#   ratio_vs_fdatasync          klaimd closed acks/s / fdatasync_per_s
#                               (claims per flush: > 1 only with group commit)
#   ratio_vs_sqlite_batch       klaimd closed acks/s x 8.1 rows per claim (the
#                               benchmark's mix, see rows_per_claim below) /
#                               sqlite_full_batch1000_timeordered_rows_per_s
#                               (_random: / the random-key ceiling)
#   ratio_open_R_p99_vs_reference, ratio_cold_R_p99_vs_warm  latency ratios
#   scaleout_ipc_decided_per_s, scaleout_tcp_decided_per_s (and _acks_per_s,
#   _ack_p99_us) from step 4, and
#   ratio_tcp_vs_ipc            tcp decided/s / ipc decided/s (the cost of
#                               remote workers on one host: below 1 is slower)
# Exit: 0 ok, 1 a step failed, 2 usage or missing prerequisite.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KIT="${BENCH_KIT:-$ROOT/../shared/bench}"
SECS=10
BENCH="${KLAIM_BENCH:-}"
if [ -z "$BENCH" ]; then   # this checkout's build/, else the newest build*/ that has one
    BENCH="$ROOT/build/klaim-bench"
    [ -x "$BENCH" ] || BENCH="$(ls -t "$ROOT"/build*/klaim-bench 2>/dev/null | head -n 1)"
fi

die() { echo "run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) [ $# -ge 2 ] || die "--seconds needs a value"; SECS=$2; shift 2 ;;
        --bench) [ $# -ge 2 ] || die "--bench needs a value"; BENCH=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
case "$SECS" in ''|*[!0-9]*|0) die "--seconds must be a positive whole number (got '$SECS')";; esac
[ -x "$KIT/limits.sh" ] && [ -x "$KIT/reference/run.sh" ] \
    || die "no bench kit at '$KIT' (limits.sh, reference/run.sh): set BENCH_KIT to the shared/bench folder"
[ -x "$BENCH" ] || die "no klaim-bench at '$BENCH': build it (cmake --build build --target klaim-bench) or pass --bench PATH"

OUT="$(mktemp "${TMPDIR:-/tmp}/klaim-run.XXXXXX")"
OUT_IPC="$(mktemp "${TMPDIR:-/tmp}/klaim-run-ipc.XXXXXX")"   # step 4 apart: same keys as step 3
OUT_TCP="$(mktemp "${TMPDIR:-/tmp}/klaim-run-tcp.XXXXXX")"
trap 'rm -f "$OUT" "$OUT_IPC" "$OUT_TCP"' EXIT

step() { echo "run.sh: $1 ..." >&2; }
# A failed step is reported and the next one still runs (its ratios print "na").
failed=0
step "limits.sh"
"$KIT/limits.sh" | tee -a "$OUT" || { echo "run.sh: limits.sh failed" >&2; failed=1; }
step "reference/run.sh $SECS 1000 10000"
"$KIT/reference/run.sh" "$SECS" 1000 10000 | tee -a "$OUT" || { echo "run.sh: reference/run.sh failed" >&2; failed=1; }
step "klaim-bench --spawn --seconds $SECS --phases closed,open,cold --rates 1000,10000"
"$BENCH" --spawn --seconds "$SECS" --phases closed,open,cold --rates 1000,10000 | tee -a "$OUT" || { echo "run.sh: klaim-bench failed" >&2; failed=1; }
step "klaim-bench --spawn --curve --phases closed --seconds $SECS (scale-out: ipc workers)"
"$BENCH" --spawn --curve --phases closed --seconds "$SECS" | tee "$OUT_IPC" \
    || { echo "run.sh: klaim-bench --curve failed" >&2; failed=1; }
step "klaim-bench --spawn --remote-workers 2 --phases closed --seconds $SECS (scale-out: tcp + CURVE workers)"
"$BENCH" --spawn --remote-workers 2 --phases closed --seconds "$SECS" | tee "$OUT_TCP" \
    || { echo "run.sh: klaim-bench --remote-workers failed" >&2; failed=1; }

val() { sed -n "s/^$1=//p" "${2:-$OUT}" | tail -n 1; }
ratio() { # NAME NUM DEN [FACTOR]
    local num=$2 den=$3 f=${4:-1}
    if [ -n "$num" ] && [ -n "$den" ] && [ "$den" != 0 ]; then
        awk -v n="$num" -v d="$den" -v f="$f" 'BEGIN{printf "%.2f\n", n*f/d}'
    else
        echo "na"
    fi
}
acks=$(val closed_acks_per_s); dec=$(val closed_decided_per_s); dec_all=$(val closed_decided_incl_drain_per_s)
ref=$(val ref_closed_acks_per_s); fds=$(val fdatasync_per_s)
sq=$(val sqlite_full_batch1000_timeordered_rows_per_s); sqr=$(val sqlite_full_batch1000_random_rows_per_s)
echo
echo "klaimd_closed_acks_per_s=$acks"
echo "klaimd_closed_decided_per_s=$dec"
echo "klaimd_closed_decided_incl_drain_per_s=$dec_all"
echo "ref_closed_acks_per_s=$ref"
echo "fdatasync_per_s=$fds"
echo "sqlite_full_batch1000_timeordered_rows_per_s=$sq"
echo "ratio_vs_reference=$(ratio x "$acks" "$ref")"
echo "ratio_vs_reference_decided=$(ratio x "$dec" "$ref")"
echo "ratio_vs_reference_decided_incl_drain=$(ratio x "$dec_all" "$ref")"
echo "ratio_vs_fdatasync=$(ratio x "$acks" "$fds")"
# Rows a claim writes in the benchmark's mix: an accident (70 %) 9 (claim
# insert + decision update, case insert + update, case link, 2 feed events,
# 2 audit entries), a death (30 %) 6: 8.1 on average.
echo "rows_per_claim=8.1"
echo "ratio_vs_sqlite_batch=$(ratio x "$acks" "$sq" 8.1)"
echo "ratio_vs_sqlite_batch_random=$(ratio x "$acks" "$sqr" 8.1)"
for r in 1000 10000; do   # latency: klaimd p99 / reference p99 (below 1 is better)
    echo "ratio_open_${r}_p99_vs_reference=$(ratio x "$(val open_${r}_ack_p99_us)" "$(val ref_open_${r}_p99_us)")"
    echo "ratio_cold_${r}_p99_vs_warm=$(ratio x "$(val cold_${r}_ack_p99_us)" "$(val open_${r}_ack_p99_us)")"
done
ipc_dec=$(val closed_decided_per_s "$OUT_IPC"); tcp_dec=$(val closed_decided_per_s "$OUT_TCP")
echo "scaleout_ipc_decided_per_s=$ipc_dec"
echo "scaleout_tcp_decided_per_s=$tcp_dec"
echo "scaleout_ipc_acks_per_s=$(val closed_acks_per_s "$OUT_IPC")"
echo "scaleout_tcp_acks_per_s=$(val closed_acks_per_s "$OUT_TCP")"
echo "scaleout_ipc_ack_p99_us=$(val closed_ack_p99_us "$OUT_IPC")"
echo "scaleout_tcp_ack_p99_us=$(val closed_ack_p99_us "$OUT_TCP")"
echo "scaleout_ipc_all_decided=$(val all_decided "$OUT_IPC")"
echo "scaleout_tcp_all_decided=$(val all_decided "$OUT_TCP")"
echo "ratio_tcp_vs_ipc=$(ratio x "$tcp_dec" "$ipc_dec")"
exit "$failed"
