/* Tests of the reaper with real users and real processes.
 *
 * Every test that kills runs as root with users made by useradd (rk-reap-PID-N). The binary
 * forks at start: the child runs the g_test cases, the parent only waits and then removes
 * everything the child made (processes, users, the setuid tmpfs), even when the child died of
 * a failed assertion or a sanitizer abort. That cleanup does not use the reaper: a bug in the
 * code under test must not leave the machine dirty. Guest processes are bounded (RLIMIT_NPROC)
 * so that a bug cannot turn a fork loop into a machine-wide fork bomb. */
#include "testusers.h"
#include "reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define MAX_UIDS 64

/* Shared between the test child and the supervising parent (MAP_SHARED), so the parent knows
 * what to clean up after a crash. */
typedef struct {
    int n_uids;
    uid_t uids[MAX_UIDS];
    char mount_dir[128];
    char fake_proc[256];
} Shared;

static Shared *shared;
static pid_t supervisor_pid;
static int user_seq;

typedef struct {
    uid_t uid;
    gid_t gid;
} Guest;

/* ---- helpers independent of the code under test ---- */

/* Parse the live state and the named numeric field ("Uid:", "PPid:") of /proc/PID/status. */
static bool read_status(pid_t pid, char *ret_state, const char *field, unsigned long ret_vals[4])
{
    char path[64], buf[4096];
    ssize_t n;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    if (ret_state) {
        const char *s = strstr(buf, "\nState:");
        *ret_state = s ? s[strspn(s + 7, " \t") + 7] : '?';
    }
    if (field) {
        const char *s = strstr(buf, field);
        if (!s)
            return false;
        s += strlen(field);
        for (int i = 0; i < 4; i++) {
            char *end;
            ret_vals[i] = strtoul(s, &end, 10);
            if (end == s)
                ret_vals[i] = (unsigned long)-1;
            s = end;
        }
    }
    return true;
}

static char proc_state(pid_t pid)
{
    char st = '?';
    return read_status(pid, &st, NULL, NULL) ? st : '-';
}

/* Kill every process of uid the way a careful admin would, for cleanup only: as the uid,
 * kill(-1), repeated until no process has it as real or saved uid. */
static void cleanup_kill_uid(uid_t uid)
{
    if (uid == 0)
        return;
    for (int round = 0; round < 200; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            /* Same rule as the reaper: never signal unless the ids are the guest's. */
            if (setgroups(0, NULL) == 0 && setresgid(uid, uid, uid) == 0 &&
                setresuid(uid, uid, uid) == 0 && getuid() == uid && geteuid() == uid)
                kill(-1, SIGKILL);
            _exit(0);
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);

        bool any = false;
        g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            unsigned long u[4];
            char st;
            if (name[0] < '1' || name[0] > '9')
                continue;
            if (read_status(atoi(name), &st, "Uid:", u) && st != 'Z' && st != 'X' &&
                (u[0] == uid || u[2] == uid))
                any = true;
        }
        if (!any)
            return;
        g_usleep(10000);
    }
}

/* Kill and reap every descendant of this process. Both the test child and the supervisor are
 * child subreapers, so orphaned grandchildren come back to them and are found by PPid. */
static void kill_descendants(void)
{
    for (int round = 0; round < 2000; round++) {
        g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            unsigned long pp[4];
            char st;
            if (name[0] < '1' || name[0] > '9')
                continue;
            if (read_status(atoi(name), &st, "PPid:", pp) && pp[0] == (unsigned long)getpid() &&
                st != 'Z')
                kill(atoi(name), SIGKILL);
        }
        for (;;) {
            pid_t r = waitpid(-1, NULL, WNOHANG);
            if (r < 0 && errno == ECHILD)
                return;
            if (r <= 0)
                break;
        }
        g_usleep(1000);
    }
}

static void cleanup_all_uids(void)
{
    for (int i = 0; i < shared->n_uids; i++)
        cleanup_kill_uid(shared->uids[i]);
}

/* The users of one run, or of every dead run when pid is 0 (testusers.h). */
static void cleanup_users(pid_t pid)
{
    tu_cleanup_users("rk-reap", pid, cleanup_kill_uid);
}

static void cleanup_mount(void)
{
    if (shared->mount_dir[0]) {
        umount2(shared->mount_dir, MNT_DETACH);
        rmdir(shared->mount_dir);
        shared->mount_dir[0] = '\0';
    }
}

static void rm_tree(const char *dir)
{
    const char *argv[] = { "/bin/rm", "-rf", "--one-file-system", dir, NULL };
    tu_run_quiet(argv);
}

static void cleanup_fake_proc(void)
{
    if (shared->fake_proc[0]) {
        rm_tree(shared->fake_proc);
        shared->fake_proc[0] = '\0';
    }
}

/* End of every test: nothing the test started survives into the next one. */
static void test_cleanup(void)
{
    cleanup_all_uids();
    kill_descendants();
    cleanup_mount();
}

static bool require_root(void)
{
    if (geteuid() != 0) {
        g_test_skip("needs root: the reaper test makes users and setuid processes");
        return false;
    }
    return true;
}

static void remember_uid(uid_t uid)
{
    g_assert_cmpint(shared->n_uids, <, MAX_UIDS);
    shared->uids[shared->n_uids++] = uid;
}

/* A fresh user per test, so that tests cannot see each other's processes. */
static Guest make_user(void)
{
    g_autofree char *name = g_strdup_printf("rk-reap-%d-%d", (int)supervisor_pid, ++user_seq);
    const char *argv[] = { "useradd", "-M", "-N", "-s", "/usr/sbin/nologin", "-d", "/nonexistent",
                           /* no subordinate id ranges, even where /etc/subuid exists */
                           "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name, NULL };
    g_autoptr(GError) error = NULL;
    int status = -1;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 0);
    struct passwd *pw = getpwnam(name);
    g_assert_nonnull(pw);
    g_assert_cmpuint(pw->pw_uid, !=, 0);
    remember_uid(pw->pw_uid);
    return (Guest){ pw->pw_uid, pw->pw_gid };
}

typedef void (*ChildFn)(void *arg);

/* Fork a child that becomes guest g (or stays root when g is NULL), limited to nproc processes
 * of its uid when nproc > 0, then runs fn. Returns once the child has its ids. */
static pid_t spawn(const Guest *g, rlim_t nproc, ChildFn fn, void *arg)
{
    int p[2];
    char c = 1;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

    g_assert_cmpint(devnull, >=, 0);
    g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        int err = 0;
        struct rlimit rl = { nproc, nproc };

        /* Children never write into the TAP stream. */
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (nproc > 0 && setrlimit(RLIMIT_NPROC, &rl) < 0)
            err = errno;
        if (g && !err) {
            if (setgroups(0, NULL) < 0 || setresgid(g->gid, g->gid, g->gid) < 0 ||
                setresuid(g->uid, g->uid, g->uid) < 0)
                err = errno;
            else if (getuid() != g->uid || geteuid() != g->uid)
                err = EPERM;
        }
        c = (char)err;
        if (write(p[1], &c, 1) != 1 || err)
            _exit(127);
        close(p[1]);
        fn(arg);
        _exit(0);
    }
    close(p[1]);
    close(devnull);
    ssize_t n = read(p[0], &c, 1);
    close(p[0]);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpint(c, ==, 0);
    return pid;
}

static void child_exec(void *arg)
{
    char **argv = arg;
    execv(argv[0], argv);
    _exit(127);
}

static pid_t spawn_exec(const Guest *g, rlim_t nproc, const char *a0, const char *a1,
                        const char *a2)
{
    const char *argv[] = { a0, a1, a2, NULL };
    return spawn(g, nproc, child_exec, (void *)argv);
}

static pid_t spawn_sleep(const Guest *g)
{
    return spawn_exec(g, 0, "/bin/sleep", "1000", NULL);
}

static int wait_count(uid_t uid, int at_least, int timeout_ms)
{
    long long end = rk_now_ns() + timeout_ms * 1000000LL;
    int n;
    while ((n = reaper_count_uid(uid, "/proc")) < at_least && rk_now_ns() < end)
        g_usleep(2000);
    return n;
}

static bool wait_state(pid_t pid, char state, int timeout_ms)
{
    long long end = rk_now_ns() + timeout_ms * 1000000LL;
    while (proc_state(pid) != state) {
        if (rk_now_ns() >= end)
            return false;
        g_usleep(1000);
    }
    return true;
}

/* True when pid is our child, alive and not a zombie. */
static bool alive(pid_t pid)
{
    char st = proc_state(pid);
    return kill(pid, 0) == 0 && st != 'Z' && st != 'X' && st != '-';
}

static void assert_killed(pid_t pid)
{
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

/* ---- tests ---- */

static void test_refuses_root(void)
{
    ReaperStats st = { 99, 99, 99, 99 };
    pid_t pid = spawn(NULL, 0, child_exec, (char *[]){ "/bin/sleep", "1000", NULL });

    g_assert_cmpint(reaper_kill_uid(0, "/proc", 500, &st), ==, -EPERM);
    g_assert_cmpuint(st.rounds, ==, 0);
    g_assert_cmpuint(st.found, ==, 0);
    g_assert_cmpint(reaper_kill_uid(0, NULL, 500, NULL), ==, -EPERM);
    g_assert_cmpint(reaper_kill_uid((uid_t)-1, "/proc", 500, NULL), ==, -EINVAL);
    g_assert_cmpint(reaper_count_uid(1, NULL), ==, -EINVAL);
    /* The root child must have survived all of that. */
    g_usleep(20000);
    g_assert_true(alive(pid));
    g_assert_cmpint(waitpid(pid, NULL, WNOHANG), ==, 0);

    g_autoptr(GError) error = NULL;
    g_assert_false(reaper_logind_terminate(0, 500, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    test_cleanup();
}

static void test_single(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;
    pid_t pid = spawn_sleep(&g);

    g_assert_cmpint(wait_count(g.uid, 1, 2000), ==, 1);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, &st), ==, 0);
    g_assert_cmpuint(st.found, ==, 1);
    g_assert_cmpuint(st.rounds, >=, 1);
    g_assert_cmpint(st.duration_ns, >, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    assert_killed(pid);
    g_test_message("1 process: %.2f ms, %u rounds", ms(st.duration_ns), st.rounds);
    test_cleanup();
}

static void test_fifty(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;
    pid_t pids[50];

    for (size_t i = 0; i < RK_ELEMENTS(pids); i++)
        pids[i] = spawn_sleep(&g);
    g_assert_cmpint(wait_count(g.uid, 50, 2000), ==, 50);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, &st), ==, 0);
    g_assert_cmpuint(st.found, ==, 50);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    for (size_t i = 0; i < RK_ELEMENTS(pids); i++)
        assert_killed(pids[i]);
    g_test_message("50 processes: %.2f ms, %u rounds", ms(st.duration_ns), st.rounds);
    test_cleanup();
}

static void test_fork_loop_shell(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;

    /* RLIMIT_NPROC 64 bounds the loop even if the reaper were broken. */
    spawn_exec(&g, 64, "/bin/bash", "-c", "while :; do sleep 100 & done");
    g_assert_cmpint(wait_count(g.uid, 32, 5000), >=, 32);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 10000, &st), ==, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    g_assert_cmpuint(st.found, >=, 32);
    g_test_message("shell fork loop (%u found): %.2f ms, %u rounds", st.found,
                   ms(st.duration_ns), st.rounds);
    test_cleanup();
}

static void child_fork_bomb(void *arg)
{
    /* Every process forks forever; RLIMIT_NPROC is the only bound. */
    for (;;)
        (void)fork();
}

static void test_fork_bomb(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;

    spawn(&g, 64, child_fork_bomb, NULL);
    g_assert_cmpint(wait_count(g.uid, 48, 5000), >=, 48);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 10000, &st), ==, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    g_test_message("C fork bomb (%u found): %.2f ms, %u rounds", st.found, ms(st.duration_ns),
                   st.rounds);
    test_cleanup();
}

static void test_stopped_ignoring_term(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;
    pid_t pid = spawn_exec(&g, 0, "/bin/sh", "-c",
                           "trap '' TERM HUP INT QUIT; kill -STOP $$; sleep 1000");

    g_assert_true(wait_state(pid, 'T', 2000));
    kill(pid, SIGTERM);
    g_usleep(10000);
    g_assert_true(alive(pid));
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, &st), ==, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    assert_killed(pid);
    test_cleanup();
}

static void test_others_survive(void)
{
    if (!require_root())
        return;
    Guest a = make_user(), b = make_user();
    pid_t a_pids[3], b_pids[2];

    for (size_t i = 0; i < RK_ELEMENTS(a_pids); i++)
        a_pids[i] = spawn_sleep(&a);
    for (size_t i = 0; i < RK_ELEMENTS(b_pids); i++)
        b_pids[i] = spawn_sleep(&b);
    pid_t root_pid = spawn_sleep(NULL);

    g_assert_cmpint(reaper_count_uid(a.uid, "/proc"), ==, 3);
    g_assert_cmpint(reaper_count_uid(b.uid, "/proc"), ==, 2);
    g_assert_cmpint(reaper_kill_uid(a.uid, "/proc", 5000, NULL), ==, 0);
    for (size_t i = 0; i < RK_ELEMENTS(a_pids); i++)
        assert_killed(a_pids[i]);
    g_assert_cmpint(reaper_count_uid(b.uid, "/proc"), ==, 2);
    for (size_t i = 0; i < RK_ELEMENTS(b_pids); i++)
        g_assert_true(alive(b_pids[i]));
    g_assert_true(alive(root_pid));
    g_assert_true(alive(getpid()));
    test_cleanup();
}

/* Copy an executable into dir as a setuid-root file. */
static void install_setuid(const char *src, const char *dir, const char *name)
{
    g_autofree char *data = NULL;
    g_autofree char *dst = g_build_filename(dir, name, NULL);
    gsize len;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_get_contents(src, &data, &len, &error));
    g_assert_no_error(error);
    _cleanup_close_ int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(rk_write_all(fd, data, len), ==, 0);
    g_assert_cmpint(fchown(fd, 0, 0), ==, 0);
    g_assert_cmpint(fchmod(fd, 04755), ==, 0);
}

static void test_setuid(void)
{
    if (!require_root())
        return;
    char dir[] = "/tmp/rk-reap-suid-XXXXXX";
    g_assert_nonnull(mkdtemp(dir));
    g_strlcpy(shared->mount_dir, dir, sizeof shared->mount_dir);
    /* A private tmpfs mounted without nosuid: the setuid copies never touch a real disk. */
    if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755,size=64m") < 0) {
        g_autofree char *why = g_strdup_printf("cannot mount a tmpfs without nosuid: %s",
                                               g_strerror(errno));
        rmdir(dir);
        shared->mount_dir[0] = '\0';
        g_test_skip(why);
        return;
    }
    install_setuid("/bin/sleep", dir, "sleep");

    Guest g = make_user();
    g_autofree char *suid_sleep = g_build_filename(dir, "sleep", NULL);
    pid_t pid = spawn_exec(&g, 0, suid_sleep, "1000", NULL);
    unsigned long u[4] = { 0 };
    for (int i = 0; i < 2000 && (!read_status(pid, NULL, "Uid:", u) || u[1] != 0); i++)
        g_usleep(1000);
    if (u[1] != 0) {
        test_cleanup();
        g_test_skip("setuid bit not honoured here (no_new_privs or nosuid)");
        return;
    }
    /* Real uid stays the guest's; effective and saved are root. */
    g_assert_cmpuint(u[0], ==, g.uid);
    g_assert_cmpuint(u[2], ==, 0);
    /* A child of the setuid program inherits the same mix. */
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 1);

    /* A setuid program that changes every id to root is not the guest's any more: perl as a
     * setuid-root copy, setting its real uid to 0. */
    pid_t root_now = -1;
    if (access("/usr/bin/perl", X_OK) == 0) {
        install_setuid("/usr/bin/perl", dir, "perl");
        g_autofree char *suid_perl = g_build_filename(dir, "perl", NULL);
        root_now = spawn_exec(&g, 0, suid_perl, "-e", "$< = 0; $( = 0; sleep 1000;");
        for (int i = 0; i < 3000 && (!read_status(root_now, NULL, "Uid:", u) || u[0] != 0); i++)
            g_usleep(1000);
        g_assert_cmpuint(u[0], ==, 0);
        g_assert_cmpuint(u[1], ==, 0);
        g_assert_cmpuint(u[2], ==, 0);
        g_assert_cmpuint(u[3], ==, 0);
        g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 1);
    } else {
        g_test_message("no /usr/bin/perl: the fully-changed-ids case is not tested");
    }

    ReaperStats st;
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, &st), ==, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    assert_killed(pid);
    if (root_now > 0)
        g_assert_true(alive(root_now));
    test_cleanup();
}

static void child_exit(void *arg)
{
    _exit(0);
}

static void test_zombies(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;
    pid_t z1 = spawn(&g, 0, child_exit, NULL), z2 = spawn(&g, 0, child_exit, NULL);

    /* Not reaped: they stay zombies with the guest's uid. */
    g_assert_true(wait_state(z1, 'Z', 2000));
    g_assert_true(wait_state(z2, 'Z', 2000));
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, &st), ==, 0);
    g_assert_cmpuint(st.found, ==, 0);
    g_assert_cmpuint(st.rounds, ==, 1);
    test_cleanup();
}

static void *thread_sleep(void *arg)
{
    for (;;)
        pause();
    return NULL;
}

static void child_leader_exits(void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, thread_sleep, NULL) != 0)
        _exit(1);
    pthread_exit(NULL);
}

static void test_leader_exited(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    pid_t pid = spawn(&g, 0, child_leader_exits, NULL);

    /* The main thread is a zombie, the process is not: its other thread still runs. */
    g_assert_true(wait_state(pid, 'Z', 2000));
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 1);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, NULL), ==, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    assert_killed(pid);
    test_cleanup();
}

static void child_killer(void *arg)
{
    /* A hostile guest that SIGKILLs everything it can, including the reaper's child in the
     * moment it has become the guest. One only: two would kill each other. Without the
     * reaper's freeze it won the race for the whole 10 s once, on a loaded 2-core CI. */
    for (;;)
        kill(-1, SIGKILL);
}

static void test_hostile_killer(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;

    pid_t pid = spawn(&g, 16, child_killer, NULL);
    g_assert_cmpint(wait_count(g.uid, 1, 2000), ==, 1);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 10000, &st), ==, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    assert_killed(pid);
    g_test_message("guest killing kill(-1) in a loop: %.2f ms, %u rounds, %u frozen",
                   ms(st.duration_ns), st.rounds, st.frozen);
    test_cleanup();
}

static void test_freeze(void)
{
    if (!require_root())
        return;
    Guest g = make_user(), other = make_user();
    pid_t a = spawn_sleep(&g), b = spawn_sleep(&g), c = spawn_sleep(&other);
    pid_t killer = spawn(&g, 16, child_killer, NULL);

    /* The killer kills the sleepers of its own account; wait until it is alone. */
    g_assert_cmpint(wait_count(g.uid, 1, 2000), >=, 1);
    assert_killed(a);
    assert_killed(b);
    a = spawn_sleep(&other);

    g_assert_cmpint(reaper_freeze_uid(0), ==, -EPERM);
    g_assert_cmpint(reaper_freeze_uid((uid_t)-1), ==, -EPERM);
    g_assert_cmpint(reaper_freeze_uid(g.uid), ==, 1);
    /* Stopped: it can no longer kill, so a new process of the guest lives on. */
    g_assert_true(wait_state(killer, 'T', 2000));
    b = spawn_sleep(&g);
    g_usleep(50 * 1000);
    g_assert_true(alive(b));
    /* Another account's processes are not touched. */
    g_assert_true(wait_state(c, 'S', 2000));
    g_assert_true(wait_state(a, 'S', 2000));

    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, NULL), ==, 0);
    assert_killed(killer);
    assert_killed(b);
    g_assert_cmpint(reaper_kill_uid(other.uid, "/proc", 5000, NULL), ==, 0);
    assert_killed(a);
    assert_killed(c);
    test_cleanup();
}

static void test_no_passwd_entry(void)
{
    if (!require_root())
        return;
    uid_t uid = 0;

    for (uid_t u = 61000; u < 65000; u++)
        if (!getpwuid(u) && !getgrgid(u) && reaper_count_uid(u, "/proc") == 0) {
            uid = u;
            break;
        }
    if (uid == 0) {
        g_test_skip("no free uid between 61000 and 65000");
        return;
    }
    remember_uid(uid);
    Guest g = { uid, uid };
    pid_t pid = spawn_sleep(&g);

    g_assert_cmpint(reaper_kill_uid(uid, "/proc", 5000, NULL), ==, 0);
    assert_killed(pid);
    test_cleanup();
}

static void test_user_namespace(void)
{
    if (!require_root())
        return;
    if (access("/usr/bin/unshare", X_OK) < 0) {
        g_test_skip("no /usr/bin/unshare");
        return;
    }
    Guest g = make_user();

    /* "root" of its own user namespace and PID 1 of its own PID namespace: still the guest's
     * uid to the kernel, and PID 1 only inside its namespace. */
    spawn_exec(&g, 0, "/bin/sh", "-c", "exec /usr/bin/unshare -Urpf /bin/sleep 1000");
    if (wait_count(g.uid, 2, 2000) < 2) {
        test_cleanup();
        g_test_skip("the guest cannot create user and PID namespaces here");
        return;
    }
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 5000, NULL), ==, 0);
    g_assert_cmpint(reaper_count_uid(g.uid, "/proc"), ==, 0);
    test_cleanup();
}

static void child_euid_only(void *arg)
{
    /* Root that merely acts as the guest (effective uid only): the guest cannot signal it. */
    uid_t uid = *(uid_t *)arg;
    if (setresuid(0, uid, 0) < 0)
        _exit(1);
    for (;;)
        pause();
}

static void test_timeout_real(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    ReaperStats st;
    pid_t pid = spawn(NULL, 0, child_euid_only, &g.uid);

    g_assert_cmpint(wait_count(g.uid, 1, 2000), ==, 1);
    g_assert_cmpint(reaper_kill_uid(g.uid, "/proc", 300, &st), ==, -ETIMEDOUT);
    g_assert_cmpint(st.duration_ns, >=, 300 * 1000000LL);
    g_assert_cmpint(st.duration_ns, <, 2000 * 1000000LL);
    g_assert_cmpuint(st.rounds, >=, 2);
    g_assert_true(alive(pid));
    g_test_message("timeout 300 ms: returned after %.1f ms, %u rounds", ms(st.duration_ns),
                   st.rounds);
    test_cleanup();
}

static void put(const char *root, const char *rel, const char *content)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, content, -1, NULL));
}

static char *fake_status(char state, uid_t r, uid_t e, uid_t s, uid_t f)
{
    return g_strdup_printf("Name:\tfake\nUmask:\t0022\nState:\t%c (fake)\nTgid:\t1\n"
                           "Uid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
                           state, r, e, s, f);
}

static void test_timeout_fake_proc(void)
{
    if (!require_root())
        return;
    Guest g = make_user();
    g_autofree char *root = g_dir_make_tmp("rk-reap-proc-XXXXXX", NULL);
    g_autofree char *live = fake_status('S', g.uid, g.uid, g.uid, g.uid);
    g_autofree char *fs_only = fake_status('R', 0, 0, 0, g.uid);
    g_autofree char *zombie = fake_status('Z', g.uid, g.uid, g.uid, g.uid);
    g_autofree char *dead = fake_status('X', g.uid, g.uid, g.uid, g.uid);
    ReaperStats st;

    g_assert_nonnull(root);
    g_assert_cmpuint(strlen(root), <, sizeof shared->fake_proc);
    g_strlcpy(shared->fake_proc, root, sizeof shared->fake_proc);
    put(root, "1234/status", live);
    put(root, "1235/status", zombie);
    put(root, "1236/status", dead);
    put(root, "1237/status", "Name:\tother\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\n");
    put(root, "1238/status", fs_only);
    /* A zombie leader with a live thread counts; one whose threads are all dead does not. */
    put(root, "1239/status", zombie);
    put(root, "1239/task/1239/status", zombie);
    put(root, "1239/task/1240/status", live);
    put(root, "1241/status", zombie);
    put(root, "1241/task/1241/status", zombie);
    put(root, "1241/task/1242/status", dead);
    put(root, "self/status", live);
    put(root, "sys/status", live);
    put(root, "0123/status", live);

    g_assert_cmpint(reaper_count_uid(g.uid, root), ==, 3);
    g_assert_cmpint(reaper_kill_uid(g.uid, root, 200, &st), ==, -ETIMEDOUT);
    g_assert_cmpuint(st.found, ==, 3);
    g_assert_cmpuint(st.rounds, >=, 2);
    g_assert_cmpint(st.duration_ns, >=, 200 * 1000000LL);
    g_assert_cmpint(st.duration_ns, <, 2000 * 1000000LL);

    /* timeout 0: one round, one verification. */
    g_assert_cmpint(reaper_kill_uid(g.uid, root, 0, &st), ==, -ETIMEDOUT);
    g_assert_cmpuint(st.rounds, ==, 1);

    /* Fail closed: an unparsable status stops the scan instead of being skipped. */
    put(root, "1300/status", "Name:\tbroken\nState:\tS (sleeping)\n");
    g_assert_cmpint(reaper_count_uid(g.uid, root), ==, -EBADMSG);
    g_assert_cmpint(reaper_kill_uid(g.uid, root, 200, NULL), ==, -EBADMSG);
    put(root, "1300/status", "Name:\tbroken\nState:\tS (sleeping)\nUid:\tx\n");
    g_assert_cmpint(reaper_count_uid(g.uid, root), ==, -EBADMSG);

    cleanup_fake_proc();
    g_assert_cmpint(reaper_count_uid(g.uid, root), ==, -ENOENT);
    g_assert_cmpint(reaper_kill_uid(g.uid, root, 200, NULL), ==, -ENOENT);
    test_cleanup();
}

static void test_count(void)
{
    if (!require_root())
        return;
    Guest a = make_user(), b = make_user();

    g_assert_cmpint(reaper_count_uid(a.uid, "/proc"), ==, 0);
    for (int i = 0; i < 7; i++)
        spawn_sleep(&a);
    for (int i = 0; i < 3; i++)
        spawn_sleep(&b);
    g_assert_cmpint(reaper_count_uid(a.uid, "/proc"), ==, 7);
    g_assert_cmpint(reaper_count_uid(b.uid, "/proc"), ==, 3);
    /* Root acting with the guest's effective uid counts for the guest too. */
    spawn(NULL, 0, child_euid_only, &a.uid);
    g_assert_cmpint(wait_count(a.uid, 8, 2000), ==, 8);
    /* A zombie of b does not count. */
    g_assert_true(wait_state(spawn(&b, 0, child_exit, NULL), 'Z', 2000));
    g_assert_cmpint(reaper_count_uid(b.uid, "/proc"), ==, 3);
    test_cleanup();
    g_assert_cmpint(reaper_count_uid(a.uid, "/proc"), ==, 0);
    g_assert_cmpint(reaper_count_uid(b.uid, "/proc"), ==, 0);
}

static void test_logind_no_bus(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *old = g_strdup(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"));
    long long t0 = rk_now_ns();

    g_setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/rk-reap-no-bus", TRUE);
    g_assert_false(reaper_logind_terminate(4242, 2000, &error));
    g_assert_nonnull(error);
    g_assert_cmpint(rk_now_ns() - t0, <, 1000 * 1000000LL);
    g_clear_error(&error);
    g_assert_false(reaper_logind_terminate(4242, 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    /* Put back only what was there: unsetenv() is not safe once GDBus has started threads,
     * and no later test talks to a bus. */
    if (old)
        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", old, TRUE);
}

static int run_tests(void)
{
    /* Orphans of the guest trees come back to us, so that test_cleanup() can reap them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    g_test_add_func("/reaper/refuses-root", test_refuses_root);
    g_test_add_func("/reaper/single", test_single);
    g_test_add_func("/reaper/fifty", test_fifty);
    g_test_add_func("/reaper/fork-loop-shell", test_fork_loop_shell);
    g_test_add_func("/reaper/fork-bomb", test_fork_bomb);
    g_test_add_func("/reaper/stopped-ignoring-term", test_stopped_ignoring_term);
    g_test_add_func("/reaper/others-survive", test_others_survive);
    g_test_add_func("/reaper/setuid", test_setuid);
    g_test_add_func("/reaper/zombies", test_zombies);
    g_test_add_func("/reaper/leader-exited", test_leader_exited);
    g_test_add_func("/reaper/hostile-killer", test_hostile_killer);
    g_test_add_func("/reaper/freeze", test_freeze);
    g_test_add_func("/reaper/no-passwd-entry", test_no_passwd_entry);
    g_test_add_func("/reaper/user-namespace", test_user_namespace);
    g_test_add_func("/reaper/timeout-real", test_timeout_real);
    g_test_add_func("/reaper/timeout-fake-proc", test_timeout_fake_proc);
    g_test_add_func("/reaper/count", test_count);
    g_test_add_func("/reaper/logind-no-bus", test_logind_no_bus);
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

    /* Users left behind by a run that was killed outright. */
    cleanup_users(0);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    fflush(stdout);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        exit(run_tests());

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* Whatever the child left, even after an abort: processes, mount, users. */
    cleanup_all_uids();
    kill_descendants();
    cleanup_mount();
    cleanup_fake_proc();
    cleanup_users(supervisor_pid);
    munmap(shared, sizeof *shared);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "test child died of signal %d\n", WTERMSIG(status));
    return 1;
}
