#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *log_progname;
static char *log_session;
static gboolean log_debug;
static gboolean log_journal;

static const char *level_name(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return "fatal";
    if (level & G_LOG_LEVEL_CRITICAL)
        return "critical";
    if (level & G_LOG_LEVEL_WARNING)
        return "warning";
    if (level & G_LOG_LEVEL_MESSAGE)
        return "notice";
    if (level & G_LOG_LEVEL_INFO)
        return "info";
    return "debug";
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                               gpointer user_data)
{
    (void)user_data;
    const char *domain = NULL, *message = NULL;

    if ((level & G_LOG_LEVEL_DEBUG) && !log_debug)
        return G_LOG_WRITER_HANDLED;

    if (log_journal) {
        /* Add the session id as its own journal field so a fleet can filter on it. */
        GLogField extra[n_fields + 1];
        memcpy(extra, fields, n_fields * sizeof *fields);
        gsize n = n_fields;
        if (log_session)
            extra[n++] = (GLogField){ "SESSION_ID", log_session, -1 };
        if (g_log_writer_journald(level, extra, n, NULL) == G_LOG_WRITER_HANDLED)
            return G_LOG_WRITER_HANDLED;
    }

    for (gsize i = 0; i < n_fields; i++) {
        if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
            domain = fields[i].value;
        else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
    }
    /* One write per record so that lines of concurrent writers do not interleave. */
    g_autofree char *line = g_strdup_printf("%s: %s%s%s%s%s%s: %s\n", log_progname ? log_progname : "rentark",
                                            domain ? domain : "", domain ? ": " : "",
                                            log_session ? "[session " : "", log_session ? log_session : "",
                                            log_session ? "] " : "", level_name(level),
                                            message ? message : "");
    if (write(STDERR_FILENO, line, strlen(line)) < 0)
        return G_LOG_WRITER_UNHANDLED;
    return G_LOG_WRITER_HANDLED;
}

void rk_log_init(const char *progname, gboolean debug)
{
    const char *env = g_getenv("G_MESSAGES_DEBUG");

    g_free(log_progname);
    log_progname = g_strdup(progname);
    log_debug = debug || (env && *env);
    log_journal = g_log_writer_is_journald(STDERR_FILENO);
    g_log_set_writer_func(writer, NULL, NULL);
}

void rk_log_set_session(const char *session_id)
{
    g_free(log_session);
    log_session = g_strdup(session_id);
}

/* ---- events ---- */

/* The MESSAGE_IDs: made once with systemd-id128 new and never changed, since journal queries,
 * alerts and the catalogue (config/journal/rentark.catalog, checked against this table by
 * tests/integration/test-log-catalog.sh) name them. A new event gets a new id. */
static const struct {
    const char *name;
    const char *id;
} events[RK_EVENT_N] = {
    [RK_EVENT_DAEMON_STARTED] = { "daemon-started", "543b4a1a61dc474684ea5b0428ac6d03" },
    [RK_EVENT_SESSION_STARTED] = { "session-started", "d7db8fcb6a084fd88dd9fed5304c08d6" },
    [RK_EVENT_SESSION_ACCEPTED] = { "session-accepted", "4e12f0bba67849cb8a5b2da08b29d121" },
    [RK_EVENT_SESSION_ENDED] = { "session-ended", "87cd534d56e640219cb5fc68a8d5f150" },
    [RK_EVENT_WIPE_VERIFIED] = { "wipe-verified", "53e5d9dad6964a3ea0ba725b09ab5b66" },
    [RK_EVENT_WIPE_NOT_VERIFIED] = { "wipe-not-verified", "3d85bc3a23384f59b9e5a0cdb079bb47" },
    [RK_EVENT_SEAT_BLOCKED] = { "seat-blocked", "49bd3e3d159c4eddb2976b80ec08eebc" },
    [RK_EVENT_INCIDENT_OPENED] = { "incident-opened", "56f754cece394a70bba68f88c9874de5" },
    [RK_EVENT_INCIDENT_CLOSED] = { "incident-closed", "6ddbda05bf0f487f8bf4975f9a4e41f0" },
    [RK_EVENT_SEAT_CLOSED] = { "seat-closed", "cb842d390df64cd3b4576091037c8f34" },
    [RK_EVENT_SEAT_OPENED] = { "seat-opened", "836c8a6cc7b0451c978cd39336eb2654" },
    [RK_EVENT_LOCK_ON] = { "lock-on", "81e82e058ded4fa99d68a74381d3d01e" },
    [RK_EVENT_LOCK_OFF] = { "lock-off", "356e33e4f5264e4fba59afb9f5213d1d" },
    [RK_EVENT_LOCK_RAN_OUT] = { "lock-ran-out", "5155af97358e4a8a8db9bdd8e5a8681a" },
    [RK_EVENT_CONFIG_RELOADED] = { "config-reloaded", "7fec84c539564259abe727206b97698d" },
    [RK_EVENT_SHUTDOWN] = { "shutdown", "9758332fb8d04df3beafba5d76bfc177" },
};

const char *rk_event_message_id(RkEvent event)
{
    return (unsigned)event < RK_EVENT_N ? events[event].id : NULL;
}

const char *rk_event_name(RkEvent event)
{
    return (unsigned)event < RK_EVENT_N ? events[event].name : NULL;
}

void rk_log_fields_add(RkLogFields *f, const char *key, const char *value)
{
    g_return_if_fail(f->n < RK_LOG_MAX_FIELDS);
    if (!value)
        return;
    f->fields[f->n++] = (GLogField){ key, value, -1 };
}

void rk_log_fields_add_u64(RkLogFields *f, const char *key, guint64 value)
{
    g_return_if_fail(f->n < RK_LOG_MAX_FIELDS);
    snprintf(f->numbers[f->n], sizeof f->numbers[f->n], "%" G_GUINT64_FORMAT, value);
    rk_log_fields_add(f, key, f->numbers[f->n]);
}

void rk_log_fields_add_i64(RkLogFields *f, const char *key, gint64 value)
{
    g_return_if_fail(f->n < RK_LOG_MAX_FIELDS);
    snprintf(f->numbers[f->n], sizeof f->numbers[f->n], "%" G_GINT64_FORMAT, value);
    rk_log_fields_add(f, key, f->numbers[f->n]);
}

/* syslog(3) priorities, as GLib gives them for its own records. */
static const char *level_priority(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return "3";
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        return "4";
    if (level & G_LOG_LEVEL_MESSAGE)
        return "5";
    if (level & G_LOG_LEVEL_INFO)
        return "6";
    return "7";
}

void rk_log_event_full(const char *domain, RkEvent event, GLogLevelFlags level, const RkLogFields *fields,
                       const char *format, ...)
{
    g_return_if_fail((unsigned)event < RK_EVENT_N);
    va_list ap;
    va_start(ap, format);
    g_autofree char *message = g_strdup_vprintf(format, ap);
    va_end(ap);

    /* The writer adds SESSION_ID, as to every record. */
    GLogField all[5 + RK_LOG_MAX_FIELDS];
    gsize n = 0;
    all[n++] = (GLogField){ "MESSAGE", message, -1 };
    all[n++] = (GLogField){ "PRIORITY", level_priority(level), -1 };
    all[n++] = (GLogField){ "MESSAGE_ID", events[event].id, -1 };
    all[n++] = (GLogField){ "RENTARK_EVENT", events[event].name, -1 };
    if (domain)
        all[n++] = (GLogField){ "GLIB_DOMAIN", domain, -1 };
    for (gsize i = 0; fields && i < fields->n; i++)
        all[n++] = fields->fields[i];
    g_log_structured_array(level, all, n);
}
