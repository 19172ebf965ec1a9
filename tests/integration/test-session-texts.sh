#!/usr/bin/env bash
# The shipped notice texts: every language has notice.txt, guided.txt and a ui.txt that sets
# every UI key the program knows (no screen falls back to English by accident), keeps each
# {placeholder} of the English text, and sets no key the program does not know (a typo).
. "$(dirname "$0")/../lib.sh"
[ -x "$RKSESSION" ] || { t_skip "all tests in $(basename "$0")" "$RKSESSION is not built"; t_done; exit 0; }
keys=$("$RKSESSION" --list-ui-keys | sort)
t_check "the program lists its UI keys" test "$(wc -l <<<"$keys")" -gt 30
en=$RK_SRC/config/notice/en/ui.txt
# placeholders FILE: one "key {name}" line per placeholder use, sorted.
placeholders() {
    awk '!/^[ \t]*(#|$)/ && index($0, "=") {
        k = substr($0, 1, index($0, "=") - 1); gsub(/[ \t]/, "", k); v = substr($0, index($0, "=") + 1)
        while (match(v, /\{[a-z]+\}/)) { print k, substr(v, RSTART, RLENGTH); v = substr(v, RSTART + RLENGTH) }
    }' "$1" | LC_ALL=C sort
}
for d in "$RK_SRC"/config/notice/*/; do
    l=$(basename "$d")
    t_check "$l: notice.txt and guided.txt are there" test -s "$d/notice.txt" -a -s "$d/guided.txt"
    have=$(grep -vE '^\s*(#|$)' "$d/ui.txt" | sed 's/\s*=.*//' | sort)
    missing=$(comm -23 <(echo "$keys") <(echo "$have") | tr '\n' ' ')
    unknown=$(comm -13 <(echo "$keys") <(echo "$have") | tr '\n' ' ')
    t_check "$l: ui.txt sets every key (missing: ${missing:-none})" test -z "$missing"
    t_check "$l: ui.txt sets no unknown key (unknown: ${unknown:-none})" test -z "$unknown"
    bad=$(comm -3 <(placeholders "$en") <(placeholders "$d/ui.txt") | awk '{ print $1 }' | sort -u | tr '\n' ' ')
    t_check "$l: every placeholder is kept (differ: ${bad:-none})" test -z "$bad"
done
t_done
