/* Sweeps of the places outside the home where a guest leaves traces. */
#include "sweep.h"

#include "mountctl.h"
#include "print.h"

#include "paths.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Open a configured folder; a folder that does not exist holds nothing of the guest. */
static int open_place(const char *path, int *ret_fd)
{
    int fd = paths_open_trusted_dir(path);
    if (fd == -ENOENT) {
        *ret_fd = -1;
        return 0;
    }
    if (fd < 0)
        return fd;
    *ret_fd = fd;
    return 0;
}

/* A matcher decides from a name (and the entry's metadata) whether an entry of a root-owned
 * folder belongs to the guest. */
typedef bool (*Matcher)(const char *name, const struct stat *st, const void *data);

typedef struct {
    uid_t uid;
    const char *user;
    GHashTable *jobs; /* print: ids of the guest's jobs (GINT_TO_POINTER) */
    SweepResult *res; /* sweep_run: where the print server's result goes; NULL when verifying */
    bool journal_active_empty; /* journal: this folder's user-UID.journal holds no entry */
} Owner;

/* Remove (or count) the entries of dirfd that match; one level. With count set, only count. */
static int sweep_matching(int dirfd, Matcher match, const Owner *o, RmFlags flags, RmStats *stats, uint64_t *count)
{
    _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d)
        return -errno;
    rk_steal_fd(&fd);
    int first = 0;
    g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (match(de->d_name, &st, o))
            g_ptr_array_add(hits, g_strdup(de->d_name));
    }
    closedir(d);
    for (guint i = 0; i < hits->len; i++) {
        if (count) {
            (*count)++;
            continue;
        }
        int r = rm_at(dirfd, hits->pdata[i], flags, stats);
        RK_KEEP_FIRST(first, r);
    }
    return first;
}

/* Temp folders and extra paths: whatever the guest's uid owns. */
static int sweep_tmp(const RkConfig *cfg, Owner *o, RmFlags flags, RmStats *stats, uint64_t *count)
{
    int first = 0;
    for (char **p = cfg->sweep; *p; p++) {
        _cleanup_close_ int fd = -1;
        int r = open_place(*p, &fd);
        if (r < 0 || fd < 0) {
            RK_KEEP_FIRST(first, r);
            continue;
        }
        if (count) {
            int64_t n = rm_count_owned_by(fd, o->uid);
            if (n < 0)
                RK_KEEP_FIRST(first, (int)n);
            else
                *count += (uint64_t)n;
        } else {
            RK_KEEP_FIRST(first, rm_owned_by(fd, o->uid, flags, stats));
        }
    }
    return first;
}

/* /run/user/UID: the guest's runtime folder (D-Bus, pulseaudio, gvfs, keyring sockets). All
 * of it is the guest's; mounts below it (gvfs, FUSE) are detached first. */
static int sweep_run_user(const RkConfig *cfg, Owner *o, RmFlags flags, RmStats *stats, uint64_t *count)
{
    char name[16];
    _cleanup_close_ int fd = -1;
    struct stat st;

    snprintf(name, sizeof name, "%u", (unsigned)o->uid);
    int r = open_place(cfg->run_user_dir, &fd);
    if (r < 0 || fd < 0)
        return r;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (count) {
        *count += 1;
        return 0;
    }
    if (!(flags & RM_DRY_RUN)) {
        g_autofree char *path = g_build_filename(cfg->run_user_dir, name, NULL);
        r = mountctl_detach_below(path);
        if (r < 0)
            return r;
    }
    /* logind (user-runtime-dir@UID) removes the folder itself once the guest's last session is
     * gone, racing this sweep: a folder that vanished on the way is removed, not an error. */
    r = rm_at(fd, name, flags, stats);
    return r == -ENOENT ? 0 : r;
}

static bool is_job_id(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return false;
    return true;
}

/* The job id of a spool file: cNNNNN (control file: the job's IPP attributes), dNNNNN-NNN
 * (a document) or aNNNNN (the credentials cupsd keeps for a job sent by an authenticated
 * user: its name and uid); 0 for anything else. */
static int spool_job_id(const char *name, bool *ret_control)
{
    const char *end = name[0] == 'c' || name[0] == 'a' ? name + strlen(name) : name[0] == 'd' ? strchr(name, '-') : NULL;
    if (!end || end - name < 2 || end - name > 10)
        return 0;
    g_autofree char *digits = g_strndup(name + 1, (gsize)(end - name - 1));
    if (!is_job_id(digits))
        return 0;
    *ret_control = name[0] == 'c';
    return (int)strtol(digits, NULL, 10);
}

static bool match_print(const char *name, const struct stat *st, const void *data)
{
    const Owner *o = data;
    bool control;
    if (st->st_uid == o->uid)
        return true;
    if (!S_ISREG(st->st_mode))
        return false;
    int id = spool_job_id(name, &control);
    return id > 0 && g_hash_table_contains(o->jobs, GINT_TO_POINTER(id));
}

/* Print jobs, in two layers that do not depend on each other.
 *
 * The server first (print.c, libcups over IPP): asked for every job with its owner, it cancels
 * and purges each of the guest's, so that it prints nothing more and forgets the job, its
 * files and its title. When verifying, the jobs of the guest it still lists count as left.
 *
 * Then the spool, whatever the server did or whether it runs at all: files the guest owns,
 * the files of every job the server reported as the guest's, and of every control file whose
 * job-originating-user-name is the guest. Those are read with libcups' IPP reader, never
 * parsed by hand; they are read even when the server answered, because a job the server does
 * not know (it was down when the file came, or its job cache is gone) is still the guest's. */
static int sweep_print(const RkConfig *cfg, Owner *o, RmFlags flags, RmStats *stats, uint64_t *count)
{
    int first = 0;
    o->jobs = g_hash_table_new(NULL, NULL);

    if (cfg->cups_server) {
        PrintServerResult pr;
        PrintFlags pf = !count && !(flags & RM_DRY_RUN) ? PRINT_CANCEL : 0;
        int r = print_server_purge(cfg->cups_server, o->user, pf, count ? PRINT_VERIFY_TIMEOUT_MS : PRINT_PURGE_TIMEOUT_MS,
                                   o->jobs, &pr);
        if (o->res) {
            o->res->print_asked = true;
            o->res->print = pr;
        }
        if (count)
            *count += pr.jobs_left;
        RK_KEEP_FIRST(first, r);
    }

    _cleanup_close_ int fd = -1;
    int r = open_place(cfg->cups_spool, &fd);
    if (r < 0 || fd < 0) {
        g_clear_pointer(&o->jobs, g_hash_table_unref);
        RK_KEEP_FIRST(first, r);
        return first;
    }
    _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (d) {
        rk_steal_fd(&dfd);
        struct dirent *de;
        bool control;
        while ((de = readdir(d))) {
            int id = spool_job_id(de->d_name, &control);
            if (id > 0 && control && !g_hash_table_contains(o->jobs, GINT_TO_POINTER(id)) &&
                print_control_file_owner(fd, de->d_name, o->user) == 1)
                g_hash_table_add(o->jobs, GINT_TO_POINTER(id));
        }
        closedir(d);
    }
    RK_KEEP_FIRST(first, sweep_matching(fd, match_print, o, flags, stats, count));
    g_clear_pointer(&o->jobs, g_hash_table_unref);
    return first;
}

/* Parse the uid of a systemd-coredump file "core.COMM.UID.BOOTID.PID.USEC[.zst|.xz|.lz4]";
 * COMM may itself hold dots, so the fields are taken from the right. */
static bool coredump_uid(const char *name, uid_t *ret)
{
    if (strncmp(name, "core.", 5) != 0)
        return false;
    g_auto(GStrv) f = g_strsplit(name + 5, ".", -1);
    guint n = g_strv_length(f);
    if (n > 0 && (!strcmp(f[n - 1], "zst") || !strcmp(f[n - 1], "xz") || !strcmp(f[n - 1], "lz4")))
        n--;
    if (n < 5)
        return false;
    const char *u = f[n - 4];
    if (!is_job_id(u) || strlen(u) > 10)
        return false;
    *ret = (uid_t)strtoul(u, NULL, 10);
    return true;
}

static bool match_crash(const char *name, const struct stat *st, const void *data)
{
    const Owner *o = data;
    uid_t u;
    char suffix[32];

    if (st->st_uid == o->uid)
        return true;
    if (coredump_uid(name, &u))
        return u == o->uid;
    /* apport: "_usr_bin_prog.UID.crash" (and .upload/.uploaded markers beside it). */
    for (const char *ext = "crash\0upload\0uploaded\0"; *ext; ext += strlen(ext) + 1) {
        snprintf(suffix, sizeof suffix, ".%u.%s", (unsigned)o->uid, ext);
        if (g_str_has_suffix(name, suffix))
            return true;
    }
    return false;
}

static int sweep_crash(const RkConfig *cfg, Owner *o, RmFlags flags, RmStats *stats, uint64_t *count)
{
    int first = 0;
    for (char **p = cfg->crash_dirs; *p; p++) {
        _cleanup_close_ int fd = -1;
        int r = open_place(*p, &fd);
        if (r == 0 && fd >= 0)
            r = sweep_matching(fd, match_crash, o, flags, stats, count);
        RK_KEEP_FIRST(first, r);
    }
    return first;
}

/* journald keeps a user's journal as MACHINE-ID/user-UID.journal and rotated
 * user-UID@....journal(~) files. */
static bool match_journal(const char *name, const struct stat *st, const void *data)
{
    const Owner *o = data;
    char a[32], b[32];
    snprintf(a, sizeof a, "user-%u.journal", (unsigned)o->uid);
    snprintf(b, sizeof b, "user-%u@", (unsigned)o->uid);
    return S_ISREG(st->st_mode) && ((strcmp(name, a) == 0 && !o->journal_active_empty) || g_str_has_prefix(name, b));
}

/* journald writes the guest's messages into user-UID.journal and keeps it open: removing it
 * would make journald go on writing the next patron's messages into a file that no longer has a
 * name (lost to the administrator until journald happens to rotate). So journald is asked to
 * rotate first: it renames the active file to user-UID@....journal, which the sweep removes,
 * and opens a fresh user-UID.journal. What counts is whether a file holds any of the guest's
 * log entries: an active file whose header says it holds none is kept, by the sweep and by the
 * verification alike; one that holds any (the rotation failed, or a message came late) is
 * removed, as are all archived files. */
static void journal_rotate(int fd, uid_t uid)
{
    char active[32];
    snprintf(active, sizeof active, "user-%u.journal", (unsigned)uid);
    _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d)
        return;
    rk_steal_fd(&dfd);
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        struct stat st;
        _cleanup_close_ int sub = de->d_name[0] == '.' ? -1 : openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        found = sub >= 0 && fstatat(sub, active, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
    }
    closedir(d);
    g_autofree char *journalctl = found ? g_find_program_in_path("journalctl") : NULL;
    if (!journalctl)
        return;
    const char *argv[] = { "timeout", "15", journalctl, "--rotate", NULL };
    (void)g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, NULL, NULL);
}

/* Whether NAME in dirfd is a journal file whose header counts no entry. The header (systemd's
 * journal-def.h, stable on disk) starts with "LPKSHHRH"; header_size is the le64 at offset 88
 * and n_entries the le64 at offset 152. Anything unreadable or unexpected counts as not empty. */
static bool journal_file_empty(int dirfd, const char *name)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    unsigned char h[160];
    if (fd < 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, "LPKSHHRH", 8) != 0)
        return false;
    uint64_t header_size = 0, n_entries = 0;
    for (int i = 7; i >= 0; i--) {
        header_size = header_size << 8 | h[88 + i];
        n_entries = n_entries << 8 | h[152 + i];
    }
    return header_size >= sizeof h && n_entries == 0;
}

static int sweep_journal(const RkConfig *cfg, Owner *o, RmFlags flags, RmStats *stats, uint64_t *count)
{
    _cleanup_close_ int fd = -1;
    int r = open_place(cfg->journal_dir, &fd), first = 0;
    if (r < 0 || fd < 0)
        return r;
    if (!count && !(flags & RM_DRY_RUN))
        journal_rotate(fd, o->uid);
    char active[32];
    snprintf(active, sizeof active, "user-%u.journal", (unsigned)o->uid);
    _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d)
        return -errno;
    rk_steal_fd(&dfd);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_close_ int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            continue;
        o->journal_active_empty = journal_file_empty(sub, active);
        RK_KEEP_FIRST(first, sweep_matching(sub, match_journal, o, flags, stats, count));
    }
    o->journal_active_empty = false;
    closedir(d);
    return first;
}

typedef int (*SweepFn)(const RkConfig *, Owner *, RmFlags, RmStats *, uint64_t *);

static const SweepFn sweeps[RK_WIPE_N] = {
    [RK_WIPE_TMP] = sweep_tmp,     [RK_WIPE_RUN_USER] = sweep_run_user, [RK_WIPE_PRINT] = sweep_print,
    [RK_WIPE_CRASH] = sweep_crash, [RK_WIPE_JOURNAL] = sweep_journal,
};

int sweep_run(const RkConfig *cfg, uid_t uid, const char *user, RmFlags flags, SweepResult *res)
{
    Owner o = { .uid = uid, .user = user, .res = res };
    int first = 0;

    if (uid == 0)
        return -EPERM;
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++) {
        int r = sweeps[c](cfg, &o, flags, &res->stats[c], NULL);
        res->error[c] = r;
        RK_KEEP_FIRST(first, r);
    }
    return first;
}

int sweep_verify(const RkConfig *cfg, uid_t uid, const char *user, uint64_t remaining[RK_WIPE_N])
{
    Owner o = { .uid = uid, .user = user };
    int first = 0;

    if (uid == 0)
        return -EPERM;
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++) {
        remaining[c] = 0;
        int r = sweeps[c](cfg, &o, 0, NULL, &remaining[c]);
        if (r < 0)
            remaining[c] += 1; /* a place that cannot be checked is not verified */
        RK_KEEP_FIRST(first, r);
    }
    return first;
}
