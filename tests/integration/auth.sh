#!/usr/bin/env bash
# auth.sh - CURVE authentication and roles with real keys and real sockets:
# an unknown key is refused at the handshake, each role may do only its
# own requests (a typed FORBIDDEN otherwise), a hospital sees only its own
# claims, and SIGHUP reloads the allow-list (a bad one keeps the old).
source "$(dirname "$0")/lib.sh"

K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -p "$K" "$C"
for who in server rsis rsud console upstream admin reviewer stranger; do
    "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"
done
[ "$(stat -c %a "$K/server.key")" = 600 ] || fail "keygen: the secret key file is not 0600"
rc=0; "$KLAIMCTL" keygen "$K/server" >/dev/null 2>&1 || rc=$?
[ "$rc" = 73 ] || fail "keygen over an existing key: exit $rc, expected 73"
allow() { printf 'name = %s\nrole = %s\n%s\n' "$2" "$3" "$(grep '^public' "$K/$1.pub")" >"$C/$1.client"; }
allow rsis "RS Islam Sakinah" hospital
allow rsud "RSUD Wahidin" hospital
allow console "Rapid response console" console
allow upstream "BPJS upstream" upstream
allow admin "Admin" admin
allow reviewer "Reviewer" reviewer
printf 'curve_secret_key_file = %s\nclients_dir = %s\n' "$K/server.key" "$C" >"$T_DIR/klaimd.conf"

as() { local who=$1; shift; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/$who.key" --server-key "$K/server.pub" "$@"; }
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1
grep -q "CURVE on: 6 clients" "$T_LOG" || fail "klaimd did not load 6 clients"

# Unknown key and no key at all: refused at the handshake, said at once
# (77, klaimctl's socket monitor sees it; ctl_ux.sh checks the messages).
rc=0; as stranger --timeout 1500 stats >/dev/null 2>"$T_DIR/stranger.err" || rc=$?
[ "$rc" = 77 ] || fail "unknown key: exit $rc, expected 77"
grep -q "refused unknown key" "$T_LOG" || fail "klaimd did not log the refused key"
rc=0; "$KLAIMCTL" --endpoint "$T_EP" --timeout 1500 stats >/dev/null 2>&1 || rc=$?
[ "$rc" = 77 ] || fail "plain (no CURVE) client: exit $rc, expected 77"
pass "unknown key and plain client refused"

import_demo_registry   # as admin
as upstream registry import "$KLAIM_SHARED_DIR/domain/registry-demo.csv" >/dev/null || fail "upstream registry import"
python3 -c 'import json,sys
for l in open(sys.argv[1]):
    c=json.loads(l)
    if c["name"]=="jkm-regime-boundary-2019-12-02-42M": print(json.dumps(c["claim"]))' \
    "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/claim.json"
as rsis submit --wait "$T_DIR/claim.json" >"$T_DIR/rsis.json" || fail "hospital submit"
id=$(json_get "$T_DIR/rsis.json" 'j["claim_id"]')
[ "$(json_get "$T_DIR/rsis.json" 'j["total"]')" = 42000000 ] || fail "hospital claim decision"
[ "$(db "SELECT owner FROM claims WHERE id=1")" = "key:$(sed -n 's/^public = //p' "$K/rsis.pub")" ] \
    || fail "owner is not the authenticated key: $(db "SELECT owner FROM claims WHERE id=1")"
as rsis status "$id" >/dev/null || fail "a hospital reads its own claim"
rc=0; as rsud status "$id" >/dev/null 2>"$T_DIR/rsud.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_FOUND "$T_DIR/rsud.err" || fail "another hospital read the claim (exit $rc)"
rc=0; as rsud submit "$T_DIR/claim.json" >/dev/null 2>"$T_DIR/conf.err" || rc=$?
[ "$rc" = 65 ] && grep -q IDEMPOTENCY_CONFLICT "$T_DIR/conf.err" || fail "another hospital reusing the key: exit $rc"
as admin status "$id" >/dev/null || fail "admin reads any claim"
pass "hospital sees only its own claims"

expect_forbidden() {
    local who=$1; shift
    local rc=0
    as "$who" "$@" >/dev/null 2>"$T_DIR/forb.err" || rc=$?
    [ "$rc" = 77 ] && grep -q FORBIDDEN "$T_DIR/forb.err" || fail "$who $*: exit $rc, expected 77 FORBIDDEN ($(cat "$T_DIR/forb.err"))"
}
expect_forbidden console submit "$T_DIR/claim.json"
expect_forbidden upstream submit "$T_DIR/claim.json"
expect_forbidden rsis registry import "$KLAIM_SHARED_DIR/domain/registry-demo.csv"
expect_forbidden rsis stats
expect_forbidden rsis review list
expect_forbidden console review list
expect_forbidden console status "$id"
as console stats >/dev/null || fail "console stats"
as admin review list >/dev/null || fail "admin review list"
# payments (docs/money.md §6): upstream and admin batch, show and settle; admin records accounts
printf '1,1,%s,1,PAID,R1,2026-03-11,\n' "$id" >"$T_DIR/settle.csv"
for who in rsis console; do
    expect_forbidden "$who" payments batch --out "$T_DIR"
    expect_forbidden "$who" payments show 1
    expect_forbidden "$who" payments settle "$T_DIR/settle.csv"
done
expect_forbidden upstream payments account "$id" --payee 0 --bank-code 008 --account 1234567890 --account-name X --by Sri
expect_forbidden reviewer payments batch --out "$T_DIR"
expect_forbidden reviewer payments settle "$T_DIR/settle.csv"
as reviewer payments account "$id" --payee 0 --bank-code 008 --account 1234567890 --account-name Sumiati --by Sri \
    >"$T_DIR/acct.json" 2>"$T_DIR/acct.err" || fail "reviewer payments account: $(cat "$T_DIR/acct.err")"
json_get "$T_DIR/acct.json" 'j["bank"]["account"] == "1234567890" and j["bank_name_mismatch"] is False' | grep -q True \
    || fail "reviewer payments account: $(cat "$T_DIR/acct.json")"
as upstream payments batch --out "$T_DIR" >"$T_DIR/batch.json" 2>/dev/null || fail "upstream payments batch"
json_get "$T_DIR/batch.json" 'j["batch"] == 1 and j["claims"] == 1' | grep -q True \
    || fail "upstream payments batch with the reviewer's account: $(cat "$T_DIR/batch.json")"
as upstream payments show 1 >/dev/null || fail "upstream payments show"
rc=0; as upstream payments show 2 >/dev/null 2>"$T_DIR/show.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_FOUND "$T_DIR/show.err" || fail "upstream payments show 2: exit $rc"
pass "roles: typed FORBIDDEN for what a role may not do"

# The feed PUB: only console and admin keys get through the handshake.
sub_try() {  # sub_try WHO: connects a CURVE SUB with WHO's key, waits up to 3 s for one event
    /usr/bin/python3 - "$K/$1.key" "$K/server.pub" "$T_FEED_EP" <<'PY'
import sys, zmq
def key(path, name):
    for line in open(path):
        k, _, v = line.partition("=")
        if k.strip() == name: return v.strip().encode()
ctx = zmq.Context(); s = ctx.socket(zmq.SUB)
s.curve_publickey = key(sys.argv[1], "public"); s.curve_secretkey = key(sys.argv[1], "secret")
s.curve_serverkey = key(sys.argv[2], "public")
s.setsockopt(zmq.SUBSCRIBE, b""); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[3])
print("got" if s.poll(3000) else "nothing")
PY
}
sub_try console >"$T_DIR/sub_console" &
S1=$!
sub_try rsis >"$T_DIR/sub_rsis" &
S2=$!
sleep 0.8
as rsis submit "$T_DIR/claim.json" >/dev/null || fail "hospital resubmit"
sed 's/DEMO-001/DEMO-001-B/' "$T_DIR/claim.json" >"$T_DIR/claim2.json"
as admin submit "$T_DIR/claim2.json" >/dev/null || fail "admin submit for the feed"
wait $S1 $S2
[ "$(cat "$T_DIR/sub_console")" = got ] || fail "the console got no feed event"
[ "$(cat "$T_DIR/sub_rsis")" = nothing ] || fail "a hospital key received the feed"
grep -q 'refused client "RS Islam Sakinah" (hospital) on the feed' "$T_LOG" || fail "feed refusal not logged"
pass "feed: console subscribes, a hospital key is refused at the handshake"

# Reload: revoke RSUD; a broken allow-list is refused and the old one kept.
rm "$C/rsud.client"
kill -HUP "$T_PID"
for _ in $(seq 50); do grep -q "reload: 5 clients" "$T_LOG" && break; sleep 0.1; done
grep -q "reload: 5 clients" "$T_LOG" || fail "SIGHUP did not reload the allow-list"
rc=0; as rsud --timeout 1500 status "$id" >/dev/null 2>&1 || rc=$?
[ "$rc" = 77 ] || fail "revoked key: exit $rc, expected 77 (refused)"
as rsis status "$id" >/dev/null || fail "others keep working after a reload"
echo "role = surgeon" >"$C/broken.client"
kill -HUP "$T_PID"
for _ in $(seq 50); do grep -q "keeping the running allow-list" "$T_LOG" && break; sleep 0.1; done
grep -q "broken.client:1: role = \"surgeon\"" "$T_LOG" || fail "bad client file not reported with file:line"
as rsis status "$id" >/dev/null || fail "a bad reload dropped the old allow-list"
kill -0 "$T_PID" || fail "klaimd died on a bad reload"
pass "SIGHUP reload: revoke works, a bad allow-list keeps the old"
rm "$C/broken.client"

# Config errors: CURVE half-configured, non-loopback without CURVE.
printf 'clients_dir = %s\n' "$C" >"$T_DIR/half.conf"
rc=0; "$KLAIMD" --config "$T_DIR/half.conf" --data-dir "$T_DIR/d2" >/dev/null 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "clients_dir without a server key: exit $rc, expected 78"
rc=0; "$KLAIMD" --data-dir "$T_DIR/d3" --intake-endpoint tcp://0.0.0.0:1 >/dev/null 2>"$T_DIR/nl.err" || rc=$?
[ "$rc" = 78 ] && grep -q "loopback" "$T_DIR/nl.err" || fail "non-loopback without CURVE: exit $rc"
pass "configuration errors exit 78"
stop_klaimd
