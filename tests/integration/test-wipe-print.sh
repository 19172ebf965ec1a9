#!/usr/bin/env bash
# Private printing (issue 17, item 8) against the real rentarkd and a real private cupsd
# configured as scripts/install.sh configures a kiosk's (scripts/cups-private.sh on a file that
# starts out keeping everything: history, files, a page log with titles, a debug log; the
# stock policies of /etc/cups/cupsd.conf). The guest prints documents whose title and body hold
# a random canary: one job is held (lp -H hold), one waits on a stopped printer; another user
# and root hold jobs of their own. The session ends through the daemon (hook session-setup,
# accept, rentarkctl end), and the real wipe must cancel and purge the guest's jobs over IPP:
# the server lists none of them any more (lpstat -W all), the canary is in no file of the
# server's spool, logs, cache and state, nor in the daemon's log, which gives a count; the
# others' jobs stay. Then the same with the cupsd stopped at the wipe: the guest's spool files
# still go (found through libcups' IPP reader), the wipe is verified, and the restarted server
# knows nothing of the guest's job. Each check is shown to catch the job before the wipe.
# The owner of a job is the user who sent it: the guest's `lp -U OTHER` (a canary title, held)
# is refused or made the guest's, never OTHER's, and nothing of it stays; printing over TCP
# (no password) is refused; the guest's normal printing over the domain socket still completes
# on a CUPS-PDF queue whose own configuration (a copy of /etc/cups/cups-pdf.conf in a
# per-queue file, /etc/cups/cups-pdf-QUEUE.conf, removed at the end) is edited by
# scripts/cups-private.sh --cups-pdf: CUPS-PDF's log, shown to hold the title before, is not
# written. Last, a server that accepts and never answers: the wipe ends within its bound.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
. "$RK_SRC/tests/helpers/browser-lib.sh"
t_require_root "all tests in $(basename "$0") (a real rentarkd, a real cupsd, real users)"
for t in cupsd lp lpstat lpadmin cupsdisable setpriv; do
    command -v "$t" >/dev/null || { t_skip "all tests in $(basename "$0")" "$t is not installed (cups-daemon, cups-client)"; t_done; exit 0; }
done
if [ ! -x "$RKD" ] || [ ! -x "$RKCTL" ]; then
    t_skip "all tests in $(basename "$0")" "$RK_BUILD is not built"; t_done; exit 0
fi

wipe_env_setup 256M
OTHER=$(t_unique_name rk-o)
t_user "$OTHER" || { t_fail "create another user" "useradd failed"; t_done; exit 1; }
. "$RK_SRC/tests/daemon-env.sh"
t_cleanup 'cp -f "$T_TMP/daemon.log" "$RK_BUILD/test-logs/test-wipe-print.daemon.log" 2>/dev/null'
C=$T_TMP/cups
SPOOL=$FS/spool/cups
STOPPED=rkstopped

t_check "the daemon asks the test's cupsd (paths.cups_server)" grep -q "cups_server = \"$C/cups.sock\"" "$CONF"
# A TCP port too, as a kiosk's cupsd listens on localhost:631.
BR_CUPS_TCP_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if ! br_cups_up kiosk; then
    t_skip "all further tests" "no private cupsd: $BR_CUPS_WHY"; t_done; exit 0
fi
t_diag "private cupsd: $BR_PRINTER_KIND; cupsd.conf as the install makes it:" \
    "$(grep -E '^(PreserveJob|PageLogFormat|LogLevel)|^  (JobPrivate|SubscriptionPrivateValues)' "$C/root/cupsd.conf" | sort -u | tr '\n' ';')"
t_check "scripts/cups-private.sh is idempotent" test "$("$RK_SRC/scripts/cups-private.sh" "$C/root/cupsd.conf")" = unchanged
t_check "cupsd accepts the configuration" cupsd -t -c "$C/root/cupsd.conf" -s "$C/root/cups-files.conf"
# A second queue, stopped: a job sent there waits in the queue (and the spool) until the wipe.
t_check "a stopped second queue" eval 'lpadmin -h "$BR_CUPS_SOCK" -p $STOPPED -E -v file:///dev/null >>"$C/log/cupsd.out" 2>&1 &&
    cupsdisable -h "$BR_CUPS_SOCK" $STOPPED'

# The server's view, as root: "ID USER" for every job (all states), one a line.
jobs_all() { lpstat -h "$BR_CUPS_SOCK" -W all -o 2>/dev/null | awk '{ n = split($1, a, "-"); print a[n], $2 }'; }
# jobs_of USER: the ids of USER's jobs the server lists.
jobs_of() { jobs_all | awk -v u="$1" '$2 == u { print $1 }'; }
# canary_files: the files that hold the canary in the server's spool, logs, cache, state and
# configuration, in CUPS-PDF's logs (the real /var/log/cups: the backend's folder is built in)
# and in the daemon's log (names only; the canary itself is never printed).
canary_files() { grep -rlF -- "$BR_CANARY" "$C" "$SPOOL" /var/log/cups "$T_TMP/daemon.log" 2>/dev/null; }
# spool_files ID...: the spool files (control, documents, and the credentials cupsd keeps for a
# job sent by an authenticated user) of these jobs.
spool_files() {
    local id
    for id in "$@"; do
        find "$SPOOL" -maxdepth 1 \( -name "$(printf 'c%05d' "$id")" -o -name "$(printf 'd%05d-*' "$id")" -o -name "$(printf 'a%05d' "$id")" \)
    done
}
# guest_print QUEUE MARKER [lp options]: the guest prints a letter titled CANARY-MARKER whose
# body holds the canary too; the canary reaches lp through the environment and a file.
# The server is the private cupsd's socket, or GP_SERVER. lp's complaints go to $C/log/lp.err;
# it runs without a terminal (setsid), where a password prompt would wait.
guest_print() {
    local q=$1 m=$2
    shift 2
    br_guest sh -c 's=$1 q=$2 m=$3 && shift 3 && f=$(mktemp "$TMPDIR/letter.XXXXXX") &&
        printf "Letter to the council\n\n%s-%s\n" "$RK_CANARY" "$m" >"$f" &&
        setsid -w lp -h "$s" -d "$q" -t "$RK_CANARY-$m" "$@" "$f"; r=$?; rm -f "$f"; exit $r' sh "${GP_SERVER:-$BR_CUPS_SOCK}" "$q" "$m" "$@" \
        </dev/null 2>>"$C/log/lp.err" | awk '/request id is/ { n = split($4, a, "-"); print a[n] }'
}
# spool_marker MARKER: the spool files that hold the canary followed by -MARKER.
spool_marker() { grep -rlF -- "$BR_CANARY-$1" "$SPOOL" 2>/dev/null; }
# job_done ID: the server no longer lists job ID as waiting, held or printing.
job_done() { ! lpstat -h "$BR_CUPS_SOCK" -W not-completed -o 2>/dev/null | awk '{ n = split($1, a, "-"); print a[n] }' | grep -qx "$1"; }
# pdf_jobs_gone: the server lists neither of the guest's CUPS-PDF jobs, in any state.
pdf_jobs_gone() { ! jobs_all | awk '{ print $1 }' | grep -qxE "$PDF1|$PDF2"; }
# wait_for SECONDS CMD...: CMD until it succeeds, at most SECONDS.
wait_for() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.2; done; }

br_canary || { t_fail "a random canary" "od failed"; t_done; exit 1; }
t_check "rentarkd starts and its first wipe leaves the seat READY" eval 'start_daemon && wait_state READY 30'

# ---- the server runs at the wipe ------------------------------------------------------------
ctl hook session-setup "$GUEST" >/dev/null
t_check "the patron's session: ACTIVE" eval 'guest_ctl accept >/dev/null && test "$(state)" = ACTIVE'
HELD=$(guest_print "$BR_PRINTER" held -H hold)
QUEUED=$(guest_print $STOPPED queued)
t_check "the guest's held job and its job on the stopped queue are accepted (ids $HELD, $QUEUED)" test -n "$HELD" -a -n "$QUEUED"
OTHER_JOB=$(echo "other's letter" | setpriv --reuid="$(id -u "$OTHER")" --regid="$(id -g "$OTHER")" --clear-groups \
    lp -h "$BR_CUPS_SOCK" -d "$BR_PRINTER" -H hold -t other-letter 2>>"$C/log/cupsd.out" | awk '/request id is/ { n = split($4, a, "-"); print a[n] }')
ROOT_JOB=$(echo "staff's letter" | lp -h "$BR_CUPS_SOCK" -d $STOPPED -t staff-letter 2>>"$C/log/cupsd.out" | awk '/request id is/ { n = split($4, a, "-"); print a[n] }')
t_check "another user's held job and root's queued job (ids $OTHER_JOB, $ROOT_JOB)" test -n "$OTHER_JOB" -a -n "$ROOT_JOB"

# The guest claims another user's name. Unauthenticated, CUPS would make the job OTHER's, and
# the wipe would not find it: its title and data would stay. With the install's policy the
# server authenticates the guest by its peer credentials: the request is refused, or the job
# is the guest's.
SPOOF=$(guest_print "$BR_PRINTER" spoof -H hold -U "$OTHER")
if [ -z "$SPOOF" ]; then
    t_check "lp -U $OTHER as the guest is refused ($(tail -1 "$C/log/lp.err"))" grep -q "Unauthorized\|Forbidden\|not-authorized\|not authorized" "$C/log/lp.err"
    t_check "... and nothing of it reached the spool" test -z "$(spool_marker spoof)"
else
    t_check "lp -U $OTHER as the guest: job $SPOOF is the guest's, not $OTHER's ($(jobs_all | awk -v i="$SPOOF" '$1 == i { print $2 }'))" \
        eval 'jobs_all | grep -qx "$SPOOF $GUEST"'
fi
t_check "the server lists one job of $OTHER: its own ($OTHER_JOB)" test "$(jobs_of "$OTHER" | tr '\n' ' ')" = "$OTHER_JOB "

# Over TCP the guest would need a password, and it has none.
t_check "the server answers the guest on 127.0.0.1:$BR_CUPS_TCP_PORT" br_guest lpstat -h "127.0.0.1:$BR_CUPS_TCP_PORT" -r
TCP_JOB=$(GP_SERVER=127.0.0.1:$BR_CUPS_TCP_PORT guest_print "$BR_PRINTER" tcp -H hold)
t_check "printing over TCP without a password is refused for the guest${TCP_JOB:+ (accepted: job $TCP_JOB)}" \
    eval 'test -z "$TCP_JOB" && test -z "$(spool_marker tcp)"'

# The guest prints for real over the domain socket, on a CUPS-PDF queue with its own copy of
# the CUPS-PDF configuration (CUPS-PDF reads /etc/cups/cups-pdf-NAME.conf for the device
# cups-pdf:/NAME): first as Debian ships it, then as the install edits it.
if [ "$BR_PRINTER_KIND" = CUPS-PDF ]; then
    PDFQ=rkwp$$
    PDFNAME=$PDFQ.rentark-test-pdf # the install test leaves *.rentark-test-* out of its listing
    PDFCONF=/etc/cups/cups-pdf-$PDFNAME.conf
    PDFLOG=/var/log/cups/cups-pdf-${PDFQ}_log
    t_cleanup "rm -f '$PDFCONF' '$PDFLOG'"
    t_check "a second CUPS-PDF queue with its own configuration (a copy of /etc/cups/cups-pdf.conf)" eval 'cp /etc/cups/cups-pdf.conf "$PDFCONF" &&
        lpadmin -h "$BR_CUPS_SOCK" -p $PDFQ -E -v "cups-pdf:/$PDFNAME" -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd >>"$C/log/cupsd.out" 2>&1'
    PDF1=$(guest_print $PDFQ pdflog)
    t_check "the guest prints on it over the domain socket (job $PDF1), and the job completes" eval 'test -n "$PDF1" && wait_for 60 job_done "$PDF1"'
    t_check "before the edit: CUPS-PDF's own log holds the title" eval 'grep -qF -- "$BR_CANARY-pdflog" "$PDFLOG"'
    rm -f "$PDFLOG"
    t_check "scripts/cups-private.sh --cups-pdf edits the copy, and is idempotent" eval 'test "$("$RK_SRC/scripts/cups-private.sh" --cups-pdf "$PDFCONF")" = changed &&
        test "$("$RK_SRC/scripts/cups-private.sh" --cups-pdf "$PDFCONF")" = unchanged'
    PDF2=$(guest_print $PDFQ pdf)
    t_check "the guest prints again (job $PDF2): the job completes, its PDF is in the guest's ~/PDF" eval 'test -n "$PDF2" && wait_for 60 job_done "$PDF2" &&
        grep -rlqF -- "$BR_CANARY-pdf" "$HOME_DIR/PDF"'
    t_check "CUPS-PDF wrote no log" test ! -e "$PDFLOG"
    t_check "the completed jobs are forgotten (PreserveJobHistory No)" wait_for 10 pdf_jobs_gone
else
    t_skip "the guest prints on CUPS-PDF; CUPS-PDF keeps no log" "CUPS-PDF is not installed (printer-driver-cups-pdf)"
fi

# The checks of after the wipe, shown to catch the jobs before it.
t_check "before the wipe: the server lists the guest's 2 jobs" test "$(jobs_of "$GUEST" | wc -l)" -eq 2
t_check "before the wipe: their documents are in the spool (cupsd writes control files later)" test "$(spool_files "$HELD" "$QUEUED" | grep -c "/d[0-9]*-")" -ge 2
t_check "before the wipe: the canary is found in the server's files ($(canary_files | sed "s|$T_TMP/||" | tr '\n' ' '))" \
    test -n "$(canary_files)"

t_check "rentarkctl end: the session ends and the wipe runs" eval 'ctl end >/dev/null'
t_check "the seat is READY again (the wipe is verified)" wait_state READY 60
t_check "the daemon's log: wipe verified" grep -q "wipe verified" "$T_TMP/daemon.log"
left=$(jobs_of "$GUEST" | tr '\n' ' ')
t_check "lpstat -W all lists no job of the guest${left:+ (left: $left)}" test -z "$left"
t_check "the other user's and root's jobs are still listed" eval 'jobs_all | grep -qx "$OTHER_JOB $OTHER" && jobs_all | grep -qx "$ROOT_JOB root"'
t_check "no job of the guest under another name: $OTHER has its own job only" test "$(jobs_of "$OTHER" | tr '\n' ' ')" = "$OTHER_JOB "
t_check "the guest's spool files are gone, the others' are there" \
    eval 'test -z "$(spool_files "$HELD" "$QUEUED")" && test -n "$(spool_files "$OTHER_JOB")" && test -n "$(spool_files "$ROOT_JOB")"'
hits=$(canary_files | sed "s|$T_TMP/||" | tr '\n' ' ')
t_check "the canary is in no file of the server (spool, logs, cache, state) nor in the daemon's log${hits:+ (found in: $hits)}" test -z "$hits"
n=2
[ -z "$SPOOF" ] || n=3 # the job claimed for another user is the guest's: purged too
t_check "the daemon's log counts the jobs: $n cancelled and purged" \
    grep -qE "print server: $n jobs of the guest cancelled and purged \($n listed, 0 still listed\)" "$T_TMP/daemon.log"
wipe_check "the home equals the skeleton, nothing of the guest left on the scratch file system, outside untouched" 0

# ---- the server is down at the wipe ---------------------------------------------------------
ctl hook session-setup "$GUEST" >/dev/null
t_check "a second session: ACTIVE" eval 'guest_ctl accept >/dev/null && test "$(state)" = ACTIVE'
HELD2=$(guest_print "$BR_PRINTER" held2 -H hold)
t_check "the guest's held job is accepted (id $HELD2)" test -n "$HELD2"
t_check "cupsd stops (it keeps the jobs in its spool, as at a shutdown)" br_cups_stop
t_check "before the wipe: the guest's job is in the spool (control file and document)" test "$(spool_files "$HELD2" | wc -l)" -ge 2
t_check "... with its credentials (it was sent authenticated: cupsd keeps the sender's name and uid)" \
    test -n "$(find "$SPOOL" -maxdepth 1 -name "$(printf 'a%05d' "$HELD2")")"
t_check "before the wipe: the canary is in the spool" eval 'grep -rqF -- "$BR_CANARY" "$SPOOL"'
t_check "rentarkctl end with the server down" eval 'ctl end >/dev/null'
t_check "the seat is READY again (the wipe is verified)" wait_state READY 60
t_check "the daemon's log: the server was not running" grep -q "print server: not running" "$T_TMP/daemon.log"
t_check "the guest's spool files are gone, the others' are there" \
    eval 'test -z "$(spool_files "$HELD2")" && test -n "$(spool_files "$OTHER_JOB")" && test -n "$(spool_files "$ROOT_JOB")"'
t_check "the canary is in no file of the spool" eval '! grep -rqF -- "$BR_CANARY" "$SPOOL"'
t_check "cupsd starts again" br_cups_start
left=$(jobs_of "$GUEST" | tr '\n' ' ')
t_check "the restarted server lists no job of the guest${left:+ (left: $left)}; the others' are kept" \
    eval 'test -z "$left" && jobs_all | grep -qx "$OTHER_JOB $OTHER" && jobs_all | grep -qx "$ROOT_JOB root"'
hits=$(canary_files | sed "s|$T_TMP/||" | tr '\n' ' ')
t_check "the canary is in no file of the server nor in the daemon's log${hits:+ (found in: $hits)}" test -z "$hits"
wipe_check "the home equals the skeleton, nothing of the guest left, outside untouched" 0

# ---- a server that accepts and never answers: the wipe must not hang ------------------------
t_check "cupsd stops; a listener that never answers takes its socket" eval 'br_cups_stop && rm -f "$C/cups.sock" &&
    { /usr/bin/python3 -c "import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16); c = []
while True: c.append(s.accept()[0])" "$C/cups.sock" & HANG_PID=$!; t_cleanup "kill $HANG_PID"; } &&
    for _ in $(seq 50); do [ -S "$C/cups.sock" ] && break; sleep 0.1; done; [ -S "$C/cups.sock" ]'
ctl hook session-setup "$GUEST" >/dev/null
guest_ctl accept >/dev/null
t0=$SECONDS
ctl end >/dev/null
t_check "the wipe ends although the server never answers: BLOCKED, not verified" wait_state BLOCKED 40
t_check "... within the bound (10 s for the server, here $((SECONDS - t0)) s in all)" test $((SECONDS - t0)) -le 25
t_check "... and the log says why (the print server did not answer, the print category timed out)" \
    eval 'grep -q "print server: connected but no answer in time" "$T_TMP/daemon.log" && grep -q "swept print: .*timed out" "$T_TMP/daemon.log"'
t_check "no sanitizer finding in the daemon's log" eval '! grep -qE "Sanitizer|runtime error" "$T_TMP/daemon.log"'
stop_daemon
t_done
