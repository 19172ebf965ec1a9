#!/usr/bin/env bash
# The rentark demo: one whole guest session cycle, headless under Xvfb, with the real daemon,
# the real session client and a real guest account, on a scratch file system so that nothing
# else on the machine is touched.
#
#   1. installs what it needs and builds rentark
#   2. a scratch file system, a guest account, Xvfb, rentarkd (its first start wipes)
#   3. the guest logs in (the display manager's hook): the privacy notice covers the screen
#   4. the patron clicks "I understand — start" and uses the PC: browser profile, cookies,
#      downloads, a document, a file in /tmp, a process left running
#   5. what the wipe will remove, as counts (rentark never shows a patron's names)
#   6. the patron clicks "End session and erase my data" and confirms
#   7. the daemon stops the guest's processes, renews the home, sweeps, verifies
#   8. the proof: nothing of the patron is left, everything else untouched
# Screenshots of what the patron saw are written to build/screens/demo-*.png.
#
# Run as root: scripts/demo.sh
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates a user and mounts a scratch file system)"; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf '\n\033[1mdemo FAILED: %s\033[0m\n' "$*"; exit 1; }

step "1. Dependencies and build"
scripts/deps.sh || die "dependencies"
make -s -j"$(nproc)" BUILD=build tests >/dev/null || die "build"
export RK_SRC=$PWD RK_BUILD=$PWD/build

# The scratch environment, the guest and the daemon helpers of the integration tests.
. tests/lib.sh
. tests/wipe-env.sh
. tests/helpers/session-lib.sh
t_ok() { :; }; t_fail() { printf '   FAILED: %s %s\n' "$1" "${2:-}"; DEMO_FAILED=1; }
DEMO_FAILED=0

step "2. Scratch file system, guest account, Xvfb, rentarkd"
s_xvfb || die "Xvfb did not start"
s_config
s_daemon_up || die "rentarkd did not start: $(tail -3 "$T_TMP/daemon.log")"
echo "   guest account: $GUEST (uid $GUID), home $HOME_DIR"
echo "   display $DISPLAY; rentarkd is READY: $("$RKCTL" -s "$SOCK" status | awk '$1 == "state" { print $2 }')"

step "3. The guest logs in: the privacy notice covers every screen"
s_begin || die "hook session-setup"
s_session_start
s_wait_screen notice 15 || die "no notice on screen"
sleep 0.3; s_shot demo-1-notice
echo "   notice on screen, keyboard and pointer grabbed (screenshot build/screens/demo-1-notice.png)"

step "4. The patron accepts and uses the PC"
s_click accept && s_wait_screen active 10 || die "accept"
echo "   seat: $("$RKCTL" -s "$SOCK" status | awk '$1 == "state" { print $2 }'), time left: $("$RKCTL" -s "$SOCK" status | awk '$1 == "time_left" { print $2 }') s"
as_guest sh -c "cd '$HOME_DIR' && mkdir -p .cache/chromium/Default/Cache .config/chromium/Default Downloads Documents && \
  for i in \$(seq 1 500); do echo cache\$i > .cache/chromium/Default/Cache/f\$i; done && \
  echo 'SID=patron-session-cookie' > .config/chromium/Default/Cookies && \
  head -c 2000000 /dev/urandom > Downloads/bank-statement.pdf && \
  echo 'My job application' > Documents/application.odt && echo scratch > '$FS/tmp/patron-temp-file'"
as_guest sh -c "exec sleep 3600" >/dev/null 2>&1 &
sleep 0.3; s_shot demo-2-session
echo "   the home now holds $(find "$HOME_DIR" | wc -l) entries ($(du -sh "$HOME_DIR" | cut -f1)); $(live_guest_procs) processes of the guest"

step "5. What the wipe will remove (counts only, never names)"
"$RKCTL" -s "$SOCK" wipe --dry-run | grep -E '^(home|tmp|processes)' | sed 's/^/   /'

step "6. The patron clicks \"End session and erase my data\" and confirms"
s_click end && s_wait_screen confirm 10 || die "end button"
sleep 0.3; s_shot demo-3-confirm
s_click confirm_yes || die "confirm"

step "7. rentarkd ends the session and wipes"
s_wait_state READY 30 || die "the seat did not become READY: $(tail -5 "$T_TMP/daemon.log")"
grep -E 'stopped|home renewed|swept|trash emptied|wipe verified|state ' "$T_TMP/daemon.log" | tail -8 | sed 's/^/   /'

step "8. Nothing of the patron is left"
echo "   processes of the guest: $(live_guest_procs)"
echo "   files of the guest outside the home: $(find "$FS" -xdev -uid "$GUID" \! -path "$HOME_DIR" \! -path "$HOME_DIR/*" | wc -l)"
wipe_check "home equals the skeleton, nothing left anywhere, outside files untouched" 0
[ "$DEMO_FAILED" -eq 0 ] && echo "   home equals the skeleton; swept places hold nothing of the guest; outside files byte-identical"
s_begin && s_session_start && s_wait_screen notice 15 && sleep 0.3 && s_shot demo-4-next-patron
echo "   the next patron's notice says when the PC was cleaned (build/screens/demo-4-next-patron.png)"
"$RKCTL" -s "$SOCK" end >/dev/null 2>&1; s_wait_state READY 30

[ "$DEMO_FAILED" -eq 0 ] || die "a check failed (see above)"
printf '\n\033[1mDemo complete: no trace of the patron is left.\033[0m\n'
