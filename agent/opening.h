/* The seat's opening hours at run time: the configured schedule (common/hours.h) in the
 * machine's local time zone, today's staff override, and a timer for the next change.
 *
 * The override (rentarkctl open --until HH:MM | close) is kept in STATE_DIR/hours.override, a
 * record (record.h) written atomically, so that a restart keeps it; it lapses at the end of
 * the local day it was made, and is then removed. A file that is not a valid override is
 * logged and removed: no override is the safe reading, since the schedule still rules. Logs
 * the overrides (never who made them). Main thread only. */
#pragma once

#include "config.h"
#include "hours.h"
#include "proto.h"

#include <glib.h>

typedef struct Opening Opening;
typedef void (*OpeningFn)(gpointer data);

/* The opening hours kept in state_dir (copied); reads the override left there. changed is
 * called from the main loop when a change of the hours is due (see opening_arm). */
Opening *opening_new(const char *state_dir, OpeningFn changed, gpointer data);
void opening_free(Opening *o);

/* Whether the seat is open now under schedule s and today's override (a lapsed override is
 * dropped first, and its file removed), and until when or from when. */
void opening_now(Opening *o, const HoursSchedule *s, HoursState *ret);

/* Call changed at the next change under s: the closing, the opening, the end of an override;
 * at the latest a minute from now, so that a wall clock that jumps (NTP, a suspend) is caught
 * up with. Not armed at all without hours and without an override. */
void opening_arm(Opening *o, const HoursSchedule *s);
void opening_disarm(Opening *o);

/* Staff: open from now until hhmm ("HH:MM", 24:00 is midnight) today, whatever the hours
 * say; afterwards closed until the next regular opening, at the latest until midnight.
 * FALSE with RK_OPENING_ERROR_INVALID for a malformed time or one not later than now. */
gboolean opening_open_until(Opening *o, const char *hhmm, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Staff: closed from now until the next regular opening, at the latest until midnight. */
void opening_close(Opening *o);
/* "open" or "close": today's override in force; NULL for none. */
const char *opening_override(Opening *o);

/* The status keys of the hours (common/proto.h): closes_at, opens_at, closing_warn (the entry
 * of warnings, seconds before closing, in force now; 0 for none) and override. */
void opening_status(Opening *o, const HoursSchedule *s, const GArray *warnings, RkReply *reply);

/* Unix time t as local "YYYY-MM-DD HH:MM", or "never" for 0 (for log lines and messages). */
char *opening_format(gint64 t);

#define RK_OPENING_ERROR (rk_opening_error_quark())
GQuark rk_opening_error_quark(void);
typedef enum {
    RK_OPENING_ERROR_INVALID,
} RkOpeningError;
