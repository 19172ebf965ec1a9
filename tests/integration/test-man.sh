#!/usr/bin/env bash
# The man pages: each one renders without a warning (groff through man-db, and mandoc's lint),
# has a NAME section and a .TH line that match its file name, and documents what the programs
# and the shipped configuration offer: every group and key of config/rentark.conf has an entry
# "KEY = ..." in rentark.conf(5), every command and option of `rentarkctl --help` appears in
# rentarkctl(1), and every option of `rentarkd --help` and `rentark-session --help` in theirs.
# Nothing here needs root or a display.
. "$(dirname "$0")/../lib.sh"

MANDIR=$RK_SRC/man
PAGES=(rentarkd.8 rentarkctl.1 rentark-session.1 rentark.conf.5)

have() { command -v "$1" >/dev/null 2>&1; }

if ! have man && ! have mandoc; then
    t_skip "all tests in $(basename "$0")" "neither man-db nor mandoc is installed (scripts/deps.sh installs both)"
    t_done
    exit 0
fi

# render PAGE: the page as plain text, wide enough that no line of it is broken.
render() {
    if have man; then
        LC_ALL=C.UTF-8 MANWIDTH=250 man -l "$1" 2>/dev/null
    else
        mandoc -T ascii -O width=250 "$1" | sed 's/.\x08//g'
    fi
}

# in_text TEXT WORD: WORD occurs in TEXT as a whole word (an option or command name, so
# letters, digits, '_' and '-' around it do not count as a boundary).
in_text() { grep -qE -- "(^|[^[:alnum:]_-])$(printf '%s' "$2" | sed 's/[.[\*^$]/\\&/g')([^[:alnum:]_-]|$)" <<<"$1"; }

# check_all DESC MIN TEXT WORD...: ok when at least MIN words were given (so that a parser
# that finds nothing cannot pass) and every WORD occurs in TEXT; the failure names the missing.
check_all() {
    local desc=$1 min=$2 text=$3 missing=() w
    shift 3
    if [ $# -lt "$min" ]; then
        t_fail "$desc" "only $# names found to check (expected at least $min): the parser is broken"
        return
    fi
    for w in "$@"; do in_text "$text" "$w" || missing+=("$w"); done
    if [ ${#missing[@]} -eq 0 ]; then t_ok "$desc ($# names)"; else t_fail "$desc" "missing: ${missing[*]}"; fi
}

for p in "${PAGES[@]}"; do
    t_check "$p exists" test -s "$MANDIR/$p"
done

# Rendering. man --warnings passes -w to groff: unknown macros, bad escapes, missing glyphs.
if have man; then
    for p in "${PAGES[@]}"; do
        err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MANDIR/$p" 2>&1 >/dev/null)
        if [ -z "$err" ]; then t_ok "$p: man --warnings renders it silently"; else t_fail "$p: man --warnings" "$(head -3 <<<"$err" | tr '\n' ' ')"; fi
    done
else
    t_skip "man --warnings" "man-db is not installed (scripts/deps.sh installs it)"
fi
# mandoc's lint at level warning: no message is filtered. (Its STYLE messages, below this
# level, are clean too today; they are not required, since man(7) allows long source lines.)
if have mandoc; then
    for p in "${PAGES[@]}"; do
        err=$(mandoc -T lint -W warning "$MANDIR/$p" 2>&1)
        if [ -z "$err" ]; then t_ok "$p: mandoc -T lint -W warning is clean"; else t_fail "$p: mandoc lint" "$(head -3 <<<"$err" | tr '\n' ' ')"; fi
    done
else
    t_skip "mandoc -T lint" "mandoc is not installed (scripts/deps.sh installs it)"
fi

# NAME and .TH match the file: rentark.conf.5 is "rentark.conf" in section 5, and so on.
for p in "${PAGES[@]}"; do
    name=${p%.*} sect=${p##*.}
    src=$(sed 's/\\-/-/g' "$MANDIR/$p")
    first=$(awk '/^\.SH +"?NAME"?$/ { getline; print; exit }' <<<"$src")
    th=$(grep -m1 '^\.TH ' <<<"$src" | awk '{ print $2, $3 }')
    want_th="$(tr '[:lower:]' '[:upper:]' <<<"$name") $sect"
    if [ "${first%% - *}" = "$name" ] && [ "$first" != "${first%% - *}" ] && [ "$th" = "$want_th" ]; then
        t_ok "$p: NAME is \"$name - ...\" and .TH is \"$want_th\""
    else
        t_fail "$p: NAME and .TH match the file" "NAME line \"$first\", .TH \"$th\" (want \"$name - ...\" and \"$want_th\")"
    fi
done

# rentark.conf(5): every group and key of the shipped file. Groups and keys are the names
# before "=" on lines that are not comments; the volunteer entry's keys are only shown in a
# comment there ("#   { id = "kari"; name = ..."), so names followed by ' = "' or ' = [' in
# comments count too. Each must have its own entry in the section GROUPS AND KEYS: a line
# starting with "KEY = " (a subsection "GROUP = { ... };" or a tagged paragraph "KEY = TYPE";
# the lines of the example elsewhere do not count).
conf_text=$(render "$MANDIR/rentark.conf.5" | awk '/^[A-Z]/ { on = ($0 == "GROUPS AND KEYS") } on')
mapfile -t conf_names < <({
    sed -e 's/#.*//' "$RK_SRC/config/rentark.conf" | grep -oE '^[[:space:]]*[a-z_]+[[:space:]]*=' | tr -d ' \t='
    grep -E '^[[:space:]]*#' "$RK_SRC/config/rentark.conf" | grep -oE '[a-z_]+ = ["[]' | sed 's/ = .*//'
} | sort -u)
missing=()
for k in "${conf_names[@]}"; do
    grep -qE "^[[:space:]]+$k = " <<<"$conf_text" || missing+=("$k")
done
if [ ${#conf_names[@]} -lt 40 ]; then
    t_fail "rentark.conf.5 has an entry for every group and key of config/rentark.conf" "only ${#conf_names[@]} names parsed from config/rentark.conf"
elif [ ${#missing[@]} -eq 0 ]; then
    t_ok "rentark.conf.5 has an entry for every group and key of config/rentark.conf (${#conf_names[@]} names)"
else
    t_fail "rentark.conf.5 has an entry for every group and key of config/rentark.conf" "missing: ${missing[*]}"
fi

# rentarkctl(1): the commands of `rentarkctl --help`. The first column of each line under
# "Commands:" is a synopsis such as "incidents [resolve ID]" or
# "hook session-setup|session-cleanup [USER]"; its lower-case words (commands, subcommands,
# options) must all be in the page. The options of the usage line too.
help=$("$RKCTL" --help 2>&1)
t_check "rentarkctl --help succeeds" test $? -eq 0
mapfile -t ctl_names < <({
    awk '/^Commands:/ { on = 1; next } on && /^  [^ ]/ { sub(/^  /, ""); sub(/  .*/, ""); print }' <<<"$help" |
        tr ' |[]' '\n\n\n\n' | grep -E '^(--)?[a-z][a-z-]*$'
    grep -m1 '^Usage:' <<<"$help" | grep -oE -- '(^|[ [|])--?[a-z][a-z-]*' | sed 's/^[ [|]//'
} | sort -u)
check_all "rentarkctl.1 names every command and option of rentarkctl --help" 12 "$(render "$MANDIR/rentarkctl.1")" "${ctl_names[@]}"

# rentarkd(8) and rentark-session(1): every option their --help prints, long and short.
options_of() { grep -oE -- '(^|[ ,[|])--?[a-zA-Z][a-z-]*' <<<"$1" | sed 's/^[ ,[|]//' | grep -vxE -- '-|--' | sort -u; }
help=$("$RKD" --help 2>&1)
t_check "rentarkd --help succeeds" test $? -eq 0
mapfile -t d_opts < <(options_of "$help")
check_all "rentarkd.8 names every option of rentarkd --help" 10 "$(render "$MANDIR/rentarkd.8")" "${d_opts[@]}"

help=$("$RKSESSION" --help 2>&1)
t_check "rentark-session --help succeeds" test $? -eq 0
mapfile -t s_opts < <(options_of "$help")
check_all "rentark-session.1 names every option of rentark-session --help" 12 "$(render "$MANDIR/rentark-session.1")" "${s_opts[@]}"

t_done
