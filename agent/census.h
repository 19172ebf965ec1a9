/* The census: after a wipe, ask the kernel and the file systems directly whether any object of
 * the guest account remains anywhere on the machine.
 *
 * It is independent of the wipe on purpose: it shares no code path or list with the sweep
 * (sweep.c, rmtree.c) — its own tree walker, its own /proc and mountinfo parsers — so that a
 * bug in the wipe cannot hide itself from the check that decides whether the wipe is verified.
 * It never changes anything on the machine. (When no mqueue file system is mounted it reads an
 * instance of its own IPC namespace through a detached mount that no other process can see; on
 * kernels before 5.2 it mounts one on a fresh root-only directory under /run for the time of one
 * read, then detaches it and removes the directory.) It never logs and never records or returns
 * a file name, key description or command line: only counts per class. The caller logs.
 * Thread-safe: no global state; census_run and census_files_at start worker threads of their
 * own and join them before returning. */
#pragma once

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The classes, RK_WIPE_CENSUS_FIRST to RK_WIPE_N - 1 of the wipe's categories (proto.h; the
 * census shares the names, not the code):
 *   RK_WIPE_PROCESSES     live tasks (threads too) with the uid as real/effective/saved/fs uid,
 *                         or (check_gid) the gid as real/effective/saved/fs gid; no zombies
 *   RK_WIPE_MOUNTS        mounts made by or for the guest: FUSE with user_id=UID, a mount whose
 *                         root is owned by the uid (or gid), a mount point at/below the home or
 *                         run_user_dir/UID
 *   RK_WIPE_FILES         inodes owned by the uid (or gid) on every local writable file system
 *   RK_WIPE_SYSV_IPC      System V shm, msg, sem with uid or cuid (gid, cgid) of the guest
 *   RK_WIPE_MQUEUE        POSIX message queues owned by the uid (or gid)
 *   RK_WIPE_KEYS          kernel keys of the uid beyond its own empty standard keyrings
 *   RK_WIPE_SCHEDULED     crontab, at jobs, systemd linger of the guest
 *   RK_WIPE_SERVICE_STATE AccountsService and LightDM records of the guest */

/* A directory the file census neither counts nor enters, known by identity (st_dev, st_ino),
 * never by name: the fresh home (verified against the skeleton elsewhere) and the root-only
 * trash of old homes. */
typedef struct {
    uint64_t dev, ino;
} CensusSkip;

typedef struct {
    uid_t uid;                /* never 0 */
    gid_t gid;                /* the guest's primary gid (the keys child takes it) */
    bool check_gid;           /* the gid is the guest's private group: its objects count too */
    const char *user;         /* account name, for the name-keyed spools; one path component */
    const char *home;         /* the guest's home path: mounts at or below it count; may be NULL */
    const char *run_user_dir; /* e.g. "/run/user": mounts at/below run_user_dir/UID count; may be NULL */
    const CensusSkip *skip;   /* nskip identities the file census does not enter */
    size_t nskip;
    const char *const *mounts; /* scope of the file census only, NULL-terminated; NULL or empty:
                                * every local writable file system from mountinfo; else only the
                                * file systems mounted exactly at these mount points (test scope;
                                * a point with no mount is an error) */
    const char *sysroot;      /* NULL or "" in production; in tests a prefix for /var/spool/cron,
                               * /var/lib/systemd/linger, /var/lib/AccountsService,
                               * /var/lib/lightdm-data */
    bool report_mounts;       /* fill CensusResult.scanned_mounts (then census_result_clear it) */
    unsigned threads;         /* file walk threads: 0 = one per CPU, at most 4; 1 = this thread
                               * only (tests of the depth-first path) */
} CensusTarget;

typedef struct {
    uint64_t found[RK_WIPE_N]; /* objects of the guest found, per class (other categories: 0) */
    int error[RK_WIPE_N];      /* first -errno per class: a class not checked completely is NOT clean */
    uint64_t mounts_scanned;  /* file systems walked */
    uint64_t mounts_skipped_pseudo;    /* proc, sysfs, devtmpfs, cgroup, mqueue, ... */
    uint64_t mounts_skipped_network;   /* nfs, cifs, 9p, ceph, virtiofs, ... and mounts below one */
    uint64_t mounts_skipped_fuse;      /* FUSE (never walked: a dead daemon hangs stat) and below */
    uint64_t mounts_skipped_readonly;  /* "ro" per mount or per super block */
    uint64_t mounts_skipped_duplicate; /* a subtree of a device another walked mount covers */
    uint64_t mounts_hidden;   /* overmounted, unreachable by any path and not covered elsewhere:
                               * not searched, not an error (nobody can reach them either) */
    uint64_t inodes_seen;     /* inodes the file census looked at (mount roots included) */
    int64_t duration_ns;      /* wall time of census_run */
    char **scanned_mounts;    /* with t->report_mounts: NULL-terminated mount points the file
                               * census walked; owned: census_result_clear(). Else NULL. */
} CensusResult;

/* Free what res holds (scanned_mounts) and zero it. Call before reusing a result. */
void census_result_clear(CensusResult *res);

/* Copy the counts of from into to (no scanned_mounts). */
void census_result_copy_counts(CensusResult *to, const CensusResult *from);

/* Run every class for t. res is zeroed first (census_result_clear it before reuse) and always
 * filled. Returns 1 when something of
 * the guest was found (even if another class could not be checked), else the first -errno when
 * a class could not be checked completely (res->error says which), else 0: nothing found and
 * every class checked. -EINVAL for uid 0, (uid_t)-1, a missing or unsafe user name. */
int census_run(const CensusTarget *t, CensusResult *res);

/* True when every class was checked and found nothing. */
bool census_clean(const CensusResult *res);

/* The file census of one tree: count the inodes below (and including) the directory dirfd that
 * t->uid owns (or t->gid when t->check_gid), never following a symlink, never crossing into
 * another mount, never entering t->skip identities. Same walker and threads as census_run.
 * dirfd is not closed and its offset is not moved. *ret_found and *ret_inodes (either may be
 * NULL) are set even on error. Returns 0 when the whole tree was read, else the first -errno. */
int census_files_at(int dirfd, const CensusTarget *t, uint64_t *ret_found, uint64_t *ret_inodes);
