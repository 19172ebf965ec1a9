/* The seat's wipes: the wipe of a session on a worker thread (the guest's Watch handed over to
 * it once the guest's processes are stopped), its result applied on the main thread (READY,
 * CLOSED or BLOCKED; the statistics; an incident record when it could not be verified, and its
 * retries), and the background deletion of old homes. Shared state is seat-private.h's. */
#define G_LOG_DOMAIN "seat"
#include "seat-private.h"

#include "incident.h"
#include "log.h"
#include "util.h"
#include "watch.h"
#include "wipe.h"

#include <gio/gio.h>
#include <time.h>

guint seat_open_incidents(const Seat *seat)
{
    g_autoptr(GPtrArray) open = incident_list_open(seat->cfg->state_dir);
    return open->len;
}

/* A wipe that could not be verified: a possible breach. One incident per session. */
static void open_incident(Seat *seat, const WipeResult *res)
{
    Incident inc;
    g_autoptr(GError) error = NULL;

    if (seat->incident_this_session)
        return;
    GString *what = g_string_new(NULL);
    g_autofree char *census = wipe_census_summary(&res->census);
    /* The census names the classes of what is left (never a name): what an authority asks. */
    g_string_append_printf(what, "wipe not verified: step \"%s\" failed (%s); census found: %s; left: home %" G_GUINT64_FORMAT
                           ", trash %" G_GUINT64_FORMAT, res->failed_step ? res->failed_step : "verify",
                           wipe_error_text(res), census[0] ? census : "nothing",
                           res->home_differences, res->trash_left);
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++)
        g_string_append_printf(what, ", %s %" G_GUINT64_FORMAT, rk_wipe_category_name(c), res->sweep_left[c]);
    g_autofree char *text = g_string_free(what, FALSE);

    /* The register's facts (Art. 33(3)): the classes left with their counts, the patrons
     * concerned (the sessions since the last verified wipe), whether a helper was there. */
    Incident draft = { 0 };
    GString *classes = g_string_new(NULL);
    uint64_t objects = 0;
    const struct { const char *name; uint64_t n; } fixed[] = {
        { "processes", res->processes_left > 0 ? (uint64_t)res->processes_left : 0 },
        { "home", res->home_differences },
        { "trash", res->trash_left },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        if (fixed[i].n)
            g_string_append_printf(classes, "%s%s=%" G_GUINT64_FORMAT, classes->len ? "," : "", fixed[i].name, fixed[i].n),
                objects += fixed[i].n;
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++)
        if (res->sweep_left[c])
            g_string_append_printf(classes, "%s%s=%" G_GUINT64_FORMAT, classes->len ? "," : "", rk_wipe_category_name(c),
                                   res->sweep_left[c]),
                objects += res->sweep_left[c];
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        if (res->census.found[c])
            g_string_append_printf(classes, "%s%s=%" G_GUINT64_FORMAT, classes->len ? "," : "", rk_wipe_category_name(c),
                                   res->census.found[c]),
                objects += res->census.found[c];
    g_autofree char *cls = g_string_free(classes, FALSE);
    g_strlcpy(draft.session, seat->rec.session, sizeof draft.session);
    g_strlcpy(draft.what, text, sizeof draft.what);
    g_strlcpy(draft.step, res->failed_step ? res->failed_step : "verify", sizeof draft.step);
    g_strlcpy(draft.classes, cls, sizeof draft.classes);
    draft.objects = objects;
    draft.patrons = MAX(seat->sessions_unverified, seat->rec.session[0] ? 1u : 0u);
    draft.guided = seat->rec.guided;
    int r = incident_open(seat->cfg->state_dir, &draft, seat->cfg->report_deadline_hours, &inc);
    if (r < 0) {
        g_warning("cannot write an incident record in \"%s\": %s", seat->cfg->state_dir, g_strerror(-r));
        return;
    }
    seat->incident_this_session = TRUE;
    if (seat->stats)
        stats_record_incident(seat->stats, STATS_INCIDENT_OPENED);
    RkLogFields f = { 0 };
    rk_log_fields_add(&f, "RENTARK_INCIDENT_ID", inc.id);
    rk_log_fields_add_i64(&f, "RENTARK_DEADLINE", inc.deadline);
    rk_log_fields_add_i64(&f, "RENTARK_DEADLINE_HOURS", seat->cfg->report_deadline_hours);
    rk_log_fields_add(&f, "RENTARK_WIPE_STEP", draft.step);
    rk_log_fields_add(&f, "RENTARK_CLASSES", cls); /* categories with counts, never a name */
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_LEFT", objects);
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_PATRONS", draft.patrons);
    rk_log_event(RK_EVENT_INCIDENT_OPENED, G_LOG_LEVEL_WARNING, &f,
                 "INCIDENT %s: %s; the seat is out of order until resolved; report deadline in %d hours", inc.id, text,
                 seat->cfg->report_deadline_hours);
    if (!incident_run_command(seat->cfg->incident_command, &inc, &error))
        g_warning("incidents.command: %s", error->message);
}

static gboolean on_retry(gpointer data)
{
    Seat *seat = data;
    seat->retry_id = 0;
    seat_start_wipe(seat);
    return G_SOURCE_REMOVE;
}

/* Stop when the wipe and the deletion of old homes are done (force: the grace time is over;
 * the next start completes both). */
void seat_finish_shutdown(Seat *seat, gboolean force)
{
    if (!seat->shutdown_done || (!force && (seat->wiping || seat->trash_running)))
        return;
    GSourceFunc done = seat->shutdown_done;
    seat->shutdown_done = NULL;
    g_clear_handle_id(&seat->shutdown_timeout_id, g_source_remove);
    done(seat->shutdown_data);
}

static void wipe_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *c)
{
    WipeResult *res = g_new0(WipeResult, 1);
    /* The old home stays in the root-only trash for the background deletion: the seat opens
     * as soon as the fresh home is in place and the census has passed. */
    (void)wipe_run(task_data, WIPE_KEEP_TRASH, res);
    g_task_return_pointer(task, res, (GDestroyNotify)wipe_result_free);
}

/* The session's Watch, handed from the main thread (where libinotifytools lives) to the wipe
 * once the guest's processes are stopped, so that nothing the guest does before the stop goes
 * unrecorded. Reference-counted: the main thread's part may run after the wipe gave up
 * waiting (then the Watch is freed with the handoff and the wipe scanned by time). */
typedef struct {
    Seat *seat;
    GMutex lock;
    GCond cond;
    gboolean done;
    Watch *watch;
} WatchHandoff;

static void handoff_clear(gpointer p)
{
    WatchHandoff *h = p;
    watch_free(h->watch);
    g_mutex_clear(&h->lock);
    g_cond_clear(&h->cond);
}

static void handoff_unref(gpointer p)
{
    g_atomic_rc_box_release_full(p, handoff_clear);
}

static gboolean handoff_on_main(gpointer data)
{
    WatchHandoff *h = data;
    g_mutex_lock(&h->lock);
    h->watch = g_steal_pointer(&h->seat->watch);
    watch_stop(h->watch);
    h->done = TRUE;
    g_cond_signal(&h->cond);
    g_mutex_unlock(&h->lock);
    return G_SOURCE_REMOVE;
}

#define HANDOFF_WAIT_S 5

static Watch *handoff_in_wipe(gpointer data)
{
    WatchHandoff *h = data;
    gint64 end = g_get_monotonic_time() + HANDOFF_WAIT_S * G_TIME_SPAN_SECOND;
    g_main_context_invoke_full(NULL, G_PRIORITY_HIGH, handoff_on_main, g_atomic_rc_box_acquire(h), handoff_unref);
    g_mutex_lock(&h->lock);
    while (!h->done && g_cond_wait_until(&h->cond, &h->lock, end))
        ;
    Watch *w = h->done ? h->watch : NULL;
    g_mutex_unlock(&h->lock);
    return w;
}

static void target_free(gpointer p)
{
    WipeTarget *t = p;
    if (t->watch_data)
        handoff_unref(t->watch_data);
    wipe_target_clear(t);
    g_free(t);
}

void seat_start_trash_deletion(Seat *seat);

static gboolean on_trash_retry(gpointer data)
{
    Seat *seat = data;
    seat->trash_retry_id = 0;
    seat_start_trash_deletion(seat);
    return G_SOURCE_REMOVE;
}

static void trash_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *c)
{
    RmStats *st = g_new0(RmStats, 1);
    long long t0 = rk_now_ns();
    /* Idle I/O and CPU priority: the next patron's session comes first. */
    (void)wipe_background_priority();
    int r = wipe_empty_trash(task_data, 0, st);
    st->bytes = (uint64_t)(rk_now_ns() - t0); /* the duration, carried back in an unused field */
    st->errors = r < 0 ? (uint64_t)-r : 0;
    g_task_return_pointer(task, st, g_free);
}

static void trash_done(GObject *source, GAsyncResult *result, gpointer data)
{
    Seat *seat = data;
    g_autofree RmStats *st = g_task_propagate_pointer(G_TASK(result), NULL);

    seat->trash_running = FALSE;
    if (st->errors) {
        /* Root's alone and out of every patron's reach, but not to be kept: tried again. */
        g_warning("background deletion of old homes: %s (retried in %d s)", g_strerror((int)st->errors),
                  seat->cfg->verify_retry);
        if (!seat->shutting_down && !seat->trash_retry_id)
            seat->trash_retry_id = g_timeout_add_seconds((guint)seat->cfg->verify_retry, on_trash_retry, seat);
    } else
        g_message("background deletion of old homes: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT " dirs in %.1f ms",
                  st->files, st->dirs, (double)st->bytes / 1e6);
    if (seat->trash_again) {
        seat->trash_again = FALSE;
        seat_start_trash_deletion(seat);
    }
    if (seat->shutting_down)
        seat_finish_shutdown(seat, FALSE);
}

/* Delete the old homes in the trash in the background; one deletion at a time. */
void seat_start_trash_deletion(Seat *seat)
{
    if (seat->trash_running) {
        seat->trash_again = TRUE;
        return;
    }
    seat->trash_running = TRUE;
    GTask *task = g_task_new(NULL, NULL, trash_done, seat);
    g_task_set_task_data(task, rk_config_ref(seat->cfg), (GDestroyNotify)rk_config_free);
    g_task_run_in_thread(task, trash_thread);
    g_object_unref(task);
}

static void wipe_done(GObject *source, GAsyncResult *result, gpointer data)
{
    Seat *seat = data;
    WipeResult *res = g_task_propagate_pointer(G_TASK(result), NULL);
    g_autoptr(GError) error = NULL;

    seat->wiping = FALSE;
    wipe_log(res, WIPE_KEEP_TRASH);
    if (res->home.moved_to_trash)
        seat_start_trash_deletion(seat);
    if (seat->stats) {
        uint64_t entries[RK_WIPE_N] = { 0 };
        entries[RK_WIPE_HOME] = res->home.moved_to_trash;
        entries[RK_WIPE_WATCH] = res->watch.removed.files + res->watch.removed.dirs;
        for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++)
            entries[c] = res->sweep.stats[c].files + res->sweep.stats[c].dirs;
        stats_record_wipe(seat->stats, (uint64_t)(res->total_ns / 1000000), res->verified, entries, (int64_t)time(NULL));
        stats_record_census(seat->stats, res->census_first.found, res->census.found, res->census.error,
                            (uint64_t)(res->census.duration_ns / 1000000));
        seat_save_stats(seat);
    }
    seat->clean = res->verified;
    /* A retry of a wipe that already has its incident: a measure taken, in the register. */
    if (seat->incident_this_session) {
        int q = incident_note_retry(seat->cfg->state_dir, seat->rec.session, res->verified);
        if (q < 0)
            g_warning("cannot record the retry in the incident record: %s", g_strerror(-q));
    }
    if (res->verified)
        seat->sessions_unverified = 0;
    if (!res->verified)
        open_incident(seat, res);
    if (res->verified && seat_open_incidents(seat) > 0) {
        /* The data is gone now, but a breach may have happened: an admin looks first. */
        seat->rec.last_wipe = (int64_t)time(NULL);
        if (seat->rec.state != SEAT_BLOCKED && !seat_transition(seat, SEAT_BLOCKED, &error))
            g_warning("%s", error->message);
        g_warning("wipe verified; the seat stays closed until the open incident is resolved");
    } else if (res->verified) {
        seat->incident_this_session = FALSE;
        seat->rec.last_wipe = (int64_t)time(NULL);
        seat->rec.session[0] = '\0';
        seat->rec.volunteer[0] = '\0';
        seat->rec.guided = false;
        seat->rec.started = seat->rec.accepted = 0;
        seat->rec.end_reason[0] = '\0';
        /* Clean: READY, or CLOSED outside the opening hours (a session that ended at closing). */
        if (!seat_settle(seat, &error)) {
            /* The data is gone, but without a journal saying so the seat must not open:
             * a restart would wipe again, which is safe. */
            g_warning("%s", error->message);
            seat->retry_id = g_timeout_add_seconds((guint)seat->cfg->verify_retry, on_retry, seat);
        } else {
            rk_log_set_session(NULL);
        }
    } else {
        /* Possibly guest data left for the next patron: the seat stays closed and the wipe
         * is retried until it verifies. */
        if (seat->rec.state != SEAT_BLOCKED && !seat_transition(seat, SEAT_BLOCKED, &error))
            g_warning("%s", error->message);
        if (!seat->shutting_down)
            seat->retry_id = g_timeout_add_seconds((guint)seat->cfg->verify_retry, on_retry, seat);
    }
    if (seat->shutting_down)
        seat_finish_shutdown(seat, FALSE);
    wipe_result_free(res);
}

void seat_start_wipe(Seat *seat)
{
    g_autoptr(GError) error = NULL;

    if (seat->wiping)
        return;
    seat_clear_timers(seat);
    if (seat->rec.state != SEAT_WIPING && seat->rec.state != SEAT_BLOCKED && !seat_transition(seat, SEAT_WIPING, &error)) {
        /* The wipe runs anyway: deleting a guest's data is always right. */
        g_warning("%s", error->message);
    }
    seat->wiping = TRUE;
    GTask *task = g_task_new(NULL, NULL, wipe_done, seat);
    /* The target is resolved here, once: the worker looks nothing up by name. */
    WipeTarget *t = g_new0(WipeTarget, 1);
    wipe_target_init(t, seat->cfg, seat->uid, seat->gid, seat->private_gid);
    t->session_start = seat->rec.started;
    if (seat->watch) {
        WatchHandoff *h = g_atomic_rc_box_new0(WatchHandoff);
        h->seat = seat;
        g_mutex_init(&h->lock);
        g_cond_init(&h->cond);
        t->watch_handoff = handoff_in_wipe;
        t->watch_data = h;
    }
    g_task_set_task_data(task, t, target_free);
    g_task_run_in_thread(task, wipe_thread);
    g_object_unref(task);
}

