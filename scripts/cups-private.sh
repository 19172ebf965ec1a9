#!/bin/sh
# Configures a cupsd.conf so that CUPS keeps nothing of a patron's print job once it is done,
# and shows no job's title to anyone but its owner and root. Used by scripts/install.sh on
# /etc/cups/cupsd.conf (which keeps the original for --uninstall) and by the tests on their
# private cupsd's file.
#
#   scripts/cups-private.sh FILE     edits FILE in place; prints "changed" or "unchanged"
#
# Idempotent: a second run changes nothing. Only these directives are touched; an active
# directive of the same name is replaced where it stands (later duplicates are dropped), a
# missing one is added:
#   PreserveJobHistory No      no history of completed jobs (titles, owners, times)
#   PreserveJobFiles No        no document kept after printing
#   PageLogFormat              (empty) no page log at all: its standard format holds the title
#   LogLevel warn              no per-job lines (titles, file names) in the error log
# and in every <Policy> block (a printer may use any of them):
#   JobPrivateAccess default   only the owner and the system group see private values
#   JobPrivateValues all       every job value is private (the title, the file names, ...)
#   SubscriptionPrivateValues all
# The scheduler reads the file at start: restart it for the change to take effect.
set -eu

f=${1:?usage: cups-private.sh CUPSD.CONF}
[ -f "$f" ] || { echo "cups-private.sh: $f does not exist" >&2; exit 1; }
tmp=$(mktemp "$f.rentark.XXXXXX")
trap 'rm -f "$tmp"' EXIT

awk '
function indent(s) { match(s, /^[ \t]*/); return substr(s, 1, RLENGTH) }
BEGIN {
    nt = split("preservejobhistory|preservejobfiles|pagelogformat|loglevel", tk, "|")
    tv["preservejobhistory"] = "PreserveJobHistory No"; tv["preservejobfiles"] = "PreserveJobFiles No"
    tv["pagelogformat"] = "PageLogFormat"; tv["loglevel"] = "LogLevel warn"
    np = split("jobprivateaccess|jobprivatevalues|subscriptionprivatevalues", pk, "|")
    pv["jobprivateaccess"] = "JobPrivateAccess default"; pv["jobprivatevalues"] = "JobPrivateValues all"
    pv["subscriptionprivatevalues"] = "SubscriptionPrivateValues all"
    depth = 0; inpol = 0
}
/^[ \t]*(#|$)/ { print; next }
{ key = tolower($1) }
/^[ \t]*<\// {
    if (depth == 1 && inpol) {
        for (i = 1; i <= np; i++) if (!(pk[i] in seenp)) print "  " pv[pk[i]]
        inpol = 0
    }
    depth--; print; next
}
/^[ \t]*</ {
    depth++
    if (depth == 1 && key ~ /^<policy/) { inpol = 1; for (k in seenp) delete seenp[k] }
    print; next
}
depth == 0 && (key in tv) { if (!(key in seent)) { print indent($0) tv[key]; seent[key] = 1 }; next }
depth == 1 && inpol && (key in pv) { if (!(key in seenp)) { print indent($0) pv[key]; seenp[key] = 1 }; next }
{ print }
END { for (i = 1; i <= nt; i++) if (!(tk[i] in seent)) print tv[tk[i]] }
' "$f" >"$tmp"

if cmp -s "$f" "$tmp"; then
    echo unchanged
else
    # Same owner and mode as before; the content replaced in place (cat, not mv) keeps the
    # file's identity for a reader that holds it open.
    cat "$tmp" >"$f"
    echo changed
fi
