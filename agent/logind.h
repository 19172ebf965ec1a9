/* logind: follows org.freedesktop.login1 on the system bus and drives the seat from it.
 *
 * A guest session that logind announces begins the seat's session, its removal ends it
 * (END_LOGOUT), and a coming shutdown ends it too (END_SHUTDOWN) while a delay inhibitor lock
 * holds the shutdown back until the wipe is over. logind is optional: without a system bus or
 * without logind the display manager hooks do the same job. Main thread only. */
#pragma once

#include "seat.h"

#include <gio/gio.h>

typedef struct Logind Logind;

/* Connect to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured) and follow logind for seat
 * (borrowed: free the Logind before the seat). Blocks for at most about 2 s in all. Always
 * returns an object; when there is no bus or no logind on it, the object does nothing and
 * error says why (the caller logs it at info level: that is not a failure of the daemon). */
Logind *logind_new(Seat *seat, GError **error);

/* Stop following logind, release the inhibitor lock if held, close the connection. NULL is
 * accepted. */
void logind_free(Logind *logind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Logind, logind_free)
