#!/usr/bin/env bash
# Strategy "tmpfs" with the real daemon: at session start the home is a fresh size-limited
# tmpfs (mode 0700, owned by the guest, nosuid, nodev) filled from the skeleton; at the end it is
# detached, and the folder beneath is verified like any home.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
sed -i 's/^wipe = { /wipe = { strategy = "tmpfs"; tmpfs_size = "32M"; /' "$CONF"
start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

ctl hook session-setup "$GUEST" >/dev/null
mnt=$(awk -v h="$HOME_DIR" '$5 == h { print $0 }' /proc/self/mountinfo)
t_check "session start: a tmpfs is mounted on the home" grep -q " - tmpfs " <<<"$mnt"
t_check "... nosuid and nodev" grep -q "nosuid,nodev" <<<"$mnt"
t_check "... size-limited (32M)" sh -c "df -k '$HOME_DIR' | awk 'NR == 2 { exit !(\$2 <= 32768) }'"
t_check "... mode 0700, owned by the guest" test "$(stat -c '%a %U' "$HOME_DIR")" = "700 $GUEST"
t_check "... filled from the skeleton" test -f "$HOME_DIR/.mozilla/firefox/policies.json" -a -L "$HOME_DIR/.bash_profile"
guest_ctl accept >/dev/null; plant
as_guest sh -c "head -c 1000000 /dev/urandom > '$HOME_DIR/in-ram.bin'"
ctl end >/dev/null
wait_state READY; rc=$?
t_check "session end: READY" test $rc -eq 0
[ $rc -eq 0 ] || grep -v '^==' "$T_TMP/daemon.log" | grep -E 'INCIDENT|NOT verified|unhandled|error' | tail -8 | sed 's/^/# /'
t_check "the tmpfs is gone" sh -c "! awk -v h='$HOME_DIR' '\$5 == h' /proc/self/mountinfo | grep -q ."
wipe_check "strategy tmpfs: nothing of the patron is left" 0
t_done
