#!/usr/bin/env bash
# console.sh - the web console in a real browser (issue 5): klaimd serves
# GET /, headless Chromium opens it (driven over the DevTools protocol), an
# accident claim is submitted, the case must appear on the page (via SSE),
# and its acknowledge button must change state once clicked (the action
# goes through POST /v1/dispatch/{case}/ack and the store records it).
# Skips (visibly) only when chromium is not installed; CI installs it.
# KLAIM_CONSOLE_SCREENSHOT=FILE also saves a PNG of the page.
source "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "SKIP: chromium not installed (apt-get install chromium python3-websocket)"
    exit 0
fi
PY=""
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import websocket' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "python3-websocket is needed to drive chromium (scripts/install-deps.sh installs it)"

start_klaimd --workers 1
import_demo_registry
python3 - "$KLAIM_SHARED_DIR/domain/cases.jsonl" >"$T_DIR/acc.json" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    c = json.loads(l)["claim"]
    if c["program"] == "JKK" and c["event"]["type"] == "ACCIDENT":
        print(json.dumps(c)); break
PY

DT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir="$T_DIR/chrome" \
    --remote-debugging-address=127.0.0.1 --remote-debugging-port="$DT_PORT" --window-size=1400,700 about:blank \
    >"$T_DIR/chrome.log" 2>&1 &
CHROME_PID=$!
trap 'kill -9 $CHROME_PID 2>/dev/null || true; cleanup' EXIT

"$PY" - "$DT_PORT" "http://$T_HTTP/" "$KLAIMCTL" "$T_EP" "$T_DIR/acc.json" "${KLAIM_CONSOLE_SCREENSHOT:-}" <<'PY' \
    || fail "console in chromium (log: $(tail -5 "$T_DIR/chrome.log"))"
import base64, json, subprocess, sys, time, urllib.request
import websocket

port, url, ctl, ep, claim, shot = sys.argv[1:7]
deadline = time.time() + 20
while True:
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=1))
        page = next(t for t in targets if t.get("type") == "page")
        break
    except Exception:
        if time.time() > deadline: raise SystemExit("chromium's DevTools endpoint did not come up")
        time.sleep(0.2)
ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=10)
n = 0
def call(method, **params):
    global n
    n += 1
    ws.send(json.dumps({"id": n, "method": method, "params": params}))
    while True:
        m = json.loads(ws.recv())
        if m.get("id") == n:
            if "error" in m: raise SystemExit(f"{method}: {m['error']}")
            return m["result"]
def js(expr):
    r = call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in r: raise SystemExit(f"JS error in {expr}: {r['exceptionDetails']}")
    return r["result"].get("value")
def until(expr, what, secs=15):
    end = time.time() + secs
    while time.time() < end:
        v = js(expr)
        if v: return v
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}; page: {js('document.body.innerText')[:800]}")

call("Page.enable")
call("Page.navigate", url=url)
until("document.readyState === 'complete' && document.getElementById('status').textContent === 'live'",
      "the page to follow the feed (status 'live')")
assert js("document.querySelectorAll('tr[data-case]').length") == 0, "cases before any claim"
out = subprocess.run([ctl, "--endpoint", ep, "submit", claim], capture_output=True, text=True)
assert out.returncode == 0, out.stderr
case_id = until("(document.querySelector('tr[data-case]') || {}).dataset && document.querySelector('tr[data-case]').dataset.case",
                "the case to appear on the page")
print("case on page:", case_id)
btn = f"document.querySelector('tr[data-case=\"{case_id}\"] button.ack')"
assert js(f"{btn}.textContent") == "Acknowledge" and js(f"{btn}.disabled") is False, "ack button not ready"
row = js(f"document.querySelector('tr[data-case=\"{case_id}\"]').innerText")
assert "KPJ" in row and ("report" in row) and ("ack" in row), row
js(f"{btn}.click(); true")
until(f"{btn} && {btn}.textContent === 'Acknowledged' && {btn}.disabled && {btn}.dataset.state === 'acked'",
      "the acknowledge button to change state")
until(f"document.querySelector('tr[data-case=\"{case_id}\"]').dataset.state === 'ACKED'", "the row state ACKED")
print("ack button:", js(f"{btn}.textContent"))
if shot:
    time.sleep(1.2)
    png = call("Page.captureScreenshot", format="png")["data"]
    open(shot, "wb").write(base64.b64decode(png))
    print("screenshot:", shot)
print(case_id)
PY
pass "the case appears in the console (SSE) and its acknowledge button changes state"
[ "$(db "SELECT state || ' ' || acked_by FROM cases")" = "2 console" ] || fail "store: $(db 'SELECT state, acked_by FROM cases')"
pass "the acknowledgement is stored with who did it"
kill -9 $CHROME_PID 2>/dev/null || true
stop_klaimd
