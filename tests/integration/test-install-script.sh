#!/usr/bin/env bash
# scripts/install.sh on this very machine (as root): it installs rentark for real (programs in
# /usr/local, /etc/rentark, the groups, the guest account and its home, browser policies, the
# LightDM drop-in or GDM's files, the systemd unit), is idempotent, and --uninstall leaves the
# machine as it was before: a listing of /etc, /usr/local, /var/lib, /home, the unit folders and
# the account databases is compared before and after.
#
# Skipped when rentark is already installed here (by a package or by hand): that installation is
# not this test's to remove. The guest account's name is made unique per run, so that a failure
# can never touch a real kiosk's guest.
. "$(dirname "$0")/../lib.sh"
t_require_root "the install script test (it installs into the real /etc and /usr/local)"
for t in lightdm systemctl systemd-analyze; do
    command -v "$t" >/dev/null || { t_skip "all install script tests" "$t is not installed (scripts/deps.sh)"; t_done; exit 0; }
done
# One test at a time installs rentark on this machine (test-deb, test-ansible take it too).
exec 9>/run/lock/rentark-machine.lock && flock -w 900 9 || { t_skip "all install script tests" "the machine-wide install lock"; t_done; exit 0; }
if [ -e /etc/rentark ] || [ -e /usr/local/sbin/rentarkd ] || [ -e /var/lib/rentark ] ||
    dpkg-query -W -f='${Status}' rentark 2>/dev/null | grep -q 'install ok installed'; then
    t_skip "all install script tests" "rentark is already installed on this machine"
    t_done; exit 0
fi

INSTALL=$RK_SRC/scripts/install.sh
GUEST=$(t_unique_name rk-kiosk)
# The shipped config with a unique guest: written where install.sh will find it (it keeps an
# existing /etc/rentark/rentark.conf), and removed again by --uninstall --purge.
t_cleanup "'$INSTALL' --uninstall --purge >/dev/null 2>&1; rm -rf /etc/rentark /var/lib/rentark /etc/gdm3.rentark-test"

# snapshot: what the install may change, one line per entry (no directory times: creating and
# removing a file changes its folder's time), plus the account databases. Users and groups of
# other tests (rk-*) running at the same time are left out, and so is the journal's catalogue
# database, a cache journalctl --update-catalog rebuilds from the catalogue files.
snapshot() {
    find /etc /usr/local /var/lib /home /lib/systemd/system /run -xdev \
        \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/systemd/catalog -o -path /run/systemd -o -path /etc/ld.so.cache -o -path /run/user \
           -o -path '/run/*.pid' -o -path /run/lock -o -name '*.rentark-test-*' \
           -o -path /etc/passwd -o -path /etc/group -o -path /etc/shadow -o -path /etc/gshadow \
           -o -path /etc/passwd- -o -path /etc/group- -o -path /etc/shadow- -o -path /etc/gshadow- \
           -o -path /etc/subuid -o -path /etc/subgid -o -path /etc/subuid- -o -path /etc/subgid- \) -prune \
        -o \( -type d -printf '%p d %m %u %g\n' \) -o -printf '%p %y %m %u %g %s %T@ %l\n' 2>/dev/null | LC_ALL=C sort
    for db in passwd group shadow gshadow subuid subgid; do
        grep -v '^rk' "/etc/$db" 2>/dev/null | LC_ALL=C sort | sed "s|^|$db: |"
    done
}
before=$(snapshot)

# Debian's LightDM ships /etc/lightdm; the config used is the shipped one with our guest name.
mkdir -p /etc/rentark
sed "s|user = \"rentark-guest\"|user = \"$GUEST\"|; s|home = \"/home/rentark-guest\"|home = \"/home/$GUEST\"|" \
    "$RK_SRC/config/rentark.conf" >/etc/rentark/rentark.conf
t_check "the test config names the unique guest" grep -q "user = \"$GUEST\"" /etc/rentark/rentark.conf

"$INSTALL" --no-deps --build-dir "$RK_BUILD" --dm lightdm >"$T_TMP/install.log" 2>&1
rc=$?
t_check "install.sh succeeds" test $rc -eq 0
[ $rc -eq 0 ] || t_diag "$(tail -15 "$T_TMP/install.log")"

for f in /usr/local/sbin/rentarkd /usr/local/bin/rentarkctl /usr/local/bin/rentark-session; do
    t_check "installed: $f" test -x "$f"
done
t_check "the admin's rentark.conf is kept" grep -q "user = \"$GUEST\"" /etc/rentark/rentark.conf
t_check "the installed daemon accepts the installed config" /usr/local/sbin/rentarkd --check-config
t_check "groups rentark-admin and rentark-volunteer exist" sh -c 'getent group rentark-admin && getent group rentark-volunteer' 
t_check "the guest account exists, with a locked password" sh -c "getent passwd '$GUEST' >/dev/null && passwd -S '$GUEST' | awk '{ exit \$2 != \"L\" }'"
t_check "the guest's home is a verified fresh copy of the skeleton" \
    bash -c "diff <(cd /etc/rentark/skel && find . | sort) <(cd '/home/$GUEST' && find . | sort) && test \"\$(stat -c %U '/home/$GUEST')\" = '$GUEST'"
t_check "the skeleton is a copy of /etc/skel (plus Chromium's first-run mark)" \
    sh -c 'diff -r /etc/skel /etc/rentark/skel | grep -v "^Only in /etc/rentark/skel/.config" | grep -v "^Only in /etc/rentark/skel: .config" | grep -q . && exit 1 || exit 0'
t_check "Chromium policy: valid JSON, no passwords, no sync" /usr/bin/python3 -c '
import json, sys
p = json.load(open("/etc/chromium/policies/managed/rentark.json"))
sys.exit(not (p["PasswordManagerEnabled"] is False and p["SyncDisabled"] is True and p["AutofillAddressEnabled"] is False and "cookies_and_other_site_data" in p["ClearBrowsingDataOnExitList"]))'
t_check "Firefox ESR policy: valid JSON, no passwords, no accounts, sanitize on shutdown" /usr/bin/python3 -c '
import json, sys
p = json.load(open("/etc/firefox-esr/policies/policies.json"))["policies"]
sys.exit(not (p["PasswordManagerEnabled"] is False and p["DisableFirefoxAccounts"] is True and p["SanitizeOnShutdown"]["Cookies"] is True))'

# LightDM reads the drop-in: its own parser shows the merged configuration.
lightdm --show-config >"$T_TMP/lightdm.txt" 2>&1
t_check "LightDM: autologin of the guest, from our drop-in" grep -qE "autologin-user=$GUEST\$" "$T_TMP/lightdm.txt"
t_check "LightDM: session-setup-script runs rentarkctl hook session-setup" \
    grep -q "session-setup-script=/usr/local/bin/rentarkctl hook session-setup" "$T_TMP/lightdm.txt"
t_check "LightDM: session-cleanup-script runs rentarkctl hook session-cleanup" \
    grep -q "session-cleanup-script=/usr/local/bin/rentarkctl hook session-cleanup" "$T_TMP/lightdm.txt"
t_check "LightDM lists the drop-in as a source" grep -q "/etc/lightdm/lightdm.conf.d/50-rentark.conf" "$T_TMP/lightdm.txt"

unit=/etc/systemd/system/rentarkd.service
t_check "the unit starts the installed daemon" grep -q "^ExecStart=/usr/local/sbin/rentarkd --foreground" $unit
t_check "the unit is ordered before the display manager" grep -q "^Before=.*display-manager.service" $unit
systemd-analyze verify $unit >"$T_TMP/verify.txt" 2>&1
t_check "systemd-analyze verify accepts the unit" test $? -eq 0 -a ! -s "$T_TMP/verify.txt"
[ -s "$T_TMP/verify.txt" ] && t_diag "$(head -5 "$T_TMP/verify.txt")"
t_check "the unit is enabled" test -L /etc/systemd/system/multi-user.target.wants/rentarkd.service
t_check "rentark-mount.socket is installed and enabled" test -L /etc/systemd/system/sockets.target.wants/rentark-mount.socket
t_check "rentark-mount.service starts the installed daemon's helper" \
    grep -q "^ExecStart=/usr/local/sbin/rentarkd --mount-helper" /etc/systemd/system/rentark-mount.service
t_check "the autostart entry runs the installed client" grep -q "^Exec=/usr/local/bin/rentark-session" /etc/xdg/autostart/rentark-session.desktop
t_check "without systemd it says how to start the daemon" grep -q "start the daemon yourself" "$T_TMP/install.log"

# The installed programs work together: a session through the real hook path, as LightDM runs
# it, ends with a verified wipe.
/usr/local/sbin/rentarkd -f >"$T_TMP/daemon.log" 2>&1 &
dpid=$!
t_cleanup "kill $dpid 2>/dev/null"
for _ in $(seq 1 100); do /usr/local/bin/rentarkctl status >/dev/null 2>&1 && break; sleep 0.1; done
USER=$GUEST /usr/local/bin/rentarkctl hook session-setup >/dev/null
t_check "the installed daemon opens a session from the LightDM hook" sh -c "/usr/local/bin/rentarkctl status | grep -q '^state *NOTICE'"
setpriv --reuid="$GUEST" --regid="$(id -g "$GUEST")" --clear-groups -- /usr/local/bin/rentarkctl accept >/dev/null
setpriv --reuid="$GUEST" --regid="$(id -g "$GUEST")" --clear-groups -- sh -c "mkdir -p '/home/$GUEST/Downloads' && echo patron > '/home/$GUEST/Downloads/statement.pdf'"
USER=$GUEST /usr/local/bin/rentarkctl hook session-cleanup >/dev/null
for _ in $(seq 1 100); do /usr/local/bin/rentarkctl status 2>/dev/null | grep -q '^state *READY' && break; sleep 0.1; done
t_check "... and the cleanup hook wipes it: READY, the download is gone" \
    sh -c "/usr/local/bin/rentarkctl status | grep -q '^state *READY' && test ! -e '/home/$GUEST/Downloads/statement.pdf'"
kill -TERM $dpid; wait $dpid 2>/dev/null

# Idempotent: a second run changes nothing but the programs' copies.
after1=$(snapshot)
"$INSTALL" --no-deps --build-dir "$RK_BUILD" --dm lightdm >"$T_TMP/install2.log" 2>&1
t_check "a second install.sh run succeeds" test $? -eq 0
after2=$(snapshot)
changed=$(diff <(echo "$after1" | awk '{ print $1, $2, $3, $4, $5, $6 }') <(echo "$after2" | awk '{ print $1, $2, $3, $4, $5, $6 }') | grep '^[<>]' | grep -v -e ' /var/lib/rentark/' -e '/home/' | head -5)
t_check "... and changes nothing (the same files, modes, owners and sizes)" test -z "$changed"
[ -z "$changed" ] || t_diag "$changed"

# The municipality edits a notice text; --purge removes it all the same. The config the admin
# wrote before the install is not the installer's, and stays.
echo "Spør i skranken." >>/etc/rentark/notice/nb/notice.txt
"$INSTALL" --uninstall --purge >"$T_TMP/uninstall.log" 2>&1
t_check "install.sh --uninstall --purge succeeds" test $? -eq 0
t_check "... removes an installed file edited since (--purge)" test ! -e /etc/rentark/notice/nb/notice.txt
t_check "... keeps the config the admin wrote before the install" test -s /etc/rentark/rentark.conf
rm -rf /etc/rentark
after=$(snapshot)
diffs=$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -10)
t_check "after --uninstall the machine is as it was before" test -z "$diffs"
[ -z "$diffs" ] || t_diag "$diffs"
t_check "the guest account is gone" sh -c "! getent passwd '$GUEST'"

# The GDM alternative, on a stand-in /etc/gdm3 shaped like Debian's (gdm3 itself pulls in the
# whole GNOME desktop): the files are edited, then restored byte for byte.
if [ -e /etc/gdm3 ]; then
    t_skip "GDM: install and uninstall" "/etc/gdm3 exists on this machine (not this test's to edit)"
else
    mkdir -p /etc/gdm3/PreSession /etc/gdm3/PostSession
    t_cleanup "rm -rf /etc/gdm3"
    printf '# GDM configuration storage\n\n[daemon]\n# Uncomment the line below to force the login screen to use Xorg\n#WaylandEnable=false\n\n# Enabling automatic login\n#  AutomaticLoginEnable = true\n#  AutomaticLogin = user1\nAutomaticLoginEnable=false\n\n[security]\n\n[xdmcp]\n\n[chooser]\n\n[debug]\n#Enable=true\n' >/etc/gdm3/daemon.conf
    printf '#!/bin/sh\n#\n# Note that output goes into the .xsession-errors file for easy debugging\n#\nPATH="/usr/bin:$PATH"\n\nexit 0\n' >/etc/gdm3/PreSession/Default
    cp /etc/gdm3/PreSession/Default /etc/gdm3/PostSession/Default
    chmod 0755 /etc/gdm3/PreSession/Default /etc/gdm3/PostSession/Default
    gdm_before=$(t_tree_digest /etc/gdm3)
    # No config this time: install.sh installs the shipped one, whose guest is "rentark-guest".
    if getent passwd rentark-guest >/dev/null; then
        t_skip "GDM: install and uninstall" "an account rentark-guest exists on this machine (not this test's)"
        t_done; exit 0
    fi
    GUEST=rentark-guest
    "$INSTALL" --no-deps --build-dir "$RK_BUILD" --dm gdm >"$T_TMP/install-gdm.log" 2>&1
    t_check "install.sh --dm gdm succeeds" test $? -eq 0
    # GDM reads daemon.conf with GKeyFile: the same parser here.
    t_check "GDM: automatic login of the guest on Xorg, the old key commented out" /usr/bin/python3 -c "
import configparser, sys
c = configparser.ConfigParser(strict=False, interpolation=None); c.optionxform = str
c.read('/etc/gdm3/daemon.conf')
d = c['daemon']
sys.exit(not (d['AutomaticLoginEnable'] == 'true' and d['AutomaticLogin'] == '$GUEST' and d['WaylandEnable'] == 'false'))"
    t_check "GDM: exactly one active AutomaticLoginEnable" test "$(grep -c '^AutomaticLoginEnable' /etc/gdm3/daemon.conf)" -eq 1
    t_check "GDM: PreSession runs the setup hook before exit 0" \
        sh -c "grep -n 'rentarkctl hook session-setup \"\$USER\" || exit 1' /etc/gdm3/PreSession/Default | cut -d: -f1 | { read n; test \$n -lt \$(grep -n '^exit 0' /etc/gdm3/PreSession/Default | cut -d: -f1); }"
    t_check "GDM: PostSession runs the cleanup hook" grep -q 'rentarkctl hook session-cleanup "$USER"' /etc/gdm3/PostSession/Default
    t_check "GDM: the edited scripts are valid sh" sh -n /etc/gdm3/PreSession/Default
    "$INSTALL" --no-deps --build-dir "$RK_BUILD" --dm gdm >/dev/null 2>&1
    t_check "GDM: a second install does not add the lines twice" test "$(grep -c 'hook session-setup' /etc/gdm3/PreSession/Default)" -eq 1
    t_check "without a config, install.sh installs the shipped one" cmp -s /etc/rentark/rentark.conf "$RK_SRC/config/rentark.conf"
    t_check "... readable by root only (it holds the volunteers' PIN hashes)" test "$(stat -c '%a %U' /etc/rentark/rentark.conf)" = "600 root"
    echo "# edited by the admin" >>/etc/rentark/rentark.conf
    "$INSTALL" --uninstall >"$T_TMP/uninstall-gdm.log" 2>&1
    t_check "GDM: --uninstall succeeds" test $? -eq 0
    t_check "GDM: the files are restored byte for byte" test "$(t_tree_digest /etc/gdm3)" = "$gdm_before"
    t_check "--uninstall keeps a configuration edited since the install, and says so" \
        sh -c "grep -q 'edited by the admin' /etc/rentark/rentark.conf && grep -q 'kept /etc/rentark/rentark.conf' '$T_TMP/uninstall-gdm.log'"
    t_check "the shipped guest account is gone too" sh -c "! getent passwd rentark-guest"
    rm -rf /etc/gdm3 /etc/rentark
    after=$(snapshot)
    diffs=$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -10)
    t_check "GDM: after --uninstall the machine is as it was before" test -z "$diffs"
    [ -z "$diffs" ] || t_diag "$diffs"
fi

t_done
