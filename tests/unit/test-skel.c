/* Tests of agent/skel.c: copy a skeleton into a home, compare a home with it.
 *
 * Every test works in a scratch tmpfs of its own (mkdtemp under /tmp, mounted, unmounted and
 * removed at the end) and uses uid:gid 60001:60001, which need not exist. The whole process
 * runs in a private mount namespace, so that a test that aborts half-way cannot leave a mount
 * behind on the host. Needs root (mounts, chown); otherwise every test is skipped. The /skel/overlay
 * tests run the same on an overlayfs laid over the scratch (see overlay_over). */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skel.h"
#include "util.h"

#define UID 60001
#define GID 60001
#define SENTINEL "SENTINEL: content that must never be copied or changed\n"
#define BIG_SIZE (1024 * 1024)

/* The scratch directory in use, for the abort handler. */
static const char *volatile scratch_live;

/* A failed assertion (or the alarm of a compare that blocked) kills the process: take the
 * scratch tmpfs and its directory along, with async-signal-safe calls only. */
static void on_fatal_signal(int sig)
{
    const char *root = scratch_live;
    if (root) {
        /* An overlay over the scratch (overlay_over) is stacked on it: every layer goes. */
        while (umount2(root, MNT_DETACH) == 0)
            ;
        rmdir(root);
    }
    raise(sig);
}

typedef struct {
    char *root;     /* the scratch tmpfs */
    char *sentinel; /* a file outside both trees that links point to */
    int skelfd, homefd;
    bool overlay;   /* an overlayfs is mounted over root (overlay_over) */
} Scratch;

static char *path_of(const Scratch *s, const char *rel)
{
    return g_build_filename(s->root, rel, NULL);
}

static void put(const Scratch *s, const char *rel, const void *data, size_t len, mode_t mode)
{
    g_autofree char *p = path_of(s, rel);
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(rk_write_all(fd, data, len), ==, 0);
    g_assert_cmpint(fchmod(fd, mode), ==, 0);
}

static void put_str(const Scratch *s, const char *rel, const char *text, mode_t mode)
{
    put(s, rel, text, strlen(text), mode);
}

static void mk(const Scratch *s, const char *rel, mode_t mode)
{
    g_autofree char *p = path_of(s, rel);
    g_assert_cmpint(mkdir(p, 0700), ==, 0);
    g_assert_cmpint(chmod(p, mode), ==, 0);
}

static void ln(const Scratch *s, const char *target, const char *rel)
{
    g_autofree char *p = path_of(s, rel);
    g_assert_cmpint(symlink(target, p), ==, 0);
}

static void rm(const Scratch *s, const char *rel)
{
    g_autofree char *p = path_of(s, rel);
    g_assert_cmpint(unlink(p), ==, 0);
}

static char *big_content(void)
{
    char *b = g_malloc(BIG_SIZE);
    for (size_t i = 0; i < BIG_SIZE; i++)
        b[i] = (char)(i * 31 + 7);
    return b;
}

/* A skeleton as a library would ship it. */
static void build_skeleton(const Scratch *s)
{
    g_autofree char *big = big_content();

    put_str(s, "skel/.bashrc", "# ~/.bashrc\nalias ll='ls -l'\nPS1='\\u@\\h:\\w\\$ '\n", 0644);
    put_str(s, "skel/.profile", "# ~/.profile\n[ -f ~/.bashrc ] && . ~/.bashrc\n", 0644);
    put_str(s, "skel/.netrc", "", 0600);
    mk(s, "skel/.config", 0755);
    mk(s, "skel/.config/autostart", 0755);
    put_str(s, "skel/.config/autostart/notice.desktop",
            "[Desktop Entry]\nType=Application\nExec=rentark-session\n", 0644);
    mk(s, "skel/.config/empty", 0755);
    mk(s, "skel/.mozilla", 0755);
    mk(s, "skel/.mozilla/firefox", 0755);
    put_str(s, "skel/.mozilla/firefox/policies.json",
            "{\"policies\": {\"OfferToSaveLogins\": false, \"DisableFirefoxAccounts\": true,\n"
            "  \"SanitizeOnShutdown\": true}}\n",
            0644);
    mk(s, "skel/.private", 0700);
    put_str(s, "skel/.private/key", "not a real key\n", 0600);
    mk(s, "skel/bin", 0755);
    put_str(s, "skel/bin/hello", "#!/bin/sh\necho hello\n", 04755);
    put(s, "skel/big.bin", big, BIG_SIZE, 0644);
    ln(s, "/nonexistent/rentark-test/target", "skel/.link-abs");
    ln(s, ".bashrc", "skel/.link-in");
    ln(s, s->sentinel, "skel/.link-out");
}

static void scratch_free(Scratch *s)
{
    if (!s)
        return;
    rk_closep(&s->skelfd);
    rk_closep(&s->homefd);
    if (s->overlay) {
        /* The overlay first; then its upper tmpfs, at rw/ of the scratch it covered. */
        g_autofree char *rw = path_of(s, "rw");
        if (umount2(s->root, 0) < 0)
            g_assert_cmpint(umount2(s->root, MNT_DETACH), ==, 0);
        g_assert_cmpint(umount2(rw, 0), ==, 0);
    }
    scratch_live = NULL;
    /* A plain unmount first; a lazy one if a test left a mount inside. */
    if (umount2(s->root, 0) < 0)
        g_assert_cmpint(umount2(s->root, MNT_DETACH), ==, 0);
    g_assert_cmpint(rmdir(s->root), ==, 0);
    g_free(s->root);
    g_free(s->sentinel);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scratch, scratch_free)

/* NULL (and the test skipped) when it cannot run here. */
static Scratch *scratch_new(bool with_skeleton)
{
    if (geteuid() != 0) {
        g_test_skip("needs root: mounts a tmpfs and chowns to arbitrary uids");
        return NULL;
    }
    Scratch *s = g_new0(Scratch, 1);
    s->skelfd = s->homefd = -1;
    s->root = g_strdup("/tmp/test-skel.XXXXXX");
    g_assert_nonnull(mkdtemp(s->root));
    if (mount("tmpfs", s->root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0755") < 0) {
        g_test_skip("cannot mount a tmpfs here");
        rmdir(s->root);
        g_free(s->root);
        g_free(s);
        return NULL;
    }
    scratch_live = s->root;
    mk(s, "skel", 0755);
    mk(s, "home", 0755);
    mk(s, "outside", 0755);
    s->sentinel = path_of(s, "outside/sentinel");
    put_str(s, "outside/sentinel", SENTINEL, 0644);
    if (with_skeleton)
        build_skeleton(s);

    g_autofree char *skel = path_of(s, "skel");
    g_autofree char *home = path_of(s, "home");
    s->skelfd = open(skel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->homefd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(s->skelfd, >=, 0);
    g_assert_cmpint(s->homefd, >=, 0);
    return s;
}

/* Make the scratch the root of a live system or a container: an overlayfs without xino laid
 * over it (the scratch tmpfs is its lower layer, a second tmpfs at rw/ holds the upper one),
 * so that skel/, home/ and outside/ are seen through the overlay. Its directories report the
 * overlay's device, its files the device of their layer: the skeleton's the lower one's,
 * whatever the copy makes the upper one's. The home's device then says nothing about a mount
 * below it; only the mount id does. false (and the test skipped) where that cannot be shown. */
static bool overlay_over(Scratch *s)
{
    g_autofree char *rw = path_of(s, "rw");
    g_autofree char *skel = path_of(s, "skel");
    g_autofree char *home = path_of(s, "home");
    struct stat dir, file;

    mk(s, "rw", 0755);
    g_assert_cmpint(mount("tmpfs", rw, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0755"), ==, 0);
    mk(s, "rw/upper", 0755);
    mk(s, "rw/work", 0755);
    g_autofree char *opts = g_strdup_printf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work,xino=off",
                                            s->root, rw, rw);
    if (mount("rk-test", s->root, "overlay", MS_NOSUID | MS_NODEV, opts) < 0) {
        g_autofree char *why = g_strdup_printf("cannot mount an overlayfs here: %s", g_strerror(errno));
        g_test_skip(why);
        g_assert_cmpint(umount2(rw, 0), ==, 0);
        return false;
    }
    s->overlay = true;
    rk_closep(&s->skelfd);
    rk_closep(&s->homefd);
    s->skelfd = open(skel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->homefd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(s->skelfd, >=, 0);
    g_assert_cmpint(s->homefd, >=, 0);

    g_assert_cmpint(fstat(s->skelfd, &dir), ==, 0);
    g_assert_cmpint(fstatat(s->skelfd, ".bashrc", &file, AT_SYMLINK_NOFOLLOW), ==, 0);
    if (file.st_dev == dir.st_dev) {
        g_test_skip("this kernel shows an overlay's files with the overlay's device: nothing to show");
        return false;
    }
    return true;
}

static void assert_sentinel_intact(const Scratch *s)
{
    g_autofree char *data = NULL;
    struct stat st;

    g_assert_true(g_file_get_contents(s->sentinel, &data, NULL, NULL));
    g_assert_cmpstr(data, ==, SENTINEL);
    g_assert_cmpint(stat(s->sentinel, &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0644);
}

static void assert_equal(const Scratch *s)
{
    SkelDiff d;
    g_assert_cmpint(skel_compare(s->skelfd, s->homefd, UID, GID, &d), ==, 0);
    g_assert_cmpuint(skel_diff_total(&d), ==, 0);
}

static void test_copy_then_compare(void)
{
    g_autoptr(Scratch) s = scratch_new(true);
    if (!s)
        return;
    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, 0);
    assert_equal(s);
    /* diff may be NULL. */
    g_assert_cmpint(skel_compare(s->skelfd, s->homefd, UID, GID, NULL), ==, 0);
    g_assert_cmpuint(skel_diff_total(NULL), ==, 0);
}

/* A live system or a container: skeleton and home on a plain overlayfs, where every file the
 * copy makes shows a device other than the home's. The copy still equals the skeleton. */
static void test_overlay_copy_then_compare(void)
{
    g_autoptr(Scratch) s = scratch_new(true);
    struct stat home, file;

    if (!s || !overlay_over(s))
        return;
    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, 0);
    g_assert_cmpint(fstat(s->homefd, &home), ==, 0);
    g_assert_cmpint(fstatat(s->homefd, ".config/autostart/notice.desktop", &file, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpuint(file.st_dev, !=, home.st_dev);
    assert_equal(s);
    g_assert_cmpint(skel_compare(s->skelfd, s->homefd, UID, GID, NULL), ==, 0);
}

static void test_owners_modes_contents(void)
{
    static const struct {
        const char *rel;
        mode_t mode;
    } want[] = {
        { "home", S_IFDIR | 0700 },
        { "home/.bashrc", S_IFREG | 0644 },
        { "home/.netrc", S_IFREG | 0600 },
        { "home/.config", S_IFDIR | 0755 },
        { "home/.config/empty", S_IFDIR | 0755 },
        { "home/.config/autostart/notice.desktop", S_IFREG | 0644 },
        { "home/.mozilla/firefox/policies.json", S_IFREG | 0644 },
        { "home/.private", S_IFDIR | 0700 },
        { "home/.private/key", S_IFREG | 0600 },
        { "home/bin/hello", S_IFREG | 0755 }, /* setuid dropped */
        { "home/big.bin", S_IFREG | 0644 },
        { "home/.link-abs", S_IFLNK },
        { "home/.link-in", S_IFLNK },
    };
    g_autoptr(Scratch) s = scratch_new(true);
    if (!s)
        return;
    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, 0);

    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        g_autofree char *p = path_of(s, want[i].rel);
        struct stat st;
        g_assert_cmpint(lstat(p, &st), ==, 0);
        g_assert_cmpuint(st.st_uid, ==, UID);
        g_assert_cmpuint(st.st_gid, ==, GID);
        g_assert_cmpuint(st.st_mode & S_IFMT, ==, want[i].mode & S_IFMT);
        if (!S_ISLNK(st.st_mode))
            g_assert_cmpuint(st.st_mode & 07777, ==, want[i].mode & 07777);
    }

    g_autofree char *big = big_content();
    g_autofree char *copy = NULL;
    g_autofree char *p = path_of(s, "home/big.bin");
    gsize len = 0;
    g_assert_true(g_file_get_contents(p, &copy, &len, NULL));
    g_assert_cmpuint(len, ==, BIG_SIZE);
    g_assert_cmpmem(copy, len, big, BIG_SIZE);

    g_autofree char *empty = path_of(s, "home/.netrc");
    struct stat st;
    g_assert_cmpint(stat(empty, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 0);
}

static void assert_link(const Scratch *s, const char *rel, const char *target)
{
    g_autofree char *p = path_of(s, rel);
    g_autofree char *t = g_file_read_link(p, NULL);
    g_assert_cmpstr(t, ==, target);
}

static void test_symlinks_copied_as_links(void)
{
    g_autoptr(Scratch) s = scratch_new(true);
    if (!s)
        return;
    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, 0);
    assert_link(s, "home/.link-abs", "/nonexistent/rentark-test/target");
    assert_link(s, "home/.link-in", ".bashrc");
    assert_link(s, "home/.link-out", s->sentinel);
    /* Not followed: the sentinel is untouched (content, owner, mode) and no regular file
     * holding its content appeared in the home. */
    assert_sentinel_intact(s);
    g_autofree char *outside = path_of(s, "outside");
    g_autoptr(GDir) dir = g_dir_open(outside, 0, NULL);
    g_assert_nonnull(dir);
    g_assert_cmpstr(g_dir_read_name(dir), ==, "sentinel");
    g_assert_null(g_dir_read_name(dir));
}

/* ---- one kind of difference at a time --------------------------------------------------- */

typedef struct {
    const char *name;
    void (*mutate)(Scratch *s);
    void (*undo)(Scratch *s);
    SkelDiff want;
} DiffCase;

static void m_extra_file(Scratch *s) { put_str(s, "home/notes.txt", "guest data\n", 0644); }
static void m_extra_deep_file(Scratch *s)
{
    put_str(s, "home/.mozilla/firefox/cookies.sqlite", "guest data\n", 0644);
}
static void m_extra_hidden_dir(Scratch *s)
{
    mk(s, "home/.cache", 0700);
    mk(s, "home/.cache/thumbnails", 0700);
    put_str(s, "home/.cache/thumbnails/a.png", "png", 0600);
    put_str(s, "home/.cache/b", "b", 0600);
}
static void m_missing_file(Scratch *s) { rm(s, "home/.profile"); }
static void m_missing_dir(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.config/empty");
    g_assert_cmpint(rmdir(p), ==, 0);
}
static void m_content_same_size(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.bashrc");
    g_autofree char *data = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(p, &data, &len, NULL));
    data[0] ^= 1;
    put(s, "home/.bashrc", data, len, 0644);
}
static void m_big_last_byte(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/big.bin");
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, "X", 1, BIG_SIZE - 1), ==, 1);
}
static void m_size(Scratch *s)
{
    put_str(s, "home/.profile", "# ~/.profile\n[ -f ~/.bashrc ] && . ~/.bashrc\nexport X=1\n", 0644);
}
static void m_mode(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.netrc");
    g_assert_cmpint(chmod(p, 0644), ==, 0);
}
static void m_dir_mode(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.private");
    g_assert_cmpint(chmod(p, 0755), ==, 0);
}
static void m_owner(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.config/autostart/notice.desktop");
    g_assert_cmpint(lchown(p, 0, GID), ==, 0);
}
static void m_link_owner(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.link-in");
    g_assert_cmpint(lchown(p, UID, 0), ==, 0);
}
static void m_file_to_link(Scratch *s)
{
    rm(s, "home/.profile");
    ln(s, ".bashrc", "home/.profile");
    g_autofree char *p = path_of(s, "home/.profile");
    g_assert_cmpint(lchown(p, UID, GID), ==, 0);
}
static void m_retarget(Scratch *s)
{
    rm(s, "home/.link-in");
    ln(s, ".profil", "home/.link-in"); /* one byte shorter */
    g_autofree char *p = path_of(s, "home/.link-in");
    g_assert_cmpint(lchown(p, UID, GID), ==, 0);
}
static void m_extra_fifo(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.config/pipe");
    g_assert_cmpint(mkfifo(p, 0600), ==, 0);
}
static void m_file_to_fifo(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.bashrc");
    rm(s, "home/.bashrc");
    g_assert_cmpint(mkfifo(p, 0644), ==, 0);
    g_assert_cmpint(chown(p, UID, GID), ==, 0);
}
static void bind_outside(Scratch *s, const char *rel)
{
    g_autofree char *src = path_of(s, "outside");
    g_autofree char *p = path_of(s, rel);
    put_str(s, "outside/from-mount", "must not be read\n", 0644);
    g_assert_cmpint(mount(src, p, NULL, MS_BIND, NULL), ==, 0);
}
static void unbind(Scratch *s, const char *rel)
{
    g_autofree char *p = path_of(s, rel);
    g_assert_cmpint(umount2(p, 0), ==, 0);
}
static void m_mount_extra(Scratch *s)
{
    mk(s, "home/usb", 0700);
    bind_outside(s, "home/usb");
}
static void u_mount_extra(Scratch *s) { unbind(s, "home/usb"); }
static void m_mount_over_skel_dir(Scratch *s) { bind_outside(s, "home/.config"); }
static void u_mount_over_skel_dir(Scratch *s) { unbind(s, "home/.config"); }
static void m_tmpfs_over_skel_dir(Scratch *s)
{
    g_autofree char *p = path_of(s, "home/.config");
    g_assert_cmpint(mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755"), ==, 0);
}
/* A mount that differs in nothing else: the same directory or file bound onto itself keeps its
 * device, inode, owner, mode and content; only its mount tells it apart. */
static void bind_self(Scratch *s, const char *rel)
{
    g_autofree char *p = path_of(s, rel);
    g_assert_cmpint(mount(p, p, NULL, MS_BIND, NULL), ==, 0);
}
static void m_dir_bound_on_itself(Scratch *s) { bind_self(s, "home/.config"); }
static void m_file_bound_on_itself(Scratch *s) { bind_self(s, "home/.bashrc"); }
static void u_bashrc(Scratch *s) { unbind(s, "home/.bashrc"); }
static void m_home_mode(Scratch *s) { g_assert_cmpint(fchmod(s->homefd, 0755), ==, 0); }
static void m_home_owner(Scratch *s) { g_assert_cmpint(fchown(s->homefd, 0, 0), ==, 0); }

static const DiffCase diff_cases[] = {
    { "extra-file", m_extra_file, NULL, { .extra = 1 } },
    { "extra-deep-file", m_extra_deep_file, NULL, { .extra = 1 } },
    { "extra-hidden-dir", m_extra_hidden_dir, NULL, { .extra = 1 } },
    { "missing-file", m_missing_file, NULL, { .missing = 1 } },
    { "missing-dir", m_missing_dir, NULL, { .missing = 1 } },
    { "content-same-size", m_content_same_size, NULL, { .content = 1 } },
    { "content-big-last-byte", m_big_last_byte, NULL, { .content = 1 } },
    { "content-size", m_size, NULL, { .content = 1 } },
    { "mode", m_mode, NULL, { .mode = 1 } },
    { "dir-mode", m_dir_mode, NULL, { .mode = 1 } },
    { "owner", m_owner, NULL, { .owner = 1 } },
    { "link-owner", m_link_owner, NULL, { .owner = 1 } },
    { "file-to-symlink", m_file_to_link, NULL, { .type = 1 } },
    { "symlink-retargeted", m_retarget, NULL, { .content = 1 } },
    { "extra-fifo", m_extra_fifo, NULL, { .extra = 1 } },
    { "file-to-fifo", m_file_to_fifo, NULL, { .type = 1 } },
    { "mount-extra", m_mount_extra, u_mount_extra, { .extra = 1 } },
    { "mount-over-skel-dir", m_mount_over_skel_dir, u_mount_over_skel_dir, { .extra = 1 } },
    { "tmpfs-over-skel-dir", m_tmpfs_over_skel_dir, u_mount_over_skel_dir, { .extra = 1 } },
    { "dir-bound-on-itself", m_dir_bound_on_itself, u_mount_over_skel_dir, { .extra = 1 } },
    { "file-bound-on-itself", m_file_bound_on_itself, u_bashrc, { .extra = 1 } },
    { "home-mode", m_home_mode, NULL, { .mode = 1 } },
    { "home-owner", m_home_owner, NULL, { .owner = 1 } },
};

static void run_diff(const DiffCase *c, bool overlay)
{
    g_autoptr(Scratch) s = scratch_new(true);
    SkelDiff d;
    int r;

    if (!s || (overlay && !overlay_over(s)))
        return;
    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, 0);
    assert_equal(s);
    c->mutate(s);
    /* A compare that blocked (on a FIFO) would hang the suite: it dies instead. */
    alarm(30);
    r = skel_compare(s->skelfd, s->homefd, UID, GID, &d);
    alarm(0);
    if (c->undo)
        c->undo(s);
    g_assert_cmpint(r, ==, 1);
    g_assert_cmpuint(d.missing, ==, c->want.missing);
    g_assert_cmpuint(d.extra, ==, c->want.extra);
    g_assert_cmpuint(d.type, ==, c->want.type);
    g_assert_cmpuint(d.mode, ==, c->want.mode);
    g_assert_cmpuint(d.owner, ==, c->want.owner);
    g_assert_cmpuint(d.content, ==, c->want.content);
    g_assert_cmpuint(d.unreadable, ==, c->want.unreadable);
    g_assert_cmpuint(skel_diff_total(&d), ==, skel_diff_total(&c->want));
    assert_sentinel_intact(s);
}

static void test_diff(gconstpointer data)
{
    run_diff(data, false);
}

/* The same differences on a plain overlayfs: none lost (a mount below the home still counts
 * as one and is never entered), none made up from the devices of its files. */
static void test_overlay_diff(gconstpointer data)
{
    run_diff(data, true);
}

/* ---- copy refuses what it must not do --------------------------------------------------- */

static void test_copy_no_write_through(void)
{
    g_autoptr(Scratch) s = scratch_new(true);
    if (!s)
        return;
    put_str(s, "home/.bashrc", "guest's own\n", 0644);
    ln(s, s->sentinel, "home/.profile");

    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, -EEXIST);

    g_autofree char *p = path_of(s, "home/.bashrc");
    g_autofree char *data = NULL;
    g_assert_true(g_file_get_contents(p, &data, NULL, NULL));
    g_assert_cmpstr(data, ==, "guest's own\n");
    assert_sentinel_intact(s);
    /* Keep going: the rest of the skeleton was still copied. */
    g_autofree char *q = path_of(s, "home/.mozilla/firefox/policies.json");
    g_assert_true(g_file_test(q, G_FILE_TEST_IS_REGULAR));
}

static void test_copy_planted_dir_symlink(void)
{
    g_autoptr(Scratch) s = scratch_new(true);
    if (!s)
        return;
    g_autofree char *victim = path_of(s, "outside/victim");
    mk(s, "outside/victim", 0755);
    ln(s, victim, "home/.config");

    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, -EEXIST);

    g_autoptr(GDir) dir = g_dir_open(victim, 0, NULL);
    g_assert_nonnull(dir);
    g_assert_null(g_dir_read_name(dir));
    struct stat st;
    g_assert_cmpint(stat(victim, &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0755);
    assert_sentinel_intact(s);

    SkelDiff d;
    g_assert_cmpint(skel_compare(s->skelfd, s->homefd, UID, GID, &d), ==, 1);
    g_assert_cmpuint(d.type, ==, 1);
}

static void test_skeleton_fifo_refused(void)
{
    g_autoptr(Scratch) s = scratch_new(true);
    if (!s)
        return;
    g_autofree char *p = path_of(s, "skel/.config/pipe");
    g_assert_cmpint(mkfifo(p, 0644), ==, 0);

    alarm(30);
    g_assert_cmpint(skel_copy(s->skelfd, s->homefd, UID, GID), ==, -EINVAL);
    g_assert_cmpint(skel_compare(s->skelfd, s->homefd, UID, GID, NULL), ==, -EINVAL);
    alarm(0);
    g_autofree char *q = path_of(s, "home/.config/pipe");
    struct stat st;
    g_assert_cmpint(lstat(q, &st), ==, -1);
    g_autofree char *r = path_of(s, "home/.bashrc");
    g_assert_true(g_file_test(r, G_FILE_TEST_IS_REGULAR));
}

/* The skeleton on another file system than the home (the usual case: /etc/rentark/skel to a
 * tmpfs home), where the in-kernel copy may not be offered. */
static void test_copy_across_file_systems(void)
{
    g_autoptr(Scratch) s = scratch_new(true);
    if (!s)
        return;
    g_autofree char *p = path_of(s, "home");
    g_assert_cmpint(mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755"), ==, 0);
    _cleanup_close_ int homefd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r1 = skel_copy(s->skelfd, homefd, UID, GID);
    int r2 = skel_compare(s->skelfd, homefd, UID, GID, NULL);
    rk_closep(&homefd);
    g_assert_cmpint(umount2(p, 0), ==, 0);
    g_assert_cmpint(r1, ==, 0);
    g_assert_cmpint(r2, ==, 0);
}

static int count_fds(void)
{
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    int n = 0;
    g_assert_nonnull(dir);
    while (g_dir_read_name(dir))
        n++;
    return n;
}

static void test_depth_1000(void)
{
    g_autoptr(Scratch) s = scratch_new(false);
    struct rlimit old, low;
    int fd;

    if (!s)
        return;
    fd = dup(s->skelfd);
    g_assert_cmpint(fd, >=, 0);
    for (int i = 0; i < 1000; i++) {
        g_assert_cmpint(mkdirat(fd, "d", 0755), ==, 0);
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        g_assert_cmpint(next, >=, 0);
        if (i == 500)
            g_assert_cmpint(symlinkat("../../../..", next, "up"), ==, 0);
        close(fd);
        fd = next;
    }
    int file = openat(fd, "bottom", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    g_assert_cmpint(file, >=, 0);
    g_assert_cmpint(rk_write_all(file, "deep\n", 5), ==, 0);
    close(file);
    close(fd);

    /* With 2 fds per level an unbounded walk would need 2,000 fds; it gets 200. */
    int before = count_fds();
    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &old), ==, 0);
    low = old;
    low.rlim_cur = 200;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
    int r1 = skel_copy(s->skelfd, s->homefd, UID, GID);
    SkelDiff d;
    int r2 = skel_compare(s->skelfd, s->homefd, UID, GID, &d);
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &old), ==, 0);
    g_assert_cmpint(r1, ==, 0);
    g_assert_cmpint(r2, ==, 0);
    g_assert_cmpint(count_fds(), ==, before);

    /* A change at the bottom is still seen. */
    fd = dup(s->homefd);
    for (int i = 0; i < 1000; i++) {
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        g_assert_cmpint(next, >=, 0);
        close(fd);
        fd = next;
    }
    g_assert_cmpint(fchmodat(fd, "bottom", 0666, 0), ==, 0);
    g_assert_cmpint(mkdirat(fd, "extra", 0700), ==, 0);
    close(fd);
    g_assert_cmpint(skel_compare(s->skelfd, s->homefd, UID, GID, &d), ==, 1);
    g_assert_cmpuint(d.mode, ==, 1);
    g_assert_cmpuint(d.extra, ==, 1);
    g_assert_cmpuint(skel_diff_total(&d), ==, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    /* Mounts made by the tests die with this process even if a test aborts. */
    if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    struct sigaction sa = { .sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND };
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);

    g_test_add_func("/skel/copy-then-compare", test_copy_then_compare);
    g_test_add_func("/skel/owners-modes-contents", test_owners_modes_contents);
    g_test_add_func("/skel/symlinks-copied-as-links", test_symlinks_copied_as_links);
    for (size_t i = 0; i < G_N_ELEMENTS(diff_cases); i++) {
        g_autofree char *name = g_strdup_printf("/skel/diff/%s", diff_cases[i].name);
        g_test_add_data_func(name, &diff_cases[i], test_diff);
    }
    g_test_add_func("/skel/overlay/copy-then-compare", test_overlay_copy_then_compare);
    for (size_t i = 0; i < G_N_ELEMENTS(diff_cases); i++) {
        g_autofree char *name = g_strdup_printf("/skel/overlay/diff/%s", diff_cases[i].name);
        g_test_add_data_func(name, &diff_cases[i], test_overlay_diff);
    }
    g_test_add_func("/skel/copy-no-write-through", test_copy_no_write_through);
    g_test_add_func("/skel/copy-planted-dir-symlink", test_copy_planted_dir_symlink);
    g_test_add_func("/skel/skeleton-fifo-refused", test_skeleton_fifo_refused);
    g_test_add_func("/skel/copy-across-file-systems", test_copy_across_file_systems);
    g_test_add_func("/skel/depth-1000", test_depth_1000);
    return g_test_run();
}
