#!/usr/bin/env bash
# cases_money.sh - the public money cases (the acceptance set of the money
# path, docs/money.md), run as an operator would through the real daemon:
#   phase 1: every claim submitted in file order, each after the one before
#            it is acknowledged and decided (earlier deaths and same-event
#            claims are found in commit order), compared with `expect`, and
#            the death benefit's payee checked against `payee_nik`;
#   phase 2: the review steps of each case, in file order, with klaimctl
#            review approve [--heir ...] / confirm / reject; a step marked
#            "refused" must fail with the named error code and change nothing;
#   phase 3: each reviewed claim compared with `expect_after_review`.
# Every APPROVED decision must name a payee with an id for every item.
source "$(dirname "$0")/lib.sh"
CASES="$KLAIM_SHARED_DIR/domain/cases-money.jsonl"
[ -s "$CASES" ] || fail "$CASES is missing: the money cases live in ../shared/domain"

start_klaimd --workers 2
import_demo_registry
python3 - "$CASES" "$KLAIMCTL" "$T_EP" >"$T_DIR/money.out" 2>&1 <<'PY' || { cat "$T_DIR/money.out"; fail "money cases differ"; }
import json, subprocess, sys

cases = [json.loads(l) for l in open(sys.argv[1])]
ctl_bin, ep = sys.argv[2], sys.argv[3]

def ctl(*args, ok=True):
    p = subprocess.run([ctl_bin, "--endpoint", ep, *args], capture_output=True, text=True, timeout=60)
    if ok and p.returncode != 0:
        raise SystemExit(f"klaimctl {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p

def status(cid):
    return json.loads(ctl("status", "--wait", "20000", cid).stdout)

def compare(name, e, d):
    problems = []
    items = {i["code"]: i["amount"] for i in d["items"]}
    if d["state"] != e["state"]: problems.append(f"state {d['state']} != {e['state']}")
    if d["total"] != e["total"]: problems.append(f"total {d['total']} != {e['total']}")
    if items != e["items"]: problems.append(f"items {items} != {e['items']}")
    if e["reasons"] and (not d["reasons"] or d["reasons"][0]["code"] != e["reasons"][0]):
        problems.append(f"reasons {[r['code'] for r in d['reasons']]} != {e['reasons']}")
    if not e["reasons"] and d["reasons"]: problems.append(f"unexpected reasons {d['reasons']}")
    if "scholarship_children" in e and d["scholarship_children"] != e["scholarship_children"]:
        problems.append(f"scholarship {d['scholarship_children']} != {e['scholarship_children']}")
    payees = d.get("payees", [])
    if d["state"] == "APPROVED":
        paid = sorted(c for p in payees for c in p["items"])
        if paid != sorted(items): problems.append(f"payees pay {paid}, items are {sorted(items)}")
        if any(not p.get("id") for p in payees): problems.append(f"a payee without an id: {payees}")
        if sum(p["amount"] for p in payees) != d["total"]: problems.append("payees do not add up to the total")
    elif payees:
        problems.append(f"a {d['state']} decision has payees {payees}")
    if "payee_nik" in e:
        heir = [p for p in payees if p["role"] == "HEIR"]
        if not heir or heir[0]["id"] != e["payee_nik"]:
            problems.append(f"death benefit paid to {heir}, expected the heir {e['payee_nik']}")
    print(("FAIL " if problems else "ok   ") + name + (": " + "; ".join(problems) if problems else ""))
    return not problems

bad, ids = 0, {}
# Phase 1
for c in cases:
    p = subprocess.run([ctl_bin, "--endpoint", ep, "submit", "--wait", "-"], input=json.dumps(c["claim"]),
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit(f"submit {c['name']}: exit {p.returncode}: {p.stderr.strip()}")
    d = json.loads(p.stdout)
    ids[c["name"]] = d["claim_id"]
    bad += not compare(c["name"], c["expect"], d)
# Phase 2
for c in cases:
    cid = ids[c["name"]]
    for step in c.get("review", []):
        before = status(cid)
        args = ["review", step["action"], cid, "--by", step["by"]]
        if "note" in step: args += ["--note", step["note"]]
        for h in step.get("heirs", []): args += ["--heir", f"{h['nik']}:{h['name']}:{h['relation']}"]
        if "refused" in step:
            p = ctl(*args, ok=False)
            after = status(cid)
            if p.returncode == 0 or step["refused"] not in p.stderr:
                bad += 1; print(f"FAIL {c['name']}: {step['action']} was not refused with {step['refused']}: "
                                f"exit {p.returncode} {p.stderr.strip()}")
            elif after != before:
                bad += 1; print(f"FAIL {c['name']}: a refused {step['action']} changed the claim")
            else:
                print(f"ok   {c['name']}: {step['action']} refused: {p.stderr.strip()}")
            continue
        ctl(*args)
    if c.get("review"):
        # Phase 3: once every step ran and the claim is decided again.
        bad += not compare(c["name"] + " (after review)", c["expect_after_review"], status(cid))
print(f"money: {len(cases) - bad} passed, {bad} failed" if bad <= len(cases) else f"{bad} failed")
sys.exit(1 if bad else 0)
PY
cat "$T_DIR/money.out"
pass "money cases: every line decided and reviewed as expected"
stop_klaimd
