#!/usr/bin/env bash
# demo.sh - build klaimd, start it on a demo data dir with a demo registry,
# submit sample claims and print their decisions. klaimd keeps running.
#   KLAIM_DEMO_DIR   data dir (default /tmp/klaimd-demo; wiped first)
#   KLAIM_DEMO_PORT  intake port (default 7710)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
dir=$(scripts/build.sh)
data=${KLAIM_DEMO_DIR:-/tmp/klaimd-demo}
ep=tcp://127.0.0.1:${KLAIM_DEMO_PORT:-7710}
ctl() { "$dir/klaimctl" --endpoint "$ep" "$@"; }

if [ -f "$data/klaimd.lock" ] && pid=$(cat "$data/klaimd.lock" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
    echo "demo: stopping the previous demo klaimd (pid $pid)"; kill "$pid"; sleep 1
fi
rm -rf "$data"
"$dir/klaimd" --data-dir "$data" --intake-endpoint "$ep" >"$data.log" 2>&1 &
pid=$!
for _ in $(seq 50); do ctl --timeout 200 stats >/dev/null 2>&1 && break; sleep 0.1; done
echo "== klaimd pid $pid on $ep, data dir $data, log $data.log"
echo "== registry import config/demo/registry.csv"
ctl registry import config/demo/registry.csv
echo "== klaimctl submit --wait config/demo/claims.jsonl"
ctl submit --wait config/demo/claims.jsonl | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    print("\n%s  %s  %s  %s  total Rp {:,}  (%s)".format(d["total"]) % (d["claim_id"], d["idempotency_key"], d["program"], d["state"], d["rule_set"]))
    for i in d["items"]:
        print("    %-24s Rp {:>13,}   %s".format(i["amount"]) % (i["code"], i["basis"]))
    for p in d.get("payees", []):
        print("    paid to %-11s Rp {:>13,}   %s (%s)".format(p["amount"]) % (p["role"], p["name"], p["id"]))
    for r in d["reasons"]:
        print("    reason %s: %s" % (r["code"], r["message"]))
'
echo; echo "== klaimctl stats"; ctl stats
echo
echo "klaimd is still running. Try: $dir/klaimctl --endpoint $ep status k-000000000001"
echo "The rapid-response console: http://127.0.0.1:7780/ (klaimctl watch --since 0 follows the feed)"
echo "Stop it with: kill $pid"
