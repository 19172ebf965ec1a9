#!/usr/bin/env bash
# make install into a DESTDIR puts every piece where the system expects it, the installed
# config is valid, and make uninstall removes the programs again (the config stays: it is the
# administrator's).
. "$(dirname "$0")/../lib.sh"
root=$T_TMP/root
out=$(make -C "$RK_SRC" --no-print-directory -s install BUILD="$RK_BUILD" DESTDIR="$root" PREFIX=/usr 2>&1)
t_check "make install DESTDIR=... PREFIX=/usr succeeds" test $? -eq 0
for f in usr/sbin/rentarkd usr/bin/rentarkctl usr/bin/rentark-session; do
    t_check "installed and executable: /$f" test -x "$root/$f"
done
for f in etc/rentark/rentark.conf etc/rentark/notice/nb/notice.txt etc/rentark/notice/nn/guided.txt \
    etc/rentark/notice/ar/notice.txt usr/share/locale/ar/LC_MESSAGES/rentark.mo usr/share/locale/se/LC_MESSAGES/rentark.mo lib/systemd/system/rentarkd.service lib/systemd/system/rentark-mount.socket \
    lib/systemd/system/rentark-mount.service etc/xdg/autostart/rentark-session.desktop usr/lib/systemd/catalog/rentark.catalog; do
    t_check "installed: /$f" test -s "$root/$f"
done
sed "s|\"/etc/rentark/notice\"|\"$root/etc/rentark/notice\"|" "$root/etc/rentark/rentark.conf" >"$T_TMP/installed.conf"
mkdir -p "$T_TMP/skel"; sed -i "s|\"/etc/rentark/skel\"|\"$T_TMP/skel\"|" "$T_TMP/installed.conf"
t_check "the installed daemon accepts the installed config" "$root/usr/sbin/rentarkd" --check-config -c "$T_TMP/installed.conf"
echo "# changed by the admin" >>"$root/etc/rentark/rentark.conf"
make -C "$RK_SRC" --no-print-directory -s install BUILD="$RK_BUILD" DESTDIR="$root" PREFIX=/usr >/dev/null 2>&1
t_check "a second install keeps the admin's config" grep -q "changed by the admin" "$root/etc/rentark/rentark.conf"
make -C "$RK_SRC" --no-print-directory -s uninstall BUILD="$RK_BUILD" DESTDIR="$root" PREFIX=/usr >/dev/null 2>&1
t_check "make uninstall removes the programs" test ! -e "$root/usr/sbin/rentarkd" -a ! -e "$root/usr/bin/rentarkctl"
t_check "... and the units and autostart entry" test ! -e "$root/lib/systemd/system/rentarkd.service" -a ! -e "$root/etc/xdg/autostart/rentark-session.desktop" \
    -a ! -e "$root/lib/systemd/system/rentark-mount.socket" -a ! -e "$root/lib/systemd/system/rentark-mount.service"
t_check "... and the journal's catalogue" test ! -e "$root/usr/lib/systemd/catalog/rentark.catalog"
t_done
