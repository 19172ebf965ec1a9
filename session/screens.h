/* The patron's screens as views (ui.h), built from the flow's state. Each returns a new view
 * that the caller hands to ui_show(); none of them changes the state or calls the daemon. */
#pragma once

#include "flow-private.h"

/* A cover screen with the keys every cover has (larger text, the screen reader) and the PC's
 * name; name is the screen's name in the test dump. */
UiView *screens_cover(Flow *f, const char *name);
/* The privacy notice: the municipality's text, the languages, closing time, the line of trust. */
UiView *screens_notice(Flow *f);
/* Guided sessions: the helper picks their name, types their PIN, and the patron consents. */
UiView *screens_pick(Flow *f);
UiView *screens_pin(Flow *f);
UiView *screens_guided(Flow *f);
/* A cover with a title and a body only (ending, starting). */
UiView *screens_message(Flow *f, const char *name, const char *title, const char *body);
/* Out of order, and outside the opening hours (with when the library opens again). */
UiView *screens_ooo(Flow *f);
UiView *screens_closed(Flow *f);
/* The strip during the session: time left, warnings, More time, Lock, End. */
UiView *screens_strip(Flow *f);
/* The step-away lock: choosing the code (twice), and the lock screen with its countdown. */
UiView *screens_lock_choose(Flow *f);
UiView *screens_locked(Flow *f);
/* The lock's countdown: its text each second, and in whole minutes for screen readers
 * (both newly allocated). */
void screens_lock_countdown(Flow *f, char **ret_text, char **ret_spoken);
