#!/bin/sh
# Configures a cupsd.conf so that CUPS keeps nothing of a patron's print job once it is done,
# and shows no job's title to anyone but its owner and root. Used by scripts/install.sh on
# /etc/cups/cupsd.conf (which keeps the original for --uninstall) and by the tests on their
# private cupsd's file.
#
#   scripts/cups-private.sh FILE              edits a cupsd.conf in place
#   scripts/cups-private.sh --cups-pdf FILE   edits a cups-pdf.conf in place
# Both print "changed" or "unchanged".
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
# and, in every <Policy>, authentication for submitting a job and for every operation on one:
#   each <Limit> but <Limit All> gets "AuthType Default" (where it has none, or None) and,
#   where it has no Require, "Require valid-user" (if it names a submission operation) or
#   "Require user @OWNER @SYSTEM"; "Satisfy any" becomes "Satisfy all"; the submission and job
#   operations that no <Limit> of the policy names get such a <Limit> of their own.
# Why: unauthenticated, CUPS takes a job's owner from the request's requesting-user-name, so
# a guest's `lp -U someone-else` makes a job the wipe does not find as the guest's. A local
# client on the domain socket is authenticated by its peer credentials (cupsd's PeerCred,
# which libcups uses by itself, no password): the owner is then the name of the client's uid,
# whatever the request says, and a claimed other name is refused. Over TCP, authentication
# needs a password, which the guest does not have: printing there is refused.
# The scheduler reads the file at start: restart it for the change to take effect.
#
# --cups-pdf: an empty "Log" (CUPS-PDF writes no log of its own: its log holds the titles, the
# output file names built from them and the owner; with the PPD CUPS-PDF ships, whose default
# LogType is 7, every step in debug detail). "LogType 0" would not do: CUPS-PDF takes LogType
# from the queue's PPD before the configuration file; Log is read from the file only. CUPS-PDF
# reads its file at every job.
set -eu

mode=cupsd
if [ "${1:-}" = --cups-pdf ]; then mode=cups-pdf; shift; fi
f=${1:?usage: cups-private.sh [--cups-pdf] FILE}
[ -f "$f" ] || { echo "cups-private.sh: $f does not exist" >&2; exit 1; }
tmp=$(mktemp "$f.rentark.XXXXXX")
trap 'rm -f "$tmp"' EXIT

if [ $mode = cups-pdf ]; then
    # An active "Log" line is replaced where it stands (later ones are dropped), or one is
    # added; CUPS-PDF reads "Log" with nothing after it as an empty value (no log at all).
    awk '
    /^[ \t]*(#|$)/ { print; next }
    tolower($1) == "log" { if (!seen) print "Log"; seen = 1; next }
    { print }
    END { if (!seen) print "Log" }
    ' "$f" >"$tmp"
else
awk '
function indent(s) { match(s, /^[ \t]*/); return substr(s, 1, RLENGTH) }
BEGIN {
    nt = split("preservejobhistory|preservejobfiles|pagelogformat|loglevel", tk, "|")
    tv["preservejobhistory"] = "PreserveJobHistory No"; tv["preservejobfiles"] = "PreserveJobFiles No"
    tv["pagelogformat"] = "PageLogFormat"; tv["loglevel"] = "LogLevel warn"
    np = split("jobprivateaccess|jobprivatevalues|subscriptionprivatevalues", pk, "|")
    pv["jobprivateaccess"] = "JobPrivateAccess default"; pv["jobprivatevalues"] = "JobPrivateValues all"
    pv["subscriptionprivatevalues"] = "SubscriptionPrivateValues all"
    # Submitting a job, and every operation on one (all names as cupsd knows them).
    ns = split("Create-Job Print-Job Print-URI Validate-Job", subops, " ")
    nj = split("Send-Document Send-URI Hold-Job Release-Job Restart-Job Set-Job-Attributes Cancel-Job " \
               "Cancel-My-Jobs Close-Job Resume-Job Reprocess-Job CUPS-Move-Job CUPS-Get-Document " \
               "CUPS-Authenticate-Job", jobops, " ")
    for (i = 1; i <= ns; i++) submit[tolower(subops[i])] = 1
    depth = 0; inpol = 0; inlim = 0
}
# missing_limit(ops, n, req): a <Limit> for those of ops[1..n] no <Limit> of the policy named.
function missing_limit(ops, n, req,    i, l) {
    l = ""
    for (i = 1; i <= n; i++) if (!(tolower(ops[i]) in named)) l = l " " ops[i]
    if (l != "")
        printf "  <Limit%s>\n    AuthType Default\n    Require %s\n    Order deny,allow\n  </Limit>\n", l, req
}
/^[ \t]*(#|$)/ { print; next }
{ key = tolower($1) }
/^[ \t]*<\// {
    if (depth == 1 && inpol) {
        for (i = 1; i <= np; i++) if (!(pk[i] in seenp)) print "  " pv[pk[i]]
        missing_limit(subops, ns, "valid-user")
        missing_limit(jobops, nj, "user @OWNER @SYSTEM")
        inpol = 0
    }
    if (depth == 2 && inlim) {
        if (!hasauth) print indent($0) "  AuthType Default"
        if (!hasreq) print indent($0) "  Require " (hassub ? "valid-user" : "user @OWNER @SYSTEM")
        inlim = 0
    }
    depth--; print; next
}
/^[ \t]*</ {
    depth++
    if (depth == 1 && key ~ /^<policy/) { inpol = 1; for (k in seenp) delete seenp[k]; for (k in named) delete named[k] }
    if (depth == 2 && inpol && key ~ /^<limit/) {
        # The operations it names ("<Limit A B>"); <Limit All> is left as it is.
        line = $0; sub(/^[ \t]*<[A-Za-z]+[ \t]*/, "", line); sub(/[ \t]*>.*$/, "", line)
        n = split(tolower(line), ops, /[ \t]+/)
        inlim = !(key == "<limit" && n == 1 && ops[1] == "all"); hasauth = 0; hasreq = 0; hassub = 0
        if (key == "<limitexcept") {
            # Every operation but the ones it names.
            for (k in except) delete except[k]
            for (i = 1; i <= n; i++) except[ops[i]] = 1
            for (i = 1; i <= ns; i++) if (!(tolower(subops[i]) in except)) { named[tolower(subops[i])] = 1; hassub = 1 }
            for (i = 1; i <= nj; i++) if (!(tolower(jobops[i]) in except)) named[tolower(jobops[i])] = 1
        } else if (inlim) {
            for (i = 1; i <= n; i++) { named[ops[i]] = 1; if (ops[i] in submit) hassub = 1 }
        }
    }
    print; next
}
depth == 2 && inlim && key == "authtype" { hasauth = 1; if (tolower($2) == "none") { print indent($0) "AuthType Default"; next } }
depth == 2 && inlim && key == "require" { hasreq = 1 }
depth == 2 && inlim && key == "satisfy" { print indent($0) "Satisfy all"; next }
depth == 0 && (key in tv) { if (!(key in seent)) { print indent($0) tv[key]; seent[key] = 1 }; next }
depth == 1 && inpol && (key in pv) { if (!(key in seenp)) { print indent($0) pv[key]; seenp[key] = 1 }; next }
{ print }
END { for (i = 1; i <= nt; i++) if (!(tk[i] in seent)) print tv[tk[i]] }
' "$f" >"$tmp"
fi

if cmp -s "$f" "$tmp"; then
    echo unchanged
else
    # Same owner and mode as before; the content replaced in place (cat, not mv) keeps the
    # file's identity for a reader that holds it open.
    cat "$tmp" >"$f"
    echo changed
fi
