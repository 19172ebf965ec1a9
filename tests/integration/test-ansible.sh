#!/usr/bin/env bash
# The fleet example scripts/ansible: the playbook passes --syntax-check, and a real run on this
# machine (-i localhost, -c local) installs the .deb built from the working tree, writes the
# configuration from variables (the installed rentarkd accepts it), puts a staff account in
# rentark-admin; a configuration variable rentarkd refuses fails the run at "validate" and
# leaves the file as it was; validate checks offline (values, not folders), and the task after
# it fails the run on a language without notice texts on the kiosk; a second run changes nothing;
# a run with rentark_apt_repo (a signed repository made by scripts/repo.sh in a temporary
# folder, file://) upgrades the package from it to a newer version, and a second such run
# changes nothing; a purge leaves the machine as it was before (snapshots compared).
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

# ---- from a signed apt repository: an upgrade ----
# The repository holds the package built above and a copy of it that says it is newer; the
# role must install the newer one (state latest) from it. The source and key it writes are
# removed at exit and before the last snapshot, and so are the lists apt fetched of it: a
# source left behind would point this machine's apt at a folder that is gone.
apt_files() {
    rm -f /etc/apt/sources.list.d/rentark.sources /usr/share/keyrings/rentark-archive-keyring.gpg
    rm -f /var/lib/apt/lists/*_"$(basename "$T_TMP")"_repo_*
}
if command -v apt-ftparchive >/dev/null && command -v gpg >/dev/null; then
    t_cleanup apt_files
    arch=$(dpkg-deb -f "$DEB_FILE" Architecture)
    V2=$(dpkg-deb -f "$DEB_FILE" Version)+ansible1
    deb_repack "$DEB_FILE" "$V2" "$T_TMP/rentark_${V2#*:}_$arch.deb"
    fpr=$(deb_gpg_key "$T_TMP/gnupg")
    out=$("$RK_SRC/scripts/repo.sh" --key "$fpr" --gnupghome "$T_TMP/gnupg" "$T_TMP/repo" \
        "$DEB_FILE" "$T_TMP/rentark_${V2#*:}_$arch.deb" 2>&1)
    deb_check_rc "scripts/repo.sh makes a repository with the package and a newer one ($V2)" $? "$out"
    # apt's fetchers run as _apt and need a TMPDIR they may write (this machine's /tmp may not
    # be one); the role's commands inherit it (-c local).
    mkdir -p -m 1777 "$T_TMP/apt-tmp" && chmod 1777 "$T_TMP/apt-tmp"
    repo_vars=(-e "rentark_apt_repo=file://$T_TMP/repo" -e "rentark_apt_key=$T_TMP/repo/rentark-archive-keyring.gpg")
    start=$(date +%s)
    TMPDIR=$T_TMP/apt-tmp play "$T_TMP/run5.log" "${repo_vars[@]}"
    rc=$?
    deb_check_rc "a run with rentark_apt_repo succeeds ($(($(date +%s) - start)) s, changed=$(recap "$T_TMP/run5.log" changed))" \
        $rc "$(cat "$T_TMP/run5.log")"
    t_check "... it upgraded the package to the repository's newest ($V2)" \
        test "$(dpkg-query -W -f='${Version} ${Status}' rentark 2>/dev/null)" = "$V2 install ok installed"
    t_check "... the key is in /usr/share/keyrings, as exported" \
        cmp -s "$T_TMP/repo/rentark-archive-keyring.gpg" /usr/share/keyrings/rentark-archive-keyring.gpg
    t_check "... rentark.sources names the repository, signed by that key alone" \
        bash -c 'f=/etc/apt/sources.list.d/rentark.sources
                 grep -qx "URIs: file://$1" "$f" && grep -qx "Suites: bookworm" "$f" && grep -qx "Components: main" "$f" &&
                 grep -qx "Signed-By: /usr/share/keyrings/rentark-archive-keyring.gpg" "$f"' _ "$T_TMP/repo"
    t_check "... apt knows the repository (apt-cache policy)" \
        bash -c 'apt-cache policy rentark 2>/dev/null | grep -qE "^ +500 file:$1 bookworm/main"' _ "$T_TMP/repo"
    t_check "... the configuration holds the variables again" grep -q 'languages = \[ "nn", "nb", "en" \];' "$conf"
    if [ -d /run/systemd/system ]; then
        t_check "... rentarkd.service is active" systemctl is-active --quiet rentarkd.service
    fi
    TMPDIR=$T_TMP/apt-tmp play "$T_TMP/run6.log" "${repo_vars[@]}"
    rc=$?
    changed=$(recap "$T_TMP/run6.log" changed)
    t_check "a second run with rentark_apt_repo succeeds and changes nothing (changed=$changed)" \
        test $rc -eq 0 -a "$changed" = 0
    [ "$changed" = 0 ] || grep -EA1 '^(changed|fatal)' "$T_TMP/run6.log" | sed 's/^/#   /'
else
    t_skip "the role with rentark_apt_repo" "apt-ftparchive or gpg not found (apt-get install apt-utils gnupg)"
fi

out=$(dpkg --purge rentark 2>&1)
deb_check_rc "dpkg --purge rentark" $? "$out"
apt_files
deb_snapshot "$T_TMP/after"
t_check "the machine after the purge is as it was before the first run" deb_compare "$T_TMP/before" "$T_TMP/after"
t_done
