/* Internal to the census (census.c, censusfs.c): its own view of the mounts and its file walk.
 * Nothing outside the census includes this; the sweep has code of its own on purpose.
 * Library code: never logs, never returns a name. */
#pragma once

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "census.h"

/* Every directory the census opens: never through a symlink, only a directory, never blocking,
 * never a controlling terminal. */
#define CENSUS_O_DIR (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
/* Every statx of an entry: the entry itself, no automount, no question to a FUSE or network
 * server (cached attributes are enough for an owner, and a dead server cannot hang us). */
#define CENSUS_AT (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC)

/* Keep the first error and go on. A function, not RK_KEEP_FIRST: that macro does not evaluate
 * its second argument once an error is kept, and here the argument is often the next check. */
static inline void census_keep(int *r, int e)
{
    if (*r == 0)
        *r = e;
}

static inline bool census_owned(const CensusTarget *t, uid_t uid, gid_t gid)
{
    return uid == t->uid || (t->check_gid && gid == t->gid);
}

/* uid 0 is refused: "everything of root" is the whole machine. (uid_t)-1 is no account. */
static inline bool census_target_ok(const CensusTarget *t)
{
    return t && t->uid != 0 && t->uid != (uid_t)-1;
}

/* One line of /proc/self/mountinfo; the strings point into CensusMounts.buf, unescaped. */
typedef struct {
    int id, parent;
    uint64_t dev; /* the super block's major:minor */
    char *root, *mp, *opts, *fstype, *super;
} CensusMount;

typedef struct {
    char *buf;
    CensusMount *m;
    size_t n;
} CensusMounts;

typedef enum { CENSUS_FS_LOCAL, CENSUS_FS_PSEUDO, CENSUS_FS_NETWORK, CENSUS_FS_FUSE } CensusFsKind;

/* Read a whole (proc) file, NUL-terminated, at most 64 MiB (-EFBIG). *ret is g_free'd by the
 * caller. Returns 0 or -errno. */
int census_read_file(const char *path, char **ret, size_t *ret_len);

/* a is at or below b (absolute paths, compared by components). */
bool census_path_below(const char *a, const char *b);

/* opt is one of the comma-separated options in opts. */
bool census_has_opt(const char *opts, const char *opt);

/* Parse /proc/self/mountinfo. 0, or -errno (-EBADMSG: a line of unexpected shape); mt is
 * freed with census_mounts_free in either case. */
int census_mounts_read(CensusMounts *mt);
void census_mounts_free(CensusMounts *mt);

/* What a file system type is to the census: searched, pseudo, network or FUSE. */
CensusFsKind census_fs_kind(const char *fstype);

/* FUSE or network file system among the mounts above mount i (a path lookup to i would ask
 * that server), else CENSUS_FS_LOCAL. */
CensusFsKind census_below_remote(const CensusMounts *mt, size_t i);

/* Open mount m's root by its path (no symlink on the way) as O_PATH and check by mount id that
 * it is m and not a mount stacked over it. Returns the fd, -EBUSY when m is hidden, or -errno;
 * sx gets the root's statx. */
int census_open_mount(const CensusMount *m, struct statx *sx);

/* The file class of census_run over the mount table: selection, deduplication, walk. Fills
 * found[RK_WIPE_FILES], inodes_seen and the mount counters of res; returns 0 or the first
 * -errno. */
int census_files(const CensusTarget *t, const CensusMounts *mt, CensusResult *res);
