/* The control protocol's meaning: who may do what, and what each verb does to the seat.
 *
 * Authorization is decided from the peer's uid alone (SO_PEERCRED): root and members of
 * access.admin_group may do everything; the guest may answer the notice, end its session,
 * report idle time and read the session's settings; members of access.volunteer_group may
 * check a volunteer's PIN; anyone else may ask for the status only. control.c holds the table
 * of verbs, one handler each. Main thread only. */
#pragma once

#include "config.h"
#include "seat.h"
#include "server.h"
#include "stats.h"

typedef struct Control Control;

/* The verbs act on seat and answer stats from stats (both borrowed; they must outlive the
 * Control); cfg is referenced. */
Control *control_new(Seat *seat, const RkConfig *cfg, Stats *stats);
void control_free(Control *ctl);
/* A new configuration (SIGHUP): referenced, and the settings' generation that status and
 * session-config report changes, so that the session client fetches them again. */
void control_set_config(Control *ctl, const RkConfig *cfg);

/* The ServerHandler: parse, authorize, act, reply. */
char *control_handle(ServerClient *client, const Peer *peer, const char *line, size_t len, gpointer data);
