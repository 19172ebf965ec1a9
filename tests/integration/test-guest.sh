#!/usr/bin/env bash
# The guest account with the real rentarkd: created when missing and guest.create is set (own
# group, locked password, the configured shell, no subordinate ids), never by --check-config,
# and refused when unsafe: missing with create = false, root or a uid-0 alias, in a privileged
# group or rentark's admin/volunteer group, sharing its uid, or with a home in a system folder,
# a folder others may write in, or another account's home.
#
# Every user and group is unique to this run and removed at exit, even on failure; /etc/subuid
# and /etc/subgid are restored byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root

# Back up the subordinate id files before any user is made; the restore is registered first so
# that it runs last, after every userdel (which removes a user's ranges itself). It puts back
# the backup byte for byte by dropping the lines of this test's users (OURS) that the backup
# does not have. Lines that tests running at the same time add for their own users are left
# to them: copying the whole backup back would delete those under their feet.
OURS=()
subid_restore() { # FILE BACKUP
    local f=$1 b=$2 names
    cmp -s "$b" "$f" && return 0
    names=$(IFS=,; echo "${OURS[*]}")
    awk -F: -v names="$names" 'NR == FNR { keep[$0] = 1; next }
        BEGIN { n = split(names, a, ","); for (i = 1; i <= n; i++) ours[a[i]] = 1 }
        ($0 in keep) || !(($1 in ours) || $2 == "3000000000")' "$b" "$f" >"$b.new" &&
        ! cmp -s "$b.new" "$f" && cat "$b.new" >"$f"
    cmp -s "$b" "$f" || echo "# $f differs from its backup after cleanup (another test's users?)" >&2
}
for f in /etc/subuid /etc/subgid; do
    if [ -e "$f" ]; then
        cp -p "$f" "$T_TMP/$(basename "$f").orig"
        t_cleanup "subid_restore '$f' '$T_TMP/$(basename "$f").orig'"
    else
        t_cleanup "rm -f '$f'"
    fi
done

wipe_env_setup 256M
OURS+=("$GUEST")

# rm_user NAME: remove a user of this test and its own group. Never pkill: one of them has uid 0,
# and killing "its" processes would kill all of root's.
rm_user() {
    userdel -f "$1" >/dev/null 2>&1
    getent group "$1" >/dev/null && groupdel "$1" >/dev/null 2>&1
    return 0
}
# mk_user NAME [USERADD-ARGS...]: an ordinary user without a home, without subordinate ids
# (this test does not touch /etc/subuid unless it means to), removed at exit.
mk_user() {
    local name=$1; shift
    OURS+=("$name")
    rm_user "$name"
    t_cleanup "rm_user '$name'"
    useradd -M -N -s /usr/sbin/nologin -d /nonexistent -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$@" "$name"
}
mk_group() {
    groupdel "$1" >/dev/null 2>&1
    t_cleanup "groupdel '$1'"
    groupadd "$1"
}

# conf NAME USER HOME CREATE [EXTRA-LINE]: a config like wipe-env's with its own guest, its own
# state dir and socket (the daemons of the cases never share a journal), printed as a path.
conf() {
    local name=$1 user=$2 home=$3 create=$4 extra=${5:-}
    local f=$T_TMP/$name.conf
    {
        echo "guest = { user = \"$user\"; home = \"$home\"; skeleton = \"$SKEL\"; create = $create; shell = \"/bin/sh\"; };"
        grep -v '^guest = ' "$CONF" | sed "s|$FS/state|$FS/state-$name|g"
        [ -n "$extra" ] && echo "$extra"
    } >"$f"
    echo "$f"
}

DPID=
SOCK=
start_daemon() { # CONF LOG
    SOCK=$(sed -n 's|.*socket = "\([^"]*\)".*|\1|p' "$1")
    "$RKD" -c "$1" -f >>"$2" 2>&1 &
    DPID=$!
    for _ in $(seq 1 200); do
        [ -S "$SOCK" ] && "$RKCTL" -s "$SOCK" status >/dev/null 2>&1 && return 0
        kill -0 $DPID 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
stop_daemon() { [ -n "$DPID" ] && kill -TERM $DPID 2>/dev/null && wait $DPID 2>/dev/null; DPID=; }
t_cleanup 'stop_daemon'
wait_ready() {
    for _ in $(seq 1 400); do
        [ "$("$RKCTL" -s "$SOCK" status 2>/dev/null | awk '$1 == "state" { print $2 }')" = READY ] && return 0
        sleep 0.05
    done
    return 1
}

# refused DESC CONF PATTERN: the daemon exits 1 at once with a message matching PATTERN.
# A refusal is logged with g_critical, which G_DEBUG=fatal-criticals (tests/run.sh) would turn
# into an abort; here the refusal is the expected outcome, so that one setting is dropped.
refused() {
    local d=$1 c=$2 pat=$3 log=$T_TMP/refused-$_t_n.log rc
    env -u G_DEBUG timeout -s KILL 30 "$RKD" -c "$c" -f >"$log" 2>&1
    rc=$?
    if [ $rc -ne 1 ]; then
        t_fail "$d" "exit status $rc, not 1: $(tail -3 "$log" | tr '\n' ' ')"
    elif ! grep -qE -- "$pat" "$log"; then
        t_fail "$d" "no message matching '$pat': $(tail -3 "$log" | tr '\n' ' ')"
    else
        t_ok "$d"
        t_diag "$(grep -m1 -E -- "$pat" "$log")"
    fi
}

# --- creation ---------------------------------------------------------------------------------
G1=$(t_unique_name rk-gc)
OURS+=("$G1")
t_cleanup "rm_user '$G1'"
rm_user "$G1"
C1=$(conf create "$G1" "$FS/home/$G1" true)

out=$("$RKD" -c "$C1" --check-config 2>&1)
t_check "--check-config with create = true: valid ($out)" test $? -eq 0
t_expect_fail "--check-config creates no user" sh -c "getent passwd '$G1' >/dev/null"

C0=$(conf nocreate "$G1" "$FS/home/$G1" false)
refused "missing guest, create = false: exit 1 with a clear message" "$C0" \
    "guest account \"$G1\" does not exist \(set guest.create = true or create it\)"
t_expect_fail "... and no user was created" sh -c "getent passwd '$G1' >/dev/null"

# The uid useradd would hand out next (the highest normal uid + 1) gets a kernel key, as an
# earlier account on it would have left it (keys outlive the account until reboot; a locked
# keyring could never be removed): the new guest must not get that uid.
NEXT=$(getent passwd | awk -F: '$3 >= 1000 && $3 < 60000 && $3 > m { m = $3 } END { print (m ? m : 999) + 1 }')
if ! getent passwd "$NEXT" >/dev/null && setpriv --reuid="$NEXT" --regid="$NEXT" --clear-groups \
        keyctl add user rk-stale x @u >/dev/null 2>&1; then
    t_cleanup "setpriv --reuid=$NEXT --regid=$NEXT --clear-groups keyctl clear @u >/dev/null 2>&1"
    t_check "the kernel holds a key for uid $NEXT (useradd's next)" grep -q "^ *$NEXT:" /proc/key-users
else
    NEXT=
    t_skip "a stale key on useradd's next uid" "keyctl cannot add a key for that uid here"
fi

LOG1=$T_TMP/create.log
t_check "missing guest, create = true: the daemon starts" start_daemon "$C1" "$LOG1"
t_check "... and the seat becomes READY" wait_ready
t_check "the user exists" sh -c "getent passwd '$G1' >/dev/null"
IFS=: read -r _ _ uid gid gecos home shell < <(getent passwd "$G1")
t_check "an ordinary uid ($uid)" test "${uid:-0}" -ge 1000
[ -n "$NEXT" ] && t_check "not the uid with the stale key ($NEXT): $uid" test "${uid:-0}" != "$NEXT"
t_check "its own group, named like it" test "$(getent group "$gid" | cut -d: -f1)" = "$G1"
t_check "... with no other members" test -z "$(getent group "$G1" | cut -d: -f4)"
t_check "no supplementary groups" test "$(id -G "$G1")" = "$gid"
t_check "password locked ('!' in /etc/shadow)" sh -c "grep '^$G1:' /etc/shadow | cut -d: -f2 | grep -q '^!'"
t_check "login shell is guest.shell" test "$shell" = /bin/sh
t_check "home field is guest.home" test "$home" = "$FS/home/$G1"
t_check "comment names rentark" test "$gecos" = "rentark guest"
t_expect_fail "no subordinate uid range" grep -qE "^($G1|$uid):" /etc/subuid
t_expect_fail "no subordinate gid range" grep -qE "^($G1|$uid):" /etc/subgid
t_check "creation is logged" grep -q "created guest account \"$G1\"" "$LOG1"
GUEST_SAVED=$GUEST GUID_SAVED=$GUID HOME_SAVED=$HOME_DIR
GUEST=$G1 GUID=$uid HOME_DIR=$FS/home/$G1
wipe_check "the wipe made the new guest's home from the skeleton" 0
stop_daemon

t_check "a second start with create = true" start_daemon "$C1" "$LOG1"
t_check "... becomes READY" wait_ready
stop_daemon
t_check "... and did not create the user again" test "$(grep -c "created guest account" "$LOG1")" -eq 1
t_check "exactly one passwd entry" test "$(grep -c "^$G1:" /etc/passwd)" -eq 1
t_check "same uid as before" test "$(id -u "$G1")" = "$uid"
GUEST=$GUEST_SAVED GUID=$GUID_SAVED HOME_DIR=$HOME_SAVED

# --- refusals ---------------------------------------------------------------------------------
G2=$(t_unique_name rk-gs)
mk_user "$G2" -G sudo
refused "guest in group sudo: refused, names the group" "$(conf sudo "$G2" "$FS/home/$G2" false)" \
    "refusing guest account \"$G2\": .*group \"sudo\""

G3=$(t_unique_name rk-ga)
ADM=$(t_unique_name rk-adm)
VOL=$(t_unique_name rk-vol)
mk_group "$ADM"
mk_group "$VOL"
mk_user "$G3" -G "$ADM"
refused "guest in access.admin_group: refused, names the group" \
    "$(conf admin "$G3" "$FS/home/$G3" false "access = { admin_group = \"$ADM\"; volunteer_group = \"$VOL\"; };")" \
    "refusing guest account \"$G3\": .*group \"$ADM\" \(access.admin_group"
usermod -G "$VOL" "$G3"
refused "guest in access.volunteer_group: refused, names the group" \
    "$(conf vol "$G3" "$FS/home/$G3" false "access = { admin_group = \"$ADM\"; volunteer_group = \"$VOL\"; };")" \
    "group \"$VOL\" \(access.volunteer_group"
G3P=$(t_unique_name rk-gp)
mk_user "$G3P" -g "$ADM"
refused "admin group as the primary group: refused" \
    "$(conf adminp "$G3P" "$FS/home/$G3P" false "access = { admin_group = \"$ADM\"; };")" "group \"$ADM\""

G4=$(t_unique_name rk-g0)
mk_user "$G4" -o -u 0 2>/dev/null # (useradd warns that uid 0 is outside UID_MIN..UID_MAX)
if [ "$(id -u "$G4" 2>/dev/null)" = 0 ]; then
    refused "uid-0 alias named like the guest: refused as root" "$(conf uid0 "$G4" "$FS/home/$G4" false)" \
        "refusing guest account \"$G4\": is root \(uid 0\)"
else
    t_fail "uid-0 alias: refused as root" "useradd -o -u 0 did not make one"
fi
rm_user "$G4"
t_check "the uid-0 alias is gone again" sh -c "! getent passwd '$G4'"

G5=$(t_unique_name rk-gu)
G5B=$(t_unique_name rk-gv)
mk_user "$G5"
mk_user "$G5B" -o -u "$(id -u "$G5")"
refused "another user shares the guest's uid: refused" "$(conf shared "$G5" "$FS/home/$G5" false)" \
    "shares uid $(id -u "$G5") with 1 other account"
t_expect_fail "... and the other account is not named" grep -q "$G5B" "$T_TMP/refused-$((_t_n - 1)).log"

# Homes. The loader refuses "/" itself (--check-config says so); the daemon refuses the rest.
G6=$(t_unique_name rk-gh)
mk_user "$G6"
out=$("$RKD" -c "$(conf root-home "$G6" / false)" --check-config 2>&1)
t_check "home \"/\": --check-config exits 1" test $? -eq 1
t_check "... and says guest.home must be below a folder" grep -q "guest.home \"/\" must be a directory below" <<<"$out"
refused "home \"/etc/x\": refused as a system folder" "$(conf etc-home "$G6" /etc/rk-x$$ false)" \
    "guest.home \"/etc/rk-x$$\" is inside the system folder \"/etc\""
t_check "... and nothing was made in /etc" test ! -e /etc/rk-x$$
refused "home \"/usr/local/x\": refused" "$(conf usr-home "$G6" /usr/local/rk-x$$ false)" "system folder \"/usr\""
refused "home directly in /tmp: refused (anyone may create names there)" \
    "$(conf tmp-home "$G6" /tmp/rk-gh$$ false)" "others may create files in \"/tmp\""
mkdir -p "$FS/userdir"
chown "$G6" "$FS/userdir"
refused "home in a folder the guest owns: refused" "$(conf user-parent "$G6" "$FS/userdir/h" false)" \
    "the folder \"$FS/userdir\" above guest.home or a folder above it is not root's"
G7=$(t_unique_name rk-go)
mk_user "$G7"
usermod -d "$FS/home/other$$" "$G7"
refused "home is another account's home: refused" "$(conf other-home "$G6" "$FS/home/other$$" false)" \
    "is or contains the home of 1 other account"
usermod -d "$FS/nest$$/inner" "$G7"
refused "home contains another account's home: refused" "$(conf other-home2 "$G6" "$FS/nest$$" false)" \
    "guest.home \"$FS/nest$$\" is or contains the home of 1 other account"
refused "all broken rules in one message" \
    "$(conf many "$G2" /etc/rk-y$$ false)" "group \"sudo\".*; guest.home \"/etc/rk-y$$\" is inside"

# The user database names another home than guest.home: the guest's programs would keep their
# files there, where no wipe looks. Refused, with the command that fixes it.
refused "passwd home other than guest.home: refused, with the fix" "$(conf pwhome "$G6" "$FS/home/$G6" false)" \
    "has the home \"/nonexistent\" in the user database, not guest.home \"$FS/home/$G6\".*usermod -d $FS/home/$G6 $G6"
usermod -d "$FS/home/$G6" "$G6"

# --- warnings only ----------------------------------------------------------------------------
# A usable password is unwise, not dangerous: the daemon runs and says so. Subordinate ids are
# inert without newuidmap (refused with it).
usermod -p '$6$rkguesttest$notarealhashxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' "$G6"
usermod --add-subuids 3000000000-3000065535 --add-subgids 3000000000-3000065535 "$G6"
C6=$(conf warn "$G6" "$FS/home/$G6" false)
LOG6=$T_TMP/warn.log
if [ -e /usr/bin/newuidmap ] || [ -e /usr/bin/newgidmap ]; then
    refused "subordinate ids with newuidmap installed: refused" "$C6" "subordinate id range"
    t_skip "warnings for a usable password and subordinate ids" "newuidmap is installed here"
else
    t_check "a guest with a password and subordinate ids: runs" start_daemon "$C6" "$LOG6"
    t_check "... READY" wait_ready
    stop_daemon
    t_check "... warns about the usable password" grep -q "guest account \"$G6\" has a usable password" "$LOG6"
    t_check "... warns about the subordinate ids" grep -q "subordinate id range" "$LOG6"
    t_expect_fail "... and never logs the hash" grep -q rkguesttest "$LOG6"
fi
usermod --del-subuids 3000000000-3000065535 --del-subgids 3000000000-3000065535 "$G6"

# The wipe-env guest (ordinary, locked, home guest.home in passwd) is accepted as before.
LOGW=$T_TMP/wipeenv.log
t_check "the usual test guest is accepted" start_daemon "$CONF" "$LOGW"
t_check "... READY" wait_ready
stop_daemon
t_expect_fail "refusals never reached the wipe: no guest of a refused case got a home" \
    sh -c "ls -d '$FS/home/$G2' '$FS/home/$G3' '$FS/home/$G4' '$FS/home/$G5' '$FS/home/other$$' 2>/dev/null | grep -q ."

# Clean up now (the EXIT trap does it again if this line is not reached) and check that no
# subordinate id line of ours is left (the files as a whole may change meanwhile through other
# tests' users; the EXIT trap restores them byte for byte).
for u in "$G1" "$G2" "$G3" "$G3P" "$G5B" "$G5" "$G6" "$G7"; do rm_user "$u"; done
t_check "users removed" sh -c "! getent passwd '$G1' '$G2' '$G3' '$G3P' '$G4' '$G5' '$G5B' '$G6' '$G7'"
t_expect_fail "no subordinate id line of this test's users is left" \
    grep -qE "^($G1|$G2|$G3|$G3P|$G4|$G5|$G5B|$G6|$G7):|^[0-9]+:3000000000:" /etc/subuid /etc/subgid
t_done
