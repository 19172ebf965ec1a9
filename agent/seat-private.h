/* The seat's inside, shared by seat.c (the state machine), seat-wipe.c (the wipes and their
 * results) and seat-lock.c (the patron's clock and step-away lock). Nothing else includes this. */
#pragma once

#include "opening.h"
#include "seat.h"
#include "steplock.h"
#include "watch.h"

struct Seat {
    RkConfig *cfg;
    SeatRecord rec;
    uid_t uid;
    gid_t gid;
    bool private_gid;    /* the guest's primary group is its own: the wipe removes the gid's objects too */

    guint time_limit_id; /* fires at the end of the time limit (ACTIVE) */
    guint idle_id;       /* fires when the idle timeout is reached (NOTICE, ACTIVE) */
    guint retry_id;      /* retries an unverified wipe (BLOCKED) */
    gint64 limit_deadline; /* monotonic us, 0 = none */
    int extends_used;      /* seat_extend calls taken in the running session */
    gint64 idle_deadline;  /* monotonic us, 0 = none */
    gint64 client_report;  /* monotonic us of the session client's last idle report, 0 = none */
    gint64 client_seen;    /* monotonic us of the guest's last call of any verb, 0 = none */
    /* The patron's clock (session.start_on_first_input): accepted, no input seen yet. */
    gboolean awaiting_input;
    gint64 accepted_mono;  /* monotonic us of the accept */
    guint first_input_id;  /* shows the notice again after session.first_input_wait */
    /* The step-away lock (seat-lock.c); NULL when the screen is not locked. */
    StepLock *lock;
    guint lock_id;         /* ends the session at lock_deadline */
    guint lock_watch_id;   /* ends it when the session client falls silent while locked */
    gint64 lock_deadline;  /* monotonic us */
    gint64 locked_at;      /* monotonic us */
    gboolean consented;    /* guided: the patron agreed the helper may look */
    gboolean wiping;       /* a wipe thread runs */
    gboolean trash_running; /* the background deletion of old homes runs */
    gboolean trash_again;   /* ... and must run once more when it is done */
    guint trash_retry_id;   /* retries a failed background deletion */
    gboolean clean;        /* the last wipe was verified */
    gboolean incident_this_session; /* an incident was opened for the current session's wipe */
    unsigned sessions_unverified;   /* sessions ended since the last verified wipe (this run) */
    Watch *watch;          /* watched folders of the running session */
    gboolean shutting_down;
    gboolean started;      /* seat_start ran: the state is the journal's, the hours may act */
    Opening *opening;      /* the opening hours, today's staff override, their timer */

    Stats *stats;
    SeatStatsFn stats_saved; /* see seat_set_stats */
    gpointer stats_saved_data;
    GArray *observers; /* SeatObserver, see seat_add_observer */
    guint next_observer_id;
    GSourceFunc shutdown_done;
    gpointer shutdown_data;
    guint shutdown_timeout_id;
};

typedef struct {
    guint id;
    SeatChangedFn fn;
    gpointer data;
} SeatObserver;


/* seat.c */
gboolean seat_transition(Seat *seat, SeatState new_state, GError **error);
void seat_arm_idle(Seat *seat, int idle_seconds);
void seat_arm_time_limit(Seat *seat, gint64 deadline);
/* Clean: READY, or CLOSED outside the opening hours; FALSE when the journal cannot say so. */
gboolean seat_settle(Seat *seat, GError **error);
/* Stop the time limit and the idle timeout, and end the lock and the clock's waiting. */
void seat_clear_timers(Seat *seat);
/* Write the statistics (and the metrics) now. */
void seat_save_stats(Seat *seat);

/* seat-wipe.c */
/* Wipe now, on a worker thread (nothing when a wipe runs); WIPING, or BLOCKED while retried. */
void seat_start_wipe(Seat *seat);
/* Delete the old homes in the root-only trash in the background, one deletion at a time. */
void seat_start_trash_deletion(Seat *seat);
/* The incident records not resolved yet (the store in the state directory). */
guint seat_open_incidents(const Seat *seat);
/* Call the shutdown's done function when the wipe and the trash deletion have ended (force:
 * now; the next start completes them). */
void seat_finish_shutdown(Seat *seat, gboolean force);

/* seat-lock.c */
/* The time limit starts now, or at the accept, as the configuration says (at the accept). */
void seat_clock_accepted(Seat *seat);
/* An idle report (of the client or logind) after an accept: input since? Then the clock starts. */
void seat_clock_idle_report(Seat *seat, int idle_seconds);
/* The lock and the clock's waiting end with the session. */
void seat_lock_clear(Seat *seat);
