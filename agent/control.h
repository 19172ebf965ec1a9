/* The control protocol's meaning: who may do what, and what each verb does to the seat.
 *
 * Authorization is decided from the peer's uid alone (SO_PEERCRED): root and members of
 * access.admin_group may do everything; the guest may answer the notice, end its session and
 * report idle time; members of access.volunteer_group may check a volunteer's PIN; anyone else
 * may ask for the status only. Main thread only. */
#pragma once

#include "config.h"
#include "seat.h"
#include "server.h"

typedef struct Control Control;

/* Extra verbs provided by other modules (stats, incidents); may be NULL. Returns the reply
 * line or NULL if the verb is not theirs. */
typedef char *(*ControlExtraFn)(const RkRequest *req, gpointer data);

Control *control_new(Seat *seat, const RkConfig *cfg);
void control_free(Control *ctl);
void control_set_config(Control *ctl, const RkConfig *cfg);
void control_set_extra(Control *ctl, ControlExtraFn fn, gpointer data);

/* The ServerHandler: parse, authorize, act, reply. */
char *control_handle(ServerClient *client, const Peer *peer, const char *line, size_t len, gpointer data);

typedef enum { ROLE_OTHER, ROLE_VOLUNTEER, ROLE_GUEST, ROLE_ADMIN } Role;
/* The role of uid under cfg (group membership from the user database). */
Role control_role(const RkConfig *cfg, uid_t guest_uid, uid_t uid);
