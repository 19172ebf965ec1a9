/* Tests of the census, for real and as root.
 *
 * The binary forks at start: the child runs the g_test cases in a mount and IPC namespace of
 * its own (mounts made rprivate first), so its scratch tmpfs, FUSE and mqueue mounts and its
 * System V and POSIX IPC objects never reach the machine; the parent only waits and then
 * removes what the child made outside those namespaces (processes and keys of the test users,
 * the users, the scratch directories), even when the child died of a failed assertion. Every
 * test that touches files has a scratch tmpfs of its own and a throw-away user made by useradd
 * (rk-cen-PID-N). Guests are made by fork + setresuid in C (no setpriv, ipcmk, keyctl or
 * python needed), with the same system calls those tools make. */
#include "testusers.h"
#include "census.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <mqueue.h>
#include <stddef.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_USERS 64
#define MAX_DIRS 64

/* Shared with the supervising parent (MAP_SHARED): what to clean up after a crash. */
typedef struct {
    int n_uids;
    uid_t uids[MAX_USERS];
    int n_dirs;
    char dirs[MAX_DIRS][64];
} Shared;

static Shared *shared;
static pid_t supervisor_pid;
static int user_seq;

typedef struct {
    uid_t uid;
    gid_t gid;  /* a gid no group has: the guest's "private group" of the gid tests */
    char name[64];
} Guest;

typedef struct {
    char dir[64];
    int fd;
} Scratch;

/* ---- helpers independent of the code under test ---- */

static bool become(uid_t uid, gid_t gid)
{
    return setgroups(0, NULL) == 0 && setresgid(gid, gid, gid) == 0 &&
           setresuid(uid, uid, uid) == 0 && getuid() == uid && geteuid() == uid;
}

/* For cleanup only: kill(-1) as the uid until none of its processes is left. */
static void cleanup_kill_uid(uid_t uid)
{
    if (uid == 0)
        return;
    for (int round = 0; round < 100; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (become(uid, uid))
                kill(-1, SIGKILL);
            _exit(0);
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);
        g_autofree char *out = NULL;
        g_autofree char *uid_s = g_strdup_printf("%u", (unsigned)uid);
        const char *argv[] = { "pgrep", "-U", uid_s, NULL };
        g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, NULL, NULL);
        if (!out || !out[0])
            return;
        g_usleep(10000);
    }
}

/* Keys the kernel holds for uid (/proc/key-users), 0 when none. */
static unsigned long uid_nkeys(uid_t uid)
{
    g_autofree char *buf = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents("/proc/key-users", &buf, NULL, NULL))
        return 0;
    lines = g_strsplit(buf, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned long u, usage, n;
        if (sscanf(*l, " %lu: %lu %lu/", &u, &usage, &n) == 3 && u == uid)
            return n;
    }
    return 0;
}

/* For cleanup only: empty the uid's standard keyrings so that a later account with the same
 * uid does not inherit a test's keys (the kernel keeps them after the user is gone). */
static void cleanup_keys_uid(uid_t uid)
{
    if (uid_nkeys(uid) == 0)
        return; /* looking the keyrings up would create them */
    pid_t pid = fork();
    if (pid == 0) {
        if (become(uid, uid)) {
            syscall(SYS_keyctl, KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING);
            syscall(SYS_keyctl, KEYCTL_CLEAR, KEY_SPEC_USER_SESSION_KEYRING);
        }
        _exit(0);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* Before userdel: no process left, no key left for a later account of the uid. */
static void cleanup_uid(uid_t uid)
{
    cleanup_kill_uid(uid);
    cleanup_keys_uid(uid);
}

/* The users of one run, or of every dead run when pid is 0 (testusers.h). */
static void cleanup_users(pid_t pid)
{
    tu_cleanup_users("rk-cen", pid, cleanup_uid);
}

/* A fresh user with a uid nobody had: useradd would hand out uids again after userdel, but the
 * kernel keeps a uid's keyrings (and whatever other tests left in them) for good, so each user
 * gets a random uid far above the ones useradd allocates and the subordinate ranges, and one
 * the kernel holds no key for. */
static Guest make_user(void)
{
    Guest g = { 0 };
    g_autoptr(GError) error = NULL;
    int status = -1;

    do
        g.uid = 3000000 + (uid_t)g_random_int_range(0, 1000000);
    while (getpwuid(g.uid) || uid_nkeys(g.uid) != 0);
    /* A gid no group has: the guest's "private group" of the gid tests. */
    do
        g.gid = 3000000 + (gid_t)g_random_int_range(0, 1000000);
    while (getgrgid(g.gid));
    snprintf(g.name, sizeof g.name, "rk-cen-%d-%d", (int)supervisor_pid, ++user_seq);
    g_autofree char *uid_s = g_strdup_printf("%u", (unsigned)g.uid);
    /* -l: no lastlog/faillog record (sparse files as large as the uid says). */
    const char *argv[] = { "useradd", "-M", "-N", "-l", "-s", "/usr/sbin/nologin", "-d",
                           "/nonexistent", "-u", uid_s, "-K", "SUB_UID_COUNT=0", "-K",
                           "SUB_GID_COUNT=0", g.name, NULL };
    g_autofree char *err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               &err, &status, &error));
    g_assert_no_error(error);
    if (status != 0) /* else only the warning that the uid is outside UID_MIN..UID_MAX */
        g_printerr("%s", err);
    g_assert_cmpint(status, ==, 0);
    struct passwd *pw = getpwnam(g.name);
    g_assert_nonnull(pw);
    g_assert_cmpuint(pw->pw_uid, ==, g.uid);
    g_assert_cmpint(shared->n_uids, <, MAX_USERS);
    shared->uids[shared->n_uids++] = pw->pw_uid;
    return g;
}

static CensusTarget target(const Guest *g, const char *const *mounts, const char *sysroot)
{
    return (CensusTarget){ .uid = g->uid, .gid = g->gid, .user = g->name, .mounts = mounts,
                           .sysroot = sysroot };
}

static void scratch_new(Scratch *s)
{
    g_strlcpy(s->dir, "/tmp/rk-cen-XXXXXX", sizeof s->dir);
    g_assert_nonnull(mkdtemp(s->dir));
    g_assert_cmpint(shared->n_dirs, <, MAX_DIRS);
    g_strlcpy(shared->dirs[shared->n_dirs++], s->dir, sizeof shared->dirs[0]);
    g_assert_cmpint(mount("rk-cen", s->dir, "tmpfs", MS_NOSUID, "mode=0755,size=512m,nr_inodes=400k"), ==, 0);
    s->fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(s->fd, >=, 0);
}

static void scratch_free(Scratch *s)
{
    close(s->fd);
    g_assert_cmpint(umount2(s->dir, MNT_DETACH), ==, 0);
    g_assert_cmpint(rmdir(s->dir), ==, 0);
    for (int i = 0; i < shared->n_dirs; i++)
        if (strcmp(shared->dirs[i], s->dir) == 0)
            shared->dirs[i][0] = '\0';
}

static int mkdir_open(int dfd, const char *name, mode_t mode)
{
    g_assert_cmpint(mkdirat(dfd, name, mode), ==, 0);
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

static void touch(int dfd, const char *name, uid_t uid, gid_t gid)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fchown(fd, uid, gid), ==, 0);
    close(fd);
}

static void files_at(int fd, const CensusTarget *t, uint64_t want_found, uint64_t want_inodes)
{
    uint64_t found = 99, inodes = 99;
    g_assert_cmpint(census_files_at(fd, t, &found, &inodes), ==, 0);
    g_assert_cmpuint(found, ==, want_found);
    if (want_inodes)
        g_assert_cmpuint(inodes, ==, want_inodes);
}

static int count_fds(void)
{
    int n = 0;
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    while (d && g_dir_read_name(d))
        n++;
    return n;
}

typedef int (*GuestFn)(void *arg);

/* Run fn as the guest in a child; its return value is the exit status. */
static int as_guest(uid_t uid, gid_t gid, GuestFn fn, void *arg)
{
    int status;
    fflush(stdout);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(become(uid, gid) ? fn(arg) : 126);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

/* ---- names and refusals ---- */

static void test_names(void)
{
    const char *want[] = { "processes", "mounts", "files", "sysv-ipc", "mqueue", "keys",
                           "scheduled", "service-state" };
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        g_assert_cmpstr(rk_wipe_category_name((RkWipeCategory)c), ==, want[c - RK_WIPE_CENSUS_FIRST]);
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_N), ==, "unknown");
}

static void test_refuses(void)
{
    CensusResult res;
    CensusTarget t = { .uid = 0, .gid = 0, .user = "root" };
    uint64_t found = 7;

    g_assert_cmpint(census_run(&t, &res), ==, -EINVAL);
    g_assert_cmpint(census_files_at(AT_FDCWD, &t, &found, NULL), ==, -EINVAL);
    g_assert_cmpuint(found, ==, 0);
    t.uid = (uid_t)-1;
    g_assert_cmpint(census_run(&t, &res), ==, -EINVAL);
    t.uid = 60999;
    const char *bad[] = { NULL, "", ".", "..", "a/b", "../etc" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        t.user = bad[i];
        g_assert_cmpint(census_run(&t, &res), ==, -EINVAL);
    }
    t.user = "x";
    t.home = "/";
    g_assert_cmpint(census_run(&t, &res), ==, -EINVAL);
    t.home = "relative";
    g_assert_cmpint(census_run(&t, &res), ==, -EINVAL);
}

/* ---- files ---- */

static void test_clean(void)
{
    Scratch s;
    CensusResult res;
    Guest g = make_user();

    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    g_autofree char *home = g_strdup_printf("%s/home", s.dir);
    CensusTarget t = target(&g, mounts, s.dir);
    t.home = home;
    t.run_user_dir = "/run/user";
    t.check_gid = true;
    g_assert_cmpint(mkdirat(s.fd, "home", 0755), ==, 0);
    touch(s.fd, "root-file", 0, 0);
    g_assert_cmpint(census_run(&t, &res), ==, 0);
    g_assert_true(census_clean(&res));
    g_assert_cmpuint(res.mounts_scanned, ==, 1);
    g_assert_cmpuint(res.inodes_seen, ==, 3);
    g_assert_cmpint(res.duration_ns, >, 0);

    /* A mount point named in the scope that has no mount must not pass as clean. */
    g_autofree char *nomount = g_strdup_printf("%s/home", s.dir);
    const char *mounts2[] = { nomount, NULL };
    t.mounts = mounts2;
    g_assert_cmpint(census_run(&t, &res), ==, -ENOENT);
    g_assert_cmpint(res.error[RK_WIPE_FILES], ==, -ENOENT);
    g_assert_false(census_clean(&res));
    scratch_free(&s);
}

static void test_found_counts(void)
{
    Scratch s;
    CensusResult res;
    Guest g = make_user();

    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    CensusTarget t = target(&g, mounts, s.dir);
    touch(s.fd, "a", g.uid, 0);
    int d = mkdir_open(s.fd, "d", 0700);
    g_assert_cmpint(fchown(d, g.uid, 0), ==, 0);
    touch(d, "b", g.uid, 0);
    close(d);
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 3); /* inodes, not subtrees: the dir and both */
    g_assert_cmpint(res.error[RK_WIPE_FILES], ==, 0);
    g_assert_false(census_clean(&res));
    scratch_free(&s);
}

/* Build `levels` nested directories "d" below dfd, each also holding a file "f" made after
 * "d" (so the walker leaves every level before its file and must come back to it); every
 * 1000th file and the file at the bottom are the uid's. Returns the number of uid files. */
static unsigned build_deep(int dfd, unsigned levels, uid_t uid)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    unsigned owned = 0;

    for (unsigned i = 0; i < levels; i++) {
        int sub = mkdir_open(fd, "d", 0755);
        bool mine = i % 1000 == 999;
        touch(fd, "f", mine ? uid : 0, 0);
        owned += mine;
        close(fd);
        fd = sub;
    }
    touch(fd, "bottom", uid, 0);
    close(fd);
    return owned + 1;
}

static void test_deep(void)
{
    Scratch s;
    Guest g = make_user();
    struct rlimit old, low;

    scratch_new(&s);
    CensusTarget t = target(&g, NULL, NULL);
    unsigned owned = build_deep(s.fd, 10000, g.uid);
    g_assert_cmpuint(owned, ==, 11);
    int fds = count_fds();

    /* Bounded fds whatever the depth: one thread walks depth first within 48 fds. */
    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &old), ==, 0);
    low = old;
    low.rlim_cur = 48;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
    t.threads = 1;
    files_at(s.fd, &t, owned, 1 + 10000 * 2 + 1);
    /* With threads the queue adds at most its bound. */
    low.rlim_cur = 160;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
    t.threads = 0;
    files_at(s.fd, &t, owned, 1 + 10000 * 2 + 1);
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &old), ==, 0);
    g_assert_cmpint(count_fds(), ==, fds);
    scratch_free(&s);
}

/* A directory that cannot be opened is an error, never "nothing there". */
static void test_fail_closed(void)
{
    Scratch s;
    Guest g = make_user();
    struct rlimit old, low;
    uint64_t found = 0, inodes = 0;

    scratch_new(&s);
    CensusTarget t = target(&g, NULL, NULL);
    int d = mkdir_open(s.fd, "d", 0755);
    touch(d, "mine", g.uid, 0);
    close(d);
    t.threads = 1;
    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &old), ==, 0);
    low = old;
    /* Room for the census's own descriptor of the top (the lowest free number), none for "d". */
    int lowest = dup(0);
    g_assert_cmpint(lowest, >=, 0);
    close(lowest);
    low.rlim_cur = (rlim_t)lowest + 1;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
    int r = census_files_at(s.fd, &t, &found, &inodes);
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &old), ==, 0);
    g_assert_cmpint(r, ==, -EMFILE);
    g_assert_cmpuint(inodes, ==, 2); /* the top and d, counted before d could not be opened */
    files_at(s.fd, &t, 1, 3);
    scratch_free(&s);
}

static void test_gid(void)
{
    Scratch s;
    Guest g = make_user();

    scratch_new(&s);
    CensusTarget t = target(&g, NULL, NULL);
    touch(s.fd, "g1", 0, g.gid);
    touch(s.fd, "g2", 0, g.gid);
    touch(s.fd, "u", g.uid, 0);
    files_at(s.fd, &t, 1, 4);
    t.check_gid = true;
    files_at(s.fd, &t, 3, 4);
    scratch_free(&s);
}

static void test_skip(void)
{
    Scratch s;
    Guest g = make_user();
    struct stat st;

    scratch_new(&s);
    CensusTarget t = target(&g, NULL, NULL);
    int fresh = mkdir_open(s.fd, "fresh-home", 0700);
    g_assert_cmpint(fchown(fresh, g.uid, 0), ==, 0);
    touch(fresh, "profile", g.uid, 0);
    int sub = mkdir_open(fresh, "sub", 0700);
    touch(sub, "x", g.uid, 0);
    close(sub);
    g_assert_cmpint(fstat(fresh, &st), ==, 0);
    close(fresh);
    touch(s.fd, "left", g.uid, 0);
    files_at(s.fd, &t, 4, 6); /* fresh-home, profile, x, left (sub is root's) */

    CensusSkip skip[] = { { 12345, 678 }, { st.st_dev, st.st_ino } };
    t.skip = skip;
    t.nskip = G_N_ELEMENTS(skip);
    files_at(s.fd, &t, 1, 2);
    /* The identity, not the name: renamed, it is still skipped. */
    g_assert_cmpint(renameat(s.fd, "fresh-home", s.fd, "other-name"), ==, 0);
    files_at(s.fd, &t, 1, 2);
    /* The walk's top itself may be a skipped identity: nothing is counted. */
    int top = openat(s.fd, "other-name", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    files_at(top, &t, 0, 0);
    close(top);
    scratch_free(&s);
}

static void test_mounts_not_crossed(void)
{
    Scratch s;
    CensusResult res;
    Guest g = make_user();

    scratch_new(&s);
    /* outer/a/f1 (uid), outer/b/bind = bind mount of outer/a, outer/n = nested tmpfs with n1 */
    int a = mkdir_open(s.fd, "a", 0755);
    touch(a, "f1", g.uid, 0);
    close(a);
    int b = mkdir_open(s.fd, "b", 0755);
    g_assert_cmpint(mkdirat(b, "bind", 0755), ==, 0);
    close(b);
    g_assert_cmpint(mkdirat(s.fd, "n", 0755), ==, 0);
    g_autofree char *pa = g_strdup_printf("%s/a", s.dir);
    g_autofree char *pbind = g_strdup_printf("%s/b/bind", s.dir);
    g_autofree char *pn = g_strdup_printf("%s/n", s.dir);
    g_assert_cmpint(mount(pa, pbind, NULL, MS_BIND, NULL), ==, 0);
    g_assert_cmpint(mount("rk-cen-nested", pn, "tmpfs", 0, "mode=0755"), ==, 0);
    int n = open(pn, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    touch(n, "n1", g.uid, 0);
    touch(n, "n2", g.uid, 0);
    close(n);

    CensusTarget t = target(&g, NULL, NULL);
    /* outer, a, f1, b: neither the bind mount's nor the tmpfs's root or content. */
    files_at(s.fd, &t, 1, 4);
    t.threads = 1;
    files_at(s.fd, &t, 1, 4);

    const char *mounts[] = { s.dir, pn, pbind, NULL };
    t = target(&g, mounts, s.dir);
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpint(res.error[RK_WIPE_FILES], ==, 0);
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 3); /* f1 once, n1, n2 */
    g_assert_cmpuint(res.mounts_scanned, ==, 2);
    g_assert_cmpuint(res.mounts_skipped_duplicate, ==, 1);
    g_assert_cmpuint(res.inodes_seen, ==, 4 + 3);

    /* The bind mount alone is walked (nothing covers it in this scope). */
    const char *only_bind[] = { pbind, NULL };
    t.mounts = only_bind;
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 1);
    g_assert_cmpuint(res.mounts_skipped_duplicate, ==, 0);

    /* A mount on the covering mount inside the bind's subtree hides part of it there: the
     * bind mount is walked as well. */
    int a2 = openat(s.fd, "a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int hid = mkdir_open(a2, "hid", 0755);
    touch(hid, "under", g.uid, 0);
    close(hid);
    close(a2);
    g_autofree char *phid = g_strdup_printf("%s/a/hid", s.dir);
    g_assert_cmpint(mount("rk-cen-over", phid, "tmpfs", 0, "mode=0755"), ==, 0);
    const char *with_over[] = { s.dir, pbind, NULL };
    t.mounts = with_over;
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.mounts_scanned, ==, 2);
    g_assert_cmpuint(res.mounts_skipped_duplicate, ==, 0);
    /* outer walk: f1; bind walk: f1 again, hid/under (its hid is not a mount point there) */
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 3);
    umount2(phid, MNT_DETACH);
    umount2(pn, MNT_DETACH);
    umount2(pbind, MNT_DETACH);
    scratch_free(&s);
}

static void test_symlinks(void)
{
    Scratch s;
    Guest g = make_user();

    scratch_new(&s);
    CensusTarget t = target(&g, NULL, NULL);
    int out = mkdir_open(s.fd, "outside", 0755);
    touch(out, "secret1", g.uid, 0);
    touch(out, "secret2", g.uid, 0);
    close(out);
    int tree = mkdir_open(s.fd, "tree", 0755);
    g_autofree char *target_path = g_strdup_printf("%s/outside", s.dir);
    g_assert_cmpint(symlinkat(target_path, tree, "abs"), ==, 0);
    g_assert_cmpint(symlinkat("../outside", tree, "rel"), ==, 0);
    g_assert_cmpint(symlinkat("../outside/secret1", tree, "file"), ==, 0);
    files_at(tree, &t, 0, 4);
    g_assert_cmpint(fchownat(tree, "abs", g.uid, 0, AT_SYMLINK_NOFOLLOW), ==, 0);
    files_at(tree, &t, 1, 4);
    t.threads = 1;
    files_at(tree, &t, 1, 4);
    /* The top given as a symlink's target is walked; the walk never leaves it. */
    files_at(s.fd, &t, 3, 8);
    close(tree);
    scratch_free(&s);
}

static void test_modes_and_types(void)
{
    Scratch s;
    Guest g = make_user();
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    scratch_new(&s);
    CensusTarget t = target(&g, NULL, NULL);
    /* chmod 000 directories are still walked (root reads them). */
    int a = mkdir_open(s.fd, "a", 0700);
    int b = mkdir_open(a, "b", 0700);
    touch(b, "deep", g.uid, 0);
    g_assert_cmpint(fchmod(b, 0), ==, 0);
    g_assert_cmpint(fchmod(a, 0), ==, 0);
    g_assert_cmpint(fchownat(a, "b", g.uid, 0, 0), ==, 0);
    close(b);
    close(a);
    /* A FIFO (opening it would block), a socket and a device node of the guest. */
    g_assert_cmpint(mkfifoat(s.fd, "fifo", 0600), ==, 0);
    g_assert_cmpint(fchownat(s.fd, "fifo", g.uid, 0, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpint(mknodat(s.fd, "null", S_IFCHR | 0600, makedev(1, 3)), ==, 0);
    g_assert_cmpint(fchownat(s.fd, "null", g.uid, 0, AT_SYMLINK_NOFOLLOW), ==, 0);
    int sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", s.dir);
    g_assert_cmpint(bind(sk, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    close(sk);
    g_assert_cmpint(fchownat(s.fd, "sock", g.uid, 0, AT_SYMLINK_NOFOLLOW), ==, 0);
    /* Odd names: a newline, invalid UTF-8, 255 bytes. */
    char longname[256];
    memset(longname, 'x', 255);
    longname[255] = '\0';
    touch(s.fd, "new\nline", g.uid, 0);
    touch(s.fd, "\xff\xfe", g.uid, 0);
    touch(s.fd, longname, g.uid, 0);
    alarm(60); /* a blocking open of the FIFO would end the test here */
    files_at(s.fd, &t, 8, 10);
    alarm(0);
    scratch_free(&s);
}

static void test_many(void)
{
    Scratch s;
    Guest g = make_user();
    unsigned owned = 0, total = 1;

    scratch_new(&s);
    CensusTarget t = target(&g, NULL, NULL);
    /* One directory of 50,000 entries and 50 of 1,000 (100,050 inodes and the top). */
    int big = mkdir_open(s.fd, "big", 0755);
    total++;
    for (unsigned i = 0; i < 50000; i++, total++) {
        char name[32];
        snprintf(name, sizeof name, "file-%u", i);
        bool mine = i % 7 == 3;
        touch(big, name, mine ? g.uid : 0, 0);
        owned += mine;
    }
    close(big);
    for (unsigned d = 0; d < 50; d++, total++) {
        char name[32];
        snprintf(name, sizeof name, "dir-%u", d);
        int fd = mkdir_open(s.fd, name, 0755);
        for (unsigned i = 0; i < 1000; i++, total++) {
            snprintf(name, sizeof name, "f%u", i);
            bool mine = (i + d) % 11 == 0;
            touch(fd, name, mine ? g.uid : 0, 0);
            owned += mine;
        }
        close(fd);
    }
    files_at(s.fd, &t, owned, total);
    t.threads = 4;
    files_at(s.fd, &t, owned, total);
    t.threads = 1;
    files_at(s.fd, &t, owned, total);
    scratch_free(&s);
}

static void test_readonly_and_hidden(void)
{
    Scratch s;
    CensusResult res;
    Guest g = make_user();

    scratch_new(&s);
    g_assert_cmpint(mkdirat(s.fd, "ro", 0755), ==, 0);
    g_assert_cmpint(mkdirat(s.fd, "stack", 0755), ==, 0);
    g_autofree char *pro = g_strdup_printf("%s/ro", s.dir);
    g_autofree char *pstack = g_strdup_printf("%s/stack", s.dir);

    /* A read-only file system is skipped (nobody can have written to it since it was made
     * read-only; the remount that made it so was root's). */
    g_assert_cmpint(mount("rk-cen-ro", pro, "tmpfs", 0, "mode=0755"), ==, 0);
    int fd = open(pro, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    touch(fd, "x", g.uid, 0);
    close(fd);
    g_assert_cmpint(mount(NULL, pro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), ==, 0);
    const char *m1[] = { pro, NULL };
    CensusTarget t = target(&g, m1, s.dir);
    g_assert_cmpint(census_run(&t, &res), ==, 0);
    g_assert_cmpuint(res.mounts_skipped_readonly, ==, 1);
    g_assert_cmpuint(res.mounts_scanned, ==, 0);

    /* A file system hidden under another mount can be reached by nobody: not searched, counted,
     * and no error (what it holds comes to light, and is searched, when it is uncovered). */
    g_assert_cmpint(mount("rk-cen-under", pstack, "tmpfs", 0, "mode=0755"), ==, 0);
    fd = open(pstack, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    touch(fd, "under", g.uid, 0);
    close(fd);
    g_assert_cmpint(mount("rk-cen-over", pstack, "tmpfs", 0, "mode=0755"), ==, 0);
    const char *m2[] = { pstack, NULL };
    t.mounts = m2;
    g_assert_cmpint(census_run(&t, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_FILES], ==, 0);
    g_assert_cmpuint(res.mounts_hidden, ==, 1);
    g_assert_cmpuint(res.mounts_scanned, ==, 1);
    g_assert_true(census_clean(&res));
    umount2(pstack, MNT_DETACH);
    /* Uncovered, its guest file is found again. */
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 1);
    umount2(pstack, MNT_DETACH);
    umount2(pro, MNT_DETACH);
    scratch_free(&s);
}

/* An overlay whose layers are two other file systems shows its files with the layers' devices
 * (st_dev differs from the overlay root's): they are still on the overlay's mount and count. */
static void test_overlay(void)
{
    Scratch s;
    CensusResult res;
    Guest g = make_user();

    scratch_new(&s);
    g_autofree char *pl = g_strdup_printf("%s/lower", s.dir);
    g_autofree char *pu = g_strdup_printf("%s/upper", s.dir);
    g_autofree char *pm = g_strdup_printf("%s/merged", s.dir);
    g_assert_cmpint(mkdirat(s.fd, "lower", 0755), ==, 0);
    g_assert_cmpint(mkdirat(s.fd, "upper", 0755), ==, 0);
    g_assert_cmpint(mkdirat(s.fd, "merged", 0755), ==, 0);
    g_assert_cmpint(mount("rk-cen-lower", pl, "tmpfs", 0, "mode=0755"), ==, 0);
    g_assert_cmpint(mount("rk-cen-upper", pu, "tmpfs", 0, "mode=0755"), ==, 0);
    int l = open(pl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int d = mkdir_open(l, "d", 0755);
    touch(d, "lf", g.uid, 0);
    touch(l, "top", 0, 0);
    close(d);
    close(l);
    int u = open(pu, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(mkdirat(u, "up", 0755), ==, 0);
    g_assert_cmpint(mkdirat(u, "work", 0755), ==, 0);
    close(u);
    g_autofree char *opts = g_strdup_printf("lowerdir=%s,upperdir=%s/up,workdir=%s/work", pl, pu, pu);
    if (mount("rk-cen-ovl", pm, "overlay", 0, opts) < 0) {
        g_test_skip("overlayfs cannot be mounted here");
        umount2(pl, MNT_DETACH);
        umount2(pu, MNT_DETACH);
        scratch_free(&s);
        return;
    }
    int m = open(pm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    touch(m, "new", g.uid, 0);
    struct stat root, lf;
    g_assert_cmpint(fstat(m, &root), ==, 0);
    g_assert_cmpint(fstatat(m, "d/lf", &lf, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_cmpuint(root.st_dev, !=, lf.st_dev); /* what this test is about */
    CensusTarget t = target(&g, NULL, NULL);
    files_at(m, &t, 2, 5); /* root, d, d/lf, top, new */
    const char *mounts[] = { pm, NULL };
    t = target(&g, mounts, s.dir);
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 2);
    g_assert_cmpint(res.error[RK_WIPE_FILES], ==, 0);
    close(m);
    umount2(pm, MNT_DETACH);
    umount2(pl, MNT_DETACH);
    umount2(pu, MNT_DETACH);
    scratch_free(&s);
}

/* A FUSE mount whose daemon never answers (we hold /dev/fuse and never read it): a stat that
 * asks the daemon would hang forever. The census must neither walk it nor hang on it. */
static void test_fuse(void)
{
    Scratch s;
    CensusResult res;
    Guest g = make_user();

    int fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fuse < 0) {
        g_test_skip("no /dev/fuse here");
        return;
    }
    scratch_new(&s);
    g_assert_cmpint(mkdirat(s.fd, "fuse", 0755), ==, 0);
    touch(s.fd, "mine", g.uid, 0);
    g_autofree char *pf = g_strdup_printf("%s/fuse", s.dir);
    g_autofree char *opts = g_strdup_printf("fd=%d,rootmode=40000,user_id=%u,group_id=%u,allow_other",
                                            fuse, (unsigned)g.uid, (unsigned)g.gid);
    g_assert_cmpint(mount("rk-cen-fuse", pf, "fuse.rkcensus", MS_NOSUID | MS_NODEV, opts), ==, 0);

    alarm(60);
    CensusTarget t = target(&g, NULL, NULL);
    files_at(s.fd, &t, 1, 2);
    const char *mounts[] = { s.dir, pf, NULL };
    t = target(&g, mounts, s.dir);
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_MOUNTS], ==, 1); /* user_id=UID: the guest's FUSE mount */
    g_assert_cmpuint(res.mounts_skipped_fuse, ==, 1);
    g_assert_cmpint(res.error[RK_WIPE_FILES], ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_MOUNTS], ==, 0);
    alarm(0);
    close(fuse);
    umount2(pf, MNT_DETACH);

    /* Without allow_other root is refused (EACCES) at the mount point: not an error either. */
    fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    g_free(opts);
    opts = g_strdup_printf("fd=%d,rootmode=40000,user_id=%u,group_id=%u", fuse, (unsigned)g.uid,
                           (unsigned)g.gid);
    g_assert_cmpint(mount("rk-cen-fuse", pf, "fuse.rkcensus", MS_NOSUID | MS_NODEV, opts), ==, 0);
    alarm(60);
    t = target(&g, NULL, NULL);
    files_at(s.fd, &t, 1, 2);
    alarm(0);
    close(fuse);
    umount2(pf, MNT_DETACH);
    scratch_free(&s);
}

/* ---- mounts ---- */

static void test_mounts_class(void)
{
    Scratch s;
    CensusResult res;
    Guest g = make_user();

    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    g_autofree char *home = g_strdup_printf("%s/home/guest", s.dir);
    g_autofree char *run = g_strdup_printf("%s/run/user", s.dir);
    g_autofree char *runuid = g_strdup_printf("%s/%u", run, (unsigned)g.uid);
    g_autofree char *below = g_strdup_printf("%s/Downloads", home);
    g_autofree char *owned = g_strdup_printf("%s/owned", s.dir);
    g_autofree char *grp = g_strdup_printf("%s/grp", s.dir);
    g_autofree char *sibling = g_strdup_printf("%s/home/guest2", s.dir);
    g_autofree char *cmd = g_strdup_printf("mkdir -p '%s' '%s' '%s' '%s' '%s'", below, runuid, owned,
                                           grp, sibling);
    g_assert_cmpint(system(cmd), ==, 0);
    CensusTarget t = target(&g, mounts, s.dir);
    t.home = home;
    t.run_user_dir = run;
    g_assert_cmpint(census_run(&t, &res), ==, 0);

    g_assert_cmpint(mount("rk-cen-m", below, "tmpfs", 0, "mode=0755"), ==, 0);
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_MOUNTS], ==, 1);
    g_assert_cmpint(mount("rk-cen-m", runuid, "tmpfs", 0, "mode=0700"), ==, 0);
    g_autofree char *o = g_strdup_printf("mode=0700,uid=%u", (unsigned)g.uid);
    g_assert_cmpint(mount("rk-cen-m", owned, "tmpfs", 0, o), ==, 0);
    g_autofree char *gopt = g_strdup_printf("mode=0770,gid=%u", (unsigned)g.gid);
    g_assert_cmpint(mount("rk-cen-m", grp, "tmpfs", 0, gopt), ==, 0);
    g_assert_cmpint(mount("rk-cen-m", sibling, "tmpfs", 0, "mode=0755"), ==, 0); /* not below */
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_MOUNTS], ==, 3);
    g_assert_cmpint(res.error[RK_WIPE_MOUNTS], ==, 0);
    t.check_gid = true;
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_MOUNTS], ==, 4);
    /* The owned tmpfs root is a file of the guest too, when its file system is in scope. */
    const char *m2[] = { s.dir, owned, NULL };
    t.mounts = m2;
    g_assert_cmpint(census_run(&t, &res), ==, 1);
    g_assert_cmpuint(res.found[RK_WIPE_FILES], ==, 1);
    const char *cleanup[] = { below, runuid, owned, grp, sibling };
    for (size_t i = 0; i < G_N_ELEMENTS(cleanup); i++)
        g_assert_cmpint(umount2(cleanup[i], MNT_DETACH), ==, 0);
    t.mounts = mounts;
    g_assert_cmpint(census_run(&t, &res), ==, 0);
    scratch_free(&s);
}

/* ---- processes ---- */

typedef enum { PROC_GUEST, PROC_GUEST_THREADS, PROC_GID_ONLY, PROC_FSUID_ONLY, PROC_ZOMBIE } ProcKind;

static void *park(void *arg)
{
    for (;;)
        pause();
    return arg;
}

/* A child of the kind asked for; returns once it has its ids (zombie: once it is one). */
static pid_t spawn_proc(const Guest *g, ProcKind kind)
{
    int p[2];
    char c = 0;

    g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
    fflush(stdout);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        bool ok = true;
        pthread_t th;
        close(p[0]);
        switch (kind) {
        case PROC_GUEST:
        case PROC_ZOMBIE:
            ok = become(g->uid, g->gid);
            break;
        case PROC_GUEST_THREADS:
            ok = become(g->uid, g->gid) && pthread_create(&th, NULL, park, NULL) == 0 &&
                 pthread_create(&th, NULL, park, NULL) == 0;
            break;
        case PROC_GID_ONLY:
            ok = setresgid(g->gid, g->gid, g->gid) == 0;
            break;
        case PROC_FSUID_ONLY:
            setfsuid(g->uid);
            ok = (uid_t)setfsuid((uid_t)-1) == g->uid;
            break;
        }
        c = ok ? 1 : 2;
        if (write(p[1], &c, 1) != 1 || !ok || kind == PROC_ZOMBIE)
            _exit(0);
        for (;;)
            pause();
    }
    close(p[1]);
    g_assert_cmpint(read(p[0], &c, 1), ==, 1);
    close(p[0]);
    g_assert_cmpint(c, ==, 1);
    if (kind == PROC_ZOMBIE) {
        siginfo_t si;
        g_assert_cmpint(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), ==, 0);
    }
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
}

static uint64_t census_class(const CensusTarget *t, RkWipeCategory c)
{
    CensusResult res;
    int r = census_run(t, &res);
    g_assert_cmpint(res.error[c], ==, 0);
    g_assert_cmpint(r, >=, 0);
    return res.found[c];
}

static void test_processes(void)
{
    Scratch s;
    Guest g = make_user();

    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    CensusTarget t = target(&g, mounts, s.dir);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 0);

    pid_t p1 = spawn_proc(&g, PROC_GUEST);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 1);
    pid_t p2 = spawn_proc(&g, PROC_GUEST_THREADS);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 1 + 3); /* tasks, threads too */
    reap(p1);
    reap(p2);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 0);

    /* Zombies hold nothing. */
    pid_t z = spawn_proc(&g, PROC_ZOMBIE);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 0);
    g_assert_cmpint(waitpid(z, NULL, 0), ==, z);

    /* A root process with only the guest's gid counts when the gid is the guest's. */
    pid_t pg = spawn_proc(&g, PROC_GID_ONLY);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 0);
    t.check_gid = true;
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 1);
    reap(pg);
    t.check_gid = false;
    /* The file-system uid alone makes a task the guest's. */
    pid_t pf = spawn_proc(&g, PROC_FSUID_ONLY);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 1);
    reap(pf);
    g_assert_cmpuint(census_class(&t, RK_WIPE_PROCESSES), ==, 0);
    scratch_free(&s);
}

/* ---- System V IPC (in the test's own IPC namespace) ---- */

static int make_sysv(void *arg)
{
    (void)arg;
    if (shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) < 0 || msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0 ||
        semget(IPC_PRIVATE, 2, IPC_CREAT | 0600) < 0)
        return 1;
    return 0;
}

static void remove_all_sysv(void)
{
    struct shm_info si;
    struct msginfo mi;
    struct seminfo sei;
    int max;

    max = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
    for (int i = 0; i <= max; i++) {
        struct shmid_ds ds;
        int id = shmctl(i, SHM_STAT, &ds);
        if (id >= 0)
            shmctl(id, IPC_RMID, NULL);
    }
    max = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    for (int i = 0; i <= max; i++) {
        struct msqid_ds ds;
        int id = msgctl(i, MSG_STAT, &ds);
        if (id >= 0)
            msgctl(id, IPC_RMID, NULL);
    }
    max = semctl(0, 0, SEM_INFO, &sei);
    for (int i = 0; i <= max; i++) {
        struct semid_ds ds;
        int id = semctl(i, 0, SEM_STAT, &ds);
        if (id >= 0)
            semctl(id, 0, IPC_RMID);
    }
}

static void test_sysv_ipc(void)
{
    Scratch s;
    Guest g = make_user();
    struct shmid_ds ds;

    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    CensusTarget t = target(&g, mounts, s.dir);
    remove_all_sysv();
    g_assert_cmpuint(census_class(&t, RK_WIPE_SYSV_IPC), ==, 0);
    g_assert_cmpint(as_guest(g.uid, g.gid, make_sysv, NULL), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_SYSV_IPC), ==, 3);

    /* Made by root, handed to the guest (uid column), and one only in the guest's group. */
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    g_assert_cmpint(id, >=, 0);
    g_assert_cmpint(shmctl(id, IPC_STAT, &ds), ==, 0);
    ds.shm_perm.uid = g.uid;
    g_assert_cmpint(shmctl(id, IPC_SET, &ds), ==, 0);
    int gid_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct msqid_ds mds;
    g_assert_cmpint(msgctl(gid_id, IPC_STAT, &mds), ==, 0);
    mds.msg_perm.gid = g.gid;
    g_assert_cmpint(msgctl(gid_id, IPC_SET, &mds), ==, 0);
    int root_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    g_assert_cmpint(root_id, >=, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_SYSV_IPC), ==, 4);
    t.check_gid = true;
    g_assert_cmpuint(census_class(&t, RK_WIPE_SYSV_IPC), ==, 5);

    /* Removed (ipcrm as root): none. */
    remove_all_sysv();
    g_assert_cmpuint(census_class(&t, RK_WIPE_SYSV_IPC), ==, 0);
    scratch_free(&s);
}

/* ---- POSIX message queues ---- */

static int make_mq(void *arg)
{
    mqd_t q = mq_open((const char *)arg, O_CREAT | O_RDWR | O_CLOEXEC, 0600, NULL);
    return q == (mqd_t)-1 ? 1 : 0;
}

/* Make fsopen(2) fail with ENOSYS in this process, as on a kernel before 5.2. */
static bool no_fsopen(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fsopen, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = G_N_ELEMENTS(f), .filter = f };
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

/* In a child with a mount namespace of its own and no mqueue mounted: the census reads a
 * detached instance of its IPC namespace (or, without the new mount API, mounts one under
 * /run). Exit status: found queues (0..100), 200+ on failure. */
static int census_mq_private(const CensusTarget *t, bool old_kernel)
{
    fflush(stdout);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        CensusResult res;
        FILE *f;
        char line[4096];
        bool again = true;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(201);
        /* Detach every mqueue mount (fields: ... MOUNTPOINT ... - FSTYPE ...). */
        while (again) {
            again = false;
            if (!(f = fopen("/proc/self/mountinfo", "re")))
                _exit(202);
            while (fgets(line, sizeof line, f)) {
                char mp[1024], *dash = strstr(line, " - mqueue ");
                if (dash && sscanf(line, "%*s %*s %*s %*s %1023s", mp) == 1 && umount2(mp, MNT_DETACH) == 0)
                    again = true;
            }
            fclose(f);
        }
        if (old_kernel && !no_fsopen())
            _exit(205);
        int r = census_run(t, &res);
        if (r < 0 || res.error[RK_WIPE_MQUEUE])
            _exit(203);
        /* Nothing of the private mount is left behind. */
        g_autoptr(GDir) d = g_dir_open("/run", 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d)))
            if (g_str_has_prefix(name, "rentark-census."))
                _exit(204);
        _exit((int)MIN(res.found[RK_WIPE_MQUEUE], 100));
    }
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_mqueue(void)
{
    Scratch s;
    Guest g = make_user();

    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    CensusTarget t = target(&g, mounts, s.dir);
    g_autofree char *qname = g_strdup_printf("/rk-cen-%d", (int)getpid());

    /* Our IPC namespace's own instance, mounted in the scratch file system. */
    g_assert_cmpint(mkdirat(s.fd, "mq", 0755), ==, 0);
    g_autofree char *pmq = g_strdup_printf("%s/mq", s.dir);
    g_assert_cmpint(mount("mqueue", pmq, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_MQUEUE), ==, 0);
    g_assert_cmpint(as_guest(g.uid, g.gid, make_mq, qname), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_MQUEUE), ==, 1);
    /* None mounted at all: the census reads an instance of its own (detached, or mounted
     * under /run and removed). */
    g_assert_cmpint(census_mq_private(&t, false), ==, 1);
    g_assert_cmpint(census_mq_private(&t, true), ==, 1);
    g_assert_cmpint(mq_unlink(qname), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_MQUEUE), ==, 0);
    g_assert_cmpint(census_mq_private(&t, false), ==, 0);
    g_assert_cmpint(census_mq_private(&t, true), ==, 0);
    umount2(pmq, MNT_DETACH);
    scratch_free(&s);
}

/* ---- kernel keys ---- */

typedef struct {
    int op;
    int32_t keyring;
    uint32_t perm;
} KeyOp;

enum { KEY_ADD, KEY_ADD_HIDDEN, KEY_CLEAR };

static int key_op(void *arg)
{
    const KeyOp *k = arg;
    if (k->op == KEY_CLEAR)
        return syscall(SYS_keyctl, KEYCTL_CLEAR, k->keyring) < 0 ? 1 : 0;
    /* As pam_keyinit does: a session keyring that links the user keyring, so that the guest
     * possesses its keys (setperm needs that). It goes away with this process. */
    if (k->op == KEY_ADD_HIDDEN && (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 ||
                                    syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING,
                                            KEY_SPEC_SESSION_KEYRING) < 0))
        return 3;
    long id = syscall(SYS_add_key, "user", "rk-census-canary", "secret", 6, k->keyring);
    if (id < 0)
        return 1;
    /* Possessor-only permissions: the key is no longer in the guest's /proc/keys. */
    if (k->op == KEY_ADD_HIDDEN && syscall(SYS_keyctl, KEYCTL_SETPERM, id, 0x3f000000) < 0)
        return 2;
    return 0;
}

static void test_keys(void)
{
    Scratch s;
    Guest g = make_user();

    if (access("/proc/key-users", R_OK) < 0) {
        g_test_skip("kernel without keys (/proc/key-users)");
        return;
    }
    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    CensusTarget t = target(&g, mounts, s.dir);
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 0);

    KeyOp add = { KEY_ADD, KEY_SPEC_USER_KEYRING, 0 };
    g_assert_cmpint(as_guest(g.uid, g.gid, key_op, &add), ==, 0);
    /* Every key of the uid but an empty standard keyring: the key and the user keyring that
     * holds it (the user-session keyring only links the user keyring: empty). */
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 2);
    KeyOp clear = { KEY_CLEAR, KEY_SPEC_USER_KEYRING, 0 };
    g_assert_cmpint(as_guest(g.uid, g.gid, key_op, &clear), ==, 0);
    /* The keyrings themselves stay (empty): not the guest's data. */
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 0);

    /* A key the guest hid from its own view is counted by /proc/key-users. */
    KeyOp hidden = { KEY_ADD_HIDDEN, KEY_SPEC_USER_KEYRING, 0 };
    g_assert_cmpint(as_guest(g.uid, g.gid, key_op, &hidden), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 2);
    g_assert_cmpint(as_guest(g.uid, g.gid, key_op, &clear), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 0);

    /* A key in the user-session keyring: that keyring is no longer "just the link". */
    KeyOp add_ses = { KEY_ADD, KEY_SPEC_USER_SESSION_KEYRING, 0 };
    g_assert_cmpint(as_guest(g.uid, g.gid, key_op, &add_ses), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 2); /* the key and its keyring */
    KeyOp clear_ses = { KEY_CLEAR, KEY_SPEC_USER_SESSION_KEYRING, 0 };
    g_assert_cmpint(as_guest(g.uid, g.gid, key_op, &clear_ses), ==, 0);
    /* Cleared, the session keyring lost the link to the user keyring too: still nothing. */
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 0);
    scratch_free(&s);
}

/* As rentarkd's wipe leaves them: the user-session keyring, then the user keyring, view- and
 * read-only for possessor and user (0x03030000), by number (once one is locked the kernel finds
 * neither by special id). *with_key: a key is put in the user keyring first. */
static int key_lock(void *arg)
{
    const bool *with_key = arg;
    long u = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 1);
    long us = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_SESSION_KEYRING, 1);
    if (u < 0 || us < 0)
        return 1;
    if (*with_key && syscall(SYS_add_key, "user", "rk-census-canary", "secret", 6, KEY_SPEC_USER_KEYRING) < 0)
        return 2;
    if (syscall(SYS_keyctl, KEYCTL_SETPERM, us, 0x03030000) < 0 ||
        syscall(SYS_keyctl, KEYCTL_SETPERM, u, 0x03030000) < 0)
        return 3;
    /* Locked: no key can be added any more. */
    return syscall(SYS_add_key, "user", "rk-census-late", "secret", 6, u) < 0 ? 0 : 4;
}

/* Locked user keyrings stay until reboot; locked and empty they are not a finding (their
 * emptiness is readable: read is granted), locked with a key in them they are. */
static void test_keys_locked(void)
{
    Scratch s;
    Guest g = make_user(), k = make_user();
    bool no = false, yes = true;

    if (access("/proc/key-users", R_OK) < 0) {
        g_test_skip("kernel without keys (/proc/key-users)");
        return;
    }
    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    CensusTarget t = target(&g, mounts, s.dir), tk = target(&k, mounts, s.dir);
    g_assert_cmpint(as_guest(g.uid, g.gid, key_lock, &no), ==, 0);
    g_assert_cmpuint(uid_nkeys(g.uid), ==, 2);
    g_assert_cmpuint(census_class(&t, RK_WIPE_KEYS), ==, 0);
    g_assert_cmpint(as_guest(k.uid, k.gid, key_lock, &yes), ==, 0);
    g_assert_cmpuint(census_class(&tk, RK_WIPE_KEYS), ==, 2); /* the key and the keyring holding it */
    scratch_free(&s);
}

/* ---- name-keyed spools and service state ---- */

static void mkfile_p(const char *root, const char *rel, uid_t uid)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, "", 0, NULL));
    g_assert_cmpint(lchown(path, uid, 0), ==, 0);
}

static void test_scheduled_and_state(void)
{
    Scratch s;
    Guest g = make_user();

    scratch_new(&s);
    const char *mounts[] = { s.dir, NULL };
    g_autofree char *sysroot = g_strdup_printf("%s/sysroot", s.dir);
    CensusTarget t = target(&g, mounts, sysroot);
    /* No spool at all holds nothing (not an error). */
    g_assert_cmpuint(census_class(&t, RK_WIPE_SCHEDULED), ==, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_SERVICE_STATE), ==, 0);

    g_autofree char *cron = g_strdup_printf("var/spool/cron/crontabs/%s", g.name);
    g_autofree char *linger = g_strdup_printf("var/lib/systemd/linger/%s", g.name);
    mkfile_p(sysroot, cron, 0); /* any owner */
    mkfile_p(sysroot, "var/spool/cron/crontabs/someone-else", 0);
    mkfile_p(sysroot, "var/spool/cron/atjobs/a0000101a2b3c4", g.uid);
    mkfile_p(sysroot, "var/spool/cron/atjobs/a0000201a2b3c5", 0);
    mkfile_p(sysroot, "var/spool/cron/atspool/=0000101a2b3c4", g.uid);
    mkfile_p(sysroot, linger, 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_SCHEDULED), ==, 4);
    g_assert_cmpuint(census_class(&t, RK_WIPE_SERVICE_STATE), ==, 0);

    g_autofree char *acc = g_strdup_printf("var/lib/AccountsService/users/%s", g.name);
    g_autofree char *icon = g_strdup_printf("var/lib/AccountsService/icons/%s", g.name);
    g_autofree char *ldm = g_strdup_printf("var/lib/lightdm-data/%s/.keep", g.name);
    mkfile_p(sysroot, acc, 0);
    mkfile_p(sysroot, icon, 0);
    mkfile_p(sysroot, ldm, g.uid);
    mkfile_p(sysroot, "var/lib/AccountsService/users/someone-else", 0);
    g_assert_cmpuint(census_class(&t, RK_WIPE_SERVICE_STATE), ==, 3);
    scratch_free(&s);
}

static void test_needs_root(void)
{
    g_test_skip("needs root: the census tests make users, mounts and guest processes");
}

static int run_tests(void)
{
    g_test_add_func("/census/names", test_names);
    g_test_add_func("/census/refuses", test_refuses);
    if (geteuid() != 0) {
        g_test_add_func("/census/needs-root", test_needs_root);
        return g_test_run();
    }
    g_test_add_func("/census/clean", test_clean);
    g_test_add_func("/census/files/found-counts", test_found_counts);
    g_test_add_func("/census/files/deep", test_deep);
    g_test_add_func("/census/files/fail-closed", test_fail_closed);
    g_test_add_func("/census/files/gid", test_gid);
    g_test_add_func("/census/files/skip", test_skip);
    g_test_add_func("/census/files/mounts-not-crossed", test_mounts_not_crossed);
    g_test_add_func("/census/files/symlinks", test_symlinks);
    g_test_add_func("/census/files/modes-and-types", test_modes_and_types);
    g_test_add_func("/census/files/many", test_many);
    g_test_add_func("/census/files/readonly-and-hidden", test_readonly_and_hidden);
    g_test_add_func("/census/files/fuse", test_fuse);
    g_test_add_func("/census/files/overlay", test_overlay);
    g_test_add_func("/census/mounts", test_mounts_class);
    g_test_add_func("/census/processes", test_processes);
    g_test_add_func("/census/sysv-ipc", test_sysv_ipc);
    g_test_add_func("/census/mqueue", test_mqueue);
    g_test_add_func("/census/keys", test_keys);
    g_test_add_func("/census/keys-locked", test_keys_locked);
    g_test_add_func("/census/scheduled-and-state", test_scheduled_and_state);
    return g_test_run();
}

int main(int argc, char **argv)
{
    int status;

    g_test_init(&argc, &argv, NULL);
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(shared != MAP_FAILED);
    supervisor_pid = getpid();
    if (geteuid() != 0)
        return run_tests();

    cleanup_users(0); /* users left behind by a run that was killed outright */
    fflush(stdout);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        /* Our own mounts and IPC objects: nothing reaches the machine's, and the kernel drops
         * all of them when this process ends. */
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            printf("Bail out! unshare: %s\n", strerror(errno));
            exit(1);
        }
        exit(run_tests());
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < shared->n_uids; i++)
        cleanup_kill_uid(shared->uids[i]);
    cleanup_users(supervisor_pid);
    for (int i = 0; i < shared->n_dirs; i++)
        if (shared->dirs[i][0])
            rmdir(shared->dirs[i]); /* the tmpfs on it was in the child's namespace */
    munmap(shared, sizeof *shared);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "test child died of signal %d\n", WTERMSIG(status));
    return 1;
}
