#!/usr/bin/env bash
# The Grafana dashboard (config/grafana/rentark.json) drawn, and what it shows checked:
#   - a day of two branches' kiosks (tests/dashboard/history.py), whose series are exactly the
#     ones the real rentarkd writes (its textfile, taken after a real session, is the template),
#     is loaded into a real Prometheus (Debian's, through promtool's backfill);
#   - every query of the dashboard is run against it as Grafana would (query.py); the seat map
#     answers what each seat was simulated to be (free, in use, blocked, closed, silent), and a
#     broken query is shown to fail that check;
#   - the panels are drawn with Grafana's own components (@grafana/ui, @grafana/data 13.2.3,
#     from the npm registry) in Debian's Chromium; no panel fails, none is empty, the seat map
#     shows the words of the dashboard's value mappings, and the screenshot is kept
#     ($RK_BUILD/screens/dashboard.png; the README's is docs/screens/dashboard.png).
# No Grafana server is packaged for Debian 12 or on the npm registry, the only registries the
# project may use; the grid layout, the repeated row's title and the Prometheus answers as data
# frames are the renderer's own few lines (tests/dashboard/render.tsx).
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
D=$RK_SRC/tests/dashboard
DASH=$RK_SRC/config/grafana/rentark.json
PY=/usr/bin/python3
for tool in chromium prometheus promtool node npm; do
    command -v "$tool" >/dev/null || { t_fail "$tool is installed (scripts/deps.sh)"; t_done; exit 1; }
done

# --- the renderer: Grafana's packages at the versions of the lock file
NPM_DIR=$RK_BUILD/npm-dashboard
"$D/npm-ci.sh" "$NPM_DIR" >"$T_TMP/npm.log" 2>&1
t_check "@grafana/ui, @grafana/data, react, esbuild and typescript are installed (npm ci)" \
    test -f "$NPM_DIR/node_modules/@grafana/ui/package.json" -a -f "$NPM_DIR/node_modules/esbuild/package.json"
[ -f "$NPM_DIR/node_modules/@grafana/ui/package.json" ] || { tail -5 "$T_TMP/npm.log" | sed 's/^/# npm: /'; t_done; exit 1; }
cp "$D/render.tsx" "$D/build.mjs" "$D/tsconfig.json" "$NPM_DIR/"
t_check "the renderer type-checks against Grafana's own types (tsc --strict)" \
    sh -c "cd '$NPM_DIR' && node_modules/.bin/tsc -p tsconfig.json >'$T_TMP/tsc.log' 2>&1"
[ -s "$T_TMP/tsc.log" ] && head -5 "$T_TMP/tsc.log" | sed 's/^/# /'
t_check "the renderer is bundled (esbuild)" sh -c "cd '$NPM_DIR' && node build.mjs '$T_TMP/page' >'$T_TMP/build.log' 2>&1"
[ -s "$T_TMP/build.log" ] && head -5 "$T_TMP/build.log" | sed 's/^/# /'
cp "$D/index.html" "$T_TMP/page/"

# --- the real daemon's textfile: the series a scrape of a kiosk gets
wipe_env_setup 128M
. "$RK_SRC/tests/daemon-env.sh"
metrics_after_session || { t_fail "the daemon writes its metrics after a session" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
cp "$FS/state/rentark.prom" "$T_TMP/real.prom"
stop_daemon 2>/dev/null || true

# --- one day of two branches, in a real Prometheus
NOW=$(date +%s)
t_check "a day of 12 kiosks in two branches, from the daemon's series (history.py)" \
    $PY "$D/history.py" "$T_TMP/real.prom" "$T_TMP/day.om" "$NOW" --expect "$T_TMP/expect.json"
t_check "... backfilled into Prometheus's storage (promtool tsdb create-blocks-from openmetrics)" \
    sh -c "promtool tsdb create-blocks-from openmetrics '$T_TMP/day.om' '$T_TMP/tsdb' >'$T_TMP/promtool.log' 2>&1"
rm -f "$T_TMP/day.om"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'global: {}\n' >"$T_TMP/prometheus.yml"
prometheus --config.file="$T_TMP/prometheus.yml" --storage.tsdb.path="$T_TMP/tsdb" \
    --web.listen-address="127.0.0.1:$PORT" >"$T_TMP/prometheus.log" 2>&1 &
PROM_PID=$!
t_cleanup "kill $PROM_PID 2>/dev/null; wait $PROM_PID 2>/dev/null"
ready=no
for _ in $(seq 1 100); do
    $PY -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "http://127.0.0.1:$PORT/-/ready" 2>/dev/null && { ready=yes; break; }
    sleep 0.2
done
t_check "Prometheus serves the day" test "$ready" = yes
[ "$ready" = yes ] || { tail -5 "$T_TMP/prometheus.log" | sed 's/^/# /'; t_done; exit 1; }

# query BRANCH OUT [DASHBOARD]: the dashboard's queries, 20 s after the last scrape.
query() { $PY "$D/query.py" "${3:-$DASH}" "http://127.0.0.1:$PORT" "$((NOW + 20))" "$1" "$2"; }
# seatmap_is DATA BRANCH: the seat map's answer is what the day made of each seat of BRANCH.
seatmap_is() {
    $PY - "$1" "$T_TMP/expect.json" "$2" <<'EOF'
import json, sys
data, expect, branch = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
got = {f'{r["metric"]["branch"]}/{r["metric"]["seat"]}': int(float(r["value"][1]))
       for r in data["panels"]["2"][0]["result"]}
want = {k: v for k, v in expect["seat_map"].items() if k.startswith(branch + "/")}
if got != want:
    sys.exit(f"seat map: got {got}, want {want}")
EOF
}
t_check "the queries run against Prometheus (Hovedbiblioteket)" query Hovedbiblioteket "$T_TMP/main.json"
t_check "the branch variable lists both branches (label_values)" \
    $PY -c 'import json, sys; assert json.load(open(sys.argv[1]))["branches"] == ["Filial Nord", "Hovedbiblioteket"]' "$T_TMP/main.json"
t_check "seat map: every seat as simulated: in use, free, blocked, silent (its daemon stopped writing)" \
    seatmap_is "$T_TMP/main.json" Hovedbiblioteket
t_check "every panel's every query has an answer" $PY - "$T_TMP/main.json" "$DASH" <<'EOF'
import json, sys
data, dash = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for p in dash["panels"]:
    for t in p.get("targets", []):
        a = [a for a in data["panels"][str(p["id"])] if a["refId"] == t["refId"]][0]
        assert a["result"], (p["title"], t["refId"])
EOF
t_check "open incidents: the one of the blocked seat" \
    $PY -c 'import json, sys; r = json.load(open(sys.argv[1]))["panels"]["7"][0]["result"]; assert r[0]["value"][1] == "1", r' "$T_TMP/main.json"
nord() { query 'Filial Nord' "$T_TMP/nord.json" && seatmap_is "$T_TMP/nord.json" 'Filial Nord'; }
t_check "the closed branch: every seat of Filial Nord is closed" nord
# The check can fail: a seat map query that misses the state READY leaves the free seats out.
sed 's/state=\\"READY\\"/state=\\"READX\\"/' "$DASH" >"$T_TMP/broken.json"
query Hovedbiblioteket "$T_TMP/broken-answer.json" "$T_TMP/broken.json"
t_expect_fail "... and a broken seat map query (READY misspelt) fails that check" \
    seatmap_is "$T_TMP/broken-answer.json" Hovedbiblioteket

# --- drawn in Chromium
# page DATA: the page for one set of answers; its DOM after the charts have drawn.
page() {
    $PY - "$DASH" "$1" "$T_TMP/page" <<'EOF'
import sys
dash, data, out = sys.argv[1:4]
open(f"{out}/dashboard.js", "w").write("window.RK_DASHBOARD = " + open(dash).read() + ";\n")
open(f"{out}/data.js", "w").write("window.RK_DATA = " + open(data).read() + ";\n")
EOF
}
chrome() { timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$T_TMP/chromium" --virtual-time-budget=15000 "$@" "file://$T_TMP/page/index.html" 2>>"$T_TMP/chromium.log"; }
page "$T_TMP/main.json"
chrome --dump-dom >"$T_TMP/main.html"
# shown DOM: the body's marks and every text the page shows, as JSON.
shown() {
    $PY - "$1" <<'EOF'
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.body = {}; self.texts = []; self.skip = 0
    def handle_starttag(self, tag, attrs):
        if tag == "body": self.body = dict(attrs)
        if tag in ("script", "style"): self.skip += 1
    def handle_endtag(self, tag):
        if tag in ("script", "style"): self.skip -= 1
    def handle_data(self, d):
        if not self.skip and d.strip(): self.texts.append(d.strip())
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
json.dump({"body": p.body, "texts": p.texts}, sys.stdout, ensure_ascii=False)
EOF
}
shown "$T_TMP/main.html" >"$T_TMP/main.shown"
t_check "the page is drawn with no error" $PY -c '
import json, sys
b = json.load(open(sys.argv[1]))["body"]
if "data-error" in b: sys.exit(b["data-error"][:800])
assert b.get("data-rendered") == "1", "not drawn"' "$T_TMP/main.shown"
t_check "every panel is drawn, none says No data" $PY - "$T_TMP/main.shown" "$DASH" <<'EOF'
import json, sys
s, dash = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert "No data" not in s["texts"], "a panel has no data"
for p in dash["panels"]:
    title = p["title"].replace("$branch", "Hovedbiblioteket")
    assert title in s["texts"], f"panel {title!r} is not shown"
EOF
t_check "the seat map shows each seat's name and its word (free, in use, blocked, silent)" \
    $PY - "$T_TMP/main.shown" "$T_TMP/expect.json" "$DASH" <<'EOF'
import json, sys
s, expect, dash = (json.load(open(f)) for f in sys.argv[1:4])
summary = json.loads(s["body"]["data-summary"])
seat = [p for p in dash["panels"] if p["title"].startswith("Seat map")][0]
words = {int(k): v["text"] for k, v in seat["fieldConfig"]["defaults"]["mappings"][0]["options"].items()}
shown = {v["title"]: v["text"] for v in summary[str(seat["id"])]}
want = {k.split("/", 1)[1]: words[v] for k, v in expect["seat_map"].items() if k.startswith("Hovedbiblioteket/")}
assert shown == want, (shown, want)
for title, text in want.items():
    assert title in s["texts"] and text in s["texts"], (title, text)
EOF
t_check "the graphs have their series (sessions per hour, wipe p50 and p95, census per seat)" \
    $PY - "$T_TMP/main.shown" <<'EOF'
import json, sys
summary = json.loads(json.load(open(sys.argv[1]))["body"]["data-summary"])
assert [x["name"] for x in summary["3"]] == ["Hovedbiblioteket"], summary["3"]
assert [x["name"] for x in summary["5"]] == ["p50", "p95"], summary["5"]
assert len(summary["6"]) == 8 and all(x["points"] > 100 for x in summary["6"]), summary["6"]
assert summary["9"]["rows"] == 8, summary["9"]
assert summary["9"]["columns"] == ["branch", "seat", "last verified wipe", "metrics age", "rentark version"], summary["9"]
EOF
mkdir -p "$RK_BUILD/screens"
chrome --window-size=1632,1580 --screenshot="$RK_BUILD/screens/dashboard.png" >/dev/null
t_check "screenshot: $RK_BUILD/screens/dashboard.png" test -s "$RK_BUILD/screens/dashboard.png"

page "$T_TMP/nord.json"
chrome --dump-dom >"$T_TMP/nord.html"
shown "$T_TMP/nord.html" >"$T_TMP/nord.shown"
t_check "the closed branch's seat map says closed four times" $PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
summary = json.loads(s["body"]["data-summary"])
assert [v["text"] for v in summary["2"]] == ["closed"] * 4, summary["2"]
assert s["texts"].count("closed") == 4' "$T_TMP/nord.shown"
chrome --window-size=1632,1580 --screenshot="$RK_BUILD/screens/dashboard-closed.png" >/dev/null
t_done
