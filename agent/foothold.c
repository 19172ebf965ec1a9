/* Footholds: mounts, SysV IPC, POSIX message queues, keys, scheduled jobs and service state
 * the guest leaves behind; removed without running any program.
 *
 * Security rules, each stated again where the code enforces it:
 *  - uid 0 is refused before anything else: "everything of root" is the whole machine.
 *  - Nothing the guest controls is followed: mount points are opened with openat2()
 *    RESOLVE_NO_SYMLINKS, spool folders through paths_open_trusted_dir(), entries removed
 *    fd-relative with rm_at() after fstatat(AT_SYMLINK_NOFOLLOW).
 *  - A mount is detached through an fd of exactly that mount (checked by mount id), never by a
 *    path that could meanwhile name another mount stacked on top.
 *  - A guest's mount point is never stat()ed through its mount: a dead FUSE daemon answers
 *    ENOTCONN, a hung one blocks. The hidden directory is examined in a private clone of the
 *    parent mount, which holds no submounts.
 *  - Keys are reached by a forked child that has become the guest completely (checked) and
 *    makes only async-signal-safe calls: rentarkd has threads.
 *  - The guest's user and user-session keyrings are emptied and then left view- and read-only
 *    for possessor and user (0x03030000): a guest that could still change their permissions,
 *    or invalidate or revoke them to get fresh ones it may change, could lock them against the
 *    wipe until reboot. (What is left open: see keys.c.)
 *  - A SysV object or mqueue is removed only when the guest owns or made it, checked again on
 *    the object itself right before the removal.
 * Never logs, never records a name: only counts leave this file. */
#include "foothold.h"

#include "keys.h"
#include "paths.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

bool foothold_class(RkWipeCategory c)
{
    return c == RK_WIPE_MOUNTS || c == RK_WIPE_SYSV_IPC || c == RK_WIPE_MQUEUE || c == RK_WIPE_KEYS ||
           c == RK_WIPE_SCHEDULED || c == RK_WIPE_SERVICE_STATE;
}

/* The account name becomes a file name in root's folders: one path component, nothing else. */
static bool fh_name_ok(const char *name)
{
    return name && name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           strlen(name) <= NAME_MAX;
}

static int fh_check_target(const FootholdTarget *t)
{
    if (!t)
        return -EINVAL;
    /* The rule above all: nothing in rentark ever removes "everything of" root. (uid_t)-1 would
     * mean "unchanged" to setresuid(): the keys child would stay root. */
    if (t->uid == 0 || t->uid == (uid_t)-1)
        return -EPERM;
    if (t->check_gid && (t->gid == 0 || t->gid == (gid_t)-1))
        return -EPERM;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Mounts                                                                                   */

/* p relative to top (p below top), without the leading '/'. */
static const char *fh_relative(const char *p, const char *top)
{
    return p + (strcmp(top, "/") == 0 ? 1 : strlen(top) + 1);
}

/* A FUSE mount whose super options say it was mounted for uid (fusermount writes the caller's
 * real uid there; the guest cannot choose another). */
static bool fh_is_guest_fuse(const PathsMount *m, uid_t uid)
{
    if (strcmp(m->fstype, "fuse") != 0 && strcmp(m->fstype, "fuseblk") != 0 && !g_str_has_prefix(m->fstype, "fuse."))
        return false;
    char want[32];
    snprintf(want, sizeof want, "user_id=%u", (unsigned)uid);
    g_auto(GStrv) opts = g_strsplit(m->super, ",", -1);
    for (char **o = opts; *o; o++)
        if (strcmp(*o, want) == 0)
            return true;
    return false;
}

/* O_PATH fd of path, refusing every symlink on the way (also the last component), so that
 * nothing a guest planted redirects the walk. */
/* The mount id of fd, or -errno. */
static int64_t fh_mnt_id(int fd)
{
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
        return -errno;
    return (sx.stx_mask & STATX_MNT_ID) ? (int64_t)sx.stx_mnt_id : -ENOSYS;
}

/* openat2's rules by hand, one component at a time, where openat2 is missing (kernels before
 * 5.6, valgrind): no symlink anywhere (-ELOOP), no ".." (-EXDEV: never needed for the
 * administrator's and the kernel's paths handled here), with RESOLVE_NO_XDEV no other mount. */
static int fh_open_path_walk(int dirfd, const char *path, int extra_flags, uint64_t resolve)
{
    _cleanup_close_ int cur = openat(path[0] == '/' ? AT_FDCWD : dirfd, path[0] == '/' ? "/" : ".",
                                     O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return -errno;
    int64_t mnt = (resolve & RESOLVE_NO_XDEV) ? fh_mnt_id(cur) : 0;
    if (mnt < 0)
        return (int)mnt;
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    guint n = g_strv_length(parts), last = n;
    while (last > 0 && !*parts[last - 1])
        last--;
    for (guint i = 0; i < last; i++) {
        const char *c = parts[i];
        if (!*c || strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0)
            return -EXDEV;
        int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (i + 1 == last ? extra_flags : O_DIRECTORY);
        int next = openat(cur, c, flags);
        if (next < 0)
            return errno == ENOTDIR && i + 1 < last ? -ELOOP : -errno;
        struct stat st;
        if (fstat(next, &st) < 0 || S_ISLNK(st.st_mode)) {
            close(next);
            return -ELOOP;
        }
        if ((resolve & RESOLVE_NO_XDEV) && fh_mnt_id(next) != mnt) {
            close(next);
            return -EXDEV;
        }
        close(cur);
        cur = next;
    }
    return rk_steal_fd(&cur);
}

static int fh_open_path(int dirfd, const char *path, int extra_flags, uint64_t resolve)
{
    struct open_how how = {
        .flags = (uint64_t)(O_PATH | O_CLOEXEC | O_NOFOLLOW | extra_flags),
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | resolve,
    };
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        return fh_open_path_walk(dirfd, path, extra_flags, resolve);
    return fd < 0 ? -errno : (int)fd;
}

/* The id of the mount an fd lies on, from /proc/self/fdinfo: asks no file system anything
 * (statx(STATX_MNT_ID) would ask a FUSE daemon). */
static int fh_fd_mount_id(int fd)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    _cleanup_close_ int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return -errno;
    ssize_t n = rk_read_all(f, buf, sizeof buf - 1);
    if (n < 0)
        return (int)n;
    buf[n] = '\0';
    const char *p = strstr(buf, "mnt_id:");
    if (!p)
        return -ENODATA;
    return atoi(p + 7);
}

/* Owner uid of an O_PATH fd from the inode's cached attributes (AT_STATX_DONT_SYNC: a network
 * or FUSE file system is not asked). */
static bool fh_fd_owned_by(int fd, uid_t uid)
{
    struct statx sx;
    return statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC | AT_SYMLINK_NOFOLLOW, STATX_UID, &sx) == 0 &&
           (sx.stx_mask & STATX_UID) && sx.stx_uid == uid;
}

/* Is the directory m is mounted on (the inode the mount hides), or the directory holding it,
 * the guest's? Only a mount made by root can lie there (the guest has no mount rights beyond
 * fusermount), but it lies in the guest's tree, and the next guest inherits it. Looked up in a
 * private clone of the parent mount without its submounts, where the hidden inode is visible
 * and no mount of the guest is ever entered. */
static bool fh_hidden_dir_is_guest(const PathsMount *m, const PathsMount *parent, uid_t uid)
{
    /* Stacked on its parent's root: the hidden inode is the parent's root, judged with the
     * parent itself. */
    if (!parent || strcmp(m->point, parent->point) == 0 || !paths_below(m->point, parent->point))
        return false;
    _cleanup_close_ int pfd = fh_open_path(AT_FDCWD, parent->point, 0, 0);
    /* The parent must be the mount seen at its path; if something covers it, m is hidden too
     * and judged in a later round, once the cover is gone (or not at all). */
    if (pfd < 0 || fh_fd_mount_id(pfd) != parent->id)
        return false;
    _cleanup_close_ int tree = open_tree(pfd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return false;
    const char *rel = fh_relative(m->point, parent->point);
    _cleanup_close_ int hfd = fh_open_path(tree, rel, 0, RESOLVE_BENEATH | RESOLVE_NO_XDEV);
    if (hfd < 0)
        return false;
    if (fh_fd_owned_by(hfd, uid))
        return true;
    g_autofree char *dir = g_path_get_dirname(rel);
    if (strcmp(dir, ".") == 0)
        return fh_fd_owned_by(tree, uid);
    _cleanup_close_ int dfd = fh_open_path(tree, dir, O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_XDEV);
    return dfd >= 0 && fh_fd_owned_by(dfd, uid);
}

/* Below a guest_dir: does a folder between it and the mount point belong to uid? Then the
 * mount lies in a tree the guest made (and could have rearranged). Walked in the visible tree
 * one component at a time, no symlink followed. */
static bool fh_in_guest_tree(const char *point, const char *gdir, uid_t uid)
{
    g_auto(GStrv) parts = g_strsplit(fh_relative(point, gdir), "/", -1);
    _cleanup_close_ int fd = fh_open_path(AT_FDCWD, gdir, O_DIRECTORY, 0);
    if (fd < 0)
        return false;
    for (char **p = parts; *p && p[1]; p++) {
        if (!**p)
            continue;
        int next = fh_open_path(fd, *p, O_DIRECTORY, RESOLVE_BENEATH);
        if (next < 0)
            return false;
        close(fd);
        fd = next;
        if (fh_fd_owned_by(fd, uid))
            return true;
    }
    return false;
}

typedef struct {
    uid_t uid;
    GPtrArray *areas;     /* at or below: the guest's own places */
    GPtrArray *below;     /* strictly below: udisks2 media folders of the user */
    GPtrArray *guest_dirs; /* sweep folders: never detached themselves */
} PathsMountRules;

static void fh_rules_clear(PathsMountRules *r)
{
    g_clear_pointer(&r->areas, g_ptr_array_unref);
    g_clear_pointer(&r->below, g_ptr_array_unref);
    g_clear_pointer(&r->guest_dirs, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PathsMountRules, fh_rules_clear)

/* Configured paths, lexically normalised (no "//", ".", "..", trailing '/'). */
static int fh_rules_init(const FootholdTarget *t, PathsMountRules *r)
{
    r->uid = t->uid;
    r->areas = g_ptr_array_new_with_free_func(g_free);
    r->below = g_ptr_array_new_with_free_func(g_free);
    r->guest_dirs = g_ptr_array_new_with_free_func(g_free);
    if (t->home) {
        if (t->home[0] != '/')
            return -EINVAL;
        char *h = g_canonicalize_filename(t->home, "/");
        g_ptr_array_add(r->areas, h);
        /* A home of "/" would make every mount of the machine the guest's. */
        if (strcmp(h, "/") == 0)
            return -EINVAL;
    }
    if (t->run_user_dir) {
        if (t->run_user_dir[0] != '/')
            return -EINVAL;
        g_autofree char *d = g_canonicalize_filename(t->run_user_dir, "/");
        g_ptr_array_add(r->areas, g_strdup_printf("%s/%u", strcmp(d, "/") == 0 ? "" : d, (unsigned)t->uid));
    }
    /* udisks2 mounts a removable medium the session's user asks for (polkit allows the active
     * seat) below /media/USER or /run/media/USER; left mounted, the next patron finds it. */
    if (fh_name_ok(t->user)) {
        g_ptr_array_add(r->below, g_strdup_printf("/media/%s", t->user));
        g_ptr_array_add(r->below, g_strdup_printf("/run/media/%s", t->user));
    }
    for (const char *const *g = t->guest_dirs; g && *g; g++) {
        if ((*g)[0] != '/')
            return -EINVAL;
        g_ptr_array_add(r->guest_dirs, g_canonicalize_filename(*g, "/"));
    }
    return 0;
}

static bool fh_in_list(const char *p, GPtrArray *list, bool strictly_below)
{
    for (guint i = 0; i < list->len; i++)
        if (strictly_below ? paths_below(p, list->pdata[i]) : paths_at_or_below(p, list->pdata[i]))
            return true;
    return false;
}

static bool fh_is_sweep_folder(const char *p, const PathsMountRules *r)
{
    for (guint j = 0; j < r->guest_dirs->len; j++)
        if (strcmp(p, r->guest_dirs->pdata[j]) == 0)
            return true;
    return false;
}

/* Mark every mount of the guest (PathsMount.guest). by_id maps mount ids to mounts. */
static void fh_classify(GPtrArray *mounts, GHashTable *by_id, const PathsMountRules *r)
{
    /* Never "/" nor a sweep folder itself (a tmpfs on /tmp, /dev/shm): those are the machine's,
     * unless the guest's own FUSE daemon sits there. */
    for (guint i = 0; i < mounts->len; i++) {
        PathsMount *m = mounts->pdata[i];
        if (strcmp(m->point, "/") == 0)
            m->guest = false;
        else if (fh_is_sweep_folder(m->point, r))
            m->guest = fh_is_guest_fuse(m, r->uid);
        else
            m->guest = fh_is_guest_fuse(m, r->uid) || fh_in_list(m->point, r->areas, false) ||
                       fh_in_list(m->point, r->below, true);
    }
    for (int pass = 0; pass < 2; pass++) {
        /* Stacked on or nested in a mount of the guest: on the guest's file system, so the
         * guest's (each pass makes one more level; repeat until nothing changes). */
        for (bool changed = true; changed;) {
            changed = false;
            for (guint i = 0; i < mounts->len; i++) {
                PathsMount *m = mounts->pdata[i], *p = g_hash_table_lookup(by_id, GINT_TO_POINTER(m->parent));
                if (!m->guest && p && p->guest && p != m && strcmp(m->point, "/") != 0) {
                    m->guest = true;
                    changed = true;
                }
            }
        }
        if (pass == 1)
            break;
        /* The slower tests, only for what is still undecided. */
        for (guint i = 0; i < mounts->len; i++) {
            PathsMount *m = mounts->pdata[i];
            if (m->guest || strcmp(m->point, "/") == 0 || fh_is_sweep_folder(m->point, r))
                continue;
            PathsMount *p = g_hash_table_lookup(by_id, GINT_TO_POINTER(m->parent));
            if (fh_hidden_dir_is_guest(m, p, r->uid)) {
                m->guest = true;
                continue;
            }
            for (guint j = 0; !m->guest && j < r->guest_dirs->len; j++)
                if (paths_below(m->point, r->guest_dirs->pdata[j]))
                    m->guest = fh_in_guest_tree(m->point, r->guest_dirs->pdata[j], r->uid);
        }
    }
}

static int fh_depth(const char *p)
{
    int n = 0;
    for (; *p; p++)
        n += *p == '/';
    return n;
}

static gint fh_deepest_first(gconstpointer a, gconstpointer b)
{
    const PathsMount *x = *(PathsMount *const *)a, *y = *(PathsMount *const *)b;
    int dx = fh_depth(x->point), dy = fh_depth(y->point);
    if (dx != dy)
        return dy - dx;
    return strcmp(y->point, x->point);
}

/* One round: read, classify; unless count_only, detach. *ret_found = guest mounts seen. */
static int fh_mount_round(const PathsMountRules *r, bool count_only, uint64_t *ret_found, uint64_t *detached)
{
    g_autoptr(GPtrArray) mounts = NULL;
    int first = paths_read_mounts(&mounts);
    if (first < 0)
        return first;
    g_autoptr(GHashTable) by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < mounts->len; i++) {
        PathsMount *m = mounts->pdata[i];
        g_hash_table_insert(by_id, GINT_TO_POINTER(m->id), m);
    }
    fh_classify(mounts, by_id, r);

    g_autoptr(GPtrArray) guest = g_ptr_array_new();
    for (guint i = 0; i < mounts->len; i++)
        if (((PathsMount *)mounts->pdata[i])->guest)
            g_ptr_array_add(guest, mounts->pdata[i]);
    *ret_found = guest->len;
    if (count_only)
        return 0;
    /* Deepest first, so that a mount is never detached from under one lying on it. */
    g_ptr_array_sort(guest, fh_deepest_first);
    for (guint i = 0; i < guest->len; i++) {
        const PathsMount *m = guest->pdata[i];
        /* Whatever is stacked at this path, top first, while the top is the guest's. */
        for (int layer = 0; layer < 64; layer++) {
            _cleanup_close_ int fd = fh_open_path(AT_FDCWD, m->point, 0, 0);
            if (fd < 0)
                break; /* gone with a mount below it, or unreachable: the next round tells */
            PathsMount *top = g_hash_table_lookup(by_id, GINT_TO_POINTER(fh_fd_mount_id(fd)));
            /* Only ever the mount the fd lies on, and only if it is the guest's: a mount
             * someone else stacked on top stays, with the guest's below it (-EBUSY later). */
            if (!top || !top->guest || top->detached || strcmp(top->point, m->point) != 0)
                break; /* not the guest's, or no mount is left at this path (the folder below) */
            char self[64];
            snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
            /* The fd's magic link names exactly that mount (no UMOUNT_NOFOLLOW: the link must
             * be followed; it leads nowhere a guest chose). MNT_DETACH: a process we could not
             * see must not keep it alive, and a dead FUSE daemon must not make us wait. */
            if (umount2(self, MNT_DETACH) < 0) {
                RK_KEEP_FIRST(first, -errno);
                break;
            }
            top->detached = true;
            (*detached)++;
        }
    }
    return first;
}

int foothold_detach_mounts(const FootholdTarget *t, uint64_t *ret_detached)
{
    g_auto(PathsMountRules) rules = { 0 };
    uint64_t detached = 0, found = 0;
    int first = fh_check_target(t);
    if (ret_detached)
        *ret_detached = 0;
    if (first < 0 || (first = fh_rules_init(t, &rules)) < 0)
        return first;
    /* Mounts can be stacked and nested, and a cover that is not the guest's can hide one that
     * is: read again after every round until nothing of the guest is left. */
    for (int round = 0; round < FOOTHOLD_MOUNT_ROUNDS; round++) {
        uint64_t before = detached;
        int r = fh_mount_round(&rules, false, &found, &detached);
        RK_KEEP_FIRST(first, r);
        /* Done, or stuck (a failure, or a cover nobody may lift): more rounds change nothing. */
        if (found == 0 || detached == before)
            break;
    }
    if (first == 0 && found > 0) {
        /* The last round may have detached the rest: look once more. */
        uint64_t none = 0;
        int r = fh_mount_round(&rules, true, &found, &none);
        first = r < 0 ? r : found > 0 ? -EBUSY : 0;
    }
    if (ret_detached)
        *ret_detached = detached;
    return first;
}

int64_t foothold_count_mounts(const FootholdTarget *t)
{
    g_auto(PathsMountRules) rules = { 0 };
    uint64_t found = 0, none = 0;
    int r = fh_check_target(t);
    if (r < 0 || (r = fh_rules_init(t, &rules)) < 0)
        return r;
    r = fh_mount_round(&rules, true, &found, &none);
    return r < 0 ? r : (int64_t)found;
}

/* ---------------------------------------------------------------------------------------- */
/* SysV IPC                                                                                 */

typedef enum { FH_SHM, FH_MSG, FH_SEM } FhIpcKind;

/* glibc leaves union semun to the caller. */
union fh_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

typedef struct {
    uid_t uid, cuid;
    gid_t gid, cgid;
    unsigned mode;
} FhIpcOwner;

static bool fh_ipc_is_guest(const FootholdTarget *t, const FhIpcOwner *o)
{
    return o->uid == t->uid || o->cuid == t->uid || (t->check_gid && (o->gid == t->gid || o->cgid == t->gid));
}

/* The object's owners, asked of the object itself (IPC_STAT by id). */
static int fh_ipc_stat(FhIpcKind kind, int id, FhIpcOwner *o)
{
    struct ipc_perm *p;
    struct shmid_ds shm;
    struct msqid_ds msg;
    struct semid_ds sem;
    union fh_semun arg = { .buf = &sem };
    int r = kind == FH_SHM ? shmctl(id, IPC_STAT, &shm)
            : kind == FH_MSG ? msgctl(id, IPC_STAT, &msg)
                             : semctl(id, 0, IPC_STAT, arg);
    if (r < 0)
        return -errno;
    p = kind == FH_SHM ? &shm.shm_perm : kind == FH_MSG ? &msg.msg_perm : &sem.sem_perm;
    *o = (FhIpcOwner){ p->uid, p->cuid, p->gid, p->cgid, p->mode };
    return 0;
}

/* Remove one object of the guest. Returns 1 removed, 0 nothing to do (vanished, or a
 * segment already destroyed and handed to root), -errno. */
static int fh_ipc_remove_one(const FootholdTarget *t, FhIpcKind kind, int id, RmFlags flags)
{
    FhIpcOwner o = { 0 };
    int r = fh_ipc_stat(kind, id, &o);
    /* Checked again on the object itself: ids carry a sequence number, so one that was
     * removed meanwhile cannot name another user's new object, and we never act on a line
     * of /proc alone. */
    if (r == -EINVAL || r == -EIDRM)
        return 0;
    if (r < 0)
        return r;
    if (!fh_ipc_is_guest(t, &o))
        return 0;
    if (kind == FH_SHM && (o.mode & SHM_DEST) && o.uid != t->uid && !(t->check_gid && o.gid == t->gid))
        return 0;
    if (flags & RM_DRY_RUN)
        return 1;
    if (kind == FH_SHM) {
        /* A segment still attached elsewhere (the X server maps the guest's MIT-SHM images)
         * outlives IPC_RMID, and Linux lets its owner attach it again by id: the next guest,
         * same uid, would see the old screen contents. Hand it to root first. */
        struct shmid_ds ds = { 0 };
        if (shmctl(id, IPC_STAT, &ds) == 0) {
            ds.shm_perm.uid = 0;
            ds.shm_perm.gid = 0;
            ds.shm_perm.mode = 0600;
            (void)shmctl(id, IPC_SET, &ds);
        }
        r = shmctl(id, IPC_RMID, NULL);
    } else if (kind == FH_MSG) {
        r = msgctl(id, IPC_RMID, NULL);
    } else {
        r = semctl(id, 0, IPC_RMID);
    }
    if (r < 0)
        return errno == EINVAL || errno == EIDRM ? 0 : -errno;
    return 1;
}

/* Index of the header column `name`, or -1. Columns are found by name, never by position:
 * their order and number differ between kernel versions. */
static int fh_column(char **head, const char *name)
{
    for (int i = 0; head[i]; i++)
        if (strcmp(head[i], name) == 0)
            return i;
    return -1;
}

static int fh_ipc_sweep(const FootholdTarget *t, FhIpcKind kind, RmFlags flags, uint64_t *count)
{
    static const char *const files[] = { "/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem" };
    static const char *const idcols[] = { "shmid", "msqid", "semid" };
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int));
    int first = 0;

    if (!g_file_get_contents(files[kind], &text, NULL, &error))
        return g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? 0 : -EIO;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    if (!lines[0])
        return 0;
    g_auto(GStrv) head = g_strsplit_set(g_strstrip(lines[0]), " \t", -1);
    /* g_strsplit_set leaves empty strings between runs of blanks: squeeze them out. */
    int n = 0;
    for (int i = 0; head[i]; i++)
        if (head[i][0])
            head[n++] = head[i];
        else
            g_free(head[i]);
    head[n] = NULL;
    int cid = fh_column(head, idcols[kind]), cu = fh_column(head, "uid"), cg = fh_column(head, "gid"),
        ccu = fh_column(head, "cuid"), ccg = fh_column(head, "cgid");
    if (cid < 0 || cu < 0 || cg < 0 || ccu < 0 || ccg < 0)
        return -EBADMSG;

    for (char **l = lines + 1; *l; l++) {
        g_auto(GStrv) f = g_strsplit_set(g_strstrip(*l), " \t", -1);
        char *col[64];
        int k = 0;
        for (int i = 0; f[i] && k < 64; i++)
            if (f[i][0])
                col[k++] = f[i];
        if (k == 0)
            continue;
        if (k <= cid || k <= cu || k <= cg || k <= ccu || k <= ccg) {
            RK_KEEP_FIRST(first, -EBADMSG);
            continue;
        }
        FhIpcOwner o = { (uid_t)strtoul(col[cu], NULL, 10), (uid_t)strtoul(col[ccu], NULL, 10),
                         (gid_t)strtoul(col[cg], NULL, 10), (gid_t)strtoul(col[ccg], NULL, 10), 0 };
        if (fh_ipc_is_guest(t, &o)) {
            int id = atoi(col[cid]);
            g_array_append_val(ids, id);
        }
    }
    for (guint i = 0; i < ids->len; i++) {
        int r = fh_ipc_remove_one(t, kind, g_array_index(ids, int, i), flags);
        if (r > 0)
            (*count)++;
        else
            RK_KEEP_FIRST(first, r);
    }
    return first;
}

static int fh_sysv_ipc(const FootholdTarget *t, RmFlags flags, uint64_t *count)
{
    int first = 0;
    for (FhIpcKind k = FH_SHM; k <= FH_SEM; k++)
        RK_KEEP_FIRST(first, fh_ipc_sweep(t, k, flags, count));
    return first;
}

/* ---------------------------------------------------------------------------------------- */
/* POSIX message queues                                                                     */

/* A directory fd of this IPC namespace's mqueue file system. A mount listed in mountinfo may
 * belong to another IPC namespace (a container's, a test's), so a fresh instance is made: the
 * kernel gives the caller's namespace's. First as a detached mount (fsopen/fsmount: never
 * visible anywhere, gone when the fd closes), else mounted on a private folder under /run and
 * detached at once (the fd keeps it usable). */
static int fh_mqueue_open(void)
{
    _cleanup_close_ int fsfd = fsopen("mqueue", FSOPEN_CLOEXEC);
    if (fsfd >= 0) {
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
            return -errno;
        _cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mfd < 0)
            return -errno;
        int fd = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    if (errno != ENOSYS && errno != EPERM)
        return -errno;
    char dir[] = "/run/rentark-mq.XXXXXX";
    if (!mkdtemp(dir))
        return -errno;
    int fd = -1, r = 0;
    if (mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        r = -errno;
    } else {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            r = -errno;
        if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            RK_KEEP_FIRST(r, -errno);
    }
    rmdir(dir);
    if (r < 0) {
        rk_closep(&fd);
        return r;
    }
    return fd;
}

/* Names of the entries of dirfd that uid (or the private group) owns; one level. */
static int fh_list_owned(int dirfd, const FootholdTarget *t, bool by_gid, GPtrArray *out)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (st.st_uid == t->uid || (by_gid && t->check_gid && st.st_gid == t->gid))
            g_ptr_array_add(out, g_strdup(de->d_name));
    }
    closedir(d);
    return 0;
}

static int fh_mqueue(const FootholdTarget *t, RmFlags flags, uint64_t *count)
{
    _cleanup_close_ int fd = fh_mqueue_open();
    if (fd < 0)
        return fd == -ENODEV ? 0 : fd; /* no mqueue in this kernel: nothing to leave */
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    int first = fh_list_owned(fd, t, true, names);
    for (guint i = 0; i < names->len; i++) {
        /* Queues are plain names at the top level; unlinkat = mq_unlink in this namespace. */
        if (!(flags & RM_DRY_RUN) && unlinkat(fd, names->pdata[i], 0) < 0) {
            if (errno != ENOENT)
                RK_KEEP_FIRST(first, -errno);
            continue;
        }
        (*count)++;
    }
    return first;
}

/* ---------------------------------------------------------------------------------------- */
/* Scheduled jobs and service state: files in root's spool and state folders                */

/* Open the folder sysroot+parent/leaf: parent through paths_open_trusted_dir() (root's all the
 * way, no symlink), leaf without following a symlink. The leaf may belong to a service account
 * (at's spool is daemon's, 1770) but never to the guest, and others may write to it only if it
 * is sticky (crontabs 1730 root:crontab): then nobody can swap the guest's entries for others'.
 * A folder that does not exist holds nothing: *ret_fd = -1, 0. */
static int fh_open_place(const FootholdTarget *t, const char *parent, const char *leaf, int *ret_fd)
{
    g_autofree char *path = t->sysroot && t->sysroot[0] ? g_strconcat(t->sysroot, parent, NULL) : g_strdup(parent);
    struct stat st;
    *ret_fd = -1;
    _cleanup_close_ int pfd = paths_open_trusted_dir(path);
    if (pfd == -ENOENT)
        return 0;
    if (pfd < 0)
        return pfd;
    _cleanup_close_ int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : errno == ENOTDIR ? -ELOOP : -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (st.st_uid == t->uid || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
        return -EPERM;
    *ret_fd = rk_steal_fd(&fd);
    return 0;
}

/* Remove the entry `name` of dirfd whatever it is and whoever owns it (it carries the guest's
 * account name in a folder where that name means the guest). */
static int fh_remove_named(int dirfd, const char *name, RmFlags flags, uint64_t *count)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    int r = rm_at(dirfd, name, flags, NULL);
    if (r == 0)
        (*count)++;
    return r;
}

/* The entry USER of sysroot+parent/leaf (with_name) and every entry the guest owns there
 * (owned). */
static int fh_sweep_place(const FootholdTarget *t, const char *parent, const char *leaf, bool with_name, bool owned,
                          RmFlags flags, uint64_t *count)
{
    _cleanup_close_ int fd = -1;
    int first = fh_open_place(t, parent, leaf, &fd);
    if (first < 0 || fd < 0)
        return first;
    if (with_name)
        first = fh_remove_named(fd, t->user, flags, count);
    if (owned) {
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        RK_KEEP_FIRST(first, fh_list_owned(fd, t, false, names));
        for (guint i = 0; i < names->len; i++)
            RK_KEEP_FIRST(first, fh_remove_named(fd, names->pdata[i], flags, count));
    }
    return first;
}

/* cron and at/batch run the guest's commands after the session; a lingering user's systemd
 * --user manager (and its timers) starts at boot. The guest's systemd user units live in the
 * home and /run/user/UID, which are wiped elsewhere. */
static int fh_scheduled(const FootholdTarget *t, RmFlags flags, uint64_t *count)
{
    int first = 0;
    /* crontab(1) names the file after the account, owned by the account; its temporary files
     * while editing are the account's too. */
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/var/spool/cron", "crontabs", true, true, flags, count));
    /* at(1) job files and running jobs' output belong to the submitting user; atd rereads its
     * spool, so a removed job never runs. */
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/var/spool/cron", "atjobs", false, true, flags, count));
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/var/spool/cron", "atspool", false, true, flags, count));
    /* logind's polkit policy lets a user enable lingering for itself. */
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/var/lib/systemd", "linger", true, false, flags, count));
    return first;
}

static int fh_service_state(const FootholdTarget *t, RmFlags flags, uint64_t *count)
{
    int first = 0;
    /* AccountsService keeps what the guest set through it (language, session, icon, real
     * name) and shows the icon on the greeter. */
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/var/lib/AccountsService", "users", true, false, flags, count));
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/var/lib/AccountsService", "icons", true, false, flags, count));
    /* LightDM's per-user data folder (greeter-side files of the user's session). */
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/var/lib", "lightdm-data", true, false, flags, count));
    /* LightDM's Xauthority in the system dir (user-authority-in-system-dir). It is documented
     * as /var/run/lightdm, and /var/run is a symlink to /run, which the trusted walk refuses. */
    RK_KEEP_FIRST(first, fh_sweep_place(t, "/run", "lightdm", true, false, flags, count));
    return first;
}

int foothold_remove(const FootholdTarget *t, RmFlags flags, FootholdResult *res)
{
    int first;
    if (res)
        memset(res, 0, sizeof *res);
    if (!res)
        return -EINVAL;
    if ((first = fh_check_target(t)) < 0)
        return first;
    /* The account name becomes a file name in root's folders: one component, or nothing
     * named after it is touched (what the uid owns still is). */
    bool named = fh_name_ok(t->user);
    if (t->sysroot && t->sysroot[0] && t->sysroot[0] != '/')
        return -EINVAL;
    res->error[RK_WIPE_SYSV_IPC] = fh_sysv_ipc(t, flags, &res->removed[RK_WIPE_SYSV_IPC]);
    res->error[RK_WIPE_MQUEUE] = fh_mqueue(t, flags, &res->removed[RK_WIPE_MQUEUE]);
    res->error[RK_WIPE_KEYS] =
        keys_run(t->uid, t->gid, flags & RM_DRY_RUN ? KEYS_COUNT : KEYS_REMOVE, &res->removed[RK_WIPE_KEYS]);
    if (named) {
        res->error[RK_WIPE_SCHEDULED] = fh_scheduled(t, flags, &res->removed[RK_WIPE_SCHEDULED]);
        res->error[RK_WIPE_SERVICE_STATE] = fh_service_state(t, flags, &res->removed[RK_WIPE_SERVICE_STATE]);
    } else {
        res->error[RK_WIPE_SCHEDULED] = res->error[RK_WIPE_SERVICE_STATE] = -EINVAL;
    }
    for (int c = 0; c < RK_WIPE_N; c++)
        RK_KEEP_FIRST(first, res->error[c]);
    return first;
}

int foothold_lock_keyrings(const FootholdTarget *t)
{
    uint64_t none = 0;
    int r = fh_check_target(t);
    if (r < 0)
        return r;
    return keys_run(t->uid, t->gid, KEYS_LOCK, &none);
}
