/* The step-away lock on the patron's side (see lock.c). */
#pragma once

#include "flow-private.h"

/* Wipe the first code typed; the next code asked for is the first again. */
void lock_forget(Flow *f);
/* While the lock screen shows: ask for the status every LOCK_POLL_MS (armed once). */
void lock_poll(Flow *f);
/* "Next" on the code screens: check the code, keep it for the second typing, or send it. */
void lock_next(Flow *f);
/* "Unlock" on the lock screen: send the code; a wrong one is said on the screen. */
void lock_unlock(Flow *f);
