#!/usr/bin/env bash
# upstream.sh - what upstream and the local governments read: the audit
# chain (verify, show, and tampering caught: an edited, a deleted and a
# reordered entry), decision exports (repeatable bytes, payment
# instructions, control totals, cursor), regional reports checked against
# hand-computed figures, and provisional decisions on a stale registry.
source "$(dirname "$0")/lib.sh"
CASES="$KLAIM_SHARED_DIR/domain/cases.jsonl"

start_klaimd --workers 2
import_demo_registry
python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.dumps(json.loads(l)["claim"]))' "$CASES" >"$T_DIR/claims.jsonl"
ctl submit --wait --inflight 1 "$T_DIR/claims.jsonl" >"$T_DIR/decisions.jsonl" || fail "submit the cases"

# ---- audit
ctl audit verify >"$T_DIR/verify.json" || fail "audit verify on an untouched store: $(cat "$T_DIR/verify.json")"
n=$(json_get "$T_DIR/verify.json" 'j["verified"]')
[ "$n" -eq 61 ] || fail "audit entries: $n, expected 61 (1 import + 30 received + 30 decided)"
id=$(head -1 "$T_DIR/decisions.jsonl" | json_get - 'j["claim_id"]')
ctl audit show "$id" >"$T_DIR/show.jsonl" || fail "audit show"
python3 - "$T_DIR/show.jsonl" <<'PY' || fail "audit show: $(cat "$T_DIR/show.jsonl")"
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
assert [x["action"] for x in e] == ["CLAIM_RECEIVED", "DECIDED"], e
assert e[0]["actor"] == "local" and e[1]["actor"].startswith("worker w"), e
assert e[1]["detail"]["state"] == "APPROVED" and e[1]["detail"]["total"] == 42000000, e
PY
pass "audit chain: 61 entries verify; a claim's history shows who did what"

# ---- export
ctl export decisions --since 2015-01-01 --out "$T_DIR/e1.csv" || fail "export csv"
ctl export decisions --since 2015-01-01 --out "$T_DIR/e2.csv" || fail "export csv again"
cmp -s "$T_DIR/e1.csv" "$T_DIR/e2.csv" || fail "two exports of the same store differ"
ctl export decisions --since 2015-01-01 --format jsonl >"$T_DIR/e.jsonl" || fail "export jsonl"
python3 - "$T_DIR/e1.csv" "$T_DIR/e.jsonl" "$CASES" <<'PY' || fail "export content"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cases = [json.loads(l) for l in open(sys.argv[3])]
D = [r for r in rows if r["record"] == "D"]; P = [r for r in rows if r["record"] == "P"]; T = [r for r in rows if r["record"] == "T"]
assert len(D) == 30 and len(T) == 1 and rows[-1]["record"] == "T", (len(D), len(T))
approved_total = sum(c["expect"]["total"] for c in cases)
assert sum(int(r["amount"]) for r in D) == approved_total == int(T[0]["amount"])
assert sum(int(r["amount"]) for r in P) == approved_total, "payments do not add up to the approved totals"
ctl = dict(kv.split("=") for kv in T[0]["items"].split(";"))
assert int(ctl["decisions"]) == 30 and int(ctl["payments"]) == len(P) and int(ctl["payments_total"]) == approved_total
assert ctl["cursor"] == D[-1]["claim_id"]
jkm = [r for r in P if r["idempotency_key"] == "DEMO-001"]
assert [(r["payee_type"], r["payee_name"], r["amount"]) for r in jkm] == [("HEIR", "Sumiati", "42000000")], jkm
stmb = [r for r in P if "JKK_STMB" in r["items"]]
assert stmb and all(r["payee_type"] in ("EMPLOYER", "PARTICIPANT") for r in stmb), stmb
med = [r for r in P if r["items"] == "JKK_MEDICAL"]
assert all(r["payee_type"] == "PROVIDER" for r in med)
j = [json.loads(l) for l in open(sys.argv[2])]
assert len(j) == 31 and j[-1]["control"]["decisions"] == 30 and j[-1]["control"]["payments_total"] == approved_total
PY
cursor=$(sed -n 11p "$T_DIR/decisions.jsonl" | json_get - 'j["claim_id"]')
ctl export decisions --since 2015-01-01 --after "$cursor" >"$T_DIR/e3.csv" || fail "export --after"
[ "$(grep -c '^D,' "$T_DIR/e3.csv")" = 19 ] || fail "resume after the 11th claim: $(grep -c '^D,' "$T_DIR/e3.csv") decisions, expected 19"
pass "export: repeatable bytes, payees, control totals, resumable cursor"

# ---- reports (hand-computed from the cases and the demo registry)
ctl report claims --from 2015-01-01 >"$T_DIR/rc.json" || fail "report claims"
python3 - "$T_DIR/rc.json" "$CASES" <<'PY' || fail "report claims figures"
import json, sys
r = json.load(open(sys.argv[1])); cases = [json.loads(l) for l in open(sys.argv[2])]
rows = r["rows"]
assert sum(x["claims"] for x in rows) == 30
assert sum(x["paid"] for x in rows) == sum(c["expect"]["total"] for c in cases)
by = lambda st: sum(1 for c in cases if c["expect"]["state"] == st)
assert sum(x["approved"] for x in rows) == by("APPROVED")
assert sum(x["rejected"] for x in rows) == by("REJECTED")
assert sum(x["pending_review"] for x in rows) == by("PENDING_REVIEW")
nf = [x for x in rows if x["reason"] == "PARTICIPANT_NOT_FOUND"]
assert len(nf) == 1 and nf[0]["regency"] == "" and nf[0]["rejected"] == 1, nf
kota_jkm = sum(x["paid"] for x in rows if x["regency"] == "Kota Mojokerto" and x["program"] == "JKM")
assert kota_jkm > 0
PY
printf 'regency,workforce\nKota Mojokerto,40\nKabupaten Mojokerto,80\n' >"$T_DIR/workforce.csv"
ctl report coverage --as-of 2026-10-31 --workforce "$T_DIR/workforce.csv" >"$T_DIR/cov.json" || fail "report coverage"
python3 - "$T_DIR/cov.json" "$KLAIM_SHARED_DIR/domain/registry-demo.csv" <<'PY' || fail "report coverage figures: $(cat "$T_DIR/cov.json")"
import csv, datetime, json, sys
r = json.load(open(sys.argv[1]))
day = datetime.date(2026, 10, 31); ref = 2026 * 12 + 10
want = {}
for m in csv.DictReader(open(sys.argv[2])):
    start = datetime.date.fromisoformat(m["coverage_start"])
    end = datetime.date.fromisoformat(m["coverage_end"]) if m["coverage_end"] else None
    y, mo = map(int, m["paid_through"].split("-"))
    unpaid = ref - (12 * y + mo)
    if start <= day and (end is None or end >= day) and unpaid < (3 if m["category"] == "BPU" else 4):
        k = (m["regency"], m["category"], m["sponsor"]); want[k] = want.get(k, 0) + 1
got = {(x["regency"], x["category"], x["sponsor"]): x["active"] for x in r["rows"]}
assert got == want, (got, want)
share = {x["regency"]: x for x in r["workforce_coverage"]}
for reg, total in (("Kota Mojokerto", 40), ("Kabupaten Mojokerto", 80)):
    n = sum(v for k, v in want.items() if k[0] == reg and k[1] != "ASN")
    assert share[reg]["covered"] == n and share[reg]["coverage_bp"] == n * 10000 // total, share[reg]
PY
ctl report claims --format csv >"$T_DIR/rc.csv" || fail "report claims --format csv"
head -1 "$T_DIR/rc.csv" | grep -qx "regency,program,sponsor,reason,claims,approved,rejected,pending_review,paid,paid_on_time,paid_late,unpaid_past_due,late_amount" \
    || fail "report CSV header: $(head -1 "$T_DIR/rc.csv")"
# the same reports as JSON on the HTTP gateway (the console reads them)
curl -fsS "http://$T_HTTP/v1/reports/claims?from=2015-01-01" >"$T_DIR/hc.json" || fail "GET /v1/reports/claims"
python3 - "$T_DIR/hc.json" "$T_DIR/rc.json" <<'PY' || fail "HTTP claims report differs from klaimctl's"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a["kind"] == "claims" and a["rows"] == b["rows"], (a, b)
PY
curl -fsS "http://$T_HTTP/v1/reports/coverage?as_of=2026-10-31" >"$T_DIR/hcov.json" || fail "GET /v1/reports/coverage"
python3 - "$T_DIR/hcov.json" "$T_DIR/cov.json" <<'PY' || fail "HTTP coverage report differs from klaimctl's"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a["kind"] == "coverage" and a["as_of"] == "2026-10-31" and a["rows"] == b["rows"], (a, b)
PY
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$T_HTTP/v1/reports/claims?from=2026-13-01")
[ "$code" = 400 ] || fail "bad report date over HTTP: $code, expected 400"
pass "reports: claims and coverage match hand-computed figures, also over HTTP"

# a key with a quote and a backslash stays valid JSON in the chain
python3 -c 'import json,sys
c=json.loads(open(sys.argv[1]).readline()); c["idempotency_key"]="Q\"UO\\TE-1"
c["participant"]={"kpj":"24202119154","nik":"3576021406650031"}; print(json.dumps(c))' "$T_DIR/claims.jsonl" >"$T_DIR/q.json"
qid=$(ctl submit --wait "$T_DIR/q.json" | json_get - 'j["claim_id"]') || fail "submit the quoted key"
ctl audit show "$qid" >"$T_DIR/qshow.jsonl" || fail "audit show of the quoted key"
head -1 "$T_DIR/qshow.jsonl" | json_get - 'j["detail"]["idempotency_key"]' | grep -qxF 'Q"UO\TE-1' \
    || fail "audit detail of a key with a quote and a backslash: $(head -1 "$T_DIR/qshow.jsonl")"
ctl audit verify >/dev/null || fail "audit verify after the quoted key"
pass "audit detail escapes keys"

# a dispatch action is an entry of the chain too
cid=$(curl -fsS "http://$T_HTTP/v1/dispatch/cases" | json_get - 'j["cases"][0]["case_id"]') || fail "no dispatch case"
curl -fsS -X POST -H 'Content-Type: application/json' "http://$T_HTTP/v1/dispatch/$cid/assign" --data-binary '{"by":"Sri","team":"Ambulans 2"}' >/dev/null \
    || fail "assign $cid"
ctl audit verify >/dev/null || fail "audit verify after a dispatch action"
python3 - "$T_DATA/klaim.db" "$cid" <<'PY' || fail "the dispatch action is not in the audit chain"
import json, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
rows = [json.loads(d) for (a, d) in db.execute("SELECT action, detail FROM audit WHERE action = 'CASE_ASSIGNED'")]
assert any(r["case_id"] == sys.argv[2] and r["by"] == "Sri" and r["team"] == "Ambulans 2" for r in rows), rows
PY
pass "dispatch actions are audited"

# ---- tampering: an edited, a deleted and a reordered entry are caught
stop_klaimd
cp "$T_DATA/klaim.db" "$T_DIR/pristine.db"
tamper() {  # tamper NAME SQL EXPECTED_FIRST_BROKEN
    cp "$T_DIR/pristine.db" "$T_DATA/klaim.db"; rm -f "$T_DATA/klaim.db-wal" "$T_DATA/klaim.db-shm"
    sqlite3 "$T_DATA/klaim.db" "$2" || fail "tamper $1: sqlite3"
    start_klaimd --workers 1
    local rc=0
    ctl audit verify >"$T_DIR/t.json" 2>"$T_DIR/t.err" || rc=$?
    [ "$rc" = 65 ] || fail "tamper $1: audit verify exit $rc, expected 65 ($(cat "$T_DIR/t.json"))"
    [ "$(json_get "$T_DIR/t.json" 'j["first_broken_seq"]')" = "$3" ] || fail "tamper $1: $(cat "$T_DIR/t.json")"
    stop_klaimd
}
tamper edited "UPDATE audit SET detail = replace(detail, '42000000', '84000000') WHERE seq = 3" 3
tamper deleted "DELETE FROM audit WHERE seq = 7" 7
tamper reordered "UPDATE audit SET seq = -1 WHERE seq = 8; UPDATE audit SET seq = 8 WHERE seq = 9; UPDATE audit SET seq = 9 WHERE seq = -1" 8
tamper truncated "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)" 64
pass "audit verify points at the first edited, deleted, reordered or truncated entry"

# ---- degraded: a registry older than registry_max_age_hours -> provisional
cp "$T_DIR/pristine.db" "$T_DATA/klaim.db"; rm -f "$T_DATA/klaim.db-wal" "$T_DATA/klaim.db-shm"
sqlite3 "$T_DATA/klaim.db" "UPDATE meta SET value = value - 3 * 3600 * 1000 WHERE key = 'registry_imported_ms'"
printf 'registry_max_age_hours = 2\n' >"$T_DIR/stale.conf"
start_klaimd --config "$T_DIR/stale.conf" --workers 1
cat >"$T_DIR/stale.json" <<'JSON'
{"idempotency_key":"STALE-001","program":"JKK","participant":{"kpj":"24395453724","nik":"3516060107870011"},"event":{"type":"ACCIDENT","date":"2026-01-10","circumstance":"WORKPLACE","reported_at":"2026-01-11T09:00:00+07:00"},"outcome":{"expenses":{"medical":2500000}}}
JSON
ctl submit --wait "$T_DIR/stale.json" >"$T_DIR/stale.out" || fail "submit on a stale registry"
[ "$(json_get "$T_DIR/stale.out" 'j.get("provisional")')" = True ] || fail "not provisional: $(cat "$T_DIR/stale.out")"
[ "$(json_get "$T_DIR/stale.out" 'j["state"]')" = APPROVED ] || fail "a stale registry must still decide: $(cat "$T_DIR/stale.out")"
ctl export decisions --since 2015-01-01 >"$T_DIR/stale.csv" || fail "export on a stale registry"
[ "$(grep '^D,k-[0-9]*,STALE-001,' "$T_DIR/stale.csv" | cut -d, -f12)" = 1 ] || fail "export: provisional flag"
curl -fsS "http://$T_HTTP/v1/dispatch/cases" | json_get - 'j["registry"]["stale"]' | grep -qx True \
    || fail "the console's case list does not say the registry is stale"
curl -fsS "http://$T_HTTP/" | grep -q 'id="stale"' || fail "the console page has no stale-registry banner"
pass "stale registry: decisions made and marked provisional; the console is told"
stop_klaimd
