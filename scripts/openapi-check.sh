#!/usr/bin/env bash
# openapi-check.sh [BUILD_DIR] - lints daemon/openapi.json (OpenAPI 3.1)
# with Redocly CLI, pinned below. The CLI is installed with npm into
# BUILD_DIR/npm-tools (default: build) the first time and reused after: it
# is never committed. Fails (exit 1) on any lint error; exit 69 when npm
# is missing or the install fails. Run by ctest as openapi_lint.
set -euo pipefail
cd "$(dirname "$0")/.."
REDOCLY_VERSION=2.77.0
dir="$(cd "${1:-build}" && pwd)/npm-tools"
bin="$dir/node_modules/.bin/redocly"
if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null | head -1)" != "$REDOCLY_VERSION" ]; then
    command -v npm >/dev/null || { echo "openapi-check: npm is needed (scripts/install-deps.sh installs nodejs and npm)" >&2; exit 69; }
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "@redocly/cli@$REDOCLY_VERSION" >&2 \
        || { echo "openapi-check: npm install @redocly/cli@$REDOCLY_VERSION into $dir failed (is the npm registry reachable?)" >&2; exit 69; }
fi
# info-license: klaimd ships no licence file for the document to name.
exec "$bin" lint --skip-rule info-license daemon/openapi.json
