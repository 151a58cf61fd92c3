#!/usr/bin/env bash
# manpages.sh - the manual pages and what `cmake --install` installs.
# 1. mandoc -Tlint -W warning passes on every page of man/.
# 2. The --flags each page names are exactly those its binary's --help
#    names: klaimd(8), klaim-worker(8), and klaimctl(1) as a whole and, per
#    verb, the COMMANDS subsection against `klaimctl VERB --help`; every
#    verb of `klaimctl --help` has its subsection. A flag added to a help
#    text and not to the page (or the other way round) fails here.
# 3. klaimd.conf(5) documents exactly the keys of config/klaimd.conf.
# 4. `cmake --install` of this build into a temp prefix installs the
#    binaries, the four pages, the unit, the example config and the docs;
#    man(1) renders the installed klaimd(8) from that tree, and the unit's
#    Documentation= man pages are among the installed ones.
source "$(dirname "$0")/lib.sh"
: "${KLAIM_WORKER:?set KLAIM_WORKER to the klaim-worker binary}"
: "${KLAIM_BUILD_DIR:?set KLAIM_BUILD_DIR to the build dir of the binaries}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MAN_DIR="$SRC/man"
PAGES=(klaimctl.1 klaimd.conf.5 klaimd.8 klaim-worker.8)

# --- 1. lint
for p in "${PAGES[@]}"; do
    [ -f "$MAN_DIR/$p" ] || fail "man/$p is missing"
    out=$(mandoc -Tlint -W warning "$MAN_DIR/$p" 2>&1) || fail "mandoc -Tlint -W warning man/$p: $out"
done
pass "mandoc -Tlint -W warning: ${PAGES[*]} clean"

# The --flag tokens of a text on stdin, sorted, one a line.
flags() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u || true; }
# A page rendered as Markdown (Fl -x shows as **--x**, .Ss as "## NAME").
render() { mandoc -Tmarkdown "$MAN_DIR/$1"; }
# The Markdown of subsection $2 of page $1: from "## $2" to the next heading.
subsection() { render "$1" | awk -v h="## $2" '$0 == h { on = 1; next } /^#/ { on = 0 } on'; }
# same_flags WHAT HELP_FLAGS PAGE_FLAGS: fail naming what is only on one side.
same_flags() {
    local only_help only_page
    only_help=$(comm -23 <(printf '%s\n' "$2") <(printf '%s\n' "$3") | tr '\n' ' ')
    only_page=$(comm -13 <(printf '%s\n' "$2") <(printf '%s\n' "$3") | tr '\n' ' ')
    [ -z "${only_help// }" ] || fail "$1: in --help but not in the page: $only_help(add them to man/)"
    [ -z "${only_page// }" ] || fail "$1: in the page but not in --help: $only_page"
}

# --- 2. flags: page = --help
[ -n "$("$KLAIMD" --help | flags)" ] || fail "klaimd --help names no --flag"
same_flags "klaimd(8)" "$("$KLAIMD" --help | flags)" "$(render klaimd.8 | flags)"
same_flags "klaim-worker(8)" "$("$KLAIM_WORKER" --help | flags)" "$(render klaim-worker.8 | flags)"
pass "klaimd(8) and klaim-worker(8) name the flags of their --help"

verbs=$("$KLAIMCTL" --help | awk '/^verbs:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }' | sort -u)
[ "$(printf '%s\n' "$verbs" | wc -l)" -ge 10 ] || fail "klaimctl --help lists too few verbs: $verbs"
all_help=$("$KLAIMCTL" --help | flags)
ctl_md=$(render klaimctl.1)   # a variable: grep -q on a pipe would SIGPIPE mandoc under pipefail
for v in $verbs; do
    grep -qx "## $v" <<<"$ctl_md" || fail "klaimctl(1) has no COMMANDS subsection for the verb $v"
    vh=$("$KLAIMCTL" "$v" --help) || fail "klaimctl $v --help exited $?"
    same_flags "klaimctl(1) verb $v" "$(printf '%s\n' "$vh" | flags)" "$(subsection klaimctl.1 "$v" | flags)"
    all_help=$(printf '%s\n%s\n' "$all_help" "$(printf '%s\n' "$vh" | flags)" | sort -u)
done
same_flags "klaimctl(1)" "$(printf '%s\n' "$all_help" | sed '/^$/d')" "$(render klaimctl.1 | flags)"
pass "klaimctl(1): every verb ($(echo $verbs)) has its subsection with the flags of its --help"

# --- 3. every config key documented, no other
conf_keys=$(grep -oE '^#?[a-z_]+ =' "$SRC/config/klaimd.conf" | tr -d '#=' | tr -d ' ' | sort -u)
page_keys=$(grep -oE '^\.It Cm [a-z_]+ No =' "$MAN_DIR/klaimd.conf.5" | awk '{ print $3 }' | sort -u)
[ "$(printf '%s\n' "$conf_keys" | wc -l)" -ge 30 ] || fail "config/klaimd.conf: too few keys found: $conf_keys"
d=$(diff <(printf '%s\n' "$conf_keys") <(printf '%s\n' "$page_keys")) ||
    fail "klaimd.conf(5) and config/klaimd.conf list different keys (< config, > page): $d"
pass "klaimd.conf(5) documents the $(printf '%s\n' "$conf_keys" | wc -l) keys of config/klaimd.conf"

# --- 4. cmake --install
INST="$T_DIR/inst"
out=$(cmake --install "$KLAIM_BUILD_DIR" --prefix "$INST" 2>&1) || fail "cmake --install $KLAIM_BUILD_DIR: $out"
expect=(bin/klaimctl sbin/klaimd sbin/klaim-worker
        share/man/man1/klaimctl.1 share/man/man5/klaimd.conf.5
        share/man/man8/klaimd.8 share/man/man8/klaim-worker.8
        lib/systemd/system/klaimd.service lib/tmpfiles.d/klaimd.conf share/doc/klaimd/examples/klaimd.conf
        share/doc/klaimd/README.md share/doc/klaimd/PROTOCOL.md)
for md in "$SRC"/docs/*.md; do expect+=("share/doc/klaimd/$(basename "$md")"); done
for f in "${expect[@]}"; do
    [ -s "$INST/$f" ] || fail "cmake --install did not install $f (under $INST)"
done
for b in bin/klaimctl sbin/klaimd sbin/klaim-worker; do
    [ -x "$INST/$b" ] || fail "$INST/$b is not executable"
    "$INST/$b" --version >/dev/null || fail "installed $b --version exited $?"
done
cmp -s "$INST/share/man/man8/klaimd.8" "$MAN_DIR/klaimd.8" || fail "installed klaimd.8 differs from man/klaimd.8"
pass "cmake --install put ${#expect[@]} files in place"

# man(1) finds and renders the installed page from the installed tree.
txt=$(MANPATH="$INST/share/man" MANPAGER=cat PAGER=cat MANWIDTH=80 man 8 klaimd 2>&1) ||
    fail "man 8 klaimd from $INST/share/man: $txt"
grep -q "JKK and JKM claims-processing daemon" <<<"$txt" || fail "man 8 klaimd did not render the NAME line: $txt"
grep -q -- "--data-dir" <<<"$txt" || fail "man 8 klaimd did not render the options"
txt=$(mandoc -Tmarkdown "$INST/share/man/man5/klaimd.conf.5") || fail "mandoc cannot render the installed klaimd.conf.5"
grep -q "review_second_approval_rupiah" <<<"$txt" || fail "installed klaimd.conf.5 lacks its keys"
pass "man 8 klaimd renders the installed page"

# The unit's Documentation= points at what was installed.
docs=$(sed -n 's/^Documentation=//p' "$INST/lib/systemd/system/klaimd.service")
n=0
for u in $docs; do
    case "$u" in
    man:*)
        name=${u#man:}; sec=${name##*(}; sec=${sec%)}; name=${name%(*}
        [ -f "$INST/share/man/man$sec/$name.$sec" ] || fail "klaimd.service Documentation=$u is not installed"
        n=$((n + 1)) ;;
    file:///usr/local/*)
        [ -f "$INST/${u#file:///usr/local/}" ] || fail "klaimd.service Documentation=$u is not installed" ;;
    *) fail "klaimd.service Documentation=$u: neither man: nor an installed file:///usr/local/ path" ;;
    esac
done
[ "$n" -ge 1 ] || fail "klaimd.service Documentation= names no man page: $docs"
pass "klaimd.service Documentation= ($docs) points at installed pages"
