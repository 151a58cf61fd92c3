#!/usr/bin/env bash
# fuzz.sh [SECONDS [TARGET...]] - builds every libFuzzer target (or those named) (clang, -DKLAIM_FUZZ=ON,
# into build-fuzz/) and runs each for SECONDS (default 30, or FUZZ_SECONDS)
# on its corpus, tests/fuzz/corpus/<target>/. Fails on a crash, a leak, an
# input slower than 10 s (-timeout=10) or more than 2 GB of memory; the
# input that did it is left in build-fuzz/artifacts/ (add it to the corpus
# once fixed: the replay tests keep it fixed). Inputs that found new
# coverage are written into the corpus directory by libFuzzer; commit them.
# Called by .ci/run after scripts/test.sh; about 5 min on 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${FUZZ_SECONDS:-30}}
targets=(request claim_json worker_msg registry_csv http)
[ $# -gt 1 ] && targets=("${@:2}")
dir=build-fuzz
cmake -S . -B "$dir" -DKLAIM_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
mkdir -p "$dir/artifacts"
failed=()
for t in "${targets[@]}"; do
    corpus=tests/fuzz/corpus/$t
    before=$(find "$corpus" -type f | wc -l)
    log="$dir/artifacts/fuzz_$t.log"
    rc=0
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$dir/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$t-" "$corpus" >"$log" 2>&1 || rc=$?
    after=$(find "$corpus" -type f | wc -l)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" -ne 0 ]; then
        echo "== fuzz_$t: FAILED (exit $rc) after ${runs:-?} runs; see $log"
        grep -E "^(==[0-9]+==ERROR|SUMMARY|.*panic)" "$log" | head -5 || true
        failed+=("$t")
    else
        echo "== fuzz_$t: ok, ${runs:-?} runs in ${secs} s, corpus $before -> $after inputs"
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz.sh: failed: ${failed[*]}" >&2
    exit 1
fi
