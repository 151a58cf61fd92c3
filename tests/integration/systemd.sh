#!/usr/bin/env bash
# systemd.sh - the sd_notify protocol as systemd 252 would see it, through a
# fake NOTIFY_SOCKET: READY=1 only once a worker is ready, RELOADING=1 then
# READY=1 on SIGHUP, WATCHDOG=1 from the loop at half of WATCHDOG_USEC,
# STOPPING=1 on SIGTERM, and every message from klaimd's own pid (workers
# must not inherit NOTIFY_SOCKET). Also checks the installed unit with
# systemd-analyze verify and security, and the tmpfiles.d file.
source "$(dirname "$0")/lib.sh"

SOCK="$T_DIR/notify.sock"
python3 - "$SOCK" "$T_DIR/notify.log" <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.settimeout(0.2)
out = open(sys.argv[2], "w", buffering=1)
end = time.time() + 60
while time.time() < end:
    try:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    except socket.timeout:
        continue
    pid = 0
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iii", data[:12])[0]
    for line in msg.decode().splitlines():
        out.write("%d %.3f %s\n" % (pid, time.time(), line))
PY
LISTENER=$!
trap 'kill $LISTENER 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done

NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=400000 start_klaimd --workers 2
for _ in $(seq 50); do grep -q " READY=1" "$T_DIR/notify.log" && break; sleep 0.1; done
grep -q " READY=1" "$T_DIR/notify.log" || fail "no READY=1"
grep -q "broker: worker w.* ready" "$T_LOG" || fail "READY=1 without a ready worker"
sleep 1.2
n=$(grep -c " WATCHDOG=1" "$T_DIR/notify.log" || true)
[ "$n" -ge 3 ] || fail "watchdog: $n pings in 1.2 s at WATCHDOG_USEC=400000 (expected >= 3)"
pass "READY=1 after a worker, WATCHDOG=1 every 200 ms"

kill -HUP "$T_PID"
for _ in $(seq 50); do [ "$(grep -c ' READY=1' "$T_DIR/notify.log")" -ge 2 ] && break; sleep 0.1; done
grep -q " RELOADING=1" "$T_DIR/notify.log" || fail "no RELOADING=1 on SIGHUP"
[ "$(grep -c ' READY=1' "$T_DIR/notify.log")" -ge 2 ] || fail "no READY=1 after the reload"
pass "SIGHUP: RELOADING=1 then READY=1"

pid=$T_PID
stop_klaimd
sleep 0.3
grep -q " STOPPING=1" "$T_DIR/notify.log" || fail "no STOPPING=1 on SIGTERM"
others=$(awk -v p="$pid" '$1 != p' "$T_DIR/notify.log" | head -3)
[ -z "$others" ] || fail "notifications from another pid than klaimd ($pid): $others"
pass "STOPPING=1; only klaimd's pid talks to systemd"

# The unit as `cmake --install` puts it, checked by systemd 252's own
# parser: `systemd-analyze verify` on a copy whose ExecStart= names the
# installed klaimd (verify wants it executable) and with MANPATH at the
# installed pages (it runs man for every Documentation=man:). Then its
# exposure must stay <= 1.0 (OK) and the tmpfiles.d file must apply.
command -v systemd-analyze >/dev/null || fail "systemd-analyze is needed (scripts/install-deps.sh installs systemd)"
INST="$T_DIR/inst"
out=$(cmake --install "$KLAIM_BUILD_DIR" --prefix "$INST" 2>&1) || fail "cmake --install $KLAIM_BUILD_DIR: $out"
mkdir "$T_DIR/unit"
unit="$T_DIR/unit/klaimd.service"
grep -q "^ExecStart=/usr/local/sbin/klaimd " "$INST/lib/systemd/system/klaimd.service" \
    || fail "installed klaimd.service: ExecStart= is not /usr/local/sbin/klaimd"
sed "s|^ExecStart=/usr/local/sbin/klaimd |ExecStart=$INST/sbin/klaimd |" \
    "$INST/lib/systemd/system/klaimd.service" >"$unit"
MANPATH="$INST/share/man" systemd-analyze verify "$unit" >"$T_DIR/verify.txt" 2>&1 \
    || fail "systemd-analyze verify klaimd.service: $(cat "$T_DIR/verify.txt")"
[ ! -s "$T_DIR/verify.txt" ] || fail "systemd-analyze verify klaimd.service complained: $(cat "$T_DIR/verify.txt")"
pass "systemd-analyze verify: the installed unit is clean"

systemd-analyze security --offline=true --threshold=20 "$unit" >"$T_DIR/sec.txt" 2>&1 \
    || fail "systemd-analyze security: $(tail -3 "$T_DIR/sec.txt")"
score=$(grep -o "Overall exposure level for klaimd.service: [0-9.]*" "$T_DIR/sec.txt" | awk '{print $NF}')
[ -n "$score" ] || fail "systemd-analyze security printed no exposure level: $(tail -3 "$T_DIR/sec.txt")"
python3 -c "import sys; sys.exit(0 if float('$score') <= 1.0 else 1)" || fail "exposure $score > 1.0"
pass "unit hardening: exposure $score"

mkdir "$T_DIR/root"
systemd-tmpfiles --create --root="$T_DIR/root" - <"$INST/lib/tmpfiles.d/klaimd.conf" >"$T_DIR/tmpfiles.txt" 2>&1 \
    || fail "systemd-tmpfiles on the installed tmpfiles.d/klaimd.conf: $(cat "$T_DIR/tmpfiles.txt")"
[ "$(stat -c %a "$T_DIR/root/etc/klaimd/clients.d")" = 755 ] || fail "tmpfiles.d/klaimd.conf did not create /etc/klaimd/clients.d 0755"
pass "tmpfiles.d/klaimd.conf creates /etc/klaimd and clients.d"
