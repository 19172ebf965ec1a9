#!/usr/bin/env bash
# The proof with real programs: a patron uses real headless Chromium (and Firefox ESR) on a
# page served on 127.0.0.1 that stores a random canary in a cookie, localStorage, IndexedDB,
# the history and the cache and downloads a file with it into ~/Downloads; saves a document;
# leaves files in the temp folders and the runtime folder; prints on a CUPS-PDF queue of a
# private cupsd. Then the session ends through the display manager's hook with the browsers
# still open (a patron who walks away), and every file on the machine (but /proc, /sys, /dev;
# /dev/shm included) is searched for the canary: it must be seen before the wipe, in every
# store (so the search can see the data), and in no file after it.
#
# The real rentarkd runs on the scratch file system of tests/wipe-env.sh (home on a tmpfs: an
# ext4 image would keep the freed blocks of the patron's files, a limit the README states) with
# a real guest from useradd; the real /var/tmp and /dev/shm are added to its sweep folders.
# The canary never reaches a log, a command line or a file outside the guest's reach (see
# tests/helpers/browser-lib.sh). BR_SEARCH=full makes both searches read every file whole
# (minutes) instead of the files changed since the canary was made (seconds, and as sound:
# see tests/helpers/canary-search.py).
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
. "$RK_SRC/tests/helpers/browser-lib.sh"
t_require_root "all tests in $(basename "$0") (a real rentarkd, a real guest user, a scratch file system)"
for t in "$BR_PY" setpriv chromium; do
    command -v "$t" >/dev/null || { t_skip "all tests in $(basename "$0")" "$t is not installed"; t_done; exit 0; }
done
if [ ! -x "$RKD" ] || [ ! -x "$RKCTL" ]; then
    t_skip "all tests in $(basename "$0")" "$RK_BUILD is not built"; t_done; exit 0
fi
BROWSERS=(chromium)
if command -v firefox-esr >/dev/null; then BROWSERS+=(firefox); else FIREFOX_WHY="firefox-esr is not installed"; fi

wipe_env_setup 1G
# As on a kiosk, passwd names the guest's home: CUPS-PDF writes the patron's PDF to ~/PDF of
# that home (were it /nonexistent, CUPS-PDF would make it, and the PDF would stay behind).
if usermod -d "$HOME_DIR" "$GUEST"; then PRINTER=pdf; else PRINTER=file; fi
# The real /var/tmp and /dev/shm are swept too (the guest is a unique test user). The real /tmp
# cannot be: the scratch file system with the home is mounted below it, and the configuration
# refuses a sweep folder that holds the home; the guest's TMPDIR is $FS/tmp instead.
# The census searches the machine's root file system too (where /var/tmp is): "/" beside the
# scratch file system.
sed -i -e 's|sweep = \[ \([^]]*\) \];|sweep = [ \1, "/var/tmp", "/dev/shm" ];|' \
    -e 's|census_mounts = \[ \([^]]*\) \];|census_mounts = [ \1, "/" ];|' "$CONF"
. "$RK_SRC/tests/daemon-env.sh"
t_check "the daemon's configuration sweeps the real /var/tmp and /dev/shm too" grep -q '"/var/tmp", "/dev/shm" \];' "$CONF"
t_cleanup 'cp -f "$T_TMP/daemon.log" "$RK_BUILD/test-logs/test-browser-canary.daemon.log" 2>/dev/null'

t_check "rentarkd starts and its first wipe leaves the seat READY" eval 'start_daemon && wait_state READY 30'
br_canary || { t_fail "a random canary" "od failed"; t_done; exit 1; }
t_check "the local web site is up" br_server_start
if br_cups_up "$PRINTER"; then PRINT=1; else PRINT=0; fi

# The patron logs in (LightDM's session-setup-script) and accepts the notice.
ctl hook session-setup "$GUEST" >/dev/null
t_check "hook session-setup: NOTICE" test "$(state)" = NOTICE
t_check "the guest accepts the notice: ACTIVE" eval 'guest_ctl accept >/dev/null && test "$(state)" = ACTIVE'

# The browsers, side by side; each leaves its stores on disk and stays open.
for b in "${BROWSERS[@]}"; do br_browse "$b"; done
for b in "${BROWSERS[@]}"; do
    if br_wait_holding "$b" 240; then
        t_ok "$b, run by the guest, browses the page, downloads, and its stores are on disk: $(br_steps "$b" | tail -1 | sed "s/^$b: on disk: //")"
        br_steps "$b" | sed 's/^/# /'
    else
        t_fail "$b: the patron's browsing" "$(br_steps "$b" | tail -3 | tr '\n' ' ') -- the browser's log: $(br_browser_log "$b" 6 | tr '\n' ' ')"
    fi
done
[ -n "${FIREFOX_WHY:-}" ] && t_skip "firefox: the patron's browsing" "$FIREFOX_WHY"

# A document, files in the temp folders and the runtime folder, a print job.
t_check "the patron saves a document in ~/Documents" br_guest sh -c 'mkdir -p "$HOME/Documents" &&
    printf "Job application\n\n%s-doc\n" "$RK_CANARY" >"$HOME/Documents/application.txt"'
t_check "the patron leaves files in the temp folders, /var/tmp, /dev/shm and the runtime folder" br_guest sh -c '
    printf "%s-tmp\n" "$RK_CANARY" >"$(mktemp "$TMPDIR/patron.XXXXXX")" &&
    printf "%s-vartmp\n" "$RK_CANARY" >"$(mktemp /var/tmp/patron.XXXXXX)" &&
    printf "%s-shm\n" "$RK_CANARY" >"$(mktemp /dev/shm/patron.XXXXXX)" &&
    printf "%s-runuser\n" "$RK_CANARY" >"$XDG_RUNTIME_DIR/patron-notes"'
if [ $PRINT -eq 1 ]; then
    t_check "the patron prints a letter on $BR_PRINTER_KIND (private cupsd) and the job completes" br_print
    [ "$BR_PRINTER_KIND" != CUPS-PDF ] || t_check "... and CUPS-PDF wrote the PDF into the patron's ~/PDF" \
        eval 'ls "$HOME_DIR"/PDF/*.pdf >/dev/null 2>&1'
else
    t_skip "the patron prints a letter" "no private cupsd: $BR_CUPS_WHY"
fi

# Before the wipe: the search must see every store.
if br_search before; then
    t_diag "search before the wipe: $(br_covered before)"
    t_diag "the canary is in $(br_val before hits) files: $(br_places before)"
    want="doc tmp vartmp shm runuser" seen="" missing=""
    [ $PRINT -eq 1 ] && want="$want print"
    for b in "${BROWSERS[@]}"; do
        p=cr; [ "$b" = firefox ] && p=ff
        t_diag "$b stores seen on disk before the wipe: $(br_categories before "$p")"
        want="$want $p-cookie $p-title $p-ls $p-idb $p-cache $p-dl"
    done
    for m in $want; do
        if br_has before "$m"; then seen="$seen $m"; else missing="$missing $m"; fi
    done
    if [ -z "$missing" ]; then
        t_ok "before the wipe the search finds the canary in every store:$seen"
    else
        t_fail "before the wipe the search finds the canary in every store" "not found:$missing (found:$seen)"
    fi
    [ "$PRINT" -eq 0 ] || t_check "... the print job's canary is in the print spool" \
        grep -q "^print.*	$FS/spool/cups/" "$T_TMP/search-before.hits"
else
    t_fail "the search before the wipe" "$(tail -3 "$T_TMP/search-before.err" | br_redact | tr '\n' ' ')"
fi

# The patron walks away with the browsers open; the display manager ends the session.
running=0
for b in "${BROWSERS[@]}"; do
    pidvar=BR_PID_$b exe=chromium
    [ "$b" = firefox ] && exe=firefox-esr
    kill -0 "${!pidvar}" 2>/dev/null && pgrep -u "$GUID" -x "$exe" >/dev/null && running=$((running + 1))
done
t_check "the browsers are still running when the session ends ($running of ${#BROWSERS[@]}; $(live_guest_procs) processes of the guest)" \
    test "$running" -eq "${#BROWSERS[@]}"
t_check "hook session-cleanup (LightDM's session-cleanup-script) ends the session" eval 'ctl hook session-cleanup "$GUEST" >/dev/null'
t_check "the daemon wipes and the seat is READY again" wait_state READY 90
for b in "${BROWSERS[@]}"; do pidvar=BR_PID_$b; wait "${!pidvar}" 2>/dev/null; done
t_check "no process of the guest is alive" test "$(live_guest_procs)" -eq 0
wipe_check "the home equals the skeleton, nothing of the guest is left on the scratch file system, outside files untouched" 0
t_check "the sentinels outside the wiped places are byte-identical" test "$(t_tree_digest "$OUT")" = "$OUT_DIGEST"
[ $PRINT -eq 0 ] || t_check "the print job's files are gone from the spool (the private cupsd still runs)" \
    eval '[ -z "$(find "$FS/spool/cups" -maxdepth 1 -type f -name "[cd]0*" | head -1)" ] && kill -0 $BR_CUPS_PID'

# After the wipe: the canary is in no file, and the guest owns nothing outside its fresh home.
if br_search after --uid "$GUID" --owned "$T_TMP/search-after.owned"; then
    t_diag "search after the wipe: $(br_covered after)"
    hits=$(br_val after hits)
    if [ "$hits" = 0 ]; then
        t_ok "after the wipe the canary is in no file"
    else
        t_fail "after the wipe the canary is in no file" "found in $hits files: $(br_places after)"
        grep -v '^unreadable' "$T_TMP/search-after.hits" | head -20 | sed 's/^/#   /'
    fi
    bad=$(($(br_val after unreadable) + $(br_val after unsearched)))
    t_check "... and the search could read every file and folder it met ($(br_val after unreadable) unreadable, $(br_val after unsearched) folders unopened)" test "$bad" -eq 0
    left=$(grep -vc -e "^$HOME_DIR\$" -e "^$HOME_DIR/" "$T_TMP/search-after.owned")
    if [ "$left" -eq 0 ]; then
        t_ok "the guest owns nothing on any file system outside its fresh home"
    else
        t_fail "the guest owns nothing on any file system outside its fresh home" "$left entries, e.g.: $(grep -v -e "^$HOME_DIR\$" -e "^$HOME_DIR/" "$T_TMP/search-after.owned" | head -5 | tr '\n' ' ')"
    fi
else
    t_fail "the search after the wipe" "$(tail -3 "$T_TMP/search-after.err" | br_redact | tr '\n' ' ')"
fi
t_check "no sanitizer finding in the daemon's log" eval '! grep -qE "Sanitizer|runtime error" "$T_TMP/daemon.log"'
t_check "the daemon's log does not name the patron's files (no 'Downloads', 'application', 'statement')" \
    eval '! grep -qE "Downloads|application\.txt|statement-|patron\." "$T_TMP/daemon.log"'
stop_daemon
t_done
