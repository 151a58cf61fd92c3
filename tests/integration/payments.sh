#!/usr/bin/env bash
# payments.sh - docs/money.md §6 through the real daemon: APPROVED death
# claims whose heirs carry bank details go into a numbered batch (CSV and
# pain.001.001.03 XML, valid against the ISO 20022 schema), show renders
# the same bytes, a claim is never in two open batches, a claim without an
# account waits for `payments account`, the bank's result file settles
# lines PAID or FAILED (every bad file refused whole, naming the line,
# nothing changed), a failed claim is batched again only after its account
# was corrected, and kill -9 right after a batch and in the middle of a
# settlement loses nothing and pays nothing twice.
# Needs the decisions' payees (docs/money.md §2, computed by the workers).
source "$(dirname "$0")/lib.sh"

XSD="$(cd "$(dirname "$0")/../xsd" && pwd)/pain.001.001.03.xsd"
command -v xmllint >/dev/null || fail "xmllint is missing: install libxml2-utils (scripts/install-deps.sh)"

start_klaimd --workers 2
import_demo_registry

# APPROVED JKM acceptance cases with heirs: every heir gets an account in
# its own name, except in the last claim, which has none.
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/claims.jsonl" <<'PY'
import json, sys
picked = []
for c in map(json.loads, open(sys.argv[1])):
    e, cl = c["expect"], c["claim"]
    if cl["program"] == "JKM" and e["state"] == "APPROVED" and any(h.get("nik") for h in cl.get("heirs", [])):
        picked.append(cl)
picked = picked[:5]
assert len(picked) == 5, f"only {len(picked)} APPROVED JKM cases with heirs"
for n, cl in enumerate(picked):
    cl["idempotency_key"] = "PAY-" + cl["idempotency_key"]
    if n < 4:
        for i, h in enumerate(cl["heirs"]):
            h["bank"] = {"bank_code": "008" if i % 2 == 0 else "002", "account": "%010d" % (1000000 + 100 * n + i),
                         "name": h["name"]}
    print(json.dumps(cl))
PY
ctl submit --wait --inflight 1 "$T_DIR/claims.jsonl" >"$T_DIR/decided.jsonl" || fail "submit --wait"
python3 - "$T_DIR/decided.jsonl" <<'PY' || fail "the decisions carry no payees with bank details: payments need the
    worker's payees (docs/money.md §2; the lead's payee work, merged from main). Decisions: $(cat "$T_DIR/decided.jsonl")"
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1])]
assert len(ds) == 5 and all(d["state"] == "APPROVED" for d in ds), [d["state"] for d in ds]
for n, d in enumerate(ds):
    assert d.get("payees"), f"{d['claim_id']}: no payees"
    assert sum(p["amount"] for p in d["payees"]) == d["total"], d["payees"]
    assert all(p.get("id") for p in d["payees"]), d["payees"]
    assert all(bool(p.get("bank")) == (n < 4) for p in d["payees"]), (n, d["payees"])
    assert d["payment"]["state"] == "UNPAID" and d["payment"]["batch"] is None, d["payment"]
PY
ids=($(python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["claim_id"])' "$T_DIR/decided.jsonl"))
nobank=${ids[4]}
pass "five claims APPROVED with payees, four with bank accounts"

# snapshot: the payment state of everything, to prove a refused file changed nothing
snapshot() { db "SELECT batch_id, line, state, reference, coalesce(settled_on, ''), failure FROM payment_lines
                 ORDER BY 1, 2; SELECT id, payment_state FROM claims ORDER BY id;
                 SELECT count(*) FROM payment_batches; SELECT count(*) FROM events; SELECT max(seq) FROM audit"; }
status_of() { ctl status "$1" >"$T_DIR/st.json" || fail "status $1"; cat "$T_DIR/st.json"; }

# ---------------------------------------------------------------- batch 1
rc=0; ctl payments batch --until 2026-02-30 >/dev/null 2>"$T_DIR/err" || rc=$?
[ "$rc" = 64 ] && grep -q "is not a date" "$T_DIR/err" || fail "batch --until 2026-02-30: exit $rc $(cat "$T_DIR/err")"
ctl payments batch --until 2020-01-01 >"$T_DIR/b0.json" 2>/dev/null || fail "payments batch --until 2020-01-01"
json_get "$T_DIR/b0.json" 'j["batch"] is None and j["claims"] == 0 and j["skipped_no_account"] == 0' | grep -q True \
    || fail "claims decided after --until were considered: $(cat "$T_DIR/b0.json")"
mkdir -p "$T_DIR/out1" "$T_DIR/out2" "$T_DIR/out3"
ctl payments batch --out "$T_DIR/out1" >"$T_DIR/b1.json" 2>"$T_DIR/b1.err" || fail "payments batch: $(cat "$T_DIR/b1.err")"
python3 - "$T_DIR/b1.json" "$T_DIR/decided.jsonl" "$nobank" <<'PY' || fail "batch 1: $(cat "$T_DIR/b1.json")"
import json, sys
b = json.load(open(sys.argv[1]))
ds = [json.loads(l) for l in open(sys.argv[2])][:4]
assert b["batch"] == 1 and b["claims"] == 4, b
assert b["lines"] == sum(len(d["payees"]) for d in ds), b
assert b["total"] == sum(d["total"] for d in ds), b
assert b["skipped_no_account"] == 1 and b["skipped"] == [sys.argv[3]], b
assert b["csv"].endswith("/payments-000001.csv") and b["xml"].endswith("/payments-000001.xml"), b
PY
grep -q "left out: a payee has no bank account" "$T_DIR/b1.err" || fail "no word about the skipped claim"
CSV1="$T_DIR/out1/payments-000001.csv"; XML1="$T_DIR/out1/payments-000001.xml"
xmllint --noout --schema "$XSD" "$XML1" 2>"$T_DIR/xmllint.err" || fail "batch 1 XML invalid: $(cat "$T_DIR/xmllint.err")"
python3 - "$CSV1" "$XML1" "$T_DIR/decided.jsonl" <<'PY' || fail "batch 1 files: $(cat "$CSV1")"
import csv, json, sys, re
codes = lambda p: p.get("codes", p.get("items"))   # the payee's item codes
rows = list(csv.reader(open(sys.argv[1], newline="")))
ds = [json.loads(l) for l in open(sys.argv[3])][:4]
assert rows[0] == ["batch", "line", "claim_id", "role", "payee_id", "payee_name", "bank_code", "account",
                   "account_name", "amount", "items"], rows[0]
body, ctrl = rows[1:-1], rows[-1]
want = [(d["claim_id"], p) for d in sorted(ds, key=lambda d: d["claim_id"]) for p in d["payees"]]
assert len(body) == len(want), (len(body), len(want))
for n, (r, (cid, p)) in enumerate(zip(body, want), 1):
    assert r[0] == "1" and r[1] == str(n) and r[2] == cid, r
    assert (r[3], r[4], r[5]) == (p["role"], p["id"], p["name"]), (r, p)
    assert (r[6], r[7], r[8]) == (p["bank"]["bank_code"], p["bank"]["account"], p["bank"]["name"]), (r, p)
    assert r[9] == str(p["amount"]) and r[10] == ";".join(codes(p)), (r, p)
total = sum(int(r[9]) for r in body)
assert ctrl[0] == "CONTROL" and ctrl[1] == str(len(body)) and ctrl[9] == str(total), ctrl
x = open(sys.argv[2]).read()
assert "<MsgId>KLAIMD-BATCH-000001</MsgId>" in x
assert f"<CtrlSum>{total}.00</CtrlSum>" in x and f"<NbOfTxs>{len(body)}</NbOfTxs>" in x
assert len(re.findall("<CdtTrfTxInf>", x)) == len(body)
assert "<EndToEndId>KLAIMD-000001-000001</EndToEndId>" in x
for cid, p in want:
    assert f'<InstdAmt Ccy="IDR">{p["amount"]}.00</InstdAmt>' in x
    assert f"<Ustrd>{cid} {';'.join(codes(p))}</Ustrd>" in x
PY
[ "$(db "SELECT count(*) FROM claims WHERE payment_state = 2")" = 4 ] || fail "batched claims are not IN_BATCH"
[ "$(db "SELECT payment_state FROM claims WHERE id = ${nobank#k-}")" = 1 ] || fail "the claim without account moved"
status_of "${ids[0]}" | json_get - 'j["payment"]["state"] == "IN_BATCH" and j["payment"]["batch"] == 1' | grep -q True \
    || fail "decision payment after batch: $(cat "$T_DIR/st.json")"
[ "$(db "SELECT count(*) FROM events WHERE type = 8")" = 1 ] || fail "no PAYMENT feed event for the batch"
db "SELECT payload FROM events WHERE type = 8" | grep -q '"payment":"BATCH"' || fail "PAYMENT event: $(db "SELECT payload FROM events WHERE type = 8")"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'PAYMENT_BATCH'")" = 1 ] || fail "no audit entry for the batch"
pass "batch 1: four claims, CSV and XML (valid pain.001.001.03), the claim without an account left out"

ctl payments show 1 --out "$T_DIR/out2" >/dev/null || fail "payments show 1 --out"
cmp "$CSV1" "$T_DIR/out2/payments-000001.csv" || fail "show re-rendered another CSV"
cmp "$XML1" "$T_DIR/out2/payments-000001.xml" || fail "show re-rendered another XML"
ctl payments show 1 >"$T_DIR/show1.json" || fail "payments show 1"
json_get "$T_DIR/show1.json" 'all(l["state"] == "IN_BATCH" for l in j["line_items"]) and j["settled"] is False' | grep -q True \
    || fail "show 1: $(cat "$T_DIR/show1.json")"
rc=0; ctl payments show 99 >/dev/null 2>"$T_DIR/err" || rc=$?
[ "$rc" = 65 ] && grep -q "no payment batch 99" "$T_DIR/err" || fail "show of an unknown batch: exit $rc $(cat "$T_DIR/err")"
pass "show re-renders the same bytes"

ctl payments batch --out "$T_DIR/out3" >"$T_DIR/b.json" 2>"$T_DIR/b.err" || fail "second batch"
json_get "$T_DIR/b.json" 'j["batch"] is None and j["created"] is False and j["skipped_no_account"] == 1' | grep -q True \
    || fail "second batch took claims: $(cat "$T_DIR/b.json")"
grep -q "nothing payable" "$T_DIR/b.err" || fail "an empty batch is not said: $(cat "$T_DIR/b.err")"
[ -z "$(ls "$T_DIR/out3")" ] && [ "$(db "SELECT count(*) FROM payment_batches")" = 1 ] || fail "an empty batch was created"
pass "a second batch takes none of the same claims; an empty batch is not created"

# ------------------------------------------- account, batch 2, kill -9 after it
heir_name=$(python3 -c 'import json,sys
d=[json.loads(l) for l in open(sys.argv[1])][4]; print(d["payees"][0]["name"])' "$T_DIR/decided.jsonl")
rc=0; ctl payments account "$nobank" --payee 0 --bank-code 08 --account 5550001111 --account-name "$heir_name" \
    --by "Sri Wahyuni" >/dev/null 2>"$T_DIR/err" || rc=$?
[ "$rc" = 65 ] && grep -q "bank.bank_code" "$T_DIR/err" || fail "bad bank code: exit $rc $(cat "$T_DIR/err")"
rc=0; ctl payments account "$nobank" --payee 3 --bank-code 008 --account 5550001111 --account-name "$heir_name" \
    --by "Sri Wahyuni" >/dev/null 2>"$T_DIR/err" || rc=$?
[ "$rc" = 65 ] && grep -q "payee" "$T_DIR/err" || fail "unknown payee: exit $rc $(cat "$T_DIR/err")"
ctl payments account "$nobank" --payee 0 --bank-code 009 --account 5550001111 --account-name "Orang Lain" \
    --by "Sri Wahyuni" >"$T_DIR/acc.json" 2>/dev/null || fail "payments account (other name)"
json_get "$T_DIR/acc.json" 'j["bank_name_mismatch"] is True' | grep -q True || fail "mismatch not flagged: $(cat "$T_DIR/acc.json")"
ctl payments account "$nobank" --payee 0 --bank-code 009 --account 5550001111 --account-name "$heir_name" \
    --by "Sri Wahyuni" >"$T_DIR/acc.json" || fail "payments account"
json_get "$T_DIR/acc.json" 'j["bank_name_mismatch"] is False and j["bank"]["account"] == "5550001111"' | grep -q True \
    || fail "account reply: $(cat "$T_DIR/acc.json")"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'PAYEE_ACCOUNT'")" = 2 ] || fail "account changes not audited"

mkdir -p "$T_DIR/out4" "$T_DIR/out5"
ctl payments batch --out "$T_DIR/out4" >"$T_DIR/b2.json" 2>/dev/null || fail "batch 2"
kill9_klaimd
start_klaimd --workers 2
json_get "$T_DIR/b2.json" "j['batch'] == 2 and j['claims'] == 1 and j['skipped_no_account'] == 0" | grep -q True \
    || fail "batch 2: $(cat "$T_DIR/b2.json")"
ctl payments show 2 --out "$T_DIR/out5" >/dev/null || fail "show 2 after kill -9"
cmp "$T_DIR/out4/payments-000002.xml" "$T_DIR/out5/payments-000002.xml" || fail "batch 2 changed across kill -9"
cmp "$T_DIR/out4/payments-000002.csv" "$T_DIR/out5/payments-000002.csv" || fail "batch 2 CSV changed across kill -9"
xmllint --noout --schema "$XSD" "$T_DIR/out5/payments-000002.xml" 2>/dev/null || fail "batch 2 XML invalid"
grep -q ",009,5550001111," "$T_DIR/out4/payments-000002.csv" || fail "batch 2 does not use the corrected account"
[ -z "$(db "SELECT claim_id FROM payment_lines WHERE state = 2 GROUP BY claim_id, payee HAVING count(*) > 1")" ] \
    || fail "a claim is in two open batches"
ctl payments batch --out "$T_DIR/out5" >"$T_DIR/b.json" 2>/dev/null || fail "batch after restart"
json_get "$T_DIR/b.json" 'j["batch"] is None' | grep -q True || fail "batch after restart took claims: $(cat "$T_DIR/b.json")"
pass "payments account, batch 2, kill -9 right after it: the batch is whole and nothing is in two batches"

# ------------------------------------------------------------- settlement
n1=$(db "SELECT n_lines FROM payment_batches WHERE id = 1")
# result lines of batch 1: all PAID but the last, FAILED
python3 - "$T_DIR/out1/payments-000001.csv" "$T_DIR" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))[1:-1]
d = sys.argv[2]
def line(r, status, ref, reason=""):
    return f"{r[0]},{r[1]},{r[2]},{r[9]},{status},{ref},2026-03-11,{reason}\n"
good = "batch,line,claim_id,amount,status,reference,date,reason\n"
for i, r in enumerate(rows):
    good += line(r, "FAILED", "", "account closed") if i == len(rows) - 1 else line(r, "PAID", f"BMRI-{r[1]}")
open(f"{d}/good.csv", "w").write(good)
r0 = rows[0]
open(f"{d}/bad_unknown.csv", "w").write(line(r0, "PAID", "X1") + f"1,99,{r0[2]},{r0[9]},PAID,X2,2026-03-11,\n")
open(f"{d}/bad_amount.csv", "w").write(line(r0, "PAID", "X1") + line(rows[1][:9] + [str(int(rows[1][9]) + 1)], "PAID", "X2"))
open(f"{d}/bad_dup.csv", "w").write(line(r0, "PAID", "X1") + line(rows[1], "PAID", "X2") + line(r0, "PAID", "X1"))
open(f"{d}/bad_claim.csv", "w").write(line(r0[:2] + [rows[-1][2] if rows[-1][2] != r0[2] else "k-000000009999"] + r0[3:], "PAID", "X1"))
PY
# a line of batch 2 in batch 1's file
line2=$(sed -n 2p "$T_DIR/out4/payments-000002.csv" | python3 -c 'import csv,sys
r=next(csv.reader(sys.stdin)); print(f"{r[0]},{r[1]},{r[2]},{r[9]},PAID,B2,2026-03-11,")')
{ sed -n 2p "$T_DIR/good.csv"; echo "$line2"; } >"$T_DIR/bad_other.csv"
before=$(snapshot)
expect_refused() { # FILE FILE_LINE WORDS
    local rc=0
    ctl payments settle "$1" >/dev/null 2>"$T_DIR/err" || rc=$?
    [ "$rc" = 65 ] || fail "settle $(basename "$1"): exit $rc, expected 65: $(cat "$T_DIR/err")"
    grep -q "INVALID_SETTLEMENT" "$T_DIR/err" && grep -q "line $2" "$T_DIR/err" && grep -q "$3" "$T_DIR/err" \
        || fail "settle $(basename "$1"): $(cat "$T_DIR/err")"
    [ "$(snapshot)" = "$before" ] || fail "settle $(basename "$1") was refused but changed the store"
}
expect_refused "$T_DIR/bad_unknown.csv" 2 "has no line 99"
expect_refused "$T_DIR/bad_amount.csv" 2 "the amount must be the batch's"
expect_refused "$T_DIR/bad_dup.csv" 3 "already on line 1"
expect_refused "$T_DIR/bad_other.csv" 2 "send one file per batch"
expect_refused "$T_DIR/bad_claim.csv" 1 "is claim"
pass "bad settlement files are refused whole, naming the line: unknown line, changed amount, duplicate, other batch, other claim"

ctl payments settle "$T_DIR/good.csv" >"$T_DIR/s1.json" || fail "settle batch 1"
python3 - "$T_DIR/s1.json" "$n1" <<'PY' || fail "settle report: $(cat "$T_DIR/s1.json")"
import json, sys
s, n = json.load(open(sys.argv[1])), int(sys.argv[2])
assert s["batch"] == 1 and s["lines"] == n and s["paid"] == n - 1 and s["failed"] == 1 and s["unchanged"] == 0, s
assert s["claims_failed"] == 1 and s["claims_paid"] >= 1 and s["batch_settled"] is True, s
PY
failed_claim=$(tail -1 "$T_DIR/good.csv" | cut -d, -f3)
paid_claim=$(sed -n 2p "$T_DIR/good.csv" | cut -d, -f3)
[ "$failed_claim" != "$paid_claim" ] || fail "fixture: the failed and the paid line are of one claim"
status_of "$paid_claim" | python3 -c 'import json,sys
p=json.load(sys.stdin)["payment"]; assert p["state"]=="PAID" and p["batch"]==1 and p["paid_on"]=="2026-03-11" and p["reference"].startswith("BMRI-") and p["failure"] is None, p' \
    || fail "paid claim: $(cat "$T_DIR/st.json")"
status_of "$failed_claim" | python3 -c 'import json,sys
p=json.load(sys.stdin)["payment"]; assert p["state"]=="FAILED" and p["failure"]=="account closed" and p["paid_on"] is None, p' \
    || fail "failed claim: $(cat "$T_DIR/st.json")"
db "SELECT payload FROM events WHERE type = 8 AND claim_id = ${failed_claim#k-}" | grep -q '"payment":"FAILED"' \
    || fail "no PAYMENT FAILED event"
db "SELECT payload FROM events WHERE type = 8 AND claim_id = ${paid_claim#k-}" | grep -q '"payment":"PAID"' \
    || fail "no PAYMENT PAID event"
[ "$(db "SELECT count(*) FROM audit WHERE action = 'PAYMENT_SETTLE'")" = 1 ] || fail "settlement not audited"
before=$(snapshot)
ctl payments settle "$T_DIR/good.csv" >"$T_DIR/s2.json" || fail "the same settlement again"
json_get "$T_DIR/s2.json" "j['unchanged'] == $n1 and j['paid'] == 0 and j['failed'] == 0" | grep -q True \
    || fail "repeat settle: $(cat "$T_DIR/s2.json")"
[ "$(snapshot)" = "$before" ] || fail "the same settlement again changed the store"
sed '2s/,BMRI-1,/,BMRI-XX,/' "$T_DIR/good.csv" >"$T_DIR/bad_resettle.csv"
expect_refused "$T_DIR/bad_resettle.csv" 2 "settled before as PAID"
pass "settle: PAID and FAILED lines, claim states, feed events, audit; the same file is a no-op, other values are refused"

# --------------------------------------- the failed claim, re-batched after correction
ctl payments batch --out "$T_DIR/out5" >"$T_DIR/b.json" 2>/dev/null || fail "batch with an uncorrected failure"
json_get "$T_DIR/b.json" 'j["batch"] is None and j["skipped_failed"] == 1' | grep -q True \
    || fail "a failed claim was batched again before its account was corrected: $(cat "$T_DIR/b.json")"
fname=$(python3 -c 'import csv,sys
for r in csv.reader(open(sys.argv[1], newline="")):
    if r[2] == sys.argv[2]: print(r[5])' "$T_DIR/out1/payments-000001.csv" "$failed_claim" | tail -1)
ctl payments account "$failed_claim" --payee 0 --bank-code 014 --account 7770001234 --account-name "$fname" \
    --by "Sri Wahyuni" >/dev/null || fail "correct the failed account"
mkdir -p "$T_DIR/out6"
ctl payments batch --out "$T_DIR/out6" >"$T_DIR/b3.json" 2>/dev/null || fail "batch 3"
json_get "$T_DIR/b3.json" 'j["batch"] == 3 and j["claims"] == 1' | grep -q True || fail "batch 3: $(cat "$T_DIR/b3.json")"
grep -q "$failed_claim,.*,014,7770001234," "$T_DIR/out6/payments-000003.csv" || fail "batch 3: $(cat "$T_DIR/out6/payments-000003.csv")"
xmllint --noout --schema "$XSD" "$T_DIR/out6/payments-000003.xml" 2>/dev/null || fail "batch 3 XML invalid"
pass "a failed claim goes into the next batch only after payments account corrected it"

# ------------------------------------------------ kill -9 in the middle of settlement
python3 - "$T_DIR/out6/payments-000003.csv" "$T_DIR/out4/payments-000002.csv" "$T_DIR" <<'PY'
import csv, sys
for src, name in ((sys.argv[1], "s3.csv"), (sys.argv[2], "s2.csv")):
    rows = list(csv.reader(open(src, newline="")))[1:-1]
    open(f"{sys.argv[3]}/{name}", "w").write("".join(
        f"{r[0]},{r[1]},{r[2]},{r[9]},PAID,BRI-{r[0]}-{r[1]},2026-03-12,\n" for r in rows))
PY
# a) killed at a random moment of batch 2's settlement
ctl payments settle "$T_DIR/s2.csv" >/dev/null 2>&1 &
ctl_pid=$!
sleep 0.02
kill9_klaimd
wait "$ctl_pid" || true
# b) killed after batch 3's settlement committed but before its WAL sync
#    let the reply go (the sync held by the sync_gate shim, as in it_durable)
: "${SYNC_GATE_SO:?set SYNC_GATE_SO to the sync_gate shim}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
GATE="$T_DIR/gate"
LD_PRELOAD="$SYNC_GATE_SO" SYNC_GATE="$GATE" start_klaimd --workers 2
n3=$(db "SELECT n_lines FROM payment_batches WHERE id = 3")
touch "$GATE"
ctl --timeout 60000 payments settle "$T_DIR/s3.csv" >"$T_DIR/s3a.json" 2>&1 &
ctl_pid=$!
for _ in $(seq 1 100); do
    [ "$(db "SELECT count(*) FROM payment_lines WHERE batch_id = 3 AND state = 3")" = "$n3" ] && break
    sleep 0.1
done
[ "$(db "SELECT count(*) FROM payment_lines WHERE batch_id = 3 AND state = 3")" = "$n3" ] \
    || fail "batch 3's settlement was not committed"
sleep 0.3
kill -0 "$ctl_pid" 2>/dev/null || fail "a settlement was answered before its WAL sync: $(cat "$T_DIR/s3a.json")"
kill9_klaimd
kill "$ctl_pid" 2>/dev/null || true
wait "$ctl_pid" 2>/dev/null || true
[ ! -s "$T_DIR/s3a.json" ] || fail "the killed settlement answered: $(cat "$T_DIR/s3a.json")"
rm -f "$GATE"
start_klaimd --workers 2
ctl payments settle "$T_DIR/s3.csv" >"$T_DIR/s3.json" || fail "settle batch 3 after kill -9"
json_get "$T_DIR/s3.json" 'j["unchanged"] == j["lines"] and j["paid"] == 0 and j["batch_settled"] is True' | grep -q True \
    || fail "batch 3's committed settlement was lost or applied twice: $(cat "$T_DIR/s3.json")"
ctl payments settle "$T_DIR/s2.csv" >"$T_DIR/s2.json" || fail "settle batch 2 after kill -9"
json_get "$T_DIR/s2.json" 'j["paid"] + j["unchanged"] == j["lines"] and j["batch_settled"] is True' | grep -q True \
    || fail "settle 2 after restart: $(cat "$T_DIR/s2.json")"
status_of "$failed_claim" | json_get - 'j["payment"]["state"] == "PAID" and j["payment"]["batch"] == 3' | grep -q True \
    || fail "the corrected claim is not PAID: $(cat "$T_DIR/st.json")"
status_of "$nobank" | json_get - 'j["payment"]["state"] == "PAID"' | grep -q True || fail "batch 2's claim: $(cat "$T_DIR/st.json")"
[ -z "$(db "SELECT claim_id FROM payment_lines WHERE state = 3 GROUP BY claim_id, payee HAVING count(*) > 1")" ] \
    || fail "a payee was paid twice"
[ "$(db "SELECT count(*) FROM claims WHERE state = 3 AND payment_state = 3")" = 5 ] \
    || fail "not every claim is PAID: $(db "SELECT id, payment_state FROM claims")"
[ "$(db "SELECT count(*) FROM payment_lines WHERE state = 2")" = 0 ] || fail "lines left IN_BATCH"
[ "$(db "SELECT count(*) FROM payment_batches WHERE settled = 1")" = 3 ] || fail "batches not marked settled"
ctl payments batch >"$T_DIR/b.json" 2>/dev/null || fail "final batch"
json_get "$T_DIR/b.json" 'j["batch"] is None and j["skipped_no_account"] == 0 and j["skipped_failed"] == 0' \
    | grep -q True || fail "paid claims were offered again: $(cat "$T_DIR/b.json")"
ctl audit verify >/dev/null || fail "audit chain broken"
pass "kill -9 mid-settlement (at random, and committed but unsynced): restart, settle again: every claim PAID once, nothing paid twice"

# ------------------------------- one claim, three payees: registry sponsor account, partial failure
# The registry's optional sponsor account columns give the EMPLOYER payee
# (STMB) its account; the hospital (PROVIDER) and the participant get
# theirs from payments account. One failed line makes the claim FAILED and
# only that payee is paid again.
python3 - "$KLAIM_SHARED_DIR/domain/registry-demo.csv" >"$T_DIR/registry15.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(rows[0] + ["sponsor_bank_code", "sponsor_account", "sponsor_account_name"])
for n, r in enumerate(rows[1:]):
    w.writerow(r + (["014", "88800%05d" % n, r[10]] if r[10] else ["", "", ""]))
PY
ctl registry import "$T_DIR/registry15.csv" >"$T_DIR/import15.json" || fail "import of the registry with sponsor accounts"
json_get "$T_DIR/import15.json" 'j["bad"] == 0 and j["updated"] > 0' | grep -q True || fail "import15: $(cat "$T_DIR/import15.json")"
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/jkk.json" <<'PY'
import json, sys
for c in map(json.loads, open(sys.argv[1])):
    if c["name"] == "jkk-stmb-45-days-medical-transport-under-caps":
        c["claim"]["idempotency_key"] = "PAY-JKK-1"
        print(json.dumps(c["claim"]))
PY
ctl submit --wait "$T_DIR/jkk.json" >"$T_DIR/jkk_d.json" || fail "submit the JKK claim"
jkk=$(json_get "$T_DIR/jkk_d.json" 'j["claim_id"]')
payee_of() { json_get "$T_DIR/jkk_d.json" "[i for i, p in enumerate(j['payees']) if p['role'] == '$1'][0]"; }
python3 - "$T_DIR/jkk_d.json" <<'PY' || fail "JKK payees: $(cat "$T_DIR/jkk_d.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "APPROVED", d["state"]
roles = {p["role"]: p for p in d["payees"]}
assert set(roles) == {"PROVIDER", "EMPLOYER", "PARTICIPANT"}, roles
e = roles["EMPLOYER"]
assert e["id"] == "PT Ngoro Sinar Tekstil" and e["bank"]["bank_code"] == "014" and e["bank"]["name"] == e["id"], e
assert not roles["PROVIDER"].get("bank") and not roles["PARTICIPANT"].get("bank"), roles
PY
p_prov=$(payee_of PROVIDER); p_emp=$(payee_of EMPLOYER); p_part=$(payee_of PARTICIPANT)
ctl payments batch >"$T_DIR/b.json" 2>/dev/null || fail "batch before the accounts"
json_get "$T_DIR/b.json" "j['batch'] is None and j['skipped'] == ['$jkk']" | grep -q True \
    || fail "a claim with payees without accounts was batched: $(cat "$T_DIR/b.json")"
hosp=$(json_get "$T_DIR/jkk_d.json" "j['payees'][$p_prov]['name']")
part=$(json_get "$T_DIR/jkk_d.json" "j['payees'][$p_part]['name']")
ctl payments account "$jkk" --payee "$p_prov" --bank-code 002 --account 0011223344 --account-name "$hosp" --by Sri \
    >/dev/null || fail "hospital account"
ctl payments account "$jkk" --payee "$p_part" --bank-code 009 --account 5566778899 --account-name "$part" --by Sri \
    >/dev/null || fail "participant account"
mkdir -p "$T_DIR/out7" "$T_DIR/out8"
ctl payments batch --out "$T_DIR/out7" >"$T_DIR/b4.json" 2>/dev/null || fail "batch 4"
json_get "$T_DIR/b4.json" 'j["batch"] == 4 and j["claims"] == 1 and j["lines"] == 3' | grep -q True \
    || fail "batch 4: $(cat "$T_DIR/b4.json")"
xmllint --noout --schema "$XSD" "$T_DIR/out7/payments-000004.xml" 2>/dev/null || fail "batch 4 XML invalid"
python3 - "$T_DIR/out7/payments-000004.csv" "$T_DIR/jkk_d.json" "$T_DIR" <<'PY' || fail "batch 4 CSV: $(cat "$T_DIR/out7/payments-000004.csv")"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))[1:-1]
d = json.load(open(sys.argv[2]))
assert [r[3] for r in rows] == [p["role"] for p in d["payees"]], rows      # payee order
assert [int(r[9]) for r in rows] == [p["amount"] for p in d["payees"]], rows
acct = {r[3]: (r[6], r[7]) for r in rows}
assert acct["EMPLOYER"][0] == "014" and acct["PROVIDER"] == ("002", "0011223344"), acct
assert acct["PARTICIPANT"] == ("009", "5566778899"), acct
# the bank pays the employer and the participant; the hospital's account is refused
out = "".join(f"{r[0]},{r[1]},{r[2]},{r[9]},{'FAILED' if r[3] == 'PROVIDER' else 'PAID'},"
              f"{'' if r[3] == 'PROVIDER' else 'BNI-' + r[1]},2026-03-13,"
              f"{'account number unknown' if r[3] == 'PROVIDER' else ''}\n" for r in rows)
open(sys.argv[3] + "/s4.csv", "w").write(out)
PY
ctl payments settle "$T_DIR/s4.csv" >"$T_DIR/s4.json" || fail "settle batch 4"
json_get "$T_DIR/s4.json" 'j["paid"] == 2 and j["failed"] == 1 and j["claims_failed"] == 1' | grep -q True \
    || fail "settle 4: $(cat "$T_DIR/s4.json")"
status_of "$jkk" | json_get - 'j["payment"]["state"] == "FAILED" and j["payment"]["failure"] == "account number unknown"' \
    | grep -q True || fail "the JKK claim after a partial failure: $(cat "$T_DIR/st.json")"
ctl payments account "$jkk" --payee "$p_prov" --bank-code 002 --account 0011223355 --account-name "$hosp" --by Sri \
    >/dev/null || fail "hospital account corrected"
rc=0; ctl payments account "$jkk" --payee "$p_emp" --bank-code 002 --account 0011223355 --account-name X --by Sri \
    >/dev/null 2>"$T_DIR/err" || rc=$?
[ "$rc" = 65 ] && grep -q "was paid in batch 4" "$T_DIR/err" || fail "account of a paid payee: exit $rc $(cat "$T_DIR/err")"
ctl payments batch --out "$T_DIR/out8" >"$T_DIR/b5.json" 2>/dev/null || fail "batch 5"
json_get "$T_DIR/b5.json" 'j["batch"] == 5 and j["lines"] == 1' | grep -q True || fail "batch 5: $(cat "$T_DIR/b5.json")"
grep -q "^5,1,$jkk,PROVIDER,.*,002,0011223355," "$T_DIR/out8/payments-000005.csv" \
    || fail "batch 5 is not the hospital's line alone: $(cat "$T_DIR/out8/payments-000005.csv")"
sed -n 2p "$T_DIR/out8/payments-000005.csv" | python3 -c 'import csv,sys
r=next(csv.reader(sys.stdin)); print(f"{r[0]},{r[1]},{r[2]},{r[9]},PAID,BNI-H,2026-03-16,")' >"$T_DIR/s5.csv"
ctl payments settle "$T_DIR/s5.csv" >/dev/null || fail "settle batch 5"
status_of "$jkk" | json_get - 'j["payment"]["state"] == "PAID" and j["payment"]["batch"] == 5 and j["payment"]["paid_on"] == "2026-03-16"' \
    | grep -q True || fail "the JKK claim is not PAID: $(cat "$T_DIR/st.json")"
[ "$(db "SELECT count(*) FROM payment_lines WHERE claim_id = ${jkk#k-} AND state = 3")" = 3 ] \
    || fail "the JKK claim's three payees are not paid once each"
[ -z "$(db "SELECT claim_id FROM payment_lines WHERE state = 3 GROUP BY claim_id, payee HAVING count(*) > 1")" ] \
    || fail "a payee was paid twice"
pass "three payees: the sponsor's registry account, corrected accounts, a partial failure paid again for that payee only"
