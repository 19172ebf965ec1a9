#!/usr/bin/env bash
# A kiosk whose root file system is an overlay (a live system, overlayroot, a container): on a
# plain overlayfs (no xino) a directory reports the overlay's device and a file its layer's
# (lower or upper), so a wipe that compares devices entry by entry would stop at every file.
# The hermetic world of tests/helpers/world.sh, made here without xino, is such a machine: the
# first wipe makes the home, the guest leaves files in the home, /var/tmp (the overlay) and
# /tmp, and one wipe must remove them all and be verified.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/world.sh"
t_require_root "all tests in $(basename "$0") (a hermetic world, real users, the real daemon)"
export WORLD_OVERLAY_OPTS=""   # the plain overlay
world_enter "$@"
C=$WORLD_CANARY

d=$(stat -c %d /var/tmp); touch /var/tmp/"$C-probe"; f=$(stat -c %d /var/tmp/"$C-probe"); rm -f /var/tmp/"$C-probe"
t_diag "the world's root: $(awk '$5 == "/" { print $0 }' /proc/self/mountinfo | grep -o 'overlay.*' | sed 's/lowerdir=[^,]*,upperdir=[^,]*,workdir=[^,]*,\?//'); /var/tmp on device $d, a file in it on $f"
world_wipe; rc=$?
world_keep "the first wipe (exit $rc)" "$T_TMP/wipe.log"
t_check "the first wipe makes the home from the skeleton and is verified (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || grep -E 'NOT verified' "$T_TMP/wipe.log" | sed 's/^/#   /'
as_guest sh -c "mkdir -p '$HOME_DIR/Downloads' && echo $C > '$HOME_DIR/Downloads/$C.pdf' && echo $C >> '$HOME_DIR/.profile' &&
    echo $C > '/var/tmp/$C' && mkdir -p '/var/tmp/$C-dir/sub' && echo $C > '/var/tmp/$C-dir/sub/f' && echo $C > '/tmp/$C'"
world_wipe; rc=$?
world_keep "the wipe after the guest (exit $rc)" "$T_TMP/wipe.log"
t_check "after the guest's files: the wipe is verified (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || grep -E 'NOT verified' "$T_TMP/wipe.log" | sed "s/$C/CANARY/g; s/^/#   /"
t_check "nothing of the guest's uid or group outside its home" test -z "$(world_owned_files)"
want=$(cd "$SKEL" && find . -mindepth 1 -printf '%y %m %s %P -> %l\n' | LC_ALL=C sort)
got=$(cd "$HOME_DIR" && find . -mindepth 1 -printf '%y %m %s %P -> %l\n' | LC_ALL=C sort)
t_check "the home equals the skeleton" test "$want" = "$got"
t_expect_fail "the log names no file" grep -qF "$C" "$T_TMP/wipe.log" "$T_TMP/wipe.out"
t_done
