#!/usr/bin/env bash
# ctl_ux.sh - klaimctl as operators use it: connection settings from the
# environment and from [klaimctl] of --config (flags win), claim ids checked
# before anything is sent (65, naming the id and the form), and klaimd's
# config errors naming the first bad line with that line's own text.
source "$(dirname "$0")/lib.sh"

# --- a config with two bad lines names the first one with its own text
printf 'workers = 1\nthis line is junk\nworkers = many\n' >"$T_DIR/bad2.conf"
rc=0; "$KLAIMD" --config "$T_DIR/bad2.conf" --data-dir "$T_DATA" >/dev/null 2>"$T_DIR/bad2.err" || rc=$?
[ "$rc" = 78 ] && grep -q 'bad2.conf:2: "this line is junk" is not a "key = value" line' "$T_DIR/bad2.err" \
    && ! grep -q many "$T_DIR/bad2.err" || fail "two bad lines: exit $rc $(cat "$T_DIR/bad2.err")"
printf 'workers = many\n\nno_such_key = 1\n' >"$T_DIR/bad3.conf"
rc=0; "$KLAIMD" --config "$T_DIR/bad3.conf" --data-dir "$T_DATA" >/dev/null 2>"$T_DIR/bad3.err" || rc=$?
[ "$rc" = 78 ] && grep -q 'bad3.conf:1: workers = "many"' "$T_DIR/bad3.err" && ! grep -q no_such_key "$T_DIR/bad3.err" \
    || fail "two bad keys: exit $rc $(cat "$T_DIR/bad3.err")"
pass "a config with two errors names the first line and its own text"

# --- a CURVE klaimd whose config also carries klaimctl's [klaimctl] section
K="$T_DIR/keys"; C="$T_DIR/clients.d"
mkdir -p "$K" "$C"
for who in server admin stranger; do "$KLAIMCTL" keygen "$K/$who" >/dev/null || fail "keygen $who"; done
printf 'name = Admin\nrole = admin\n%s\n' "$(grep '^public' "$K/admin.pub")" >"$C/admin.client"
cat >"$T_DIR/klaimd.conf" <<CONF
curve_secret_key_file = $K/server.key
clients_dir = $C

[klaimctl]
endpoint = $T_EP
curve_key = $K/admin.key
server_key = $K/server.pub
CONF
T_CTL_ARGS=(--curve-key "$K/admin.key" --server-key "$K/server.pub")
start_klaimd --config "$T_DIR/klaimd.conf" --workers 1

# environment alone
KLAIMCTL_ENDPOINT="$T_EP" KLAIMCTL_CURVE_KEY="$K/admin.key" KLAIMCTL_SERVER_KEY="$K/server.pub" \
    "$KLAIMCTL" --timeout 3000 stats >"$T_DIR/env.json" 2>"$T_DIR/env.err" || fail "stats from the environment: $(cat "$T_DIR/env.err")"
json_get "$T_DIR/env.json" 'j["claims"]' >/dev/null || fail "stats from the environment: $(cat "$T_DIR/env.json")"
# a flag wins over its variable
KLAIMCTL_ENDPOINT=tcp://127.0.0.1:1 KLAIMCTL_CURVE_KEY="$K/stranger.key" KLAIMCTL_SERVER_KEY="$K/server.pub" \
    "$KLAIMCTL" --timeout 3000 --endpoint "$T_EP" --curve-key "$K/admin.key" stats >/dev/null 2>"$T_DIR/flag.err" \
    || fail "flags over the environment: $(cat "$T_DIR/flag.err")"
# the variable is used when there is no flag: a dead endpoint from the environment
rc=0; KLAIMCTL_ENDPOINT=tcp://127.0.0.1:1 KLAIMCTL_CURVE_KEY="$K/admin.key" KLAIMCTL_SERVER_KEY="$K/server.pub" \
    "$KLAIMCTL" --timeout 500 stats >/dev/null 2>"$T_DIR/dead.err" || rc=$?
[ "$rc" = 69 ] && grep -q "tcp://127.0.0.1:1" "$T_DIR/dead.err" || fail "KLAIMCTL_ENDPOINT ignored: exit $rc $(cat "$T_DIR/dead.err")"
pass "KLAIMCTL_ENDPOINT, KLAIMCTL_CURVE_KEY, KLAIMCTL_SERVER_KEY; flags win"

# [klaimctl] of --config alone, and the environment over it
"$KLAIMCTL" --timeout 3000 --config "$T_DIR/klaimd.conf" stats >/dev/null 2>"$T_DIR/conf.err" \
    || fail "stats from [klaimctl]: $(cat "$T_DIR/conf.err")"
rc=0; KLAIMCTL_ENDPOINT=tcp://127.0.0.1:1 "$KLAIMCTL" --timeout 500 --config "$T_DIR/klaimd.conf" stats >/dev/null \
    2>"$T_DIR/confenv.err" || rc=$?
[ "$rc" = 69 ] && grep -q "tcp://127.0.0.1:1" "$T_DIR/confenv.err" || fail "environment over [klaimctl]: exit $rc"
"$KLAIMCTL" --help | grep -q KLAIMCTL_CURVE_KEY || fail "--help does not name KLAIMCTL_CURVE_KEY"
"$KLAIMCTL" --help | grep -q '\[klaimctl\]' || fail "--help does not name [klaimctl]"
pass "[klaimctl] endpoint, curve_key, server_key of --config; klaimd ignores the section"

# --- claim ids: a typo is bad input (65), named, never sent
expect_bad_id() {
    local rc=0
    ctl "$@" >/dev/null 2>"$T_DIR/id.err" || rc=$?
    [ "$rc" = 65 ] && grep -q '"x-1" is not a claim id: expected k- followed by digits' "$T_DIR/id.err" \
        || fail "$*: exit $rc, expected 65 naming x-1 ($(cat "$T_DIR/id.err"))"
}
expect_bad_id status x-1
expect_bad_id review approve x-1 --by Sri
expect_bad_id review reject x-1 --by Sri --note no
expect_bad_id review confirm x-1 --by Sri
expect_bad_id review list --after x-1
expect_bad_id audit show x-1
expect_bad_id payments account x-1 --payee 0 --bank-code 008 --account 1234567890 --account-name X --by Sri
rc=0; ctl status k-000000000999 >/dev/null 2>"$T_DIR/nf.err" || rc=$?
[ "$rc" = 65 ] && grep -q NOT_FOUND "$T_DIR/nf.err" || fail "a well-formed unknown id: exit $rc"
pass "a mistyped claim id exits 65 naming the id and the k-DIGITS form"

# --- --format: every verb prints a table or refuses the format (64)
import_demo_registry
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/claims.jsonl" <<'PY'
import json, sys
want = ["jkm-regime-boundary-2019-12-02-42M", "review-report-late-2025"]
cases = {c["name"]: c for c in map(json.loads, open(sys.argv[1]))}
for n in want:
    print(json.dumps(cases[n]["claim"]))
PY
ctl submit --wait --inflight 1 "$T_DIR/claims.jsonl" >"$T_DIR/decided.jsonl" || fail "submit --wait"
ok_id=$(json_get - 'j["claim_id"]' < <(grep '"APPROVED"' "$T_DIR/decided.jsonl"))
rv_id=$(json_get - 'j["claim_id"]' < <(grep '"PENDING_REVIEW"' "$T_DIR/decided.jsonl"))
[ -n "$ok_id" ] && [ -n "$rv_id" ] || fail "setup: $(cat "$T_DIR/decided.jsonl")"
wib='20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9] WIB'

ctl --format table status "$ok_id" >"$T_DIR/st.txt" || fail "status --format table"
grep -Eq '^total +42,000,000$' "$T_DIR/st.txt" && grep -Eq "^received_at +$wib\$" "$T_DIR/st.txt" \
    || fail "status table: no 42,000,000 or WIB time: $(cat "$T_DIR/st.txt")"
ctl --format table review list >"$T_DIR/rl.txt" || fail "review list --format table"
head -1 "$T_DIR/rl.txt" | grep -q '^CLAIM .*STATE.*TOTAL.*RECEIVED' && grep -q "^$rv_id .*PENDING_REVIEW" "$T_DIR/rl.txt" \
    && grep -Eq "$wib" "$T_DIR/rl.txt" && ! grep -q '{' "$T_DIR/rl.txt" || fail "review list table: $(cat "$T_DIR/rl.txt")"
ctl --format table audit show "$ok_id" >"$T_DIR/au.txt" || fail "audit show --format table"
head -1 "$T_DIR/au.txt" | grep -q '^ *SEQ .*AT .*ACTOR.*ACTION' && grep -Eq "^ *[0-9]+  $wib " "$T_DIR/au.txt" \
    || fail "audit show table: $(cat "$T_DIR/au.txt")"
ctl --format table watch --since 0 --count 3 >"$T_DIR/wa.txt" || fail "watch --format table"
head -1 "$T_DIR/wa.txt" | grep -q '^ *SEQ .*AT .*TYPE .*CLAIM' && [ "$(wc -l <"$T_DIR/wa.txt")" = 4 ] \
    && grep -Eq "^ +1  $wib +CLAIM_RECEIVED" "$T_DIR/wa.txt" && grep -q '42,000,000' "$T_DIR/wa.txt" \
    || fail "watch table: $(cat "$T_DIR/wa.txt")"
expect_refused() {
    local fmt=$1 name=$2 takes=$3; shift 3
    local rc=0
    ctl --format "$fmt" "$@" >"$T_DIR/fmt.out" 2>"$T_DIR/fmt.err" || rc=$?
    [ "$rc" = 64 ] && [ ! -s "$T_DIR/fmt.out" ] && grep -q "$name: --format $fmt is not supported; $name takes --format $takes" "$T_DIR/fmt.err" \
        || fail "--format $fmt $*: exit $rc, expected 64 ($(cat "$T_DIR/fmt.err"))"
}
expect_refused table "audit verify" json audit verify
expect_refused table payments json payments show 1
expect_refused table export "csv or jsonl" export decisions --since 2026-01-01
expect_refused csv status "json or table" status "$ok_id"
expect_refused jsonl watch "json or table" watch --count 1
pass "--format table for status, review list, audit show and watch (42,000,000, WIB); others refuse with 64"

# --- CURVE refusals are said at once (socket monitor), with what to do
t0=$(date +%s%N)
rc=0; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/stranger.key" --server-key "$K/server.pub" stats \
    >/dev/null 2>"$T_DIR/unk.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 77 ] && [ "$ms" -lt 5000 ] && grep -qF "refused this client's CURVE key (public = $(sed -n 's/^public *= *//p' "$K/stranger.pub")" "$T_DIR/unk.err" \
    && grep -q "clients_dir" "$T_DIR/unk.err" || fail "unknown key: exit $rc after $ms ms: $(cat "$T_DIR/unk.err")"
t0=$(date +%s%N)
rc=0; "$KLAIMCTL" --endpoint "$T_EP" stats >/dev/null 2>"$T_DIR/plain.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 77 ] && [ "$ms" -lt 5000 ] && grep -q "wants CURVE and this client gave no key" "$T_DIR/plain.err" \
    && grep -q -- "--curve-key" "$T_DIR/plain.err" && grep -q KLAIMCTL_SERVER_KEY "$T_DIR/plain.err" \
    || fail "no key for a CURVE klaimd: exit $rc after $ms ms: $(cat "$T_DIR/plain.err")"
rc=0; "$KLAIMCTL" --endpoint "$T_EP" --curve-key "$K/admin.key" --server-key "$K/admin.pub" stats >/dev/null \
    2>"$T_DIR/sk.err" || rc=$?
[ "$rc" = 77 ] && grep -q "is --server-key klaimd's public key" "$T_DIR/sk.err" \
    || fail "a wrong --server-key: exit $rc $(cat "$T_DIR/sk.err")"
pass "an unknown CURVE key, a missing key and a wrong server key exit 77 at once, saying what to set"

# --- registry import on a terminal: progress and an ETA through the build
"$KLAIMCTL" registry generate --rows 500000 --out "$T_DIR/big.csv" || fail "registry generate"
python3 - "$T_DIR/pty.out" "$KLAIMCTL" --endpoint "$T_EP" "${T_CTL_ARGS[@]}" registry import "$T_DIR/big.csv" \
    >"$T_DIR/big.json" <<'PY' || fail "registry import on a pty: $(cat "$T_DIR/pty.out")"
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[2:], stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
open(sys.argv[1], "wb").write(out.replace(b"\r", b"\n"))
sys.exit(p.wait())
PY
[ "$(json_get "$T_DIR/big.json" 'j["rows_read"]')" = 500000 ] || fail "big import: $(cat "$T_DIR/big.json")"
grep -Eq 'building the new generation: [0-9.]+ / [0-9.]+ MB read \([0-9]+%\)' "$T_DIR/pty.out" \
    || fail "no build progress on a terminal: $(tr -d '\033' <"$T_DIR/pty.out" | tail -5)"
pass "registry import shows the build's progress on a terminal ($(grep -c 'MB read' "$T_DIR/pty.out") updates)"
