/* The session client's side of the rentarkd control protocol (common/proto.h), through the
 * shared call (common/call.h): the seat's status, the session's settings, the volunteers, and
 * the patron's request for more time.
 *
 * Every call is one short blocking exchange with a timeout, made from the main loop. A reply
 * of ERR, an unreachable daemon, a timeout or a malformed reply is a GError, which the caller
 * turns into the out-of-order screen (fail closed). Nothing here logs a request, so patron
 * input can never reach a log. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "call.h"

#define CLIENT_TIMEOUT_MS 3000

/* The seat, as `status` reports it. */
typedef struct {
    SeatState state;
    bool guided;
    char *volunteer;
    long time_left; /* seconds, -1 when there is no limit */
    long idle_left;
    long warn;      /* seconds of the warning the daemon asks to show, 0 = none */
    long extends_left; /* times the patron may still extend the session, 0 = none */
    long long closes_at; /* unix time the library closes today, 0 = no closing in sight */
    long long opens_at;  /* unix time it opens again (CLOSED), 0 = unknown */
    long closing_warn;   /* seconds of the closing warning to show, 0 = none */
    long session_time;   /* seconds a session accepted now would get, -1 = no end in sight */
    long long last_wipe; /* unix time, 0 = unknown */
    bool verified;
    bool waiting_input;  /* ACTIVE, but the patron's clock waits for their first input */
    bool locked;         /* the patron's step-away lock is on */
    bool texts_missing;  /* READY, but no session can begin: the notice texts are missing */
    long lock_left;      /* seconds until the lock ends the session, -1 when not locked */
    long lock_tries_left; /* wrong codes the lock still takes before it ends the session */
    char *generation; /* of the daemon's settings: session-config again when it changes */
} ClientStatus;

/* The daemon's settings for the patron's screens, as `session-config` reports them: they
 * hold, not a copy of the configuration file, which the guest may not be able to read. */
typedef struct {
    char *generation;
    long idle_timeout; /* seconds, 0 = off */
    long idle_warning;
    long idle_report_interval;
    bool guided_enabled;
    long extend_by;   /* seconds an extension adds, 0 = patrons cannot extend */
    long max_extends; /* extensions per session */
    bool screen_reader; /* start a screen reader at the notice */
    long step_away_max; /* seconds the step-away lock may last, 0 = no lock offered */
    bool start_on_first_input; /* the patron's time starts at their first input */
    long first_input_wait; /* seconds an accepted notice waits for that input */
    GArray *warnings; /* int seconds before the time limit, possibly empty */
    char **languages; /* codes in order, the first is the default (NULL-terminated) */
    char *notice_dir; /* absolute path, NULL when the daemon could not fit it in its reply */
    char *seat_name;  /* seat.name, NULL when the PC has none (or the daemon sent no valid one) */
} ClientSettings;

/* Free what s holds and zero it (a zeroed struct is empty). */
void client_status_clear(ClientStatus *s);
void client_settings_clear(ClientSettings *s);

/* `status` into ret. FALSE with error when the daemon cannot be reached or answers with an
 * error or a malformed status. */
gboolean client_get_status(const char *socket_path, ClientStatus *ret, GError **error);

/* Whether the display manager's login would be taken now: the seat READY with its notice
 * texts, or NOTICE or ACTIVE (a session the login hook takes up again). */
gboolean client_status_takes_login(const ClientStatus *st);

/* `session-config` into ret. FALSE with error as client_get_status, and when any setting is
 * missing or out of the configuration's bounds. */
gboolean client_get_settings(const char *socket_path, ClientSettings *ret, GError **error);

/* The same settings from `status`, which carries them for anyone: for the seat's screen
 * before the display manager's greeter (--until-ready), whose user is not the guest. */
gboolean client_get_settings_from_status(const char *socket_path, ClientSettings *ret, GError **error);

/* `extend`: the patron asks for session.extend_by more seconds. On success ret holds the
 * status after the extension (the new time_left, extends_left and warn). FALSE with error as
 * client_get_status; an ERR reply (no-limit, denied, exhausted, state) is G_IO_ERROR_FAILED
 * with a message that starts "extend refused: CODE". */
gboolean client_extend(const char *socket_path, ClientStatus *ret, GError **error);

typedef struct {
    char *id;
    char *name;
} ClientVolunteer;

/* `volunteers`: a new array of ClientVolunteer* (bounded to 64), or NULL with error. */
GPtrArray *client_get_volunteers(const char *socket_path, GError **error);
