#!/usr/bin/env bash
# The shipped patron texts:
#   - every language in po/LINGUAS has notice.txt and guided.txt, and a line in TRANSLATORS;
#   - the catalogues are complete for the strings of the program as it is (xgettext now, then
#     msgmerge: no string untranslated or fuzzy), msgfmt --check passes, every {placeholder}
#     of an English string is kept in its translation, and each header names its translator
#     and says whether a native reader has reviewed it;
#   - the catalogues are built and installed where the client looks (one .mo per language).
. "$(dirname "$0")/../lib.sh"
for t in xgettext msgmerge msgfmt msgattrib; do
    command -v $t >/dev/null || { t_skip "all tests in $(basename "$0")" "$t is not installed (gettext)"; t_done; exit 0; }
done
read -r -a langs <"$RK_SRC/po/LINGUAS"
t_check "po/LINGUAS names the eight languages besides English (${langs[*]})" test "${#langs[@]}" -ge 7
xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=count_in_words:1,2 -o "$T_TMP/rentark.pot" "$RK_SRC"/session/*.c
n=$(grep -c '^msgid "' "$T_TMP/rentark.pot")
t_check "xgettext finds the program's strings ($((n - 1)))" test "$n" -gt 40
# placeholders PO id|str: "MSGID<tab>{name}" for each placeholder of the English strings (id)
# or of their translations (str); a placeholder of the English missing from every plural form
# of its translation shows up in "id" only.
placeholders() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys
entries, cur, field = [], None, None
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
    if m:
        if m.group(1) == "msgid":
            cur = {}
            entries.append(cur)
        field = m.group(1)
        cur[field] = m.group(2)
    elif line.startswith('"') and cur is not None and field:
        cur[field] += line[1:-1]
    else:
        field = None
out = set()
for e in entries:
    if not e.get("msgid"):
        continue
    keys = [k for k in e if (k.startswith("msgid") if sys.argv[2] == "id" else k.startswith("msgstr"))]
    for k in keys:
        for p in re.findall(r"\{[a-z]+\}", e[k]):
            out.add(e["msgid"] + "\t" + p)
for line in sorted(out):
    print(line)
PY
}
for l in en "${langs[@]}"; do
    d=$RK_SRC/config/notice/$l
    t_check "$l: notice.txt and guided.txt are there" test -s "$d/notice.txt" -a -s "$d/guided.txt"
    t_check "$l: TRANSLATORS says who translated it and its review status" \
        grep -qE "^$l .*(source|review)" "$RK_SRC/config/notice/TRANSLATORS"
    # Complete: a title and as many points as the English text, in both files.
    for f in notice guided; do
        want=$(grep -c '^• ' "$RK_SRC/config/notice/en/$f.txt")
        got=$(grep -c '^• ' "$d/$f.txt")
        t_check "$l: $f.txt has a title and every point of the English one ($got of $want)" \
            test "$got" = "$want" -a -n "$(head -1 "$d/$f.txt" | tr -d '[:space:]')"
    done
    [ "$l" = en ] && continue
    po=$RK_SRC/po/$l.po
    t_check "$l: msgfmt --check passes" msgfmt --check -o /dev/null "$po"
    msgmerge --quiet -o "$T_TMP/$l.po" "$po" "$T_TMP/rentark.pot" 2>/dev/null
    untrans=$(msgattrib --untranslated --no-obsolete "$T_TMP/$l.po" | grep -c '^msgid "..*"')
    fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$T_TMP/$l.po" | grep -c '^msgid "..*"')
    t_check "$l: every string of the program is translated (untranslated $untrans, fuzzy $fuzzy)" test "$untrans" -eq 0 -a "$fuzzy" -eq 0
    missing=$(comm -23 <(placeholders "$T_TMP/$l.po" id) <(placeholders "$T_TMP/$l.po" str) | cut -f2 | sort -u | tr '\n' ' ')
    t_check "$l: every placeholder is kept (missing: ${missing:-none})" test -z "$missing"
    t_check "$l: the header names the translator" grep -qE '^"Last-Translator: [^\\]+' "$po"
    t_check "$l: the header says whether a native reader has reviewed it" grep -qiE '^# (NEEDS REVIEW|Reviewed)' "$po"
    t_check "$l: the catalogue is built for the client ($RK_BUILD/locale/$l)" test -s "$RK_BUILD/locale/$l/LC_MESSAGES/rentark.mo"
done
t_done
