/* Tests of the notice text loader's string helpers (session/notice.c).
 *
 * notice.c belongs to the session client, whose objects are not in the libraries the unit
 * tests link; it needs GLib only, so it is compiled into this test directly. */
#include "../../session/notice.c"

#include <glib/gstdio.h>
#include <limits.h>

/* Texts with the built-in English strings only: an empty folder, no language loads. */
static NoticeTexts *builtin_texts(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("rk-notice.XXXXXX", &error);
    g_assert_no_error(error);
    static const char *const langs[] = { "en", NULL };
    NoticeTexts *t = notice_texts_load(dir, langs, &error);
    g_assert_nonnull(t);
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
    return t;
}

static void check_duration(const NoticeTexts *t, long seconds, const char *want)
{
    g_autofree char *got = notice_format_duration(t, "en", seconds);
    g_assert_cmpstr(got, ==, want);
}

/* Whole minutes rounded up, and no overflow at the top of the range: (seconds + 59) / 60
 * overflowed a long for the last 59 values (UBSan: signed integer overflow), found while
 * writing tests/fuzz/fuzz-notice.c; the input is in tests/fuzz/corpus/notice/. */
static void test_duration(void)
{
    g_autoptr(NoticeTexts) t = builtin_texts();
    check_duration(t, LONG_MIN, "0 seconds");
    check_duration(t, -5, "0 seconds");
    check_duration(t, 0, "0 seconds");
    check_duration(t, 59, "59 seconds");
    check_duration(t, 60, "1 min");
    check_duration(t, 61, "2 min");
    check_duration(t, 3599, "1 h");
    check_duration(t, 3600, "1 h");
    check_duration(t, 3601, "1 h 1 min");
    check_duration(t, 7199, "2 h");
    check_duration(t, LONG_MAX - 59, "2562047788015215 h 30 min");
    check_duration(t, LONG_MAX - 58, "2562047788015215 h 30 min");
    check_duration(t, LONG_MAX, "2562047788015215 h 31 min");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/notice/duration", test_duration);
    return g_test_run();
}
