# A patron's traces made by real programs, and the search of every file for them. Shared by
# tests/integration/test-browser-canary.sh and scripts/demo.sh; source after tests/lib.sh and
# tests/wipe-env.sh, once wipe_env_setup has run (uses FS, GUEST, GUID, GGID, HOME_DIR, T_TMP).
#
#   br_canary         a fresh random canary (BR_CANARY) and the time just before it (BR_SINCE)
#   br_server_start   the local web site of tests/helpers/canary-server.py (BR_SITE)
#   br_browse B       tests/helpers/browse.py B (chromium | firefox) as the guest, in the
#                     background; br_wait_holding B waits until its stores are on disk
#   br_cups_up        a private cupsd with a CUPS-PDF queue, spooling into paths.cups_spool
#   br_guest CMD...   a command as the guest, in a clean session environment
#   br_search NAME    the search of every file on the machine (tests/helpers/canary-search.py)
#
# The canary lives in shell variables and in the ENVIRONMENT of the processes that need it
# (never on a command line, which `ps` shows); /proc is not searched. It is never printed,
# logged or written to a file outside the guest's reach: each marker is the canary followed by
# "-" and a name (cr-cookie, ff-idb, doc, print, ...), and output shows only those names.

BR_PY=/usr/bin/python3
BR_HELPERS=$RK_SRC/tests/helpers
BR_PRINTER=rkpdf
# Every marker the site (canary-server.py: cr-*, ff-*) and the guest's shells below write.
BR_MARKERS=doc,print,tmp,vartmp,shm,runuser
for _b in cr ff; do for _m in url title cache ls lskey idb cookie dl; do BR_MARKERS=$BR_MARKERS,$_b-$_m; done; done
unset _b _m

# br_canary: BR_SINCE is taken before the canary exists, minus 2 s for the kernel's coarse
# file time stamps (canary-search.py: files older than that cannot hold it).
br_canary() {
    BR_SINCE=$(($(date +%s%N) - 2000000000))
    BR_CANARY=rk$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    [ ${#BR_CANARY} -eq 26 ]
}

# br_redact: stdin to stdout with the canary replaced by "[canary]" (no process sees it).
br_redact() {
    local line
    while IFS= read -r line || [ -n "$line" ]; do printf '%s\n' "${line//$BR_CANARY/[canary]}"; done
}

# br_guest CMD...: CMD as the guest, in a clean environment like a desktop session's: HOME,
# USER, XDG_RUNTIME_DIR (the daemon's paths.run_user_dir/UID, made here as logind would),
# TMPDIR on the scratch file system (the wipe sweeps it: the real /tmp cannot be a sweep
# folder of a test whose scratch file system is mounted below /tmp), and RK_CANARY.
br_guest() {
    install -d -o "$GUID" -g "$GGID" -m 0700 "$FS/run/user/$GUID"
    (
        for v in $(compgen -e); do unset "$v" 2>/dev/null; done
        export HOME=$HOME_DIR USER=$GUEST LOGNAME=$GUEST PATH=/usr/bin:/bin LANG=C.UTF-8 \
            TMPDIR=$FS/tmp XDG_RUNTIME_DIR=$FS/run/user/$GUID RK_CANARY=$BR_CANARY
        exec setpriv --reuid="$GUID" --regid="$GGID" --clear-groups -- "$@"
    )
}

# br_server_start: the site on 127.0.0.1 (a free port) in BR_SITE; stopped at exit.
br_server_start() {
    local pf=$T_TMP/canary-server.port i
    rm -f "$pf"
    RK_CANARY=$BR_CANARY "$BR_PY" -B "$BR_HELPERS/canary-server.py" --port-file "$pf" 2>>"$T_TMP/canary-server.err" &
    BR_SERVER_PID=$!
    t_cleanup "kill $BR_SERVER_PID"
    for i in $(seq 100); do
        [ -s "$pf" ] && { BR_SITE=http://127.0.0.1:$(cat "$pf"); return 0; }
        kill -0 "$BR_SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# br_browse BROWSER: the patron's browser as the guest, in the background (BR_PID_BROWSER); its
# steps (never the canary) go to $T_TMP/browse-BROWSER.out, the browser's own output to a log in
# the guest's home (wiped with it; br_browser_log shows it with the canary redacted).
br_browse() {
    local b=$1
    : >"$T_TMP/browse-$b.out"
    br_guest "$BR_PY" -B "$BR_HELPERS/browse.py" "$b" --site "$BR_SITE" --log "$HOME_DIR/.browse-$b.log" \
        >"$T_TMP/browse-$b.out" 2>&1 &
    printf -v "BR_PID_$b" %s $!
}

# br_wait_holding BROWSER [SECONDS]: 0 once the driver says "holding" (the browser is open and
# its stores are on disk), 1 if it exits first or the time is up.
br_wait_holding() {
    local b=$1 pidvar=BR_PID_$1 end=$((SECONDS + ${2:-180}))
    while [ $SECONDS -lt $end ]; do
        grep -qx holding "$T_TMP/browse-$b.out" && return 0
        kill -0 "${!pidvar}" 2>/dev/null || return 1
        sleep 0.3
    done
    return 1
}

# br_steps BROWSER: what the driver did (its lines but "holding").
br_steps() { grep -vx holding "$T_TMP/browse-$1.out"; }

# br_browser_log BROWSER [LINES]: the end of the browser's own log, the canary redacted.
br_browser_log() { tail -n "${2:-15}" "$HOME_DIR/.browse-$1.log" 2>/dev/null | br_redact; }

# br_cups_up [file] [kiosk]: a private cupsd: configuration, state, logs and printcap (never
# the real /run/cups/printcap, which the install test's listing holds) in $T_TMP/cups,
# listening only on the unix socket BR_CUPS_SOCK ($T_TMP/cups/cups.sock, the daemon's
# paths.cups_server in tests/wipe-env.sh), its spool (RequestRoot) the daemon's
# paths.cups_spool ($FS/spool/cups) so that the wipe must find the guest's jobs there. The
# queue $BR_PRINTER prints to CUPS-PDF (a PDF in ~/PDF of the home that passwd names for the
# guest), or to /dev/null when CUPS-PDF is not installed or "file" is asked for
# (BR_PRINTER_KIND says which). "kiosk": configured as scripts/install.sh configures the real
# one: scripts/cups-private.sh applied to a cupsd.conf that keeps everything (history, files,
# a page log with titles, debug log) and has the stock policies of /etc/cups/cupsd.conf and
# the system groups of /etc/cups/cups-files.conf when there are (Debian: "root lpadmin").
# With BR_CUPS_TCP_PORT set, it also listens on 127.0.0.1:BR_CUPS_TCP_PORT (as a kiosk's
# cupsd listens on localhost:631). 1 with the reason in BR_CUPS_WHY.
br_cups_up() {
    local t c=$T_TMP/cups dev ppd=() kind=pdf kiosk=0 a sysgroup=root
    for a in "$@"; do
        case $a in file) kind=file ;; kiosk) kiosk=1 ;; esac
    done
    for t in cupsd lpadmin lp lpstat; do
        command -v "$t" >/dev/null || { BR_CUPS_WHY="$t is not installed"; return 1; }
    done
    getent group lp >/dev/null || { BR_CUPS_WHY="no group lp"; return 1; }
    if [ "$kind" != file ] && [ -x /usr/lib/cups/backend/cups-pdf ] && [ -f /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd ]; then
        dev=cups-pdf:/ ppd=(-P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd) BR_PRINTER_KIND=CUPS-PDF
    else
        dev=file:///dev/null BR_PRINTER_KIND="a file printer (/dev/null)"
    fi
    if [ $kiosk -eq 1 ] && grep -q '^SystemGroup ' /etc/cups/cups-files.conf 2>/dev/null; then
        sysgroup=$(sed -n 's/^SystemGroup //p' /etc/cups/cups-files.conf | head -1)
    fi
    mkdir -p "$c/root" "$c/cache" "$c/state" "$c/log"
    BR_CUPS_SOCK=$c/cups.sock
    cat >"$c/root/cups-files.conf" <<EOF
ServerRoot $c/root
RequestRoot $FS/spool/cups
CacheDir $c/cache
StateDir $c/state
AccessLog $c/log/access_log
ErrorLog $c/log/error_log
PageLog $c/log/page_log
Printcap $c/printcap
FileDevice Yes
User lp
Group lp
SystemGroup $sysgroup
EOF
    if [ $kiosk -eq 1 ]; then
        cat >"$c/root/cupsd.conf" <<EOF
LogLevel debug
PageLogFormat %p %u %j %T %P %C %{job-billing} %{job-originating-host-name} %{job-name} %{media} %{sides}
Listen $BR_CUPS_SOCK
${BR_CUPS_TCP_PORT:+Listen 127.0.0.1:$BR_CUPS_TCP_PORT}
Browsing No
WebInterface No
PreserveJobFiles Yes
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow all
</Location>
EOF
        if [ -f /etc/cups/cupsd.conf ] && grep -q '^<Policy default>' /etc/cups/cupsd.conf; then
            awk '/^<Policy /, /^<\/Policy>/' /etc/cups/cupsd.conf >>"$c/root/cupsd.conf"
        else
            printf '<Policy default>\n  JobPrivateAccess default\n  JobPrivateValues default\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n' \
                >>"$c/root/cupsd.conf"
        fi
        [ "$("$RK_SRC/scripts/cups-private.sh" "$c/root/cupsd.conf")" = changed ] ||
            { BR_CUPS_WHY="scripts/cups-private.sh changed nothing"; return 1; }
    else
        cat >"$c/root/cupsd.conf" <<EOF
LogLevel warn
Listen $BR_CUPS_SOCK
Browsing No
WebInterface No
PreserveJobFiles Yes
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOF
    fi
    br_cups_start || return 1
    # A cupsd that has just started may refuse the first administrative request (seen once in
    # a clean-clone run: "Bad file descriptor"); a few tries, half a second apart.
    local try
    for try in 1 2 3 4 5; do
        lpadmin -h "$BR_CUPS_SOCK" -p "$BR_PRINTER" -E -v "$dev" "${ppd[@]}" >>"$c/log/cupsd.out" 2>&1 && return 0
        sleep 0.5
    done
    BR_CUPS_WHY="lpadmin failed 5 times: $(tail -1 "$c/log/cupsd.out")"
    return 1
}

# br_cups_start: start the private cupsd of br_cups_up (again, after br_cups_stop) and wait
# until it answers on its socket. BR_CUPS_PID; 1 with the reason in BR_CUPS_WHY.
br_cups_start() {
    local t c=$T_TMP/cups
    cupsd -f -c "$c/root/cupsd.conf" -s "$c/root/cups-files.conf" >>"$c/log/cupsd.out" 2>&1 &
    BR_CUPS_PID=$!
    t_cleanup "kill $BR_CUPS_PID"
    for t in $(seq 100); do
        lpstat -h "$BR_CUPS_SOCK" -r >/dev/null 2>&1 && break
        kill -0 "$BR_CUPS_PID" 2>/dev/null || { BR_CUPS_WHY="cupsd exited: $(tail -2 "$c/log/cupsd.out" "$c/log/error_log" 2>/dev/null | tr '\n' ' ')"; return 1; }
        sleep 0.1
    done
    lpstat -h "$BR_CUPS_SOCK" -r >/dev/null 2>&1 || { BR_CUPS_WHY="cupsd did not answer on its socket"; return 1; }
}

# br_cups_stop: stop the private cupsd (it saves its jobs, as at a shutdown) and wait for it.
br_cups_stop() {
    kill -TERM "$BR_CUPS_PID" 2>/dev/null || return 1
    local t
    for t in $(seq 100); do
        kill -0 "$BR_CUPS_PID" 2>/dev/null || { wait "$BR_CUPS_PID" 2>/dev/null; return 0; }
        sleep 0.1
    done
    return 1
}

# br_print: the guest prints a letter (marker "print") on $BR_PRINTER and the job completes.
br_print() {
    br_guest sh -c 'printf "Letter to the council\n\n%s-print\n" "$RK_CANARY" | lp -h "$1" -d "$2" -t letter' \
        sh "$BR_CUPS_SOCK" "$BR_PRINTER" >/dev/null 2>>"$T_TMP/cups/log/cupsd.out" || return 1
    local i
    for i in $(seq 120); do
        if [ -z "$(lpstat -h "$BR_CUPS_SOCK" -W not-completed -o "$BR_PRINTER" 2>/dev/null)" ] &&
            [ -n "$(lpstat -h "$BR_CUPS_SOCK" -W completed -o "$BR_PRINTER" 2>/dev/null)" ]; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}

# br_search NAME [ARGS]: search every file on the machine for the canary, only files changed
# since BR_SINCE unless BR_SEARCH=full (see canary-search.py for why that is sound). Summary
# ("key value" lines) in $T_TMP/search-NAME.txt, hits (markers TAB path, redacted) in
# $T_TMP/search-NAME.hits.
br_search() {
    local name=$1 since=(--since "$BR_SINCE")
    shift
    [ "${BR_SEARCH:-}" = full ] && since=()
    RK_CANARY=$BR_CANARY "$BR_PY" -B "$BR_HELPERS/canary-search.py" "${since[@]}" \
        --hits "$T_TMP/search-$name.hits" --markers "$BR_MARKERS" "$@" >"$T_TMP/search-$name.txt" 2>>"$T_TMP/search-$name.err"
}

# br_val NAME KEY: a value of the summary of search NAME.
br_val() { awk -v k="$2" '$1 == k { print $2; exit }' "$T_TMP/search-$1.txt"; }

# br_has NAME MARKER: search NAME found MARKER.
br_has() { awk -v m="$2" '$1 == "marker" && $2 == m { f = 1 } END { exit !f }' "$T_TMP/search-$1.txt"; }

# br_covered NAME: one line on what search NAME covered.
br_covered() {
    local n=$1 how="files changed since the canary was made (on ext4 and the like; every file of tmpfs and other file systems)"
    [ "${BR_SEARCH:-}" = full ] && how="every file"
    printf '%s entries on every file system but /proc, /sys and /dev (with /dev/shm), %s read: %s files, %s MB, in %s s' \
        "$(br_val "$n" entries)" "$how" "$(br_val "$n" files)" "$(($(br_val "$n" bytes) / 1000000))" "$(br_val "$n" seconds)"
}

# br_places NAME: where search NAME found the canary, as "place count" pairs.
br_places() {
    local hits=$T_TMP/search-$1.hits
    [ -s "$hits" ] || { echo "nowhere"; return; }
    grep -v '^unreadable' "$hits" | cut -f2- | while IFS= read -r p; do
        case $p in
            "$HOME_DIR"/*) echo "home" ;;
            "$FS/tmp"/*) echo "tmp" ;;
            "$FS/run/user"/*) echo "run-user" ;;
            "$FS/spool/cups"/*) echo "print-spool" ;;
            /var/tmp/*) echo "/var/tmp" ;;
            /dev/shm/*) echo "/dev/shm" ;;
            *) echo "elsewhere:$(echo "$p" | cut -d/ -f2)" ;;
        esac
    done | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }'
}

# br_categories NAME PREFIX: the stores of a browser (marker PREFIX: cr, ff) search NAME saw.
br_categories() {
    local n=$1 p=$2 out="" c m
    for c in cookie:cookie history:title localStorage:ls IndexedDB:idb cache:cache download:dl; do
        m=${c#*:}
        br_has "$n" "$p-$m" && out="$out${out:+, }${c%%:*}"
    done
    echo "${out:-none}"
}
