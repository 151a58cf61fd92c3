#!/usr/bin/env bash
# diskfull.sh - the store cannot commit (disk full): klaimd stops
# acknowledging with a typed UNAVAILABLE error, logs it, keeps serving, and
# resumes by itself once space is back; no acknowledged claim is lost.
# Needs to mount a small tmpfs (root or CAP_SYS_ADMIN); skips visibly if not.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T_DATA"
if ! mount -t tmpfs -o size=3m tmpfs "$T_DATA" 2>/dev/null; then
    echo "SKIP: cannot mount a tmpfs here (needs root); the disk-full test did not run"
    exit 0
fi
unmount_and_cleanup() {
    set +e
    [ -n "$T_PID" ] && kill -9 "$T_PID" 2>/dev/null && sleep 0.3
    umount -l "$T_DATA" 2>/dev/null
    cleanup
}
trap unmount_and_cleanup EXIT

start_klaimd --workers 1
import_demo_registry
gen() {  # gen PREFIX N: N valid JKM claims with keys PREFIX-i
    python3 - "$1" "$2" <<'PY'
import json, sys, datetime
p, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = datetime.date(2021, 1, 1) + datetime.timedelta(days=i)
    print(json.dumps({"idempotency_key": "%s-%05d" % (p, i), "program": "JKM",
        "participant": {"kpj": "24128006011", "nik": "3516051406890001"},
        "event": {"type": "DEATH", "date": d.isoformat(),
                  "reported_at": (d + datetime.timedelta(days=1)).isoformat() + "T09:00:00+07:00"},
        "heirs": [{"nik": "3516054101900901", "name": "Siti", "relation": "SPOUSE"}]}))
PY
}
gen before 50 >"$T_DIR/before.jsonl"
ctl submit "$T_DIR/before.jsonl" >"$T_DIR/acks.jsonl" || fail "submit before the disk is full"

# Fill the filesystem to the last block.
dd if=/dev/zero of="$T_DATA/filler" bs=4k >/dev/null 2>&1 || true
gen full 300 >"$T_DIR/full.jsonl"
rc=0; ctl --timeout 5000 submit "$T_DIR/full.jsonl" >>"$T_DIR/acks.jsonl" 2>"$T_DIR/full.err" || rc=$?
[ "$rc" = 69 ] || fail "submit on a full disk: exit $rc, expected 69 ($(head -3 "$T_DIR/full.err"))"
grep -q "UNAVAILABLE" "$T_DIR/full.err" || fail "no typed UNAVAILABLE error: $(head -3 "$T_DIR/full.err")"
grep -q "store: commit failed" "$T_LOG" || fail "the commit failure was not logged"
kill -0 "$T_PID" || fail "klaimd died on a full disk"
ctl stats >/dev/null || fail "klaimd stopped answering reads on a full disk"
pass "full disk: typed UNAVAILABLE, logged, still serving"

# Space comes back: klaimd resumes without a restart.
rm -f "$T_DATA/filler"
for _ in $(seq 50); do grep -q "commits work again" "$T_LOG" && break; sleep 0.1; done
grep -q "commits work again" "$T_LOG" || fail "klaimd did not resume after space came back"
gen after 50 >"$T_DIR/after.jsonl"
ctl submit "$T_DIR/after.jsonl" >>"$T_DIR/acks.jsonl" || fail "submit after space came back"
# Every acknowledged claim is stored and gets decided.
python3 - "$T_DIR/acks.jsonl" >"$T_DIR/acked_ids" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["claim_id"])
PY
n=$(wc -l <"$T_DIR/acked_ids")
[ "$n" -ge 100 ] || fail "only $n acks"
wait_decided "$n" 30
for id in $(cat "$T_DIR/acked_ids"); do
    num=$((10#${id#k-}))
    [ "$(db "SELECT count(*) FROM claims WHERE id=$num AND state IN (3,4,5)")" = 1 ] || fail "acked claim $id not decided"
done
pass "resumed; all $n acknowledged claims decided"
stop_klaimd
