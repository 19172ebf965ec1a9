/* The end-of-session wipe: stop, renew, sweep, empty the trash, verify. */
#define G_LOG_DOMAIN "wipe"
#include "wipe.h"

#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define KILL_TIMEOUT_MS 10000
#define LOGIND_TIMEOUT_MS 3000

/* Number of entries in the trash dir (0 = empty), or -errno. */
static int64_t count_trash(const char *trash_dir)
{
    _cleanup_close_ int fd = open(trash_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
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

bool wipe_trash_pending(const RkConfig *cfg)
{
    return count_trash(cfg->trash_dir) != 0;
}

int wipe_empty_trash(const RkConfig *cfg, RmStats *stats)
{
    _cleanup_close_ int fd = home_open_trash(cfg->trash_dir, cfg->guest_home);
    if (fd < 0)
        return fd;
    return rm_contents(fd, RM_PARALLEL, stats);
}

#define FAIL(step, e)                        \
    do {                                     \
        if (!res->failed_step) {             \
            res->failed_step = (step);       \
            res->error = (e);                \
        }                                    \
    } while (0)

static int dry_run(const RkConfig *cfg, uid_t uid, const char *user, WipeResult *res)
{
    _cleanup_close_ int hfd = open(cfg->guest_home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (hfd >= 0)
        (void)rm_contents(hfd, RM_DRY_RUN, &res->home_counted);
    _cleanup_close_ int tfd = open(cfg->trash_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd >= 0)
        (void)rm_contents(tfd, RM_DRY_RUN, &res->trash);
    (void)sweep_run(cfg, uid, user, RM_DRY_RUN, &res->sweep);
    return 0;
}

int wipe_run(const RkConfig *cfg, WipeFlags flags, WipeResult *res)
{
    long long start = rk_now_ns();
    uid_t uid;
    gid_t gid;
    int r;

    memset(res, 0, sizeof *res);
    r = home_lookup_guest(cfg->guest_user, &uid, &gid);
    if (r < 0) {
        FAIL("guest account", r);
        return r;
    }
    res->processes_found = reaper_count_uid(uid, "/proc");

    if (flags & WIPE_DRY_RUN) {
        dry_run(cfg, uid, cfg->guest_user, res);
        res->total_ns = rk_now_ns() - start;
        return 0;
    }

    /* 1. Stop the guest before anything is deleted: a live process could write again
     *    behind the wipe. logind first (it also ends the user's services), then the uid
     *    kill, which is the one that is verified. */
    if (!(flags & WIPE_NO_LOGIND) && res->processes_found > 0)
        (void)reaper_logind_terminate(uid, LOGIND_TIMEOUT_MS, NULL);
    r = reaper_kill_uid(uid, "/proc", KILL_TIMEOUT_MS, &res->reaper);
    if (r < 0)
        FAIL("stop processes", r);

    /* 2. The home: moved into the trash, a fresh one from the skeleton in its place. The
     *    tmpfs strategy's mount is detached here like any other mount under the home, and the
     *    folder beneath it renewed too, so both strategies end in the same verified state. */
    r = home_renew(cfg->guest_home, cfg->trash_dir, cfg->guest_skeleton, uid, gid, &res->home);
    if (r < 0)
        FAIL("renew home", r);

    /* 3. Everything of the guest outside the home. */
    r = sweep_run(cfg, uid, cfg->guest_user, 0, &res->sweep);
    if (r < 0)
        FAIL("sweep", r);

    /* 4. The old home in the trash: no one can reach it (root's, 0700), so the daemon may
     *    leave this to the background; a one-shot wipe does it now. */
    if (!(flags & WIPE_KEEP_TRASH)) {
        long long t0 = rk_now_ns();
        r = wipe_empty_trash(cfg, &res->trash);
        res->trash_ns = rk_now_ns() - t0;
        if (r < 0)
            FAIL("empty trash", r);
    }

    /* Deletions and the fresh home must be on disk before the seat may be called clean:
     * after a power cut an un-synced unlink can bring the old files back. */
    {
        _cleanup_close_ int hfd = open(cfg->guest_home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (hfd < 0 || syncfs(hfd) < 0)
            FAIL("sync", -errno);
    }

    /* 5. Verify, from scratch, each category on its own. */
    res->processes_left = reaper_count_uid(uid, "/proc");
    r = home_verify(cfg->guest_home, cfg->guest_skeleton, uid, gid, &res->home_differences);
    if (r < 0)
        FAIL("verify home", r);
    else if (r > 0 && res->home_differences == 0)
        res->home_differences = 1;
    r = sweep_verify(cfg, uid, cfg->guest_user, res->sweep_left);
    if (r < 0)
        FAIL("verify sweep", r);
    if (!(flags & WIPE_KEEP_TRASH)) {
        int64_t n = count_trash(cfg->trash_dir);
        res->trash_left = n < 0 ? 1 : (uint64_t)n;
        if (n < 0)
            FAIL("verify trash", (int)n);
    }

    uint64_t left = (uint64_t)(res->processes_left != 0) + res->home_differences + res->trash_left;
    for (int c = 0; c < SWEEP_N; c++)
        left += res->sweep_left[c];
    res->verified = left == 0 && res->failed_step == NULL;
    if (!res->verified && !res->failed_step)
        FAIL("verify", -ENOTEMPTY);
    res->total_ns = rk_now_ns() - start;
    return res->verified ? 0 : (res->error ? res->error : -ENOTEMPTY);
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

void wipe_log(const WipeResult *res, WipeFlags flags)
{
    if (flags & WIPE_DRY_RUN)
        return;
    g_message("stopped %d processes in %u rounds (%.1f ms)", res->processes_found, res->reaper.rounds,
              ms(res->reaper.duration_ns));
    g_message("home renewed in %.1f ms (%u moved to trash)", ms(res->home.turnaround_ns), res->home.moved_to_trash);
    for (int c = 0; c < SWEEP_N; c++) {
        const RmStats *s = &res->sweep.stats[c];
        if (s->files || s->dirs || s->errors || res->sweep.error[c])
            g_message("swept %s: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT " dirs, %" G_GUINT64_FORMAT " errors%s%s",
                      sweep_category_name(c), s->files, s->dirs, s->errors, res->sweep.error[c] ? ": " : "",
                      res->sweep.error[c] ? g_strerror(-res->sweep.error[c]) : "");
    }
    if (!(flags & WIPE_KEEP_TRASH))
        g_message("trash emptied: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT " dirs in %.1f ms",
                  res->trash.files, res->trash.dirs, ms(res->trash_ns));
    if (res->verified) {
        g_message("wipe verified in %.1f ms", ms(res->total_ns));
        return;
    }
    g_warning("wipe NOT verified: step \"%s\" failed (%s); left: %d processes, %" G_GUINT64_FORMAT
              " home differences, %" G_GUINT64_FORMAT " trash entries",
              res->failed_step ? res->failed_step : "?", g_strerror(res->error < 0 ? -res->error : EIO),
              res->processes_left, res->home_differences, res->trash_left);
    for (int c = 0; c < SWEEP_N; c++)
        if (res->sweep_left[c])
            g_warning("wipe NOT verified: %" G_GUINT64_FORMAT " entries of the guest left in %s", res->sweep_left[c],
                      sweep_category_name(c));
}

void wipe_print_dry_run(const WipeResult *res, FILE *f)
{
    fprintf(f, "%-10s %12s %10s %16s\n", "category", "files", "dirs", "bytes");
    fprintf(f, "%-10s %12d %10s %16s\n", "processes", res->processes_found, "-", "-");
    const struct {
        const char *name;
        const RmStats *s;
    } rows[] = { { "home", &res->home_counted }, { "trash", &res->trash } };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
        fprintf(f, "%-10s %12" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %16" G_GUINT64_FORMAT "\n", rows[i].name,
                rows[i].s->files, rows[i].s->dirs, rows[i].s->bytes);
    for (int c = 0; c < SWEEP_N; c++) {
        const RmStats *s = &res->sweep.stats[c];
        fprintf(f, "%-10s %12" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %16" G_GUINT64_FORMAT "\n", sweep_category_name(c),
                s->files, s->dirs, s->bytes);
    }
}
