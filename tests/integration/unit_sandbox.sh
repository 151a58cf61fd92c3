#!/usr/bin/env bash
# unit_sandbox.sh - klaimd starts, its workers come up and a JKM claim is
# decided under the restrictions systemd/klaimd.service puts on it (issue
# 16: the shipped unit could not start klaimd, its workers' capset was
# refused by SystemCallFilter=~@privileged and they exited 78).
#
# The test container has no systemd as PID 1 and no systemd-nspawn; a
# systemd booted in a private pid namespace (unshare) would need the host's
# cgroup tree and minutes per run, so the unit itself is not started.
# Instead unit_jail (tests/integration/unit_jail.c) applies what the unit
# says before it execs klaimd: NoNewPrivileges=yes, the empty
# CapabilityBoundingSet=, DynamicUser=yes (a fresh non-root uid/gid owning
# only the data dir), and SystemCallFilter= with SystemCallErrorNumber=,
# parsed from systemd/klaimd.service here and expanded with
# `systemd-analyze syscall-filter`, so the test follows the unit. Secrets
# come as LoadCredential= gives them: tokens_file = tokens (a relative
# name) resolves against $CREDENTIALS_DIRECTORY, a 0500 directory of 0400
# files owned by the service's uid; so does curve_secret_key_file = server.key
# (klaimctl talks CURVE to it with an admin key).
source "$(dirname "$0")/lib.sh"
# Under AddressSanitizer, LeakSanitizer stops the world with ptrace and
# helper threads at exit, which the unit's system call filter refuses (as
# it should): the jailed processes run without leak checking. The same
# binaries are leak-checked by every other test.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
: "${UNIT_JAIL:?set UNIT_JAIL to the unit_jail helper (tests/integration/tools.cmake)}"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is needed (scripts/install-deps.sh installs systemd)"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh installs it)"
UNIT="$(dirname "$0")/../../systemd/klaimd.service"
J_UID=61016
J_GID=61016

# The unit's system call filter, as systemd builds it: the allow-lists
# (with @default, which systemd always adds to an allow-list), minus every
# ~ deny-list, in the order of the lines; the default action is
# SystemCallErrorNumber= (kill without it).
python3 - "$UNIT" "$T_DIR/syscalls" "$T_DIR/action" <<'PY' || fail "cannot derive the unit's SystemCallFilter="
import errno, subprocess, sys
unit, out, action = sys.argv[1:4]
cache = {}
def expand(name):
    if not name.startswith("@"):
        return {name}
    if name not in cache:
        r = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True)
        names = set()
        for line in r.stdout.splitlines()[1:]:
            w = line.strip()
            if w and not w.startswith("#"):
                names |= expand(w)
        cache[name] = names
    return cache[name]
allowed, allow_list, err = set(), False, None
for line in open(unit):
    line = line.strip()
    if line.startswith("SystemCallErrorNumber="):
        err = line.split("=", 1)[1].strip()
    if not line.startswith("SystemCallFilter="):
        continue
    v = line.split("=", 1)[1].strip()
    deny = v.startswith("~")
    names = set()
    for w in v.lstrip("~").split():
        names |= expand(w)
    if deny:
        allowed -= names
    else:
        if not allow_list:
            allowed |= expand("@default")
            allow_list = True
        allowed |= names
assert allow_list, "the unit has no SystemCallFilter= allow-list"
assert "capset" not in allowed, "expected the unit to refuse capset (~@privileged)"
open(out, "w").write("\n".join(sorted(allowed)) + "\n")
open(action, "w").write("--errno %d\n" % getattr(errno, err) if err else "--kill\n")
PY
n=$(wc -l <"$T_DIR/syscalls")
echo "unit filter: $n system calls allowed, default action $(cat "$T_DIR/action")"

# DynamicUser=: the uid owns the data dir (StateDirectory=) and nothing else.
chmod 0711 "$T_DIR"
mkdir -m 0700 "$T_DATA"
chown "$J_UID:$J_GID" "$T_DATA"
# LoadCredential=server.key:/etc/klaimd/server.key and
# LoadCredential=tokens:/etc/klaimd/tokens; the keys stay root's 0600.
K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -m 0700 "$K"
mkdir -m 0755 "$C"
for who in server admin; do "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"; done
printf 'name = Admin\nrole = admin\n%s\n' "$(grep '^public' "$K/admin.pub")" >"$C/admin.client"
chmod 0644 "$C/admin.client"
CREDS="$T_DIR/credentials"
mkdir "$CREDS"
cp "$K/server.key" "$CREDS/server.key"
printf '%s admin Operator\n' "$(printf %s unit-secret | sha256sum | cut -d' ' -f1)" >"$CREDS/tokens"
chown -R "$J_UID:$J_GID" "$CREDS"
chmod 0400 "$CREDS/tokens" "$CREDS/server.key"
chmod 0500 "$CREDS"
printf 'curve_secret_key_file = server.key\nclients_dir = %s\ntokens_file = tokens\n' "$C" >"$T_DIR/klaimd.conf"
chmod 0644 "$T_DIR/klaimd.conf"
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")

# start_klaimd runs $KLAIMD: make that klaimd inside the jail (exec keeps
# the pid, so T_PID is klaimd's).
REAL_KLAIMD=$KLAIMD
read -r ACTION <"$T_DIR/action"
cat >"$T_DIR/jailed-klaimd" <<SH
#!/bin/sh
CREDENTIALS_DIRECTORY='$CREDS' exec '$UNIT_JAIL' --uid $J_UID --gid $J_GID --syscalls '$T_DIR/syscalls' $ACTION -- '$REAL_KLAIMD' "\$@"
SH
chmod 0755 "$T_DIR/jailed-klaimd"
KLAIMD="$T_DIR/jailed-klaimd"
start_klaimd --workers 2 --config "$T_DIR/klaimd.conf"

for _ in $(seq 50); do grep -q "broker: worker w.* ready" "$T_LOG" && break; sleep 0.1; done
grep -q "broker: worker w.* ready" "$T_LOG" || fail "no worker came up under the unit's restrictions"
st=/proc/$T_PID/status
grep -q "^Uid:[[:space:]]*$J_UID[[:space:]]" "$st" || fail "klaimd does not run as uid $J_UID: $(grep ^Uid "$st")"
grep -q "^NoNewPrivs:[[:space:]]*1" "$st" || fail "klaimd runs without no_new_privs"
grep -q "^CapBnd:[[:space:]]*0000000000000000" "$st" || fail "klaimd's bounding set is not empty: $(grep ^CapBnd "$st")"
grep -q "^Seccomp:[[:space:]]*2" "$st" || fail "klaimd runs without a seccomp filter"
grep -q "CURVE on: 1 clients" "$T_LOG" || fail "klaimd did not take curve_secret_key_file = server.key from \$CREDENTIALS_DIRECTORY"
pass "klaimd and its workers up as uid $J_UID, no capabilities, the unit's filter"

import_demo_registry
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/jkm.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    c = json.loads(l)["claim"]
    if c["program"] == "JKM":
        print(json.dumps(c))
        break
PY
[ -s "$T_DIR/jkm.jsonl" ] || fail "no JKM claim in cases.jsonl"
ctl submit --wait "$T_DIR/jkm.jsonl" >"$T_DIR/decision.jsonl" || fail "submit --wait failed"
wait_decided 1 30
state=$(head -1 "$T_DIR/decision.jsonl" | json_get - 'j.get("state") or j.get("decision", {}).get("state")')
[ -n "$state" ] && [ "$state" != None ] || fail "no decision state: $(head -c 300 "$T_DIR/decision.jsonl")"
pass "a JKM claim decided under the unit's restrictions ($state)"

U="http://$T_HTTP"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer unit-secret" "$U/metrics")
[ "$code" = 200 ] || fail "GET /metrics with the credential's token: $code (tokens_file = tokens not read from \$CREDENTIALS_DIRECTORY?)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/metrics")
[ "$code" = 401 ] || fail "GET /metrics without a token: $code, expected 401"
pass "tokens_file = tokens read from \$CREDENTIALS_DIRECTORY"

stop_klaimd
pass "clean stop under the unit's restrictions"
