#!/usr/bin/env bash
# Runs every benchmark (scripts/bench-*.sh) against the optimised build in $RK_BUILD.
# Benchmarks report ratios against a reference measured in the same run, never bare times.
set -u
cd "$(dirname "$0")/.."
export RK_SRC=$PWD
export RK_BUILD=${RK_BUILD:-$PWD/build}
case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
rc=0
for b in scripts/bench-*.sh; do
    [ -f "$b" ] || continue
    echo "== $(basename "$b" .sh)"
    bash "$b" || rc=1
done
exit $rc
