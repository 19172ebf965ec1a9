/* Footholds: what a guest can leave on the machine besides files, removed after the session.
 *
 * Mounts the guest made (FUSE through fusermount, and anything lying in the guest's places),
 * SysV IPC objects, POSIX message queues, kernel keyrings and keys, cron/at jobs and
 * lingering, per-user state of system services (AccountsService, LightDM). Everything here
 * runs after the reaper has killed every process of the guest, so the guest cannot race it.
 *
 * No program is run: syscalls only (umount2, shmctl, keyctl in a child that is the guest, ...).
 * Library code: returns 0/-errno, never logs, never returns or keeps a name of the guest's (only
 * counts). No global state; every path is absolute or fd-relative. Callable from any thread.
 *
 * Mounts, SysV IPC and message queues are those of the caller's mount and IPC namespaces: the
 * caller must run in the namespaces of the guest's session (a systemd unit with
 * ProtectKernelTunables=, PrivateTmp= and the like has a mount namespace of its own, where a
 * detach does not reach the machine's). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "rmtree.h"

/* The classes of this module, categories of the wipe (proto.h): RK_WIPE_MOUNTS (mounts the
 * guest made), RK_WIPE_SYSV_IPC (SysV shm, msg queues, semaphore sets), RK_WIPE_MQUEUE (POSIX
 * message queues), RK_WIPE_KEYS (kernel keyrings and keys), RK_WIPE_SCHEDULED (cron, at/batch,
 * lingering), RK_WIPE_SERVICE_STATE (per-user state kept by system services): the census's
 * classes but processes (the reaper's) and files (the sweep's and the safety net's). */
bool foothold_class(RkWipeCategory c);

typedef struct {
    uid_t uid;                     /* the guest; never 0 */
    gid_t gid;                     /* its primary group (the keys child takes it); never 0 */
    bool check_gid;                /* gid is the guest's private group: objects of it count too */
    const char *user;              /* account name (a single path component) */
    const char *home;              /* home path (absolute, not "/") */
    const char *run_user_dir;      /* "/run/user" (NULL: none) */
    const char *const *guest_dirs; /* sweep folders (/tmp, /var/tmp, /dev/shm); NULL-terminated or NULL */
    const char *sysroot;           /* NULL/"" in production; tests: prefix of the spool/state paths */
} FootholdTarget;

typedef struct {
    uint64_t removed[RK_WIPE_N]; /* objects removed (or found, in dry-run mode), per class */
    int error[RK_WIPE_N];        /* first -errno per class, 0 if none */
} FootholdResult;

/* Detach (MNT_DETACH, deepest first) every mount of this mount namespace the guest made or
 * that lies in the guest's places, read from /proc/self/mountinfo. A mount is the guest's when
 *  - it is FUSE (fuse, fuse.*, fuseblk) with user_id=UID in its super options;
 *  - its mount point is at or below home or run_user_dir/UID, or below /media/USER or
 *    /run/media/USER (udisks2 mounts removable media there for the session's user);
 *  - the directory it is mounted on (the inode the mount hides) or the directory holding that
 *    one belongs to uid;
 *  - below one of guest_dirs, a folder between the guest_dir and the mount point belongs to uid;
 *  - it is mounted on or below a mount of the guest's (stacked, nested).
 * "/" and the guest_dirs themselves are never detached unless FUSE of the guest; a mount made
 * by someone else on a folder that is not the guest's is left alone. The mount point itself is
 * never stat()ed through the mount (a dead FUSE daemon gives ENOTCONN, a hung one blocks): the
 * hidden directory is examined in a private clone of the parent mount. Rereads mountinfo until
 * no guest mount is left, at most FOOTHOLD_MOUNT_ROUNDS times. *ret_detached (may be NULL) =
 * number of mounts detached. Returns 0, or the first -errno (-EBUSY: a mount of the guest is
 * still there, e.g. hidden under someone else's mount). uid 0: -EPERM. */
#define FOOTHOLD_MOUNT_ROUNDS 8
int foothold_detach_mounts(const FootholdTarget *t, uint64_t *ret_detached);

/* Number of mounts foothold_detach_mounts() would detach now (0 = verified), or -errno. */
int64_t foothold_count_mounts(const FootholdTarget *t);

/* Remove every other class (all but RK_WIPE_MOUNTS), each one regardless of the others'
 * failures. flags: RM_DRY_RUN removes nothing, removed[] is then what would be removed (run
 * after a removal it is what is left: a verification). res is zeroed first. Keys are reached
 * by a forked child that becomes the guest (async-signal-safe after fork); user keyrings
 * already locked hold nothing and count as nothing; a removal ends by locking the keyrings as
 * foothold_lock_keyrings() does (its failure in error[RK_WIPE_KEYS]).
 * Returns 0 or the first -errno of all classes (each class's own in res->error). uid 0: -EPERM. */
int foothold_remove(const FootholdTarget *t, RmFlags flags, FootholdResult *res);

/* In a forked child that becomes the guest (async-signal-safe after fork), make t->uid's user
 * and user-session keyrings if missing, empty them (once locked nobody could) and set both to
 * 0x03030000: possessor and user may view and read, nobody may write, search, link or setattr,
 * so a session can neither lock them against the wipe nor invalidate or revoke them to get
 * fresh ones it could lock, and nothing can be put in them (the guest has no usable @u or @us).
 * Keyrings already locked so are success; ones nobody may set a mask on but that can still be
 * searched (an older rentarkd's 0x1f1f0000) are invalidated and made afresh first. 0 or -errno;
 * -EACCES: a guest took its search and setattr permissions away before the first lock, so until
 * reboot; a guest session alive while this runs may still race it (the census decides).
 * uid/gid 0: -EPERM/-EINVAL. */
int foothold_lock_keyrings(const FootholdTarget *t);
