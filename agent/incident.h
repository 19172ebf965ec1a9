/* Incidents: the breach register (GDPR Art. 33(5)). A wipe that could not be verified means the
 * next patron might see the last one's data — a possible personal-data breach, to be reported
 * to the Data Protection Authority within a deadline (72 hours by default). A record holds what
 * Art. 33(3) asks for, as facts the daemon knows, never a name or a content:
 *   (a) the nature: the wipe step that failed, the classes of objects left with their counts;
 *   (b) the patrons concerned: the sessions since the last verified wipe (and whether a
 *       volunteer helper was present);
 *   (c) the likely consequences: rentarkctl writes them from (a), (b) and (d);
 *   (d) the measures: detected and seat blocked at `opened`, the wipe retried `retries` times,
 *       verified at `verified`, and the staff's notes (who, when, what) with the closing.
 * Records are files in STATE_DIR/incidents/, written atomically; they are never deleted, and a
 * note once written is never changed. Never logs. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define INCIDENT_MAX_NOTES 8
#define INCIDENT_NOTE_MAX 300 /* bytes of UTF-8 */

typedef struct {
    int64_t at;      /* unix time */
    char by[33];     /* the staff member's user name (or "uid N") */
    char text[INCIDENT_NOTE_MAX + 1];
} IncidentNote;

typedef struct {
    char id[17];        /* 16 hex digits */
    int64_t opened;     /* unix time: detected, and the seat blocked */
    int64_t deadline;   /* unix time by which a breach must be reported */
    int64_t resolved;   /* unix time the staff closed it, 0 while open */
    char session[33];   /* session id, "" if unknown */
    char what[512];     /* one line: the step and the counts per category; no names */
    /* Art. 33(3); empty or 0 in records of releases before the register. */
    char step[32];      /* the wipe step that failed */
    char classes[256];  /* "home=3,tmp=1": classes of objects left, with counts */
    uint64_t objects;   /* objects left, in all */
    uint64_t patrons;   /* sessions since the last verified wipe */
    bool guided;        /* a volunteer helper was present in the session */
    uint64_t retries;   /* wipes retried since */
    int64_t verified;   /* unix time a retry verified the wipe, 0 not yet */
    unsigned n_notes;
    IncidentNote notes[INCIDENT_MAX_NOTES];
} Incident;

/* Open a new incident from draft (session, what, step, classes, objects, patrons, guided; the
 * rest is ignored) and write its record. Returns 0 or -errno; *ret filled on success. */
int incident_open(const char *state_dir, const Incident *draft, int deadline_hours, Incident *ret);

/* The incidents, oldest first (Incident*, owned by the array): only the open ones, or all. A
 * record that cannot be read counts as an open incident with what = "unreadable record" (it
 * may hide a breach). */
GPtrArray *incident_list(const char *state_dir, bool include_closed);
GPtrArray *incident_list_open(const char *state_dir);

/* One incident. 0, -EINVAL (not an id), -ENOENT, -EBADMSG (unreadable record). */
int incident_get(const char *state_dir, const char *id, Incident *ret);

/* Close an open incident with a note by a staff member (by: their user name). -EINVAL: not an
 * id, or a note that is empty, longer than INCIDENT_NOTE_MAX, not UTF-8 or with a control
 * character; -ENOENT: no such open incident; -ENOSPC: no room for another note. */
int incident_close(const char *state_dir, const char *id, const char *by, const char *note);
/* Close with the note "closed with rentarkctl resolve (no note given)". */
int incident_resolve(const char *state_dir, const char *id);

/* A retried wipe of session's open incidents: counted, and the time of the first verified one
 * kept (measures taken, Art. 33(3)(d)). Returns how many records were updated, or -errno. */
int incident_note_retry(const char *state_dir, const char *session, bool verified);

/* Whether note is one incident_close takes. */
bool incident_note_valid(const char *note);

/* Run the configured command (sh -c) without waiting, with RENTARK_INCIDENT_ID,
 * RENTARK_SESSION_ID, RENTARK_DEADLINE (ISO 8601 UTC) and RENTARK_WHAT in its environment.
 * Returns FALSE with error when it could not be started. */
gboolean incident_run_command(const char *command, const Incident *inc, GError **error);
