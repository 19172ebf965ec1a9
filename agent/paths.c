/* Trusted paths and the mount table. See paths.h. */
#include "paths.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

int paths_open_trusted_dir(const char *path)
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

int paths_split(const char *path, char **ret_dir, char **ret_base)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    if (path[0] != '/' || strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return -EINVAL;
    *ret_dir = g_steal_pointer(&dir);
    *ret_base = g_steal_pointer(&base);
    return 0;
}

int paths_open_parent(const char *path, char **ret_base)
{
    g_autofree char *parent = NULL;
    int r = paths_split(path, &parent, ret_base);
    if (r < 0)
        return r;
    r = paths_open_trusted_dir(parent);
    if (r < 0)
        g_clear_pointer(ret_base, g_free);
    return r;
}

bool paths_at_or_below(const char *p, const char *top)
{
    size_t n = strlen(top);
    if (strcmp(top, "/") == 0)
        return p[0] == '/';
    return strncmp(p, top, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

bool paths_below(const char *p, const char *top)
{
    return paths_at_or_below(p, top) && strcmp(p, top) != 0;
}

static void paths_mount_free(gpointer p)
{
    PathsMount *m = p;
    g_free(m->point);
    g_free(m->fstype);
    g_free(m->super);
    g_free(m);
}

/* Undo the octal escapes of mountinfo (\040 space, \011 tab, \012 newline, \134 backslash)
 * in place. */
static void paths_unescape(char *s)
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

/* One line, "ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER", split in
 * place; NULL for a line without the separator and the file system type. */
static PathsMount *paths_parse_mount(char *line)
{
    char *save = NULL, *tok[6], *fstype = NULL, *super = NULL;
    int n = 0;
    line[strcspn(line, "\n")] = '\0';
    for (char *p = strtok_r(line, " ", &save); p && n < 6; p = n < 6 ? strtok_r(NULL, " ", &save) : NULL)
        tok[n++] = p;
    if (n < 6)
        return NULL;
    for (char *p = strtok_r(NULL, " ", &save); p; p = strtok_r(NULL, " ", &save))
        if (strcmp(p, "-") == 0) {
            fstype = strtok_r(NULL, " ", &save);
            (void)strtok_r(NULL, " ", &save); /* source */
            super = strtok_r(NULL, " ", &save);
            break;
        }
    if (!fstype)
        return NULL;
    PathsMount *m = g_new0(PathsMount, 1);
    m->id = atoi(tok[0]);
    m->parent = atoi(tok[1]);
    paths_unescape(tok[4]);
    m->point = g_strdup(tok[4]);
    m->fstype = g_strdup(fstype);
    m->super = g_strdup(super ? super : "");
    return m;
}

int paths_read_mounts(GPtrArray **ret)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(paths_mount_free);
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    char *line = NULL;
    size_t cap = 0;
    int r = 0;
    while (getline(&line, &cap, f) > 0) {
        PathsMount *m = paths_parse_mount(line);
        if (!m)
            continue;
        if (out->len >= PATHS_MOUNTS_MAX) {
            paths_mount_free(m);
            r = -E2BIG;
            break;
        }
        g_ptr_array_add(out, m);
    }
    free(line);
    fclose(f);
    if (r < 0)
        return r;
    *ret = g_steal_pointer(&out);
    return 0;
}

static gint paths_deeper_first(gconstpointer a, gconstpointer b)
{
    size_t x = strlen(*(const char *const *)a), y = strlen(*(const char *const *)b);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Mount points at or below path, deepest (longest) first. */
static int paths_mounts_below(const char *path, GPtrArray **ret)
{
    g_autoptr(GPtrArray) mounts = NULL;
    int r = paths_read_mounts(&mounts);
    if (r < 0)
        return r;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < mounts->len; i++) {
        const PathsMount *m = mounts->pdata[i];
        if (paths_at_or_below(m->point, path))
            g_ptr_array_add(out, g_strdup(m->point));
    }
    /* Deepest first, so a mount is never detached from under one stacked on it. Mounts
     * stacked on the same point appear once per layer; each umount removes the top one. */
    g_ptr_array_sort(out, paths_deeper_first);
    *ret = g_steal_pointer(&out);
    return 0;
}

int paths_detach_mounts(const char *path)
{
    g_autoptr(GPtrArray) mounts = NULL;
    int r = paths_mounts_below(path, &mounts), first = 0, n = 0;
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

int paths_count_mounts(const char *path)
{
    g_autoptr(GPtrArray) mounts = NULL;
    int r = paths_mounts_below(path, &mounts);
    return r < 0 ? r : (int)mounts->len;
}

int paths_mount_tmpfs(const char *home, const char *size_opt, uid_t uid, gid_t gid)
{
    g_autofree char *base = NULL;
    char target[64], opts[128];

    /* A size as the config allows it (digits and one unit): nothing that adds an option. */
    size_t digits = strspn(size_opt, "0123456789");
    if (uid == 0 || gid == 0 || digits == 0 || strlen(size_opt) > digits + 1 ||
        (size_opt[digits] && !strchr("kKmMgG%", size_opt[digits])))
        return -EINVAL;
    _cleanup_close_ int parentfd = paths_open_parent(home, &base);
    if (parentfd < 0)
        return parentfd;
    _cleanup_close_ int homefd = openat(parentfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (homefd < 0)
        return -errno;
    /* Mount on the folder we opened, not on a path that could be re-resolved. */
    snprintf(target, sizeof target, "/proc/self/fd/%d", homefd);
    snprintf(opts, sizeof opts, "size=%s,mode=0700,uid=%u,gid=%u", size_opt, (unsigned)uid, (unsigned)gid);
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        return -errno;
    return 0;
}
