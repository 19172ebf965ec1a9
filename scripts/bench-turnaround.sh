#!/usr/bin/env bash
# Benchmark of what the next patron waits for: from the end of a session until the seat may
# open again, i.e. the whole wipe as the daemon runs it (stop, detach mounts, renew the home,
# sweep every class, census, sync) with the old home left in the root-only trash for the
# background deletion. It must be flat in the size of the old home, and exceed the census's
# own time by no more than 50 ms. The table gives, per size of the old home, the median
# turnaround, the census's share, the rest (turnaround - census) and the turnaround's ratio to
# the one at the smallest size, all measured in the same run.
#
# The old homes are synthetic browser-heavy trees (tests/helpers/rmbench gen) on ext4 on a loop
# device whose image lives in RAM; the guest is a throw-away account; the census covers the
# scratch file system (wipe.census_mounts), the known places are folders on it.
# BENCH_SIZES="10000 100000 1000000", BENCH_RUNS=3.
set -euo pipefail
cd "$(dirname "$0")/.."
RK_BUILD=${RK_BUILD:-build}
case $RK_BUILD in /*) ;; *) RK_BUILD=$PWD/$RK_BUILD ;; esac
GEN=$RK_BUILD/tests/helpers/rmbench
WB=$RK_BUILD/tests/helpers/wipebench
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
RUNS=${BENCH_RUNS:-3}
[ "$(id -u)" -eq 0 ] || { echo "bench-turnaround: needs root" >&2; exit 1; }
[ -x "$WB" ] && [ -x "$GEN" ] || { echo "bench-turnaround: build first: make tests" >&2; exit 1; }

work=$(mktemp -d /tmp/rk-bench-turn.XXXXXX)
img=/dev/shm/$(basename "$work").img
mnt=$work/mnt
guest=rk-bt$$
cleanup() {
    pkill -KILL -u "$guest" 2>/dev/null || true
    userdel -f "$guest" >/dev/null 2>&1 || true
    mountpoint -q "$mnt" && umount "$mnt"
    rm -f "$img"; rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$mnt"
truncate -s 8G "$img"
mkfs.ext4 -q -F -N 2200000 -O ^has_journal -E lazy_itable_init=0 "$img"
mount -o loop "$img" "$mnt"
chmod 0755 "$mnt"
# A uid the kernel holds no keys for (a keyring locked by an earlier guest of that uid would
# stay until reboot and fail every wipe of it).
for _ in $(seq 1 200); do
    u=$((20000 + RANDOM % 30000))
    getent passwd "$u" >/dev/null || getent group "$u" >/dev/null || grep -q "^ *$u:" /proc/key-users || break
done
useradd -M -U -u "$u" -s /usr/sbin/nologin -d "$mnt/home/$guest" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$guest"
U=$(id -u "$guest") G=$(id -g "$guest")
mkdir -p "$mnt/home" "$mnt/skel/.config/autostart" "$mnt/skel/Documents" "$mnt/notice/nb" "$mnt/notice/nn" \
    "$mnt/notice/en" "$mnt/state" "$mnt/tmp" "$mnt/vartmp" "$mnt/run/user" "$mnt/spool" "$mnt/crash" "$mnt/journal"
chmod 1777 "$mnt/tmp" "$mnt/vartmp"
printf 'export LANG=nb_NO.UTF-8\n' >"$mnt/skel/.profile"
conf=$work/rentark.conf
cat >"$conf" <<CONF
guest = { user = "$guest"; home = "$mnt/home/$guest"; skeleton = "$mnt/skel"; create = false; };
wipe = { trash_dir = "$mnt/home/.rentark-trash"; sweep = [ "$mnt/tmp", "$mnt/vartmp" ]; census_mounts = [ "$mnt" ]; };
notice = { text_dir = "$mnt/notice"; };
paths = { state_dir = "$mnt/state"; socket = "$mnt/state/control.sock"; run_user_dir = "$mnt/run/user";
          cups_spool = "$mnt/spool"; crash_dirs = [ "$mnt/crash" ]; journal_dir = "$mnt/journal"; };
CONF

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-10s %5s %16s %12s %14s %8s\n' "files" "runs" "turnaround (ms)" "census (ms)" "rest (ms)" "ratio"
base=
worst_rest=0
for n in $SIZES; do
    tot=() cen=()
    for _ in $(seq 1 "$RUNS"); do
        rm -rf "$mnt/home/$guest" "$mnt/home/.rentark-trash"
        "$GEN" gen "$mnt/home/$guest" "$n" 42 >/dev/null
        chown -R "$U:$G" "$mnt/home/$guest"
        echo patron >"$mnt/tmp/guest-file" && chown "$U:$G" "$mnt/tmp/guest-file"
        sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
        read -r t c _ v < <("$WB" "$conf")
        [ "$v" = 1 ] || { echo "bench-turnaround: the wipe was not verified" >&2; exit 1; }
        tot+=("$t"); cen+=("$c")
    done
    t=$(printf '%s\n' "${tot[@]}" | median); c=$(printf '%s\n' "${cen[@]}" | median)
    ms=$(awk -v a="$t" 'BEGIN { printf "%.1f", a / 1e6 }')
    cms=$(awk -v a="$c" 'BEGIN { printf "%.1f", a / 1e6 }')
    rest=$(awk -v a="$t" -v b="$c" 'BEGIN { printf "%.1f", (a - b) / 1e6 }')
    [ -n "$base" ] || base=$ms
    worst_rest=$(awk -v a="$rest" -v b="$worst_rest" 'BEGIN { print (a > b) ? a : b }')
    printf '%-10s %5s %16s %12s %14s %8s\n' "$n" "$RUNS" "$ms" "$cms" "$rest" \
        "$(awk -v a="$ms" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
done
echo "goal: flat (ratio near 1 at every size) and turnaround - census <= 50 ms (worst here: $worst_rest ms)"
