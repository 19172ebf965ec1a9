/* The guest's home: the two strategies (renewal from the skeleton on disk, a tmpfs), and the
 * comparison with the skeleton that verifies it.
 *
 * Paths handled here come from the configuration (root's), never from the guest: the home's
 * parent is reached through trusted folders only (paths.h), and below it everything is
 * fd-relative. Never logs, never names a guest's file. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef struct {
    int64_t turnaround_ns;  /* from the start until the fresh home is in place */
    unsigned moved_to_trash; /* entries moved into the trash dir (old home, stale staging) */
} HomeStats;

/* Replace the home with a fresh copy of the skeleton: detach mounts under it, move the old
 * home (and any stale staging copy from an interrupted run) into the trash dir by rename(2),
 * copy the skeleton into a staging dir beside the home and rename it into place. Atomic at
 * every step: a crash leaves either the old home, no home, or the fresh one, and the old one
 * is always either in place or in the trash. Deleting the trash is the caller's job
 * (home_empty_trash). If the file system is full, the trash is emptied first and the copy
 * retried once. Returns 0 or -errno. */
int home_renew(const char *home, const char *trash_dir, const char *skeleton, uid_t uid, gid_t gid,
               HomeStats *stats);

/* The places of one wipe, opened once: the home's parent (through trusted folders only), the
 * home's name in it, the trash (created 0700 root:root if missing, on the same file system)
 * and the skeleton. home_place_close() closes and frees (safe on a closed place). */
typedef struct {
    int parentfd;
    char *base;
    int trashfd;
    int skelfd;
    char *home; /* the path, for the mount table */
} HomePlace;

int home_place_open(const char *home, const char *trash_dir, const char *skeleton, HomePlace *ret);
void home_place_close(HomePlace *p);

/* home_renew and home_verify on an open place (the same contracts). */
int home_renew_at(const HomePlace *p, uid_t uid, gid_t gid, HomeStats *stats);
int home_verify_at(const HomePlace *p, uid_t uid, gid_t gid, uint64_t *ret_differences);

/* Open (creating it 0700 root:root if missing) the trash dir; it must be on the same file
 * system as the home's parent. Returns an fd or -errno (-EXDEV: another file system). */
int home_open_trash(const char *trash_dir, const char *home);

/* Mount a fresh tmpfs (size_opt like "25%" or "2G", mode 0700, owned uid:gid, nosuid, nodev)
 * on the home and fill it from the skeleton (strategy "tmpfs", at session start).
 * Returns 0 or -errno. */
int home_mount_tmpfs(const char *home, const char *size_opt, const char *skeleton, uid_t uid, gid_t gid);

/* Compare the home with the skeleton: 0 equal, 1 different (also when mounts remain below the
 * home or the home is missing), -errno if it could not be checked. */
int home_verify(const char *home, const char *skeleton, uid_t uid, gid_t gid, uint64_t *ret_differences);
