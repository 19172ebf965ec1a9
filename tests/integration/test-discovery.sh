#!/usr/bin/env bash
# Discovery, without a list: inside the hermetic world, the guest itself finds every folder it
# may write to on every local writable file system (find -writable, run as the guest, on each
# mount of /proc/self/mountinfo but proc, sysfs, cgroup, devpts and FUSE), and leaves a marker
# file in each; plus one object of every IPC and key type the kernel offers (SysV shm, msg, sem,
# a POSIX message queue, keys in @u, @us and the persistent keyring). Then one real wipe, and
# root searches every local writable file system for the markers, by name and by the guest's
# uid and group, and asks the kernel for each IPC and key type. Every marker must be gone. So a
# package that brings a new world-writable folder (a spool, a drop folder) is caught here, not
# by a guest.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/world.sh"
t_require_root "all tests in $(basename "$0") (a hermetic world, real users, the real daemon)"
world_enter "$@"
PY=/usr/bin/python3
M=$WORLD_CANARY-mark
OUT=$T_TMP/out
mkdir -p "$OUT"

if ! world_wipe; then
    t_fail "the first wipe makes the guest's home from the skeleton" "$(tail -3 "$T_TMP/wipe.log" | tr '\n' ' ')"
    t_done; exit 1
fi
world_login

# --- the guest looks for every folder it may write to -----------------------------------------
world_local_mounts >"$OUT/mounts"
t_diag "local writable file systems in the world: $(tr '\n' ' ' <"$OUT/mounts")"
: >"$OUT/places"
while IFS= read -r m; do
    as_guest find "$m" -xdev -type d -writable -print0 2>/dev/null >>"$OUT/places"
done <"$OUT/mounts"
# A mount point shows up twice: as a folder of the file system above it and as the root of its own.
sort -zu -o "$OUT/places" "$OUT/places"
# Plant: a marker in each, named and filled with the canary; a queue on the mqueue fs takes no
# write, an empty marker is enough there.
PLANT='
import os, sys
mark = sys.argv[1]
places = [p for p in open(sys.argv[2], "rb").read().split(b"\0") if p]
ok = 0
for i, d in enumerate(places):
    p = os.path.join(d, ("%s-%d" % (mark, i)).encode())
    try:
        fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except OSError as e:
        print("cannot plant in", d.decode(errors="replace"), e.strerror, file=sys.stderr)
        continue
    try:
        os.write(fd, mark.encode())
    except OSError:
        pass
    os.close(fd)
    ok += 1
    sys.stdout.buffer.write(d + b"\0")
print(ok, file=sys.stderr)'
as_guest $PY -c "$PLANT" "$M" "$OUT/places" >"$OUT/planted" 2>"$OUT/plant.err"
planted=$(tail -1 "$OUT/plant.err")
in_home=$(tr '\0' '\n' <"$OUT/planted" | grep -c -e "^$HOME_DIR\$" -e "^$HOME_DIR/")
outside=$(tr '\0' '\n' <"$OUT/planted" | grep -v -e "^$HOME_DIR\$" -e "^$HOME_DIR/")
t_diag "the guest planted $planted markers: $in_home in its home, $(echo "$outside" | grep -c .) in shared places:"
echo "$outside" | sed 's/^/#   /'
missing=
for want in /tmp /var/tmp /dev/shm /run/lock /dev/mqueue "/run/user/$GUID" "$HOME_DIR"; do
    tr '\0' '\n' <"$OUT/planted" | grep -qx -- "$want" || missing="$missing $want"
done
if [ -z "$missing" ]; then
    t_ok "the guest found and planted in at least /tmp, /var/tmp, /dev/shm, /run/lock, /dev/mqueue, /run/user/UID and its home ($planted places)"
else
    t_fail "the guest found and planted in at least /tmp, /var/tmp, /dev/shm, /run/lock, /dev/mqueue, /run/user/UID and its home" "not found:$missing"
fi

# --- one object of every IPC and key type -----------------------------------------------------
as_guest ipcmk -M 4096 | awk '{ print $NF }' >"$OUT/shm"
as_guest ipcmk -Q | awk '{ print $NF }' >"$OUT/msg"
as_guest ipcmk -S 1 | awk '{ print $NF }' >"$OUT/sem"
as_guest $PY -c '
import ctypes, os, sys
rt = ctypes.CDLL("librt.so.1", use_errno=True)
q = rt.mq_open(sys.argv[1].encode(), os.O_CREAT | os.O_RDWR, 0o600, None)
sys.exit(0 if q >= 0 else 1)' "/$M-mq" && echo ok >"$OUT/mq"
as_guest keyctl add user "$M-u" "$M" @u >"$OUT/keyu" 2>/dev/null
as_guest keyctl add user "$M-us" "$M" @us >"$OUT/keyus" 2>/dev/null
as_guest keyctl session - sh -c 'p=$(keyctl get_persistent @s) && keyctl add user "$1" "$1" "$p"' sh "$M-pk" 2>/dev/null | tail -1 >"$OUT/keypk"
for k in shm msg sem mq keyu keyus keypk; do [ -s "$OUT/$k" ] || t_diag "could not make a $k object as the guest"; done

# --- one wipe ---------------------------------------------------------------------------------
world_wipe; rc=$?
world_keep "the discovery wipe (exit $rc)" "$T_TMP/wipe.log"
if [ $rc -eq 0 ]; then
    t_ok "rentarkd --wipe-once exits 0: the wipe is verified"
else
    t_fail "rentarkd --wipe-once exits 0: the wipe is verified" "exit $rc: $(tail -3 "$T_TMP/wipe.log" | tr '\n' ' ' | sed "s/$WORLD_CANARY/CANARY/g")"
fi

# --- root searches every local writable file system --------------------------------------------
: >"$OUT/left"
while IFS= read -r m; do
    find "$m" -xdev \( -name "$M-*" -o -uid "$GUID" -o -gid "$GGID" \) -print0 2>/dev/null >>"$OUT/left"
done <"$OUT/mounts"
# Each shared place: its marker gone.
while IFS= read -r -d '' d; do
    case $d in "$HOME_DIR"|"$HOME_DIR"/*) continue ;; esac
    if [ -z "$(find "$d" -maxdepth 1 -name "$M-*" -print -quit 2>/dev/null)" ]; then
        t_ok "the marker in $d is gone"
    else
        t_fail "the marker in $d is gone" "still there"
    fi
done <"$OUT/planted"
n=$(tr '\0' '\n' <"$OUT/left" | grep -c -- "$M-" || true)
t_check "no marker is left anywhere, the home included ($n of $planted)" test "$n" -eq 0
left=$(tr '\0' '\n' <"$OUT/left" | grep -v -e "^$HOME_DIR\$" -e "^$HOME_DIR/")
if [ -z "$left" ]; then
    t_ok "nothing of the guest's uid or group on any local writable file system outside its fresh home"
else
    t_fail "nothing of the guest's uid or group on any local writable file system outside its fresh home" "$(echo "$left" | wc -l) entries"
    echo "$left" | head -10 | sed "s/$WORLD_CANARY/CANARY/g; s/^/#   /"
fi

# --- and asks the kernel ----------------------------------------------------------------------
row() { awk -v id="$2" 'NR > 1 && $2 == id' "/proc/sysvipc/$1"; }
for k in shm msg sem; do
    if [ ! -s "$OUT/$k" ]; then t_skip "SysV $k of the guest is gone" "the guest could not make one"; continue; fi
    t_check "SysV $k of the guest is gone" test -z "$(row "$k" "$(cat "$OUT/$k")")"
done
if [ -s "$OUT/mq" ]; then
    t_check "the guest's POSIX message queue is gone" test ! -e "/dev/mqueue/$M-mq"
else
    t_skip "the guest's POSIX message queue is gone" "mq_open failed for the guest"
fi
key_gone() {
    local i r
    for i in $(seq 1 40); do
        r=$(as_guest keyctl rdescribe "$1" 2>&1)
        case $r in *"Required key not available"*|*"Key has been revoked"*) return 0 ;; esac
        sleep 0.05
    done
    return 1
}
# rentarkd keeps the guest's @u and @us locked down (view and read only: a patron cannot lock
# them against the wipe), so a key cannot be put there; that refusal is checked instead.
keyring_locked() { # DESCRIPTION: the guest sees its keyring with mask 03030000
    as_guest awk -v d="$1:" '$9 == d && $5 == "03030000" { f = 1 } END { exit !f }' /proc/keys
}
for k in "keyu:@u:_uid.$GUID" "keyus:@us:_uid_ses.$GUID" "keypk:the persistent keyring:"; do
    f=${k%%:*} rest=${k#*:} what=${rest%%:*} desc=${rest#*:}
    if [ ! -s "$OUT/$f" ] && [ -n "$desc" ]; then
        t_check "the guest could not put a key in $what: it is locked down (view and read only)" keyring_locked "$desc"
        continue
    fi
    if [ ! -s "$OUT/$f" ]; then t_fail "the guest's key in $what is gone" "the guest could not add one"; continue; fi
    t_check "the guest's key in $what is gone" key_gone "$(cat "$OUT/$f")"
done
t_check "the wipe's log names no marker" eval '! grep -qF "$WORLD_CANARY" "$T_TMP/wipe.log" "$T_TMP/wipe.out"'
t_done
