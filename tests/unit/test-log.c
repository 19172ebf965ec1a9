/* Tests of the logging module's events (common/log.c): the MESSAGE_ID table is complete and
 * well-formed (every event has a name and an id of 32 lowercase hex digits, none twice), the
 * field builder keeps numbers and leaves out what is NULL, and an event on stderr (no journal)
 * is the same line as any other record. That every id has a catalogue entry in English and
 * bokmål is tests/integration/test-log-catalog.sh's; that the records reach the journal with
 * their fields is test-log-journal.sh's. */
#include "log.h"

#include <glib.h>
#include <string.h>

static void test_table(void)
{
    g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);

    for (int e = 0; e < RK_EVENT_N; e++) {
        const char *id = rk_event_message_id(e), *name = rk_event_name(e);
        g_assert_nonnull(id);
        g_assert_nonnull(name);
        g_assert_cmpuint(strlen(id), ==, 32);
        for (const char *p = id; *p; p++)
            g_assert_true(g_ascii_isdigit(*p) || (*p >= 'a' && *p <= 'f'));
        /* A name is a short word of the journal: lowercase letters and dashes. */
        g_assert_cmpuint(strlen(name), >, 0);
        for (const char *p = name; *p; p++)
            g_assert_true((*p >= 'a' && *p <= 'z') || *p == '-');
        g_assert_false(g_hash_table_contains(ids, id));
        g_assert_false(g_hash_table_contains(names, name));
        g_hash_table_add(ids, (gpointer)id);
        g_hash_table_add(names, (gpointer)name);
    }
    g_assert_null(rk_event_message_id(RK_EVENT_N));
    g_assert_null(rk_event_name((RkEvent)-1));
}

static void test_fields(void)
{
    RkLogFields f = { 0 };

    rk_log_fields_add(&f, "RENTARK_END_REASON", "idle");
    rk_log_fields_add(&f, "RENTARK_SKIPPED", NULL);
    rk_log_fields_add_u64(&f, "RENTARK_COUNT", G_MAXUINT64);
    rk_log_fields_add_i64(&f, "RENTARK_DURATION_MS", -5);
    g_assert_cmpuint(f.n, ==, 3);
    g_assert_cmpstr(f.fields[0].key, ==, "RENTARK_END_REASON");
    g_assert_cmpstr(f.fields[0].value, ==, "idle");
    g_assert_cmpstr(f.fields[1].key, ==, "RENTARK_COUNT");
    g_assert_cmpstr(f.fields[1].value, ==, "18446744073709551615");
    g_assert_cmpstr(f.fields[2].value, ==, "-5");
    g_assert_cmpint(f.fields[2].length, ==, -1);
}

/* On stderr an event is the line any record is: "prog: domain: [session ID] level: text". */
static void test_stderr_line(void)
{
    if (g_test_subprocess()) {
        RkLogFields f = { 0 };
        rk_log_init("rentarkd", FALSE);
        rk_log_set_session("0123456789abcdef0123456789abcdef");
        rk_log_fields_add(&f, "RENTARK_END_REASON", "idle");
        rk_log_event_full("seat", RK_EVENT_SESSION_ENDED, G_LOG_LEVEL_MESSAGE, &f, "state %s -> %s reason %s",
                          "ACTIVE", "ENDING", "idle");
        rk_log_set_session(NULL);
        rk_log_event_full(NULL, RK_EVENT_SHUTDOWN, G_LOG_LEVEL_MESSAGE, NULL, "shutting down");
        rk_log_event_full("wipe", RK_EVENT_WIPE_NOT_VERIFIED, G_LOG_LEVEL_WARNING, NULL, "wipe NOT verified: %d", 3);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("rentarkd: seat: [session 0123456789abcdef0123456789abcdef] notice: state ACTIVE -> ENDING reason idle\n"
                              "rentarkd: notice: shutting down\n"
                              "rentarkd: wipe: warning: wipe NOT verified: 3\n");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/log/event-table", test_table);
    g_test_add_func("/log/fields", test_fields);
    g_test_add_func("/log/stderr-line", test_stderr_line);
    return g_test_run();
}
