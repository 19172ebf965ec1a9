/* The guest's home: trusted parent folders, mounts under the home, the two strategies.
 *
 * Paths handled here come from the configuration (root's), never from the guest; below the
 * home everything is reached fd-relative. Never logs, never names a guest's file. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Open the directory at the absolute path `path` walking it component by component with
 * O_NOFOLLOW|O_DIRECTORY from "/", and require every component to be owned by root and not
 * writable by group or others unless it is root's sticky directory (such as /tmp). A guest
 * therefore cannot redirect the path. Returns an O_RDONLY|O_DIRECTORY fd or -errno
 * (-EPERM for an untrusted component, -ELOOP for a symlink). */
int home_open_trusted_dir(const char *path);

/* The guest account's uid and gid from the user database. -ENOENT if there is none;
 * -EPERM if it is root: nothing in rentark ever wipes for uid 0. */
int home_lookup_guest(const char *user, uid_t *ret_uid, gid_t *ret_gid);

/* Detach every mount at or below `path` (deepest first, MNT_DETACH|UMOUNT_NOFOLLOW), as read
 * from /proc/self/mountinfo. Returns the number detached or the first -errno. */
int home_detach_mounts(const char *path);

/* Number of mounts at or below path (0 = none), or -errno. */
int home_count_mounts(const char *path);

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
