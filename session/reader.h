/* The screen reader of the patron's session (see reader.c). */
#pragma once

#include "flow-private.h"

/* Start it, unless it runs; on failure the next cover screen says so (flow_set_message). */
void reader_start(Flow *f);
/* Stop it when it runs, else start it; a cover screen is drawn again to show which. */
void reader_toggle(Flow *f);
/* It runs, or starts as soon as the accessibility bridge is up. */
gboolean reader_on(const Flow *f);
/* The accessibility bridge has settled (a11y.c): a screen reader asked for meanwhile starts. */
void reader_a11y_settled(Flow *f);
