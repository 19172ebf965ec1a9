/* Mount-table changes, here or through rentark-mount (see mountctl.h). */
#include "mountctl.h"

#include "call.h"
#include "paths.h"
#include "proto.h"
#include "util.h"

#include <errno.h>
#include <gio/gio.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HELPER_TIMEOUT_MS 60000 /* a detach of many mounts, a slow disk: never a wipe's limit */

/* ---- the daemon's side ---- */

static const char *helper_socket(void)
{
    const char *s = g_getenv(RENTARK_MOUNT_HELPER);
    return s && *s ? s : NULL;
}

/* Sends verb and args to the helper (the protocol's one client call); returns its result (a
 * count, or -errno), or -EIO when the helper could not be asked (the caller's step then fails:
 * not verified). */
static long long helper_call(const char *sock, const char *verb, const char *const *args)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RkParsedReply) r = rk_call_argv(sock, HELPER_TIMEOUT_MS, verb, args, &error);
    if (!r) {
        g_warning("rentark-mount (%s): %s", sock, error->message);
        return -EIO;
    }
    const char *v = r->ok ? rk_reply_get(r, "result") : NULL;
    gint64 n = 0;
    if (!v || !g_ascii_string_to_signed(v, 10, -4095, G_MAXINT64, &n, NULL)) {
        g_warning("rentark-mount: %s", !r->ok ? r->message : "a reply without a result");
        return -EIO;
    }
    return n;
}

/* A result as an int (a function, not CLAMP(): a macro would make the call more than once). */
static int helper_int(long long r)
{
    return r < -4095 ? -EIO : r > G_MAXINT ? G_MAXINT : (int)r;
}

int mountctl_detach_below(const char *path)
{
    const char *sock = helper_socket();
    const char *args[] = { path, NULL };
    int r = sock ? helper_int(helper_call(sock, "detach-below", args)) : paths_detach_mounts(path);
    /* A folder that is gone (logind removes /run/user/UID at logout, racing the wipe) has no
     * mount below it. */
    return r == -ENOENT ? 0 : r;
}

int mountctl_detach_guest(const FootholdTarget *t, uint64_t *ret_detached)
{
    const char *sock = helper_socket();
    if (!sock)
        return foothold_detach_mounts(t, ret_detached);
    char uid[16], gid[16];
    snprintf(uid, sizeof uid, "%u", (unsigned)t->uid);
    snprintf(gid, sizeof gid, "%u", (unsigned)t->gid);
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, uid);
    g_ptr_array_add(args, gid);
    g_ptr_array_add(args, (char *)(t->check_gid ? "1" : "0"));
    g_ptr_array_add(args, (char *)t->user);
    g_ptr_array_add(args, (char *)t->home);
    g_ptr_array_add(args, (char *)(t->run_user_dir ? t->run_user_dir : "-"));
    g_ptr_array_add(args, (char *)(t->sysroot && *t->sysroot ? t->sysroot : "-"));
    for (const char *const *d = t->guest_dirs; d && *d; d++)
        g_ptr_array_add(args, (char *)*d);
    g_ptr_array_add(args, NULL);
    long long n = helper_call(sock, "detach-guest", (const char *const *)args->pdata);
    if (ret_detached)
        *ret_detached = n > 0 ? (uint64_t)n : 0;
    return n < 0 ? (int)n : 0;
}

int mountctl_tmpfs(const char *home, const char *size_opt, uid_t uid, gid_t gid)
{
    const char *sock = helper_socket();
    if (!sock)
        return paths_mount_tmpfs(home, size_opt, uid, gid);
    char u[16], g[16];
    snprintf(u, sizeof u, "%u", (unsigned)uid);
    snprintf(g, sizeof g, "%u", (unsigned)gid);
    const char *args[] = { home, size_opt, u, g, NULL };
    return helper_int(helper_call(sock, "tmpfs", args));
}

/* ---- the helper's side ---- */

static bool parse_id(const char *s, unsigned *ret)
{
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXUINT32 - 1, &v, NULL))
        return false;
    *ret = (unsigned)v;
    return true;
}

/* One request; returns the result (count or -errno) for the reply. */
static long long serve_request(const RkRequest *q, const char **ret_what)
{
    unsigned uid = 0, gid = 0;
    *ret_what = q->verb;
    if (strcmp(q->verb, "detach-below") == 0 && q->n_args == 1 && q->args[0][0] == '/')
        return paths_detach_mounts(q->args[0]);
    if (strcmp(q->verb, "tmpfs") == 0 && q->n_args == 4 && parse_id(q->args[2], &uid) && parse_id(q->args[3], &gid))
        return paths_mount_tmpfs(q->args[0], q->args[1], uid, gid);
    if (strcmp(q->verb, "detach-guest") == 0 && q->n_args >= 7 && parse_id(q->args[0], &uid) &&
        parse_id(q->args[1], &gid)) {
        FootholdTarget t = {
            .uid = uid,
            .gid = gid,
            .check_gid = strcmp(q->args[2], "1") == 0,
            .user = q->args[3],
            .home = q->args[4],
            .run_user_dir = strcmp(q->args[5], "-") == 0 ? NULL : q->args[5],
            .sysroot = strcmp(q->args[6], "-") == 0 ? NULL : q->args[6],
            .guest_dirs = q->n_args > 7 ? (const char *const *)&q->args[7] : NULL,
        };
        uint64_t n = 0;
        int r = foothold_detach_mounts(&t, &n);
        return r < 0 ? r : (long long)n;
    }
    *ret_what = NULL;
    return -EINVAL;
}

/* Reads one line (at most RK_PROTO_MAX_LINE bytes) from a client that must be root. */
static void serve_client(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    char buf[RK_PROTO_MAX_LINE + 1];
    size_t n = 0;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
        g_warning("refused a request from uid %d: only root may ask", len == sizeof cred ? (int)cred.uid : -1);
        return;
    }
    struct timeval tv = { .tv_sec = 10 };
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (n < sizeof buf - 1 && !memchr(buf, '\n', n)) {
        ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
        if (k <= 0)
            return;
        n += (size_t)k;
    }
    const char *perr = NULL, *what = NULL;
    g_autoptr(RkRequest) q = rk_proto_parse_request(buf, n, &perr);
    g_autofree char *reply = NULL;
    if (!q) {
        reply = rk_reply_error("invalid", "%s", perr);
    } else {
        long long r = serve_request(q, &what);
        if (!what) {
            reply = rk_reply_error("invalid", "unknown request or arguments");
        } else {
            RkReply out;
            rk_reply_init_ok(&out);
            rk_reply_add_int(&out, "result", r);
            reply = rk_reply_finish(&out);
            if (r < 0)
                g_warning("%s: %s", what, g_strerror((int)-r));
            else
                g_info("%s: %lld", what, r);
        }
    }
    (void)rk_write_all(fd, reply, strlen(reply));
}

/* How often the helper looks whether its program was replaced (an upgrade). */
#define HELPER_CHECK_MS 60000

static int helper_check_ms(void)
{
#ifdef RK_TEST_HOOKS
    /* Test builds only: a test sees the upgrade taken without waiting a minute. */
    const char *v = g_getenv("RENTARK_MOUNT_HELPER_CHECK_MS");
    guint64 ms = 0;
    if (v && g_ascii_string_to_unsigned(v, 10, 50, 3600000, &ms, NULL))
        return (int)ms;
#endif
    return HELPER_CHECK_MS;
}

/* The package was upgraded: dpkg renamed the new program over the old one, which this process
 * still runs ("/usr/sbin/rentarkd (deleted)"). Between requests, never during one, the helper
 * becomes the new program in place: the same process (systemd's LISTEN_PID stays true), the
 * same listening socket (fd 3 is not close-on-exec). If the exec fails, the old program goes on
 * serving. Without this, the helper would run the old program until the next boot: it is
 * never restarted, so that the last wipe at shutdown finds it running. */
static void helper_reexec_if_replaced(void)
{
    static const char deleted[] = " (deleted)";
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n <= (ssize_t)strlen(deleted))
        return;
    exe[n] = '\0';
    if (!g_str_has_suffix(exe, deleted))
        return;
    exe[n - (ssize_t)strlen(deleted)] = '\0';
    if (access(exe, X_OK) != 0)
        return;
    g_message("mount helper: %s was replaced (an upgrade); the new program takes over", exe);
    char *argv[] = { exe, (char *)"--mount-helper", NULL };
    execv(exe, argv);
    g_warning("mount helper: cannot run the new %s: %s; the old one goes on", exe, g_strerror(errno));
}

int mountctl_serve(void)
{
    const char *pid = g_getenv("LISTEN_PID"), *fds = g_getenv("LISTEN_FDS");
    guint64 p = 0, nfds = 0;
    if (!pid || !fds || !g_ascii_string_to_unsigned(pid, 10, 1, G_MAXINT32, &p, NULL) || (pid_t)p != getpid() ||
        !g_ascii_string_to_unsigned(fds, 10, 1, 1, &nfds, NULL)) {
        g_printerr("rentarkd --mount-helper: start it by its socket unit (rentark-mount.socket)\n");
        return 2;
    }
    const int listen_fd = 3; /* SD_LISTEN_FDS_START */
    int check_ms = helper_check_ms();
    /* It runs as long as rentarkd does (rentarkd.service wants it and stops first): the last
     * wipe at shutdown or at the package's removal must find it running, not have to start it
     * while systemd is stopping its socket. An upgrade is taken between requests instead:
     * helper_reexec_if_replaced(). */
    for (;;) {
        struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
        int r = poll(&pfd, 1, check_ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (r > 0) {
            _cleanup_close_ int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                serve_client(fd);
        }
        helper_reexec_if_replaced();
    }
}
