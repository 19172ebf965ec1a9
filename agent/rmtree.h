/* The safe remover: deletes a guest's tree without ever touching anything outside it.
 *
 * Rules (each enforced where the code does it):
 *  - fd-relative only: openat/unlinkat/fstatat on directory fds, O_NOFOLLOW|O_DIRECTORY|O_CLOEXEC;
 *    a symlink is removed as a link, never followed; a path is never re-resolved.
 *  - never crosses into another mount: a directory whose mount id (statx STATX_MNT_ID, required)
 *    differs from the top's is a mount point; it is neither entered nor removed (reported as
 *    -EBUSY). Not st_dev: an overlayfs without xino gives its files its layers' devices.
 *  - no recursion on the C stack and no PATH_MAX limit: an explicit work list on the heap and a
 *    bounded number of open fds, whatever the depth (10,000 levels and more).
 *  - fixes what stands in its way inside the tree it owns: modes (chmod 000 dirs) and the
 *    immutable / append-only flags.
 *  - "return the first error, keep going": everything removable is removed even when some
 *    entry is not; the first error is returned as -errno.
 * Library code: never logs, never prints a name. Thread-safe (no global state). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum {
    RM_DRY_RUN = 1 << 0,  /* remove nothing; count what would be removed (stats incl. bytes) */
    RM_PARALLEL = 1 << 1, /* use worker threads (two cores); same result, less wall time */
} RmFlags;

typedef struct {
    uint64_t files;   /* regular files, symlinks, FIFOs, sockets, device nodes removed (or counted) */
    uint64_t dirs;    /* directories removed (or counted) */
    uint64_t bytes;   /* st_size sum of regular files; filled in dry-run mode only */
    uint64_t errors;  /* entries that could not be removed */
    uint64_t skipped; /* mount points and foreign-owned entries left in place */
    uint64_t reclaimed; /* sweeps: directories of the owner kept for others' entries, now root's 0700 */
} RmStats;

typedef struct {
    uint64_t dev, ino;
} RmSkip;

/* Whose entries a sweep removes: the uid's, and the gid's when match_gid (a group private to
 * the guest). Directories in skip (by st_dev and st_ino, never by name) are neither entered
 * nor removed. */
typedef struct {
    uid_t uid;
    gid_t gid;
    bool match_gid;
    const RmSkip *skip;
    size_t nskip;
} RmOwner;

/* Remove everything inside the directory dirfd (not dirfd itself). stats (may be NULL) is
 * added to. Returns 0 when the directory is empty afterwards (or would be, in dry-run mode),
 * else the first -errno. dirfd is not closed. */
int rm_contents(int dirfd, RmFlags flags, RmStats *stats);

/* Remove the entry `name` of the directory parentfd, whatever its type (a directory with all
 * it holds). name must be a single path component (no '/', not "." or ".."): -EINVAL else.
 * Returns 0 or the first -errno. */
int rm_at(int parentfd, const char *name, RmFlags flags, RmStats *stats);

/* Sweep: below dirfd, remove every entry owned by uid (a directory owned by uid with all it
 * holds, except entries of other owners inside it, which are left in place; such a directory
 * is then handed to root:root so that nothing of uid remains). Entries of other owners are
 * never removed or changed, but directories of other owners are searched. Returns 0 or the
 * first -errno. */
int rm_owned_by(int dirfd, uid_t uid, RmFlags flags, RmStats *stats);

/* rm_owned_by for an owner by uid and (match_gid) gid, skipping directories by identity.
 * A directory of the owner that keeps others' entries is handed to root:root, mode 0700
 * (counted in stats->reclaimed). uid 0 or gid 0 is refused (-EPERM). */
int rm_owner_sweep(int dirfd, const RmOwner *owner, RmFlags flags, RmStats *stats);

/* Count the entries owned by uid below dirfd (verification of a sweep); 0 means none.
 * Returns the count, or -errno when the tree could not be read completely. */
int64_t rm_count_owned_by(int dirfd, uid_t uid);
