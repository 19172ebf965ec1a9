# Shared by tests/integration/test-session-*.sh (sourced after tests/lib.sh): a private Xvfb,
# the REAL rentarkd on a private socket, rentark-session run as the guest with --debug-dump,
# clicks by button name, screenshots.
#
# The daemon runs on the scratch file system of tests/wipe-env.sh (real guest from useradd,
# real wipe) with the helpers of tests/daemon-env.sh (start_daemon, ctl, state, wait_state).
# As in production, the session client runs as the guest: the daemon authorizes accept,
# decline, consent, end and idle by the peer's uid. A session is opened the way LightDM's
# session-setup-script does it (`rentarkctl hook session-setup GUEST` as root, seat -> NOTICE)
# before the client starts. The wipe at a session's end SIGKILLs every process of the guest,
# the client too: such outcomes are judged by the daemon's state, its log and wipe_check,
# not by the client's exit status.
#
# The protocol double tests/helpers/fake-agent.py is kept for the one case the real daemon
# cannot produce (s_fake_start): a seat that stays in ENDING with the client alive, to look at
# the ending screen (the real ENDING lasts milliseconds and its wipe kills the client).

. "$RK_SRC/tests/wipe-env.sh"

S_DUMP_DIR=$T_TMP/guest-out # the client's --debug-dump, written by the guest: outside $FS
S_DUMP=$S_DUMP_DIR/screen.txt
S_SHOTS=$RK_BUILD/screens
S_SESSION_PID=
S_FAKE_PID=
mkdir -p "$S_SHOTS"

# s_require: skip the whole file when a tool is missing or we are not root (the real daemon
# needs a real guest user and a scratch file system).
s_require() {
    local t
    for t in Xvfb xdotool xwd convert xdpyinfo cc setpriv /usr/bin/python3; do
        if ! command -v "$t" >/dev/null; then
            t_skip "all tests in $(basename "$0")" "$t is not installed"
            t_done; exit 0
        fi
    done
    if [ ! -x "$RKSESSION" ] || [ ! -x "$RKD" ] || [ ! -x "$RKCTL" ]; then
        t_skip "all tests in $(basename "$0")" "$RK_BUILD is not built (rentark-session, rentarkd, rentarkctl)"
        t_done; exit 0
    fi
    t_require_root "all tests in $(basename "$0") (a real rentarkd, a real guest user, a scratch file system)"
}

# s_require_a11y [FILE...]: s_require, and what an accessibility bus takes (D-Bus, at-spi2-core,
# pyatspi, and the FILEs or commands given); the whole test is skipped, with the reason, without.
s_require_a11y() {
    s_require
    local t
    for t in dbus-run-session /usr/libexec/at-spi-bus-launcher "$@"; do
        command -v "$t" >/dev/null || [ -e "$t" ] || { t_skip "all tests in $(basename "$0")" "$t is not installed (at-spi2-core, dbus)"; t_done; exit 0; }
    done
    /usr/bin/python3 -c 'import pyatspi' 2>/dev/null || { t_skip "all tests in $(basename "$0")" "python3-pyatspi is not installed"; t_done; exit 0; }
}

# s_xvfb [XVFB ARGS]: start Xvfb on a free display (1280x800 by default) and export DISPLAY.
s_xvfb() {
    local n
    [ $# -gt 0 ] || set -- -screen 0 1280x800x24
    for n in $(seq 80 160); do
        [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
        Xvfb ":$n" -nolisten tcp -noreset "$@" >"$T_TMP/xvfb.log" 2>&1 &
        local pid=$!
        t_cleanup "kill $pid"
        local i
        for i in $(seq 50); do
            if DISPLAY=":$n" xdpyinfo >/dev/null 2>&1; then
                export DISPLAY=":$n"
                S_XVFB_PID=$pid
                return 0
            fi
            kill -0 $pid 2>/dev/null || break
            sleep 0.1
        done
    done
    return 1
}

# s_config [KEY=VALUE ...]: the scratch file system, the guest, and the daemon's config CONF
# (session keys may be overridden: time_limit, idle_timeout, idle_warning, interval,
# warnings, languages (quoted: '"nb", "ar"'), extend_by, max_extends, first_input (the clock
# starts at the first input: false here unless asked, since most tests accept with no input
# after), first_input_wait, step_away_max), with the shipped notice texts and three volunteers
# (every PIN is 1234):
#   kari  Kari Nordmann  declaration signed today, all required modules
#   ola   Ola Hansen     no declaration of confidentiality on file
#   per   Per Berg       required training modules 5 and 8 missing
# The client reads the same file (S_CONF; 0644 here, see s_public_conf).
s_config() {
    local time_limit=7200 idle_timeout=900 idle_warning=60 interval=30 warnings="300, 60" kv
    local languages='"nb", "nn", "en"' extend_by=600 max_extends=10
    local first_input=false first_input_wait=180 step_away_max=600
    for kv in "$@"; do
        case $kv in
            time_limit=*) time_limit=${kv#*=} ;; idle_timeout=*) idle_timeout=${kv#*=} ;;
            idle_warning=*) idle_warning=${kv#*=} ;; interval=*) interval=${kv#*=} ;;
            warnings=*) warnings=${kv#*=} ;; languages=*) languages=${kv#*=} ;;
            extend_by=*) extend_by=${kv#*=} ;; max_extends=*) max_extends=${kv#*=} ;;
            first_input=*) first_input=${kv#*=} ;; first_input_wait=*) first_input_wait=${kv#*=} ;;
            step_away_max=*) step_away_max=${kv#*=} ;;
        esac
    done
    wipe_env_setup 128M
    # The logs of the last run of each file stay in $RK_BUILD/session-logs (after the daemon
    # has stopped: this cleanup runs after daemon-env's).
    mkdir -p "$RK_BUILD/session-logs"
    local base
    base=$RK_BUILD/session-logs/$(basename "$0" .sh)
    t_cleanup "cp -f '$T_TMP/daemon.log' '$base.daemon.log'; cp -f '$T_TMP/session.err' '$base.session.err'"
    . "$RK_SRC/tests/daemon-env.sh"
    S_SOCK=$SOCK
    # The guest reads the notice texts: a copy on the scratch file system, 0755/0644.
    cp -r "$RK_SRC/config/notice/." "$FS/notice/"
    chmod -R u=rwX,go=rX "$FS/notice"
    mkdir -p "$S_DUMP_DIR"
    chown "$GUID:$GGID" "$S_DUMP_DIR"
    chmod 0700 "$S_DUMP_DIR"
    local hash
    hash=$(printf '1234\n1234\n' | "$RKCTL" hash-pin 2>/dev/null)
    cat >>"$CONF" <<CONF
session = { time_limit = $time_limit; idle_timeout = $idle_timeout; idle_warning = $idle_warning;
            idle_report_interval = $interval; warnings = [ $warnings ]; languages = [ $languages ];
            extend_by = $extend_by; max_extends = $max_extends; start_on_first_input = $first_input;
            first_input_wait = $first_input_wait; step_away_max = $step_away_max; };
guided = { required_modules = [ 1, 2, 3, 4, 5, 8 ]; declaration_validity_days = 365; };
volunteers = (
  { id = "kari"; name = "Kari Nordmann"; pin_hash = "$hash"; declaration_signed = "$(date +%F)"; modules = [ 1, 2, 3, 4, 5, 6, 8 ]; },
  { id = "ola"; name = "Ola Hansen"; pin_hash = "$hash"; modules = [ 1, 2, 3, 4, 5, 8 ]; },
  { id = "per"; name = "Per Berg"; pin_hash = "$hash"; declaration_signed = "$(date +%F)"; modules = [ 1, 2, 3, 4 ]; }
);
CONF
    chmod 0644 "$CONF"
    S_CONF=$CONF
}

# s_public_conf: give the client a config without the session and volunteer groups, as a
# guest in production has only the defaults (the real file holds PIN hashes and may be
# unreadable for it): the limits then have to come from the daemon's status reply.
s_public_conf() {
    S_CONF=$T_TMP/client.conf
    cat >"$S_CONF" <<CONF
notice = { text_dir = "$FS/notice"; };
paths = { socket = "$SOCK"; };
CONF
    chmod 0644 "$S_CONF"
}

# s_daemon_up: start the real daemon and wait until the seat is READY (a first start without
# a journal wipes first, which also gives the notice its line of trust).
s_daemon_up() { start_daemon && wait_state READY 20; }

# s_daemon_kill: the daemon dies (kill -9): no wipe, no clean shutdown; the socket stays.
s_daemon_kill() { [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null; DPID=; }

# s_begin: what LightDM's session-setup-script does when the guest logs in: seat -> NOTICE.
s_begin() { ctl hook session-setup "$GUEST" >/dev/null && test "$(state)" = NOTICE; }

s_state() { state; }
# s_wait_state STATE [SECONDS]
# Every wait below polls and returns as soon as its condition holds; S_WAIT_SCALE (default 3)
# stretches only the deadline, for a slow or loaded machine (the sanitizer build on 2 cores
# draws a long notice anew in 2-3 s). Timing properties are measured on their own, not here.
S_WAIT_SCALE=${S_WAIT_SCALE:-3}
s_wait_state() { wait_state "$1" $((${2:-5} * S_WAIT_SCALE)); }

# s_daemon_saw PATTERN: the daemon's log has a line matching PATTERN (extended regex).
s_daemon_saw() { grep -qE "$1" "$T_TMP/daemon.log" 2>/dev/null; }
# s_wait_daemon_saw PATTERN [SECONDS]
s_wait_daemon_saw() {
    local i
    for i in $(seq $((${2:-5} * 10 * S_WAIT_SCALE))); do s_daemon_saw "$1" && return 0; sleep 0.1; done
    return 1
}

# s_session_start [ARGS]: start rentark-session as the guest (dump to $S_DUMP) in the
# background, against the real daemon's socket.
s_session_start() { _s_client "$S_SOCK" "$S_CONF" "$@"; }

_s_client() {
    local sock=$1 conf=$2; shift 2
    rm -f "$S_DUMP"
    setpriv --reuid="$GUID" --regid="$GGID" --clear-groups -- \
        env DISPLAY="$DISPLAY" HOME="$HOME_DIR" USER="$GUEST" LOGNAME="$GUEST" RENTARK_LOCALEDIR="$RK_BUILD/locale" \
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0" ${S_CLIENT_ENV:-} "$RKSESSION" --socket "$sock" -c "$conf" --debug-dump "$S_DUMP" "$@" 2>>"$T_TMP/session.err" &
    S_SESSION_PID=$!
    S_SESSION_A11Y=
    t_cleanup "kill $S_SESSION_PID"
}

# s_a11y_session_start [ARGS]: the client as the guest in a D-Bus session of its own, where
# the accessibility bus (at-spi2-core) starts by D-Bus activation as in a desktop session;
# s_atspi then asks that bus what a screen reader sees (tests/helpers/atspi.py). S_A11Y_PRE, a
# shell command, runs in that session before the client starts (a stand-in service on the bus).
s_a11y_session_start() {
    rm -f "$S_DUMP" "$S_DUMP_DIR/bus"
    # The accessibility bus of an earlier session (gone with its wipe) is still named on the
    # root window (AT_SPI_BUS), which AT-SPI clients try first: as at a real login, the new
    # session's bus launcher sets it again.
    xprop -root -remove AT_SPI_BUS 2>/dev/null
    setpriv --reuid="$GUID" --regid="$GGID" --clear-groups -- \
        env DISPLAY="$DISPLAY" HOME="$HOME_DIR" USER="$GUEST" LOGNAME="$GUEST" RENTARK_LOCALEDIR="$RK_BUILD/locale" \
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0" S_A11Y_PRE="${S_A11Y_PRE:-}" ${S_CLIENT_ENV:-} \
        dbus-run-session -- sh -c 'echo "$DBUS_SESSION_BUS_ADDRESS" >"$1.new" && mv "$1.new" "$1"; shift; [ -z "$S_A11Y_PRE" ] || eval "$S_A11Y_PRE"; exec "$@"' \
        sh "$S_DUMP_DIR/bus" "$RKSESSION" --socket "${S_A11Y_SOCK:-$S_SOCK}" -c "${S_A11Y_CONF:-$S_CONF}" --debug-dump "$S_DUMP" "$@" \
        2>>"$T_TMP/session.err" &
    S_SESSION_PID=$!
    S_SESSION_A11Y=1
    t_cleanup "kill $S_SESSION_PID"
    local i
    for i in $(seq 50); do [ -s "$S_DUMP_DIR/bus" ] && return 0; sleep 0.1; done
    return 1
}

s_atspi() {
    setpriv --reuid="$GUID" --regid="$GGID" --clear-groups -- \
        env DISPLAY="$DISPLAY" HOME="$HOME_DIR" DBUS_SESSION_BUS_ADDRESS="$(cat "$S_DUMP_DIR/bus")" \
        /usr/bin/python3 "$RK_SRC/tests/helpers/atspi.py" "$@"
}

# s_layout_bad: the texts on screen that are clipped or have characters without a glyph
# (the dump's "layout" lines), one per line; nothing when all is well.
s_layout_bad() { awk '$1 == "layout" && ($7 != "fits" || $8 != 0)' "$S_DUMP"; }

# s_contrast NAME: screenshot NAME and the lowest contrast ratio of its texts (contrast.py);
# its per-text report goes to $S_SHOTS/NAME.contrast.
s_contrast() {
    s_shot "$1"
    /usr/bin/python3 "$RK_SRC/tests/helpers/contrast.py" "$S_SHOTS/$1.png" "$S_DUMP" >"$S_SHOTS/$1.contrast"
    local rc=$?
    awk '$1 == "min" { print $2 }' "$S_SHOTS/$1.contrast"
    return $rc
}

# s_check_contrast NAME: a check that every text of the screen (screenshot NAME) reaches
# 4.5:1 against its background.
s_check_contrast() {
    local m
    m=$(s_contrast "$1")
    t_check "contrast, $1: every text at least 4.5:1 (lowest ${m:-none})" test $? -eq 0
}

_s_sanitizer_clean() { ! grep -qE 'Sanitizer|runtime error' "$T_TMP/session.err"; }
_s_sanitizer_report() { grep -E -A12 'Sanitizer|runtime error' "$T_TMP/session.err" | head -40; }

# s_session_stop DESC: stop the client with SIGTERM; ok when it exits 0 without a sanitizer
# finding on its stderr.
s_session_stop() {
    [ -n "$S_SESSION_PID" ] || return 0
    # In a D-Bus session of its own the client is dbus-run-session's child, which passes its
    # exit status on: the client is the one told to stop.
    if [ -z "${S_SESSION_A11Y:-}" ] || ! pkill -TERM -P "$S_SESSION_PID" -x rentark-session 2>/dev/null; then
        kill -TERM "$S_SESSION_PID" 2>/dev/null
    fi
    wait "$S_SESSION_PID"
    local rc=$?
    S_SESSION_PID=
    if [ $rc -eq 0 ] && _s_sanitizer_clean; then
        t_ok "$1: client exits cleanly, no sanitizer findings"
    else
        t_fail "$1: client exits cleanly, no sanitizer findings" "rc=$rc; $(_s_sanitizer_report)"
    fi
}

# s_session_wiped DESC: the session ended in the daemon: the wipe ran (seat READY again), it
# ended the client (SIGKILL of every guest process), and nothing of the patron is left.
s_session_wiped() {
    t_check "$1: the daemon wipes and the seat is READY again" s_wait_state READY 20
    if [ -n "$S_SESSION_PID" ]; then
        local i
        for i in $(seq 50); do kill -0 "$S_SESSION_PID" 2>/dev/null || break; sleep 0.1; done
        t_expect_fail "$1: the wipe ended the guest's client" bash -c "kill -0 $S_SESSION_PID 2>/dev/null"
        wait "$S_SESSION_PID" 2>/dev/null
        S_SESSION_PID=
    fi
    t_check "$1: no sanitizer findings in the client" _s_sanitizer_clean
    wipe_check "$1: nothing of the patron is left" 0
}

# s_wait_dump PATTERN [SECONDS]: wait until the screen dump has a line matching PATTERN.
s_wait_dump() {
    local i
    for i in $(seq $((${2:-5} * 10 * S_WAIT_SCALE))); do
        grep -qE "$1" "$S_DUMP" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
s_wait_screen() { s_wait_dump "^screen [a-z]+ $1\$" "${2:-5}"; }
s_no_screen() { ! grep -qE "^screen [a-z]+ $1\$" "$S_DUMP" 2>/dev/null; }

# s_button ACTION: "X Y" of the centre of a button in the dump.
s_button() { awk -v a="$1" '$1 == "button" && $2 == a { printf "%d %d\n", $3 + $5 / 2, $4 + $6 / 2; exit }' "$S_DUMP"; }

# s_click ACTION: click a button by its action name (xdotool: real pointer events via XTEST).
s_click() {
    local xy
    xy=$(s_button "$1")
    [ -n "$xy" ] || { t_diag "no button $1 on screen"; return 1; }
    # shellcheck disable=SC2086
    xdotool mousemove $xy click 1
}

s_focused() { awk '$1 == "button" && $7 == "*" { print $2; exit }' "$S_DUMP"; }

# s_reader_stub: a stand-in screen reader, $S_READER (for RENTARK_SCREEN_READER), that writes
# to $S_READER_LOG how it was started (its language) and when it is stopped, and runs until then.
S_READER=$T_TMP/reader.sh
S_READER_LOG=$S_DUMP_DIR/reader.log
s_reader_stub() {
    cat >"$S_READER" <<EOF
#!/bin/sh
echo "started LANGUAGE=\$LANGUAGE LANG=\$LANG" >>"$S_READER_LOG"
trap 'echo stopped >>"$S_READER_LOG"; exit 0' TERM
while :; do sleep 0.2; done
EOF
    chmod 0755 "$S_READER"
    chmod o+x "$T_TMP"
}

# s_diag: what the client, the daemon and the guest's processes were doing, as diagnostics of
# a failed check (no patron data here: the test's own files).
s_diag() {
    t_diag "seat state: $(s_state 2>&1)"
    t_diag "client: ${S_SESSION_PID:-none} $( [ -n "${S_SESSION_PID:-}" ] && kill -0 "$S_SESSION_PID" 2>/dev/null && echo running || echo gone)"
    t_diag "screens in the dump: $(grep -E '^screen ' "$S_DUMP" 2>/dev/null | tr '\n' ';')"
    t_diag "the guest's processes: $(ps -o pid=,etimes=,stat=,args= -u "$GUID" 2>/dev/null | cut -c1-120 | tr '\n' ';')"
    t_diag_file "$T_TMP/session.err" 25
    t_diag_file "$T_TMP/daemon.log" 15
}

# s_shot NAME: screenshot of the whole root window to $RK_BUILD/screens/NAME.png.
s_shot() {
    xwd -root -silent | convert xwd:- "png:$S_SHOTS/$1.png"
}

# s_colors PNG [GEOMETRY]: number of distinct colours (in a region WxH+X+Y).
s_colors() {
    if [ -n "${2:-}" ]; then convert "$1" -crop "$2" +repage -format '%k' info:
    else convert "$1" -format '%k' info:; fi
}

# s_xprobe: build the X probe client into $T_TMP/xprobe (needs libX11/libXrandr only).
s_xprobe() {
    [ -x "$T_TMP/xprobe" ] || cc -O1 -o "$T_TMP/xprobe" "$RK_SRC/tests/helpers/x11/xprobe.c" -lX11 -lXrandr
}

# ---- the protocol double, for what the real daemon cannot hold still ----

# s_fake_start [ARGS]: the fake agent on its own socket and config (same texts); its request
# log is $T_TMP/fake.log. Sets S_FAKE_SOCK and S_FAKE_CONF.
s_fake_start() {
    S_FAKE_SOCK=$T_TMP/fake.sock
    S_FAKE_CONF=$T_TMP/fake.conf
    # One key a line: the double reads them with a regular expression.
    cat >"$S_FAKE_CONF" <<CONF
notice = {
  text_dir = "$FS/notice";
};
paths = {
  socket = "$S_FAKE_SOCK";
};
CONF
    chmod 0644 "$S_FAKE_CONF"
    /usr/bin/python3 "$RK_SRC/tests/helpers/fake-agent.py" --log "$T_TMP/fake.log" "$@" -c "$S_FAKE_CONF" -f \
        >>"$T_TMP/fake.out" 2>&1 &
    S_FAKE_PID=$!
    t_cleanup "kill $S_FAKE_PID"
    local i
    for i in $(seq 50); do
        [ -S "$S_FAKE_SOCK" ] && s_fake_call status >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
s_fake_stop() { [ -n "$S_FAKE_PID" ] && kill "$S_FAKE_PID" 2>/dev/null && wait "$S_FAKE_PID" 2>/dev/null; S_FAKE_PID=; }
s_fake_call() { /usr/bin/python3 "$RK_SRC/tests/helpers/rkcall.py" "$S_FAKE_SOCK" "$@"; }
s_fake_saw() { grep -qE "$1" "$T_TMP/fake.log" 2>/dev/null; }
# s_fake_session_start [ARGS]: the client (as the guest) against the fake agent.
s_fake_session_start() { _s_client "$S_FAKE_SOCK" "$S_FAKE_CONF" "$@"; }
# The same in a D-Bus session with an accessibility bus (s_a11y_session_start).
s_fake_a11y_session_start() { S_A11Y_SOCK=$S_FAKE_SOCK S_A11Y_CONF=$S_FAKE_CONF s_a11y_session_start "$@"; }
s_wait_fake_saw() {
    local i
    for i in $(seq $((${2:-5} * 10))); do s_fake_saw "$1" && return 0; sleep 0.1; done
    return 1
}
