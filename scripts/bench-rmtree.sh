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

# Wall time in nanoseconds, in bash arithmetic (no bc). EPOCHREALTIME always has six decimals;
# its separator follows the locale, so drop whichever it is.
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo $(( 10#$t * 1000 )); }

run_rm() { # dir: prints nanoseconds
    local t0
    t0=$(now_ns)
    rm -rf --one-file-system "$1"
    echo $(( $(now_ns) - t0 ))
}

run_rk() { # dir: prints "nanoseconds maxrss_kib files dirs" (timed from outside, as rm -rf is)
    local t0 t1 out
    t0=$(now_ns)
    out=$("$RMBENCH" rm "$1")
    t1=$(now_ns)
    read -r files dirs errors inner rss <<<"$out"
    [ "$errors" -eq 0 ] || { echo "bench-rmtree: rentark reported $errors errors" >&2; exit 1; }
    echo "$((t1 - t0)) $rss $files $dirs"
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
    printf '%-9s %-8s %12s %14s %7s %14s   (%s; rentark removed %s files, %s dirs)\n' \
        "$n" "${first%% *}" "$(awk -v n="$t_rm" 'BEGIN { printf "%.3f", n / 1e9 }')" \
        "$(awk -v n="$t_rk" 'BEGIN { printf "%.3f", n / 1e9 }')" \
        "$(awk -v a="$t_rk" -v b="$t_rm" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$ga" "$files" "$dirs"
    teardown
    i=$((i + 1))
done
