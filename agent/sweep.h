/* Sweeps: what the guest left outside the home. Temp folders, /run/user/UID, print jobs,
 * crash dumps, the user journal and the configured extra folders.
 *
 * Only entries that belong to the guest are touched: owned by the guest's uid, or (print
 * jobs, crash dumps, journal files, which root owns) carrying the guest's uid or name in their
 * metadata. Deletion goes through the remover (rmtree.h). Never logs, never names a file. */
#pragma once

#include "config.h"
#include "rmtree.h"

#include <stdint.h>
#include <sys/types.h>

typedef enum {
    SWEEP_TMP,      /* wipe.sweep folders (/tmp, /var/tmp, /dev/shm, ...) */
    SWEEP_RUN_USER, /* paths.run_user_dir/UID */
    SWEEP_PRINT,    /* CUPS jobs and spool files */
    SWEEP_CRASH,    /* apport and systemd-coredump dumps */
    SWEEP_JOURNAL,  /* the guest's user journal files */
    SWEEP_N
} SweepCategory;

typedef struct {
    RmStats stats[SWEEP_N]; /* what was removed (or counted, in dry-run mode) */
    int error[SWEEP_N];     /* first -errno per category, 0 if none */
} SweepResult;

/* Short lower-case name of a category for logs and statistics ("tmp", "run-user", ...). */
const char *sweep_category_name(SweepCategory c);

/* Run every sweep for the guest (uid, user name). RM_DRY_RUN counts only. Returns 0 or the
 * first -errno (every category runs regardless). */
int sweep_run(const RkConfig *cfg, uid_t uid, const char *user, RmFlags flags, SweepResult *res);

/* Count what of the guest is left in each category (remaining[c]; 0 everywhere = verified).
 * Returns 0, or -errno when a place could not be checked (then it counts as not verified). */
int sweep_verify(const RkConfig *cfg, uid_t uid, const char *user, uint64_t remaining[SWEEP_N]);
