/* rentark-session: the X11 client in the guest's session.
 *
 * The order of the steps is the design:
 *   1. read the options and four settings of the configuration: the socket, the guest's
 *      name (to tell the guest's session while the daemon is down), the notice texts' folder
 *      and the PC's name (for the screens before the daemon answers). The file may be unreadable for the
 *      guest (it holds the PIN hashes); then the documented defaults apply. Everything else,
 *      the limits, warnings, guided.enabled, languages, the daemon's notice.text_dir and seat.name, comes
 *      from the daemon (session-config), which is what counts;
 *   2. open the display; a lost X connection means the session is over, and we exit;
 *   3. cover every monitor and grab keyboard and pointer (flow_new -> ui), before anything
 *      else is asked of anyone;
 *   4. ask rentarkd for the seat's state and show the screen it calls for;
 *   5. sleep in the GLib main loop until X, a timer or a signal wakes us.
 * This client runs as the guest and holds no secret: a helper's PIN passes through it to the
 * socket and is wiped at once. */
#include "a11y.h"
#include "call.h"
#include "client.h"
#include "config.h"
#include "flow.h"
#include "log.h"
#include "notice.h"

#include <X11/Xlib.h>
#include <errno.h>
#include <fcntl.h>
#include <gdk/gdkx.h>
#include <gtk/gtk.h>
#include <pwd.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Flow *x_flow;

/* Xlib calls this when the connection to the X server is gone: the guest's session was
 * closed (after `end`, the daemon kills it). Xlib does not allow the handler to return, so
 * this is the one exit outside main(); it is _exit() because nothing is left to flush or
 * free (GTK's state belongs to the dead connection), and the process must not linger. */
static int on_x_io_error(Display *dpy)
{
    g_message("the X connection is closed; the session is over");
    _exit(0);
}

/* Protocol errors (a window of another client vanished while we raised above it) are
 * harmless here; the default handler would end the client and uncover the desktop. */
static int on_x_error(Display *dpy, XErrorEvent *ev)
{
    g_debug("X error %d (request %d.%d) ignored", ev->error_code, ev->request_code, ev->minor_code);
    return 0;
}

/* Every X event, before GTK: the idle alarms and the root window's events are ours. */
static GdkFilterReturn x_filter(GdkXEvent *xev, GdkEvent *ev, gpointer data)
{
    return x_flow && flow_handle_event(x_flow, (XEvent *)xev) ? GDK_FILTER_REMOVE : GDK_FILTER_CONTINUE;
}

static gboolean on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

/* --until-ready: a login would be accepted; the greeter's wrapper goes on to the greeter.
 * Possibly called from flow_new(), before the loop runs. */
static gboolean x_ready;
static void on_ready(void *loop)
{
    x_ready = TRUE;
    g_main_loop_quit(loop);
}

/* --until-ready: whether the display manager's login would be taken now (the seat READY with
 * its notice texts, or a session the hook takes up again), asked before anything is drawn so
 * that a ready seat goes straight on to the greeter. */
static gboolean login_would_be_taken(const char *socket)
{
    ClientStatus st = { 0 };
    gboolean yes = client_get_status(socket, &st, NULL) && client_status_takes_login(&st);
    client_status_clear(&st);
    return yes;
}

/* The four settings this client reads itself (the daemon holds the rest), or their defaults
 * when the file cannot be read by the guest. */
static RkConfig *load_config(const char *path, gboolean explicit_path)
{
    static const char *const keys[] = { "paths.socket", "guest.user", "notice.text_dir", "seat.name", NULL };
    g_autoptr(GError) error = NULL;
    RkConfig *c = rk_config_load_keys(path, keys, &error);
    if (c)
        return c;
    if (explicit_path || !g_error_matches(error, RK_CONFIG_ERROR, RK_CONFIG_ERROR_IO))
        g_warning("%s; using the defaults", error->message);
    return rk_config_load_string("", "(defaults)", false, NULL);
}

/* The XDG autostart entry starts this client in the session of every account that logs in on
 * the PC (staff too); only the guest's session is ours. The daemon tells by the asker's uid;
 * without an answer (it is down: then no guest session can have begun through the display
 * manager's hook), the login name is compared with guest.user. */
static gboolean guest_session(const char *socket, const RkConfig *config)
{
    g_autoptr(RkParsedReply) r = rk_call(socket, 2000, NULL, "status", NULL);
    const char *caller = r && r->ok ? rk_reply_get(r, "caller") : NULL;
    if (caller)
        return strcmp(caller, "guest") == 0;
    struct passwd pw, *res = NULL;
    char buf[4096];
    return getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && strcmp(res->pw_name, config->guest_user) == 0;
}

/* Steps 2 to 5: the display, the flow on it, the main loop until the end. Returns the exit
 * code. */
static int run_display(FlowOptions *opt)
{
    g_autoptr(GError) error = NULL;

    /* GTK would start the accessibility bridge here and wait on a slow bus with nothing on
     * screen; the flow starts it once the cover is up (a11y.c). No accessibility bus is no
     * reason to fail: the screens work without a screen reader. */
    a11y_hold();
    gboolean up = gtk_init_check(NULL, NULL);
    a11y_release();
    if (!up) {
        g_critical("cannot open the X display \"%s\"", g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "");
        return 1;
    }
    GdkDisplay *gd = gdk_display_get_default();
    if (!GDK_IS_X11_DISPLAY(gd)) {
        g_critical("rentark-session needs an X11 display");
        return 1;
    }
    /* After GTK's own: ours keep the cover up through a protocol error and end quietly when
     * the session's X server goes away. */
    XSetIOErrorHandler(on_x_io_error);
    XSetErrorHandler(on_x_error);

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    opt->done = on_ready;
    opt->done_data = loop;
    gdk_window_add_filter(NULL, x_filter, NULL);
    x_flow = flow_new(opt, &error);
    if (!x_flow) {
        g_critical("cannot show the notice: %s", error->message);
        return 1;
    }

    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    if (!x_ready)
        g_main_loop_run(loop);

    gdk_window_remove_filter(NULL, x_filter, NULL);
    flow_free(x_flow);
    x_flow = NULL;
    gdk_display_flush(gd);
    return 0;
}

int main(int argc, char **argv)
{
    g_autofree char *config_path = NULL, *socket_path = NULL, *lang = NULL, *dump = NULL;
    g_autofree char *localedir = NULL;
    gboolean version = FALSE, debug = FALSE, until_ready = FALSE;
    int ready_fd = -1;
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file", "FILE" },
        { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path, "rentarkd's socket (default: paths.socket)", "PATH" },
        { "lang", 'l', 0, G_OPTION_ARG_STRING, &lang, "Language of the notice (nb, nn, en, se, uk, ar, pl, so, ...)", "XX" },
        { "debug-dump", 0, 0, G_OPTION_ARG_FILENAME, &dump, "Write the text of the screen to FILE after every draw (tests)", "FILE" },
        { "ready-fd", 0, 0, G_OPTION_ARG_INT, &ready_fd, "Write \"ready\" to FD after the first complete draw", "FD" },
        { "until-ready", 0, 0, G_OPTION_ARG_NONE, &until_ready,
          "Before the display manager's greeter (as its user): show the seat's closed, wipe or out-of-order screen until a login would be accepted, then exit 0", NULL },
        { "localedir", 0, 0, G_OPTION_ARG_FILENAME, &localedir, "Where the catalogues are (default: " RK_LOCALEDIR ")", "DIR" },
        { "debug", 'd', 0, G_OPTION_ARG_NONE, &debug, "Debug messages", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    setlocale(LC_ALL, "");
    notice_i18n_init(g_getenv("RENTARK_LOCALEDIR") ? g_getenv("RENTARK_LOCALEDIR") : RK_LOCALEDIR);
    g_autoptr(GOptionContext) ctx = g_option_context_new("- the rentark notice and session strip");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "rentark-session: %s\n", error->message);
        return 2;
    }
    if (version) {
        printf("rentark-session %s\n", RK_VERSION);
        return 0;
    }
    if (localedir)
        notice_i18n_init(localedir);
    rk_log_init("rentark-session", debug);
    if (ready_fd >= 0 && fcntl(ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
        g_printerr("rentark-session: --ready-fd %d: %s\n", ready_fd, g_strerror(errno));
        return 2;
    }

    g_autoptr(RkConfig) config = load_config(config_path ? config_path : RK_CONFIG_DEFAULT_PATH, config_path != NULL);
    if (!config) {
        g_critical("cannot build the default configuration");
        return 1;
    }

    const char *socket = socket_path ? socket_path : config->socket;
    if (until_ready && login_would_be_taken(socket)) {
        g_info("the seat takes a login: nothing to show before the greeter");
        return 0;
    }
    if (!until_ready && !guest_session(socket, config)) {
        g_info("not the guest's session: nothing to do");
        return 0;
    }

    FlowOptions opt = {
        .socket = socket,
        .notice_dir = config->notice_dir,
        .languages = (const char *const *)config->languages,
        .seat_name = config->seat_name,
        .lang = lang,
        .dump_path = dump,
        .ready_fd = ready_fd,
        .until_ready = until_ready,
    };
    return run_display(&opt);
}
