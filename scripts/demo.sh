#!/usr/bin/env bash
# The rentark demo: one whole guest session cycle, headless under Xvfb, with the real daemon,
# the real session client and a real guest account, on a scratch file system so that nothing
# else on the machine is touched.
#
#   1. installs what it needs and builds rentark
#   2. a scratch file system, a guest account, Xvfb, rentarkd (its first start wipes)
#   3. the guest logs in (the display manager's hook): the privacy notice covers the screen
#   4. the patron clicks "I understand — start" and uses the PC: real headless Chromium (and
#      Firefox ESR) on a local web page that stores a random canary in a cookie, localStorage,
#      IndexedDB, the history and the cache and downloads a file into ~/Downloads; a document;
#      a file in /tmp; a letter printed through a private print server; the browsers stay open
#   5. what the wipe will remove, as counts (rentark never shows a patron's names)
#   6. the patron clicks "End session and erase my data" and confirms
#   7. the daemon stops the guest's processes, detaches its mounts, renews the home, sweeps
#      every class, and an independent census of the machine verifies
#   8. the proof: nothing of the patron is left, everything else untouched, and a search of
#      every file on the machine finds the canary in none
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
. tests/helpers/browser-lib.sh
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
# Everything the patron leaves carries one random canary (never shown: only which stores hold it).
br_canary && br_server_start || die "the local web site did not start"
browsers=(chromium)
command -v firefox-esr >/dev/null && browsers+=(firefox)
for b in "${browsers[@]}"; do br_browse "$b"; done
for b in "${browsers[@]}"; do
    br_wait_holding "$b" 240 || die "$b: $(br_steps "$b" | tail -2 | tr '\n' ' ') $(br_browser_log "$b" 4 | tr '\n' ' ')"
    br_steps "$b" | sed 's/^/   /'
done
br_guest sh -c 'mkdir -p "$HOME/Documents" && printf "My job application\n\n%s-doc\n" "$RK_CANARY" >"$HOME/Documents/application.txt" &&
    printf "%s-tmp\n" "$RK_CANARY" >"$(mktemp "$TMPDIR/patron.XXXXXX")"' || die "document"
echo "   saved a document in ~/Documents and left a file in /tmp (the session's TMPDIR on the scratch file system)"
# CUPS-PDF writes into ~/PDF of the home the user database names: the guest's home.
if br_cups_up && br_print; then
    echo "   printed a letter on $BR_PRINTER_KIND (a private print server whose spool rentark sweeps); the job is done"
else
    echo "   (no letter printed: ${BR_CUPS_WHY:-the print job did not complete})"
fi
sleep 0.3; s_shot demo-2-session
echo "   the home now holds $(find "$HOME_DIR" | wc -l) entries ($(du -sh "$HOME_DIR" | cut -f1)); $(live_guest_procs) processes of the guest (the browsers stay open)"
br_search before || die "the canary search"
echo "   a search of every file on the machine finds the canary in $(br_val before hits) files: $(br_places before)"
for b in "${browsers[@]}"; do
    p=cr; [ "$b" = firefox ] && p=ff
    echo "     $b stores that hold it on disk: $(br_categories before $p)"
done

step "5. What the wipe will remove (counts only, never names)"
"$RKCTL" -s "$SOCK" wipe --dry-run | grep -E '^(home|tmp|processes|census_files|census_processes)' | sed 's/^/   /'

step "6. The patron clicks \"End session and erase my data\" and confirms"
s_click end && s_wait_screen confirm 10 || die "end button"
sleep 0.3; s_shot demo-3-confirm
s_click confirm_yes || die "confirm"

step "7. rentarkd ends the session and wipes"
s_wait_state READY 30 || die "the seat did not become READY: $(tail -5 "$T_TMP/daemon.log")"
grep -E 'stopped|home renewed|swept|removed|census|wipe verified|background deletion|state ' "$T_TMP/daemon.log" | tail -10 | sed 's/^/   /'

step "8. Nothing of the patron is left"
echo "   processes of the guest: $(live_guest_procs)"
echo "   files of the guest outside the home: $(find "$FS" -xdev -uid "$GUID" \! -path "$HOME_DIR" \! -path "$HOME_DIR/*" | wc -l)"
wipe_check "home equals the skeleton, nothing left anywhere, outside files untouched" 0
[ "$DEMO_FAILED" -eq 0 ] && echo "   home equals the skeleton; swept places hold nothing of the guest; outside files byte-identical"
if br_search after; then
    echo "   canary found in $(br_val after hits) files"
    echo "     (searched $(br_covered after))"
    [ "$(br_val after hits)" = 0 ] || { t_fail "the canary is still in: $(br_places after)"; }
else
    t_fail "the canary search did not run"
fi
s_begin && s_session_start && s_wait_screen notice 15 && sleep 0.3 && s_shot demo-4-next-patron
echo "   the next patron's notice says when the PC was cleaned (build/screens/demo-4-next-patron.png)"
"$RKCTL" -s "$SOCK" end >/dev/null 2>&1; s_wait_state READY 30

[ "$DEMO_FAILED" -eq 0 ] || die "a check failed (see above)"
printf '\n\033[1mDemo complete: no trace of the patron is left.\033[0m\n'
