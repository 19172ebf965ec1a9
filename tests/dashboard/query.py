#!/usr/bin/python3
"""Run every query of the Grafana dashboard against a real Prometheus, as Grafana would for its
time range (the dashboard's own, `now-24h` to `now`) and the branch chosen, and write the
answers for the renderer (render.tsx) and the test.

usage: query.py DASHBOARD.json PROMETHEUS_URL NOW BRANCH OUT.json
"""
import json
import re
import sys
import urllib.parse
import urllib.request

STEP = 120  # Grafana's interval for 24 h on a panel about 700 px wide (range / max data points)


def api(base, path, params):
    url = f"{base}/api/v1/{path}?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        sys.exit(f"{path}: {body}")
    return body["data"]


def promql_regex(value):
    """A variable's value in a =~ matcher, escaped as Grafana's Prometheus data source does:
    regular-expression characters get a backslash, doubled for the PromQL string."""
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), value)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    dash_path, base, now, branch, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    dash = json.load(open(dash_path, encoding="utf-8"))
    m = re.fullmatch(r"now-(\d+)h", dash["time"]["from"])
    if not m or dash["time"]["to"] != "now":
        sys.exit(f"{dash_path}: time range {dash['time']} is not now-Nh to now")
    start = now - int(m.group(1)) * 3600
    # The branch variable: its values are the query's answer (label_values).
    var = next(v for v in dash["templating"]["list"] if v["name"] == "branch")
    lv = re.fullmatch(r"label_values\((\w+), (\w+)\)", var["query"]["query"])
    branches = api(base, f"label/{lv.group(2)}/values", {"match[]": lv.group(1), "start": start, "end": now})
    if branch not in branches:
        sys.exit(f"branch {branch!r} is not among the values of the variable: {branches}")
    out = {"now": now, "from": start, "branch": branch, "branches": branches, "panels": {}}
    for p in dash["panels"]:
        answers = []
        for t in p.get("targets", []):
            expr = t["expr"].replace("$branch", promql_regex(branch))
            if t.get("instant"):
                data = api(base, "query", {"query": expr, "time": now})
            else:
                data = api(base, "query_range", {"query": expr, "start": start, "end": now, "step": STEP})
            answers.append({"refId": t["refId"], "resultType": data["resultType"], "result": data["result"]})
        if answers:
            out["panels"][str(p["id"])] = answers
    json.dump(out, open(out_path, "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
