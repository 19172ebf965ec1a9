#!/usr/bin/env bash
# Escapes: everything a guest can leave on the machine outside its home, with unprivileged
# means only (setpriv to the guest's ids; no help from root), and ONE `rentarkd --wipe-once`
# with the default census (every local writable file system, no wipe.census_mounts). Each case
# is one test line: nothing of the guest's object is left, and the matching objects of another
# throw-away user and of root, planted beside it, are unchanged. A few objects only a system
# service makes for the guest (logind's linger file, AccountsService, LightDM, CUPS, journald,
# systemd-coredump and apport) are planted by root as that service would, and the test's name
# says so. Then: the wipe is verified (exit 0), no process, mount, file, IPC object or key of
# the guest is left anywhere, and the wipe's log names none of the planted files or contents.
#
# Runs in the hermetic world of tests/helpers/world.sh: the whole machine as seen from inside
# is an overlay on a scratch tmpfs, so the daemon may sweep "every local file system" for real.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/world.sh"
t_require_root "all tests in $(basename "$0") (a hermetic world, real users, the real daemon)"
world_enter "$@"
PY=/usr/bin/python3
C=$WORLD_CANARY
OUT=$T_TMP/out   # root's records of what was planted (ids, pids): root-owned, never the guest's
mkdir -p "$OUT"

if ! world_wipe; then
    t_fail "the first wipe makes the guest's home from the skeleton" "$(tail -3 "$T_TMP/wipe.log" | tr '\n' ' ')"
    t_done; exit 1
fi
world_login
mkdir -p "/run/user/$OUID" && chown "$OUID:$OGID" "/run/user/$OUID" && chmod 0700 "/run/user/$OUID"

# --- the cases --------------------------------------------------------------------------------
# case ID DESCRIPTION: plant_ID plants the objects of the other user and root, then the guest's
# (may set SKIP_ID to a reason); gone_ID prints why the guest's object is still there and fails;
# kept_ID prints a fingerprint of the other user's and root's objects (same before and after).
CASES=()
case_() { CASES+=("$1"); eval "DESC_$1=\$2"; }

# fp PATH...: type, owner, group, mode, size, link target and content hash of each path.
fp() {
    local p
    for p in "$@"; do
        if [ -d "$p" ] && [ ! -L "$p" ]; then
            stat -c '%F %u %g %a' "$p"      # a folder's size and links change with its entries
        elif [ -L "$p" ] || [ -e "$p" ]; then
            stat -c '%F %u %g %a %s %h' "$p"
            if [ -L "$p" ]; then readlink "$p"; elif [ -f "$p" ]; then sha256sum <"$p"; fi
        else
            echo "MISSING $p"
        fi
    done
}
# absent PATH...: prints the first path that still exists and fails.
absent() {
    local p
    for p in "$@"; do
        if [ -L "$p" ] || [ -e "$p" ]; then echo "still there: ${p//$C/CANARY}"; return 1; fi
    done
}
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
pid_gone() { if alive "$1"; then echo "process $1 of the guest still runs"; return 1; fi; }
ipc_row() { # FILE ID: the row of one SysV object in /proc/sysvipc/FILE (id is column 2)
    awk -v id="$2" 'NR > 1 && $2 == id { print $1, $2, $3, $8, $9 }' "/proc/sysvipc/$1"
}
ipc_of_guest() { # FILE: ids of the guest's objects (owner or creator uid; columns differ per file)
    case $1 in
        shm) awk -v u="$GUID" 'NR > 1 && ($8 == u || $10 == u) { print $2 }' /proc/sysvipc/shm ;;
        msg) awk -v u="$GUID" 'NR > 1 && ($10 == u || $12 == u) { print $2 }' /proc/sysvipc/msg ;;
        sem) awk -v u="$GUID" 'NR > 1 && ($5 == u || $7 == u) { print $2 }' /proc/sysvipc/sem ;;
    esac
}
# key_state AS ID: "gone", "present" (readable), "hidden" (exists, no permission) or the error.
key_state() {
    local who=$1 id=$2 r
    r=$($who keyctl rdescribe "$id" 2>&1)
    case $r in
        *"Required key not available"*|*"Key has been revoked"*|*"Key has expired"*) echo gone ;;
        *"Permission denied"*) echo hidden ;;
        *";"*) echo present ;;
        *) echo "?$r" ;;
    esac
}
KEY_GC_WAIT=1   # checks before the wipe look once; after it, up to 2 s for the key collector
key_gone() { # ID
    local s i
    for i in $(seq 1 "$KEY_GC_WAIT"); do
        s=$(key_state as_guest "$1")
        [ "$s" = gone ] && return 0
        sleep 0.05
    done
    echo "the guest's key $1 is $s"
    return 1
}
ipp() { printf '\x01\x01\x00\x00\x00\x00\x00\x01\x02\x42\x00\x19job-originating-user-name\x00%b%s\x03' "\\x$(printf %02x ${#1})" "$1"; }

# Scheduled work -------------------------------------------------------------------------------
case_ cron "cron: a crontab entry (crontab -)"
plant_cron() {
    [ -n "$WORLD_CRON" ] || { SKIP_cron="cron is not installed or did not start"; return; }
    echo "17 3 * * * echo $C-other" | as_other crontab -
    echo "17 3 * * * echo $C-root" | crontab -
    echo "* * * * * echo $C-cron >/dev/null" | as_guest crontab -
    as_guest crontab -l 2>/dev/null | grep -q "$C-cron" || SKIP_cron="the guest's crontab did not take"
}
gone_cron() {
    absent "/var/spool/cron/crontabs/$GUEST" || return 1
    if as_guest crontab -l >/dev/null 2>&1; then echo "crontab -l still lists a crontab for the guest"; return 1; fi
}
kept_cron() { fp "/var/spool/cron/crontabs/$OTHER" /var/spool/cron/crontabs/root; }

at_plant() { # QUEUE-COMMAND WHEN: plants for other, root, guest; records job numbers
    local cmd=$1 n
    n=$(echo "echo $C-o" | as_other $cmd 2>&1 | awk '/^job/ { print $2 }'); echo "$n" >"$OUT/$cmd.other"
    n=$(echo "echo $C-r" | $cmd 2>&1 | awk '/^job/ { print $2 }'); echo "$n" >"$OUT/$cmd.root"
    n=$(echo "echo $C-g" | as_guest $cmd 2>&1 | awk '/^job/ { print $2 }'); echo "$n" >"$OUT/$cmd.guest"
    [ -n "$n" ] && as_guest atq | grep -q "^$n[[:space:]]"
}
at_kept() { # CMD: the other user's and root's jobs, as atq lists them, and their spool files
    as_other atq | awk -v n="$(cat "$OUT/$1.other")" '$1 == n'
    atq | awk -v n="$(cat "$OUT/$1.root")" '$1 == n'
    find /var/spool/cron/atjobs -type f \( -uid "$OUID" -o -uid 0 \) -printf '%u %m %s %f\n' | sort
}
at_gone() { # CMD
    local n; n=$(cat "$OUT/$1.guest")
    if as_guest atq | grep -q "^$n[[:space:]]"; then echo "atq still lists the guest's job $n"; return 1; fi
    if [ -n "$(find /var/spool/cron/atjobs /var/spool/cron/atspool -uid "$GUID" | head -1)" ]; then
        echo "a spool file of the guest is left in /var/spool/cron"; return 1
    fi
}
case_ at "at: a job for later (at now + 1 hour)"
plant_at() {
    [ -n "$WORLD_ATD" ] || { SKIP_at="atd is not installed or did not start"; return; }
    at_plant "at -M now + 1 hour" 2>/dev/null || SKIP_at="the guest's at job did not take"
}
gone_at() { at_gone "at -M now + 1 hour"; }
kept_at() { at_kept "at -M now + 1 hour"; }
case_ batch "batch: a job queued to run when the load allows (at -q b now, what batch does)"
plant_batch() {
    [ -n "$WORLD_ATD" ] || { SKIP_batch="atd is not installed or did not start"; return; }
    at_plant "at -M -q b now" 2>/dev/null || SKIP_batch="the guest's batch job did not take"
}
gone_batch() { at_gone "at -M -q b now"; }
kept_batch() { at_kept "at -M -q b now"; }

case_ linger "lingering: /var/lib/systemd/linger/USER (planted by root, as logind's enable-linger would)"
plant_linger() { touch "/var/lib/systemd/linger/$OTHER" /var/lib/systemd/linger/root "/var/lib/systemd/linger/$GUEST"; }
gone_linger() { absent "/var/lib/systemd/linger/$GUEST"; }
kept_linger() { fp "/var/lib/systemd/linger/$OTHER" /var/lib/systemd/linger/root; }

# IPC and keys ---------------------------------------------------------------------------------
sysv_plant() { # KIND(shm|msg|sem) IPCMK-ARGS...
    local kind=$1; shift
    as_other ipcmk "$@" | awk '{ print $NF }' >"$OUT/$kind.other"
    ipcmk "$@" | awk '{ print $NF }' >"$OUT/$kind.root"
    as_guest ipcmk "$@" | awk '{ print $NF }' >"$OUT/$kind.guest"
}
sysv_gone() { # KIND
    local ids; ids=$(ipc_of_guest "$1" | tr '\n' ' ')
    [ -z "$ids" ] || { echo "SysV $1 objects of the guest left: $ids"; return 1; }
}
sysv_kept() { ipc_row "$1" "$(cat "$OUT/$1.other")"; ipc_row "$1" "$(cat "$OUT/$1.root")"; }
case_ shm "SysV shared memory segment (ipcmk -M)"
plant_shm() { sysv_plant shm -M 65536 -p 0600; }
gone_shm() { sysv_gone shm; }
kept_shm() { sysv_kept shm; }
case_ msg "SysV message queue with mode 000 (ipcmk -Q -p 0)"
plant_msg() { sysv_plant msg -Q -p 0; }
gone_msg() { sysv_gone msg; }
kept_msg() { sysv_kept msg; }
case_ sem "SysV semaphore set (ipcmk -S 3)"
plant_sem() { sysv_plant sem -S 3 -p 0644; }
gone_sem() { sysv_gone sem; }
kept_sem() { sysv_kept sem; }

SHM_HOLDER='
import ctypes, sys, time, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
i = libc.shmget(0, 1 << 20, 0o1600)            # IPC_PRIVATE, IPC_CREAT | 0600
a = libc.shmat(i, None, 0)
ctypes.memmove(a, sys.argv[1].encode(), len(sys.argv[1]))
print(i, flush=True)
time.sleep(600)'
case_ shmatt "SysV segment still attached by a running process of the guest (killed by the wipe)"
plant_shmatt() {
    as_other $PY -c "$SHM_HOLDER" "$C-o" >"$OUT/shmatt.other" & echo $! >"$OUT/shmatt.opid"
    $PY -c "$SHM_HOLDER" "$C-r" >"$OUT/shmatt.root" & echo $! >"$OUT/shmatt.rpid"
    as_guest $PY -c "$SHM_HOLDER" "$C-g" >"$OUT/shmatt.guest" & echo $! >"$OUT/shmatt.gpid"
    local i; for i in $(seq 1 100); do [ -s "$OUT/shmatt.guest" ] && [ -s "$OUT/shmatt.other" ] && [ -s "$OUT/shmatt.root" ] && break; sleep 0.02; done
    [ -s "$OUT/shmatt.guest" ] || SKIP_shmatt="the guest's holder did not start"
}
gone_shmatt() {
    local id; id=$(cat "$OUT/shmatt.guest")
    [ -z "$(ipc_row shm "$id")" ] || { echo "segment $id is left"; return 1; }
    pid_gone "$(cat "$OUT/shmatt.gpid")"
}
kept_shmatt() {
    ipc_row shm "$(cat "$OUT/shmatt.other")"; ipc_row shm "$(cat "$OUT/shmatt.root")"
    alive "$(cat "$OUT/shmatt.opid")" && echo "other's holder runs"; alive "$(cat "$OUT/shmatt.rpid")" && echo "root's holder runs"
}

MQ_OPEN='
import ctypes, os, sys
rt = ctypes.CDLL("librt.so.1", use_errno=True)
q = rt.mq_open(sys.argv[1].encode(), os.O_CREAT | os.O_RDWR, 0o600, None)
if q < 0: sys.exit("mq_open: " + os.strerror(ctypes.get_errno()))
m = sys.argv[2].encode()
if rt.mq_send(q, m, len(m), 0) != 0: sys.exit("mq_send: " + os.strerror(ctypes.get_errno()))'
case_ mqueue "POSIX message queue with a message (mq_open)"
plant_mqueue() {
    as_other $PY -c "$MQ_OPEN" "/$C-mq-o" "$C-msg-o"
    $PY -c "$MQ_OPEN" "/$C-mq-r" "$C-msg-r"
    as_guest $PY -c "$MQ_OPEN" "/$C-mq-g" "$C-msg-g" || SKIP_mqueue="mq_open failed for the guest"
}
gone_mqueue() { absent "/dev/mqueue/$C-mq-g"; }
kept_mqueue() { fp "/dev/mqueue/$C-mq-o" "/dev/mqueue/$C-mq-r"; }
case_ mqfile "a queue made as a file in /dev/mqueue (open O_CREAT on the mqueue fs)"
plant_mqfile() { as_other touch "/dev/mqueue/$C-f-o"; touch "/dev/mqueue/$C-f-r"; as_guest touch "/dev/mqueue/$C-f-g"; }
gone_mqfile() { absent "/dev/mqueue/$C-f-g"; }
kept_mqfile() { fp "/dev/mqueue/$C-f-o" "/dev/mqueue/$C-f-r"; }

# Root's keys live in a session keyring of a root process of the world (never the real root's
# user keyring); the user of a key is its owner uid, so root may read them with user rights.
ROOT_KEYS_HOLDER='id=$(keyctl add user "$1" "$2" @s) && keyctl setperm "$id" 0x3f3f0000 && echo "$id" && exec sleep 600'
root_key() { # DESC VALUE: a key of root, its id on stdout
    local f=$OUT/rootkey.$RANDOM
    keyctl session "$C-root-$RANDOM" sh -c "$ROOT_KEYS_HOLDER" sh "$1" "$2" >"$f" 2>/dev/null &
    local i; for i in $(seq 1 100); do [ -s "$f" ] && break; sleep 0.02; done
    cat "$f"
}
keys_kept() { # CASE: the other user's key (read as the other user) and root's (read by root)
    echo "other: $(as_other keyctl print "$(cat "$OUT/$1.okey")" 2>&1)"
    echo "root: $(keyctl print "$(cat "$OUT/$1.rkey")" 2>&1)"
}
# The wipe leaves the guest's @u and @us locked: view and read only (0x03030000, see keylock
# below). A locked keyring is found by number only (the look-up by special id searches): its
# number is read from /proc/keys as the user sees it.
ring_id() { # AS UID NAME(_uid|_uid_ses): that keyring's number, as that user sees it
    local hex
    hex=$($1 cat /proc/keys | awk -v d="$3.$2:" '$8 == "keyring" && $9 == d && substr($2, 2, 1) != "R" && $2 !~ /i/ { print $1; exit }')
    [ -n "$hex" ] && printf '%d\n' "0x$hex"
}
perm_of() { $1 keyctl rdescribe "$2" 2>/dev/null | cut -d';' -f4; }
# user_ring_add CASE RING(@u|@us) NAME: the guest tries to add a key to its locked keyring, by
# special id and by number; the ids of keys that got in (none, if the lock holds) are recorded.
user_ring_add() {
    local id n
    n=$(ring_id as_guest "$GUID" "$3")
    : >"$OUT/$1.gkey"
    for id in "$2" $n; do
        as_guest keyctl add user "$C-$1" "$C-secret-$1" "$id" >>"$OUT/$1.gkey" 2>/dev/null
    done
}
keys_in_gone() { # CASE: every key recorded in CASE.gkey is gone
    local id
    for id in $(cat "$OUT/$1.gkey"); do key_gone "$id" || return 1; done
}
# A holder of a session keyring of its own (killed by the wipe): keyctl session - runs SCRIPT
# with ARGS, which prints an id and then sleeps.
session_holder() { # AS OUTFILE SCRIPT ARGS...
    local as=$1 f=$2 script=$3; shift 3
    $as keyctl session - sh -c "$script; exec sleep 600" sh "$@" >"$f" 2>/dev/null &
    local i; for i in $(seq 1 100); do [ -s "$f" ] && break; sleep 0.02; done
}
case_ keyu "kernel key in the user keyring @u (keyctl add, by special id and by number: refused, @u is locked)"
plant_keyu() {
    as_other keyctl add user "$C-o" "$C-secret-o" @u >"$OUT/keyu.okey"
    root_key "$C-r" "$C-secret-r" >"$OUT/keyu.rkey"
    user_ring_add keyu @u _uid
}
gone_keyu() { keys_in_gone keyu; }
kept_keyu() { keys_kept keyu; }
case_ keyus "kernel key in the user-session keyring @us (keyctl add, by special id and by number: refused, @us is locked)"
plant_keyus() {
    as_other keyctl add user "$C-os" "$C-secret-os" @us >"$OUT/keyus.okey"
    root_key "$C-rs" "$C-secret-rs" >"$OUT/keyus.rkey"
    user_ring_add keyus @us _uid_ses
}
gone_keyus() { keys_in_gone keyus; }
kept_keyus() { keys_kept keyus; }
case_ keyperm "kernel key with every permission stripped (keyctl setperm ID 0) in a session keyring held by a running process"
STRIP='id=$(keyctl add user "$1" "$2" @s) && keyctl setperm "$id" 0 && echo "$id"'
plant_keyperm() {
    local id
    id=$(as_other keyctl add user "$C-op" "$C-secret-op" @u) && as_other keyctl setperm "$id" 0 && echo "$id" >"$OUT/keyperm.okey"
    root_key "$C-rp" "$C-secret-rp" >"$OUT/keyperm.rkey"
    session_holder as_guest "$OUT/keyperm.gkey" "$STRIP" "$C-p" "$C-secret-p"
    [ -s "$OUT/keyperm.gkey" ] || SKIP_keyperm="keyctl setperm failed for the guest"
}
gone_keyperm() { key_gone "$(cat "$OUT/keyperm.gkey")"; }
kept_keyperm() {
    echo "other: $(key_state as_other "$(cat "$OUT/keyperm.okey")")"   # hidden while it exists
    echo "root: $(keyctl print "$(cat "$OUT/keyperm.rkey")" 2>&1)"
}
case_ keyring "a keyring nested in the guest's persistent keyring holding a key, the ring possessor-only"
NEST='p=$(keyctl get_persistent @s) && r=$(keyctl newring "$1" "$p") && k=$(keyctl add user "$2" "$3" "$r") && keyctl setperm "$r" 0x3f000000 && echo "$r $k"'
plant_keyring() {
    local r
    if ! grep -q . /proc/sys/kernel/keys/persistent_keyring_expiry 2>/dev/null; then
        SKIP_keyring="the kernel has no persistent keyrings (CONFIG_PERSISTENT_KEYRINGS)"; return
    fi
    r=$(as_other keyctl newring "$C-oring" @u) && as_other keyctl add user "$C-on" "$C-secret-on" "$r" >"$OUT/keyring.okey"
    root_key "$C-rn" "$C-secret-rn" >"$OUT/keyring.rkey"
    as_guest keyctl session - sh -c "$NEST" sh "$C-ring" "$C-n" "$C-secret-n" 2>/dev/null | tail -1 >"$OUT/keyring.g"
    read -r r k <"$OUT/keyring.g" && [ -n "$k" ] && echo "$r" >"$OUT/keyring.gring" && echo "$k" >"$OUT/keyring.gkey" ||
        SKIP_keyring="the guest's nested keyring failed"
}
gone_keyring() { key_gone "$(cat "$OUT/keyring.gring")" && key_gone "$(cat "$OUT/keyring.gkey")"; }
kept_keyring() { keys_kept keyring; }
case_ keypers "kernel key in the guest's persistent keyring (keyctl get_persistent)"
PERSIST_ADD='p=$(keyctl get_persistent @s) && keyctl add user "$1" "$2" "$p"'
plant_keypers() {
    if ! grep -q . /proc/sys/kernel/keys/persistent_keyring_expiry 2>/dev/null; then
        SKIP_keypers="the kernel has no persistent keyrings (CONFIG_PERSISTENT_KEYRINGS)"; return
    fi
    as_other keyctl session - sh -c "$PERSIST_ADD" sh "$C-opk" "$C-secret-opk" 2>/dev/null | tail -1 >"$OUT/keypers.okey"
    root_key "$C-rpk" "$C-secret-rpk" >"$OUT/keypers.rkey"
    as_guest keyctl session - sh -c "$PERSIST_ADD" sh "$C-pk" "$C-secret-pk" 2>/dev/null | tail -1 >"$OUT/keypers.gkey"
    [ -s "$OUT/keypers.gkey" ] || SKIP_keypers="the guest's persistent keyring failed"
}
gone_keypers() { key_gone "$(cat "$OUT/keypers.gkey")"; }
kept_keypers() {
    echo "other: $(as_other keyctl session - sh -c 'keyctl get_persistent @s >/dev/null; keyctl print "$1"' sh "$(cat "$OUT/keypers.okey")" 2>&1 | tail -1)"
    echo "root: $(keyctl print "$(cat "$OUT/keypers.rkey")" 2>&1)"
}

# A guest that may change the permissions of its own user or user-session keyring can lock it
# (keyctl setperm @u 0): then nobody, root included, may clear, unlink or invalidate it or what it
# holds until reboot, and the kernel keeps a uid's user keyrings after its users are gone. Taking
# only setattr away does not hold: a guest may invalidate (or revoke) @u, the kernel makes a fresh
# one with setattr at the next look-up, and the guest locks that one. So the wipe leaves @u and
# @us at 0x03030000 (possessor and user: view and read; nobody may write, search, link or
# setattr; by number: once one is locked, neither is found by special id). The probe never locks
# anything: it sets the mask the keyring already has, which the kernel allows exactly when
# setattr is granted; and it probes by number, where the special ids fail anyway.
case_ keylock "the guest cannot change the permissions of its own @u and @us (a locked user keyring is unclearable until reboot)"
plant_keylock() { perm_of as_other @u >"$OUT/keylock.operm"; }
gone_keylock() {
    local k id p
    for k in _uid _uid_ses; do
        id=$(ring_id as_guest "$GUID" "$k")
        [ -n "$id" ] || { echo "the guest does not see its $k keyring"; return 1; }
        p=$(perm_of as_guest "$id")
        [ "$p" = 03030000 ] || { echo "the guest's $k keyring has the mask '$p', not 03030000"; return 1; }
        if as_guest keyctl setperm "$id" "0x$p" 2>/dev/null; then echo "the guest may still set the permissions of its $k (mask $p)"; return 1; fi
    done
}
kept_keylock() { echo "other's @u: $(perm_of as_other @u)"; }
# The guest's @u and @us: number and mask of each; "none" when the guest cannot see it.
keyring_state() {
    local k id
    for k in _uid _uid_ses; do
        id=$(ring_id as_guest "$GUID" "$k")
        echo "$k ${id:-none} $([ -n "$id" ] && perm_of as_guest "$id")"
    done
}
keyrings_unchanged() { # CASE: the same keyrings as before CASE's attempt, locked
    local now; now=$(keyring_state)
    [ "$now" = "$(cat "$OUT/$1.before")" ] || { echo "the guest's keyrings changed: $(echo "$now" | tr '\n' ' ')"; return 1; }
    [ "$(echo "$now" | grep -c ' 03030000$')" = 2 ] || { echo "not locked: $(echo "$now" | tr '\n' ' ')"; return 1; }
}
case_ keyinval "the guest invalidates its @u and then locks the new one (keyctl invalidate @u; keyctl setperm @u 0)"
INVAL='keyctl invalidate "$1"; keyctl invalidate @u; keyctl invalidate "$2"; keyctl invalidate @us; sleep 0.2
keyctl setperm @u 0; keyctl setperm @us 0; keyctl add user k v @u'
plant_keyinval() {
    keyring_state >"$OUT/keyinval.before"
    as_guest sh -c "$INVAL" sh "$(ring_id as_guest "$GUID" _uid)" "$(ring_id as_guest "$GUID" _uid_ses)" >/dev/null 2>&1
}
gone_keyinval() { keyrings_unchanged keyinval; }
kept_keyinval() { echo "other's @u: $(perm_of as_other @u)"; }
case_ keyrevoke "the guest revokes its @u and @us (keyctl revoke: the kernel would make fresh ones it could lock)"
REVOKE='keyctl revoke "$1"; keyctl revoke @u; keyctl revoke "$2"; keyctl revoke @us; keyctl timeout "$1" 1; keyctl timeout "$2" 1'
plant_keyrevoke() {
    keyring_state >"$OUT/keyrevoke.before"
    as_guest sh -c "$REVOKE" sh "$(ring_id as_guest "$GUID" _uid)" "$(ring_id as_guest "$GUID" _uid_ses)" >/dev/null 2>&1
}
gone_keyrevoke() { keyrings_unchanged keyrevoke; }
kept_keyrevoke() { echo "other's @u: $(perm_of as_other @u)"; }

# Files in the shared places -------------------------------------------------------------------
file_case() { # ID DIR DESCRIPTION: a plain file of each user in DIR
    local id=$1 dir=$2
    case_ "$id" "$3"
    eval "plant_$id() { [ -d '$dir' ] || { SKIP_$id='$dir does not exist'; return; }
        as_other sh -c 'echo $C-o > \"$dir/$C-o\"'; echo $C-r > '$dir/$C-r'; as_guest sh -c 'echo $C-g > \"$dir/$C-g\"'; }
    gone_$id() { absent '$dir/$C-g'; }
    kept_$id() { fp '$dir/$C-o' '$dir/$C-r'; }"
}
file_case tmp /tmp "a file in /tmp"
file_case vartmp /var/tmp "a file in /var/tmp"
file_case devshm /dev/shm "a file in /dev/shm"
file_case runlock /run/lock "a file in /run/lock (1777 on Debian)"
case_ runuser "files in the runtime folder /run/user/UID (made as logind would)"
plant_runuser() {
    as_other sh -c "echo $C-o > '/run/user/$OUID/$C-o'"; echo "$C-r" >"/run/user/$OUID/$C-r"
    as_guest sh -c "echo $C-g > '/run/user/$GUID/$C-g' && mkdir -p '/run/user/$GUID/$C-dbus' && echo x > '/run/user/$GUID/$C-dbus/bus'"
}
gone_runuser() {
    absent "/run/user/$GUID/$C-g" "/run/user/$GUID/$C-dbus" || return 1
    [ -z "$(find /run/user -uid "$GUID" | head -1)" ] || { echo "entries of the guest left in /run/user"; return 1; }
}
kept_runuser() { fp "/run/user/$OUID/$C-o" "/run/user/$OUID/$C-r" "/run/user/$OUID"; }

case_ cupspdf "a file in CUPS-PDF's world-writable /var/spool/cups-pdf/ANONYMOUS"
plant_cupspdf() {
    local d=/var/spool/cups-pdf/ANONYMOUS
    [ -d "$d" ] && [ "$(stat -c %a "$d")" = 1777 ] || { SKIP_cupspdf="no world-writable $d (printer-driver-cups-pdf)"; return; }
    as_other sh -c "echo $C-o > '$d/$C-o.pdf'"; echo "$C-r" >"$d/$C-r.pdf"; as_guest sh -c "echo $C-g > '$d/$C-g.pdf'"
}
gone_cupspdf() { absent "/var/spool/cups-pdf/ANONYMOUS/$C-g.pdf"; }
kept_cupspdf() { fp "/var/spool/cups-pdf/ANONYMOUS/$C-o.pdf" "/var/spool/cups-pdf/ANONYMOUS/$C-r.pdf"; }

case_ deep "a deep tree in /tmp (400 levels, files at every 50th, some levels chmod 000)"
DEEP='
import os, sys
top, word = sys.argv[1], sys.argv[2]
os.mkdir(top); fd = os.open(top, os.O_RDONLY); fds = []
for i in range(400):
    if i % 50 == 0:
        f = os.open("f%d" % i, os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd); os.write(f, word.encode()); os.close(f)
    os.mkdir("d", dir_fd=fd); n = os.open("d", os.O_RDONLY, dir_fd=fd); fds.append(fd); fd = n
for i, f in enumerate(reversed(fds)):
    if i % 100 == 99: os.chmod("d", 0, dir_fd=f)'
plant_deep() { as_other $PY -c "$DEEP" "/tmp/$C-deep-o" "$C-o"; $PY -c "$DEEP" "/tmp/$C-deep-r" "$C-r"; as_guest $PY -c "$DEEP" "/tmp/$C-deep-g" "$C-g"; }
gone_deep() { absent "/tmp/$C-deep-g"; }
kept_deep() { (cd /tmp && find "$C-deep-o" "$C-deep-r" -printf '%y %u %m %p\n' | sort | sha256sum); }

case_ gdir "a guest dir in /tmp holding another user's file (that file stays, the dir ends root's)"
plant_gdir() {
    as_guest sh -c "mkdir '/tmp/$C-gdir' && chmod 0777 '/tmp/$C-gdir' && echo $C-g > '/tmp/$C-gdir/$C-g' && mkdir '/tmp/$C-gdir/$C-gsub'"
    as_other sh -c "echo $C-o > '/tmp/$C-gdir/$C-o'"
    echo "$C-r" >"/tmp/$C-gdir/$C-r"
}
gone_gdir() {
    absent "/tmp/$C-gdir/$C-g" "/tmp/$C-gdir/$C-gsub" || return 1
    [ ! -e "/tmp/$C-gdir" ] || [ "$(stat -c %u "/tmp/$C-gdir")" = 0 ] || { echo "the dir is still the guest's"; return 1; }
}
kept_gdir() { fp "/tmp/$C-gdir/$C-o" "/tmp/$C-gdir/$C-r"; }

# (In the world, as on Debian 13, /tmp is a tmpfs of its own: a hard link to a file of the home
# can only be made on the home's file system, here the one of /var/tmp.)
case_ hardlink "a hard link in /var/tmp (the home's file system) to a file of the guest in the home"
plant_hardlink() {
    as_other sh -c "echo $C-o > '$OTHER_HOME/$C-hl' && ln '$OTHER_HOME/$C-hl' '/var/tmp/$C-hl-o'"
    echo "$C-r" >"/var/lib/$C-hl" && ln "/var/lib/$C-hl" "/var/tmp/$C-hl-r"
    as_guest sh -c "echo $C-g > '$HOME_DIR/Documents/$C-hl' && ln '$HOME_DIR/Documents/$C-hl' '/var/tmp/$C-hl-g'"
}
gone_hardlink() { absent "/var/tmp/$C-hl-g"; }
kept_hardlink() { fp "/var/tmp/$C-hl-o" "$OTHER_HOME/$C-hl" "/var/tmp/$C-hl-r" "/var/lib/$C-hl"; }

case_ symlink "a symlink in /tmp to another user's file (the link goes, the target stays)"
plant_symlink() {
    as_other sh -c "ln -s /etc/hostname '/tmp/$C-sl-o'"; ln -s "$OTHER_HOME/keep.txt" "/tmp/$C-sl-r"
    as_guest ln -s "$OTHER_HOME/keep.txt" "/tmp/$C-sl-g"
}
gone_symlink() { absent "/tmp/$C-sl-g"; }
kept_symlink() { fp "/tmp/$C-sl-o" "/tmp/$C-sl-r" "$OTHER_HOME/keep.txt" "$OTHER_HOME"; }

SOCK='import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])'
case_ fifosock "a FIFO and a unix socket in /tmp"
plant_fifosock() {
    as_other mkfifo "/tmp/$C-fifo-o"; as_other $PY -c "$SOCK" "/tmp/$C-sock-o"
    mkfifo "/tmp/$C-fifo-r"; $PY -c "$SOCK" "/tmp/$C-sock-r"
    as_guest mkfifo "/tmp/$C-fifo-g"; as_guest $PY -c "$SOCK" "/tmp/$C-sock-g"
}
gone_fifosock() { absent "/tmp/$C-fifo-g" "/tmp/$C-sock-g"; }
kept_fifosock() { fp "/tmp/$C-fifo-o" "/tmp/$C-sock-o" "/tmp/$C-fifo-r" "/tmp/$C-sock-r"; }

NAMES='
import os, sys
d, w = sys.argv[1].encode(), sys.argv[2].encode()
for n in [w + b"-new\nline", w + b"-bad\xff\xfeutf8", (w + b"-long-").ljust(255, b"x"), w + b"-\x01ctl", b"-" + w + b" -rf *"]:
    with open(os.path.join(d, n), "wb") as f: f.write(w)'
case_ names "files with hostile names in /tmp (newline, invalid UTF-8, 255 bytes, control chars)"
plant_names() { as_other $PY -c "$NAMES" /tmp "$C-nm-o"; $PY -c "$NAMES" /tmp "$C-nm-r"; as_guest $PY -c "$NAMES" /tmp "$C-nm-g"; }
names_of() { $PY -c 'import os, sys; print(len([n for n in os.listdir(b"/tmp") if sys.argv[1].encode() in n]))' "$1"; }
gone_names() { local n; n=$(names_of "$C-nm-g"); [ "$n" = 0 ] || { echo "$n of the names are left"; return 1; }; }
kept_names() { echo "other $(names_of "$C-nm-o") root $(names_of "$C-nm-r")"; find /tmp -maxdepth 1 \( -name "*$C-nm-o*" -o -name "*$C-nm-r*" \) -type f -printf '%u %s\n' 2>/dev/null | sort | uniq -c; }

case_ x11 "a socket in root's sticky /tmp/.X11-unix"
plant_x11() {
    mkdir -p /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix
    $PY -c "$SOCK" "/tmp/.X11-unix/X$RANDOM"; as_other $PY -c "$SOCK" "/tmp/.X11-unix/$C-o"
    as_guest $PY -c "$SOCK" "/tmp/.X11-unix/$C-g"
    ls /tmp/.X11-unix | grep -v "$C" >"$OUT/x11.root"
}
gone_x11() { absent "/tmp/.X11-unix/$C-g"; }
kept_x11() { fp /tmp/.X11-unix "/tmp/.X11-unix/$C-o" "/tmp/.X11-unix/$(cat "$OUT/x11.root")"; }

case_ odir "a guest file in another user's world-writable dir in /var/tmp"
plant_odir() {
    as_other sh -c "mkdir -m 0777 '/var/tmp/$C-odir' && chmod 0777 '/var/tmp/$C-odir' && echo $C-o > '/var/tmp/$C-odir/$C-o'"
    echo "$C-r" >"/var/tmp/$C-odir/$C-r"
    as_guest sh -c "echo $C-g > '/var/tmp/$C-odir/$C-g' && mkdir '/var/tmp/$C-odir/$C-gsub'"
}
gone_odir() { absent "/var/tmp/$C-odir/$C-g" "/var/tmp/$C-odir/$C-gsub"; }
kept_odir() { fp "/var/tmp/$C-odir" "/var/tmp/$C-odir/$C-o" "/var/tmp/$C-odir/$C-r"; }

case_ locked "files and dirs with mode 000 in /var/tmp"
LOCKED='d=$1; mkdir -p "$d/in/deeper" && echo "$2" > "$d/in/deeper/f" && echo "$2" > "$d/f" && chmod 000 "$d/in/deeper/f" "$d/in/deeper" "$d/in" "$d/f" "$d"'
plant_locked() { as_other sh -c "$LOCKED" sh "/var/tmp/$C-lk-o" "$C-o"; sh -c "$LOCKED" sh "/var/tmp/$C-lk-r" "$C-r"; as_guest sh -c "$LOCKED" sh "/var/tmp/$C-lk-g" "$C-g"; }
gone_locked() { absent "/var/tmp/$C-lk-g"; }
kept_locked() { (cd /var/tmp && find "$C-lk-o" "$C-lk-r" -printf '%y %u %m %p\n' | sort; cat "$C-lk-o/f" "$C-lk-r/in/deeper/f"); }

case_ setgid "a setgid dir of the guest in /var/tmp: another user's file inside gets the guest's group (it stays, without that group)"
plant_setgid() {
    as_guest sh -c "mkdir '/var/tmp/$C-sg' && chmod 2777 '/var/tmp/$C-sg' && echo $C-g > '/var/tmp/$C-sg/$C-g'"
    as_other sh -c "echo $C-o > '/var/tmp/$C-sg/$C-o'"
    [ "$(stat -c %g "/var/tmp/$C-sg/$C-o" 2>/dev/null)" = "$GGID" ] || SKIP_setgid="the setgid dir did not pass on the guest's group"
}
gone_setgid() {
    absent "/var/tmp/$C-sg/$C-g" || return 1
    [ ! -e "/var/tmp/$C-sg/$C-o" ] || [ "$(stat -c %g "/var/tmp/$C-sg/$C-o")" != "$GGID" ] ||
        { echo "the other user's file still has the guest's group"; return 1; }
    [ ! -e "/var/tmp/$C-sg" ] || [ "$(stat -c %u.%g "/var/tmp/$C-sg")" = 0.0 ] || { echo "the dir is still the guest's"; return 1; }
}
kept_setgid() { # the other user's data, whatever its group becomes
    if [ -f "/var/tmp/$C-sg/$C-o" ]; then stat -c '%u %s' "/var/tmp/$C-sg/$C-o"; sha256sum <"/var/tmp/$C-sg/$C-o"; else echo "MISSING"; fi
}

case_ core "a core dump left by a crash of a guest program (kernel.core_pattern is a plain file name)"
CRASH='mkdir -p "$1" && cd "$1" && ulimit -c unlimited && sh -c "kill -SEGV \$\$"'
plant_core() {
    local pat; pat=$(cat /proc/sys/kernel/core_pattern)
    case $pat in
        '|'*|*/*) SKIP_core="kernel.core_pattern is \"$pat\" (a helper or a path outside the world would get the dump)"; return ;;
    esac
    as_other sh -c "$CRASH" sh "/var/tmp/$C-crash-o" 2>/dev/null
    sh -c "$CRASH" sh "/var/tmp/$C-crash-r" 2>/dev/null
    as_guest sh -c "$CRASH" sh "/var/tmp/$C-crash-g" 2>/dev/null
    ls "/var/tmp/$C-crash-g/" | grep -q core || SKIP_core="no core file was written (core_pattern \"$pat\")"
}
gone_core() { absent "/var/tmp/$C-crash-g"; }
kept_core() { ls "/var/tmp/$C-crash-o/" "/var/tmp/$C-crash-r/"; }

# State that system services keep for the guest (planted by root as the service would) ---------
case_ coredumps "crash dumps of systemd-coredump and apport (planted by root, as those services write them)"
plant_coredumps() {
    local b=0123456789abcdef0123456789abcdef
    for u in "$OUID" 0 "$GUID"; do
        echo "$C-$u" >"/var/lib/systemd/coredump/core.$C.$u.$b.4242.1700000000000000.zst"
        echo "$C-$u" >"/var/crash/_usr_bin_$C.$u.crash"
    done
}
gone_coredumps() { absent "/var/lib/systemd/coredump/core.$C.$GUID.0123456789abcdef0123456789abcdef.4242.1700000000000000.zst" "/var/crash/_usr_bin_$C.$GUID.crash"; }
kept_coredumps() { local b=0123456789abcdef0123456789abcdef; fp "/var/lib/systemd/coredump/core.$C.$OUID.$b.4242.1700000000000000.zst" "/var/lib/systemd/coredump/core.$C.0.$b.4242.1700000000000000.zst" "/var/crash/_usr_bin_$C.$OUID.crash" "/var/crash/_usr_bin_$C.0.crash"; }

JDIR=/var/log/journal/$(cat /etc/machine-id 2>/dev/null || echo 0123456789abcdef0123456789abcdef)
case_ journal "the guest's user journal files (planted by root, as journald writes them)"
plant_journal() {
    echo "$C-o" >"$JDIR/user-$OUID.journal"; echo "$C-r" >"$JDIR/system.journal.$C"
    echo "$C-g" >"$JDIR/user-$GUID.journal"; echo "$C-g" >"$JDIR/user-$GUID@0005a-01.journal~"
}
gone_journal() { absent "$JDIR/user-$GUID.journal" "$JDIR/user-$GUID@0005a-01.journal~"; }
kept_journal() { fp "$JDIR/user-$OUID.journal" "$JDIR/system.journal.$C"; }

case_ cups "a print job in the CUPS spool (planted by root, as cupsd writes it)"
plant_cups() {
    ipp "$OTHER" >/var/spool/cups/c90001; echo "$C-o" >/var/spool/cups/d90001-001
    ipp root >/var/spool/cups/c90002; echo "$C-r" >/var/spool/cups/d90002-001
    ipp "$GUEST" >/var/spool/cups/c90003; echo "$C-g" >/var/spool/cups/d90003-001
}
gone_cups() { absent /var/spool/cups/c90003 /var/spool/cups/d90003-001; }
kept_cups() { fp /var/spool/cups/c90001 /var/spool/cups/d90001-001 /var/spool/cups/c90002 /var/spool/cups/d90002-001; }

case_ accounts "AccountsService's users/USER and icons/USER (planted by root, as accounts-daemon writes them)"
plant_accounts() {
    local u
    for u in "$OTHER" root "$GUEST"; do
        printf '[User]\nLanguage=nb_NO.UTF-8\nIcon=/var/lib/AccountsService/icons/%s\n' "$u" >"/var/lib/AccountsService/users/$u"
        echo "$C-$u" >"/var/lib/AccountsService/icons/$u"
    done
}
gone_accounts() { absent "/var/lib/AccountsService/users/$GUEST" "/var/lib/AccountsService/icons/$GUEST"; }
kept_accounts() { fp "/var/lib/AccountsService/users/$OTHER" /var/lib/AccountsService/users/root "/var/lib/AccountsService/icons/$OTHER" /var/lib/AccountsService/icons/root; }

case_ lightdm "LightDM's per-user data folder, /var/lib/lightdm/data/USER (Debian 12) and /var/lib/lightdm-data/USER (made by root, the guest's, as LightDM does), and its dmrc cache /var/cache/lightdm/dmrc/USER.dmrc"
plant_lightdm() {
    local u d
    for d in /var/lib/lightdm/data /var/lib/lightdm-data; do
        for u in "$OTHER" "$GUEST"; do
            mkdir -p "$d/$u" && chown "$u:$u" "$d/$u" && chmod 0770 "$d/$u"
        done
        # (Debian's /var/lib/lightdm is the lightdm user's, mode 0750: root plants the files.)
        echo "$C-o" >"$d/$OTHER/$C-o" && chown "$OTHER:" "$d/$OTHER/$C-o"
        echo "$C-g" >"$d/$GUEST/$C-g" && chown "$GUEST:" "$d/$GUEST/$C-g"
    done
    # LightDM's cache of each user's session and language choice, root's (LightDM writes it).
    mkdir -p /var/cache/lightdm/dmrc
    for u in "$OTHER" "$GUEST"; do printf '[Desktop]\nSession=openbox\nLanguage=%s\n' "$C-$u" >"/var/cache/lightdm/dmrc/$u.dmrc"; done
}
gone_lightdm() { absent "/var/lib/lightdm-data/$GUEST" "/var/lib/lightdm/data/$GUEST" "/var/cache/lightdm/dmrc/$GUEST.dmrc"; }
kept_lightdm() { fp "/var/lib/lightdm-data/$OTHER" "/var/lib/lightdm-data/$OTHER/$C-o" "/var/lib/lightdm/data/$OTHER" "/var/lib/lightdm/data/$OTHER/$C-o" "/var/cache/lightdm/dmrc/$OTHER.dmrc"; }

# Mounts ---------------------------------------------------------------------------------------
fuse_mounted() { grep -qF " $1 " /proc/self/mountinfo; }
fuse_plant() { # USER-FN SRC MNT OPTS
    local who=$1 src=$2 mnt=$3
    $who sh -c "mkdir -p '$src' '$mnt' && echo $C > '$src/f' && bindfs $4 '$src' '$mnt'" >/dev/null 2>&1
    local i; for i in $(seq 1 50); do fuse_mounted "$mnt" && return 0; sleep 0.02; done
    return 1
}
case_ fusetmp "a FUSE mount in /tmp made by the guest (bindfs, fusermount3), its server running and a process inside it"
plant_fusetmp() {
    command -v bindfs >/dev/null || { SKIP_fusetmp="bindfs is not installed"; return; }
    fuse_plant as_other "/tmp/$C-fsrc-o" "/tmp/$C-fuse-o" --no-allow-other
    fuse_plant "" "/tmp/$C-fsrc-r" "/tmp/$C-fuse-r" ""
    if fuse_plant as_guest "/tmp/$C-fsrc-g" "/tmp/$C-fuse-g" --no-allow-other; then
        as_guest sh -c "cd '/tmp/$C-fuse-g' && exec 3<f && exec sleep 600" & echo $! >"$OUT/fusetmp.gpid"
    else
        SKIP_fusetmp="the guest's bindfs mount failed (no /dev/fuse or fusermount3?)"
    fi
}
gone_fusetmp() {
    if fuse_mounted "/tmp/$C-fuse-g"; then echo "the guest's FUSE mount is still mounted"; return 1; fi
    absent "/tmp/$C-fuse-g" "/tmp/$C-fsrc-g"
}
kept_fusetmp() {
    fuse_mounted "/tmp/$C-fuse-o" && echo "other's mounted: $(as_other cat "/tmp/$C-fuse-o/f")"
    fuse_mounted "/tmp/$C-fuse-r" && echo "root's mounted: $(cat "/tmp/$C-fuse-r/f")"
}
case_ fusehome "a FUSE mount in the guest's home (bindfs), its server running"
plant_fusehome() {
    command -v bindfs >/dev/null || { SKIP_fusehome="bindfs is not installed"; return; }
    fuse_plant as_other "$OTHER_HOME/$C-src" "$OTHER_HOME/$C-mnt" --no-allow-other
    fuse_plant as_guest "$HOME_DIR/$C-src" "$HOME_DIR/$C-mnt" --no-allow-other ||
        SKIP_fusehome="the guest's bindfs mount failed"
}
gone_fusehome() {
    if grep -qF " $HOME_DIR/" /proc/self/mountinfo; then echo "a mount is left under the home"; return 1; fi
    absent "$HOME_DIR/$C-mnt" "$HOME_DIR/$C-src"
}
kept_fusehome() { fuse_mounted "$OTHER_HOME/$C-mnt" && echo "other's mounted: $(as_other cat "$OTHER_HOME/$C-mnt/f")"; }

# The home -------------------------------------------------------------------------------------
case_ units "systemd user units and timers in the home (~/.config/systemd/user, ~/.local/share/systemd/timers)"
UNITS='cd "$HOME" && mkdir -p .config/systemd/user/timers.target.wants .config/systemd/user/default.target.wants .local/share/systemd/timers &&
  printf "[Service]\nExecStart=/bin/sh -c \"echo %s\"\n" "$1" > ".config/systemd/user/$1.service" &&
  printf "[Timer]\nOnCalendar=minutely\nPersistent=true\n" > ".config/systemd/user/$1.timer" &&
  ln -s "../$1.timer" ".config/systemd/user/timers.target.wants/$1.timer" &&
  ln -s "../$1.service" ".config/systemd/user/default.target.wants/$1.service" &&
  : > ".local/share/systemd/timers/stamp-$1.timer" && mkdir -p .config/autostart &&
  printf "[Desktop Entry]\nType=Application\nExec=/bin/sh -c \"echo %s\"\n" "$1" > ".config/autostart/$1.desktop"'
plant_units() { as_other sh -c "$UNITS" sh "$C-o"; as_guest sh -c "$UNITS" sh "$C-g"; }
gone_units() {
    local want got
    want=$(cd "$SKEL" && find . -mindepth 1 -printf '%y %m %s %P -> %l\n' | LC_ALL=C sort)
    got=$(cd "$HOME_DIR" && find . -mindepth 1 -printf '%y %m %s %P -> %l\n' 2>/dev/null | LC_ALL=C sort)
    [ "$want" = "$got" ] || { echo "the home differs from the skeleton in $(diff <(echo "$want") <(echo "$got") | grep -c '^[<>]') entries"; return 1; }
}
kept_units() { t_tree_digest "$OTHER_HOME" 2>/dev/null | grep -v "$C-mnt" | sha256sum; }

# Processes ------------------------------------------------------------------------------------
case_ forker "a running process of the guest that keeps forking"
plant_forker() {
    as_other sleep 600 & echo $! >"$OUT/forker.opid"
    sleep 600 & echo $! >"$OUT/forker.rpid"
    as_guest sh -c 'while :; do (sleep 600 &); sleep 0.02; done' & echo $! >"$OUT/forker.gpid"
}
gone_forker() { pid_gone "$(cat "$OUT/forker.gpid")"; }
kept_forker() { alive "$(cat "$OUT/forker.opid")" && echo other; alive "$(cat "$OUT/forker.rpid")" && echo root; }
RENAME='
import ctypes, os, signal, sys, time
ctypes.CDLL(None).prctl(15, b"kworker/0:1H", 0, 0, 0)   # PR_SET_NAME
print(os.getpid(), flush=True)
signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.signal(signal.SIGHUP, signal.SIG_IGN)
time.sleep(600)'
case_ renamed "a process of the guest that renamed itself (kworker/0:1H), ignores SIGTERM and is stopped"
plant_renamed() {
    as_other $PY -c "$RENAME" >"$OUT/renamed.opid" &
    as_guest $PY -c "$RENAME" >"$OUT/renamed.gpid" &
    local i; for i in $(seq 1 100); do [ -s "$OUT/renamed.gpid" ] && [ -s "$OUT/renamed.opid" ] && break; sleep 0.02; done
    kill -STOP "$(cat "$OUT/renamed.gpid")" 2>/dev/null
    [ "$(cat "/proc/$(cat "$OUT/renamed.gpid")/comm" 2>/dev/null)" = kworker/0:1H ] || SKIP_renamed="the process could not rename itself"
}
gone_renamed() { pid_gone "$(cat "$OUT/renamed.gpid")"; }
kept_renamed() { alive "$(cat "$OUT/renamed.opid")" && cat "/proc/$(cat "$OUT/renamed.opid")/comm"; }
case_ userns "a process of the guest hiding in its own user, PID and mount namespaces (unshare -Urpm) with a tmpfs"
NS='mount -t tmpfs none /tmp && echo "$1" > /tmp/f && exec sleep 600'
plant_userns() {
    if ! as_guest unshare -Urpm --fork true 2>/dev/null; then SKIP_userns="unprivileged user namespaces are off"; return; fi
    as_other unshare -Urpm --fork sh -c "$NS" sh "$C-o" & echo $! >"$OUT/userns.opid"
    as_guest unshare -Urpm --fork sh -c "$NS" sh "$C-g" & echo $! >"$OUT/userns.gpid"
    sleep 0.2
}
gone_userns() { pid_gone "$(cat "$OUT/userns.gpid")" || return 1; [ -z "$(pgrep -u "$GUID" -x sleep)" ] || { echo "its sleep still runs"; return 1; }; }
kept_userns() { alive "$(cat "$OUT/userns.opid")" && echo other; }

# --- plant ------------------------------------------------------------------------------------
for c in "${CASES[@]}"; do
    eval "SKIP_$c="
    "plant_$c" >/dev/null 2>"$OUT/plant-$c.err" </dev/null
done
sleep 0.3   # the forker's children, the holders
t_diag "planted ${#CASES[@]} cases as $GUEST (uid $GUID), $OTHER (uid $OUID) and root; $(guest_procs) processes of the guest run"
declare -A BEFORE
# A case is only worth its line when all three objects are really there: the guest's (its gone_
# check fails now), the other user's and root's (no MISSING, something to compare).
declare -A VACUOUS
REFUSALS=" keylock keyu keyus keyinval keyrevoke "
for c in "${CASES[@]}"; do
    BEFORE[$c]=$("kept_$c" 2>&1)
    [ -n "${RK_ESCAPE_DEBUG:-}" ] && printf '# kept %s: %s\n' "$c" "$(echo "${BEFORE[$c]}" | tr '\n' '|' | cut -c1-200)"
    s=SKIP_$c
    [ -z "${!s}" ] || continue
    # (An attempt the lock refuses leaves nothing to find before the wipe either.)
    if [[ $REFUSALS != *" $c "* ]] && "gone_$c" >/dev/null 2>&1; then
        VACUOUS[$c]="the guest's object was not there before the wipe"
    elif [ -z "${BEFORE[$c]}" ] || [[ ${BEFORE[$c]} == *MISSING* ]]; then
        VACUOUS[$c]="the other user's or root's object was not there before the wipe"
    fi
done
owned_before=$(world_owned_files | wc -l)
t_diag "the test's own search finds $owned_before objects of the guest's uid or group outside the home before the wipe"

KEY_GC_WAIT=40
# --- ONE wipe ---------------------------------------------------------------------------------
start=$(date +%s%N)
world_wipe; rc=$?
world_keep "the escape wipe (exit $rc)" "$T_TMP/wipe.log"
ms=$((($(date +%s%N) - start) / 1000000))
if [ $rc -eq 0 ]; then
    t_ok "rentarkd --wipe-once exits 0: the wipe is verified ($ms ms)"
else
    t_fail "rentarkd --wipe-once exits 0: the wipe is verified" "exit $rc after $ms ms; log: $(tail -4 "$T_TMP/wipe.log" | tr '\n' ' ' | sed "s/$C/CANARY/g")"
fi
grep -E 'census' "$T_TMP/wipe.log" | head -5 | sed "s/$C/CANARY/g; s/^/# /"

# --- one line per case ------------------------------------------------------------------------
for c in "${CASES[@]}"; do
    d=DESC_$c s=SKIP_$c
    if [ -n "${!s}" ]; then t_skip "${!d}" "${!s}"; continue; fi
    if [ -n "${VACUOUS[$c]:-}" ]; then
        t_fail "${!d}" "planting failed: ${VACUOUS[$c]}"
        sed "s/$C/CANARY/g; s/^/#   plant: /" "$OUT/plant-$c.err" | head -3
        continue
    fi
    gone=$("gone_$c" 2>&1) && g=0 || g=1
    after=$("kept_$c" 2>&1)
    why=
    [ $g -eq 0 ] || why="guest's object: $gone"
    if [ "$after" != "${BEFORE[$c]}" ]; then
        why="${why:+$why; }OTHER USER'S OR ROOT'S OBJECT CHANGED: $(diff <(echo "${BEFORE[$c]}") <(echo "$after") | grep '^[<>]' | head -4 | tr '\n' ' ')"
    fi
    if [ -z "$why" ]; then t_ok "${!d}: gone; the other user's and root's intact"; else t_fail "${!d}" "${why//$C/CANARY}"; fi
    [ -s "$OUT/plant-$c.err" ] && [ -n "$why" ] && sed "s/$C/CANARY/g; s/^/#   plant: /" "$OUT/plant-$c.err" | head -3
done

# --- everything, whatever the case ------------------------------------------------------------
n=$(guest_procs)
t_check "no process of the guest is left ($n)" test "$n" -eq 0
n=$(grep -c " - fuse[^ ]* .*user_id=$GUID," /proc/self/mountinfo)
t_check "no mount of the guest is left ($n)" test "$n" -eq 0
left=$(world_owned_files)
if [ -z "$left" ]; then
    t_ok "nothing of the guest's uid or group on any local writable file system outside the fresh home"
else
    t_fail "nothing of the guest's uid or group on any local writable file system outside the fresh home" "$(echo "$left" | wc -l) entries"
    echo "$left" | head -15 | sed "s/$C/CANARY/g; s/^/#   /"
fi
n=$( (ipc_of_guest shm; ipc_of_guest msg; ipc_of_guest sem) | wc -l)
t_check "no SysV IPC object of the guest is left ($n)" test "$n" -eq 0
n=$(find /dev/mqueue -uid "$GUID" | wc -l)
t_check "no POSIX message queue of the guest is left ($n)" test "$n" -eq 0
keys_left() { awk -v u="$GUID" '$1 == u ":" { split($3, a, "/"); print a[1] }' /proc/key-users; }
for i in $(seq 1 40); do [ "$(keys_left)" -le 3 ] 2>/dev/null && break; sleep 0.05; done
t_check "the kernel holds no key of the guest but its (empty) user, user-session and persistent keyrings ($(keys_left))" \
    test "$(keys_left)" -le 3
keyrings_locked_empty() {
    local u us
    u=$(ring_id as_guest "$GUID" _uid); us=$(ring_id as_guest "$GUID" _uid_ses)
    [ -n "$u" ] && [ -n "$us" ] && [ "$(perm_of as_guest "$u")" = 03030000 ] && [ "$(perm_of as_guest "$us")" = 03030000 ] &&
        [ -z "$(as_guest keyctl rlist "$u")" ] && [ "$(as_guest keyctl rlist "$us")" = "$u" ]
}
t_check "the guest's @u and @us are locked (0x03030000) and empty (@us holds only the link to @u)" keyrings_locked_empty
t_check "the guest's home equals the skeleton" gone_units
if grep -qF "$C" "$T_TMP/wipe.log" "$T_TMP/wipe.out"; then
    t_fail "the wipe's log names no planted file and holds no planted content" "$(grep -cF "$C" "$T_TMP/wipe.log" "$T_TMP/wipe.out" | tr '\n' ' ')"
else
    t_ok "the wipe's log names no planted file and holds no planted content"
fi
t_check "the wipe's log has the census summary" grep -qE 'census: .*classes checked' "$T_TMP/wipe.log"
t_done
