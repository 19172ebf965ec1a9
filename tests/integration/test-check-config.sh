#!/usr/bin/env bash
# rentarkd --check-config: exit 0 for a valid file, exit 1 with "FILE:LINE: message" for each
# kind of error an admin can make. --check-config --offline: the same checks of every value,
# nothing of this machine looked at; every example configuration of the tree passes it.
. "$(dirname "$0")/../lib.sh"

d=$T_TMP
mkdir -p "$d/skel"
for l in nb nn en se uk ar pl so; do mkdir -p "$d/notice/$l"; done
base() {
    sed -e "s|\"/etc/rentark/notice\"|\"$d/notice\"|" -e "s|\"/etc/rentark/skel\"|\"$d/skel\"|" \
        "$RK_SRC/config/rentark.conf"
}

# expect_error NAME LINE PATTERN [OPTION...]: the file $d/NAME.conf is rejected with exit 1
# and a message "…/NAME.conf:LINE: …PATTERN…" by rentarkd --check-config OPTION....
expect_error() {
    local name=$1 line=$2 pat=$3 out rc
    shift 3
    out=$("$RKD" --check-config "$@" -c "$d/$name.conf" 2>&1); rc=$?
    if ! [[ $line =~ ^[0-9]+$ ]]; then
        t_fail "$name${1:+ $*}: the test finds one line to expect" "got \"$line\""
    elif [ $rc -ne 1 ]; then
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

# --offline: a file for another machine. Its folders do not exist here: the online check names
# the missing one, the offline check passes.
away=$d/elsewhere
sed -e "s|\"/etc/rentark/notice\"|\"$away/notice\"|" -e "s|\"/etc/rentark/skel\"|\"$away/skel\"|" \
    "$RK_SRC/config/rentark.conf" >"$d/away.conf"
out=$("$RKD" --check-config -c "$d/away.conf" 2>&1); rc=$?
line=$(grep -n "\"$away/skel\"" "$d/away.conf" | cut -d: -f1)
t_check "away.conf online: exit 1 naming the missing skeleton at line $line ($rc)" \
    bash -c '[ "$1" -eq 1 ] && grep -qF "$2: guest.skeleton: directory \"$3/skel\" does not exist" <<<"$4"' \
    _ $rc "$d/away.conf:$line" "$away" "$out"
# The notice folder alone (a missing skeleton stops the load before the texts are looked at).
sed "s|\"$away/skel\"|\"$d/skel\"|" "$d/away.conf" >"$d/away-notice.conf"
out=$("$RKD" --check-config -c "$d/away-notice.conf" 2>&1); rc=$?
line=$(grep -n "\"$away/notice\"" "$d/away-notice.conf" | cut -d: -f1)
t_check "away-notice.conf online: exit 1 naming the missing notice folder at line $line ($rc)" \
    bash -c '[ "$1" -eq 1 ] && grep -qF "$2: notice.text_dir: directory \"$3/notice\" does not exist" <<<"$4"' \
    _ $rc "$d/away-notice.conf:$line" "$away" "$out"
out=$("$RKD" --check-config --offline -c "$d/away-notice.conf" 2>&1); rc=$?
t_check "away-notice.conf --offline: valid ($rc: $out)" test $rc -eq 0
out=$("$RKD" --check-config --offline -c "$d/away.conf" 2>&1); rc=$?
t_check "away.conf --offline: valid ($rc: $out)" test $rc -eq 0
t_check "... and nothing was created" test ! -e "$away"
# The language folders too: a language without notice texts here passes offline.
base | sed 's|^  languages = \[ "nb", .*|  languages = [ "nb", "xx" ];|' >"$d/lang.conf"
t_check "lang.conf (the language was put in)" grep -q '"xx"' "$d/lang.conf"
expect_error lang "$(grep -n '"xx"' "$d/lang.conf" | cut -d: -f1)" 'no notice texts for "xx"'
out=$("$RKD" --check-config --offline -c "$d/lang.conf" 2>&1)
t_check "lang.conf --offline: valid ($out)" test $? -eq 0
# The order of the options does not matter.
out=$("$RKD" --offline -c "$d/away.conf" --check-config 2>&1)
t_check "--offline before --check-config: valid ($out)" test $? -eq 0

# --offline still checks every value, with FILE:LINE, on the file whose folders are elsewhere.
away() { sed -e "$1" "$d/away.conf"; }
away 's|^  report_deadline_hours = 72;|  report_deadline_hours = 721;|' >"$d/off-range.conf"
expect_error off-range "$(grep -n 'report_deadline_hours = 721' "$d/off-range.conf" | cut -d: -f1)" \
    "out of range (1 to 720)" --offline
away 's|^  create = true;|  create = true;\n  colour = "blue";|' >"$d/off-unknown.conf"
expect_error off-unknown "$(grep -n 'colour' "$d/off-unknown.conf" | cut -d: -f1)" 'unknown key "guest.colour"' --offline
away 's|^  idle_warning = 60;|  idle_warning = 900;|' >"$d/off-cross.conf"
expect_error off-cross "$(grep -n 'idle_warning = 900' "$d/off-cross.conf" | cut -d: -f1)" \
    "must be shorter than session.idle_timeout" --offline
away 's|^  skeleton = .*|  skeleton = "skel";|' >"$d/off-relative.conf"
expect_error off-relative "$(grep -n '"skel"' "$d/off-relative.conf" | cut -d: -f1)" \
    "guest.skeleton must be an absolute path" --offline
# Opening hours: a malformed day, a time that does not exist, a date that does not exist.
{ cat "$d/away.conf"; printf 'hours = {\n  mon = "nine to five";\n  tue = "09:00-16:00";\n};\n'; } >"$d/off-hours.conf"
expect_error off-hours "$(grep -n 'nine to five' "$d/off-hours.conf" | cut -d: -f1)" 'hours.mon = "nine to five"' --offline
{ cat "$d/away.conf"; printf 'hours = {\n  mon = "09:00-16:00";\n  tue = "09:00-25:30";\n};\n'; } >"$d/off-time.conf"
expect_error off-time "$(grep -n '25:30' "$d/off-time.conf" | cut -d: -f1)" 'hours.tue = "09:00-25:30"' --offline
{ cat "$d/away.conf"; printf 'hours = {\n  exceptions = ( { date = "2026-02-30"; hours = "closed"; } );\n};\n'; } >"$d/off-date.conf"
expect_error off-date "$(grep -n '2026-02-30' "$d/off-date.conf" | cut -d: -f1)" \
    'hours.exceptions.date "2026-02-30"' --offline
# A volunteer's PIN written down as it is, not hashed.
away 's|^volunteers = ( );|volunteers = (\n  { id = "kari"; name = "Kari";\n    pin_hash = "1234"; }\n);|' >"$d/off-pin.conf"
expect_error off-pin "$(grep -n '^  { id = "kari"' "$d/off-pin.conf" | cut -d: -f1)" 'pin_hash must be a crypt(3) hash' --offline
# An @include is part of the file: it is read offline too, and its errors name it.
printf 'incidents = {\n  report_deadline_hours = 0;\n};\n' >"$d/part.conf"
sed '/^incidents = {/,/^};/d' "$d/away.conf" >"$d/off-include.conf"
echo '@include "part.conf"' >>"$d/off-include.conf"
out=$("$RKD" --check-config --offline -c "$d/off-include.conf" 2>&1); rc=$?
t_check "off-include --offline: exit 1 naming the included file's line ($rc: $out)" \
    bash -c '[ "$1" -eq 1 ] && grep -qF "$2:2: incidents.report_deadline_hours = 0 is out of range" <<<"$3"' _ $rc "$d/part.conf" "$out"
{ cat "$d/away.conf"; echo '@include "no-such-part.conf"'; } >"$d/off-noinclude.conf"
out=$("$RKD" --check-config --offline -c "$d/off-noinclude.conf" 2>&1); rc=$?
t_check "off-noinclude --offline: a missing @include is an error ($rc: $out)" \
    bash -c '[ "$1" -eq 1 ] && grep -qF "off-noinclude.conf:" <<<"$2"' _ $rc "$out"
out=$("$RKD" --check-config --offline -c "$d/does-not-exist.conf" 2>&1); rc=$?
t_check "missing file --offline: exit 1, named ($rc)" \
    bash -c '[ "$1" -eq 1 ] && grep -qF "$2" <<<"$3"' _ $rc "$d/does-not-exist.conf" "$out"

out=$("$RKD" --offline -c "$d/valid.conf" 2>&1); rc=$?
t_check "--offline without --check-config: usage error, exit 2 ($rc)" test $rc -eq 2
out=$("$RKD" --offline --wipe-once --dry-run -c "$d/valid.conf" 2>&1); rc=$?
t_check "--offline with --wipe-once: usage error, exit 2 ($rc)" test $rc -eq 2

# Every example configuration in the tree passes --check-config --offline: the shipped file,
# the fuzz seeds that are meant to be valid, the examples of the README and of rentark.conf(5),
# and the Ansible role's template rendered with the role's defaults.
examples=("$RK_SRC/config/rentark.conf")
for s in shipped session seat guest hours wipe; do examples+=("$RK_SRC/tests/fuzz/corpus/config/$s.conf"); done
# examples_in KIND FILE: the configuration examples in FILE (KIND readme: code blocks without a
# language; man: the .EX blocks of EXAMPLES, groff escapes undone) that start with a group,
# each written to $d/KIND-N.conf; prints the file names.
examples_in() {
    /usr/bin/python3 - "$1" "$2" "$d" <<'PY'
import re, sys
kind, path, out = sys.argv[1:]
text = open(path, encoding="utf-8").read()
if kind == "readme":
    blocks, block, fence = [], None, False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if not fence and line.strip() == "```":
                block = ""
            elif fence and block is not None:
                blocks.append(block)
                block = None
            fence = not fence
        elif block is not None:
            block += line
else:
    text = text[text.index("\n.SH EXAMPLES"):]
    blocks = [b.replace("\\-", "-").replace("\\(en", "\u2013").replace("\\e", "\\")
              for b in re.findall(r"^\.EX\n(.*?)^\.EE$", text, re.S | re.M)]
n = 0
for b in blocks:
    if re.match(r"[a-z]+ = [{(]", b):
        n += 1
        name = "%s/%s-%d.conf" % (out, kind, n)
        open(name, "w", encoding="utf-8").write(b)
        print(name)
PY
}
mapfile -t readme < <(examples_in readme "$RK_SRC/README.md")
t_check "the README has configuration examples (${#readme[@]})" test ${#readme[@]} -ge 2
mapfile -t manex < <(examples_in man "$RK_SRC/man/rentark.conf.5")
t_check "rentark.conf.5 has configuration examples (${#manex[@]})" test ${#manex[@]} -ge 2
examples+=("${readme[@]}" "${manex[@]}")
for f in "${examples[@]}"; do
    name=${f#"$RK_SRC"/}; name=${name#"$d"/}
    out=$("$RKD" --check-config --offline -c "$f" 2>&1)
    if [ $? -eq 0 ]; then t_ok "example $name passes --offline"; else t_fail "example $name passes --offline" "$out"; fi
done
# The fuzz seeds that are meant to be invalid fail offline exactly as online: their errors are
# all about values.
for s in bad incidents paths volunteers; do
    f=$RK_SRC/tests/fuzz/corpus/config/$s.conf
    on=$("$RKD" --check-config -c "$f" 2>&1); rc1=$?
    off=$("$RKD" --check-config --offline -c "$f" 2>&1); rc2=$?
    t_check "invalid seed $s.conf: the same errors offline ($rc1/$rc2)" \
        bash -c '[ "$1" -eq 1 ] && [ "$2" -eq 1 ] && [ "$3" = "$4" ]' _ $rc1 $rc2 "$on" "$off"
done

# The Ansible role's template with the role's defaults, and with a volunteer, rendered by
# Ansible's own template module (its filters, ansible_managed) into the test's folder.
AN=$RK_SRC/scripts/ansible
if command -v ansible >/dev/null && /usr/bin/python3 -c 'import jinja2' 2>/dev/null; then
    export ANSIBLE_HOME=$d/ansible-home ANSIBLE_LOCAL_TEMP=$d/ansible-local ANSIBLE_REMOTE_TEMP=$d/ansible-remote \
        ANSIBLE_CONFIG=$d/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
    : >"$ANSIBLE_CONFIG"
    /usr/bin/python3 - "$d/ansible-vars.json" <<'PY'
import json, sys
json.dump({"rentark_volunteers": [{
    "id": "kari", "name": "Kari \"K\" Nordmann ø",
    "pin_hash": "$y$j9T$F5Jx5fExrKuJdiDcoHvcE.$kDnXGs0b7obvJ6qbBBOZEKGzvBEkzUUNfnnNrC2qQX8",
    "declaration_signed": "2026-01-15", "modules": [1, 2, 3, 4, 5, 8]}],
    "rentark_metrics_file": "/var/lib/prometheus/node-exporter/rentark.prom",
    "rentark_wipe_strategy": "tmpfs"}, open(sys.argv[1], "w"), ensure_ascii=False)
PY
    for v in defaults volunteer; do
        extra=(-e "@$RK_SRC/scripts/ansible/roles/rentark/defaults/main.yml")
        [ $v = volunteer ] && extra+=(-e "@$d/ansible-vars.json")
        out=$(ansible localhost -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 "${extra[@]}" \
              -m ansible.builtin.template -a "src=$AN/roles/rentark/templates/rentark.conf.j2 dest=$d/ansible-$v.conf" 2>&1)
        if [ $? -ne 0 ] || [ ! -s "$d/ansible-$v.conf" ]; then
            t_fail "the Ansible template renders ($v)" "$(tail -3 <<<"$out" | tr '\n' ' ')"
            continue
        fi
        out=$("$RKD" --check-config --offline -c "$d/ansible-$v.conf" 2>&1)
        if [ $? -eq 0 ]; then t_ok "the Ansible template with the role's $v passes --offline"
        else t_fail "the Ansible template with the role's $v passes --offline" "$out"; fi
    done
else
    t_skip "the Ansible template with the role's defaults" "ansible or python3-jinja2 not found (apt-get install ansible-core)"
fi

out=$("$RKD" --check-config -c "$d/does-not-exist.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -qF "$d/does-not-exist.conf" <<<"$out"; then t_ok "missing file: exit 1, named"
else t_fail "missing file: exit 1, named" "rc=$rc out=$out"; fi

"$RKD" --version | grep -q '^rentarkd [0-9]'
t_check "--version prints the version" test $? -eq 0
"$RKD" --no-such-option >/dev/null 2>&1
t_check "a bad option exits 2" test $? -eq 2

t_done
