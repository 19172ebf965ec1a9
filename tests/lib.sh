# Shared shell library for integration tests: TAP output, scratch file systems, test users.
#
# A test script sources this file, calls t_* helpers and ends with t_done. Everything a test
# creates (mounts, users, processes, temp dirs) is registered and removed by the EXIT trap, so
# tests can run again and again on one machine.
#
# Wipe tests delete for real: they must only ever point rentark at a scratch file system made
# with t_scratch_fs, so that a bug cannot reach the rest of the machine.

set -u
: "${RK_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${RK_BUILD:=$RK_SRC/build/san}"
RKD=$RK_BUILD/rentarkd
RKCTL=$RK_BUILD/rentarkctl
RKSESSION=$RK_BUILD/rentark-session

_t_n=0
_t_failed=0
_t_cleanups=()
T_TMP=$(mktemp -d /tmp/rentark-test.XXXXXX)
chmod 0755 "$T_TMP"

t_ok()   { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1"; }
t_fail() { _t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1)); echo "not ok $_t_n - $1${2:+: $2}"; }
t_skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1 # SKIP $2"; }
t_diag() { echo "# $*"; }
# t_diag_file FILE [LINES]: the last LINES (default 30) lines of FILE as diagnostics.
t_diag_file() { t_diag "--- last lines of ${1#"$T_TMP"/}:"; tail -n "${2:-30}" "$1" 2>&1 | sed 's/^/#   /'; }

# t_check DESC CMD...: ok when CMD succeeds. Returns 1 on a failure, so that a test can add what
# it knows: t_check ... || t_diag_file FILE.
t_check() {
    local d=$1; shift
    if "$@"; then t_ok "$d"; else t_fail "$d" "command failed: $*"; return 1; fi
}

# t_expect_fail DESC CMD...: ok when CMD fails.
t_expect_fail() {
    local d=$1; shift
    if "$@"; then t_fail "$d" "command unexpectedly succeeded: $*"; return 1; else t_ok "$d"; fi
}

t_cleanup() { _t_cleanups+=("$*"); }

_t_exit() {
    local i
    for ((i = ${#_t_cleanups[@]} - 1; i >= 0; i--)); do
        eval "${_t_cleanups[$i]}" >/dev/null 2>&1 || true
    done
    umount -R "$T_TMP" 2>/dev/null
    rm -rf --one-file-system "$T_TMP" 2>/dev/null
}
trap _t_exit EXIT

t_done() {
    echo "1..$_t_n"
    [ $_t_failed -eq 0 ]
}

t_is_root() { [ "$(id -u)" -eq 0 ]; }

# t_require_root: skip the whole file (one skip line with the reason) when not root.
t_require_root() {
    if ! t_is_root; then
        t_skip "${1:-all tests in $(basename "$0")}" "needs root (wipe tests delete for real on a scratch file system)"
        t_done
        exit 0
    fi
}

# t_scratch_fs DIR [SIZE] [TYPE]: mount a fresh file system on DIR (created): tmpfs by default,
# or an ext4 image on a loop device with TYPE=ext4. Unmounted at exit.
t_scratch_fs() {
    local dir=$1 size=${2:-256M} type=${3:-tmpfs}
    mkdir -p "$dir"
    if [ "$type" = ext4 ]; then
        local img="$T_TMP/$(basename "$dir").img"
        truncate -s "$size" "$img"
        mkfs.ext4 -q -F -O ^has_journal "$img" || return 1
        mount -o loop "$img" "$dir" || return 1
    else
        mount -t tmpfs -o "size=$size,mode=0755" tmpfs "$dir" || return 1
    fi
    t_cleanup "umount -l '$dir'"
}

# t_user NAME [USERADD-OPTIONS...]: create a real user with useradd (removed at exit); prints
# nothing. Never with subordinate uid/gid ranges: where /etc/subuid exists (uidmap installed,
# as podman, rootless docker and mmdebstrap bring it) useradd would hand out ranges from
# /etc/login.defs, and rentarkd rightly refuses such a guest.
# A uid the kernel holds no keys for: a user's keyrings outlive the account until reboot, and a
# guest of an earlier test may have locked its keyring (keyctl setperm @u 0), which no one can
# undo; a new account on that uid would start with the old keys.
t_free_uid() {
    local u
    for _ in $(seq 1 200); do
        u=$((20000 + RANDOM % 30000))
        getent passwd "$u" >/dev/null || getent group "$u" >/dev/null && continue
        grep -q "^ *$u:" /proc/key-users 2>/dev/null && continue
        echo "$u"; return 0
    done
    return 1
}
t_useradd() {
    local u
    case " $* " in *" -u "*|*" -o "*) useradd -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$@"; return ;; esac
    u=$(t_free_uid) || return 1
    useradd -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -u "$u" "$@"
}
t_user() {
    local name=$1; shift
    userdel -f "$name" >/dev/null 2>&1
    t_useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$@" "$name" || return 1
    t_cleanup "pkill -KILL -u '$name'; userdel -f '$name'"
}

# t_unique_name PREFIX: a user name that stays under 32 characters and is unique per run.
t_unique_name() { echo "${1}$$" | cut -c1-30; }

# t_tree_digest DIR: one line per entry with type, mode, owner, size and content hash, sorted;
# used to show that a tree is byte-identical before and after.
t_tree_digest() {
    (cd "$1" && find . -xdev -printf '%y %m %u:%g %s %p -> %l\n' | LC_ALL=C sort &&
        find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}
