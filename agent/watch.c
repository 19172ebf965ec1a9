/* Watched folders: what was created during a session, from inotify events (libinotifytools),
 * with a scan by birth time whenever events may have been lost. See watch.h for the rules. */
#define G_LOG_DOMAIN "watch"

#include "watch.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <inotifytools/inotifytools.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Only what tells us about entries appearing, moving and going; IN_ONLYDIR because only
 * directories are ever watched. IN_DONT_FOLLOW must NOT be set: watches are added through
 * /proc/self/fd/N, a link that has to be followed to the directory we opened. */
#define WATCH_MASK (IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR)
/* Directories deeper than this below a folder are not watched (the scan covers them): it
 * bounds the memory a guest's deep tree can make us spend on paths. */
#define WATCH_MAX_DEPTH 128
/* Bounds on what a guest can make us record, and on the work renames of big directories cost;
 * past them, the scan stands in. */
#define WATCH_MAX_RECORDED 100000
#define WATCH_MAX_BYTES (32u << 20)
#define WATCH_MAX_REKEY_WORK 50000000ull
/* Events handled per main-loop dispatch before yielding to other sources. */
#define WATCH_BATCH 4096

G_DEFINE_QUARK(watch-error-quark, watch_error)

/* Every entry is named by a key "N/a/b": N is the index of the watched folder, then the path
 * components below it. Keys are only ever walked component by component from the folder's fd;
 * they are never handed to the kernel as a path. */
typedef struct {
    int wd;
    char *key; /* NULL: detached (moved out of the folders); events on it are ignored */
    char *ino_key;
} WatchDir;

typedef struct {
    char *path;
    int fd;
    dev_t dev;
    uint64_t mnt_id;
} WatchRoot;

struct Watch {
    WatchRoot *roots;
    guint n_roots;
    struct timespec start;
    gboolean started, running;
    int ifd; /* libinotifytools' inotify fd (not ours to close) */
    guint fd_source, idle_source;
    GHashTable *dirs;    /* wd -> WatchDir */
    GHashTable *inodes;  /* "dev:ino" -> wd, so that a directory is never watched twice */
    GHashTable *created; /* keys of created entries, none below another */
    /* The last IN_MOVED_FROM, waiting for its IN_MOVED_TO. */
    uint32_t move_cookie;
    char *move_key;
    gboolean move_created, move_isdir;
    size_t bytes;
    uint64_t rekey_work, events;
    unsigned fallback;
    GString *problems;
    int problem_code;
};

/* libinotifytools has one global instance; so do we. */
static Watch *watch_active;

static void watch_dir_free(gpointer p)
{
    WatchDir *d = p;
    g_free(d->key);
    g_free(d->ino_key);
    g_free(d);
}

Watch *watch_new(char *const *paths, GError **error)
{
    guint n = paths ? g_strv_length((char **)paths) : 0;
    for (guint i = 0; i < n; i++)
        if (!g_path_is_absolute(paths[i])) {
            g_set_error(error, WATCH_ERROR, WATCH_ERROR_PARTIAL,
                        "watched folder “%s” is not an absolute path", paths[i]);
            return NULL;
        }
    Watch *w = g_new0(Watch, 1);
    w->roots = g_new0(WatchRoot, n ? n : 1);
    w->n_roots = n;
    for (guint i = 0; i < n; i++) {
        w->roots[i].path = g_strdup(paths[i]);
        w->roots[i].fd = -1;
    }
    w->ifd = -1;
    w->dirs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, watch_dir_free);
    w->inodes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);
    w->created = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->problems = g_string_new(NULL);
    return w;
}

static void watch_problem(Watch *w, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void watch_problem(Watch *w, int code, const char *fmt, ...)
{
    va_list ap;
    if (w->problems->len == 0)
        w->problem_code = code;
    else
        g_string_append(w->problems, "; ");
    va_start(ap, fmt);
    g_string_append_vprintf(w->problems, fmt, ap);
    va_end(ap);
}

/* ---- keys ---------------------------------------------------------------------------- */

static gboolean watch_name_ok(const char *name)
{
    return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static gboolean key_has_prefix(const char *key, const char *prefix, size_t plen)
{
    return strncmp(key, prefix, plen) == 0 && (key[plen] == '\0' || key[plen] == '/');
}

/* Is key, or a directory above it, recorded as created? */
static gboolean watch_is_created(Watch *w, const char *key)
{
    g_autofree char *k = g_strdup(key);
    char *slash;
    while ((slash = strrchr(k, '/'))) {
        if (g_hash_table_contains(w->created, k))
            return TRUE;
        *slash = '\0';
    }
    return FALSE; /* "N" alone is a watched folder itself, never created */
}

static void watch_mark_created(Watch *w, const char *key)
{
    if (watch_is_created(w, key))
        return;
    size_t len = strlen(key) + 1;
    if (g_hash_table_size(w->created) >= WATCH_MAX_RECORDED || w->bytes + len > WATCH_MAX_BYTES) {
        w->fallback |= WATCH_FALLBACK_MEMORY;
        return;
    }
    w->bytes += len;
    g_hash_table_add(w->created, g_strdup(key));
}

static void watch_forget(Watch *w, const char *key)
{
    if (g_hash_table_remove(w->created, key))
        w->bytes -= MIN(w->bytes, strlen(key) + 1);
}

/* Budget for the whole-table walks that directory renames need. */
static gboolean watch_rekey_budget(Watch *w)
{
    w->rekey_work += g_hash_table_size(w->created) + g_hash_table_size(w->dirs);
    if (w->rekey_work > WATCH_MAX_REKEY_WORK) {
        w->fallback |= WATCH_FALLBACK_MEMORY;
        return FALSE;
    }
    return TRUE;
}

/* Created keys at or below from: renamed to below to (to != NULL) or dropped. */
static void watch_rekey_created(Watch *w, const char *from, const char *to, gboolean isdir)
{
    if (!isdir) {
        if (g_hash_table_contains(w->created, from)) {
            watch_forget(w, from);
            if (to)
                watch_mark_created(w, to);
        }
        return;
    }
    if (!watch_rekey_budget(w))
        return;
    size_t flen = strlen(from);
    g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, w->created);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (key_has_prefix(k, from, flen))
            g_ptr_array_add(hits, g_strdup(k));
    for (guint i = 0; i < hits->len; i++) {
        const char *old = hits->pdata[i];
        watch_forget(w, old);
        if (to) {
            g_autofree char *nk = g_strconcat(to, old + flen, NULL);
            watch_mark_created(w, nk);
        }
    }
}

/* Watched directories at or below from: renamed to below to, or detached (to == NULL). */
static void watch_rekey_dirs(Watch *w, const char *from, const char *to)
{
    if (!watch_rekey_budget(w))
        return;
    size_t flen = strlen(from);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, w->dirs);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        WatchDir *d = v;
        if (!d->key || !key_has_prefix(d->key, from, flen))
            continue;
        char *nk = to ? g_strconcat(to, d->key + flen, NULL) : NULL;
        g_free(d->key);
        d->key = nk;
    }
}

/* ---- fd-relative walking --------------------------------------------------------------- */

static int watch_statx(int fd, const char *name, uint64_t *ret_id, struct statx *ret_stx)
{
    struct statx stx;
    int fl = AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH);
    if (statx(fd, name, fl, STATX_TYPE | STATX_INO | STATX_MNT_ID | STATX_BTIME | STATX_CTIME,
              &stx) < 0)
        return -errno;
    *ret_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
    if (ret_stx)
        *ret_stx = stx;
    return 0;
}

/* Open the directory named by key, walking its components from the folder's fd: O_NOFOLLOW at
 * every step (a symlink is refused, never followed) and never into another mount. With
 * ret_last, open the parent instead and point *ret_last at the last component. Returns an fd
 * or -errno. */
static int watch_open_walk(Watch *w, const char *key, const char **ret_last, int *ret_depth)
{
    char *end;
    errno = 0;
    unsigned long idx = strtoul(key, &end, 10);
    if (end == key || (*end != '\0' && *end != '/') || idx >= w->n_roots)
        return -EINVAL;
    WatchRoot *root = &w->roots[idx];
    if (ret_last)
        *ret_last = NULL;
    if (root->fd < 0)
        return -ENOENT;
    _cleanup_close_ int fd = openat(root->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int depth = 0;
    const char *p = *end ? end + 1 : end;
    g_autoptr(GString) comp = g_string_new(NULL);
    while (*p) {
        const char *slash = strchr(p, '/');
        if (!slash && ret_last) {
            *ret_last = p; /* the caller wants the parent and the last name */
            break;
        }
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        g_string_truncate(comp, 0);
        g_string_append_len(comp, p, len);
        if (!watch_name_ok(comp->str))
            return -EINVAL;
        _cleanup_close_ int next =
            openat(fd, comp->str, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            return -errno;
        struct stat st;
        uint64_t mnt = 0;
        if (fstat(next, &st) < 0)
            return -errno;
        int r = watch_statx(next, "", &mnt, NULL);
        if (r < 0)
            return r;
        /* Never into another file system or mount: that is not the folder we watch. */
        if (st.st_dev != root->dev || (mnt && root->mnt_id && mnt != root->mnt_id))
            return -EXDEV;
        rk_closep(&fd);
        fd = rk_steal_fd(&next);
        depth++;
        p = slash ? slash + 1 : p + len;
    }
    if (ret_last && !*ret_last)
        return -EINVAL; /* the folder itself has no parent we may remove it from */
    if (ret_depth)
        *ret_depth = depth;
    return rk_steal_fd(&fd);
}

static struct timespec watch_born(const struct statx *stx)
{
    struct statx_timestamp t = (stx->stx_mask & STATX_BTIME) ? stx->stx_btime : stx->stx_ctime;
    return (struct timespec){ .tv_sec = t.tv_sec, .tv_nsec = t.tv_nsec };
}

static gboolean watch_born_in_session(Watch *w, const struct statx *stx)
{
    struct timespec b = watch_born(stx);
    return b.tv_sec > w->start.tv_sec || (b.tv_sec == w->start.tv_sec && b.tv_nsec >= w->start.tv_nsec);
}

/* The names in the directory fd (not closed), without "." and "..". */
static int watch_list(int fd, GPtrArray *names)
{
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    DIR *d = fdopendir(dfd);
    if (!d) {
        int r = -errno;
        close(dfd);
        return r;
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)))
        if (watch_name_ok(de->d_name))
            g_ptr_array_add(names, g_strdup(de->d_name));
    int r = errno ? -errno : 0;
    closedir(d);
    return r;
}

/* ---- adding watches ------------------------------------------------------------------- */

/* Watch the open directory fd under key. Returns 0 or -errno (-ENOSPC: the watch limit). */
static int watch_add_one(Watch *w, const char *key, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    g_autofree char *ino_key = g_strdup_printf("%llx:%llx", (unsigned long long)st.st_dev,
                                               (unsigned long long)st.st_ino);
    gpointer wdp;
    if (g_hash_table_lookup_extended(w->inodes, ino_key, NULL, &wdp)) {
        /* Already watched (a directory moved out and back in, or seen twice): watching it again
         * would give libinotifytools a second record for the same wd. Just name it anew. */
        WatchDir *d = g_hash_table_lookup(w->dirs, wdp);
        if (d) {
            g_free(d->key);
            d->key = g_strdup(key);
            return 0;
        }
        g_hash_table_remove(w->inodes, ino_key);
    }
    /* The watch goes on the directory we hold open, through its /proc/self/fd link, so that no
     * path a guest can change is resolved, and libinotifytools, which prints the names it
     * fails on to stderr, only ever knows this name. */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (!inotifytools_watch_file(path, WATCH_MASK)) {
        int e = inotifytools_error();
        return e > 0 ? -e : -EIO;
    }
    /* libinotifytools 3.22 has no call returning the wd of a new watch (and keys its records by
     * name, here not unique over time). inotify(7): adding a watch for an inode that is already
     * watched returns the existing descriptor; with the same mask this is a pure lookup. */
    int wd = inotify_add_watch(w->ifd, path, WATCH_MASK);
    if (wd < 0)
        return -errno;
    WatchDir *d = g_new0(WatchDir, 1);
    d->wd = wd;
    d->key = g_strdup(key);
    d->ino_key = g_steal_pointer(&ino_key);
    WatchDir *old = g_hash_table_lookup(w->dirs, GINT_TO_POINTER(wd));
    if (old)
        g_hash_table_remove(w->inodes, old->ino_key);
    g_hash_table_insert(w->inodes, d->ino_key, GINT_TO_POINTER(wd));
    g_hash_table_insert(w->dirs, GINT_TO_POINTER(wd), d);
    return 0;
}

/* Watch the directory key and every directory below it (an explicit work list, no recursion).
 * At session start, entries born after the start time are recorded as created: they appeared
 * while the watches were being set up, before any event could tell. */
static void watch_add_tree(Watch *w, const char *key, gboolean at_start)
{
    g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(todo, g_strdup(key));
    while (todo->len > 0) {
        g_autofree char *k = g_ptr_array_steal_index(todo, todo->len - 1);
        int depth = 0;
        _cleanup_close_ int fd = watch_open_walk(w, k, NULL, &depth);
        if (fd == -ENOENT || fd == -ENOTDIR)
            continue; /* gone or replaced already: its events, if any, came with it */
        if (fd < 0 || depth > WATCH_MAX_DEPTH) {
            w->fallback |= WATCH_FALLBACK_UNWATCHED;
            continue;
        }
        if (w->bytes + strlen(k) + 1 > WATCH_MAX_BYTES) {
            w->fallback |= WATCH_FALLBACK_MEMORY;
            continue;
        }
        int r = watch_add_one(w, k, fd);
        if (r == -ENOSPC) {
            /* The watch limit: every further watch would fail as well. */
            w->fallback |= WATCH_FALLBACK_LIMIT;
            return;
        }
        if (r < 0) {
            w->fallback |= WATCH_FALLBACK_UNWATCHED;
            continue;
        }
        w->bytes += strlen(k) + 1;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        if (watch_list(fd, names) < 0)
            w->fallback |= WATCH_FALLBACK_UNWATCHED;
        for (guint i = 0; i < names->len; i++) {
            const char *name = names->pdata[i];
            struct statx stx;
            uint64_t mnt;
            if (watch_statx(fd, name, &mnt, &stx) < 0)
                continue;
            g_autofree char *child = g_strconcat(k, "/", name, NULL);
            if (at_start && watch_born_in_session(w, &stx))
                watch_mark_created(w, child);
            if (S_ISDIR(stx.stx_mode))
                g_ptr_array_add(todo, g_steal_pointer(&child));
        }
    }
}

/* ---- events ---------------------------------------------------------------------------- */

/* A pending IN_MOVED_FROM whose IN_MOVED_TO did not follow: the entry left the folders. */
static void watch_resolve_move(Watch *w)
{
    if (!w->move_key)
        return;
    watch_rekey_created(w, w->move_key, NULL, w->move_isdir);
    if (w->move_isdir)
        watch_rekey_dirs(w, w->move_key, NULL);
    g_clear_pointer(&w->move_key, g_free);
}

/* A rename inside the folders: the entry keeps what it was (created or pre-existing). */
static void watch_moved(Watch *w, const char *from, const char *to, gboolean was_created,
                        gboolean isdir)
{
    /* Whatever the destination was is replaced: a created entry there is gone. */
    watch_rekey_created(w, to, NULL, isdir);
    watch_rekey_created(w, from, to, isdir);
    if (was_created)
        watch_mark_created(w, to); /* a file renamed over an older one counts as created */
    if (isdir)
        watch_rekey_dirs(w, from, to);
}

static void watch_handle(Watch *w, const struct inotify_event *ev)
{
    w->events++;
    if (ev->mask & IN_Q_OVERFLOW) {
        w->fallback |= WATCH_FALLBACK_OVERFLOW;
        watch_resolve_move(w);
        return;
    }
    /* A pending rename is matched by the very next event only (inotify queues the pair
     * together); anything else means it went out of the folders. */
    if (w->move_key && !((ev->mask & IN_MOVED_TO) && ev->cookie == w->move_cookie))
        watch_resolve_move(w);
    if (ev->mask & IN_IGNORED) {
        WatchDir *d = g_hash_table_lookup(w->dirs, GINT_TO_POINTER(ev->wd));
        if (d) {
            if (d->key)
                w->bytes -= MIN(w->bytes, strlen(d->key) + 1);
            g_hash_table_remove(w->inodes, d->ino_key);
            g_hash_table_remove(w->dirs, GINT_TO_POINTER(ev->wd));
        }
        return;
    }
    WatchDir *d = g_hash_table_lookup(w->dirs, GINT_TO_POINTER(ev->wd));
    if (!d || !d->key || ev->len == 0)
        return;
    if (!watch_name_ok(ev->name)) {
        w->fallback |= WATCH_FALLBACK_LOST;
        return;
    }
    g_autofree char *key = g_strconcat(d->key, "/", ev->name, NULL);
    gboolean isdir = (ev->mask & IN_ISDIR) != 0;
    if (ev->mask & IN_CREATE) {
        watch_mark_created(w, key);
        if (isdir)
            watch_add_tree(w, key, FALSE);
    } else if (ev->mask & IN_MOVED_FROM) {
        w->move_cookie = ev->cookie;
        w->move_created = watch_is_created(w, key);
        w->move_isdir = isdir;
        w->move_key = g_steal_pointer(&key);
    } else if (ev->mask & IN_MOVED_TO) {
        if (w->move_key) {
            g_autofree char *from = g_steal_pointer(&w->move_key);
            watch_moved(w, from, key, w->move_created, isdir);
        } else {
            /* Moved in from outside the folders: new here, so created. */
            watch_rekey_created(w, key, NULL, isdir);
            watch_mark_created(w, key);
            if (isdir)
                watch_add_tree(w, key, FALSE);
        }
    } else if (ev->mask & IN_DELETE) {
        watch_forget(w, key);
    }
}

/* Handle up to max events (0: all). TRUE when events may remain. */
static gboolean watch_drain(Watch *w, unsigned max)
{
    unsigned n = 0;
    struct inotify_event *ev;
    /* inotifytools_next_events(0, 1) never blocks: with timeout 0 it polls, and it returns the
     * events it has buffered before reading more. */
    while ((ev = inotifytools_next_events(0, 1))) {
        watch_handle(w, ev);
        if (max && ++n >= max)
            return TRUE;
    }
    int e = inotifytools_error();
    if (e && e != EINTR && e != EAGAIN)
        w->fallback |= WATCH_FALLBACK_INOTIFY;
    watch_resolve_move(w);
    return FALSE;
}

static gboolean watch_on_idle(gpointer data)
{
    Watch *w = data;
    if (watch_drain(w, WATCH_BATCH))
        return G_SOURCE_CONTINUE;
    w->idle_source = 0;
    return G_SOURCE_REMOVE;
}

static gboolean watch_on_inotify(gint fd, GIOCondition cond, gpointer data)
{
    Watch *w = data;
    if (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        w->fallback |= WATCH_FALLBACK_INOTIFY;
        w->fd_source = 0;
        return G_SOURCE_REMOVE;
    }
    /* A flood of events must not starve the rest of the daemon: what is left of a batch is
     * handled from an idle source (libinotifytools may hold it in its buffer, where the fd
     * would not show it). */
    if (watch_drain(w, WATCH_BATCH) && !w->idle_source)
        w->idle_source = g_idle_add(watch_on_idle, w);
    return G_SOURCE_CONTINUE;
}

/* ---- libinotifytools set-up ------------------------------------------------------------- */

static void watch_inotify_fds(GHashTable *set)
{
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    const char *name;
    if (!dir)
        return;
    while ((name = g_dir_read_name(dir))) {
        char link[64], path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%s", name);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        if (strcmp(link, "anon_inode:inotify") == 0)
            g_hash_table_add(set, GINT_TO_POINTER(atoi(name) + 1));
    }
}

/* Initialise libinotifytools and find its (private) inotify fd: the one that appears. */
static int watch_inotify_init(Watch *w)
{
    g_autoptr(GHashTable) before = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) after = g_hash_table_new(g_direct_hash, g_direct_equal);
    watch_inotify_fds(before);
    if (!inotifytools_initialize()) {
        int e = inotifytools_error();
        return e > 0 ? -e : -EIO;
    }
    watch_inotify_fds(after);
    int found = -1, n = 0;
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, after);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (!g_hash_table_contains(before, k)) {
            found = GPOINTER_TO_INT(k) - 1;
            n++;
        }
    /* libinotifytools waits with select(): an fd past FD_SETSIZE would overflow its fd_set. */
    if (n != 1 || found >= FD_SETSIZE) {
        inotifytools_cleanup();
        return n != 1 ? -EBUSY : -EMFILE;
    }
    /* The library opens it without O_CLOEXEC; no child of rentarkd may inherit it. */
    int fl = fcntl(found, F_GETFD);
    if (fl >= 0)
        (void)fcntl(found, F_SETFD, fl | FD_CLOEXEC);
    w->ifd = found;
    return 0;
}

gboolean watch_start(Watch *w, GError **error)
{
    g_return_val_if_fail(w && !w->started, FALSE);
    /* The coarse clock is what the kernel stamps files with: an entry created after this line
     * can never carry an earlier time (the fine clock could be a tick ahead of its stamps). */
    clock_gettime(CLOCK_REALTIME_COARSE, &w->start);
    w->started = TRUE;
    for (guint i = 0; i < w->n_roots; i++) {
        WatchRoot *root = &w->roots[i];
        struct stat st;
        root->fd = open(root->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (root->fd < 0 || fstat(root->fd, &st) < 0 ||
            watch_statx(root->fd, "", &root->mnt_id, NULL) < 0) {
            watch_problem(w, WATCH_ERROR_PARTIAL, "cannot open watched folder “%s”: %s",
                          root->path, g_strerror(errno));
            rk_closep(&root->fd);
            w->fallback |= WATCH_FALLBACK_UNWATCHED;
            continue;
        }
        root->dev = st.st_dev;
    }
    int r = watch_active ? -EBUSY : watch_inotify_init(w);
    if (r < 0) {
        watch_problem(w, WATCH_ERROR_INOTIFY, "cannot set up inotify: %s; folders are scanned "
                      "at the end instead", g_strerror(-r));
        w->fallback |= WATCH_FALLBACK_INOTIFY;
    } else {
        watch_active = w;
        w->running = TRUE;
        for (guint i = 0; i < w->n_roots; i++) {
            if (w->roots[i].fd < 0)
                continue;
            char key[16];
            snprintf(key, sizeof(key), "%u", i);
            watch_add_tree(w, key, TRUE);
        }
        w->fd_source = g_unix_fd_add(w->ifd, G_IO_IN | G_IO_ERR | G_IO_HUP, watch_on_inotify, w);
        if (w->fallback & WATCH_FALLBACK_LIMIT)
            watch_problem(w, WATCH_ERROR_LIMIT, "the inotify watch limit (fs.inotify."
                          "max_user_watches = %d) was reached; what is not watched is scanned "
                          "at the end", inotifytools_get_max_user_watches());
        else if (w->fallback & (WATCH_FALLBACK_UNWATCHED | WATCH_FALLBACK_MEMORY))
            watch_problem(w, WATCH_ERROR_PARTIAL, "some directories could not be watched; "
                          "they are scanned at the end");
    }
    if (w->problems->len) {
        g_set_error_literal(error, WATCH_ERROR, w->problem_code, w->problems->str);
        return FALSE;
    }
    return TRUE;
}

void watch_stop(Watch *w)
{
    if (!w || !w->running)
        return;
    if (w->fd_source)
        g_source_remove(w->fd_source);
    if (w->idle_source)
        g_source_remove(w->idle_source);
    w->fd_source = w->idle_source = 0;
    /* Drain completely: libinotifytools keeps unread events in a static buffer that would
     * otherwise be handed to the next instance. */
    watch_drain(w, 0);
    inotifytools_cleanup();
    w->ifd = -1;
    w->running = FALSE;
    watch_active = NULL;
}

/* ---- the end ----------------------------------------------------------------------------- */

static int watch_remove_key(Watch *w, const char *key, RmFlags flags, RmStats *st)
{
    const char *last = NULL;
    _cleanup_close_ int parent = watch_open_walk(w, key, &last, NULL);
    if (parent < 0) {
        /* The way there changed in a way no event told: the scan has to look. */
        if (parent != -EXDEV)
            w->fallback |= WATCH_FALLBACK_LOST;
        return parent == -ENOENT || parent == -ENOTDIR || parent == -ELOOP ? 0 : parent;
    }
    int r = rm_at(parent, last, flags, st);
    return r == -ENOENT ? 0 : r;
}

/* Remove below folder i everything born at or after the session start (and not removed by
 * key already). Explicit work list of directory keys; a directory is opened from the folder
 * each time, so the fds in use stay bounded whatever the depth. */
static int watch_scan_root(Watch *w, guint i, RmFlags flags, WatchStats *stats)
{
    int ret = 0;
    g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(todo, g_strdup_printf("%u", i));
    while (todo->len > 0) {
        g_autofree char *k = g_ptr_array_steal_index(todo, todo->len - 1);
        _cleanup_close_ int fd = watch_open_walk(w, k, NULL, NULL);
        if (fd < 0) {
            if (fd != -ENOENT && fd != -EXDEV)
                RK_KEEP_FIRST(ret, fd);
            continue;
        }
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        RK_KEEP_FIRST(ret, watch_list(fd, names));
        for (guint j = 0; j < names->len; j++) {
            const char *name = names->pdata[j];
            g_autofree char *child = g_strconcat(k, "/", name, NULL);
            struct statx stx;
            uint64_t mnt;
            if (g_hash_table_contains(w->created, child))
                continue; /* removed (or counted) by key already */
            int r = watch_statx(fd, name, &mnt, &stx);
            if (r < 0) {
                if (r != -ENOENT)
                    RK_KEEP_FIRST(ret, r);
                continue;
            }
            stats->scanned++;
            if (watch_born_in_session(w, &stx)) {
                r = rm_at(fd, name, flags, &stats->removed);
                if (r != -ENOENT)
                    RK_KEEP_FIRST(ret, r);
            } else if (S_ISDIR(stx.stx_mode)) {
                g_ptr_array_add(todo, g_steal_pointer(&child));
            }
        }
    }
    return ret;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int watch_finish(Watch *w, RmFlags flags, WatchStats *stats)
{
    WatchStats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof(*stats));
    if (!w || !w->started)
        return 0;
    watch_stop(w);

    int ret = 0;
    /* Sorted, so that a directory goes before anything recorded below it. */
    guint n = 0;
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(w->created, &n);
    qsort(keys, n, sizeof(*keys), cmp_key);
    for (guint i = 0; i < n; i++)
        RK_KEEP_FIRST(ret, watch_remove_key(w, keys[i], flags, &stats->removed));

    if (w->fallback) {
        for (guint i = 0; i < w->n_roots; i++) {
            WatchRoot *root = &w->roots[i];
            if (root->fd < 0) {
                /* Missing at the start: anything there now was made during the session. */
                struct stat st;
                root->fd = open(root->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (root->fd < 0 || fstat(root->fd, &st) < 0 ||
                    watch_statx(root->fd, "", &root->mnt_id, NULL) < 0) {
                    rk_closep(&root->fd);
                    continue;
                }
                root->dev = st.st_dev;
            }
            RK_KEEP_FIRST(ret, watch_scan_root(w, i, flags, stats));
        }
    }
    stats->recorded = n;
    stats->events = w->events;
    stats->fallback = w->fallback;
    return ret;
}

int watch_scan_since(char *const *paths, int64_t since_unix, RmFlags flags, WatchStats *stats)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(Watch) w = watch_new(paths, &error);
    if (!w)
        return -EINVAL;
    /* A Watch that was "started" at the session start but recorded nothing: watch_finish then
     * opens each folder and scans it by time (roots are still closed, as for folders missing
     * at the start). */
    w->start.tv_sec = (time_t)since_unix;
    w->start.tv_nsec = 0;
    w->started = TRUE;
    w->fallback = WATCH_FALLBACK_LOST;
    return watch_finish(w, flags, stats);
}

void watch_free(Watch *w)
{
    if (!w)
        return;
    watch_stop(w);
    for (guint i = 0; i < w->n_roots; i++) {
        rk_closep(&w->roots[i].fd);
        g_free(w->roots[i].path);
    }
    g_free(w->roots);
    g_hash_table_destroy(w->dirs);
    g_hash_table_destroy(w->inodes);
    g_hash_table_destroy(w->created);
    g_free(w->move_key);
    g_string_free(w->problems, TRUE);
    g_free(w);
}
