#!/usr/bin/env bash
# The Prometheus alert rules (config/prometheus/rentark.rules.yml, issue 17): promtool accepts
# them (check rules), their unit tests pass (test rules: every alert firing and quiet), and
# every rentark_* metric an expression uses is one the real rentarkd writes: the daemon is
# started as in the daemon tests, with paths.metrics_file set, and the names in its file are
# compared with the names in the expressions, so that a renamed metric cannot leave an alert
# that never fires.
. "$(dirname "$0")/../lib.sh"
RULES=$RK_SRC/config/prometheus/rentark.rules.yml
TESTS=$RK_SRC/config/prometheus/rentark.rules.test.yml

if ! command -v promtool >/dev/null 2>&1; then
    t_skip "all tests in $(basename "$0")" "promtool is not installed (Debian: prometheus; scripts/deps.sh)"
    t_done
    exit 0
fi
promtool check rules "$RULES" >"$T_TMP/check-rules.out" 2>&1; rc=$?
t_check "promtool check rules" test $rc = 0 || sed 's/^/# /' "$T_TMP/check-rules.out"
promtool test rules "$TESTS" >"$T_TMP/test-rules.out" 2>&1; rc=$?
t_check "promtool test rules (every alert, firing and quiet)" test $rc = 0 || sed 's/^/# /' "$T_TMP/test-rules.out" | head -40
# Every alert has its unit test, a severity and both annotations.
t_check "every alert has a unit test, a severity, a summary and a description" /usr/bin/python3 - "$RULES" "$TESTS" <<'PY'
import re, sys
rules, tests = open(sys.argv[1]).read(), open(sys.argv[2]).read()
alerts = re.findall(r"^\s*- alert: (\S+)", rules, re.M)
tested = set(re.findall(r"^\s*alertname: (\S+)", tests, re.M))
blocks = re.split(r"^\s*- alert: ", rules, flags=re.M)[1:]
bad = [a for a in alerts if a not in tested]
bad += [b.split()[0] for b in blocks if not all(k in b for k in ("severity:", "summary:", "description:"))]
if len(alerts) < 5 or bad:
    sys.exit(f"{len(alerts)} alerts; missing a test or a label/annotation: {bad}")
PY

# The names the expressions use.
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    t_skip "the rules' metrics are the daemon's" "python3-yaml is not installed"
    t_done
    exit 0
fi
/usr/bin/python3 - "$RULES" >"$T_TMP/used" <<'PY' || t_fail "the rules parse as YAML"
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
names = set()
for g in doc["groups"]:
    for r in g["rules"]:
        names |= set(re.findall(r"\brentark_[a-zA-Z0-9_]+", r["expr"]))
print("\n".join(sorted(names)))
PY
t_check "the expressions use rentark metrics ($(wc -l <"$T_TMP/used") names)" test "$(wc -l <"$T_TMP/used")" -ge 4

# The daemon's names: start it and let it write its file.
t_require_root
. "$RK_SRC/tests/wipe-env.sh"
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
PROM=$FS/state/rentark.prom
rm -f "$PROM"
start_daemon && wait_state READY 30 || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
# One session and its wipe, so that the file also has what comes only after a wipe.
ctl hook session-setup "$GUEST" >/dev/null && guest_ctl accept >/dev/null && ctl end >/dev/null
wait_state READY 30
for _ in $(seq 1 40); do grep -q '^rentark_census_classes' "$PROM" 2>/dev/null && break; sleep 0.05; done
t_check "the daemon wrote a valid file" /usr/bin/python3 "$RK_SRC/tests/helpers/promfile.py" check "$PROM"
/usr/bin/python3 "$RK_SRC/tests/helpers/promfile.py" names "$PROM" >"$T_TMP/families"
missing=()
while read -r n; do
    # A histogram's series are its family's name with _bucket, _sum or _count.
    grep -qxF "$n" "$T_TMP/families" || grep -qxF "$(sed -E 's/_(bucket|sum|count)$//' <<<"$n")" "$T_TMP/families" ||
        missing+=("$n")
done <"$T_TMP/used"
t_check "every rentark_* metric of the rules is one the daemon writes${missing:+ (not written: ${missing[*]})}" \
    test ${#missing[@]} = 0
t_diag "used by the rules: $(tr '\n' ' ' <"$T_TMP/used")"
t_done
