/* The guest's home: renewal from the skeleton, tmpfs homes, verification. */
#include "home.h"

#include "mountctl.h"
#include "paths.h"
#include "rmtree.h"
#include "skel.h"
#include "util.h"

#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

/* The trash dir, given the home's parent (already opened through trusted folders); the trash's
 * own parent is opened only when it is another folder. */
static int open_trash_beside(const char *trash_dir, const char *hparent, int hfd)
{
    g_autofree char *tparent = NULL, *tbase = NULL;
    struct stat st, hst;
    int r;

    if ((r = paths_split(trash_dir, &tparent, &tbase)) < 0)
        return r;
    _cleanup_close_ int own = -1;
    int pfd = hfd;
    if (strcmp(tparent, hparent) != 0) {
        own = paths_open_trusted_dir(tparent);
        if (own < 0)
            return own;
        pfd = own;
    }
    if (mkdirat(pfd, tbase, 0700) < 0 && errno != EEXIST)
        return -errno;
    _cleanup_close_ int fd = openat(pfd, tbase, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOTDIR ? -ELOOP : -errno;
    if (fstat(fd, &st) < 0 || fstat(hfd, &hst) < 0)
        return -errno;
    /* The trash holds guest data until it is deleted: root's alone. */
    if (st.st_uid != 0 || (st.st_mode & 0077)) {
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0700) < 0)
            return -errno;
    }
    /* rename(2) into the trash is only atomic (and only instant) on one file system. */
    if (st.st_dev != hst.st_dev)
        return -EXDEV;
    return rk_steal_fd(&fd);
}

int home_open_trash(const char *trash_dir, const char *home)
{
    g_autofree char *hparent = NULL, *hbase = NULL;
    int r = paths_split(home, &hparent, &hbase);
    if (r < 0)
        return r;
    _cleanup_close_ int hfd = paths_open_trusted_dir(hparent);
    if (hfd < 0)
        return hfd;
    return open_trash_beside(trash_dir, hparent, hfd);
}

int home_place_open(const char *home, const char *trash_dir, const char *skeleton, HomePlace *ret)
{
    g_autofree char *parent = NULL;
    int r;

    *ret = (HomePlace){ .parentfd = -1, .trashfd = -1, .skelfd = -1 };
    if ((r = paths_split(home, &parent, &ret->base)) < 0)
        return r;
    ret->home = g_strdup(home);
    ret->parentfd = paths_open_trusted_dir(parent);
    if (ret->parentfd < 0) {
        r = ret->parentfd;
        home_place_close(ret);
        return r;
    }
    ret->trashfd = open_trash_beside(trash_dir, parent, ret->parentfd);
    if (ret->trashfd < 0) {
        r = ret->trashfd;
        home_place_close(ret);
        return r;
    }
    ret->skelfd = open(skeleton, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ret->skelfd < 0) {
        r = -errno;
        home_place_close(ret);
        return r;
    }
    return 0;
}

void home_place_close(HomePlace *p)
{
    rk_closep(&p->parentfd);
    rk_closep(&p->trashfd);
    rk_closep(&p->skelfd);
    g_clear_pointer(&p->base, g_free);
    g_clear_pointer(&p->home, g_free);
}

/* A name in the trash that no earlier run used: time and a random part. */
static void trash_name(char buf[static 64])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, 64, "home-%lld.%09ld-%08x", (long long)ts.tv_sec, ts.tv_nsec, g_random_int());
}

/* Move parentfd/name into the trash if it exists. Returns 1 moved, 0 absent, -errno. */
static int move_to_trash(int parentfd, const char *name, int trashfd)
{
    char tname[64];
    trash_name(tname);
    if (renameat(parentfd, name, trashfd, tname) < 0)
        return errno == ENOENT ? 0 : -errno;
    return 1;
}

/* Copy the skeleton into a new staging dir `staging` in parentfd. */
static int build_staging(int parentfd, const char *staging, int skelfd, uid_t uid, gid_t gid)
{
    /* Created 0700 root: nobody can reach it before it is complete and renamed into place;
     * skel_copy then hands it to the guest. */
    if (mkdirat(parentfd, staging, 0700) < 0)
        return -errno;
    _cleanup_close_ int fd = openat(parentfd, staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* No sync here: the turnaround stays flat in the size of the old home. A crash before
     * the copy reaches the disk leaves the journal short of READY, so the next start wipes
     * and copies again; durability is established once, after the whole wipe (wipe.c). */
    return skel_copy(skelfd, fd, uid, gid);
}

int home_renew(const char *home, const char *trash_dir, const char *skeleton, uid_t uid, gid_t gid,
               HomeStats *stats)
{
    HomePlace p;
    int r = home_place_open(home, trash_dir, skeleton, &p);
    if (r < 0)
        return r;
    r = home_renew_at(&p, uid, gid, stats);
    home_place_close(&p);
    return r;
}

int home_renew_at(const HomePlace *p, uid_t uid, gid_t gid, HomeStats *stats)
{
    long long start = rk_now_ns();
    int parentfd = p->parentfd, trashfd = p->trashfd, skelfd = p->skelfd;
    const char *base = p->base;
    int r;

    if (uid == 0)
        return -EPERM;
    g_autofree char *staging = g_strdup_printf(".%s.rentark-new", base);

    /* Mounts first: a rename would carry a bind mount of someone else's folder into the
     * trash, where the remover refuses to enter it but the guest's view of it would stay. */
    r = mountctl_detach_below(p->home);
    if (r < 0)
        return r;

    /* A staging copy left by an interrupted run may be half made: it goes to the trash. */
    unsigned moved = 0;
    if ((r = move_to_trash(parentfd, staging, trashfd)) < 0)
        return r;
    moved += (unsigned)r;
    if ((r = move_to_trash(parentfd, base, trashfd)) < 0)
        return r;
    moved += (unsigned)r;

    r = build_staging(parentfd, staging, skelfd, uid, gid);
    if (r == -ENOSPC || r == -EDQUOT) {
        /* The old home fills the disk: make room by deleting the trash now, then retry. */
        (void)rm_at(parentfd, staging, 0, NULL);
        (void)rm_contents(trashfd, RM_PARALLEL, NULL);
        r = build_staging(parentfd, staging, skelfd, uid, gid);
    }
    if (r < 0)
        return r;
    if (renameat(parentfd, staging, parentfd, base) < 0)
        return -errno;
    if (fsync(parentfd) < 0)
        return -errno;

    if (stats) {
        stats->turnaround_ns = rk_now_ns() - start;
        stats->moved_to_trash = moved;
    }
    return 0;
}

int home_mount_tmpfs(const char *home, const char *size_opt, const char *skeleton, uid_t uid, gid_t gid)
{
    g_autofree char *base = NULL;
    int r;

    if (uid == 0)
        return -EPERM;
    _cleanup_close_ int parentfd = paths_open_parent(home, &base);
    if (parentfd < 0)
        return parentfd;
    _cleanup_close_ int skelfd = open(skeleton, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (skelfd < 0)
        return -errno;
    /* Mounted where the session sees it (mountctl: through rentark-mount under systemd). */
    if ((r = mountctl_tmpfs(home, size_opt, uid, gid)) < 0)
        return r;
    _cleanup_close_ int fd = openat(parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return skel_copy(skelfd, fd, uid, gid);
}

int home_verify(const char *home, const char *skeleton, uid_t uid, gid_t gid, uint64_t *ret_differences)
{
    g_autofree char *base = NULL;

    *ret_differences = 0;
    _cleanup_close_ int parentfd = paths_open_parent(home, &base);
    if (parentfd < 0)
        return parentfd;
    _cleanup_close_ int skelfd = open(skeleton, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (skelfd < 0)
        return -errno;
    HomePlace p = { .parentfd = parentfd, .trashfd = -1, .skelfd = skelfd, .base = base, .home = (char *)home };
    return home_verify_at(&p, uid, gid, ret_differences);
}

int home_verify_at(const HomePlace *p, uid_t uid, gid_t gid, uint64_t *ret_differences)
{
    SkelDiff diff = { 0 };
    int r;

    *ret_differences = 0;
    r = paths_count_mounts(p->home);
    if (r != 0) {
        *ret_differences = r > 0 ? (uint64_t)r : 1;
        return r > 0 ? 1 : r;
    }
    int skelfd = p->skelfd;
    _cleanup_close_ int fd = openat(p->parentfd, p->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *ret_differences = 1;
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 1 : -errno;
    }
    r = skel_compare(skelfd, fd, uid, gid, &diff);
    *ret_differences = skel_diff_total(&diff);
    return r;
}
