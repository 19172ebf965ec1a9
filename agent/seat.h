/* The seat: one guest session at a time, READY -> NOTICE -> ACTIVE -> ENDING -> WIPING -> READY,
 * and CLOSED in place of READY outside the opening hours.
 *
 * Every transition is committed to the journal before it takes effect; if the commit fails,
 * the transition does not happen (and a session end still wipes, since a wipe never hurts).
 * The wipe runs in a worker thread so that the main loop keeps answering; while it runs,
 * and until it is verified, no session can begin. Main thread only (GLib main context). */
#pragma once

#include "config.h"
#include "journal.h"
#include "wipe.h"
#include "proto.h"
#include "stats.h"

#include <glib.h>

typedef struct Seat Seat;

/* Called after every state change (for tests, logging of transitions, notifications). */
typedef void (*SeatChangedFn)(Seat *seat, SeatState old_state, SeatState new_state, gpointer data);

/* Create the seat for cfg (borrowed; see seat_set_config). Reads the journal; does not act yet. */
Seat *seat_new(const RkConfig *cfg, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void seat_free(Seat *seat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Seat, seat_free)

/* Start: recover (wipe first when the journal is not a clean READY, or wipe.at_boot). */
void seat_start(Seat *seat);

/* Use a new configuration (SIGHUP). Takes effect for the next session's time limit; the
 * running session's limit stays, though the next seat_extend follows the new extend_by and
 * max_extends. */
void seat_set_config(Seat *seat, const RkConfig *cfg);

/* State-change callbacks for modules that follow the seat (logind, systemd's status), called
 * in the order added. Returns an id (> 0) for seat_remove_observer; remove it before
 * seat_free or before data goes away. */
guint seat_add_observer(Seat *seat, SeatChangedFn fn, gpointer data);
void seat_remove_observer(Seat *seat, guint id);

/* Called after the statistics were changed and saved (a wipe, an incident resolved), so that
 * the textfile (metrics.h) follows at once. */
typedef void (*SeatStatsFn)(Seat *seat, gpointer data);

/* Record sessions and wipes in stats (borrowed), save them after every wipe, then call saved
 * (may be NULL) with data. */
void seat_set_stats(Seat *seat, Stats *stats, SeatStatsFn saved, gpointer data);

SeatState seat_state(const Seat *seat);
uid_t seat_guest_uid(const Seat *seat);

/* The wipe target of this seat's guest, as the seat's own wipes use it (wipe_target_clear). */
void seat_wipe_target(const Seat *seat, WipeTarget *t);
/* The running session's id, "" when there is none. */
const char *seat_session_id(const Seat *seat);

/* Events. Each returns FALSE with an error (RK_SEAT_ERROR_STATE) when the seat's state does not
 * allow it; repeated or late events of the same kind are accepted as no-ops where harmless. */
gboolean seat_session_begin(Seat *seat, GError **error);
gboolean seat_accept(Seat *seat, GError **error);
gboolean seat_end(Seat *seat, EndReason reason, GError **error);
/* The session client's idle report: re-arms the idle timeout (NOTICE, ACTIVE). */
void seat_idle_report(Seat *seat, int idle_seconds);
/* The same from a fallback source (logind's IdleHint): ignored while the session client
 * reported within the last 2 * session.idle_report_interval seconds, so the client stays
 * authoritative. It does not count as a client report. */
void seat_idle_report_fallback(Seat *seat, int idle_seconds);
/* The patron asks for more time (WCAG 2.2.1): the running session's time limit moves
 * session.extend_by seconds later, but never past the library's closing, at most
 * session.max_extends times per session (both read from the configuration in force at the
 * call). FALSE with RK_SEAT_ERROR_STATE when no session is ACTIVE, RK_SEAT_ERROR_NO_LIMIT when
 * it has no time limit, RK_SEAT_ERROR_DENIED when extending is turned off,
 * RK_SEAT_ERROR_EXHAUSTED when the session used all its extensions, RK_SEAT_ERROR_CLOSING when
 * its limit already reaches the closing. The warnings of `status` follow the new end by
 * themselves. */
gboolean seat_extend(Seat *seat, GError **error);
/* The patron steps away (seat-lock.c): the screen locks with code (4 to 8 digits, kept only as
 * a keyed hash) for at most session.step_away_max seconds; then, or after STEPLOCK_MAX_WRONG
 * wrong codes, the session ends (END_LOCK_TIMEOUT, END_LOCK_WRONG_CODE) and is wiped. The idle
 * timeout rests while locked; the time limit and the closing run on. The session also ends
 * when the guest's client is silent for SEAT_LOCK_SILENCE_S while locked: nothing then shows
 * the lock. FALSE with RK_SEAT_ERROR_STATE (not ACTIVE, already locked / not locked),
 * RK_SEAT_ERROR_DENIED (step_away_max is 0), RK_SEAT_ERROR_INVALID (not 4 to 8 digits),
 * RK_SEAT_ERROR_WRONG_CODE (wrong code; the session may have ended with it). No unlock but
 * with the code: staff can end a locked session, never open it. */
gboolean seat_lock(Seat *seat, const char *code, GError **error);
gboolean seat_unlock(Seat *seat, const char *code, GError **error);
/* The guest called the daemon (any verb): its client is alive. */
void seat_client_seen(Seat *seat);
#define SEAT_LOCK_SILENCE_S 10

/* A guided session: the volunteer passed the checks (done by the caller). */
gboolean seat_set_guided(Seat *seat, const char *volunteer_id, GError **error);
gboolean seat_consent(Seat *seat, GError **error);

/* Opening hours (hours.h, opening.h): outside them the seat is CLOSED and no session can
 * begin; at closing a running session ends (END_CLOSING) and is wiped, and the seat stays
 * CLOSED until the next opening. Staff override today's hours: seat_open_until opens the seat
 * from now until hhmm ("HH:MM") today (FALSE with RK_OPENING_ERROR_INVALID for a malformed or
 * past time), seat_close closes it now until the next regular opening; both lapse at midnight
 * and survive a restart. */
gboolean seat_open_until(Seat *seat, const char *hhmm, GError **error);
void seat_close(Seat *seat);

/* An admin closed incident id (by: their user name; note: why, recorded in the breach register
 * for good; NULL note: the old `resolve`, with a note saying none was given): the seat opens
 * again once no incident is open and the last wipe was verified. -ENOENT / -EINVAL / -ENOSPC
 * as incident_close. */
int seat_resolve_incident(Seat *seat, const char *id, const char *by, const char *note);

/* Fill reply with the seat's status keys of the protocol (see common/proto.h; the settings in
 * the same reply are control.c's). */
void seat_status(const Seat *seat, RkReply *reply);

/* SIGTERM: end a running session and wipe if that can finish within the shutdown grace; the
 * journal otherwise stays non-READY so the next start wipes. done is called once when the
 * seat is safe to leave. */
void seat_shutdown(Seat *seat, GSourceFunc done, gpointer data);

#define RK_SEAT_ERROR (rk_seat_error_quark())
GQuark rk_seat_error_quark(void);
typedef enum {
    RK_SEAT_ERROR_STATE,
    RK_SEAT_ERROR_JOURNAL,
    RK_SEAT_ERROR_GUEST,
    RK_SEAT_ERROR_NO_LIMIT,  /* seat_extend: the session has no time limit */
    RK_SEAT_ERROR_DENIED,    /* seat_extend: session.extend_by or session.max_extends is 0;
                              * seat_lock: session.step_away_max is 0 */
    RK_SEAT_ERROR_EXHAUSTED, /* seat_extend: session.max_extends extensions were used */
    RK_SEAT_ERROR_CLOSING,   /* seat_extend: the time limit already reaches the closing */
    RK_SEAT_ERROR_INVALID,   /* seat_lock: the code is not 4 to 8 digits */
    RK_SEAT_ERROR_WRONG_CODE, /* seat_unlock: not the code the screen was locked with */
} RkSeatError;
