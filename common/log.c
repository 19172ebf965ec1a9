#include "log.h"

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
