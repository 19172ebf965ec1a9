/* The census's file walk and its view of the mounts (internal interface in censusfs.h,
 * public entry census_files_at in census.h).
 *
 * Rules, each stated again where the code enforces it:
 *  - Read-only: directories are opened O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_NONBLOCK and nothing
 *    else is ever opened in a tree, so a FIFO cannot block and a device is never touched.
 *  - Never follow a symlink, never cross a mount: every subdirectory is opened with openat2()
 *    RESOLVE_NO_XDEV|RESOLVE_NO_SYMLINKS; an entry on another mount (mount id) is a mount
 *    point and belongs to its own mount entry.
 *  - Never ask a FUSE or network server: per-entry statx() uses AT_STATX_DONT_SYNC (a mount
 *    point's root answers from cache; a FUSE daemon that never replies cannot hang the census),
 *    FUSE and network file systems are never walked, nor mounts below them.
 *  - Fail closed: what cannot be read completely is an error; only "it vanished" (ENOENT) is
 *    not.
 *  - Bounded: no recursion on the C stack, no path buffers; open fds per walker are bounded
 *    whatever the depth (frames deeper than CENSUS_MAX_OPEN are closed and reached again
 *    through "..", checked by identity), and the shared queue holds at most CENSUS_QUEUE_MAX.
 *
 * A pool of up to CENSUS_MAX_THREADS threads shares a LIFO queue of directories, each item an
 * open fd. A walker takes an item and walks it depth first on a heap stack of frames; a
 * subdirectory it meets goes to the queue while the queue is short, else the walker enters it
 * itself, so idle threads find work and the fds stay bounded. Every entry gets one statx()
 * (the owner of every inode is needed; d_type alone would not do). */
#include "censusfs.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"

#define CENSUS_BUF_SIZE (64 * 1024) /* getdents64 chunk per open frame */
#define CENSUS_MAX_OPEN 16          /* open frames per walker besides its first */
#define CENSUS_QUEUE_MAX 64         /* queued directories (each an open fd) before walkers descend */
#define CENSUS_MAX_THREADS 4
#define CENSUS_FILE_MAX (64u << 20) /* a /proc file larger than this is refused (-EFBIG) */
#define CENSUS_MASK (STATX_TYPE | STATX_UID | STATX_GID | STATX_INO | STATX_MNT_ID)

/* ---- helpers ---- */

static uint64_t census_dev(const struct statx *sx)
{
    return makedev(sx->stx_dev_major, sx->stx_dev_minor);
}

/* Read a whole (proc) file, at most CENSUS_FILE_MAX bytes, NUL-terminated. */
int census_read_file(const char *path, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    size_t cap = 16384, len = 0;

    if (fd < 0)
        return -errno;
    g_autofree char *buf = g_malloc(cap);
    for (;;) {
        if (cap - len < 4096) {
            if (cap >= CENSUS_FILE_MAX)
                return -EFBIG;
            cap *= 2;
            buf = g_realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret = g_steal_pointer(&buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

/* a is at or below b (both absolute, compared by components). */
bool census_path_below(const char *a, const char *b)
{
    size_t lb = strlen(b);

    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    if (lb == 1 && b[0] == '/')
        return a[0] == '/';
    return strncmp(a, b, lb) == 0 && (a[lb] == '\0' || a[lb] == '/');
}

/* opt is one of the comma-separated options. */
bool census_has_opt(const char *opts, const char *opt)
{
    size_t lo = strlen(opt);

    for (const char *p = opts; p && *p;) {
        const char *end = strchr(p, ',');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == lo && memcmp(p, opt, lo) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* The mount a walk stays on: by mount id, or by the device of its root on kernels without
 * STATX_MNT_ID. Not by st_dev when the id is known: a btrfs subvolume has a device of its own
 * on the same mount, and an overlayfs shows its files with the devices of its layers. */
typedef struct {
    uint64_t mnt;
    uint64_t root_dev;
    bool has_mnt;
} CensusMnt;

static bool census_on(const CensusMnt *m, const struct statx *sx)
{
    return m->has_mnt ? sx->stx_mnt_id == m->mnt : census_dev(sx) == m->root_dev;
}

/* Open the directory `name` below dirfd, staying on mount m, never through a symlink. EXDEV:
 * it is (or became) a mount point. */
static int census_open_dir(int dirfd, const char *name, const CensusMnt *m)
{
    struct open_how how = {
        .flags = CENSUS_O_DIR,
        .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    struct statx sx;

    int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
    if (fd >= 0)
        return fd;
    if (errno != ENOSYS)
        return -errno;
    /* Kernels before 5.6: open, then check that the directory is on the same mount. */
    fd = openat(dirfd, name, CENSUS_O_DIR);
    if (fd < 0)
        return -errno;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    if (!census_on(m, &sx)) {
        close(fd);
        return -EXDEV;
    }
    return fd;
}

/* ---- mountinfo ---- */

void census_mounts_free(CensusMounts *mt)
{
    g_free(mt->buf);
    g_free(mt->m);
}

/* Undo the octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) in place. */
static void census_unescape(char *s)
{
    char *o = s;

    for (char *p = s; *p; o++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *o = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
            p += 4;
        } else {
            *o = *p++;
        }
    }
    *o = '\0';
}

/* Parse /proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE
 * SOURCE SUPER". A line that does not have this shape is an error (-EBADMSG). */
int census_mounts_read(CensusMounts *mt)
{
    size_t cap = 0;
    char *save = NULL;

    *mt = (CensusMounts){ 0 };
    int r = census_read_file("/proc/self/mountinfo", &mt->buf, NULL);
    if (r < 0)
        return r;
    for (char *line = strtok_r(mt->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[64];
        size_t nf = 0, dash = 0;
        unsigned maj, min;
        CensusMount m;

        /* Fields are separated by exactly one space; a field may be empty (a mount whose
         * source is ""), so spaces are not collapsed. */
        for (char *tok = line; tok && nf < RK_ELEMENTS(f);) {
            char *sp = strchr(tok, ' ');
            if (sp)
                *sp = '\0';
            f[nf++] = tok;
            tok = sp ? sp + 1 : NULL;
        }
        for (size_t i = 6; i < nf; i++)
            if (strcmp(f[i], "-") == 0) {
                dash = i;
                break;
            }
        if (nf < 10 || dash == 0 || dash + 3 >= nf || sscanf(f[2], "%u:%u", &maj, &min) != 2)
            return -EBADMSG;
        m.id = atoi(f[0]);
        m.parent = atoi(f[1]);
        m.dev = makedev(maj, min);
        m.root = f[3];
        m.mp = f[4];
        m.opts = f[5];
        m.fstype = f[dash + 1];
        m.super = f[dash + 3];
        census_unescape(m.root);
        census_unescape(m.mp);
        census_unescape(m.fstype);
        if (mt->n == cap) {
            cap = cap ? cap * 2 : 64;
            mt->m = g_renew(CensusMount, mt->m, cap);
        }
        mt->m[mt->n++] = m;
    }
    return 0;
}

CensusFsKind census_fs_kind(const char *fstype)
{
    /* Kernel interfaces and virtual file systems: nobody stores files there, or (devtmpfs)
     * only root can. /dev/shm is a tmpfs and is walked. */
    static const char *const pseudo[] = {
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs",
        "tracefs", "pstore", "bpf", "configfs", "fusectl", "hugetlbfs", "binfmt_misc", "autofs",
        "mqueue", "efivarfs", "nsfs", "rpc_pipefs", "selinuxfs", "smackfs", "apparmorfs",
        "nfsd", "pipefs", "sockfs", "cpuset", "resctrl", "xenfs", "openpromfs", "devfs", "usbfs",
    };
    /* Storage another machine holds: not this PC's to search (and a dead server would hang
     * the census). */
    static const char *const network[] = {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "afs", "ncpfs",
        "coda", "lustre", "orangefs", "virtiofs", "vboxsf", "davfs", "sshfs",
    };

    if (strcmp(fstype, "fuse") == 0 || strcmp(fstype, "fuseblk") == 0 ||
        strncmp(fstype, "fuse.", 5) == 0)
        return CENSUS_FS_FUSE;
    for (size_t i = 0; i < RK_ELEMENTS(pseudo); i++)
        if (strcmp(fstype, pseudo[i]) == 0)
            return CENSUS_FS_PSEUDO;
    for (size_t i = 0; i < RK_ELEMENTS(network); i++)
        if (strcmp(fstype, network[i]) == 0)
            return CENSUS_FS_NETWORK;
    return CENSUS_FS_LOCAL;
}

/* FUSE or network above mount i (its parents, up to the root): a path lookup to it would ask
 * that server. */
CensusFsKind census_below_remote(const CensusMounts *mt, size_t i)
{
    int id = mt->m[i].parent;

    for (size_t steps = 0; steps < mt->n; steps++) {
        size_t j;
        for (j = 0; j < mt->n && mt->m[j].id != id; j++)
            ;
        if (j == mt->n || mt->m[j].id == mt->m[j].parent)
            break;
        CensusFsKind k = census_fs_kind(mt->m[j].fstype);
        if (k == CENSUS_FS_FUSE || k == CENSUS_FS_NETWORK)
            return k;
        id = mt->m[j].parent;
    }
    return CENSUS_FS_LOCAL;
}

static bool census_mount_ro(const CensusMount *m)
{
    return census_has_opt(m->opts, "ro") || census_has_opt(m->super, "ro");
}

/* Open mount m's root by its path (no symlink on the way) as O_PATH and check with its mount
 * id that this is m and not a mount stacked over it. Returns the fd, -EBUSY when m is hidden,
 * or -errno. sx gets the root's statx. */
int census_open_mount(const CensusMount *m, struct statx *sx)
{
    struct open_how how = {
        .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };

    int fd = (int)syscall(SYS_openat2, AT_FDCWD, m->mp, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        fd = open(m->mp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, CENSUS_MASK, sx) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    /* By mount id; the device of the root is not the super block's on btrfs subvolumes. */
    if ((sx->stx_mask & STATX_MNT_ID) ? sx->stx_mnt_id != (uint64_t)(unsigned)m->id
                                      : census_dev(sx) != m->dev) {
        close(fd);
        return -EBUSY;
    }
    return fd;
}

/* ---- the file walker ---- */

typedef struct {
    int fd;            /* owned by the item */
    uint64_t dev, ino; /* identity of the directory */
    CensusMnt m;       /* the mount the walk stays on */
} CensusItem;

typedef struct {
    const CensusTarget *t;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    CensusItem *items; /* LIFO; under lock, length read without it only as a hint */
    size_t n, cap;
    unsigned busy;     /* threads walking an item */
    unsigned nthreads;
    uint64_t found, inodes; /* under lock */
    int r;
} CensusPool;

typedef struct {
    int fd;            /* -1 while evicted to bound the open fds */
    uint64_t dev, ino; /* recorded when opened, checked when reopened through ".." */
    uint64_t cookie;   /* d_off of the last entry handled: reading resumes there */
    char *buf;         /* the chunk being handled; open frames only */
    size_t len, off;
} CensusFrame;

typedef struct {
    CensusPool *pool;
    const CensusItem *it;
    CensusFrame *f;
    size_t n, cap;
    size_t first_open; /* frames 1 .. first_open - 1 are evicted */
    char *spare[CENSUS_MAX_OPEN + 2];
    size_t nspare;
    uint64_t found, inodes;
    int r;
} CensusWalker;

struct census_dirent {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static bool census_skipped(const CensusTarget *t, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < t->nskip; i++)
        if (t->skip[i].dev == dev && t->skip[i].ino == ino)
            return true;
    return false;
}

static char *census_buf_get(CensusWalker *w)
{
    return w->nspare ? w->spare[--w->nspare] : g_malloc(CENSUS_BUF_SIZE);
}

static void census_buf_put(CensusWalker *w, char *buf)
{
    if (!buf)
        return;
    if (w->nspare < RK_ELEMENTS(w->spare))
        w->spare[w->nspare++] = buf;
    else
        g_free(buf);
}

static void census_frame_close(CensusWalker *w, CensusFrame *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    census_buf_put(w, f->buf);
    f->buf = NULL;
    f->len = f->off = 0;
}

static void census_push(CensusWalker *w, int fd, uint64_t dev, uint64_t ino)
{
    /* Bounded fds whatever the depth: the outermost open frame (never frame 0, which the
     * item owns) is closed; it is reached again through ".." when its children are done. */
    if (w->n - w->first_open >= CENSUS_MAX_OPEN && w->first_open < w->n)
        census_frame_close(w, &w->f[w->first_open++]);
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->f = g_renew(CensusFrame, w->f, w->cap);
    }
    w->f[w->n++] = (CensusFrame){ .fd = fd, .dev = dev, .ino = ino };
}

/* Reopen the evicted frame p from its child's fd through "..", only if it is still the
 * directory recorded, and position it where it was left. */
static int census_reopen(const CensusWalker *w, int child_fd, CensusFrame *p)
{
    struct statx sx;

    int fd = census_open_dir(child_fd, "..", &w->it->m);
    if (fd < 0)
        return fd;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_INO, &sx) < 0 || census_dev(&sx) != p->dev ||
        sx.stx_ino != p->ino) {
        close(fd);
        return -ESTALE;
    }
    if (p->cookie && lseek(fd, (off_t)p->cookie, SEEK_SET) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    p->fd = fd;
    return 0;
}

static void census_pop(CensusWalker *w)
{
    CensusFrame *c = &w->f[w->n - 1];

    if (w->n >= 2 && w->f[w->n - 2].fd < 0) {
        int r = census_reopen(w, c->fd, &w->f[w->n - 2]);
        if (r < 0) {
            /* The evicted frames cannot be reached any more: the rest of them is not
             * checked, which is an error; frame 0 goes on. */
            census_keep(&w->r, r);
            census_frame_close(w, c);
            w->n = 1;
            w->first_open = 1;
            return;
        }
        w->first_open--;
    }
    census_frame_close(w, c);
    w->n--;
}

/* Hand the directory fd to the queue if it is short. Returns false when the caller should
 * walk it itself. */
static bool census_share(CensusPool *p, int fd, uint64_t dev, uint64_t ino, const CensusItem *it)
{
    if (p->nthreads < 2 || __atomic_load_n(&p->n, __ATOMIC_RELAXED) >= CENSUS_QUEUE_MAX)
        return false;
    pthread_mutex_lock(&p->lock);
    bool ok = p->n < CENSUS_QUEUE_MAX;
    if (ok) {
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : CENSUS_QUEUE_MAX;
            p->items = g_renew(CensusItem, p->items, p->cap);
        }
        p->items[p->n] = (CensusItem){ .fd = fd, .dev = dev, .ino = ino, .m = it->m };
        __atomic_store_n(&p->n, p->n + 1, __ATOMIC_RELAXED);
        pthread_cond_signal(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

/* The entry `name` of the directory dirfd: one statx, counted, entered if a directory. */
static void census_entry(CensusWalker *w, int dirfd, const char *name)
{
    const CensusItem *it = w->it;
    const CensusTarget *t = w->pool->t;
    struct statx sx;

    /* AT_STATX_DONT_SYNC: a FUSE or network mount point answers from its cache, never from
     * its server, so a hung FUSE daemon cannot hang the census. */
    if (statx(dirfd, name, CENSUS_AT, CENSUS_MASK, &sx) < 0) {
        int e = errno;
        if (e == ENOENT)
            return; /* it vanished */
        /* A FUSE mount point refuses root (EACCES) or is dead (ENOTCONN): a mount point is not
         * this walk's, which RESOLVE_NO_XDEV tells without looking into it. */
        struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC, .resolve = RESOLVE_NO_XDEV };
        int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
        if (fd >= 0)
            close(fd);
        else if (errno == EXDEV || errno == ENOENT)
            return;
        census_keep(&w->r, -e);
        return;
    }
    /* Another mount's root: covered by that mount's own entry (or by the mounts class). */
    if (!census_on(&it->m, &sx))
        return;
    uint64_t dev = census_dev(&sx);
    bool dir = S_ISDIR(sx.stx_mode);
    if (dir && census_skipped(t, dev, sx.stx_ino))
        return;
    w->inodes++;
    if (census_owned(t, sx.stx_uid, sx.stx_gid))
        w->found++;
    if (!dir)
        return;
    int fd = census_open_dir(dirfd, name, &it->m);
    if (fd < 0) {
        /* Vanished, replaced by a non-directory or a symlink, or became a mount point. */
        if (fd != -ENOENT && fd != -ENOTDIR && fd != -ELOOP && fd != -EXDEV)
            census_keep(&w->r, fd);
        return;
    }
    if (!census_share(w->pool, fd, dev, sx.stx_ino, it))
        census_push(w, fd, dev, sx.stx_ino);
}

static void census_walk(CensusWalker *w, const CensusItem *it)
{
    w->it = it;
    w->n = 0;
    w->first_open = 1;
    census_push(w, it->fd, it->dev, it->ino);
    while (w->n > 0) {
        CensusFrame *f = &w->f[w->n - 1];
        if (f->off >= f->len) {
            if (!f->buf)
                f->buf = census_buf_get(w);
            ssize_t len = getdents64(f->fd, f->buf, CENSUS_BUF_SIZE);
            if (len < 0 && errno != ENOENT)
                census_keep(&w->r, -errno);
            if (len <= 0) {
                census_pop(w);
                continue;
            }
            f->len = (size_t)len;
            f->off = 0;
        }
        struct census_dirent *d = (struct census_dirent *)(f->buf + f->off);
        f->off += d->d_reclen;
        f->cookie = (uint64_t)d->d_off;
        if (d->d_name[0] == '.' && (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0')))
            continue;
        census_entry(w, f->fd, d->d_name); /* may push: f is not used after this */
    }
}

static void *census_worker(void *arg)
{
    CensusPool *p = arg;
    CensusWalker w = { .pool = p };

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->n == 0 && p->busy > 0)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->n == 0)
            break;
        CensusItem it = p->items[p->n - 1];
        __atomic_store_n(&p->n, p->n - 1, __ATOMIC_RELAXED);
        p->busy++;
        pthread_mutex_unlock(&p->lock);
        census_walk(&w, &it);
        pthread_mutex_lock(&p->lock);
        p->busy--;
        if (p->n == 0 && p->busy == 0)
            pthread_cond_broadcast(&p->cond);
    }
    p->found += w.found;
    p->inodes += w.inodes;
    census_keep(&p->r, w.r);
    pthread_mutex_unlock(&p->lock);
    while (w.nspare)
        g_free(w.spare[--w.nspare]);
    g_free(w.f);
    return NULL;
}

static void census_pool_init(CensusPool *p, const CensusTarget *t)
{
    *p = (CensusPool){ .t = t };
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
}

/* Count the root of a walk and queue it (before the threads start). Takes fd. */
static void census_pool_add_root(CensusPool *p, int fd, const struct statx *sx)
{
    uint64_t dev = census_dev(sx);

    if (census_skipped(p->t, dev, sx->stx_ino)) {
        close(fd);
        return;
    }
    p->inodes++;
    if (census_owned(p->t, sx->stx_uid, sx->stx_gid))
        p->found++;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : CENSUS_QUEUE_MAX;
        p->items = g_renew(CensusItem, p->items, p->cap);
    }
    p->items[p->n++] = (CensusItem){
        .fd = fd, .dev = dev, .ino = sx->stx_ino,
        .m = { .mnt = sx->stx_mnt_id, .root_dev = dev, .has_mnt = (sx->stx_mask & STATX_MNT_ID) != 0 },
    };
}

/* Walk everything queued with up to CENSUS_MAX_THREADS threads; the pool is finished after. */
static int census_pool_run(CensusPool *p)
{
    pthread_t threads[CENSUS_MAX_THREADS];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want = p->t->threads ? p->t->threads : ncpu < 1 ? 1 : (unsigned)ncpu;
    unsigned started = 0;

    want = MIN(want, CENSUS_MAX_THREADS);
    p->nthreads = want;
    for (unsigned i = 1; i < want; i++)
        if (pthread_create(&threads[started], NULL, census_worker, p) == 0)
            started++;
    /* A thread that could not start only costs time: the queue is drained by the others. */
    census_worker(p);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    g_free(p->items);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    return p->r;
}

int census_files_at(int dirfd, const CensusTarget *t, uint64_t *ret_found, uint64_t *ret_inodes)
{
    CensusPool p;
    struct statx sx;

    if (ret_found)
        *ret_found = 0;
    if (ret_inodes)
        *ret_inodes = 0;
    if (!census_target_ok(t))
        return -EINVAL;
    /* A descriptor of our own: the caller's offset is not moved. */
    int fd = openat(dirfd, ".", CENSUS_O_DIR);
    if (fd < 0)
        return -errno;
    if (statx(fd, "", AT_EMPTY_PATH, CENSUS_MASK, &sx) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    census_pool_init(&p, t);
    census_pool_add_root(&p, fd, &sx);
    int r = census_pool_run(&p);
    if (ret_found)
        *ret_found = p.found;
    if (ret_inodes)
        *ret_inodes = p.inodes;
    return r;
}

/* ---- files on every local writable file system ---- */

typedef struct {
    size_t i;       /* index in the mount table */
    int fd;         /* O_PATH fd of the root, -1 when hidden */
    struct statx sx;
    bool kept;
} CensusCand;

static int census_cand_cmp(const void *a, const void *b, void *data)
{
    const CensusCand *x = a, *y = b;
    const CensusMounts *mt = data;

    if ((x->fd >= 0) != (y->fd >= 0))
        return x->fd >= 0 ? -1 : 1; /* reachable mounts first */
    size_t lx = strlen(mt->m[x->i].root), ly = strlen(mt->m[y->i].root);
    return lx < ly ? -1 : lx > ly ? 1 : (x->i < y->i ? -1 : x->i > y->i);
}

/* Does kept mount k already show the subtree mount c shows (same device, c's root at or below
 * k's root, and no mount on k in the way of that subtree)? */
static bool census_covers(const CensusMounts *mt, const CensusMount *k, const CensusMount *c)
{
    if (k->dev != c->dev || !census_path_below(c->root, k->root))
        return false;
    const char *rel = strcmp(k->root, "/") == 0 ? c->root : c->root + strlen(k->root);
    g_autofree char *p = strcmp(k->mp, "/") == 0 ? g_strdup(rel[0] ? rel : "/")
                                                  : g_strconcat(k->mp, rel, NULL);
    /* A mount on k above, at or below that place hides part of it from k's walk: walk c too. */
    for (size_t j = 0; j < mt->n; j++)
        if (mt->m[j].parent == k->id && &mt->m[j] != k &&
            (census_path_below(mt->m[j].mp, p) || census_path_below(p, mt->m[j].mp)))
            return false;
    return true;
}

static bool census_listed(const CensusTarget *t, const char *mp, bool *matched)
{
    for (size_t j = 0; t->mounts[j]; j++)
        if (strcmp(t->mounts[j], mp) == 0) {
            matched[j] = true;
            return true;
        }
    return false;
}

/* The mounts the file census may walk (in t's scope, local, writable), each opened, into
 * cand; the others counted as skipped in res. Returns how many; *r keeps the first error. */
static size_t census_candidates(const CensusTarget *t, const CensusMounts *mt, CensusCand *cand, CensusResult *res,
                                int *r)
{
    bool scoped = t->mounts && t->mounts[0];
    size_t nlisted = 0, nc = 0;

    while (scoped && t->mounts[nlisted])
        nlisted++;
    g_autofree bool *matched = g_new0(bool, nlisted + 1);
    for (size_t i = 0; i < mt->n; i++) {
        const CensusMount *m = &mt->m[i];
        if (scoped && !census_listed(t, m->mp, matched))
            continue;
        CensusFsKind k = census_fs_kind(m->fstype);
        if (k == CENSUS_FS_LOCAL)
            k = census_below_remote(mt, i);
        if (k == CENSUS_FS_FUSE)
            res->mounts_skipped_fuse++;
        else if (k == CENSUS_FS_NETWORK)
            res->mounts_skipped_network++;
        else if (k == CENSUS_FS_PSEUDO)
            res->mounts_skipped_pseudo++;
        else if (census_mount_ro(m))
            res->mounts_skipped_readonly++;
        else {
            CensusCand *c = &cand[nc++];
            c->i = i;
            c->fd = census_open_mount(m, &c->sx);
            if (c->fd < 0 && c->fd != -EBUSY) {
                census_keep(r, c->fd);
                nc--;
            }
        }
    }
    for (size_t j = 0; j < nlisted; j++)
        if (!matched[j])
            census_keep(r, -ENOENT); /* a test scope naming no mount must not pass */
    return nc;
}

/* Hand the candidates (sorted) to the pool: one walk per distinct visible subtree of a device;
 * hidden and covered ones are counted. Marks the walked ones kept; *r keeps the first error. */
static void census_add_roots(const CensusTarget *t, const CensusMounts *mt, CensusCand *cand, size_t nc,
                             CensusPool *p, CensusResult *res, int *r)
{
    for (size_t a = 0; a < nc; a++) {
        const CensusMount *m = &mt->m[cand[a].i];
        bool covered = false;
        for (size_t b = 0; b < a && !covered; b++)
            covered = cand[b].kept && census_covers(mt, &mt->m[cand[b].i], m);
        if (covered) {
            res->mounts_skipped_duplicate++;
        } else if (cand[a].fd < 0) {
            /* Overmounted and its subtree shown nowhere else: nobody can reach its files by
             * any path, so nothing in it can reach the next patron (the guest's processes,
             * the only ones that could hold a way in, are gone, and the guest's own mounts
             * were detached before). It cannot be searched either: counted, not an error. A
             * file system that comes to light again is searched by the next census. */
            res->mounts_hidden++;
        } else if (S_ISDIR(cand[a].sx.stx_mode)) {
            int fd = openat(cand[a].fd, ".", CENSUS_O_DIR);
            if (fd < 0) {
                census_keep(r, -errno);
            } else {
                cand[a].kept = true;
                res->mounts_scanned++;
                census_pool_add_root(p, fd, &cand[a].sx);
            }
        } else {
            /* A file bind-mounted on a file: one inode. */
            cand[a].kept = true;
            res->mounts_scanned++;
            p->inodes++;
            if (census_owned(t, cand[a].sx.stx_uid, cand[a].sx.stx_gid))
                p->found++;
        }
    }
}

/* The mount points walked, for the wipe's safety net (where to sweep again when files were
 * found), into res with t->report_mounts; closes the candidates. Mount points are the
 * administrator's, not the guest's names. */
static void census_report_walked(const CensusTarget *t, const CensusMounts *mt, CensusCand *cand, size_t nc,
                                 CensusResult *res)
{
    GPtrArray *walked = g_ptr_array_new();
    for (size_t a = 0; a < nc; a++) {
        if (cand[a].kept && t->report_mounts)
            g_ptr_array_add(walked, g_strdup(mt->m[cand[a].i].mp));
        if (cand[a].fd >= 0)
            close(cand[a].fd);
    }
    g_ptr_array_add(walked, NULL);
    g_strfreev(res->scanned_mounts);
    res->scanned_mounts = t->report_mounts ? (char **)g_ptr_array_free(walked, FALSE) : NULL;
    if (!t->report_mounts)
        g_ptr_array_free(walked, TRUE);
}

int census_files(const CensusTarget *t, const CensusMounts *mt, CensusResult *res)
{
    g_autofree CensusCand *cand = g_new0(CensusCand, mt->n + 1);
    CensusPool p;
    int r = 0;

    size_t nc = census_candidates(t, mt, cand, res, &r);
    /* Shallow roots first, reachable mounts before hidden ones. */
    g_qsort_with_data(cand, (gint)nc, sizeof *cand, census_cand_cmp, (void *)mt);
    census_pool_init(&p, t);
    census_add_roots(t, mt, cand, nc, &p, res, &r);
    census_report_walked(t, mt, cand, nc, res);
    census_keep(&r, census_pool_run(&p));
    res->found[RK_WIPE_FILES] = p.found;
    res->inodes_seen = p.inodes;
    return r;
}
