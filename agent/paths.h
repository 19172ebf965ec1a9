/* Paths the daemon trusts and the mount table: the two things every module that acts on a
 * configured path needs before it may touch anything there.
 *
 * Paths handled here come from the configuration (root's), never from the guest; a walk ends
 * in a directory fd and everything after it is fd-relative. Never logs. Any thread. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Open the directory at the absolute path `path` walking it component by component with
 * O_NOFOLLOW|O_DIRECTORY from "/", and require every component to be owned by root and not
 * writable by group or others unless it is root's sticky directory (such as /tmp). A guest
 * therefore cannot redirect the path. Returns an O_RDONLY|O_DIRECTORY fd or -errno
 * (-EPERM for an untrusted component, -ELOOP for a symlink). */
int paths_open_trusted_dir(const char *path);

/* Split an absolute path into its parent and its last component (both newly allocated).
 * -EINVAL for a relative path, "/", or a last component "." or "..". */
int paths_split(const char *path, char **ret_dir, char **ret_base);
/* The trusted folder that holds path (an fd, or -errno) and path's last component (*ret_base,
 * the caller's to free; NULL on error). */
int paths_open_parent(const char *path, char **ret_base);

/* Whether p equals top or lies below it ("/" holds every absolute path); both canonical. */
bool paths_at_or_below(const char *p, const char *top);
/* The same, without p == top. */
bool paths_below(const char *p, const char *top);

/* One line of /proc/self/mountinfo. */
typedef struct {
    int id, parent;
    char *point;  /* mount point, unescaped */
    char *fstype;
    char *super;  /* super options, "" if none */
    bool guest;    /* false as read: a mark for the caller (the foothold remover's "the guest's") */
    bool detached; /* false as read: a mark for the caller */
} PathsMount;

/* At most this many mounts are read: a machine has tens to a few thousand (fusermount allows
 * 1000 FUSE mounts by default). Beyond it something is wrong: give up instead of growing. */
#define PATHS_MOUNTS_MAX 100000

/* The mount table of the caller's mount namespace, in mountinfo's order (PathsMount*, owned by
 * the array). Returns 0, -E2BIG beyond PATHS_MOUNTS_MAX, or -errno. */
int paths_read_mounts(GPtrArray **ret);

/* Detach every mount at or below `path` (deepest first, MNT_DETACH|UMOUNT_NOFOLLOW), as read
 * from /proc/self/mountinfo. Returns the number detached or the first -errno. */
int paths_detach_mounts(const char *path);

/* Number of mounts at or below path (0 = none), or -errno. */
int paths_count_mounts(const char *path);

/* Mount a fresh tmpfs on home (size as in wipe.tmpfs_size, mode 0700, owned by uid:gid, nosuid,
 * nodev), on the folder opened through its trusted parent. */
int paths_mount_tmpfs(const char *home, const char *size_opt, uid_t uid, gid_t gid);
