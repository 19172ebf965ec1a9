/* Kernel keys of the guest: cleared, and the user keyrings locked, by a forked child that
 * becomes the guest. See keys.h; the kernel's rules it works with, and its limits:
 *
 * The kernel keeps a user's keyrings (user "_uid.UID", user-session "_uid_ses.UID", persistent
 * "_persistent.UID") after every process of the user has exited, and the next session of the
 * same uid gets them back with whatever they hold. Only the user reaches them (there is no root
 * override for keyctl on another user's keys), so a child that has become the guest clears
 * them. Everything the child needs is prepared before fork: it only makes async-signal-safe
 * calls (raw syscalls, no allocation, no stdio).
 *
 * The kernel makes the user and user-session keyrings with the user's setattr permission
 * (0x1f3f0000 since 5.3; 6.18 does the same) and keeps them until reboot: a guest may take its
 * own permissions away (keyctl setperm @u 0), and then nobody, root included, can open, clear or
 * unlink the keyring; the census finds keys, and the seat is out of service. Taking setattr
 * away alone does not hold: with search the guest may invalidate the keyring (with write, revoke
 * it), the kernel makes a fresh one with the user's setattr at the next look-up, and the same
 * session locks that one. So the child leaves both with KEYS_LOCKED, view and read for
 * possessor and user and nothing else: the guest can no longer set their permissions or a
 * timeout, invalidate or revoke them, add, link or unlink anything in them, even through a
 * session keyring it possesses; and the kernel's look-up by special id, which searches, no
 * longer finds them, so it makes no fresh ones either. The price: a guest has no usable @u or
 * @us (keyctl add ... @u fails, pam_keyinit cannot link @u into the session keyring); process and
 * session keyrings still work and go with the session's processes, and the persistent keyring
 * (which the kernel makes without setattr for anyone) is cleared here.
 *
 * Nothing can be linked into a locked keyring, so there is nothing to clear in it, and nobody
 * could: a keyring is emptied before it is locked. Locked, it stays viewable and readable: the
 * child (and the census) recognise it in /proc/keys, by number, and read that it is empty.
 *
 * User keyrings whose mask nobody may set any more but that may still be searched (left so by
 * an older rentarkd, 0x1f1f0000, or by a guest before the first lock) are swapped for fresh
 * ones: invalidated, which takes only search, then made again by the kernel, then locked.
 *
 * The limits: a guest that takes its search and setattr permissions away before the first lock
 * after a boot (a session before rentarkd ran, or one still alive while it starts and locks)
 * keeps that keyring out of reach until reboot (-EACCES; the census decides); so does one that
 * revoked it then, until the collector takes it (then the kernel makes a fresh one, which the
 * guest's next session could lock before the next wipe). Locked keyrings are never swapped:
 * nobody can invalidate them. */
#include "keys.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEYS_IDS_MAX 8192
#define KEYS_PROC_BUF 16384
#define KEYS_STD_MAX 8 /* keyrings named like the uid's user keyrings (look-alikes included) */
/* Key permission bits (include/linux/key.h; the uapi header has none). */
#define KEYS_POS_ALL 0x3f000000u
#define KEYS_USR_ALL 0x003f0000u
#define KEYS_SETATTR 0x20200000u /* of possessor and user */
/* Possessor and user: view and read; nobody may write, search, link or setattr. */
#define KEYS_LOCKED 0x03030000u


enum { KEYS_STD_USER, KEYS_STD_SESSION, KEYS_STD_PERSISTENT };

typedef struct {
    int32_t err;      /* first -errno of the child, 0 */
    int32_t reserved;
    uint64_t removed; /* keys unlinked from the keyrings or invalidated (or found, dry run) */
} KeysReport;

/* A user or user-session keyring of the uid as /proc/keys lists it, checked by its number. */
typedef struct {
    int32_t id;
    int kind;    /* KEYS_STD_USER or KEYS_STD_SESSION */
    bool locked; /* its mask is KEYS_LOCKED */
} KeysStdRing;

typedef struct {
    uid_t uid;
    gid_t gid;
    KeysMode mode;
    bool dry;           /* mode == KEYS_COUNT */
    char uidstr[16];
    KeysReport rep;
    int32_t anchors[4]; /* user, user-session (found by special id), persistent, the child's process keyring */
    KeysStdRing std[KEYS_STD_MAX];
    int n_std;
    bool std_revoked;   /* the uid's user or user-session keyring is listed as revoked */
    bool persistent_seen;
    long visible;       /* keys of uid in /proc/keys */
    long nkeys;         /* keys of uid in /proc/key-users; -1: no line */
    int n_seen;
    int32_t seen[KEYS_IDS_MAX];
    unsigned char rbuf[KEYS_IDS_MAX * 4];
    char pbuf[KEYS_PROC_BUF];
} KeysWork;

static long keys_keyctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
    return syscall(SYS_keyctl, op, a, b, c, d);
}

static void keys_fail(KeysWork *w, int err)
{
    if (w->rep.err == 0)
        w->rep.err = -err;
}

/* Count id once however often it is unlinked or invalidated. */
static void keys_count(KeysWork *w, int32_t id)
{
    for (int i = 0; i < w->n_seen; i++)
        if (w->seen[i] == id)
            return;
    if (w->n_seen < KEYS_IDS_MAX)
        w->seen[w->n_seen++] = id;
    w->rep.removed++;
}

/* The keyrings the wipe keeps: never counted, never invalidated. */
static bool keys_is_anchor(const KeysWork *w, int32_t id)
{
    for (int i = 0; i < 4; i++)
        if (w->anchors[i] == id)
            return true;
    for (int i = 0; i < w->n_std; i++)
        if (w->std[i].id == id)
            return true;
    return false;
}

static bool keys_is_user_ring(const KeysWork *w, int32_t id)
{
    if (id == w->anchors[0])
        return true;
    for (int i = 0; i < w->n_std; i++)
        if (w->std[i].id == id && w->std[i].kind == KEYS_STD_USER)
            return true;
    return false;
}

/* Decimal or hex number at *p, advancing past it and the blanks after it. */
static unsigned long keys_num(const char **p, int base)
{
    unsigned long v = 0;
    for (;;) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            break;
        v = v * (unsigned long)base + (unsigned long)d;
        (*p)++;
    }
    while (**p == ' ' || **p == ':')
        (*p)++;
    return v;
}

static void keys_skip_field(const char **p)
{
    while (**p && **p != ' ')
        (*p)++;
    while (**p == ' ')
        (*p)++;
}

/* Call fn for every line of a /proc file (lines longer than the buffer are cut). */
static int keys_proc_lines(KeysWork *w, const char *path, void (*fn)(KeysWork *, const char *))
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t have = 0;
    bool skipping = false;
    if (fd < 0)
        return -errno;
    for (;;) {
        ssize_t n = read(fd, w->pbuf + have, sizeof w->pbuf - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        have += (size_t)n;
        w->pbuf[have] = '\0';
        char *start = w->pbuf, *nl;
        while ((nl = memchr(start, '\n', have - (size_t)(start - w->pbuf)))) {
            *nl = '\0';
            if (!skipping)
                fn(w, start);
            skipping = false;
            start = nl + 1;
        }
        have -= (size_t)(start - w->pbuf);
        memmove(w->pbuf, start, have);
        if (n == 0)
            break;
        if (have == sizeof w->pbuf - 1) {
            w->pbuf[have] = '\0';
            if (!skipping)
                fn(w, w->pbuf);
            skipping = true;
            have = 0;
        }
    }
    if (have > 0 && !skipping) {
        w->pbuf[have] = '\0';
        fn(w, w->pbuf);
    }
    close(fd);
    return 0;
}

/* /proc/key-users: "  UID:  USAGE NKEYS/NIKEYS QNKEYS/MAXKEYS QNBYTES/MAXBYTES" */
static void keys_users_line(KeysWork *w, const char *line)
{
    const char *p = line;
    while (*p == ' ')
        p++;
    if (keys_num(&p, 10) != w->uid)
        return;
    (void)keys_num(&p, 10); /* usage */
    w->nkeys = (long)keys_num(&p, 10);
}

/* Which standard keyring of the uid a description names (KEYS_STD_*), -1 for any other. It ends
 * right after the uid; in /proc/keys a keyring's description is followed by ": SUMMARY". */
static int keys_std_kind(const KeysWork *w, const char *desc, bool in_proc_keys)
{
    static const char *const prefix[3] = { "_uid.", "_uid_ses.", "_persistent." };
    size_t ul = strlen(w->uidstr);
    for (int k = 0; k < 3; k++) {
        size_t pl = strlen(prefix[k]);
        if (strncmp(desc, prefix[k], pl) == 0 && strncmp(desc + pl, w->uidstr, ul) == 0 &&
            (desc[pl + ul] == '\0' || (in_proc_keys && desc[pl + ul] == ':')))
            return k;
    }
    return -1;
}

/* /proc/keys: "SERIAL FLAGS USAGE TIMEOUT PERM UID GID TYPE DESCRIPTION". Only the keys the
 * reader may view are listed. A description may hold a newline, so the guest can forge a line:
 * the child then acts on some key id as the guest, which it may do only where the guest could
 * have done the same; and a line taken for one of the user keyrings is checked by its number. */
static bool keys_line(KeysWork *w, const char *line, int32_t *ret_id, const char **ret_flags,
                        const char **ret_type, const char **ret_desc)
{
    const char *p = line;
    while (*p == ' ')
        p++;
    *ret_id = (int32_t)keys_num(&p, 16);
    *ret_flags = p;
    keys_skip_field(&p); /* flags */
    keys_skip_field(&p); /* usage */
    keys_skip_field(&p); /* timeout */
    keys_skip_field(&p); /* perm */
    if (*p < '0' || *p > '9' || keys_num(&p, 10) != w->uid)
        return false;
    keys_skip_field(&p); /* gid */
    *ret_type = p;
    keys_skip_field(&p);
    *ret_desc = p;
    return *ret_id > 0;
}

/* KEYCTL_DESCRIBE of a key by number ("type;uid;gid;perm;description", perm in hex): its
 * permission mask, and which standard keyring of the uid it is (-1: none, or not the uid's).
 * false with an errno (positive) in *ret_err. */
static bool keys_describe(KeysWork *w, int32_t id, uint32_t *ret_perm, int *ret_kind, int *ret_err)
{
    char *buf = (char *)w->rbuf;
    const char *f[5];
    long n = keys_keyctl(KEYCTL_DESCRIBE, (unsigned long)(long)id, (unsigned long)buf, sizeof w->rbuf, 0);
    if (n < 0) {
        *ret_err = errno;
        return false;
    }
    if (n == 0 || (size_t)n > sizeof w->rbuf) {
        *ret_err = EPROTO;
        return false;
    }
    buf[n - 1] = '\0';
    f[0] = buf;
    for (int i = 1; i < 5; i++) {
        f[i] = strchr(f[i - 1], ';');
        if (!f[i]) {
            *ret_err = EPROTO;
            return false;
        }
        f[i]++;
    }
    const char *p = f[3];
    *ret_perm = (uint32_t)keys_num(&p, 16);
    if (p == f[3] || *p != ';') {
        *ret_err = EPROTO;
        return false;
    }
    p = f[1];
    bool mine = strncmp(f[0], "keyring;", 8) == 0 && *p >= '0' && *p <= '9' && keys_num(&p, 10) == w->uid && *p == ';';
    *ret_kind = mine ? keys_std_kind(w, f[4], false) : -1;
    return true;
}

/* A user or user-session keyring as listed: kept when the kernel describes that number as the
 * uid's keyring of that name (a forged line names some other key), with its mask. */
static void keys_std_add(KeysWork *w, int32_t id, int kind)
{
    uint32_t perm;
    int k, err;
    if (w->n_std >= KEYS_STD_MAX)
        return;
    for (int i = 0; i < w->n_std; i++)
        if (w->std[i].id == id)
            return;
    if (!keys_describe(w, id, &perm, &k, &err) || k != kind)
        return;
    w->std[w->n_std++] = (KeysStdRing){ .id = id, .kind = kind, .locked = perm == KEYS_LOCKED };
}

static void keys_survey_line(KeysWork *w, const char *line)
{
    int32_t id;
    const char *flags, *type, *desc;
    if (!keys_line(w, line, &id, &flags, &type, &desc))
        return;
    w->visible++;
    if (strncmp(type, "keyring ", 8) != 0)
        return;
    int k = keys_std_kind(w, desc, true);
    if (k == KEYS_STD_PERSISTENT)
        w->persistent_seen = true;
    if (k != KEYS_STD_USER && k != KEYS_STD_SESSION)
        return;
    /* Revoked: the second letter of FLAGS (a revoked key cannot be described). A forged line
     * can only spare an error: the census still judges what is left. */
    if (flags[0] && flags[1] == 'R')
        w->std_revoked = true;
    else
        keys_std_add(w, id, k);
}

/* What the guest may see of its keys now: the count, the persistent keyring, and its user and
 * user-session keyrings by number. */
static int keys_survey(KeysWork *w)
{
    w->visible = 0;
    w->n_std = 0;
    w->std_revoked = false;
    w->persistent_seen = false;
    return keys_proc_lines(w, "/proc/keys", keys_survey_line);
}

/* Every other key of the guest the child can see: keys linked only outside the three keyrings
 * (another user's keyring open to others, a keyring nested elsewhere). Best effort: a key the
 * guest made unmodifiable for itself, or one already on its way to the garbage collector,
 * fails here and is not counted. */
static void keys_invalidate_line(KeysWork *w, const char *line)
{
    int32_t id;
    const char *flags, *type, *desc;
    if (!keys_line(w, line, &id, &flags, &type, &desc) || keys_is_anchor(w, id))
        return;
    if (w->dry) {
        keys_count(w, id);
        return;
    }
    (void)keys_keyctl(KEYCTL_SETPERM, (unsigned long)id, KEYS_POS_ALL | KEYS_USR_ALL, 0, 0);
    if (keys_keyctl(KEYCTL_INVALIDATE, (unsigned long)id, 0, 0, 0) == 0)
        keys_count(w, id);
}

/* The ids KEYCTL_READ put in w->rbuf (n bytes reported, 4 each): every key but the anchors is
 * counted; with relink, the user keyring's link is put back into ring. */
static void keys_count_read(KeysWork *w, long n, int32_t ring, bool relink)
{
    size_t got = (size_t)n < sizeof w->rbuf ? (size_t)n : sizeof w->rbuf;
    for (size_t i = 0; i + 4 <= got; i += 4) {
        int32_t id;
        memcpy(&id, w->rbuf + i, 4);
        if (!keys_is_anchor(w, id))
            keys_count(w, id);
        else if (relink && keys_is_user_ring(w, id))
            (void)keys_keyctl(KEYCTL_LINK, (unsigned long)(long)id, (unsigned long)(long)ring, 0, 0);
    }
}

/* Open up, read and clear one keyring of the guest (ring: its id or a KEY_SPEC_* id; session:
 * it is the user-session keyring). The permissions are left open: keys_lock() locks the user
 * keyrings afterwards. report: a failure is the wipe's (else the census judges what is left). */
static void keys_clear(KeysWork *w, int32_t ring, bool session, bool report)
{
    long n;
    /* The guest may have taken its own read and write permission away; set what clearing
     * needs. That takes the setattr permission, which the guest may have taken away as well
     * (then nobody, root included, can change the keyring any more), and which the persistent
     * keyring never grants: so only the read and the clear decide. */
    if (!w->dry)
        (void)keys_keyctl(KEYCTL_SETPERM, (unsigned long)(long)ring, KEYS_POS_ALL | KEYS_USR_ALL, 0, 0);
    n = keys_keyctl(KEYCTL_READ, (unsigned long)(long)ring, (unsigned long)w->rbuf, sizeof w->rbuf, 0);
    if (n < 0) {
        if (!w->dry && report)
            keys_fail(w, errno);
        return;
    }
    if (!w->dry && keys_keyctl(KEYCTL_CLEAR, (unsigned long)(long)ring, 0, 0, 0) < 0) {
        if (report)
            keys_fail(w, errno);
        return;
    }
    /* A keyring reads as the ids of the keys linked in it, 4 bytes each. The kernel links the
     * user keyring into the user-session keyring when it makes them: that link is put back, not
     * counted. The other keyrings the wipe keeps are not counted either, nor linked again
     * (a locked keyring holding the persistent one would never read as empty). */
    keys_count_read(w, n, ring, !w->dry && session);
    if ((size_t)n > sizeof w->rbuf)
        w->rep.removed += ((size_t)n - sizeof w->rbuf) / 4;
}

/* In a count: what a locked keyring holds besides the user keyring's link. Normally nothing
 * (nothing can be linked into it); keys that were in it when it was locked stay until reboot,
 * apart from those the guest may still invalidate (the pass over /proc/keys does). */
static void keys_count_locked(KeysWork *w, int32_t ring)
{
    long n = keys_keyctl(KEYCTL_READ, (unsigned long)(long)ring, (unsigned long)w->rbuf, sizeof w->rbuf, 0);
    if (n < 0)
        return;
    keys_count_read(w, n, ring, false);
}

/* Set one user keyring of the guest (by number) to KEYS_LOCKED. Returns 0 or a (positive)
 * errno. Once locked, setting the mask again is refused (EACCES: nobody holds setattr); then
 * the mask decides: KEYS_LOCKED is locked; any other mask without setattr can no longer be
 * changed by anyone: EACCES. */
static int keys_lock_ring(KeysWork *w, int32_t ring)
{
    uint32_t perm;
    int kind, err;
    if (keys_keyctl(KEYCTL_SETPERM, (unsigned long)(long)ring, KEYS_LOCKED, 0, 0) == 0)
        return 0;
    if (errno != EACCES)
        return errno;
    if (!keys_describe(w, ring, &perm, &kind, &err))
        return err == EACCES || err == ENOKEY ? EACCES : err;
    return perm == KEYS_LOCKED ? 0 : EACCES;
}

/* A keyring found by special id (so searchable, and possessed) whose mask nobody may set any
 * more, and which is not locked: left so by an older rentarkd (0x1f1f0000) or by a guest before
 * the first lock. */
static bool keys_stuck(KeysWork *w, int32_t ring)
{
    uint32_t perm;
    int kind, err;
    return keys_describe(w, ring, &perm, &kind, &err) && (perm & KEYS_SETATTR) == 0 && perm != KEYS_LOCKED;
}

/* Swap both user keyrings (ids, updated) for fresh ones with the kernel's mask: invalidate them
 * (search is enough, as for a guest: the bypass of a lock that only takes setattr away, used
 * once for good) and look them up again; the kernel makes fresh ones as soon as the collector
 * has unlinked the old ones, normally at once. What the old ones held goes with them. 0 or a
 * (positive) errno. */
static int keys_renew(KeysWork *w, int32_t ids[2])
{
    const struct timespec tick = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < 2; i++)
        if (keys_keyctl(KEYCTL_INVALIDATE, (unsigned long)(long)ids[i], 0, 0, 0) < 0)
            return errno;
    for (int tries = 0; tries < 100; tries++) {
        long u = keys_keyctl(KEYCTL_GET_KEYRING_ID, (unsigned long)(long)KEY_SPEC_USER_KEYRING, 1, 0, 0);
        long us = keys_keyctl(KEYCTL_GET_KEYRING_ID, (unsigned long)(long)KEY_SPEC_USER_SESSION_KEYRING, 1, 0, 0);
        if (u > 0 && us > 0 && u != ids[0] && us != ids[1]) {
            w->anchors[0] = ids[0] = (int32_t)u;
            w->anchors[1] = ids[1] = (int32_t)us;
            return 0;
        }
        (void)nanosleep(&tick, NULL);
    }
    return EAGAIN;
}

/* Make the user and user-session keyrings if missing, empty them (in KEYS_LOCK; a removal
 * has emptied them already) and lock them, the user-session keyring first. Ones whose mask
 * nobody may set but that may still be searched are swapped for fresh ones first. The
 * persistent keyring is not locked: the kernel makes it without setattr for anyone, so its mask
 * stays, and the wipe clears it. */
static void keys_lock(KeysWork *w)
{
    static const int32_t specs[2] = { KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING };
    int32_t ids[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        long id = keys_keyctl(KEYCTL_GET_KEYRING_ID, (unsigned long)(long)specs[i], 1, 0, 0);
        if (id > 0) {
            ids[i] = (int32_t)id;
            continue;
        }
        int e = errno;
        if (e == ENOSYS) /* a kernel without keys */
            return;
        if (e != ENOKEY && e != EACCES) {
            keys_fail(w, e);
            return;
        }
    }
    if (ids[0] && ids[1]) {
        /* Found by special id: not locked yet (a look-up searches). */
        w->anchors[0] = ids[0];
        w->anchors[1] = ids[1];
        if (w->mode == KEYS_LOCK) {
            keys_clear(w, KEY_SPEC_USER_KEYRING, false, true);
            keys_clear(w, KEY_SPEC_USER_SESSION_KEYRING, true, true);
        }
        if (keys_stuck(w, ids[0]) || keys_stuck(w, ids[1])) {
            int e = keys_renew(w, ids);
            if (e) {
                keys_fail(w, e);
                return;
            }
        }
        /* Once one is locked, neither is found by special id any more: both are set by number.
         * Linked into this child's process keyring first, they are possessed, so the possessor
         * rights count too (a guest may have kept only those). */
        (void)keys_keyctl(KEYCTL_LINK, (unsigned long)(long)KEY_SPEC_USER_KEYRING,
                        (unsigned long)(long)KEY_SPEC_PROCESS_KEYRING, 0, 0);
        (void)keys_keyctl(KEYCTL_LINK, (unsigned long)(long)KEY_SPEC_USER_SESSION_KEYRING,
                        (unsigned long)(long)KEY_SPEC_PROCESS_KEYRING, 0, 0);
        for (int i = 1; i >= 0; i--) {
            int e = keys_lock_ring(w, ids[i]);
            if (e) {
                keys_fail(w, e);
                return;
            }
        }
        return;
    }
    /* Not found by special id (ENOKEY: the kernel finds both together, and a look-up searches,
     * which a locked keyring does not allow): locked already, normally by an earlier wipe; or
     * half-locked; or revoked (before the first lock: nobody can use either until the collector
     * takes it, and nothing can be left in it; then the kernel makes a fresh one, which the next
     * wipe locks unless a session locked it first); or hidden by the guest before the first
     * lock. /proc/keys tells, by number: a kind is done when one of its keyrings is locked; else
     * each one listed is locked now (a look-alike the guest named so does no harm locked); none
     * lockable is EACCES: nobody reaches it until reboot. */
    int r = keys_survey(w);
    if (r < 0) {
        keys_fail(w, -r);
        return;
    }
    for (int kind = KEYS_STD_SESSION; kind >= KEYS_STD_USER; kind--) {
        bool done = false;
        for (int i = 0; i < w->n_std; i++)
            if (w->std[i].kind == kind && w->std[i].locked)
                done = true;
        for (int i = 0; i < w->n_std && !done; i++) {
            if (w->std[i].kind != kind)
                continue;
            if (w->mode == KEYS_LOCK)
                keys_clear(w, w->std[i].id, kind == KEYS_STD_SESSION, false);
            done = keys_lock_ring(w, w->std[i].id) == 0;
        }
        if (!done && !w->std_revoked)
            keys_fail(w, EACCES);
    }
}

/* Become the guest completely, and check it, before any keyctl: as root the child could reach
 * root's keys. false (and the reason in the report) on any failure. */
static bool keys_become(KeysWork *w)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;

    if (setgroups(0, NULL) < 0 || setresgid(w->gid, w->gid, w->gid) < 0 || setresuid(w->uid, w->uid, w->uid) < 0) {
        keys_fail(w, errno);
        return false;
    }
    if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0 || ruid != w->uid ||
        euid != w->uid || suid != w->uid || ruid == 0 || rgid != w->gid || egid != w->gid || sgid != w->gid) {
        keys_fail(w, EPERM);
        return false;
    }
    return true;
}

/* The user keyrings by their special ids, and the persistent keyring, into w->anchors. */
static void keys_find_anchors(KeysWork *w)
{
    /* The user keyrings by their special ids, while they are not locked (a look-up searches,
     * which a locked keyring refuses: ENOKEY). So named they are possessed, and a guest that
     * kept its possessor rights but took its user rights away (what its next session, which
     * links them into its session keyring, would regain) is still reached. (The kernel makes
     * both if they are missing; the uid owns keys, so they were there or are harmless and
     * empty.) */
    for (int i = 0; i < 2; i++) {
        long id = keys_keyctl(KEYCTL_GET_KEYRING_ID, (unsigned long)(long)(i ? KEY_SPEC_USER_SESSION_KEYRING : KEY_SPEC_USER_KEYRING), 0, 0, 0);
        if (id > 0)
            w->anchors[i] = (int32_t)id;
        else if (errno != ENOKEY && errno != EACCES)
            keys_fail(w, errno);
    }
    /* The persistent keyring: KEYCTL_GET_PERSISTENT would create it, so only when it is
     * listed, or when the uid owns keys the child cannot see (the guest may have hidden the
     * keyring from its own view, keeping its possessor rights: the next session's
     * GET_PERSISTENT would hand it over). Linked into the child's process keyring, which
     * makes it possessed, so its possessor permissions apply. */
    if (w->persistent_seen || (!w->dry && w->nkeys > w->visible)) {
        long p = keys_keyctl(KEYCTL_GET_PERSISTENT, (unsigned long)-1, (unsigned long)KEY_SPEC_PROCESS_KEYRING, 0, 0);
        if (p > 0)
            w->anchors[2] = (int32_t)p;
        else if (errno != EOPNOTSUPP && errno != ENOKEY)
            keys_fail(w, errno);
        long pk = keys_keyctl(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_PROCESS_KEYRING, 0, 0, 0);
        w->anchors[3] = pk > 0 ? (int32_t)pk : 0;
    }
}

/* Clear (or count) every key of the guest the child can reach: the anchors, the standard
 * keyrings by number, every other key it can see. */
static void keys_remove(KeysWork *w)
{
    /* A uid without a line in /proc/key-users owns no key at all: nothing to clear, and in a
     * count nothing is created (looking the user keyrings up would make them). */
    w->nkeys = -1;
    int r = keys_proc_lines(w, "/proc/key-users", keys_users_line);
    if (r < 0 || w->nkeys <= 0) {
        if (r < 0 && r != -ENOENT) /* ENOENT: a kernel without keys */
            keys_fail(w, -r);
        return;
    }
    r = keys_survey(w);
    if (r < 0)
        keys_fail(w, -r);
    keys_find_anchors(w);
    if (w->anchors[0])
        keys_clear(w, KEY_SPEC_USER_KEYRING, false, true);
    if (w->anchors[1])
        keys_clear(w, KEY_SPEC_USER_SESSION_KEYRING, true, true);
    if (w->anchors[2])
        keys_clear(w, w->anchors[2], false, true);
    /* The same keyrings by number, as /proc/keys lists them. A locked one holds nothing and
     * cannot be cleared: neither counted nor an error. One not locked that the special ids did
     * not reach (half-locked, or a look-alike the guest named so) is cleared as far as the
     * guest may; the lock below and the census judge the rest. */
    for (int i = 0; i < w->n_std; i++) {
        const KeysStdRing *s = &w->std[i];
        if (s->id == w->anchors[0] || s->id == w->anchors[1])
            continue;
        if (s->locked) {
            if (w->dry)
                keys_count_locked(w, s->id);
        } else {
            keys_clear(w, s->id, s->kind == KEYS_STD_SESSION, false);
        }
    }
    r = keys_proc_lines(w, "/proc/keys", keys_invalidate_line);
    if (r < 0)
        keys_fail(w, -r);
}

/* Runs in the forked child and never returns; reports through fd. Any failure to become the
 * guest ends the child without touching a key. */
static _Noreturn void keys_child(KeysWork *w, int fd)
{
    if (keys_become(w)) {
        if (w->mode != KEYS_LOCK)
            keys_remove(w);
        /* Last, after a removal too (even a failed one), and made if missing: every wipe
         * leaves the next session's keyrings locked. Never in a count, which changes nothing. */
        if (w->mode != KEYS_COUNT)
            keys_lock(w);
    }
    (void)rk_write_all(fd, &w->rep, sizeof w->rep);
    _exit(0);
}

int keys_run(uid_t uid, gid_t gid, KeysMode mode, uint64_t *count)
{
    int pipefd[2], status;
    KeysReport rep = { 0 };

    /* The rule above all: nothing in rentark ever touches "every key of" root. (uid_t)-1 and
     * (gid_t)-1 would mean "unchanged" to setresuid()/setresgid(): the child would stay root.
     * gid: the child needs one to become the guest even when check_gid is off; the primary
     * gid from the caller is the guest's. */
    if (uid == 0 || uid == (uid_t)-1)
        return -EPERM;
    if (gid == (gid_t)-1 || gid == 0)
        return -EINVAL;
    g_autofree KeysWork *w = g_malloc0(sizeof *w);
    w->uid = uid;
    w->gid = gid;
    w->mode = mode;
    w->dry = mode == KEYS_COUNT;
    snprintf(w->uidstr, sizeof w->uidstr, "%u", (unsigned)uid);
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return -e;
    }
    if (pid == 0) {
        close(pipefd[0]);
        keys_child(w, pipefd[1]);
    }
    close(pipefd[1]);
    ssize_t n = rk_read_all(pipefd[0], &rep, sizeof rep);
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0) {
        /* ECHILD: the caller ignores SIGCHLD; the report decides. */
        if (errno != EINTR)
            break;
    }
    /* No full report: the child died before it could say what it did. */
    if (n != (ssize_t)sizeof rep)
        return n < 0 ? (int)n : -EPROTO;
    *count += rep.removed;
    return rep.err;
}

