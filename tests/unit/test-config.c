/* Unit tests of the configuration loader: defaults, the shipped file, every kind of error. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#define SRC(p) (g_getenv("RK_SRC") ? g_build_filename(g_getenv("RK_SRC"), p, NULL) : g_strdup(p))

/* Load text without file checks and expect success. */
static RkConfig *load_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    RkConfig *c = rk_config_load_string(text, "test.conf", false, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    return c;
}

/* Load text and expect an error message containing every string in want (NULL-terminated). */
static void load_err(const char *text, const char *const *want)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RkConfig) c = rk_config_load_string(text, "test.conf", false, &error);
    g_assert_null(c);
    g_assert_nonnull(error);
    for (; *want; want++) {
        if (!strstr(error->message, *want))
            g_error("expected \"%s\" in error:\n%s", *want, error->message);
    }
}

#define ERR(text, ...) load_err(text, (const char *const[]){ __VA_ARGS__, NULL })

static void test_defaults(void)
{
    g_autoptr(RkConfig) c = load_ok("");
    g_assert_cmpstr(c->guest_user, ==, "rentark-guest");
    g_assert_cmpstr(c->guest_home, ==, "/home/rentark-guest");
    g_assert_true(c->guest_create);
    g_assert_cmpint(c->time_limit, ==, 7200);
    g_assert_cmpint(c->idle_timeout, ==, 900);
    g_assert_cmpint(c->idle_warning, ==, 60);
    g_assert_cmpuint(c->warnings->len, ==, 3);
    g_assert_cmpint(g_array_index(c->warnings, int, 0), ==, 600);
    g_assert_cmpint(g_array_index(c->warnings, int, 1), ==, 300);
    g_assert_cmpint(g_array_index(c->warnings, int, 2), ==, 60);
    g_assert_cmpint(c->extend_by, ==, 600);
    g_assert_cmpint(c->max_extends, ==, 10);
    g_assert_false(c->screen_reader);
    g_assert_true(c->start_on_first_input); /* issue 16: the time starts with the patron */
    g_assert_cmpint(c->first_input_wait, ==, 180);
    g_assert_cmpint(c->step_away_max, ==, 600); /* the step-away lock: 10 minutes */
    g_assert_cmpstr(c->default_language, ==, "nb");
    g_assert_cmpuint(g_strv_length(c->languages), ==, 3);
    g_assert_cmpint(c->strategy, ==, RK_WIPE_DISK);
    g_assert_cmpuint(g_strv_length(c->sweep), ==, 3);
    g_assert_cmpuint(g_strv_length(c->watch), ==, 0);
    g_assert_null(c->incident_command);
    g_assert_null(c->metrics_file);
    g_assert_cmpuint(c->required_modules, ==, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8));
    g_assert_cmpint(c->report_deadline_hours, ==, 72);
    g_assert_cmpuint(c->volunteers->len, ==, 0);
    g_assert_null(c->seat_name);
}

/* The shipped file must load and state exactly the defaults the code has (but one, the
 * languages: see below). */
static void test_shipped_equals_defaults(void)
{
    g_autofree char *path = SRC("config/rentark.conf");
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, &error));
    g_autoptr(RkConfig) shipped = rk_config_load_string(text, path, false, &error);
    g_assert_no_error(error);
    g_autoptr(RkConfig) def = load_ok("");

    g_assert_cmpstr(shipped->seat_name, ==, def->seat_name);
    g_assert_cmpstr(shipped->guest_user, ==, def->guest_user);
    g_assert_cmpstr(shipped->guest_home, ==, def->guest_home);
    g_assert_cmpstr(shipped->guest_skeleton, ==, def->guest_skeleton);
    g_assert_cmpstr(shipped->guest_shell, ==, def->guest_shell);
    g_assert_cmpint(shipped->guest_create, ==, def->guest_create);
    g_assert_cmpint(shipped->time_limit, ==, def->time_limit);
    g_assert_cmpint(shipped->idle_timeout, ==, def->idle_timeout);
    g_assert_cmpint(shipped->idle_warning, ==, def->idle_warning);
    g_assert_cmpint(shipped->idle_report_interval, ==, def->idle_report_interval);
    g_assert_cmpmem(shipped->warnings->data, shipped->warnings->len * sizeof(int), def->warnings->data,
                    def->warnings->len * sizeof(int));
    g_assert_cmpint(shipped->extend_by, ==, def->extend_by);
    g_assert_cmpint(shipped->max_extends, ==, def->max_extends);
    /* The one deliberate difference: the shipped file offers every language the project has
     * texts for (config/notice/, po/LINGUAS); the built-in default stays with the three a
     * minimal text folder (and every test fixture) has. The defaults come first, in order. */
    static const char *const all[] = { "nb", "nn", "en", "se", "uk", "ar", "pl", "so", NULL };
    g_assert_true(g_strv_equal((const char *const *)shipped->languages, all));
    for (guint i = 0; def->languages[i]; i++)
        g_assert_cmpstr(shipped->languages[i], ==, def->languages[i]);
    g_assert_cmpint(shipped->strategy, ==, def->strategy);
    g_assert_cmpstr(shipped->tmpfs_size, ==, def->tmpfs_size);
    g_assert_cmpstr(shipped->trash_dir, ==, def->trash_dir);
    g_assert_true(g_strv_equal((const char *const *)shipped->sweep, (const char *const *)def->sweep));
    g_assert_true(g_strv_equal((const char *const *)shipped->watch, (const char *const *)def->watch));
    g_assert_cmpint(shipped->at_boot, ==, def->at_boot);
    g_assert_cmpint(shipped->verify_retry, ==, def->verify_retry);
    g_assert_cmpstr(shipped->notice_dir, ==, def->notice_dir);
    g_assert_cmpint(shipped->screen_reader, ==, def->screen_reader);
    g_assert_cmpint(shipped->guided_enabled, ==, def->guided_enabled);
    g_assert_cmpuint(shipped->required_modules, ==, def->required_modules);
    g_assert_cmpint(shipped->declaration_validity_days, ==, def->declaration_validity_days);
    g_assert_cmpstr(shipped->incident_command, ==, def->incident_command);
    g_assert_cmpint(shipped->report_deadline_hours, ==, def->report_deadline_hours);
    g_assert_cmpstr(shipped->state_dir, ==, def->state_dir);
    g_assert_cmpstr(shipped->socket, ==, def->socket);
    g_assert_cmpstr(shipped->metrics_file, ==, def->metrics_file);
    g_assert_cmpstr(shipped->run_user_dir, ==, def->run_user_dir);
    g_assert_cmpstr(shipped->cups_spool, ==, def->cups_spool);
    g_assert_cmpstr(shipped->cups_server, ==, def->cups_server);
    g_assert_true(g_strv_equal((const char *const *)shipped->crash_dirs, (const char *const *)def->crash_dirs));
    g_assert_cmpstr(shipped->journal_dir, ==, def->journal_dir);
    g_assert_cmpstr(shipped->admin_group, ==, def->admin_group);
    g_assert_cmpstr(shipped->volunteer_group, ==, def->volunteer_group);
    /* Opening hours are off by default: the shipped file has its `hours` group as an example,
     * commented out. */
    g_assert_cmpint(shipped->hours.enabled, ==, def->hours.enabled);
    g_assert_null(shipped->hours.exceptions);
    g_assert_cmpmem(shipped->closing_warnings->data, shipped->closing_warnings->len * sizeof(int),
                    def->closing_warnings->data, def->closing_warnings->len * sizeof(int));

    /* Every key the code reads is documented in the shipped file (as "key =" inside its group,
     * or for volunteers in the commented example). */
    for (const char *const *k = rk_config_keys(); *k; k++) {
        const char *key = strchr(*k, '.') + 1;
        g_autofree char *pat = g_strdup_printf("%s =", key);
        if (!strstr(text, pat))
            g_error("config/rentark.conf does not document %s", *k);
    }
}

static void test_values(void)
{
    g_autoptr(RkConfig) c = load_ok(
        "guest = { user = \"gjest\"; home = \"/srv/kiosk/gjest\"; create = false; };\n"
        "session = { time_limit = 3600; warnings = [60, 600, 300]; languages = [\"en\", \"nb\"]; };\n"
        "wipe = { strategy = \"tmpfs\"; tmpfs_size = \"2G\"; watch = [\"/srv/scan\"]; at_boot = true; };\n"
        "incidents = { command = \"/usr/local/bin/alert\"; };\n"
        "volunteers = ( { id = \"kari\"; name = \"Kari Nordmann\"; pin_hash = \"$y$j9T$abc$def\";\n"
        "                 declaration_signed = \"2026-01-15\"; modules = [1,2,3,4,5,8]; },\n"
        "               { id = \"ola\"; name = \"Ola\"; pin_hash = \"$6$salt$hash\"; } );\n");
    g_assert_cmpstr(c->guest_user, ==, "gjest");
    g_assert_false(c->guest_create);
    g_assert_cmpint(c->strategy, ==, RK_WIPE_TMPFS);
    g_assert_cmpstr(c->tmpfs_size, ==, "2G");
    /* Warnings are sorted, longest first. */
    g_assert_cmpint(g_array_index(c->warnings, int, 0), ==, 600);
    g_assert_cmpint(g_array_index(c->warnings, int, 2), ==, 60);
    g_assert_cmpstr(c->default_language, ==, "en");
    g_assert_cmpstr(c->watch[0], ==, "/srv/scan");
    g_assert_cmpstr(c->incident_command, ==, "/usr/local/bin/alert");
    g_assert_cmpuint(c->volunteers->len, ==, 2);
    const RkVolunteer *k = rk_config_find_volunteer(c, "kari");
    g_assert_nonnull(k);
    g_assert_cmpstr(k->name, ==, "Kari Nordmann");
    g_assert_cmpuint(k->declaration_day, >, 0);
    g_assert_cmpint(k->line, ==, 5);
    const RkVolunteer *o = rk_config_find_volunteer(c, "ola");
    g_assert_null(o->declaration);
    g_assert_cmpuint(o->declaration_day, ==, 0);
    g_assert_cmpuint(o->modules, ==, 0);
    g_assert_null(rk_config_find_volunteer(c, "nobody"));
}

static void test_syntax_error(void)
{
    ERR("guest = {\n  user = ;\n};\n", "test.conf:2: syntax error");
    ERR("session = { time_limit = 10; \n", "test.conf:", "syntax error");
}

static void test_unknown(void)
{
    ERR("guest = {\n  usr = \"x\";\n};\n", "test.conf:2: unknown key \"guest.usr\"");
    ERR("\n\nfoo = { a = 1; };\n", "test.conf:3: unknown group \"foo\"");
    ERR("volunteers = ( { id = \"a\"; name = \"A\"; pin_hash = \"$y$aaaaaa\"; pin = \"1234\"; } );",
        "test.conf:1: unknown key \"volunteers.pin\"");
}

static void test_types(void)
{
    ERR("session = {\n time_limit = \"2h\";\n};", "test.conf:2: session.time_limit must be an integer");
    ERR("guest = { create = 1; };", "guest.create must be a boolean");
    ERR("wipe = { sweep = \"/tmp\"; };", "wipe.sweep must be a list of strings");
    ERR("wipe = { sweep = [1, 2]; };", "wipe.sweep must be a list of strings");
    ERR("guest = \"x\";", "guest must be a group");
    ERR("session = { time_limit = 1.5; };", "session.time_limit must be an integer");
    ERR("volunteers = { id = \"a\"; };", "volunteers must be a list of groups");
}

static void test_ranges(void)
{
    ERR("session = {\n\n idle_timeout = -5;\n};", "test.conf:3: session.idle_timeout = -5 is out of range (0 to 86400)");
    /* libconfig 1.5 truncates an integer literal past 32 bits unless it carries the L suffix. */
    ERR("session = { time_limit = 99999999999L; };", "session.time_limit = 99999999999 is out of range");
    ERR("guided = { required_modules = [1, 9]; };", "guided.required_modules: 9 is out of range (1 to 8)");
    ERR("wipe = { strategy = \"shred\"; };", "wipe.strategy must be \"disk\" or \"tmpfs\"");
    ERR("wipe = { tmpfs_size = \"lots\"; };", "wipe.tmpfs_size must be a size");
    ERR("wipe = { tmpfs_size = \"0\"; };", "wipe.tmpfs_size must be a size");
    ERR("wipe = { tmpfs_size = \"101%\"; };", "wipe.tmpfs_size must be a size");
    ERR("guest = { home = \"home/guest\"; };", "guest.home must be an absolute path");
    ERR("guest = { home = \"/home/../etc\"; };", "guest.home must be an absolute path");
    ERR("guest = { home = \"/home/guest/\"; };", "guest.home must be an absolute path");
    ERR("guest = { user = \"Guest User\"; };", "guest.user must be a user or group name");
    ERR("guest = { user = \"root\"; };", "guest.user must not be root");
    ERR("guest = { home = \"/\"; };", "guest.home \"/\" must be a directory below a top-level folder");
    ERR("guest = { home = \"/home\"; };", "must be a directory below a top-level folder");
    ERR("session = { languages = [\"norsk\"]; };", "a language code is 2 or 3 lower case letters");
    ERR("session = { languages = []; };", "must name at least one language");
    ERR("wipe = { sweep = [\"/tmp\", \"/tmp\"]; };", "lists \"/tmp\" twice");
}

static void test_cross_checks(void)
{
    ERR("session = { idle_timeout = 60; idle_warning = 60; };", "idle_warning (60) must be shorter than session.idle_timeout (60)");
    ERR("session = { time_limit = 100; warnings = [300]; };", "session.warnings: 300 is not shorter than session.time_limit");
    ERR("wipe = { trash_dir = \"/home/rentark-guest/.trash\"; };", "wipe.trash_dir must be neither inside guest.home");
    ERR("wipe = { sweep = [\"/home\"]; };", "overlaps guest.home");
    ERR("wipe = { watch = [\"/\"]; };", "wipe.watch entry \"/\" must not be /");
}

static void test_volunteers(void)
{
    ERR("volunteers = (\n { id = \"a\"; name = \"A\"; } );", "test.conf:2: volunteer entry lacks \"pin_hash\"");
    ERR("volunteers = ( { id = \"a\"; name = \"A\"; pin_hash = \"1234\"; } );", "pin_hash must be a crypt(3) hash");
    ERR("volunteers = ( { id = \"a\"; name = \"A\"; pin_hash = \"$y$aaaaaa\"; declaration_signed = \"2026-02-30\"; } );",
        "declaration_signed must be a date written YYYY-MM-DD");
    ERR("volunteers = ( { id = \"a\"; name = \"A\"; pin_hash = \"$y$aaaaaa\"; declaration_signed = \"15.01.2026\"; } );",
        "declaration_signed must be a date");
    ERR("volunteers = ( { id = \"a\"; name = \"A\"; pin_hash = \"$y$aaaaaa\"; },\n"
        "               { id = \"a\"; name = \"B\"; pin_hash = \"$y$bbbbbb\"; } );",
        "test.conf:2: volunteer \"a\" is listed twice");
    ERR("volunteers = ( { id = \"a\"; name = \"\"; pin_hash = \"$y$aaaaaa\"; } );", "volunteers.name must not be empty");
    ERR("volunteers = ( \"kari\" );", "each volunteer must be a group");
    {
        /* A name is shown on the patron's screen and sent in every status line: bounded. */
        g_autofree char *longname = g_strnfill(101, 'x');
        g_autofree char *conf = g_strdup_printf("volunteers = ( { id = \"a\"; name = \"%s\"; pin_hash = \"$y$aaaaaa\"; } );", longname);
        ERR(conf, "volunteers.name is too long (at most 100 bytes)");
    }
    ERR("volunteers = ( { id = \"a\"; name = \"Kari \\xff\"; pin_hash = \"$y$aaaaaa\"; } );", "volunteers.name is not valid UTF-8");
}

/* WCAG 2.2.1 "timing adjustable": the idle countdown gives at least 20 s, a time limit can be
 * extended (by default 10 times by 10 minutes), and a screen reader can start at the notice. */
static void test_timing_adjustable(void)
{
    g_autoptr(RkConfig) c = load_ok("session = { extend_by = 900; max_extends = 1000; };\n"
                                    "notice = { screen_reader = true; };\n");
    g_assert_cmpint(c->extend_by, ==, 900);
    g_assert_cmpint(c->max_extends, ==, 1000);
    g_assert_true(c->screen_reader);
    /* 0 turns extending off, either way. */
    g_autoptr(RkConfig) off = load_ok("session = { extend_by = 0; max_extends = 0; };");
    g_assert_cmpint(off->extend_by, ==, 0);
    g_assert_cmpint(off->max_extends, ==, 0);
    /* The shortest countdown allowed, and any countdown when there is no idle timeout. */
    g_autoptr(RkConfig) shortest = load_ok("session = { idle_timeout = 21; idle_warning = 20; };");
    g_assert_cmpint(shortest->idle_warning, ==, 20);
    g_autoptr(RkConfig) no_idle = load_ok("session = { idle_timeout = 0; idle_warning = 5; };");
    g_assert_cmpint(no_idle->idle_warning, ==, 5);

    ERR("session = {\n idle_timeout = 300;\n idle_warning = 19;\n};",
        "test.conf:3: session.idle_warning (19) must be at least 20 seconds while session.idle_timeout is set");
    ERR("session = {\n idle_timeout = 900;\n\n idle_warning = 0;\n};", "test.conf:4: session.idle_warning (0) must be at least 20");
    ERR("session = {\n extend_by = -1;\n};", "test.conf:2: session.extend_by = -1 is out of range (0 to 604800)");
    ERR("session = { extend_by = 604801; };", "session.extend_by = 604801 is out of range (0 to 604800)");
    ERR("session = {\n\n max_extends = 1001;\n};", "test.conf:3: session.max_extends = 1001 is out of range (0 to 1000)");
    ERR("session = { max_extends = -1; };", "session.max_extends = -1 is out of range (0 to 1000)");
    ERR("session = { extend_by = \"10m\"; };", "session.extend_by must be an integer");
    ERR("notice = {\n screen_reader = 1;\n};", "test.conf:2: notice.screen_reader must be a boolean");
}

/* seat.name: one line of UTF-8 of at most 64 characters (not bytes), shown on the patron's
 * screens, in the status and as a metrics label; "" is no name. */
static void test_seat_name(void)
{
    g_autoptr(RkConfig) c = load_ok("seat = { name = \"PC 3 \u2013 2. etasje\"; };");
    g_assert_cmpstr(c->seat_name, ==, "PC 3 \u2013 2. etasje");
    g_autoptr(RkConfig) none = load_ok("seat = { name = \"\"; };");
    g_assert_null(none->seat_name);
    /* Quotes and backslashes are text (the status and the metrics escape them). */
    g_autoptr(RkConfig) q = load_ok("seat = { name = \"Lesesal \\\"A\\\" \\\\ 1\"; };");
    g_assert_cmpstr(q->seat_name, ==, "Lesesal \"A\" \\ 1");
    /* 64 characters of two bytes each: within the limit, which counts characters. */
    GString *max = g_string_new(NULL);
    for (int i = 0; i < RK_CONFIG_MAX_SEAT_NAME; i++)
        g_string_append(max, "\u00e5");
    g_autofree char *max_s = g_string_free(max, FALSE);
    g_autofree char *max_conf = g_strdup_printf("seat = { name = \"%s\"; };", max_s);
    g_autoptr(RkConfig) m = load_ok(max_conf);
    g_assert_cmpstr(m->seat_name, ==, max_s);
    g_assert_true(rk_config_valid_seat_name(max_s));

    g_autofree char *long_s = g_strnfill(RK_CONFIG_MAX_SEAT_NAME + 1, 'x');
    g_autofree char *long_conf = g_strdup_printf("seat = {\n\n  name = \"%s\";\n};", long_s);
    ERR(long_conf, "test.conf:3: seat.name is too long (65 characters, at most 64)");
    ERR("seat = {\n name = \"PC 3\\nfloor 2\";\n};", "test.conf:2: seat.name must be one line without control characters (it holds U+000A)");
    ERR("seat = { name = \"PC\\t3\"; };", "seat.name must be one line without control characters (it holds U+0009)");
    ERR("seat = { name = \"PC 3 \xe2\x80\xa8 floor\"; };", "seat.name must be one line without control characters (it holds U+2028)");
    ERR("seat = { name = \"PC \\xff\"; };", "seat.name is not valid UTF-8");
    ERR("seat = { name = 3; };", "seat.name must be a string");
    ERR("seat = { nick = \"PC 3\"; };", "unknown key \"seat.nick\"");

    g_assert_true(rk_config_valid_seat_name(""));
    g_assert_true(rk_config_valid_seat_name("PC 3 \u2013 2nd floor"));
    g_assert_false(rk_config_valid_seat_name(NULL));
    g_assert_false(rk_config_valid_seat_name(long_s));
    g_assert_false(rk_config_valid_seat_name("PC\x7f" "3"));
    g_assert_false(rk_config_valid_seat_name("PC\xc2\x85" "3")); /* U+0085, a C1 control */
    g_assert_false(rk_config_valid_seat_name("PC \xff"));
}

/* rentark-session reads seat.name itself (for its screens while the daemon is down) with
 * rk_config_load_keys, checked as the full load checks it. */
static void test_seat_name_keys(void)
{
    static const char *const keys[] = { "paths.socket", "seat.name", NULL };
    g_autofree char *dir = g_dir_make_tmp("rk-config-XXXXXX", NULL);
    g_autofree char *conf = g_build_filename(dir, "r.conf", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(conf, "seat = { name = \"PC 3\"; };\nsession = { foo = 1; };\n", -1, NULL));
    g_autoptr(RkConfig) c = rk_config_load_keys(conf, keys, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(c->seat_name, ==, "PC 3");
    g_assert_true(g_file_set_contents(conf, "seat = {\n name = \"a\\nb\";\n};\n", -1, NULL));
    g_autoptr(RkConfig) bad = rk_config_load_keys(conf, keys, &error);
    g_assert_null(bad);
    g_autofree char *want = g_strdup_printf("%s:2: seat.name must be one line", conf);
    if (!strstr(error->message, want))
        g_error("expected \"%s\" in \"%s\"", want, error->message);
    g_unlink(conf);
    g_rmdir(dir);
}

/* Opening hours: off without the group; weekdays, exceptions by date and closing warnings
 * with it; every mistake named with its line. */
static void test_hours(void)
{
    g_autoptr(RkConfig) off = load_ok("");
    g_assert_false(off->hours.enabled);
    g_assert_null(off->hours.exceptions);
    g_assert_cmpuint(off->closing_warnings->len, ==, 2);
    g_assert_cmpint(g_array_index(off->closing_warnings, int, 0), ==, 900);
    g_assert_cmpint(g_array_index(off->closing_warnings, int, 1), ==, 300);
    /* An empty group turns hours on, every day open all day. */
    g_autoptr(RkConfig) empty = load_ok("hours = { };");
    g_assert_true(empty->hours.enabled);
    for (int i = 0; i < 7; i++) {
        g_assert_cmpuint(empty->hours.week[i].n, ==, 1);
        g_assert_cmpuint(empty->hours.week[i].r[0].start, ==, 0);
        g_assert_cmpuint(empty->hours.week[i].r[0].end, ==, 1440);
    }

    g_autoptr(RkConfig) c = load_ok(
        "hours = {\n"
        "  mon = \"09:00-16:00\"; tue = \"09:00-12:00, 13:00-19:00\"; sun = \"closed\";\n"
        "  warnings = [ 60, 600 ];\n"
        "  exceptions = ( { date = \"2026-12-25\"; hours = \"closed\"; },\n"
        "                 { date = \"2026-12-24\"; hours = \"10:00-13:00\"; } );\n"
        "};\n");
    g_assert_true(c->hours.enabled);
    g_assert_cmpuint(c->hours.week[0].n, ==, 1);
    g_assert_cmpuint(c->hours.week[0].r[0].start, ==, 540);
    g_assert_cmpuint(c->hours.week[1].n, ==, 2);
    g_assert_cmpuint(c->hours.week[1].r[1].end, ==, 1140);
    g_assert_cmpuint(c->hours.week[2].r[0].end, ==, 1440); /* wed left out: all day */
    g_assert_cmpuint(c->hours.week[6].n, ==, 0);
    g_assert_cmpint(g_array_index(c->closing_warnings, int, 0), ==, 600);
    g_assert_cmpuint(c->hours.exceptions->len, ==, 2);
    /* Sorted by date. */
    const HoursException *e = &g_array_index(c->hours.exceptions, HoursException, 0);
    g_assert_cmpuint(e->day.n, ==, 1);
    g_assert_cmpuint(e->day.r[0].start, ==, 600);
    g_autoptr(RkConfig) nowarn = load_ok("hours = { warnings = [ ]; };");
    g_assert_cmpuint(nowarn->closing_warnings->len, ==, 0);

    ERR("hours = {\n mon = \"9-16\";\n};", "test.conf:2: hours.mon = \"9-16\": write \"closed\" or ranges");
    ERR("hours = { fri = \"16:00-09:00\"; };", "hours.fri = \"16:00-09:00\": a range must end after it begins");
    ERR("hours = { sat = \"09:00-12:00,11:00-14:00\"; };", "hours.sat = \"09:00-12:00,11:00-14:00\": ranges overlap");
    ERR("hours = { wed = \"25:00-26:00\"; };", "hours.wed");
    ERR("hours = { mon = 9; };", "hours.mon must be a string");
    ERR("hours = { monday = \"09:00-16:00\"; };", "unknown key \"hours.monday\"");
    ERR("hours = { warnings = [ 0 ]; };", "hours.warnings: 0 is out of range");
    ERR("hours = { warnings = 900; };", "hours.warnings must be a list of integers");
    ERR("hours = \"09:00-16:00\";", "hours must be a group");
    ERR("hours = {\n exceptions = { date = \"2026-12-24\"; };\n};", "test.conf:2: hours.exceptions must be a list of groups");
    ERR("hours = { exceptions = ( \"2026-12-24\" ); };", "each hours.exceptions entry must be a group");
    ERR("hours = { exceptions = (\n { date = \"2026-12-24\"; } ); };", "test.conf:2: an hours.exceptions entry needs both date and hours");
    ERR("hours = { exceptions = ( { date = \"2026-12-24\"; hours = \"closed\"; why = \"xmas\"; } ); };",
        "unknown key \"hours.exceptions.why\"");
    ERR("hours = { exceptions = (\n { date = \"24.12.2026\"; hours = \"closed\"; } ); };",
        "test.conf:2: hours.exceptions.date \"24.12.2026\" must be a date");
    ERR("hours = { exceptions = ( { date = \"2026-02-30\"; hours = \"closed\"; } ); };", "must be a date written YYYY-MM-DD");
    ERR("hours = { exceptions = ( { date = \"2026-12-24\";\n hours = \"shut\"; } ); };",
        "test.conf:2: hours.exceptions.hours = \"shut\"");
    ERR("hours = { exceptions = ( { date = \"2026-12-24\"; hours = 1; } ); };", "hours.exceptions.hours must be a string");
    ERR("hours = { exceptions = ( { date = \"2026-12-24\"; hours = \"closed\"; },\n"
        "                         { date = \"2026-12-24\"; hours = \"10:00-12:00\"; } ); };",
        "test.conf:2: hours.exceptions: 2026-12-24 is listed twice");
    /* All of them at once, each with its line. */
    ERR("hours = {\n mon = \"x\";\n tue = \"y\";\n};", "test.conf:2: hours.mon", "test.conf:3: hours.tue");
}

/* All problems are reported in one go, each with its line. */
static void test_all_errors_reported(void)
{
    ERR("guest = {\n user = \"Bad\";\n nope = 1;\n};\nsession = {\n time_limit = -1;\n};\n",
        "test.conf:2: guest.user", "test.conf:3: unknown key", "test.conf:6: session.time_limit");
}

/* File checks: a missing skeleton or notice folder is named with the line of its key. */
static void test_missing_files(void)
{
    g_autofree char *dir = g_dir_make_tmp("rk-config-XXXXXX", NULL);
    g_autofree char *notice = g_build_filename(dir, "notice", NULL);
    g_autofree char *skel = g_build_filename(dir, "skel", NULL);
    g_autofree char *conf = g_build_filename(dir, "r.conf", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_mkdir(skel, 0755), ==, 0);
    g_assert_cmpint(g_mkdir(notice, 0755), ==, 0);
    for (const char *l = "nb\0nn\0en\0"; *l; l += strlen(l) + 1) {
        g_autofree char *d = g_build_filename(notice, l, NULL);
        g_assert_cmpint(g_mkdir(d, 0755), ==, 0);
    }
    g_autofree char *good = g_strdup_printf("guest = {\n skeleton = \"%s\";\n};\nnotice = {\n text_dir = \"%s\";\n};\n", skel, notice);
    g_assert_true(g_file_set_contents(conf, good, -1, NULL));
    g_autoptr(RkConfig) c = rk_config_load(conf, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);

    g_autofree char *bad = g_strdup_printf("guest = {\n skeleton = \"%s/nope\";\n};\nnotice = {\n text_dir = \"%s/nope\";\n};\n", skel, notice);
    g_assert_true(g_file_set_contents(conf, bad, -1, NULL));
    g_autoptr(RkConfig) c2 = rk_config_load(conf, &error);
    g_assert_null(c2);
    g_autofree char *want1 = g_strdup_printf("%s:2: guest.skeleton: directory", conf);
    g_assert_nonnull(strstr(error->message, want1));
    g_clear_error(&error);

    /* Missing patron texts are no load error (the wipe must run without them): they are
     * reported apart, as FILE:LINE lines, and close the seat. */
    g_autofree char *notexts = g_strdup_printf("guest = {\n skeleton = \"%s\";\n};\nnotice = {\n text_dir = \"%s/nope\";\n};\n", skel, notice);
    g_assert_true(g_file_set_contents(conf, notexts, -1, NULL));
    g_autoptr(RkConfig) c5 = rk_config_load(conf, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c5);
    g_autofree char *want2 = g_strdup_printf("%s:5: notice.text_dir: directory", conf);
    g_assert_nonnull(c5->text_problems);
    g_assert_nonnull(strstr(c5->text_problems, want2));
    g_assert_null(c->text_problems);

    /* A language without its folder of texts. */
    g_autofree char *nolang = g_strdup_printf("guest = { skeleton = \"%s\"; };\nnotice = { text_dir = \"%s\"; };\n"
                                              "session = {\n languages = [\"nb\", \"se\"];\n};\n", skel, notice);
    g_assert_true(g_file_set_contents(conf, nolang, -1, NULL));
    g_autoptr(RkConfig) c3 = rk_config_load(conf, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c3);
    g_assert_nonnull(strstr(c3->text_problems, ":4: session.languages: no notice texts for \"se\""));

    /* An unreadable file is an I/O error naming the file. */
    g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
    g_autoptr(RkConfig) c4 = rk_config_load(missing, &error);
    g_assert_null(c4);
    g_assert_error(error, RK_CONFIG_ERROR, RK_CONFIG_ERROR_IO);
    g_assert_nonnull(strstr(error->message, missing));

    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_cmpint(system(cmd), ==, 0);
}

/* Errors in an @include'd file name that file and its line. */
static void test_include(void)
{
    g_autofree char *dir = g_dir_make_tmp("rk-config-XXXXXX", NULL);
    g_autofree char *main_conf = g_build_filename(dir, "main.conf", NULL);
    g_autofree char *inc = g_build_filename(dir, "local.conf", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(inc, "session = {\n\n  idle_timeout = \"x\";\n};\n", -1, NULL));
    g_assert_true(g_file_set_contents(main_conf, "@include \"local.conf\"\n", -1, NULL));
    g_autoptr(RkConfig) c = rk_config_load(main_conf, &error);
    g_assert_null(c);
    g_autofree char *want = g_strdup_printf("%s:3: session.idle_timeout must be an integer", inc);
    if (!strstr(error->message, want))
        g_error("expected \"%s\" in \"%s\"", want, error->message);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_cmpint(system(cmd), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/defaults", test_defaults);
    g_test_add_func("/config/shipped-equals-defaults", test_shipped_equals_defaults);
    g_test_add_func("/config/values", test_values);
    g_test_add_func("/config/syntax-error", test_syntax_error);
    g_test_add_func("/config/unknown-keys", test_unknown);
    g_test_add_func("/config/types", test_types);
    g_test_add_func("/config/ranges", test_ranges);
    g_test_add_func("/config/cross-checks", test_cross_checks);
    g_test_add_func("/config/timing-adjustable", test_timing_adjustable);
    g_test_add_func("/config/volunteers", test_volunteers);
    g_test_add_func("/config/seat-name", test_seat_name);
    g_test_add_func("/config/seat-name-keys", test_seat_name_keys);
    g_test_add_func("/config/all-errors-reported", test_all_errors_reported);
    g_test_add_func("/config/missing-files", test_missing_files);
    g_test_add_func("/config/include", test_include);
    g_test_add_func("/config/hours", test_hours);
    return g_test_run();
}
