#!/usr/bin/env bash
# identity.sh - claims belong to a credential, not to a name (issue 16):
# the owner recorded with a claim is "key:" + the CURVE public key or
# "token:" + the bearer token hash's prefix; another client's claim and a
# claim that does not exist get the same NOT_FOUND words (ZeroMQ status by
# id and by key, HTTP GET); claims stored with a name as owner (before
# owner ids) stay with the client of that name; two clients with one name
# are refused at start (exit 78, file:line) and on SIGHUP (old list kept).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh installs it)"

K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -p "$K" "$C"
for who in server rsa rsb admin twin; do
    "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"
done
pub() { sed -n 's/^public = //p' "$K/$1.pub"; }
allow() { printf 'name = %s\nrole = %s\npublic = %s\n' "$2" "$3" "$(pub "$1")" >"$C/$1.client"; }
allow rsa "RS Alpha" hospital
allow rsb "RS Beta" hospital
allow admin "Admin" admin
tok() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$T_DIR/tokens" <<TOK
# SHA256_HEX ROLE NAME
$(tok alpha-secret) hospital RS Alpha
$(tok beta-secret) hospital RS Beta
$(tok admin-secret) admin Operator
TOK
printf 'curve_secret_key_file = %s\nclients_dir = %s\ntokens_file = %s\n' "$K/server.key" "$C" "$T_DIR/tokens" \
    >"$T_DIR/klaimd.conf"
as() { local who=$1; shift; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/$who.key" --server-key "$K/server.pub" "$@"; }
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1
import_demo_registry

python3 -c 'import json,sys
for l in open(sys.argv[1]):
    c=json.loads(l)
    if c["name"]=="jkm-regime-boundary-2019-12-02-42M": print(json.dumps(c["claim"]))' \
    "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/claim.json"
key=$(json_get "$T_DIR/claim.json" 'j["idempotency_key"]')
mk() { sed "s/\"$key\"/\"$1\"/" "$T_DIR/claim.json" >"$T_DIR/$1.json"; }
mk IDA-1; mk IDB-1; mk IDH-1; mk IDL-1

# ------------------------------------------------------------- ZeroMQ
as rsa submit --wait "$T_DIR/IDA-1.json" >"$T_DIR/a.json" || fail "RS Alpha submit"
ida=$(json_get "$T_DIR/a.json" 'j["claim_id"]')
as rsb submit --wait "$T_DIR/IDB-1.json" >"$T_DIR/b.json" || fail "RS Beta submit"
idb=$(json_get "$T_DIR/b.json" 'j["claim_id"]')
[ "$(db "SELECT owner FROM claims WHERE id=${ida#k-}")" = "key:$(pub rsa)" ] \
    || fail "the owner is not the key: $(db "SELECT owner FROM claims WHERE id=${ida#k-}")"
as rsa status "$ida" >/dev/null || fail "RS Alpha reads its own claim"
as rsb status "$idb" >/dev/null || fail "RS Beta reads its own claim"
as rsa status --key IDA-1 >/dev/null || fail "RS Alpha reads its own claim by key"
as rsa submit "$T_DIR/IDA-1.json" >"$T_DIR/rep.json" || fail "RS Alpha repeating its key"
[ "$(json_get "$T_DIR/rep.json" 'j["claim_id"]')" = "$ida" ] || fail "the same key from the same owner got another id"

# not_found WHO OUT status ARGS: exit 65 with NOT_FOUND, stderr kept in OUT.
not_found() {
    local who=$1 out=$2; shift 2
    local rc=0
    as "$who" "$@" >/dev/null 2>"$out" || rc=$?
    [ "$rc" = 65 ] && grep -q NOT_FOUND "$out" || fail "$who $*: exit $rc, expected 65 NOT_FOUND ($(cat "$out"))"
}
missing=k-000000099999
not_found rsb "$T_DIR/other.err" status "$ida"
not_found rsb "$T_DIR/none.err" status "$missing"
grep -q "no claim $ida visible to this client" "$T_DIR/other.err" || fail "NOT_FOUND words: $(cat "$T_DIR/other.err")"
[ "$(sed "s/$ida/ID/g" "$T_DIR/other.err")" = "$(sed "s/$missing/ID/g" "$T_DIR/none.err")" ] \
    || fail "another's claim and a missing one read differently: $(cat "$T_DIR/other.err") / $(cat "$T_DIR/none.err")"
not_found rsb "$T_DIR/okey.err" status --key IDA-1
not_found rsb "$T_DIR/nkey.err" status --key IDX-NONE
[ "$(sed "s/IDA-1/KEY/g" "$T_DIR/okey.err")" = "$(sed "s/IDX-NONE/KEY/g" "$T_DIR/nkey.err")" ] \
    || fail "by key: another's claim and a missing one read differently: $(cat "$T_DIR/okey.err") / $(cat "$T_DIR/nkey.err")"
pass "ZeroMQ: the owner is the key; another's claim and a missing one get the same NOT_FOUND (by id and by key)"

# --------------------------------------------------------------- HTTP
U="http://$T_HTTP"
get() { curl -s -o "$T_DIR/body" -w '%{http_code}' -H "Authorization: Bearer $2" "$U/v1/claims/$1"; }
code=$(curl -s -o "$T_DIR/body" -w '%{http_code}' -H "Authorization: Bearer alpha-secret" \
    -H "Content-Type: application/json" --data-binary @"$T_DIR/IDH-1.json" "$U/v1/claims")
[ "$code" = 201 ] || fail "HTTP submit: $code $(cat "$T_DIR/body")"
idh=$(json_get "$T_DIR/body" 'j["claim_id"]')
[ "$(db "SELECT owner FROM claims WHERE id=${idh#k-}")" = "token:$(tok alpha-secret | cut -c1-16)" ] \
    || fail "the HTTP owner is not the token: $(db "SELECT owner FROM claims WHERE id=${idh#k-}")"
[ "$(get "$idh" alpha-secret)" = 200 ] || fail "the token reads its own claim: $(cat "$T_DIR/body")"
[ "$(get "$idh" beta-secret)" = 404 ] || fail "another token read the claim: $(cat "$T_DIR/body")"
json_get "$T_DIR/body" 'j["error"]' | sed "s/$idh/ID/g" >"$T_DIR/h_other"
[ "$(get "$missing" beta-secret)" = 404 ] || fail "a missing claim over HTTP: $(cat "$T_DIR/body")"
json_get "$T_DIR/body" 'j["error"]' | sed "s/$missing/ID/g" >"$T_DIR/h_none"
grep -q "visible to this client" "$T_DIR/h_none" || fail "HTTP NOT_FOUND words: $(cat "$T_DIR/h_none")"
cmp -s "$T_DIR/h_other" "$T_DIR/h_none" || fail "HTTP: another's claim and a missing one differ: $(cat "$T_DIR/h_other") / $(cat "$T_DIR/h_none")"
# The CURVE key named "RS Alpha" is another credential than the token named so.
[ "$(get "$ida" alpha-secret)" = 404 ] || fail "a token read a claim of the CURVE key with its name"
pass "HTTP: the owner is the token; another's claim and a missing one get the same 404 error"

# ------------------------------------------- claims stored with name owners
# A claim stored before owner ids holds the client's name: it stays with
# the client of that name (intake.h klaim_owner_is), no one else.
as rsa submit --wait "$T_DIR/IDL-1.json" >"$T_DIR/l.json" || fail "RS Alpha submit (legacy)"
idl=$(json_get "$T_DIR/l.json" 'j["claim_id"]')
stop_klaimd
sqlite3 "$T_DATA/klaim.db" "UPDATE claims SET owner = 'RS Alpha' WHERE id = ${idl#k-}" || fail "sqlite3 update"
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1
as rsa status "$idl" >/dev/null || fail "RS Alpha lost its claim stored with a name owner"
as rsa submit "$T_DIR/IDL-1.json" >"$T_DIR/lrep.json" || fail "RS Alpha repeating a legacy key"
[ "$(json_get "$T_DIR/lrep.json" 'j["claim_id"]')" = "$idl" ] || fail "legacy idempotency: another id"
not_found rsb "$T_DIR/lother.err" status "$idl"
pass "a claim stored with a name owner stays with the client of that name"

# ------------------------------------------------ one name, two clients
printf 'name = %s\nrole = %s\n\npublic = %s\n' "RS Alpha" hospital "$(pub twin)" >"$C/twin.client"
kill -HUP "$T_PID"
for _ in $(seq 50); do grep -q "keeping the running allow-list" "$T_LOG" && break; sleep 0.1; done
grep -Eq "twin.client:1: the name \"RS Alpha\" is already used by rsa.client|rsa.client:1: the name \"RS Alpha\" is already used by twin.client" "$T_LOG" \
    || fail "SIGHUP: a second client named \"RS Alpha\" not refused with file:line"
rc=0; as twin --timeout 1500 stats >/dev/null 2>&1 || rc=$?
[ "$rc" = 77 ] || fail "the twin key got in after a refused reload: exit $rc"
as rsa status "$ida" >/dev/null || fail "a refused reload dropped the old allow-list"
pass "SIGHUP: a second client with a taken name is kept out, the old list stays"
stop_klaimd

rc=0; "$KLAIMD" --config "$T_DIR/klaimd.conf" --data-dir "$T_DIR/d2" --intake-endpoint "$T_EP" \
    --feed-endpoint "$T_FEED_EP" --http-listen "$T_HTTP" >/dev/null 2>"$T_DIR/dup.err" || rc=$?
[ "$rc" = 78 ] || fail "two clients named \"RS Alpha\": exit $rc, expected 78"
grep -Eq "(twin|rsa)\.client:1: the name \"RS Alpha\" is already used by (rsa|twin)\.client" "$T_DIR/dup.err" \
    || fail "the refusal does not name file:line: $(cat "$T_DIR/dup.err")"
rm "$C/twin.client"
printf '%s hospital RS Beta\n' "$(tok twin-secret)" >>"$T_DIR/tokens"
rc=0; "$KLAIMD" --config "$T_DIR/klaimd.conf" --data-dir "$T_DIR/d3" --intake-endpoint "$T_EP" \
    --feed-endpoint "$T_FEED_EP" --http-listen "$T_HTTP" >/dev/null 2>"$T_DIR/tdup.err" || rc=$?
[ "$rc" = 78 ] || fail "two tokens named \"RS Beta\": exit $rc, expected 78"
grep -q "tokens_file $T_DIR/tokens: line 5: the name \"RS Beta\" is already used on line 3" "$T_DIR/tdup.err" \
    || fail "the token refusal does not name file and line: $(cat "$T_DIR/tdup.err")"
pass "two clients or two tokens with one name: exit 78 naming file and line"
