/* The live metrics file. See metrics.h. */
#define G_LOG_DOMAIN "metrics"

#include "metrics.h"
#include "incident.h"

#include <time.h>

struct Metrics {
    Seat *seat;
    const Stats *stats;
    RkConfig *cfg;
    guint observer_id;
    guint timer_id;
    char *last_error; /* the failure logged last, NULL after a good write */
};

void metrics_write(Metrics *m)
{
    g_autoptr(GError) error = NULL;
    const RkConfig *cfg = m->cfg;
    if (!cfg->metrics_file)
        return;
    /* The incident store, not the counters, says what is open: a record of an earlier run, or
     * one that cannot be read, counts (incident_list_open). A directory read per write, every
     * 15 s: cheap. */
    g_autoptr(GPtrArray) open = incident_list_open(cfg->state_dir);
    StatsLive live = {
        .seat_name = cfg->seat_name,
        .state = seat_state(m->seat),
        .incidents_open = open->len,
        .now_unix = (int64_t)time(NULL),
    };
    if (!stats_write_prometheus(m->stats, &live, cfg->metrics_file, &error)) {
        /* Every 15 s the same failure (a missing folder, a full disk) would flood the journal:
         * said once, and again when it changes or is over. */
        if (g_strcmp0(m->last_error, error->message) != 0)
            g_warning("%s", error->message);
        g_free(m->last_error);
        m->last_error = g_strdup(error->message);
        return;
    }
    if (m->last_error) {
        g_message("metrics file \"%s\" written again", cfg->metrics_file);
        g_clear_pointer(&m->last_error, g_free);
    }
}

static void on_seat_changed(Seat *seat, SeatState old_state, SeatState new_state, gpointer data)
{
    (void)seat;
    (void)old_state;
    (void)new_state;
    metrics_write(data);
}

static gboolean on_timer(gpointer data)
{
    metrics_write(data);
    return G_SOURCE_CONTINUE;
}

static guint metrics_interval(void)
{
#ifdef RK_TEST_HOOKS
    /* Test builds only: a test watches the timer work without waiting 15 s per tick. */
    const char *v = g_getenv("RENTARK_METRICS_INTERVAL_MS");
    guint64 ms = 0;
    if (v && g_ascii_string_to_unsigned(v, 10, 100, 3600000, &ms, NULL)) {
        g_message("metrics: written every %u ms (test hook RENTARK_METRICS_INTERVAL_MS)", (guint)ms);
        return (guint)ms;
    }
#endif
    return METRICS_INTERVAL_MS;
}

Metrics *metrics_new(Seat *seat, const Stats *stats, const RkConfig *cfg)
{
    Metrics *m = g_new0(Metrics, 1);
    m->seat = seat;
    m->stats = stats;
    m->cfg = rk_config_ref((RkConfig *)cfg);
    m->observer_id = seat_add_observer(seat, on_seat_changed, m);
    m->timer_id = g_timeout_add(metrics_interval(), on_timer, m);
    return m;
}

void metrics_free(Metrics *m)
{
    if (!m)
        return;
    seat_remove_observer(m->seat, m->observer_id);
    g_clear_handle_id(&m->timer_id, g_source_remove);
    rk_config_free(m->cfg);
    g_free(m->last_error);
    g_free(m);
}

void metrics_set_config(Metrics *m, const RkConfig *cfg)
{
    RkConfig *old = m->cfg;
    m->cfg = rk_config_ref((RkConfig *)cfg);
    rk_config_free(old);
    /* A renamed PC shows its new name at once, a new file is there at once. */
    g_clear_pointer(&m->last_error, g_free);
    metrics_write(m);
}
