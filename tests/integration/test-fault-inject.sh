#!/usr/bin/env bash
# Fault injection into the wipe and the journal. An LD_PRELOAD shim (tests/preload/faultshim.c)
# makes the n-th call of one libc function (write, rename*, unlink*, mount, umount2, fsync,
# syncfs, mkdirat, open with O_CREAT, mkostemp, fchown*, fchmod, symlinkat, copy_file_range,
# ...) fail with ENOSPC, EIO, EINTR, EBUSY or EPERM, once or from then on (a disk that stays
# full or broken). Every case must end in one of:
#   clean    the wipe (or the daemon's session end) verified: exit 0 / READY, and the home is the
#            skeleton, nothing of the guest anywhere else, the outside untouched;
#   refused  --wipe-once exits non-zero with "wipe NOT verified" logged, the outside untouched,
#            and a second --wipe-once without faults cleans fully;
#   held     the daemon keeps the seat in WIPING/ENDING/BLOCKED (no login possible) with a
#            warning logged; restarted without faults it wipes, and reaches a clean READY
#            (after an admin resolves the incident the failure opened);
#   login refused  the daemon refused the session (its journal could not record it): no one
#            logged in, the seat stays READY and clean.
# Anything else is WRONG and fails the test naming the case: exit 0 or READY with guest data
# left, a seat that reports a session as running after it ended, outside files changed, an
# error that was not logged, a crash or sanitizer report, a hang, no recovery.
#
# The n values come from a counting run of the same scenario (the shim counts every call per
# function). Targets: wipe-disk and wipe-tmpfs (rentarkd --wipe-once, the guest's home on the
# disk or on a tmpfs mounted over it), daemon-disk and daemon-tmpfs (a whole session of the
# real daemon, home strategy disk or tmpfs), daemon-boot (wipe.at_boot: the start-up wipe, and
# a login that arrives during it).
#
# Quick mode (default, about 75 cases): --wipe-once on the disk home, every function with
# ENOSPC, EINTR and one of EIO, EBUSY, EPERM in turn, at a rotating n out of {1, last, middle,
# 2, 3}, and "from" for the calls with a retry or fallback around them; the tmpfs home's
# umount2 with every errno; the daemon: the journal's calls and the tmpfs mount with several
# errnos, a few of the wipe's (the list is daemon_quick).
# RK_FAULT_FULL=1: for every function, every n up to 20 plus 10 spread over the rest, every
# errno, both modes, on every target (a few thousand cases: hours).
# RK_FAULT_TARGETS=LIST: only these targets; RK_FAULT_FUNCS=write,rename,...: only these
# functions; RK_FAULT_CASES="TARGET:FUNCTION:ERRNO:N:MODE ..." (as in wipe-disk:renameat:EIO:2:once):
# only these cases, say to replay one that failed.
# EINTR is never used with "from": an interruption that repeats forever models nothing (and a
# retry loop would rightly spin).
#
# The matrix runs against the build under test ($RK_BUILD): with the sanitizer build, the ASan
# runtime is preloaded before the shim (its interceptors then forward to the shim), so error
# paths are also checked for memory errors, undefined behaviour and leaks.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
SHIM=$RK_BUILD/tests/preload/faultshim.so
if [ ! -f "$SHIM" ]; then
    t_skip "fault injection" "no $SHIM (built by make tests)"
    t_done
    exit 0
fi
FULL=${RK_FAULT_FULL:-0}
START=$SECONDS
PRELOAD=$SHIM
ASAN_RT=$(ldd "$RKD" | awk '/libasan\.so/ { print $3; exit }')
[ -n "$ASAN_RT" ] && PRELOAD="$ASAN_RT:$SHIM"
ERRNOS=(ENOSPC EIO EINTR EBUSY EPERM)
ERRNOS_OTHER=(EIO EBUSY EPERM)

wipe_env_setup 256M ext4
. "$RK_SRC/tests/daemon-env.sh"
sed -i 's/^wipe = { /wipe = { verify_retry = 1; /' "$CONF"
CONF_TMPFS=$T_TMP/rentark-tmpfs.conf
sed 's/^wipe = { /wipe = { strategy = "tmpfs"; tmpfs_size = "32M"; /' "$CONF" >"$CONF_TMPFS"
# at_boot: a wipe at every start, whose journal entry (WIPING) is then the first write.
CONF_BOOT=$T_TMP/rentark-boot.conf
sed 's/^wipe = { /wipe = { at_boot = true; /' "$CONF" >"$CONF_BOOT"
TRASH=$FS/home/.rentark-trash
CNT=$T_TMP/counts

# ---- the guest's data -----------------------------------------------------------------------

# A template, copied in before every case: a few hundred files in Downloads, Documents and
# .cache, hostile symlinks to the outside, a file in a swept temp folder, the runtime folder,
# a crash report (root's, found by name).
TPL=$T_TMP/tpl
mkdir -p "$TPL/home/Downloads" "$TPL/home/Documents/letters" "$TPL/home/.cache/thumbs/large" "$TPL/tmp" \
    "$TPL/run/$GUID/dconf"
for i in $(seq 1 100); do
    echo "download $i" >"$TPL/home/Downloads/file-$i.pdf"
    echo "letter $i" >"$TPL/home/Documents/letters/l-$i.txt"
    echo "thumb $i" >"$TPL/home/.cache/thumbs/large/t-$i.png"
done
head -c 300000 /dev/urandom >"$TPL/home/Downloads/big.bin"
echo "cookie" >"$TPL/home/.cache/cookies.sqlite"
ln -s "$OUT/root-file" "$TPL/home/Documents/evil-link"
ln -s "$OUT/dir" "$TPL/home/.cache/evil-dir"
echo "guest tmp" >"$TPL/tmp/guest-tmp-file"
mkdir "$TPL/tmp/guest-tmp-dir" && echo x >"$TPL/tmp/guest-tmp-dir/inner"
echo "bus" >"$TPL/run/$GUID/dconf/user"
chown -R "$GUID:$GGID" "$TPL"
chown -h "$GUID:$GGID" "$TPL/home/Documents/evil-link" "$TPL/home/.cache/evil-dir"
CRASH_FILE=$FS/crash/_usr_bin_prog.$GUID.crash

# copy_into FROM TO: the entries of FROM (not FROM itself: its owner and mode stay TO's).
copy_into() { find "$1" -mindepth 1 -maxdepth 1 -exec cp -a -t "$2" {} +; }
plant_guest() {
    copy_into "$TPL/home" "$HOME_DIR" && copy_into "$TPL/tmp" "$FS/tmp" && copy_into "$TPL/run" "$FS/run/user" &&
        echo crash >"$CRASH_FILE"
}

# check_clean: everything a verified wipe promises; WHY says what is not so. Few processes (the
# matrix runs it hundreds of times): one find over the scratch file system, judged by awk.
# The outside is compared by type, mode, owner, size and ctime (any write, chmod, chown or
# link change moves the ctime); the end of the test compares its contents too.
OUT_SIG=$T_TMP/outside.sig
out_sig() { find "$OUT" -printf '%y %m %U %G %s %C@ %P -> %l\n' | LC_ALL=C sort; }
out_sig >"$OUT_SIG"
check_clean() {
    WHY=
    if grep -qF -e " $HOME_DIR " -e " $HOME_DIR/" /proc/self/mountinfo; then
        WHY="a mount is left on the home"
    elif [ ! -d "$HOME_DIR" ] || [ -L "$HOME_DIR" ]; then
        WHY="no home"
    elif ! diff -r --no-dereference "$SKEL" "$HOME_DIR" >/dev/null 2>&1; then
        WHY="home differs from the skeleton: $(diff -rq --no-dereference "$SKEL" "$HOME_DIR" 2>&1 | wc -l) differences"
    elif [ "$(out_sig)" != "$(cat "$OUT_SIG")" ]; then
        WHY="OUTSIDE FILES CHANGED"
    else
        # The daemon opens the seat before the old home in its root-only trash is deleted (in
        # the background, retried every verify_retry seconds after a failure): wait for it.
        for _ in $(seq 1 100); do [ -z "$(ls -A "$FS/home/.rentark-trash" 2>/dev/null)" ] && break; sleep 0.1; done
        WHY=$(find "$FS" -xdev -printf '%U %m %P\n' | awk -v uid="$GUID" -v home="home/$GUEST" \
            -v trash="home/.rentark-trash/" -v crash="crash/_usr_bin_prog.$GUID.crash" '
            { p = substr($0, length($1 " " $2 " ") + 1) }
            p == home { hm = $2; hu = $1; next }
            index(p, home "/") == 1 { if ($1 != uid) notguest++; next }
            $1 == uid { left++ }
            index(p, trash) == 1 { trashn++ }
            p == crash { crashn++ }
            END {
                if (hm != "700" || hu != uid) print "home is not 0700 and the guest'"'"'s"
                else if (notguest) print "home holds " notguest " entries not owned by the guest"
                else if (left) print "guest files left outside the home: " left
                else if (trashn) print "trash not empty: " trashn
                else if (crashn) print "the guest'"'"'s crash report is left"
            }')
    fi
    [ -z "$WHY" ]
}

# A sanitizer report, a failed assertion (GLib's criticals from g_return_if_fail and friends)
# or a fatal log line in a log file. rentarkd's own criticals are its start-up refusals.
crashed_in() {
    grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: .*Sanitizer|(: |\] )fatal: |critical: .*(assertion|should not be reached)' "$1"
}

# ---- the table -----------------------------------------------------------------------------

declare -A ROW_N ROW_CLEAN ROW_HELD ROW_NOFIRE ROW_WRONG
ROWS=()
NCASES=0
NWRONG=0
record() { # TARGET FUNC ERRNO MODE N OUTCOME [DETAIL]
    local key="$1|$2|$3|$4"
    if [ -z "${ROW_N[$key]+x}" ]; then
        ROWS+=("$key")
        ROW_N[$key]=; ROW_CLEAN[$key]=0; ROW_HELD[$key]=0; ROW_NOFIRE[$key]=0; ROW_WRONG[$key]=0
    fi
    ROW_N[$key]+="${ROW_N[$key]:+,}$5"
    NCASES=$((NCASES + 1))
    case $6 in
        clean) ROW_CLEAN[$key]=$((ROW_CLEAN[$key] + 1)) ;;
        held) ROW_HELD[$key]=$((ROW_HELD[$key] + 1)) ;;
        nofire) ROW_NOFIRE[$key]=$((ROW_NOFIRE[$key] + 1)) ;;
        *) ROW_WRONG[$key]=$((ROW_WRONG[$key] + 1)); NWRONG=$((NWRONG + 1))
           t_fail "$1: $2 fails with $3 at call $5 ($4)" "$7" ;;
    esac
}

# Compress "1,2,3,5,7,8" to "1-3,5,7-8".
ranges() {
    tr ',' '\n' <<<"$1" | sort -n -u | awk '
        NR == 1 { a = b = $1; next }
        $1 == b + 1 { b = $1; next }
        { printf "%s%s,", a, (a == b ? "" : "-" b); a = b = $1 }
        END { if (NR) printf "%s%s", a, (a == b ? "" : "-" b) }'
}

print_table() {
    echo "#"
    printf '# %-20s %-16s %-7s %-5s %-28s %5s %5s %5s %6s\n' target function errno mode "n (calls failed)" clean held nofir WRONG
    local k t f e m
    for k in "${ROWS[@]}"; do
        IFS='|' read -r t f e m <<<"$k"
        printf '# %-20s %-16s %-7s %-5s %-28s %5d %5d %5d %6d\n' "$t" "$f" "$e" "$m" "$(ranges "${ROW_N[$k]}" | cut -c1-28)" \
            "${ROW_CLEAN[$k]}" "${ROW_HELD[$k]}" "${ROW_NOFIRE[$k]}" "${ROW_WRONG[$k]}"
    done
    echo "#"
    echo "# held = refused (--wipe-once exit 1, recovered by a clean run) or held (daemon: seat kept closed, recovered"
    echo "# after a restart); nofir = the run made fewer calls than the counting run, nothing failed (checked clean)."
}

# ---- the n values --------------------------------------------------------------------------

count_of() { awk -v f="$1" '$1 == f { print $2 }' "$2"; }

# nlist COUNT: every n up to 20, then 10 spread over the rest (full mode).
nlist_full() {
    local c=$1 i
    for ((i = 1; i <= c && i <= 20; i++)); do echo $i; done
    if [ "$c" -gt 20 ]; then
        for ((i = 1; i <= 10; i++)); do echo $((20 + (i * (c - 20) + 9) / 10)); done | sort -n -u
    fi
}
# Quick mode: candidates in the order they are taken.
nlist_quick() {
    local c=$1
    printf '%s\n' 1 "$c" $(((c + 1) / 2)) 2 3 | awk -v c="$c" '$1 >= 1 && $1 <= c && !seen[$1]++'
}

shim_env() { # FUNC ERRNO N MODE
    echo "LD_PRELOAD=$PRELOAD RK_FAULT_CALL=$1 RK_FAULT_ERRNO=$2 RK_FAULT_NTH=$3 RK_FAULT_MODE=$4 RK_FAULT_COUNT_FILE=$CNT"
}

# ---- target 1: rentarkd --wipe-once ---------------------------------------------------------

# prepare_wipe VARIANT: the guest's data in place; tmpfs: on a tmpfs mounted on the home, as
# the daemon's tmpfs strategy leaves it.
prepare_wipe() {
    if [ "$1" = tmpfs ]; then
        mount -t tmpfs -o "size=32M,mode=0700,uid=$GUID,gid=$GGID" tmpfs "$HOME_DIR" || return 1
        copy_into "$SKEL" "$HOME_DIR"
    fi
    plant_guest
}

# restore: back to a clean seat after a case that went wrong, so that one failure does not
# become a cascade; if even that fails, the matrix stops here.
restore() {
    while grep -qF -e " $HOME_DIR " -e " $HOME_DIR/" /proc/self/mountinfo; do umount -l "$HOME_DIR" || break; done
    wipe_once && check_clean && return 0
    t_fail "a wipe without faults restores a clean seat" "${WHY:-$(tail -3 "$T_TMP/wipe.log" | tr '\n' ' ')}"
    print_table
    t_done
    exit 1
}

# wipe_case VARIANT FUNC ERRNO N MODE [again]
wipe_case() {
    local v=$1 f=$2 e=$3 n=$4 m=$5 tgt="wipe-once $1" rc fired
    prepare_wipe "$v" || { record "$tgt" "$f" "$e" "$m" "$n" wrong "cannot prepare the case"; restore; return; }
    rm -f "$CNT"
    timeout -s KILL 60 env $(shim_env "$f" "$e" "$n" "$m") "$RKD" -c "$CONF" --wipe-once >"$T_TMP/wipe.out" 2>"$T_TMP/wipe.log"
    rc=$?
    if [ $rc -eq 143 ] && [ "${6:-}" != again ]; then
        # SIGTERM came from outside (nothing in rentarkd or this test sends it; on a shared
        # machine, say, a `pkill rentarkd`): run the case once more from a clean seat.
        t_diag "wipe-once $v $f $e $n $m: killed by SIGTERM from outside; running it again"
        restore; wipe_case "$v" "$f" "$e" "$n" "$m" again
        return
    fi
    fired=$(count_of fired "$CNT" 2>/dev/null)
    if [ $rc -ge 124 ] || [ -z "$fired" ] || crashed_in "$T_TMP/wipe.log"; then
        record "$tgt" "$f" "$e" "$m" "$n" wrong "crash, hang or sanitizer report (exit $rc): $(grep -m3 -E 'Sanitizer|runtime error|fatal|critical' "$T_TMP/wipe.log" | tr '\n' ' ')"
        t_diag "its log:"; tail -8 "$T_TMP/wipe.log" | sed 's/^/#   /'
        restore
    elif [ $rc -eq 0 ]; then
        if ! check_clean; then
            record "$tgt" "$f" "$e" "$m" "$n" wrong "EXIT 0 BUT NOT CLEAN: $WHY"
            restore
        elif [ "$fired" -eq 0 ]; then
            record "$tgt" "$f" "$e" "$m" "$n" nofire
        else
            record "$tgt" "$f" "$e" "$m" "$n" clean
        fi
    elif ! grep -q 'wipe NOT verified: step' "$T_TMP/wipe.log"; then
        record "$tgt" "$f" "$e" "$m" "$n" wrong "exit $rc without \"wipe NOT verified\" in the log: $(tail -2 "$T_TMP/wipe.log" | tr '\n' ' ')"
        restore
    elif [ "$(out_sig)" != "$(cat "$OUT_SIG")" ]; then
        record "$tgt" "$f" "$e" "$m" "$n" wrong "OUTSIDE FILES CHANGED by a refused wipe"
        restore
    else
        wipe_once
        rc=$?
        if [ $rc -ne 0 ] || ! check_clean; then
            record "$tgt" "$f" "$e" "$m" "$n" wrong "refused, but a wipe without faults then did not clean (exit $rc): ${WHY:-$(tail -2 "$T_TMP/wipe.log" | tr '\n' ' ')}"
            restore
        else
            record "$tgt" "$f" "$e" "$m" "$n" held
        fi
    fi
}

wipe_matrix() { # VARIANT SHARE(all|light)
    local v=$1 share=$2 f c e m i k=0 n
    prepare_wipe "$v" || { t_fail "wipe-once $v: prepare the counting run"; return; }
    rm -f "$CNT"
    env LD_PRELOAD="$PRELOAD" RK_FAULT_COUNT_FILE="$CNT" "$RKD" -c "$CONF" --wipe-once >"$T_TMP/wipe.out" 2>"$T_TMP/wipe.log"
    if [ $? -ne 0 ] || ! check_clean; then
        t_fail "wipe-once $v: counting run without faults is clean" "${WHY:-$(tail -3 "$T_TMP/wipe.log" | tr '\n' ' ')}"
        return
    fi
    t_diag "wipe-once $v: calls per function in one wipe: $(awk '$1 != "fired" && $2 > 0 { printf "%s %s, ", $1, $2 }' "$CNT")"
    local funcs=() counts=()
    while read -r f c; do
        [ "$f" = fired ] || [ "$c" -eq 0 ] && continue
        [ -z "${RK_FAULT_FUNCS:-}" ] || [[ ",$RK_FAULT_FUNCS," == *",$f,"* ]] || continue
        funcs+=("$f"); counts+=("$c")
    done <"$CNT"
    local before=$NWRONG cases0=$NCASES
    for i in "${!funcs[@]}"; do
        f=${funcs[$i]}; c=${counts[$i]}
        if [ "$FULL" = 1 ]; then
            for n in $(nlist_full "$c"); do
                for e in "${ERRNOS[@]}"; do
                    wipe_case "$v" "$f" "$e" "$n" once
                    [ "$e" = EINTR ] || wipe_case "$v" "$f" "$e" "$n" from
                done
            done
            continue
        fi
        local ns=($(nlist_quick "$c"))
        if [ "$share" = all ]; then
            # ENOSPC and EINTR (the errnos with a retry around some calls), then one of EIO,
            # EBUSY, EPERM in turn, each at the next n of the rotation; then one "from".
            local three=(ENOSPC EINTR "${ERRNOS_OTHER[$((i % 3))]}")
            for e in 0 1 2; do
                wipe_case "$v" "$f" "${three[$e]}" "${ns[$((e % ${#ns[@]}))]}" once
            done
            # A disk that stays broken, for the calls with a retry or a fallback around them.
            case $f in
                renameat|unlinkat|fchown|copy_file_range|syncfs)
                    e=(ENOSPC EIO EBUSY EPERM); wipe_case "$v" "$f" "${e[$((i % 4))]}" 1 from ;;
            esac
        else
            # The tmpfs home: every errno for umount2 (only it has a mount to detach), and a
            # few of the others, errno and n rotating.
            case $f in
                umount2)
                    for e in "${ERRNOS[@]}"; do wipe_case "$v" "$f" "$e" 1 once; done
                    wipe_case "$v" "$f" EBUSY 1 from ;;
                renameat|unlinkat_dir|syncfs|copy_file_range)
                    k=$((k + 1))
                    wipe_case "$v" "$f" "${ERRNOS[$((k % 5))]}" "${ns[$((k % ${#ns[@]}))]}" once ;;
            esac
        fi
    done
    [ $NWRONG -eq $before ] && t_ok "wipe-once $v: $((NCASES - cases0)) fault cases, each clean or refused and recovered"
}

# ---- target 2: the daemon -------------------------------------------------------------------

# Quick mode's cases for the daemon, ERRNO@WHICH[:from] with WHICH first, last, mid or a
# number: the journal's calls (write, rename, fsync, mkostemp: NOTICE, ACTIVE, ENDING, WIPING,
# statistics, metrics, READY in this order), the mount of the tmpfs home and its detaching, a
# few of the wipe's and the start-up's calls. The wipe's calls have their own matrix above;
# here what counts is what the seat does when the wipe fails.
daemon_quick() { # VARIANT FUNC
    case $1:$2 in
        disk:write) echo ENOSPC@first EIO@last EINTR@mid ENOSPC@3:from ;;
        disk:rename) echo EIO@first ENOSPC@mid ;;
        disk:fsync) echo EIO@first ENOSPC@last EIO@mid:from ;;
        disk:mkostemp) echo ENOSPC@first EIO@last ;;
        disk:renameat) echo EIO@last ;;
        disk:unlinkat) echo ENOSPC@mid ;;
        disk:syncfs) echo EIO@first ;;
        disk:unlink) echo EBUSY@first ;;
        disk:chmod) echo EPERM@first ;;
        tmpfs:mount) echo ENOSPC@first EPERM@first EIO@first:from ;;
        tmpfs:umount2) echo EBUSY@first EIO@first:from ;;
        tmpfs:write) echo EIO@3:from ;;
        # The start-up wipe's WIPING entry fails: the login that comes during that wipe must
        # wait for it (and then the session ends clean), never be taken as if READY.
        boot:write) echo ENOSPC@first ;;
        boot:rename) echo EIO@first ;;
        boot:fsync) echo EIO@first ;;
        boot:mkostemp) echo EPERM@first ;;
    esac
}

DLOG=$T_TMP/daemon.log
# Status polls, many per case: rentarkctl without LeakSanitizer's exit check, which costs more
# than the query (the commands that act, hook, accept and end, keep it).
fstate() {
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$RKCTL" -s "$SOCK" status 2>/dev/null | awk '$1 == "state" { print $2 }'
}
is_state() { [ "$(fstate)" = "$1" ]; }
# fdaemon_start CONF [ENV...]: the daemon with the given environment (the shim's), not its clients.
fdaemon_start() {
    local conf=$1; shift
    env "$@" "$RKD" -c "$conf" -f >>"$DLOG" 2>&1 &
    DPID=$!
    for _ in $(seq 1 200); do
        [ -S "$SOCK" ] && [ -n "$(fstate)" ] && return 0
        kill -0 $DPID 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
# fdaemon_start_early CONF [ENV...]: back as soon as the socket is there (no status asked),
# so that what comes next reaches the daemon during its start-up wipe.
fdaemon_start_early() {
    local conf=$1; shift
    rm -f "$SOCK"
    env "$@" "$RKD" -c "$conf" -f >>"$DLOG" 2>&1 &
    DPID=$!
    for _ in $(seq 1 500); do
        [ -S "$SOCK" ] && return 0
        kill -0 $DPID 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}
fdaemon_stop() { # exit status of the daemon
    local rc=0
    [ -n "$DPID" ] || return 0
    kill -TERM $DPID 2>/dev/null
    # SIGKILL after 30 s: the shutdown grace is 20 s.
    (sleep 30; kill -KILL $DPID 2>/dev/null) &
    local killer=$!
    wait $DPID 2>/dev/null; rc=$?
    kill $killer 2>/dev/null; wait $killer 2>/dev/null
    DPID=
    return $rc
}
# Wipes whose result is in the log; a wipe ended since NWIPES0 was taken.
nwipes() { grep -cE 'wipe verified in|wipe NOT verified: step' "$DLOG" || true; }
NWIPES0=0
wipe_finished() { [ "$(nwipes)" -gt "$NWIPES0" ]; }
wait_for() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done; }
# Warnings a fault explains (not the guest account's at start-up).
logged_error() { grep -E '(: |\] )(warning|critical): ' "$DLOG" | grep -qv 'guest account'; }

# The daemon's state settled after a wipe: READY, or BLOCKED once the retry verified.
settled() { local s; s=$(fstate); [ "$s" = READY ] || { [ "$s" = BLOCKED ] && grep -q 'wipe verified' "$DLOG"; }; }
ready_or_blocked() { local s; s=$(fstate); [ "$s" = READY ] || [ "$s" = BLOCKED ]; }

# recover CONF: start without faults; wipe, resolve incidents the faults opened, reach READY.
recover() {
    : >"$DLOG"
    fdaemon_start "$1" || { WHY="the daemon does not start without faults: $(tail -2 "$DLOG" | tr '\n' ' ')"; return 1; }
    wait_for 30 settled
    local id
    for id in $(ctl incidents 2>/dev/null | awk 'length($1) == 16 && $1 ~ /^[0-9a-f]+$/ { print $1 }'); do ctl incidents resolve "$id" >/dev/null; done
    if ! wait_for 20 is_state READY; then
        WHY="no READY after a restart without faults (state $(fstate)): $(grep -E 'warning|NOT' "$DLOG" | tail -2 | tr '\n' ' ')"
        fdaemon_stop; return 1
    fi
    check_clean || { WHY="READY after the restart, but: $WHY"; fdaemon_stop; return 1; }
    fdaemon_stop || { WHY="the daemon exited non-zero"; return 1; }
    crashed_in "$DLOG" && { WHY="sanitizer report or fatal error in the recovery"; return 1; }
    return 0
}

# A trash that takes a while to empty: the start-up wipe of "boot" lasts long enough for the
# login that comes right after the start to arrive during it.
fill_trash() {
    mkdir -p "$TRASH/old-home"
    for i in $(seq 1 5000); do : >"$TRASH/old-home/f$i"; done
}

# daemon_case VARIANT FUNC ERRNO N MODE [again]: one whole session with the fault in the daemon.
daemon_case() {
    local v=$1 f=$2 e=$3 n=$4 m=$5 tgt="daemon $1" conf=$CONF st out= why= fired= rc
    [ "$v" = tmpfs ] && conf=$CONF_TMPFS
    local start=fdaemon_start
    [ "$v" = boot ] && { conf=$CONF_BOOT; start=fdaemon_start_early; fill_trash; }
    : >"$DLOG"; rm -f "$CNT"
    if ! $start "$conf" $(shim_env "$f" "$e" "$n" "$m"); then
        if kill -0 "$DPID" 2>/dev/null; then why="no answer on the socket"; fdaemon_stop
        else wait "$DPID"; rc=$?; DPID=
            # A refusal to start is logged as a critical, and G_DEBUG=fatal-criticals (tests/run.sh)
            # turns that into SIGTRAP (exit 133) after the message is out.
            if crashed_in "$DLOG" || { [ $rc -ge 128 ] && [ $rc -ne 133 ]; }; then why="crashed at start (exit $rc)"
            elif ! grep -qE '(: |\] )critical: ' "$DLOG"; then why="exited $rc at start without an error logged"
            else out=held; fired=1; fi
        fi
    elif ! ctl hook session-setup "$GUEST" >"$T_TMP/setup.out" 2>&1; then
        # No session: nothing of a guest yet. The seat must not pretend one runs, and the
        # display manager's hook is told why.
        st=$(fstate)
        if [ "$st" = READY ] && check_clean && { logged_error || grep -q journal "$T_TMP/setup.out"; }; then
            out=refused-login
        else why="session refused (\"$(head -1 "$T_TMP/setup.out")\"), then state $st${WHY:+: $WHY}"; fi
    else
        guest_ctl accept >/dev/null 2>&1
        plant_guest
        NWIPES0=$(nwipes)
        ctl end >/dev/null 2>&1
        if ! wait_for 30 wipe_finished; then
            st=$(fstate)
            if [ "$st" = READY ] && ! check_clean; then
                why="READY WITH GUEST DATA LEFT, the session unknown to the seat (no wipe at its end): $WHY"
            else why="the wipe did not finish in 30 s (state $st)"; fi
        else
            # Let the result reach the state: READY, or closed (WIPING/BLOCKED), or a retry.
            wait_for 3 ready_or_blocked
            st=$(fstate)
            case $st in
                READY) if check_clean; then out=clean; else why="READY WITH GUEST DATA LEFT: $WHY"; fi ;;
                WIPING|ENDING|BLOCKED)
                    if ! logged_error; then why="held in $st without an error logged"
                    # The hook waits (up to minutes) while the seat is ENDING or WIPING, and fails
                    # at once when BLOCKED: either way no login within 3 s.
                    elif timeout 3 "$RKCTL" -s "$SOCK" hook session-setup "$GUEST" >/dev/null 2>&1; then
                        why="held in $st, yet a new login was taken"
                    else out=held; fi ;;
                "") why="the daemon is gone (crash?): $(tail -2 "$DLOG" | tr '\n' ' ')" ;;
                *) why="the seat reports $st after the session ended (a new login would be taken as this session's)" ;;
            esac
        fi
    fi
    if [ -n "$DPID" ] && ! kill -0 "$DPID" 2>/dev/null && grep -q 'notice: shutting down' "$DLOG" && [ "${6:-}" != again ]; then
        # Stopped by SIGTERM from outside (nothing in this test sends it before fdaemon_stop;
        # on a shared machine, say, a `pkill rentarkd`): run the case once more.
        t_diag "daemon $v $f $e $n $m: stopped by SIGTERM from outside; running it again"
        fdaemon_stop; recover "$conf"; daemon_case "$v" "$f" "$e" "$n" "$m" again
        return
    fi
    fdaemon_stop; rc=$?
    if [ -z "$why" ] && { [ $rc -ge 124 ] || crashed_in "$DLOG"; }; then
        why="crash or sanitizer report (exit $rc): $(grep -m3 -E 'Sanitizer|runtime error|fatal|critical' "$DLOG" | tr '\n' ' ')"
    fi
    [ -n "$fired" ] || fired=$(count_of fired "$CNT" 2>/dev/null)
    cp "$DLOG" "$T_TMP/daemon-case.log"
    if [ -n "$why" ]; then
        t_diag "daemon log of the wrong case:"; sed 's/^/#   /' "$T_TMP/daemon-case.log" | tail -15
        recover "$conf" || t_diag "... and no recovery: $WHY"
        record "$tgt" "$f" "$e" "$m" "$n" wrong "$why"
        return
    fi
    if [ "$out" != clean ] || ! check_clean; then
        if ! recover "$conf"; then
            record "$tgt" "$f" "$e" "$m" "$n" wrong "$out, then: $WHY"
            return
        fi
    fi
    if [ "${fired:-0}" -eq 0 ]; then out=nofire; fi
    [ "$out" = refused-login ] && out=held
    record "$tgt" "$f" "$e" "$m" "$n" "$out"
}

daemon_matrix() { # VARIANT
    local v=$1 conf=$CONF f c e i n m
    [ "$v" = tmpfs ] && conf=$CONF_TMPFS
    local start=fdaemon_start
    [ "$v" = boot ] && { conf=$CONF_BOOT; start=fdaemon_start_early; fill_trash; }
    # Counting run: one whole session, from start-up to stop.
    : >"$DLOG"; rm -f "$CNT"
    if ! $start "$conf" LD_PRELOAD="$PRELOAD" RK_FAULT_COUNT_FILE="$CNT" || ! wait_for 20 is_state READY ||
        ! ctl hook session-setup "$GUEST" >/dev/null || ! guest_ctl accept >/dev/null || ! plant_guest ||
        ! NWIPES0=$(nwipes) || ! ctl end >/dev/null || ! wait_for 30 wipe_finished || ! wait_for 10 is_state READY || ! check_clean; then
        t_fail "daemon $v: counting session without faults ends clean and READY" "${WHY:-$(tail -3 "$DLOG" | tr '\n' ' ')}"
        fdaemon_stop; recover "$conf"
        return
    fi
    fdaemon_stop
    t_diag "daemon $v: calls per function in one session: $(awk '$1 != "fired" && $2 > 0 { printf "%s %s, ", $1, $2 }' "$CNT")"
    local funcs=() counts=()
    while read -r f c; do
        [ "$f" = fired ] || [ "$c" -eq 0 ] && continue
        [ -z "${RK_FAULT_FUNCS:-}" ] || [[ ",$RK_FAULT_FUNCS," == *",$f,"* ]] || continue
        funcs+=("$f"); counts+=("$c")
    done <"$CNT"
    local before=$NWRONG cases0=$NCASES
    for i in "${!funcs[@]}"; do
        f=${funcs[$i]}; c=${counts[$i]}
        if [ "$FULL" = 1 ]; then
            for n in $(nlist_full "$c"); do
                for e in "${ERRNOS[@]}"; do
                    daemon_case "$v" "$f" "$e" "$n" once
                    [ "$e" = EINTR ] || daemon_case "$v" "$f" "$e" "$n" from
                done
            done
            continue
        fi
        local item pos
        for item in $(daemon_quick "$v" "$f"); do
            IFS=@: read -r e pos m <<<"$item"
            case $pos in first) n=1 ;; last) n=$c ;; mid) n=$(((c + 1) / 2)) ;; *) n=$pos ;; esac
            [ "$n" -le "$c" ] && daemon_case "$v" "$f" "$e" "$n" "${m:-once}"
        done
    done
    [ $NWRONG -eq $before ] && t_ok "daemon $v: $((NCASES - cases0)) fault cases, each READY and clean or held with an error, and recovered"
}

# ---- run --------------------------------------------------------------------------------------

wipe_once && check_clean || { t_fail "first wipe without faults" "${WHY:-$(tail -3 "$T_TMP/wipe.log")}"; t_done; exit 1; }
# A clean READY journal to begin from: the daemon starts without a wipe, so the faults land
# in the session and its end.
: >"$DLOG"
fdaemon_start "$CONF" && wait_for 20 is_state READY && fdaemon_stop ||
    { t_fail "daemon READY without faults" "$(tail -3 "$DLOG")"; t_done; exit 1; }

for c in ${RK_FAULT_CASES:-}; do
    IFS=: read -r t f e n m <<<"$c"
    case $t in
        wipe-*) wipe_case "${t#wipe-}" "$f" "$e" "$n" "$m" ;;
        daemon-*) daemon_case "${t#daemon-}" "$f" "$e" "$n" "$m" ;;
    esac
done
[ -n "${RK_FAULT_CASES:-}" ] && RK_FAULT_TARGETS=none
for t in ${RK_FAULT_TARGETS:-wipe-disk wipe-tmpfs daemon-disk daemon-tmpfs daemon-boot}; do
    case $t in
        wipe-disk) wipe_matrix disk all ;;
        wipe-tmpfs) wipe_matrix tmpfs "$([ "$FULL" = 1 ] && echo all || echo light)" ;;
        daemon-disk) daemon_matrix disk ;;
        daemon-tmpfs) daemon_matrix tmpfs ;;
        daemon-boot) daemon_matrix boot ;;
    esac
done

print_table
t_check "the outside is byte-identical after all cases" test "$(t_tree_digest "$OUT")" = "$OUT_DIGEST"
t_diag "$NCASES cases ($([ "$FULL" = 1 ] && echo full || echo quick) matrix) in $((SECONDS - START)) s, $NWRONG wrong"
NHELD=0
for k in "${ROWS[@]}"; do NHELD=$((NHELD + ROW_HELD[$k])); done
[ -n "${RK_FAULT_CASES:-}" ] || t_check "the faults were felt: $NHELD of $NCASES cases refused or held" test "$NHELD" -gt 0
t_done
