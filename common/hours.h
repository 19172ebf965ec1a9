/* Opening hours: a weekly schedule with exceptions by date and today's staff override, turned
 * into "open now? until when? when next?".
 *
 * Pure: no clock, no file, no logging. The caller passes the time zone and the time, so tests
 * can put a schedule into any zone and across any daylight saving change. Times of day are
 * local wall-clock times; a time that a DST change skips (02:30 on the night the clocks go
 * forward) counts as the end of the gap (03:00), and one that occurs twice (02:30 on the night
 * they go back) as its second, standard-time occurrence (GLib's g_date_time_new() rule).
 * In common/ because the configuration loader parses the schedule and the daemon evaluates
 * it; both must agree on one grammar. Any thread. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define HOURS_DAY_MINUTES (24 * 60)
#define HOURS_MAX_RANGES 8        /* opening ranges per day */
#define HOURS_MAX_EXCEPTIONS 400  /* dated exceptions in a schedule */
/* How far hours_state_at looks ahead for a change, at most: past the last exception, the
 * week repeats, so a week more decides; this bounds the search all the same. */
#define HOURS_HORIZON_DAYS 400

/* One opening range of a day, in minutes after local midnight: start < end <= 1440 (24:00). */
typedef struct {
    guint16 start, end;
} HoursRange;

/* A day's opening: n ranges in order, neither overlapping nor touching; n = 0: closed. */
typedef struct {
    guint n;
    HoursRange r[HOURS_MAX_RANGES];
} HoursDay;

/* A date's own hours in place of its weekday's (a holiday, a short day). */
typedef struct {
    guint32 julian; /* GDate julian day number */
    HoursDay day;
} HoursException;

typedef struct {
    bool enabled;       /* false: no schedule at all (always open, unless staff say otherwise) */
    HoursDay week[7];   /* [0] Monday ... [6] Sunday */
    GArray *exceptions; /* HoursException, sorted by date, each date once; NULL = none */
} HoursSchedule;

/* The staff's override for today (rentarkctl open --until / close): open in [from, open_until)
 * (open_until == from: `close`), and from open_until to expires (the end of that local day)
 * closed, but for the regular periods that begin at or after open_until. from = 0: none. */
typedef struct {
    gint64 from;       /* unix seconds */
    gint64 open_until; /* unix seconds, >= from */
    gint64 expires;    /* unix seconds: the local midnight that ends from's day */
} HoursOverride;

typedef struct {
    bool open;        /* open at the time asked */
    gint64 closes_at; /* open: the end of this opening (unix s); 0 = none within the horizon */
    gint64 opens_at;  /* closed: the next opening (unix s); 0 = none within the horizon */
} HoursState;

/* A schedule that is always open (the week all 00:00-24:00, no exceptions, not enabled). */
void hours_schedule_init(HoursSchedule *s);
/* Free the exceptions; the schedule is left as hours_schedule_init makes it. */
void hours_schedule_clear(HoursSchedule *s);

/* "HH:MM" (H or HH, 00:00 to 24:00) into minutes after midnight. */
bool hours_parse_clock(const char *text, int *ret_minutes);
/* A day: "closed", or ranges "HH:MM-HH:MM" separated by commas (spaces around ',' and '-' are
 * allowed), in any order; touching ranges are joined. false with *ret_error (a static
 * sentence) for anything else: a bad time, an empty or reversed range, overlapping ranges,
 * more than HOURS_MAX_RANGES. */
bool hours_parse_day(const char *text, HoursDay *ret, const char **ret_error);
/* Add an exception for julian day (1 or more) to s, keeping them sorted. false when that date
 * has one already or there are HOURS_MAX_EXCEPTIONS. */
bool hours_add_exception(HoursSchedule *s, guint32 julian, const HoursDay *day);

/* Whether s, with override o (NULL or from = 0: none), is open at now (unix seconds) in time
 * zone tz, and until when or from when. */
void hours_state_at(const HoursSchedule *s, const HoursOverride *o, GTimeZone *tz, gint64 now, HoursState *ret);

/* Today's overrides, made at now in tz: `close` (closed from now until the next regular
 * opening, at the latest the end of the day) and `open --until` (open from now until
 * until_minutes today, then as `close`). The latter is false when that time is not later than
 * now. */
void hours_override_close(GTimeZone *tz, gint64 now, HoursOverride *ret);
bool hours_override_open_until(GTimeZone *tz, gint64 now, int until_minutes, HoursOverride *ret);
