/* Tests of the text helpers of the session client (session/notice.c): durations in words,
 * placeholders, the gettext catalogues, the languages' own names and direction.
 *
 * notice.c belongs to the session client, whose objects are not in the libraries the unit
 * tests link; it needs GLib only, so it is compiled into this test directly. */
#include "../../session/notice.c"

#include <limits.h>

static void check_duration(long seconds, const char *want)
{
    g_autofree char *got = notice_format_duration(seconds);
    g_assert_cmpstr(got, ==, want);
}

/* Whole minutes rounded up, and no overflow at the top of the range: (seconds + 59) / 60
 * overflowed a long for the last 59 values (UBSan: signed integer overflow), found while
 * writing tests/fuzz/fuzz-notice.c; the input is in tests/fuzz/corpus/notice/. */
static void test_duration(void)
{
    notice_use_language("en");
    check_duration(LONG_MIN, "0 seconds");
    check_duration(-5, "0 seconds");
    check_duration(0, "0 seconds");
    check_duration(1, "1 second");
    check_duration(59, "59 seconds");
    check_duration(60, "1 minute");
    check_duration(61, "2 minutes");
    check_duration(3599, "1 hour");
    check_duration(3600, "1 hour");
    check_duration(3601, "1 hour 1 minute");
    check_duration(7199, "2 hours");
    check_duration(7260, "2 hours 1 minute");
    check_duration(LONG_MAX - 59, "2562047788015215 hours 30 minutes");
    check_duration(LONG_MAX - 58, "2562047788015215 hours 30 minutes");
    check_duration(LONG_MAX, "2562047788015215 hours 31 minutes");
}

/* The catalogues built from po/ (RK_BUILD/locale): the language switches per call of
 * notice_use_language(), plural forms follow the language's rule, and back to English. */
static void test_catalogue(void)
{
    const char *build = g_getenv("RK_BUILD");
    g_autofree char *dir = g_build_filename(build ? build : "build", "locale", NULL);
    g_autofree char *mo = g_build_filename(dir, "pl", "LC_MESSAGES", "rentark.mo", NULL);
    if (!g_file_test(mo, G_FILE_TEST_EXISTS)) {
        g_test_skip("the catalogues are not built (make)");
        return;
    }
    notice_i18n_init(dir);
    notice_use_language("nb");
    g_assert_cmpstr(_("Log out"), ==, "Logg ut");
    /* Polish: 1 minuta, 2-4 minuty, 5 minut: three forms. */
    notice_use_language("pl");
    g_autofree char *one = notice_format_duration(60), *two = notice_format_duration(120), *five = notice_format_duration(300);
    g_assert_true(strcmp(one, two) != 0 && strcmp(two, five) != 0 && strcmp(one, five) != 0);
    notice_use_language("en");
    g_assert_cmpstr(_("Log out"), ==, "Log out");
}

/* Placeholders: only the names given are replaced, a brace without a name stays. */
static void test_format(void)
{
    g_autofree char *a = notice_format("{name} has {n} {x} {", "name", "Kari", "n", "3", NULL);
    g_assert_cmpstr(a, ==, "Kari has 3 {x} {");
    g_autofree char *b = notice_format("{n}{n}", "n", "{n}", NULL);
    g_assert_cmpstr(b, ==, "{n}{n}");
}

static void test_languages(void)
{
    g_assert_cmpstr(notice_autonym("se"), ==, "Davvis\u00e1megiella");
    g_assert_cmpstr(notice_autonym("xx"), ==, "xx");
    g_assert_true(notice_is_rtl("ar"));
    g_assert_false(notice_is_rtl("uk"));
}

/* The screen reader's voice: the patron's language where espeak-ng has a voice, bokmål for
 * Northern Sámi and nynorsk (with their own messages first). */
static void test_reader_locale(void)
{
    static const char *const cases[][3] = {
        { "nb", "nb_NO.UTF-8", "nb" }, { "en", "en_GB.UTF-8", "en" }, { "uk", "uk_UA.UTF-8", "uk" },
        { "ar", "ar_EG.UTF-8", "ar" }, { "pl", "pl_PL.UTF-8", "pl" }, { "se", "nb_NO.UTF-8", "se:nb" },
        { "nn", "nb_NO.UTF-8", "nn:nb" }, { "so", "so_SO.UTF-8", "so" }, { "xx", "C.UTF-8", "xx" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *voice = NULL, *langs = NULL;
        notice_reader_locale(cases[i][0], &voice, &langs);
        g_assert_cmpstr(voice, ==, cases[i][1]);
        g_assert_cmpstr(langs, ==, cases[i][2]);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/notice/duration", test_duration);
    g_test_add_func("/notice/catalogue", test_catalogue);
    g_test_add_func("/notice/format", test_format);
    g_test_add_func("/notice/languages", test_languages);
    g_test_add_func("/notice/reader-locale", test_reader_locale);
    return g_test_run();
}
