#!/usr/bin/env bash
# Installs rentark on this PC and turns it into a guest kiosk; --uninstall puts the PC back as it
# was. Run as root from the source tree:
#
#   scripts/install.sh [--dm auto|lightdm|gdm|none] [--prefix DIR] [--no-deps] [--build-dir DIR]
#   scripts/install.sh --uninstall [--purge]
#
# Install: the runtime and build dependencies (Debian packages), a build, `make install`, the
# groups rentark-admin and rentark-volunteer, the skeleton /etc/rentark/skel (from /etc/skel),
# browser policies (Chromium and Firefox ESR: no password saving, no sync, no autofill, clear on
# exit), the guest account and its fresh home (`rentarkd --wipe-once`), the display manager's
# autologin and hooks (LightDM drop-in, or GDM's daemon.conf and PreSession/PostSession scripts),
# private printing in /etc/cups/cupsd.conf when CUPS is installed (scripts/cups-private.sh: no
# job history, no kept files, no page log, titles private, job submission authenticated) and in
# CUPS-PDF's cups-pdf.conf (no log), the systemd unit (enabled; started
# when systemd runs) and the XDG autostart entry of rentark-session. Idempotent: run it again
# after an update.
#
# Every change is recorded in /var/lib/rentark/install/ (files created, files replaced with
# their originals kept, accounts created) so that --uninstall undoes exactly those changes.
# --uninstall keeps configuration files that were edited after the install (it says which);
# --purge removes them too. Packages installed as dependencies stay (other software may use them).
#
# --no-deps skips apt; --build-dir DIR installs the programs already built in DIR (tests).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD

prefix=/usr/local dm=auto deps=1 build_dir= mode=install purge=0
while [ $# -gt 0 ]; do
    case $1 in
        --dm) dm=${2:?--dm needs a value}; shift ;;
        --dm=*) dm=${1#*=} ;;
        --prefix) prefix=${2:?--prefix needs a value}; shift ;;
        --prefix=*) prefix=${1#*=} ;;
        --no-deps) deps=0 ;;
        --build-dir) build_dir=${2:?--build-dir needs a value}; shift ;;
        --uninstall) mode=uninstall ;;
        --purge) purge=1 ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option \"$1\" (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case $dm in auto|lightdm|gdm|none) ;; *) echo "install.sh: --dm must be auto, lightdm, gdm or none" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }

STATE=/var/lib/rentark/install
MANIFEST=$STATE/manifest
BACKUP=$STATE/backup
CONF=/etc/rentark/rentark.conf
say() { printf 'rentark: %s\n' "$*"; }
die() { printf 'rentark: error: %s\n' "$*" >&2; exit 1; }
systemd_running() { [ -d /run/systemd/system ]; }

# ---- the record of changes ------------------------------------------------------------------
# Manifest lines (tab-separated): dir PATH | file PATH SHA256 | conf PATH SHA256 |
# replaced PATH | user NAME | group NAME | enabled UNIT | home PATH. A line is written before
# the change it records is made, so that an interrupted install can still be undone.
record() { printf '%s\n' "$(IFS=$'\t'; echo "$*")" >>"$MANIFEST"; }
recorded() { [ -f "$MANIFEST" ] && grep -qxF "$(IFS=$'\t'; echo "$*")" "$MANIFEST"; }
recorded_path() { [ -f "$MANIFEST" ] && awk -F'\t' -v k="$1" -v p="$2" '$1 == k && $2 == p { f = 1 } END { exit !f }' "$MANIFEST"; }

# make_dir DIR [MODE]: mkdir -p, recording each level it creates.
make_dir() {
    local d=$1 missing=()
    while [ ! -e "$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
    for d in "${missing[@]}"; do
        recorded dir "$d" || record dir "$d"
        mkdir -m "${2:-0755}" "$d"
    done
}

# put SRC DEST MODE [conf]: install a file. A file of ours is replaced; a file that was there
# before us is kept aside in the backup once and restored by --uninstall. With "conf", a file
# that exists is the administrator's (or edited since) and is left as it is.
put() {
    local src=$1 dest=$2 mode=$3 kind=${4:-file} sum
    sum=$(sha256sum <"$src" | cut -d' ' -f1)
    make_dir "$(dirname "$dest")"
    if [ -e "$dest" ] || [ -L "$dest" ]; then
        if recorded_path "$kind" "$dest"; then
            if [ "$kind" = conf ]; then
                # Ours: update it only if nobody edited it since.
                local was
                was=$(awk -F'\t' -v p="$dest" '$1 == "conf" && $2 == p { s = $3 } END { print s }' "$MANIFEST")
                [ "$(sha256sum <"$dest" | cut -d' ' -f1)" = "$was" ] || return 0
            fi
        elif [ "$kind" = conf ]; then
            return 0
        elif ! recorded replaced "$dest"; then
            record replaced "$dest"
            make_dir "$BACKUP$(dirname "$dest")" 0700
            cp -a "$dest" "$BACKUP$dest"
        fi
    fi
    # Replace the manifest line of this path (its checksum changes with each update).
    if [ -f "$MANIFEST" ]; then
        awk -F'\t' -v k="$kind" -v p="$dest" '!($1 == k && $2 == p)' "$MANIFEST" >"$MANIFEST.new"
        mv "$MANIFEST.new" "$MANIFEST"
    fi
    record "$kind" "$dest" "$sum"
    install -m "$mode" "$src" "$dest.rentark-new"
    mv -f "$dest.rentark-new" "$dest"
}

# guest_from_conf KEY: a key of the guest group in the installed config (default if unset).
conf_guest() {
    local v
    v=$(sed -n "/^[[:space:]]*guest[[:space:]]*[=:]/,/}/s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$CONF" 2>/dev/null | head -1)
    echo "${v:-$2}"
}

pick_dm() {
    [ "$dm" = auto ] || { echo "$dm"; return; }
    local d
    d=$(cat /etc/X11/default-display-manager 2>/dev/null || true)
    case $d in
        */lightdm) echo lightdm ;;
        */gdm3|*/gdm) echo gdm ;;
        *) if [ -d /etc/lightdm ]; then echo lightdm; elif [ -d /etc/gdm3 ]; then echo gdm; else echo none; fi ;;
    esac
}

# gdm_set FILE: the [daemon] keys of config/gdm/daemon.conf.in, active keys of the same names
# commented out (the original is in the backup).
gdm_edit_daemon_conf() {
    local f=$1 keys tmp
    keys=$(sed -n 's/^\([A-Za-z]*\)=.*/\1/p' "$SRC/config/gdm/daemon.conf.in" | paste -sd'|')
    tmp=$(mktemp)
    awk -v keys="$keys" -v block="$(sed -e '/^#/d' -e "s|@GUEST@|$guest|g" "$SRC/config/gdm/daemon.conf.in")" '
        BEGIN { n = split(keys, k, "|"); for (i = 1; i <= n; i++) key[k[i]] = 1 }
        { line = $0; name = line; sub(/[[:space:]]*=.*/, "", name) }
        /^\[/ { group = $0 }
        group == "[daemon]" && (name in key) && line !~ /^#/ { print "#rentark# " line; next }
        { print }
        $0 == "[daemon]" { print "# rentark (scripts/install.sh; --uninstall restores the original)"; print block; done = 1 }
        END { if (!done) { print "[daemon]"; print block } }' "$f" >"$tmp"
    cat "$tmp" >"$f"
    rm -f "$tmp"
}

# gdm_hook FILE TEMPLATE: insert the hook lines before the script's final "exit 0".
gdm_edit_hook() {
    local f=$1 tmp
    tmp=$(mktemp)
    awk -v block="$(sed -e "s|@BINDIR@|$prefix/bin|g" "$2")" '
        { lines[NR] = $0 }
        END {
            last = 0
            for (i = NR; i > 0; i--) if (lines[i] ~ /^[[:space:]]*exit 0[[:space:]]*$/) { last = i; break }
            for (i = 1; i <= NR; i++) { if (i == last) print block; print lines[i] }
            if (!last) print block
        }' "$f" >"$tmp"
    cat "$tmp" >"$f"
    rm -f "$tmp"
}

# cups_restart: restart the print server only where it runs (an idle PC's CUPS stays off).
cups_restart() {
    if systemd_running; then
        systemctl try-restart cups.service 2>/dev/null || true
    elif pgrep -x cupsd >/dev/null 2>&1; then
        invoke-rc.d cups restart 2>/dev/null || service cups restart 2>/dev/null ||
            say "restart cupsd yourself for the print settings to take effect"
    fi
}

# cups_backup FILE: the original FILE is kept in the backup once (restored by --uninstall).
cups_backup() {
    local f=$1
    if ! recorded replaced "$f" && ! recorded_path file "$f"; then
        record replaced "$f"
        make_dir "$BACKUP$(dirname "$f")" 0700
        cp -a "$f" "$BACKUP$f"
    fi
}

# cups_private: nothing of a patron's print job kept by CUPS, and every job owned by the user
# who really sent it (scripts/cups-private.sh says what is set and why). Only when CUPS is
# installed; the original cupsd.conf (and CUPS-PDF's cups-pdf.conf, where there is one) is
# kept in the backup once and restored by --uninstall; always applied to the current file, so
# that the settings survive an edit and a second run changes nothing.
cups_private() {
    local f=/etc/cups/cupsd.conf p=/etc/cups/cups-pdf.conf
    if [ ! -f "$f" ]; then
        say "CUPS is not installed: no print server to configure"
        return 0
    fi
    cups_backup "$f"
    if [ "$("$SRC/scripts/cups-private.sh" "$f")" = changed ]; then
        say "CUPS: no job history, no kept files, no page log, titles private, jobs only by authenticated users ($f; original in $BACKUP$f)"
        cups_restart
    fi
    # CUPS-PDF reads its file at every job: no restart.
    if [ -f "$p" ]; then
        cups_backup "$p"
        if [ "$("$SRC/scripts/cups-private.sh" --cups-pdf "$p")" = changed ]; then
            say "CUPS-PDF: no log of its own ($p; original in $BACKUP$p)"
        fi
    fi
}

do_install() {
    if dpkg-query -W -f='${Status}' rentark 2>/dev/null | grep -q 'install ok installed'; then
        die "rentark is installed as a Debian package here; update or remove it with apt instead"
    fi
    mkdir -p -m 0700 /var/lib/rentark 2>/dev/null || true
    if [ ! -f "$MANIFEST" ]; then
        # /var/lib/rentark itself may be new: find out before creating the record inside it.
        local new_state=0
        [ -n "$(ls -A /var/lib/rentark)" ] || new_state=1
        mkdir -p -m 0700 "$STATE" "$BACKUP"
        : >"$MANIFEST"
        [ $new_state -eq 0 ] || record dir /var/lib/rentark
        say "first install: changes are recorded in $STATE"
    else
        say "updating an earlier install (record: $STATE)"
    fi

    if [ $deps -eq 1 ]; then
        say "dependencies (Debian packages)"
        "$SRC/scripts/deps.sh" --build
    fi
    local build=${build_dir:-build}
    if [ -z "$build_dir" ]; then
        say "building"
        make -s -j"$(nproc)" BUILD=build all >/dev/null
    fi
    for p in rentarkd rentarkctl rentark-session; do
        [ -x "$build/$p" ] || die "$build/$p is not built"
    done

    say "installing the programs, man pages, unit, autostart entry and default configuration"
    local stage unitdir=/etc/systemd/system
    stage=$(mktemp -d)
    # -o: install the programs as built, never relink them here (a sanitizer build would
    # relink without its flags).
    make -s --no-print-directory -o "$build/rentarkd" -o "$build/rentarkctl" -o "$build/rentark-session" \
        install BUILD="$build" DESTDIR="$stage" PREFIX="$prefix" \
        SYSCONFDIR=/etc UNITDIR="$unitdir" >/dev/null
    (cd "$stage" && find . -type f -printf '%P\n' | LC_ALL=C sort) | while IFS= read -r rel; do
        local mode kind=file
        mode=$(stat -c %a "$stage/$rel")
        case /$rel in /etc/rentark/*) kind=conf ;; esac
        put "$stage/$rel" "/$rel" "$mode" "$kind"
    done
    rm -rf "$stage"
    # journalctl -x explains rentarkd's records from the catalogue installed just now.
    if command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi

    guest=$(conf_guest user rentark-guest)
    local home skel
    home=$(conf_guest home "/home/$guest")
    skel=$(conf_guest skeleton /etc/rentark/skel)

    say "groups rentark-admin (staff: every command) and rentark-volunteer (guided sessions)"
    local g
    for g in rentark-admin rentark-volunteer; do
        getent group "$g" >/dev/null && continue
        record group "$g"
        groupadd --system "$g"
    done

    say "skeleton $skel (a copy of /etc/skel) and browser policies"
    if [ ! -e "$skel" ]; then
        make_dir "$(dirname "$skel")"
        record dir "$skel"
        mkdir -m 0755 "$skel"
        cp -a /etc/skel/. "$skel/"
        # Chromium's first-run dialogs are noise for a patron; policies cover the rest.
        mkdir -p "$skel/.config/chromium" && : >"$skel/.config/chromium/First Run"
        record tree "$skel"
    fi
    put "$SRC/config/browser/chromium/rentark.json" /etc/chromium/policies/managed/rentark.json 0644
    if [ -e /etc/firefox-esr/policies/policies.json ] && ! recorded_path file /etc/firefox-esr/policies/policies.json; then
        say "note: /etc/firefox-esr/policies/policies.json exists and is kept; merge config/browser/firefox-esr/policies.json into it"
    else
        put "$SRC/config/browser/firefox-esr/policies.json" /etc/firefox-esr/policies/policies.json 0644
    fi

    say "configuration check"
    "$prefix/sbin/rentarkd" --check-config -c "$CONF" >/dev/null || die "$CONF is not valid (see above)"

    say "guest account $guest and its fresh home $home"
    if ! getent passwd "$guest" >/dev/null; then
        record user "$guest"
    fi
    [ -e "$home" ] || recorded home "$home" || record home "$home"
    local trash
    trash=$(sed -n 's/^[[:space:]]*trash_dir[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$CONF" | head -1)
    trash=${trash:-/home/.rentark-trash}
    [ -e "$trash" ] || recorded home "$trash" || record home "$trash"
    # The daemon's own wipe creates the account (guest.create) and the home from the skeleton,
    # and verifies it: the seat is ready for the first patron.
    "$prefix/sbin/rentarkd" -c "$CONF" --wipe-once || die "the first wipe of the guest's home was not verified"

    local chosen
    chosen=$(pick_dm)
    case $chosen in
        lightdm)
            say "LightDM: autologin of $guest, session hooks (/etc/lightdm/lightdm.conf.d/50-rentark.conf)"
            local t
            t=$(mktemp)
            sed -e "s|@GUEST@|$guest|g" -e "s|@BINDIR@|$prefix/bin|g" -e "s|@LIBEXECDIR@|$prefix/libexec|g" \
                "$SRC/config/lightdm/50-rentark.conf.in" >"$t"
            put "$t" /etc/lightdm/lightdm.conf.d/50-rentark.conf 0644
            rm -f "$t"
            ;;
        gdm)
            say "GDM: autologin of $guest on Xorg, PreSession/PostSession hooks (/etc/gdm3)"
            [ -d /etc/gdm3 ] || die "/etc/gdm3 does not exist: is gdm3 installed?"
            local f
            for f in /etc/gdm3/daemon.conf /etc/gdm3/PreSession/Default /etc/gdm3/PostSession/Default; do
                if [ ! -e "$f" ]; then
                    make_dir "$(dirname "$f")"
                    record file "$f" -
                    printf '#!/bin/sh\nexit 0\n' >"$f"; chmod 0755 "$f"
                elif ! recorded replaced "$f" && ! recorded_path file "$f"; then
                    record replaced "$f"
                    make_dir "$BACKUP$(dirname "$f")" 0700
                    cp -a "$f" "$BACKUP$f"
                fi
                # Idempotent: always edit the original.
                if recorded replaced "$f"; then cp -a "$BACKUP$f" "$f"; else printf '#!/bin/sh\nexit 0\n' >"$f"; fi
            done
            [ -s /etc/gdm3/daemon.conf ] && grep -q . /etc/gdm3/daemon.conf || printf '[daemon]\n' >/etc/gdm3/daemon.conf
            gdm_edit_daemon_conf /etc/gdm3/daemon.conf
            gdm_edit_hook /etc/gdm3/PreSession/Default "$SRC/config/gdm/PreSession.in"
            gdm_edit_hook /etc/gdm3/PostSession/Default "$SRC/config/gdm/PostSession.in"
            ;;
        none)
            say "no display manager configured (--dm none, or neither LightDM nor GDM found):"
            say "  make it log in $guest automatically and run, as root, \"$prefix/bin/rentarkctl hook"
            say "  session-setup\" before and \"... hook session-cleanup\" after each session, with USER set"
            ;;
    esac

    cups_private

    if command -v systemctl >/dev/null && [ -d /etc/systemd/system ]; then
        recorded enabled rentarkd.service || record enabled rentarkd.service
        # rentark-mount.socket: the mount-table changes of the wipe, in the machine's namespace
        # (rentarkd itself runs in one of its own).
        recorded enabled rentark-mount.socket || record enabled rentark-mount.socket
        if systemd_running; then
            systemctl daemon-reload
            systemctl enable --now rentark-mount.socket
            systemctl enable --now rentarkd.service
            systemctl reload rentarkd.service 2>/dev/null || true
            say "rentarkd.service enabled and running (before the display manager)"
        else
            systemctl enable rentark-mount.socket >/dev/null 2>&1 || true
            systemctl enable rentarkd.service >/dev/null 2>&1 || true
            say "rentarkd.service enabled; systemd is not running here, so start the daemon yourself:"
            say "  start-stop-daemon --start --background --exec $prefix/sbin/rentarkd"
            say "  (at boot, before the display manager; it stays in the foreground and logs to stderr)"
        fi
    else
        say "no systemd: start the daemon at boot, before the display manager:"
        say "  start-stop-daemon --start --background --exec $prefix/sbin/rentarkd"
    fi
    say "done. Staff: add accounts to the group rentark-admin; volunteers: see rentark.conf(5)."
}

do_uninstall() {
    [ -f "$MANIFEST" ] || die "no record of an install by this script ($MANIFEST)"
    local lines
    mapfile -t lines <"$MANIFEST"
    local l kind path extra i
    field() { cut -d$'\t' -f"$2" <<<"$1"; }

    say "stopping rentarkd"
    local unit
    for unit in rentarkd.service rentark-mount.socket; do
        grep -qx $'enabled\t'"$unit" "$MANIFEST" || continue
        if systemd_running; then
            systemctl disable --now "$unit" || true
        else
            systemctl disable "$unit" >/dev/null 2>&1 || true
        fi
    done
    # Only the installed daemon (by its executable), never another rentarkd on the machine.
    local inst pid
    inst=$(awk -F'\t' '$1 == "file" && $2 ~ /\/sbin\/rentarkd$/ { print $2 }' "$MANIFEST" | head -1)
    for pid in $(pgrep -x rentarkd 2>/dev/null); do
        [ -n "$inst" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$inst" ] && kill -TERM "$pid" && sleep 1
    done

    # The guest: stop its processes, one last verified wipe (its files in /tmp and the other
    # swept places go too), then the account and its home if this script made them.
    guest=$(conf_guest user rentark-guest)
    if getent passwd "$guest" >/dev/null; then
        local sbin
        sbin=$(awk -F'\t' '$1 == "file" && $2 ~ /\/sbin\/rentarkd$/ { print $2 }' "$MANIFEST" | head -1)
        if [ -n "$sbin" ] && [ -x "$sbin" ]; then
            "$sbin" -c "$CONF" --wipe-once || say "warning: the last wipe was not verified"
        fi
    fi

    for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
        l=${lines[i]}
        kind=$(field "$l" 1); path=$(field "$l" 2); extra=$(field "$l" 3)
        case $kind in
            user)
                pkill -KILL -u "$path" 2>/dev/null || true
                userdel "$path" 2>/dev/null || say "warning: could not remove the account $path"
                ;;
            group) groupdel "$path" 2>/dev/null || say "warning: could not remove the group $path" ;;
            home) rm -rf --one-file-system -- "$path" ;;
            tree) rm -rf --one-file-system -- "$path" ;;
            file) rm -f -- "$path" ;;
            conf)
                if [ -e "$path" ] && [ "$(sha256sum <"$path" | cut -d' ' -f1)" != "$extra" ] && [ $purge -eq 0 ]; then
                    say "kept $path: edited since the install (--purge removes it)"
                else
                    rm -f -- "$path"
                fi
                ;;
            replaced)
                if [ -e "$BACKUP$path" ] || [ -L "$BACKUP$path" ]; then
                    rm -f -- "$path"; cp -a "$BACKUP$path" "$path"
                fi
                ;;
            dir)
                [ "$path" = /var/lib/rentark ] && continue
                rmdir -- "$path" 2>/dev/null || [ ! -e "$path" ] || say "kept $path: not empty"
                ;;
        esac
    done
    if systemd_running; then systemctl daemon-reload || true; fi
    # The original cupsd.conf is back: the scheduler reads it at its next start.
    if grep -qx $'replaced\t/etc/cups/cupsd.conf' <<<"$(printf '%s\n' "${lines[@]}")"; then
        cups_restart
    fi
    # The catalogue is gone: the journal's database of them is rebuilt without it.
    if command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi
    rm -rf -- /run/rentark
    rm -rf -- "$STATE"
    if grep -qx $'dir\t/var/lib/rentark' <<<"$(printf '%s\n' "${lines[@]}")"; then
        rm -rf --one-file-system -- /var/lib/rentark
    else
        rmdir /var/lib/rentark 2>/dev/null || true
    fi
    say "uninstalled: the PC is as it was before the install"
}

if [ $mode = install ]; then do_install; else do_uninstall; fi
