# The booted kiosk of the system test: a copy-on-write layer over the cached Debian root
# (tests/system/root.sh), the project's .deb installed into it with apt, booted with systemd as
# PID 1 by systemd-nspawn, and driven from outside. Source after tests/lib.sh.
#
#   sys_prepare ROOT DEB...  a fresh layer over ROOT (overlayfs), the test's kiosk settings,
#                            and `apt-get install` of the .debs in it (not booted yet)
#   sys_boot                 boots it (private network: its X server and sockets are its own);
#                            SYS_LEADER is its PID 1 as the host sees it
#   sys_wait_running         until systemd has finished booting ("running" or "degraded")
#   sys_poweroff / sys_kill  a clean shutdown / a power cut (SIGKILL to every process)
#   sys CMD...               CMD inside the kiosk, as root (all its namespaces, its root)
#   sys_x CMD...             a HOST program (xdotool, import) on the kiosk's X display :0
#   sys_journal [ARGS]       its journal (journalctl ARGS inside)
#   sys_wait TIMEOUT DESC CMD...  runs CMD every 0.5 s until it succeeds; fails with DESC
#
# The kiosk lives in $SYS_DIR (lower root read-only, upper layer, merged view, logs); a run
# leaves nothing behind but the cached root: sys_teardown is registered with t_cleanup.

SYS_DIR=
SYS_ROOT=
SYS_NSPAWN_PID=
SYS_LEADER=
SYS_BOOTS=0

sys_teardown() {
    sys_kill >/dev/null 2>&1
    if [ -n "$SYS_DIR" ] && [ -d "$SYS_DIR" ]; then
        umount -R "$SYS_DIR/merged" 2>/dev/null || umount -l "$SYS_DIR/merged" 2>/dev/null
        rm -rf --one-file-system "$SYS_DIR"
    fi
}

sys_prepare() {
    local lower=$1 deb d other
    shift
    # One kiosk at a time: two would share the kernel's keys of the guest's uid (keys are not
    # per container), and each one's census would find the other's guest. Layers that a
    # killed run left behind (no kiosk running on them) are removed.
    other=$(pgrep -f -- '-M rentark-kiosk ' | head -1)
    if [ -n "$other" ]; then
        t_diag "another rentark kiosk is running (systemd-nspawn, pid $other): stop it first"
        return 1
    fi
    for d in /var/tmp/rentark-kiosk.*; do
        [ -d "$d" ] || continue
        umount -R "$d/merged" 2>/dev/null || umount -l "$d/merged" 2>/dev/null
        rm -rf --one-file-system "$d"
    done
    SYS_DIR=$(mktemp -d /var/tmp/rentark-kiosk.XXXXXX)
    t_cleanup sys_teardown
    mkdir -p "$SYS_DIR"/{upper,work,merged,logs}
    mount -t overlay overlay -o "lowerdir=$lower,upperdir=$SYS_DIR/upper,workdir=$SYS_DIR/work" "$SYS_DIR/merged" || return 1
    SYS_ROOT=$SYS_DIR/merged
    # The virtual X server: LightDM starts X servers with Xorg's options (vtN, -seat, ...);
    # this wrapper keeps the display, -auth and -nolisten and starts Xvfb.
    install -D -m 0755 /dev/stdin "$SYS_ROOT/usr/local/sbin/rk-xvfb" <<'XEOF'
#!/bin/sh
args=""
while [ $# -gt 0 ]; do
    case $1 in
        :*) args="$args $1" ;;
        -auth|-nolisten|-seat) args="$args $1 $2"; shift ;;
    esac
    shift
done
exec /usr/bin/Xvfb $args -screen 0 1280x800x24 -dpi 96
XEOF
    # The test site's LightDM settings (after the package's 50-rentark.conf): the virtual X
    # server, and no waiting for a graphics device logind would report (there is none).
    install -D -m 0644 /dev/stdin "$SYS_ROOT/etc/lightdm/lightdm.conf.d/90-system-test.conf" <<'XEOF'
[LightDM]
logind-check-graphical=false
[Seat:*]
xserver-command=/usr/local/sbin/rk-xvfb
autologin-session=openbox
user-session=openbox
XEOF
    # A container has no virtual terminals, but LightDM 1.26 still gives every session a VT
    # number (XDG_VTNR=7), and logind then refuses to register the session ("Seat has no VTs
    # but VT number not 0"; LightDM bug, fixed upstream by asking logind's CanTTY). The VT
    # number is dropped before pam_systemd sees it, so that logind opens the session as it
    # does on a PC. Nothing else of PAM is changed.
    printf 'XDG_VTNR\n' >"$SYS_ROOT/etc/security/rentark-test-novt.conf"
    local f
    for f in lightdm lightdm-autologin lightdm-greeter; do
        sed -i -E 's|^(@include common-session\|session\s+optional\s+pam_systemd\.so)|session optional pam_env.so readenv=0 conffile=/etc/security/rentark-test-novt.conf\n&|' \
            "$SYS_ROOT/etc/pam.d/$f" || return 1
    done
    sys_apt_install "$@" || return 1
    sys_payload
}

# sys_payload: what the test adds to the installed kiosk: the patron probe (an XDG autostart
# entry, tests/system/probe.sh), the browser driver, the canary site and search, and
# rentark-session's screen dump (--debug-dump, the test's way of finding the buttons; the
# session is otherwise started exactly as the package starts it).
sys_payload() {
    local lib=$SYS_ROOT/usr/local/lib/rentark-test f
    install -d -m 0755 "$lib"
    install -m 0755 "$RK_SRC/tests/system/probe.sh" "$lib/probe.sh"
    for f in browse.py canary-server.py canary-search.py; do
        install -m 0755 "$RK_SRC/tests/helpers/$f" "$lib/$f"
    done
    install -D -m 0644 /dev/stdin "$SYS_ROOT/etc/xdg/autostart/zz-rentark-test-probe.desktop" <<'XEOF'
[Desktop Entry]
Type=Application
Name=rentark system test: the patron
Exec=/usr/local/lib/rentark-test/probe.sh
NoDisplay=true
XEOF
    printf '#!/bin/sh\nexec /usr/bin/rentark-session --debug-dump "$XDG_RUNTIME_DIR/rk-dump" "$@"\n' >"$lib/session.sh"
    chmod 0755 "$lib/session.sh"
    sed -i 's|^Exec=/usr/bin/rentark-session$|Exec=/usr/local/lib/rentark-test/session.sh|' \
        "$SYS_ROOT/etc/xdg/autostart/rentark-session.desktop"
}

# sys_apt_install DEB...: apt-get install of local .debs in the kiosk's root (booted or not);
# the dependencies come from the archive. Output in $SYS_DIR/logs/apt.log. (Not in /tmp:
# systemd-nspawn mounts a fresh tmpfs there.)
sys_apt_install() {
    local d names=()
    mkdir -p "$SYS_ROOT/var/cache/rentark-test"
    for d in "$@"; do
        names+=("/var/cache/rentark-test/$(basename "$d")")
        cp "$d" "$SYS_ROOT/var/cache/rentark-test/"
    done
    # Not booted: the archive is reachable (the host's network). Booted: the kiosk has no
    # network, and the package lists of the first install are there (an upgrade to a .deb
    # whose dependencies are installed needs nothing from the archive).
    local run=(systemd-nspawn -q --register=no --keep-unit -M rentark-kiosk-apt -D "$SYS_ROOT" --pipe)
    [ -n "$SYS_LEADER" ] && run=(sys)
    {
        { [ -n "$SYS_LEADER" ] || "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q; } &&
        "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            -o Dpkg::Options::=--force-confold "${names[@]}"
    } >>"$SYS_DIR/logs/apt.log" 2>&1
}

sys_boot() {
    SYS_BOOTS=$((SYS_BOOTS + 1))
    local log=$SYS_DIR/logs/console-$SYS_BOOTS.log i
    # --system-call-filter=@keyring: systemd-nspawn refuses keyctl() by default (the kernel's
    # keys are not per container), and rentarkd, rightly, keeps a seat BLOCKED when it cannot
    # remove the guest's keys. A real kiosk has no such filter.
    setsid systemd-nspawn --boot --register=no --keep-unit --private-network \
        --system-call-filter=@keyring -D "$SYS_ROOT" -M rentark-kiosk --console=read-only >"$log" 2>&1 </dev/null &
    SYS_NSPAWN_PID=$!
    SYS_LEADER=
    for i in $(seq 100); do
        SYS_LEADER=$(ps -o pid= --ppid "$SYS_NSPAWN_PID" 2>/dev/null | head -1 | tr -d ' ')
        [ -n "$SYS_LEADER" ] && [ "$(cat /proc/"$SYS_LEADER"/comm 2>/dev/null)" = systemd ] && return 0
        sleep 0.1
    done
    t_diag "the kiosk did not start; $log:"
    tail -20 "$log" | sed 's/^/#   /'
    return 1
}

sys() {
    nsenter -t "$SYS_LEADER" -m -u -i -n -p -r -w \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= "$@"
}

sys_x() {
    local xa=$SYS_DIR/xauth
    cat "/proc/$SYS_LEADER/root/run/lightdm/root/:0" >"$xa" 2>/dev/null || return 1
    nsenter -t "$SYS_LEADER" -n -u env DISPLAY=:0 XAUTHORITY="$xa" "$@"
}

sys_journal() { sys journalctl --no-pager -q "$@"; }

sys_wait() {
    local timeout=$1 desc=$2 end
    shift 2
    end=$(($(date +%s) + timeout))
    while ! "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$end" ]; then
            t_diag "timed out after ${timeout}s waiting for: $desc"
            return 1
        fi
        sleep 0.5
    done
}

sys_wait_running() {
    local st
    sys_wait 120 "systemd to finish booting" sys systemctl is-system-running --wait || true
    st=$(sys systemctl is-system-running 2>/dev/null)
    case $st in
        running) return 0 ;;
        degraded) t_diag "booted degraded; failed units: $(sys systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"; return 0 ;;
        *) t_diag "system state: ${st:-unknown}"; return 1 ;;
    esac
}

sys_kill() {
    [ -n "$SYS_NSPAWN_PID" ] || return 0
    # A power cut: every process of the kiosk at once, no shutdown of any kind.
    if [ -n "$SYS_LEADER" ] && [ -d "/proc/$SYS_LEADER" ]; then
        local ns
        ns=$(readlink "/proc/$SYS_LEADER/ns/pid")
        kill -KILL "$SYS_LEADER" 2>/dev/null
    fi
    kill -KILL "$SYS_NSPAWN_PID" 2>/dev/null
    wait "$SYS_NSPAWN_PID" 2>/dev/null
    SYS_NSPAWN_PID= SYS_LEADER=
}

sys_poweroff() {
    [ -n "$SYS_NSPAWN_PID" ] || return 0
    sys systemctl poweroff >/dev/null 2>&1
    local i
    for i in $(seq 120); do
        kill -0 "$SYS_NSPAWN_PID" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$SYS_NSPAWN_PID" 2>/dev/null; then
        t_diag "the kiosk did not power off in 60 s"
        sys_kill
        return 1
    fi
    wait "$SYS_NSPAWN_PID" 2>/dev/null
    SYS_NSPAWN_PID= SYS_LEADER=
}
