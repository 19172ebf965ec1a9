/* Tests of today's staff override as the daemon keeps it (agent/opening.c): `open --until`
 * and `close` are written to STATE_DIR/hours.override and read back by the next daemon; an
 * override of an earlier day, or a file that is not one, is dropped and removed; a bad time is
 * refused; the status keys follow. The local time zone and the real clock, as in the daemon. */
#include "opening.h"
#include "record.h"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static void never(gpointer data)
{
    g_assert_not_reached();
}

static char *tmp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *d = g_dir_make_tmp("rk-opening.XXXXXX", &error);
    g_assert_no_error(error);
    return d;
}

static char *file_of(const char *dir)
{
    return g_build_filename(dir, "hours.override", NULL);
}

static void write_override(const char *dir, const char *text)
{
    g_autofree char *path = file_of(dir);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* The value of key in the status keys opening_status adds. */
static char *status_key(Opening *o, const HoursSchedule *s, const char *key)
{
    g_autoptr(GArray) warnings = g_array_new(FALSE, FALSE, sizeof(int));
    RkReply r;
    rk_reply_init_ok(&r);
    opening_status(o, s, warnings, &r);
    g_autofree char *line = rk_reply_finish(&r);
    g_autoptr(RkParsedReply) p = rk_proto_parse_reply(line, strlen(line));
    g_assert_nonnull(p);
    return g_strdup(rk_reply_get(p, key));
}

static void test_persist(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = file_of(dir);
    HoursSchedule off;
    g_autoptr(GError) error = NULL;
    hours_schedule_init(&off);

    Opening *o = opening_new(dir, never, NULL);
    g_assert_null(opening_override(o));
    g_autofree char *none = status_key(o, &off, "override");
    g_assert_cmpstr(none, ==, "-");
    /* Bad times are refused and leave nothing behind. */
    g_assert_false(opening_open_until(o, "25:00", &error));
    g_assert_error(error, RK_OPENING_ERROR, RK_OPENING_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_false(opening_open_until(o, "tonight", &error));
    g_clear_error(&error);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

    /* Open until midnight: kept in the file, and by the next daemon. */
    g_assert_true(opening_open_until(o, "24:00", &error));
    g_assert_no_error(error);
    g_assert_cmpstr(opening_override(o), ==, "open");
    /* On a day closed by the hours it opens the seat until midnight; without hours it only
     * keeps it open (midnight runs into the next day, open all day). */
    HoursSchedule shut;
    hours_schedule_init(&shut);
    shut.enabled = true;
    for (int i = 0; i < 7; i++)
        shut.week[i].n = 0;
    g_autofree char *closes = status_key(o, &shut, "closes_at");
    g_assert_cmpint(g_ascii_strtoll(closes, NULL, 10), >, g_get_real_time() / G_USEC_PER_SEC);
    g_autofree char *open_for_good = status_key(o, &off, "closes_at");
    g_assert_cmpstr(open_for_good, ==, "0");
    opening_free(o);
    g_auto(Record) rec = { 0 };
    g_assert_cmpint(record_load(AT_FDCWD, path, 512, &rec), ==, 0);
    g_assert_true(record_has(&rec, "from") && record_has(&rec, "open_until") && record_has(&rec, "expires"));
    o = opening_new(dir, never, NULL);
    g_assert_cmpstr(opening_override(o), ==, "open");

    /* close replaces it; the seat is closed now, without hours until midnight. */
    opening_close(o);
    g_assert_cmpstr(opening_override(o), ==, "close");
    HoursState st;
    opening_now(o, &off, &st);
    g_assert_false(st.open);
    g_assert_cmpint(st.opens_at, >, g_get_real_time() / G_USEC_PER_SEC);
    g_autofree char *opens = status_key(o, &off, "opens_at");
    g_assert_cmpint(g_ascii_strtoll(opens, NULL, 10), ==, st.opens_at);
    opening_free(o);
    o = opening_new(dir, never, NULL);
    g_assert_cmpstr(opening_override(o), ==, "close");
    opening_free(o);
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* Files that are no override of today: each dropped and removed. */
static void test_dropped(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = file_of(dir);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *lapsed = g_strdup_printf("from=%" G_GINT64_FORMAT "\nopen_until=%" G_GINT64_FORMAT "\nexpires=%" G_GINT64_FORMAT "\n",
                                              now - 7200, now - 3600, now - 1);
    g_autofree char *reversed = g_strdup_printf("from=%" G_GINT64_FORMAT "\nopen_until=%" G_GINT64_FORMAT "\nexpires=%" G_GINT64_FORMAT "\n",
                                                now, now - 1, now + 3600);
    g_autofree char *too_long = g_strdup_printf("from=%" G_GINT64_FORMAT "\nopen_until=%" G_GINT64_FORMAT "\nexpires=%" G_GINT64_FORMAT "\n",
                                                now, now, now + 30 * 3600);
    g_autofree char *extra = g_strdup_printf("from=%" G_GINT64_FORMAT "\nopen_until=%" G_GINT64_FORMAT "\nexpires=%" G_GINT64_FORMAT "\nwho=kari\n",
                                             now, now + 60, now + 3600);
    const char *const bad[] = { lapsed, reversed, too_long, extra, "from=1\n", "from=x\nopen_until=1\nexpires=2\n", "garbage" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        write_override(dir, bad[i]);
        Opening *o = opening_new(dir, never, NULL);
        if (opening_override(o))
            g_error("override %zu was taken: %s", i, bad[i]);
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
        opening_free(o);
    }
    /* The same made today, valid: taken. */
    g_autofree char *good = g_strdup_printf("from=%" G_GINT64_FORMAT "\nopen_until=%" G_GINT64_FORMAT "\nexpires=%" G_GINT64_FORMAT "\n",
                                            now - 60, now - 60, now + 60);
    write_override(dir, good);
    Opening *o = opening_new(dir, never, NULL);
    g_assert_cmpstr(opening_override(o), ==, "close");
    opening_free(o);
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* The status key of the closing warning in force, with warnings WARN (descending, as the
 * configuration keeps them), when the seat is open until the minute at least AHEAD seconds
 * away; -1 when that minute is past midnight (no such time today). */
static long closing_warn_at(const char *dir, int ahead, const int *warn, int n_warn)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autoptr(GDateTime) later = g_date_time_add_seconds(now, ahead + 60 - g_date_time_get_second(now));
    if (g_date_time_get_day_of_year(later) != g_date_time_get_day_of_year(now))
        return -1;
    g_autofree char *hm = g_date_time_format(later, "%H:%M");
    HoursSchedule off;
    hours_schedule_init(&off);
    Opening *o = opening_new(dir, never, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(opening_open_until(o, hm, &error));
    g_autoptr(GArray) warnings = g_array_new(FALSE, FALSE, sizeof(int));
    g_array_append_vals(warnings, warn, (guint)n_warn);
    RkReply r;
    rk_reply_init_ok(&r);
    opening_status(o, &off, warnings, &r);
    g_autofree char *line = rk_reply_finish(&r);
    g_autoptr(RkParsedReply) p = rk_proto_parse_reply(line, strlen(line));
    opening_close(o);
    opening_free(o);
    const char *v = rk_reply_get(p, "closing_warn");
    g_assert_nonnull(v);
    return strtol(v, NULL, 10);
}

/* The default closing warnings, 15 and 5 minutes: none an hour before, the 15 minutes' from
 * 15 to 5 minutes before, then the 5 minutes'. */
static void test_closing_warnings(void)
{
    static const int warn[] = { 900, 300 };
    g_autofree char *dir = tmp_dir();
    long at60 = closing_warn_at(dir, 3600, warn, 2), at7 = closing_warn_at(dir, 420, warn, 2),
         at2 = closing_warn_at(dir, 60, warn, 2);
    if (at60 < 0 || at7 < 0 || at2 < 0) {
        g_test_skip("too close to midnight for a closing today");
        return;
    }
    g_assert_cmpint(at60, ==, 0);
    g_assert_cmpint(at7, ==, 900);
    g_assert_cmpint(at2, ==, 300);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* The messages of the module are its log, not failures. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/opening/persist", test_persist);
    g_test_add_func("/opening/dropped", test_dropped);
    g_test_add_func("/opening/closing-warnings", test_closing_warnings);
    return g_test_run();
}
