#!/usr/bin/env bash
# rentarkctl --json: valid UTF-8 JSON for any value, against the real rentarkd. The PC's name
# with ø, å and an emoji, volunteers' names with control characters, quotes, backslashes, line
# and paragraph separators and all digits (a volunteer's name may hold any UTF-8; seat.name may
# not hold control characters) come back from `status`, `volunteers` and `guided` exactly as
# they are in the file, parsed by Python's json module. The types: numbers as numbers, the
# protocol's 0/1 flags as booleans, names and ids as strings even when all digits. The
# open-incident count is in the status for root and admins only. `stats`, `incidents` and
# `session-config` still give JSON.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
PY=/usr/bin/python3

HASH=$(printf '4711\n4711\n' | "$RKCTL" hash-pin 2>/dev/null)
t_check "rentarkctl hash-pin makes a crypt(3) hash" grep -q '^\$y\$' <<<"$HASH"

# The names, written once in Python: the config's part (libconfig escapes for the control
# characters) and the expected values as JSON, for the checks below.
$PY - "$T_TMP/names.conf" "$T_TMP/names.json" "$HASH" "$(date +%F)" <<'PY'
import json, sys
conf, expect, pin_hash, today = sys.argv[1:]
seat = "PC 3 \u2013 2. etasje \u00f8 \u00e5 \U0001f5a5"
volunteers = [
    ("kari", "Kari \u00d8deg\u00e5rd \U0001f5a5 \u00e6\u00f8\u00e5"),
    ("tab", "Tab\there, new\nline, CR\rend"),
    ("ctl", "Bell\x07 unit\x1f del\x7f esc\x1b[31m"),
    ("quote", 'Sa "hei" \\ back\\slash /'),
    ("sep", "Line\u2028sep, para\u2029sep, nel\u0085, bom\ufeff, rtl \u0627\u0644\u0639\u0631\u0628\u064a\u0629"),
    ("digits", "123"),
]
def lc(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
with open(conf, "w", encoding="utf-8") as f:
    f.write("seat = { name = %s; };\n" % lc(seat))
    f.write("volunteers = (\n")
    f.write(",\n".join('  { id = "%s"; name = %s; pin_hash = "%s"; declaration_signed = "%s"; modules = [ 1, 2, 3, 4, 5, 8 ]; }'
                       % (i, lc(n), pin_hash, today) for i, n in volunteers))
    f.write("\n);\n")
json.dump({"seat": seat, "volunteers": volunteers}, open(expect, "w"), ensure_ascii=True)
PY
cat "$T_TMP/names.conf" >>"$CONF"
ADMG=$(t_unique_name rk-ag); groupadd "$ADMG"; t_cleanup "groupdel '$ADMG'"
ADMIN=$(t_unique_name rk-a); STRANGER=$(t_unique_name rk-s)
t_user "$ADMIN"; t_user "$STRANGER"; usermod -aG "$ADMG" "$ADMIN"
echo "access = { admin_group = \"$ADMG\"; };" >>"$CONF"
out=$("$RKD" --check-config -c "$CONF" 2>&1)
t_check "the config with the names is valid: $out" test $? -eq 0

start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
as_user() { local u=$1; shift; setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --init-groups -- "$RKCTL" -s "$SOCK" "$@"; }

# check_json DESC FILE PYTHON: FILE parses as JSON (strictly: no NaN, UTF-8) and the Python
# expression, with the document as j and the expected names as e, is true.
check_json() {
    local desc=$1 file=$2 expr=$3 out
    out=$($PY - "$file" "$T_TMP/names.json" "$expr" <<'PY' 2>&1
import json, sys
path, expect, expr = sys.argv[1:]
raw = open(path, "rb").read()
text = raw.decode("utf-8")  # strict: invalid UTF-8 fails here
def no_constants(name):
    raise ValueError("not JSON: " + name)
j = json.loads(text, parse_constant=no_constants)
e = json.load(open(expect))
if not eval(expr):
    print("false: %s\ngot: %s" % (expr, json.dumps(j, ensure_ascii=True)[:600]))
    sys.exit(1)
PY
)
    if [ $? -eq 0 ]; then t_ok "$desc"; else t_fail "$desc" "$(tr '\n' ' ' <<<"$out")"; fi
}

ctl --json status >"$T_TMP/status.json"
t_check "status --json: one line" test "$(wc -l <"$T_TMP/status.json")" -eq 1
check_json "status --json: the seat's name with ø, å and an emoji, exactly" "$T_TMP/status.json" 'j["seat_name"] == e["seat"]'
check_json "status --json: the state, and the names as strings" "$T_TMP/status.json" \
    'j["state"] == "READY" and j["session"] == "-" and j["volunteer"] == "-" and j["caller"] == "other"'
check_json "status --json: the last verified wipe, a number, recent" "$T_TMP/status.json" \
    'type(j["last_wipe"]) is int and abs(j["last_wipe"] - __import__("time").time()) < 600 and j["verified"] is True'
check_json "status --json: the open incidents, counted, for root" "$T_TMP/status.json" \
    'type(j["incidents_open"]) is int and j["incidents_open"] == 0'
check_json "status --json: numbers as numbers" "$T_TMP/status.json" \
    'all(type(j[k]) is int for k in ("time_left", "idle_left", "warn", "extends_left", "session_time", "generation", "idle_timeout", "max_extends"))'
check_json "status --json: the 0/1 flags as booleans" "$T_TMP/status.json" \
    'all(type(j[k]) is bool for k in ("guided", "verified", "waiting_input", "locked", "guided_enabled", "screen_reader", "start_on_first_input"))'
check_json "status --json: the lists as strings (\"600,300,60\")" "$T_TMP/status.json" \
    'j["warnings"] == "600,300,60" and type(j["languages"]) is str'
as_user "$ADMIN" --json status >"$T_TMP/status-admin.json"
check_json "status --json of an admin-group member: the open incidents too" "$T_TMP/status-admin.json" 'j["incidents_open"] == 0'
as_user "$STRANGER" --json status >"$T_TMP/status-other.json"
check_json "status --json of another user: no incident count, the rest as for root" "$T_TMP/status-other.json" \
    '"incidents_open" not in j and j["seat_name"] == e["seat"] and j["state"] == "READY"'

# Every volunteer's name, control characters and all, from the picker's list.
ctl --json volunteers >"$T_TMP/vol.json"
t_check "volunteers --json: one line (the line breaks in names are escaped)" test "$(wc -l <"$T_TMP/vol.json")" -eq 1
check_json "volunteers --json: n and total as numbers" "$T_TMP/vol.json" 'j["n"] == len(e["volunteers"]) and j["total"] == j["n"]'
check_json "volunteers --json: every name exactly (tab, newline, CR, BEL, US, DEL, ESC, quotes, backslash, U+2028/2029/0085/FEFF, Arabic)" \
    "$T_TMP/vol.json" 'all(j["id%d" % i] == v[0] and j["name%d" % i] == v[1] for i, v in enumerate(e["volunteers"]))'
check_json "volunteers --json: a name of digits stays a string" "$T_TMP/vol.json" 'j["name5"] == "123"'
t_check "the control characters are escaped in the output, not raw" \
    bash -c '! LC_ALL=C grep -qP "[\x00-\x08\x0b-\x1f]" "$1" && grep -qF "\\u0007" "$1"' _ "$T_TMP/vol.json"

# A guided session: the helper's name in the reply of `guided` and in the status.
ctl hook session-setup "$GUEST" >/dev/null
printf '4711\n' | as_guest "$RKCTL" -s "$SOCK" --json guided kari >"$T_TMP/guided.json" 2>"$T_TMP/guided.err"
check_json "guided --json: the helper's name exactly" "$T_TMP/guided.json" 'j["name"] == e["volunteers"][0][1]'
as_guest "$RKCTL" -s "$SOCK" --json status >"$T_TMP/status-guided.json"
check_json "status --json in a guided session: guided true, the helper's name, the guest as caller" "$T_TMP/status-guided.json" \
    'j["guided"] is True and j["volunteer"] == e["volunteers"][0][1] and j["state"] == "NOTICE" and j["caller"] == "guest" and "incidents_open" not in j'
ctl end >/dev/null
wait_state READY

# The other commands that give JSON.
ctl --json session-config >"$T_TMP/sc.json"
check_json "session-config --json: the name and typed settings" "$T_TMP/sc.json" \
    'j["seat_name"] == e["seat"] and type(j["idle_timeout"]) is int and type(j["guided_enabled"]) is bool'
ctl --json incidents >"$T_TMP/inc.json"
check_json "incidents --json: n a number, the text a string" "$T_TMP/inc.json" 'j["n"] == 0 and type(j["text"]) is str'
ctl stats --json >"$T_TMP/stats.json"
check_json "stats --json (the daemon's JSON, checked and written anew): an object with the sessions" "$T_TMP/stats.json" \
    'type(j) is dict and "sessions" in json.dumps(j)'
ctl --json stats >"$T_TMP/stats2.json"
t_check "--json before the command gives the same statistics" cmp -s "$T_TMP/stats.json" "$T_TMP/stats2.json"

# A refusal stays a message on stderr with exit 1, also with --json.
out=$(as_user "$STRANGER" --json volunteers 2>&1 >"$T_TMP/denied.out"); rc=$?
t_check "a refused call with --json: exit 1, the reason on stderr, nothing on stdout ($rc)" \
    bash -c '[ "$1" -eq 1 ] && grep -q "(denied)" <<<"$2" && [ ! -s "$3" ]' _ $rc "$out" "$T_TMP/denied.out"
t_done
