/* Idle detection with the X server's IDLETIME system counter (SYNC extension), event-driven:
 * one alarm fires when the patron has been idle for `threshold` ms, a second (negative
 * transition) alarm fires on the first input after that. No polling.
 *
 * idle_new() returns NULL when the server has no SYNC extension or no IDLETIME counter; the
 * caller then has no idle warning (the daemon still ends idle sessions from its own side). */
#pragma once

#include <X11/Xlib.h>
#include <glib.h>

typedef struct Idle Idle;

typedef void (*IdleCallback)(gboolean idle, gpointer user_data);

/* cb(TRUE) when the idle time reaches threshold_ms, cb(FALSE) on the next input. A threshold
 * of 0 or less never arms the alarms (idle_query_ms() still works). */
Idle *idle_new(Display *dpy, gint64 threshold_ms, IdleCallback cb, gpointer user_data);
void idle_free(Idle *idle);

/* Offer an X event; TRUE when it was one of ours (and handled). */
gboolean idle_handle_event(Idle *idle, const XEvent *ev);

/* Current idle time in ms (a round trip), or -1 when unknown. */
gint64 idle_query_ms(Idle *idle);

/* Arm (TRUE) or disarm (FALSE) the alarms: they are armed only in an active session. */
void idle_set_enabled(Idle *idle, gboolean enabled);

typedef void (*IdleInputCallback)(gpointer user_data);

/* cb once, at the first input after at least quiet_ms without any (a negative transition of
 * the IDLETIME counter through quiet_ms: input sooner than that is not seen). Armed until it
 * fires or idle_unwatch_input(); while armed, arming again changes nothing. Independent of
 * idle_set_enabled(). cb may free idle. */
void idle_watch_input(Idle *idle, gint64 quiet_ms, IdleInputCallback cb, gpointer user_data);
void idle_unwatch_input(Idle *idle);
