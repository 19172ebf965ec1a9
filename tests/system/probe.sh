#!/bin/sh
# The patron of the system test: a program in the guest's desktop session, started by XDG
# autostart like rentark-session. Installed into the kiosk as /usr/local/lib/rentark-test/probe.sh.
#
# At the start of every session it reports what it finds in the journal (tag rk-probe): the
# home folder's identity (device:inode) and whether the mark the last session left in it is there, its file system type and whether it is
# a mount point, how many entries the home holds, and how many files a patron of the test made
# (rk-canary*) are in the home, /tmp, /dev/shm or the runtime folder. That is the check from INSIDE the next
# patron's session: a home wiped and renewed only in some other mount namespace would show the
# last patron's files, or the wrong file system, here.
#
# Then it waits for the test's go, /run/rentark-test/SESSION/{canary,browser,site} (root's,
# readable by the guest; the test removes the canary file once it is read), and does what a
# patron does: a document in ~/Documents, files in /tmp, /dev/shm and the runtime folder, and
# a real browser on the test's site (tests/helpers/browse.py: history, cache, cookies, local
# storage, IndexedDB, a download), left open. It never logs the canary, a URL or a file name.
sid=${XDG_SESSION_ID:-none}
log() { logger -t rk-probe -- "$*"; }
fstype=$(stat -f -c %T "$HOME")
target=$(findmnt -n -o TARGET -T "$HOME" 2>/dev/null)
ismount=no
[ "$target" = "$HOME" ] && ismount=yes
entries=$(find "$HOME" -mindepth 1 2>/dev/null | wc -l)
left=$(find "$HOME" /tmp /dev/shm "${XDG_RUNTIME_DIR:-/nonexistent}" -mindepth 1 -name 'rk-canary*' 2>/dev/null | wc -l)
# A mark of this session in the home: the next session must not find it (a tmpfs home cannot
# be told apart by device and inode: the kernel gives a new tmpfs the number of the last one).
mark=$(cat "$HOME/.rk-probe-mark" 2>/dev/null || echo none)
echo "$sid" >"$HOME/.rk-probe-mark"
log "start session=$sid uid=$(id -u) home_id=$(stat -c %d:%i "$HOME") home_fstype=$fstype home_mount=$ismount entries=$entries leftovers=$left last_mark=$mark"

go=/run/rentark-test/$sid
while [ ! -r "$go/canary" ]; do sleep 0.3; done
canary=$(cat "$go/canary")
browser=$(cat "$go/browser")
site=$(cat "$go/site")
log "got session=$sid"
mkdir -p "$HOME/Documents"
printf '%s-doc\n' "$canary" >"$HOME/Documents/rk-canary-letter.txt"
printf '%s-tmp\n' "$canary" >"/tmp/rk-canary-$sid"
printf '%s-shm\n' "$canary" >"/dev/shm/rk-canary-$sid"
printf '%s-runuser\n' "$canary" >"$XDG_RUNTIME_DIR/rk-canary-$sid"
log "files session=$sid"
RK_CANARY=$canary /usr/bin/python3 -B /usr/local/lib/rentark-test/browse.py "$browser" --site "$site" 2>&1 |
    while IFS= read -r line; do log "browse session=$sid $line"; done
log "browser-gone session=$sid"
