#!/usr/bin/env bash
# Benchmark of the safe remover against GNU rm -rf, on synthetic browser-heavy homes.
#
# For each size, two identical trees (tests/helpers/rmbench gen, same seed) are made on a fresh
# ext4 file system on a loop device whose image lives in RAM (BENCH_IMG_DIR, /dev/shm by
# default). One is removed with `rm -rf`, the other with `rmbench rm` (rm_at with RM_PARALLEL);
# which goes first alternates from size to size. Prints one table row per size.
#
#   BENCH_SIZES="10000 100000 1000000"  file counts per tree
#   BENCH_SEED=42, BENCH_IMG_DIR=/dev/shm, RK_BUILD=build
# Needs root (mount, losetup). Everything it makes is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
RK_BUILD=${RK_BUILD:-build}
case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
RMBENCH=$RK_BUILD/tests/helpers/rmbench
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
SEED=${BENCH_SEED:-42}
IMG_DIR=${BENCH_IMG_DIR:-/dev/shm}

[ "$(id -u)" -eq 0 ] || { echo "bench-rmtree: needs root (mount, losetup)" >&2; exit 1; }
[ -x "$RMBENCH" ] || { echo "bench-rmtree: $RMBENCH missing: make BUILD=${RK_BUILD#$PWD/} tests" >&2; exit 1; }

work=$(mktemp -d /tmp/rk-bench.XXXXXX)
img=$IMG_DIR/$(basename "$work").img
mnt=$work/mnt
loop=
mkdir -p "$mnt"

teardown() {
    if mountpoint -q "$mnt"; then umount "$mnt"; fi
    if [ -n "$loop" ]; then losetup -d "$loop"; loop=; fi
    rm -f "$img"
}
cleanup() {
    teardown || true
    rmdir "$mnt" "$work" 2>/dev/null || true
}
trap cleanup EXIT

now() { echo "$EPOCHREALTIME"; }

run_rm() { # dir: prints seconds
    local t0 t1
    t0=$(now)
    rm -rf --one-file-system "$1"
    t1=$(now)
    echo "$t1 - $t0" | bc
}

run_rk() { # dir: prints "seconds maxrss_kib" (timed from outside, as rm -rf is)
    local t0 t1 out
    t0=$(now)
    out=$("$RMBENCH" rm "$1")
    t1=$(now)
    read -r files dirs errors inner rss <<<"$out"
    [ "$errors" -eq 0 ] || { echo "bench-rmtree: rentark reported $errors errors" >&2; exit 1; }
    echo "$(echo "$t1 - $t0" | bc) $rss $files $dirs"
}

printf '%-9s %-8s %12s %14s %7s %14s\n' files first "rm -rf (s)" "rentark (s)" ratio "peak RSS (MiB)"
i=0
for n in $SIZES; do
    # About 6 KiB of blocks per small file with margin, twice, plus the downloads and journal.
    size_mb=$(( n * 14 / 1024 + 1024 ))
    truncate -s "${size_mb}M" "$img"
    loop=$(losetup --find --show "$img")
    mkfs.ext4 -q -F -N $(( n * 2 + 200000 )) -E lazy_itable_init=0,lazy_journal_init=0 "$loop"
    mount "$loop" "$mnt"
    ga=$("$RMBENCH" gen "$mnt/a" "$n" "$SEED")
    gb=$("$RMBENCH" gen "$mnt/b" "$n" "$SEED")
    [ "$ga" = "$gb" ] || { echo "bench-rmtree: trees differ: $ga / $gb" >&2; exit 1; }
    sync
    if (( i % 2 == 0 )); then
        first="rm -rf"
        t_rm=$(run_rm "$mnt/a"); sync
        read -r t_rk rss files dirs <<<"$(run_rk "$mnt/b")"
    else
        first=rentark
        read -r t_rk rss files dirs <<<"$(run_rk "$mnt/b")"; sync
        t_rm=$(run_rm "$mnt/a")
    fi
    sync
    left=$(find "$mnt" -mindepth 1 -maxdepth 1 ! -name lost+found | wc -l)
    [ "$left" -eq 0 ] || { echo "bench-rmtree: $left entries left" >&2; exit 1; }
    printf '%-9s %-8s %12.3f %14.3f %7.2f %14.1f   (%s; rentark removed %s files, %s dirs)\n' \
        "$n" "${first%% *}" "$t_rm" "$t_rk" "$(echo "scale=4; $t_rk / $t_rm" | bc)" \
        "$(echo "scale=1; $rss / 1024" | bc)" "$ga" "$files" "$dirs"
    teardown
    i=$((i + 1))
done
