/* The patron's own time: the clock that starts at their first input, and the step-away lock.
 * Both live inside an ACTIVE session and end with it (seat_lock_clear from clear_timers). */
#define G_LOG_DOMAIN "seat"
#include "seat-private.h"

#include "log.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

/* Idle reports count whole seconds, and the accepting click or key is itself input: an idle
 * time this much shorter than the time since the accept means new input. */
#define CLOCK_SLACK_US (G_USEC_PER_SEC + G_USEC_PER_SEC / 2)

/* How often the lock looks for its client. */
#define LOCK_WATCH_MS 1000

/* ---- the clock ---- */

static void clock_start(Seat *seat, gint64 at)
{
    seat->awaiting_input = FALSE;
    g_clear_handle_id(&seat->first_input_id, g_source_remove);
    if (seat->cfg->time_limit > 0)
        seat_arm_time_limit(seat, at + (gint64)seat->cfg->time_limit * G_USEC_PER_SEC);
}

/* No input since the accept: the patron never began. The notice shows again for whoever
 * comes; nothing was typed or clicked, so there is nothing to wipe yet (the session and its
 * id go on; the idle timeout of the notice applies). */
static gboolean on_first_input_wait(gpointer data)
{
    Seat *seat = data;
    g_autoptr(GError) error = NULL;

    seat->first_input_id = 0;
    if (seat->rec.state != SEAT_ACTIVE || !seat->awaiting_input)
        return G_SOURCE_REMOVE;
    g_message("no input in %d s after the notice was accepted: the notice is shown again", seat->cfg->first_input_wait);
    int64_t accepted = seat->rec.accepted;
    seat->rec.accepted = 0;
    seat->awaiting_input = FALSE;
    if (!seat_transition(seat, SEAT_NOTICE, &error)) {
        /* The journal cannot say NOTICE: end the session instead, which needs no record. */
        g_warning("%s; the session ends instead", error->message);
        seat->rec.accepted = accepted;
        (void)seat_end(seat, END_IDLE, NULL);
        return G_SOURCE_REMOVE;
    }
    seat_arm_idle(seat, 0);
    return G_SOURCE_REMOVE;
}

void seat_clock_accepted(Seat *seat)
{
    gint64 now = g_get_monotonic_time();

    seat->accepted_mono = now;
    if (!seat->cfg->start_on_first_input) {
        clock_start(seat, now);
        return;
    }
    seat->awaiting_input = TRUE;
    g_clear_handle_id(&seat->first_input_id, g_source_remove);
    if (seat->cfg->first_input_wait > 0)
        seat->first_input_id = g_timeout_add_seconds((guint)seat->cfg->first_input_wait, on_first_input_wait, seat);
}

void seat_clock_idle_report(Seat *seat, int idle_seconds)
{
    if (seat->rec.state != SEAT_ACTIVE || !seat->awaiting_input)
        return;
    gint64 now = g_get_monotonic_time(), idle = (gint64)idle_seconds * G_USEC_PER_SEC;
    if (now - seat->accepted_mono - idle < CLOCK_SLACK_US)
        return;
    /* The input came idle_seconds ago: the patron's time starts then, not at this report. */
    gint64 at = MAX(now - idle, seat->accepted_mono);
    g_message("first input %d s after the accept: the time limit starts",
              (int)((at - seat->accepted_mono) / G_USEC_PER_SEC));
    clock_start(seat, at);
}

/* ---- the step-away lock ---- */

void seat_lock_clear(Seat *seat)
{
    g_clear_handle_id(&seat->first_input_id, g_source_remove);
    seat->awaiting_input = FALSE;
    g_clear_handle_id(&seat->lock_id, g_source_remove);
    g_clear_handle_id(&seat->lock_watch_id, g_source_remove);
    g_clear_pointer(&seat->lock, steplock_free);
    seat->lock_deadline = seat->locked_at = 0;
}

static gboolean on_lock_timeout(gpointer data)
{
    Seat *seat = data;
    seat->lock_id = 0;
    /* Whole seconds may fire a moment early: wait for the deadline to the millisecond. */
    gint64 left = seat->lock_deadline - g_get_monotonic_time();
    if (left > 0) {
        seat->lock_id = g_timeout_add((guint)(left / 1000 + 1), on_lock_timeout, seat);
        return G_SOURCE_REMOVE;
    }
    RkLogFields f = { 0 };
    rk_log_fields_add_i64(&f, "RENTARK_DURATION_MS", (gint64)seat->cfg->step_away_max * 1000);
    rk_log_event(RK_EVENT_LOCK_RAN_OUT, G_LOG_LEVEL_MESSAGE, &f, "the step-away lock ran out after %d s: the session ends",
                 seat->cfg->step_away_max);
    (void)seat_end(seat, END_LOCK_TIMEOUT, NULL);
    return G_SOURCE_REMOVE;
}

static gboolean on_lock_watch(gpointer data)
{
    Seat *seat = data;
    if (g_get_monotonic_time() - seat->client_seen < (gint64)SEAT_LOCK_SILENCE_S * G_USEC_PER_SEC)
        return G_SOURCE_CONTINUE;
    seat->lock_watch_id = 0;
    g_warning("the session client has been silent for %d s while the screen was locked: nothing shows the lock, "
              "the session ends", SEAT_LOCK_SILENCE_S);
    (void)seat_end(seat, END_LOCK_TIMEOUT, NULL);
    return G_SOURCE_REMOVE;
}

gboolean seat_lock(Seat *seat, const char *code, GError **error)
{
    if (seat->rec.state != SEAT_ACTIVE) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "no running session to lock (seat is %s)",
                    rk_seat_state_name(seat->rec.state));
        return FALSE;
    }
    if (seat->lock) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "the screen is already locked");
        return FALSE;
    }
    if (seat->cfg->step_away_max <= 0) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_DENIED, "the step-away lock is turned off on this PC");
        return FALSE;
    }
    if (!steplock_code_valid(code)) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_INVALID, "the code must be %d to %d digits",
                    STEPLOCK_MIN_DIGITS, STEPLOCK_MAX_DIGITS);
        return FALSE;
    }
    StepLock *lock = steplock_new(code);
    if (!lock) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot make the lock: %s", g_strerror(e));
        return FALSE;
    }
    gint64 now = g_get_monotonic_time();
    /* Locking took a click: the patron has begun, whatever the idle reports said so far. */
    if (seat->awaiting_input)
        clock_start(seat, now);
    seat->lock = lock;
    seat->locked_at = now;
    seat->client_seen = now;
    seat->lock_deadline = now + (gint64)seat->cfg->step_away_max * G_USEC_PER_SEC;
    seat->lock_id = g_timeout_add_seconds((guint)seat->cfg->step_away_max, on_lock_timeout, seat);
    seat->lock_watch_id = g_timeout_add(LOCK_WATCH_MS, on_lock_watch, seat);
    /* The idle timeout rests: the patron is away by design, the lock has its own limit. */
    g_clear_handle_id(&seat->idle_id, g_source_remove);
    seat->idle_deadline = 0;
    RkLogFields f = { 0 };
    rk_log_fields_add_i64(&f, "RENTARK_LOCK_MAX_MS", (gint64)seat->cfg->step_away_max * 1000);
    /* Never the code, at any level. */
    rk_log_event(RK_EVENT_LOCK_ON, G_LOG_LEVEL_MESSAGE, &f, "the patron locked the screen for at most %d s",
                 seat->cfg->step_away_max);
    return TRUE;
}

gboolean seat_unlock(Seat *seat, const char *code, GError **error)
{
    if (seat->rec.state != SEAT_ACTIVE || !seat->lock) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "the screen is not locked");
        return FALSE;
    }
    if (steplock_check(seat->lock, code)) {
        gint64 away_us = g_get_monotonic_time() - seat->locked_at;
        int away = (int)(away_us / G_USEC_PER_SEC);
        g_clear_handle_id(&seat->lock_id, g_source_remove);
        g_clear_handle_id(&seat->lock_watch_id, g_source_remove);
        g_clear_pointer(&seat->lock, steplock_free);
        seat->lock_deadline = seat->locked_at = 0;
        seat_arm_idle(seat, 0);
        RkLogFields f = { 0 };
        rk_log_fields_add_i64(&f, "RENTARK_DURATION_MS", away_us / 1000);
        rk_log_event(RK_EVENT_LOCK_OFF, G_LOG_LEVEL_MESSAGE, &f, "the patron unlocked the screen after %d s", away);
        return TRUE;
    }
    int left = steplock_tries_left(seat->lock), wrong = steplock_wrong(seat->lock);
    if (left > 0) {
        g_message("wrong code for the step-away lock (%d of %d)", wrong, STEPLOCK_MAX_WRONG);
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_WRONG_CODE, "wrong code: %d tries left", left);
        return FALSE;
    }
    g_message("wrong code for the step-away lock %d times: the session ends", wrong);
    (void)seat_end(seat, END_LOCK_WRONG_CODE, NULL);
    g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_WRONG_CODE,
                "wrong code %d times: the session ends and everything is erased", wrong);
    return FALSE;
}

void seat_client_seen(Seat *seat)
{
    seat->client_seen = g_get_monotonic_time();
}
