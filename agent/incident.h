/* Incidents: a wipe that could not be verified means the next patron might see the last one's
 * data — a possible personal-data breach, to be reported to the Data Protection Authority
 * within a deadline (72 hours by default). An incident record says when, which session, what
 * failed by category and count (never a name), and the deadline; it stays open until an admin
 * resolves it. Records are files in STATE_DIR/incidents/, written atomically. Never logs. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char id[17];        /* 16 hex digits */
    int64_t opened;     /* unix time */
    int64_t deadline;   /* unix time by which a breach must be reported */
    int64_t resolved;   /* unix time, 0 while open */
    char session[33];   /* session id, "" if unknown */
    char what[512];     /* what failed: step and counts per category; no names */
} Incident;

/* Open a new incident and write its record. Returns 0 or -errno; *ret filled on success. */
int incident_open(const char *state_dir, const char *session, const char *what, int deadline_hours, Incident *ret);

/* The open incidents, oldest first (Incident*, owned by the array). A record that cannot be
 * read counts as an open incident with what = "unreadable record" (it may hide a breach). */
GPtrArray *incident_list_open(const char *state_dir);

/* Mark an incident resolved. -ENOENT: no such open incident; -EINVAL: not an incident id. */
int incident_resolve(const char *state_dir, const char *id);

/* Run the configured command (sh -c) without waiting, with RENTARK_INCIDENT_ID,
 * RENTARK_SESSION_ID, RENTARK_DEADLINE (ISO 8601 UTC) and RENTARK_WHAT in its environment.
 * Returns FALSE with error when it could not be started. */
gboolean incident_run_command(const char *command, const Incident *inc, GError **error);
