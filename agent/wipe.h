/* The end-of-session wipe as one operation: stop the guest, renew the home, sweep, empty the
 * trash, verify. Every step is idempotent, so a run interrupted at any point (kill -9, power
 * cut) is completed by the next run: the home is always either in place, in the trash, or
 * fresh, and the trash is emptied by every run. Never logs; wipe_log() logs a result once. */
#pragma once

#include "config.h"
#include "home.h"
#include "reaper.h"
#include "rmtree.h"
#include "sweep.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

typedef enum {
    WIPE_DRY_RUN = 1 << 0,     /* count only: processes, home, trash, sweeps; change nothing */
    WIPE_KEEP_TRASH = 1 << 1,  /* leave the trash for a background deletion (daemon) */
    WIPE_NO_LOGIND = 1 << 2,   /* do not ask logind to terminate the user */
} WipeFlags;

typedef struct {
    bool verified;             /* everything checked and nothing of the guest left */
    const char *failed_step;   /* static string naming the first step that failed, or NULL */
    int error;                 /* first -errno */

    int processes_found;       /* live processes of the guest when the wipe began */
    ReaperStats reaper;
    HomeStats home;
    RmStats home_counted;      /* dry run: what the home holds */
    RmStats trash;             /* what the trash deletion removed (or would) */
    SweepResult sweep;
    int64_t trash_ns;          /* wall time of the trash deletion */
    int64_t total_ns;

    /* Verification, by category; all zero when verified. */
    int processes_left;
    uint64_t home_differences;
    uint64_t trash_left;
    uint64_t sweep_left[SWEEP_N];
} WipeResult;

/* Run a complete end-of-session wipe for the configured guest. Returns 0 when verified,
 * else -errno (the result says which step and category). */
int wipe_run(const RkConfig *cfg, WipeFlags flags, WipeResult *res);

/* Whether the trash dir holds anything (or cannot be read): a clean journal with a full
 * trash means deletions were lost to a power cut; the seat then wipes before opening. */
bool wipe_trash_pending(const RkConfig *cfg);

/* Delete everything in the trash dir (for a background deletion). Returns 0 or -errno. */
int wipe_empty_trash(const RkConfig *cfg, RmStats *stats);

/* Log a result once: counts, sizes, durations and categories; never a name. */
void wipe_log(const WipeResult *res, WipeFlags flags);

/* Print a dry-run result as a table (category, files, dirs, bytes) to f. */
void wipe_print_dry_run(const WipeResult *res, FILE *f);
