#!/usr/bin/env bash
# The guest fills the disk (a small ext4 on a loop device: blocks, then inodes) and keeps a
# file open: the wipe must still leave a fresh home and nothing of the guest. The skeleton copy
# needs room the old home takes up; the wipe then empties the trash first and copies again.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 48M ext4
PY=/usr/bin/python3
wipe_once; wipe_check "first wipe on a small ext4" $?

as_guest sh -c "dd if=/dev/zero of='$HOME_DIR/fill' bs=1M 2>/dev/null; dd if=/dev/zero of='$FS/tmp/fill' bs=64k 2>/dev/null; true"
as_guest $PY - "$HOME_DIR" <<'PY'
import os, sys
d = os.path.join(sys.argv[1], "inodes"); os.mkdir(d)
try:
    for i in range(10**7):
        open(os.path.join(d, str(i)), "w").close()
except OSError:
    pass
PY
t_expect_fail "the disk is full for the guest" as_guest sh -c "echo x > '$HOME_DIR/probe'"
as_guest sh -c "exec 3<'$HOME_DIR/fill'; exec sleep 1000" &
sleep 0.3
wipe_once; wipe_check "a full disk (blocks and inodes) with a file held open" $?
t_check "the disk has room again" sh -c "touch '$FS/probe' && rm -f '$FS/probe'"
t_done
