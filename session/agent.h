/* The session client's side of the rentarkd control protocol (common/proto.h).
 *
 * Every call is one short blocking exchange with a timeout, made from the main loop. A reply
 * of ERR is a normal answer (returned, ok == false); an unreachable daemon, a timeout or a
 * malformed line is a GError, which the caller turns into the out-of-order screen (fail
 * closed). Nothing here logs a request, so patron input can never reach a log. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "proto.h"

#define AGENT_TIMEOUT_MS 3000

typedef struct {
    char *state; /* READY NOTICE ACTIVE ENDING WIPING BLOCKED */
    bool guided;
    char *volunteer;
    long time_left; /* seconds, -1 when there is no limit or it was not given */
    long idle_left;
    /* The daemon's session limits (seconds, -1 when not given): they hold, not the client's
     * own copy of the configuration, which the guest may not be able to read. */
    long idle_timeout;
    long idle_warning;
    long idle_report_interval;
    long warn;      /* seconds of the warning the daemon asks to show, 0 = none */
    long long last_wipe; /* unix time, 0 = unknown */
    bool verified;
    char *lang;
    /* The daemon's configuration that the client needs and, as the guest, may not be able to
     * read itself; each is "not given" (an older daemon) when absent or malformed, and the
     * client then keeps its own value. */
    int guided_enabled;  /* 0 or 1, -1 when not given */
    GArray *warnings;    /* int seconds before the time limit (empty: none), NULL when not given */
    char **languages;    /* codes in order, first = default (NULL-terminated), NULL when not given */
    char *notice_dir;    /* absolute path, NULL when not given */
} AgentStatus;

/* An AgentStatus before the first reply: every value "not given". */
#define AGENT_STATUS_INIT \
    { .time_left = -1, .idle_left = -1, .idle_timeout = -1, .idle_warning = -1, \
      .idle_report_interval = -1, .guided_enabled = -1 }

/* Free what s holds and set it to AGENT_STATUS_INIT. */
void agent_status_clear(AgentStatus *s);

/* Send VERB with args (NULL-terminated; each is escaped). Returns the parsed reply. */
RkParsedReply *agent_call(const char *socket_path, GError **error, const char *verb, ...) G_GNUC_NULL_TERMINATED;

/* `status`, parsed into ret. FALSE with error when the daemon cannot be reached or answers
 * with an error. */
gboolean agent_get_status(const char *socket_path, AgentStatus *ret, GError **error);

typedef struct {
    char *id;
    char *name;
} AgentVolunteer;

/* `volunteers`: a new array of AgentVolunteer* (bounded to 64), or NULL with error. */
GPtrArray *agent_get_volunteers(const char *socket_path, GError **error);

/* `guided ID PIN`. The PIN is copied only into a stack buffer that is wiped before return;
 * the caller wipes its own copy. Returns the reply (ok: name=...) or NULL with error. */
RkParsedReply *agent_guided(const char *socket_path, const char *id, const char *pin, GError **error);
