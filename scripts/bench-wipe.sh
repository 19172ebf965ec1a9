#!/usr/bin/env bash
# Benchmark of the turnaround: from the end of a session until a fresh home is in place
# (home_renew: detach mounts, rename the home into the trash, copy the skeleton, rename into
# place). It must be flat in the size of the old home: the table gives each size's turnaround
# and its ratio to the turnaround for an empty home, measured in the same run.
#
# Homes are synthetic browser-heavy trees (tests/helpers/rmbench gen) on ext4 on a loop device
# whose image lives in RAM. BENCH_SIZES="0 10000 100000 1000000", BENCH_RUNS=5.
set -euo pipefail
cd "$(dirname "$0")/.."
RK_BUILD=${RK_BUILD:-build}
case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
GEN=$RK_BUILD/tests/helpers/rmbench
RENEW=$RK_BUILD/tests/helpers/renewbench
SIZES=${BENCH_SIZES:-"0 10000 100000 1000000"}
RUNS=${BENCH_RUNS:-5}
[ "$(id -u)" -eq 0 ] || { echo "bench-wipe: needs root" >&2; exit 1; }
[ -x "$RENEW" ] && [ -x "$GEN" ] || { echo "bench-wipe: build first: make tests" >&2; exit 1; }

work=$(mktemp -d /tmp/rk-bench-wipe.XXXXXX)
img=/dev/shm/$(basename "$work").img
mnt=$work/mnt
cleanup() {
    mountpoint -q "$mnt" && umount "$mnt"
    rm -f "$img"; rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$mnt"
truncate -s 8G "$img"
# No lazy inode-table init: its background zeroing would be measured as noise.
mkfs.ext4 -q -F -N 2200000 -O ^has_journal -E lazy_itable_init=0 "$img"
mount -o loop "$img" "$mnt"
chmod 0755 "$mnt"
mkdir -p "$mnt/home" "$mnt/skel/.config/autostart" "$mnt/skel/Documents" "$mnt/skel/.mozilla/firefox"
printf 'export LANG=nb_NO.UTF-8\n' >"$mnt/skel/.profile"
printf '{"policies":{"PasswordManagerEnabled":false}}\n' >"$mnt/skel/.mozilla/firefox/policies.json"
ln -s .profile "$mnt/skel/.bash_profile"
U=60123 G=60123

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-10s %6s %16s %10s\n' "files" "runs" "turnaround (ms)" "ratio"
base=
for n in $SIZES; do
    times=()
    runs=$RUNS; [ "$n" -ge 1000000 ] && runs=$(( RUNS < 2 ? RUNS : 2 ))
    for _ in $(seq 1 "$runs"); do
        rm -rf "$mnt/home/guest"
        if [ "$n" -gt 0 ]; then "$GEN" gen "$mnt/home/guest" "$n" 42 >/dev/null; else mkdir "$mnt/home/guest"; fi
        sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
        times+=("$("$RENEW" "$mnt/home/guest" "$mnt/home/.rentark-trash" "$mnt/skel" $U $G)")
        rm -rf "$mnt/home/.rentark-trash"; sync
    done
    ms=$(printf '%s\n' "${times[@]}" | median | awk '{ printf "%.2f", $1 / 1e6 }')
    [ -n "$base" ] || base=$ms
    printf '%-10s %6s %16s %10s\n' "$n" "$runs" "$ms" "$(awk -v a="$ms" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
done
echo "goal: flat (ratio near 1 at every size) and under 50 ms at 1,000,000 files"
