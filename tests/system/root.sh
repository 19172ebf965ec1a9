#!/usr/bin/env bash
# The Debian 12 root that the system test boots: made by mmdebstrap from the archive, with
# systemd as init, logind, PAM, LightDM (the GTK greeter and a virtual X server), an XDG
# desktop session (Openbox, which runs XDG autostart entries) and two real browsers. rentark
# itself is NOT in it: the test installs the project's .deb into a copy-on-write layer on top
# of this root for every run, with apt, as an administrator would.
#
#   tests/system/root.sh           print the folder of the root, building it when needed
#
# The root is cached under $RK_SYSTEM_CACHE (default /var/tmp/rentark-system), in a folder
# named by a digest of this script (the package list and the options are in it): a change
# here builds a new one, and older ones are removed. A root appears whole (built under a
# temporary name, then renamed). Needs root, mmdebstrap and the Debian archive; if the
# archive cannot be reached the build fails with mmdebstrap's message.
set -eu
cache=${RK_SYSTEM_CACHE:-/var/tmp/rentark-system}
suite=bookworm
mirror=${RK_SYSTEM_MIRROR:-http://deb.debian.org/debian}
packages=(
    # init, logind, PAM, D-Bus: the stack the daemon runs on
    systemd systemd-sysv dbus libpam-systemd libnss-systemd
    # the display manager, its greeter and a virtual X server for it
    lightdm lightdm-gtk-greeter xvfb xauth x11-xserver-utils x11-utils xdotool
    # a real desktop session that runs XDG autostart entries (rentark-session's start)
    openbox python3-xdg
    # the browsers the patron uses (rentark ships managed policies for both)
    chromium firefox-esr fonts-dejavu-core
    # what the guest can leave footholds in, and the probes the test runs
    cron at keyutils procps psmisc python3 util-linux
)
key=$( { cat "$0"; mmdebstrap --version; } | sha256sum | cut -c1-12)
root=$cache/root-$key
if [ -f "$root/.complete" ]; then
    echo "$root"
    exit 0
fi
command -v mmdebstrap >/dev/null || { echo "root.sh: mmdebstrap is not installed" >&2; exit 1; }
mkdir -p "$cache"
tmp=$cache/.build-$key.$$
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
log=$cache/build-$key.log
echo "root.sh: building the Debian $suite root (${#packages[@]} packages) in $root; log $log" >&2
if ! mmdebstrap --variant=apt --mode=root \
        --aptopt='APT::Install-Recommends "false"' \
        --include="$(IFS=,; echo "${packages[*]}")" \
        --customize-hook='echo rentark-kiosk >"$1/etc/hostname"' \
        --customize-hook='printf "127.0.1.1 rentark-kiosk\n" >>"$1/etc/hosts"' \
        --customize-hook='chroot "$1" systemctl set-default graphical.target' \
        --customize-hook='chroot "$1" systemctl mask console-getty.service getty@.service systemd-networkd-wait-online.service' \
        "$suite" "$tmp" "$mirror" >"$log" 2>&1; then
    echo "root.sh: mmdebstrap failed (is $mirror reachable?); the end of $log:" >&2
    tail -15 "$log" >&2
    exit 1
fi
touch "$tmp/.complete"
for old in "$cache"/root-*; do
    [ "$old" = "$root" ] || rm -rf "$old"
done
mv "$tmp" "$root"
trap - EXIT
echo "$root"
