/* Statistics of the seat, persisted across restarts in STATE_DIR/stats.state (a record,
 * record.h) and exported as a Prometheus textfile for node_exporter. Counts, durations and times only: no user name, no
 * session id, no file name ever enters them (PRIVACY RULE of DESIGN.md); the one text in the
 * textfile that is not the program's own (state names, the version) is the PC's name
 * (seat.name), a label given by the library.
 *
 * Counters saturate at UINT64_MAX instead of wrapping. The file is read strictly (exactly the
 * keys the writer writes, non-negative integers, consistent totals, at most STATS_MAX_FILE
 * bytes); anything else is treated as corrupt. STATE_DIR/stats.json, the JSON file of earlier
 * versions, is read when there is no record file yet, by the same rules, and removed by the
 * first save. Not thread-safe: one owner. */
#pragma once

#include "census.h"
#include "proto.h"

#include <glib.h>
#include <stdint.h>

typedef struct Stats Stats;

#define STATS_ERROR (stats_error_quark())
GQuark stats_error_quark(void);

typedef enum {
    STATS_ERROR_CORRUPT, /* the file was not valid statistics (renamed aside when loading) */
    STATS_ERROR_IO,      /* reading, renaming or writing failed */
} StatsError;

#define STATS_MAX_FILE (64 * 1024)

typedef enum {
    STATS_INCIDENT_OPENED,
    STATS_INCIDENT_RESOLVED,
} StatsIncident;

/* Histogram upper bounds, in milliseconds (the last bucket, +Inf, is implicit). */
#define STATS_SESSION_BUCKETS 5 /* 5 min, 15 min, 30 min, 1 h, 2 h */
/* 0.05, 0.1, 0.5, 1, 2, 3, 5, 30 s: a wipe takes a second or two, and a p95 interpolated
 * between 1 and 5 s alone would read 4 s for wipes of 1.5 s. */
#define STATS_WIPE_BUCKETS 8

/* Read STATE_DIR/stats.state, or else STATE_DIR/stats.json of an earlier version. Never
 * fails: always returns statistics (caller frees). A missing file gives zeroes without error.
 * An unreadable or corrupt one gives zeroes AND sets error (a warning for the caller to log);
 * a corrupt file is first renamed aside to NAME.corrupt-<unix time> so that nothing is lost
 * and the next save starts clean. */
Stats *stats_load(const char *state_dir, GError **error);

/* Zeroed statistics that save to STATE_DIR/stats.json (state_dir NULL: cannot be saved). */
Stats *stats_new(const char *state_dir);

/* Parse the record file's bytes strictly (data need not be NUL-terminated). Returns NULL with
 * a STATS_ERROR_CORRUPT error for anything else. The result has no state dir. */
Stats *stats_from_records(const char *data, size_t len, GError **error);

/* The same for the JSON of stats_to_json, which was the file format of earlier versions:
 * flattened into the record's lines and read by the same rules. */
Stats *stats_from_json(const char *data, size_t len, GError **error);

void stats_free(Stats *s);

/* One session ended after duration_ms; guided says whether a volunteer guided it. Now is kept
 * as the last session's end (a gauge of the textfile, not persisted: 0 after a start until a
 * session ends, or the start-up recovery ends the one the journal records). */
void stats_record_session(Stats *s, gboolean guided, EndReason reason, uint64_t duration_ms);

/* One wipe took duration_ms; verified or failed (a retry counts again). entries (may be NULL)
 * holds the entries removed per category (RK_WIPE_HOME to RK_WIPE_ENTRIES_LAST count); now_unix is recorded as the last verified
 * wipe's time when verified. */
void stats_record_wipe(Stats *s, uint64_t duration_ms, gboolean verified,
                       const uint64_t entries[RK_WIPE_N], int64_t now_unix);

void stats_record_incident(Stats *s, StatsIncident what);

/* The last wipe's census: per class, what the first pass found (the sweep missed it) and what
 * the deciding pass found (error[c] != 0: not checked). Exported as gauges, not persisted. */
void stats_record_census(Stats *s, const uint64_t first[RK_WIPE_N], const uint64_t last[RK_WIPE_N],
                         const int error[RK_WIPE_N], uint64_t duration_ms);

/* Write STATE_DIR/stats.state atomically and durably (mode 0640), then remove an earlier
 * version's stats.json. FALSE with error else; the previous file is then untouched. */
gboolean stats_save(const Stats *s, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The statistics as JSON (`rentarkctl stats --json`; the file format of earlier versions).
 * Caller frees. */
char *stats_to_json(const Stats *s);

/* A table for people (`rentarkctl stats`), English, one item per line. Caller frees. */
char *stats_to_text(const Stats *s);

/* What the textfile says besides the statistics: the daemon's present, read by the caller at
 * each write (metrics.c). */
typedef struct {
    const char *seat_name;   /* seat.name: the label seat="..." of every sample; NULL or "": none */
    SeatState state;         /* the one-hot rentark_seat_state */
    uint64_t incidents_open; /* rentark_incidents_open: the incident store's open records */
    int64_t now_unix;        /* rentark_metrics_written_timestamp_seconds */
} StatsLive;

/* The node_exporter textfile (Prometheus text format 0.0.4): the statistics and live (not
 * NULL). Every sample carries the label seat="SEAT_NAME" (escaped as the format asks) when
 * live->seat_name is neither NULL nor empty, so that a fleet's metrics say which PC they are
 * about. Every family is there in every file, whatever has happened yet (a dashboard or an
 * alert never sees a series come and go), but the census's per-class gauges, which are there
 * once a wipe has run since the start. Caller frees. */
char *stats_to_prometheus(const Stats *s, const StatsLive *live);

/* Write stats_to_prometheus atomically and durably to path (a temp file beside it, fsync,
 * rename; mode 0644, readable by node_exporter): a reader sees the old file or the new one,
 * never a part. */
gboolean stats_write_prometheus(const Stats *s, const StatsLive *live, const char *path, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* Read access for the daemon and tests. */
uint64_t stats_sessions(const Stats *s, gboolean guided_only);
uint64_t stats_end_reason(const Stats *s, EndReason reason);
uint64_t stats_wiped_entries(const Stats *s, RkWipeCategory cat);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Stats, stats_free)
