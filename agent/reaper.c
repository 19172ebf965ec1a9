/* The reaper: ends every process of the guest, verified by /proc scans.
 *
 * Security rules, each stated again where the code enforces it:
 *  - uid 0 is refused before anything else: "every process of root" is the whole machine.
 *  - The SIGKILL is sent by a child that has become the guest completely (no supplementary
 *    groups, all three gids, all three uids) and has checked that it really is the guest
 *    before calling kill(-1). If any step fails the child exits without signalling.
 *  - The child only makes async-signal-safe calls: rentarkd has threads (GDBus, GLib), and a
 *    forked copy of one thread must not touch a lock another thread may have held.
 *  - A process counts as the guest's when the uid is its real, effective, saved or file-system
 *    uid and it is alive. kill(-1) run by the guest reaches exactly the processes whose real or
 *    saved uid is the guest's; that includes a setuid-root program the guest started (real uid
 *    stays the guest's). A process that changed all its ids away is not the guest's any more.
 *  - Verification fails closed: a status file that cannot be read (other than a process having
 *    exited meanwhile) or parsed makes the scan fail instead of being skipped.
 *
 * Limits, said honestly: processes the guest runs under subordinate uids of a user namespace
 * (/etc/subuid) carry other uids and are not found here; give guest accounts no subuid range.
 * A process stuck in uninterruptible sleep (D state) cannot be killed by anyone, which is what
 * the timeout is for. Never logs: the caller logs once. */
#include "reaper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "guest.h"
#include "util.h"

/* First and longest pause between kill rounds. Processes usually die within a millisecond of
 * SIGKILL; the pause grows for those that take longer (exiting with much memory, D state). */
#define REAPER_SLEEP_MIN_NS (10LL * 1000 * 1000)
#define REAPER_SLEEP_MAX_NS (100LL * 1000 * 1000)

/* /proc/PID/status is about 1.5 KiB; State: and Uid: are among its first ten lines, far inside
 * this buffer even with the longest escaped Name:. */
#define REAPER_STATUS_MAX 4096

typedef struct {
    bool alive;    /* not a zombie (Z) and not dead (X) */
    uid_t uids[4]; /* real, effective, saved, file-system */
} ReaperTask;

/* The guest's primary gid from the passwd database, or the uid itself when the uid has no
 * entry (a deleted account can still have processes). Runs before fork: it may allocate. */
static int reaper_guest_gid(uid_t uid, gid_t *ret_gid)
{
    g_auto(GuestAccount) acct = { 0 };
    int r = guest_account_lookup(NULL, uid, &acct);
    if (r < 0 && r != -ENOENT)
        return r;
    *ret_gid = r == 0 ? acct.gid : (gid_t)uid;
    return 0;
}

/* Ends the kill child with errno as its exit status (0 is reserved for success). */
static _Noreturn void reaper_child_fail(int err)
{
    _exit(err > 0 && err < 256 ? err : EPERM);
}

/* Runs in the forked child and never returns. Only async-signal-safe calls are allowed here
 * (the parent may have threads), so everything it needs was prepared before fork. The exit
 * status is 0 when the kill was sent (or there was nobody to signal), otherwise an errno. */
static _Noreturn void reaper_child_kill(uid_t uid, gid_t gid)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;

    /* SAFETY RULE: kill(-1, SIGKILL) as root would kill every process on the machine. So each
     * step below that fails ends the child with _exit() and no signal is ever sent, and the
     * kill only happens after the child has checked that it really is the guest and not
     * root. Nothing here may be skipped or reordered. */
    if (uid == 0 || uid == (uid_t)-1 || gid == (gid_t)-1)
        reaper_child_fail(EINVAL);
    if (setgroups(0, NULL) < 0)
        reaper_child_fail(errno);
    if (setresgid(gid, gid, gid) < 0)
        reaper_child_fail(errno);
    if (setresuid(uid, uid, uid) < 0)
        reaper_child_fail(errno);
    if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
        reaper_child_fail(EPERM);
    if (getuid() != uid || geteuid() != uid || ruid != uid || euid != uid || suid != uid ||
        ruid == 0 || euid == 0 || rgid != gid || egid != gid || sgid != gid)
        reaper_child_fail(EPERM);

    /* Only now, as the guest, may the child signal: the kernel lets it reach exactly the
     * processes the guest could signal. ESRCH means there was none: that is success. */
    if (kill(-1, SIGKILL) < 0 && errno != ESRCH)
        reaper_child_fail(errno);
    _exit(0);
}

/* Outcomes of one kill round besides 0 (kill sent) and -errno (hard failure). */
enum {
    REAPER_ROUND_CHILD_KILLED = 1, /* the child died of a signal before it reported */
    REAPER_ROUND_NO_FORK = 2,      /* fork() failed for lack of memory or tasks, for now */
};

/* One kill round: fork, let the child become the guest and kill(-1), wait for it.
 * Returns 0 when the kill was sent; REAPER_ROUND_CHILD_KILLED when a hostile guest SIGKILLed
 * the child in the moment it was the guest (the caller retries at once);
 * REAPER_ROUND_NO_FORK when fork() failed with EAGAIN/ENOMEM, which a guest filling memory
 * can cause (the caller retries after a pause); or -errno when the child could not become the
 * guest, which another round would not change. */
static int reaper_kill_round(uid_t uid, gid_t gid)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return errno == EAGAIN || errno == ENOMEM ? REAPER_ROUND_NO_FORK : -errno;
    if (pid == 0)
        reaper_child_kill(uid, gid);

    while (waitpid(pid, &status, 0) < 0) {
        /* ECHILD: the caller ignores SIGCHLD and the kernel reaped the child for us; the
         * verification scan still decides. */
        if (errno == ECHILD)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
    if (WIFSIGNALED(status))
        return REAPER_ROUND_CHILD_KILLED;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return -WEXITSTATUS(status);
    return 0;
}

/* Parse the uid list after "Uid:" (four decimal numbers). */
static int reaper_parse_uids(const char *p, uid_t uids[4])
{
    for (int i = 0; i < 4; i++) {
        char *end;
        unsigned long v;

        while (*p == ' ' || *p == '\t')
            p++;
        if (*p < '0' || *p > '9')
            return -EBADMSG;
        errno = 0;
        v = strtoul(p, &end, 10);
        if (errno != 0 || v > (uid_t)-1)
            return -EBADMSG;
        uids[i] = (uid_t)v;
        p = end;
    }
    return 0;
}

/* Read and parse one status file, relative to dir_fd. Returns 0, -ENOENT/-ESRCH when the task
 * is gone (the caller skips it), or another -errno (the scan fails closed). */
static int reaper_read_status(int dir_fd, const char *path, ReaperTask *ret)
{
    char buf[REAPER_STATUS_MAX];
    bool have_state = false, have_uid = false;
    _cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

    if (fd < 0)
        return -errno;
    ssize_t len = rk_read_all(fd, buf, sizeof buf - 1);
    if (len < 0)
        return (int)len;
    buf[len] = '\0';

    /* The only text a process controls here, Name:, is escaped by the kernel (no raw newline),
     * so it cannot forge a State: or Uid: line of its own. */
    for (const char *line = buf; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, "State:", 6) == 0) {
            const char *s = line + 6;
            while (*s == ' ' || *s == '\t')
                s++;
            /* Zombies (Z) and dead tasks (X, x) no longer run code and hold nothing open. */
            ret->alive = !(*s == 'Z' || *s == 'X' || *s == 'x');
            have_state = *s != '\0' && *s != '\n';
        } else if (strncmp(line, "Uid:", 4) == 0) {
            int r = reaper_parse_uids(line + 4, ret->uids);
            if (r < 0)
                return r;
            have_uid = true;
        }
    }
    return have_state && have_uid ? 0 : -EBADMSG;
}

static bool reaper_task_has_uid(const ReaperTask *t, uid_t uid)
{
    for (size_t i = 0; i < RK_ELEMENTS(t->uids); i++)
        if (t->uids[i] == uid)
            return true;
    return false;
}

static bool reaper_is_pid_name(const char *name)
{
    if (*name < '1' || *name > '9')
        return false;
    for (; *name; name++)
        if (*name < '0' || *name > '9')
            return false;
    return true;
}

/* The thread-group leader of pid is a zombie: the process still lives if one of its other
 * threads does (the main thread may call pthread_exit and leave the rest running). Threads
 * are judged by the process's uids: kill(-1) checks the leader's credentials and SIGKILL ends
 * the whole thread group. Returns 1 if a thread lives, 0 if none, or -errno. */
static int reaper_any_thread_alive(int proc_fd, const char *pid)
{
    char path[NAME_MAX + 16];
    int r = 0;

    snprintf(path, sizeof path, "%s/task", pid);
    int task_fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (task_fd < 0)
        return errno == ENOENT || errno == ESRCH ? 0 : -errno;
    DIR *d = fdopendir(task_fd);
    if (!d) {
        r = -errno;
        close(task_fd);
        return r;
    }

    for (;;) {
        struct dirent *de;
        ReaperTask t = { 0 };

        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno != 0)
                r = -errno;
            break;
        }
        if (!reaper_is_pid_name(de->d_name) || strcmp(de->d_name, pid) == 0)
            continue;
        snprintf(path, sizeof path, "%s/status", de->d_name);
        int q = reaper_read_status(dirfd(d), path, &t);
        if (q == -ENOENT || q == -ESRCH)
            continue;
        if (q < 0) {
            r = q;
            break;
        }
        if (t.alive) {
            r = 1;
            break;
        }
    }
    closedir(d);
    return r;
}

/* Count the live processes of uid under proc_root. Tasks that vanish during the scan are
 * skipped; any other failure fails the whole scan, because a scan that skips what it cannot
 * read could report "none left" while something is.
 *
 * With freeze set (only on the real /proc), root also sends SIGSTOP to each process it counts.
 * That is safe against pid reuse because the signal goes through a pidfd opened *before* the
 * status was read: if the pid was reused in between, the pidfd names the old, dead process and
 * the signal fails with ESRCH instead of reaching the new one. Freezing is best effort; the
 * count and the kill(-1) rounds decide. */
static int reaper_scan(uid_t uid, const char *proc_root, bool freeze)
{
    int count = 0, r = 0;
    int proc_fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (proc_fd < 0)
        return -errno;
    DIR *d = fdopendir(proc_fd);
    if (!d) {
        r = -errno;
        close(proc_fd);
        return r;
    }

    for (;;) {
        struct dirent *de;
        ReaperTask t = { 0 };
        char path[NAME_MAX + 16];

        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno != 0)
                r = -errno;
            break;
        }
        /* Only thread-group leaders are listed here; their threads are covered by them. */
        if (!reaper_is_pid_name(de->d_name) || strlen(de->d_name) > 20)
            continue;
        _cleanup_close_ int pidfd = -1;
        if (freeze)
            pidfd = pidfd_open((pid_t)strtol(de->d_name, NULL, 10), 0);
        snprintf(path, sizeof path, "%s/status", de->d_name);
        int q = reaper_read_status(dirfd(d), path, &t);
        if (q == -ENOENT || q == -ESRCH)
            continue;
        if (q < 0) {
            r = q;
            break;
        }
        if (!reaper_task_has_uid(&t, uid))
            continue;
        if (pidfd >= 0)
            (void)pidfd_send_signal(pidfd, SIGSTOP, NULL, 0);
        if (!t.alive) {
            q = reaper_any_thread_alive(dirfd(d), de->d_name);
            if (q < 0) {
                r = q;
                break;
            }
            if (q == 0)
                continue;
        }
        if (count < INT_MAX)
            count++;
    }
    closedir(d);
    return r < 0 ? r : count;
}

int reaper_count_uid(uid_t uid, const char *proc_root)
{
    if (!proc_root)
        return -EINVAL;
    return reaper_scan(uid, proc_root, false);
}

int reaper_freeze_uid(uid_t uid)
{
    /* The same refusals as the kill: root's processes are the machine. */
    if (uid == 0 || uid == (uid_t)-1)
        return -EPERM;
    return reaper_scan(uid, "/proc", true);
}

static void reaper_sleep_until(long long deadline_ns)
{
    struct timespec ts = {
        .tv_sec = deadline_ns / 1000000000LL,
        .tv_nsec = deadline_ns % 1000000000LL,
    };

    /* rk_now_ns() is CLOCK_MONOTONIC, so an absolute sleep on the same clock needs no
     * bookkeeping of what EINTR left over. */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

int reaper_kill_uid(uid_t uid, const char *proc_root, int timeout_ms, ReaperStats *stats)
{
    ReaperStats st = { 0 };
    long long start = rk_now_ns();
    long long deadline = start + (long long)(timeout_ms > 0 ? timeout_ms : 0) * 1000000LL;
    long long pause_ns = REAPER_SLEEP_MIN_NS;
    gid_t gid = (gid_t)-1;
    int r;

    if (stats)
        *stats = st;
    /* Refused first, before any lookup or fork: uid 0's processes are the whole machine. */
    if (uid == 0)
        return -EPERM;
    /* (uid_t)-1 means "leave unchanged" to setresuid(): the child would stay root. */
    if (uid == (uid_t)-1 || !proc_root)
        return -EINVAL;
    r = reaper_guest_gid(uid, &gid);
    if (r < 0)
        return r;
    if (gid == (gid_t)-1)
        return -EINVAL;

    /* This first scan only feeds the statistics; the kill rounds below run whatever it
     * says, because a forking guest can slip past a scan but not past kill(-1). */
    r = reaper_scan(uid, proc_root, false);
    st.found = r > 0 ? (unsigned)r : 0;

    for (;;) {
        bool again_now = false;

        st.rounds++;
        r = reaper_kill_round(uid, gid);
        if (r == REAPER_ROUND_CHILD_KILLED) {
            /* The guest killed our child before it signalled: something of the guest is
             * fighting back (kill(-1) in a loop), and waiting would only give it time. Root
             * stops every guest process it can see; a stopped process can neither kill nor
             * fork, those forked since are stopped by the next pass, so the next child meets
             * frozen killers. The verdict stays with the kill rounds and the scan. */
            again_now = true;
            if (strcmp(proc_root, "/proc") == 0) {
                int n = reaper_freeze_uid(uid);
                st.frozen += n > 0 ? (unsigned)n : 0;
            }
            r = -ETIMEDOUT;
        } else if (r == REAPER_ROUND_NO_FORK) {
            r = -ETIMEDOUT;
        } else if (r == 0) {
            r = reaper_scan(uid, proc_root, false);
            if (r == 0)
                break;
            if (r > 0)
                r = -ETIMEDOUT;
        }
        /* A failed scan or a child that could not become the guest ends here: another round
         * would fail the same way. */
        if (r != -ETIMEDOUT)
            break;

        long long now = rk_now_ns();
        if (now >= deadline)
            break;
        if (again_now)
            continue;
        reaper_sleep_until(MIN(now + pause_ns, deadline));
        pause_ns = MIN(pause_ns * 2, REAPER_SLEEP_MAX_NS);
    }

    st.duration_ns = rk_now_ns() - start;
    if (stats)
        *stats = st;
    return r;
}

gboolean reaper_logind_terminate(uid_t uid, int timeout_ms, GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    /* Never ask anyone to end root's sessions, for the same reason the uid kill refuses it. */
    if (uid == 0 || uid == (uid_t)-1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "refusing to terminate the sessions of uid %u", (unsigned)uid);
        return FALSE;
    }
    if (timeout_ms <= 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "TerminateUser needs a positive timeout, got %d ms", timeout_ms);
        return FALSE;
    }

    return bus_terminate_user(uid, timeout_ms, error);
}
