# Shared by tests/integration/test-session-*.sh (sourced after tests/lib.sh): a private Xvfb,
# the agent, rentark-session with --debug-dump, clicks by button name, screenshots.
#
# The agent is $RK_SESSION_AGENT, started as `$RK_SESSION_AGENT -c CONFIG -f` (the documented
# command line of rentarkd); by default the protocol stand-in tests/helpers/fake-agent.py,
# which also writes a request log that some checks read (those checks are skipped with
# another agent). State checks ask the agent itself with `status`, so they hold for both.

S_FAKE_AGENT="/usr/bin/python3 $RK_SRC/tests/helpers/fake-agent.py --log $T_TMP/agent.log"
S_AGENT=${RK_SESSION_AGENT:-$S_FAKE_AGENT}
S_CONF=$T_TMP/rentark.conf
S_SOCK=$T_TMP/control.sock
S_DUMP=$T_TMP/screen.txt
S_SHOTS=$RK_BUILD/screens
S_SESSION_PID=
S_AGENT_PID=
mkdir -p "$S_SHOTS"

s_is_fake() { [ "$S_AGENT" = "$S_FAKE_AGENT" ]; }

# s_require: skip the whole file when a tool is missing.
s_require() {
    local t
    for t in Xvfb xdotool xwd convert xdpyinfo cc /usr/bin/python3; do
        if ! command -v "$t" >/dev/null; then
            t_skip "all tests in $(basename "$0")" "$t is not installed"
            t_done; exit 0
        fi
    done
    if [ ! -x "$RKSESSION" ]; then
        t_skip "all tests in $(basename "$0")" "$RKSESSION is not built"
        t_done; exit 0
    fi
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

# s_config [KEY=VALUE ...]: write the config (session keys may be overridden).
s_config() {
    local time_limit=7200 idle_timeout=900 idle_warning=60 interval=30 warnings="300, 60" kv
    for kv in "$@"; do
        case $kv in
            time_limit=*) time_limit=${kv#*=} ;; idle_timeout=*) idle_timeout=${kv#*=} ;;
            idle_warning=*) idle_warning=${kv#*=} ;; interval=*) interval=${kv#*=} ;;
            warnings=*) warnings=${kv#*=} ;;
        esac
    done
    mkdir -p "$T_TMP/skel" "$T_TMP/state"
    cat >"$S_CONF" <<CONF
guest = {
  skeleton = "$T_TMP/skel";
};
session = {
  time_limit = $time_limit;
  idle_timeout = $idle_timeout;
  idle_warning = $idle_warning;
  idle_report_interval = $interval;
  warnings = [ $warnings ];
};
wipe = {
  sweep = [ ];
};
notice = {
  text_dir = "$RK_SRC/config/notice";
};
paths = {
  socket = "$S_SOCK";
  state_dir = "$T_TMP/state";
};
CONF
}

# s_agent_start [ARGS]: start the agent and wait for its socket.
s_agent_start() {
    # shellcheck disable=SC2086
    $S_AGENT "$@" -c "$S_CONF" -f >>"$T_TMP/agent.out" 2>&1 &
    S_AGENT_PID=$!
    t_cleanup "kill $S_AGENT_PID"
    local i
    for i in $(seq 50); do
        [ -S "$S_SOCK" ] && s_call status >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

s_agent_stop() {
    [ -n "$S_AGENT_PID" ] && kill "$S_AGENT_PID" 2>/dev/null && wait "$S_AGENT_PID" 2>/dev/null
    S_AGENT_PID=
    rm -f "$S_SOCK"
}

s_call() { /usr/bin/python3 "$RK_SRC/tests/helpers/rkcall.py" "$S_SOCK" "$@"; }
s_state() { s_call status 2>/dev/null | grep -o 'state=[A-Z]*' | cut -d= -f2; }

# s_wait_state STATE [SECONDS]
s_wait_state() {
    local i
    for i in $(seq $((${2:-5} * 10))); do
        [ "$(s_state)" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# s_agent_saw PATTERN: the fake agent's request log has a line matching PATTERN.
s_agent_saw() { grep -qE "$1" "$T_TMP/agent.log" 2>/dev/null; }

# s_session_start [ARGS]: start rentark-session (dump to $S_DUMP) in the background.
s_session_start() {
    rm -f "$S_DUMP"
    "$RKSESSION" -c "$S_CONF" --debug-dump "$S_DUMP" "$@" 2>>"$T_TMP/session.err" &
    S_SESSION_PID=$!
    t_cleanup "kill $S_SESSION_PID"
}

# s_session_stop DESC: stop the client with SIGTERM; ok when it exits 0 without a sanitizer
# finding on its stderr.
s_session_stop() {
    [ -n "$S_SESSION_PID" ] || return 0
    kill -TERM "$S_SESSION_PID" 2>/dev/null
    wait "$S_SESSION_PID"
    local rc=$?
    S_SESSION_PID=
    if [ $rc -eq 0 ] && ! grep -qE 'Sanitizer|runtime error' "$T_TMP/session.err"; then
        t_ok "$1: client exits cleanly, no sanitizer findings"
    else
        t_fail "$1: client exits cleanly, no sanitizer findings" "rc=$rc; $(grep -E -A12 'Sanitizer|runtime error' "$T_TMP/session.err" | head -40)"
    fi
}

# s_wait_dump PATTERN [SECONDS]: wait until the screen dump has a line matching PATTERN.
s_wait_dump() {
    local i
    for i in $(seq $((${2:-5} * 10))); do
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
