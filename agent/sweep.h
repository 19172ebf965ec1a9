/* Sweeps: what the guest left outside the home. Temp folders, /run/user/UID, print jobs,
 * crash dumps, the user journal and the configured extra folders.
 *
 * Only entries that belong to the guest are touched: owned by the guest's uid, or (print
 * jobs, crash dumps, journal files, which root owns) carrying the guest's uid or name in their
 * metadata. Deletion goes through the remover (rmtree.h). Never logs, never names a file. */
#pragma once

#include "config.h"
#include "print.h"
#include "proto.h"
#include "rmtree.h"

#include <stdint.h>
#include <sys/types.h>

/* The categories of the sweep are RK_WIPE_SWEEP_FIRST to RK_WIPE_SWEEP_LAST of the wipe's
 * (proto.h): RK_WIPE_TMP (wipe.sweep folders: /tmp, /var/tmp, /dev/shm, ...), RK_WIPE_RUN_USER
 * (paths.run_user_dir/UID), RK_WIPE_PRINT (CUPS jobs: cancelled and purged on the server,
 * print.h, and their spool files), RK_WIPE_CRASH (apport
 * and systemd-coredump dumps), RK_WIPE_JOURNAL (the guest's user journal files). */

typedef struct {
    RmStats stats[RK_WIPE_N]; /* what was removed (or counted, in dry-run mode), per category */
    int error[RK_WIPE_N];     /* first -errno per category, 0 if none */
    bool print_asked;         /* the print server (paths.cups_server) was asked */
    PrintServerResult print;  /* what it listed (dry run) or cancelled and purged */
} SweepResult;

/* Run every sweep for the guest (uid, user name). RM_DRY_RUN counts only. Returns 0 or the
 * first -errno (every category runs regardless). */
int sweep_run(const RkConfig *cfg, uid_t uid, const char *user, RmFlags flags, SweepResult *res);

/* Count what of the guest is left in each category (remaining[c]; 0 everywhere = verified).
 * Returns 0, or -errno when a place could not be checked (then it counts as not verified). */
int sweep_verify(const RkConfig *cfg, uid_t uid, const char *user, uint64_t remaining[RK_WIPE_N]);
