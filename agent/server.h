/* The control socket: a unix stream socket, one request line and one reply line per
 * connection. Non-blocking, bounded (line length, clients, time to send a line), so a peer
 * that sends half a line and waits, or garbage, or floods, never stalls anyone else.
 * The peer's credentials come from SO_PEERCRED. Main thread only. */
#pragma once

#include <glib.h>
#include <sys/types.h>

typedef struct Server Server;
typedef struct ServerClient ServerClient;

typedef struct {
    uid_t uid;
    gid_t gid;
    pid_t pid;
} Peer;

/* Handle one request line (len bytes, no newline). Return the reply line (with '\n', owned by
 * the server), or NULL to answer later with server_client_reply(). */
typedef char *(*ServerHandler)(ServerClient *client, const Peer *peer, const char *line, size_t len, gpointer data);

/* Listen on path (mode 0666: anyone may connect, the handler decides what they may do; the
 * parent dir is created 0755 if missing). A stale socket file is replaced; any other file at
 * path is an error. */
Server *server_new(const char *path, ServerHandler handler, gpointer data, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Close every connection and the socket; unlinks the socket file. */
void server_free(Server *server);

/* A new version of rentarkd takes over the listening socket across execve(), so that no client
 * finds the socket missing meanwhile: server_hand_over() makes the socket survive exec and
 * returns its fd (for $RENTARK_LISTEN_FD), -1 on error; server_hand_over_failed() undoes it when
 * the exec failed. server_new() takes such a socket over when it listens on the same path. */
#define RENTARK_LISTEN_FD "RENTARK_LISTEN_FD"
int server_hand_over(Server *server);
void server_hand_over_failed(Server *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Server, server_free)

/* Send a deferred reply (takes ownership of line) and close the connection. The client may
 * have gone away in the meantime; then this only frees. */
void server_client_reply(ServerClient *client, char *line);
/* Keep a client alive across a deferred reply (ref/unref). */
ServerClient *server_client_ref(ServerClient *client);
void server_client_unref(ServerClient *client);
