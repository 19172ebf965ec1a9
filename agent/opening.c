/* The seat's opening hours at run time: local time zone, today's override, the timer. */
#define G_LOG_DOMAIN "hours"
#include "opening.h"

#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>

G_DEFINE_QUARK(rk-opening-error-quark, rk_opening_error)

#define OVERRIDE_FILE "hours.override"
#define OVERRIDE_MAX 512
/* The longest local day (25 hours), and some: an override that claims more is not ours. */
#define OVERRIDE_MAX_SPAN (26 * 3600)
/* The timer looks again after at most this long, whatever it expects. */
#define RECHECK_MS 60000

struct Opening {
    char *path; /* the override file */
    HoursOverride over; /* from = 0: none */
    guint timer_id;
    OpeningFn changed;
    gpointer data;
};

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

char *opening_format(gint64 t)
{
    if (!t)
        return g_strdup("never");
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    return d ? g_date_time_format(d, "%Y-%m-%d %H:%M") : g_strdup("?");
}

static bool override_valid(const HoursOverride *v)
{
    return v->from > 0 && v->open_until >= v->from && v->expires > v->from && v->open_until <= v->expires &&
           v->expires - v->from <= OVERRIDE_MAX_SPAN;
}

/* The override file, strictly (record.h); FALSE for none or one that is not ours. */
static gboolean override_load(const char *path, HoursOverride *ret, int *ret_errno)
{
    g_auto(Record) rec = { 0 };
    uint64_t from, until, expires;

    *ret_errno = record_load(AT_FDCWD, path, OVERRIDE_MAX, &rec);
    if (*ret_errno < 0)
        return FALSE;
    if (!record_take_u64(&rec, "from", INT64_MAX, &from) || !record_take_u64(&rec, "open_until", INT64_MAX, &until) ||
        !record_take_u64(&rec, "expires", INT64_MAX, &expires) || !record_all_taken(&rec)) {
        *ret_errno = -EBADMSG;
        return FALSE;
    }
    *ret = (HoursOverride){ .from = (gint64)from, .open_until = (gint64)until, .expires = (gint64)expires };
    if (!override_valid(ret)) {
        *ret_errno = -EBADMSG;
        return FALSE;
    }
    return TRUE;
}

static void override_remove(Opening *o)
{
    o->over = (HoursOverride){ 0 };
    if (g_unlink(o->path) < 0 && errno != ENOENT)
        g_warning("cannot remove \"%s\": %s", o->path, g_strerror(errno));
}

/* Drop the override once its day is over. */
static void lapse(Opening *o, gint64 now)
{
    if (!o->over.from || now < o->over.expires)
        return;
    g_message("staff override of %s lapsed at the end of its day; the opening hours apply",
              o->over.open_until > o->over.from ? "open" : "close");
    override_remove(o);
}

Opening *opening_new(const char *state_dir, OpeningFn changed, gpointer data)
{
    Opening *o = g_new0(Opening, 1);
    int e = 0;

    o->path = g_build_filename(state_dir, OVERRIDE_FILE, NULL);
    o->changed = changed;
    o->data = data;
    if (override_load(o->path, &o->over, &e)) {
        lapse(o, now_s()); /* one made on an earlier day */
    } else if (e != -ENOENT) {
        g_warning("\"%s\" is not a valid override (%s): removed; the opening hours apply", o->path, g_strerror(-e));
        override_remove(o);
    }
    if (o->over.from) {
        g_autofree char *until = opening_format(o->over.open_until);
        if (o->over.open_until > o->over.from)
            g_message("staff override of today kept: open until %s", until);
        else
            g_message("staff override of today kept: closed until the next opening");
    }
    return o;
}

void opening_free(Opening *o)
{
    if (!o)
        return;
    opening_disarm(o);
    g_free(o->path);
    g_free(o);
}

void opening_now(Opening *o, const HoursSchedule *s, HoursState *ret)
{
    gint64 now = now_s();
    g_autoptr(GTimeZone) tz = g_time_zone_new_local();

    lapse(o, now);
    hours_state_at(s, &o->over, tz, now, ret);
}

static gboolean on_timer(gpointer data)
{
    Opening *o = data;
    o->timer_id = 0;
    o->changed(o->data);
    return G_SOURCE_REMOVE;
}

void opening_arm(Opening *o, const HoursSchedule *s)
{
    HoursState st;

    opening_disarm(o);
    opening_now(o, s, &st);
    if (!s->enabled && !o->over.from)
        return;
    gint64 next = st.open ? st.closes_at : st.opens_at;
    gint64 ms = RECHECK_MS;
    /* A little after the change, so that the hours are past it when asked again. */
    if (next)
        ms = CLAMP(next * 1000 - g_get_real_time() / 1000 + 5, 5, RECHECK_MS);
    o->timer_id = g_timeout_add((guint)ms, on_timer, o);
}

void opening_disarm(Opening *o)
{
    g_clear_handle_id(&o->timer_id, g_source_remove);
}

static void override_set(Opening *o, const HoursOverride *v)
{
    g_autoptr(GString) text = g_string_new(NULL);

    o->over = *v;
    record_add_u64(text, "from", (uint64_t)v->from);
    record_add_u64(text, "open_until", (uint64_t)v->open_until);
    record_add_u64(text, "expires", (uint64_t)v->expires);
    int r = record_save(o->path, text, 0600);
    /* The override holds in this process all the same; only a restart would forget it. */
    if (r < 0)
        g_warning("cannot write \"%s\": %s (the override holds until the daemon stops)", o->path, g_strerror(-r));
}

gboolean opening_open_until(Opening *o, const char *hhmm, GError **error)
{
    HoursOverride v;
    int minutes;
    gint64 now = now_s();
    g_autoptr(GTimeZone) tz = g_time_zone_new_local();

    if (!hours_parse_clock(hhmm, &minutes)) {
        g_set_error(error, RK_OPENING_ERROR, RK_OPENING_ERROR_INVALID, "\"%s\" is not a time of day (HH:MM)", hhmm);
        return FALSE;
    }
    if (!hours_override_open_until(tz, now, minutes, &v)) {
        g_set_error(error, RK_OPENING_ERROR, RK_OPENING_ERROR_INVALID, "%s is not later today", hhmm);
        return FALSE;
    }
    override_set(o, &v);
    g_autofree char *until = opening_format(v.open_until);
    g_message("staff override: open now until %s", until);
    return TRUE;
}

void opening_close(Opening *o)
{
    HoursOverride v;
    g_autoptr(GTimeZone) tz = g_time_zone_new_local();

    hours_override_close(tz, now_s(), &v);
    override_set(o, &v);
    g_message("staff override: closed now until the next opening (at the latest midnight)");
}

const char *opening_override(Opening *o)
{
    lapse(o, now_s());
    if (!o->over.from)
        return NULL;
    return o->over.open_until > o->over.from ? "open" : "close";
}

void opening_status(Opening *o, const HoursSchedule *s, const GArray *warnings, RkReply *reply)
{
    HoursState st;
    int warn = 0;

    opening_now(o, s, &st);
    if (st.open && st.closes_at) {
        gint64 left_us = st.closes_at * G_USEC_PER_SEC - g_get_real_time();
        gint64 left = MAX((left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 0);
        /* As session.warnings: the smallest warning time not yet passed. */
        for (guint i = 0; i < warnings->len; i++)
            if (left <= g_array_index(warnings, int, i))
                warn = g_array_index(warnings, int, i);
    }
    const char *over = opening_override(o);
    rk_reply_add_int(reply, "closes_at", st.open ? st.closes_at : 0);
    rk_reply_add_int(reply, "opens_at", st.open ? 0 : st.opens_at);
    rk_reply_add_int(reply, "closing_warn", warn);
    rk_reply_add(reply, "override", over ? over : "-");
}
