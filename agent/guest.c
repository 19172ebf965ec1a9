/* The guest account: creation with useradd, and the rules that make an account safe to hand
 * to an anonymous patron and to wipe for. See guest.h. */
#define G_LOG_DOMAIN "guest"
#include "guest.h"
#include "paths.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(rk-guest-error-quark, guest_error)

/* Absolute paths, never a PATH search: rentarkd is root and its environment is not trusted. */
#define GUEST_USERADD "/usr/sbin/useradd"
#define GUEST_USERMOD "/usr/sbin/usermod"
#define GUEST_SUBUID "/etc/subuid"
#define GUEST_SUBGID "/etc/subgid"

/* Debian policy: uids below 1000 belong to the system (daemons, static accounts), and 65534
 * is "nobody", shared by NFS and by daemons that drop to it. */
#define GUEST_UID_MIN 1000
#define GUEST_UID_MAX 60000 /* login.defs' default UID_MAX: the normal accounts' range */
#define GUEST_UID_NOBODY 65534

/* Longest tool message quoted in an error: enough for useradd's one-line complaints. */
#define GUEST_TOOL_MSG_MAX 200

/* Groups that give their members power over the machine or over other people's data. A guest
 * in any of them would hand that power to every patron. */
static const struct {
    const char *name;
    const char *why;
} guest_forbidden_groups[] = {
    { "root", "root's group" },
    { "sudo", "may become root" },
    { "wheel", "may become root" },
    { "admin", "may become root" },
    { "adm", "reads the system logs" },
    { "staff", "may write to /usr/local" },
    { "disk", "reads and writes raw disks" },
    { "shadow", "reads password hashes" },
    { "docker", "root through the container daemon" },
    { "lxd", "root through the container daemon" },
    { "libvirt", "root through the virtual machine daemon" },
    { "systemd-journal", "reads every user's journal" },
    { "lpadmin", "manages printers and every user's print jobs" },
};

/* Top-level system folders: the wipe replaces the home, so a home in one of these would let
 * the wipe rename system files into the trash (and the guest own a system path meanwhile). */
static const char *const guest_system_dirs[] = {
    "/root", "/etc", "/usr", "/var", "/bin", "/sbin", "/boot", "/proc", "/sys", "/dev", "/run",
};

/* passwd entries are small; this bounds the getpw*_r buffer against a broken NSS module that
 * keeps answering ERANGE. */
#define GUEST_PWBUF_MAX (1024 * 1024)

void guest_account_clear(GuestAccount *a)
{
    g_clear_pointer(&a->name, g_free);
    g_clear_pointer(&a->dir, g_free);
}

typedef enum { GUEST_PW_BY_NAME, GUEST_PW_BY_UID, GUEST_PW_NEXT } GuestPwCall;

/* The one call into the user database: getpwnam_r, getpwuid_r, or getpwent_r for the next
 * entry of an enumeration (between setpwent and endpwent). *buf (of *size bytes, g_malloc'd)
 * doubles on ERANGE up to GUEST_PWBUF_MAX; glibc leaves the enumeration's cursor on an entry
 * that did not fit, so the retry reads it again. 0 with *pw filled (its strings in *buf),
 * -ENOENT when there is no (further) entry, or -errno. */
static int guest_getpw(GuestPwCall call, const char *name, uid_t uid, struct passwd *pw, char **buf, size_t *size)
{
    for (;;) {
        struct passwd *res = NULL;
        int r = call == GUEST_PW_BY_NAME ? getpwnam_r(name, pw, *buf, *size, &res)
                : call == GUEST_PW_BY_UID ? getpwuid_r(uid, pw, *buf, *size, &res)
                                          : getpwent_r(pw, *buf, *size, &res);
        if (r == ERANGE && *size < GUEST_PWBUF_MAX) {
            *size *= 2;
            g_free(*buf);
            *buf = g_malloc(*size);
            continue;
        }
        if (r != 0)
            return r == ENOENT && call == GUEST_PW_NEXT ? -ENOENT : -r;
        return res ? 0 : -ENOENT;
    }
}

static char *guest_pwbuf(size_t *ret_size)
{
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    *ret_size = hint > 0 ? (size_t)hint : 16384;
    return g_malloc(*ret_size);
}

int guest_account_lookup(const char *name, uid_t uid, GuestAccount *ret)
{
    size_t size;
    g_autofree char *buf = guest_pwbuf(&size);
    struct passwd pw;
    int r = guest_getpw(name ? GUEST_PW_BY_NAME : GUEST_PW_BY_UID, name, uid, &pw, &buf, &size);
    if (r < 0)
        return r;
    *ret = (GuestAccount){ .name = g_strdup(pw.pw_name), .uid = pw.pw_uid, .gid = pw.pw_gid,
                           .dir = g_strdup(pw.pw_dir ? pw.pw_dir : "") };
    return 0;
}

int guest_lookup_ids(const char *user, uid_t *ret_uid, gid_t *ret_gid)
{
    g_auto(GuestAccount) acct = { 0 };
    int r = guest_account_lookup(user, 0, &acct);
    if (r < 0)
        return r;
    /* The one rule above all: the wipe never runs for root. */
    if (acct.uid == 0)
        return -EPERM;
    *ret_uid = acct.uid;
    *ret_gid = acct.gid;
    return 0;
}

/* Call fn for every entry of the user database, in order. The cursor of getpwent is
 * process-wide: main thread only. */
static void guest_foreach_account(void (*fn)(const struct passwd *pw, gpointer data), gpointer data)
{
    size_t size;
    g_autofree char *buf = guest_pwbuf(&size);
    struct passwd pw;

    setpwent();
    while (guest_getpw(GUEST_PW_NEXT, NULL, 0, &pw, &buf, &size) == 0)
        fn(&pw, data);
    endpwent();
}

typedef struct {
    const char *user;
    gid_t gid;
    bool alone;
} GuestGidUse;

static void guest_gid_use(const struct passwd *pw, gpointer data)
{
    GuestGidUse *u = data;
    if (pw->pw_gid == u->gid && strcmp(pw->pw_name, u->user) != 0)
        u->alone = false;
}

bool guest_gid_is_private(const char *user, gid_t gid)
{
    char buf[16384];
    struct group gr, *g = NULL;

    if (gid == 0 || getgrgid_r(gid, &gr, buf, sizeof buf, &g) != 0 || !g || strcmp(g->gr_name, user) != 0)
        return false;
    for (char **m = g->gr_mem; *m; m++)
        if (strcmp(*m, user) != 0)
            return false;
    /* No other account may have it as its primary group: its files would be the guest's too. */
    GuestGidUse use = { .user = user, .gid = gid, .alone = true };
    guest_foreach_account(guest_gid_use, &use);
    return use.alone;
}

/* Run a user-database tool (absolute argv[0], no shell) with a fixed environment; fail with
 * `code` and the tool's first line of complaint if it does not exit 0. */
static gboolean guest_run(const char *const *argv, GuestError code, GError **error)
{
    /* LC_ALL=C: the tool's message ends up in our error and log, which are in English. */
    const char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
    g_autofree char *err = NULL;
    g_autoptr(GError) local = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, (char **)envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                      &status, &local)) {
        g_set_error(error, GUEST_ERROR, code, "cannot run %s: %s", argv[0], local->message);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, &local)) {
        char *msg = err ? g_strstrip(err) : NULL;
        if (msg) {
            msg[strcspn(msg, "\n")] = '\0';
            if (strlen(msg) > GUEST_TOOL_MSG_MAX)
                msg[GUEST_TOOL_MSG_MAX] = '\0';
        }
        g_set_error(error, GUEST_ERROR, code, "%s failed (%s)%s%s", argv[0], local->message,
                    msg && *msg ? ": " : "", msg && *msg ? msg : "");
        return FALSE;
    }
    return TRUE;
}

typedef struct {
    unsigned long start, count;
} GuestRange;

/* Append to ranges the subordinate id ranges that `file` (/etc/subuid format: owner:start:count)
 * gives to the account, named by name or by uid as a number. A missing file gives none. */
static int guest_subids(const char *file, const char *name, uid_t uid, GArray *ranges)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    char uidstr[32];

    if (!g_file_get_contents(file, &text, NULL, &local))
        return g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? 0 : -EIO;
    snprintf(uidstr, sizeof uidstr, "%u", (unsigned)uid);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, ":", 4);
        if (g_strv_length(f) != 3 || (strcmp(f[0], name) != 0 && strcmp(f[0], uidstr) != 0))
            continue;
        GuestRange r;
        char *e1 = NULL, *e2 = NULL;
        r.start = strtoul(f[1], &e1, 10);
        r.count = strtoul(f[2], &e2, 10);
        if (*f[1] && *f[2] && !*e1 && !*e2 && r.count > 0)
            g_array_append_val(ranges, r);
    }
    return 0;
}

/* Remove every subordinate uid and gid range of the account. Used only on an account rentark
 * has just created: a range would let the guest run processes under uids that are not the
 * guest's (newuidmap), which the reaper, looking for the guest uid, would never kill. */
static gboolean guest_drop_subids(const char *user, uid_t uid, GError **error)
{
    static const struct {
        const char *file, *opt;
    } kinds[] = { { GUEST_SUBUID, "--del-subuids" }, { GUEST_SUBGID, "--del-subgids" } };

    for (size_t k = 0; k < RK_ELEMENTS(kinds); k++) {
        g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(GuestRange));
        if (guest_subids(kinds[k].file, user, uid, ranges) < 0) {
            g_set_error(error, GUEST_ERROR, GUEST_ERROR_LOOKUP, "cannot read \"%s\"", kinds[k].file);
            return FALSE;
        }
        for (guint i = 0; i < ranges->len; i++) {
            GuestRange *r = &g_array_index(ranges, GuestRange, i);
            g_autofree char *span = g_strdup_printf("%lu-%lu", r->start, r->start + r->count - 1);
            const char *argv[] = { GUEST_USERMOD, kinds[k].opt, span, "--", user, NULL };
            if (!guest_run(argv, GUEST_ERROR_CREATE, error))
                return FALSE;
        }
        g_array_set_size(ranges, 0);
        if (guest_subids(kinds[k].file, user, uid, ranges) < 0 || ranges->len > 0) {
            g_set_error(error, GUEST_ERROR, GUEST_ERROR_CREATE,
                        "guest account \"%s\" still has a subordinate id range in \"%s\"", user, kinds[k].file);
            return FALSE;
        }
    }
    return TRUE;
}

/* The uids the kernel holds keys for (/proc/key-users), sorted; empty when it cannot be read. */
static GArray *uids_with_keys(void)
{
    GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/key-users", &text, NULL, NULL))
        return uids;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *end = NULL;
        guint64 u = g_ascii_strtoull(g_strchug(*l), &end, 10);
        if (end && end != *l && *end == ':' && u <= G_MAXUINT) {
            guint v = (guint)u;
            g_array_append_val(uids, v);
        }
    }
    return uids;
}

/* A uid for a new guest: the first of the normal range that no account or group uses and
 * that the kernel holds no keys for. A user's keyrings outlive the account until reboot, and
 * an earlier account on the uid may have locked them (keyctl setperm @u 0): a new guest there
 * would start with keys nobody can remove, and its first wipe could never be verified. 0 when
 * none is found (useradd then picks). */
static uid_t guest_pick_uid(void)
{
    g_autoptr(GArray) keyed = uids_with_keys();
    for (uid_t u = GUEST_UID_MIN; u < GUEST_UID_MAX; u++) {
        gboolean has_keys = FALSE;
        for (guint i = 0; i < keyed->len && !has_keys; i++)
            has_keys = g_array_index(keyed, guint, i) == u;
        if (has_keys)
            continue;
        struct passwd pw, *pres = NULL;
        struct group gr, *gres = NULL;
        char buf[4096];
        if (getpwuid_r(u, &pw, buf, sizeof buf, &pres) != 0 || pres)
            continue;
        if (getgrgid_r((gid_t)u, &gr, buf, sizeof buf, &gres) != 0 || gres)
            continue;
        return u;
    }
    return 0;
}

/* Create the account as guest.h describes. *ret_created is FALSE when useradd failed because
 * the account appeared meanwhile (another rentarkd, an admin): it is then checked like any
 * existing account, and nothing is changed on it. */
static gboolean guest_create(const RkConfig *cfg, gboolean *ret_created, GError **error)
{
    g_auto(GuestAccount) acct = { 0 };
    g_autoptr(GError) local = NULL;

    *ret_created = FALSE;
    /* -M: no home from useradd; the wipe makes it from the skeleton and owns it.
     * -U: a group of its own, so that group permissions share nothing with anyone.
     * -K SUB_*_COUNT=0: no subordinate id range even though /etc/subuid exists (see
     *     guest_drop_subids for why; any range that appears anyway is removed below).
     * "--": the name can never be read as an option (the config loader also forbids a
     *     leading '-'). */
    const char *base[] = { GUEST_USERADD, "-M", "-U", "-s", cfg->guest_shell, "-d", cfg->guest_home,
                           "-c", "rentark guest", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0" };
    g_autoptr(GPtrArray) add = g_ptr_array_new();
    for (gsize i = 0; i < G_N_ELEMENTS(base); i++)
        g_ptr_array_add(add, (gpointer)base[i]);
    /* -u: a uid the kernel holds no keys for (guest_pick_uid), when one was found. */
    uid_t uid = guest_pick_uid();
    char uid_s[16];
    g_snprintf(uid_s, sizeof uid_s, "%u", (unsigned)uid);
    if (uid) {
        g_ptr_array_add(add, "-u");
        g_ptr_array_add(add, uid_s);
    }
    g_ptr_array_add(add, "--");
    g_ptr_array_add(add, (gpointer)cfg->guest_user);
    g_ptr_array_add(add, NULL);
    if (!guest_run((const char *const *)add->pdata, GUEST_ERROR_CREATE, &local)) {
        if (guest_account_lookup(cfg->guest_user, 0, &acct) == 0)
            return TRUE;
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    *ret_created = TRUE;

    /* A locked password: nobody can log in with one, only the display manager's autologin or
     * guest mechanism (and su from root) start a guest session. useradd already writes "!",
     * usermod -L makes it explicit and independent of useradd's defaults. */
    const char *lock[] = { GUEST_USERMOD, "-L", "--", cfg->guest_user, NULL };
    if (!guest_run(lock, GUEST_ERROR_CREATE, error))
        return FALSE;

    int r = guest_account_lookup(cfg->guest_user, 0, &acct);
    if (r < 0) {
        g_set_error(error, GUEST_ERROR, GUEST_ERROR_CREATE, "the new account cannot be found: %s", g_strerror(-r));
        return FALSE;
    }
    return guest_drop_subids(cfg->guest_user, acct.uid, error);
}

/* The gids the account belongs to, primary and supplementary (getgrouplist), or NULL. */
static GArray *guest_groups(const char *user, gid_t primary)
{
    int n = 32;
    GArray *gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
    for (;;) {
        int want = n;
        g_array_set_size(gids, (guint)want);
        if (getgrouplist(user, primary, (gid_t *)(void *)gids->data, &n) >= 0) {
            g_array_set_size(gids, (guint)n);
            return gids;
        }
        if (n <= want)
            n = want * 2; /* older glibc does not always report the size it needs */
        if (n > 65536) {
            /* Not plausible for a guest. Fail closed: a list we could not read in full might
             * hide the one group that matters. */
            g_array_unref(gids);
            return NULL;
        }
    }
}

static gboolean guest_gid_of(const char *group, gid_t *ret_gid)
{
    struct group gr, *res = NULL;
    char buf[16384];
    if (getgrnam_r(group, &gr, buf, sizeof buf, &res) != 0 || !res)
        return FALSE;
    *ret_gid = gr.gr_gid;
    return TRUE;
}

static gboolean guest_has_gid(GArray *gids, gid_t gid)
{
    for (guint i = 0; i < gids->len; i++)
        if (g_array_index(gids, gid_t, i) == gid)
            return TRUE;
    return FALSE;
}

/* Rules on groups: no gid 0, none of guest_forbidden_groups, not rentark's own admin or
 * volunteer group (whose members the control socket trusts with more than a guest). */
static void guest_check_groups(const RkConfig *cfg, const GuestAccount *acct, GPtrArray *reasons)
{
    g_autoptr(GArray) gids = guest_groups(cfg->guest_user, acct->gid);
    gid_t gid;

    if (!gids) {
        g_ptr_array_add(reasons, g_strdup("has a group list that cannot be read in full"));
        return;
    }

    if (acct->gid == 0 || guest_has_gid(gids, 0))
        g_ptr_array_add(reasons, g_strdup("is in group 0 (root's group)"));
    for (size_t i = 0; i < RK_ELEMENTS(guest_forbidden_groups); i++) {
        if (guest_gid_of(guest_forbidden_groups[i].name, &gid) && gid != 0 && guest_has_gid(gids, gid))
            g_ptr_array_add(reasons, g_strdup_printf("is in group \"%s\" (%s)", guest_forbidden_groups[i].name,
                                                     guest_forbidden_groups[i].why));
    }
    if (guest_gid_of(cfg->admin_group, &gid) && guest_has_gid(gids, gid))
        g_ptr_array_add(reasons, g_strdup_printf("is in group \"%s\" (access.admin_group: may end sessions, "
                                                 "read statistics and resolve incidents)", cfg->admin_group));
    if (guest_gid_of(cfg->volunteer_group, &gid) && guest_has_gid(gids, gid))
        g_ptr_array_add(reasons, g_strdup_printf("is in group \"%s\" (access.volunteer_group: may start "
                                                 "guided sessions)", cfg->volunteer_group));
}

/* Rules against other accounts: none may share the guest's uid (the reaper would kill its
 * processes and the sweep delete its files), and none may have its home at or below the
 * guest's home (the wipe would replace it). Other accounts are counted, never named. */
typedef struct {
    const char *user, *home;
    uid_t uid;
    unsigned same_uid, same_home, guest_entries;
} GuestOthers;

static void guest_count_other(const struct passwd *pw, gpointer data)
{
    GuestOthers *o = data;
    if (strcmp(pw->pw_name, o->user) == 0) {
        o->guest_entries++;
        return;
    }
    if (pw->pw_uid == o->uid)
        o->same_uid++;
    if (pw->pw_dir && pw->pw_dir[0] == '/') {
        g_autofree char *dir = g_canonicalize_filename(pw->pw_dir, "/");
        if (paths_at_or_below(dir, o->home))
            o->same_home++;
    }
}

static void guest_check_others(const RkConfig *cfg, const GuestAccount *acct, const char *home,
                               GPtrArray *reasons)
{
    GuestOthers o = { .user = cfg->guest_user, .home = home, .uid = acct->uid };
    guest_foreach_account(guest_count_other, &o);
    unsigned same_uid = o.same_uid, same_home = o.same_home, guest_entries = o.guest_entries;

    /* uid 0 is refused as root already; "shares it with root" would say nothing more. */
    if (same_uid && acct->uid != 0)
        g_ptr_array_add(reasons, g_strdup_printf("shares uid %u with %u other account%s (the reaper would kill "
                                                 "their processes too)", (unsigned)acct->uid, same_uid,
                                                 same_uid == 1 ? "" : "s"));
    if (guest_entries > 1)
        g_ptr_array_add(reasons, g_strdup_printf("has %u entries in the user database", guest_entries));
    if (same_home)
        g_ptr_array_add(reasons, g_strdup_printf("guest.home \"%s\" is or contains the home of %u other account%s "
                                                 "(the wipe would replace it)", home, same_home,
                                                 same_home == 1 ? "" : "s"));
}

/* Rules on the home: not a system path, and a parent folder that only root controls, so that
 * neither the guest nor anyone else can swap the home for something else between wipes. */
static void guest_check_home(const char *home, GPtrArray *reasons)
{
    /* The loader already refuses "/" and top-level homes; this holds for any caller. */
    if (strcmp(home, "/") == 0 || strchr(home + 1, '/') == NULL) {
        g_ptr_array_add(reasons, g_strdup_printf("guest.home \"%s\" must be below a folder such as /home", home));
        return;
    }
    for (size_t i = 0; i < RK_ELEMENTS(guest_system_dirs); i++)
        if (paths_at_or_below(home, guest_system_dirs[i])) {
            g_ptr_array_add(reasons, g_strdup_printf("guest.home \"%s\" is inside the system folder \"%s\"", home,
                                                     guest_system_dirs[i]));
            return;
        }
    /* /lib, /lib32, /lib64, /libx32 and whatever else a distribution names so. */
    if (strncmp(home, "/lib", 4) == 0) {
        g_ptr_array_add(reasons, g_strdup_printf("guest.home \"%s\" is inside a system library folder", home));
        return;
    }

    g_autofree char *parent = g_path_get_dirname(home);
    g_autofree char *base = g_path_get_basename(home);
    _cleanup_close_ int fd = paths_open_trusted_dir(parent);
    if (fd < 0) {
        g_ptr_array_add(reasons, g_strdup_printf(
            "the folder \"%s\" above guest.home %s", parent,
            fd == -EPERM   ? "or a folder above it is not root's, or others may write in it"
            : fd == -ELOOP ? "goes through a symbolic link"
            : fd == -ENOENT ? "does not exist"
                            : "cannot be opened"));
        return;
    }
    /* paths_open_trusted_dir accepts root's sticky folders on the way (a home below a root
     * folder inside /tmp is fine), but the home's own parent must not be writable by anyone
     * else even with the sticky bit: in /tmp anybody could create the home's name first. */
    struct stat st;
    if (fstat(fd, &st) < 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        g_ptr_array_add(reasons, g_strdup_printf("others may create files in \"%s\", the folder above guest.home: "
                                                 "anyone could create the home's name first", parent));
        return;
    }
    if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        g_ptr_array_add(reasons, g_strdup_printf("guest.home \"%s\" exists and is not a folder%s", home,
                                                 S_ISLNK(st.st_mode) ? " (a symbolic link)" : ""));
}

/* Subordinate ids of an existing account: a range lets the guest start processes under other
 * uids through newuidmap/newgidmap, out of the reaper's sight. Without those setuid helpers
 * (package uidmap) a range is inert, so it is refused only when a helper is installed. */
static void guest_check_subids(const char *user, uid_t uid, GPtrArray *reasons)
{
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(GuestRange));
    if (guest_subids(GUEST_SUBUID, user, uid, ranges) < 0 || guest_subids(GUEST_SUBGID, user, uid, ranges) < 0) {
        g_ptr_array_add(reasons, g_strdup("has subordinate ids that cannot be checked (\"" GUEST_SUBUID "\" or \""
                                          GUEST_SUBGID "\" unreadable)"));
        return;
    }
    if (ranges->len == 0)
        return;
    if (access("/usr/bin/newuidmap", F_OK) == 0 || access("/usr/bin/newgidmap", F_OK) == 0)
        g_ptr_array_add(reasons, g_strdup_printf("has %u subordinate id range%s and newuidmap is installed (its "
                                                 "processes could run under uids the reaper does not see; remove "
                                                 "them with usermod --del-subuids/--del-subgids)",
                                                 ranges->len, ranges->len == 1 ? "" : "s"));
    else
        g_warning("guest account \"%s\" has %u subordinate id range%s in \"%s\"/\"%s\"; harmless while newuidmap "
                  "is not installed, but better removed", user, ranges->len, ranges->len == 1 ? "" : "s",
                  GUEST_SUBUID, GUEST_SUBGID);
}

/* Warnings only: the password (a usable one lets someone who knows it log in as the guest
 * by other ways, such as a text console, while a patron is using the PC). */
static void guest_check_password(const char *user)
{
    struct spwd sp, *res = NULL;
    char buf[16384];
    enum { LOCKED, MISSING, EMPTY, USABLE } state;

    if (getspnam_r(user, &sp, buf, sizeof buf, &res) != 0 || !res)
        state = MISSING;
    else if (!sp.sp_pwdp || !sp.sp_pwdp[0])
        state = EMPTY;
    else if (sp.sp_pwdp[0] == '!' || sp.sp_pwdp[0] == '*')
        state = LOCKED;
    else
        state = USABLE;
    /* The hash was copied into this stack buffer; it has no business staying there. */
    explicit_bzero(buf, sizeof buf);

    if (state == MISSING)
        g_warning("guest account \"%s\": no shadow entry, cannot check that its password is locked", user);
    else if (state != LOCKED)
        g_warning("guest account \"%s\" has %s; lock it with \"usermod -L %s\"", user,
                  state == EMPTY ? "an empty password (a login without password)" : "a usable password", user);
}

gboolean guest_check(const RkConfig *cfg, GError **error)
{
    g_auto(GuestAccount) acct = { 0 };
    g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *home = g_canonicalize_filename(cfg->guest_home, "/");

    int r = guest_account_lookup(cfg->guest_user, 0, &acct);
    if (r == -ENOENT) {
        g_set_error(error, GUEST_ERROR, GUEST_ERROR_MISSING,
                    "guest account \"%s\" does not exist (set guest.create = true or create it)", cfg->guest_user);
        return FALSE;
    }
    if (r < 0) {
        g_set_error(error, GUEST_ERROR, GUEST_ERROR_LOOKUP, "cannot look up guest account \"%s\": %s",
                    cfg->guest_user, g_strerror(-r));
        return FALSE;
    }

    /* Rule: never root. Everything else in rentark also refuses uid 0 (guest_lookup_ids). */
    if (acct.uid == 0)
        g_ptr_array_add(reasons, g_strdup("is root (uid 0)"));
    /* Rule: not a system account or nobody: their uid owns daemons and system files that the
     * reaper and the sweep would kill and delete. */
    else if (acct.uid < GUEST_UID_MIN || acct.uid == GUEST_UID_NOBODY)
        g_ptr_array_add(reasons, g_strdup_printf("has the system uid %u (a guest needs an ordinary uid, %u or above)",
                                                 (unsigned)acct.uid, GUEST_UID_MIN));
    guest_check_groups(cfg, &acct, reasons);
    guest_check_others(cfg, &acct, home, reasons);
    guest_check_home(home, reasons);
    guest_check_subids(cfg->guest_user, acct.uid, reasons);
    /* Rule: the user database's home is guest.home. The display manager sets $HOME from it,
     * so the guest's programs (browsers, CUPS-PDF, the file manager) keep their files there: a
     * folder the wipe does not own would carry them over to the next patron while the wipe of
     * guest.home verifies clean. */
    {
        g_autofree char *pwhome = acct.dir[0] == '/' ? g_canonicalize_filename(acct.dir, "/") : g_strdup(acct.dir);
        if (strcmp(pwhome, home) != 0)
            g_ptr_array_add(reasons, g_strdup_printf("has the home \"%s\" in the user database, not guest.home \"%s\" "
                                                     "(its programs would keep files where no wipe looks: usermod -d %s %s)",
                                                     acct.dir, cfg->guest_home, cfg->guest_home, cfg->guest_user));
    }

    if (reasons->len > 0) {
        g_ptr_array_add(reasons, NULL);
        g_autofree char *all = g_strjoinv("; ", (char **)reasons->pdata);
        g_set_error(error, GUEST_ERROR, GUEST_ERROR_UNSAFE, "refusing guest account \"%s\": %s", cfg->guest_user, all);
        return FALSE;
    }

    guest_check_password(cfg->guest_user);
    return TRUE;
}

gboolean guest_ensure(const RkConfig *cfg, GError **error)
{
    g_auto(GuestAccount) acct = { 0 };
    int r = guest_account_lookup(cfg->guest_user, 0, &acct);

    if (r == -ENOENT && cfg->guest_create) {
        gboolean created = FALSE;
        if (!guest_create(cfg, &created, error)) {
            g_prefix_error(error, "cannot create guest account \"%s\": ", cfg->guest_user);
            return FALSE;
        }
        if (created)
            g_message("created guest account \"%s\" (own group, locked password, shell \"%s\", home \"%s\")",
                      cfg->guest_user, cfg->guest_shell, cfg->guest_home);
    } else if (r < 0 && r != -ENOENT) {
        g_set_error(error, GUEST_ERROR, GUEST_ERROR_LOOKUP, "cannot look up guest account \"%s\": %s",
                    cfg->guest_user, g_strerror(-r));
        return FALSE;
    }
    /* A missing account with guest.create = false is reported by guest_check. */
    return guest_check(cfg, error);
}
