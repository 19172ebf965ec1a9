/* Tests of the watched folders, for real and as root: each test mounts a scratch tmpfs of its
 * own holding "shared" (the watched folder) and "outside" (never watched: symlink targets,
 * the other end of moves), and drives the daemon's GMainLoop by hand between file operations.
 * Whatever existed before a session must come out byte-identical; whatever was created during
 * it must be gone. */
#include "watch.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    char *shared, *outside;
    GMainLoop *loop;
} Scratch;

/* ---- /proc/sys values, restored whatever happens ----------------------------------------- */

#define QUEUED "/proc/sys/fs/inotify/max_queued_events"
#define WATCHES "/proc/sys/fs/inotify/max_user_watches"

static char saved_queued[32], saved_watches[32];

static void write_sys(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = write(fd, value, strlen(value));
        (void)n;
        close(fd);
    }
}

static void restore_sys(void)
{
    if (saved_queued[0])
        write_sys(QUEUED, saved_queued);
    if (saved_watches[0])
        write_sys(WATCHES, saved_watches);
}

/* A failed assertion aborts: put the machine's limits back first (async-signal-safe calls). */
static void on_fatal(int sig)
{
    restore_sys();
    signal(sig, SIG_DFL);
    raise(sig);
}

static gboolean save_sys(const char *path, char *buf, size_t size)
{
    g_autofree char *v = NULL;
    if (!g_file_get_contents(path, &v, NULL, NULL))
        return FALSE;
    g_strchomp(v);
    g_strlcpy(buf, v, size);
    signal(SIGABRT, on_fatal);
    signal(SIGSEGV, on_fatal);
    return access(path, W_OK) == 0;
}

/* ---- scratch file system ------------------------------------------------------------------- */

static gboolean scratch_setup(Scratch *s)
{
    if (geteuid() != 0) {
        g_test_skip("needs root: mounts a scratch tmpfs and removes files for real");
        return FALSE;
    }
    g_strlcpy(s->dir, "/tmp/rk-watch.XXXXXX", sizeof(s->dir));
    g_assert_nonnull(mkdtemp(s->dir));
    g_assert_cmpint(mount("tmpfs", s->dir, "tmpfs", 0, "size=64m,mode=0755"), ==, 0);
    s->shared = g_build_filename(s->dir, "shared", NULL);
    s->outside = g_build_filename(s->dir, "outside", NULL);
    g_assert_cmpint(mkdir(s->shared, 0777), ==, 0);
    g_assert_cmpint(mkdir(s->outside, 0755), ==, 0);
    s->loop = g_main_loop_new(NULL, FALSE);
    return TRUE;
}

static void scratch_teardown(Scratch *s)
{
    g_main_loop_unref(s->loop);
    g_free(s->shared);
    g_free(s->outside);
    g_assert_cmpint(umount2(s->dir, MNT_DETACH), ==, 0);
    g_assert_cmpint(rmdir(s->dir), ==, 0);
}

/* Run the daemon's main loop until nothing is pending (inotify queues events synchronously,
 * so everything done before the call is handled by it). */
static void pump(Scratch *s)
{
    GMainContext *ctx = g_main_loop_get_context(s->loop);
    while (g_main_context_iteration(ctx, FALSE))
        ;
}

static char *at(const char *dir, const char *rel)
{
    return g_build_filename(dir, rel, NULL);
}

static void put(const char *dir, const char *rel, const char *content)
{
    g_autofree char *p = at(dir, rel);
    g_assert_true(g_file_set_contents(p, content, -1, NULL));
}

static void mk(const char *dir, const char *rel)
{
    g_autofree char *p = at(dir, rel);
    g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
}

static gboolean exists(const char *dir, const char *rel)
{
    struct stat st;
    g_autofree char *p = at(dir, rel);
    return lstat(p, &st) == 0;
}

static void mv(const char *from_dir, const char *from, const char *to_dir, const char *to)
{
    g_autofree char *a = at(from_dir, from);
    g_autofree char *b = at(to_dir, to);
    g_assert_cmpint(rename(a, b), ==, 0);
}

static void snap_dir(GString *out, const char *path, const char *prefix);

/* g_ptr_array_sort hands pointers to the elements. */
static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per entry, sorted: name, type and mode, size, mtime, content hash or link target. */
static void snap_dir(GString *out, const char *path, const char *prefix)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    g_assert_nonnull(d);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, cmp_names);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *p = g_build_filename(path, name, NULL);
        g_autofree char *rel = g_strconcat(prefix, "/", name, NULL);
        struct stat st;
        g_assert_cmpint(lstat(p, &st), ==, 0);
        /* A directory's mtime changes whenever an entry in it goes, so it is left out. */
        g_string_append_printf(out, "%s %o %lld", rel, st.st_mode, (long long)st.st_size);
        if (!S_ISDIR(st.st_mode))
            g_string_append_printf(out, " %lld.%09ld", (long long)st.st_mtim.tv_sec,
                                   st.st_mtim.tv_nsec);
        if (S_ISREG(st.st_mode)) {
            g_autofree char *c = NULL;
            gsize len = 0;
            g_assert_true(g_file_get_contents(p, &c, &len, NULL));
            g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)c, len);
            g_string_append_printf(out, " %s\n", sum);
        } else if (S_ISLNK(st.st_mode)) {
            g_autofree char *t = g_file_read_link(p, NULL);
            g_string_append_printf(out, " -> %s\n", t);
        } else {
            g_string_append_c(out, '\n');
        }
        if (S_ISDIR(st.st_mode))
            snap_dir(out, p, rel);
    }
}

static char *snapshot(const char *path)
{
    GString *out = g_string_new(NULL);
    snap_dir(out, path, "");
    return g_string_free(out, FALSE);
}

/* Leave a clock tick between what exists before the session and its start: the start time is
 * taken from the coarse clock, which files are stamped with. */
static void before_start(void)
{
    g_usleep(30 * 1000);
}

static Watch *start(Scratch *s)
{
    char *paths[] = { s->shared, NULL };
    g_autoptr(GError) error = NULL;
    Watch *w = watch_new(paths, &error);
    g_assert_no_error(error);
    g_assert_true(watch_start(w, &error));
    g_assert_no_error(error);
    return w;
}

static void finish(Scratch *s, Watch *w, WatchStats *st, unsigned expect_fallback)
{
    pump(s);
    g_assert_cmpint(watch_finish(w, 0, st), ==, 0);
    g_assert_cmpuint(st->removed.errors, ==, 0);
    /* Without a reason to, no scan; with one, at least that reason. */
    if (expect_fallback)
        g_assert_cmpuint(st->fallback & expect_fallback, ==, expect_fallback);
    else
        g_assert_cmpuint(st->fallback, ==, 0);
    watch_free(w);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_preexisting(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    mk(s.shared, "docs/sub");
    put(s.shared, "report.txt", "quarterly\n");
    put(s.shared, "docs/a.txt", "a\n");
    put(s.shared, "docs/sub/b.txt", "b\n");
    put(s.shared, "modified.txt", "original\n");
    g_autofree char *untouched = snapshot(s.shared);
    before_start();
    Watch *w = start(&s);

    /* Modified during the session, but not created: it stays, as it is now. */
    g_autofree char *mp = at(s.shared, "modified.txt");
    FILE *f = fopen(mp, "a");
    g_assert_nonnull(f);
    fputs("appended by the guest\n", f);
    fclose(f);
    g_assert_cmpint(chmod(mp, 0600), ==, 0);
    put(s.shared, "new.txt", "guest\n");
    pump(&s);
    g_autofree char *b1 = at(s.shared, "new.txt");
    g_assert_cmpint(unlink(b1), ==, 0); /* created and deleted again: nothing to do */
    put(s.shared, "new2.txt", "guest\n");
    g_assert_true(exists(s.shared, "new2.txt"));
    g_autofree char *mid = snapshot(s.shared);

    WatchStats st;
    finish(&s, w, &st, 0);
    g_autofree char *after = snapshot(s.shared);
    g_assert_false(exists(s.shared, "new2.txt"));
    g_assert_true(exists(s.shared, "modified.txt"));
    g_autofree char *c = NULL;
    g_assert_true(g_file_get_contents(mp, &c, NULL, NULL));
    g_assert_cmpstr(c, ==, "original\nappended by the guest\n");
    /* Everything but the created file is byte-identical to what it was before finish. */
    g_autoptr(GString) expect = g_string_new(mid);
    char *line = strstr(expect->str, "/new2.txt ");
    g_assert_nonnull(line);
    char *eol = strchr(line, '\n');
    g_string_erase(expect, line - expect->str, eol - line + 1);
    g_assert_cmpstr(after, ==, expect->str);
    g_assert_cmpstr(untouched, !=, after); /* the modification is kept */
    g_assert_cmpuint(st.removed.files, ==, 1);
    scratch_teardown(&s);
}

static void test_top_level(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    put(s.shared, "keep", "old\n");
    g_autofree char *before = snapshot(s.shared);
    before_start();
    Watch *w = start(&s);
    put(s.shared, "scan-0001.pdf", "%PDF\n");
    put(s.shared, "scan-0002.pdf", "%PDF\n");
    put(s.shared, "odd\nname \xff", "x");
    mk(s.shared, "folder");
    put(s.shared, "folder/inside", "x");
    g_autofree char *fifo = at(s.shared, "pipe");
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    WatchStats st;
    finish(&s, w, &st, 0);
    g_autofree char *after = snapshot(s.shared);
    g_assert_cmpstr(after, ==, before);
    g_assert_cmpuint(st.removed.files, ==, 5);
    g_assert_cmpuint(st.removed.dirs, ==, 1);
    g_assert_cmpuint(st.recorded, ==, 5);
    scratch_teardown(&s);
}

/* mkdir -p a/b/c and files inside at once, before the daemon sees the first event: the new
 * directories are watched late and must be scanned for what was made before their watch. */
static void test_nested_fast(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    mk(s.shared, "pre");
    g_autofree char *before = snapshot(s.shared);
    before_start();
    Watch *w = start(&s);
    mk(s.shared, "a/b/c");
    put(s.shared, "a/b/c/deep.txt", "x");
    put(s.shared, "a/top.txt", "x");
    mk(s.shared, "pre/x/y/z");
    put(s.shared, "pre/x/y/z/f", "x");
    pump(&s);
    /* Made after the late watches exist: seen by events on the new directories. */
    put(s.shared, "a/b/late.txt", "x");
    mk(s.shared, "a/b/c/d");
    put(s.shared, "a/b/c/d/later.txt", "x");
    WatchStats st;
    finish(&s, w, &st, 0);
    g_autofree char *after = snapshot(s.shared);
    g_assert_cmpstr(after, ==, before);
    g_assert_cmpuint(st.recorded, ==, 2); /* a and pre/x: all the rest is inside them */
    g_assert_cmpuint(st.removed.dirs, ==, 7);
    g_assert_cmpuint(st.removed.files, ==, 5);
    scratch_teardown(&s);
}

static void test_preexisting_subdir(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    mk(s.shared, "team/2024");
    put(s.shared, "team/sibling1", "1");
    put(s.shared, "team/2024/sibling2", "2");
    g_autofree char *before = snapshot(s.shared);
    before_start();
    Watch *w = start(&s);
    put(s.shared, "team/guest.docx", "x");
    put(s.shared, "team/2024/guest.xlsx", "x");
    WatchStats st;
    finish(&s, w, &st, 0);
    g_autofree char *after = snapshot(s.shared);
    g_assert_cmpstr(after, ==, before);
    g_assert_true(exists(s.shared, "team/sibling1"));
    g_assert_true(exists(s.shared, "team/2024/sibling2"));
    g_assert_cmpuint(st.removed.files, ==, 2);
    scratch_teardown(&s);
}

static void test_symlinks(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    mk(s.outside, "secret-dir");
    put(s.outside, "secret-dir/x", "do not touch\n");
    put(s.outside, "secret", "do not touch\n");
    mk(s.shared, "pre");
    g_autofree char *out_before = snapshot(s.outside);
    g_autofree char *before = snapshot(s.shared);
    before_start();
    Watch *w = start(&s);
    g_autofree char *t1 = at(s.outside, "secret");
    g_autofree char *t2 = at(s.outside, "secret-dir");
    g_autofree char *l1 = at(s.shared, "link-file");
    g_autofree char *l2 = at(s.shared, "link-dir");
    g_autofree char *l3 = at(s.shared, "pre/link-up");
    g_assert_cmpint(symlink(t1, l1), ==, 0);
    g_assert_cmpint(symlink(t2, l2), ==, 0);
    g_assert_cmpint(symlink("../../outside", l3), ==, 0);
    /* Writing through the link changes the target: that is outside and not ours to undo, but
     * nothing there may be removed. */
    WatchStats st;
    finish(&s, w, &st, 0);
    g_autofree char *after = snapshot(s.shared);
    g_autofree char *out_after = snapshot(s.outside);
    g_assert_cmpstr(after, ==, before);
    g_assert_cmpstr(out_after, ==, out_before);
    g_assert_cmpuint(st.removed.files, ==, 3);
    scratch_teardown(&s);
}

/* Renames: a pre-existing entry renamed is NOT created and stays under its new name; a created
 * entry keeps being created wherever it goes in the folder, including over an older file. */
static void test_renames(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    put(s.shared, "old-name.txt", "pre\n");
    put(s.shared, "doc.txt", "pre doc\n");
    mk(s.shared, "olddir/inner");
    put(s.shared, "olddir/inner/f", "pre f\n");
    mk(s.shared, "target");
    put(s.shared, "leaving", "pre\n");
    before_start();
    Watch *w = start(&s);
    mv(s.shared, "old-name.txt", s.shared, "new-name.txt");          /* pre-existing: stays */
    mv(s.shared, "olddir", s.shared, "renamed-dir");                 /* pre-existing dir */
    put(s.shared, "renamed-dir/inner/guest", "x");                   /* created in it */
    put(s.shared, "doc.txt.tmp", "guest version\n");
    mv(s.shared, "doc.txt.tmp", s.shared, "doc.txt");                /* rename over: created */
    put(s.shared, "made-here", "x");
    mv(s.shared, "made-here", s.shared, "target/moved-there");      /* created, moved: created */
    put(s.outside, "from-outside", "x");
    mv(s.outside, "from-outside", s.shared, "target/from-outside"); /* moved in: created */
    mk(s.shared, "newdir/sub");
    pump(&s);
    put(s.shared, "newdir/sub/f", "x");
    mv(s.shared, "newdir", s.shared, "target/newdir2");              /* created dir, moved */
    put(s.shared, "target/newdir2/sub/g", "x");
    mv(s.shared, "leaving", s.outside, "left");                      /* moved out */
    pump(&s);
    WatchStats st;
    finish(&s, w, &st, 0);
    g_assert_true(exists(s.shared, "new-name.txt"));
    g_assert_true(exists(s.shared, "renamed-dir/inner/f"));
    g_assert_false(exists(s.shared, "renamed-dir/inner/guest"));
    g_assert_false(exists(s.shared, "doc.txt"));
    g_assert_false(exists(s.shared, "target/moved-there"));
    g_assert_false(exists(s.shared, "target/from-outside"));
    g_assert_false(exists(s.shared, "target/newdir2"));
    g_assert_true(exists(s.shared, "target"));
    g_assert_true(exists(s.outside, "left"));
    g_autofree char *c = NULL;
    g_autofree char *p = at(s.shared, "renamed-dir/inner/f");
    g_assert_true(g_file_get_contents(p, &c, NULL, NULL));
    g_assert_cmpstr(c, ==, "pre f\n");
    scratch_teardown(&s);
}

static void test_dry_run(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    before_start();
    Watch *w = start(&s);
    mk(s.shared, "d");
    put(s.shared, "d/f", "12345");
    put(s.shared, "g", "1");
    pump(&s);
    g_autofree char *before = snapshot(s.shared);
    WatchStats st;
    g_assert_cmpint(watch_finish(w, RM_DRY_RUN, &st), ==, 0);
    watch_free(w);
    g_autofree char *after = snapshot(s.shared);
    g_assert_cmpstr(after, ==, before);
    g_assert_cmpuint(st.removed.files, ==, 2);
    g_assert_cmpuint(st.removed.dirs, ==, 1);
    scratch_teardown(&s);
}

/* The queue overflows (max_queued_events lowered while the instance is created, restored at
 * once): events are lost, and the scan by birth time must still remove everything created. */
static void test_overflow(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    if (!save_sys(QUEUED, saved_queued, sizeof(saved_queued))) {
        g_test_skip("cannot change " QUEUED);
        scratch_teardown(&s);
        return;
    }
    mk(s.shared, "pre/sub");
    put(s.shared, "pre/keep", "keep\n");
    put(s.shared, "keep", "keep\n");
    g_autofree char *before = snapshot(s.shared);
    before_start();
    char *paths[] = { s.shared, NULL };
    Watch *w = watch_new(paths, NULL);
    g_autoptr(GError) error = NULL;
    write_sys(QUEUED, "16");
    gboolean ok = watch_start(w, &error);
    restore_sys();
    saved_queued[0] = '\0';
    g_assert_no_error(error);
    g_assert_true(ok);
    for (int i = 0; i < 200; i++) {
        g_autofree char *n = g_strdup_printf("file-%03d", i);
        put(s.shared, n, "x");
    }
    mk(s.shared, "burst/a/b");
    put(s.shared, "burst/a/b/f", "x");
    put(s.shared, "pre/sub/new", "x");
    WatchStats st;
    finish(&s, w, &st, WATCH_FALLBACK_OVERFLOW);
    g_autofree char *after = snapshot(s.shared);
    g_assert_cmpstr(after, ==, before);
    g_assert_cmpuint(st.scanned, >, 0);
    scratch_teardown(&s);
}

/* Watches held by root right now, over every process (max_user_watches counts per user). */
static long root_watches(void)
{
    long n = 0;
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *pid;
    while (proc && (pid = g_dir_read_name(proc))) {
        if (!g_ascii_isdigit(pid[0]))
            continue;
        g_autofree char *pdir = g_strdup_printf("/proc/%s", pid);
        struct stat st;
        if (stat(pdir, &st) < 0 || st.st_uid != 0)
            continue;
        g_autofree char *fdinfo = g_strdup_printf("/proc/%s/fdinfo", pid);
        g_autoptr(GDir) fds = g_dir_open(fdinfo, 0, NULL);
        const char *fd;
        while (fds && (fd = g_dir_read_name(fds))) {
            g_autofree char *p = g_strdup_printf("%s/%s", fdinfo, fd);
            g_autofree char *c = NULL;
            if (!g_file_get_contents(p, &c, NULL, NULL))
                continue;
            for (char *q = c; (q = strstr(q, "inotify wd:")); q++)
                n++;
        }
    }
    return n;
}

/* The watch limit is reached half-way through the folder: watch_start says so (for the caller
 * to log) and the scan covers what is not watched. */
static void test_watch_limit(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    if (!save_sys(WATCHES, saved_watches, sizeof(saved_watches))) {
        g_test_skip("cannot change " WATCHES);
        scratch_teardown(&s);
        return;
    }
    for (int i = 0; i < 12; i++) {
        g_autofree char *n = g_strdup_printf("dir%02d/sub", i);
        mk(s.shared, n);
    }
    put(s.shared, "dir00/keep", "keep\n");
    g_autofree char *before = snapshot(s.shared);
    before_start();
    char *paths[] = { s.shared, NULL };
    Watch *w = watch_new(paths, NULL);
    g_autoptr(GError) error = NULL;
    char limit[32];
    snprintf(limit, sizeof(limit), "%ld", root_watches() + 4);
    write_sys(WATCHES, limit);
    gboolean ok = watch_start(w, &error);
    restore_sys();
    saved_watches[0] = '\0';
    g_assert_false(ok);
    g_assert_error(error, WATCH_ERROR, WATCH_ERROR_LIMIT);
    g_test_message("watch_start: %s", error->message);
    for (int i = 0; i < 12; i++) {
        g_autofree char *n = g_strdup_printf("dir%02d/sub/guest-%d", i, i);
        put(s.shared, n, "x");
    }
    put(s.shared, "top", "x");
    WatchStats st;
    pump(&s);
    g_assert_cmpint(watch_finish(w, 0, &st), ==, 0);
    watch_free(w);
    g_assert_true(st.fallback & WATCH_FALLBACK_LIMIT);
    g_autofree char *after = snapshot(s.shared);
    g_assert_cmpstr(after, ==, before);
    g_assert_cmpuint(st.removed.files, ==, 13);
    scratch_teardown(&s);
}

/* A folder missing at the start and created during the session is scanned at the end. */
static void test_missing_folder(void)
{
    Scratch s;
    if (!scratch_setup(&s))
        return;
    g_autofree char *later = at(s.dir, "later");
    char *paths[] = { s.shared, later, NULL };
    g_autoptr(GError) error = NULL;
    Watch *w = watch_new(paths, &error);
    g_assert_no_error(error);
    put(s.shared, "keep", "x");
    before_start();
    g_assert_false(watch_start(w, &error));
    g_assert_error(error, WATCH_ERROR, WATCH_ERROR_PARTIAL);
    g_assert_cmpint(mkdir(later, 0755), ==, 0);
    put(later, "guest", "x");
    put(s.shared, "guest", "x");
    WatchStats st;
    pump(&s);
    g_assert_cmpint(watch_finish(w, 0, &st), ==, 0);
    watch_free(w);
    g_assert_true(st.fallback & WATCH_FALLBACK_UNWATCHED);
    g_assert_false(exists(later, "guest"));
    g_assert_false(exists(s.shared, "guest"));
    g_assert_true(exists(s.shared, "keep"));
    scratch_teardown(&s);
}

static void test_relative_path(void)
{
    char *paths[] = { (char *)"relative/dir", NULL };
    g_autoptr(GError) error = NULL;
    g_assert_null(watch_new(paths, &error));
    g_assert_error(error, WATCH_ERROR, WATCH_ERROR_PARTIAL);
    /* Never started: nothing to do, nothing removed. */
    g_autoptr(Watch) w = watch_new(NULL, NULL);
    WatchStats st;
    g_assert_cmpint(watch_finish(w, 0, &st), ==, 0);
    g_assert_cmpuint(st.removed.files, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    atexit(restore_sys);
    g_test_add_func("/watch/preexisting-untouched", test_preexisting);
    g_test_add_func("/watch/top-level", test_top_level);
    g_test_add_func("/watch/nested-fast", test_nested_fast);
    g_test_add_func("/watch/preexisting-subdir", test_preexisting_subdir);
    g_test_add_func("/watch/symlinks", test_symlinks);
    g_test_add_func("/watch/renames", test_renames);
    g_test_add_func("/watch/dry-run", test_dry_run);
    g_test_add_func("/watch/overflow", test_overflow);
    g_test_add_func("/watch/watch-limit", test_watch_limit);
    g_test_add_func("/watch/missing-folder", test_missing_folder);
    g_test_add_func("/watch/relative-path", test_relative_path);
    return g_test_run();
}
