#!/usr/bin/env bash
# Runs each libFuzzer target for FUZZ_SECONDS (default 60) on its committed seed corpus
# (tests/fuzz/corpus/NAME); new inputs go to build/fuzz/work-NAME, crashes to build/fuzz/.
# Exit status 1 if any target found a crash, leak or timeout.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
rc=0
for t in "$@"; do
    n=$(basename "$t"); n=${n#fuzz-}
    mkdir -p "build/fuzz/work-$n" "tests/fuzz/corpus/$n"
    echo "== fuzz $n for ${secs}s"
    if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="build/fuzz/$n-" "build/fuzz/work-$n" "tests/fuzz/corpus/$n" \
        >"build/fuzz/$n.log" 2>&1; then
        echo "FAIL: fuzz-$n found a problem (see build/fuzz/$n.log and build/fuzz/$n-*)"
        tail -30 "build/fuzz/$n.log"
        rc=1
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov: [0-9]+' "build/fuzz/$n.log" | tail -3
done
exit $rc
