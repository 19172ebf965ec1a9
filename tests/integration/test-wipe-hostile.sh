#!/usr/bin/env bash
# The hostile-home suite: a real guest (useradd) leaves every kind of trap in their home and
# the swept places; the real `rentarkd --wipe-once` must leave the home equal to the skeleton,
# nothing of the guest anywhere, and every outside file byte-identical. One test per case.
# Everything happens on a scratch tmpfs, so a bug cannot reach the rest of the machine.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 1500M
PY=/usr/bin/python3

wipe_once; wipe_check "first wipe creates the home from the skeleton" $?

# --- ordinary browser-heavy leftovers --------------------------------------------------------
as_guest sh -c "cd '$HOME_DIR' && mkdir -p Downloads Desktop .cache/chromium/Default/Cache .local/share/Trash/files \
  .local/share/keyrings .config/chromium/Default && echo cookie > .config/chromium/Default/Cookies && \
  echo doc > Documents/letter.odt && echo pdf > Downloads/statement.pdf && echo x > Desktop/note.txt && \
  echo key > .local/share/keyrings/login.keyring && echo '<xbel/>' > .local/share/recently-used.xbel && \
  for i in \$(seq 1 300); do echo \$i > .cache/chromium/Default/Cache/f_\$i; done && \
  echo changed >> .profile && chmod 0644 .profile && rm .bash_profile && echo fake > .bash_profile"
wipe_once; wipe_check "browser profile, downloads, documents, trash, keyrings, edited skeleton files" $?

# --- links ------------------------------------------------------------------------------------
as_guest sh -c "cd '$HOME_DIR' && ln -s '$OUT/root-file' abs-link && ln -s ../../outside/dir rel-dir-link && \
  ln -s '$OUT' outside-link && mkdir d && ln -s '$OUT/dir' d/link-to-dir"
ln "$OUT/binary" "$HOME_DIR/hardlink-to-outside"     # as root: protected_hardlinks stops the guest
ln "$OUT/root-file" "$HOME_DIR/Documents/hl2"
wipe_once; wipe_check "symlinks and hard links to outside files and dirs" $?
t_check "hard-linked outside file keeps its link count" test "$(stat -c %h "$OUT/binary")" -eq 1

as_guest sh -c "cd '$HOME_DIR' && ln -s loop-b loop-a && ln -s loop-a loop-b && ln -s self self && \
  mkdir -p up/down && ln -s .. up/down/parent && ln -s ../../.. up/down/root3"
wipe_once; wipe_check "symlink loops" $?

# --- permissions and attributes ---------------------------------------------------------------
as_guest sh -c "cd '$HOME_DIR' && mkdir -p locked/inner/deeper && echo s > locked/inner/deeper/f && \
  echo t > locked/file && chmod 000 locked/inner/deeper/f locked/inner/deeper locked/inner locked/file locked && \
  echo u > nowrite && chmod 000 nowrite && mkdir ro && echo v > ro/f && chmod 0500 ro"
wipe_once; wipe_check "chmod 000 dirs and files" $?

as_guest sh -c "cd '$HOME_DIR' && echo i > immutable && echo a > appendonly && mkdir idir && echo x > idir/f"
chattr +i "$HOME_DIR/immutable" && chattr +a "$HOME_DIR/appendonly" && chattr +i "$HOME_DIR/idir"
wipe_once; wipe_check "immutable and append-only files and dirs" $?

# --- shapes and names -------------------------------------------------------------------------
as_guest $PY - "$HOME_DIR" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for i in range(10000):
    os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd); fd = nfd
open(os.open("bottom", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd), "w").write("deep")
PY
wipe_once; wipe_check "10,000-deep nesting" $?

as_guest $PY - "$HOME_DIR" <<'PY'
import os, sys
h = sys.argv[1].encode()
for n in [b"new\nline", b"back\\slash", b"bad\xff\xfeutf8", b"x" * 255, b" lead", b"-rf", b"*", b"\x01ctl",
          "æøå".encode(), b"..." , b"trail "]:
    with open(os.path.join(h, n), "wb") as f: f.write(b"name test")
os.mkdir(os.path.join(h, b"dir\nwith\nnewlines"))
with open(os.path.join(h, b"dir\nwith\nnewlines", b"y" * 255), "wb") as f: f.write(b"z")
PY
wipe_once; wipe_check "names with newline, backslash, invalid UTF-8, 255 bytes" $?

as_guest sh -c "cd '$HOME_DIR' && mkfifo fifo && mkdir s"
as_guest $PY -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('$HOME_DIR/s/sock')"
mknod "$HOME_DIR/null-dev" c 1 3 && chown "$GUID:$GGID" "$HOME_DIR/null-dev"
wipe_once; wipe_check "FIFO, socket and device node" $?

# --- mounts -----------------------------------------------------------------------------------
as_guest mkdir "$HOME_DIR/mnt" "$HOME_DIR/mnt2"
mount --bind "$OUT/dir" "$HOME_DIR/mnt"
mount -t tmpfs -o size=1M tmpfs "$HOME_DIR/mnt2" && echo g > "$HOME_DIR/mnt2/guest-file"
wipe_once; wipe_check "a bind mount of an outside dir and a tmpfs under the home" $?
t_check "no mount left under the home" test -z "$(grep -F " $HOME_DIR" /proc/self/mountinfo)"

mount -t tmpfs -o "size=16M,mode=0700,uid=$GUID,gid=$GGID" tmpfs "$HOME_DIR"
as_guest sh -c "echo in-ram > '$HOME_DIR/tmpfs-file'"
wipe_once; wipe_check "a tmpfs home (strategy tmpfs) is detached and renewed" $?

# --- live processes ---------------------------------------------------------------------------
as_guest sh -c "cd '$HOME_DIR' && while :; do mkdir -p spam/\$\$ && echo x > spam/\$\$/f\$RANDOM; done" &
as_guest sh -c "exec 3>'$HOME_DIR/held-open'; echo data >&3; exec sleep 1000" &
as_guest sh -c "while :; do (sleep 1000 &) ; sleep 0.01; done" &
sleep 0.5
wipe_once; rc=$?
wipe_check "processes that keep writing, respawn, or hold files open" $rc
t_check "no live process of the guest survives" test "$(live_guest_procs)" -eq 0
wait 2>/dev/null

# --- volume -----------------------------------------------------------------------------------
as_guest $PY - "$HOME_DIR" <<'PY'
import os, sys
base = os.path.join(sys.argv[1], ".cache", "big")
for d in range(200):
    p = os.path.join(base, "%03d" % d); os.makedirs(p)
    for f in range(1000):
        fd = os.open(os.path.join(p, "%04d" % f), os.O_CREAT | os.O_WRONLY, 0o600); os.write(fd, b"c"); os.close(fd)
PY
wipe_once; wipe_check "200,000 files" $?

# --- sweeps -----------------------------------------------------------------------------------
OTHER=$(t_unique_name rk-o)
t_user "$OTHER"
as_guest sh -c "echo g > '$FS/tmp/guest-file' && mkdir -p '$FS/tmp/guest-dir/a' && echo g > '$FS/tmp/guest-dir/a/b' && \
  echo g > '$FS/vartmp/g' && echo g > '$FS/shm/g' && mkdir -p '$FS/tmp/.X11-unix'" 2>/dev/null
mkdir -p "$FS/tmp/root-shared" && chmod 1777 "$FS/tmp/root-shared"
as_guest sh -c "echo g > '$FS/tmp/root-shared/guest-inside'"
setpriv --reuid="$(id -u "$OTHER")" --regid="$(id -g "$OTHER")" --clear-groups sh -c "echo o > '$FS/tmp/other-file'; echo o > '$FS/tmp/root-shared/other-inside'"
echo r > "$FS/tmp/root-file"
mkdir -p "$FS/run/user/$GUID/gvfs" && echo s > "$FS/run/user/$GUID/bus" && chown -R "$GUID:$GGID" "$FS/run/user/$GUID"
chmod 0700 "$FS/run/user/$GUID"
ipp() { printf '\x01\x01\x00\x00\x00\x00\x00\x01\x02\x42\x00\x19job-originating-user-name\x00%b%s\x03' "\\x$(printf %02x ${#1})" "$1"; }
ipp "$GUEST" >"$FS/spool/cups/c00042"; echo doc >"$FS/spool/cups/d00042-001"
ipp "$OTHER" >"$FS/spool/cups/c00043"; echo doc >"$FS/spool/cups/d00043-001"
echo dump >"$FS/coredump/core.fire.fox.$GUID.0123456789abcdef0123456789abcdef.4242.1700000000000000.zst"
echo dump >"$FS/coredump/core.bash.0.0123456789abcdef0123456789abcdef.1.1700000000000000.zst"
echo crash >"$FS/crash/_usr_bin_firefox.$GUID.crash"; echo crash >"$FS/crash/_usr_sbin_cupsd.0.crash"
echo j >"$FS/journal/0123456789abcdef/user-$GUID.journal"; echo j >"$FS/journal/0123456789abcdef/user-$GUID@0005a-01.journal~"
echo j >"$FS/journal/0123456789abcdef/system.journal"
others_before=$(cd "$FS" && sha256sum tmp/other-file tmp/root-file tmp/root-shared/other-inside spool/cups/c00043 spool/cups/d00043-001 \
  coredump/core.bash.* crash/_usr_sbin_cupsd.0.crash journal/0123456789abcdef/system.journal)
wipe_once; wipe_check "sweeps: temp folders, /run/user, print jobs, crash dumps, user journal" $?
others_after=$(cd "$FS" && sha256sum tmp/other-file tmp/root-file tmp/root-shared/other-inside spool/cups/c00043 spool/cups/d00043-001 \
  coredump/core.bash.* crash/_usr_sbin_cupsd.0.crash journal/0123456789abcdef/system.journal 2>&1)
t_check "files of root and of other users in swept places are untouched" test "$others_before" = "$others_after"
t_check "the guest's print job, dumps and journal files are gone" test ! -e "$FS/spool/cups/c00042" -a ! -e "$FS/spool/cups/d00042-001" \
    -a ! -e "$FS/crash/_usr_bin_firefox.$GUID.crash" -a ! -e "$FS/journal/0123456789abcdef/user-$GUID.journal"

# journald's active user journal: one whose header counts no entry is what journald opens after
# the rotation the wipe asks for, and is kept (removing it would make journald log the next
# patron into a nameless file); one that counts any entry holds the patron's messages.
journal_file() { # PATH N_ENTRIES: a journal file header (journal-def.h: header_size @88, n_entries @152)
    python3 -c 'import struct,sys; h=bytearray(264); h[0:8]=b"LPKSHHRH"; struct.pack_into("<Q",h,88,264); struct.pack_into("<Q",h,152,int(sys.argv[2])); open(sys.argv[1],"wb").write(h)' "$1" "$2"
}
journal_file "$FS/journal/0123456789abcdef/user-$GUID.journal" 0
wipe_once; wipe_check "an active user journal with no entry: verified" $?
t_check "an active user journal with no entry is kept" test -f "$FS/journal/0123456789abcdef/user-$GUID.journal"
journal_file "$FS/journal/0123456789abcdef/user-$GUID.journal" 3
wipe_once; wipe_check "an active user journal with entries: verified" $?
t_check "an active user journal with entries is removed" test ! -e "$FS/journal/0123456789abcdef/user-$GUID.journal"

# --- dry run and privacy of the log -----------------------------------------------------------
CANARY=canary-$RANDOM$RANDOM
as_guest sh -c "mkdir -p '$HOME_DIR/Downloads/$CANARY-dir' && echo 12345 > '$HOME_DIR/Downloads/$CANARY-dir/$CANARY.pdf' && \
  echo x > '$FS/tmp/$CANARY-tmp'"
before=$(t_tree_digest "$HOME_DIR")
wipe_once --dry-run; rc=$?
t_check "dry run exits 0" test $rc -eq 0
t_check "dry run deletes nothing" test "$before" = "$(t_tree_digest "$HOME_DIR")" -a -e "$FS/tmp/$CANARY-tmp"
t_check "dry run prints counts per category" grep -qE '^home +[0-9]+ +[0-9]+ +[0-9]+' "$T_TMP/wipe.out"
t_expect_fail "dry run prints no names" grep -q "$CANARY" "$T_TMP/wipe.out" "$T_TMP/wipe.log"
G_MESSAGES_DEBUG=all "$RKD" -c "$CONF" --wipe-once --debug >"$T_TMP/wipe.out" 2>"$T_TMP/wipe.log"
wipe_check "wipe with debug logging" $?
t_check "the wipe logs (counts and durations)" grep -q "wipe verified" "$T_TMP/wipe.log"
t_expect_fail "no guest file name in any log line, at debug level" grep -q "$CANARY" "$T_TMP/wipe.log" "$T_TMP/wipe.out"

# --- refusals ---------------------------------------------------------------------------------
sed "s/user = \"$GUEST\"/user = \"root\"/" "$CONF" >"$T_TMP/root.conf"
t_expect_fail "a config naming root as guest is refused" "$RKD" -c "$T_TMP/root.conf" --wipe-once
t_check "outside files untouched after everything" test "$(t_tree_digest "$OUT")" = "$OUT_DIGEST"

t_done
