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
