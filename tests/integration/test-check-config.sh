#!/usr/bin/env bash
# rentarkd --check-config: exit 0 for a valid file, exit 1 with "FILE:LINE: message" for each
# kind of error an admin can make.
. "$(dirname "$0")/../lib.sh"

d=$T_TMP
mkdir -p "$d/skel"
for l in nb nn en se uk ar pl so; do mkdir -p "$d/notice/$l"; done
base() {
    sed -e "s|\"/etc/rentark/notice\"|\"$d/notice\"|" -e "s|\"/etc/rentark/skel\"|\"$d/skel\"|" \
        "$RK_SRC/config/rentark.conf"
}

# expect_error NAME LINE PATTERN: the file $d/NAME.conf is rejected with exit 1 and a message
# "…/NAME.conf:LINE: …PATTERN…".
expect_error() {
    local name=$1 line=$2 pat=$3 out rc
    out=$("$RKD" --check-config -c "$d/$name.conf" 2>&1); rc=$?
    if [ $rc -ne 1 ]; then
        t_fail "$name: exit status 1" "got $rc: $out"
    elif ! grep -qF "$d/$name.conf:$line: " <<<"$out" || ! grep -qF -- "$pat" <<<"$out"; then
        t_fail "$name: names file and line $line" "got: $out"
    else
        t_ok "$name: exit 1, names $name.conf:$line"
    fi
}

base >"$d/valid.conf"
out=$("$RKD" --check-config -c "$d/valid.conf" 2>&1)
t_check "shipped config (paths pointed at test dirs) is valid: $out" test $? -eq 0

base | sed 's|^  time_limit = 7200;|  time_limit = 7200|; s|^  idle_timeout = 900;|  idle_timeout = = 900;|' >"$d/syntax.conf"
expect_error syntax "$(grep -n 'idle_timeout = =' "$d/syntax.conf" | cut -d: -f1)" "syntax error"

base | sed 's|^  create = true;|  create = true;\n  colour = "blue";|' >"$d/unknown.conf"
expect_error unknown "$(grep -n 'colour' "$d/unknown.conf" | cut -d: -f1)" 'unknown key "guest.colour"'

base | sed 's|^  time_limit = 7200;|  time_limit = "two hours";|' >"$d/type.conf"
expect_error type "$(grep -n 'two hours' "$d/type.conf" | cut -d: -f1)" "session.time_limit must be an integer"

base | sed 's|^  report_deadline_hours = 72;|  report_deadline_hours = 0;|' >"$d/range.conf"
expect_error range "$(grep -n 'report_deadline_hours = 0' "$d/range.conf" | cut -d: -f1)" "out of range (1 to 720)"

base | sed "s|\"$d/skel\"|\"$d/no-such-skel\"|" >"$d/skel.conf"
expect_error skel "$(grep -n 'no-such-skel' "$d/skel.conf" | cut -d: -f1)" "guest.skeleton: directory"

base | sed "s|\"$d/notice\"|\"$d/no-such-notice\"|" >"$d/notice.conf"
expect_error notice "$(grep -n 'no-such-notice' "$d/notice.conf" | cut -d: -f1)" "notice.text_dir: directory"

out=$("$RKD" --check-config -c "$d/does-not-exist.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -qF "$d/does-not-exist.conf" <<<"$out"; then t_ok "missing file: exit 1, named"
else t_fail "missing file: exit 1, named" "rc=$rc out=$out"; fi

"$RKD" --version | grep -q '^rentarkd [0-9]'
t_check "--version prints the version" test $? -eq 0
"$RKD" --no-such-option >/dev/null 2>&1
t_check "a bad option exits 2" test $? -eq 2

t_done
