/* The census (contract in census.h): every class but the file walk, which lives in
 * censusfs.c, and census_run, which runs them all.
 *
 * Rules, each stated again where the code enforces it:
 *  - Read-only; never a name out: counts only.
 *  - Fail closed: a file of /proc that cannot be read or parsed makes its class fail; only
 *    "it vanished" (ENOENT, ESRCH) is not an error.
 *  - The keys child becomes the guest completely before it reads anything and makes only raw
 *    system calls (the daemon has threads); it never looks a keyring up by its special id,
 *    which would create the guest's keyrings. */
#include "census.h"
#include "censusfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define CENSUS_STATUS_MAX 8192      /* /proc/PID/task/TID/status is ~1.5 KiB */
#define CENSUS_KEYS_MAX (1u << 20)  /* /proc/keys as the guest sees it */
#define CENSUS_KEYS_GC_NS (1000LL * 1000 * 1000) /* key garbage collection is asynchronous */
#define CENSUS_KEYS_POLL_US 20000

bool census_clean(const CensusResult *res)
{
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        if (res->found[c] || res->error[c])
            return false;
    return true;
}

/* ---- processes ---- */

/* Parse "Field:\tA\tB\tC\tD" (four numbers) in a status text. */
static bool census_status_ids(const char *buf, const char *field, unsigned long v[4])
{
    const char *s = strstr(buf, field);

    if (!s)
        return false;
    s += strlen(field);
    for (int i = 0; i < 4; i++) {
        char *end;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
        v[i] = strtoul(s, &end, 10);
        s = end;
    }
    return true;
}

/* 1: a live task of the guest, 0: not (or it vanished), -errno: not readable or parsable. */
static int census_task(int taskdirfd, const char *tid, const CensusTarget *t)
{
    char path[64], buf[CENSUS_STATUS_MAX];
    unsigned long u[4], g[4];
    size_t len = 0;

    snprintf(path, sizeof path, "%s/status", tid);
    _cleanup_close_ int fd = openat(taskdirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH ? 0 : -errno;
    while (len < sizeof buf - 1) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ESRCH ? 0 : -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len == 0)
        return 0; /* exited between open and read */
    buf[len] = '\0';
    /* Name: is escaped by the kernel (no raw newline), so "\nState:" cannot be forged. */
    const char *st = strstr(buf, "\nState:");
    if (!st || !census_status_ids(buf, "\nUid:", u) || !census_status_ids(buf, "\nGid:", g))
        return -EBADMSG;
    st += 7;
    while (*st == ' ' || *st == '\t')
        st++;
    if (*st == 'Z' || *st == 'X')
        return 0; /* zombies and dead tasks hold nothing */
    for (int i = 0; i < 4; i++)
        if (u[i] == t->uid || (t->check_gid && g[i] == t->gid))
            return 1;
    return 0;
}

static int census_processes(const CensusTarget *t, uint64_t *found)
{
    pid_t self = getpid();
    int r = 0;
    struct dirent *de;

    DIR *proc = opendir("/proc");
    if (!proc)
        return -errno;
    for (;;) {
        errno = 0;
        if (!(de = readdir(proc))) {
            if (errno)
                census_keep(&r, -errno);
            break;
        }
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        /* Our own threads are root's; the census's own children never live while this runs. */
        if (pid <= 0 || *end || pid == self)
            continue;
        char path[64];
        snprintf(path, sizeof path, "%ld/task", pid);
        int tfd = openat(dirfd(proc), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0) {
            if (errno != ENOENT && errno != ESRCH)
                census_keep(&r, -errno);
            continue;
        }
        DIR *task = fdopendir(tfd);
        if (!task) {
            census_keep(&r, -errno);
            close(tfd);
            continue;
        }
        for (;;) {
            errno = 0;
            struct dirent *te = readdir(task);
            if (!te) {
                if (errno && errno != ENOENT && errno != ESRCH)
                    census_keep(&r, -errno);
                break;
            }
            if (te->d_name[0] < '1' || te->d_name[0] > '9')
                continue;
            int k = census_task(tfd, te->d_name, t);
            if (k < 0)
                census_keep(&r, k);
            else
                *found += (uint64_t)k;
        }
        closedir(task);
    }
    closedir(proc);
    return r;
}

/* ---- mounts ---- */

static int census_mounts_class(const CensusTarget *t, const CensusMounts *mt, uint64_t *found)
{
    g_autofree char *user_id = g_strdup_printf("user_id=%u", (unsigned)t->uid);
    g_autofree char *run = t->run_user_dir && t->run_user_dir[0]
                               ? g_strdup_printf("%s/%u", t->run_user_dir, (unsigned)t->uid)
                               : NULL;
    int r = 0;

    for (size_t i = 0; i < mt->n; i++) {
        const CensusMount *m = &mt->m[i];
        CensusFsKind k = census_fs_kind(m->fstype);
        bool hit = false;

        if (k == CENSUS_FS_FUSE && census_has_opt(m->super, user_id))
            hit = true;
        else if (t->home && t->home[0] == '/' && census_path_below(m->mp, t->home))
            hit = true;
        else if (run && census_path_below(m->mp, run))
            hit = true;
        else if (k != CENSUS_FS_FUSE && k != CENSUS_FS_NETWORK &&
                 census_below_remote(mt, i) == CENSUS_FS_LOCAL) {
            /* The owner of the mount's root; never asked of a FUSE or network server. */
            struct statx sx;
            int fd = census_open_mount(m, &sx);
            if (fd >= 0) {
                hit = census_owned(t, sx.stx_uid, sx.stx_gid);
                close(fd);
            } else if (fd != -ENOENT && fd != -EBUSY) {
                census_keep(&r, fd); /* EBUSY: overmounted, its root is out of sight */
            }
        }
        if (hit)
            (*found)++;
    }
    return r;
}

/* ---- System V IPC ---- */

static int census_sysv_file(const char *path, const CensusTarget *t, uint64_t *found)
{
    g_autofree char *buf = NULL;
    const char *want[4] = { "uid", "cuid", "gid", "cgid" };
    int col[4] = { -1, -1, -1, -1 };
    char *save = NULL;

    int r = census_read_file(path, &buf, NULL);
    if (r == -ENOENT)
        return 0; /* a kernel without System V IPC holds none */
    if (r < 0)
        return r;
    char *line = strtok_r(buf, "\n", &save);
    if (!line)
        return -EBADMSG;
    /* Columns by header name: their order differs between shm, msg and sem. */
    char *s = NULL;
    int idx = 0, maxcol = -1;
    for (char *tok = strtok_r(line, " \t", &s); tok; tok = strtok_r(NULL, " \t", &s), idx++)
        for (int c = 0; c < 4; c++)
            if (strcmp(tok, want[c]) == 0 && col[c] < 0) {
                col[c] = idx;
                maxcol = MAX(maxcol, idx);
            }
    for (int c = 0; c < 4; c++)
        if (col[c] < 0)
            return -EBADMSG;
    while ((line = strtok_r(NULL, "\n", &save))) {
        unsigned long v[4] = { 0 };
        int got = 0;
        idx = 0;
        for (char *tok = strtok_r(line, " \t", &s); tok && idx <= maxcol;
             tok = strtok_r(NULL, " \t", &s), idx++)
            for (int c = 0; c < 4; c++)
                if (idx == col[c]) {
                    char *end;
                    v[c] = strtoul(tok, &end, 10);
                    if (*end == '\0')
                        got++;
                }
        if (got != 4)
            return -EBADMSG;
        if (v[0] == t->uid || v[1] == t->uid || (t->check_gid && (v[2] == t->gid || v[3] == t->gid)))
            (*found)++;
    }
    return 0;
}

static int census_sysv(const CensusTarget *t, uint64_t *found)
{
    int r = 0;

    census_keep(&r, census_sysv_file("/proc/sysvipc/shm", t, found));
    census_keep(&r, census_sysv_file("/proc/sysvipc/msg", t, found));
    census_keep(&r, census_sysv_file("/proc/sysvipc/sem", t, found));
    return r;
}

/* ---- entries of one directory (mqueue, at spool) ---- */

/* Count the entries of the directory dirfd (taken and closed) that the guest owns. */
static int census_dir_owned(int dirfd, const CensusTarget *t, uint64_t *found)
{
    struct dirent *de;
    int r = 0;

    DIR *d = fdopendir(dirfd);
    if (!d) {
        r = -errno;
        close(dirfd);
        return r;
    }
    for (;;) {
        struct statx sx;
        errno = 0;
        if (!(de = readdir(d))) {
            if (errno)
                r = -errno;
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (statx(dirfd, de->d_name, CENSUS_AT, STATX_UID | STATX_GID, &sx) < 0) {
            if (errno != ENOENT)
                census_keep(&r, -errno);
            continue;
        }
        if (census_owned(t, sx.stx_uid, sx.stx_gid))
            (*found)++;
    }
    closedir(d);
    return r;
}

/* ---- POSIX message queues ---- */

/* Mount a private mqueue instance (of our IPC namespace) on a fresh 0700 dir under /run, count
 * its queues, detach it and remove the dir. */
static int census_mqueue_private(const CensusTarget *t, uint64_t *found)
{
    char dir[] = "/run/rentark-census.XXXXXX";
    int r;

    if (!mkdtemp(dir))
        return -errno;
    if (mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        r = -errno;
        rmdir(dir);
        return r;
    }
    int fd = open(dir, CENSUS_O_DIR);
    r = fd < 0 ? -errno : census_dir_owned(fd, t, found);
    if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
        census_keep(&r, -errno);
    else if (rmdir(dir) < 0)
        census_keep(&r, -errno);
    return r;
}

/* The same, detached (new mount API, 5.2): the instance is never attached to any directory, so
 * no other process sees it and nothing is left to clean up. -ENOSYS on older kernels. */
static int census_mqueue_detached(const CensusTarget *t, uint64_t *found)
{
    _cleanup_close_ int fs = fsopen("mqueue", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -errno;
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -errno;
    _cleanup_close_ int mnt =
        fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (mnt < 0)
        return -errno;
    int fd = openat(mnt, ".", CENSUS_O_DIR);
    return fd < 0 ? -errno : census_dir_owned(fd, t, found);
}

/* Every mounted mqueue instance (one per IPC namespace, read once per device); a private one
 * of our IPC namespace when none is mounted. */
static int census_mqueue(const CensusTarget *t, const CensusMounts *mt, uint64_t *found)
{
    g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    int r = 0;

    for (size_t i = 0; i < mt->n; i++) {
        const CensusMount *m = &mt->m[i];
        struct statx sx;
        bool dup = false;

        if (strcmp(m->fstype, "mqueue") != 0 || census_below_remote(mt, i) != CENSUS_FS_LOCAL)
            continue;
        for (guint j = 0; j < seen->len; j++)
            dup = dup || g_array_index(seen, uint64_t, j) == m->dev;
        if (dup)
            continue;
        int pfd = census_open_mount(m, &sx);
        if (pfd < 0)
            continue; /* hidden or gone: another mount of it, or the private one, will do */
        int fd = openat(pfd, ".", CENSUS_O_DIR);
        close(pfd);
        if (fd < 0) {
            census_keep(&r, -errno);
            continue;
        }
        census_keep(&r, census_dir_owned(fd, t, found));
        g_array_append_val(seen, m->dev);
    }
    if (seen->len == 0) {
        int d = census_mqueue_detached(t, found);
        census_keep(&r, d == -ENOSYS ? census_mqueue_private(t, found) : d);
    }
    return r;
}

/* ---- kernel keys ---- */

/* nkeys of uid from /proc/key-users ("  UID:  usage nkeys/nikeys ..."), 0 if it has none. */
static int census_key_users(uid_t uid, uint64_t *ret_nkeys)
{
    g_autofree char *buf = NULL;
    char *save = NULL;

    *ret_nkeys = 0;
    int r = census_read_file("/proc/key-users", &buf, NULL);
    if (r == -ENOENT)
        return 0; /* a kernel without keys */
    if (r < 0)
        return r;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long u, usage, nkeys;
        if (sscanf(line, " %lu: %lu %lu/", &u, &usage, &nkeys) != 3)
            return -EBADMSG;
        if (u == uid) {
            *ret_nkeys = nkeys;
            break;
        }
    }
    return 0;
}

typedef struct {
    int32_t err;        /* 0, or the errno the child failed with */
    uint32_t std_empty; /* standard keyrings of the uid that exist and hold nothing */
} CensusKeysReply;

/* Everything the keys child needs, prepared before fork: it may not allocate. */
typedef struct {
    uid_t uid;
    gid_t gid;
    char uid_str[16];
    char *buf;
    size_t size;
    int wfd;
} CensusKeysJob;

/* Async-signal-safe helpers for the child: no locale, no allocation. */
static const char *census_tok(const char *p, const char *end, const char **ret_tok, size_t *ret_len)
{
    while (p < end && *p == ' ')
        p++;
    *ret_tok = p;
    while (p < end && *p != ' ')
        p++;
    *ret_len = (size_t)(p - *ret_tok);
    return p;
}

static bool census_tok_is(const char *tok, size_t len, const char *s)
{
    size_t ls = strlen(s);
    return len == ls && memcmp(tok, s, ls) == 0;
}

static uint64_t census_tok_num(const char *tok, size_t len, unsigned base, bool *ok)
{
    uint64_t v = 0;

    *ok = len > 0 && len <= 16;
    for (size_t i = 0; i < len && *ok; i++) {
        char c = tok[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : base == 16 && c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                                                          : 99;
        *ok = d < base;
        v = v * base + d;
    }
    return v;
}

/* What the keys child learns while it reads /proc/keys. */
typedef struct {
    bool seen[3];     /* each standard keyring of the uid is excused once */
    int32_t user_id;  /* the user keyring, 0 if not seen */
    int32_t ses_id;   /* the user-session keyring, 0 if not seen */
    bool ses_one;     /* the user-session keyring holds one link */
} CensusKeysScan;

/* Become the guest completely, checked. Async-signal-safe (a forked child). */
static bool census_keys_become(const CensusKeysJob *j)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    return j->uid != 0 && setgroups(0, NULL) == 0 && setresgid(j->gid, j->gid, j->gid) == 0 &&
           setresuid(j->uid, j->uid, j->uid) == 0 && getresuid(&ru, &eu, &su) == 0 && getresgid(&rg, &eg, &sg) == 0 &&
           ru == j->uid && eu == j->uid && su == j->uid && rg == j->gid && eg == j->gid && sg == j->gid;
}

/* /proc/keys as the guest sees it, into j->buf: 0 (*ret_len 0 without /proc/keys) or an
 * errno (EFBIG: more than the buffer). Async-signal-safe. */
static int census_keys_read(const CensusKeysJob *j, size_t *ret_len)
{
    size_t len = 0;
    int err = 0;
    int fd = open("/proc/keys", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : errno;
    for (;;) {
        ssize_t n = read(fd, j->buf + len, j->size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                err = errno;
            break;
        }
        len += (size_t)n;
        if (len == j->size) {
            err = EFBIG;
            break;
        }
    }
    close(fd);
    *ret_len = len;
    return err;
}

/* The description d..le of a live keyring id of the uid: one of its standard keyrings
 * ("_uid.UID", "_uid_ses.UID", "_persistent.UID"), and is it empty? */
static void census_keys_standard(const CensusKeysJob *j, const char *d, const char *le, uint64_t id,
                                 CensusKeysScan *sc, CensusKeysReply *rep)
{
    static const char *const prefix[3] = { "_uid.", "_uid_ses.", "_persistent." };
    size_t lu = strlen(j->uid_str);

    for (int k = 0; k < 3; k++) {
        size_t lp = strlen(prefix[k]);
        if (sc->seen[k] || (size_t)(le - d) < lp + lu + 2 || memcmp(d, prefix[k], lp) != 0 ||
            memcmp(d + lp, j->uid_str, lu) != 0 || d[lp + lu] != ':' || d[lp + lu + 1] != ' ')
            continue;
        const char *sum = d + lp + lu + 2;
        sc->seen[k] = true; /* one of each: a look-alike the guest made is not excused */
        if (k == 0)
            sc->user_id = (int32_t)id;
        if (k == 1)
            sc->ses_id = (int32_t)id;
        if (census_tok_is(sum, (size_t)(le - sum), "empty"))
            rep->std_empty++;
        else if (k == 1 && census_tok_is(sum, (size_t)(le - sum), "1"))
            sc->ses_one = true;
    }
}

/* The lines of /proc/keys in j->buf: 0 or EBADMSG. */
static int census_keys_scan(const CensusKeysJob *j, size_t len, CensusKeysScan *sc, CensusKeysReply *rep)
{
    /* "ID FLAGS USAGE TIMEOUT PERM UID GID TYPE DESCRIPTION: SUMMARY", one key a line. */
    for (const char *p = j->buf, *end = j->buf + len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end, *tok[8], *q = p;
        size_t tl[8];
        bool ok = true, ok2 = true;

        for (int i = 0; i < 8; i++)
            q = census_tok(q, le, &tok[i], &tl[i]);
        p = eol ? eol + 1 : end;
        uint64_t id = census_tok_num(tok[0], tl[0], 16, &ok);
        uint64_t owner = census_tok_num(tok[5], tl[5], 10, &ok2);
        if (!ok || !ok2)
            return EBADMSG;
        if (owner != j->uid || !census_tok_is(tok[7], tl[7], "keyring"))
            continue;
        /* Invalidated ('i' in FLAGS) or dead ('D'): on its way to the collector, which the
         * caller waits for. It may still be listed beside the fresh keyring of the same name
         * that replaced it (the wipe swaps keyrings it cannot lock): only the live one counts. */
        if (memchr(tok[1], 'i', tl[1]) || memchr(tok[1], 'D', tl[1]))
            continue;
        while (q < le && *q == ' ')
            q++;
        census_keys_standard(j, q, le, id, sc, rep);
    }
    return 0;
}

/* Runs in the forked child and never returns; only raw system calls. It becomes the guest
 * completely (no supplementary groups, all gids, all uids, checked) so that /proc/keys shows
 * what the guest may see, reads it, finds the guest's standard keyrings ("_uid.UID",
 * "_uid_ses.UID", "_persistent.UID") and whether each is empty, and writes one reply. It never
 * looks a keyring up by its special id: that would create the user keyrings (and the wipe's
 * locked ones are not found so: a look-up searches). The wipe leaves the user and user-session
 * keyrings locked, view and read only (0x03030000): the guest still sees them here and may read
 * them by number, so a locked empty one is excused like any empty one, and one with anything
 * in it is not. */
static _Noreturn void census_keys_child(const CensusKeysJob *j)
{
    CensusKeysReply rep = { 0 };
    CensusKeysScan sc = { 0 };
    size_t len = 0;

    if (!census_keys_become(j))
        rep.err = EPERM;
    else if ((rep.err = census_keys_read(j, &len)) == 0)
        rep.err = census_keys_scan(j, len, &sc, &rep);
    /* The user-session keyring links the user keyring: with that one link it is empty. */
    if (!rep.err && sc.ses_one && sc.user_id) {
        int32_t ids[2] = { 0, 0 };
        long n = syscall(SYS_keyctl, KEYCTL_READ, sc.ses_id, ids, sizeof ids, 0);
        if (n == (long)sizeof(int32_t) && ids[0] == sc.user_id)
            rep.std_empty++;
    }
    (void)!write(j->wfd, &rep, sizeof rep);
    _exit(0);
}

static int census_keys(const CensusTarget *t, uint64_t *found)
{
    uint64_t nkeys;
    CensusKeysReply rep = { 0 };
    int p[2], status;

    int r = census_key_users(t->uid, &nkeys);
    if (r < 0 || nkeys == 0)
        return r; /* no key of the uid at all: nothing to ask as the guest */
    if (t->gid == (gid_t)-1)
        return -EINVAL;
    CensusKeysJob job = { .uid = t->uid, .gid = t->gid, .size = CENSUS_KEYS_MAX };
    snprintf(job.uid_str, sizeof job.uid_str, "%u", (unsigned)t->uid);
    g_autofree char *buf = g_malloc(job.size);
    job.buf = buf;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    job.wfd = p[1];
    pid_t pid = fork();
    if (pid == 0)
        census_keys_child(&job);
    int fork_err = errno;
    close(p[1]);
    ssize_t n = pid < 0 ? -1 : rk_read_all(p[0], &rep, sizeof rep);
    close(p[0]);
    if (pid < 0)
        return -fork_err;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof rep)
        return -EIO;
    if (rep.err)
        return -rep.err;
    /* Unreferenced keys are collected asynchronously (milliseconds after the wipe cleared the
     * keyrings): give the collector up to a second before reporting. */
    long long deadline = rk_now_ns() + CENSUS_KEYS_GC_NS;
    while (nkeys > rep.std_empty && rk_now_ns() < deadline) {
        g_usleep(CENSUS_KEYS_POLL_US);
        r = census_key_users(t->uid, &nkeys);
        if (r < 0)
            return r;
    }
    *found = nkeys > rep.std_empty ? nkeys - rep.std_empty : 0;
    return 0;
}

/* ---- name-keyed spools and service state ---- */

/* path (under sysroot) exists, whoever owns it. */
static int census_exists(const CensusTarget *t, const char *dir, uint64_t *found)
{
    struct stat st;
    g_autofree char *path = g_strconcat(t->sysroot ? t->sysroot : "", dir, "/", t->user, NULL);

    if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        (*found)++;
        return 0;
    }
    return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

static int census_spool_owned(const CensusTarget *t, const char *dir, uint64_t *found)
{
    g_autofree char *path = g_strconcat(t->sysroot ? t->sysroot : "", dir, NULL);

    int fd = open(path, CENSUS_O_DIR);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -errno; /* no spool holds nothing */
    return census_dir_owned(fd, t, found);
}

static int census_scheduled(const CensusTarget *t, uint64_t *found)
{
    int r = 0;

    census_keep(&r, census_exists(t, "/var/spool/cron/crontabs", found));
    census_keep(&r, census_spool_owned(t, "/var/spool/cron/atjobs", found));
    census_keep(&r, census_spool_owned(t, "/var/spool/cron/atspool", found));
    census_keep(&r, census_exists(t, "/var/lib/systemd/linger", found));
    return r;
}

static int census_service_state(const CensusTarget *t, uint64_t *found)
{
    int r = 0;

    census_keep(&r, census_exists(t, "/var/lib/AccountsService/users", found));
    census_keep(&r, census_exists(t, "/var/lib/AccountsService/icons", found));
    census_keep(&r, census_exists(t, "/var/lib/lightdm-data", found));
    return r;
}

/* ---- the whole census ---- */

int census_run(const CensusTarget *t, CensusResult *res)
{
    CensusMounts mt;
    long long start = rk_now_ns();

    if (!res)
        return -EINVAL;
    *res = (CensusResult){ 0 };
    /* The account name becomes one path component of the spool paths: nothing else. */
    if (!census_target_ok(t) || !t->user || !t->user[0] || strchr(t->user, '/') ||
        strcmp(t->user, ".") == 0 || strcmp(t->user, "..") == 0)
        return -EINVAL;
    /* "Mounts below the home" with home "/" would be every mount. */
    if (t->home && (t->home[0] != '/' || t->home[strspn(t->home, "/")] == '\0'))
        return -EINVAL;

    /* Processes first: nothing of the census runs as the guest yet (the keys child). */
    res->error[RK_WIPE_PROCESSES] = census_processes(t, &res->found[RK_WIPE_PROCESSES]);
    int mr = census_mounts_read(&mt);
    if (mr < 0) {
        res->error[RK_WIPE_MOUNTS] = res->error[RK_WIPE_FILES] = res->error[RK_WIPE_MQUEUE] = mr;
    } else {
        res->error[RK_WIPE_MOUNTS] = census_mounts_class(t, &mt, &res->found[RK_WIPE_MOUNTS]);
        res->error[RK_WIPE_MQUEUE] = census_mqueue(t, &mt, &res->found[RK_WIPE_MQUEUE]);
    }
    res->error[RK_WIPE_SYSV_IPC] = census_sysv(t, &res->found[RK_WIPE_SYSV_IPC]);
    res->error[RK_WIPE_KEYS] = census_keys(t, &res->found[RK_WIPE_KEYS]);
    res->error[RK_WIPE_SCHEDULED] = census_scheduled(t, &res->found[RK_WIPE_SCHEDULED]);
    res->error[RK_WIPE_SERVICE_STATE] = census_service_state(t, &res->found[RK_WIPE_SERVICE_STATE]);
    if (mr >= 0)
        res->error[RK_WIPE_FILES] = census_files(t, &mt, res);
    census_mounts_free(&mt);
    res->duration_ns = rk_now_ns() - start;

    int first = 0;
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++) {
        if (res->found[c])
            return 1;
        census_keep(&first, res->error[c]);
    }
    return first;
}

void census_result_clear(CensusResult *res)
{
    g_strfreev(res->scanned_mounts);
    memset(res, 0, sizeof *res);
}

void census_result_copy_counts(CensusResult *to, const CensusResult *from)
{
    char **keep = to->scanned_mounts;
    *to = *from;
    to->scanned_mounts = keep;
}
