#!/usr/bin/env bash
# kill -9 of a wipe at 20 random points: each time, the next `rentarkd --wipe-once` must
# complete the wipe and verify it (home = skeleton, nothing of the guest left, outside
# untouched). The guest leaves a fresh batch of data before every round, with a process
# that keeps writing.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 512M
PY=/usr/bin/python3
ROUNDS=${RK_CRASH_ROUNDS:-20}

wipe_once || { t_fail "first wipe" "$(tail -3 "$T_TMP/wipe.log")"; t_done; exit 1; }

plant() {
    as_guest $PY - "$HOME_DIR" "$FS" "$1" <<'PY'
import os, sys, random
home, fs, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
for d in range(rnd.randint(5, 40)):
    p = os.path.join(home, ".cache", "c%d" % d, "sub%d" % rnd.randint(0, 3)); os.makedirs(p, exist_ok=True)
    for f in range(rnd.randint(50, 800)):
        with open(os.path.join(p, "%d" % f), "wb") as fh: fh.write(b"x" * rnd.randint(0, 2000))
os.makedirs(os.path.join(home, "Downloads"), exist_ok=True)
with open(os.path.join(home, "Downloads", "big.bin"), "wb") as fh: fh.write(os.urandom(rnd.randint(1, 8) << 20))
with open(os.path.join(fs, "tmp", "guest-%d" % seed), "w") as fh: fh.write("t")
PY
    as_guest sh -c "while :; do echo x >> '$HOME_DIR/.writing' 2>/dev/null; done" &
}

hits=0 states=""
for i in $(seq 1 "$ROUNDS"); do
    plant "$i"
    "$RKD" -c "$CONF" --wipe-once >/dev/null 2>&1 &
    pid=$!
    # A random point: odd rounds in the first 40 ms after the start (start-up, stopping the
    # processes, renaming the home); even rounds once the wipe has visibly begun (the guest's
    # writer is dead: the reaper ran), then 0 to 150 ms on (home, sweeps, trash). Waiting for
    # that sign keeps the kills inside the wipe even on a loaded machine.
    if [ $((i % 2)) -eq 1 ]; then
        ms=$((RANDOM % 40))
    else
        for _ in $(seq 1 500); do [ "$(live_guest_procs)" -eq 0 ] && break; sleep 0.01; done
        ms=$((RANDOM % 150))
    fi
    sleep "0.$(printf '%03d' $ms)"
    if kill -9 $pid 2>/dev/null; then hits=$((hits + 1)); fi
    wait $pid 2>/dev/null
    # What the kill left behind, for the record: no home, a staging copy, a full trash.
    st=""
    [ -d "$HOME_DIR" ] || st="${st}no-home,"
    [ -e "$FS/home/.$GUEST.rentark-new" ] && st="${st}staging,"
    [ -n "$(ls -A "$FS/home/.rentark-trash" 2>/dev/null)" ] && st="${st}trash,"
    t_diag "round $i: kill at ${ms} ms left: ${st:-clean}"
    states="$states${st:-clean} "
    wipe_once; rc=$?
    wait 2>/dev/null   # the writer is gone now: the wipe killed it
    wipe_check "round $i: kill -9 mid-wipe, next --wipe-once completes and verifies" $rc
done

# The test means something only if the kills landed inside running wipes and left
# interrupted states behind.
t_diag "kills that hit a running wipe: $hits of $ROUNDS; states: $states"
t_check "at least half of the kills hit a running wipe ($hits of $ROUNDS)" test $((hits * 2)) -ge "$ROUNDS"
t_check "kills left interrupted states (home gone or trash full) to recover from" \
    grep -qE 'no-home|trash' <<<"$states"
t_done
