#!/usr/bin/env bash
# rentarkd in a mount namespace of its own, as its systemd unit runs it (a slave of the
# machine's), with rentark-mount (rentarkd --mount-helper, socket-activated as by its socket
# unit) in the machine's namespace, upgraded in place as a package upgrade does it. First without the helper, to show what goes wrong: the tmpfs
# home is mounted where no patron sees it. Then with it: the tmpfs home is mounted in the
# machine's namespace, a mount on a folder of the guest's in /tmp is detached there, the tmpfs
# is gone after the session and the wipe is verified. The helper answers root only.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
for tool in unshare systemd-socket-activate; do
    command -v "$tool" >/dev/null || { t_skip "rentark-mount" "$tool is not installed"; t_done; exit 0; }
done
sed -i 's/^wipe = { /wipe = { strategy = "tmpfs"; tmpfs_size = "32M"; /' "$CONF"
# systemd makes every mount shared at boot, so that a namespace made from it receives what is
# mounted later; a scratch file system is private until told so.
mount --make-rshared "$FS"
home_is_tmpfs() { awk -v h="$HOME_DIR" '$5 == h' /proc/self/mountinfo | grep -q ' - tmpfs '; }
WRAP=${RK_DAEMON_WRAPPER:-}

# Without the helper: the defect the helper exists for.
RK_DAEMON_WRAPPER="unshare --mount --propagation slave $WRAP"
start_daemon && wait_state READY || { t_fail "daemon READY (own mount namespace)" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
ctl hook session-setup "$GUEST" >/dev/null
t_check "without rentark-mount, a daemon in its own namespace mounts the tmpfs home where the session does not see it" \
    bash -c "! awk -v h='$HOME_DIR' '\$5 == h' /proc/self/mountinfo | grep -q ' - tmpfs '"
ctl end >/dev/null
wait_state READY >/dev/null
stop_daemon

# The helper, socket-activated as rentark-mount.socket does it. Never under the wrapper:
# valgrind 3.19 knows neither openat2 nor open_tree, with which the helper tells the guest's
# mounts apart (make check runs it with ASan and UBSan).
# It runs from a copy of the program here, so that the test can upgrade it as dpkg does.
MSOCK=$T_TMP/mount.sock
mkdir -p "$T_TMP/sbin"
cp "$RKD" "$T_TMP/sbin/rentarkd"
systemd-socket-activate -E RENTARK_MOUNT_HELPER_CHECK_MS=200 -l "$MSOCK" "$T_TMP/sbin/rentarkd" --mount-helper \
    >>"$T_TMP/helper.log" 2>&1 &
HPID=$!
t_cleanup "kill $HPID 2>/dev/null"
for _ in $(seq 100); do [ -S "$MSOCK" ] && break; sleep 0.05; done
chmod 0666 "$MSOCK" # so that the refusal below is the helper's, not the socket's

# An upgrade, as dpkg makes it: the new program renamed over the old one. The helper is never
# restarted (the last wipe at shutdown must find it running): between requests it becomes the
# new program in place, the same process on the same socket; everything below runs against it.
# systemd-socket-activate runs the program at the first connection, as systemd does.
/usr/bin/python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()' "$MSOCK"
for _ in $(seq 100); do readlink "/proc/$HPID/exe" | grep -q "^$T_TMP/sbin/rentarkd\$" && break; sleep 0.05; done
t_check "the helper runs (pid $HPID)" test "$(readlink "/proc/$HPID/exe")" = "$T_TMP/sbin/rentarkd"
cp "$RKD" "$T_TMP/sbin/.rentarkd.new" && mv "$T_TMP/sbin/.rentarkd.new" "$T_TMP/sbin/rentarkd"
taken() { kill -0 "$HPID" 2>/dev/null && test "$(readlink "/proc/$HPID/exe")" = "$T_TMP/sbin/rentarkd"; }
for _ in $(seq 100); do taken && break; sleep 0.05; done
t_check "upgrade: the helper runs the new program, the same process (pid $HPID)" taken
t_check "... and said so" grep -q "was replaced (an upgrade); the new program takes over" "$T_TMP/helper.log"

RK_DAEMON_WRAPPER="unshare --mount --propagation slave env RENTARK_MOUNT_HELPER=$MSOCK $WRAP"
start_daemon && wait_state READY || { t_fail "daemon READY (own mount namespace, with rentark-mount)" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
ctl hook session-setup "$GUEST" >/dev/null
t_check "session start: the tmpfs home is mounted in the machine's namespace" home_is_tmpfs
t_check "... once (one mount on the home)" test "$(awk -v h="$HOME_DIR" '$5 == h' /proc/self/mountinfo | wc -l)" = 1
t_check "... mode 0700, owned by the guest, filled from the skeleton" \
    bash -c "test \"\$(stat -c '%a %U' '$HOME_DIR')\" = '700 $GUEST' && test -f '$HOME_DIR/.mozilla/firefox/policies.json'"
guest_ctl accept >/dev/null
plant
# A mount on a folder of the guest's in /tmp (what a udisks or FUSE mount of the guest's is to
# the wipe), made in the machine's namespace.
as_guest mkdir -p "$FS/tmp/guest-mnt"
mount -t tmpfs -o size=1M tmpfs "$FS/tmp/guest-mnt"
t_check "a mount on the guest's folder in /tmp, in the machine's namespace" bash -c "grep -qF ' $FS/tmp/guest-mnt ' /proc/self/mountinfo"
ctl end >/dev/null
wait_state READY; rc=$?
t_check "session end: READY (wipe verified)" test $rc -eq 0
[ $rc -eq 0 ] || grep -E 'INCIDENT|NOT verified|rentark-mount' "$T_TMP/daemon.log" | tail -5 | sed 's/^/# /'
t_check "the tmpfs home is gone from the machine's namespace" bash -c "! awk -v h='$HOME_DIR' '\$5 == h' /proc/self/mountinfo | grep -q ' - tmpfs '"
t_check "the mount on the guest's folder is detached in the machine's namespace" bash -c "! grep -qF ' $FS/tmp/guest-mnt ' /proc/self/mountinfo"
wipe_check "nothing of the patron is left" 0
t_check "rentark-mount did the work, each request once" test "$(grep -c 'tmpfs: 0' "$T_TMP/helper.log")" = 1

# Only root may ask.
out=$(as_guest /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
try:
    s.sendall(b"detach-below /\n"); print(s.recv(100).decode(), end="")
except OSError:
    pass' "$MSOCK" 2>&1)
t_check "a request from the guest gets no answer" test -z "$out"
t_check "... and is logged as refused" grep -q 'refused a request from uid' "$T_TMP/helper.log"
t_done
