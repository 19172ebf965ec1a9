/* The end-of-session wipe as one operation on one target, in this order:
 *   stop the guest -> detach its mounts -> renew the home -> sweep every class -> census.
 * The census (census.h) shares no list and no code with the sweep: it asks the kernel and the
 * file systems whether anything of the guest is left anywhere. If it finds something, one more
 * pass removes it (the machine-wide safety net) and the census runs again; what it still finds
 * makes the wipe unverified.
 *
 * Every step is idempotent, so a run interrupted at any point (kill -9, power cut) is completed
 * by the next run: the home is always either in place, in the trash, or fresh. The old home in
 * the root-only trash is no patron's risk (nobody but root can reach it): the daemon deletes it
 * in the background (wipe_empty_trash) after the seat has opened; --wipe-once deletes it at once.
 * Never logs; wipe_log() logs a result once. */
#pragma once

#include "census.h"
#include "config.h"
#include "foothold.h"
#include "home.h"
#include "proto.h"
#include "reaper.h"
#include "rmtree.h"
#include "sweep.h"
#include "watch.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    WIPE_DRY_RUN = 1 << 0,    /* count only: processes, home, trash, sweeps, footholds, census */
    WIPE_KEEP_TRASH = 1 << 1, /* leave the trash for a background deletion (daemon) */
} WipeFlags;

/* Everything a wipe acts on, resolved once before it starts; the worker looks nothing up. */
typedef struct {
    RkConfig *cfg;         /* a reference (paths, sweep folders, census scope) */
    char *user;            /* the guest account's name */
    uid_t uid;
    gid_t gid;
    bool private_gid;      /* the primary group is the guest's alone: objects of the gid count too */
    int64_t session_start; /* unix time the session began (watched folders), 0 = unknown */
    /* The daemon's watched folders: called by the wipe once the guest's processes are stopped,
     * it stops the session's Watch on the main thread and hands it over (NULL: none, then the
     * folders are scanned by time since session_start). The caller frees the Watch. */
    Watch *(*watch_handoff)(gpointer data);
    gpointer watch_data;
} WipeTarget;

/* Fill t for cfg's guest: uid, gid and whether the group is private, from the user database.
 * -ENOENT when there is no such account, -EPERM for uid 0 or gid 0. */
int wipe_target_open(const RkConfig *cfg, WipeTarget *t);

/* The same from ids the caller already holds (the seat), without a lookup by name. */
void wipe_target_init(WipeTarget *t, const RkConfig *cfg, uid_t uid, gid_t gid, bool private_gid);

void wipe_target_clear(WipeTarget *t);

typedef struct {
    bool verified;             /* everything checked and nothing of the guest left */
    const char *failed_step;   /* static string naming the first step that failed, or NULL */
    int error;                 /* first -errno */

    int processes_found;       /* live processes of the guest when the wipe began */
    ReaperStats reaper;
    uint64_t mounts_detached;
    HomeStats home;
    RmStats home_counted;      /* dry run: what the home holds */
    RmStats trash;             /* what the trash deletion removed (or would) */
    SweepResult sweep;
    FootholdResult footholds;
    WatchStats watch;          /* watched folders: what the session created there */
    int watch_error;
    RmStats safety_net;        /* what the machine-wide pass removed after a census finding */
    int64_t trash_ns;          /* wall time of the trash deletion */
    int64_t home_ready_ns;     /* from the start until the fresh home was in place */
    int64_t total_ns;

    /* The census: the first one (what the sweep missed) and the deciding one. */
    CensusResult census_first;
    CensusResult census;
    unsigned census_passes;

    /* Verification, by category; all zero when verified. */
    int processes_left;
    uint64_t home_differences;
    uint64_t trash_left;
    uint64_t sweep_left[RK_WIPE_N]; /* per category of the sweep */
} WipeResult;

/* Free a heap-allocated result and what it holds. NULL is fine. */
void wipe_result_free(WipeResult *res);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WipeResult, wipe_result_free)

/* Run a complete end-of-session wipe of t. Returns 0 when verified, else -errno (the result
 * says which step and category). */
int wipe_run(const WipeTarget *t, WipeFlags flags, WipeResult *res);

/* Whether the trash dir holds anything (or cannot be read): deletions lost to a power cut,
 * resumed in the background (the trash is root's, 0700: no patron can reach it). */
bool wipe_trash_pending(const RkConfig *cfg);

/* Delete everything in the trash dir. RM_PARALLEL for a one-shot wipe; the daemon's
 * background deletion runs sequentially at idle I/O priority (wipe_background_priority).
 * Returns 0 or -errno. */
int wipe_empty_trash(const RkConfig *cfg, RmFlags flags, RmStats *stats);

/* Lower the calling thread to idle I/O priority and the lowest CPU priority (a background
 * deletion must never slow the next patron down). Returns 0 or -errno. */
int wipe_background_priority(void);

/* Why the wipe failed, for people: the first step's error, or "objects of the guest remain"
 * when the census found some. Static or GLib-owned string. */
const char *wipe_error_text(const WipeResult *res);

/* Whether the census found nothing and checked every class. */
bool wipe_census_clean(const WipeResult *res);

/* "files 3, keys 1" for the classes the census found something in, or the ones it could not
 * check ("mounts: not checked"); never a name. g_free the result. */
char *wipe_census_summary(const CensusResult *c);

/* Log a result once: counts, sizes, durations and categories; never a name. */
void wipe_log(const WipeResult *res, WipeFlags flags);

/* Add a dry-run result's counts to an OK reply (`wipe-dry-run`): processes=N, for the home,
 * the trash and each sweep category NAME_files, NAME_dirs, NAME_bytes, each foothold class
 * NAME=N and each census class census_NAME=N ('-' in a name becomes '_'). */
void wipe_dry_run_reply(const WipeResult *res, RkReply *reply);

/* Print a dry-run result as a table (category, files, dirs, bytes) to f. */
void wipe_print_dry_run(const WipeResult *res, FILE *f);
