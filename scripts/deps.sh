#!/usr/bin/env bash
# Installs every build, test and runtime dependency of rentark from Debian 12 packages.
# Idempotent and quiet: installs only what is missing. Needs root.
#
#   scripts/deps.sh            everything (build + test + runtime)
#   scripts/deps.sh --build    what building and running need (scripts/install.sh)
#   scripts/deps.sh --runtime  only what the installed programs need
set -eu

runtime_pkgs=(
    libglib2.0-0 libjson-glib-1.0-0 libconfig9 libinotifytools0 libx11-6 libxext6 libgtk-3-0 libatk-adaptor at-spi2-core
    libcrypt1 libcups2 fonts-dejavu-core fonts-noto-core passwd util-linux procps
)
build_pkgs=(
    build-essential pkg-config clang libglib2.0-dev libjson-glib-dev libconfig-dev libinotifytools0-dev
    libx11-dev libxext-dev libgtk-3-dev libatk-bridge2.0-dev libcrypt-dev libcups2-dev gettext
    libclang-rt-14-dev
)
# uidmap is in the test set on purpose: with it, /etc/subuid exists and useradd hands out
# subordinate id ranges unless told not to; the suite must pass on such machines (podman,
# rootless docker and mmdebstrap bring uidmap), so CI always runs it there.
test_pkgs=(
    bc python3 xvfb xdotool x11-apps x11-utils imagemagick python3-dbusmock dbus e2fsprogs attr
    psmisc inotify-tools valgrind cups-client uidmap
    python3-pyatspi gir1.2-atspi-2.0 python3-pil orca speech-dispatcher-espeak-ng
    chromium firefox-esr cups-daemon printer-driver-cups-pdf lightdm systemd
    debhelper dpkg-dev fakeroot lintian man-db groff-base mandoc ansible-core python3-apt
    apt-utils gnupg
    prometheus
    cron at bindfs fuse3 keyutils
    mmdebstrap systemd-container
)

pkgs=("${runtime_pkgs[@]}")
case ${1:-} in
    --runtime) ;;
    --build) pkgs+=("${build_pkgs[@]}") ;;
    "") pkgs+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    *) echo "scripts/deps.sh: unknown option \"$1\" (--build, --runtime)" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/deps.sh: run as root (it installs Debian packages)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "scripts/deps.sh: apt-get not found; rentark targets Debian 12 (install the packages listed in this script by hand)" >&2
    exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm check the Grafana dashboard against Grafana's own schema types and draw it
# with Grafana's components (tests/dashboard/npm-ci.sh fetches the packages of its lock file
# from the npm registry). Debian's packages only where
# the machine has no npm yet: a Node.js from elsewhere bundles npm and conflicts with them.
if [ -z "${1:-}" ] && ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} packages present"
    exit 0
fi
echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "deps: apt-get failed:" >&2
    tail -20 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
echo "deps: done"
