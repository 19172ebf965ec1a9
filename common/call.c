/* One call of the control protocol: one request line out, one reply line back. */
#include "call.h"

#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static int connect_to(const char *socket_path, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(socket_path) >= sizeof sa.sun_path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "socket path \"%s\" is too long", socket_path);
        return -1;
    }
    strcpy(sa.sun_path, socket_path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot connect to rentarkd at \"%s\": %s",
                    socket_path, g_strerror(e));
        return -1;
    }
    return rk_steal_fd(&fd);
}

/* Read up to the first newline before deadline (monotonic ns). Returns the line without it. */
static char *read_line(int fd, long long deadline, int timeout_ms, GError **error)
{
    char buf[RK_PROTO_MAX_LINE];
    size_t got = 0;
    while (got < sizeof buf) {
        long long left = (deadline - rk_now_ns()) / 1000000LL;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "rentarkd did not answer in %d ms", timeout_ms);
            return NULL;
        }
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "rentarkd closed the connection");
            return NULL;
        }
        char *nl = memchr(buf + got, '\n', (size_t)n);
        got += (size_t)n;
        if (nl)
            return g_strndup(buf, (gsize)(nl - buf));
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "reply from rentarkd is too long");
    return NULL;
}

/* Send a complete line and return the reply line, the whole exchange within timeout_ms. */
static char *exchange(const char *socket_path, const char *line, size_t len, int timeout_ms, GError **error)
{
    long long deadline = rk_now_ns() + (long long)timeout_ms * 1000000LL;
    _cleanup_close_ int fd = connect_to(socket_path, error);
    if (fd < 0)
        return NULL;
    struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int r = rk_write_all(fd, line, len);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot send to rentarkd: %s", g_strerror(-r));
        return NULL;
    }
    return read_line(fd, deadline, timeout_ms, error);
}

RkParsedReply *rk_call_argv(const char *socket_path, int timeout_ms, const char *verb,
                            const char *const *args, GError **error)
{
    /* SECURITY: an argument may be a PIN. The line is measured first and then built in a
     * buffer of its final size, so it never moves (no stale copy in freed memory), and it is
     * wiped before it is freed. */
    size_t len = rk_proto_escaped_len(verb) + 1;
    for (const char *const *a = args; a && *a; a++)
        len += 1 + rk_proto_escaped_len(*a);
    if (len > RK_PROTO_MAX_LINE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "the request \"%s\" is too long", verb);
        return NULL;
    }
    GString *line = g_string_sized_new(len + 1);
    rk_proto_append_escaped(line, verb);
    for (const char *const *a = args; a && *a; a++) {
        g_string_append_c(line, ' ');
        rk_proto_append_escaped(line, *a);
    }
    g_string_append_c(line, '\n');
    g_autofree char *reply = exchange(socket_path, line->str, line->len, timeout_ms, error);
    explicit_bzero(line->str, line->allocated_len);
    g_string_free(line, TRUE);
    if (!reply)
        return NULL;
    RkParsedReply *r = rk_proto_parse_reply(reply, strlen(reply));
    if (!r)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed reply from rentarkd");
    return r;
}

RkParsedReply *rk_call(const char *socket_path, int timeout_ms, GError **error, const char *verb, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    va_list ap;
    va_start(ap, verb);
    for (const char *a; (a = va_arg(ap, const char *));)
        g_ptr_array_add(args, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    return rk_call_argv(socket_path, timeout_ms, verb, (const char *const *)args->pdata, error);
}

gboolean rk_call_daemon_absent(const GError *error)
{
    return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
           g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}
