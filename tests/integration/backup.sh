#!/usr/bin/env bash
# backup.sh - klaimctl backup of a live store under load, and the restore
# of that copy on a second klaimd (README "Backup and restore"):
# - a backup taken while 2000 claims flow (32 in flight) holds every claim
#   acknowledged before the backup was asked for, and is a consistent
#   prefix of the store (claims 1..M, exactly as the live store has them),
#   whose claim count and audit head are those klaimctl printed;
# - PRAGMA integrity_check says ok, no FILE.tmp is left;
# - restored into a new data dir, klaimd starts on it, audit verify says
#   ok, and the claims that were waiting get decided;
# - refusals: an existing FILE (65, untouched), a relative path or a path
#   outside backup_dir (65, nothing written), a backup_dir klaimd cannot
#   create (73), a role other than admin (77, CURVE).
# Why acks recorded before the request and not after the reply: klaimd
# answers in the loop pass in which the copy ends, so it holds every claim
# acknowledged before the reply; but this shell reads the acks file only
# some milliseconds after klaimctl printed, and a claim acknowledged in
# that gap may be newer than the copy. The strict check is on the acks
# before the request, plus the prefix property (nothing in the copy is
# missing before its newest claim), which together with the monotonic
# claim ids is what "everything acknowledged earlier" means.
source "$(dirname "$0")/lib.sh"

start_klaimd --workers 2
import_demo_registry
gen_claims 2000 BK 0 >"$T_DIR/claims.jsonl"
ctl submit --inflight 32 "$T_DIR/claims.jsonl" >"$T_DIR/acks.jsonl" 2>"$T_DIR/submit.err" &
SUB=$!
for _ in $(seq 1 300); do
    [ "$(wc -l <"$T_DIR/acks.jsonl")" -ge 300 ] && break
    sleep 0.1
done
[ "$(wc -l <"$T_DIR/acks.jsonl")" -ge 300 ] || fail "fewer than 300 acks after 30 s"

# Under load: the acks so far, then the backup, then the acks by then.
S0=$(stat -c %s "$T_DIR/acks.jsonl")
ctl backup live.db >"$T_DIR/backup.json" 2>"$T_DIR/backup.err" || fail "backup: $(cat "$T_DIR/backup.err")"
S1=$(stat -c %s "$T_DIR/acks.jsonl")
kill -0 "$SUB" 2>/dev/null && under_load=yes || under_load=no
B="$T_DATA/backups/live.db"
[ "$(json_get "$T_DIR/backup.json" 'j["path"]')" = "$B" ] || fail "backup path: $(cat "$T_DIR/backup.json")"
[ -f "$B" ] || fail "no $B"
[ ! -e "$B.tmp" ] || fail "$B.tmp left behind"
[ "$(json_get "$T_DIR/backup.json" 'j["size_bytes"]')" = "$(stat -c %s "$B")" ] || fail "size_bytes is not the file's size"
pass "backup written while claims flowed (submitter still running: $under_load)"

# Refusals while klaimd runs: nothing written, nothing changed.
sum=$(sha256sum <"$B")
rc=0; ctl backup live.db >/dev/null 2>"$T_DIR/exists.err" || rc=$?
[ "$rc" = 65 ] && grep -q BACKUP_REFUSED "$T_DIR/exists.err" && grep -q exists "$T_DIR/exists.err" \
    || fail "backup over an existing file: exit $rc, $(cat "$T_DIR/exists.err")"
[ "$(sha256sum <"$B")" = "$sum" ] || fail "the existing backup was changed"
rc=0; ctl backup ../evil.db >/dev/null 2>"$T_DIR/rel.err" || rc=$?
[ "$rc" = 65 ] && grep -q "relative path" "$T_DIR/rel.err" || fail "relative path: exit $rc, $(cat "$T_DIR/rel.err")"
rc=0; ctl backup "$T_DIR/evil.db" >/dev/null 2>"$T_DIR/abs.err" || rc=$?
[ "$rc" = 65 ] && grep -q "not in backup_dir $T_DATA/backups" "$T_DIR/abs.err" \
    || fail "path outside backup_dir: exit $rc, $(cat "$T_DIR/abs.err")"
[ ! -e "$T_DATA/evil.db" ] && [ ! -e "$T_DIR/evil.db" ] && [ ! -e "$T_DIR/evil.db.tmp" ] || fail "a refused backup wrote a file"
ctl backup "$T_DATA/backups/second.db" >/dev/null || fail "an absolute path inside backup_dir was refused"
pass "existing file, relative path and foreign directory refused (65); absolute path inside backup_dir taken"

wait "$SUB" || fail "submit failed: $(tail -3 "$T_DIR/submit.err")"
[ "$(wc -l <"$T_DIR/acks.jsonl")" = 2000 ] || fail "not all 2000 claims acked"
stop_klaimd
LIVE="$T_DATA/klaim.db"

[ "$(sqlite3 -readonly "$B" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check of the backup"

# The acks before the request, each in the copy under its key.
head -c "$S0" "$T_DIR/acks.jsonl" | python3 -c '
import json, sys
for l in sys.stdin.read().split("\n")[:-1]:   # complete lines only
    a = json.loads(l); print("%s|%d" % (a["idempotency_key"], int(a["claim_id"][2:])))' | sort >"$T_DIR/acked0.txt"
n0=$(wc -l <"$T_DIR/acked0.txt")
[ "$n0" -ge 300 ] || fail "only $n0 acks recorded before the request"
sqlite3 -readonly "$B" "SELECT idem_key || '|' || id FROM claims" | sort >"$T_DIR/inbackup.txt"
missing=$(comm -23 "$T_DIR/acked0.txt" "$T_DIR/inbackup.txt" | wc -l)
[ "$missing" = 0 ] || fail "$missing claims acked before the backup request are not in the backup"
# Acks up to the reply: the ones not in the copy must all be newer than it.
M=$(sqlite3 -readonly "$B" "SELECT max(id) FROM claims")
head -c "$S1" "$T_DIR/acks.jsonl" | python3 -c '
import json, sys
m = int(sys.argv[1]); have = set(l.strip() for l in open(sys.argv[2]))
late = 0
for l in sys.stdin.read().split("\n")[:-1]:
    a = json.loads(l); k = "%s|%d" % (a["idempotency_key"], int(a["claim_id"][2:]))
    if k not in have:
        assert int(a["claim_id"][2:]) > m, "acked claim %s is older than the copy yet not in it" % k
        late += 1
print(late)' "$M" "$T_DIR/inbackup.txt" >"$T_DIR/late.txt" || fail "an ack before the reply is missing from the copy"
# The prefix: claims 1..M exactly as the live store has them.
nb=$(sqlite3 -readonly "$B" "SELECT count(*) FROM claims")
[ "$nb" = "$M" ] || fail "the backup has $nb claims but its newest is $M: a gap"
sqlite3 -readonly "$LIVE" "SELECT idem_key || '|' || id FROM claims WHERE id <= $M" | sort >"$T_DIR/liveprefix.txt"
cmp -s "$T_DIR/liveprefix.txt" "$T_DIR/inbackup.txt" || fail "the backup differs from the live store's claims 1..$M"
[ "$(json_get "$T_DIR/backup.json" 'j["claims"]')" = "$nb" ] || fail "reported claims != claims in the copy ($nb)"
head=$(sqlite3 -readonly "$B" "SELECT coalesce(max(seq), 0) FROM audit")
[ "$(json_get "$T_DIR/backup.json" 'j["audit_head_seq"]')" = "$head" ] || fail "reported audit head != the copy's ($head)"
pass "backup holds all $n0 claims acked before the request, is the live store's prefix 1..$M ($(cat "$T_DIR/late.txt") acked after it, all newer), integrity ok"

# Restore into a new data dir (README "Backup and restore"), with CURVE so
# that the roles can be checked, and a backup_dir klaimd cannot create.
K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -p "$K" "$C"
for who in server admin upstream; do "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"; done
allow() { printf 'name = %s\nrole = %s\n%s\n' "$1" "$2" "$(grep '^public' "$K/$1.pub")" >"$C/$1.client"; }
allow admin admin
allow upstream upstream
: >"$T_DIR/notadir"
printf 'curve_secret_key_file = %s\nclients_dir = %s\nbackup_dir = %s\n' \
    "$K/server.key" "$C" "$T_DIR/notadir/backups" >"$T_DIR/klaimd2.conf"
T_DATA="$T_DIR/data2"
mkdir -m 0700 "$T_DATA"
cp "$B" "$T_DATA/klaim.db"
rm -f "$T_DATA/klaim.db-wal" "$T_DATA/klaim.db-shm"
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")
start_klaimd --config "$T_DIR/klaimd2.conf" --workers 2
ctl audit verify >"$T_DIR/verify.json" || fail "audit verify on the restored store: $(cat "$T_DIR/verify.json")"
[ "$(json_get "$T_DIR/verify.json" 'j["ok"]')" = True ] || fail "audit verify: $(cat "$T_DIR/verify.json")"
[ "$(json_get "$T_DIR/verify.json" 'j["head_seq"]')" = "$head" ] || fail "restored audit head != the copy's"
import_demo_registry   # registry/ is not part of the backup (README)
wait_decided "$nb" 60
pass "restored klaimd: audit verify ok (head $head), all $nb claims decided"

rc=0; ctl backup again.db >/dev/null 2>"$T_DIR/cant.err" || rc=$?
[ "$rc" = 73 ] && grep -q CANNOT_WRITE "$T_DIR/cant.err" && grep -q "backup_dir $T_DIR/notadir/backups" "$T_DIR/cant.err" \
    || fail "backup_dir that cannot be created: exit $rc, $(cat "$T_DIR/cant.err")"
rc=0; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/upstream.key" --server-key "$K/server.pub" backup up.db \
    >/dev/null 2>"$T_DIR/forb.err" || rc=$?
[ "$rc" = 77 ] && grep -q FORBIDDEN "$T_DIR/forb.err" || fail "upstream role made a backup: exit $rc, $(cat "$T_DIR/forb.err")"
stop_klaimd
rc=0; ctl --timeout 300 backup x.db >/dev/null 2>&1 || rc=$?
[ "$rc" = 69 ] || fail "backup with klaimd down: exit $rc, expected 69"
pass "cannot write (73), non-admin (77), klaimd down (69)"
