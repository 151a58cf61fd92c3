#!/usr/bin/env bash
# test.sh [--quick] - every test: unit (cmocka), fuzz corpora replays and
# integration tests with the real binaries, first in the normal build, then
# again under AddressSanitizer + UndefinedBehaviorSanitizer (skipped with
# --quick). Exits non-zero if any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ ! -d ../shared/domain ]; then
    echo "test.sh: ../shared/domain (the acceptance cases) is missing beside this checkout" >&2
    exit 1
fi
dir=$(scripts/build.sh)
echo "== tests ($dir)"
ctest --test-dir "$dir" --output-on-failure -j2
if [ "${1:-}" != "--quick" ]; then
    dir=$(scripts/build.sh --sanitize)
    echo "== tests under ASan+UBSan ($dir)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir "$dir" --output-on-failure -j2
fi
