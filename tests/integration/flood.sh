#!/usr/bin/env bash
# flood.sh - per-client limits: a client that floods past client_max_pending
# gets typed BUSY errors for the excess (and no claim of it is half-stored),
# while another client sending at the same time is served normally.
source "$(dirname "$0")/lib.sh"

# 2: a claim waits for its commit, so a client with 2000 in flight meets BUSY
# whenever 3 of its claims are read before one commit; klaimd is also stopped
# while the flood queues up, so that happens whatever the speed of either
# side (with 50, a slow client under ASan was read and committed in time).
printf 'client_max_pending = 2\n' >"$T_DIR/klaimd.conf"
start_klaimd --config "$T_DIR/klaimd.conf" --workers 2
import_demo_registry
python3 - >"$T_DIR/flood.jsonl" <<'PY'
import json, datetime
P = [("24128006011", "3516051406890001"), ("24748257545", "3516162412840009"), ("24823051714", "3516051403920010")]
for i in range(6000):
    kpj, nik = P[i % 3]
    d = datetime.date(2020, 1, 1) + datetime.timedelta(days=(i // 3) % 2000)
    print(json.dumps({"idempotency_key": "FLOOD-%05d" % i, "program": "JKK",
        "participant": {"kpj": kpj, "nik": nik},
        "event": {"type": "ACCIDENT", "date": d.isoformat(), "circumstance": "WORKPLACE",
                  "reported_at": (d + datetime.timedelta(days=1)).isoformat() + "T09:00:00+07:00"},
        "outcome": {"expenses": {"medical": 1000 + i}}}))
PY
sed -n 1p "$T_DIR/flood.jsonl" | sed 's/FLOOD-00000/QUIET-1/' >"$T_DIR/quiet.json"

kill -STOP "$T_PID"
ctl --timeout 20000 submit --inflight 2000 "$T_DIR/flood.jsonl" >"$T_DIR/flood.acks" 2>"$T_DIR/flood.err" &
FLOOD=$!
sleep 1
kill -CONT "$T_PID"
rc_quiet=0; ctl submit "$T_DIR/quiet.json" >"$T_DIR/quiet.ack" 2>"$T_DIR/quiet.err" || rc_quiet=$?
rc_flood=0; wait $FLOOD || rc_flood=$?

[ "$rc_quiet" = 0 ] || fail "the quiet client was refused during the flood (exit $rc_quiet): $(cat "$T_DIR/quiet.err")"
[ "$rc_flood" = 69 ] || fail "the flooding client: exit $rc_flood, expected 69 (some claims BUSY)"
grep -q "BUSY" "$T_DIR/flood.err" && grep -q "client_max_pending" "$T_DIR/flood.err" \
    || fail "no BUSY naming client_max_pending: $(head -2 "$T_DIR/flood.err")"
acked=$(wc -l <"$T_DIR/flood.acks")
busy=$(grep -c BUSY "$T_DIR/flood.err" || true)
echo "# flood: $acked acked, $busy refused BUSY"
[ "$acked" -gt 0 ] && [ "$busy" -gt 0 ] || fail "expected both acks and BUSY refusals"
# nothing refused was stored; everything acked is decided
stored=$(db "SELECT count(*) FROM claims WHERE idem_key LIKE 'FLOOD-%'")
[ "$stored" = "$acked" ] || fail "$stored flood claims stored, $acked acked"
wait_decided $((acked + 1)) 60
pass "flood: $busy BUSY refusals past client_max_pending, quiet client served, $acked acked all decided"

# an export over many pages of rows (more than any buffer's first size)
ctl export decisions --since 2015-01-01 >"$T_DIR/export.csv" || fail "export after the flood"
[ "$(grep -c '^D,' "$T_DIR/export.csv")" = "$((acked + 1))" ] || fail "export: $(grep -c '^D,' "$T_DIR/export.csv") decisions, expected $((acked + 1))"
pass "export of $((acked + 1)) decisions"
stop_klaimd
