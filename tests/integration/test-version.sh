#!/usr/bin/env bash
# The version has one home, the first line of debian/changelog: the Makefile reads it (make
# version), dpkg's own parser reads the same, the three programs print it (--version), the
# built man pages carry it, and no other file of the tree names it (so a release is one new
# changelog entry, and nothing is left behind with the old number). No exceptions: the
# translation template is written without a version (make update-po), the man pages hold
# @VERSION@, which the build fills in. Nothing here needs root.
. "$(dirname "$0")/../lib.sh"

V=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$RK_SRC/debian/changelog")
t_check "debian/changelog's first line names a version (${V:-none})" test -n "$V"
[ -n "$V" ] || { t_done; exit 1; }

if command -v dpkg-parsechangelog >/dev/null; then
    dv=$(cd "$RK_SRC" && dpkg-parsechangelog -S Version 2>/dev/null)
    t_check "dpkg-parsechangelog reads the same version ($dv)" test "$dv" = "$V"
else
    t_skip "dpkg-parsechangelog reads the same version" "dpkg-dev is not installed"
fi
# The Makefile's own reading; its environment is not that of a make that may have started us.
mv=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$RK_SRC" --no-print-directory version 2>&1)
t_check "make version prints it ($mv)" test "$mv" = "$V"

for p in "$RKD:rentarkd" "$RKCTL:rentarkctl" "$RKSESSION:rentark-session"; do
    exe=${p%%:*} name=${p##*:}
    out=$("$exe" --version 2>&1)
    t_check "$name --version prints \"$name $V\" (\"$out\")" test "$out" = "$name $V"
done

# The man pages as make installs them ($RK_BUILD/man): .TH says "rentark VERSION", and no
# placeholder is left.
n=0
for m in "$RK_SRC"/man/*.[158]; do
    [ -e "$m" ] || continue
    n=$((n + 1))
    b=$(basename "$m") built=$RK_BUILD/man/$(basename "$m")
    t_check "$b as built: .TH carries \"rentark $V\", no @VERSION@ left" \
        bash -c 'grep -m1 "^\.TH " "$1" | grep -qF "\"rentark $2\"" && ! grep -q "@VERSION@" "$1"' _ "$built" "$V"
done
[ $n -gt 0 ] || t_fail "the man pages as built" "man/ holds no page"

# No other file names the version: tracked files and new ones not ignored (git grep
# --untracked), the changelog aside. The version counts only as a whole number: not as part of
# a longer one (1.2.3 is not found in 11.2.3 nor in 1.2.3.4). The changelog's older entries may stay.
if command -v git >/dev/null && git -C "$RK_SRC" rev-parse --git-dir >/dev/null 2>&1; then
    re="(?<![0-9.])$(sed 's/[.+~]/\\&/g' <<<"$V")(?![0-9]|\\.[0-9])"
    hits=$(git -C "$RK_SRC" grep --untracked -n -I -P -e "$re" -- . ':(exclude)debian/changelog' 2>&1)
    rc=$?
    if [ $rc -eq 1 ]; then
        t_ok "no file but debian/changelog names the version $V"
    else
        t_fail "no file but debian/changelog names the version $V" "git grep (status $rc) found:"
        head -20 <<<"$hits" | sed 's/^/#   /'
    fi
else
    t_skip "no file but debian/changelog names the version" "not a git work tree (or git missing)"
fi

t_done
