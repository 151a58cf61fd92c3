#!/usr/bin/env bash
# build.sh [--sanitize] - configure and build into build/ (or build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build; flags=()
if [ "${1:-}" = "--sanitize" ]; then dir=build-asan; flags=(-DKLAIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug); fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
echo "$dir"
