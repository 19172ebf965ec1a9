#!/usr/bin/env bash
# The Debian package (debian/): dpkg-buildpackage builds it from the working tree, it holds
# every piece where Debian expects it, dpkg -i installs it on this machine (groups, state
# folder, the unit enabled, a configuration the installed daemon accepts), a reinstall keeps
# the administrator's changes, and dpkg --purge removes everything again, including a guest
# account the daemon made: the machine is as it was before (snapshots compared).
#
# It installs on the real machine, so it refuses (skips) when anything of rentark is there
# already: that is not ours to overwrite or remove. Tests that install rentark on the machine
# hold /run/lock/rentark-machine.lock meanwhile.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/deb-build.sh"

skip_all() { t_skip "the Debian package" "$1"; t_done; exit 0; }
quiet() { "$@" >/dev/null 2>&1; }
# running EXE: a process runs the program EXE (other tests may run rentarkd from build/).
# running PATH: a process of this machine runs PATH (not one in a container, such as the
# system test's kiosk: another mount namespace, whose /usr/sbin/rentarkd is another file).
running() {
    local e d mine
    mine=$(readlink /proc/self/ns/mnt)
    for e in /proc/[0-9]*/exe; do
        d=${e%/exe}
        [ "$(readlink "$e" 2>/dev/null)" = "$1" ] && [ "$(readlink "$d/ns/mnt" 2>/dev/null)" = "$mine" ] && return 0
    done
    return 1
}
t_is_root || skip_all "needs root (installs the package on this machine)"
if tool=$(deb_missing_tool); then skip_all "$tool not found (apt-get install debhelper dpkg-dev git)"; fi

# ---- build ----
start=$(date +%s)
deb_build
t_check "dpkg-buildpackage -us -uc -b builds the package ($DEB_BUILT, $(($(date +%s) - start)) s)" test -n "$DEB_FILE"
[ -n "$DEB_FILE" ] || { t_done; exit 1; }
t_diag "package: $DEB_FILE"

# dpkg-deb -c: "MODE OWNER SIZE DATE TIME ./PATH[ -> TARGET]"; keep /PATH.
contents=$(dpkg-deb -c "$DEB_FILE" | sed -E 's/^([^ ]+ +){5}\.//; s/ -> .*//')
has() { grep -qxF -- "$1" <<<"$contents"; }
for f in /usr/sbin/rentarkd /usr/bin/rentarkctl /usr/bin/rentark-session /etc/rentark/rentark.conf \
    /etc/rentark/notice/nb/notice.txt /etc/rentark/notice/nn/guided.txt /etc/rentark/notice/se/notice.txt \
    /usr/share/locale/nb/LC_MESSAGES/rentark.mo /usr/share/locale/ar/LC_MESSAGES/rentark.mo \
    /lib/systemd/system/rentarkd.service /lib/systemd/system/rentark-mount.socket /lib/systemd/system/rentark-mount.service \
    /etc/xdg/autostart/rentark-session.desktop /usr/lib/systemd/catalog/rentark.catalog \
    /etc/lightdm/lightdm.conf.d/50-rentark.conf /etc/chromium/policies/managed/rentark.json \
    /etc/firefox-esr/policies/policies.json /usr/share/doc/rentark/copyright /usr/share/doc/rentark/README.md.gz; do
    t_check "the package holds $f" has "$f"
done
n_man=0
for m in "$T_TMP"/src/rentark/man/*.[158]; do
    [ -e "$m" ] || continue
    b=$(basename "$m")
    n_man=$((n_man + 1))
    t_check "the package holds the man page $b" has "/usr/share/man/man${b##*.}/$b.gz"
done
[ $n_man -gt 0 ] || t_skip "the package holds the man pages" "man/ holds none yet"
t_expect_fail "nothing of the build tree or /usr/local is in the package" grep -qE '^/usr/local|/build/' <<<"$contents"
conffiles=$(dpkg-deb -I "$DEB_FILE" conffiles 2>/dev/null)
t_check "the configuration and the notice texts are conffiles" \
    bash -c 'grep -qx /etc/rentark/rentark.conf <<<"$1" && grep -qx /etc/rentark/notice/nn/notice.txt <<<"$1"' _ "$conffiles"
deb_version=$(dpkg-deb -f "$DEB_FILE" Version)
t_check "the package version is debian/changelog's ($deb_version)" \
    test "$deb_version" = "$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$RK_SRC/debian/changelog")"

if command -v lintian >/dev/null; then
    lint=$(lintian --fail-on error "$DEB_FILE" 2>&1)
    t_check "lintian finds no errors in the package" test $? -eq 0
    tags=$(grep -E '^[EWIPX]: ' <<<"$lint" | cut -d' ' -f1,3 | sort | uniq -c | tr -s ' \n' ' ')
    t_diag "lintian tags: ${tags:-none}"
else
    t_skip "lintian finds no errors in the package" "lintian not installed"
fi

# ---- install on this machine ----
deb_lock || skip_all "another test held /run/lock/rentark-machine.lock for 15 minutes"
if why=$(deb_foreign); then skip_all "$why (not ours to overwrite or remove)"; fi

# An account that looks like a guest but was not made by rentarkd (another GECOS): the purge
# must leave it. Made before the first snapshot, removed at exit.
keep=$(t_unique_name rentark-keep)
t_user "$keep"
deb_snapshot "$T_TMP/before"

t_cleanup "dpkg --purge rentark"
out=$(dpkg -i "$DEB_FILE" 2>&1)
deb_check_rc "dpkg -i installs the package" $? "$out"
t_check "dpkg -s: install ok installed" \
    test "$(dpkg-query -W -f='${Status}' rentark 2>/dev/null)" = "install ok installed"
for g in rentark-admin rentark-volunteer; do
    gid=$(getent group "$g" | cut -d: -f3)
    t_check "postinst made the system group $g (gid ${gid:-none})" test -n "$gid" -a "${gid:-1000}" -lt 1000
done
t_check "postinst made /var/lib/rentark, mode 0700, root's" test "$(stat -c '%a %U' /var/lib/rentark 2>&1)" = "700 root"
t_check "the configuration is root's alone (PIN hashes)" test "$(stat -c '%a %U' /etc/rentark/rentark.conf 2>&1)" = "600 root"
out=$(/usr/sbin/rentarkd --check-config 2>&1)
t_check "the installed rentarkd accepts the installed /etc/rentark/rentark.conf: $out" test $? -eq 0
out=$(/usr/sbin/rentarkd --version 2>&1)
t_check "rentarkd --version: $out" test "$out" = "rentarkd $deb_version"
hash=$(printf '1234\n1234\n' | /usr/bin/rentarkctl hash-pin 2>/dev/null)
t_check "the installed rentarkctl runs (hash-pin makes a yescrypt hash)" grep -q '^\$y\$' <<<"$hash"
t_check "the installed rentark-session runs (--help)" quiet /usr/bin/rentark-session --help
t_check "the unit is enabled (multi-user.target wants it)" \
    test -L /etc/systemd/system/multi-user.target.wants/rentarkd.service
t_check "rentark-mount.socket is enabled (sockets.target wants it)" \
    test -L /etc/systemd/system/sockets.target.wants/rentark-mount.socket
if [ -d /run/systemd/system ]; then
    t_diag "systemd is running: deb-systemd-invoke started rentarkd.service"
else
    t_expect_fail "not started without systemd (no process of /usr/sbin/rentarkd)" running /usr/sbin/rentarkd
fi

# A reinstall (same version) runs the maintainer scripts again and keeps the admin's changes.
echo "# changed by the admin" >>/etc/rentark/rentark.conf
out=$(dpkg -i "$DEB_FILE" 2>&1)
deb_check_rc "a reinstall succeeds (maintainer scripts are idempotent)" $? "$out"
t_check "... and keeps the admin's changes to the configuration" grep -q "changed by the admin" /etc/rentark/rentark.conf

# A guest account made the way rentarkd makes it (agent/guest.c: useradd -M -U -c "rentark
# guest"), with a home as the wipe leaves it: the purge removes both.
guest=$(t_unique_name rentark-t)
useradd -M -U -s /bin/bash -d "/home/$guest" -c "rentark guest" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$guest"
t_cleanup "userdel -f '$guest'; groupdel '$guest'; rm -rf --one-file-system '/home/$guest'"
cp -a /etc/skel "/home/$guest" && chown -R "$guest:$guest" "/home/$guest"
t_check "a guest account as rentarkd makes it exists" quiet getent passwd "$guest"
# An old home left in the default trash folder (wipe.trash_dir), as after a crash.
mkdir -p -m 0700 /home/.rentark-trash/old-home && echo data >/home/.rentark-trash/old-home/doc.txt
t_cleanup "rm -rf --one-file-system /home/.rentark-trash"

out=$(dpkg -r rentark 2>&1)
deb_check_rc "dpkg -r removes the package" $? "$out"
t_check "... the programs are gone" test ! -e /usr/sbin/rentarkd -a ! -e /usr/bin/rentarkctl
t_check "... the configuration stays until the purge" test -f /etc/rentark/rentark.conf
t_check "... and so does the guest account" quiet getent passwd "$guest"

out=$(dpkg --purge rentark 2>&1)
deb_check_rc "dpkg --purge purges the package" $? "$out"
t_check "... its status is gone" bash -c '! dpkg-query -W -f="\${Status}" rentark 2>/dev/null | grep -q installed'
t_check "... the groups are gone" bash -c '! getent group rentark-admin && ! getent group rentark-volunteer'
t_check "... the guest account rentarkd made, its group and its home are gone" \
    bash -c '! getent passwd "$1" && ! getent group "$1" && test ! -e "/home/$1"' _ "$guest"
t_check "... the default trash folder is gone" test ! -e /home/.rentark-trash
t_check "... an account with another GECOS is left alone" quiet getent passwd "$keep"
deb_snapshot "$T_TMP/after"
t_check "the machine after the purge is as it was before the install" deb_compare "$T_TMP/before" "$T_TMP/after"
t_done
