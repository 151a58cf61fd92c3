#!/usr/bin/env bash
# package-test.sh - CI step after scripts/test.sh: builds the Debian package
# (scripts/package.sh into build-deb/), runs lintian on it (errors fail,
# warnings are listed), installs it with apt-get, checks every installed
# file, runs the installed klaimd (not via systemd) on a temp data dir with
# the demo registry of ../shared and one claim decided APPROVED through the
# installed klaimctl, then removes and purges the package.
# Installs and removes a system package: runs as root (or through sudo).
# Refuses to run when klaimd is already installed, so it never replaces or
# removes an operator's package.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
apt() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 "$@"; }

shared=../shared/domain
for f in "$shared/registry-demo.csv" "$shared/cases.jsonl"; do
    [ -f "$f" ] || { echo "package-test.sh: $f is missing; check out shared/ beside this repository" >&2; exit 66; }
done
if dpkg-query -W -f='${Status}' klaimd 2>/dev/null | grep -q "ok installed\|config-files"; then
    echo "package-test.sh: klaimd is already installed; purge it first (apt-get purge klaimd)" >&2
    exit 69
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/klaimd-pkgtest.XXXXXX")
pid=""
installed=0
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    pkill -9 -f "klaim-worker --endpoint ipc://$tmp/" 2>/dev/null || true
    if [ "$installed" = 1 ]; then apt purge -y -qq klaimd >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "package-test.sh: FAIL: $*" >&2
    [ -f "$tmp/klaimd.log" ] && { echo "--- klaimd log (last 30 lines) ---" >&2; tail -30 "$tmp/klaimd.log" >&2; }
    exit 1
}
ok() { echo "ok - $*"; }

echo "== build"
deb=$(scripts/package.sh build-deb)
ok "built $deb"

echo "== lintian"
rc=0
lintian --fail-on error --display-info "$deb" >"$tmp/lintian.txt" 2>&1 || rc=$?
sed 's/^/  /' "$tmp/lintian.txt"
[ "$rc" = 0 ] || fail "lintian reports errors for $deb (listed above)"
ok "lintian: no errors ($(grep -c '^W:' "$tmp/lintian.txt" || true) warnings, listed above)"

echo "== install"
# the maintainer scripts must not start or enable the service
for s in postinst preinst prerm postrm; do
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO "./$s" 2>/dev/null
done >"$tmp/maint.sh" || true
if grep -Eq 'systemctl +(start|restart|enable)|--now|invoke-rc.d' "$tmp/maint.sh"; then
    fail "a maintainer script starts or enables klaimd"
fi
ok "maintainer scripts neither start nor enable the service"
apt install -y -qq "$(realpath "$deb")" >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; fail "apt-get install $deb"; }
installed=1
ok "apt-get install"

/usr/sbin/klaimd --version | grep -q "$(dpkg-query -W -f='${Version}' klaimd)" || fail "/usr/sbin/klaimd --version"
[ -x /usr/sbin/klaim-worker ] || fail "/usr/sbin/klaim-worker missing"
/usr/bin/klaimctl --help >/dev/null 2>&1 || fail "/usr/bin/klaimctl --help"
for p in klaimd klaim-worker klaimctl klaimd.conf; do man -w "$p" >/dev/null || fail "man -w $p"; done
[ -f /etc/klaimd/klaimd.conf ] || fail "/etc/klaimd/klaimd.conf missing"
dpkg-query -W -f='${Conffiles}\n' klaimd | grep -q '^ /etc/klaimd/klaimd.conf ' || fail "/etc/klaimd/klaimd.conf is not a conffile"
unit=/lib/systemd/system/klaimd.service
grep -q '^ExecStart=/usr/sbin/klaimd ' "$unit" || fail "$unit does not start /usr/sbin/klaimd"
for d in README.md PROTOCOL.md copyright changelog.gz examples/klaimd.conf; do
    [ -f "/usr/share/doc/klaimd/$d" ] || fail "/usr/share/doc/klaimd/$d missing"
done
depends=$(dpkg-query -W -f='${Depends}' klaimd)
for lib in libzmq5 libevent-core-2.1-7 libevent-extra-2.1-7 libprotobuf-c1 libsqlite3-0 libjansson4 libinih1 \
           libsodium23 libsystemd0 libseccomp2; do
    grep -q "\b$lib\b" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
ok "installed: binaries, man pages, conffile, unit, docs; Depends: $depends"

echo "== run the installed klaimd"
read -r port feed http < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
ep=tcp://127.0.0.1:$port
ctl() { /usr/bin/klaimctl --endpoint "$ep" "$@"; }
/usr/sbin/klaimd --config /etc/klaimd/klaimd.conf --data-dir "$tmp/data" --intake-endpoint "$ep" \
    --feed-endpoint "tcp://127.0.0.1:$feed" --http-listen "127.0.0.1:$http" >"$tmp/klaimd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    ctl --timeout 200 stats >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "klaimd exited during start-up"
    sleep 0.1
done
ctl --timeout 200 stats >/dev/null 2>&1 || fail "klaimd did not answer within 10 s"
ctl registry import "$shared/registry-demo.csv" >/dev/null || fail "klaimctl registry import"
python3 - "$shared/cases.jsonl" >"$tmp/claim.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c["name"] == "jkm-regime-boundary-2019-12-02-42M":
        print(json.dumps(c["claim"]))
PY
[ -s "$tmp/claim.json" ] || fail "claim jkm-regime-boundary-2019-12-02-42M not in $shared/cases.jsonl"
ctl submit --wait "$tmp/claim.json" >"$tmp/decision.json" || fail "klaimctl submit --wait"
python3 - "$tmp/decision.json" <<'PY' || fail "the claim was not APPROVED for Rp 42,000,000: $(cat "$tmp/decision.json")"
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d["state"] == "APPROVED" and d["total"] == 42000000, d
PY
ok "the installed klaimd, klaim-worker and klaimctl decide DEMO-001: APPROVED, Rp 42,000,000"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
[ "$rc" = 0 ] || fail "klaimd exited $rc on SIGTERM"
ok "klaimd stopped cleanly"

echo "== remove"
apt remove -y -qq klaimd >/dev/null 2>&1 || fail "apt-get remove klaimd"
[ ! -e /usr/sbin/klaimd ] || fail "/usr/sbin/klaimd is still there after remove"
[ -f /etc/klaimd/klaimd.conf ] || fail "remove deleted the conffile /etc/klaimd/klaimd.conf (only purge may)"
apt purge -y -qq klaimd >/dev/null 2>&1 || fail "apt-get purge klaimd"
installed=0
[ ! -e /etc/klaimd/klaimd.conf ] || fail "/etc/klaimd/klaimd.conf is still there after purge"
ok "apt-get remove and purge leave no klaimd files"
echo "package-test.sh: all checks passed in $((SECONDS - start)) s"
