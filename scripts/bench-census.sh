#!/usr/bin/env bash
# Benchmark of the census's file walk against `find MOUNTS -xdev -uid N`, warm cache.
#
# Both look at every inode of the same file systems and ask for
# the owner of each; neither finds anything (BENCH_UID is nobody's). The census runs as
# census_run with the file census restricted to those mounts, i.e. with every other class too.
# Runs alternate (find, census, find, ...) BENCH_RUNS times after one warm-up of each; the best
# time of each is compared. Prints one line: inodes, best times, ratio census/find.
#
# By default the file systems are shaped like a Debian desktop: three mounts in a scratch folder,
# the machine's own /usr (bound, read by both, changed by neither) and two tmpfs holding a
# synthetic browser-heavy home each (tests/helpers/rmbench gen, BENCH_HOME_FILES files each) —
# together well over 300,000 inodes. BENCH_MOUNTS="/ ..." measures given mounts instead.
#
#   BENCH_MOUNTS=  BENCH_HOME_FILES=100000  BENCH_UID=54321  BENCH_RUNS=5  RK_BUILD=build
# Needs root (every directory must be readable). Changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
RK_BUILD=${RK_BUILD:-build}
case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
BENCH=$RK_BUILD/tests/helpers/censusbench
MOUNTS=${BENCH_MOUNTS:-}
HOME_FILES=${BENCH_HOME_FILES:-100000}
UID_N=${BENCH_UID:-54321}
RUNS=${BENCH_RUNS:-5}

[ "$(id -u)" -eq 0 ] || { echo "bench-census: needs root" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "bench-census: $BENCH missing: make BUILD=${RK_BUILD#$PWD/} tests" >&2; exit 1; }
if getent passwd "$UID_N" >/dev/null; then
    echo "bench-census: uid $UID_N has an account; pick an unused BENCH_UID" >&2
    exit 1
fi

if [ -z "$MOUNTS" ]; then
    work=$(mktemp -d /tmp/rk-bench-census.XXXXXX)
    trap 'umount "$work"/m* 2>/dev/null; rm -rf "$work"' EXIT
    mkdir -p "$work/m1" "$work/m2" "$work/m3"
    mount --bind /usr "$work/m1"
    mount -t tmpfs -o size=4G tmpfs "$work/m2"
    mount -t tmpfs -o size=4G tmpfs "$work/m3"
    "$RK_BUILD/tests/helpers/rmbench" gen "$work/m2/home" "$HOME_FILES" 1 >/dev/null
    "$RK_BUILD/tests/helpers/rmbench" gen "$work/m3/home" "$HOME_FILES" 2 >/dev/null
    MOUNTS="$work/m1 $work/m2 $work/m3"
fi

# shellcheck disable=SC2086
time_find() {
    local t0 t1
    t0=$(date +%s%N)
    find $MOUNTS -xdev -uid "$UID_N" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}

# shellcheck disable=SC2086
"$BENCH" mounts "$UID_N" $MOUNTS >/dev/null
time_find >/dev/null
best_find=0 best_census=0 inodes=0
for _ in $(seq "$RUNS"); do
    f=$(time_find)
    # shellcheck disable=SC2086
    out=$("$BENCH" mounts "$UID_N" $MOUNTS)
    if grep -q error <<<"$out"; then
        echo "bench-census: census failed: $out" >&2
        exit 1
    fi
    read -r _ inodes secs _ < <(head -n 1 <<<"$out")
    c=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000000 }')
    if [ "$best_find" -eq 0 ] || [ "$f" -lt "$best_find" ]; then best_find=$f; fi
    if [ "$best_census" -eq 0 ] || [ "$c" -lt "$best_census" ]; then best_census=$c; fi
done
awk -v i="$inodes" -v f="$best_find" -v c="$best_census" -v m="$MOUNTS" -v n="$(nproc)" 'BEGIN {
    printf "census over %d mounts: %d inodes, %d CPUs: find -xdev -uid %.3f s, census %.3f s, ratio census/find %.2f (goal <= 1.0)\n",
           split(m, parts, " "), i, n, f / 1e6, c / 1e6, c / f }'
