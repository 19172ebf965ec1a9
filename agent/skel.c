/* The skeleton: copy it into a fresh home, and check that a wiped home equals it.
 *
 * Rules (each enforced where the code does it):
 *  - fd-relative only: every entry is reached with openat/fstatat/statx/readlinkat on a
 *    directory fd with O_NOFOLLOW or AT_SYMLINK_NOFOLLOW; no path is ever re-resolved, and a
 *    symlink in either tree is read as a link, never followed.
 *  - nothing that already stands in the home is written through: files are created with
 *    O_CREAT|O_EXCL, directories with mkdirat, links with symlinkat, all of which fail on an
 *    existing name (a planted symlink included).
 *  - no recursion on the C stack: an explicit stack of directory frames on the heap; only the
 *    innermost SKEL_FD_WINDOW levels keep their fds open, outer levels are reopened through ".."
 *    and checked by device and inode when the walk returns to them.
 *  - the comparison never reads guest data it does not have to: an extra entry is counted where
 *    it starts and never entered; a FIFO or device is never opened; a mount is never entered.
 *  - "return the first error, keep going".
 * Library code: never logs, never records a name. Thread-safe (no global state). */
#include "skel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"

/* Innermost directory levels whose fds stay open: 2 fds each, so the walk never holds more
 * than about 70 fds whatever the depth, yet a real skeleton never needs a reopen. */
#define SKEL_FD_WINDOW 32
#define SKEL_CHUNK (64u * 1024u)

typedef struct {
    int sfd, hfd; /* skeleton and home directory; -1 while closed to bound the open fds */
    dev_t sdev, hdev;
    ino_t sino, hino;
    char **names; /* the skeleton directory's entries, sorted for bsearch */
    size_t n_names;
    size_t next; /* index of the next entry to visit */
} SkelFrame;

typedef struct {
    SkelFrame *frames; /* frames[0] holds the caller's fds, which are borrowed, never closed */
    size_t depth, cap;
    uid_t uid;
    gid_t gid;
    bool compare;
    SkelDiff *diff;      /* compare only */
    dev_t home_dev;      /* compare only: the home's device and mount */
    uint64_t home_mnt;
    bool have_mnt;
    char *buf;           /* 2 * SKEL_CHUNK bytes for copies and comparisons */
    int r;               /* the first error */
} SkelWalk;

static bool dot_or_dotdot(const char *name)
{
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* A directory stream on a fresh open file description, so that the caller's fd keeps its
 * offset and stays open. NULL with errno set on failure. */
static DIR *open_dir_stream(int dfd)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d)
        rk_closep(&fd);
    return d;
}

/* Read the names in the directory dfd, sorted. Used for the skeleton only: the skeleton is the
 * administrator's and small, while a guest's directory is only ever streamed. */
static int read_names(int dfd, char ***ret_names, size_t *ret_n)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    DIR *d = open_dir_stream(dfd);
    if (!d)
        return -errno;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            r = -errno;
            break;
        }
        if (dot_or_dotdot(de->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **p = reallocarray(names, ncap, sizeof *names);
            if (!p) {
                r = -ENOMEM;
                break;
            }
            names = p;
            cap = ncap;
        }
        if (!(names[n] = strdup(de->d_name))) {
            r = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (r < 0) {
        free_names(names, n);
        return r;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    *ret_names = names;
    *ret_n = n;
    return 0;
}

/* Open the directory name in dfd without following a symlink, and check it is the one that
 * was stat'ed (not something swapped in since). */
static int open_dir_checked(int dfd, const char *name, dev_t dev, ino_t ino, int *ret_fd)
{
    struct stat st;
    _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (st.st_dev != dev || st.st_ino != ino)
        return -ESTALE;
    *ret_fd = rk_steal_fd(&fd);
    return 0;
}

static ssize_t read_link(int dfd, const char *name, char buf[static PATH_MAX])
{
    ssize_t n = readlinkat(dfd, name, buf, PATH_MAX);
    if (n < 0)
        return -errno;
    /* readlinkat truncates silently; a target that fills the buffer may have been cut. */
    if (n >= PATH_MAX)
        return -ENAMETOOLONG;
    buf[n] = '\0';
    return n;
}

/* ---- copy ---------------------------------------------------------------------------- */

/* Copy in to out from the current offsets until end of file. size is what fstat said, used
 * only to tell an in-kernel copy that gives up early from a real end of file. */
static int copy_bytes(SkelWalk *w, int in, int out, off_t size)
{
    enum { BY_RANGE, BY_SENDFILE, BY_READ } how = BY_RANGE;
    off_t done = 0;

    for (;;) {
        ssize_t n;

        if (how == BY_RANGE)
            n = copy_file_range(in, NULL, out, NULL, SKEL_CHUNK, 0);
        else if (how == BY_SENDFILE)
            n = sendfile(out, in, NULL, SKEL_CHUNK);
        else
            n = read(in, w->buf, SKEL_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* The faster paths are not offered between every pair of file systems; all three
             * use the file offsets, so the next one simply carries on where this one stopped. */
            if (how != BY_READ && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                                   errno == EOPNOTSUPP)) {
                how++;
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            /* Some file systems answer 0 from an in-kernel copy before the end; only read(2)
             * is believed about end of file when bytes are still expected. */
            if (how != BY_READ && done < size) {
                how++;
                continue;
            }
            return 0;
        }
        if (how == BY_READ) {
            int r = rk_write_all(out, w->buf, (size_t)n);
            if (r < 0)
                return r;
        }
        done += n;
    }
}

/* Owner first, then mode: chown(2) may clear mode bits, chmod after it cannot be undone. */
static int own_and_mode(int fd, uid_t uid, gid_t gid, mode_t mode)
{
    if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
        return -errno;
    return 0;
}

static int copy_file(SkelWalk *w, const SkelFrame *f, const char *name, mode_t mode)
{
    struct stat st;
    int r;

    _cleanup_close_ int in = openat(f->sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;

    /* O_EXCL|O_NOFOLLOW: a file or symlink that already stands at this name in the home is
     * never written through; the copy fails instead. Created 0600 and root's until full. */
    _cleanup_close_ int out = openat(f->hfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                     0600);
    if (out < 0)
        return -errno;
    r = copy_bytes(w, in, out, st.st_size);
    /* RK_KEEP_FIRST evaluates its second argument only while there is no error yet. */
    int k = own_and_mode(out, w->uid, w->gid, mode);
    RK_KEEP_FIRST(r, k);
    return r;
}

static int copy_link(SkelWalk *w, const SkelFrame *f, const char *name)
{
    char target[PATH_MAX];
    ssize_t n = read_link(f->sfd, name, target);

    if (n < 0)
        return (int)n;
    /* AT_SYMLINK_NOFOLLOW: the link itself changes owner, never what it points to. */
    if (symlinkat(target, f->hfd, name) < 0 ||
        fchownat(f->hfd, name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return 0;
}

static int copy_dir(SkelWalk *w, const SkelFrame *f, const char *name, mode_t mode, int *ret_hfd)
{
    int r;

    /* mkdirat fails on any existing name, so a symlink planted where a skeleton directory
     * goes is neither followed nor filled. */
    _cleanup_close_ int fd = -1;
    if (mkdirat(f->hfd, name, 0700) < 0 ||
        (fd = openat(f->hfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return -errno;
    r = own_and_mode(fd, w->uid, w->gid, mode);
    /* Root keeps write access whatever the mode, so the directory is filled after this. */
    *ret_hfd = rk_steal_fd(&fd);
    return r;
}

static int copy_entry(SkelWalk *w, const SkelFrame *f, const char *name, const struct stat *ss,
                      int *ret_hfd)
{
    /* setuid and setgid never reach a guest's home; the sticky bit may. */
    mode_t mode = ss->st_mode & 01777;

    switch (ss->st_mode & S_IFMT) {
    case S_IFDIR:
        return copy_dir(w, f, name, mode, ret_hfd);
    case S_IFREG:
        return copy_file(w, f, name, mode);
    case S_IFLNK:
        return copy_link(w, f, name);
    default:
        /* A FIFO, socket or device node has no place in a home: such a skeleton is refused. */
        return -EINVAL;
    }
}

/* ---- compare ------------------------------------------------------------------------- */

#define SKEL_STATX_FLAGS (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_AS_STAT)
#define SKEL_STATX_MASK (STATX_BASIC_STATS | STATX_MNT_ID)

/* A mount under the home is found by its mount id (a bind mount of the same file system keeps
 * the device) or the mount-root attribute. The device decides only when the kernel reports no
 * mount id (before 5.8): within one mount it is no sign of a mount at all, since an overlayfs
 * without xino shows its files with the devices of its layers (its directories with its own)
 * and a btrfs subvolume has a device of its own. On such an overlay an old kernel therefore
 * sees every file as a mount: a false difference, never a mount crossed. */
static bool on_other_mount(const SkelWalk *w, const struct statx *x)
{
    if (w->have_mnt && (x->stx_mask & STATX_MNT_ID)) {
        if (x->stx_mnt_id != w->home_mnt)
            return true;
    } else if (makedev(x->stx_dev_major, x->stx_dev_minor) != w->home_dev) {
        return true;
    }
    return (x->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (x->stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Count the names in the home directory hfd that the skeleton directory does not have. The
 * guest's directory is streamed, never loaded, and an extra entry is never entered. */
static void scan_extras(SkelWalk *w, int hfd, char **names, size_t n)
{
    DIR *d = open_dir_stream(hfd);

    if (!d) {
        w->diff->unreadable++;
        return;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno != 0)
                w->diff->unreadable++;
            break;
        }
        if (dot_or_dotdot(de->d_name))
            continue;
        const char *key = de->d_name;
        /* An empty skeleton directory has no names array (NULL): bsearch must not see it. */
        if (n == 0 || !bsearch(&key, names, n, sizeof *names, cmp_names))
            w->diff->extra++;
    }
    closedir(d);
}

/* Errors on the skeleton's side are returned (the comparison is incomplete); trouble on the
 * home's side is a difference, counted as unreadable. */
static int compare_file(SkelWalk *w, const SkelFrame *f, const char *name, const struct stat *ss,
                        const struct statx *hx)
{
    struct stat st;
    struct statx ox;

    if ((off_t)hx->stx_size != ss->st_size) {
        w->diff->content++;
        return 0;
    }
    /* O_NONBLOCK and the check of what was opened: whatever was swapped in since the statx (a
     * FIFO, a device, a mount) is neither waited on nor read. It must be the very file the
     * statx saw (its device and inode: an overlayfs reports the same layer device for both)
     * on the home's mount; the home's device is no test, an overlay's files have others. */
    _cleanup_close_ int hfd = openat(f->hfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (hfd < 0 || statx(hfd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, SKEL_STATX_MASK, &ox) < 0 ||
        !S_ISREG(ox.stx_mode) || ox.stx_ino != hx->stx_ino ||
        ox.stx_dev_major != hx->stx_dev_major || ox.stx_dev_minor != hx->stx_dev_minor ||
        on_other_mount(w, &ox)) {
        w->diff->unreadable++;
        return 0;
    }
    _cleanup_close_ int sfd = openat(f->sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (sfd < 0 || fstat(sfd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -ESTALE;

    for (;;) {
        ssize_t a = rk_read_all(sfd, w->buf, SKEL_CHUNK);
        if (a < 0)
            return (int)a;
        ssize_t b = rk_read_all(hfd, w->buf + SKEL_CHUNK, SKEL_CHUNK);
        if (b < 0) {
            w->diff->unreadable++;
            return 0;
        }
        if (a != b || memcmp(w->buf, w->buf + SKEL_CHUNK, (size_t)a) != 0) {
            w->diff->content++;
            return 0;
        }
        if (a == 0)
            return 0;
    }
}

static int compare_link(SkelWalk *w, const SkelFrame *f, const char *name)
{
    char st[PATH_MAX], ht[PATH_MAX];
    ssize_t a = read_link(f->sfd, name, st);
    if (a < 0)
        return (int)a;
    ssize_t b = read_link(f->hfd, name, ht);
    if (b < 0)
        w->diff->unreadable++;
    else if (a != b || memcmp(st, ht, (size_t)a) != 0)
        w->diff->content++;
    return 0;
}

static int compare_entry(SkelWalk *w, const SkelFrame *f, const char *name, const struct stat *ss,
                         int *ret_hfd)
{
    mode_t type = ss->st_mode & S_IFMT;
    struct statx hx;

    /* The same skeletons that skel_copy refuses cannot be compared with. */
    if (type != S_IFDIR && type != S_IFREG && type != S_IFLNK)
        return -EINVAL;
    if (statx(f->hfd, name, SKEL_STATX_FLAGS, SKEL_STATX_MASK, &hx) < 0) {
        if (errno == ENOENT)
            w->diff->missing++;
        else
            w->diff->unreadable++;
        return 0;
    }
    /* A mount in the home was added by someone: a difference, and never entered or read. */
    if (on_other_mount(w, &hx)) {
        w->diff->extra++;
        return 0;
    }
    if ((hx.stx_mode & S_IFMT) != type) {
        w->diff->type++;
        return 0;
    }
    if (hx.stx_uid != w->uid || hx.stx_gid != w->gid)
        w->diff->owner++;
    /* A symlink's own mode means nothing on Linux; skel_copy drops setuid/setgid. */
    if (type != S_IFLNK && (hx.stx_mode & 07777) != (ss->st_mode & 01777))
        w->diff->mode++;

    if (type == S_IFREG)
        return compare_file(w, f, name, ss, &hx);
    if (type == S_IFLNK)
        return compare_link(w, f, name);
    if (open_dir_checked(f->hfd, name, makedev(hx.stx_dev_major, hx.stx_dev_minor), hx.stx_ino,
                         ret_hfd) < 0)
        w->diff->unreadable++;
    return 0;
}

/* ---- the walk ------------------------------------------------------------------------ */

static void frame_close(SkelFrame *f)
{
    rk_closep(&f->sfd);
    rk_closep(&f->hfd);
}

/* Push the directory pair sfd/hfd; takes both fds unless this is the root frame. */
static int walk_push(SkelWalk *w, int sfd, int hfd)
{
    bool owned = w->depth > 0;
    struct stat sst, hst;
    SkelFrame f = { .sfd = sfd, .hfd = hfd };
    int r = 0;

    if (w->depth == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 16;
        SkelFrame *p = reallocarray(w->frames, ncap, sizeof *p);
        if (!p)
            r = -ENOMEM;
        else {
            w->frames = p;
            w->cap = ncap;
        }
    }
    if (r == 0 && (fstat(sfd, &sst) < 0 || fstat(hfd, &hst) < 0))
        r = -errno;
    if (r == 0)
        r = read_names(sfd, &f.names, &f.n_names);
    if (r < 0) {
        if (owned)
            frame_close(&f);
        return r;
    }
    f.sdev = sst.st_dev;
    f.sino = sst.st_ino;
    f.hdev = hst.st_dev;
    f.hino = hst.st_ino;
    w->frames[w->depth++] = f;

    /* Bound the open fds: the level SKEL_FD_WINDOW above this one lets go of its fds now and
     * gets them back through ".." when the walk returns to it. The root frame is borrowed. */
    if (w->depth > SKEL_FD_WINDOW + 1)
        frame_close(&w->frames[w->depth - 1 - SKEL_FD_WINDOW]);

    if (w->compare)
        scan_extras(w, hfd, f.names, f.n_names);
    return 0;
}

static int walk_pop(SkelWalk *w)
{
    SkelFrame *f = &w->frames[w->depth - 1];
    int r = 0;

    /* A closed parent is reopened through the child's ".." and refused if it is not the one
     * the walk left (the tree was moved meanwhile): the walk then stops rather than go astray. */
    if (w->depth >= 2) {
        SkelFrame *p = &w->frames[w->depth - 2];
        if (p->sfd < 0)
            r = open_dir_checked(f->sfd, "..", p->sdev, p->sino, &p->sfd);
        if (r == 0 && p->hfd < 0)
            r = open_dir_checked(f->hfd, "..", p->hdev, p->hino, &p->hfd);
        frame_close(f);
    }
    free_names(f->names, f->n_names);
    w->depth--;
    return r;
}

static int walk_run(SkelWalk *w, int skelfd, int homefd)
{
    int r;

    w->buf = malloc(2 * SKEL_CHUNK);
    if (!w->buf)
        return -ENOMEM;
    r = walk_push(w, skelfd, homefd);
    RK_KEEP_FIRST(w->r, r);

    while (w->depth > 0) {
        SkelFrame *f = &w->frames[w->depth - 1];
        struct stat ss;
        int child_hfd = -1;

        if (f->next == f->n_names) {
            r = walk_pop(w);
            if (r < 0) {
                RK_KEEP_FIRST(w->r, r);
                break;
            }
            continue;
        }
        const char *name = f->names[f->next++];
        if (fstatat(f->sfd, name, &ss, AT_SYMLINK_NOFOLLOW) < 0) {
            RK_KEEP_FIRST(w->r, -errno);
            continue;
        }
        _cleanup_close_ int child_sfd = -1;
        if (S_ISDIR(ss.st_mode)) {
            r = open_dir_checked(f->sfd, name, ss.st_dev, ss.st_ino, &child_sfd);
            if (r < 0) {
                RK_KEEP_FIRST(w->r, r);
                continue;
            }
        }
        r = w->compare ? compare_entry(w, f, name, &ss, &child_hfd)
                       : copy_entry(w, f, name, &ss, &child_hfd);
        RK_KEEP_FIRST(w->r, r);
        if (child_hfd >= 0) {
            r = walk_push(w, rk_steal_fd(&child_sfd), child_hfd);
            RK_KEEP_FIRST(w->r, r);
        }
    }

    /* After an abandoned walk: frames above the root still own their fds. */
    while (w->depth > 0) {
        SkelFrame *f = &w->frames[--w->depth];
        if (w->depth > 0)
            frame_close(f);
        free_names(f->names, f->n_names);
    }
    free(w->frames);
    free(w->buf);
    return w->r;
}

/* ---- API ----------------------------------------------------------------------------- */

int skel_copy(int skelfd, int homefd, uid_t uid, gid_t gid)
{
    SkelWalk w = { .uid = uid, .gid = gid };
    struct stat st;
    int r = 0;

    if (fstat(homefd, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    /* Closed to everyone else while it is filled; handed to the guest only at the end. */
    if (fchmod(homefd, 0700) < 0)
        r = -errno;
    int k = walk_run(&w, skelfd, homefd);
    RK_KEEP_FIRST(r, k);
    k = own_and_mode(homefd, uid, gid, 0700);
    RK_KEEP_FIRST(r, k);
    return r;
}

int skel_compare(int skelfd, int homefd, uid_t uid, gid_t gid, SkelDiff *diff)
{
    SkelDiff local;
    SkelWalk w = { .uid = uid, .gid = gid, .compare = true, .diff = diff ? diff : &local };
    struct statx hx;
    int r;

    *w.diff = (SkelDiff){ 0 };
    if (statx(homefd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, SKEL_STATX_MASK, &hx) < 0)
        return -errno;
    if (!S_ISDIR(hx.stx_mode))
        return -ENOTDIR;
    w.home_dev = makedev(hx.stx_dev_major, hx.stx_dev_minor);
    w.have_mnt = hx.stx_mask & STATX_MNT_ID;
    w.home_mnt = hx.stx_mnt_id;
    if (hx.stx_uid != uid || hx.stx_gid != gid)
        w.diff->owner++;
    if ((hx.stx_mode & 07777) != 0700)
        w.diff->mode++;

    r = walk_run(&w, skelfd, homefd);
    if (r < 0)
        return r;
    return skel_diff_total(w.diff) > 0 ? 1 : 0;
}

uint64_t skel_diff_total(const SkelDiff *diff)
{
    if (!diff)
        return 0;
    return diff->missing + diff->extra + diff->type + diff->mode + diff->owner + diff->content +
           diff->unreadable;
}
