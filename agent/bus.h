/* The system bus: private connections opened within a time bound, and the one synchronous
 * call the wipe makes on it (logind's TerminateUser).
 *
 * Everything on the D-Bus is optional for rentark: without a bus or without logind the display
 * manager hooks and the uid kill do the same work. So nothing here may block for longer than
 * the caller's bound, and no connection here ever exits the process when the bus goes away.
 * Depends on no other module of the daemon (the seat's logind module and the reaper both use
 * it). Never logs: errors go to the caller. */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* logind's names on the bus. */
#define LOGIND_BUS_NAME "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define LOGIND_SESSION "org.freedesktop.login1.Session"

/* Open a private connection to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured), giving
 * up with G_IO_ERROR_TIMED_OUT after timeout_ms (> 0). Blocks the calling thread meanwhile
 * but dispatches none of its main contexts' sources. The connection belongs to the caller's
 * thread-default context (its "closed" signal is emitted there) and never exits the process
 * when the bus goes away, unlike the shared one of g_bus_get(). Any thread. */
GDBusConnection *bus_open_system(int timeout_ms, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* logind's TerminateUser(uid) on a connection of its own, the connect and the call together
 * bounded by timeout_ms (> 0): TRUE when logind answered OK; FALSE with error otherwise
 * (G_IO_ERROR_TIMED_OUT when the bus or logind did not answer in time). Runs on a private
 * main context, so none of the caller's sources is dispatched. No checks on uid: the caller
 * (reaper_logind_terminate) refuses root. Any thread. */
gboolean bus_terminate_user(uid_t uid, int timeout_ms, GError **error);
