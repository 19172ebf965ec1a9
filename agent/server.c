/* The control socket server. */
#define G_LOG_DOMAIN "server"
#include "server.h"

#include "proto.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define MAX_CLIENTS 256    /* beyond this, new connections are closed at once */
#define CLIENT_TIMEOUT_S 5 /* to send a whole line; a slow or stuck peer is dropped */

struct Server {
    int fd;
    char *path;
    guint source;
    ServerHandler handler;
    gpointer data;
    GHashTable *clients; /* ServerClient* set */
};

struct ServerClient {
    gint ref;
    Server *server; /* NULL once the server dropped the connection */
    int fd;
    Peer peer;
    char buf[RK_PROTO_MAX_LINE];
    size_t len;
    char *reply; /* being written */
    size_t reply_off;
    guint io_source;
    guint timeout_source;
    gboolean answered; /* a line was taken; no more input is read */
};

ServerClient *server_client_ref(ServerClient *c)
{
    c->ref++;
    return c;
}

void server_client_unref(ServerClient *c)
{
    if (--c->ref > 0)
        return;
    g_free(c->reply);
    g_free(c);
}

/* Drop the connection (the client struct lives on while deferred replies hold it). */
static void client_close(ServerClient *c)
{
    if (!c->server)
        return;
    g_clear_handle_id(&c->io_source, g_source_remove);
    g_clear_handle_id(&c->timeout_source, g_source_remove);
    rk_closep(&c->fd);
    Server *s = c->server;
    c->server = NULL;
    g_hash_table_remove(s->clients, c); /* drops the server's reference */
}

static gboolean client_write(gint fd, GIOCondition cond, gpointer data);

static void client_start_reply(ServerClient *c, char *line)
{
    g_free(c->reply);
    c->reply = line;
    c->reply_off = 0;
    g_clear_handle_id(&c->io_source, g_source_remove);
    if (client_write(c->fd, G_IO_OUT, c) == G_SOURCE_CONTINUE)
        c->io_source = g_unix_fd_add(c->fd, G_IO_OUT, client_write, c);
}

static gboolean client_write(gint fd, GIOCondition cond, gpointer data)
{
    ServerClient *c = data;
    size_t n = strlen(c->reply);
    while (c->reply_off < n) {
        ssize_t w = send(fd, c->reply + c->reply_off, n - c->reply_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return G_SOURCE_CONTINUE;
        if (w <= 0)
            break;
        c->reply_off += (size_t)w;
    }
    c->io_source = 0;
    client_close(c);
    return G_SOURCE_REMOVE;
}

void server_client_reply(ServerClient *c, char *line)
{
    if (!c->server || c->fd < 0) {
        g_free(line);
        return;
    }
    client_start_reply(c, line);
}

static gboolean client_timeout(gpointer data)
{
    ServerClient *c = data;
    c->timeout_source = 0;
    if (!c->answered)
        client_close(c);
    return G_SOURCE_REMOVE;
}

static gboolean client_read(gint fd, GIOCondition cond, gpointer data)
{
    ServerClient *c = data;
    for (;;) {
        if (c->len == sizeof c->buf) {
            c->io_source = 0;
            c->answered = TRUE;
            client_start_reply(c, rk_reply_error("invalid", "line too long (at most %d bytes)", RK_PROTO_MAX_LINE - 1));
            return G_SOURCE_REMOVE;
        }
        ssize_t n = recv(fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return G_SOURCE_CONTINUE;
        if (n <= 0) {
            /* The peer closed (or failed) before a whole line: nothing to answer. */
            c->io_source = 0;
            client_close(c);
            return G_SOURCE_REMOVE;
        }
        char *nl = memchr(c->buf + c->len, '\n', (size_t)n);
        c->len += (size_t)n;
        if (!nl)
            continue;
        c->io_source = 0;
        c->answered = TRUE;
        g_clear_handle_id(&c->timeout_source, g_source_remove);
        Server *s = c->server;
        server_client_ref(c);
        char *reply = s->handler(c, &c->peer, c->buf, (size_t)(nl - c->buf), s->data);
        /* SECURITY: the line may hold a helper's PIN or a step-away code; the handler has
         * taken what it needs, and nothing of it stays in this buffer. */
        explicit_bzero(c->buf, c->len);
        c->len = 0;
        if (reply)
            server_client_reply(c, reply);
        server_client_unref(c);
        return G_SOURCE_REMOVE;
    }
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
    Server *s = data;
    for (;;) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                g_warning("accept on the control socket: %s", g_strerror(errno));
            return G_SOURCE_CONTINUE;
        }
        struct ucred cred;
        socklen_t cl = sizeof cred;
        if (g_hash_table_size(s->clients) >= MAX_CLIENTS ||
            getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
            /* Full, or no credentials: refuse rather than guess who is asking. */
            close(cfd);
            continue;
        }
        ServerClient *c = g_new0(ServerClient, 1);
        c->ref = 1;
        c->server = s;
        c->fd = cfd;
        c->peer = (Peer){ cred.uid, cred.gid, cred.pid };
        g_hash_table_add(s->clients, c);
        c->io_source = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, client_read, c);
        c->timeout_source = g_timeout_add_seconds(CLIENT_TIMEOUT_S, client_timeout, c);
    }
}

static void client_drop(gpointer p)
{
    ServerClient *c = p;
    if (c->server) {
        /* The server goes away with the client still connected. */
        g_clear_handle_id(&c->io_source, g_source_remove);
        g_clear_handle_id(&c->timeout_source, g_source_remove);
        rk_closep(&c->fd);
        c->server = NULL;
    }
    server_client_unref(c);
}

/* The listening socket a previous rentarkd handed over across execve() (server_hand_over), if
 * $RENTARK_LISTEN_FD names one: an AF_UNIX stream socket that listens on exactly PATH. Anything
 * else there is ignored (and the variable always removed), and the socket is made anew. */
static int take_over(const char *path)
{
    const char *v = g_getenv(RENTARK_LISTEN_FD);
    guint64 n = 0;
    bool ok = v && g_ascii_string_to_unsigned(v, 10, 3, 1024, &n, NULL);
    g_unsetenv(RENTARK_LISTEN_FD);
    if (!ok)
        return -1;
    int fd = (int)n, domain = 0, listening = 0;
    socklen_t len = sizeof domain;
    struct sockaddr_un sa;
    socklen_t salen = sizeof sa;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX)
        return -1;
    len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 || salen <= offsetof(struct sockaddr_un, sun_path) ||
        strncmp(sa.sun_path, path, sizeof sa.sun_path) != 0)
        return -1;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        return -1;
    return fd;
}

int server_hand_over(Server *s)
{
    return fcntl(s->fd, F_SETFD, 0) < 0 ? -1 : s->fd;
}

void server_hand_over_failed(Server *s)
{
    (void)fcntl(s->fd, F_SETFD, FD_CLOEXEC);
}

static Server *server_wrap(int fd, const char *path, ServerHandler handler, gpointer data)
{
    Server *s = g_new0(Server, 1);
    s->fd = fd;
    s->path = g_strdup(path);
    s->handler = handler;
    s->data = data;
    s->clients = g_hash_table_new_full(g_direct_hash, g_direct_equal, client_drop, NULL);
    s->source = g_unix_fd_add(s->fd, G_IO_IN, on_accept, s);
    return s;
}

Server *server_new(const char *path, ServerHandler handler, gpointer data, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;

    int inherited = take_over(path);
    if (inherited >= 0)
        return server_wrap(inherited, path, handler, data);

    if (strlen(path) >= sizeof sa.sun_path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "socket path \"%s\" is too long", path);
        return NULL;
    }
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot create \"%s\": %s", dir, g_strerror(e));
        return NULL;
    }
    if (lstat(path, &st) == 0) {
        /* Replace a stale socket of ours; never delete anything else that sits there. */
        if (!S_ISSOCK(st.st_mode) || unlink(path) < 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "\"%s\" exists and is not a stale socket", path);
            return NULL;
        }
    }
    strcpy(sa.sun_path, path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0666) < 0 || listen(fd, 64) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot listen on \"%s\": %s", path, g_strerror(e));
        return NULL;
    }
    return server_wrap(rk_steal_fd(&fd), path, handler, data);
}

void server_free(Server *s)
{
    if (!s)
        return;
    g_clear_handle_id(&s->source, g_source_remove);
    g_hash_table_destroy(s->clients);
    rk_closep(&s->fd);
    (void)unlink(s->path);
    g_free(s->path);
    g_free(s);
}
