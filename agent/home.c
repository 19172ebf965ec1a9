/* The guest's home: trusted paths, mounts, renewal from the skeleton, tmpfs homes. */
#include "home.h"

#include "rmtree.h"
#include "skel.h"
#include "util.h"

#include <fcntl.h>
#include <glib.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

int home_lookup_guest(const char *user, uid_t *ret_uid, gid_t *ret_gid)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    int r = getpwnam_r(user, &pw, buf, sizeof buf, &res);
    if (r != 0)
        return -r;
    if (!res)
        return -ENOENT;
    /* The one rule above all: the wipe never runs for root. */
    if (pw.pw_uid == 0)
        return -EPERM;
    *ret_uid = pw.pw_uid;
    *ret_gid = pw.pw_gid;
    return 0;
}

int home_open_trusted_dir(const char *path)
{
    if (!path || path[0] != '/')
        return -EINVAL;

    _cleanup_close_ int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;

    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    for (char **p = parts; *p; p++) {
        struct stat st;
        if (!**p)
            continue;
        if (strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
            return -EINVAL;
        /* O_NOFOLLOW on every component: a symlink anywhere in the path is refused, so the
         * path means the folders it names and nothing a user planted. */
        int next = openat(fd, *p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            return errno == ENOTDIR ? -ELOOP : -errno;
        close(fd);
        fd = next;
        if (fstat(fd, &st) < 0)
            return -errno;
        /* Every folder on the way must be root's, and nobody else may rename or replace what
         * is in it: not group/other-writable, except root's sticky folders like /tmp, where
         * the sticky bit stops others from renaming root's entries. */
        if (st.st_uid != 0)
            return -EPERM;
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
            return -EPERM;
    }
    return rk_steal_fd(&fd);
}

/* Undo the octal escapes of /proc/self/mountinfo (\040 space, \011 tab, \012 newline,
 * \134 backslash) in place. */
static void unescape_mountinfo(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static bool path_at_or_below(const char *p, const char *top)
{
    size_t n = strlen(top);
    return strncmp(p, top, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Mount points at or below path, deepest (longest) first. */
static int list_mounts(const char *path, GPtrArray **ret)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." */
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 0; tok && i < 4; i++)
            tok = strtok_r(NULL, " ", &save);
        if (!tok)
            continue;
        unescape_mountinfo(tok);
        if (path_at_or_below(tok, path))
            g_ptr_array_add(out, g_strdup(tok));
    }
    free(line);
    fclose(f);
    /* Deepest first, so a mount is never detached from under one stacked on it. Mounts
     * stacked on the same point appear once per layer; each umount removes the top one. */
    for (guint i = 0; i < out->len; i++)
        for (guint j = i + 1; j < out->len; j++)
            if (strlen(out->pdata[j]) > strlen(out->pdata[i])) {
                gpointer t = out->pdata[i];
                out->pdata[i] = out->pdata[j];
                out->pdata[j] = t;
            }
    *ret = g_steal_pointer(&out);
    return 0;
}

int home_detach_mounts(const char *path)
{
    g_autoptr(GPtrArray) mounts = NULL;
    int r = list_mounts(path, &mounts), first = 0, n = 0;
    if (r < 0)
        return r;
    for (guint i = 0; i < mounts->len; i++) {
        /* MNT_DETACH: a process we could not see must not keep the mount, and with it the
         * guest's files, alive under the home. UMOUNT_NOFOLLOW: the last component may be a
         * symlink the guest left; then it is not a mount point of ours to follow. */
        if (umount2(mounts->pdata[i], MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            RK_KEEP_FIRST(first, -errno);
        else
            n++;
    }
    return first < 0 ? first : n;
}

int home_count_mounts(const char *path)
{
    g_autoptr(GPtrArray) mounts = NULL;
    int r = list_mounts(path, &mounts);
    return r < 0 ? r : (int)mounts->len;
}

static int split_path(const char *path, char **ret_dir, char **ret_base)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    if (path[0] != '/' || strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return -EINVAL;
    *ret_dir = g_steal_pointer(&dir);
    *ret_base = g_steal_pointer(&base);
    return 0;
}

/* The trash dir, given the home's parent (already opened through trusted folders); the trash's
 * own parent is opened only when it is another folder. */
static int open_trash_beside(const char *trash_dir, const char *hparent, int hfd)
{
    g_autofree char *tparent = NULL, *tbase = NULL;
    struct stat st, hst;
    int r;

    if ((r = split_path(trash_dir, &tparent, &tbase)) < 0)
        return r;
    _cleanup_close_ int own = -1;
    int pfd = hfd;
    if (strcmp(tparent, hparent) != 0) {
        own = home_open_trusted_dir(tparent);
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
    int r = split_path(home, &hparent, &hbase);
    if (r < 0)
        return r;
    _cleanup_close_ int hfd = home_open_trusted_dir(hparent);
    if (hfd < 0)
        return hfd;
    return open_trash_beside(trash_dir, hparent, hfd);
}

int home_place_open(const char *home, const char *trash_dir, const char *skeleton, HomePlace *ret)
{
    g_autofree char *parent = NULL;
    int r;

    *ret = (HomePlace){ .parentfd = -1, .trashfd = -1, .skelfd = -1 };
    if ((r = split_path(home, &parent, &ret->base)) < 0)
        return r;
    ret->home = g_strdup(home);
    ret->parentfd = home_open_trusted_dir(parent);
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
    r = home_detach_mounts(p->home);
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
    g_autofree char *parent = NULL, *base = NULL;
    char target[64], opts[128];
    int r;

    if (uid == 0)
        return -EPERM;
    if ((r = split_path(home, &parent, &base)) < 0)
        return r;
    _cleanup_close_ int parentfd = home_open_trusted_dir(parent);
    if (parentfd < 0)
        return parentfd;
    _cleanup_close_ int homefd = openat(parentfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (homefd < 0)
        return -errno;
    _cleanup_close_ int skelfd = open(skeleton, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (skelfd < 0)
        return -errno;

    /* Mount on the folder we opened, not on a path that could be re-resolved. */
    snprintf(target, sizeof target, "/proc/self/fd/%d", homefd);
    snprintf(opts, sizeof opts, "size=%s,mode=0700,uid=%u,gid=%u", size_opt, (unsigned)uid, (unsigned)gid);
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        return -errno;

    _cleanup_close_ int fd = openat(parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return skel_copy(skelfd, fd, uid, gid);
}

int home_verify(const char *home, const char *skeleton, uid_t uid, gid_t gid, uint64_t *ret_differences)
{
    g_autofree char *parent = NULL, *base = NULL;
    int r;

    *ret_differences = 0;
    if ((r = split_path(home, &parent, &base)) < 0)
        return r;
    _cleanup_close_ int parentfd = home_open_trusted_dir(parent);
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
    r = home_count_mounts(p->home);
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
