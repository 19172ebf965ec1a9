/* Tests of the session client's side of the protocol (session/client.c): the request `extend`
 * sends, and how the new keys of `status` (extends_left) and `session-config` (extend_by,
 * max_extends, screen_reader) are read and bounded, against a stand-in daemon that answers
 * one canned line.
 *
 * client.c belongs to the session client, whose objects are not in the libraries the unit
 * tests link; it needs GLib and common/ only, so it is compiled into this test directly. */
#include "../../session/client.c"

#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A daemon for one request: it reads the request line and answers with reply. */
typedef struct {
    char *dir;
    char *path;
    int fd;
    const char *reply;
    char request[256];
    GThread *thread;
} Stub;

static gpointer stub_thread(gpointer data)
{
    Stub *s = data;
    int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(c, >=, 0);
    size_t got = 0;
    while (got < sizeof s->request - 1 && !memchr(s->request, '\n', got)) {
        ssize_t n = read(c, s->request + got, sizeof s->request - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    s->request[got] = '\0';
    g_autofree char *line = g_strconcat(s->reply, "\n", NULL);
    g_assert_cmpint(write(c, line, strlen(line)), ==, (gssize)strlen(line));
    close(c);
    return NULL;
}

static Stub *stub_start(const char *reply)
{
    Stub *s = g_new0(Stub, 1);
    g_autoptr(GError) error = NULL;
    s->dir = g_dir_make_tmp("rk-client.XXXXXX", &error);
    g_assert_no_error(error);
    s->path = g_build_filename(s->dir, "control.sock", NULL);
    s->reply = reply;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert_cmpuint(strlen(s->path), <, sizeof sa.sun_path);
    strcpy(sa.sun_path, s->path);
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(s->fd, >=, 0);
    g_assert_cmpint(bind(s->fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    g_assert_cmpint(listen(s->fd, 1), ==, 0);
    s->thread = g_thread_new("stub", stub_thread, s);
    return s;
}

/* Wait for the stand-in to finish and remove it; returns the request it read (g_free). */
static char *stub_finish(Stub *s)
{
    g_thread_join(s->thread);
    close(s->fd);
    g_assert_cmpint(g_unlink(s->path), ==, 0);
    g_assert_cmpint(g_rmdir(s->dir), ==, 0);
    char *req = g_strdup(s->request);
    g_free(s->path);
    g_free(s->dir);
    g_free(s);
    return req;
}

#define STATUS "OK state=ACTIVE session=0123 guided=0 volunteer=- time_left=900 idle_left=800 warn=0 " \
               "last_wipe=1700000000 verified=1 closed=- generation=7"

static void test_extend(void)
{
    Stub *s = stub_start(STATUS " extends_left=9");
    ClientStatus st = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(client_extend(s->path, &st, &error));
    g_assert_no_error(error);
    g_autofree char *req = stub_finish(s);
    g_assert_cmpstr(req, ==, "extend\n");
    g_assert_cmpint(st.state, ==, SEAT_ACTIVE);
    g_assert_cmpint(st.time_left, ==, 900);
    g_assert_cmpint(st.extends_left, ==, 9);
    client_status_clear(&st);
}

/* Each refusal is an error that names the daemon's code, and leaves the status as it was. */
static void test_extend_refused(void)
{
    static const char *const codes[] = { "exhausted", "no-limit", "denied", "state" };
    for (size_t i = 0; i < G_N_ELEMENTS(codes); i++) {
        g_autofree char *reply = g_strdup_printf("ERR %s no%%20more%%20time", codes[i]);
        Stub *s = stub_start(reply);
        ClientStatus st = { .time_left = 42, .extends_left = 3 };
        g_autoptr(GError) error = NULL;
        g_assert_false(client_extend(s->path, &st, &error));
        g_free(stub_finish(s));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_autofree char *want = g_strdup_printf("extend refused: %s", codes[i]);
        g_assert_cmpstr(error->message, ==, want);
        g_assert_cmpint(st.time_left, ==, 42);
        g_assert_cmpint(st.extends_left, ==, 3);
    }
}

/* extends_left is bounded like the configuration's max_extends: anything else counts as 0. */
static void test_status_extends_left(void)
{
    static const struct {
        const char *kv;
        long want;
    } cases[] = { { " extends_left=1000", 1000 }, { " extends_left=1001", 0 }, { " extends_left=-1", 0 },
                  { " extends_left=2x", 0 },      { "", 0 } /* an older daemon */ };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *reply = g_strconcat(STATUS, cases[i].kv, NULL);
        Stub *s = stub_start(reply);
        ClientStatus st = { 0 };
        g_autoptr(GError) error = NULL;
        g_assert_true(client_get_status(s->path, &st, &error));
        g_autofree char *req = stub_finish(s);
        g_assert_cmpstr(req, ==, "status\n");
        g_assert_cmpint(st.extends_left, ==, cases[i].want);
        client_status_clear(&st);
    }
}

/* Whether a login would be taken, from the status as the daemon sends it (--until-ready):
 * READY with its notice texts, NOTICE and ACTIVE; not READY without texts, CLOSED, ENDING,
 * WIPING or BLOCKED. */
static void test_status_takes_login(void)
{
    static const struct {
        const char *state, *closed;
        gboolean want;
    } cases[] = { { "READY", "-", TRUE },       { "READY", "notice-texts", FALSE }, { "NOTICE", "-", TRUE },
                  { "ACTIVE", "-", TRUE },      { "CLOSED", "-", FALSE },           { "ENDING", "-", FALSE },
                  { "WIPING", "-", FALSE },     { "BLOCKED", "-", FALSE } };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *reply = g_strdup_printf("OK state=%s closed=%s time_left=-1 generation=1", cases[i].state, cases[i].closed);
        Stub *s = stub_start(reply);
        ClientStatus st = { 0 };
        g_autoptr(GError) error = NULL;
        g_assert_true(client_get_status(s->path, &st, &error));
        g_free(stub_finish(s));
        g_assert_cmpint(client_status_takes_login(&st), ==, cases[i].want);
        client_status_clear(&st);
    }
}

#define SETTINGS "OK generation=7 idle_timeout=900 idle_warning=60 idle_report_interval=30 lang=nb " \
                 "guided_enabled=1 warnings=600,300,60 languages=nb,nn,en notice_dir=/etc/rentark/notice"

static gboolean settings(const char *extra, ClientSettings *ret)
{
    g_autofree char *reply = g_strconcat(SETTINGS, extra, NULL);
    Stub *s = stub_start(reply);
    g_autoptr(GError) error = NULL;
    gboolean ok = client_get_settings(s->path, ret, &error);
    g_free(stub_finish(s));
    g_assert_true(ok == (error == NULL));
    if (!ok)
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    return ok;
}

static void test_settings(void)
{
    ClientSettings set = { 0 };
    g_assert_true(settings(" extend_by=600 max_extends=10 screen_reader=1", &set));
    g_assert_cmpint(set.extend_by, ==, 600);
    g_assert_cmpint(set.max_extends, ==, 10);
    g_assert_true(set.screen_reader);
    g_assert_cmpuint(set.warnings->len, ==, 3);
    g_assert_true(settings(" extend_by=0 max_extends=0 screen_reader=0", &set));
    g_assert_cmpint(set.extend_by, ==, 0);
    g_assert_cmpint(set.max_extends, ==, 0);
    g_assert_false(set.screen_reader);
    g_assert_true(settings(" extend_by=604800 max_extends=1000 screen_reader=0", &set));
    g_assert_cmpint(set.extend_by, ==, RK_CONFIG_MAX_EXTEND_BY);
    g_assert_cmpint(set.max_extends, ==, RK_CONFIG_MAX_EXTENDS);

    /* Fail closed: a setting missing or outside the configuration's bounds makes the whole
     * reply unusable, and the settings held before stay. */
    static const char *const bad[] = {
        " max_extends=10 screen_reader=0",                 /* extend_by missing */
        " extend_by=600 screen_reader=0",                  /* max_extends missing */
        " extend_by=600 max_extends=10",                   /* screen_reader missing */
        " extend_by=604801 max_extends=10 screen_reader=0", /* beyond RK_CONFIG_MAX_EXTEND_BY */
        " extend_by=-1 max_extends=10 screen_reader=0",
        " extend_by=600 max_extends=1001 screen_reader=0", /* beyond RK_CONFIG_MAX_EXTENDS */
        " extend_by=600 max_extends=10 screen_reader=2",
        " extend_by=600 max_extends=10 screen_reader=yes",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(settings(bad[i], &set));
        g_assert_cmpint(set.extend_by, ==, RK_CONFIG_MAX_EXTEND_BY);
        g_assert_cmpint(set.max_extends, ==, RK_CONFIG_MAX_EXTENDS);
    }
    client_settings_clear(&set);
}

/* seat_name: the daemon's seat.name, unescaped; a missing, empty or malformed one is none,
 * never a reason to refuse the settings. */
static void test_settings_seat_name(void)
{
    static const struct {
        const char *extra;
        const char *want;
    } cases[] = {
        { " seat_name=PC%203%20%E2%80%93%202.%20etasje", "PC 3 \u2013 2. etasje" },
        { " seat_name=Lesesal%20\"A\"%20\\%201", "Lesesal \"A\" \\ 1" },
        { "", NULL },
        { " seat_name=", NULL },
        { " seat_name=PC%0A3", NULL },   /* a line feed */
        { " seat_name=PC%FF", NULL },    /* not UTF-8 */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        ClientSettings set = { 0 };
        g_autofree char *extra = g_strconcat(" extend_by=600 max_extends=10 screen_reader=0", cases[i].extra, NULL);
        g_assert_true(settings(extra, &set));
        g_assert_cmpstr(set.seat_name, ==, cases[i].want);
        client_settings_clear(&set);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/extend", test_extend);
    g_test_add_func("/client/extend-refused", test_extend_refused);
    g_test_add_func("/client/status-extends-left", test_status_extends_left);
    g_test_add_func("/client/status-takes-login", test_status_takes_login);
    g_test_add_func("/client/settings", test_settings);
    g_test_add_func("/client/settings-seat-name", test_settings_seat_name);
    return g_test_run();
}
