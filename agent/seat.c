/* The seat state machine. */
#define G_LOG_DOMAIN "seat"
#include "seat-private.h"

#include "guest.h"
#include "home.h"
#include "incident.h"
#include "log.h"
#include "opening.h"
#include "util.h"
#include "watch.h"
#include "wipe.h"

#include <errno.h>
#include <stdarg.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

G_DEFINE_QUARK(rk-seat-error-quark, rk_seat_error)

#define SHUTDOWN_GRACE_S 20

void seat_clear_timers(Seat *seat)
{
    g_clear_handle_id(&seat->time_limit_id, g_source_remove);
    g_clear_handle_id(&seat->idle_id, g_source_remove);
    seat->limit_deadline = seat->idle_deadline = 0;
    seat_lock_clear(seat);
}

/* The event a transition is, if any: a session begins (the notice), is accepted, ends; the
 * seat is blocked. The notice shown again (ACTIVE -> NOTICE) and a guided session's notice
 * (NOTICE -> NOTICE) are the same session. The opening hours' CLOSED and READY are logged as
 * events where their cause is known (settle, hours_apply). */
static RkEvent transition_event(SeatState old, SeatState new_state)
{
    switch (new_state) {
    case SEAT_NOTICE:
        return old == SEAT_NOTICE || old == SEAT_ACTIVE ? RK_EVENT_N : RK_EVENT_SESSION_STARTED;
    case SEAT_ACTIVE:
        return old == SEAT_ACTIVE ? RK_EVENT_N : RK_EVENT_SESSION_ACCEPTED;
    case SEAT_ENDING:
        return RK_EVENT_SESSION_ENDED;
    case SEAT_BLOCKED:
        return old == SEAT_BLOCKED ? RK_EVENT_N : RK_EVENT_SEAT_BLOCKED;
    default:
        return RK_EVENT_N;
    }
}

/* "state OLD -> NEW [reason R]": the line tests and staff know, as an event where it is one. */
static void log_transition(const Seat *seat, SeatState old, SeatState new_state, gboolean recorded)
{
    const char *reason = seat->rec.end_reason[0] ? seat->rec.end_reason : NULL;
    RkEvent ev = transition_event(old, new_state);
    RkLogFields f = { 0 };

    if (ev == RK_EVENT_N) {
        g_message("state %s -> %s%s%s%s", rk_seat_state_name(old), rk_seat_state_name(new_state),
                  reason ? " reason " : "", reason ? reason : "", recorded ? "" : " (not recorded)");
        return;
    }
    rk_log_fields_add(&f, "RENTARK_SEAT_STATE", rk_seat_state_name(new_state));
    rk_log_fields_add(&f, "RENTARK_PREVIOUS_STATE", rk_seat_state_name(old));
    rk_log_fields_add(&f, "RENTARK_END_REASON", reason);
    if (ev != RK_EVENT_SEAT_BLOCKED)
        rk_log_fields_add(&f, "RENTARK_GUIDED", seat->rec.guided ? "1" : "0");
    if (ev == RK_EVENT_SESSION_ENDED && seat->rec.started) {
        /* The patron's time, whole seconds (the journal keeps only the start's second). */
        int64_t dur = (int64_t)time(NULL) - seat->rec.started;
        rk_log_fields_add_i64(&f, "RENTARK_DURATION_MS", MAX(dur, 0) * 1000);
    }
    /* At the level the line always had: a blocked seat's warnings are the wipe's and the
     * incident's own records. */
    rk_log_event(ev, G_LOG_LEVEL_MESSAGE, &f,
                 "state %s -> %s%s%s%s", rk_seat_state_name(old), rk_seat_state_name(new_state),
                 reason ? " reason " : "", reason ? reason : "", recorded ? "" : " (not recorded)");
}

/* Commit the record with new_state; only then does the transition count. Except for a state
 * that closes the seat (ENDING, WIPING, BLOCKED, CLOSED): that one takes effect even when the journal
 * cannot record it (FALSE and the error all the same), so that no login is taken, as if for
 * the session that ended, while it is wiped. Safe for the journal: the one on disk keeps an
 * earlier state, and READY, the only state that lets a start skip the wipe, is never taken
 * unrecorded. */
static gboolean transition(Seat *seat, SeatState new_state, GError **error)
{
    SeatState old = seat->rec.state;
    SeatRecord next = seat->rec;
    next.state = new_state;
    int r = journal_commit(seat->cfg->state_dir, &next);
    if (r < 0) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_JOURNAL, "cannot write the seat journal in \"%s\": %s",
                    seat->cfg->state_dir, g_strerror(-r));
        if (new_state != SEAT_ENDING && new_state != SEAT_WIPING && new_state != SEAT_BLOCKED &&
            new_state != SEAT_CLOSED)
            return FALSE;
        next = seat->rec;
        next.state = new_state;
    }
    seat->rec = next;
    log_transition(seat, old, new_state, r == 0);
    /* By index and by copy: an observer may remove itself (or another) while called. */
    for (guint i = 0; seat->observers && i < seat->observers->len; i++) {
        SeatObserver o = g_array_index(seat->observers, SeatObserver, i);
        o.fn(seat, old, new_state, o.data);
    }
    return r == 0;
}

static void on_hours_changed(gpointer data);

Seat *seat_new(const RkConfig *cfg, GError **error)
{
    g_autoptr(Seat) seat = g_new0(Seat, 1);
    seat->cfg = rk_config_ref((RkConfig *)cfg);
    int r = guest_lookup_ids(cfg->guest_user, &seat->uid, &seat->gid);
    if (r < 0) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_GUEST, "guest account \"%s\": %s", cfg->guest_user,
                    r == -EPERM ? "is root" : r == -ENOENT ? "does not exist" : g_strerror(-r));
        return NULL;
    }
    seat->private_gid = guest_gid_is_private(cfg->guest_user, seat->gid);
    if (g_mkdir_with_parents(cfg->state_dir, 0700) < 0) {
        int e = errno;
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_JOURNAL, "cannot create \"%s\": %s", cfg->state_dir, g_strerror(e));
        return NULL;
    }
    seat->opening = opening_new(cfg->state_dir, on_hours_changed, seat);
    return g_steal_pointer(&seat);
}

void seat_free(Seat *seat)
{
    if (!seat)
        return;
    seat_clear_timers(seat);
    g_clear_handle_id(&seat->retry_id, g_source_remove);
    g_clear_handle_id(&seat->trash_retry_id, g_source_remove);
    g_clear_handle_id(&seat->shutdown_timeout_id, g_source_remove);
    watch_free(seat->watch);
    opening_free(seat->opening);
    g_clear_pointer(&seat->observers, g_array_unref);
    rk_config_free(seat->cfg);
    g_free(seat);
}

static void hours_apply(Seat *seat);

void seat_set_config(Seat *seat, const RkConfig *cfg)
{
    RkConfig *old = seat->cfg;
    seat->cfg = rk_config_ref((RkConfig *)cfg);
    rk_config_free(old);
    /* New hours take effect now: a seat may open or close, a session end at once. */
    if (seat->started)
        hours_apply(seat);
}

guint seat_add_observer(Seat *seat, SeatChangedFn fn, gpointer data)
{
    SeatObserver o = { .id = ++seat->next_observer_id, .fn = fn, .data = data };

    if (!seat->observers)
        seat->observers = g_array_new(FALSE, FALSE, sizeof(SeatObserver));
    g_array_append_val(seat->observers, o);
    return o.id;
}

void seat_remove_observer(Seat *seat, guint id)
{
    for (guint i = 0; seat->observers && i < seat->observers->len; i++) {
        if (g_array_index(seat->observers, SeatObserver, i).id == id) {
            g_array_remove_index(seat->observers, i);
            return;
        }
    }
}

void seat_set_stats(Seat *seat, Stats *stats, SeatStatsFn saved, gpointer data)
{
    seat->stats = stats;
    seat->stats_saved = saved;
    seat->stats_saved_data = data;
}

void seat_save_stats(Seat *seat)
{
    g_autoptr(GError) error = NULL;
    if (!seat->stats)
        return;
    if (!stats_save(seat->stats, &error))
        g_warning("statistics: %s", error->message);
    if (seat->stats_saved)
        seat->stats_saved(seat, seat->stats_saved_data);
}

SeatState seat_state(const Seat *seat)
{
    return seat->rec.state;
}

uid_t seat_guest_uid(const Seat *seat)
{
    return seat->uid;
}

void seat_wipe_target(const Seat *seat, WipeTarget *t)
{
    wipe_target_init(t, seat->cfg, seat->uid, seat->gid, seat->private_gid);
}

const char *seat_session_id(const Seat *seat)
{
    return seat->rec.session;
}

static void arm_idle(Seat *seat, int idle_seconds);

/* ---- opening hours: what they mean for a session (the transitions are hours_apply's) ---- */

/* Why the seat opens or closes now, for the log: the schedule, or today's staff override. */
static const char *hours_reason(const Seat *seat)
{
    const char *over = opening_override(seat->opening);
    return !over ? "opening hours" : strcmp(over, "open") == 0 ? "staff: open --until" : "staff: close";
}

/* The same as a category for the journal (RENTARK_HOURS_CAUSE). */
static const char *hours_cause(const Seat *seat)
{
    const char *over = opening_override(seat->opening);
    return !over ? "opening-hours" : strcmp(over, "open") == 0 ? "staff-open" : "staff-close";
}

/* The seat closes (CLOSED) or opens (READY) by the hours or staff: an event with the cause and
 * the time of the next change (unix time, 0 for none in sight). */
static void log_hours_event(const Seat *seat, RkEvent ev, gint64 until, const char *format, ...) G_GNUC_PRINTF(4, 5);
static void log_hours_event(const Seat *seat, RkEvent ev, gint64 until, const char *format, ...)
{
    RkLogFields f = { 0 };
    va_list ap;

    va_start(ap, format);
    g_autofree char *text = g_strdup_vprintf(format, ap);
    va_end(ap);
    rk_log_fields_add(&f, "RENTARK_SEAT_STATE", ev == RK_EVENT_SEAT_CLOSED ? "CLOSED" : "READY");
    rk_log_fields_add(&f, "RENTARK_HOURS_CAUSE", hours_cause(seat));
    rk_log_fields_add_i64(&f, "RENTARK_UNTIL", until);
    rk_log_event(ev, G_LOG_LEVEL_MESSAGE, &f, "%s", text);
}

/* A clean seat (after a wipe, or an incident resolved) settles: READY within the opening
 * hours, CLOSED outside them, said in the log with the cause. As transition(). */
gboolean seat_settle(Seat *seat, GError **error)
{
    HoursState hs;
    opening_now(seat->opening, &seat->cfg->hours, &hs);
    if (!hs.open) {
        g_autofree char *when = opening_format(hs.opens_at);
        log_hours_event(seat, RK_EVENT_SEAT_CLOSED, hs.opens_at, "closed (%s): no session can begin until %s",
                        hours_reason(seat), hs.opens_at ? when : "staff open the seat");
    }
    return transition(seat, hs.open ? SEAT_READY : SEAT_CLOSED, error);
}

/* The closing of the opening the seat is in, as a monotonic time (us): 0 for none in sight,
 * now once it has come. */
static gint64 closing_deadline(const Seat *seat)
{
    HoursState hs;
    gint64 now = g_get_monotonic_time();

    opening_now(seat->opening, &seat->cfg->hours, &hs);
    if (!hs.open)
        return now;
    if (!hs.closes_at)
        return 0;
    return now + MAX(hs.closes_at * G_USEC_PER_SEC - g_get_real_time(), 0);
}

/* When the running session ends: its time limit or the closing, whichever comes first
 * (monotonic us, 0 = neither). A session never gets more time than is left until closing:
 * this is what the patron is told (time_left) and what an extension is capped at. The time
 * limit's timer ends the session at its own limit, the hours' timer at the closing (reason
 * closing); either way it ends here. */
static gint64 session_deadline(const Seat *seat)
{
    gint64 closing = closing_deadline(seat);
    if (!seat->limit_deadline || (closing && closing < seat->limit_deadline))
        return closing;
    return seat->limit_deadline;
}

void seat_start(Seat *seat)
{
    SeatRecord rec;
    int r = journal_load(seat->cfg->state_dir, &rec);

    seat->rec = rec;
    seat->started = TRUE;
    if (r == -EBADMSG)
        g_warning("seat journal in \"%s\" is corrupt: wiping first", seat->cfg->state_dir);
    if (rec.session[0])
        rk_log_set_session(rec.session);
    /* The record of what the session created in the watched folders died with the daemon:
     * the wipe removes everything born there since the session began (rec.started). */
    /* The guest's kernel keyrings outlive its processes; the first session after a boot must
     * find them locked down already, so that no patron can lock them against the wipe. */
    {
        FootholdTarget ft = { .uid = seat->uid, .gid = seat->gid, .user = seat->cfg->guest_user };
        int kr = foothold_lock_keyrings(&ft);
        if (kr < 0)
            g_warning("start-up: cannot lock down the guest's kernel keyrings: %s (the census decides)",
                      g_strerror(-kr));
    }
    /* Old homes in the trash (a power cut during their deletion) are root's alone: deleting
     * them resumes in the background and does not keep the seat closed. */
    if (wipe_trash_pending(seat->cfg))
        seat_start_trash_deletion(seat);
    if (journal_needs_wipe(r, &rec) || seat->cfg->at_boot || seat_open_incidents(seat) > 0) {
        g_message("start-up: last state %s, wiping before the seat opens", r < 0 ? "unknown" : rk_seat_state_name(rec.state));
        if (seat->rec.state == SEAT_NOTICE || seat->rec.state == SEAT_ACTIVE) {
            g_strlcpy(seat->rec.end_reason, rk_end_reason_name(END_CRASH_RECOVERY), sizeof seat->rec.end_reason);
            if (seat->stats)
                stats_record_session(seat->stats, seat->rec.guided, END_CRASH_RECOVERY, 0);
        }
        if (r < 0)
            seat->rec.state = SEAT_WIPING;
        seat_start_wipe(seat);
        hours_apply(seat); /* only arms the hours' timer: the wipe settles the state */
        return;
    }
    g_message("start-up: seat is clean and READY");
    hours_apply(seat);
}

static void new_session_id(char out[33])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != sizeof b)
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)g_random_int();
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Refuse a session: the seat is CLOSED. The message names the next opening (for the log of
 * the display manager and for staff; it holds nothing personal). */
static gboolean refuse_closed(const Seat *seat, GError **error)
{
    HoursState hs;
    opening_now(seat->opening, &seat->cfg->hours, &hs);
    g_autofree char *opens = opening_format(hs.opens_at);
    g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE,
                "the seat is CLOSED (outside the opening hours): no session can begin; it opens %s%s",
                hs.opens_at ? "at " : "", hs.opens_at ? opens : "when staff open it");
    return FALSE;
}

gboolean seat_session_begin(Seat *seat, GError **error)
{
    /* The hours' timer fires a moment after a closing; a login in that moment is refused. */
    if (seat->rec.state == SEAT_READY)
        hours_apply(seat);
    switch (seat->rec.state) {
    case SEAT_NOTICE:
    case SEAT_ACTIVE:
        return TRUE; /* a duplicate event (hook and logind both report a login) */
    case SEAT_CLOSED:
        return refuse_closed(seat, error);
    case SEAT_READY:
        /* Patrons must be told how their data is handled before they use the PC: without the
         * notice texts no session begins (the wipe ran all the same). */
        if (seat->cfg->text_problems) {
            g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE,
                        "the seat is closed: the patron notice texts are missing (see rentarkd --check-config)");
            return FALSE;
        }
        break;
    default:
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "the seat is %s: no session can begin",
                    rk_seat_state_name(seat->rec.state));
        return FALSE;
    }
    SeatRecord save = seat->rec;
    new_session_id(seat->rec.session);
    seat->rec.started = (int64_t)time(NULL);
    seat->rec.accepted = 0;
    seat->rec.guided = false;
    seat->rec.volunteer[0] = seat->rec.end_reason[0] = '\0';
    seat->consented = FALSE;
    seat->extends_used = 0; /* extensions are counted per session */
    /* The previous patron's client does not speak for this session. */
    seat->client_report = 0;
    rk_log_set_session(seat->rec.session);
    if (!transition(seat, SEAT_NOTICE, error)) {
        seat->rec = save;
        rk_log_set_session(NULL);
        return FALSE;
    }
    seat->incident_this_session = FALSE;
    if (seat->cfg->watch[0]) {
        g_autoptr(GError) werr = NULL;
        watch_free(seat->watch);
        seat->watch = watch_new(seat->cfg->watch, &werr);
        if (seat->watch && !watch_start(seat->watch, &werr))
            g_warning("watched folders: %s (files created there are found by a scan by time at the end)", werr->message);
    }
    /* An abandoned notice ends like an abandoned session, so the seat does not wait forever. */
    arm_idle(seat, 0);
    if (seat->cfg->strategy == RK_WIPE_TMPFS) {
        int r = home_mount_tmpfs(seat->cfg->guest_home, seat->cfg->tmpfs_size, seat->cfg->guest_skeleton, seat->uid, seat->gid);
        if (r < 0)
            g_warning("cannot mount the tmpfs home: %s (the home stays on disk; the wipe covers it)", g_strerror(-r));
    }
    return TRUE;
}

static gboolean on_time_limit(gpointer data)
{
    Seat *seat = data;
    seat->time_limit_id = 0;
    /* A limit that an extension stopped at the closing is the closing's: the session ends
     * then, for that reason. This timer counts whole seconds and may fire a moment early: it
     * waits for the closing to the millisecond (the hours' timer may end the session first). */
    gint64 closing = closing_deadline(seat), now = g_get_monotonic_time();
    if (closing && closing <= seat->limit_deadline + G_USEC_PER_SEC) {
        if (closing > now) {
            seat->time_limit_id = g_timeout_add((guint)((closing - now) / 1000 + 1), on_time_limit, seat);
            return G_SOURCE_REMOVE;
        }
        g_message("closing (%s): the running session ends", hours_reason(seat));
        (void)seat_end(seat, END_CLOSING, NULL);
    } else {
        (void)seat_end(seat, END_TIME_LIMIT, NULL);
    }
    return G_SOURCE_REMOVE;
}

static gboolean on_idle(gpointer data)
{
    Seat *seat = data;
    seat->idle_id = 0;
    (void)seat_end(seat, END_IDLE, NULL);
    return G_SOURCE_REMOVE;
}

/* End the session at deadline (monotonic us): the time limit, set anew. The deadline is not
 * journaled: a daemon that stops ends the session (crash recovery wipes), so no deadline ever
 * outlives the process that set it. */
static void arm_time_limit(Seat *seat, gint64 deadline)
{
    g_clear_handle_id(&seat->time_limit_id, g_source_remove);
    gint64 left = MAX(deadline - g_get_monotonic_time(), 0);
    guint seconds = (guint)((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
    seat->limit_deadline = deadline;
    seat->time_limit_id = g_timeout_add_seconds(seconds, on_time_limit, seat);
}

static void arm_idle(Seat *seat, int idle_seconds)
{
    g_clear_handle_id(&seat->idle_id, g_source_remove);
    if (seat->cfg->idle_timeout <= 0)
        return;
    int left = MAX(seat->cfg->idle_timeout - idle_seconds, 0);
    seat->idle_deadline = g_get_monotonic_time() + (gint64)left * G_USEC_PER_SEC;
    seat->idle_id = g_timeout_add_seconds((guint)left, on_idle, seat);
}

gboolean seat_accept(Seat *seat, GError **error)
{
    if (seat->rec.state == SEAT_ACTIVE)
        return TRUE;
    if (seat->rec.state != SEAT_NOTICE) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "no notice is waiting for an answer (seat is %s)",
                    rk_seat_state_name(seat->rec.state));
        return FALSE;
    }
    if (seat->rec.guided && !seat->consented) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "a guided session needs the patron's consent first");
        return FALSE;
    }
    seat->rec.accepted = (int64_t)time(NULL);
    if (!transition(seat, SEAT_ACTIVE, error)) {
        seat->rec.accepted = 0;
        return FALSE;
    }
    seat_clock_accepted(seat);
    arm_idle(seat, 0);
    return TRUE;
}

/* The end of the running session after one more extension. The one place where an extended
 * deadline is computed: extend_by later, but never past the closing. */
static gint64 extended_deadline(const Seat *seat)
{
    gint64 next = seat->limit_deadline + (gint64)seat->cfg->extend_by * G_USEC_PER_SEC;
    gint64 closing = closing_deadline(seat);
    return closing ? MIN(next, closing) : next;
}

/* Whether an extension would add anything: less than a second is nothing (a limit stopped at
 * the closing and the closing read again differ by the moments the clocks were read). */
static bool extension_adds(const Seat *seat)
{
    return extended_deadline(seat) - seat->limit_deadline >= G_USEC_PER_SEC;
}

/* How many more times the running session may be extended: 0 without a session with a time
 * limit, when extending is turned off, and when the limit already reaches the closing. */
static int extends_left(const Seat *seat)
{
    if (seat->rec.state != SEAT_ACTIVE || !seat->limit_deadline || seat->cfg->extend_by <= 0)
        return 0;
    if (!extension_adds(seat))
        return 0;
    return MAX(seat->cfg->max_extends - seat->extends_used, 0);
}

gboolean seat_extend(Seat *seat, GError **error)
{
    if (seat->rec.state != SEAT_ACTIVE) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "no running session to extend (seat is %s)",
                    rk_seat_state_name(seat->rec.state));
        return FALSE;
    }
    /* limit_deadline, not the configuration: a reload does not change a running session's limit. */
    if (!seat->limit_deadline) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_NO_LIMIT, "this session has no time limit");
        return FALSE;
    }
    if (seat->cfg->extend_by <= 0 || seat->cfg->max_extends <= 0) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_DENIED, "extending a session is turned off on this PC");
        return FALSE;
    }
    if (seat->extends_used >= seat->cfg->max_extends) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_EXHAUSTED, "this session was extended %d times, the most allowed",
                    seat->extends_used);
        return FALSE;
    }
    if (!extension_adds(seat)) {
        HoursState hs;
        opening_now(seat->opening, &seat->cfg->hours, &hs);
        g_autofree char *at = opening_format(hs.closes_at);
        if (hs.open && hs.closes_at)
            g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_CLOSING, "the library closes at %s: no more time can be given", at);
        else
            g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_CLOSING, "the library is closing: no more time can be given");
        return FALSE;
    }
    gint64 next = extended_deadline(seat);
    int added = (int)((next - seat->limit_deadline + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC);
    arm_time_limit(seat, next);
    seat->extends_used++;
    /* The session id goes with every record (rk_log_set_session); nothing of the patron's. */
    g_message("time limit extended by %d s%s (extension %d of %d)", added,
              added < seat->cfg->extend_by ? ", up to the closing" : "", seat->extends_used, seat->cfg->max_extends);
    return TRUE;
}

gboolean seat_end(Seat *seat, EndReason reason, GError **error)
{
    switch (seat->rec.state) {
    case SEAT_NOTICE:
    case SEAT_ACTIVE:
        break;
    default:
        return TRUE; /* already ending or clean: a late or repeated end changes nothing */
    }
    g_strlcpy(seat->rec.end_reason, rk_end_reason_name(reason), sizeof seat->rec.end_reason);
    seat_clear_timers(seat);
    seat->sessions_unverified++;
    if (seat->stats) {
        int64_t dur = seat->rec.started ? (int64_t)time(NULL) - seat->rec.started : 0;
        stats_record_session(seat->stats, seat->rec.guided, reason, (uint64_t)MAX(dur, 0) * 1000);
    }
    g_autoptr(GError) local = NULL;
    if (!transition(seat, SEAT_ENDING, &local))
        g_warning("%s", local->message); /* the wipe below still runs */
    /* The watched folders are the wipe's: it takes the Watch over once the guest is stopped. */
    seat_start_wipe(seat);
    return TRUE;
}

void seat_idle_report(Seat *seat, int idle_seconds)
{
    if ((seat->rec.state != SEAT_ACTIVE && seat->rec.state != SEAT_NOTICE) || idle_seconds < 0)
        return;
    seat->client_report = g_get_monotonic_time();
    seat_clock_idle_report(seat, idle_seconds);
    /* A locked screen is idle by design: its own limit (step_away_max) applies instead. */
    if (!seat->lock)
        arm_idle(seat, idle_seconds);
}

void seat_idle_report_fallback(Seat *seat, int idle_seconds)
{
    /* The client sees the patron's input itself and reports every idle_report_interval; while
     * it does, a hint of logind (which may lag or miss input it does not see) must not
     * contradict it. Two intervals allow for one late report. */
    gint64 window = 2 * (gint64)seat->cfg->idle_report_interval * G_USEC_PER_SEC;

    if (seat->client_report && g_get_monotonic_time() - seat->client_report < window) {
        g_debug("idle fallback of %d s ignored: the session client reported recently", idle_seconds);
        return;
    }
    if ((seat->rec.state != SEAT_ACTIVE && seat->rec.state != SEAT_NOTICE) || idle_seconds < 0)
        return;
    seat_clock_idle_report(seat, idle_seconds);
    if (!seat->lock)
        arm_idle(seat, idle_seconds);
}

gboolean seat_set_guided(Seat *seat, const char *volunteer_id, GError **error)
{
    if (seat->rec.state != SEAT_NOTICE) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "a guided session starts at the notice (seat is %s)",
                    rk_seat_state_name(seat->rec.state));
        return FALSE;
    }
    SeatRecord save = seat->rec;
    seat->rec.guided = true;
    g_strlcpy(seat->rec.volunteer, volunteer_id, sizeof seat->rec.volunteer);
    seat->consented = FALSE;
    if (!transition(seat, SEAT_NOTICE, error)) {
        seat->rec = save;
        return FALSE;
    }
    return TRUE;
}

gboolean seat_consent(Seat *seat, GError **error)
{
    if (seat->rec.state != SEAT_NOTICE || !seat->rec.guided) {
        g_set_error(error, RK_SEAT_ERROR, RK_SEAT_ERROR_STATE, "no guided session is waiting for consent");
        return FALSE;
    }
    seat->consented = TRUE;
    return TRUE;
}

int seat_resolve_incident(Seat *seat, const char *id, const char *by, const char *note)
{
    g_autoptr(GError) error = NULL;
    int r = note ? incident_close(seat->cfg->state_dir, id, by, note) : incident_resolve(seat->cfg->state_dir, id);
    if (r < 0)
        return r;
    if (seat->stats)
        stats_record_incident(seat->stats, STATS_INCIDENT_RESOLVED);
    /* The staff member's name is no patron's data; the note stays in the record only. */
    guint still_open = seat_open_incidents(seat);
    RkLogFields f = { 0 };
    rk_log_fields_add(&f, "RENTARK_INCIDENT_ID", id);
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_OPEN", still_open);
    rk_log_event(RK_EVENT_INCIDENT_CLOSED, G_LOG_LEVEL_MESSAGE, &f, "incident %s closed by %s%s", id,
                 by ? by : "an admin", note ? " with a note" : "");
    if (seat->rec.state == SEAT_BLOCKED && seat->clean && !seat->wiping && still_open == 0) {
        seat->rec.session[0] = seat->rec.volunteer[0] = seat->rec.end_reason[0] = '\0';
        seat->rec.guided = false;
        seat->rec.started = seat->rec.accepted = 0;
        if (!seat_settle(seat, &error))
            g_warning("%s", error->message);
        else
            rk_log_set_session(NULL);
    }
    if (seat->stats)
        seat_save_stats(seat);
    return 0;
}

static int seconds_until(gint64 deadline)
{
    if (!deadline)
        return -1;
    gint64 left = deadline - g_get_monotonic_time();
    return left <= 0 ? 0 : (int)((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* The time a session accepted now would get: session.time_limit, or less when the library
 * closes sooner; -1 for no end in sight, 0 when closed. */
static int session_time(const Seat *seat)
{
    int limit = seat->cfg->time_limit > 0 ? seat->cfg->time_limit : -1;
    int closing = seconds_until(closing_deadline(seat));
    if (limit < 0 || (closing >= 0 && closing < limit))
        return closing;
    return limit;
}

void seat_status(const Seat *seat, RkReply *reply)
{
    const RkVolunteer *v = seat->rec.volunteer[0] ? rk_config_find_volunteer(seat->cfg, seat->rec.volunteer) : NULL;
    /* An accepted session's end: its time limit or the closing, whichever comes first. */
    int time_left = seat->rec.state != SEAT_ACTIVE ? -1
                    /* The clock waits for the patron's first input: what they will have. */
                    : seat->awaiting_input ? session_time(seat)
                    : seconds_until(session_deadline(seat));
    int warn = 0;

    /* The warning in force: the smallest configured warning time not yet passed. Computed
     * from the deadline at every call, so an extension re-arms every warning it moves back. */
    for (guint i = 0; time_left >= 0 && i < seat->cfg->warnings->len; i++) {
        int w = g_array_index(seat->cfg->warnings, int, i);
        if (time_left <= w)
            warn = w;
    }
    rk_reply_add(reply, "state", rk_seat_state_name(seat->rec.state));
    rk_reply_add(reply, "session", seat->rec.session[0] ? seat->rec.session : "-");
    rk_reply_add_int(reply, "guided", seat->rec.guided);
    rk_reply_add(reply, "volunteer", v ? v->name : "-");
    rk_reply_add_int(reply, "time_left", time_left);
    rk_reply_add_int(reply, "idle_left", seconds_until(seat->idle_deadline));
    rk_reply_add_int(reply, "warn", warn);
    rk_reply_add_int(reply, "extends_left", extends_left(seat));
    rk_reply_add_int(reply, "last_wipe", seat->rec.last_wipe);
    rk_reply_add_int(reply, "verified", seat->rec.last_wipe > 0 && seat->rec.state != SEAT_BLOCKED);
    rk_reply_add(reply, "closed", seat->cfg->text_problems ? "notice-texts" : "-");
    rk_reply_add_int(reply, "session_time", session_time(seat));
    rk_reply_add_int(reply, "waiting_input", seat->rec.state == SEAT_ACTIVE && seat->awaiting_input);
    rk_reply_add_int(reply, "locked", seat->lock != NULL);
    rk_reply_add_int(reply, "lock_left", seat->lock ? seconds_until(seat->lock_deadline) : -1);
    rk_reply_add_int(reply, "lock_tries_left", seat->lock ? steplock_tries_left(seat->lock) : 0);
    opening_status(seat->opening, &seat->cfg->hours, seat->cfg->closing_warnings, reply);
}

static gboolean on_shutdown_timeout(gpointer data)
{
    Seat *seat = data;
    seat->shutdown_timeout_id = 0;
    g_warning("shutdown: the wipe or the deletion of old homes did not finish in %d s; the next start completes it",
              SHUTDOWN_GRACE_S);
    seat_finish_shutdown(seat, TRUE);
    return G_SOURCE_REMOVE;
}

void seat_shutdown(Seat *seat, GSourceFunc done, gpointer data)
{
    seat->shutting_down = TRUE;
    seat->shutdown_done = done;
    seat->shutdown_data = data;
    g_clear_handle_id(&seat->retry_id, g_source_remove);
    opening_disarm(seat->opening);
    if (seat->rec.state == SEAT_NOTICE || seat->rec.state == SEAT_ACTIVE)
        (void)seat_end(seat, END_SHUTDOWN, NULL);
    if (!seat->wiping && !seat->trash_running) {
        seat_finish_shutdown(seat, FALSE);
        return;
    }
    seat->shutdown_timeout_id = g_timeout_add_seconds(SHUTDOWN_GRACE_S, on_shutdown_timeout, seat);
}

/* ---- opening hours: the transitions ---- */

/* Follow the hours: a clean seat is READY within them and CLOSED outside; at closing a running
 * session (NOTICE or ACTIVE) ends and is wiped as at any other end, and the wipe leaves the
 * seat CLOSED (settle). A seat that is ending, wiping or BLOCKED is left alone: its wipe
 * or an admin decides, and seat_settle() then applies the hours. Then the timer is armed for the
 * next change. */
static void hours_apply(Seat *seat)
{
    HoursState hs;
    g_autoptr(GError) error = NULL;

    if (!seat->started || seat->shutting_down)
        return;
    opening_now(seat->opening, &seat->cfg->hours, &hs);
    g_autofree char *when = opening_format(hs.open ? hs.closes_at : hs.opens_at);
    if (seat->rec.state == SEAT_READY && !hs.open) {
        log_hours_event(seat, RK_EVENT_SEAT_CLOSED, hs.opens_at, "closing (%s): no session can begin until %s",
                        hours_reason(seat), hs.opens_at ? when : "staff open the seat");
        if (!transition(seat, SEAT_CLOSED, &error))
            g_warning("%s", error->message); /* closed all the same */
    } else if (seat->rec.state == SEAT_CLOSED && hs.open) {
        log_hours_event(seat, RK_EVENT_SEAT_OPENED, hs.closes_at, "opening (%s): the seat is open until %s",
                        hours_reason(seat), hs.closes_at ? when : "further notice");
        if (!transition(seat, SEAT_READY, &error))
            g_warning("%s (the seat stays closed; tried again in a minute)", error->message);
    } else if ((seat->rec.state == SEAT_NOTICE || seat->rec.state == SEAT_ACTIVE) && !hs.open) {
        g_message("closing (%s): the running session ends; no session can begin until %s", hours_reason(seat),
                  hs.opens_at ? when : "staff open the seat");
        (void)seat_end(seat, END_CLOSING, NULL);
    }
    opening_arm(seat->opening, &seat->cfg->hours);
}

static void on_hours_changed(gpointer data)
{
    hours_apply(data);
}

gboolean seat_open_until(Seat *seat, const char *hhmm, GError **error)
{
    if (!opening_open_until(seat->opening, hhmm, error))
        return FALSE;
    hours_apply(seat);
    return TRUE;
}

void seat_close(Seat *seat)
{
    opening_close(seat->opening);
    hours_apply(seat);
}

/* ---- for seat-lock.c ---- */

gboolean seat_transition(Seat *seat, SeatState new_state, GError **error)
{
    return transition(seat, new_state, error);
}

void seat_arm_idle(Seat *seat, int idle_seconds)
{
    arm_idle(seat, idle_seconds);
}

void seat_arm_time_limit(Seat *seat, gint64 deadline)
{
    arm_time_limit(seat, deadline);
}
