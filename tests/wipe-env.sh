# Shared setup for wipe tests: a scratch file system holding everything the wipe may touch
# (home, trash, skeleton, temp folders, spool, crash and journal folders) plus an "outside"
# folder of sentinels that must stay byte-identical. A real guest user from useradd.
#
# Source after tests/lib.sh. Sets: FS, GUEST, GUID, GGID, HOME_DIR, SKEL, OUT, CONF.

# wipe_env_setup [SIZE] [FSTYPE]
wipe_env_setup() {
    FS=$T_TMP/fs
    t_scratch_fs "$FS" "${1:-512M}" "${2:-tmpfs}" || { t_fail "scratch file system" "mount failed"; t_done; exit 1; }
    GUEST=$(t_unique_name rk-w)
    t_user "$GUEST" || { t_fail "create guest user" "useradd failed"; t_done; exit 1; }
    GUID=$(id -u "$GUEST"); GGID=$(id -g "$GUEST")
    HOME_DIR=$FS/home/$GUEST
    # The user database's home is guest.home, as on a kiosk (rentarkd refuses a guest whose
    # programs would keep their files in another, never-wiped folder).
    usermod -d "$HOME_DIR" "$GUEST" || { t_fail "set the guest's home" "usermod failed"; t_done; exit 1; }
    SKEL=$FS/skel
    OUT=$FS/outside
    mkdir -p "$FS/home" "$SKEL/.config/autostart" "$SKEL/Documents" "$SKEL/.mozilla/firefox" \
        "$FS/notice/nb" "$FS/notice/nn" "$FS/notice/en" "$FS/state" "$FS/tmp" "$FS/vartmp" "$FS/shm" \
        "$FS/run/user" "$FS/spool/cups" "$FS/crash" "$FS/coredump" "$FS/journal/0123456789abcdef" \
        "$OUT/dir"
    chmod 1777 "$FS/tmp" "$FS/vartmp" "$FS/shm"
    printf 'export LANG=nb_NO.UTF-8\n' >"$SKEL/.profile"
    printf '{"policies":{"PasswordManagerEnabled":false}}\n' >"$SKEL/.mozilla/firefox/policies.json"
    ln -s .profile "$SKEL/.bash_profile"
    chmod 0600 "$SKEL/.profile"
    # Sentinels outside: files of root and of another user, a dir, a file a guest link points at.
    echo "root's secret" >"$OUT/root-file"
    echo "do not touch" >"$OUT/dir/inner"
    head -c 100000 /dev/urandom >"$OUT/binary"
    chmod 0644 "$OUT/root-file"
    CONF=$T_TMP/rentark.conf
    cat >"$CONF" <<CONF
guest = { user = "$GUEST"; home = "$HOME_DIR"; skeleton = "$SKEL"; create = false; };
wipe = { trash_dir = "$FS/home/.rentark-trash"; sweep = [ "$FS/tmp", "$FS/vartmp", "$FS/shm" ]; census_mounts = [ "$FS" ]; };
notice = { text_dir = "$FS/notice"; };
paths = { state_dir = "$FS/state"; socket = "$FS/state/control.sock"; run_user_dir = "$FS/run/user";
          cups_spool = "$FS/spool/cups"; cups_server = "$T_TMP/cups/cups.sock"; crash_dirs = [ "$FS/crash", "$FS/coredump" ];
          journal_dir = "$FS/journal"; metrics_file = "$FS/state/rentark.prom"; };
CONF
    OUT_DIGEST=$(t_tree_digest "$OUT")
}

# as_guest CMD...: run a command as the guest.
as_guest() { setpriv --reuid="$GUID" --regid="$GGID" --clear-groups -- "$@"; }

# wipe_once [ARGS...]: run the real wipe; its log goes to $T_TMP/wipe.log.
wipe_once() { "$RKD" -c "$CONF" --wipe-once "$@" >"$T_TMP/wipe.out" 2>"$T_TMP/wipe.log"; }

# wipe_check DESC: after a wipe, check everything a wipe promises, as one test line each:
# exit 0, home equals the skeleton, no file of the guest anywhere else, outside untouched.
wipe_check() {
    local d=$1 rc=$2 why=""
    [ "$rc" -eq 0 ] || why="rentarkd --wipe-once exited $rc: $(tail -3 "$T_TMP/wipe.log" | tr '\n' ' ')"
    # The daemon opens the seat once the fresh home is in place and the census has passed; the
    # old home in the root-only trash is deleted in the background right after: wait for it.
    wait_trash_empty
    if [ -z "$why" ]; then
        local want got
        want=$(cd "$SKEL" && find . -mindepth 1 -printf '%y %m %s %P -> %l\n' | LC_ALL=C sort)
        got=$(cd "$HOME_DIR" && find . -mindepth 1 -printf '%y %m %s %P -> %l\n' | LC_ALL=C sort)
        [ "$want" = "$got" ] || why="home differs from the skeleton: $(diff <(echo "$want") <(echo "$got") | head -5 | tr '\n' ' ')"
        [ -n "$why" ] || [ "$(stat -c '%a %U' "$HOME_DIR")" = "700 $GUEST" ] || why="home is not 0700 and the guest's"
    fi
    if [ -z "$why" ]; then
        local owners
        owners=$(find "$HOME_DIR" \! -user "$GUEST" | head -3)
        [ -z "$owners" ] || why="home holds entries not owned by the guest"
    fi
    if [ -z "$why" ]; then
        local left
        left=$(find "$FS" -xdev -uid "$GUID" \! -path "$HOME_DIR" \! -path "$HOME_DIR/*" 2>/dev/null | head -3)
        [ -z "$left" ] || why="guest files left outside the home: $(echo "$left" | wc -l)"
    fi
    if [ -z "$why" ] && [ -n "$(ls -A "$FS/home/.rentark-trash" 2>/dev/null)" ]; then
        why="trash not empty"
    fi
    if [ -z "$why" ] && [ "$(t_tree_digest "$OUT")" != "$OUT_DIGEST" ]; then
        why="OUTSIDE FILES CHANGED"
    fi
    if [ -z "$why" ]; then t_ok "$d"; else t_fail "$d" "$why"; fi
}

# wait_trash_empty [SECONDS]: until the trash folder is empty (the daemon's background deletion).
wait_trash_empty() {
    local end=$((SECONDS + ${1:-20} * ${RK_TIME_SCALE:-1}))
    while [ -n "$(ls -A "$FS/home/.rentark-trash" 2>/dev/null)" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
}

# live_guest_procs: number of live (not zombie) processes of the guest.
live_guest_procs() { ps -u "$GUID" -o stat= 2>/dev/null | grep -vc '^Z'; }
