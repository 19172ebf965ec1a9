/* The safe remover (contract in rmtree.h).
 *
 * A walker keeps a stack of frames on the heap, one per directory between the top and the
 * entry being removed; nothing recurses on the C stack. Only the innermost RM_MAX_OPEN frames
 * keep an fd, so the number of open fds does not grow with depth. A frame whose fd was closed
 * is reached again from its child through "..", and only if that is still the directory we
 * recorded (st_dev, st_ino, mount id). Each frame remembers the getdents64 cookie of the next
 * entry to read, so a directory is resumed where it was left; reading from the start again
 * is only the fallback when rmdir finds a directory not empty.
 *
 * A directory is read in up to two passes. Pass 1 removes what is not a directory, a
 * getdents64 chunk at a time in inode order (as GNU rm does for big directories: neighbouring
 * inodes share inode-table blocks, which makes unlinking on ext4 markedly cheaper), and never
 * descends, so a chunk is always finished before the next is read. Pass 2, only when pass 1
 * saw subdirectories, enters them.
 *
 * RM_PARALLEL: a walker that reads a directory hands batches of its entries to a small pool of
 * threads while the queue is short. The directory's fd stays open (pinned) while batches are
 * out; the walker that owns it waits for them, helping with queued work meanwhile, before it
 * removes the directory. Helping nests at most RM_MAX_LEVEL walkers on one thread's stack,
 * and walkers at the last level never hand work out, so no thread waits forever. */
#include "rmtree.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define RM_MAX_OPEN 16      /* open fds of unpinned frames per walker */
#define RM_MAX_PINNED 8     /* frames per walker whose entries are out in batches */
#define RM_MAX_RESCANS 2    /* reads of a directory from its start after ENOTEMPTY */
#define RM_BUF_SIZE (2 * 1024 * 1024) /* level 0: the larger the chunk, the better the order */
#define RM_BUF_SIZE_NESTED (64 * 1024)
#define RM_BATCH 64         /* entries per batch handed to another thread */
#define RM_MAX_LEVEL 3      /* nested walkers per thread (see the top comment) */
#define RM_MAX_THREADS 4

/* Every directory is opened this way: never through a symlink (O_NOFOLLOW), only if it is a
 * directory, and without blocking or acquiring a terminal should the name have changed. */
#define RM_O_DIR (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

typedef enum {
    RM_ALL,   /* remove everything */
    RM_OWNED, /* remove what uid owns, search the rest */
    RM_COUNT, /* count what uid owns, change nothing */
} RmMode;

typedef struct {
    uint64_t dev, ino, mnt;
} RmIdent;

typedef struct RmPool RmPool;

typedef struct {
    RmMode mode;
    bool dry; /* change nothing */
    const RmOwner *owner; /* RM_OWNED, RM_COUNT: whose entries */
    RmIdent top; /* the top's identity; every directory we enter must have its mount id */
    RmPool *pool;
} RmCtx;

/* A directory whose entries are being handled by other threads. */
typedef struct {
    int fd; /* borrowed from the owner's frame, which stays open meanwhile */
    bool remove, fixable;
    unsigned outstanding; /* batches not finished, under pool->lock */
    uint64_t left;        /* entries the batches left in place, under pool->lock */
} RmNode;

typedef struct RmJob {
    struct RmJob *next;
    RmNode *node;
    unsigned n;
    size_t used;
    unsigned char types[RM_BATCH];
    char names[RM_BATCH * 256];
} RmJob;

struct RmPool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    RmJob *head, *tail;
    unsigned queued; /* written under lock; read without it only as a hint */
    unsigned nthreads;
    bool shutdown;
    RmStats st;
    int r;
};

typedef struct {
    int fd;          /* -1 while closed to bound the fds in use */
    RmIdent id;      /* recorded when opened, checked when reopened through ".." */
    char *name;      /* name in the parent; NULL for frame 0 */
    uint64_t pos;    /* cookie of the next entry to read; 0 is the start */
    uint64_t left;   /* entries left in place (errors, mount points, other owners) */
    unsigned rescans;
    unsigned pass;   /* 1: non-directories, 2: directories; 0: frame 0 of a batch, not read */
    bool saw_dirs;   /* pass 1 met a subdirectory */
    bool remove;     /* the directory itself is to be removed */
    bool fixable;    /* we may change its mode and flags */
    bool mode_fixed, flags_fixed;
    RmNode *node;    /* set while batches of it are out; the frame is pinned */
} RmFrame;

typedef struct {
    const RmCtx *ctx;
    unsigned level;
    RmFrame *f;
    size_t n, cap;
    size_t nopen;      /* open unpinned frames above frame 0 */
    size_t evict_from; /* frames below this index are closed or pinned */
    size_t npinned;
    char *buf;
    size_t buf_size, buf_len, buf_off;
    struct RmOrder *order; /* pass 1: the chunk's entries in inode order */
    size_t norder, order_i;
    ssize_t buf_frame; /* frame whose entries are in buf and whose fd offset follows them */
    RmJob *batch;
    RmStats st;
    int r;
} RmWalker;

struct RmOrder {
    uint32_t ino; /* low bits suffice for locality */
    uint32_t off;
};

static void rm_entry(RmWalker *w, const char *name, unsigned char type, bool again);
static void rm_job_run(const RmCtx *c, RmJob *j, unsigned level);

static void rm_stats_add(RmStats *to, const RmStats *from)
{
    to->files += from->files;
    to->dirs += from->dirs;
    to->bytes += from->bytes;
    to->errors += from->errors;
    to->skipped += from->skipped;
    to->reclaimed += from->reclaimed;
}

/* errors counts entries whose own removal failed; a directory that stays only because
 * something in it stayed is not counted again. */
static void rm_fail(RmWalker *w, int r)
{
    w->st.errors++;
    RK_KEEP_FIRST(w->r, r);
}

static RmFrame *rm_top(RmWalker *w)
{
    return &w->f[w->n - 1];
}

/* An entry of p stays because of error r. */
static void rm_keep(RmWalker *w, RmFrame *p, int r)
{
    rm_fail(w, r);
    p->left++;
}

static int rm_statx_fd(int fd, unsigned mask, struct statx *sx)
{
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, mask | STATX_INO | STATX_MNT_ID, sx) < 0)
        return -errno;
    /* Without a mount id a bind mount of the same file system cannot be told apart: refuse
     * rather than risk crossing it (every kernel since 5.8 reports it). */
    if (!(sx->stx_mask & STATX_MNT_ID))
        return -EOPNOTSUPP;
    return 0;
}

static RmIdent rm_ident(const struct statx *sx)
{
    return (RmIdent){ .dev = makedev(sx->stx_dev_major, sx->stx_dev_minor),
                      .ino = sx->stx_ino,
                      .mnt = sx->stx_mnt_id };
}

/* Whether an entry with this owner is the swept owner's, to remove. */
static bool rm_owns(const RmCtx *c, uid_t uid)
{
    return c->mode == RM_ALL || uid == c->owner->uid;
}

/* Another user's entry that carries the guest's private group (made in a setgid folder of the
 * guest): not the guest's to remove, but its group is taken away (root's group) so that the
 * next patron, who has the same group, cannot reach it through it. */
static bool rm_group_only(const RmCtx *c, uid_t uid, gid_t gid)
{
    return c->mode != RM_ALL && c->owner->match_gid && uid != c->owner->uid && gid == c->owner->gid;
}

/* Take the guest's group away from another user's entry (see rm_group_only). */
static void rm_reclaim_group(RmWalker *w, RmFrame *p, const char *name)
{
    const RmCtx *c = w->ctx;
    if (c->mode == RM_COUNT) {
        w->st.files++;
        return;
    }
    if (c->dry)
        return;
    if (fchownat(p->fd, name, (uid_t)-1, 0, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            rm_fail(w, -errno);
        return;
    }
    w->st.reclaimed++;
}

/* A directory the caller excluded by identity (a fresh home, the root-only trash). */
static bool rm_excluded(const RmCtx *c, const RmIdent *id)
{
    for (size_t i = 0; c->owner && i < c->owner->nskip; i++)
        if (c->owner->skip[i].dev == id->dev && c->owner->skip[i].ino == id->ino)
            return true;
    return false;
}

/* The mount id alone says whether two inodes are on one mount (rm_statx_fd makes sure it is
 * known). Never the device: an overlayfs without xino (the root of a live system or a
 * container) shows its files with the devices of its layers, though its directories with its
 * own, so a file would look like a mount and lose the fixes of rm_fix_entry_flags; and a btrfs
 * subvolume has a device of its own on the same mount, which the census enters too. */
static bool rm_same_mount(const RmIdent *a, const RmIdent *b)
{
    return a->mnt == b->mnt;
}

static void rm_walker_init(RmWalker *w, const RmCtx *c, unsigned level)
{
    *w = (RmWalker){ .ctx = c, .level = level, .evict_from = 1, .buf_frame = -1,
                     .buf_size = level == 0 ? RM_BUF_SIZE : RM_BUF_SIZE_NESTED };
}

static void rm_walker_free(RmWalker *w)
{
    for (size_t i = 1; i < w->n; i++) {
        if (w->f[i].fd >= 0)
            close(w->f[i].fd);
        free(w->f[i].name);
    }
    free(w->f);
    free(w->buf);
    free(w->order);
    free(w->batch);
}

/* Close the outermost open frames until only RM_MAX_OPEN remain: this is what bounds the fds
 * whatever the depth. Frame 0 and pinned frames are never closed. */
static void rm_evict(RmWalker *w)
{
    while (w->nopen > RM_MAX_OPEN) {
        size_t i = w->evict_from;
        while (i + 1 < w->n && (w->f[i].fd < 0 || w->f[i].node))
            i++;
        if (i + 1 >= w->n)
            return;
        close(w->f[i].fd);
        w->f[i].fd = -1;
        w->nopen--;
        w->evict_from = i + 1;
    }
}

/* Push a frame for the directory fd, which the walker owns from then on (except frame 0's,
 * which is borrowed). On failure fd is left to the caller. */
static int rm_push(RmWalker *w, int fd, const RmIdent *id, const char *name, bool remove, bool fixable)
{
    char *copy = NULL;

    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        RmFrame *f = realloc(w->f, cap * sizeof(*f));
        if (!f)
            return -ENOMEM;
        w->f = f;
        w->cap = cap;
    }
    if (name && !(copy = strdup(name)))
        return -ENOMEM;
    w->f[w->n++] = (RmFrame){ .fd = fd, .id = *id, .name = copy, .pass = 1,
                              .remove = remove, .fixable = fixable };
    w->buf_frame = -1;
    if (w->n > 1) {
        w->nopen++;
        rm_evict(w);
    }
    return 0;
}

/* Take the top frame off the stack without doing anything to its directory. */
static void rm_drop(RmWalker *w)
{
    RmFrame *f = rm_top(w);

    if (f->fd >= 0) {
        close(f->fd);
        w->nopen--;
    }
    free(f->name);
    w->n--;
    w->buf_frame = -1;
    if (w->evict_from > w->n)
        w->evict_from = w->n;
}

/* Reopen frame i, closed earlier, from its open child through "..". A child that was moved
 * elsewhere meanwhile has another "..", which may be outside the tree: it is used only if it
 * is the very directory recorded when frame i was opened, else -ESTALE. */
static int rm_reopen(RmWalker *w, size_t i)
{
    RmFrame *p = &w->f[i];
    struct statx sx;
    _cleanup_close_ int fd = openat(w->f[i + 1].fd, "..", RM_O_DIR);
    if (fd < 0)
        return -errno;
    int r = rm_statx_fd(fd, 0, &sx);
    if (r < 0)
        return r;
    RmIdent id = rm_ident(&sx);
    if (id.dev != p->id.dev || id.ino != p->id.ino || id.mnt != p->id.mnt)
        return -ESTALE;
    p->fd = rk_steal_fd(&fd);
    w->nopen++;
    if (i < w->evict_from)
        w->evict_from = i;
    return 0;
}

/* Clear the immutable and append-only flags of fd. Returns 1 when it changed them, 0 when
 * none was set, or -errno. */
static int rm_clear_flags(int fd)
{
    int fl;

    if (ioctl(fd, FS_IOC_GETFLAGS, &fl) < 0)
        return -errno;
    if (!(fl & (FS_IMMUTABLE_FL | FS_APPEND_FL)))
        return 0;
    fl &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
    if (ioctl(fd, FS_IOC_SETFLAGS, &fl) < 0)
        return -errno;
    return 1;
}

/* Clear the flags of the entry name of p that unlinkat refused (EPERM). entry_fd is the entry
 * when it is an open directory, else -1. */
static int rm_fix_entry_flags(RmWalker *w, RmFrame *p, const char *name, int entry_fd)
{
    const RmCtx *c = w->ctx;
    _cleanup_close_ int path_fd = -1, file_fd = -1;
    struct statx sx;
    int fd = entry_fd, r;

    if (fd < 0) {
        /* O_PATH opens nothing: a device node is not opened, a FIFO does not block. */
        path_fd = openat(p->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (path_fd < 0)
            return -errno;
    }
    r = rm_statx_fd(fd >= 0 ? fd : path_fd, STATX_TYPE | STATX_NLINK | STATX_UID | STATX_GID, &sx);
    if (r < 0)
        return r;
    /* Change only an inode of the tree: on our mount (a file bind-mounted over the name is
     * not ours), a directory or a regular file without other hard links (a link to an
     * immutable file elsewhere must not cost that file its flag), of uid when sweeping. */
    RmIdent id = rm_ident(&sx);
    if (!rm_same_mount(&id, &c->top))
        return 0;
    if (!S_ISDIR(sx.stx_mode) && !(S_ISREG(sx.stx_mode) && sx.stx_nlink == 1))
        return 0;
    if (!rm_owns(c, sx.stx_uid))
        return 0;
    if (fd < 0) {
        /* The ioctls need a real open; /proc/self/fd reopens the inode just checked, never the
         * name, which the guest could have swapped for a device meanwhile. */
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", path_fd);
        file_fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (file_fd < 0)
            return -errno;
        fd = file_fd;
    }
    return rm_clear_flags(fd);
}

/* unlinkat(p, name, flags), fixing what stands in the way inside the tree: a parent we may not
 * write (EACCES: mode 0700) and immutable or append-only flags on the parent or the entry
 * (EPERM). Each fix is tried once, so this ends. */
static int rm_unlink(RmWalker *w, RmFrame *p, const char *name, int flags, int entry_fd)
{
    bool entry_tried = false;

    for (;;) {
        if (unlinkat(p->fd, name, flags) == 0)
            return 0;
        int r = -errno;
        /* Only a directory we are emptying (fixable) ever has its mode or flags changed. */
        if (r == -EACCES && p->fixable && !p->mode_fixed) {
            p->mode_fixed = true;
            if (fchmod(p->fd, 0700) == 0)
                continue;
        } else if (r == -EPERM) {
            bool changed = false;
            if (p->fixable && !p->flags_fixed) {
                p->flags_fixed = true;
                changed = rm_clear_flags(p->fd) > 0;
            }
            if (!entry_tried) {
                entry_tried = true;
                changed |= rm_fix_entry_flags(w, p, name, entry_fd) > 0;
            }
            if (changed)
                continue;
        }
        return r;
    }
}

/* Open the subdirectory name of p; a directory we may not read (chmod 000 without
 * CAP_DAC_OVERRIDE) is made 0700 first when it is ours to remove. Returns an fd or -errno. */
static int rm_open_dir(RmWalker *w, RmFrame *p, const char *name)
{
    const RmCtx *c = w->ctx;
    struct statx sx;

    int fd = openat(p->fd, name, RM_O_DIR);
    if (fd >= 0)
        return fd;
    int e = errno;
    if (e != EACCES && e != ENOTCONN)
        return -e;
    _cleanup_close_ int path_fd = openat(p->fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (path_fd < 0)
        return -errno;
    int r = rm_statx_fd(path_fd, STATX_UID | STATX_GID, &sx);
    /* Root may look at any inode of a local file system: a directory whose very attributes are
     * refused is another mount, of a file system that refuses root (another user's FUSE mount
     * without allow_other) or whose server is gone. */
    if (r == -EACCES || r == -ENOTCONN)
        return -EREMOTE;
    if (r < 0)
        return r;
    if (e != EACCES || c->dry)
        return -e;
    RmIdent id = rm_ident(&sx);
    /* The mode of a mount point or of another owner's directory is never changed. */
    if (!rm_same_mount(&id, &c->top) || !rm_owns(c, sx.stx_uid) || rm_excluded(c, &id))
        return -EACCES;
    /* chmod and reopen go through /proc/self/fd: the inode just checked, never the name. */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", path_fd);
    if (chmod(path, 0700) < 0)
        return -errno;
    fd = open(path, RM_O_DIR & ~O_NOFOLLOW);
    return fd < 0 ? -errno : fd;
}

/* The entry name of the top frame is a directory: enter it, or say why not. */
static void rm_enter(RmWalker *w, const char *name, bool again)
{
    const RmCtx *c = w->ctx;
    size_t pi = w->n - 1;
    struct statx sx;

    int fd = rm_open_dir(w, &w->f[pi], name);
    if (fd == -ENOENT)
        return;
    if (fd == -EREMOTE && c->mode != RM_ALL) {
        /* A mount we cannot look into (see rm_open_dir): not entered, and whose it is cannot
         * be told; the guest's own mounts were detached before any sweep, and the census
         * judges what is left. Emptying a tree (RM_ALL) must stop here as at any mount. */
        if (c->mode == RM_OWNED) {
            w->st.skipped++;
            w->f[pi].left++;
        }
        return;
    }
    if (fd == -EREMOTE)
        fd = -EBUSY;
    if ((fd == -ENOTDIR || fd == -ELOOP) && !again) {
        /* Not a directory (any more): a symlink is removed as a link, never followed. */
        rm_entry(w, name, DT_UNKNOWN, true);
        return;
    }
    if (fd >= 0) {
        int r = rm_statx_fd(fd, STATX_UID | STATX_GID, &sx);
        if (r < 0) {
            close(fd);
            fd = r;
        }
    }
    if (fd < 0)
        return rm_keep(w, &w->f[pi], fd);
    RmIdent id = rm_ident(&sx);
    bool owned = rm_owns(c, sx.stx_uid);
    if (rm_excluded(c, &id)) {
        /* Excluded by identity: neither entered nor removed, whatever its name now. */
        close(fd);
        if (c->mode == RM_OWNED) {
            w->st.skipped++;
            w->f[pi].left++;
        }
        return;
    }
    if (!rm_same_mount(&id, &c->top)) {
        /* Never cross into another mount, not even a bind mount of this file system (same
         * st_dev, other mount id): a mount point is neither entered nor removed. A sweep only
         * complains about one of uid; others' are entries of others. */
        close(fd);
        if (c->mode == RM_COUNT) {
            w->st.dirs += owned;
            return;
        }
        w->st.skipped++;
        w->f[pi].left++;
        if (owned)
            RK_KEEP_FIRST(w->r, -EBUSY);
        return;
    }
    if (rm_group_only(c, sx.stx_uid, sx.stx_gid))
        rm_reclaim_group(w, &w->f[pi], name); /* another owner's, with the guest's group */
    if (c->mode == RM_COUNT)
        w->st.dirs += owned;
    else if (!owned)
        w->st.skipped++; /* another owner's directory: searched, kept */
    bool remove = owned && c->mode != RM_COUNT;
    int r = rm_push(w, fd, &id, name, remove, remove && !c->dry);
    if (r < 0) {
        close(fd);
        rm_keep(w, &w->f[pi], r);
    }
}

/* Handle the entry name of the top frame, whose d_type is type (DT_UNKNOWN: find out). */
static void rm_entry(RmWalker *w, const char *name, unsigned char type, bool again)
{
    const RmCtx *c = w->ctx;
    RmFrame *p = rm_top(w);
    struct stat st = { 0 };

    /* d_type saves a stat per file; one is needed only to learn an owner, a size, or a type
     * the file system did not give. */
    if (type == DT_UNKNOWN || (type != DT_DIR && (c->mode != RM_ALL || (c->dry && type == DT_REG)))) {
        if (fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT)
                rm_keep(w, p, -errno);
            return;
        }
        type = IFTODT(st.st_mode);
    }
    /* Pass 1 never descends (its chunk would be lost); pass 2 only descends. */
    if (p->pass == 1 && type == DT_DIR) {
        p->saw_dirs = true;
        return;
    }
    if (p->pass == 2 && type != DT_DIR)
        return;
    if (type == DT_DIR) {
        if (again) /* it keeps changing type under us */
            return rm_keep(w, p, -EAGAIN);
        return rm_enter(w, name, again);
    }
    if (!rm_owns(c, st.st_uid)) {
        /* Entries of other owners are never removed; only the guest's group is taken away. */
        if (rm_group_only(c, st.st_uid, st.st_gid))
            rm_reclaim_group(w, p, name);
        if (c->mode == RM_OWNED) {
            w->st.skipped++;
            p->left++;
        }
        return;
    }
    if (c->dry) {
        w->st.files++;
        if (c->mode != RM_COUNT && S_ISREG(st.st_mode))
            w->st.bytes += (uint64_t)st.st_size;
        return;
    }
    /* unlinkat removes the name only: a hard link to a file outside leaves that file alone,
     * and a FIFO, socket or device node is never opened. */
    int r = rm_unlink(w, p, name, 0, -1);
    if (r == 0)
        w->st.files++;
    else if (r == -EISDIR && p->pass == 1)
        p->saw_dirs = true;
    else if (r == -EISDIR && !again)
        rm_enter(w, name, true);
    else if (r == -EBUSY) { /* a file with something mounted over it */
        w->st.skipped++;
        p->left++;
        RK_KEEP_FIRST(w->r, r);
    } else if (r != -ENOENT) {
        rm_keep(w, p, r);
    }
}

static void rm_pool_merge(RmPool *pool, RmWalker *w)
{
    rm_stats_add(&pool->st, &w->st);
    RK_KEEP_FIRST(pool->r, w->r);
}

/* Queue the batch being filled. */
static void rm_flush(RmWalker *w)
{
    RmJob *j = w->batch;
    RmPool *pool = w->ctx->pool;

    if (!j)
        return;
    w->batch = NULL;
    pthread_mutex_lock(&pool->lock);
    j->node->outstanding++;
    if (pool->tail)
        pool->tail->next = j;
    else
        pool->head = j;
    pool->tail = j;
    __atomic_store_n(&pool->queued, pool->queued + 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
}

/* Run queued batches at level until node has none out (node NULL: until shutdown). This is
 * both a worker thread's loop and how an owner waits for its batches. */
static void rm_help(const RmCtx *c, RmNode *node, unsigned level)
{
    RmPool *pool = c->pool;

    pthread_mutex_lock(&pool->lock);
    while (node ? node->outstanding > 0 : !pool->shutdown || pool->head) {
        RmJob *j = pool->head;
        if (!j) {
            pthread_cond_wait(&pool->cond, &pool->lock);
            continue;
        }
        if (!(pool->head = j->next))
            pool->tail = NULL;
        __atomic_store_n(&pool->queued, pool->queued - 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&pool->lock);
        rm_job_run(c, j, level);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
}

/* Give the entry de of the top frame to another thread, if one is about to be idle. */
static bool rm_handoff(RmWalker *w, const struct dirent64 *de)
{
    RmPool *pool = w->ctx->pool;
    RmFrame *f = rm_top(w);

    if (!pool || w->level + 1 >= RM_MAX_LEVEL)
        return false;
    if (!w->batch) {
        if (__atomic_load_n(&pool->queued, __ATOMIC_RELAXED) >= pool->nthreads)
            return false;
        if (!f->node) {
            if (w->npinned >= RM_MAX_PINNED || f->fd < 0)
                return false;
            RmNode *node = calloc(1, sizeof(*node));
            if (!node)
                return false;
            *node = (RmNode){ .fd = f->fd, .remove = f->remove, .fixable = f->fixable };
            f->node = node;
            w->npinned++;
            if (w->n > 1)
                w->nopen--;
        }
        w->batch = calloc(1, sizeof(RmJob));
        if (!w->batch)
            return false;
        w->batch->node = f->node;
    }
    RmJob *j = w->batch;
    size_t len = strlen(de->d_name) + 1;
    memcpy(j->names + j->used, de->d_name, len);
    j->used += len;
    j->types[j->n++] = de->d_type;
    /* A directory may hold a whole subtree: send it off at once. */
    if (j->n == RM_BATCH || de->d_type == DT_DIR)
        rm_flush(w);
    return true;
}

/* Collect the batches of frame f, if it had any, and unpin it. */
static void rm_unpin(RmWalker *w, RmFrame *f)
{
    RmNode *node = f->node;

    if (!node)
        return;
    rm_help(w->ctx, node, w->level + 1);
    f->left += node->left;
    free(node);
    f->node = NULL;
    w->npinned--;
    if (f != &w->f[0])
        w->nopen++;
}

/* The top frame's directory has been read to its end: remove it from its parent (or leave it
 * and say why) and go back to the parent. */
static void rm_pop(RmWalker *w)
{
    const RmCtx *c = w->ctx;
    size_t i = w->n - 1;
    RmFrame *d = &w->f[i];
    bool removed = false;

    rm_unpin(w, d);
    if (w->f[i - 1].fd < 0) {
        int r = rm_reopen(w, i - 1);
        if (r < 0) {
            /* The way back up is lost: abandon every closed ancestor up to the nearest open
             * one rather than look for them by name. */
            rm_fail(w, r == -ESTALE ? r : -ESTALE);
            rm_drop(w);
            while (w->n > 1 && rm_top(w)->fd < 0)
                rm_drop(w);
            rm_top(w)->left++;
            return;
        }
    }
    RmFrame *p = &w->f[i - 1];
    if (!d->remove) {
        /* Another owner's directory, searched only. */
    } else if (d->left > 0) {
        /* A directory of uid that keeps others' entries is handed to root and closed to
         * everyone (0700), so that nothing of uid remains and the guest's names in it are
         * out of reach; the others' entries are never removed. Counted as reclaimed. */
        if (c->mode == RM_OWNED && !c->dry) {
            if (fchown(d->fd, 0, 0) < 0 || fchmod(d->fd, 0700) < 0)
                rm_fail(w, -errno);
            else
                w->st.reclaimed++;
        }
    } else if (c->dry) {
        w->st.dirs++;
        removed = true;
    } else {
        int r = rm_unlink(w, p, d->name, AT_REMOVEDIR, d->fd);
        if ((r == -ENOTEMPTY || r == -EEXIST) && d->rescans < RM_MAX_RESCANS) {
            /* Something we did not see: a process still writing, or a file system whose
             * cookies moved. Read the directory again from its start. */
            d->rescans++;
            d->pos = 0;
            d->pass = 1;
            d->saw_dirs = false;
            w->buf_frame = -1;
            return;
        }
        if (r == 0)
            w->st.dirs++;
        else if (r == -EBUSY) {
            w->st.skipped++;
            RK_KEEP_FIRST(w->r, r);
        } else if (r != -ENOENT)
            rm_fail(w, r);
        removed = r == 0 || r == -ENOENT;
    }
    if (!removed)
        p->left++;
    rm_drop(w);
}

static int rm_order_cmp(const void *a, const void *b)
{
    const struct RmOrder *x = a, *y = b;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Next entry of the top frame: 1 and *ret, 0 at the end, or -errno. */
static int rm_next(RmWalker *w, struct dirent64 **ret)
{
    RmFrame *f = rm_top(w);
    ssize_t top = (ssize_t)w->n - 1;

    if (!w->buf && !(w->buf = malloc(w->buf_size)))
        return -ENOMEM;
    /* A dirent64 takes at least 24 bytes. */
    if (!w->order && !(w->order = malloc(w->buf_size / 24 * sizeof(*w->order))))
        return -ENOMEM;
    if (w->buf_frame != top) {
        /* Resume where this directory was left; its fd may be a new one or have been read
         * further. The cookie is what the file system gave for the entry after the last one
         * handled. */
        if (lseek(f->fd, (off_t)f->pos, SEEK_SET) < 0)
            return -errno;
        w->buf_len = w->buf_off = 0;
        w->buf_frame = top;
    }
    if (w->buf_off >= w->buf_len) {
        ssize_t n = getdents64(f->fd, w->buf, w->buf_size);
        if (n < 0) {
            w->buf_frame = -1;
            return -errno;
        }
        if (n == 0)
            return 0;
        w->buf_len = (size_t)n;
        w->buf_off = 0;
        w->norder = w->order_i = 0;
        if (f->pass == 1) {
            /* The whole chunk is handled before anything else happens in this walker, so
             * the directory's position can move past it at once. */
            for (size_t off = 0; off < w->buf_len;) {
                struct dirent64 *e = (struct dirent64 *)(void *)(w->buf + off);
                w->order[w->norder++] = (struct RmOrder){ (uint32_t)e->d_ino, (uint32_t)off };
                f->pos = (uint64_t)e->d_off;
                off += e->d_reclen;
            }
            qsort(w->order, w->norder, sizeof(*w->order), rm_order_cmp);
        }
    }
    struct dirent64 *de;
    if (f->pass == 1) {
        de = (struct dirent64 *)(void *)(w->buf + w->order[w->order_i++].off);
        if (w->order_i == w->norder)
            w->buf_off = w->buf_len;
    } else {
        de = (struct dirent64 *)(void *)(w->buf + w->buf_off);
        w->buf_off += de->d_reclen;
        f->pos = (uint64_t)de->d_off;
    }
    *ret = de;
    return 1;
}

/* Run until the stack is back to frame 0; frame 0 itself is read only if read_root. */
static void rm_walk(RmWalker *w, bool read_root)
{
    for (;;) {
        if (w->n == 1 && !read_root)
            return;
        struct dirent64 *de = NULL;
        int r = rm_next(w, &de);
        if (r == -ENOENT)
            r = 0; /* removed meanwhile, so empty: rm_pop finds it gone */
        if (r == 0 && rm_top(w)->pass == 1 && rm_top(w)->saw_dirs) {
            /* Pass 2 resumes at cookies, and a cookie whose entry is gone may make the file
             * system list the directory again from its start (tmpfs does so when no entry
             * after it is left): subdirectories handed out already would be handed out twice.
             * So the entries of pass 1 must be gone before pass 2 reads: then a cookie always
             * names an entry no one else removes. */
            rm_flush(w);
            rm_unpin(w, rm_top(w));
            rm_top(w)->pass = 2;
            rm_top(w)->pos = 0;
            w->buf_frame = -1;
            continue;
        }
        if (r <= 0) {
            rm_flush(w);
            if (r < 0) /* a directory that cannot be read cannot be emptied; go on */
                rm_keep(w, rm_top(w), r);
            if (w->n == 1)
                return;
            rm_pop(w);
            continue;
        }
        const char *n = de->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        unsigned char t = de->d_type;
        if (rm_top(w)->pass == 1 && t == DT_DIR) {
            rm_top(w)->saw_dirs = true;
            continue;
        }
        if (rm_top(w)->pass == 2 && t != DT_DIR && t != DT_UNKNOWN)
            continue; /* handled in pass 1 */
        if (t != DT_UNKNOWN && rm_handoff(w, de))
            continue;
        rm_flush(w);
        rm_entry(w, n, de->d_type, false);
    }
}

/* Handle a batch of entries of j->node's directory: a walker whose frame 0 is that directory. */
static void rm_job_run(const RmCtx *c, RmJob *j, unsigned level)
{
    RmPool *pool = c->pool;
    RmNode *node = j->node;
    RmWalker w;
    const char *name = j->names;

    rm_walker_init(&w, c, level);
    int r = rm_push(&w, node->fd, &c->top, NULL, node->remove, node->fixable);
    if (r < 0) {
        rm_fail(&w, r);
    } else {
        w.f[0].pass = 0;
        /* Frame 0 borrows the owner's fd; frame 0 is never closed by a walker. */
        for (unsigned i = 0; i < j->n; i++, name += strlen(name) + 1) {
            rm_entry(&w, name, j->types[i], false);
            rm_walk(&w, false);
        }
    }
    pthread_mutex_lock(&pool->lock);
    node->left += w.n > 0 ? w.f[0].left : j->n;
    node->outstanding--;
    rm_pool_merge(pool, &w);
    pthread_cond_broadcast(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
    rm_walker_free(&w);
    free(j);
}

static void *rm_worker(void *arg)
{
    rm_help(arg, NULL, 0);
    return NULL;
}

/* Common driver: empty dirfd (name NULL) or handle its entry name. */
static int rm_run(int dirfd, const char *name, RmMode mode, const RmOwner *owner, RmFlags flags, RmStats *stats)
{
    RmCtx c = { .mode = mode, .dry = (flags & RM_DRY_RUN) || mode == RM_COUNT, .owner = owner };
    RmPool pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
    pthread_t threads[RM_MAX_THREADS];
    unsigned nthreads = 0;
    struct statx sx;
    RmWalker w;

    int r = rm_statx_fd(dirfd, 0, &sx);
    if (r < 0)
        return r;
    if (!S_ISDIR(sx.stx_mode))
        return -ENOTDIR;
    c.top = rm_ident(&sx);

    /* Frame 0 reads through an fd of its own, so the caller's offset is untouched. */
    _cleanup_close_ int own = -1;
    if (!name && (own = openat(dirfd, ".", RM_O_DIR)) < 0)
        return -errno;

    if (flags & RM_PARALLEL) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        pool.nthreads = ncpu < 1 ? 1 : ncpu > RM_MAX_THREADS ? RM_MAX_THREADS : (unsigned)ncpu;
        c.pool = &pool;
        for (unsigned i = 1; i < pool.nthreads; i++)
            if (pthread_create(&threads[nthreads], NULL, rm_worker, &c) == 0)
                nthreads++;
        if (nthreads == 0)
            c.pool = NULL; /* no thread to share with: sequential */
    }

    rm_walker_init(&w, &c, 0);
    /* Frame 0 is the top: its flags and mode may be fixed only when we empty it. */
    bool fix = mode == RM_ALL && !name && !c.dry;
    r = rm_push(&w, name ? dirfd : own, &c.top, NULL, mode == RM_ALL, fix);
    if (r < 0) {
        rm_fail(&w, r);
    } else {
        if (name) {
            w.f[0].pass = 0;
            rm_entry(&w, name, DT_UNKNOWN, false);
        }
        rm_walk(&w, !name);
        rm_flush(&w);
        if (c.pool)
            rm_unpin(&w, &w.f[0]);
    }

    if (c.pool) {
        pthread_mutex_lock(&pool.lock);
        pool.shutdown = true;
        pthread_cond_broadcast(&pool.cond);
        pthread_mutex_unlock(&pool.lock);
        for (unsigned i = 0; i < nthreads; i++)
            pthread_join(threads[i], NULL);
        rm_pool_merge(&pool, &w);
        w.st = pool.st;
        w.r = pool.r;
    }
    if (stats)
        rm_stats_add(stats, &w.st);
    r = w.r;
    rm_walker_free(&w);
    pthread_mutex_destroy(&pool.lock);
    pthread_cond_destroy(&pool.cond);
    return r;
}

int rm_contents(int dirfd, RmFlags flags, RmStats *stats)
{
    return rm_run(dirfd, NULL, RM_ALL, NULL, flags, stats);
}

int rm_at(int parentfd, const char *name, RmFlags flags, RmStats *stats)
{
    /* A single component only: "" and "." would be the parent itself, ".." its parent, and a
     * '/' would make the kernel resolve a path (through symlinks in the middle). */
    struct stat st;

    if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
        return -EINVAL;
    /* Inside a tree a vanished entry is no error; the entry asked for is. */
    if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return rm_run(parentfd, name, RM_ALL, NULL, flags, stats);
}

int rm_owned_by(int dirfd, uid_t uid, RmFlags flags, RmStats *stats)
{
    const RmOwner o = { .uid = uid };
    return rm_owner_sweep(dirfd, &o, flags, stats);
}

int rm_owner_sweep(int dirfd, const RmOwner *owner, RmFlags flags, RmStats *stats)
{
    /* uid 0 owns the machine: a sweep of root's entries is never what anyone meant. */
    if (owner->uid == 0 || (owner->match_gid && owner->gid == 0))
        return -EPERM;
    return rm_run(dirfd, NULL, RM_OWNED, owner, flags, stats);
}

int64_t rm_count_owned_by(int dirfd, uid_t uid)
{
    const RmOwner o = { .uid = uid };
    RmStats st = { 0 };
    int r = rm_run(dirfd, NULL, RM_COUNT, &o, 0, &st);
    if (r < 0)
        return r;
    return (int64_t)(st.files + st.dirs);
}
