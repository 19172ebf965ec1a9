/* Kernel keys of the guest: a session's keys (and anything it linked into the uid's user,
 * user-session and persistent keyrings) outlive its processes and would be handed to the next
 * session of the same uid; this module clears them and leaves the user keyrings locked so that
 * no session can lock them against the wipe.
 *
 * Only the uid itself can reach its keys (root has no override for keyctl on another user's
 * keys): the work is done by a forked child that becomes uid:gid completely (checked) and makes
 * only async-signal-safe calls, prepared before the fork. Never logs, never records a key's
 * description: only a count leaves. Any thread. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef enum {
    KEYS_REMOVE, /* clear and invalidate, then lock the user keyrings */
    KEYS_COUNT,  /* count what KEYS_REMOVE would remove; change nothing */
    KEYS_LOCK,   /* only empty and lock the user keyrings (making them if missing) */
} KeysMode;

/* Do mode for uid in a child that becomes uid:gid (gid: the guest's primary group). *count
 * grows by the keys removed (or, KEYS_COUNT, found). Returns 0 or the child's first -errno
 * (-EPROTO when it died before it reported); -EPERM for uid 0, -EINVAL for gid 0. */
int keys_run(uid_t uid, gid_t gid, KeysMode mode, uint64_t *count);
