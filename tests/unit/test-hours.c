/* Tests of the opening-hours schedule (common/hours.c): the grammar of a day, weekday ranges,
 * split days, exceptions by date, midnight, daylight saving changes in an explicit time zone,
 * long closures, and the staff's overrides for today. Every time is written as local wall
 * time in the zone under test, and every answer is compared as such. */
#include "hours.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

/* Norway's rules, written out so that the test needs no tzdata: CET, and CEST from the last
 * Sunday of March 02:00 to the last Sunday of October 03:00. In 2026 the clocks go forward on
 * 29 March and back on 25 October. */
#define OSLO "CET-1CEST,M3.5.0,M10.5.0/3"

/* "YYYY-MM-DD HH:MM" local time in tz as unix seconds (a time that exists twice: standard). */
static gint64 at(GTimeZone *tz, const char *when)
{
    int y, mo, d, h, mi;
    g_assert_cmpint(sscanf(when, "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi), ==, 5);
    g_autoptr(GDateTime) t = g_date_time_new(tz, y, mo, d, h, mi, 0);
    g_assert_nonnull(t);
    return g_date_time_to_unix(t);
}

/* unix seconds as "YYYY-MM-DD HH:MM" local time in tz, or "-" for 0. */
static char *show(GTimeZone *tz, gint64 t)
{
    if (!t)
        return g_strdup("-");
    g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc(t);
    g_autoptr(GDateTime) l = g_date_time_to_timezone(u, tz);
    return g_date_time_format(l, "%Y-%m-%d %H:%M");
}

/* A schedule of seven day strings from Monday (NULL: the default, open all day). */
static void week(HoursSchedule *s, const char *const days[7])
{
    const char *err = NULL;
    hours_schedule_init(s);
    s->enabled = true;
    for (int i = 0; i < 7; i++)
        if (days[i] && !hours_parse_day(days[i], &s->week[i], &err))
            g_error("day %d \"%s\": %s", i, days[i], err);
}

static void except(HoursSchedule *s, const char *date, const char *hours)
{
    int y, m, d;
    HoursDay day;
    const char *err = NULL;
    GDate g;
    g_assert_cmpint(sscanf(date, "%d-%d-%d", &y, &m, &d), ==, 3);
    g_date_clear(&g, 1);
    g_date_set_dmy(&g, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
    g_assert_true(hours_parse_day(hours, &day, &err));
    g_assert_true(hours_add_exception(s, g_date_get_julian(&g), &day));
}

/* At local time when: open or not, and the closing and the next opening ("-": none). */
static void expect(const HoursSchedule *s, const HoursOverride *o, GTimeZone *tz, const char *when, bool open,
                   const char *closes, const char *opens)
{
    HoursState st;
    hours_state_at(s, o, tz, at(tz, when), &st);
    g_autofree char *c = show(tz, st.closes_at), *n = show(tz, st.opens_at);
    if (st.open != open || strcmp(c, closes) != 0 || strcmp(n, opens) != 0)
        g_error("at %s: got %s closes %s opens %s; want %s closes %s opens %s", when, st.open ? "open" : "closed", c, n,
                open ? "open" : "closed", closes, opens);
}

static const char *const library[7] = {
    "09:00-16:00", "09:00-16:00", "09:00-12:00,13:00-19:00", "09:00-16:00", "09:00-16:00", "10:00-14:00", "closed",
};

static void test_grammar(void)
{
    HoursDay d;
    const char *err = NULL;
    int m;

    g_assert_true(hours_parse_day("closed", &d, &err));
    g_assert_cmpuint(d.n, ==, 0);
    g_assert_true(hours_parse_day("9:00-16:30", &d, &err));
    g_assert_cmpuint(d.n, ==, 1);
    g_assert_cmpuint(d.r[0].start, ==, 540);
    g_assert_cmpuint(d.r[0].end, ==, 990);
    /* In any order, with spaces, sorted. */
    g_assert_true(hours_parse_day("13:00 - 16:00 , 09:00-12:00", &d, &err));
    g_assert_cmpuint(d.n, ==, 2);
    g_assert_cmpuint(d.r[0].start, ==, 540);
    g_assert_cmpuint(d.r[1].end, ==, 960);
    /* Touching ranges are one. */
    g_assert_true(hours_parse_day("09:00-12:00,12:00-16:00", &d, &err));
    g_assert_cmpuint(d.n, ==, 1);
    g_assert_cmpuint(d.r[0].end, ==, 960);
    g_assert_true(hours_parse_day("00:00-24:00", &d, &err));
    g_assert_cmpuint(d.r[0].end, ==, HOURS_DAY_MINUTES);
    g_assert_true(hours_parse_day("0:00-1:00,2:00-3:00,4:00-5:00,6:00-7:00,8:00-9:00,10:00-11:00,12:00-13:00,14:00-15:00",
                                  &d, &err));
    g_assert_cmpuint(d.n, ==, 8);

    static const char *const bad[] = {
        "", " ", "Closed", "closed ", "open", "9-16", "09:00", "09:00-", "-16:00", "09.00-16.00", "09:60-10:00",
        "25:00-26:00", "24:01-24:30", "24:00-24:00", "16:00-09:00", "09:00-09:00", "09:00-12:00,11:00-13:00",
        "09:00-12:00;13:00-14:00", "09:00-12:00,", ",09:00-12:00", "009:00-10:00", "09:0-10:00", "09:00-16:00x",
        "0:00-1:00,2:00-3:00,4:00-5:00,6:00-7:00,8:00-9:00,10:00-11:00,12:00-13:00,14:00-15:00,16:00-17:00",
        "22:00-02:00",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        err = NULL;
        if (hours_parse_day(bad[i], &d, &err))
            g_error("\"%s\" was accepted", bad[i]);
        g_assert_nonnull(err);
    }

    g_assert_true(hours_parse_clock("18:30", &m));
    g_assert_cmpint(m, ==, 1110);
    g_assert_true(hours_parse_clock("24:00", &m));
    g_assert_cmpint(m, ==, 1440);
    g_assert_true(hours_parse_clock("7:05", &m));
    g_assert_cmpint(m, ==, 425);
    static const char *const bad_clock[] = { "", "18", "18:3", "18:300", "1830", "24:01", "-1:00", " 18:00", "18:00 " };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_clock); i++)
        g_assert_false(hours_parse_clock(bad_clock[i], &m));
}

static void test_weekdays(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    HoursSchedule s;
    week(&s, library);
    /* Monday 7 December 2026. */
    expect(&s, NULL, tz, "2026-12-07 08:59", false, "-", "2026-12-07 09:00");
    expect(&s, NULL, tz, "2026-12-07 09:00", true, "2026-12-07 16:00", "-");
    expect(&s, NULL, tz, "2026-12-07 15:59", true, "2026-12-07 16:00", "-");
    /* The end is not open. */
    expect(&s, NULL, tz, "2026-12-07 16:00", false, "-", "2026-12-08 09:00");
    /* Wednesday: a lunch break. */
    expect(&s, NULL, tz, "2026-12-09 11:00", true, "2026-12-09 12:00", "-");
    expect(&s, NULL, tz, "2026-12-09 12:30", false, "-", "2026-12-09 13:00");
    expect(&s, NULL, tz, "2026-12-09 13:00", true, "2026-12-09 19:00", "-");
    /* Saturday afternoon: closed over Sunday until Monday. */
    expect(&s, NULL, tz, "2026-12-12 15:00", false, "-", "2026-12-14 09:00");
    expect(&s, NULL, tz, "2026-12-13 12:00", false, "-", "2026-12-14 09:00");
    /* A day left out is open all day, so a week of nothing but defaults never closes. */
    const char *const none[7] = { NULL };
    HoursSchedule all;
    week(&all, none);
    expect(&all, NULL, tz, "2026-12-07 03:00", true, "-", "-");
    /* Without the group at all (not enabled): open, nothing in sight. */
    HoursSchedule off;
    hours_schedule_init(&off);
    expect(&off, NULL, tz, "2026-12-07 03:00", true, "-", "-");
    /* Closed every day: never opens. */
    const char *const shut[7] = { "closed", "closed", "closed", "closed", "closed", "closed", "closed" };
    HoursSchedule never;
    week(&never, shut);
    expect(&never, NULL, tz, "2026-12-07 12:00", false, "-", "-");
}

static void test_exceptions(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    HoursSchedule s;
    week(&s, library);
    except(&s, "2026-12-24", "10:00-13:00"); /* Thursday: a short day */
    except(&s, "2026-12-25", "closed");
    except(&s, "2026-12-26", "closed");      /* a Saturday, normally open */
    except(&s, "2026-12-27", "12:00-15:00"); /* a Sunday, normally closed */
    expect(&s, NULL, tz, "2026-12-24 09:30", false, "-", "2026-12-24 10:00");
    expect(&s, NULL, tz, "2026-12-24 12:00", true, "2026-12-24 13:00", "-");
    expect(&s, NULL, tz, "2026-12-24 13:00", false, "-", "2026-12-27 12:00");
    expect(&s, NULL, tz, "2026-12-27 14:00", true, "2026-12-27 15:00", "-");
    expect(&s, NULL, tz, "2026-12-27 15:00", false, "-", "2026-12-28 09:00");
    /* The week goes on as before around them. */
    expect(&s, NULL, tz, "2026-12-23 10:00", true, "2026-12-23 12:00", "-");
    /* A date twice is refused. */
    HoursDay closed = { 0 };
    GDate g;
    g_date_clear(&g, 1);
    g_date_set_dmy(&g, 25, 12, 2026);
    g_assert_false(hours_add_exception(&s, g_date_get_julian(&g), &closed));
    hours_schedule_clear(&s);
    g_assert_null(s.exceptions);
    g_assert_false(s.enabled);
}

static void test_long_closure(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    HoursSchedule s;
    week(&s, library);
    /* Closed for two weeks (a renovation): the next opening is far away. */
    for (int d = 1; d <= 14; d++) {
        g_autofree char *date = g_strdup_printf("2027-02-%02d", d);
        except(&s, date, "closed");
    }
    expect(&s, NULL, tz, "2027-01-30 13:00", true, "2027-01-30 14:00", "-");
    expect(&s, NULL, tz, "2027-01-30 14:00", false, "-", "2027-02-15 09:00");
    expect(&s, NULL, tz, "2027-02-07 11:00", false, "-", "2027-02-15 09:00");
    hours_schedule_clear(&s);

    /* Closed every weekday, open one date months ahead. */
    const char *const shut[7] = { "closed", "closed", "closed", "closed", "closed", "closed", "closed" };
    week(&s, shut);
    except(&s, "2027-06-01", "10:00-11:00");
    expect(&s, NULL, tz, "2026-12-07 12:00", false, "-", "2027-06-01 10:00");
    expect(&s, NULL, tz, "2027-06-01 10:30", true, "2027-06-01 11:00", "-");
    expect(&s, NULL, tz, "2027-06-01 11:00", false, "-", "-");
    hours_schedule_clear(&s);
}

static void test_midnight(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    HoursSchedule s;
    /* Friday evening into the small hours of Saturday: one opening across midnight. */
    const char *const late[7] = { "closed", "closed", "closed", "closed", "18:00-24:00", "00:00-02:00,10:00-14:00", "closed" };
    week(&s, late);
    expect(&s, NULL, tz, "2026-12-11 23:00", true, "2026-12-12 02:00", "-");
    expect(&s, NULL, tz, "2026-12-11 23:59", true, "2026-12-12 02:00", "-");
    expect(&s, NULL, tz, "2026-12-12 00:00", true, "2026-12-12 02:00", "-");
    expect(&s, NULL, tz, "2026-12-12 02:00", false, "-", "2026-12-12 10:00");
    expect(&s, NULL, tz, "2026-12-12 14:00", false, "-", "2026-12-18 18:00");
    /* Open to midnight with nothing after it: closes at midnight. */
    const char *const evening[7] = { "20:00-24:00", "closed", "closed", "closed", "closed", "closed", "closed" };
    week(&s, evening);
    expect(&s, NULL, tz, "2026-12-07 23:30", true, "2026-12-08 00:00", "-");
    expect(&s, NULL, tz, "2026-12-08 00:00", false, "-", "2026-12-14 20:00");
    /* Open round the clock but for one exception: closes at the midnight before it. */
    const char *const none[7] = { NULL };
    week(&s, none);
    except(&s, "2026-12-25", "closed");
    expect(&s, NULL, tz, "2026-12-20 12:00", true, "2026-12-25 00:00", "-");
    expect(&s, NULL, tz, "2026-12-25 12:00", false, "-", "2026-12-26 00:00");
    hours_schedule_clear(&s);
}

static void test_dst(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(OSLO);
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_assert_nonnull(tz);
    HoursSchedule s;
    HoursState st;
    /* Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST. 01:00-04:00 is two real hours. */
    const char *const night[7] = { "closed", "closed", "closed", "closed", "closed", "closed", "01:00-04:00" };
    week(&s, night);
    hours_state_at(&s, NULL, tz, at(utc, "2026-03-29 00:30"), &st); /* 01:30 CET */
    g_assert_true(st.open);
    g_assert_cmpint(st.closes_at, ==, at(utc, "2026-03-29 02:00")); /* 04:00 CEST */
    g_assert_cmpint(st.closes_at - at(utc, "2026-03-29 00:00"), ==, 2 * 3600);
    /* Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET. The same hours last four. */
    hours_state_at(&s, NULL, tz, at(utc, "2026-10-24 23:30"), &st); /* 01:30 CEST */
    g_assert_true(st.open);
    g_assert_cmpint(st.closes_at, ==, at(utc, "2026-10-25 03:00")); /* 04:00 CET */
    g_assert_cmpint(st.closes_at - at(utc, "2026-10-24 23:00"), ==, 4 * 3600);
    /* The hour that happens twice is open both times. */
    hours_state_at(&s, NULL, tz, at(utc, "2026-10-25 00:30"), &st); /* 02:30 CEST */
    g_assert_true(st.open);
    hours_state_at(&s, NULL, tz, at(utc, "2026-10-25 01:30"), &st); /* 02:30 CET */
    g_assert_true(st.open);

    /* A time the change skips opens at the end of the gap: 02:30 does not exist, 03:00 CEST. */
    const char *const gap[7] = { "closed", "closed", "closed", "closed", "closed", "closed", "02:30-05:00" };
    week(&s, gap);
    hours_state_at(&s, NULL, tz, at(utc, "2026-03-28 23:00"), &st); /* 00:00 CET */
    g_assert_false(st.open);
    g_assert_cmpint(st.opens_at, ==, at(utc, "2026-03-29 01:00")); /* 03:00 CEST */
    /* A time that happens twice is its second, standard-time occurrence: 02:30 CET. */
    hours_state_at(&s, NULL, tz, at(utc, "2026-10-24 23:00"), &st);
    g_assert_false(st.open);
    g_assert_cmpint(st.opens_at, ==, at(utc, "2026-10-25 01:30"));
    /* A library day is the same wall time on both sides of a change. */
    week(&s, library);
    expect(&s, NULL, tz, "2026-03-27 10:00", true, "2026-03-27 16:00", "-");
    expect(&s, NULL, tz, "2026-03-28 15:00", false, "-", "2026-03-30 09:00");
    hours_state_at(&s, NULL, tz, at(tz, "2026-03-28 15:00"), &st);
    /* 42 hours of wall time, 41 real ones. */
    g_assert_cmpint(st.opens_at - at(tz, "2026-03-28 15:00"), ==, 41 * 3600);
    expect(&s, NULL, tz, "2026-10-24 15:00", false, "-", "2026-10-26 09:00");
    hours_state_at(&s, NULL, tz, at(tz, "2026-10-24 15:00"), &st);
    g_assert_cmpint(st.opens_at - at(tz, "2026-10-24 15:00"), ==, 43 * 3600);
}

static void test_overrides(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
    HoursSchedule s;
    HoursOverride o;
    week(&s, library);

    /* close at 10:00 on Monday: closed until Tuesday's opening; on Tuesday the week rules. */
    hours_override_close(tz, at(tz, "2026-12-07 10:00"), &o);
    g_assert_cmpint(o.expires, ==, at(tz, "2026-12-08 00:00"));
    expect(&s, &o, tz, "2026-12-07 10:00", false, "-", "2026-12-08 09:00");
    expect(&s, &o, tz, "2026-12-07 15:00", false, "-", "2026-12-08 09:00");
    expect(&s, &o, tz, "2026-12-08 10:00", true, "2026-12-08 16:00", "-");
    /* On a split day the next regular opening is after lunch. */
    hours_override_close(tz, at(tz, "2026-12-09 10:00"), &o);
    expect(&s, &o, tz, "2026-12-09 10:00", false, "-", "2026-12-09 13:00");
    expect(&s, &o, tz, "2026-12-09 14:00", true, "2026-12-09 19:00", "-");
    /* close while closed changes nothing. */
    hours_override_close(tz, at(tz, "2026-12-07 07:00"), &o);
    expect(&s, &o, tz, "2026-12-07 07:00", false, "-", "2026-12-07 09:00");

    /* open --until 18:00 after closing time (16:00). */
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-12-07 17:00"), 18 * 60, &o));
    expect(&s, &o, tz, "2026-12-07 17:00", true, "2026-12-07 18:00", "-");
    expect(&s, &o, tz, "2026-12-07 18:00", false, "-", "2026-12-08 09:00");
    /* open --until 20:00 during opening hours: the day is longer. */
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-12-07 10:00"), 20 * 60, &o));
    expect(&s, &o, tz, "2026-12-07 10:00", true, "2026-12-07 20:00", "-");
    /* open --until 12:00 during opening hours: the day is shorter. */
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-12-07 10:00"), 12 * 60, &o));
    expect(&s, &o, tz, "2026-12-07 11:00", true, "2026-12-07 12:00", "-");
    expect(&s, &o, tz, "2026-12-07 12:00", false, "-", "2026-12-08 09:00");
    /* open early, before the regular opening it runs into: one opening to the regular end. */
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-12-09 07:00"), 9 * 60, &o));
    expect(&s, &o, tz, "2026-12-09 07:30", true, "2026-12-09 12:00", "-");
    /* ... and early until a time before it: closed in between. */
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-12-09 06:00"), 7 * 60, &o));
    expect(&s, &o, tz, "2026-12-09 06:30", true, "2026-12-09 07:00", "-");
    expect(&s, &o, tz, "2026-12-09 07:00", false, "-", "2026-12-09 09:00");
    /* On Sunday (closed) until midnight. */
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-12-13 12:00"), 24 * 60, &o));
    expect(&s, &o, tz, "2026-12-13 23:00", true, "2026-12-14 00:00", "-");
    expect(&s, &o, tz, "2026-12-14 00:00", false, "-", "2026-12-14 09:00");
    /* A time not later than now is refused. */
    g_assert_false(hours_override_open_until(tz, at(tz, "2026-12-07 17:00"), 17 * 60, &o));
    g_assert_false(hours_override_open_until(tz, at(tz, "2026-12-07 17:00"), 9 * 60, &o));
    g_assert_false(hours_override_open_until(tz, at(tz, "2026-12-07 17:00"), 24 * 60 + 1, &o));

    /* Without opening hours: `close` lasts the day, `open --until` ends it early. */
    HoursSchedule off;
    hours_schedule_init(&off);
    hours_override_close(tz, at(tz, "2026-12-07 15:00"), &o);
    expect(&off, &o, tz, "2026-12-07 15:00", false, "-", "2026-12-08 00:00");
    expect(&off, &o, tz, "2026-12-08 00:00", true, "-", "-");
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-12-07 15:00"), 18 * 60, &o));
    expect(&off, &o, tz, "2026-12-07 15:00", true, "2026-12-07 18:00", "-");
    expect(&off, &o, tz, "2026-12-07 19:00", false, "-", "2026-12-08 00:00");
    /* No override (from = 0) is the schedule itself. */
    HoursOverride none = { 0 };
    expect(&s, &none, tz, "2026-12-07 10:00", true, "2026-12-07 16:00", "-");
}

/* A staff override across a DST change: the day it ends is the local day. */
static void test_override_dst(void)
{
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(OSLO);
    g_assert_nonnull(tz);
    HoursSchedule s;
    HoursOverride o;
    week(&s, library);
    /* Saturday 24 October: closed at 14:00; open until 23:00 from 20:00. */
    g_assert_true(hours_override_open_until(tz, at(tz, "2026-10-24 20:00"), 23 * 60, &o));
    expect(&s, &o, tz, "2026-10-24 22:59", true, "2026-10-24 23:00", "-");
    /* Sunday 25 October (25 hours long): `close` expires at the next local midnight. */
    hours_override_close(tz, at(tz, "2026-10-25 01:00"), &o);
    g_assert_cmpint(o.expires - at(tz, "2026-10-25 00:00"), ==, 25 * 3600);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hours/grammar", test_grammar);
    g_test_add_func("/hours/weekdays", test_weekdays);
    g_test_add_func("/hours/exceptions", test_exceptions);
    g_test_add_func("/hours/long-closure", test_long_closure);
    g_test_add_func("/hours/midnight", test_midnight);
    g_test_add_func("/hours/dst", test_dst);
    g_test_add_func("/hours/overrides", test_overrides);
    g_test_add_func("/hours/override-dst", test_override_dst);
    return g_test_run();
}
