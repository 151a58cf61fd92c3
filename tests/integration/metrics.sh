#!/usr/bin/env bash
# metrics.sh - GET /metrics as an operator's Prometheus scrapes it.
#
# Owns: the operator-metrics integration test (it_metrics). Submits a few
# acceptance claims (demo registry) and two refused ones (HTTP and ZeroMQ),
# scrapes /metrics with curl, runs `promtool check metrics` on the scrape
# (nothing printed, exit 0) and checks each family an operator alerts on:
# build info, process_*, registry generation/rows/age, refusals by code,
# SLA breaches by clock, open dispatch cases, store and WAL bytes, and the
# received -> decided histogram against the decided claims; then that the
# breach counters and the open-case gauge follow the store (a close, late
# reports, ACK clocks in fifths of a second, a restart).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh installs it)"
command -v promtool >/dev/null || fail "promtool is needed (Debian package prometheus; scripts/install-deps.sh)"

# SLA clocks in fifths of a second (as it_sla): the acceptance accidents,
# first reported the day after, breach REPORT when their case opens, and
# ACK two seconds later unless acknowledged.
cat >"$T_DIR/klaimd.conf" <<CONF
sla_test_unit_ms = 200
sla_report_hours = 48
sla_ack_minutes = 10
CONF
start_klaimd --workers 2 --config "$T_DIR/klaimd.conf"
import_demo_registry

# The first six acceptance claims, and a copy of its first work accident
# five days earlier, first reported when the original was (REPORT breach).
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/claims.jsonl" <<'PY'
import datetime, json, sys
claims = [json.loads(l)["claim"] for l in open(sys.argv[1])][:6]
late = json.loads(json.dumps(next(c for c in claims if c["program"] == "JKK" and c["event"]["type"] == "ACCIDENT")))
late["idempotency_key"] += "-LATE"
late["event"]["date"] = (datetime.date.fromisoformat(late["event"]["date"]) - datetime.timedelta(days=5)).isoformat()
for c in claims + [late]:
    print(json.dumps(c))
PY
ctl submit --wait "$T_DIR/claims.jsonl" >"$T_DIR/decisions.jsonl" || fail "submit --wait failed"
decided=$(db "SELECT count(*) FROM claims WHERE state IN (3,4,5,6,7)")
[ "$decided" -ge 7 ] || fail "only $decided of 7 claims decided"
pass "7 claims submitted and decided"

# A malformed claim over HTTP (the gateway's error path) and one over
# ZeroMQ (intake_send_error): both are refusals with INVALID_CLAIM.
code=$(curl -s -o "$T_DIR/refused.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary '{"idempotency_key":5}' "http://$T_HTTP/v1/claims")
[ "$code" = 422 ] || fail "malformed claim over HTTP: expected 422, got $code $(cat "$T_DIR/refused.json")"
python3 -c 'import json,sys; c=json.loads(sys.stdin.readline())["claim"]; c["idempotency_key"]="BAD-DATE-1"; c["event"]["date"]="2019-13-45"; print(json.dumps(c))' \
    <"$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/bad.json"
rc=0; ctl submit "$T_DIR/bad.json" >/dev/null 2>"$T_DIR/bad.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a claim dated 2019-13-45 was accepted over ZeroMQ"
pass "malformed claims refused (HTTP 422, klaimctl exit $rc)"

curl -sf "http://$T_HTTP/metrics" >"$T_DIR/metrics.txt" || fail "GET /metrics failed"
promtool check metrics <"$T_DIR/metrics.txt" >"$T_DIR/promtool.out" 2>&1 \
    || fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
[ ! -s "$T_DIR/promtool.out" ] || fail "promtool check metrics complained: $(cat "$T_DIR/promtool.out")"
pass "promtool check metrics: clean"

open_cases=$(db "SELECT count(*) FROM cases WHERE state < 4")
python3 - "$T_DIR/metrics.txt" "$decided" "$open_cases" "$("$KLAIMD" --version | awk '{print $2}')" <<'PY' \
    || fail "/metrics families (scrape in $T_DIR/metrics.txt)"
import re, sys, time
text, decided, open_cases, version = open(sys.argv[1]).read(), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
m = {}
for line in text.splitlines():
    if line and not line.startswith("#"):
        name, value = line.rsplit(" ", 1)
        m[name] = float(value)
def need(name, ok, what):
    assert name in m, f"{name} missing"
    assert ok(m[name]), f"{name} = {m[name]}: expected {what}"
need(f'klaimd_build_info{{version="{version}"}}', lambda v: v == 1, "1")
need("process_resident_memory_bytes", lambda v: v > 0, "> 0")
need("process_virtual_memory_bytes", lambda v: v >= m["process_resident_memory_bytes"], ">= resident")
need("process_open_fds", lambda v: 3 <= v <= m["process_max_fds"], "3 .. process_max_fds")
need("process_max_fds", lambda v: v > 0, "> 0")
need("process_cpu_seconds_total", lambda v: v >= 0, ">= 0")
need("process_start_time_seconds", lambda v: time.time() - 600 < v <= time.time() + 1, "within the last 10 minutes")
need("klaimd_registry_generation", lambda v: v >= 1, ">= 1 after an import")
need("klaimd_registry_rows", lambda v: v == 40, "40 (the demo registry)")
need("klaimd_registry_age_seconds", lambda v: 0 <= v < 600, "0 .. 600")
need('klaimd_refusals_total{code="INVALID_CLAIM"}', lambda v: v >= 2, ">= 2 (one HTTP, one ZeroMQ)")
need('klaimd_refusals_total{code="BUSY"}', lambda v: v == 0, "0 (every protocol code is shown)")
for clock in ("REPORT", "DECISION", "ACK", "PAYMENT"):
    need(f'klaimd_sla_breaches_total{{clock="{clock}"}}', lambda v: v >= 0, ">= 0")
need("klaimd_dispatch_cases_open", lambda v: v == open_cases, f"{open_cases} (the store's open cases)")
need("klaimd_store_bytes", lambda v: v > 0, "> 0")
need("klaimd_wal_bytes", lambda v: v >= 0, ">= 0")
need("klaimd_claim_decision_seconds_count", lambda v: v >= decided, f">= {decided} (decided claims)")
need('klaimd_claim_decision_seconds_bucket{le="+Inf"}', lambda v: v == m["klaimd_claim_decision_seconds_count"],
     "the count")
need("klaimd_claim_decision_seconds_sum", lambda v: v > 0, "> 0")
PY
pass "/metrics: build info, process_*, registry, refusals, SLA breaches, cases, store bytes, decision latency"

# The breach counters and the open-case gauge follow the store: closing a
# case lowers the gauge; each REPORT/ACK breach written counts once.
metric() { curl -sf "http://$T_HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
[ "$open_cases" -ge 1 ] || fail "no dispatch case opened for the acceptance accidents"
cid=$(db "SELECT min(id) FROM cases WHERE state < 4")
curl -sf -XPOST -H 'Content-Type: application/json' "http://$T_HTTP/v1/dispatch/$(printf 'c-%012d' "$cid")/close" \
    -d '{"by":"Sri","note":"it_metrics"}' >/dev/null || fail "close case $cid"
[ "$(metric klaimd_dispatch_cases_open)" = $((open_cases - 1)) ] \
    || fail "klaimd_dispatch_cases_open $(metric klaimd_dispatch_cases_open) after a close, expected $((open_cases - 1))"
pass "closing a case lowers klaimd_dispatch_cases_open to $((open_cases - 1))"
want_report=$(db "SELECT count(*) FROM cases WHERE breached & 1")
[ "$want_report" -ge 1 ] || fail "no case breached REPORT (the accident reported 5 days late)"
[ "$(metric 'klaimd_sla_breaches_total{clock="REPORT"}')" = "$want_report" ] \
    || fail "REPORT breaches: /metrics $(metric 'klaimd_sla_breaches_total{clock="REPORT"}'), the store $want_report"
for _ in $(seq 1 100); do
    want_ack=$(db "SELECT count(*) FROM cases WHERE breached & 4")
    got_ack=$(metric 'klaimd_sla_breaches_total{clock="ACK"}')
    [ "$want_ack" -ge 1 ] && [ "$got_ack" = "$want_ack" ] && break
    sleep 0.1
done
[ "$want_ack" -ge 1 ] && [ "$got_ack" = "$want_ack" ] || fail "ACK breaches: /metrics $got_ack, the store $want_ack"
[ "$(metric 'klaimd_sla_breaches_total{clock="PAYMENT"}')" = "$(metric klaimd_payment_clock_breaches_total)" ] \
    || fail "PAYMENT breaches differ from klaimd_payment_clock_breaches_total"
pass "klaimd_sla_breaches_total: REPORT $want_report, ACK $want_ack, as the store's cases show"

# After a restart the open-case gauge is read back from the store.
stop_klaimd
start_klaimd --workers 1 --config "$T_DIR/klaimd.conf"
[ "$(metric klaimd_dispatch_cases_open)" = "$(db "SELECT count(*) FROM cases WHERE state < 4")" ] \
    || fail "klaimd_dispatch_cases_open $(metric klaimd_dispatch_cases_open) after a restart, the store $(db "SELECT count(*) FROM cases WHERE state < 4")"
pass "klaimd_dispatch_cases_open survives a restart"
stop_klaimd
