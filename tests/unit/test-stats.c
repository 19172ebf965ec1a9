/* Tests of the statistics: persistence across a restart, every kind of damaged file (zeroes, a
 * warning, the file kept aside), histogram arithmetic at the bucket edges, and the Prometheus
 * textfile checked line by line by a strict checker of the text format. */
#include "stats.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char *tmp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *d = g_dir_make_tmp("rk-stats.XXXXXX", &error);
    g_assert_no_error(error);
    return d;
}

static void rm_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, n, NULL);
        if (g_remove(p) < 0)
            g_assert_cmpint(g_rmdir(p), ==, 0);
    }
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static guint count_prefix(const char *dir, const char *prefix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *n;
    guint c = 0;
    while ((n = g_dir_read_name(d)))
        c += g_str_has_prefix(n, prefix);
    return c;
}

static void fill(Stats *s)
{
    uint64_t entries[RK_WIPE_N] = { 1200, 14, 3, 1, 0, 2, 5 };
    stats_record_session(s, FALSE, END_LOGOUT, 25 * 60000);
    stats_record_session(s, TRUE, END_BUTTON, 70 * 60000);
    stats_record_session(s, FALSE, END_IDLE, 4 * 60000);
    stats_record_session(s, FALSE, END_DECLINE, 9000);
    stats_record_wipe(s, 420, TRUE, entries, 1790000000);
    stats_record_wipe(s, 31000, FALSE, entries, 1790000100);
    stats_record_wipe(s, 80, TRUE, NULL, 1790000200);
    stats_record_incident(s, STATS_INCIDENT_OPENED);
    stats_record_incident(s, STATS_INCIDENT_OPENED);
    stats_record_incident(s, STATS_INCIDENT_RESOLVED);
}

/* An independent JSON parser: Python's, when the machine has it. */
static void check_json_with_python(const char *json)
{
    g_autofree char *py = g_find_program_in_path("python3");
    if (!py) {
        g_test_message("python3 missing: JSON checked by the strict reader only");
        return;
    }
    g_autofree char *dir = tmp_dir();
    g_autofree char *p = g_build_filename(dir, "x.json", NULL);
    g_assert_true(g_file_set_contents(p, json, -1, NULL));
    const char *argv[] = { py, "-c", "import json,sys; d=json.load(open(sys.argv[1])); "
                           "assert d['version']==1 and isinstance(d['sessions']['total'], int)",
                           p, NULL };
    gint status = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                               &status, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    rm_dir(dir);
}

static void test_missing(void)
{
    g_autofree char *dir = tmp_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_load(dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(s);
    g_assert_cmpuint(stats_sessions(s, FALSE), ==, 0);
    g_autofree char *json = stats_to_json(s);
    g_autoptr(Stats) again = stats_from_json(json, strlen(json), &error);
    g_assert_no_error(error);
    g_assert_nonnull(again);
    check_json_with_python(json);
    rm_dir(dir);
}

static void test_round_trip(void)
{
    g_autofree char *dir = tmp_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_load(dir, &error);
    g_assert_no_error(error);
    fill(s);
    g_assert_true(stats_save(s, &error));
    g_assert_no_error(error);
    g_autofree char *path = g_build_filename(dir, "stats.state", NULL);
    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0640);

    /* A restart: everything comes back, and keeps counting. */
    g_autoptr(Stats) back = stats_load(dir, &error);
    g_assert_no_error(error);
    g_autofree char *a = stats_to_json(s);
    g_autofree char *b = stats_to_json(back);
    g_assert_cmpstr(a, ==, b);
    check_json_with_python(a);
    g_assert_cmpuint(stats_sessions(back, FALSE), ==, 4);
    g_assert_cmpuint(stats_sessions(back, TRUE), ==, 1);
    g_assert_cmpuint(stats_end_reason(back, END_DECLINE), ==, 1);
    g_assert_cmpuint(stats_wiped_entries(back, RK_WIPE_HOME), ==, 2400);
    g_assert_cmpuint(stats_wiped_entries(back, RK_WIPE_WATCH), ==, 10);
    stats_record_session(back, TRUE, END_STAFF, 1000);
    g_assert_true(stats_save(back, &error));
    g_autoptr(Stats) third = stats_load(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(stats_sessions(third, TRUE), ==, 2);

    g_autofree char *text = stats_to_text(third);
    g_assert_nonnull(strstr(text, "sessions              5 (guided 2)"));
    g_assert_nonnull(strstr(text, "wipes                 3 (verified 2, failed 1)"));
    g_assert_nonnull(strstr(text, "opened 2, resolved 1, open 1"));
    g_assert_nonnull(strstr(text, "home 2400"));
    g_test_message("%s", text);
    rm_dir(dir);
}

/* A file of a release before the wipe buckets of 2 and 3 s lacks them: it loads with each as
 * the bucket below it (an old wipe between 1 and 5 s is counted as longer than 3 s, never
 * shorter than it was), the histogram stays cumulative, and the next save writes them. */
/* The file stats_save wrote in dir. */
static char *saved_text(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "stats.state", NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* text, less the lines that match pattern, written as dir's file, loaded and saved again: what
 * the next save writes. */
static char *load_without(const char *dir, const char *text, const char *pattern)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_MULTILINE, 0, NULL);
    g_autofree char *old = g_regex_replace_literal(re, text, -1, 0, "", 0, NULL);
    g_assert_cmpuint(strlen(old), <, strlen(text));
    g_autofree char *path = g_build_filename(dir, "stats.state", NULL);
    g_assert_true(g_file_set_contents(path, old, -1, NULL));
    g_autoptr(Stats) back = stats_load(dir, &error);
    g_assert_no_error(error);
    g_assert_true(stats_save(back, &error));
    return saved_text(dir);
}

static void test_added_buckets(void)
{
    g_autofree char *dir = tmp_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_new(dir);
    const uint64_t ms[] = { 40, 700, 1500, 2500, 4000, 6000 };
    for (size_t i = 0; i < G_N_ELEMENTS(ms); i++)
        stats_record_wipe(s, ms[i], TRUE, NULL, 1000);
    g_assert_true(stats_save(s, &error));
    g_autofree char *text = saved_text(dir);
    g_assert_nonnull(strstr(text, "wipe_duration.buckets.1=2\n"));
    g_assert_nonnull(strstr(text, "wipe_duration.buckets.2=3\n"));
    g_assert_nonnull(strstr(text, "wipe_duration.buckets.3=4\n"));
    g_assert_nonnull(strstr(text, "wipe_duration.buckets.5=5\n"));
    g_autofree char *both = load_without(dir, text, "^wipe_duration\\.buckets\\.[23]=[0-9]+\n");
    g_assert_nonnull(strstr(both, "wipe_duration.buckets.1=2\n"));
    g_assert_nonnull(strstr(both, "wipe_duration.buckets.2=2\n"));
    g_assert_nonnull(strstr(both, "wipe_duration.buckets.3=2\n"));
    g_assert_nonnull(strstr(both, "wipe_duration.buckets.5=5\n"));
    /* Only the 3 s bucket missing: it is the 2 s bucket's. */
    g_autofree char *one = load_without(dir, text, "^wipe_duration\\.buckets\\.3=[0-9]+\n");
    g_assert_nonnull(strstr(one, "wipe_duration.buckets.2=3\n"));
    g_assert_nonnull(strstr(one, "wipe_duration.buckets.3=3\n"));
    /* An old bucket that is missing is still an error. */
    g_autoptr(GRegex) re5 = g_regex_new("^wipe_duration\\.buckets\\.5=[0-9]+\n", G_REGEX_MULTILINE, 0, NULL);
    g_autofree char *broken = g_regex_replace_literal(re5, text, -1, 0, "", 0, NULL);
    g_autoptr(Stats) none = stats_from_records(broken, strlen(broken), &error);
    g_assert_null(none);
    g_assert_error(error, STATS_ERROR, STATS_ERROR_CORRUPT);
    rm_dir(dir);
}

/* A file of the release before end reason "closing" existed lacks its key: it loads, the new
 * reason counts from 0, and the next save writes it. */
static void test_added_reason(void)
{
    g_autofree char *dir = tmp_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_load(dir, &error);
    g_assert_no_error(error);
    fill(s);
    g_assert_true(stats_save(s, &error));
    g_autofree char *path = g_build_filename(dir, "stats.state", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_autoptr(GRegex) re = g_regex_new("^end_reasons\\.closing=0\n", G_REGEX_MULTILINE, 0, NULL);
    g_autofree char *old = g_regex_replace_literal(re, text, -1, 0, "", 0, NULL);
    g_assert_cmpuint(strlen(old), <, strlen(text));
    g_assert_true(g_file_set_contents(path, old, -1, NULL));
    g_autoptr(Stats) back = stats_load(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(stats_sessions(back, FALSE), ==, 4);
    g_assert_cmpuint(stats_end_reason(back, END_CLOSING), ==, 0);
    stats_record_session(back, FALSE, END_CLOSING, 1000);
    g_assert_true(stats_save(back, &error));
    g_autoptr(Stats) third = stats_load(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(stats_end_reason(third, END_CLOSING), ==, 1);
    /* An old key that is missing is still an error. */
    g_autoptr(GRegex) re2 = g_regex_new("^end_reasons\\.idle=[0-9]+\n", G_REGEX_MULTILINE, 0, NULL);
    g_autofree char *broken = g_regex_replace_literal(re2, old, -1, 0, "", 0, NULL);
    g_assert_cmpuint(strlen(broken), <, strlen(old));
    g_autoptr(Stats) none = stats_from_records(broken, strlen(broken), &error);
    g_assert_null(none);
    g_assert_error(error, STATS_ERROR, STATS_ERROR_CORRUPT);
    rm_dir(dir);
}

/* A damaged file `name` gives zeroes, a STATS_ERROR_CORRUPT warning, and the bytes kept aside;
 * the next save starts a clean file. */
static void check_corrupt(const char *name, const char *what, const char *data, size_t len)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *prefix = g_strconcat(name, ".corrupt-", NULL);
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_load(dir, &error);
    g_test_message("%s: %s", what, error ? error->message : "(no error)");
    g_assert_nonnull(s);
    g_assert_error(error, STATS_ERROR, STATS_ERROR_CORRUPT);
    g_assert_cmpuint(stats_sessions(s, FALSE), ==, 0);
    g_assert_cmpuint(stats_wiped_entries(s, RK_WIPE_HOME), ==, 0);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(count_prefix(dir, prefix), ==, 1);
    /* The bytes are kept, as they were. */
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autofree char *aside = g_build_filename(dir, g_dir_read_name(d), NULL);
    g_autofree char *kept = NULL;
    gsize kept_len = 0;
    g_assert_true(g_file_get_contents(aside, &kept, &kept_len, NULL));
    g_assert_cmpmem(kept, kept_len, data, len);
    /* And saving starts a clean file. */
    g_assert_true(stats_save(s, NULL));
    g_clear_error(&error);
    g_autoptr(Stats) again = stats_load(dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(again);
    rm_dir(dir);
}

/* Each damaged JSON file of an earlier version: zeroes, a STATS_ERROR_CORRUPT warning, and the
 * bytes kept aside. */
static void test_corrupt(void)
{
    Stats *good = stats_new(NULL);
    fill(good);
    g_autofree char *valid = stats_to_json(good);
    stats_free(good);
    g_autofree char *truncated = g_strndup(valid, strlen(valid) / 2);
    g_autoptr(GString) huge = g_string_new(valid);
    g_string_replace(huge, "\"home\": 2400", "\"home\": 99999999999999999999999", 1);
    g_autoptr(GString) max_plus = g_string_new(valid);
    g_string_replace(max_plus, "\"home\": 2400", "\"home\": 18446744073709551616", 1);
    g_autoptr(GString) negative = g_string_new(valid);
    g_string_replace(negative, "\"home\": 2400", "\"home\": -1", 1);
    g_autoptr(GString) fractional = g_string_new(valid);
    g_string_replace(fractional, "\"home\": 2400", "\"home\": 2400.5", 1);
    g_autoptr(GString) string_val = g_string_new(valid);
    g_string_replace(string_val, "\"home\": 2400", "\"home\": \"2400\"", 1);
    g_autoptr(GString) obj_for_num = g_string_new(valid);
    g_string_replace(obj_for_num, "\"home\": 2400", "\"home\": {}", 1);
    g_autoptr(GString) num_for_obj = g_string_new(valid);
    g_string_replace(num_for_obj, "\"incidents\": {\n    \"opened\": 2,\n    \"resolved\": 1\n  }",
                     "\"incidents\": 3", 1);
    g_assert_cmpstr(num_for_obj->str, !=, valid);
    g_autoptr(GString) inconsistent = g_string_new(valid);
    g_string_replace(inconsistent, "\"total\": 4", "\"total\": 5", 1);
    g_autoptr(GString) dup = g_string_new(valid);
    g_string_replace(dup, "\"guided\": 1", "\"guided\": 1, \"guided\": 1", 1);
    g_autoptr(GString) unknown = g_string_new(valid);
    g_string_replace(unknown, "\"guided\": 1", "\"guided\": 1, \"name\": 1", 1);
    g_autoptr(GString) version = g_string_new(valid);
    g_string_replace(version, "\"version\": 1", "\"version\": 2", 1);
    g_autoptr(GString) trailing = g_string_new(valid);
    g_string_append(trailing, "{}");
    g_autoptr(GString) big = g_string_new(valid);
    g_string_append(big, "\n");
    while (big->len <= STATS_MAX_FILE)
        g_string_append(big, "        ");
    g_autoptr(GString) nul = g_string_new(valid);
    nul->str[10] = '\0';
    const struct {
        const char *name, *data;
        size_t len;
    } cases[] = {
        { "garbage", "\x89PNG\r\n\x1a\n garbage \xff\xfe", 20 },
        { "empty", "", 0 },
        { "truncated", truncated, strlen(truncated) },
        { "huge number", huge->str, huge->len },
        { "UINT64_MAX + 1", max_plus->str, max_plus->len },
        { "negative", negative->str, negative->len },
        { "fraction", fractional->str, fractional->len },
        { "string value", string_val->str, string_val->len },
        { "object for a number", obj_for_num->str, obj_for_num->len },
        { "number for an object", num_for_obj->str, num_for_obj->len },
        { "inconsistent totals", inconsistent->str, inconsistent->len },
        { "duplicate key", dup->str, dup->len },
        { "unknown key", unknown->str, unknown->len },
        { "other version", version->str, version->len },
        { "trailing data", trailing->str, trailing->len },
        { "too large", big->str, big->len },
        { "NUL byte", nul->str, nul->len },
        { "array", "[1, 2]", 6 },
        { "deep", "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", 25 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        check_corrupt("stats.json", cases[i].name, cases[i].data, cases[i].len);
}

/* The record file of a filled Stats, as stats_save writes it. */
static char *saved_record(size_t *ret_len)
{
    g_autofree char *dir = tmp_dir();
    g_autoptr(Stats) s = stats_load(dir, NULL);
    fill(s);
    g_assert_true(stats_save(s, NULL));
    g_autofree char *path = g_build_filename(dir, "stats.state", NULL);
    char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    rm_dir(dir);
    *ret_len = len;
    return text;
}

static char *replaced(const char *text, const char *from, const char *to)
{
    g_autoptr(GString) g = g_string_new(text);
    g_assert_cmpuint(g_string_replace(g, from, to, 1), ==, 1);
    return g_string_free(g_steal_pointer(&g), FALSE);
}

/* Each damaged record file: the same as for the JSON of earlier versions. */
static void test_corrupt_records(void)
{
    size_t len;
    g_autofree char *valid = saved_record(&len);
    g_assert_nonnull(strstr(valid, "\nwiped_entries.home=2400\n"));
    g_autoptr(GString) big = g_string_new(valid);
    while (big->len <= STATS_MAX_FILE)
        g_string_append(big, "x=1\n");
    g_autofree char *nul = g_strdup(valid);
    nul[10] = '\0';
    const struct {
        const char *name;
        char *data;
    } cases[] = {
        { "garbage", g_strdup("\x89PNG\r\n\x1a\n garbage \xff\xfe") },
        { "truncated", g_strndup(valid, len / 2) },
        { "no final newline", g_strndup(valid, len - 1) },
        { "huge number", replaced(valid, "home=2400", "home=99999999999999999999999") },
        { "UINT64_MAX + 1", replaced(valid, "home=2400", "home=18446744073709551616") },
        { "negative", replaced(valid, "home=2400", "home=-1") },
        { "sign", replaced(valid, "home=2400", "home=+2400") },
        { "leading zero", replaced(valid, "home=2400", "home=02400") },
        { "space", replaced(valid, "home=2400", "home= 2400") },
        { "fraction", replaced(valid, "home=2400", "home=2400.5") },
        { "empty value", replaced(valid, "home=2400", "home=") },
        { "missing key", replaced(valid, "wiped_entries.home=2400\n", "") },
        { "unknown key", replaced(valid, "sessions.guided=1\n", "sessions.guided=1\nsessions.name=1\n") },
        { "duplicate key", replaced(valid, "sessions.guided=1\n", "sessions.guided=1\nsessions.guided=1\n") },
        { "line without =", replaced(valid, "sessions.guided=1\n", "sessions.guided=1\nguided\n") },
        { "empty line", replaced(valid, "sessions.guided=1\n", "sessions.guided=1\n\n") },
        { "carriage return", replaced(valid, "sessions.guided=1\n", "sessions.guided=1\r\n") },
        { "inconsistent totals", replaced(valid, "sessions.total=4", "sessions.total=5") },
        { "other version", replaced(valid, "version=1", "version=2") },
        { "too large", g_strdup(big->str) },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        check_corrupt("stats.state", cases[i].name, cases[i].data, strlen(cases[i].data));
        g_free(cases[i].data);
    }
    check_corrupt("stats.state", "empty", "", 0);
    check_corrupt("stats.state", "NUL byte", nul, len);
}

/* The JSON file of an earlier version is taken over once: read when there is no record file,
 * replaced by one at the first save, never read again. */
static void test_migration(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *legacy = g_build_filename(dir, "stats.json", NULL);
    g_autofree char *path = g_build_filename(dir, "stats.state", NULL);
    g_autoptr(Stats) old = stats_new(NULL);
    fill(old);
    g_autofree char *json = stats_to_json(old);
    g_assert_true(g_file_set_contents(legacy, json, -1, NULL));

    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_load(dir, &error);
    g_assert_no_error(error);
    g_autofree char *back = stats_to_json(s);
    g_assert_cmpstr(back, ==, json);
    g_assert_true(g_file_test(legacy, G_FILE_TEST_EXISTS));

    stats_record_session(s, TRUE, END_STAFF, 1000);
    g_assert_true(stats_save(s, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(legacy, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));

    /* A JSON file that shows up beside a record file is not read. */
    g_assert_true(g_file_set_contents(legacy, json, -1, NULL));
    g_autoptr(Stats) again = stats_load(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(stats_sessions(again, FALSE), ==, 5);
    g_assert_cmpuint(stats_sessions(again, TRUE), ==, 2);
    rm_dir(dir);
}

/* Two corrupt files in the same second are both kept. */
static void test_corrupt_twice(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "stats.json", NULL);
    for (int i = 0; i < 2; i++) {
        g_assert_true(g_file_set_contents(path, "{", -1, NULL));
        g_autoptr(GError) error = NULL;
        g_autoptr(Stats) s = stats_load(dir, &error);
        g_assert_error(error, STATS_ERROR, STATS_ERROR_CORRUPT);
        g_assert_nonnull(s);
    }
    g_assert_cmpuint(count_prefix(dir, "stats.json.corrupt-"), ==, 2);
    /* A directory where the file should be is moved aside too. */
    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_load(dir, &error);
    g_assert_error(error, STATS_ERROR, STATS_ERROR_CORRUPT);
    g_assert_nonnull(s);
    g_assert_cmpuint(count_prefix(dir, "stats.json.corrupt-"), ==, 3);
    rm_dir(dir);
}

/* The textfile for s with a live part: READY, 1 incident open, written at 1790000300. */
static char *prom(const Stats *s, const char *seat_name)
{
    StatsLive live = { .seat_name = seat_name, .state = SEAT_READY, .incidents_open = 1, .now_unix = 1790000300 };
    return stats_to_prometheus(s, &live);
}

static const char *prom_value(const char *text, const char *series)
{
    g_autofree char *needle = g_strconcat("\n", series, " ", NULL);
    const char *p = strstr(text, needle);
    g_assert_nonnull(p);
    return p + strlen(needle);
}

static void assert_series(const char *text, const char *series, const char *value)
{
    const char *v = prom_value(text, series);
    g_autofree char *got = g_strndup(v, strcspn(v, "\n"));
    g_assert_cmpstr(got, ==, value);
}

static void test_histogram(void)
{
    g_autoptr(Stats) s = stats_new(NULL);
    const uint64_t ms[] = { 0, 300000, 300001, 7200000, 7200001 };
    for (guint i = 0; i < G_N_ELEMENTS(ms); i++)
        stats_record_session(s, FALSE, END_TIME_LIMIT, ms[i]);
    const uint64_t wipe_ms[] = { 50, 51, 100, 30000, 30001, 999 };
    for (guint i = 0; i < G_N_ELEMENTS(wipe_ms); i++)
        stats_record_wipe(s, wipe_ms[i], TRUE, NULL, 1790000000 + i);
    g_autofree char *p = prom(s, NULL);
    g_autofree char *text = g_strconcat("\n", p, NULL);
    assert_series(text, "rentark_session_duration_seconds_bucket{le=\"300\"}", "2");
    assert_series(text, "rentark_session_duration_seconds_bucket{le=\"900\"}", "3");
    assert_series(text, "rentark_session_duration_seconds_bucket{le=\"1800\"}", "3");
    assert_series(text, "rentark_session_duration_seconds_bucket{le=\"3600\"}", "3");
    assert_series(text, "rentark_session_duration_seconds_bucket{le=\"7200\"}", "4");
    assert_series(text, "rentark_session_duration_seconds_bucket{le=\"+Inf\"}", "5");
    assert_series(text, "rentark_session_duration_seconds_sum", "15000.002");
    assert_series(text, "rentark_session_duration_seconds_count", "5");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"0.05\"}", "1");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"0.1\"}", "3");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"0.5\"}", "3");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"1\"}", "4");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"2\"}", "4");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"3\"}", "4");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"5\"}", "4");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"30\"}", "5");
    assert_series(text, "rentark_wipe_duration_seconds_bucket{le=\"+Inf\"}", "6");
    assert_series(text, "rentark_wipe_duration_seconds_sum", "61.201");
    assert_series(text, "rentark_last_verified_wipe_timestamp_seconds", "1790000005");
    assert_series(text, "rentark_session_end_total{reason=\"time_limit\"}", "5");
    assert_series(text, "rentark_sessions_total{kind=\"unguided\"}", "5");
    /* The JSON buckets are the same cumulative counts. */
    g_autofree char *json = stats_to_json(s);
    g_assert_nonnull(strstr(json, "\"7200\": 4,\n      \"+Inf\": 5"));
}

/* Counters saturate instead of wrapping. */
static void test_saturation(void)
{
    g_autoptr(Stats) z = stats_new(NULL);
    g_autofree char *json = stats_to_json(z);
    g_autoptr(GString) g = g_string_new(json);
    g_string_replace(g, "\"home\": 0", "\"home\": 18446744073709551615", 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(Stats) s = stats_from_json(g->str, g->len, &error);
    g_assert_no_error(error);
    uint64_t entries[RK_WIPE_N] = { 10, 0, 0, 0, 0, 0, 0 };
    stats_record_wipe(s, UINT64_MAX, TRUE, entries, 1);
    stats_record_wipe(s, UINT64_MAX, TRUE, entries, 1);
    g_assert_cmpuint(stats_wiped_entries(s, RK_WIPE_HOME), ==, UINT64_MAX);
    g_autofree char *out = stats_to_json(s);
    g_autoptr(Stats) back = stats_from_json(out, strlen(out), &error);
    g_assert_no_error(error);
    /* An incident resolved that was never opened is not counted. */
    stats_record_incident(back, STATS_INCIDENT_RESOLVED);
    g_autofree char *text = stats_to_text(back);
    g_assert_nonnull(strstr(text, "opened 0, resolved 0, open 0"));
}

/* ---- a strict checker of the Prometheus text format (0.0.4) -------------------------------- */

typedef struct {
    char *family, *type;
    GHashTable *series;
    double last_le, last_bucket;
    gboolean saw_inf, saw_sum, saw_count;
    double inf_count;
} Family;

static void family_close(Family *f)
{
    if (f->family && g_strcmp0(f->type, "histogram") == 0) {
        g_assert_true(f->saw_inf);
        g_assert_true(f->saw_sum);
        g_assert_true(f->saw_count);
    }
    g_clear_pointer(&f->family, g_free);
    g_clear_pointer(&f->type, g_free);
}

static double parse_value(const char *v)
{
    if (strcmp(v, "+Inf") == 0)
        return INFINITY;
    char *end = NULL;
    errno = 0;
    double d = g_ascii_strtod(v, &end);
    g_assert_true(end && *end == '\0' && end != v && errno == 0);
    return d;
}

/* A label value: any character but a backslash, a double quote or a line feed, or one of
 * those three escaped (\\, \", \n). */
#define LABEL_VALUE "\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\""

static void check_prometheus(const char *text)
{
    g_assert_true(g_str_has_suffix(text, "\n"));
    g_autoptr(GRegex) help = g_regex_new("^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \\S.*$", 0, 0, NULL);
    g_autoptr(GRegex) type = g_regex_new("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
                                         "(counter|gauge|histogram|summary|untyped)$", 0, 0, NULL);
    g_autoptr(GRegex) sample = g_regex_new("^([a-zA-Z_:][a-zA-Z0-9_:]*)"
                                           "(\\{([a-zA-Z_][a-zA-Z0-9_]*=" LABEL_VALUE
                                           "(," "[a-zA-Z_][a-zA-Z0-9_]*=" LABEL_VALUE ")*)\\})? "
                                           "(\\S+)$", 0, 0, NULL);
    g_autoptr(GRegex) le = g_regex_new("(^|,)le=\"([^\"]*)\"", 0, 0, NULL);
    g_autoptr(GHashTable) families = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    Family f = { 0 };
    g_autofree char *pending_help = NULL;
    guint n = g_strv_length(lines);
    g_assert_cmpuint(n, >, 1);
    for (guint i = 0; i + 1 < n; i++) {
        const char *line = lines[i];
        g_autoptr(GMatchInfo) m = NULL;
        g_assert_cmpuint(strlen(line), >, 0);
        if (g_regex_match(help, line, 0, &m)) {
            g_assert_null(pending_help);
            pending_help = g_match_info_fetch(m, 1);
            continue;
        }
        g_clear_pointer(&m, g_match_info_free);
        if (g_regex_match(type, line, 0, &m)) {
            family_close(&f);
            f.family = g_match_info_fetch(m, 1);
            f.type = g_match_info_fetch(m, 2);
            /* HELP right before TYPE, for the same family, and each family once. */
            g_assert_cmpstr(pending_help, ==, f.family);
            g_clear_pointer(&pending_help, g_free);
            g_assert_false(g_hash_table_contains(families, f.family));
            g_hash_table_add(families, g_strdup(f.family));
            if (strcmp(f.type, "counter") == 0)
                g_assert_true(g_str_has_suffix(f.family, "_total"));
            f.last_le = -INFINITY;
            f.last_bucket = 0;
            f.saw_inf = f.saw_sum = f.saw_count = FALSE;
            continue;
        }
        g_clear_pointer(&m, g_match_info_free);
        g_assert_null(pending_help);
        if (!g_regex_match(sample, line, 0, &m))
            g_error("not a valid sample line: “%s”", line);
        g_autofree char *name = g_match_info_fetch(m, 1);
        g_autofree char *labels = g_match_info_fetch(m, 3);
        g_autofree char *value = g_match_info_fetch(m, 5);
        g_assert_nonnull(f.family);
        double v = parse_value(value);
        g_assert_true(v >= 0);
        g_autofree char *key = g_strdup_printf("%s{%s}", name, labels ? labels : "");
        g_assert_false(g_hash_table_contains(series, key));
        g_hash_table_add(series, g_steal_pointer(&key));
        if (strcmp(f.type, "histogram") != 0) {
            g_assert_cmpstr(name, ==, f.family);
            continue;
        }
        g_autofree char *bucket = g_strconcat(f.family, "_bucket", NULL);
        g_autofree char *sum = g_strconcat(f.family, "_sum", NULL);
        g_autofree char *count = g_strconcat(f.family, "_count", NULL);
        if (strcmp(name, bucket) == 0) {
            g_autoptr(GMatchInfo) lm = NULL;
            g_assert_false(f.saw_inf);
            g_assert_true(labels && g_regex_match(le, labels, 0, &lm));
            g_autofree char *bound = g_match_info_fetch(lm, 2);
            double b = parse_value(bound);
            g_assert_cmpfloat(b, >, f.last_le);
            g_assert_cmpfloat(v, >=, f.last_bucket);
            f.last_le = b;
            f.last_bucket = v;
            if (isinf(b)) {
                f.saw_inf = TRUE;
                f.inf_count = v;
            }
        } else if (strcmp(name, sum) == 0) {
            g_assert_true(f.saw_inf);
            f.saw_sum = TRUE;
        } else {
            g_assert_cmpstr(name, ==, count);
            g_assert_true(f.saw_inf);
            g_assert_cmpfloat(v, ==, f.inf_count);
            f.saw_count = TRUE;
        }
    }
    family_close(&f);
    g_assert_null(pending_help);
}

static void test_prometheus(void)
{
    g_autoptr(Stats) s = stats_new(NULL);
    g_autofree char *empty = prom(s, NULL);
    check_prometheus(empty);
    fill(s);
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "rentark.prom", NULL);
    g_autoptr(GError) error = NULL;
    StatsLive live = { .state = SEAT_ACTIVE, .incidents_open = 3, .now_unix = 1790000300 };
    g_assert_true(stats_write_prometheus(s, &live, path, &error));
    g_assert_no_error(error);
    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0644);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    check_prometheus(text);
    g_autofree char *lead = g_strconcat("\n", text, NULL);
    assert_series(lead, "rentark_sessions_total{kind=\"guided\"}", "1");
    assert_series(lead, "rentark_wipes_total{result=\"failed\"}", "1");
    /* The store's count (3), not the counters' (1). */
    assert_series(lead, "rentark_incidents_open", "3");
    assert_series(lead, "rentark_wiped_entries_total{category=\"run-user\"}", "6");
    /* The live part: the state one-hot, the version, the time of writing, the last session's
     * end (now, since fill ended sessions just now). */
    for (int i = 0; i < SEAT_N_STATES; i++) {
        g_autofree char *series = g_strdup_printf("rentark_seat_state{state=\"%s\"}", rk_seat_state_name(i));
        assert_series(lead, series, i == SEAT_ACTIVE ? "1" : "0");
    }
    assert_series(lead, "rentark_build_info{version=\"" RK_VERSION "\"}", "1");
    assert_series(lead, "rentark_metrics_written_timestamp_seconds", "1790000300");
    const char *end = prom_value(lead, "rentark_last_session_end_timestamp_seconds");
    g_assert_cmpint(llabs(g_ascii_strtoll(end, NULL, 10) - (long long)time(NULL)), <=, 5);
    /* No wipe has run its census since the start: 0 s, and no per-class gauges. */
    assert_series(lead, "rentark_census_duration_seconds", "0.000");
    g_assert_null(strstr(lead, "rentark_census_left_objects"));
    g_test_message("%s", text);
    rm_dir(dir);
}

/* seat.name labels every sample, escaped as the text format asks: a backslash and a double
 * quote get a backslash; UTF-8 stays as it is. No name, no label. */
static void test_prometheus_seat(void)
{
    g_autoptr(Stats) s = stats_new(NULL);
    fill(s);
    const uint64_t first[RK_WIPE_N] = { 0 }, last[RK_WIPE_N] = { 0 };
    const int errs[RK_WIPE_N] = { 0 };
    stats_record_census(s, first, last, errs, 1500);
    g_autofree char *text = prom(s, "PC \"3\" \\ 2. etasje \u2013 \u00e5");
    check_prometheus(text);
    const char *label = "{seat=\"PC \\\"3\\\" \\\\ 2. etasje \u2013 \u00e5\"";
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint samples = 0;
    for (char **l = lines; *l; l++) {
        if (!**l || **l == '#')
            continue;
        samples++;
        const char *brace = strchr(*l, '{');
        if (!brace || !g_str_has_prefix(brace, label))
            g_error("a sample without the seat label first: \"%s\"", *l);
    }
    g_assert_cmpuint(samples, >, 40);
    g_autofree char *lead = g_strconcat("\n", text, NULL);
    g_autofree char *guided = g_strconcat("rentark_sessions_total", label, ",kind=\"guided\"}", NULL);
    assert_series(lead, guided, "1");
    g_autofree char *open = g_strconcat("rentark_incidents_open", label, "}", NULL);
    assert_series(lead, open, "1");
    g_autofree char *bucket = g_strconcat("rentark_wipe_duration_seconds_bucket", label, ",le=\"0.1\"}", NULL);
    assert_series(lead, bucket, "1");
    g_autofree char *census = g_strconcat("rentark_census_classes", label, "}", NULL);
    assert_series(lead, census, "8");
    g_autofree char *census_s = g_strconcat("rentark_census_duration_seconds", label, "}", NULL);
    assert_series(lead, census_s, "1.500");
    g_autofree char *state = g_strconcat("rentark_seat_state", label, ",state=\"READY\"}", NULL);
    assert_series(lead, state, "1");

    g_autofree char *none = prom(s, NULL);
    g_autofree char *empty = prom(s, "");
    g_assert_cmpstr(none, ==, empty);
    g_assert_null(strstr(none, "seat="));
    check_prometheus(none);
}

/* The checker itself rejects what it must (each case in a subprocess, since it asserts). */
static const char *const bad_prometheus[] = {
    "rentark_x 1\n",                                                  /* no TYPE */
    "# HELP a_total x\n# TYPE a_total counter\na_total{k=\"v} 1\n",  /* bad label */
    "# HELP a_total x\n# TYPE a_total counter\na_total{k=\"a\"b\"} 1\n", /* a quote not escaped */
    "# HELP a_total x\n# TYPE a_total counter\na_total{k=\"a\\qb\"} 1\n", /* no such escape */
    "# HELP a x\n# TYPE a counter\na 1\n",                           /* counter without _total */
    ("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
     "h_sum 1\nh_count 1\n"),                                        /* buckets decrease */
    "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", /* no _sum */
    "# HELP a_total x\n# TYPE a_total counter\na_total 1\na_total 2\n", /* duplicate series */
    "# HELP a_total x\n# TYPE a_total counter\na_total one\n",      /* not a number */
    "# HELP a_total x\n# TYPE a_total counter\na_total 1",           /* no final newline */
};

static void test_checker_rejects(gconstpointer data)
{
    guint i = GPOINTER_TO_UINT(data);
    if (g_test_subprocess()) {
        check_prometheus(bad_prometheus[i]);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
}

static void test_save_failure(void)
{
    g_autoptr(Stats) s = stats_new("/nonexistent/rentark-state");
    g_autoptr(GError) error = NULL;
    g_assert_false(stats_save(s, &error));
    g_assert_error(error, STATS_ERROR, STATS_ERROR_IO);
    g_autoptr(Stats) none = stats_new(NULL);
    g_clear_error(&error);
    g_assert_false(stats_save(none, &error));
    g_assert_error(error, STATS_ERROR, STATS_ERROR_IO);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/stats/missing", test_missing);
    g_test_add_func("/stats/round-trip", test_round_trip);
    g_test_add_func("/stats/added-reason", test_added_reason);
    g_test_add_func("/stats/added-buckets", test_added_buckets);
    g_test_add_func("/stats/corrupt", test_corrupt);
    g_test_add_func("/stats/corrupt-records", test_corrupt_records);
    g_test_add_func("/stats/migration", test_migration);
    g_test_add_func("/stats/corrupt-twice", test_corrupt_twice);
    g_test_add_func("/stats/histogram", test_histogram);
    g_test_add_func("/stats/saturation", test_saturation);
    g_test_add_func("/stats/prometheus", test_prometheus);
    g_test_add_func("/stats/prometheus-seat", test_prometheus_seat);
    for (guint i = 0; i < G_N_ELEMENTS(bad_prometheus); i++) {
        g_autofree char *path = g_strdup_printf("/stats/prometheus-checker/rejects-%u", i);
        g_test_add_data_func(path, GUINT_TO_POINTER(i), test_checker_rejects);
    }
    g_test_add_func("/stats/save-failure", test_save_failure);
    return g_test_run();
}
