#!/usr/bin/env bash
# The Grafana dashboard config/grafana/rentark.json (issue 17): importable JSON; checked against
# Grafana's own dashboard schema (the TypeScript types of @grafana/schema, from the npm
# registry: every key must be one the schema knows, every value of its type; a misspelt key
# is shown to fail the same check); every query is valid PromQL (promtool); every rentark_*
# metric it uses is one the real rentarkd writes (its textfile, after a session); the panels
# the issue asks for are there (seat map per branch, sessions per hour, wipe and census
# durations, incidents). test-grafana-render draws it against a real Prometheus.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
DASH=$RK_SRC/config/grafana/rentark.json
PY=/usr/bin/python3

t_check "the dashboard is JSON" $PY -c "import json,sys; json.load(open(sys.argv[1]))" "$DASH"
t_check "importable: a uid, a title, the Prometheus data source as an input" $PY - "$DASH" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uid"] == "rentark-kiosks" and d["title"]
assert [i["pluginId"] for i in d["__inputs"]] == ["prometheus"]
EOF
t_check "the panels: seat map per branch, sessions per hour, wipe and census durations, incidents" $PY - "$DASH" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
titles = " | ".join(p["title"] for p in d["panels"])
for want in ["Seat map", "Sessions per hour", "Wipe duration", "Census duration", "Open incidents"]:
    assert want in titles, want
rows = [p for p in d["panels"] if p["type"] == "row"]
assert rows and rows[0].get("repeat") == "branch", "the seat map repeats per branch"
names = {v["name"] for v in d["templating"]["list"]}
assert {"branch", "DS_PROMETHEUS"} <= names
seat = [p for p in d["panels"] if p["title"].startswith("Seat map")][0]
texts = {m["text"] for m in seat["fieldConfig"]["defaults"]["mappings"][0]["options"].values()}
assert {"free", "in use", "blocked", "closed"} <= texts, texts
EOF
t_check "no two panels overlap on the grid" $PY - "$DASH" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
cells = {}
for p in d["panels"]:
    g = p["gridPos"]
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            assert (x, y) not in cells, (p["title"], cells.get((x, y)))
            cells[(x, y)] = p["title"]
    assert g["x"] + g["w"] <= 24
EOF

# --- Grafana's schema: the types of @grafana/schema, checked by the TypeScript compiler.
NPM_DIR=$RK_BUILD/npm-dashboard # shared with test-grafana-render; the checks in a folder of their own
"$RK_SRC/tests/dashboard/npm-ci.sh" "$NPM_DIR" >"$T_TMP/npm.log" 2>&1
t_check "typescript and @grafana/schema are installed (npm registry)" \
    test -x "$NPM_DIR/node_modules/.bin/tsc" -a -f "$NPM_DIR/node_modules/@grafana/schema/package.json"
[ -x "$NPM_DIR/node_modules/.bin/tsc" ] || tail -5 "$T_TMP/npm.log" | sed 's/^/# npm: /'
CHECK_DIR=$NPM_DIR/schema-check
mkdir -p "$CHECK_DIR"
# check.ts: the dashboard (without the import-only __inputs/__requires) as a Dashboard.
mkcheck() { # DASHBOARD.json OUT.ts [SED]
    $PY - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d.pop("__inputs"); d.pop("__requires")
open(sys.argv[2], "w").write("""import type { Dashboard } from '@grafana/schema';
// JSON has strings where the schema has string enums: compare with the enums' literal values.
type Lit<T> = T extends string ? `${T}` : T extends (infer U)[] ? Lit<U>[] : T extends object ? { [K in keyof T]: Lit<T[K]> } : T;
export const dashboard: Lit<Dashboard> = """ + json.dumps(d, indent=1) + ";\n")
EOF
}
tsc() { (cd "$CHECK_DIR" && ../node_modules/.bin/tsc --noEmit --strict --skipLibCheck --moduleResolution bundler \
    --module esnext --target es2020 "$1") >"$T_TMP/tsc.out" 2>&1; }
mkcheck "$DASH" "$CHECK_DIR/check.ts"
t_check "the dashboard matches Grafana's dashboard schema (@grafana/schema 13.2.3)" tsc check.ts
[ -s "$T_TMP/tsc.out" ] && head -5 "$T_TMP/tsc.out" | sed 's/^/# /'
# The same check must fail on a misspelt key and on a value of the wrong type.
sed 's/"gridPos"/"gridpos"/' "$DASH" >"$T_TMP/typo.json"
mkcheck "$T_TMP/typo.json" "$CHECK_DIR/typo.ts"
t_expect_fail "... and it finds a misspelt key (gridpos)" tsc typo.ts
sed 's/"mode": "absolute"/"mode": "absolut"/' "$DASH" >"$T_TMP/bad.json"
mkcheck "$T_TMP/bad.json" "$CHECK_DIR/bad.ts"
t_expect_fail "... and a value that is not in the schema (thresholds mode absolut)" tsc bad.ts

# --- PromQL: every query, as a recording rule, through promtool.
t_check "promtool is installed" command -v promtool
$PY - "$DASH" "$T_TMP/queries.rules.yml" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$branch", ".*")
        f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(e)}\n")
EOF
t_check "every query of the dashboard is valid PromQL ($(grep -c record: "$T_TMP/queries.rules.yml") queries)" \
    promtool check rules "$T_TMP/queries.rules.yml"

# --- the metrics it uses are the ones rentarkd writes
grep -o 'rentark_[a-z_]*' "$DASH" | sed -E 's/_(bucket|sum|count)$//' | sort -u >"$T_TMP/used"
wipe_env_setup 128M
. "$RK_SRC/tests/daemon-env.sh"
metrics_after_session || { t_fail "the daemon writes its metrics after a session" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
grep -o '^rentark_[a-z_]*' "$FS/state/rentark.prom" | sed -E 's/_(bucket|sum|count)$//' | sort -u >"$T_TMP/written"
t_check "every metric of the dashboard ($(wc -l <"$T_TMP/used")) is one the daemon writes" \
    sh -c "! comm -23 '$T_TMP/used' '$T_TMP/written' | grep ."
comm -23 "$T_TMP/used" "$T_TMP/written" | sed 's/^/# not written: /'
t_done
