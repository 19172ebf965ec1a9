/* Tests of the safe remover, for real and as root, each on a scratch tmpfs of its own so that a
 * bug can never reach the machine. Next to the tree to delete every scratch file system holds
 * an "outside" directory whose content, modes, owners, mtimes and flags must come out
 * byte-identical. */
#include "rmtree.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUEST 60001
#define OTHER 60002

typedef struct {
    char dir[64];
    int root, tree;
    char *outside;
} Scratch;

static void snap_dir(GString *out, int dirfd, const char *prefix);

/* One line per entry below dirfd, sorted: type, mode, owner, size, mtime, flags, content hash
 * or link target. */
static void snap_entry(GString *out, int dirfd, const char *name, const char *prefix)
{
    struct stat st;
    g_autofree char *path = g_strdup_printf("%s/%s", prefix, name);
    g_autofree char *esc = g_strescape(path, NULL);
    g_assert_cmpint(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_string_append_printf(out, "%s mode=%o uid=%u gid=%u size=%lld mtime=%lld.%09ld", esc,
                           st.st_mode, st.st_uid, st.st_gid, (long long)st.st_size,
                           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        int fl = 0;
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ioctl(fd, FS_IOC_GETFLAGS, &fl), ==, 0);
        g_string_append_printf(out, " flags=%x", fl);
        if (S_ISREG(st.st_mode)) {
            g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
            char buf[8192];
            ssize_t n;
            while ((n = read(fd, buf, sizeof(buf))) > 0)
                g_checksum_update(sum, (const guchar *)buf, n);
            g_string_append_printf(out, " sha256=%s", g_checksum_get_string(sum));
        }
    } else if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        g_assert_cmpint(n, >=, 0);
        target[n] = '\0';
        g_autofree char *t = g_strescape(target, NULL);
        g_string_append_printf(out, " -> %s", t);
    }
    g_string_append_c(out, '\n');
    if (S_ISDIR(st.st_mode)) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        snap_dir(out, fd, path);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void snap_dir(GString *out, int dirfd, const char *prefix)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fdopendir(fd);
    struct dirent *de;
    g_assert_nonnull(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            g_ptr_array_add(names, g_strdup(de->d_name));
    closedir(d);
    qsort(names->pdata, names->len, sizeof(char *), cmp_str);
    for (guint i = 0; i < names->len; i++)
        snap_entry(out, dirfd, names->pdata[i], prefix);
}

static char *snapshot(int dirfd)
{
    GString *out = g_string_new(NULL);
    snap_dir(out, dirfd, "");
    return g_string_free(out, FALSE);
}

static char *snapshot_at(int root, const char *name)
{
    _cleanup_close_ int fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    return snapshot(fd);
}

static void mkfile(int dirfd, const char *name, const char *content, mode_t mode)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(rk_write_all(fd, content, strlen(content)), ==, 0);
    g_assert_cmpint(fchmod(fd, mode), ==, 0);
}

static int mkdir_open(int dirfd, const char *name)
{
    g_assert_cmpint(mkdirat(dirfd, name, 0755), ==, 0);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

static void set_flags(int dirfd, const char *name, int add)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    int fl = 0;
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ioctl(fd, FS_IOC_GETFLAGS, &fl), ==, 0);
    fl |= add;
    g_assert_cmpint(ioctl(fd, FS_IOC_SETFLAGS, &fl), ==, 0);
}

static unsigned count_entries(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fdopendir(fd);
    struct dirent *de;
    unsigned n = 0;
    g_assert_nonnull(d);
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

static char *scratch_path(Scratch *s, const char *rel)
{
    return g_strdup_printf("%s/%s", s->dir, rel);
}

/* Mount a fresh tmpfs with "tree" and "outside" in it. FALSE (test skipped) when not root. */
static gboolean scratch_setup(Scratch *s, const char *size)
{
    if (geteuid() != 0) {
        g_test_skip("needs root: the remover deletes for real, on a scratch tmpfs it mounts");
        return FALSE;
    }
    g_strlcpy(s->dir, "/tmp/rk-rmtree.XXXXXX", sizeof(s->dir));
    g_assert_nonnull(mkdtemp(s->dir));
    g_autofree char *opts = g_strdup_printf("size=%s,mode=0755", size);
    g_assert_cmpint(mount("tmpfs", s->dir, "tmpfs", 0, opts), ==, 0);
    s->root = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(s->root, >=, 0);
    s->tree = mkdir_open(s->root, "tree");
    _cleanup_close_ int out = mkdir_open(s->root, "outside");
    _cleanup_close_ int sub = mkdir_open(out, "sub");
    mkfile(out, "a", "sentinel a\n", 0644);
    mkfile(out, "secret", "do not touch\n", 0600);
    mkfile(sub, "c", "sentinel c\n", 0444);
    _cleanup_close_ int bind = mkdir_open(out, "bindsrc");
    mkfile(bind, "x", "bind source x\n", 0644);
    g_assert_cmpint(fchownat(out, "secret", OTHER, OTHER, 0), ==, 0);
    s->outside = snapshot_at(s->root, "outside");
    return TRUE;
}

/* Take the reference snapshot again after a test added to "outside". */
static void scratch_resnap(Scratch *s)
{
    g_free(s->outside);
    s->outside = snapshot_at(s->root, "outside");
}

static void scratch_teardown(Scratch *s)
{
    g_autofree char *after = snapshot_at(s->root, "outside");
    g_assert_cmpstr(after, ==, s->outside);
    g_free(s->outside);
    close(s->tree);
    close(s->root);
    g_assert_cmpint(umount2(s->dir, MNT_DETACH), ==, 0);
    g_assert_cmpint(rmdir(s->dir), ==, 0);
}

static void test_links(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int d = mkdir_open(s.tree, "d");
    g_autofree char *abs = scratch_path(&s, "outside");
    g_assert_cmpint(symlinkat("../outside/a", s.tree, "ln-file"), ==, 0);
    g_assert_cmpint(symlinkat("../outside/sub", s.tree, "ln-dir"), ==, 0);
    g_assert_cmpint(symlinkat(abs, s.tree, "ln-abs"), ==, 0);
    g_assert_cmpint(symlinkat("../../outside", d, "ln-up"), ==, 0);
    g_assert_cmpint(symlinkat("/", d, "ln-root"), ==, 0);
    g_assert_cmpint(linkat(s.root, "outside/a", s.tree, "hl-a", 0), ==, 0);
    g_assert_cmpint(linkat(s.root, "outside/sub/c", d, "hl-c", 0), ==, 0);
    g_assert_cmpint(linkat(s.root, "outside/secret", d, "hl-secret", 0), ==, 0);
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 8);
    g_assert_cmpuint(st.dirs, ==, 1);
    g_assert_cmpuint(st.errors, ==, 0);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void test_loops(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int d = mkdir_open(s.tree, "d");
    g_assert_cmpint(symlinkat("b", s.tree, "a"), ==, 0);
    g_assert_cmpint(symlinkat("a", s.tree, "b"), ==, 0);
    g_assert_cmpint(symlinkat("self", s.tree, "self"), ==, 0);
    g_assert_cmpint(symlinkat(".", d, "dot"), ==, 0);
    g_assert_cmpint(symlinkat("..", d, "dotdot"), ==, 0);
    g_assert_cmpint(symlinkat("dot/dot/dot/dotdot", d, "chain"), ==, 0);
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 6);
    g_assert_cmpuint(st.dirs, ==, 1);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void build_modes(int tree)
{
    _cleanup_close_ int a = mkdir_open(tree, "a");
    _cleanup_close_ int b = mkdir_open(a, "b");
    _cleanup_close_ int ro = mkdir_open(tree, "readonly");
    mkfile(b, "f000", "x", 0000);
    mkfile(a, "g000", "y", 0000);
    mkfile(ro, "in-ro", "z", 0644);
    g_assert_cmpint(fchmod(b, 0000), ==, 0);
    g_assert_cmpint(fchmod(a, 0000), ==, 0);
    g_assert_cmpint(fchmod(ro, 0500), ==, 0);
}

/* Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the effective set of this process, so
 * that modes bind root as they bind anyone. */
static int drop_dac_caps(void)
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        return -errno;
    d[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static void test_modes(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    build_modes(s.tree);
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 3);
    g_assert_cmpuint(st.dirs, ==, 3);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);

    /* Again without the capabilities that let root ignore modes: the remover must fix them. */
    build_modes(s.tree);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        RmStats cst = { 0 };
        if (drop_dac_caps() < 0 || openat(s.tree, "a/b", O_RDONLY | O_DIRECTORY) >= 0)
            _exit(2); /* the capabilities were not dropped */
        int r = rm_contents(s.tree, 0, &cst);
        _exit(r == 0 && cst.files == 3 && cst.dirs == 3 ? 0 : 1);
    }
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void test_flags(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int idir = mkdir_open(s.tree, "idir");
    _cleanup_close_ int adir = mkdir_open(s.tree, "adir");
    _cleanup_close_ int both = mkdir_open(idir, "both");
    mkfile(s.tree, "imm", "i", 0644);
    mkfile(s.tree, "app", "a", 0644);
    mkfile(idir, "plain", "p", 0644);
    mkfile(adir, "plain", "p", 0644);
    mkfile(both, "imm-in-imm", "ii", 0444);
    set_flags(s.tree, "imm", FS_IMMUTABLE_FL);
    set_flags(s.tree, "app", FS_APPEND_FL);
    set_flags(both, "imm-in-imm", FS_IMMUTABLE_FL | FS_APPEND_FL);
    set_flags(idir, "both", FS_IMMUTABLE_FL);
    set_flags(s.tree, "idir", FS_IMMUTABLE_FL);
    set_flags(s.tree, "adir", FS_APPEND_FL);
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 5);
    g_assert_cmpuint(st.dirs, ==, 3);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);

    /* A hard link to an outside file made immutable afterwards: the link cannot go, and the
     * outside file must keep its flag (the snapshot checks it). */
    mkfile(s.root, "outside/imm-target", "keep me immutable", 0644);
    g_assert_cmpint(linkat(s.root, "outside/imm-target", s.tree, "hl", 0), ==, 0);
    set_flags(s.root, "outside/imm-target", FS_IMMUTABLE_FL);
    scratch_resnap(&s);
    memset(&st, 0, sizeof(st));
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, -EPERM);
    g_assert_cmpuint(st.errors, ==, 1);
    g_assert_cmpuint(count_entries(s.tree), ==, 1);
    scratch_teardown(&s);
}

static void build_deep(int tree, unsigned depth)
{
    int fd = tree;
    for (unsigned i = 0; i < depth; i++) {
        int nfd = mkdir_open(fd, "d");
        if (i % 100 == 0)
            mkfile(nfd, "f", "deep", 0644);
        if (fd != tree)
            close(fd);
        fd = nfd;
    }
    close(fd);
}

static void test_deep(void)
{
    Scratch s;
    struct rlimit old, low;
    if (!scratch_setup(&s, "256m"))
        return;
    for (int parallel = 0; parallel < 2; parallel++) {
        RmStats st = { 0 };
        build_deep(s.tree, 10000);
        g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &old), ==, 0);
        low = old;
        low.rlim_cur = 256;
        g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
        int r = rm_contents(s.tree, parallel ? RM_PARALLEL : 0, &st);
        g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &old), ==, 0);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpuint(st.dirs, ==, 10000);
        g_assert_cmpuint(st.files, ==, 100);
        g_assert_cmpuint(count_entries(s.tree), ==, 0);
    }
    scratch_teardown(&s);
}

static void test_names(void)
{
    Scratch s;
    RmStats st = { 0 };
    char longname[256];
    const char *names[] = { "new\nline", "back\\slash", "\xff\xfe\xfd invalid", "-rf", " ", "*", "..." };
    if (!scratch_setup(&s, "16m"))
        return;
    memset(longname, 'x', 255);
    longname[255] = '\0';
    _cleanup_close_ int d = mkdir_open(s.tree, longname);
    for (size_t i = 0; i < RK_ELEMENTS(names); i++) {
        mkfile(s.tree, names[i], "n", 0644);
        mkfile(d, names[i], "n", 0644);
    }
    longname[0] = 'y';
    mkfile(d, longname, "long", 0644);
    _cleanup_close_ int nl = mkdir_open(d, "dir\nwith\nnewlines");
    mkfile(nl, "\x80", "", 0644);
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 2 * RK_ELEMENTS(names) + 2);
    g_assert_cmpuint(st.dirs, ==, 2);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void test_special(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int d = mkdir_open(s.tree, "d");
    g_assert_cmpint(mkfifoat(s.tree, "fifo", 0644), ==, 0);
    g_assert_cmpint(mkfifoat(d, "fifo", 0000), ==, 0);
    g_assert_cmpint(mknodat(s.tree, "null", S_IFCHR | 0666, makedev(1, 3)), ==, 0);
    g_assert_cmpint(mknodat(d, "loop", S_IFBLK | 0600, makedev(7, 0)), ==, 0);
    _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/tree/d/sock", s.dir);
    g_assert_cmpint(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(sock, 1), ==, 0);
    /* Every FIFO is removed while nobody writes to it: opening one to read would hang here. */
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 5);
    g_assert_cmpuint(st.dirs, ==, 1);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void test_bind_mount(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int a = mkdir_open(s.tree, "a");
    _cleanup_close_ int b = mkdir_open(a, "b");
    close(mkdir_open(b, "mnt"));
    close(mkdir_open(a, "tmnt"));
    mkfile(a, "fmnt", "file mount point", 0644);
    mkfile(a, "plain", "p", 0644);
    g_autofree char *src = scratch_path(&s, "outside/bindsrc");
    g_autofree char *mnt = scratch_path(&s, "tree/a/b/mnt");
    g_autofree char *tmnt = scratch_path(&s, "tree/a/tmnt");
    g_autofree char *fsrc = scratch_path(&s, "outside/a");
    g_autofree char *fmnt = scratch_path(&s, "tree/a/fmnt");
    /* A bind mount of the same file system (same st_dev), another tmpfs, and a file. */
    g_assert_cmpint(mount(src, mnt, NULL, MS_BIND, NULL), ==, 0);
    g_assert_cmpint(mount("tmpfs", tmnt, "tmpfs", 0, "size=1m"), ==, 0);
    g_assert_cmpint(mount(fsrc, fmnt, NULL, MS_BIND, NULL), ==, 0);
    {
        _cleanup_close_ int t = openat(a, "tmnt", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        mkfile(t, "in-other-fs", "keep", 0644);
    }
    int r = rm_contents(s.tree, 0, &st);
    int r_at = rm_at(b, "mnt", 0, NULL);
    int cnt = count_entries(b);
    _cleanup_close_ int t = openat(a, "tmnt", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int tcnt = count_entries(t);
    g_assert_cmpint(umount2(fmnt, 0), ==, 0);
    g_assert_cmpint(umount2(tmnt, MNT_DETACH), ==, 0);
    g_assert_cmpint(umount2(mnt, 0), ==, 0);
    g_assert_cmpint(r, ==, -EBUSY);
    g_assert_cmpint(r_at, ==, -EBUSY);
    g_assert_cmpuint(st.skipped, ==, 3);
    g_assert_cmpuint(st.files, ==, 1);
    g_assert_cmpuint(st.errors, ==, 0);
    g_assert_cmpint(cnt, ==, 1);
    g_assert_cmpint(tcnt, ==, 1);
    /* Unmounted, what stayed goes. */
    memset(&st, 0, sizeof(st));
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.dirs, ==, 4);
    g_assert_cmpuint(st.files, ==, 1);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void test_many(void)
{
    Scratch s;
    RmStats st = { 0 };
    char name[32];
    if (!scratch_setup(&s, "1200m"))
        return;
    for (int i = 0; i < 200; i++) {
        g_snprintf(name, sizeof(name), "dir%03d", i);
        _cleanup_close_ int d = mkdir_open(s.tree, name);
        for (int j = 0; j < 1000; j++) {
            g_snprintf(name, sizeof(name), "f_%06d", j);
            mkfile(d, name, "c", 0600);
        }
    }
    g_assert_cmpint(rm_contents(s.tree, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 200000);
    g_assert_cmpuint(st.dirs, ==, 200);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void test_dry_run(void)
{
    Scratch s;
    RmStats dry = { 0 }, real = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int d = mkdir_open(s.tree, "d");
    _cleanup_close_ int e = mkdir_open(d, "e");
    _cleanup_close_ int z = mkdir_open(s.tree, "z000");
    mkfile(s.tree, "one", "1", 0644);
    mkfile(d, "hundred", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789", 0600);
    mkfile(e, "empty", "", 0644);
    mkfile(z, "seven", "1234567", 0000);
    g_assert_cmpint(symlinkat("../outside/a", s.tree, "ln"), ==, 0);
    g_assert_cmpint(mkfifoat(e, "fifo", 0644), ==, 0);
    set_flags(d, "hundred", FS_IMMUTABLE_FL);
    g_assert_cmpint(fchmod(z, 0000), ==, 0);
    g_autofree char *before = snapshot(s.tree);
    g_assert_cmpint(rm_contents(s.tree, RM_DRY_RUN, &dry), ==, 0);
    g_autofree char *after = snapshot(s.tree);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(dry.files, ==, 6);
    g_assert_cmpuint(dry.dirs, ==, 3);
    g_assert_cmpuint(dry.bytes, ==, 1 + 100 + 7);
    g_assert_cmpuint(dry.errors, ==, 0);
    g_assert_cmpint(rm_contents(s.tree, 0, &real), ==, 0);
    g_assert_cmpuint(real.files, ==, dry.files);
    g_assert_cmpuint(real.dirs, ==, dry.dirs);
    g_assert_cmpuint(real.bytes, ==, 0);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void test_rm_at(void)
{
    Scratch s;
    RmStats st = { 0 };
    const char *bad[] = { "", ".", "..", "a/b", "/", "d/", "/etc" };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int d = mkdir_open(s.tree, "d");
    mkfile(d, "f", "f", 0644);
    mkfile(s.tree, "file", "f", 0644);
    g_assert_cmpint(symlinkat("../outside", s.tree, "ln"), ==, 0);
    g_autofree char *before = snapshot(s.tree);
    for (size_t i = 0; i < RK_ELEMENTS(bad); i++)
        g_assert_cmpint(rm_at(s.tree, bad[i], 0, &st), ==, -EINVAL);
    g_assert_cmpint(rm_at(s.tree, NULL, 0, &st), ==, -EINVAL);
    g_autofree char *after = snapshot(s.tree);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpint(rm_at(s.tree, "missing", 0, &st), ==, -ENOENT);
    g_assert_cmpint(rm_at(s.tree, "ln", 0, &st), ==, 0);
    g_assert_cmpint(rm_at(s.tree, "file", 0, &st), ==, 0);
    g_assert_cmpint(rm_at(s.tree, "d", RM_PARALLEL, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 3);
    g_assert_cmpuint(st.dirs, ==, 1);
    g_assert_cmpuint(count_entries(s.tree), ==, 0);
    scratch_teardown(&s);
}

static void mkowned(int dirfd, const char *name, uid_t uid, gboolean dir)
{
    if (dir)
        g_assert_cmpint(mkdirat(dirfd, name, 0700), ==, 0);
    else
        mkfile(dirfd, name, name, 0640);
    g_assert_cmpint(fchownat(dirfd, name, uid, uid, AT_SYMLINK_NOFOLLOW), ==, 0);
}

static int open_dir(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

/* 12 entries of GUEST, 5 of others (2 of them directories holding GUEST entries). */
static void build_owned(int tree)
{
    mkowned(tree, "g1", GUEST, FALSE);
    mkowned(tree, "o1", OTHER, FALSE);
    mkowned(tree, "rootf", 0, FALSE);
    mkowned(tree, "gdir", GUEST, TRUE);
    mkowned(tree, "odir", OTHER, TRUE);
    mkowned(tree, "gdir2", GUEST, TRUE);
    _cleanup_close_ int gdir = open_dir(tree, "gdir");
    _cleanup_close_ int odir = open_dir(tree, "odir");
    _cleanup_close_ int gdir2 = open_dir(tree, "gdir2");
    mkowned(gdir, "g2", GUEST, FALSE);
    mkowned(gdir, "o2", OTHER, FALSE);
    mkowned(gdir, "gsub", GUEST, TRUE);
    _cleanup_close_ int gsub = open_dir(gdir, "gsub");
    mkowned(gsub, "g4", GUEST, FALSE);
    mkowned(gsub, "g5", GUEST, FALSE);
    mkowned(odir, "g3", GUEST, FALSE);
    mkowned(odir, "o3", OTHER, FALSE);
    mkowned(odir, "godir", GUEST, TRUE);
    _cleanup_close_ int godir = open_dir(odir, "godir");
    mkowned(godir, "g6", GUEST, FALSE);
    mkowned(gdir2, "g7", GUEST, FALSE);
    g_assert_cmpint(symlinkat("../../outside/secret", gdir2, "gln"), ==, 0);
    g_assert_cmpint(fchownat(gdir2, "gln", GUEST, GUEST, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpint(fchmod(odir, 0755), ==, 0);
}

/* What must remain of build_owned after the sweep. */
static void check_swept(int tree, unsigned expect_top)
{
    struct stat st;
    g_assert_cmpuint(count_entries(tree), ==, expect_top); /* o1 rootf gdir odir (+ extra) */
    g_assert_cmpint(fstatat(tree, "gdir", &st, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 0);
    g_assert_cmpuint(st.st_gid, ==, 0);
    _cleanup_close_ int gdir = open_dir(tree, "gdir");
    g_assert_cmpuint(count_entries(gdir), ==, 1);
    g_assert_cmpint(fstatat(gdir, "o2", &st, AT_SYMLINK_NOFOLLOW), ==, 0);
    _cleanup_close_ int odir = open_dir(tree, "odir");
    g_assert_cmpuint(count_entries(odir), ==, 1);
    g_assert_cmpint(fstatat(odir, "o3", &st, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpint(rm_count_owned_by(tree, GUEST), ==, 0);
}

/* Snapshot lines of the entries of others, which the sweep must leave byte-identical. */
static char *others_lines(int tree)
{
    g_autofree char *all = snapshot(tree);
    g_auto(GStrv) lines = g_strsplit(all, "\n", -1);
    GString *out = g_string_new(NULL);
    for (char **l = lines; *l; l++)
        if (strstr(*l, "/o1 ") || strstr(*l, "/rootf ") || strstr(*l, "/o2 ") || strstr(*l, "/o3 "))
            g_string_append_printf(out, "%s\n", *l);
    return g_string_free(out, FALSE);
}

static void test_owned_by(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    build_owned(s.tree);
    mkfile(s.tree, "extra", "", 0644);
    g_autofree char *others = others_lines(s.tree);
    g_assert_cmpint(rm_owned_by(s.tree, GUEST, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 8);
    g_assert_cmpuint(st.dirs, ==, 3);
    g_assert_cmpuint(st.skipped, ==, 6);
    g_assert_cmpuint(st.errors, ==, 0);
    g_autofree char *others_after = others_lines(s.tree);
    g_assert_cmpstr(others, ==, others_after);
    check_swept(s.tree, 5);
    scratch_teardown(&s);
}

/* The census's safety net: the owner by uid, and its private gid taken away from others'
 * entries (never removed); directories excluded by identity (a fresh home, the trash) neither
 * entered nor removed, whatever they are called; a guest directory kept for others' entries
 * ends root's and 0700. */
static void test_owner_sweep(void)
{
    Scratch s;
    RmStats st = { 0 };
    struct stat sb;
    if (!scratch_setup(&s, "16m"))
        return;
    build_owned(s.tree);
    mkfile(s.tree, "by-gid", "g", 0644);
    g_assert_cmpint(fchownat(s.tree, "by-gid", OTHER, GUEST, AT_SYMLINK_NOFOLLOW), ==, 0);
    _cleanup_close_ int keep = mkdir_open(s.tree, "fresh-home");
    mkfile(keep, "kept", "k", 0600);
    g_assert_cmpint(fchownat(keep, "kept", GUEST, GUEST, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpint(fchown(keep, GUEST, GUEST), ==, 0);
    g_assert_cmpint(fstat(keep, &sb), ==, 0);
    const RmSkip skip = { .dev = sb.st_dev, .ino = sb.st_ino };

    /* uid 0 and gid 0 are refused outright. */
    const RmOwner root = { .uid = 0 };
    g_assert_cmpint(rm_owner_sweep(s.tree, &root, 0, NULL), ==, -EPERM);
    const RmOwner gid0 = { .uid = GUEST, .gid = 0, .match_gid = true };
    g_assert_cmpint(rm_owner_sweep(s.tree, &gid0, 0, NULL), ==, -EPERM);

    g_autofree char *others = others_lines(s.tree);
    const RmOwner o = { .uid = GUEST, .gid = GUEST, .match_gid = true, .skip = &skip, .nskip = 1 };
    g_assert_cmpint(rm_owner_sweep(s.tree, &o, 0, &st), ==, 0);
    /* Another user's file with the guest's group stays, without that group. */
    g_assert_cmpint(fstatat(s.tree, "by-gid", &sb, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpuint(sb.st_uid, ==, OTHER);
    g_assert_cmpuint(sb.st_gid, ==, 0);
    g_assert_cmpint(fstatat(keep, "kept", &sb, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpint(fstatat(s.tree, "fresh-home", &sb, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpuint(st.reclaimed, ==, 2);
    g_assert_cmpint(fstatat(s.tree, "gdir", &sb, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpuint(sb.st_mode & 07777, ==, 0700);
    g_autofree char *others_after = others_lines(s.tree);
    g_assert_cmpstr(others, ==, others_after);
    scratch_teardown(&s);
}

/* Mount at ovl/ of the scratch an overlayfs without xino, the root file system of a live system
 * or a container: its lower layer is lower/ (on the scratch tmpfs, filled by fill before the
 * mount), its upper layer on a second tmpfs at rw/. Its directories report the overlay's device,
 * its files the device of their layer. Returns an fd of ovl/, or -1 with the test skipped where
 * that cannot be shown; scratch_teardown takes the mounts along. */
static int overlay_setup(Scratch *s, void (*fill)(int lowerfd))
{
    g_autofree char *lower = scratch_path(s, "lower");
    g_autofree char *rw = scratch_path(s, "rw");
    g_autofree char *ovl = scratch_path(s, "ovl");
    struct stat dir, file;
    {
        _cleanup_close_ int lfd = mkdir_open(s->root, "lower");
        fill(lfd);
    }
    close(mkdir_open(s->root, "rw"));
    close(mkdir_open(s->root, "ovl"));
    g_assert_cmpint(mount("tmpfs", rw, "tmpfs", 0, "size=16m,mode=0755"), ==, 0);
    {
        _cleanup_close_ int rwfd = open(rw, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(rwfd, >=, 0);
        g_assert_cmpint(mkdirat(rwfd, "upper", 0755), ==, 0);
        g_assert_cmpint(mkdirat(rwfd, "work", 0755), ==, 0);
    }
    g_autofree char *opts = g_strdup_printf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work,xino=off",
                                            lower, rw, rw);
    if (mount("rk-test", ovl, "overlay", 0, opts) < 0) {
        g_autofree char *why = g_strdup_printf("cannot mount an overlayfs here: %s", g_strerror(errno));
        g_test_skip(why);
        return -1;
    }
    int fd = open(ovl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    mkfile(fd, "probe", "", 0644);
    g_assert_cmpint(fstat(fd, &dir), ==, 0);
    g_assert_cmpint(fstatat(fd, "probe", &file, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpint(unlinkat(fd, "probe", 0), ==, 0);
    if (file.st_dev == dir.st_dev) {
        g_test_skip("this kernel shows an overlay's files with the overlay's device: nothing to show");
        close(fd);
        return -1;
    }
    return fd;
}

/* The lower layer of a home on an overlay: what the image shipped, an immutable file among it. */
static void fill_overlay_home(int lower)
{
    _cleanup_close_ int home = mkdir_open(lower, "home");
    _cleanup_close_ int d = mkdir_open(home, "d");
    _cleanup_close_ int sub = mkdir_open(d, "sub");
    mkfile(home, ".profile", "from the image", 0644);
    mkfile(home, "imm-lower", "immutable in the image", 0644);
    set_flags(home, "imm-lower", FS_IMMUTABLE_FL);
    mkfile(sub, "f", "from the image", 0600);
    close(mkdir_open(d, "tmnt"));
    close(mkdir_open(d, "self"));
    mkfile(d, "fself", "bound on itself", 0644);
}

/* A home on a plain overlayfs (a live system): every file shows another device than its
 * folder, and the remover still removes all of the tree, fixing flags on the overlay's files
 * as anywhere; a tmpfs mounted in it, a folder and a file bound onto themselves (nothing but
 * the mount id tells those apart) are still neither entered nor removed. */
static void test_overlay(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int ovl = overlay_setup(&s, fill_overlay_home);
    if (ovl < 0) {
        scratch_teardown(&s);
        return;
    }
    _cleanup_close_ int home = open_dir(ovl, "home");
    _cleanup_close_ int d = open_dir(home, "d");
    _cleanup_close_ int n = mkdir_open(home, "new");
    _cleanup_close_ int sub = open_dir(d, "sub");
    mkfile(n, "x", "made on the overlay", 0644);
    mkfile(n, "imm", "immutable on the overlay", 0644);
    set_flags(n, "imm", FS_IMMUTABLE_FL);
    set_flags(home, ".profile", FS_APPEND_FL);
    mkfile(sub, "g", "made on the overlay", 0600);
    g_autofree char *tmnt = scratch_path(&s, "ovl/home/d/tmnt");
    g_autofree char *self = scratch_path(&s, "ovl/home/d/self");
    g_autofree char *fself = scratch_path(&s, "ovl/home/d/fself");
    g_assert_cmpint(mount("tmpfs", tmnt, "tmpfs", 0, "size=1m"), ==, 0);
    g_assert_cmpint(mount(self, self, NULL, MS_BIND, NULL), ==, 0);
    g_assert_cmpint(mount(fself, fself, NULL, MS_BIND, NULL), ==, 0);
    {
        _cleanup_close_ int t = open_dir(d, "tmnt");
        mkfile(t, "in-other-fs", "keep", 0644);
    }

    int r = rm_contents(home, 0, &st);
    int dcnt = count_entries(d);
    _cleanup_close_ int t = open_dir(d, "tmnt");
    int tcnt = count_entries(t);
    g_assert_cmpint(umount2(fself, 0), ==, 0);
    g_assert_cmpint(umount2(self, 0), ==, 0);
    g_assert_cmpint(umount2(tmnt, MNT_DETACH), ==, 0);
    g_assert_cmpint(r, ==, -EBUSY);
    g_assert_cmpuint(st.skipped, ==, 3);
    g_assert_cmpuint(st.errors, ==, 0);
    g_assert_cmpuint(st.files, ==, 6);
    g_assert_cmpuint(st.dirs, ==, 2);
    g_assert_cmpuint(count_entries(home), ==, 1);
    g_assert_cmpint(dcnt, ==, 3);
    g_assert_cmpint(tcnt, ==, 1);
    /* Unmounted, what stayed goes. */
    memset(&st, 0, sizeof(st));
    g_assert_cmpint(rm_contents(home, RM_PARALLEL, &st), ==, 0);
    g_assert_cmpuint(st.dirs, ==, 3);
    g_assert_cmpuint(st.files, ==, 1);
    g_assert_cmpuint(count_entries(home), ==, 0);
    scratch_teardown(&s);
}

static void fill_owned_home(int lower)
{
    _cleanup_close_ int home = mkdir_open(lower, "home");
    build_owned(home);
}

/* The sweep of a guest's entries on a plain overlayfs, which is /tmp and /var/tmp of a live
 * system: the same result as on any file system. */
static void test_overlay_sweep(void)
{
    Scratch s;
    RmStats st = { 0 };
    if (!scratch_setup(&s, "16m"))
        return;
    _cleanup_close_ int ovl = overlay_setup(&s, fill_owned_home);
    if (ovl < 0) {
        scratch_teardown(&s);
        return;
    }
    _cleanup_close_ int home = open_dir(ovl, "home");
    mkowned(home, "g-upper", GUEST, FALSE);
    g_autofree char *others = others_lines(home);
    g_assert_cmpint(rm_count_owned_by(home, GUEST), ==, 13);
    g_assert_cmpint(rm_owned_by(home, GUEST, 0, &st), ==, 0);
    g_assert_cmpuint(st.files, ==, 9);
    g_assert_cmpuint(st.dirs, ==, 3);
    g_assert_cmpuint(st.errors, ==, 0);
    g_autofree char *others_after = others_lines(home);
    g_assert_cmpstr(others, ==, others_after);
    check_swept(home, 4);
    scratch_teardown(&s);
}

static void test_count_owned_by(void)
{
    Scratch s;
    if (!scratch_setup(&s, "16m"))
        return;
    g_assert_cmpint(rm_count_owned_by(s.tree, GUEST), ==, 0);
    build_owned(s.tree);
    _cleanup_close_ int odir = open_dir(s.tree, "odir");
    g_assert_cmpint(fchmod(odir, 0000), ==, 0);
    g_autofree char *before = snapshot(s.tree);
    g_assert_cmpint(rm_count_owned_by(s.tree, GUEST), ==, 12);
    g_assert_cmpint(rm_count_owned_by(s.tree, OTHER), ==, 4);
    g_autofree char *after = snapshot(s.tree);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpint(rm_owned_by(s.tree, GUEST, 0, NULL), ==, 0);
    g_assert_cmpint(rm_count_owned_by(s.tree, GUEST), ==, 0);
    g_assert_cmpint(rm_count_owned_by(s.tree, OTHER), ==, 4);
    scratch_teardown(&s);
}

/* A mixed tree: wide and nested, links, odd modes, flags, a FIFO, a deep chain, and a bind mount
 * (mounted by the caller on a/mnt). */
static void build_mixed(int tree)
{
    char name[32];
    for (int i = 0; i < 12; i++) {
        g_snprintf(name, sizeof(name), "top%02d", i);
        _cleanup_close_ int t = mkdir_open(tree, name);
        for (int j = 0; j < 10; j++) {
            g_snprintf(name, sizeof(name), "sub%02d", j);
            _cleanup_close_ int u = mkdir_open(t, name);
            for (int k = 0; k < 10 * i + j; k++) {
                g_snprintf(name, sizeof(name), "f%03d", k);
                mkfile(u, name, "cache entry", 0600);
            }
        }
    }
    _cleanup_close_ int a = mkdir_open(tree, "a");
    close(mkdir_open(a, "mnt"));
    mkfile(a, "imm", "i", 0644);
    set_flags(a, "imm", FS_IMMUTABLE_FL);
    g_assert_cmpint(symlinkat("../../outside", a, "ln"), ==, 0);
    g_assert_cmpint(mkfifoat(a, "fifo", 0600), ==, 0);
    _cleanup_close_ int z = mkdir_open(a, "z");
    mkfile(z, "f", "z", 0000);
    g_assert_cmpint(fchmod(z, 0000), ==, 0);
    _cleanup_close_ int deep = mkdir_open(tree, "deep");
    build_deep(deep, 300);
}

static void assert_stats_equal(const RmStats *a, const RmStats *b)
{
    g_assert_cmpuint(a->files, ==, b->files);
    g_assert_cmpuint(a->dirs, ==, b->dirs);
    g_assert_cmpuint(a->bytes, ==, b->bytes);
    g_assert_cmpuint(a->errors, ==, b->errors);
    g_assert_cmpuint(a->skipped, ==, b->skipped);
}

static void test_parallel(void)
{
    Scratch s;
    RmStats seq = { 0 }, par = { 0 }, dseq = { 0 }, dpar = { 0 };
    if (!scratch_setup(&s, "256m"))
        return;
    _cleanup_close_ int ta = mkdir_open(s.tree, "A");
    _cleanup_close_ int tb = mkdir_open(s.tree, "B");
    build_mixed(ta);
    build_mixed(tb);
    g_autofree char *src = scratch_path(&s, "outside/bindsrc");
    g_autofree char *ma = scratch_path(&s, "tree/A/a/mnt");
    g_autofree char *mb = scratch_path(&s, "tree/B/a/mnt");
    g_assert_cmpint(mount(src, ma, NULL, MS_BIND, NULL), ==, 0);
    g_assert_cmpint(mount(src, mb, NULL, MS_BIND, NULL), ==, 0);
    int rds = rm_contents(ta, RM_DRY_RUN, &dseq);
    int rdp = rm_contents(tb, RM_DRY_RUN | RM_PARALLEL, &dpar);
    int rs = rm_contents(ta, 0, &seq);
    int rp = rm_contents(tb, RM_PARALLEL, &par);
    g_assert_cmpint(umount2(ma, 0), ==, 0);
    g_assert_cmpint(umount2(mb, 0), ==, 0);
    g_assert_cmpint(rds, ==, -EBUSY);
    g_assert_cmpint(rdp, ==, rds);
    assert_stats_equal(&dseq, &dpar);
    g_assert_cmpint(rs, ==, -EBUSY);
    g_assert_cmpint(rp, ==, rs);
    assert_stats_equal(&seq, &par);
    g_assert_cmpuint(seq.files, ==, dseq.files);
    g_assert_cmpuint(seq.dirs, ==, dseq.dirs);
    g_assert_cmpuint(seq.skipped, ==, 1);
    g_assert_cmpuint(seq.files, ==, 7140 + 3 + 1 + 3);
    g_assert_cmpuint(count_entries(ta), ==, 1);
    g_assert_cmpuint(count_entries(tb), ==, 1);

    /* The sweep, too. */
    memset(&seq, 0, sizeof(seq));
    memset(&par, 0, sizeof(par));
    g_assert_cmpint(rm_contents(s.tree, 0, NULL), ==, 0);
    _cleanup_close_ int oa = mkdir_open(s.tree, "A");
    _cleanup_close_ int ob = mkdir_open(s.tree, "B");
    build_owned(oa);
    build_owned(ob);
    g_assert_cmpint(rm_owned_by(oa, GUEST, 0, &seq), ==, 0);
    g_assert_cmpint(rm_owned_by(ob, GUEST, RM_PARALLEL, &par), ==, 0);
    assert_stats_equal(&seq, &par);
    check_swept(oa, 4);
    check_swept(ob, 4);
    scratch_teardown(&s);
}

/* n files named PREFIX0.. in dirfd; empty files are enough, names are what is listed. */
static void mkfiles(int dirfd, const char *prefix, unsigned n)
{
    char name[32];
    for (unsigned i = 0; i < n; i++) {
        g_snprintf(name, sizeof(name), "%s%u", prefix, i);
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        g_assert_cmpint(fd, >=, 0);
    }
}

/* A home as the wipe moves it into the trash: skeleton files made first, two skeleton dirs,
 * and a cache made last. tmpfs lists the newest entry first, so a directory reads: the cache,
 * the two dirs, the two files. Returns the number of files; *ret_dirs gets the dirs. */
static unsigned build_home(int trash, const char *name, unsigned *ret_dirs)
{
    char sub[32];
    _cleanup_close_ int home = mkdir_open(trash, name);
    mkfiles(home, ".profile", 2);
    for (int i = 0; i < 2; i++) {
        g_snprintf(sub, sizeof(sub), "skel%d", i);
        _cleanup_close_ int d = mkdir_open(home, sub);
        mkfiles(d, "f", 1000);
    }
    _cleanup_close_ int cache = mkdir_open(home, ".cache");
    _cleanup_close_ int big = mkdir_open(cache, "big");
    for (int i = 0; i < 50; i++) {
        g_snprintf(sub, sizeof(sub), "%03d", i);
        _cleanup_close_ int d = mkdir_open(big, sub);
        mkfiles(d, "c", 400);
    }
    *ret_dirs = 1 + 2 + 2 + 50;
    return 2 + 2 * 1000 + 50 * 400;
}

/* Regression: RM_PARALLEL returned -ENOENT and kept the home. Pass 2 of a directory resumed at
 * a getdents64 cookie whose entry (a skeleton file in a batch of pass 1) another thread had
 * unlinked meanwhile; tmpfs then lists the directory again from its newest entry, and the
 * cache, handed out already, was walked twice at once: one walker read a directory the other
 * had removed. Before the fix this failed in most rounds. */
static void test_parallel_resume(void)
{
    Scratch s;
    if (!scratch_setup(&s, "256m"))
        return;
    for (int round = 0; round < 30; round++) {
        RmStats st = { 0 };
        unsigned dirs;
        unsigned files = build_home(s.tree, "home", &dirs);
        g_assert_cmpint(rm_contents(s.tree, RM_PARALLEL, &st), ==, 0);
        g_assert_cmpuint(st.files, ==, files);
        g_assert_cmpuint(st.dirs, ==, dirs);
        g_assert_cmpuint(st.errors, ==, 0);
        g_assert_cmpuint(count_entries(s.tree), ==, 0);
    }
    scratch_teardown(&s);
}

/* A wipe killed with SIGKILL at a random point leaves a partly deleted tree (and maybe a
 * directory made 0700 by a fix); the next wipe moves the new home into the trash next to it.
 * That run must empty everything and return 0, whatever was left. */
static void test_interrupted(void)
{
    Scratch s;
    unsigned dirs;
    if (!scratch_setup(&s, "512m"))
        return;
    for (int round = 0; round < 20; round++) {
        RmStats st = { 0 };
        build_home(s.tree, "home", &dirs);
        _cleanup_close_ int locked = mkdir_open(s.tree, "locked");
        mkfiles(locked, "l", 200);
        g_assert_cmpint(fchmod(locked, 0000), ==, 0);
        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0)
            _exit(rm_contents(s.tree, RM_PARALLEL, NULL) < 0);
        g_usleep(g_random_int_range(0, 40000));
        kill(pid, SIGKILL);
        g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
        build_home(s.tree, "next-home", &dirs);
        g_assert_cmpint(rm_contents(s.tree, RM_PARALLEL, &st), ==, 0);
        g_assert_cmpuint(st.errors, ==, 0);
        g_assert_cmpuint(count_entries(s.tree), ==, 0);
    }
    scratch_teardown(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rmtree/links", test_links);
    g_test_add_func("/rmtree/symlink-loops", test_loops);
    g_test_add_func("/rmtree/modes", test_modes);
    g_test_add_func("/rmtree/flags", test_flags);
    g_test_add_func("/rmtree/deep", test_deep);
    g_test_add_func("/rmtree/names", test_names);
    g_test_add_func("/rmtree/special-files", test_special);
    g_test_add_func("/rmtree/bind-mount", test_bind_mount);
    g_test_add_func("/rmtree/many-files", test_many);
    g_test_add_func("/rmtree/dry-run", test_dry_run);
    g_test_add_func("/rmtree/rm-at", test_rm_at);
    g_test_add_func("/rmtree/owned-by", test_owned_by);
    g_test_add_func("/rmtree/count-owned-by", test_count_owned_by);
    g_test_add_func("/rmtree/owner-sweep", test_owner_sweep);
    g_test_add_func("/rmtree/overlay", test_overlay);
    g_test_add_func("/rmtree/overlay-sweep", test_overlay_sweep);
    g_test_add_func("/rmtree/parallel", test_parallel);
    g_test_add_func("/rmtree/parallel-resume", test_parallel_resume);
    g_test_add_func("/rmtree/interrupted", test_interrupted);
    return g_test_run();
}
