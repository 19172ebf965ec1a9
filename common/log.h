/* Logging for all rentark programs: GLib structured logging, to the journal when stderr is
 * connected to it (running under systemd), to stderr otherwise.
 *
 * PRIVACY RULE (enforced by review and by tests/integration/test-log-privacy.sh): no log line,
 * at any level, may contain a guest's file name, path below the guest's home, URL or file
 * content. Log counts, sizes, durations, categories and session ids only. Paths that belong to
 * the configuration (the home itself, the trash dir, a swept folder) may be logged in quotes. */
#pragma once

#include <glib.h>

/* Install the log writer. progname prefixes stderr lines; debug enables debug messages (as
 * does G_MESSAGES_DEBUG). Call once, early in main(). */
void rk_log_init(const char *progname, gboolean debug);

/* The session id that every later log record carries (SESSION_ID= in the journal,
 * "[session ID]" on stderr); NULL clears it. Main thread only. */
void rk_log_set_session(const char *session_id);
