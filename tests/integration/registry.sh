#!/usr/bin/env bash
# registry.sh - the participant registry through klaimctl: import, re-import
# with changes (only differences counted, bad rows reported by line, good rows
# loaded), a refused file publishes nothing, and decisions use the new data.
source "$(dirname "$0")/lib.sh"
CSV="$KLAIM_SHARED_DIR/domain/registry-demo.csv"

start_klaimd --workers 1
import_demo_registry
python3 - "$T_DIR/import.json" <<'PY' || fail "first import: $(cat "$T_DIR/import.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert (j["generation"], j["inserted"], j["updated"], j["bad"], j["total_rows"]) == (1, 40, 0, 0, 40), j
PY

# Change one wage (the TPQ teacher of the 70M case: 1,000,000 -> 2,000,000),
# add one member, and break one row (an impossible date on line 5).
python3 - "$CSV" >"$T_DIR/v2.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
out = []
for n, l in enumerate(lines, 1):
    if l.startswith("24475687858,"):
        l = l.replace(",BPU,JKK;JKM,1000000,", ",BPU,JKK;JKM,2000000,")
    if n == 5:
        f = l.split(","); f[3] = "1961-02-30"; l = ",".join(f)
    out.append(l)
out.append("24100000999,3516010101010999,Warsini,1970-01-01,BPU,JKK;JKM,1000000,2024-01-01,,2026-10,Pemkot Mojokerto,Kota Mojokerto")
print("\n".join(out))
PY
ctl registry import "$T_DIR/v2.csv" >"$T_DIR/v2.json" 2>"$T_DIR/v2.err" || fail "re-import: $(cat "$T_DIR/v2.err")"
python3 - "$T_DIR/v2.json" <<'PY' || fail "re-import counts: $(cat "$T_DIR/v2.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["generation"] == 2 and j["inserted"] == 1 and j["updated"] == 1 and j["bad"] == 1, j
assert j["unchanged"] == 38 and j["total_rows"] == 41, j
assert j["bad_rows"][0]["line"] == 5 and "birth_date" in j["bad_rows"][0]["reason"], j
PY
grep -q "v2.csv:5:" "$T_DIR/v2.err" || fail "bad row not reported on stderr with its line: $(cat "$T_DIR/v2.err")"
pass "re-import: 1 updated, 1 inserted, bad line 5 reported, good rows loaded"

# The new wage is used: 48 x 2,000,000 = 96M + 10M + 12M.
python3 -c 'import json,sys
for l in open(sys.argv[1]):
    c=json.loads(l)
    if c["name"]=="jkk-death-bpu-1M-70M": print(json.dumps(c["claim"]))' "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/death.json"
ctl submit --wait "$T_DIR/death.json" | json_get - 'j["total"]' | grep -qx 118000000 \
    || fail "decision did not use the re-imported wage"
pass "decisions use the new generation"

# A file with a wrong header is refused whole: exit 65, generation unchanged.
sed '1s/kpj,nik/kpj,NIK/' "$CSV" >"$T_DIR/badheader.csv"
rc=0; ctl registry import "$T_DIR/badheader.csv" >/dev/null 2>"$T_DIR/bh.err" || rc=$?
[ "$rc" = 65 ] || fail "bad header: exit $rc, expected 65 ($(cat "$T_DIR/bh.err"))"
grep -q INVALID_REGISTRY "$T_DIR/bh.err" || fail "bad header message: $(cat "$T_DIR/bh.err")"
[ "$(ctl stats | json_get - 'j["registry"]["generation"]')" = 2 ] || fail "a refused file changed the generation"
rc=0; ctl registry import "$T_DIR/does-not-exist.csv" >/dev/null 2>&1 || rc=$?
[ "$rc" = 66 ] || fail "missing file: exit $rc, expected 66"
pass "refused file publishes nothing"
stop_klaimd

# A generated 1,000,000-row registry loads whole, every row good. klaimd
# runs with no locked memory allowed (ulimit -l 0, as outside systemd's
# LimitMEMLOCK): the worker, which opens the new generation inside its
# sandbox, cannot mlock it and must decide from its own copy in memory.
"$KLAIMCTL" registry generate --rows 1000000 --out "$T_DIR/1m.csv" || fail "registry generate"
ulimit -l 0 || fail "cannot lower RLIMIT_MEMLOCK"
start_klaimd --workers 1
t0=$(date +%s.%N)
ctl registry import "$T_DIR/1m.csv" >"$T_DIR/1m.json" || fail "importing 1M generated rows"
t1=$(date +%s.%N)
python3 - "$T_DIR/1m.json" <<'PY' || fail "1M import: $(head -c 400 "$T_DIR/1m.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["bad"] == 0 and j["total_rows"] >= 1000000 and j["inserted"] == 1000000, {k: j[k] for k in j if k != "bad_rows"}
PY
echo "# 1,000,000 generated rows imported in $(python3 -c "print(round($t1 - $t0, 1))") s"
pass "registry generate: 1,000,000 rows import with no bad row"
cat >"$T_DIR/gen2.json" <<'J'
{"idempotency_key": "GEN-2-DEATH", "program": "JKM", "participant": {"kpj": "24000000002", "nik": "3576014904060002"},
 "event": {"type": "DEATH", "date": "2026-09-01", "reported_at": "2026-09-02T09:00:00+07:00",
  "location": {"regency": "Kota Mojokerto", "district": "Prajurit Kulon"}, "hospital": "RSUD dr. Wahidin Sudiro Husodo"},
 "heirs": [{"nik": "3576014904069901", "name": "Siti Aminah", "relation": "SPOUSE"}]}
J
ctl submit --wait "$T_DIR/gen2.json" >"$T_DIR/gen2.out" || fail "submitting a claim on the generated registry"
python3 - "$T_DIR/gen2.out" <<'PY' || fail "decision on the in-memory copy: $(cat "$T_DIR/gen2.out")"
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d["state"] == "APPROVED" and d["total"] == 42000000, d
PY
# (Not `ldd | grep -q`: under pipefail, grep's early exit fails ldd with SIGPIPE.)
if [[ "$(ldd "$KLAIM_WORKER")" == *libasan* ]]; then
    # AddressSanitizer turns mlock into a no-op that succeeds: no copy to see.
    echo "# ASan build: mlock cannot fail here; the copy is checked in the normal build"
else
    grep -q "holds its own copy in memory" "$T_LOG" \
        || fail "the worker did not say it copied the registry: $(grep -a registry "$T_LOG" | tail -3)"
fi
pass "no mlock allowed: the worker decides from its own in-memory copy of the registry, and says so"
stop_klaimd

# An upload above registry_max_bytes is refused with a typed TOO_LARGE before
# anything is built (the same path refuses a 2 GB file with the default cap
# raised or lowered); the current generation stays.
printf 'registry_max_bytes = 4096\n' >"$T_DIR/small.conf"
start_klaimd --config "$T_DIR/small.conf" --workers 1
rc=0; ctl registry import "$CSV" >/dev/null 2>"$T_DIR/big.err" || rc=$?
[ "$rc" = 65 ] && grep -q "TOO_LARGE" "$T_DIR/big.err" && grep -q "registry_max_bytes" "$T_DIR/big.err" \
    || fail "upload above registry_max_bytes: exit $rc ($(cat "$T_DIR/big.err"))"
[ "$(ctl stats | json_get - 'j["registry"]["generation"]')" = 3 ] || fail "a refused upload changed the generation"
ls "$T_DATA/registry" | grep -q upload- && fail "the refused upload left its staging file"
pass "upload above registry_max_bytes: TOO_LARGE, nothing left behind"
stop_klaimd
