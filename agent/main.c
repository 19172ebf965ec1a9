/* rentarkd: wires the modules together. Only option parsing and the choice of mode live here. */
#include "config.h"
#include "journal.h"
#include "log.h"
#include "util.h"
#include "control.h"
#include "logind.h"
#include "metrics.h"
#include "mountctl.h"
#include "guest.h"
#include "seat.h"
#include "server.h"
#include "stats.h"
#include "wipe.h"

#include <glib-unix.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    GMainLoop *loop;
    char *config_path;
    RkConfig *cfg;
    Seat *seat;
    Control *control;
    Server *server;
    Stats *stats;
    Metrics *metrics;
    bool ready_sent;
    char *exe;           /* the file this daemon was started from */
    struct stat exe_st;  /* ... as it was at the start (to see it replaced) */
    char **argv;
    guint take_over_id;
} Daemon;

/* What systemd shows for each seat state (systemctl status: "Status: ..."). */
static const char *const status_text[SEAT_N_STATES] = {
    [SEAT_READY] = "seat clean and ready",
    [SEAT_NOTICE] = "session starting: the privacy notice is up",
    [SEAT_ACTIVE] = "session running",
    [SEAT_ENDING] = "session ending: stopping the guest's processes",
    [SEAT_WIPING] = "wiping the guest's data",
    [SEAT_BLOCKED] = "seat BLOCKED: open incident, out of service until staff resolve it",
    [SEAT_CLOSED] = "seat clean, CLOSED: outside the opening hours",
};

/* The sd_notify protocol, without libsystemd: one datagram to $NOTIFY_SOCKET, if set. */
static void notify(const char *state)
{
    const char *path = g_getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!path || !*path || strlen(path) >= sizeof sa.sun_path)
        return;
    memcpy(sa.sun_path, path, strlen(path));
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract socket */
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        (void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path)));
}

/* A package upgrade replaces the program under the running daemon, and the .deb does not stop
 * it (that would end a patron's session). The new version takes over between sessions: when
 * the seat is READY or CLOSED (at once after the reload the package's postinst sends, or when the running
 * session's wipe is over) the daemon execs the new program in place: the same PID for systemd,
 * the listening socket handed over (no client finds it missing), and the state on disk read at
 * start as after any restart. */
static bool exe_replaced(const Daemon *d)
{
    struct stat st;
    return d->exe && stat(d->exe, &st) == 0 && S_ISREG(st.st_mode) &&
           (st.st_ino != d->exe_st.st_ino || st.st_dev != d->exe_st.st_dev);
}

static gboolean take_over(gpointer data)
{
    Daemon *d = data;
    d->take_over_id = 0;
    SeatState st = seat_state(d->seat);
    if ((st != SEAT_READY && st != SEAT_CLOSED) || !exe_replaced(d))
        return G_SOURCE_REMOVE;
    int fd = server_hand_over(d->server);
    if (fd < 0) {
        g_warning("a new version of rentarkd is installed, but the socket cannot be handed over: %s", g_strerror(errno));
        return G_SOURCE_REMOVE;
    }
    g_message("a new version of rentarkd is installed: it takes over now, between sessions");
    notify("RELOADING=1\nSTATUS=starting the new version");
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    g_setenv(RENTARK_LISTEN_FD, num, TRUE);
    execv(d->exe, d->argv);
    int e = errno;
    g_unsetenv(RENTARK_LISTEN_FD);
    server_hand_over_failed(d->server);
    g_warning("cannot start the new version \"%s\": %s; this one goes on", d->exe, g_strerror(e));
    notify("READY=1\nSTATUS=seat clean and ready");
    return G_SOURCE_REMOVE;
}

static void take_over_soon(Daemon *d)
{
    if (!d->take_over_id && d->server && exe_replaced(d))
        d->take_over_id = g_idle_add(take_over, d);
}

static gboolean shutdown_done(gpointer data)
{
    Daemon *d = data;
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_term(gpointer data)
{
    Daemon *d = data;
    RkLogFields f = { 0 };
    rk_log_fields_add(&f, "RENTARK_SEAT_STATE", rk_seat_state_name(seat_state(d->seat)));
    rk_log_event(RK_EVENT_SHUTDOWN, G_LOG_LEVEL_MESSAGE, &f, "shutting down");
    notify("STOPPING=1");
    seat_shutdown(d->seat, shutdown_done, d);
    return G_SOURCE_CONTINUE;
}

/* SIGHUP: a new configuration, or, if it is broken, the old one kept and the error logged. */
static gboolean on_hup(gpointer data)
{
    Daemon *d = data;
    g_autoptr(GError) error = NULL;
    notify("RELOADING=1");
    RkConfig *cfg = rk_config_load(d->config_path, &error);
    if (!cfg) {
        g_warning("reload: keeping the running configuration: %s", error->message);
    } else if (!guest_check(cfg, &error)) {
        /* A new guest account or home must pass the same checks as at start. */
        g_warning("reload: keeping the running configuration: %s", error->message);
        rk_config_free(cfg);
    } else {
        seat_set_config(d->seat, cfg);
        control_set_config(d->control, cfg);
        metrics_set_config(d->metrics, cfg);
        rk_config_free(d->cfg);
        d->cfg = cfg;
        RkLogFields f = { 0 };
        rk_log_fields_add(&f, "RENTARK_CONFIG_FILE", d->config_path);
        rk_log_event(RK_EVENT_CONFIG_RELOADED, G_LOG_LEVEL_MESSAGE, &f, "reload: configuration \"%s\" loaded",
                     d->config_path);
        if (cfg->text_problems)
            g_warning("the patron notice texts are missing; no session can begin until they are fixed: %s",
                      cfg->text_problems);
    }
    if (seat_state(d->seat) == SEAT_READY || seat_state(d->seat) == SEAT_CLOSED)
        take_over_soon(d);
    if (d->ready_sent)
        notify("READY=1");
    else
        notify("STATUS=reloaded; the start-up recovery is still running");
    return G_SOURCE_CONTINUE;
}

/* Every seat state goes to systemd as STATUS=; the first settled one (READY, CLOSED or BLOCKED,
 * after the start-up recovery) also sends READY=1: the display manager, ordered after us,
 * starts only then. */
static void on_seat_changed(Seat *seat, SeatState old_state, SeatState new_state, gpointer data)
{
    Daemon *d = data;
    (void)seat;
    (void)old_state;
    bool settled = new_state == SEAT_READY || new_state == SEAT_BLOCKED || new_state == SEAT_CLOSED;
    g_autofree char *msg = g_strdup_printf("%sSTATUS=%s", !d->ready_sent && settled ? "READY=1\n" : "",
                                           status_text[new_state]);
    if (settled)
        d->ready_sent = true;
    notify(msg);
    if (new_state == SEAT_READY || new_state == SEAT_CLOSED)
        take_over_soon(d);
}

static void on_stats_saved(Seat *seat, gpointer data)
{
    (void)seat;
    metrics_write(data);
}

/* The watchdog (WatchdogSec= in the unit): WATCHDOG=1 from the main loop at half the period
 * systemd asks for. A main loop that hangs stops the pings; systemd then kills the daemon and
 * restarts it, and the start-up recovery ends and wipes the session the journal records. */
static gboolean on_watchdog(gpointer data)
{
    (void)data;
    notify("WATCHDOG=1");
    return G_SOURCE_CONTINUE;
}

static guint watchdog_start(void)
{
    const char *usec = g_getenv("WATCHDOG_USEC"), *pid = g_getenv("WATCHDOG_PID");
    guint64 us = 0, p = 0;
    if (!usec || !g_ascii_string_to_unsigned(usec, 10, 1, G_MAXUINT64, &us, NULL))
        return 0;
    /* WATCHDOG_PID names the process meant (not a child that inherited the environment). */
    if (pid && (!g_ascii_string_to_unsigned(pid, 10, 1, G_MAXINT32, &p, NULL) || (pid_t)p != getpid()))
        return 0;
    guint ms = (guint)MIN(us / 2000, (guint64)G_MAXUINT / 2);
    g_info("watchdog: pinging systemd every %u ms", MAX(ms, 1u));
    notify("WATCHDOG=1");
    return g_timeout_add(MAX(ms, 1u), on_watchdog, NULL);
}

static int run_daemon(const char *config_path, RkConfig *cfg, char **argv)
{
    Daemon d = { .config_path = g_strdup(config_path), .cfg = rk_config_ref(cfg), .argv = argv };
    g_autoptr(GError) error = NULL;


    /* The guest account before anything acts for it: created if missing and guest.create is
     * set, and the daemon refuses to run for an account that is root, privileged, shared or
     * has an unsafe home (guest.c states each rule). */
    if (!guest_ensure(cfg, &error)) {
        g_critical("%s", error->message);
        rk_config_free(d.cfg);
        g_free(d.config_path);
        return 1;
    }

    d.seat = seat_new(cfg, &error);
    if (!d.seat) {
        g_critical("%s", error->message);
        return 1;
    }
    d.stats = stats_load(cfg->state_dir, &error);
    if (error) {
        /* Statistics are never worth refusing to run: zeroes, and a warning. */
        g_warning("statistics: %s", error->message);
        g_clear_error(&error);
    }
    /* The textfile follows the seat's state, the statistics and a 15 s timer (metrics.h). */
    d.metrics = metrics_new(d.seat, d.stats, cfg);
    seat_set_stats(d.seat, d.stats, on_stats_saved, d.metrics);
    d.control = control_new(d.seat, cfg, d.stats);
    d.server = server_new(cfg->socket, control_handle, d.control, &error);
    if (!d.server) {
        g_critical("%s", error->message);
        return 1;
    }
    d.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_term, &d);
    g_unix_signal_add(SIGINT, on_term, &d);
    g_unix_signal_add(SIGHUP, on_hup, &d);
    /* logind is optional: without it the display manager hooks report sessions. */
    Logind *logind = logind_new(d.seat, &error);
    if (error) {
        g_info("%s", error->message);
        g_clear_error(&error);
    }

    /* Ready for systemd (and so for the display manager ordered after us) only once the
     * start-up recovery is over: the seat is clean (READY) or closed (BLOCKED). */
    /* Where a new version would be installed: the path this one was started from. */
    d.exe = g_file_read_link("/proc/self/exe", NULL);
    if (d.exe && (g_str_has_suffix(d.exe, " (deleted)") || stat(d.exe, &d.exe_st) < 0))
        g_clear_pointer(&d.exe, g_free);
    guint ready_id = seat_add_observer(d.seat, on_seat_changed, &d);
    guint watchdog_id = watchdog_start();
    seat_start(d.seat);
    metrics_write(d.metrics);
    RkLogFields started = { 0 };
    rk_log_fields_add(&started, "RENTARK_VERSION", RK_VERSION);
    rk_log_fields_add(&started, "RENTARK_SEAT_STATE", rk_seat_state_name(seat_state(d.seat)));
    rk_log_event(RK_EVENT_DAEMON_STARTED, G_LOG_LEVEL_MESSAGE, &started, "rentarkd %s listening on \"%s\"", RK_VERSION,
                 cfg->socket);
    if (!d.ready_sent)
        on_seat_changed(d.seat, seat_state(d.seat), seat_state(d.seat), &d);
    g_main_loop_run(d.loop);
    if (watchdog_id)
        g_source_remove(watchdog_id);
    g_clear_handle_id(&d.take_over_id, g_source_remove);

    seat_remove_observer(d.seat, ready_id);
    server_free(d.server);
    control_free(d.control);
    logind_free(logind);
    metrics_free(d.metrics);
    seat_free(d.seat);
    stats_free(d.stats);
    g_main_loop_unref(d.loop);
    rk_config_free(d.cfg);
    g_free(d.config_path);
    g_free(d.exe);
    return 0;
}

/* --wipe-once [--dry-run]: one complete end-of-session wipe, or its count. */
static int run_wipe_once(const RkConfig *cfg, bool dry_run)
{
    g_autoptr(GError) error = NULL;

    /* The same refusals as the daemon: never wipe for a privileged or shared account. A real
     * run also creates a missing account as the daemon's start does (guest.create), so that
     * an installer can prepare the seat: account, fresh home, verified. */
    if (!(dry_run ? guest_check(cfg, &error) : guest_ensure(cfg, &error))) {
        fprintf(stderr, "rentarkd: %s\n", error->message);
        return 1;
    }
    WipeFlags flags = dry_run ? WIPE_DRY_RUN : 0;
    WipeTarget target;
    int r = wipe_target_open(cfg, &target);
    if (r < 0) {
        fprintf(stderr, "rentarkd: guest account \"%s\": %s\n", cfg->guest_user, g_strerror(-r));
        return 1;
    }
    /* A session the journal says was running: what it created in the watched folders is
     * found by time since it began. */
    SeatRecord rec;
    if (cfg->watch[0] && journal_load(cfg->state_dir, &rec) == 0 && rec.state != SEAT_READY)
        target.session_start = rec.started;
    g_autoptr(WipeResult) res = g_new0(WipeResult, 1);
    r = wipe_run(&target, flags, res);
    wipe_target_clear(&target);
    if (dry_run) {
        if (r < 0) {
            fprintf(stderr, "rentarkd: dry run failed: %s\n", g_strerror(-r));
            return 1;
        }
        wipe_print_dry_run(res, stdout);
        return 0;
    }
    wipe_log(res, flags);
    return res->verified ? 0 : 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: rentarkd [-c FILE] [-f|--foreground] [--check-config [--offline]] [--wipe-once [--dry-run]] [--version]\n"
            "\n"
            "  -c, --config FILE   configuration file (default " RK_CONFIG_DEFAULT_PATH ")\n"
            "  -f, --foreground    stay in the foreground, log to stderr\n"
            "      --check-config  validate the configuration, print FILE:LINE: errors, exit 1 on error\n"
            "      --offline       with --check-config: check every value, but look at nothing of this\n"
            "                      machine (no folders the file names; for CI and deployment tools)\n"
            "      --wipe-once     run one complete end-of-session wipe and exit 0 only if verified\n"
               "                      (creates a missing guest account if guest.create is set)\n"
            "      --dry-run       with --wipe-once: count what would be wiped, delete nothing\n"
            "  -d, --debug         debug logging\n"
            "      --version       print the version\n"
            "      --mount-helper  rentark-mount: the mount-table changes of the wipe, in the host's\n"
            "                      mount namespace (started by rentark-mount.socket)\n");
}

int main(int argc, char **argv)
{
    enum { OPT_CHECK = 256, OPT_OFFLINE, OPT_WIPE_ONCE, OPT_DRY_RUN, OPT_VERSION, OPT_MOUNT_HELPER };
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "foreground", no_argument, NULL, 'f' },
        { "debug", no_argument, NULL, 'd' },
        { "check-config", no_argument, NULL, OPT_CHECK },
        { "offline", no_argument, NULL, OPT_OFFLINE },
        { "wipe-once", no_argument, NULL, OPT_WIPE_ONCE },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "version", no_argument, NULL, OPT_VERSION },
        { "mount-helper", no_argument, NULL, OPT_MOUNT_HELPER },
        { "help", no_argument, NULL, 'h' },
        {},
    };
    const char *config_path = RK_CONFIG_DEFAULT_PATH;
    bool check = false, offline = false, wipe_once = false, dry_run = false, debug = false;
    int c;

    while ((c = getopt_long(argc, argv, "c:fdh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'f': break; /* rentarkd never forks; systemd or the caller decides. */
        case 'd': debug = true; break;
        case OPT_CHECK: check = true; break;
        case OPT_OFFLINE: offline = true; break;
        case OPT_WIPE_ONCE: wipe_once = true; break;
        case OPT_DRY_RUN: dry_run = true; break;
        case OPT_VERSION: printf("rentarkd %s\n", RK_VERSION); return 0;
        case OPT_MOUNT_HELPER: rk_log_init("rentark-mount", false); return mountctl_serve();
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    /* --offline only makes sense for a check: the daemon and the wipe need the machine. */
    if (optind < argc || (dry_run && !wipe_once) || (offline && !check)) {
        usage(stderr);
        return 2;
    }

    rk_log_init("rentarkd", debug);

    g_autoptr(GError) error = NULL;
    g_autoptr(RkConfig) cfg = rk_config_load_flags(config_path, offline ? RK_CONFIG_OFFLINE : 0, &error);
    if (!cfg) {
        /* The message is already "FILE:LINE: message" lines; print them as they are so that
         * editors and scripts can jump to them. */
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    if (check) {
        if (cfg->text_problems) {
            fprintf(stderr, "%s\n", cfg->text_problems);
            return 1;
        }
        printf("%s: configuration is valid%s\n", config_path,
               offline ? " (offline: the folders it names were not looked at)" : "");
        return 0;
    }
    /* Missing patron texts close the seat (seat_session_begin refuses), but the wipe of the
     * last session must run and be verified all the same. */
    if (cfg->text_problems)
        g_warning("the patron notice texts are missing; no session can begin until they are fixed: %s",
                  cfg->text_problems);
    if (wipe_once)
        return run_wipe_once(cfg, dry_run);
    return run_daemon(config_path, cfg, argv);
}
