#!/usr/bin/env bash
# Runs every test of rentark and prints one closing line "N passed, N failed, N skipped".
#
# Unit tests are GLib g_test binaries in $RK_BUILD/tests/, run with --tap; integration tests
# are tests/integration/test-*.sh, which print TAP through tests/lib.sh. Every "ok", "not ok"
# and "# SKIP" line counts once; a test file that exits non-zero without reporting a failure
# (a crash, a sanitizer abort) counts as one failure of its own.
#
# Usage: tests/run.sh [PATTERN...]   (run only files whose name contains a PATTERN)
set -u
cd "$(dirname "$0")/.."
export RK_SRC=$PWD
export RK_BUILD=${RK_BUILD:-build/san}
case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
# Sanitizer findings must fail the test, and leaks are findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$RK_SRC/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export G_DEBUG=${G_DEBUG:-fatal-criticals}

passed=0 failed=0 skipped=0
failures=()
log_dir=${RK_TEST_LOGS:-$RK_BUILD/test-logs}
mkdir -p "$log_dir"

selected() {
    [ $# -gt 1 ] || return 0
    local name=$1; shift
    for p in "$@"; do [[ $name == *"$p"* ]] && return 0; done
    return 1
}

run_one() { # name, command...
    local name=$1; shift
    local log="$log_dir/$name.log" start end rc
    start=$(date +%s%N)
    "$@" >"$log" 2>&1 </dev/null
    rc=$?
    end=$(date +%s%N)
    local p=0 f=0 s=0
    while IFS= read -r line; do
        case $line in
            "not ok"*) f=$((f + 1)); failures+=("$name: ${line#not ok }"); echo "  FAIL $name: ${line#not ok }" ;;
            "ok "*"# SKIP"*|"ok "*"# skip"*) s=$((s + 1)); echo "  SKIP $name: ${line#ok }" ;;
            "ok "*) p=$((p + 1)) ;;
            "Bail out!"*) f=$((f + 1)); failures+=("$name: $line"); echo "  FAIL $name: $line" ;;
        esac
    done < <(grep -E '^((not )?ok |Bail out!)' "$log")
    # What a failing check said about itself (its "# " lines), so that a CI log alone explains it.
    [ $f -gt 0 ] && awk '/^not ok / { on = 1; next } /^(ok |not ok |Bail out!)/ { on = 0 } on && /^#/ && n++ < 80 { print "    " $0 }' "$log"
    if [ $rc -ne 0 ] && [ $f -eq 0 ]; then
        f=1; failures+=("$name: exited with status $rc without reporting a failure")
        echo "  FAIL $name: exited with status $rc (see $log)"
    fi
    local ms=$(((end - start) / 1000000))
    printf '%-40s %4d passed %3d failed %3d skipped  %4d.%01ds\n' "$name" $p $f $s $((ms / 1000)) $((ms % 1000 / 100))
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

# RK_SUITE=system: the system test (tests/system, a booted kiosk) instead of the unit and
# integration tests.
unit_tests=("$RK_BUILD"/tests/test-*)
script_tests=(tests/integration/test-*.sh)
if [ "${RK_SUITE:-}" = system ]; then
    unit_tests=()
    script_tests=(tests/system/test-*.sh)
fi
for t in "${unit_tests[@]}"; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    selected "$n" "$@" || continue
    run_one "$n" "$t" --tap
done
for t in "${script_tests[@]}"; do
    [ -f "$t" ] || continue
    n=$(basename "$t" .sh)
    selected "$n" "$@" || continue
    run_one "$n" bash "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
    echo
    echo "Failures (logs in $log_dir):"
    printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
