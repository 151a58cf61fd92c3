#!/usr/bin/env bash
# install-deps.sh - the Debian 12 packages klaimd needs to build, test and run.
# Installs only what is missing; uses sudo when not run as root.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang
      libevent-dev libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libsqlite3-dev
      libjansson-dev libinih-dev libsodium-dev libsystemd-dev libcmocka-dev libseccomp-dev
      sqlite3 python3 python3-zmq procps curl chromium python3-websocket
      python3-protobuf    # python3-protobuf: the reference daemon of tests/bench/run.sh
      libxml2-utils       # xmllint: payment batch XML against tests/xsd/pain.001.001.03.xsd
      mandoc man-db       # mandoc -Tlint and man(1): the pages of man/ (it_manpages)
      debhelper dpkg-dev fakeroot lintian  # scripts/package.sh and package-test.sh: the .deb
      prometheus          # promtool check metrics: the /metrics exposition (it_metrics)
      python3-jsonschema  # it_openapi: responses against daemon/openapi.json (JSON Schema 2020-12)
      systemd             # systemd-analyze, systemd-tmpfiles: the unit (it_systemd, it_unit_sandbox)
      nodejs)             # openapi_lint: Redocly CLI (scripts/openapi-check.sh)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm: Debian's own package, unless nodejs already brings it (NodeSource's does).
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
