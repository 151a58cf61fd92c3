#!/usr/bin/env bash
# cases.sh - the acceptance set: every case of shared/domain/cases.jsonl,
# submitted in file order through `klaimctl submit --wait` against the demo
# registry, compared on state, total, each item, reasons[0] and
# scholarship_children (shared/domain/README.md says how).
source "$(dirname "$0")/lib.sh"
CASES="$KLAIM_SHARED_DIR/domain/cases.jsonl"
[ -s "$CASES" ] || fail "$CASES is missing: the acceptance cases live in ../shared/domain"

start_klaimd
import_demo_registry
python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.dumps(json.loads(l)["claim"]))' "$CASES" >"$T_DIR/claims.jsonl"
# --inflight 1 keeps file order, which the duplicate case needs.
ctl submit --wait --inflight 1 "$T_DIR/claims.jsonl" >"$T_DIR/decisions.jsonl" || fail "submit --wait failed"

check_cases "$CASES" "$T_DIR/decisions.jsonl" || fail "acceptance cases differ"
stop_klaimd
