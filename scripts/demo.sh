#!/usr/bin/env bash
# The rentark demo: one guest session cycle on this machine, end to end, on a scratch file
# system so that nothing outside it is touched.
#
#   1. installs what it needs and builds rentark
#   2. creates a real guest account and a fresh home from the skeleton
#   3. acts as a patron: browser profile, downloads, documents, a file in /tmp, a print job,
#      a process still running
#   4. shows what the wipe would remove (counts only: rentark never prints a patron's names)
#   5. ends the session: the real wipe (rentarkd --wipe-once)
#   6. shows that nothing of the patron is left and everything else is untouched
#
# Run as root: sudo scripts/demo.sh
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates a user and mounts a scratch file system)"; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Dependencies and build"
scripts/deps.sh
make -s -j"$(nproc)" >/dev/null
RKD=$PWD/build/rentarkd

W=$(mktemp -d /tmp/rentark-demo.XXXXXX)
chmod 0755 "$W"
GUEST=rk-demo-guest
cleanup() {
    pkill -KILL -u "$GUEST" 2>/dev/null || true
    userdel -f "$GUEST" 2>/dev/null || true
    umount -R "$W/fs" 2>/dev/null || true
    rm -rf --one-file-system "$W"
}
trap cleanup EXIT

step "2. A scratch file system, the guest account and its fresh home"
FS=$W/fs
mkdir -p "$FS" && mount -t tmpfs -o size=256M,mode=0755 tmpfs "$FS"
mkdir -p "$FS/home" "$FS/skel/Documents" "$FS/skel/.mozilla/firefox" "$FS/tmp" "$FS/state" "$FS/run/user" \
    "$FS/spool" "$FS/crash" "$FS/journal" "$FS/outside"
chmod 1777 "$FS/tmp"
cp -R config/notice "$FS/notice"
printf '{"policies":{"PasswordManagerEnabled":false,"OfferToSaveLogins":false}}\n' >"$FS/skel/.mozilla/firefox/policies.json"
echo "library record, not the patron's" >"$FS/outside/catalogue.txt"
userdel -f "$GUEST" 2>/dev/null || true
useradd -M -N -s /usr/sbin/nologin -d "$FS/home/$GUEST" "$GUEST"
GUID=$(id -u "$GUEST"); GGID=$(id -g "$GUEST")
cat >"$W/rentark.conf" <<CONF
guest = { user = "$GUEST"; home = "$FS/home/$GUEST"; skeleton = "$FS/skel"; create = false; };
wipe = { trash_dir = "$FS/home/.rentark-trash"; sweep = [ "$FS/tmp" ]; };
notice = { text_dir = "$FS/notice"; };
paths = { state_dir = "$FS/state"; socket = "$FS/state/control.sock"; run_user_dir = "$FS/run/user";
          cups_spool = "$FS/spool"; crash_dirs = [ "$FS/crash" ]; journal_dir = "$FS/journal"; };
CONF
"$RKD" -c "$W/rentark.conf" --check-config
"$RKD" -c "$W/rentark.conf" --wipe-once 2>/dev/null
echo "fresh home of $GUEST (uid $GUID):"
(cd "$FS/home/$GUEST" && find . -mindepth 1 | sed 's/^/   /')

step "3. A patron uses the PC"
as_guest() { setpriv --reuid="$GUID" --regid="$GGID" --clear-groups -- "$@"; }
as_guest sh -c "cd '$FS/home/$GUEST' && mkdir -p .cache/chromium/Default/Cache .config/chromium/Default Downloads && \
  for i in \$(seq 1 500); do echo cache\$i > .cache/chromium/Default/Cache/f\$i; done && \
  echo 'SID=patron-session-cookie' > .config/chromium/Default/Cookies && \
  head -c 2000000 /dev/urandom > Downloads/bank-statement.pdf && \
  echo 'My application letter' > Documents/application.odt && \
  echo 'scratch' > '$FS/tmp/patron-temp-file'"
as_guest sh -c "exec sleep 3600" &
echo "   the patron's home now holds $(find "$FS/home/$GUEST" | wc -l) entries, $(du -sh "$FS/home/$GUEST" | cut -f1)"
echo "   a process of the patron is still running: $(pgrep -u "$GUID" | wc -l) process(es)"

step "4. What the wipe will remove (counts only, never names)"
"$RKD" -c "$W/rentark.conf" --wipe-once --dry-run

step "5. The session ends: rentarkd --wipe-once"
"$RKD" -c "$W/rentark.conf" --wipe-once
wait 2>/dev/null || true

step "6. Nothing of the patron is left"
left=$(find "$FS" -xdev -uid "$GUID" \! -path "$FS/home/$GUEST" \! -path "$FS/home/$GUEST/*" | wc -l)
echo "   processes of the guest: $(pgrep -u "$GUID" | wc -l)"
echo "   files of the guest outside the home: $left"
echo "   home compared with the skeleton:"
if diff <(cd "$FS/skel" && find . | sort) <(cd "$FS/home/$GUEST" && find . | sort) >/dev/null; then
    echo "     identical"
else
    echo "     DIFFERENT"; exit 1
fi
echo "   outside file: $(cat "$FS/outside/catalogue.txt")"
[ "$left" -eq 0 ] && [ -z "$(pgrep -u "$GUID")" ]
printf '\n\033[1mDemo complete: no trace of the patron is left.\033[0m\n'
