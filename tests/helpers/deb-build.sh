# Shared by tests/integration/test-deb.sh, test-ansible.sh and test-apt-repo.sh (sourced after
# tests/lib.sh): build rentark's Debian package from the working tree, and take and compare
# snapshots of what installing and purging a package may change on this machine.

# deb_missing_tool: print the first build tool that is missing (status 0), or nothing (1).
deb_missing_tool() {
    local t
    for t in git dpkg-buildpackage dpkg-deb dh dpkg-query; do
        command -v "$t" >/dev/null 2>&1 || { echo "$t"; return 0; }
    done
    return 1
}

# deb_build: build the binary package from a copy of the working tree: the tracked files and
# the untracked ones that are not ignored (new files not committed yet belong to the tree
# under test; build/ and other ignored files do not). Sets DEB_FILE (the rentark .deb) and
# DEB_BUILT ("built" or "reused"). The build log is $T_TMP/build.log.
#
# A build takes one to three minutes, so the .debs of a tree are kept in $RK_BUILD/deb-cache,
# under a digest of the copied tree (but tests/, which no package holds) and the versions of
# the tool chain, and reused by the next test (test-ansible and test-deb build once per
# tree). RK_DEB_REBUILD=1 always builds.
deb_build() {
    local src=$T_TMP/src log=$T_TMP/build.log cache=$RK_BUILD/deb-cache key
    DEB_FILE= DEB_BUILT=
    rm -rf "$src" && mkdir -p "$src/rentark" || return 1
    (cd "$RK_SRC" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            # A tracked file deleted in the working tree is not part of it.
            if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
        done | tar --null -T - -cf -) | tar -xf - -C "$src/rentark" || return 1

    # tests/ goes into no package: a change there alone does not call for a new build.
    key=$( (cd "$src/rentark" && find . -path ./tests -prune -o \( -type f -o -type l \) -printf '%m %p -> %l\n' | LC_ALL=C sort &&
        find . -path ./tests -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum &&
        dpkg-query -W debhelper dpkg-dev gcc libc6-dev) | sha256sum | cut -c1-16)
    if [ "${RK_DEB_REBUILD:-0}" != 1 ] && ls "$cache/$key"/rentark_*.deb >/dev/null 2>&1; then
        DEB_FILE=$(ls "$cache/$key"/rentark_*.deb | head -1)
        DEB_BUILT=reused
        echo "reused $DEB_FILE (a build of an identical tree)" >"$log"
        return 0
    fi

    # Not the make of "make check": its jobserver and flags do not belong to this build.
    if ! (cd "$src/rentark" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
        DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
        t_diag "dpkg-buildpackage failed; the end of $log:"
        tail -25 "$log" | sed 's/^/#   /'
        return 1
    fi
    DEB_FILE=$(ls "$src"/rentark_*.deb 2>/dev/null | head -1)
    [ -n "$DEB_FILE" ] || return 1
    DEB_BUILT=built
    # Keep only the newest tree's packages; a new folder appears whole (rename).
    rm -rf "$cache" && mkdir -p "$cache/.new.$$" &&
        cp "$src"/*.deb "$src"/*.changes "$src"/*.buildinfo "$cache/.new.$$/" 2>/dev/null &&
        mv "$cache/.new.$$" "$cache/$key" || true
    return 0
}

# What a package's install and purge may touch, and what the machine changes by itself.
DEB_SNAP_HASHED=(/etc /lib/systemd/system /var/lib)
DEB_SNAP_LISTED=(/usr/sbin /usr/bin /usr/share/man /usr/share/doc /usr/share/rentark)
DEB_SNAP_PRUNE=(
    /var/lib/dpkg /var/lib/apt        # dpkg's and apt's own records of every operation
    /var/lib/postgresql               # a database's files change while it runs
    /var/lib/systemd/coredump         # other programs' crash dumps
    /var/lib/man-db                   # man-db's trigger
)
# The account database is compared entry by entry instead (deb_accounts), not as files: its
# backup files (passwd- ...) keep the state before the last change by design, and its lock
# and temporary files (passwd.lock, passwd+ ...) come and go with every useradd.
DEB_SNAP_ACCOUNT_FILES=('/etc/passwd*' '/etc/group*' '/etc/shadow*' '/etc/gshadow*' '/etc/subuid*'
    '/etc/subgid*' /etc/.pwd.lock)

# deb_snapshot OUT: one line per entry of the places above. Folders: type, mode, owner (their
# times and sizes change when an entry comes and goes again). Files in /etc, the units and
# /var/lib: mode, owner, size and content hash. In /usr: mode, owner, size and mtime (dpkg
# sets the mtime from the package; hashing /usr/bin would take long). Links: their target.
# The accounts go to OUT.accounts (deb_accounts).
deb_snapshot() {
    local out=$1 p prune=() d
    for p in "${DEB_SNAP_PRUNE[@]}"; do prune+=(-path "$p" -o); done
    for p in "${DEB_SNAP_ACCOUNT_FILES[@]}"; do prune+=(-path "$p" -o); done
    prune+=(-false)
    {
        for d in "${DEB_SNAP_HASHED[@]}" "${DEB_SNAP_LISTED[@]}"; do
            [ -e "$d" ] || { echo "absent $d"; continue; }
            find "$d" -xdev \( "${prune[@]}" \) -prune -o -type d -printf 'd %m %u:%g %p\n' -o \
                -type l -printf 'l %p -> %l\n' -o ! -type f -printf '%y %m %u:%g %p\n'
        done
        for d in "${DEB_SNAP_HASHED[@]}"; do
            [ -e "$d" ] || continue
            find "$d" -xdev \( "${prune[@]}" \) -prune -o -type f -printf 'f %m %u:%g %s %p\n'
            find "$d" -xdev \( "${prune[@]}" \) -prune -o -type f -print0 | xargs -0 -r sha256sum 2>/dev/null | sed 's/^/h /'
        done
        for d in "${DEB_SNAP_LISTED[@]}"; do
            [ -e "$d" ] || continue
            find "$d" -xdev -type f -printf 'f %m %u:%g %s %T@ %p\n'
        done
    } | LC_ALL=C sort >"$out"
    deb_accounts >"$out.accounts"
}

# deb_accounts: every user and group (getent: local and directory ones), one line each.
deb_accounts() {
    { getent passwd | sed 's/^/passwd:/'; getent group | sed 's/^/group:/'; } | LC_ALL=C sort
}

# deb_compare BEFORE AFTER: status 0 when the two snapshots agree. Prints the differences.
# Accounts that are rentark's must be identical: users and groups whose name contains
# "rentark" (every one the package, the daemon or these tests make) and users with the GECOS
# "rentark guest" (the daemon's guests). Other accounts that came or went meanwhile are
# reported but do not count: other test files on this machine make and remove their own users
# and groups, and none of them is ours.
deb_compare() {
    local a=$1 b=$2 rc=0 d ours others
    if ! d=$(diff "$a" "$b"); then
        t_diag "files and folders that differ (< before, > after):"
        grep '^[<>]' <<<"$d" | head -40 | sed 's/^/#   /'
        rc=1
    fi
    # Lines "< passwd:NAME:x:UID:GID:GECOS:..." and "> group:NAME:x:GID:MEMBERS".
    d=$(diff "$a.accounts" "$b.accounts" | grep '^[<>]')
    ours=$(awk -F: '$2 ~ /rentark/ || ($1 ~ /passwd$/ && $6 == "rentark guest")' <<<"$d")
    others=$(awk -F: '!($2 ~ /rentark/ || ($1 ~ /passwd$/ && $6 == "rentark guest"))' <<<"$d" | grep -c .)
    if [ -n "$ours" ]; then
        t_diag "accounts of rentark that differ (< before, > after):"
        sed 's/^/#   /' <<<"$ours"
        rc=1
    fi
    [ "$others" -eq 0 ] || t_diag "not counted: $others entries of other accounts changed meanwhile"
    return $rc
}

# deb_installed: status 0 when the package rentark is on this machine in any state (installed,
# half-installed, or removed with its configuration files kept), i.e. anything but purged.
deb_installed() {
    local s
    s=$(dpkg-query -W -f='${db:Status-Status}' rentark 2>/dev/null) || return 1
    [ -n "$s" ] && [ "$s" != not-installed ]
}

# deb_lock: wait (up to 15 minutes) for the machine-wide lock that tests installing rentark on
# this machine hold while they run; held until the test exits.
deb_lock() {
    exec 9>/run/lock/rentark-machine.lock && flock -w 900 9
}

# deb_foreign: print why this machine already has rentark on it (status 0), or nothing (1).
# The package, a "make install" or an install script, the groups, or a guest account the
# daemon made: installing the package over them and purging it would change or remove what
# is not ours.
deb_foreign() {
    local p
    if deb_installed; then echo "the package rentark is on this machine already"; return 0; fi
    for p in /etc/rentark /var/lib/rentark /usr/sbin/rentarkd /usr/local/sbin/rentarkd /home/.rentark-trash; do
        [ -e "$p" ] && { echo "$p exists: another installation of rentark is on this machine"; return 0; }
    done
    for p in rentark-admin rentark-volunteer; do
        getent group "$p" >/dev/null && { echo "the group $p exists already"; return 0; }
    done
    if cut -d: -f5 /etc/passwd | grep -qx "rentark guest"; then
        echo "a guest account made by rentarkd exists already"; return 0
    fi
    return 1
}

# deb_check_rc DESC RC OUTPUT: ok when RC is 0; otherwise a failure, with the end of OUTPUT.
deb_check_rc() {
    if [ "$2" -eq 0 ]; then
        t_ok "$1"
    else
        t_fail "$1" "exit status $2"
        tail -20 <<<"$3" | sed 's/^/#   /'
    fi
}

# deb_repack DEB VERSION OUT: a copy of the package DEB that says it is VERSION (its files as
# they are): a "newer release" for upgrade tests without a second build.
deb_repack() {
    local dir=$T_TMP/repack.$$
    rm -rf "$dir" && dpkg-deb -R "$1" "$dir" || return 1
    sed -i "s/^Version: .*/Version: $2/" "$dir/DEBIAN/control" &&
        dpkg-deb --root-owner-group -Zxz -b "$dir" "$3" >/dev/null || return 1
    rm -rf "$dir"
}

# deb_gpg_key HOME: a throw-away signing key (ed25519, no passphrase) in a new GnuPG home
# HOME; prints its fingerprint. Its gpg-agent is stopped at exit.
deb_gpg_key() {
    mkdir -p -m 0700 "$1" || return 1
    t_cleanup "gpgconf --homedir '$1' --kill all"
    gpg --homedir "$1" --batch --quiet --passphrase '' \
        --quick-gen-key "rentark test $(basename "$1") <test@invalid>" ed25519 sign never 2>/dev/null || return 1
    gpg --homedir "$1" --batch --with-colons --list-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }'
}
