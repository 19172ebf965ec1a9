/* The end-of-session wipe: stop, detach, renew, sweep, census (contract in wipe.h). */
#define G_LOG_DOMAIN "wipe"
#include "wipe.h"

#include "mountctl.h"

#include "guest.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define KILL_TIMEOUT_MS 10000
#define LOGIND_TIMEOUT_MS 3000
/* Census passes: the first finds what the sweep missed, the second decides after the
 * machine-wide safety net. */
#define CENSUS_PASSES 2

void wipe_target_init(WipeTarget *t, const RkConfig *cfg, uid_t uid, gid_t gid, bool private_gid)
{
    *t = (WipeTarget){ .cfg = rk_config_ref((RkConfig *)cfg), .user = g_strdup(cfg->guest_user), .uid = uid,
                       .gid = gid, .private_gid = private_gid };
}

int wipe_target_open(const RkConfig *cfg, WipeTarget *t)
{
    uid_t uid;
    gid_t gid;

    memset(t, 0, sizeof *t);
    int r = guest_lookup_ids(cfg->guest_user, &uid, &gid);
    if (r < 0)
        return r;
    if (gid == 0)
        return -EPERM;
    wipe_target_init(t, cfg, uid, gid, guest_gid_is_private(cfg->guest_user, gid));
    return 0;
}

void wipe_target_clear(WipeTarget *t)
{
    if (t->cfg)
        rk_config_free(t->cfg);
    g_free(t->user);
    memset(t, 0, sizeof *t);
}

/* Number of entries in the directory dirfd (0 = empty), or -errno. */
static int64_t count_entries_at(int dirfd)
{
    _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d)
        return -errno;
    rk_steal_fd(&fd);
    int64_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Number of entries in the trash dir (0 = empty, or none), or -errno. */
static int64_t count_trash(const char *trash_dir)
{
    _cleanup_close_ int fd = open(trash_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    return count_entries_at(fd);
}

bool wipe_trash_pending(const RkConfig *cfg)
{
    return count_trash(cfg->trash_dir) != 0;
}

int wipe_empty_trash(const RkConfig *cfg, RmFlags flags, RmStats *stats)
{
    _cleanup_close_ int fd = home_open_trash(cfg->trash_dir, cfg->guest_home);
    if (fd < 0)
        return fd;
    return rm_contents(fd, flags, stats);
}

int wipe_background_priority(void)
{
    /* ioprio_set(IOPRIO_WHO_PROCESS, this thread, IOPRIO_CLASS_IDLE): glibc has no wrapper. */
    const int ioprio_class_idle = 3, ioprio_class_shift = 13, ioprio_who_process = 1;
    if (syscall(SYS_ioprio_set, ioprio_who_process, (int)syscall(SYS_gettid), ioprio_class_idle << ioprio_class_shift) < 0)
        return -errno;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
        return -errno;
    return 0;
}

#define FAIL(step, e)                        \
    do {                                     \
        if (!res->failed_step) {             \
            res->failed_step = (step);       \
            res->error = (e);                \
        }                                    \
    } while (0)

/* A directory's identity for the census and the safety net, which know the fresh home and
 * the trash by what they are, never by a name the guest could have reused. The directory is
 * held open (*ret_fd) while the identity is in use: on an overlay without xino an inode number
 * can change when the kernel drops the inode from its cache. */
static bool identity_of(const char *path, RmSkip *ret, int *ret_fd)
{
    struct stat st;
    int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    ret->dev = st.st_dev;
    ret->ino = st.st_ino;
    *ret_fd = fd;
    return true;
}

typedef struct {
    FootholdTarget foot;
    CensusTarget census;
    RmOwner owner;
    RmSkip skip[2];
    int skip_fd[2]; /* held open while the identities are in use */
    CensusSkip census_skip[2];
    const char *mounts[64];
} Plan;

static void plan_clear(Plan *p)
{
    for (size_t i = 0; i < RK_ELEMENTS(p->skip_fd); i++)
        rk_closep(&p->skip_fd[i]);
}

static void plan_init(Plan *p, const WipeTarget *t)
{
    const RkConfig *cfg = t->cfg;
    memset(p, 0, sizeof *p);
    p->skip_fd[0] = p->skip_fd[1] = -1;
    p->foot = (FootholdTarget){ .uid = t->uid, .gid = t->gid, .check_gid = t->private_gid, .user = t->user,
                                .home = cfg->guest_home, .run_user_dir = cfg->run_user_dir,
                                .guest_dirs = (const char *const *)cfg->sweep };
    size_t n = 0;
    for (char **m = cfg->census_mounts; m && *m && n + 1 < RK_ELEMENTS(p->mounts); m++)
        p->mounts[n++] = *m;
    p->census = (CensusTarget){ .uid = t->uid, .gid = t->gid, .check_gid = t->private_gid, .user = t->user,
                                .home = cfg->guest_home, .run_user_dir = cfg->run_user_dir,
                                .mounts = n ? p->mounts : NULL, .report_mounts = true };
    p->owner = (RmOwner){ .uid = t->uid, .gid = t->gid, .match_gid = t->private_gid };
}

/* The fresh home (checked against the skeleton by home_verify) and the trash (root's, 0700,
 * deleted in the background) are the only places where the guest's uid may remain. With an
 * open place they are taken from it, else by path (the dry run). */
static void plan_skip(Plan *p, const RkConfig *cfg, const HomePlace *place)
{
    size_t n = 0;
    if (place && place->parentfd >= 0) {
        int fds[2] = { openat(place->parentfd, place->base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                       openat(place->trashfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC) };
        for (size_t i = 0; i < 2; i++) {
            struct stat st;
            if (fds[i] < 0 || fstat(fds[i], &st) < 0) {
                if (fds[i] >= 0)
                    close(fds[i]);
                continue;
            }
            p->skip[n] = (RmSkip){ .dev = st.st_dev, .ino = st.st_ino };
            p->skip_fd[n++] = fds[i];
        }
    } else {
        if (identity_of(cfg->guest_home, &p->skip[n], &p->skip_fd[n]))
            n++;
        if (identity_of(cfg->trash_dir, &p->skip[n], &p->skip_fd[n]))
            n++;
    }
    for (size_t i = 0; i < n; i++)
        p->census_skip[i] = (CensusSkip){ .dev = p->skip[i].dev, .ino = p->skip[i].ino };
    p->owner.skip = p->skip;
    p->owner.nskip = n;
    p->census.skip = p->census_skip;
    p->census.nskip = n;
}

#ifdef RK_TEST_HOOKS
/* Test builds only: a command run as root between the sweep and each census, so that a test
 * can plant what the sweep "missed" and see the census catch it. */
static void test_hook(const char *var)
{
    const char *cmd = g_getenv(var);
    if (!cmd || !*cmd)
        return;
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    (void)g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}
#else
static void test_hook(const char *var)
{
    (void)var;
}
#endif

/* One more pass after a census finding: processes, mounts, the files on every file system where
 * the census found some (the machine-wide sweep by owner, with the remover), and every foothold
 * class again. */
static void safety_net(const WipeTarget *t, Plan *p, const CensusResult *found, WipeResult *res)
{
    if (found->found[RK_WIPE_PROCESSES] || found->error[RK_WIPE_PROCESSES]) {
        ReaperStats rs;
        int r = reaper_kill_uid(t->uid, "/proc", KILL_TIMEOUT_MS, &rs);
        if (r < 0)
            FAIL("stop processes", r);
    }
    uint64_t detached = 0;
    (void)mountctl_detach_guest(&p->foot, &detached);
    res->mounts_detached += detached;
    for (char **m = found->found[RK_WIPE_FILES] ? found->scanned_mounts : NULL; m && *m; m++) {
        /* Only through folders nobody but root controls: a mount point below a guest's
         * folder is not entered by path (the census then still finds it: not verified). */
        _cleanup_close_ int fd = paths_open_trusted_dir(*m);
        if (fd < 0)
            continue;
        (void)rm_owner_sweep(fd, &p->owner, RM_PARALLEL, &res->safety_net);
    }
    FootholdResult again = { 0 };
    (void)foothold_remove(&p->foot, 0, &again);
    for (int c = 0; c < RK_WIPE_N; c++)
        res->footholds.removed[c] += again.removed[c];
}

/* Watched folders, after the stop (nothing of the guest can write there any more): what the
 * session created, from the daemon's events, or by time since the session began. A failure
 * here is logged, not "unverified": the census still decides about every file of the guest,
 * and what the watch removes beyond that is entries others could have made. */
static int wipe_watched(const WipeTarget *t, RmFlags flags, WatchStats *st)
{
    const RkConfig *cfg = t->cfg;
    if (!cfg->watch[0])
        return 0;
    Watch *w = t->watch_handoff && !(flags & RM_DRY_RUN) ? t->watch_handoff(t->watch_data) : NULL;
    if (w)
        return watch_finish(w, flags, st);
    if (t->session_start > 0)
        return watch_scan_since(cfg->watch, t->session_start, flags, st);
    return 0;
}

static void dry_run(const WipeTarget *t, Plan *p, WipeResult *res)
{
    const RkConfig *cfg = t->cfg;
    _cleanup_close_ int hfd = open(cfg->guest_home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (hfd >= 0)
        (void)rm_contents(hfd, RM_DRY_RUN, &res->home_counted);
    _cleanup_close_ int tfd = open(cfg->trash_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd >= 0)
        (void)rm_contents(tfd, RM_DRY_RUN, &res->trash);
    (void)sweep_run(cfg, t->uid, t->user, RM_DRY_RUN, &res->sweep);
    (void)foothold_remove(&p->foot, RM_DRY_RUN, &res->footholds);
    res->watch_error = wipe_watched(t, RM_DRY_RUN, &res->watch);
    /* The census counts everything else of the guest on the machine, read-only. */
    plan_skip(p, cfg, NULL);
    (void)census_run(&p->census, &res->census);
    res->census_passes = 1;
}

/* Steps 1 to 4: stop the guest, detach its mounts, renew the home, sweep every class. */
static void wipe_clean(const WipeTarget *t, WipeFlags flags, Plan *plan, const HomePlace *place, long long start,
                       WipeResult *res)
{
    int r;

    /* 1. Stop the guest before anything is deleted: a live process could write again behind
     *    the wipe. logind first (it also ends the user's services), then the uid kill, which
     *    is the one that is verified. */
    if (res->processes_found > 0)
        (void)reaper_logind_terminate(t->uid, LOGIND_TIMEOUT_MS, NULL);
    r = reaper_kill_uid(t->uid, "/proc", KILL_TIMEOUT_MS, &res->reaper);
    if (r < 0)
        FAIL("stop processes", r);

    /* 2. Every mount the guest made, anywhere, before any sweep: a mount is never crossed and
     *    must never block a wipe (a FUSE mount in /tmp would otherwise keep the seat closed). */
    r = mountctl_detach_guest(&plan->foot, &res->mounts_detached);
    if (r < 0)
        FAIL("detach mounts", r);

    /* 3. The home: moved into the trash, a fresh one from the skeleton in its place. The
     *    tmpfs strategy's mount was detached above like any other, and the folder beneath it
     *    is renewed too, so both strategies end in the same verified state. */
    if (place->parentfd >= 0) {
        r = home_renew_at(place, t->uid, t->gid, &res->home);
        if (r < 0)
            FAIL("renew home", r);
    }
    res->home_ready_ns = rk_now_ns() - start;

    /* 4. Every class outside the home: the known places (the fast path), then IPC objects,
     *    keys, scheduled work and the state system services keep per user. */
    r = sweep_run(t->cfg, t->uid, t->user, 0, &res->sweep);
    if (r < 0)
        FAIL("sweep", r);
    r = foothold_remove(&plan->foot, 0, &res->footholds);
    if (r < 0)
        FAIL("footholds", r);
    res->watch_error = wipe_watched(t, 0, &res->watch);
}

/* Step 5: the census decides, independently of everything above; after a finding, one pass
 * of the safety net and a second, deciding census. */
static void wipe_census(const WipeTarget *t, Plan *plan, const HomePlace *place, WipeResult *res)
{
    plan_skip(plan, t->cfg, place);
    for (unsigned pass = 0; pass < CENSUS_PASSES; pass++) {
        test_hook("RENTARK_TEST_AFTER_SWEEP");
        census_result_clear(&res->census);
        (void)census_run(&plan->census, &res->census);
        res->census_passes++;
        if (pass == 0)
            census_result_copy_counts(&res->census_first, &res->census);
        if (census_clean(&res->census) || pass + 1 == CENSUS_PASSES)
            break;
        safety_net(t, plan, &res->census, res);
    }
}

/* Step 7: what the census leaves to others: the fresh home equals the skeleton; the known
 * places hold nothing of the guest (the fast path's own check); the trash is empty when this
 * run emptied it. */
static void wipe_verify(const WipeTarget *t, WipeFlags flags, const HomePlace *place, WipeResult *res)
{
    const RkConfig *cfg = t->cfg;
    int r;

    res->processes_left = (int)res->census.found[RK_WIPE_PROCESSES];
    if (place->parentfd >= 0) {
        r = home_verify_at(place, t->uid, t->gid, &res->home_differences);
        if (r < 0)
            FAIL("verify home", r);
        else if (r > 0 && res->home_differences == 0)
            res->home_differences = 1;
    } else {
        res->home_differences = 1;
    }
    r = sweep_verify(cfg, t->uid, t->user, res->sweep_left);
    if (r < 0)
        FAIL("verify sweep", r);
    if (!(flags & WIPE_KEEP_TRASH)) {
        int64_t n = place->trashfd >= 0 ? count_entries_at(place->trashfd) : count_trash(cfg->trash_dir);
        res->trash_left = n < 0 ? 1 : (uint64_t)n;
        if (n < 0)
            FAIL("verify trash", (int)n);
    }

    uint64_t left = res->home_differences + res->trash_left;
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++)
        left += res->sweep_left[c];
    if (!census_clean(&res->census))
        FAIL("census", -ENOTEMPTY);
    res->verified = left == 0 && res->failed_step == NULL;
    if (!res->verified && !res->failed_step)
        FAIL("verify", -ENOTEMPTY);
}

int wipe_run(const WipeTarget *t, WipeFlags flags, WipeResult *res)
{
    const RkConfig *cfg = t->cfg;
    long long start = rk_now_ns();
    Plan plan;
    HomePlace place = { .parentfd = -1, .trashfd = -1, .skelfd = -1 };
    int r;

    memset(res, 0, sizeof *res);
    if (t->uid == 0 || t->gid == 0) {
        FAIL("guest account", -EPERM);
        return -EPERM;
    }
    plan_init(&plan, t);
    res->processes_found = reaper_count_uid(t->uid, "/proc");

    if (flags & WIPE_DRY_RUN) {
        dry_run(t, &plan, res);
        plan_clear(&plan);
        res->total_ns = rk_now_ns() - start;
        return 0;
    }

    /* The home's parent, the trash and the skeleton, opened once for the whole wipe. */
    r = home_place_open(cfg->guest_home, cfg->trash_dir, cfg->guest_skeleton, &place);
    if (r < 0)
        FAIL("renew home", r);
    wipe_clean(t, flags, &plan, &place, start, res);
    wipe_census(t, &plan, &place, res);
    plan_clear(&plan);

    /* 6. The old home in the trash: no one but root can reach it, so the daemon leaves it to a
     *    background deletion; a one-shot wipe does it now. */
    if (!(flags & WIPE_KEEP_TRASH) && place.trashfd >= 0) {
        long long t0 = rk_now_ns();
        r = rm_contents(place.trashfd, RM_PARALLEL, &res->trash);
        res->trash_ns = rk_now_ns() - t0;
        if (r < 0)
            FAIL("empty trash", r);
    }

    /* The renamed home and every deletion must be on disk before the seat may be called
     * clean: after a power cut an un-synced rename or unlink can bring old files back. */
    if (place.parentfd >= 0 && syncfs(place.parentfd) < 0)
        FAIL("sync", -errno);

    wipe_verify(t, flags, &place, res);
    home_place_close(&place);
    res->total_ns = rk_now_ns() - start;
    return res->verified ? 0 : (res->error ? res->error : -ENOTEMPTY);
}

void wipe_result_free(WipeResult *res)
{
    if (!res)
        return;
    census_result_clear(&res->census);
    census_result_clear(&res->census_first);
    g_free(res);
}

const char *wipe_error_text(const WipeResult *res)
{
    if (res->failed_step && strcmp(res->failed_step, "census") == 0)
        return "objects of the guest remain";
    return g_strerror(res->error < 0 ? -res->error : EIO);
}

bool wipe_census_clean(const WipeResult *res)
{
    return census_clean(&res->census);
}

char *wipe_census_summary(const CensusResult *c)
{
    GString *s = g_string_new(NULL);
    for (int k = RK_WIPE_CENSUS_FIRST; k < RK_WIPE_N; k++) {
        if (c->error[k])
            g_string_append_printf(s, "%s%s: not checked (%s)", s->len ? ", " : "", rk_wipe_category_name(k),
                                   g_strerror(-c->error[k]));
        else if (c->found[k])
            g_string_append_printf(s, "%s%s %" G_GUINT64_FORMAT, s->len ? ", " : "", rk_wipe_category_name(k), c->found[k]);
    }
    return g_string_free(s, FALSE);
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static uint64_t census_total(const CensusResult *c)
{
    uint64_t n = 0;
    for (int k = RK_WIPE_CENSUS_FIRST; k < RK_WIPE_N; k++)
        n += c->found[k];
    return n;
}

static bool t_watch_logged(const WipeResult *res)
{
    return res->watch.removed.files || res->watch.removed.dirs || res->watch.recorded || res->watch.scanned ||
           res->watch_error;
}

void wipe_log(const WipeResult *res, WipeFlags flags)
{
    if (flags & WIPE_DRY_RUN)
        return;
    g_message("stopped %d processes in %u rounds (%.1f ms)", res->processes_found, res->reaper.rounds,
              ms(res->reaper.duration_ns));
    if (res->mounts_detached)
        g_message("detached %" G_GUINT64_FORMAT " mounts of the guest", res->mounts_detached);
    g_message("home renewed in %.1f ms (%u moved to trash)", ms(res->home.turnaround_ns), res->home.moved_to_trash);
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++) {
        const RmStats *s = &res->sweep.stats[c];
        if (s->files || s->dirs || s->errors || s->reclaimed || res->sweep.error[c])
            g_message("swept %s: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT " dirs, %" G_GUINT64_FORMAT
                      " errors, %" G_GUINT64_FORMAT " dirs kept for others' entries (now root's)%s%s",
                      rk_wipe_category_name(c), s->files, s->dirs, s->errors, s->reclaimed, res->sweep.error[c] ? ": " : "",
                      res->sweep.error[c] ? g_strerror(-res->sweep.error[c]) : "");
    }
    /* Counts only: never a job's title or file name. */
    const PrintServerResult *pr = &res->sweep.print;
    if (res->sweep.print_asked && !pr->connected)
        g_message("print server: not running; the spool files of the guest's jobs were swept without it");
    else if (res->sweep.print_asked && !pr->reached)
        g_warning("print server: connected but no answer in time; the guest's jobs could not be cancelled "
                  "(the spool files were swept without it)");
    else if (res->sweep.print_asked)
        g_message("print server: %" G_GUINT64_FORMAT " jobs of the guest cancelled and purged (%" G_GUINT64_FORMAT
                  " listed, %" G_GUINT64_FORMAT " still listed)",
                  pr->jobs_cancelled, pr->jobs_found, pr->jobs_left);
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        if (foothold_class(c) && (res->footholds.removed[c] || res->footholds.error[c]))
            g_message("removed %s: %" G_GUINT64_FORMAT "%s%s", rk_wipe_category_name(c), res->footholds.removed[c],
                      res->footholds.error[c] ? "; error: " : "",
                      res->footholds.error[c] ? g_strerror(-res->footholds.error[c]) : "");
    if (t_watch_logged(res))
        g_message("watched folders: %" G_GUINT64_FORMAT " created entries removed (%" G_GUINT64_FORMAT " recorded, %s)%s%s",
                  res->watch.removed.files + res->watch.removed.dirs, res->watch.recorded,
                  res->watch.fallback ? "with a scan by time" : "from events", res->watch_error < 0 ? "; error: " : "",
                  res->watch_error < 0 ? g_strerror(-res->watch_error) : "");
    if (!(flags & WIPE_KEEP_TRASH))
        g_message("trash emptied: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT " dirs in %.1f ms",
                  res->trash.files, res->trash.dirs, ms(res->trash_ns));

    const CensusResult *c = &res->census;
    g_autofree char *first = wipe_census_summary(&res->census_first);
    g_autofree char *last = wipe_census_summary(c);
    g_message("census: %d classes checked, %" G_GUINT64_FORMAT " file systems searched (%" G_GUINT64_FORMAT
              " inodes; skipped: %" G_GUINT64_FORMAT " pseudo, %" G_GUINT64_FORMAT " network, %" G_GUINT64_FORMAT
              " read-only, %" G_GUINT64_FORMAT " FUSE, %" G_GUINT64_FORMAT " duplicate, %" G_GUINT64_FORMAT
              " hidden under other mounts), %" G_GUINT64_FORMAT " objects of the guest found, %.1f ms",
              RK_WIPE_N - RK_WIPE_CENSUS_FIRST, c->mounts_scanned, c->inodes_seen, c->mounts_skipped_pseudo, c->mounts_skipped_network,
              c->mounts_skipped_readonly, c->mounts_skipped_fuse, c->mounts_skipped_duplicate, c->mounts_hidden,
              census_total(c), ms(c->duration_ns));
    if (res->census_passes > 1)
        g_warning("census: the first pass found what the sweep missed (%s); after one more pass (%" G_GUINT64_FORMAT
                  " files, %" G_GUINT64_FORMAT " dirs removed machine-wide): %s",
                  first, res->safety_net.files, res->safety_net.dirs, last[0] ? last : "nothing");
    /* The event's fields: counts and category names, as the lines above. */
    RkLogFields f = { 0 };
    uint64_t swept = 0;
    for (int k = RK_WIPE_SWEEP_FIRST; k <= RK_WIPE_SWEEP_LAST; k++)
        swept += res->sweep.stats[k].files + res->sweep.stats[k].dirs;
    rk_log_fields_add_i64(&f, "RENTARK_DURATION_MS", res->total_ns / 1000000);
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_PROCESSES", (uint64_t)MAX(res->processes_found, 0));
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_HOME_TRASHED", res->home.moved_to_trash);
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_SWEPT", swept);
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_WATCH_REMOVED", res->watch.removed.files + res->watch.removed.dirs);
    rk_log_fields_add_u64(&f, "RENTARK_CENSUS_PASSES", res->census_passes);
    if (res->verified) {
        rk_log_fields_add_i64(&f, "RENTARK_HOME_READY_MS", res->home_ready_ns / 1000000);
        rk_log_event(RK_EVENT_WIPE_VERIFIED, G_LOG_LEVEL_MESSAGE, &f,
                     "wipe verified in %.1f ms (fresh home in place after %.1f ms)", ms(res->total_ns),
                     ms(res->home_ready_ns));
        return;
    }
    uint64_t sweep_left = 0;
    for (int k = RK_WIPE_SWEEP_FIRST; k <= RK_WIPE_SWEEP_LAST; k++)
        sweep_left += res->sweep_left[k];
    rk_log_fields_add(&f, "RENTARK_WIPE_STEP", res->failed_step ? res->failed_step : "verify");
    rk_log_fields_add(&f, "RENTARK_WIPE_ERROR", wipe_error_text(res));
    rk_log_fields_add_u64(&f, "RENTARK_COUNT_LEFT",
                          census_total(c) + res->home_differences + res->trash_left + sweep_left);
    rk_log_fields_add(&f, "RENTARK_CENSUS_LEFT", last[0] ? last : NULL); /* class names and counts */
    rk_log_event(RK_EVENT_WIPE_NOT_VERIFIED, G_LOG_LEVEL_WARNING, &f,
                 "wipe NOT verified: step \"%s\" failed (%s); left: census %s; %" G_GUINT64_FORMAT
                 " home differences, %" G_GUINT64_FORMAT " trash entries",
                 res->failed_step ? res->failed_step : "?", wipe_error_text(res), last[0] ? last : "nothing",
                 res->home_differences, res->trash_left);
    for (int k = RK_WIPE_SWEEP_FIRST; k <= RK_WIPE_SWEEP_LAST; k++)
        if (res->sweep_left[k])
            g_warning("wipe NOT verified: %" G_GUINT64_FORMAT " entries of the guest left in %s", res->sweep_left[k],
                      rk_wipe_category_name(k));
}

/* A reply key: prefix, the category's name with '_' for '-', suffix. */
static void reply_count(RkReply *reply, const char *prefix, const char *name, const char *suffix, uint64_t n)
{
    g_autofree char *k = g_strconcat(prefix, name, suffix, NULL);
    g_strdelimit(k, "-", '_');
    rk_reply_add_int(reply, k, (long long)n);
}

static void reply_rm_stats(RkReply *reply, const char *name, const RmStats *s)
{
    reply_count(reply, "", name, "_files", s->files);
    reply_count(reply, "", name, "_dirs", s->dirs);
    reply_count(reply, "", name, "_bytes", s->bytes);
}

void wipe_dry_run_reply(const WipeResult *res, RkReply *reply)
{
    rk_reply_add_int(reply, "processes", res->processes_found);
    reply_rm_stats(reply, "home", &res->home_counted);
    reply_rm_stats(reply, "trash", &res->trash);
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++)
        reply_rm_stats(reply, rk_wipe_category_name(c), &res->sweep.stats[c]);
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        if (foothold_class(c))
            reply_count(reply, "", rk_wipe_category_name(c), "", res->footholds.removed[c]);
    /* What the census sees of the guest outside the home and the trash. */
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        reply_count(reply, "census_", rk_wipe_category_name(c), "", res->census.found[c]);
}

void wipe_print_dry_run(const WipeResult *res, FILE *f)
{
    fprintf(f, "%-22s %12s %10s %16s\n", "category", "files", "dirs", "bytes");
    fprintf(f, "%-22s %12d %10s %16s\n", "processes", res->processes_found, "-", "-");
    const struct {
        const char *name;
        const RmStats *s;
    } rows[] = { { "home", &res->home_counted }, { "trash", &res->trash }, { "watch", &res->watch.removed } };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
        fprintf(f, "%-22s %12" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %16" G_GUINT64_FORMAT "\n", rows[i].name,
                rows[i].s->files, rows[i].s->dirs, rows[i].s->bytes);
    for (int c = RK_WIPE_SWEEP_FIRST; c <= RK_WIPE_SWEEP_LAST; c++) {
        const RmStats *s = &res->sweep.stats[c];
        fprintf(f, "%-22s %12" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %16" G_GUINT64_FORMAT "\n", rk_wipe_category_name(c),
                s->files, s->dirs, s->bytes);
    }
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
        if (foothold_class(c))
            fprintf(f, "%-22s %12" G_GUINT64_FORMAT " %10s %16s\n", rk_wipe_category_name(c), res->footholds.removed[c], "-", "-");
    /* What the census sees of the guest outside the home and the trash. */
    for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++) {
        char name[40];
        snprintf(name, sizeof name, "census %s", rk_wipe_category_name(c));
        fprintf(f, "%-22s %12" G_GUINT64_FORMAT " %10s %16s\n", name, res->census.found[c], "-", "-");
    }
}
