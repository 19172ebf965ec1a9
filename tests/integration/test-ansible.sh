#!/usr/bin/env bash
# The fleet example scripts/ansible: the playbook passes --syntax-check, and a real run on this
# machine (-i localhost, -c local) installs the .deb built from the working tree, writes the
# configuration from variables (the installed rentarkd accepts it), puts a staff account in
# rentark-admin; a configuration variable rentarkd refuses fails the run at "validate" and
# leaves the file as it was; validate checks offline (values, not folders), and the task after
# it fails the run on a language without notice texts on the kiosk; a second run changes nothing; a purge leaves the machine as it was
# before (snapshots compared).
#
# Like test-deb.sh it installs on the real machine: it refuses (skips) when anything of rentark
# is there already, and holds /run/lock/rentark-machine.lock meanwhile.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/deb-build.sh"

skip_all() { t_skip "the Ansible example" "$1"; t_done; exit 0; }
t_is_root || skip_all "needs root (installs the package on this machine)"
command -v ansible-playbook >/dev/null || skip_all "ansible-playbook not found (apt-get install ansible-core)"
if tool=$(deb_missing_tool); then skip_all "$tool not found (apt-get install debhelper dpkg-dev git)"; fi
/usr/bin/python3 -c 'import apt' 2>/dev/null || skip_all "python3-apt not found (the apt module needs it)"

AN=$RK_SRC/scripts/ansible
# Ansible's own files (temp folders, its home) stay in the test's folder; no ansible.cfg of
# the caller's applies.
export ANSIBLE_HOME=$T_TMP/ansible-home ANSIBLE_LOCAL_TEMP=$T_TMP/ansible-local \
    ANSIBLE_REMOTE_TEMP=$T_TMP/ansible-remote ANSIBLE_CONFIG=$T_TMP/ansible.cfg \
    ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_FORCE_COLOR=0 ANSIBLE_PIPELINING=1
: >"$ANSIBLE_CONFIG"

out=$(ansible-playbook --syntax-check -i "$AN/inventory.example.yml" "$AN/site.yml" 2>&1)
deb_check_rc "ansible-playbook --syntax-check site.yml (with the example inventory)" $? "$out"
out=$(ansible-inventory -i "$AN/inventory.example.yml" --list 2>&1)
t_check "the example inventory parses and has kiosks in two branches" \
    bash -c 'grep -q hb-kiosk-01 <<<"$1" && grep -q nord-kiosk-01 <<<"$1"' _ "$out"

start=$(date +%s)
deb_build
t_check "dpkg-buildpackage builds the package ($DEB_BUILT, $(($(date +%s) - start)) s)" test -n "$DEB_FILE"
[ -n "$DEB_FILE" ] || { t_done; exit 1; }

deb_lock || skip_all "another test held /run/lock/rentark-machine.lock for 15 minutes"
if why=$(deb_foreign); then skip_all "$why (not ours to overwrite or remove)"; fi

staff=$(t_unique_name rentark-staff)
t_user "$staff"
pin_hash=$(printf '4321\n4321\n' | "$RKCTL" hash-pin 2>/dev/null)
case $pin_hash in '$'*) ;; *) skip_all "$RKCTL hash-pin made no hash" ;; esac
deb_snapshot "$T_TMP/before"

# The variables a municipality sets in its inventory, as a file of extra variables. A name
# with quotes and æøå checks the template's escaping.
python3 - "$T_TMP/vars.json" "$DEB_FILE" "$T_TMP/kiosk-cache" "$staff" "$pin_hash" <<'EOF'
import json, sys
path, deb, cache, staff, pin_hash = sys.argv[1:]
json.dump({
    "rentark_hosts": "localhost",
    "ansible_python_interpreter": "/usr/bin/python3",
    "ansible_become": False,  # already root, and sudo need not be installed
    "rentark_deb": deb,
    "rentark_deb_dir": cache,
    "rentark_time_limit": 3600,
    "rentark_idle_timeout": 600,
    "rentark_idle_warning": 45,
    "rentark_languages": ["nn", "nb", "en"],
    "rentark_admins": [staff],
    "rentark_volunteers": [
        {"id": "kari", "name": "Kari Nordmann", "pin_hash": pin_hash,
         "declaration_signed": "2026-01-15", "modules": [1, 2, 3, 4, 5, 8]},
        {"id": "aase", "name": "Åse \"Åsa\" Ødegård", "pin_hash": pin_hash},
    ],
}, open(path, "w"), ensure_ascii=False)
EOF

# play LOG [ARGS...]: one run on this machine; its exit status.
play() {
    local log=$1; shift
    ansible-playbook -i localhost, -c local -e "@$T_TMP/vars.json" "$@" "$AN/site.yml" >"$log" 2>&1
}
# recap LOG FIELD: the number in "FIELD=N" of the run's recap line for localhost.
recap() { grep -E '^localhost +:' "$1" | tail -1 | grep -oE "$2=[0-9]+" | cut -d= -f2; }

t_cleanup "dpkg --purge rentark"
start=$(date +%s)
play "$T_TMP/run1.log"
rc=$?
deb_check_rc "first run succeeds ($(($(date +%s) - start)) s, changed=$(recap "$T_TMP/run1.log" changed))" $rc "$(cat "$T_TMP/run1.log")"
t_check "... the package is installed" \
    test "$(dpkg-query -W -f='${Status}' rentark 2>/dev/null)" = "install ok installed"
conf=/etc/rentark/rentark.conf
t_check "... the configuration holds the variables" \
    bash -c 'grep -q "time_limit = 3600;" "$1" && grep -q "languages = \[ \"nn\", \"nb\", \"en\" \];" "$1" &&
             grep -qF "name = \"Åse \\\"Åsa\\\" Ødegård\";" "$1" && grep -q "modules = \[ 1, 2, 3, 4, 5, 8 \];" "$1"' _ "$conf"
out=$(/usr/sbin/rentarkd --check-config 2>&1)
t_check "... the installed rentarkd accepts it: $out" test $? -eq 0
t_check "... the staff account is in rentark-admin" bash -c 'id -nG "$1" | grep -qw rentark-admin' _ "$staff"
t_check "... the changed configuration notified the reload handler" grep -q "RUNNING HANDLER \[rentark : Reload rentarkd\]" "$T_TMP/run1.log"
if [ -d /run/systemd/system ]; then
    t_check "... rentarkd.service is active" systemctl is-active --quiet rentarkd.service
else
    t_check "... without systemd as PID 1 it says that it did not start rentarkd" grep -q "systemd is not PID 1" "$T_TMP/run1.log"
fi

start=$(date +%s)
play "$T_TMP/run2.log"
rc=$?
changed=$(recap "$T_TMP/run2.log" changed)
t_check "a second run succeeds and changes nothing ($(($(date +%s) - start)) s, changed=$changed)" \
    test $rc -eq 0 -a "$changed" = 0
[ "$changed" = 0 ] || grep -EA1 '^(changed|fatal)' "$T_TMP/run2.log" | sed 's/^/#   /'

# An idle timeout shorter than the idle warning: rentarkd refuses it. (From the configuration
# task on: the package tasks before it were run twice already and take half a minute.)
before=$(sha256sum <"$conf")
play "$T_TMP/run3.log" -e rentark_idle_timeout=30 --start-at-task "Configuration /etc/rentark/rentark.conf"
rc=$?
t_check "a configuration rentarkd refuses fails the run (exit $rc)" test $rc -ne 0
t_check "... at validate, with rentarkd's message" \
    bash -c 'grep -q "failed to validate" "$1" && grep -q "idle_warning (45) must be shorter than session.idle_timeout (30)" "$1"' _ "$T_TMP/run3.log"
t_check "... and the installed file is unchanged" test "$(sha256sum <"$conf")" = "$before"

# A language the kiosk has no notice texts for: a valid value (validate is --offline and lets
# it pass), but this machine lacks the folder, which the next task's online check names.
play "$T_TMP/run4.log" -e '{"rentark_languages": ["nb", "xx"]}' --start-at-task "Configuration /etc/rentark/rentark.conf"
rc=$?
t_check "a language without notice texts on the kiosk fails the run (exit $rc)" test $rc -ne 0
t_check "... validate (offline) let it through, the file holds it" grep -q 'languages = \[ "nb", "xx" \];' "$conf"
t_check "... the check of the kiosk names the missing folder" \
    bash -c 'grep -q "The configuration fits this kiosk" "$1" && grep -q "no notice texts for \\\\\?\"xx" "$1"' _ "$T_TMP/run4.log"

out=$(dpkg --purge rentark 2>&1)
deb_check_rc "dpkg --purge rentark" $? "$out"
deb_snapshot "$T_TMP/after"
t_check "the machine after the purge is as it was before the first run" deb_compare "$T_TMP/before" "$T_TMP/after"
t_done
