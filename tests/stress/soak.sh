#!/usr/bin/env bash
# Soak: CYCLES complete guest sessions against the real rentarkd, each with a hostile guest.
#
#   tests/stress/soak.sh [CYCLES [SEED]]       (as root; CYCLES default 10000, SEED random, printed;
#                                          RK_SEED=N replays a run)
#   make BUILD=build/h-soak tests && RK_BUILD=build/h-soak nice tests/stress/soak.sh 10000
#
# A scratch tmpfs and a real guest (tests/wipe-env.sh), the real daemon on a private socket.
# Every cycle: hook session-setup (NOTICE) -> the guest accepts (ACTIVE) -> the guest plants a
# random hostile tree (tests/helpers/hostile-tree.py, seeded from SEED and the cycle: odd
# names, symlinks and hard links to the outside sentinels, mode 000 folders, deep chains,
# FIFOs, sockets, sparse files) into its home and the three swept temp folders, and leaves a
# process that keeps writing -> the session ends -> the wipe -> READY. The session ends in
# turn by staff (`end`), by the guest's button (`end`), by the display manager's logout hook
# and by the guest declining the notice (it plants before it declines); every SLOW_EVERY-th
# cycle instead by the idle timer (the guest reports itself idle) or by the time limit
# (3 s: the cycle waits for it), alternately.
#
# Checks: every cycle the seat reaches READY within 30 s, no process of the guest is left,
# nothing owned by the guest is left on the scratch file system outside the home and the
# trash is empty (cheap: the file system holds little else); every VERIFY_EVERY-th cycle
# also the home equals the skeleton (names, types, modes, owners, sizes, contents, link
# targets) and every outside sentinel is byte-identical.
# Every EVERY cycles one line: cycle, the daemon's VmRSS and open fds, ms per cycle over the
# interval (mean and p99), failures so far, entries the guest planted per cycle.
#
# No-growth rule: the RSS at the end is at most 2 MiB above the RSS after cycle BASE (1000,
# or CYCLES/3 for shorter runs; before it, allocators and GLib's caches settle), and the open
# fds at the end equal those before the first cycle. At the end, after SIGTERM: exit status 0
# (under ASan: no LeakSanitizer report), no sanitizer report, no warning or critical in the
# daemon's log during the cycles, and the wipe check of tests/wipe-env.sh.
#
# Output is TAP (tests/integration/test-daemon-soak.sh is the short soak of make check);
# the table and figures are "#" lines. Environment: RK_BUILD (default build), RK_SEED,
# RK_SOAK_EVERY, RK_SOAK_VERIFY_EVERY (10), RK_SOAK_SLOW_EVERY (100), RK_SOAK_BASE,
# RK_SOAK_FILES (small files per tree, 60), RK_SOAK_DEEP (share of trees deeper than
# PATH_MAX, 0.05), RK_SOAK_KEEP_LOG=FILE (a copy of the daemon's log).
set -u
# One compound command, read whole before it runs: editing this file during a long run does
# not change the run.
{
. "$(dirname "$0")/stress-env.sh"
stress_root
CYCLES=${1:-${RK_SOAK_CYCLES:-10000}}
SEED=${2:-${RK_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}}
if [ -n "${RK_SOAK_EVERY:-}" ]; then EVERY=$RK_SOAK_EVERY
elif [ "$CYCLES" -ge 5000 ]; then EVERY=500
else EVERY=100; fi
VERIFY_EVERY=${RK_SOAK_VERIFY_EVERY:-10}
SLOW_EVERY=${RK_SOAK_SLOW_EVERY:-100}
BASE=${RK_SOAK_BASE:-$((CYCLES / 3 < 1000 ? CYCLES / 3 : 1000))}
FILES=${RK_SOAK_FILES:-60}
DEEP=${RK_SOAK_DEEP:-0.05}

stress_setup "soak"
cat >>"$CONF" <<'EOF'
session = { time_limit = 3; idle_timeout = 21; idle_warning = 20; warnings = [ 1 ]; };
EOF

t_diag "soak: $CYCLES cycles, seed $SEED (RK_SEED=$SEED replays), build ${RK_BUILD#$PWD/}, $(nproc) CPUs," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), protected_hardlinks=$(cat /proc/sys/fs/protected_hardlinks)"
t_diag "rule: RSS at the end <= RSS after cycle $BASE + 2048 KiB; open fds at the end = before cycle 1"

# Under ASan, freed memory sits in a quarantine of 256 MiB by default and the fake stacks of
# detect_stack_use_after_return grow too, so the RSS would grow for thousands of cycles
# without a leak: the measured daemon runs with a quarantine of 8 MiB and without fake stacks
# (other tests keep them). LeakSanitizer still checks it when it exits after the last cycle.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8:detect_stack_use_after_return=0" start_daemon
t_check "daemon starts" kill -0 "${DPID:-0}"
t_check "first start: READY" wait_state READY 60

# The cycles are driven by one Python process: ten thousand client executables would measure
# exec(), not the daemon. Root's requests go over the socket from the driver; the guest's
# part runs in a forked child that has become the guest completely (groups, gid, uid).
cat >"$T_TMP/soak.py" <<'PY'
import ctypes, hashlib, importlib.util, json, os, socket, stat, sys, time

(sock, pid, guid, ggid, guest_user, fs, home, skel, out, trash, cycles, seed, every, verify_every, slow_every,
 base, files, deep, hostile_py, result_file) = sys.argv[1:]
pid, guid, ggid, cycles, seed, every, verify_every, slow_every, base, files = map(
    int, (pid, guid, ggid, cycles, seed, every, verify_every, slow_every, base, files))
deep = float(deep)
swept = [os.path.join(fs, d) for d in ("tmp", "vartmp", "shm")]
spec = importlib.util.spec_from_file_location("hostile_tree", hostile_py)
ht = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ht)
# The lingering writers of the guest are reparented to this process when their parent exits,
# so that their zombies are reaped here and not counted as live processes of the guest.
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER

sys.path.insert(0, os.path.dirname(hostile_py))
import rkcall

def call(line, timeout=10):
    return rkcall.call(sock, line, timeout)

def state():
    return rkcall.state(sock)

def wait_state(want, seconds=30):
    return rkcall.wait_state(sock, want, seconds, 0.005)

def reap():
    while True:
        try:
            p, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if p == 0:
            return

def guest_procs():
    n = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                st = f.read()
        except OSError:
            continue
        uid = st.split("\nUid:", 1)[1].split()[0] if "\nUid:" in st else ""
        zombie = "\nState:\tZ" in st
        if uid == str(guid) and not zombie:
            n += 1
    return n

def owned_outside_home():
    """Entries of the guest on the scratch file system outside the home."""
    n = 0
    for dirpath, dirnames, filenames in os.walk(fs):
        if dirpath == os.path.dirname(home):
            dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) != home]
        for e in dirnames + filenames:
            try:
                if os.lstat(os.path.join(dirpath, e)).st_uid == guid:
                    n += 1
            except OSError:
                pass
    return n

def tree(root, with_owner):
    """Sorted (path, type, mode, [uid, gid,] size, sha256 or link target) of a tree."""
    rows = []
    for dirpath, dirnames, filenames in os.walk(root):
        for e in sorted(dirnames + filenames):
            p = os.path.join(dirpath, e)
            st = os.lstat(p)
            what = ""
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    what = hashlib.sha256(f.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                what = os.readlink(p)
            row = (os.path.relpath(p, root), stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
            row += (st.st_uid, st.st_gid) if with_owner else ()
            rows.append(row + (st.st_size, what))
    return sorted(rows)

def full_check():
    want = [r[:3] + (guid, ggid) + r[3:] for r in tree(skel, False)]
    if tree(home, True) != want:
        return "the home differs from the skeleton"
    st = os.stat(home)
    if (stat.S_IMODE(st.st_mode), st.st_uid) != (0o700, guid):
        return "the home is not 0700 and the guest's"
    if tree(out, True) != out_digest:
        return "OUTSIDE FILES CHANGED"
    with open(os.path.join(fs, "state", "seat.state")) as f:
        if "state=READY\n" not in f.read():
            return "the journal does not say READY"
    return ""

def rss():
    with open("/proc/%d/status" % pid) as f:
        return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])

def nfds():
    return len(os.listdir("/proc/%d/fd" % pid))

KINDS = ["staff", "button", "logout", "decline"]

def kind_of(c):
    if slow_every and c % slow_every == 0:
        return "time_limit" if (c // slow_every) % 2 else "idle"
    return KINDS[c % len(KINDS)]

def guest(c, kind, w):
    """The guest's part of cycle c; reports on pipe w: "planted N" or "fail REASON"."""
    os.setgroups([]); os.setgid(ggid); os.setuid(guid)
    def say(msg):
        os.write(w, (msg + "\n").encode())
    if kind != "decline":
        r = call("accept")
        if "state=ACTIVE" not in r:
            say("fail accept did not give ACTIVE: " + r[:60]); return
    try:
        n = ht.plant(home, swept, seed * 1000003 + c, out, files, deep)
    except OSError as e:
        say("fail the guest could not plant: %s" % e.strerror); return
    ht.linger([home, swept[0]], c)
    say("planted %d %d %d" % (n["entries"], n["hardlinks_out"], n["hardlinks_out_refused"]))
    if kind in ("button", "decline", "idle"):
        line = {"button": "end", "decline": "decline", "idle": "idle 21"}[kind]
        try:
            r = call(line)
            if not r.startswith("OK"):
                say("fail %s refused: %s" % (line, r[:60]))
        except OSError:
            pass  # the wipe may stop this process before it reads the reply

out_digest = tree(out, True)
fds0 = nfds()
failed, first, rss_base, planted, hl_out, hl_refused = 0, "", -1, 0, 0, 0
times, kinds_done = [], {}
t_all = time.monotonic()
print("# %7s %9s %4s %9s %9s %7s %9s %8s" % ("cycle", "rss_kib", "fds", "ms_mean", "ms_p99", "failed", "entries", "elapsed"),
      flush=True)
print("# %7d %9d %4d %9s %9s %7d %9s %7.0fs" % (0, rss(), fds0, "-", "-", 0, "-", 0), flush=True)
interval_planted = 0
for c in range(1, cycles + 1):
    kind = kind_of(c)
    t0 = time.monotonic()
    why = ""
    r = call("hook session-setup %s" % guest_user)
    if "state=NOTICE" not in r:
        why = "hook session-setup did not give NOTICE: " + r[:60]
    else:
        rfd, wfd = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(rfd)
            try:
                guest(c, kind, wfd)
            finally:
                os._exit(0)
        os.close(wfd)
        with os.fdopen(rfd, "rb") as f:
            msg = f.readline().decode().strip()
        os.waitpid(child, 0)
        if msg.startswith("planted"):
            _, e, ho, hr = msg.split()
            interval_planted += int(e); planted += int(e); hl_out += int(ho); hl_refused += int(hr)
        elif msg.startswith("fail"):
            why = msg[5:]
        # else: the guest was stopped by the wipe it asked for before it could answer
        if kind == "staff" or why:
            # Staff end (and after a failed step, so that the next cycle starts from READY).
            if not call("end").startswith("OK") and not why:
                why = "staff end failed"
        elif kind == "logout":
            if not call("hook session-cleanup %s" % guest_user).startswith("OK"):
                why = "hook session-cleanup failed"
    if not wait_state("READY", 30):
        why = why or "not READY 30 s after the end"
    reap()
    if not why and guest_procs():
        why = "a process of the guest is left"
    if not why and owned_outside_home():
        why = "entries of the guest left outside the home"
    if not why and os.listdir(trash):
        why = "the trash is not empty"
    if not why and c % verify_every == 0:
        why = full_check()
    if kind not in ("idle", "time_limit"):
        times.append(time.monotonic() - t0)  # the timer cycles wait for their timer: not in ms/cycle
    kinds_done[kind] = kinds_done.get(kind, 0) + 1
    if why:
        failed += 1
        first = first or "cycle %d (%s): %s" % (c, kind, why)
        print("# FAIL cycle %d (%s end): %s" % (c, kind, why), flush=True)
        try:
            os.kill(pid, 0)
        except OSError:
            first += "; daemon died"
            break
    if c == base or c % every == 0 or c == cycles:
        time.sleep(0.05)  # the last status poll's connection is closed by the daemon after its reply
        reap()
        r = rss()
        if c == base:
            rss_base = r
        if c % every == 0 or c == cycles:
            ts = sorted(times) or [0]
            n = len(ts)
            print("# %7d %9d %4d %9.1f %9.1f %7d %9.0f %7.0fs" % (c, r, nfds(), sum(ts) * 1000 / n,
                  ts[min(n - 1, int(n * 0.99))] * 1000, failed, interval_planted / n, time.monotonic() - t_all), flush=True)
            times, interval_planted = [], 0
total = time.monotonic() - t_all
time.sleep(0.05)
print("# %d cycles in %.0f s (%.0f ms per cycle); ends: %s" % (c, total, total * 1000 / max(c, 1),
      ", ".join("%s %d" % kv for kv in sorted(kinds_done.items()))))
print("# the guest planted %d entries in all (%.0f per cycle); hard links to outside files: %d made, %d refused"
      % (planted, planted / max(c, 1), hl_out, hl_refused))
with open(result_file, "w") as f:
    print("RESULT cycles=%d failed=%d rss_base=%d rss_end=%d fds0=%d fds_end=%d first=%s" % (
        c, failed, rss_base, rss(), fds0, nfds(), first.replace(" ", "_")), file=f)
PY

log_start=$(wc -l <"$T_TMP/daemon.log")
/usr/bin/python3 "$T_TMP/soak.py" "$SOCK" "$DPID" "$GUID" "$GGID" "$GUEST" "$FS" "$HOME_DIR" "$SKEL" "$OUT" \
    "$FS/home/.rentark-trash" "$CYCLES" "$SEED" "$EVERY" "$VERIFY_EVERY" "$SLOW_EVERY" "$BASE" "$FILES" "$DEEP" \
    "$RK_SRC/tests/helpers/hostile-tree.py" "$T_TMP/soak.result" 2>"$T_TMP/soak.err"
res=$(grep '^RESULT' "$T_TMP/soak.result" 2>/dev/null)
[ -n "$res" ] || { t_fail "the soak driver ran" "$(tail -3 "$T_TMP/soak.err" | tr '\n' ' ')"
                   res="RESULT cycles=0 failed=-1 rss_base=-1 rss_end=0 fds0=-1 fds_end=0 first="; }
get() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<"$res"; }
done_cycles=$(get cycles) failed=$(get failed) rss_base=$(get rss_base) rss_end=$(get rss_end)
fds0=$(get fds0) fds_end=$(get fds_end) first_fail=$(get first | tr _ ' ')

if [ "$failed" = 0 ] && [ "$done_cycles" = "$CYCLES" ]; then
    t_ok "all $CYCLES cycles: NOTICE, ACTIVE, end, READY, nothing of the guest left"
else
    t_fail "all $CYCLES cycles: NOTICE, ACTIVE, end, READY, nothing of the guest left" \
        "$failed failed of $done_cycles; first: $first_fail"
fi
t_check "daemon still running" kill -0 "$DPID"
if [ "$rss_base" -ge 0 ] 2>/dev/null && [ "$BASE" -gt 0 ]; then
    t_check "RSS growth from cycle $BASE to the end <= 2 MiB ($rss_base -> $rss_end KiB, $((rss_end - rss_base)) KiB)" \
        test $((rss_end - rss_base)) -le 2048
else
    t_skip "RSS growth from cycle $BASE on" "the run did not reach cycle $BASE"
fi
t_check "open fds unchanged ($fds0 before the first cycle, $fds_end at the end)" test "$fds_end" = "$fds0"
t_check "no process of the guest left" test "$(live_guest_procs)" -eq 0
t_check "the journal says READY" grep -q '^state=READY' "$FS/state/seat.state"
wipe_check "after $done_cycles cycles: nothing of the guest is left, outside untouched" 0
# Warnings at start-up about the test's useradd account (home, subordinate ids) are not the soak's.
tail -n +"$((log_start + 1))" "$T_TMP/daemon.log" >"$T_TMP/soak.log"
if grep -Eq '(warning|critical)' "$T_TMP/soak.log"; then
    t_fail "the daemon logged no warning or critical during the cycles" "$(grep -Ec '(warning|critical)' "$T_TMP/soak.log") lines"
    grep -E '(warning|critical)' "$T_TMP/soak.log" | sed 's/\[session [0-9a-f]*\] //' | sort | uniq -c | sort -rn | head -5 |
        while read -r l; do t_diag "$l"; done
else
    t_ok "the daemon logged no warning or critical during the cycles"
fi
[ -n "${RK_SOAK_KEEP_LOG:-}" ] && cp "$T_TMP/daemon.log" "$RK_SOAK_KEEP_LOG"
kill -TERM "$DPID"; wait "$DPID"; drc=$?; DPID=
t_check "SIGTERM: the daemon exits 0 (no sanitizer or leak report)" test "$drc" = 0
t_expect_fail "no sanitizer report in the daemon's log" grep -Eq 'Sanitizer|runtime error' "$T_TMP/daemon.log"
# The trees' ordinary names are f<6 digits>-<8 hex digits>; the writers write "still writing".
t_expect_fail "no guest file name or content in the daemon's log" \
    grep -Eq 'f[0-9]{6}-[0-9a-f]{8}|still writing' "$T_TMP/daemon.log"
t_check "daemon exits and removes its socket" test ! -e "$SOCK"
t_done
exit
}
