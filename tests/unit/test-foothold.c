/* Tests of the foothold remover with real users, real IPC objects, keys and mounts.
 *
 * As root the binary first enters a private IPC namespace and a private mount namespace (with
 * "/" made private), so that every SysV object, message queue and mount it makes is its own
 * and disappears with it; keys cannot be namespaced, so the key tests use fresh users of their
 * own. The binary then forks: the child runs the g_test cases, the parent waits and removes the
 * users (rk-fh-PID-N) and their processes even when the child died of an assertion. Users get
 * uids above UID_MAX that own no key yet: a key a test user could not remove would otherwise be
 * found by the next user given the same uid. Spool and state folders are faked in a tmpfs
 * through FootholdTarget.sysroot. */
#include "testusers.h"
#include "foothold.h"
#include "census.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <mqueue.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define MAX_UIDS 32

typedef struct {
    int n_uids;
    uid_t uids[MAX_UIDS];
} Shared;

static Shared *shared;
static pid_t supervisor_pid;
static int user_seq;
static bool private_ns; /* the IPC and mount namespaces are the test's own */

typedef struct {
    uid_t uid;
    gid_t gid;
    char name[64];
} User;

/* ---- helpers independent of the code under test ---- */

/* Kill every process of uid (cleanup only): as the uid, kill(-1), a few rounds. */
static void cleanup_kill_uid(uid_t uid)
{
    if (uid == 0)
        return;
    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (setgroups(0, NULL) == 0 && setresgid(100, 100, 100) == 0 && setresuid(uid, uid, uid) == 0 &&
                getuid() == uid && geteuid() == uid)
                kill(-1, SIGKILL);
            _exit(0);
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);
        g_usleep(10000);
    }
}

/* The users of one run, or of every dead run when pid is 0 (testusers.h). */
static void cleanup_users(pid_t pid)
{
    tu_cleanup_users("rk-fh", pid, cleanup_kill_uid);
}

static bool require_root(void)
{
    if (geteuid() != 0) {
        g_test_skip("needs root: makes users, IPC objects of other users, mounts");
        return false;
    }
    if (!private_ns) {
        g_test_skip("could not enter a private IPC and mount namespace");
        return false;
    }
    return true;
}

/* keys of uid in /proc/key-users (0: no line). */
static long key_users_nkeys(uid_t uid)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/key-users", &text, NULL, NULL))
        return 0;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned u;
        long usage, nkeys;
        if (sscanf(*l, " %u: %ld %ld/", &u, &usage, &nkeys) == 3 && u == uid)
            return nkeys;
    }
    return 0;
}

/* A fresh user with a uid nobody has and that owns no key. */
static User make_user(void)
{
    User u = { 0 };
    snprintf(u.name, sizeof u.name, "rk-fh-%d-%d", (int)supervisor_pid, ++user_seq);
    for (uid_t uid = 61000 + (uid_t)(supervisor_pid % 200) * 10; uid < 64000; uid++) {
        if (getpwuid(uid) || key_users_nkeys(uid) > 0)
            continue;
        g_autofree char *uidstr = g_strdup_printf("%u", (unsigned)uid);
        const char *argv[] = { "useradd", "-u", uidstr, "-M", "-N", "-s", "/usr/sbin/nologin", "-d", "/nonexistent",
                               "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", u.name, NULL };
        int status = -1;
        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                   NULL, NULL, NULL, &status, NULL));
        if (status != 0)
            continue; /* taken meanwhile by a concurrent run */
        struct passwd *pw = getpwnam(u.name);
        g_assert_nonnull(pw);
        g_assert_cmpuint(pw->pw_uid, ==, uid);
        g_assert_cmpint(shared->n_uids, <, MAX_UIDS);
        shared->uids[shared->n_uids++] = uid;
        u.uid = pw->pw_uid;
        u.gid = pw->pw_gid;
        return u;
    }
    g_error("no free uid for a test user");
}

static FootholdTarget target_of(const User *u)
{
    return (FootholdTarget){ .uid = u->uid, .gid = u->gid, .user = u->name, .home = "/nonexistent",
                             .run_user_dir = NULL, .guest_dirs = NULL, .sysroot = NULL };
}

typedef int (*AsUserFn)(void *data, int outfd);

/* Run fn in a child that is uid/gid; returns its exit status; what it writes to outfd is
 * returned in *out (may be NULL). */
static int run_as(uid_t uid, gid_t gid, AsUserFn fn, void *data, GString **out)
{
    int p[2], status;
    g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        close(p[0]);
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
            _exit(120);
        _exit(fn(data, p[1]));
    }
    close(p[1]);
    g_autoptr(GString) s = g_string_new(NULL);
    char buf[512];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            g_string_append_len(s, buf, n);
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (out)
        *out = g_steal_pointer(&s);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* argv run as the user through setpriv; stdout returned; exit status in *ret_status. */
static char *spawn_as(const User *u, const char *const *argv, int *ret_status)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(a, g_strdup("setpriv"));
    g_ptr_array_add(a, g_strdup_printf("--reuid=%u", (unsigned)u->uid));
    g_ptr_array_add(a, g_strdup_printf("--regid=%u", (unsigned)u->gid));
    g_ptr_array_add(a, g_strdup("--clear-groups"));
    for (const char *const *p = argv; *p; p++)
        g_ptr_array_add(a, g_strdup(*p));
    g_ptr_array_add(a, NULL);
    char *out = NULL;
    int status = -1;
    g_assert_true(g_spawn_sync(NULL, (char **)a->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, &out, NULL, &status, NULL));
    if (ret_status)
        *ret_status = g_spawn_check_wait_status(status, NULL) ? 0 : 1;
    return out;
}

/* A tmpfs the test owns, as the machine's root would look. */
static char *make_sysroot(void)
{
    char *dir = g_dir_make_tmp("rk-fh-root-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_assert_cmpint(mount("tmpfs", dir, "tmpfs", 0, "mode=0755,size=4m"), ==, 0);
    return dir;
}

static void drop_sysroot(char *dir)
{
    umount2(dir, MNT_DETACH);
    g_rmdir(dir);
    g_free(dir);
}

static bool have_program(const char *name)
{
    g_autofree char *p = g_find_program_in_path(name);
    return p != NULL;
}

/* ---- tests ---- */

static void test_names(void)
{
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_MOUNTS), ==, "mounts");
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_SYSV_IPC), ==, "sysv-ipc");
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_MQUEUE), ==, "mqueue");
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_KEYS), ==, "keys");
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_SCHEDULED), ==, "scheduled");
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_SERVICE_STATE), ==, "service-state");
    g_assert_cmpstr(rk_wipe_category_name(RK_WIPE_N), ==, "unknown");
    /* The census's classes are this module's, but processes and files. */
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        g_assert_true(foothold_class(c) == (c != RK_WIPE_PROCESSES && c != RK_WIPE_FILES));
    g_assert_false(foothold_class(RK_WIPE_TMP));
}

static void test_refuse_root(void)
{
    FootholdTarget t = { .uid = 0, .gid = 0, .user = "root", .home = "/root" };
    FootholdResult res;
    uint64_t n = 7;
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, -EPERM);
    g_assert_cmpint(foothold_detach_mounts(&t, &n), ==, -EPERM);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpint(foothold_count_mounts(&t), ==, -EPERM);
    t.uid = (uid_t)-1;
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, -EPERM);
    /* A home of "/" would make every mount the guest's. */
    t = (FootholdTarget){ .uid = 4242, .gid = 4242, .user = "x", .home = "/" };
    g_assert_cmpint(foothold_detach_mounts(&t, &n), ==, -EINVAL);
    t.home = "relative";
    g_assert_cmpint(foothold_count_mounts(&t), ==, -EINVAL);
    g_assert_cmpint(foothold_remove(NULL, 0, &res), ==, -EINVAL);
}

/* ---- SysV IPC ---- */

typedef struct {
    int shm, msg, sem;
} IpcIds;

union semun_t {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* Make a segment ("tag" in it), a queue (one message "tag"), a semaphore set (value 7). */
static int plant_ipc(void *data, int outfd)
{
    const char *tag = data;
    IpcIds ids;
    struct {
        long type;
        char text[32];
    } m = { 1, { 0 } };
    ids.shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    ids.msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    ids.sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (ids.shm < 0 || ids.msg < 0 || ids.sem < 0)
        return 1;
    char *p = shmat(ids.shm, NULL, 0);
    if (p == (void *)-1)
        return 2;
    strcpy(p, tag);
    shmdt(p);
    snprintf(m.text, sizeof m.text, "%s", tag);
    if (msgsnd(ids.msg, &m, strlen(m.text) + 1, IPC_NOWAIT) < 0)
        return 3;
    union semun_t arg = { .val = 7 };
    if (semctl(ids.sem, 0, SETVAL, arg) < 0)
        return 4;
    return rk_write_all(outfd, &ids, sizeof ids) == 0 ? 0 : 5;
}

static IpcIds plant_ipc_as(uid_t uid, gid_t gid, const char *tag)
{
    g_autoptr(GString) out = NULL;
    IpcIds ids;
    if (uid == 0) {
        int p[2];
        g_assert_cmpint(pipe(p), ==, 0);
        g_assert_cmpint(plant_ipc((void *)tag, p[1]), ==, 0);
        g_assert_cmpint(read(p[0], &ids, sizeof ids), ==, sizeof ids);
        close(p[0]);
        close(p[1]);
        return ids;
    }
    g_assert_cmpint(run_as(uid, gid, plant_ipc, (void *)tag, &out), ==, 0);
    g_assert_cmpuint(out->len, ==, sizeof ids);
    memcpy(&ids, out->str, sizeof ids);
    return ids;
}

static bool shm_alive(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) == 0 && !(ds.shm_perm.mode & SHM_DEST);
}

/* The objects still exist with the same contents. */
static void assert_ipc_intact(const IpcIds *ids, const char *tag)
{
    struct msqid_ds mq;
    union semun_t arg = { 0 };
    char *p = shmat(ids->shm, NULL, SHM_RDONLY);
    g_assert_true(p != (void *)-1);
    g_assert_cmpstr(p, ==, tag);
    shmdt(p);
    g_assert_cmpint(msgctl(ids->msg, IPC_STAT, &mq), ==, 0);
    g_assert_cmpuint(mq.msg_qnum, ==, 1);
    g_assert_cmpuint(mq.msg_cbytes, ==, strlen(tag) + 1);
    g_assert_cmpint(semctl(ids->sem, 0, GETVAL, arg), ==, 7);
}

static void assert_ipc_gone(const IpcIds *ids)
{
    struct msqid_ds mq;
    struct semid_ds sd;
    union semun_t arg = { .buf = &sd };
    g_assert_false(shm_alive(ids->shm));
    g_assert_cmpint(msgctl(ids->msg, IPC_STAT, &mq), ==, -1);
    g_assert_cmpint(semctl(ids->sem, 0, IPC_STAT, arg), ==, -1);
}

/* The guest gives a segment of its own to the other user (IPC_SET): its cuid stays. */
static int give_away(void *data, int outfd)
{
    uid_t to = *(uid_t *)data;
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    struct shmid_ds ds;
    if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0)
        return 1;
    ds.shm_perm.uid = to;
    if (shmctl(id, IPC_SET, &ds) < 0)
        return 2;
    return rk_write_all(outfd, &id, sizeof id) == 0 ? 0 : 3;
}

/* The guest destroys its segment while root (the X server) still has it attached. */
static int rmid_shm(void *data, int outfd)
{
    return shmctl(*(int *)data, IPC_RMID, NULL) == 0 ? 0 : 1;
}

static void test_sysv_ipc(void)
{
    if (!require_root())
        return;
    User g = make_user(), o = make_user();
    FootholdTarget t = target_of(&g);
    FootholdResult res;

    IpcIds gi = plant_ipc_as(g.uid, g.gid, "guest");
    IpcIds oi = plant_ipc_as(o.uid, o.gid, "other");
    IpcIds ri = plant_ipc_as(0, 0, "root");
    /* Root's segment handed to the guest counts as the guest's (uid). */
    int chowned = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    struct shmid_ds ds;
    g_assert_cmpint(shmctl(chowned, IPC_STAT, &ds), ==, 0);
    ds.shm_perm.uid = g.uid;
    g_assert_cmpint(shmctl(chowned, IPC_SET, &ds), ==, 0);
    /* The guest's segment given to the other user counts as the guest's (cuid). */
    g_autoptr(GString) out = NULL;
    g_assert_cmpint(run_as(g.uid, g.gid, give_away, &o.uid, &out), ==, 0);
    int given;
    memcpy(&given, out->str, sizeof given);
    /* A segment the guest destroyed while root keeps it attached. */
    IpcIds attached = plant_ipc_as(g.uid, g.gid, "screen");
    char *map = shmat(attached.shm, NULL, SHM_RDONLY);
    g_assert_true(map != (void *)-1);
    g_assert_cmpint(run_as(g.uid, g.gid, rmid_shm, &attached.shm, NULL), ==, 0);

    /* Dry run: twice 3 objects (one of them the destroyed segment), the chowned and the given
     * segment; nothing goes. */
    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_SYSV_IPC], ==, 8);
    assert_ipc_intact(&gi, "guest");

    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_SYSV_IPC], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_SYSV_IPC], ==, 8);
    assert_ipc_gone(&gi);
    IpcIds rest = { attached.shm, attached.msg, attached.sem };
    g_assert_false(shm_alive(chowned));
    g_assert_false(shm_alive(given));
    /* Still mapped by root, but root's now: the next session of the uid cannot attach it. */
    g_assert_cmpint(shmctl(attached.shm, IPC_STAT, &ds), ==, 0);
    g_assert_cmpuint(ds.shm_perm.uid, ==, 0);
    g_assert_cmpuint(ds.shm_perm.mode & 0777, ==, 0600);
    g_assert_cmpstr(map, ==, "screen");
    shmdt(map);
    assert_ipc_gone(&rest);
    /* Others' untouched: same ids, same contents. */
    assert_ipc_intact(&oi, "other");
    assert_ipc_intact(&ri, "root");

    /* Verification: nothing of the guest is left. */
    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_SYSV_IPC], ==, 0);

    /* The other user's objects go with check_gid off only when it is the target. */
    shmctl(oi.shm, IPC_RMID, NULL);
    msgctl(oi.msg, IPC_RMID, NULL);
    semctl(oi.sem, 0, IPC_RMID);
    shmctl(ri.shm, IPC_RMID, NULL);
    msgctl(ri.msg, IPC_RMID, NULL);
    semctl(ri.sem, 0, IPC_RMID);
}

/* ---- POSIX message queues ---- */

static int plant_mq(void *data, int outfd)
{
    const char *name = data;
    struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
    mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, &a);
    if (q == (mqd_t)-1)
        return 1;
    if (mq_send(q, name, strlen(name), 0) < 0)
        return 2;
    mq_close(q);
    return 0;
}

static char *read_file(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    char *text = NULL;
    return g_file_get_contents(p, &text, NULL, NULL) ? text : NULL;
}

static void test_mqueue(void)
{
    if (!require_root())
        return;
    User g = make_user(), o = make_user();
    FootholdTarget t = target_of(&g);
    FootholdResult res;
    g_autofree char *dir = g_dir_make_tmp("rk-fh-mq-XXXXXX", NULL);
    g_assert_nonnull(dir);
    /* This namespace's queues, to look at them. */
    if (mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        g_rmdir(dir);
        g_test_skip("no mqueue file system");
        return;
    }
    g_assert_cmpint(run_as(g.uid, g.gid, plant_mq, "/rk-fh-guest-1", NULL), ==, 0);
    g_assert_cmpint(run_as(g.uid, g.gid, plant_mq, "/rk-fh-guest-2", NULL), ==, 0);
    g_assert_cmpint(run_as(o.uid, o.gid, plant_mq, "/rk-fh-other", NULL), ==, 0);
    g_assert_cmpint(plant_mq("/rk-fh-root", -1), ==, 0);
    g_autofree char *other_before = read_file(dir, "rk-fh-other");
    g_autofree char *root_before = read_file(dir, "rk-fh-root");
    g_assert_nonnull(other_before);

    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_MQUEUE], ==, 2);
    g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
    g_autofree char *still = read_file(dir, "rk-fh-guest-1");
    g_assert_nonnull(still);

    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_MQUEUE], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_MQUEUE], ==, 2);
    g_autofree char *gone1 = read_file(dir, "rk-fh-guest-1");
    g_autofree char *gone2 = read_file(dir, "rk-fh-guest-2");
    g_assert_null(gone1);
    g_assert_null(gone2);
    g_autofree char *other_after = read_file(dir, "rk-fh-other");
    g_autofree char *root_after = read_file(dir, "rk-fh-root");
    g_assert_cmpstr(other_after, ==, other_before);
    g_assert_cmpstr(root_after, ==, root_before);

    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_MQUEUE], ==, 0);
    mq_unlink("/rk-fh-other");
    mq_unlink("/rk-fh-root");
    umount2(dir, MNT_DETACH);
    g_rmdir(dir);
}

/* ---- keys ---- */

/* keyctl ARGS... run as the user; stdout returned, exit status in st. */
#define keyctl_as(u, st, ...) spawn_as((u), (const char *const[]){ "keyctl", __VA_ARGS__, NULL }, (st))

/* sh -c SCRIPT run as the user, with $1 and $2 (each may be NULL); stdout returned, exit
 * status in st. */
static char *sh_as(const User *u, int *st, const char *script, const char *a1, const char *a2)
{
    return spawn_as(u, (const char *const[]){ "sh", "-c", script, "sh", a1, a2, NULL }, st);
}

/* The number of the user's keyring spec ("@u": "_uid.UID", "@us": "_uid_ses.UID") as the user
 * finds it in /proc/keys, in decimal as keyctl takes it; NULL if not listed (or revoked or
 * invalidated: an old one the wipe swapped may be listed until the collector takes it). A
 * locked keyring is found by number only: the look-up by special id searches. */
static char *ring_id(const User *u, const char *spec)
{
    int st;
    g_autofree char *keys = spawn_as(u, (const char *const[]){ "cat", "/proc/keys", NULL }, &st);
    g_autofree char *want = g_strdup_printf("%s.%u:", strcmp(spec, "@u") == 0 ? "_uid" : "_uid_ses", (unsigned)u->uid);
    g_auto(GStrv) lines = g_strsplit(keys ? keys : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned id, perm, uid;
        char flags[16], type[32], desc[128];
        if (sscanf(*l, "%x %15s %*s %*s %x %u %*s %31s %127s", &id, flags, &perm, &uid, type, desc) == 6 &&
            uid == u->uid && strcmp(type, "keyring") == 0 && strcmp(desc, want) == 0 && flags[1] != 'R' &&
            !strchr(flags, 'i'))
            return g_strdup_printf("%u", id);
    }
    return NULL;
}

/* The permission mask of the user's keyring spec ("@u", "@us") as keyctl shows it (8 hex
 * digits), described by number; NULL if it cannot be found or described. */
static char *keyring_perm(const User *u, const char *spec)
{
    int st;
    g_autofree char *id = ring_id(u, spec);
    if (!id)
        return NULL;
    g_autofree char *d = keyctl_as(u, &st, "rdescribe", id);
    if (st != 0 || !d)
        return NULL;
    g_auto(GStrv) f = g_strsplit(g_strstrip(d), ";", 5);
    return g_strv_length(f) >= 4 ? g_strdup(f[3]) : NULL;
}

/* Both user keyrings of u are view- and read-only for possessor and user, nothing for anyone
 * else. */
static void assert_locked(const User *u)
{
    g_autofree char *pu = keyring_perm(u, "@u");
    g_autofree char *pus = keyring_perm(u, "@us");
    g_assert_cmpstr(pu, ==, "03030000");
    g_assert_cmpstr(pus, ==, "03030000");
}

/* The ids the keyring ring (a number) holds, as keyctl rlist prints them ("" when empty). */
static char *ring_list(const User *u, const char *ring)
{
    int st;
    char *l = keyctl_as(u, &st, "rlist", ring);
    g_assert_cmpint(st, ==, 0);
    return g_strstrip(l);
}

/* keys of uid in /proc/key-users down to want, waiting for the kernel's garbage collector. */
static long wait_nkeys(uid_t uid, long want)
{
    long n = 0;
    for (int i = 0; i < 200; i++) {
        n = key_users_nkeys(uid);
        if (n <= want)
            break;
        g_usleep(10000);
    }
    return n;
}

/* The census of the user's keys (only the keys: the file census is pointed at an empty tmpfs). */
static void assert_census_keys_clean(const User *u)
{
    char *scratch = make_sysroot();
    const char *mounts[] = { scratch, NULL };
    CensusTarget ct = { .uid = u->uid, .gid = u->gid, .user = u->name, .mounts = mounts, .sysroot = scratch,
                        .threads = 1 };
    CensusResult cr;
    (void)census_run(&ct, &cr);
    g_assert_cmpint(cr.error[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpuint(cr.found[RK_WIPE_KEYS], ==, 0);
    census_result_clear(&cr);
    drop_sysroot(scratch);
}

static bool keys_usable(void)
{
    if (!require_root())
        return false;
    if (!have_program("keyctl")) {
        g_test_skip("keyctl not installed (package keyutils)");
        return false;
    }
    return true;
}

/* Keys the guest left in its user keyrings before they were ever locked (a session before
 * rentarkd ran) are removed, the keyrings are left locked, another user's keys stay. */
static void test_keys(void)
{
    if (!keys_usable())
        return;
    User g = make_user(), o = make_user();
    FootholdTarget t = target_of(&g);
    FootholdResult res;
    int st;

    g_free(keyctl_as(&g, &st, "add", "user", "canary", "guest-secret", "@u"));
    g_assert_cmpint(st, ==, 0);
    g_autofree char *stripped = keyctl_as(&g, &st, "add", "user", "stripped", "guest-secret-2", "@u");
    g_assert_cmpint(st, ==, 0);
    g_strstrip(stripped);
    /* No permission left at all, not even for the owner. */
    g_free(keyctl_as(&g, &st, "setperm", stripped, "0"));
    g_assert_cmpint(st, ==, 0);
    g_free(keyctl_as(&g, &st, "add", "user", "session-canary", "guest-secret-3", "@us"));
    g_assert_cmpint(st, ==, 0);
    g_autofree char *okey = keyctl_as(&o, &st, "add", "user", "canary", "other-secret", "@u");
    g_assert_cmpint(st, ==, 0);
    g_strstrip(okey);
    long before = key_users_nkeys(g.uid);
    g_assert_cmpint(before, ==, 5); /* @u, @us and three keys */
    g_autofree char *operm_before = keyring_perm(&o, "@u");
    g_assert_cmpstr(operm_before, ==, "1f3f0000"); /* the kernel's mask */

    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 3);
    g_assert_cmpint(key_users_nkeys(g.uid), ==, 5);

    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 3);
    /* The guest's keyrings are left locked down; the other user's keep the kernel's mask. */
    assert_locked(&g);
    g_autofree char *operm = keyring_perm(&o, "@u");
    g_assert_cmpstr(operm, ==, operm_before);
    g_autofree char *u_id = ring_id(&g, "@u");
    g_autofree char *us_id = ring_id(&g, "@us");
    g_autofree char *u_left = ring_list(&g, u_id);
    g_assert_cmpstr(u_left, ==, "");
    /* The user-session keyring keeps the link to the user keyring the kernel made. */
    g_autofree char *us_left = ring_list(&g, us_id);
    g_assert_cmpstr(us_left, ==, u_id);
    /* The unlinked keys are freed by the kernel's garbage collector, soon. Left: the two
     * keyrings, and the persistent keyring, looked up because of the key the guest hid. */
    g_assert_cmpint(wait_nkeys(g.uid, 3), <=, 3);
    g_free(keyctl_as(&g, &st, "print", stripped));
    g_assert_cmpint(st, !=, 0);
    /* The other user's key is untouched. */
    g_autofree char *odata = keyctl_as(&o, &st, "print", okey);
    g_assert_cmpint(st, ==, 0);
    g_assert_cmpstr(g_strstrip(odata), ==, "other-secret");
    assert_census_keys_clean(&g);

    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    assert_locked(&g);
}

/* After every attempt of the guest on its locked keyrings: both keep their mask and their
 * number (no fresh keyring was made), and the census finds nothing. */
static void assert_still_locked(const User *g, const char *u_id, const char *us_id, const char *what)
{
    g_autofree char *u_now = ring_id(g, "@u");
    g_autofree char *us_now = ring_id(g, "@us");
    g_test_message("after: %s", what);
    g_assert_cmpstr(u_now, ==, u_id);
    g_assert_cmpstr(us_now, ==, us_id);
    assert_locked(g);
    assert_census_keys_clean(g);
}

/* Locked before the guest's first session: the guest can do nothing to or with its user
 * keyrings, by special id or by number, from its own session keyring or not: no new mask, no
 * invalidation or revocation (which would get it a fresh keyring it could lock: the bypass of
 * a lock that only took setattr away), no key added, linked or unlinked, no timeout. Keys in
 * session keyrings go with the session; keys elsewhere (the persistent keyring) are still
 * removed by the wipe; the census counts none of this. */
static void test_keys_lock(void)
{
    if (!keys_usable())
        return;
    User g = make_user();
    FootholdTarget t = target_of(&g);
    FootholdResult res;
    int st;

    g_assert_cmpint(key_users_nkeys(g.uid), ==, 0);
    g_assert_cmpint(foothold_lock_keyrings(&t), ==, 0);
    /* Made: @u and @us (the lock's own process keyring goes to the collector). */
    g_assert_cmpint(wait_nkeys(g.uid, 2), ==, 2);
    assert_locked(&g);
    g_autofree char *u_id = ring_id(&g, "@u");
    g_autofree char *us_id = ring_id(&g, "@us");
    g_assert_nonnull(u_id);
    g_assert_nonnull(us_id);
    g_autofree char *u_list = ring_list(&g, u_id);
    g_assert_cmpstr(u_list, ==, "");
    g_autofree char *us_list = ring_list(&g, us_id);
    g_assert_cmpstr(us_list, ==, u_id);
    /* Locking again is no error (the mask can no longer be set, but it is the right one). */
    g_assert_cmpint(foothold_lock_keyrings(&t), ==, 0);
    /* Locked down and empty: nothing of the guest for the census, nothing for the wipe. */
    assert_census_keys_clean(&g);
    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    assert_still_locked(&g, u_id, us_id, "a wipe of the locked keyrings");

    /* Every attempt, on both keyrings, by special id and by number. Each command line is run
     * by sh as the guest with $1 the keyring and $2 the other one; it must fail. */
    static const char *const attempts[] = {
        "keyctl setperm \"$1\" 0",
        "keyctl setperm \"$1\" 0x3f3f0000",
        "keyctl invalidate \"$1\"",
        "keyctl revoke \"$1\"",
        "keyctl add user k v \"$1\"",
        "keyctl newring r \"$1\"",
        "keyctl timeout \"$1\" 1",
        "keyctl clear \"$1\"",
        "keyctl unlink \"$2\" \"$1\"",
        "keyctl session - keyctl link \"$1\" @s",
        "keyctl session - sh -c 'k=$(keyctl add user k v @s) && keyctl link \"$k\" \"$1\"' sh \"$1\"",
        /* From a session keyring that tries to possess it: each must fail. */
        ("keyctl session - sh -c 'keyctl link \"$1\" @s; keyctl setperm \"$1\" 0 || keyctl invalidate \"$1\" || "
         "keyctl revoke \"$1\" || keyctl timeout \"$1\" 1' sh \"$1\""),
        /* The bypass of a lock without setattr: invalidate (or revoke) it, then lock the fresh
         * one the kernel makes at the next look-up. */
        "keyctl invalidate \"$1\"; keyctl revoke \"$1\"; keyctl setperm @u 0 || keyctl setperm @us 0",
    };
    for (int k = 0; k < 2; k++) {
        const char *spec = k ? "@us" : "@u";
        const char *names[2][2] = { { spec, k ? "@u" : "@us" }, { k ? us_id : u_id, k ? u_id : us_id } };
        for (int by = 0; by < 2; by++) {
            for (size_t a = 0; a < G_N_ELEMENTS(attempts); a++) {
                g_autofree char *what = g_strdup_printf("%s with $1=%s $2=%s", attempts[a], names[by][0], names[by][1]);
                g_free(sh_as(&g, &st, attempts[a], names[by][0], names[by][1]));
                if (st == 0)
                    g_error("the guest succeeded: %s", what);
                assert_still_locked(&g, u_id, us_id, what);
            }
        }
    }

    /* A session keyring of the guest's own, with a key and a nested keyring without any
     * permission: gone with the session's processes. */
    g_free(sh_as(&g, &st,
                 "keyctl new_session >/dev/null && keyctl add user k v @s >/dev/null && "
                 "r=$(keyctl newring r @s) && keyctl add user in v \"$r\" >/dev/null && keyctl setperm \"$r\" 0",
                 NULL, NULL));
    g_assert_cmpint(st, ==, 0);
    assert_census_keys_clean(&g); /* it waits for the collector */
    g_assert_cmpint(wait_nkeys(g.uid, 2), ==, 2);
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    assert_still_locked(&g, u_id, us_id, "a session keyring");

    /* Keys elsewhere are still the wipe's: the persistent keyring, with a key without any
     * permission and a nested keyring. */
    g_autofree char *pid = keyctl_as(&g, &st, "session", "-", "keyctl", "get_persistent", "@s");
    if (st != 0) {
        g_test_message("no persistent keyrings in this kernel: that part is left out");
        return;
    }
    g_strstrip(pid);
    g_free(sh_as(&g, &st,
                 "keyctl session - sh -c '"
                 "p=$(keyctl get_persistent @s) && keyctl add user kept v \"$p\" >/dev/null && "
                 "s=$(keyctl add user stripped v \"$p\") && keyctl setperm \"$s\" 0 && "
                 "r=$(keyctl newring r \"$p\") && keyctl add user in v \"$r\" >/dev/null && keyctl setperm \"$r\" 0'",
                 NULL, NULL));
    g_assert_cmpint(st, ==, 0);
    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], >=, 2); /* what the guest may still see */
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 3);
    g_autofree char *left = keyctl_as(&g, &st, "session", "-", "sh", "-c", "keyctl rlist $(keyctl get_persistent @s)");
    g_assert_cmpint(st, ==, 0);
    g_assert_cmpstr(g_strstrip(left), ==, "");
    g_assert_cmpint(wait_nkeys(g.uid, 3), <=, 3); /* @u, @us, the (empty) persistent keyring */
    assert_still_locked(&g, u_id, us_id, "keys in the persistent keyring");
    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
}

/* A guest that kept only its possessor rights on its user keyring before the first lock (it
 * possesses it by special id): the lock still takes (the child possesses both keyrings). */
static void test_keys_lock_possessor_only(void)
{
    if (!keys_usable())
        return;
    User g = make_user();
    FootholdTarget t = target_of(&g);
    int st;

    g_free(keyctl_as(&g, &st, "setperm", "@u", "0x3f000000"));
    g_assert_cmpint(st, ==, 0);
    g_assert_cmpint(foothold_lock_keyrings(&t), ==, 0);
    assert_locked(&g);
    assert_census_keys_clean(&g);
}

/* Revoked before the first lock (the kernel's mask grants write, which revoking needs): nobody
 * can reach either user keyring until the key collector takes it, but nothing can be left in
 * it either. Not an error of the wipe, and nothing for the census. */
static void test_keys_revoked(void)
{
    if (!keys_usable())
        return;
    User g = make_user();
    FootholdTarget t = target_of(&g);
    FootholdResult res;
    int st;

    g_free(keyctl_as(&g, &st, "add", "user", "k", "v", "@u"));
    g_assert_cmpint(st, ==, 0);
    g_free(keyctl_as(&g, &st, "revoke", "@u"));
    g_assert_cmpint(st, ==, 0);
    g_autofree char *u = keyring_perm(&g, "@u");
    g_assert_null(u);
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpint(foothold_lock_keyrings(&t), ==, 0);
    g_autofree char *us = keyring_perm(&g, "@us");
    g_assert_cmpstr(us, ==, "03030000");
    assert_census_keys_clean(&g);
}

/* A guest that locked its user keyring before rentarkd ever locked it (a session before the
 * daemon started): nobody can clear or lock it any more. Said as -EACCES, not hidden and not a
 * crash. The uid keeps that keyring until reboot: make_user() never hands it out again (it owns
 * keys). */
static void test_keys_locked_by_guest(void)
{
    if (!keys_usable())
        return;
    User g = make_user();
    FootholdTarget t = target_of(&g);
    FootholdResult res;
    int st;

    g_free(keyctl_as(&g, &st, "add", "user", "k", "v", "@u"));
    g_assert_cmpint(st, ==, 0);
    g_free(keyctl_as(&g, &st, "setperm", "@u", "0"));
    g_assert_cmpint(st, ==, 0);
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, -EACCES);
    g_assert_cmpint(res.error[RK_WIPE_KEYS], ==, -EACCES);
    g_assert_cmpint(foothold_lock_keyrings(&t), ==, -EACCES);
    /* Nobody reaches the user keyring now, the guest neither; the user-session keyring, which
     * the kernel finds only together with it, is locked by number. */
    g_autofree char *u = keyring_perm(&g, "@u");
    g_autofree char *us = keyring_perm(&g, "@us");
    g_assert_null(u);
    g_assert_cmpstr(us, ==, "03030000");
    g_free(keyctl_as(&g, &st, "rdescribe", "@us"));
    g_assert_cmpint(st, !=, 0);
}

/* A guest that set its keyrings to the lock's own mask before the first lock (the same state:
 * nobody can change them): success. */
static void test_keys_locked_like_us(void)
{
    if (!keys_usable())
        return;
    User g = make_user();
    FootholdTarget t = target_of(&g);
    FootholdResult res;
    int st;

    g_free(sh_as(&g, &st,
                 "u=$(keyctl id @u) && s=$(keyctl id @us) && keyctl setperm \"$s\" 0x03030000 && "
                 "keyctl setperm \"$u\" 0x03030000",
                 NULL, NULL));
    g_assert_cmpint(st, ==, 0);
    assert_locked(&g);
    g_assert_cmpint(foothold_lock_keyrings(&t), ==, 0);
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    assert_census_keys_clean(&g);
}

/* Keyrings an older rentarkd left without setattr for anyone but searchable (0x1f1f0000; a
 * guest may invalidate those and lock the fresh ones) are swapped for fresh ones and locked;
 * what the old ones held goes with them. */
static void test_keys_old_lock(void)
{
    if (!keys_usable())
        return;
    User g = make_user(), h = make_user();
    FootholdTarget t = target_of(&g), th = target_of(&h);
    FootholdResult res;
    int st;
    const char *old_lock = "u=$(keyctl id @u) && s=$(keyctl id @us) && keyctl add user k v @u >/dev/null && "
                           "keyctl setperm \"$s\" 0x1f1f0000 && keyctl setperm \"$u\" 0x1f1f0000";

    g_free(sh_as(&g, &st, old_lock, NULL, NULL));
    g_assert_cmpint(st, ==, 0);
    g_autofree char *old_u = ring_id(&g, "@u");
    g_autofree char *old_perm = keyring_perm(&g, "@u");
    g_assert_cmpstr(old_perm, ==, "1f1f0000");
    g_assert_cmpint(foothold_lock_keyrings(&t), ==, 0);
    assert_locked(&g);
    g_autofree char *new_u = ring_id(&g, "@u");
    g_assert_cmpstr(new_u, !=, old_u);
    g_autofree char *new_us = ring_id(&g, "@us");
    g_autofree char *us_list = ring_list(&g, new_us);
    g_assert_cmpstr(us_list, ==, new_u);
    assert_census_keys_clean(&g);

    /* The same through a wipe, which first clears them (the key is counted there). */
    g_free(sh_as(&h, &st, old_lock, NULL, NULL));
    g_assert_cmpint(st, ==, 0);
    g_assert_cmpint(foothold_remove(&th, 0, &res), ==, 0);
    g_assert_cmpint(res.error[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 1);
    assert_locked(&h);
    assert_census_keys_clean(&h);
}

/* The guest's persistent keyring is cleared too; and a user who owns no key gets none made. */
static void test_keys_persistent_and_none(void)
{
    if (!keys_usable())
        return;
    User g = make_user(), n = make_user();
    FootholdTarget t = target_of(&g), tn = target_of(&n);
    FootholdResult res;
    int st;

    g_autofree char *pid = keyctl_as(&g, &st, "get_persistent", "@u");
    if (st != 0) {
        g_test_skip("no persistent keyrings in this kernel");
        return;
    }
    g_strstrip(pid);
    g_free(keyctl_as(&g, &st, "add", "user", "kept", "guest-persistent", pid));
    g_assert_cmpint(st, ==, 0);
    g_free(keyctl_as(&g, &st, "add", "user", "kept2", "guest-persistent-2", pid));
    g_assert_cmpint(st, ==, 0);
    /* Unlinked from @u: only the persistent keyring holds them now. */
    g_free(keyctl_as(&g, &st, "unlink", pid, "@u"));
    g_assert_cmpint(st, ==, 0);

    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 2);
    g_autofree char *left = keyctl_as(&g, &st, "rlist", pid);
    g_assert_cmpstr(left ? g_strstrip(left) : "", ==, "");
    assert_locked(&g);

    /* A count makes no keyring for a user who owns no key; a removal makes and locks them,
     * so that the next session cannot lock them. */
    g_assert_cmpint(key_users_nkeys(n.uid), ==, 0);
    g_assert_cmpint(foothold_remove(&tn, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpint(key_users_nkeys(n.uid), ==, 0);
    g_assert_cmpint(foothold_remove(&tn, 0, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_KEYS], ==, 0);
    g_assert_cmpint(wait_nkeys(n.uid, 2), ==, 2);
    assert_locked(&n);
}

/* ---- scheduled jobs and service state (sysroot) ---- */

typedef struct {
    char *root;
} Sysroot;

static void mkdir_owned(const char *root, const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
    g_assert_cmpint(chown(p, uid, gid), ==, 0);
    g_assert_cmpint(chmod(p, mode), ==, 0);
}

static void file_owned(const char *root, const char *rel, uid_t uid)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    g_assert_true(g_file_set_contents(p, "x\n", -1, NULL));
    g_assert_cmpint(chown(p, uid, 0), ==, 0);
}

static bool exists(const char *root, const char *rel)
{
    g_autofree char *p = g_build_filename(root, rel, NULL);
    struct stat st;
    return lstat(p, &st) == 0;
}


static void test_scheduled_and_state(void)
{
    if (!require_root())
        return;
    const uid_t G = 61777, O = 61778, DAEMON = 1;
    char *root = make_sysroot();
    FootholdTarget t = { .uid = G, .gid = 100, .user = "rk-fh-guest", .home = "/nonexistent", .sysroot = root };
    FootholdResult res;

    mkdir_owned(root, "var/spool/cron/crontabs", 01730, 0, 0);
    mkdir_owned(root, "var/spool/cron/atjobs", 01770, DAEMON, DAEMON);
    mkdir_owned(root, "var/spool/cron/atspool", 01770, DAEMON, DAEMON);
    mkdir_owned(root, "var/lib/systemd/linger", 0755, 0, 0);
    mkdir_owned(root, "var/lib/AccountsService/users", 0700, 0, 0);
    mkdir_owned(root, "var/lib/AccountsService/icons", 0755, 0, 0);
    mkdir_owned(root, "var/lib/lightdm-data", 0755, 0, 0);
    mkdir_owned(root, "run/lightdm", 0710, 0, 0);

    file_owned(root, "var/spool/cron/crontabs/rk-fh-guest", 0); /* the name counts, not the owner */
    file_owned(root, "var/spool/cron/crontabs/tmp.1234", G);
    file_owned(root, "var/spool/cron/crontabs/rk-fh-other", O);
    file_owned(root, "var/spool/cron/crontabs/root", 0);
    file_owned(root, "var/spool/cron/atjobs/a0000101a8e2c1", G);
    file_owned(root, "var/spool/cron/atjobs/a0000201a8e2c1", O);
    file_owned(root, "var/spool/cron/atjobs/.SEQ", DAEMON);
    file_owned(root, "var/spool/cron/atspool/=0000101a8e2c1", G);
    file_owned(root, "var/lib/systemd/linger/rk-fh-guest", 0);
    file_owned(root, "var/lib/systemd/linger/rk-fh-other", 0);
    file_owned(root, "var/lib/AccountsService/users/rk-fh-guest", 0);
    file_owned(root, "var/lib/AccountsService/users/rk-fh-other", 0);
    file_owned(root, "var/lib/AccountsService/icons/rk-fh-guest", 0);
    mkdir_owned(root, "var/lib/lightdm-data/rk-fh-guest/sub", 0700, G, 100);
    file_owned(root, "var/lib/lightdm-data/rk-fh-guest/sub/f", G);
    file_owned(root, "var/lib/lightdm-data/rk-fh-guest/rootfile", 0);
    mkdir_owned(root, "var/lib/lightdm-data/rk-fh-other", 0700, O, 100);
    mkdir_owned(root, "run/lightdm/rk-fh-guest", 0700, G, 100);
    file_owned(root, "run/lightdm/rk-fh-guest/xauthority", G);

    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_SCHEDULED], ==, 5);
    g_assert_cmpuint(res.removed[RK_WIPE_SERVICE_STATE], ==, 4);
    g_assert_true(exists(root, "var/spool/cron/crontabs/rk-fh-guest"));
    g_assert_true(exists(root, "var/lib/lightdm-data/rk-fh-guest/sub/f"));

    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_SCHEDULED], ==, 5);
    g_assert_cmpuint(res.removed[RK_WIPE_SERVICE_STATE], ==, 4);
    g_assert_false(exists(root, "var/spool/cron/crontabs/rk-fh-guest"));
    g_assert_false(exists(root, "var/spool/cron/crontabs/tmp.1234"));
    g_assert_false(exists(root, "var/spool/cron/atjobs/a0000101a8e2c1"));
    g_assert_false(exists(root, "var/spool/cron/atspool/=0000101a8e2c1"));
    g_assert_false(exists(root, "var/lib/systemd/linger/rk-fh-guest"));
    g_assert_false(exists(root, "var/lib/AccountsService/users/rk-fh-guest"));
    g_assert_false(exists(root, "var/lib/AccountsService/icons/rk-fh-guest"));
    g_assert_false(exists(root, "var/lib/lightdm-data/rk-fh-guest"));
    g_assert_false(exists(root, "run/lightdm/rk-fh-guest"));
    /* Everyone else's stays, and so do the folders. */
    g_assert_true(exists(root, "var/spool/cron/crontabs/rk-fh-other"));
    g_assert_true(exists(root, "var/spool/cron/crontabs/root"));
    g_assert_true(exists(root, "var/spool/cron/atjobs/a0000201a8e2c1"));
    g_assert_true(exists(root, "var/spool/cron/atjobs/.SEQ"));
    g_assert_true(exists(root, "var/lib/systemd/linger/rk-fh-other"));
    g_assert_true(exists(root, "var/lib/AccountsService/users/rk-fh-other"));
    g_assert_true(exists(root, "var/lib/lightdm-data/rk-fh-other"));
    g_assert_true(exists(root, "run/lightdm"));

    g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_SCHEDULED], ==, 0);
    g_assert_cmpuint(res.removed[RK_WIPE_SERVICE_STATE], ==, 0);

    /* Folders that do not exist hold nothing. */
    g_autofree char *empty = g_build_filename(root, "empty", NULL);
    g_assert_cmpint(g_mkdir(empty, 0755), ==, 0);
    t.sysroot = empty;
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, 0);
    drop_sysroot(root);
}

/* Spool folders the guest could have rearranged are refused; names must be one component. */
static void test_untrusted_places(void)
{
    if (!require_root())
        return;
    const uid_t G = 61777;
    char *root = make_sysroot();
    FootholdTarget t = { .uid = G, .gid = 100, .user = "rk-fh-guest", .home = "/nonexistent", .sysroot = root };
    FootholdResult res;

    /* The guest owns the crontab folder: not a system spool. */
    mkdir_owned(root, "var/spool/cron/crontabs", 0755, G, 100);
    file_owned(root, "var/spool/cron/crontabs/rk-fh-guest", G);
    /* A symlink on the way to the linger folder. */
    mkdir_owned(root, "elsewhere/linger", 0755, 0, 0);
    file_owned(root, "elsewhere/linger/rk-fh-guest", 0);
    mkdir_owned(root, "var/lib", 0755, 0, 0);
    g_autofree char *link = g_build_filename(root, "var/lib/systemd", NULL);
    g_autofree char *dest = g_build_filename(root, "elsewhere", NULL);
    g_assert_cmpint(symlink(dest, link), ==, 0);
    /* Writable by others without the sticky bit. */
    mkdir_owned(root, "var/lib/AccountsService/users", 0777, 0, 0);
    file_owned(root, "var/lib/AccountsService/users/rk-fh-guest", 0);

    g_assert_cmpint(foothold_remove(&t, 0, &res), <, 0);
    g_assert_cmpint(res.error[RK_WIPE_SCHEDULED], ==, -EPERM);
    g_assert_cmpint(res.error[RK_WIPE_SERVICE_STATE], ==, -EPERM);
    g_assert_true(exists(root, "var/spool/cron/crontabs/rk-fh-guest"));
    g_assert_true(exists(root, "elsewhere/linger/rk-fh-guest"));
    g_assert_true(exists(root, "var/lib/AccountsService/users/rk-fh-guest"));

    /* Only the symlink: -ELOOP. */
    g_autofree char *crontabs = g_build_filename(root, "var/spool/cron/crontabs", NULL);
    g_autofree char *users = g_build_filename(root, "var/lib/AccountsService/users", NULL);
    g_assert_cmpint(chown(crontabs, 0, 0), ==, 0);
    g_assert_cmpint(chmod(users, 0700), ==, 0);
    g_assert_cmpint(foothold_remove(&t, 0, &res), ==, -ELOOP);
    g_assert_cmpint(res.error[RK_WIPE_SCHEDULED], ==, -ELOOP);
    g_assert_cmpint(res.error[RK_WIPE_SERVICE_STATE], ==, 0);
    g_assert_true(exists(root, "elsewhere/linger/rk-fh-guest"));
    g_assert_false(exists(root, "var/spool/cron/crontabs/rk-fh-guest"));

    /* A name that is not a single component is refused for what is found by name. */
    static const char *const bad[] = { "..", ".", "a/b", "", NULL };
    for (const char *const *b = bad; *b; b++) {
        t.user = *b;
        g_assert_cmpint(foothold_remove(&t, RM_DRY_RUN, &res), ==, -EINVAL);
        g_assert_cmpint(res.error[RK_WIPE_SCHEDULED], ==, -EINVAL);
        g_assert_cmpint(res.error[RK_WIPE_SERVICE_STATE], ==, -EINVAL);
    }
    drop_sysroot(root);
}

/* ---- mounts ---- */

static gint cmp_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Mount points below top in this namespace (with repeats for stacked mounts), sorted. */
static GPtrArray *mounts_below(const char *top)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    size_t n = strlen(top);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, " ", 6);
        if (g_strv_length(f) < 6)
            continue;
        if (strncmp(f[4], top, n) == 0 && f[4][n] == '/')
            g_ptr_array_add(out, g_strdup(f[4] + n + 1));
    }
    g_ptr_array_sort(out, cmp_strp);
    return out;
}

static char *mounts_string(const char *top)
{
    g_autoptr(GPtrArray) m = mounts_below(top);
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < m->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (char *)m->pdata[i]);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void tmpfs_on(const char *dir, const char *rel)
{
    g_autofree char *p = g_build_filename(dir, rel, NULL);
    g_assert_cmpint(mount("tmpfs", p, "tmpfs", 0, "mode=0755,size=1m"), ==, 0);
}

/* /dev/fuse of this machine may be root's alone (no udev rule); give the test's private mount
 * namespace a node everyone may open, as Debian's udev rule does, without changing the
 * machine's. */
static bool fuse_usable(const char *scratch)
{
    if (!have_program("bindfs") || !have_program("fusermount3") || access("/dev/fuse", F_OK) < 0)
        return false;
    g_autofree char *node = g_build_filename(scratch, "fuse-node", NULL);
    if (mknod(node, S_IFCHR | 0666, makedev(10, 229)) < 0 || chmod(node, 0666) < 0)
        return false;
    return mount(node, "/dev/fuse", NULL, MS_BIND, NULL) == 0;
}

/* The user's bindfs of src on dst, in the foreground (its pid is returned); waits until the
 * mount is there. */
static GPid start_bindfs(const User *u, const char *src, const char *dst)
{
    g_autofree char *uid = g_strdup_printf("--reuid=%u", (unsigned)u->uid);
    g_autofree char *gid = g_strdup_printf("--regid=%u", (unsigned)u->gid);
    const char *argv[] = { "setpriv", uid, gid, "--clear-groups", "bindfs", "--no-allow-other", "-f", src, dst, NULL };
    GPid pid = 0;
    g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                NULL, &pid, NULL));
    for (int i = 0; i < 500; i++) {
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL));
        g_autofree char *needle = g_strdup_printf(" %s ", dst);
        char *hit = strstr(text, needle);
        if (hit && strstr(hit, " - fuse"))
            return pid;
        g_usleep(10000);
    }
    g_error("bindfs did not mount");
}

static void stop_process(GPid pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

typedef struct {
    char *scratch; /* a tmpfs of the test */
    char *sticky;  /* scratch/tmp: a tmpfs of its own, 1777, like /tmp */
} MountScene;

static void scene_init(MountScene *s)
{
    s->scratch = make_sysroot();
    s->sticky = g_build_filename(s->scratch, "tmp", NULL);
    g_assert_cmpint(g_mkdir(s->sticky, 0755), ==, 0);
    g_assert_cmpint(mount("tmpfs", s->sticky, "tmpfs", 0, "mode=1777,size=1m"), ==, 0);
}

static void scene_free(MountScene *s)
{
    drop_sysroot(s->scratch); /* MNT_DETACH takes every mount below */
    g_free(s->sticky);
}

static void dir_in(const char *top, const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
    mkdir_owned(top, rel, mode, uid, gid);
}

static void test_mounts(void)
{
    if (!require_root())
        return;
    User g = make_user(), o = make_user();
    MountScene s;
    scene_init(&s);
    const char *gdirs[] = { s.sticky, NULL };
    g_autofree char *home = g_build_filename(s.scratch, "home", g.name, NULL);
    g_autofree char *run_user = g_build_filename(s.scratch, "run-user", NULL);
    FootholdTarget t = target_of(&g);
    t.home = home;
    t.run_user_dir = run_user;
    t.guest_dirs = gdirs;
    FootholdTarget to = target_of(&o);
    to.home = "/nonexistent-rk-fh";
    to.run_user_dir = run_user;
    to.guest_dirs = gdirs;

    /* Root's mounts that must stay: on a root dir in the sticky folder, and inside one. */
    dir_in(s.sticky, "r1/m", 0755, 0, 0);
    tmpfs_on(s.sticky, "r1");
    dir_in(s.sticky, "r1/m", 0755, 0, 0);
    tmpfs_on(s.sticky, "r1/m");
    /* A dir the guest made, with a mount on it (root's: the guest cannot mount a tmpfs, but a
     * mount there lies in the guest's tree) and one nested in that. */
    dir_in(s.sticky, "g1", 0700, g.uid, g.gid);
    tmpfs_on(s.sticky, "g1");
    dir_in(s.sticky, "g1/inner", 0755, 0, 0);
    tmpfs_on(s.sticky, "g1/inner");
    /* Stacked twice. */
    dir_in(s.sticky, "g2", 0700, g.uid, g.gid);
    tmpfs_on(s.sticky, "g2");
    tmpfs_on(s.sticky, "g2");
    /* Deep in a tree the guest made: a root dir inside the guest's, with a mount. */
    dir_in(s.sticky, "gd", 0755, g.uid, g.gid);
    dir_in(s.sticky, "gd/sub/mnt", 0755, 0, 0);
    tmpfs_on(s.sticky, "gd/sub/mnt");
    /* The home and the runtime folder: every mount there. */
    dir_in(s.scratch, "home", 0755, 0, 0);
    g_autofree char *home_rel = g_strdup_printf("home/%s", g.name);
    dir_in(s.scratch, home_rel, 0700, g.uid, g.gid);
    tmpfs_on(home, "");
    dir_in(home, "sub", 0755, 0, 0);
    tmpfs_on(home, "sub");
    g_autofree char *uidstr = g_strdup_printf("%u", (unsigned)g.uid);
    dir_in(run_user, uidstr, 0700, g.uid, g.gid);
    tmpfs_on(run_user, uidstr);

    /* FUSE of the guest: one whose daemon is dead (ENOTCONN), one still running. */
    bool fuse = fuse_usable(s.scratch);
    GPid live = 0;
    if (fuse) {
        dir_in(s.sticky, "gsrc", 0700, g.uid, g.gid);
        dir_in(s.sticky, "gf-dead", 0700, g.uid, g.gid);
        dir_in(s.sticky, "gf-live", 0700, g.uid, g.gid);
        g_autofree char *src = g_build_filename(s.sticky, "gsrc", NULL);
        g_autofree char *dead_dst = g_build_filename(s.sticky, "gf-dead", NULL);
        g_autofree char *live_dst = g_build_filename(s.sticky, "gf-live", NULL);
        stop_process(start_bindfs(&g, src, dead_dst));
        live = start_bindfs(&g, src, live_dst);
    }
    g_autofree char *all = mounts_string(s.scratch);
    uint64_t n = 99;

    /* Another uid owns none of this: nothing is detached. */
    g_assert_cmpint(foothold_count_mounts(&to), ==, 0);
    g_assert_cmpint(foothold_detach_mounts(&to, &n), ==, 0);
    g_assert_cmpuint(n, ==, 0);
    g_autofree char *unchanged = mounts_string(s.scratch);
    g_assert_cmpstr(unchanged, ==, all);

    int64_t expect = 8 + (fuse ? 2 : 0);
    g_assert_cmpint(foothold_count_mounts(&t), ==, expect);
    g_assert_cmpint(foothold_detach_mounts(&t, &n), ==, 0);
    g_assert_cmpuint(n, ==, (uint64_t)expect);
    g_autofree char *left = mounts_string(s.scratch);
    g_assert_cmpstr(left, ==, "tmp tmp/r1 tmp/r1/m");
    g_assert_cmpint(foothold_count_mounts(&t), ==, 0);
    if (live)
        stop_process(live);
    scene_free(&s);
    if (!fuse)
        g_test_skip("FUSE part skipped: bindfs/fusermount3 or /dev/fuse missing");
}

/* A mount of the guest hidden under someone else's cover stays, and says so (-EBUSY); the
 * cover is never detached. */
static void test_mounts_covered(void)
{
    if (!require_root())
        return;
    User g = make_user();
    MountScene s;
    scene_init(&s);
    if (!fuse_usable(s.scratch)) {
        scene_free(&s);
        g_test_skip("needs FUSE: bindfs/fusermount3 or /dev/fuse missing");
        return;
    }
    const char *gdirs[] = { s.sticky, NULL };
    FootholdTarget t = target_of(&g);
    t.guest_dirs = gdirs;

    dir_in(s.sticky, "rc", 0755, 0, 0);
    tmpfs_on(s.sticky, "rc");
    dir_in(s.sticky, "rc/gx", 0700, g.uid, g.gid);
    dir_in(s.sticky, "rc/gsrc", 0700, g.uid, g.gid);
    g_autofree char *src = g_build_filename(s.sticky, "rc/gsrc", NULL);
    g_autofree char *dst = g_build_filename(s.sticky, "rc/gx", NULL);
    stop_process(start_bindfs(&g, src, dst));
    tmpfs_on(s.sticky, "rc"); /* root's cover over root's mount holding the guest's */

    uint64_t n = 99;
    g_assert_cmpint(foothold_count_mounts(&t), ==, 1);
    g_assert_cmpint(foothold_detach_mounts(&t, &n), ==, -EBUSY);
    g_assert_cmpuint(n, ==, 0);
    g_autofree char *left = mounts_string(s.scratch);
    g_assert_cmpstr(left, ==, "tmp tmp/rc tmp/rc tmp/rc/gx");
    /* Once the cover is lifted, the guest's goes. */
    g_autofree char *rc = g_build_filename(s.sticky, "rc", NULL);
    g_assert_cmpint(umount2(rc, 0), ==, 0);
    g_assert_cmpint(foothold_detach_mounts(&t, &n), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_autofree char *after = mounts_string(s.scratch);
    g_assert_cmpstr(after, ==, "tmp tmp/rc");
    scene_free(&s);
}

/* A symlink the guest put where a mount point was (or on the way) is never followed. */
static void test_mounts_no_follow(void)
{
    if (!require_root())
        return;
    User g = make_user();
    MountScene s;
    scene_init(&s);
    const char *gdirs[] = { s.sticky, NULL };
    g_autofree char *home = g_build_filename(s.scratch, "home", NULL);
    FootholdTarget t = target_of(&g);
    t.guest_dirs = gdirs;
    t.home = home;

    /* Root's mount elsewhere, and a symlink to it in the home: the home holds no mount. */
    dir_in(s.scratch, "home", 0755, g.uid, g.gid);
    dir_in(s.scratch, "precious", 0755, 0, 0);
    tmpfs_on(s.scratch, "precious");
    g_autofree char *target = g_build_filename(s.scratch, "precious", NULL);
    g_autofree char *link = g_build_filename(home, "link", NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
    uint64_t n = 99;
    g_assert_cmpint(foothold_detach_mounts(&t, &n), ==, 0);
    g_assert_cmpuint(n, ==, 0);
    g_autofree char *left = mounts_string(s.scratch);
    g_assert_cmpstr(left, ==, "precious tmp");
    scene_free(&s);
}

/* udisks2's media folder of the user: what is mounted below it goes, the folder's own mount
 * (here the test's tmpfs on /media) and other users' media stay. */
static void test_mounts_media(void)
{
    if (!require_root())
        return;
    struct stat st;
    if (stat("/media", &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_test_skip("no /media folder on this machine");
        return;
    }
    User g = make_user();
    FootholdTarget t = target_of(&g);
    /* The test's own /media, in its private mount namespace. */
    g_assert_cmpint(mount("tmpfs", "/media", "tmpfs", 0, "mode=0755,size=1m"), ==, 0);
    g_autofree char *stick = g_strdup_printf("%s/STICK", g.name);
    mkdir_owned("/media", stick, 0755, 0, 0);
    mkdir_owned("/media", "other/STICK", 0755, 0, 0);
    tmpfs_on("/media", stick);
    tmpfs_on("/media", "other/STICK");
    uint64_t n = 0;
    g_assert_cmpint(foothold_detach_mounts(&t, &n), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_autofree char *left = mounts_string("/media");
    g_assert_cmpstr(left, ==, "other/STICK");
    g_assert_cmpint(umount2("/media", MNT_DETACH), ==, 0);
}

static int run_tests(void)
{
    g_test_add_func("/foothold/names", test_names);
    g_test_add_func("/foothold/refuse-root", test_refuse_root);
    g_test_add_func("/foothold/sysv-ipc", test_sysv_ipc);
    g_test_add_func("/foothold/mqueue", test_mqueue);
    g_test_add_func("/foothold/keys", test_keys);
    g_test_add_func("/foothold/keys-persistent-and-none", test_keys_persistent_and_none);
    g_test_add_func("/foothold/keys-lock", test_keys_lock);
    g_test_add_func("/foothold/keys-lock-possessor-only", test_keys_lock_possessor_only);
    g_test_add_func("/foothold/keys-locked-by-guest", test_keys_locked_by_guest);
    g_test_add_func("/foothold/keys-locked-like-us", test_keys_locked_like_us);
    g_test_add_func("/foothold/keys-old-lock", test_keys_old_lock);
    g_test_add_func("/foothold/keys-revoked", test_keys_revoked);
    g_test_add_func("/foothold/scheduled-and-state", test_scheduled_and_state);
    g_test_add_func("/foothold/untrusted-places", test_untrusted_places);
    g_test_add_func("/foothold/mounts", test_mounts);
    g_test_add_func("/foothold/mounts-covered", test_mounts_covered);
    g_test_add_func("/foothold/mounts-no-follow", test_mounts_no_follow);
    g_test_add_func("/foothold/mounts-media", test_mounts_media);
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

    /* The test's own IPC objects and mounts, invisible to the machine and gone with the
     * test. */
    private_ns = unshare(CLONE_NEWIPC | CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
    cleanup_users(0);
    fflush(stdout);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        exit(run_tests());
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < shared->n_uids; i++)
        cleanup_kill_uid(shared->uids[i]);
    cleanup_users(supervisor_pid);
    munmap(shared, sizeof *shared);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "test child died of signal %d\n", WTERMSIG(status));
    return 1;
}
