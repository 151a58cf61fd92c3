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

python3 - "$CASES" "$T_DIR/decisions.jsonl" <<'PY' || fail "acceptance cases differ"
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(cases), f"{len(got)} decisions for {len(cases)} cases"
bad = 0
for c, d in zip(cases, got):
    e = c["expect"]
    items = {i["code"]: i["amount"] for i in d["items"]}
    problems = []
    if d["idempotency_key"] != c["claim"]["idempotency_key"]: problems.append("key")
    if d["state"] != e["state"]: problems.append(f"state {d['state']} != {e['state']}")
    if d["total"] != e["total"]: problems.append(f"total {d['total']} != {e['total']}")
    if items != e["items"]: problems.append(f"items {items} != {e['items']}")
    if e["reasons"] and (not d["reasons"] or d["reasons"][0]["code"] != e["reasons"][0]):
        problems.append(f"reasons {d['reasons']} != {e['reasons']}")
    if not e["reasons"] and d["reasons"]: problems.append(f"unexpected reasons {d['reasons']}")
    if "scholarship_children" in e and d["scholarship_children"] != e["scholarship_children"]:
        problems.append(f"scholarship {d['scholarship_children']} != {e['scholarship_children']}")
    if d["total"] != sum(items.values()): problems.append("total is not the sum of items")
    if problems:
        bad += 1
        print(f"FAIL {c['name']}: " + "; ".join(problems))
    else:
        print(f"ok   {c['name']}")
print(f"{len(cases) - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY
stop_klaimd
