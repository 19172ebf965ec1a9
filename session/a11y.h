/* The accessibility bridge, started after the cover is up (a11y.c). */
#pragma once

#include <glib.h>

typedef enum {
    A11Y_PENDING, /* the accessibility bus's address is being asked */
    A11Y_ON,      /* the bridge runs: screen readers see every window */
    A11Y_OFF,     /* no bridge: turned off (NO_AT_BRIDGE=1) or no bus to be had */
} A11yState;

typedef void (*A11yDone)(A11yState state, gpointer data);

/* Before gtk_init: keep GTK from starting the bridge itself (it would block on the bus). */
void a11y_hold(void);
/* After gtk_init: the environment as it was, for the programs this client starts. */
void a11y_release(void);
/* Once the cover is up: start the bridge, asking for the bus's address without blocking;
 * DONE is called once, with A11Y_ON or A11Y_OFF (possibly before this returns). */
void a11y_start(A11yDone done, gpointer data);
A11yState a11y_state(void);
/* No more DONE calls; a question still out is cancelled. */
void a11y_stop(void);
