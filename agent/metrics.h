/* The live metrics: the node_exporter textfile (paths.metrics_file) rewritten every
 * METRICS_INTERVAL_MS from a timer of the main loop, at every state change of the seat (a seat
 * observer), after the statistics change (metrics_write) and at a reload (metrics_set_config).
 * An old rentark_metrics_written_timestamp_seconds thus means a daemon that hangs or is gone.
 * Main thread only. Logs a failed write once, until a write succeeds again. */
#pragma once

#include "config.h"
#include "seat.h"
#include "stats.h"

#include <glib.h>

typedef struct Metrics Metrics;

#define METRICS_INTERVAL_MS 15000

/* Follow seat (its state) and stats (both borrowed: free this first) with cfg (borrowed; see
 * metrics_set_config). Starts the timer and the observer; writes nothing yet (metrics_write
 * once the seat has started). Test builds (RK_TEST_HOOKS) read the interval from
 * RENTARK_METRICS_INTERVAL_MS, 100 to 3600000 ms, at this call. */
Metrics *metrics_new(Seat *seat, const Stats *stats, const RkConfig *cfg);
void metrics_free(Metrics *m);

/* A new configuration (file, seat name): written at once with it. */
void metrics_set_config(Metrics *m, const RkConfig *cfg);

/* Write the file now, if paths.metrics_file is set. */
void metrics_write(Metrics *m);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Metrics, metrics_free)
