#!/usr/bin/env bash
# Installs the dependencies, then runs every test: built with ASan+UBSan (make check), then
# the daemon's tests once more with rentarkd under valgrind (make check-valgrind). Each pass
# prints its own closing line "N passed, N failed, N skipped"; the last lines repeat both with
# an overall verdict, and the exit status is non-zero if either pass failed.
#
# Then the system test: the .deb installed on a Debian 12 root made from the archive and booted
# with systemd as PID 1 (make system-test; needs the Debian archive, and fails, never skips,
# without it).
#
# Extra arguments select tests by name for make check, and skip the valgrind pass and the
# system test:
#   scripts/test.sh config rmtree
# RK_VALGRIND=0 skips the valgrind pass, RK_SYSTEM=0 the system test.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
set -o pipefail
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

make -j"$(nproc)" check T="$*" 2>&1 | tee "$logs/check"
rc_check=$?
rc_vg=skip
if [ $# -eq 0 ] && [ "${RK_VALGRIND:-1}" != 0 ]; then
    echo
    echo "== the daemon's tests with rentarkd under valgrind (make check-valgrind)"
    make -j"$(nproc)" check-valgrind 2>&1 | tee "$logs/valgrind"
    rc_vg=$?
fi

rc_sys=skip
if [ $# -eq 0 ] && [ "${RK_SYSTEM:-1}" != 0 ]; then
    echo
    echo "== the system test: the .deb on a booted Debian 12 kiosk (make system-test)"
    make system-test 2>&1 | tee "$logs/system"
    rc_sys=$?
fi

closing() { # LOG RC: the pass's closing line, or why there is none
    local l
    l=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" 2>/dev/null | tail -1)
    if [ -n "$l" ]; then echo "$l"; else echo "no result (exit status $2)"; fi
}
echo
echo "== summary"
printf '%-22s %s\n' "make check:" "$(closing "$logs/check" $rc_check)"
if [ "$rc_vg" = skip ]; then
    printf '%-22s %s\n' "make check-valgrind:" "skipped (tests selected by name, or RK_VALGRIND=0)"
else
    printf '%-22s %s\n' "make check-valgrind:" "$(closing "$logs/valgrind" $rc_vg)"
fi
if [ "$rc_sys" = skip ]; then
    printf '%-22s %s\n' "make system-test:" "skipped (tests selected by name, or RK_SYSTEM=0)"
else
    printf '%-22s %s\n' "make system-test:" "$(closing "$logs/system" $rc_sys)"
fi
# The failures once more at the very end, where a CI log cut in the middle still shows them.
for pass in check valgrind system; do
    [ -f "$logs/$pass" ] || continue
    grep -E '^  (FAIL|SKIP) ' "$logs/$pass" | sed "s/^/$pass: /" | cut -c1-400
done
if [ $rc_check -eq 0 ] && { [ "$rc_vg" = skip ] || [ "$rc_vg" -eq 0 ]; } && { [ "$rc_sys" = skip ] || [ "$rc_sys" -eq 0 ]; }; then
    echo "overall: PASSED"
    exit 0
fi
echo "overall: FAILED"
exit 1
