# A hermetic copy of the whole machine for wipe tests that reach every local file system.
#
# A test that runs the real `rentarkd --wipe-once` without wipe.census_mounts lets it sweep and
# search every local writable file system it sees. Such a test runs inside a "world": new mount,
# PID, IPC, UTS and network namespaces whose root is an overlay of the live / (lower, never
# written: overlayfs only writes its upper layer) on a scratch tmpfs, with fresh proc, a fresh
# /dev (a tmpfs with the usual device nodes, /dev/shm, a new mqueue fs of the new IPC namespace,
# a new devpts instance), sysfs read-only, and fresh tmpfs on /run (the real /run's folder
# skeleton: folders and symlinks with their modes and owners, no files) and on /tmp (1777).
# /var/tmp, /home, /var/spool and the rest are the overlay: what the guest or the daemon
# writes, renames or deletes there lands in the scratch tmpfs (a deletion of a lower file is a
# whiteout in the upper layer). The world's root is made with pivot_root and the old root is
# detached, so nothing in the world can reach the real file systems but through the overlay.
# The world ends with its PID namespace: every process in it is killed, every mount (FUSE too)
# and IPC object goes with it.
#
# What the namespaces cannot hold: users and kernel keys. The test's users are made with
# useradd BEFORE the world is entered (the overlay's lower layer is the live /, so the world
# sees them) and removed with userdel after it ends; their kernel keyrings (not namespaced) are
# emptied then too. Root's keys in the tests live in a session keyring of a root process of the
# world, never in the real root's user keyring.
#
# The overlay is mounted with xino=on, so that every object on it reports the overlay's st_dev
# as on an ordinary single file system (without it, a file reports its layer's device and a
# directory the overlay's). WORLD_OVERLAY_OPTS="" gives the plain overlay.
#
# Usage, at the top of a test (after tests/lib.sh):
#     . "$RK_SRC/tests/helpers/world.sh"
#     t_require_root "..."
#     world_enter "$@"      # outside: makes the users, runs this very script inside a world,
#                           # removes the users, exits with its status. Inside: returns.
# Inside, set: GUEST GUID GGID HOME_DIR (the guest, a real user with a private group and
# /bin/sh), OTHER OUID OGID OTHER_HOME (a second throw-away user), SKEL, CONF (written by
# world_conf), WORLD_CANARY (a random word for file names and contents). Cron and atd run.
#
# Run the world's setup alone (a shell inside, for a look around):
#     bash tests/helpers/world.sh --shell

# ---------------------------------------------------------------------------------------------
# Inside the new namespaces, as PID 1: build the world and run the test as a child (PID 1
# reaps every orphan, so no zombie of the guest lingers for the daemon's process census).
_world_init() {
    set -eEu
    trap '_world_broken "$BASH_COMMAND"' ERR
    local W=$1; shift
    mount -t tmpfs -o "size=${WORLD_SIZE:-4G},mode=0700" rk-world "$W"
    mkdir "$W/upper" "$W/work" "$W/root"
    mount -t overlay -o "lowerdir=/,upperdir=$W/upper,workdir=$W/work${WORLD_OVERLAY_OPTS-,xino=on}" rk-world "$W/root"
    local R=$W/root
    mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
    # Kernel settings are the host's (only a few are per namespace): read-only in the world.
    local k
    for k in sys sysrq-trigger; do
        [ -e "$R/proc/$k" ] || continue
        mount --bind "$R/proc/$k" "$R/proc/$k"
        mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/$k"
    done
    # /dev: a tmpfs of its own (the host's devtmpfs is one shared instance: never mount it).
    mount -t tmpfs -o mode=0755,size=16M,nosuid,noexec rk-dev "$R/dev"
    local n
    for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0" "fuse 10 229"; do
        # shellcheck disable=SC2086
        _world_mknod "$R/dev" $n
    done
    mkdir "$R/dev/shm" "$R/dev/mqueue" "$R/dev/pts"
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm"
    mount -t mqueue -o nosuid,nodev,noexec mqueue "$R/dev/mqueue"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$R/dev/pts"
    ln -s pts/ptmx "$R/dev/ptmx"
    ln -s /proc/self/fd "$R/dev/fd"
    ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
    mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
    # /run: a tmpfs with the real /run's skeleton (folders and symlinks, modes and owners).
    mount -t tmpfs -o mode=0755,size=64M,nosuid,nodev rk-run "$R/run"
    local y m u g p
    while IFS=' ' read -r -d '' y m u g p; do
        if [ "$y" = d ]; then
            mkdir "$R/run/$p" && chown "$u:$g" "$R/run/$p" && chmod "$m" "$R/run/$p"
        else
            ln -s "$(readlink "/run/$p")" "$R/run/$p" && chown -h "$u:$g" "$R/run/$p"
        fi
    done < <(cd /run && find . -xdev -mindepth 1 \( -type d -o -type l \) -printf '%y %m %U %G %P\0' 2>/dev/null)
    [ -d "$R/run/lock" ] || { mkdir "$R/run/lock"; chmod 1777 "$R/run/lock"; }
    [ -d "$R/run/user" ] || mkdir -m 0755 "$R/run/user"
    # /tmp: fresh (the real one changes under a running test, and an overlay's lower layer must
    # not); /var/tmp stays on the overlay, as the disk folder it is on Debian.
    mount -t tmpfs -o mode=1777,nosuid,nodev rk-tmp "$R/tmp"
    # A clone or a build below /tmp (CI may put one there) stays visible inside, read-only (the
    # census skips read-only mounts; the test writes its logs through WORLD_KEEP_FD).
    local d
    for d in "$RK_SRC" "$RK_BUILD"; do
        case $d in /tmp/*) ;; *) continue ;; esac
        mountpoint -q "$R$d" 2>/dev/null && continue
        mkdir -p "$R$d"
        mount --bind "$d" "$R$d"
        mount -o remount,bind,ro "$R$d"
    done
    cd "$R"
    pivot_root . .
    umount -l .
    cd /
    hostname rk-world 2>/dev/null || true
    ip link set lo up 2>/dev/null || true
    trap - ERR
    set +eE
    "$@"
    exit $?
}

# _world_broken COMMAND: a step of the world's making failed: say so as TAP (the test never ran).
_world_broken() {
    echo "not ok 1 - the hermetic world is made: \"$1\" failed"
    echo "1..1"
    exit 1
}

_world_mknod() { # DIR NAME MAJOR MINOR
    mknod -m 0666 "$1/$2" c "$3" "$4"
}

# world_unavailable: prints why a world cannot be made here (and succeeds), or fails.
world_unavailable() {
    local t
    for t in unshare pivot_root setpriv useradd userdel keyctl mount umount; do
        command -v "$t" >/dev/null || { echo "$t is not installed"; return 0; }
    done
    for t in overlay mqueue tmpfs devpts; do
        grep -qw "$t" /proc/filesystems || { echo "the kernel has no $t file system"; return 0; }
    done
    [ -r /proc/keys ] || { echo "the kernel has no key management (CONFIG_KEYS)"; return 0; }
    unshare --mount --ipc --pid --uts --net --fork --kill-child --propagation private true 2>/dev/null ||
        { echo "cannot make mount, PID, IPC, UTS and network namespaces here"; return 0; }
    return 1
}

# world_user NAME: a throw-away user as the tests need it: no home made (the world makes it),
# a private group, /bin/sh, home /home/NAME, no subordinate ids. Removed at exit with its
# kernel keys. Its uid is one the kernel has never seen keys of since boot (no line in
# /proc/key-users): a uid's user keyrings outlive its users, and a guest can make them
# unclearable (keyctl setperm @u 0: not even root may clear, unlink or invalidate then), so an
# earlier user of the same uid could have left keys that no wipe can remove.
world_user() {
    local name=$1 uid i try
    _world_user_gone "$name"
    # A few tries: another test's useradd or userdel may hold the lock of /etc/passwd a moment.
    for try in 1 2 3 4 5; do
        for i in $(seq 1 200); do
            uid=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
            getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null ||
                grep -q "^ *$uid:" /proc/key-users || break
            uid=
        done
        [ -n "$uid" ] || return 1
        if useradd -M -U -u "$uid" -s /bin/sh -d "/home/$name" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$name"; then
            t_cleanup "_world_user_gone '$name'"
            return 0
        fi
        sleep 0.$((RANDOM % 5 + 1))
    done
    return 1
}

# _world_user_gone NAME: empty the user's kernel keyrings (the kernel keeps them after the
# world and after userdel), then remove the user and its group.
_world_user_gone() {
    local name=$1 uid gid
    uid=$(id -u "$name" 2>/dev/null) || { groupdel "$name" >/dev/null 2>&1; return 0; }
    gid=$(id -g "$name")
    _world_keys_gone "$uid" "$gid"
    pkill -KILL -U "$uid" >/dev/null 2>&1
    local try
    for try in 1 2 3 4 5; do   # the lock of /etc/passwd may be another test's a moment
        userdel -f "$name" >/dev/null 2>&1
        groupdel "$name" >/dev/null 2>&1
        id -u "$name" >/dev/null 2>&1 || getent group "$name" >/dev/null || break
        sleep 0.$((RANDOM % 5 + 1))
    done
    return 0
}

# _world_keys_gone UID GID: as that uid, empty its user and user-session keyrings and remove
# its persistent keyring (when it has one: asking for it would make one), in a session keyring
# of its own, which possesses them (the persistent keyring's user may only view and read).
_world_keys_gone() {
    setpriv --reuid="$1" --regid="$2" --clear-groups keyctl session - sh -c '
        keyctl clear @u; keyctl clear @us
        if grep -q " _persistent\.$(id -u): " /proc/keys; then
            p=$(keyctl get_persistent @s) && { keyctl clear "$p"; keyctl invalidate "$p"; }
        fi' >/dev/null 2>&1
}

# world_enter "$@": see the top of this file.
world_enter() {
    if [ -n "${RK_WORLD_INSIDE:-}" ]; then
        _world_inside
        return 0
    fi
    local why
    if why=$(world_unavailable); then
        t_skip "all tests in $(basename "$0")" "no hermetic world here: $why"
        t_done; exit 0
    fi
    if [ ! -x "$RKD" ] || [ ! -x "$RKCTL" ]; then
        t_skip "all tests in $(basename "$0")" "$RK_BUILD is not built"
        t_done; exit 0
    fi
    RK_BUILD=$(cd "$RK_BUILD" && pwd)
    # The one way out of the world: a write-only descriptor of a log file in the build's test
    # logs, for world_keep (closed for every command run as a test user).
    mkdir -p "$RK_BUILD/test-logs"
    exec {WORLD_KEEP_FD}>"$RK_BUILD/test-logs/$(basename "$0" .sh).world.log"
    WORLD_GUEST=$(t_unique_name rk-wg)
    WORLD_OTHER=$(t_unique_name rk-wo)
    world_user "$WORLD_GUEST" && world_user "$WORLD_OTHER" ||
        { t_fail "create the test's users" "useradd failed"; t_done; exit 1; }
    mkdir "$T_TMP/world"
    local rc=0
    RK_WORLD_INSIDE=1 WORLD_GUEST=$WORLD_GUEST WORLD_OTHER=$WORLD_OTHER RK_SRC=$RK_SRC RK_BUILD=$RK_BUILD \
        WORLD_KEEP_FD=$WORLD_KEEP_FD \
        unshare --mount --ipc --pid --uts --net --fork --kill-child --propagation private -- \
        bash "$RK_SRC/tests/helpers/world.sh" --init "$T_TMP/world" bash "$(readlink -f "$0")" "$@" || rc=$?
    exit $rc
}

# Inside the world, in the test's shell: variables, the programs, the services.
_world_inside() {
    GUEST=$WORLD_GUEST OTHER=$WORLD_OTHER
    GUID=$(id -u "$GUEST"); GGID=$(id -g "$GUEST")
    OUID=$(id -u "$OTHER"); OGID=$(id -g "$OTHER")
    HOME_DIR=/home/$GUEST OTHER_HOME=/home/$OTHER
    WORLD_CANARY=rkc$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    # A copy of the programs: a build running beside the test cannot change them mid-test.
    mkdir -p /usr/local/lib/rentark-world
    cp "$RKD" "$RKCTL" /usr/local/lib/rentark-world/
    RKD=/usr/local/lib/rentark-world/rentarkd RKCTL=/usr/local/lib/rentark-world/rentarkctl
    # Both users may use crontab and at (Debian's at.deny lists some names; cron.allow, where it
    # exists, lists who may). Only the world's copies of these files change.
    local f
    for f in /etc/cron.deny /etc/at.deny; do
        [ -f "$f" ] && sed -i "/^\\($GUEST\\|$OTHER\\)\$/d" "$f"
    done
    for f in /etc/cron.allow /etc/at.allow; do
        [ -f "$f" ] && printf '%s\n%s\n' "$GUEST" "$OTHER" >>"$f"
    done
    # The other user's home, with a file (the guest's home comes from the first wipe).
    mkdir -p "$OTHER_HOME" && chown "$OUID:$OGID" "$OTHER_HOME" && chmod 0755 "$OTHER_HOME"
    as_other sh -c "echo 'other user data' > '$OTHER_HOME/keep.txt'"
    # The daemon's folders, as on an installed kiosk.
    SKEL=/etc/rentark-world/skel
    mkdir -p "$SKEL/.config/autostart" "$SKEL/Documents" /etc/rentark-world/notice/nb \
        /etc/rentark-world/notice/nn /etc/rentark-world/notice/en /var/lib/rentark /run/rentark \
        /var/lib/systemd/linger /var/crash /var/lib/systemd/coredump /var/spool/cups \
        /var/lib/AccountsService/users /var/lib/AccountsService/icons /var/lib/lightdm-data \
        "/var/log/journal/$(cat /etc/machine-id 2>/dev/null || echo 0123456789abcdef0123456789abcdef)"
    chmod 0710 /var/spool/cups 2>/dev/null
    printf 'export LANG=nb_NO.UTF-8\n' >"$SKEL/.profile"
    chmod 0600 "$SKEL/.profile"
    ln -sf .profile "$SKEL/.bash_profile"
    CONF=/etc/rentark-world/rentark.conf
    world_conf "$CONF"
    world_services
}

# world_conf FILE [WIPE-KEYS]: the daemon's configuration in the world: real Debian paths,
# no wipe.census_mounts (every local writable file system); WIPE-KEYS are added to the wipe
# group as they are (e.g. 'strategy = "disk";').
world_conf() {
    cat >"$1" <<CONF
guest = { user = "$GUEST"; home = "$HOME_DIR"; skeleton = "$SKEL"; create = false; };
wipe = { trash_dir = "/home/.rentark-trash"; ${2:-} };
notice = { text_dir = "/etc/rentark-world/notice"; };
paths = { state_dir = "/var/lib/rentark"; socket = "/run/rentark/control.sock"; run_user_dir = "/run/user";
          cups_spool = "/var/spool/cups"; crash_dirs = [ "/var/crash", "/var/lib/systemd/coredump" ];
          journal_dir = "/var/log/journal"; metrics_file = "/var/lib/rentark/rentark.prom"; };
CONF
    chmod 0600 "$1"
}

# world_services: the real cron and atd of the world. atd starts at most one batch job an hour
# (-b 3600) whatever the load (-l 100): a first batch job of root runs at once, so that a batch
# job the test queues later stays queued for the test to see.
world_services() {
    WORLD_CRON= WORLD_ATD=
    if command -v cron >/dev/null && cron; then WORLD_CRON=1; fi
    if command -v atd >/dev/null && atd -l 100 -b 3600; then
        echo "touch /run/rk-world-atd-ready" | batch >/dev/null 2>&1
        local i
        for i in $(seq 1 100); do [ -e /run/rk-world-atd-ready ] && break; sleep 0.02; done
        [ -e /run/rk-world-atd-ready ] && WORLD_ATD=1
    fi
}

# as_guest / as_other CMD...: run CMD as that user, unprivileged (all ids, no supplementary
# groups; the kernel drops every capability with the uid change), from /, with the user's HOME,
# USER and LOGNAME.
as_user() { # UID GID HOME NAME CMD...
    local u=$1 g=$2 h=$3 n=$4; shift 4
    (
        [ -z "${WORLD_KEEP_FD:-}" ] || eval "exec $WORLD_KEEP_FD>&-"
        cd / && HOME=$h USER=$n LOGNAME=$n exec setpriv --reuid="$u" --regid="$g" --clear-groups -- "$@"
    )
}

# world_keep LABEL FILE: append FILE (a log of the wipe or the daemon: counts, never names) to
# $RK_BUILD/test-logs/TEST.world.log outside the world, which ends with the test.
world_keep() {
    [ -n "${WORLD_KEEP_FD:-}" ] && [ -f "$2" ] || return 0
    { echo "=== $1"; cat "$2"; } >&"$WORLD_KEEP_FD"
}
as_guest() { as_user "$GUID" "$GGID" "$HOME_DIR" "$GUEST" "$@"; }
as_other() { as_user "$OUID" "$OGID" "$OTHER_HOME" "$OTHER" "$@"; }

# world_login: what logind and the display manager make for a guest session: the runtime
# folder /run/user/UID (0700, the guest's).
world_login() {
    mkdir -p "/run/user/$GUID" && chown "$GUID:$GGID" "/run/user/$GUID" && chmod 0700 "/run/user/$GUID"
}

# world_wipe [ARGS...]: the real wipe; stdout in $T_TMP/wipe.out, the log in $T_TMP/wipe.log.
# A wipe that blocks (on a FUSE mount, say) is killed after WORLD_WIPE_TIMEOUT seconds (60):
# exit status 124 or 137.
world_wipe() {
    timeout -k 5 "${WORLD_WIPE_TIMEOUT:-60}" "$RKD" -c "$CONF" --wipe-once "$@" >"$T_TMP/wipe.out" 2>"$T_TMP/wipe.log"
}

# guest_procs: the number of live (not zombie) processes of the guest.
guest_procs() { ps -u "$GUID" -o stat= 2>/dev/null | grep -vc '^Z'; }

# world_owned_files: every object on the world's local, writable file systems owned by the
# guest's uid or group, outside the guest's home, one path a line (a name with a newline makes
# more than one line: count, never parse). The test's own view, not the daemon's.
world_owned_files() {
    local m
    while IFS= read -r m; do
        find "$m" -xdev \( -uid "$GUID" -o -gid "$GGID" \) \! -path "$HOME_DIR" \! -path "$HOME_DIR/*" -print 2>/dev/null
    done < <(world_local_mounts)
}

# world_local_mounts: the mount points of the world's local, writable file systems (as the
# daemon's census sees them: not proc, sysfs, cgroup, devpts, FUSE; read-only ones skipped).
world_local_mounts() {
    awk '{ for (i = 7; $i != "-"; i++); t = $(i + 1); split($6, o, ",");
           if (o[1] != "rw") next;
           if (t ~ /^(proc|sysfs|cgroup2?|devpts|securityfs|debugfs|tracefs|pstore|bpf|configfs|fusectl|binfmt_misc|hugetlbfs|autofs|efivarfs|fuse.*)$/) next;
           print $5 }' /proc/self/mountinfo | sed 's/\\040/ /g' | sort -u
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case ${1:-} in
        --init) shift; _world_init "$@" ;;
        --shell) # [CMD...]: a shell (or CMD) inside a world, with the world's functions
            . "$(dirname "$0")/../lib.sh"
            t_require_root
            world_enter "$@"
            shift
            echo "world: GUEST=$GUEST ($GUID) OTHER=$OTHER ($OUID) CONF=$CONF" >&2
            export GUEST GUID GGID HOME_DIR OTHER OUID OGID OTHER_HOME CONF RKD RKCTL
            if [ $# -gt 0 ]; then eval "$*"; else bash -i; fi
            ;;
        *) echo "usage: $0 --shell   (or source it from a test)" >&2; exit 2 ;;
    esac
fi
