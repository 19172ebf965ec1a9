/* The clients' side of the control protocol (common/proto.h), used by rentarkctl and
 * rentark-session: connect to the socket, send one request line built from a verb and its
 * arguments (each escaped), read one reply line and parse it.
 *
 * Every call is one short blocking exchange, bounded by a timeout for the whole of it. An ERR
 * reply is a normal answer (returned, ok == false); a daemon that is not running, a timeout or
 * a malformed reply is a GError. The request line is wiped before a call returns, since an
 * argument may be a volunteer's PIN; nothing here logs. */
#pragma once

#include "proto.h"

#include <gio/gio.h>

/* Send VERB ARGS... (args NULL-terminated, may be NULL) to the daemon at socket_path and
 * return its parsed reply, or NULL with error: G_IO_ERROR_NOT_FOUND or
 * G_IO_ERROR_CONNECTION_REFUSED when no daemon listens (rk_call_daemon_absent),
 * G_IO_ERROR_TIMED_OUT, G_IO_ERROR_INVALID_DATA for a malformed reply, and
 * G_IO_ERROR_INVALID_ARGUMENT for a request longer than a protocol line. */
RkParsedReply *rk_call_argv(const char *socket_path, int timeout_ms, const char *verb,
                            const char *const *args, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The same with the arguments as a NULL-terminated list. */
RkParsedReply *rk_call(const char *socket_path, int timeout_ms, GError **error, const char *verb,
                       ...) G_GNUC_NULL_TERMINATED G_GNUC_WARN_UNUSED_RESULT;

/* TRUE when error says that no daemon listens on the socket (missing or refused). */
gboolean rk_call_daemon_absent(const GError *error);
