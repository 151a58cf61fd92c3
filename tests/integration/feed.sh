#!/usr/bin/env bash
# feed.sh - the dispatch feed (issue 5): a subscriber sees every event in
# seq order; one that was away replays exactly what it missed (--since);
# seq continues after a restart; two reports of one accident merge into
# one dispatch case.
source "$(dirname "$0")/lib.sh"

# accidents FIRST COUNT: JKK accident claims of the acceptance cases.
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/acc.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    c = json.loads(l)["claim"]
    if c["program"] == "JKK" and c["event"]["type"] == "ACCIDENT":
        print(json.dumps(c))
PY
[ "$(wc -l <"$T_DIR/acc.jsonl")" -ge 9 ] || fail "need 9 accident cases in cases.jsonl"
# seqs FILE: the seq column of a watch output, one a line.
seqs() { python3 -c 'import json,sys; [print(json.loads(l)["seq"]) for l in open(sys.argv[1])]' "$1"; }
contiguous() { python3 - "$1" "$2" "$3" <<'PY'
import json, sys
s = [json.loads(l)["seq"] for l in open(sys.argv[1])]
lo, hi = int(sys.argv[2]), int(sys.argv[3])
assert s == list(range(lo, hi + 1)), (s, lo, hi)
PY
}

start_klaimd --workers 2
import_demo_registry

# 1. Live subscriber from the start: 3 claims -> 3 CLAIM_RECEIVED + 3 DECIDED.
ctl watch --since 0 --count 6 --for 20000 >"$T_DIR/w1.jsonl" 2>"$T_DIR/w1.err" &
W=$!
sleep 0.5
head -3 "$T_DIR/acc.jsonl" | ctl submit --wait - >/dev/null || fail "submit 3"
wait $W || fail "watch 1: $(cat "$T_DIR/w1.err")"
contiguous "$T_DIR/w1.jsonl" 1 6 || fail "watch 1 not seq 1..6: $(seqs "$T_DIR/w1.jsonl" | tr '\n' ' ')"
python3 - "$T_DIR/w1.jsonl" <<'PY' || fail "watch 1 content: $(cat "$T_DIR/w1.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
types = [e["type"] for e in ev]
assert types.count("CLAIM_RECEIVED") == 3 and types.count("DECIDED") == 3, types
for e in ev:
    assert e["case"]["case_id"].startswith("c-") and e["claim_id"].startswith("k-"), e
    assert e["case"]["coverage"] in ("UNKNOWN", "COVERED", "NOT_COVERED", "IN_DOUBT"), e
    assert e["case"]["priority"] in ("DEATH", "HOSPITALISED", "OUTPATIENT"), e
rec = [e for e in ev if e["type"] == "CLAIM_RECEIVED"]
# A received claim precedes its decision.
for e in ev:
    if e["type"] == "DECIDED":
        assert any(r["claim_id"] == e["claim_id"] and r["seq"] < e["seq"] for r in rec), e
        assert e["case"]["coverage"] != "UNKNOWN", e
PY
pass "a live subscriber sees every event in seq order (CLAIM_RECEIVED, DECIDED with the case)"

# 2. Away: more claims while nobody listens; --since gets exactly the missed ones.
sed -n 4,6p "$T_DIR/acc.jsonl" | ctl submit --wait - >/dev/null || fail "submit 3 more"
ctl watch --since 6 --for 1500 >"$T_DIR/w2.jsonl" || fail "watch --since 6"
contiguous "$T_DIR/w2.jsonl" 7 12 || fail "replay not exactly 7..12: $(seqs "$T_DIR/w2.jsonl" | tr '\n' ' ')"
[ "$(db 'SELECT max(seq) FROM events')" = 12 ] || fail "store holds more events than replayed"
# Replay then live: start behind, events arrive while paging.
ctl watch --since 3 --count 11 --for 20000 >"$T_DIR/w3.jsonl" &
W=$!
sed -n 7p "$T_DIR/acc.jsonl" | ctl submit --wait - >/dev/null || fail "submit 1"
wait $W || fail "watch 3"
contiguous "$T_DIR/w3.jsonl" 4 14 || fail "replay+live not 4..14: $(seqs "$T_DIR/w3.jsonl" | tr '\n' ' ')"
pass "reconnect with --since: exactly the missed events, then live, no gap, no duplicate"

# 3. Restart: seq continues, none reused.
stop_klaimd
start_klaimd --workers 2
[ "$(ctl stats | json_get - 'j["feed_seq"]')" = 14 ] || fail "feed_seq after restart: $(ctl stats)"
sed -n 8p "$T_DIR/acc.jsonl" | ctl submit --wait - >/dev/null || fail "submit after restart"
ctl watch --since 14 --for 1500 >"$T_DIR/w4.jsonl" || fail "watch after restart"
contiguous "$T_DIR/w4.jsonl" 15 16 || fail "seq after restart: $(seqs "$T_DIR/w4.jsonl" | tr '\n' ' ')"
[ "$(db 'SELECT count(DISTINCT seq) = count(*) AND min(seq) = 1 AND max(seq) = count(*) FROM events')" = 1 ] \
    || fail "events table has gaps or reuse"
pass "restart: seq continues at 15, no reuse"

# 4. The same accident reported twice (hospital and employer): one case.
python3 - "$T_DIR/acc.jsonl" >"$T_DIR/twice.jsonl" <<'PY'
import json, sys
c = json.loads(open(sys.argv[1]).readlines()[8])
c["idempotency_key"] = "FEED-HOSPITAL-1"
print(json.dumps(c))
c["idempotency_key"] = "FEED-EMPLOYER-1"
c["event"]["hospital"] = ""
print(json.dumps(c))
PY
ctl submit "$T_DIR/twice.jsonl" >/dev/null || fail "submit twice"
ctl watch --since 16 --for 1500 >"$T_DIR/w5.jsonl" || fail "watch merge"
python3 - "$T_DIR/w5.jsonl" <<'PY' || fail "merge: $(cat "$T_DIR/w5.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
merged = [e for e in ev if e["type"] == "CASE_MERGED"]
assert len(merged) == 1, [e["type"] for e in ev]
rec = [e for e in ev if e["type"] == "CLAIM_RECEIVED"]
assert len(rec) == 2 and rec[0]["case_id"] == rec[1]["case_id"] == merged[0]["case_id"], rec
assert merged[0]["case"]["claims"] == 2 and len(merged[0]["case"]["reports"]) == 2, merged
PY
[ "$(db 'SELECT count(*) FROM cases')" = "$(db 'SELECT count(DISTINCT kpj || event_date) FROM claims')" ] \
    || fail "one case per accident: $(db 'SELECT count(*) FROM cases')"
[ "$(db 'SELECT count(*) FROM case_claims')" = "$(db 'SELECT count(*) FROM claims')" ] || fail "every claim in a case"
pass "one accident reported twice merges into one case (CASE_MERGED)"

# 5. The store keeps each event's own members; a replayed event with a
# case_id carries the case as it stands now (the live line: as it left it).
[ "$(db "SELECT count(*) FROM events WHERE payload LIKE '%\"case\":%'")" = 0 ] || fail "a stored event holds its case"
ctl watch --since 0 --for 1500 >"$T_DIR/w6.jsonl" || fail "watch all"
python3 - "$T_DIR/w6.jsonl" <<'PY' || fail "replayed cases: $(head -c 2000 "$T_DIR/w6.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
with_case = [e for e in ev if e.get("case_id")]
assert with_case and all(e["case"]["case_id"] == e["case_id"] for e in with_case), with_case
merged = [e for e in ev if e["type"] == "CASE_MERGED"][0]
first = [e for e in with_case if e["case_id"] == merged["case_id"]][0]
assert first["case"]["claims"] == 2, first   # replayed: the case now, after the merge
assert all("case" not in e for e in ev if not e.get("case_id")), ev
PY
pass "replay: each event with a case_id carries the case as it stands now; the store holds none"
stop_klaimd
