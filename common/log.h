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

/* ---- events: the records staff and monitoring look for ----
 *
 * Each class of event has its own MESSAGE_ID, fixed forever (journalctl MESSAGE_ID=..., and
 * the explanation in config/journal/rentark.catalog, shown by journalctl -x). A record of an
 * event carries MESSAGE_ID=, RENTARK_EVENT=<name>, SESSION_ID= (as every record) and the
 * event's own fields. The PRIVACY RULE above holds for the fields too: numbers, states,
 * reasons and category names only. On stderr an event is the same line as any other record. */
typedef enum {
    RK_EVENT_DAEMON_STARTED,    /* RENTARK_VERSION, RENTARK_SEAT_STATE */
    RK_EVENT_SESSION_STARTED,   /* RENTARK_SEAT_STATE (NOTICE), RENTARK_PREVIOUS_STATE */
    RK_EVENT_SESSION_ACCEPTED,  /* RENTARK_SEAT_STATE (ACTIVE), RENTARK_GUIDED */
    RK_EVENT_SESSION_ENDED,     /* RENTARK_END_REASON, RENTARK_DURATION_MS, RENTARK_GUIDED */
    RK_EVENT_WIPE_VERIFIED,     /* RENTARK_DURATION_MS, RENTARK_HOME_READY_MS, RENTARK_COUNT_* */
    RK_EVENT_WIPE_NOT_VERIFIED, /* RENTARK_WIPE_STEP, RENTARK_WIPE_ERROR, RENTARK_COUNT_LEFT, ... */
    RK_EVENT_SEAT_BLOCKED,      /* RENTARK_SEAT_STATE (BLOCKED), RENTARK_END_REASON */
    RK_EVENT_INCIDENT_OPENED,   /* RENTARK_INCIDENT_ID, RENTARK_DEADLINE, RENTARK_DEADLINE_HOURS, ... */
    RK_EVENT_INCIDENT_CLOSED,   /* RENTARK_INCIDENT_ID, RENTARK_COUNT_OPEN */
    RK_EVENT_SEAT_CLOSED,       /* RENTARK_SEAT_STATE (CLOSED), RENTARK_HOURS_CAUSE, RENTARK_UNTIL */
    RK_EVENT_SEAT_OPENED,       /* RENTARK_SEAT_STATE (READY), RENTARK_HOURS_CAUSE, RENTARK_UNTIL */
    RK_EVENT_LOCK_ON,           /* RENTARK_LOCK_MAX_MS */
    RK_EVENT_LOCK_OFF,          /* RENTARK_DURATION_MS */
    RK_EVENT_LOCK_RAN_OUT,      /* RENTARK_DURATION_MS */
    RK_EVENT_CONFIG_RELOADED,   /* RENTARK_CONFIG_FILE */
    RK_EVENT_SHUTDOWN,          /* RENTARK_SEAT_STATE */
    RK_EVENT_N
} RkEvent;

/* The event's MESSAGE_ID (32 lowercase hex digits) and short name ("session-ended"); static
 * strings, NULL for a value out of range. */
const char *rk_event_message_id(RkEvent event);
const char *rk_event_name(RkEvent event);

/* An event's own fields, on the stack: RkLogFields f = { 0 }; then rk_log_fields_add*().
 * String values are borrowed (they must live until the record is logged); a NULL value is
 * left out; numbers are kept in the struct. At most RK_LOG_MAX_FIELDS fields. */
#define RK_LOG_MAX_FIELDS 12
typedef struct {
    gsize n;
    GLogField fields[RK_LOG_MAX_FIELDS];
    char numbers[RK_LOG_MAX_FIELDS][24];
} RkLogFields;

void rk_log_fields_add(RkLogFields *f, const char *key, const char *value);
void rk_log_fields_add_u64(RkLogFields *f, const char *key, guint64 value);
void rk_log_fields_add_i64(RkLogFields *f, const char *key, gint64 value);

/* Log one event at level (a single G_LOG_LEVEL_*) with the MESSAGE format (printf), the
 * event's MESSAGE_ID and RENTARK_EVENT, and fields (may be NULL). The domain is the caller's
 * G_LOG_DOMAIN. */
void rk_log_event_full(const char *domain, RkEvent event, GLogLevelFlags level, const RkLogFields *fields,
                       const char *format, ...) G_GNUC_PRINTF(5, 6);
#define rk_log_event(event, level, fields, ...) rk_log_event_full(G_LOG_DOMAIN, (event), (level), (fields), __VA_ARGS__)
