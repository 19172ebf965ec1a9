#!/usr/bin/env bash
# The journal's message catalogue (config/journal/rentark.catalog) against the code's table of
# MESSAGE_IDs (common/log.c): systemd's own parser takes it (journalctl --root=DIR
# --update-catalog on a scratch root holding it where the package installs it), every id of
# the table has an English (default) and a bokmål entry with a subject and a text, the catalogue
# has no other id, each entry says Defined-By: rentark, and its @FIELD@ substitutions name
# fields the records carry. Nothing here needs root.
. "$(dirname "$0")/../lib.sh"

CAT=$RK_SRC/config/journal/rentark.catalog
ROOT=$T_TMP/root

if ! command -v journalctl >/dev/null 2>&1; then
    t_skip "all tests in $(basename "$0")" "journalctl (systemd) is not installed"
    t_done
    exit 0
fi

# The table: [RK_EVENT_X] = { "name", "id" }, one line each; and the enum's count, so that an
# entry this pattern misses fails the count instead of passing unseen.
sed -nE 's/^ *\[RK_EVENT_[A-Z_]+\] = \{ "([a-z-]+)", "([0-9a-f]{32})" \},$/\2 \1/p' "$RK_SRC/common/log.c" | sort >"$T_TMP/table"
N_ENUM=$(sed -n '/^typedef enum {/,/} RkEvent;/p' "$RK_SRC/common/log.h" | grep -cE '^ *RK_EVENT_[A-Z_]+,')
N_TABLE=$(wc -l <"$T_TMP/table")
t_check "the table in common/log.c has one id per event of common/log.h ($N_TABLE of $N_ENUM)" \
    test "$N_TABLE" -gt 10 -a "$N_TABLE" = "$N_ENUM"
t_check "no MESSAGE_ID twice in the table" test -z "$(cut -d' ' -f1 "$T_TMP/table" | uniq -d)"
cut -d' ' -f1 "$T_TMP/table" >"$T_TMP/ids"

# The catalogue's own header lines, by language ("" = the default, English).
grep -E '^-- ' "$CAT" >"$T_TMP/heads"
t_check "every header line is \"-- ID\" or \"-- ID nb\"" \
    test -z "$(grep -vxE -- '-- [0-9a-f]{32}( nb)?' "$T_TMP/heads")"
sed -nE 's/^-- ([0-9a-f]{32})$/\1/p' "$T_TMP/heads" | sort >"$T_TMP/en"
sed -nE 's/^-- ([0-9a-f]{32}) nb$/\1/p' "$T_TMP/heads" | sort >"$T_TMP/nb"
t_check "no entry twice in one language" test -z "$(uniq -d "$T_TMP/en")$(uniq -d "$T_TMP/nb")"
t_check "the English entries are exactly the table's ids" diff "$T_TMP/ids" "$T_TMP/en"
t_check "the bokmål entries are exactly the table's ids" diff "$T_TMP/ids" "$T_TMP/nb"

# Each entry: Subject, Defined-By: rentark, Support, a blank line and some text.
awk '
    /^-- / { if (id != "") check(); id = $0; subj = def = sup = blank = text = 0; next }
    id == "" { next }
    !blank && /^Subject: ./ { subj = 1 }
    !blank && /^Defined-By: rentark$/ { def = 1 }
    !blank && /^Support: ./ { sup = 1 }
    !blank && /^$/ { blank = 1; next }
    blank && /[^ ]/ && !/^#/ { text++ }
    function check() { if (!(subj && def && sup && text >= 2)) print id }
    END { if (id != "") check() }' "$CAT" >"$T_TMP/bad"
t_check "every entry has Subject, Defined-By: rentark, Support and a text" test ! -s "$T_TMP/bad"
[ -s "$T_TMP/bad" ] && sed 's/^/# incomplete: /' "$T_TMP/bad"

# @FIELD@: only fields the records have (journalctl -x leaves an unknown one empty).
grep -v '^#' "$CAT" | grep -oE '@[A-Z0-9_]+@' | sort -u | tr -d @ >"$T_TMP/fields"
bad=$(grep -vxE 'SESSION_ID|RENTARK_[A-Z_]+' "$T_TMP/fields" | tr '\n' ' ')
missing=$(while read -r f; do
    [ "$f" = SESSION_ID ] && continue
    grep -qF "\"$f\"" "$RK_SRC"/agent/*.c "$RK_SRC"/common/*.c || printf '%s ' "$f"
done <"$T_TMP/fields")
t_check "every @FIELD@ is a field the code logs (${bad}${missing})" test -z "$bad$missing"

# systemd's parser, on a scratch root laid out as the package installs it.
install -D -m 0644 "$CAT" "$ROOT/usr/lib/systemd/catalog/rentark.catalog"
t_check "journalctl --root --update-catalog takes it" \
    journalctl --root="$ROOT" --update-catalog
t_check "... and writes the database" test -s "$ROOT/var/lib/systemd/catalog/database"
LC_ALL=C.UTF-8 journalctl --root="$ROOT" --list-catalog >"$T_TMP/list" 2>&1
awk '{ print $1 }' "$T_TMP/list" | sort >"$T_TMP/listed"
t_check "--list-catalog lists every id of the table, and only those" diff "$T_TMP/ids" "$T_TMP/listed"
t_check "--list-catalog shows the English subjects" grep -q ' rentark: A guest session ended' "$T_TMP/list"
LC_ALL=C.UTF-8 journalctl --root="$ROOT" --dump-catalog $(cat "$T_TMP/ids") >"$T_TMP/dump-en" 2>&1
t_check "--dump-catalog (C.UTF-8) gives all $N_TABLE English entries" \
    test "$(grep -c '^Defined-By: rentark$' "$T_TMP/dump-en")" = "$N_TABLE"

# The bokmål entries through journalctl need the nb_NO locale; when the machine has none, one
# is compiled into the scratch dir (LOCPATH), which is what journalctl's setlocale() reads.
NB_ENV=(LANG=nb_NO.UTF-8 LC_ALL=nb_NO.UTF-8)
if ! locale -a 2>/dev/null | grep -qiE '^nb_NO\.utf-?8$'; then
    if mkdir -p "$T_TMP/locale" && localedef -i nb_NO -f UTF-8 "$T_TMP/locale/nb_NO.UTF-8" >/dev/null 2>&1; then
        NB_ENV+=(LOCPATH="$T_TMP/locale")
    else
        NB_ENV=()
    fi
fi
if [ ${#NB_ENV[@]} -eq 0 ]; then
    t_skip "--dump-catalog in bokmål" "no nb_NO locale and none can be made (localedef, locales' nb_NO source)"
else
    env "${NB_ENV[@]}" journalctl --root="$ROOT" --dump-catalog $(cat "$T_TMP/ids") >"$T_TMP/dump-nb" 2>&1
    subj_en=$(grep -c '^Subject: ' "$T_TMP/dump-en")
    same=$(comm -12 <(grep '^Subject: ' "$T_TMP/dump-en" | sort) <(grep '^Subject: ' "$T_TMP/dump-nb" | sort) | wc -l)
    t_check "--dump-catalog (nb_NO.UTF-8) gives all $N_TABLE entries, every subject in bokmål ($same the same as in English)" \
        test "$(grep -c '^Defined-By: rentark$' "$T_TMP/dump-nb")" = "$N_TABLE" -a "$subj_en" = "$N_TABLE" -a "$same" = 0
    t_check "the bokmål text of the session end" grep -q '^Subject: En gjesteøkt er avsluttet' "$T_TMP/dump-nb"
fi

# What staff are told to do when the seat is blocked, in both entries of it.
journalctl --root="$ROOT" --dump-catalog 49bd3e3d159c4eddb2976b80ec08eebc 3d85bc3a23384f59b9e5a0cdb079bb47 >"$T_TMP/blocked" 2>&1
t_check "the blocked seat's entries name \"rentarkctl incident list\" and the 72 hours" \
    test "$(grep -c 'rentarkctl incident list' "$T_TMP/blocked") $(grep -c '72 hours' "$T_TMP/blocked")" = "2 2"
t_done
