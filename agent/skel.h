/* The skeleton: a fresh home is a copy of it, and a wiped home must equal it.
 *
 * Copies and comparisons are fd-relative and never follow symlinks in either tree; the
 * skeleton's symlinks are copied as links. Everything in the copy is owned by uid:gid; modes
 * are the skeleton's (without setuid/setgid bits), contents are the skeleton's.
 * Never logs, never reports a name: differences are counted by kind. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef struct {
    uint64_t missing;   /* in the skeleton, not in the home */
    uint64_t extra;     /* in the home, not in the skeleton (guest data!) */
    uint64_t type;      /* same name, other file type */
    uint64_t mode;      /* other permission bits */
    uint64_t owner;     /* not owned by uid:gid */
    uint64_t content;   /* other content (files) or target (symlinks) */
    uint64_t unreadable;/* entries that could not be read or compared */
} SkelDiff;

/* Fill the empty directory homefd with a copy of the tree at skelfd, owned by uid:gid.
 * homefd's own mode is set to 0700 and its owner to uid:gid. Returns 0 or the first -errno
 * (the copy may then be partial; the caller wipes and retries). */
int skel_copy(int skelfd, int homefd, uid_t uid, gid_t gid);

/* Compare the tree at homefd with the skeleton at skelfd as skel_copy would have made it
 * (names, types, modes, owners, contents, symlink targets; homefd itself must be uid:gid 0700).
 * Returns 0 when equal, 1 when they differ (diff says how), or -errno if it could not compare.
 * diff may be NULL. */
int skel_compare(int skelfd, int homefd, uid_t uid, gid_t gid, SkelDiff *diff);

/* Total number of differences in diff. */
uint64_t skel_diff_total(const SkelDiff *diff);
