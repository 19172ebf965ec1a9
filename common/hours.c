/* Opening hours: the grammar of a day and the search for the next change. See hours.h.
 *
 * The search walks the local days from today: each day's ranges become spans of unix time
 * (so a day of 23 or 25 hours needs no special case), the staff override is applied to them,
 * and the spans are followed in order until the open period that holds `now` ends, or the
 * next one begins. */
#include "hours.h"

#include <stdlib.h>
#include <string.h>

void hours_schedule_init(HoursSchedule *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 7; i++) {
        s->week[i].n = 1;
        s->week[i].r[0] = (HoursRange){ 0, HOURS_DAY_MINUTES };
    }
}

void hours_schedule_clear(HoursSchedule *s)
{
    if (s->exceptions)
        g_array_unref(s->exceptions);
    hours_schedule_init(s);
}

/* ---- the grammar ---- */

/* A clock time at *p: H or HH, ':', MM, from 00:00 to 24:00; *p is moved past it. */
static bool scan_clock(const char **p, int *ret)
{
    const char *s = *p;
    int h = 0, n = 0;

    while (n < 2 && g_ascii_isdigit(s[n]))
        h = h * 10 + (s[n++] - '0');
    if (n == 0 || s[n] != ':' || !g_ascii_isdigit(s[n + 1]) || !g_ascii_isdigit(s[n + 2]))
        return false;
    int m = (s[n + 1] - '0') * 10 + (s[n + 2] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return false;
    *ret = h * 60 + m;
    *p = s + n + 3;
    return true;
}

bool hours_parse_clock(const char *text, int *ret_minutes)
{
    const char *p = text;
    int m;

    if (!scan_clock(&p, &m) || *p)
        return false;
    *ret_minutes = m;
    return true;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ')
        (*p)++;
}

static int cmp_range(const void *a, const void *b)
{
    return (int)((const HoursRange *)a)->start - (int)((const HoursRange *)b)->start;
}

static bool fail(const char **ret_error, const char *msg)
{
    *ret_error = msg;
    return false;
}

/* The ranges of text, unsorted, into d. */
static bool scan_ranges(const char *text, HoursDay *d, const char **ret_error)
{
    static const char syntax[] = "write \"closed\" or ranges such as \"09:00-16:00\" or \"09:00-12:00,13:00-16:00\"";
    const char *p = text;

    for (;;) {
        int a, b;
        if (d->n == HOURS_MAX_RANGES)
            return fail(ret_error, "at most 8 ranges in a day");
        skip_spaces(&p);
        if (!scan_clock(&p, &a))
            return fail(ret_error, syntax);
        skip_spaces(&p);
        if (*p != '-')
            return fail(ret_error, syntax);
        p++;
        skip_spaces(&p);
        if (!scan_clock(&p, &b))
            return fail(ret_error, syntax);
        /* A range belongs to one day: an evening that runs past midnight is two ranges, one
         * ending at 24:00 and the next day's beginning at 00:00, and stays open across. */
        if (b <= a)
            return fail(ret_error, "a range must end after it begins, on the same day (24:00 is midnight)");
        d->r[d->n++] = (HoursRange){ (guint16)a, (guint16)b };
        skip_spaces(&p);
        if (!*p)
            return true;
        if (*p != ',')
            return fail(ret_error, syntax);
        p++;
    }
}

bool hours_parse_day(const char *text, HoursDay *ret, const char **ret_error)
{
    HoursDay d = { 0 };

    if (strcmp(text, "closed") == 0) {
        *ret = d;
        return true;
    }
    if (!scan_ranges(text, &d, ret_error))
        return false;
    qsort(d.r, d.n, sizeof d.r[0], cmp_range);
    /* Touching ranges are one opening (09:00-12:00,12:00-16:00); overlapping ones are a typo. */
    guint k = 0;
    for (guint i = 1; i < d.n; i++) {
        if (d.r[i].start < d.r[k].end)
            return fail(ret_error, "ranges overlap");
        if (d.r[i].start == d.r[k].end)
            d.r[k].end = d.r[i].end;
        else
            d.r[++k] = d.r[i];
    }
    d.n = k + 1;
    *ret = d;
    return true;
}

bool hours_add_exception(HoursSchedule *s, guint32 julian, const HoursDay *day)
{
    if (julian == 0)
        return false;
    if (!s->exceptions)
        s->exceptions = g_array_new(FALSE, FALSE, sizeof(HoursException));
    if (s->exceptions->len >= HOURS_MAX_EXCEPTIONS)
        return false;
    guint i = 0;
    while (i < s->exceptions->len && g_array_index(s->exceptions, HoursException, i).julian < julian)
        i++;
    if (i < s->exceptions->len && g_array_index(s->exceptions, HoursException, i).julian == julian)
        return false;
    HoursException e = { .julian = julian, .day = *day };
    g_array_insert_val(s->exceptions, i, e);
    return true;
}

/* ---- days and instants ---- */

static const HoursDay *day_of(const HoursSchedule *s, const GDate *d)
{
    guint32 j = g_date_get_julian(d);
    guint lo = 0, hi = s->exceptions ? s->exceptions->len : 0;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const HoursException *e = &g_array_index(s->exceptions, HoursException, mid);
        if (e->julian == j)
            return &e->day;
        if (e->julian < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &s->week[g_date_get_weekday(d) - 1];
}

/* minutes after the local midnight that begins day d, in tz, as unix seconds (24:00 is the
 * next day's 00:00). A time that does not exist moves to the end of the gap, one that exists
 * twice is the later (standard-time) one: g_date_time_new() decides. */
static gint64 instant(GTimeZone *tz, const GDate *d, int minutes)
{
    GDate day = *d;

    if (minutes >= HOURS_DAY_MINUTES) {
        g_date_add_days(&day, 1);
        minutes -= HOURS_DAY_MINUTES;
    }
    g_autoptr(GDateTime) t = g_date_time_new(tz, g_date_get_year(&day), g_date_get_month(&day),
                                             g_date_get_day(&day), minutes / 60, minutes % 60, 0);
    /* NULL only past the year 9999, which the configuration does not accept. */
    return t ? g_date_time_to_unix(t) : G_MAXINT64 / 2;
}

/* The local date of now in tz. */
static void local_date(GTimeZone *tz, gint64 now, GDate *ret)
{
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(now);
    g_autoptr(GDateTime) t = utc ? g_date_time_to_timezone(utc, tz) : NULL;

    g_date_clear(ret, 1);
    if (t)
        g_date_set_dmy(ret, (GDateDay)g_date_time_get_day_of_month(t), (GDateMonth)g_date_time_get_month(t),
                       (GDateYear)g_date_time_get_year(t));
    else
        g_date_set_dmy(ret, 1, G_DATE_JANUARY, 1970);
}

/* ---- the search ---- */

typedef struct {
    gint64 a, b; /* open in [a, b), unix seconds */
} Span;

#define MAX_SPANS (2 * HOURS_MAX_RANGES + 1)

static guint add_span(Span *out, guint n, gint64 a, gint64 b)
{
    if (b > a)
        out[n++] = (Span){ a, b };
    return n;
}

/* The regular span [a, b) under override o: a period that begins before o's open_until loses
 * what lies between from and the end of from's day; a later one stays whole. */
static guint clip(const HoursOverride *o, gint64 a, gint64 b, Span *out, guint n)
{
    if (!o || !o->from || a >= o->open_until)
        return add_span(out, n, a, b);
    n = add_span(out, n, a, MIN(b, o->from));
    return add_span(out, n, MAX(a, o->expires), b);
}

static int cmp_span(const void *x, const void *y)
{
    const Span *a = x, *b = y;
    return a->a < b->a ? -1 : a->a > b->a;
}

/* The open spans of local day d, [day_start, day_end), in order of their start. */
static guint day_spans(const HoursSchedule *s, const HoursOverride *o, GTimeZone *tz, const GDate *d,
                       gint64 day_start, gint64 day_end, Span *out)
{
    const HoursDay *day = day_of(s, d);
    guint n = 0;

    for (guint i = 0; i < day->n; i++)
        n = clip(o, instant(tz, d, day->r[i].start), instant(tz, d, day->r[i].end), out, n);
    if (o && o->from && o->from >= day_start && o->from < day_end)
        n = add_span(out, n, o->from, o->open_until);
    qsort(out, n, sizeof *out, cmp_span);
    return n;
}

typedef struct {
    gint64 now;
    bool open;  /* a span holds now ... */
    gint64 end; /* ... and the spans followed so far end here */
    HoursState result;
} Walk;

/* Follow one day's spans; true when the answer is known (in w->result). */
static bool walk_day(Walk *w, const Span *sp, guint n, gint64 day_end)
{
    for (guint i = 0; i < n; i++) {
        if (sp[i].b <= w->now)
            continue;
        if (w->open) {
            if (sp[i].a > w->end) {
                w->result = (HoursState){ .open = true, .closes_at = w->end };
                return true;
            }
            w->end = MAX(w->end, sp[i].b);
        } else if (sp[i].a <= w->now) {
            w->open = true;
            w->end = sp[i].b;
        } else {
            w->result = (HoursState){ .open = false, .opens_at = sp[i].a };
            return true;
        }
    }
    /* Open to the end of the day goes on into the next; open to any earlier time ends. */
    if (w->open && w->end < day_end) {
        w->result = (HoursState){ .open = true, .closes_at = w->end };
        return true;
    }
    return false;
}

void hours_state_at(const HoursSchedule *s, const HoursOverride *o, GTimeZone *tz, gint64 now, HoursState *ret)
{
    static const HoursSchedule always = {
        .week = { [0 ... 6] = { .n = 1, .r = { { 0, HOURS_DAY_MINUTES } } } },
    };
    GDate d;

    *ret = (HoursState){ .open = true };
    if (o && (!o->from || now >= o->expires))
        o = NULL; /* none, or no longer in force */
    if (!s->enabled && !o)
        return;
    if (!s->enabled)
        s = &always;
    local_date(tz, now, &d);
    /* After the last exception the week repeats: a week more without a change means none. */
    guint32 first = g_date_get_julian(&d), last = first;
    if (s->exceptions && s->exceptions->len)
        last = MAX(last, g_array_index(s->exceptions, HoursException, s->exceptions->len - 1).julian);
    last = MIN(last + 7, first + HOURS_HORIZON_DAYS);

    Walk w = { .now = now };
    gint64 day_start = instant(tz, &d, 0);
    for (guint32 j = first; j <= last; j++) {
        Span sp[MAX_SPANS];
        gint64 day_end = instant(tz, &d, HOURS_DAY_MINUTES);
        guint n = day_spans(s, o, tz, &d, day_start, day_end, sp);
        if (walk_day(&w, sp, n, day_end)) {
            *ret = w.result;
            return;
        }
        day_start = day_end;
        g_date_add_days(&d, 1);
    }
    /* No change within the horizon: open for good (closes_at 0), or never opening (opens_at 0). */
    *ret = (HoursState){ .open = w.open };
}

void hours_override_close(GTimeZone *tz, gint64 now, HoursOverride *ret)
{
    GDate d;

    local_date(tz, now, &d);
    *ret = (HoursOverride){ .from = now, .open_until = now, .expires = instant(tz, &d, HOURS_DAY_MINUTES) };
}

bool hours_override_open_until(GTimeZone *tz, gint64 now, int until_minutes, HoursOverride *ret)
{
    GDate d;

    if (until_minutes < 0 || until_minutes > HOURS_DAY_MINUTES)
        return false;
    local_date(tz, now, &d);
    gint64 until = instant(tz, &d, until_minutes);
    if (until <= now)
        return false;
    *ret = (HoursOverride){ .from = now, .open_until = until, .expires = instant(tz, &d, HOURS_DAY_MINUTES) };
    return true;
}
