/* Throw-away users of the unit tests (header only, shared by test-reaper, test-foothold and
 * test-census): a run names its users PREFIX-PID-N, and removes them at the end, or those of
 * every run whose process is gone (a test killed half-way leaves no account behind). */
#pragma once

#include <errno.h>
#include <glib.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* Run argv (PATH searched) with its output thrown away. */
static inline void tu_run_quiet(const char *const *argv)
{
    g_spawn_sync(NULL, (char **)argv, NULL,
                 G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                 NULL, NULL, NULL);
}

/* Remove the users named PREFIX-PID-N of run pid, or of every dead run when pid is 0. For each,
 * before userdel: per_uid(uid) (kill its processes, empty its keyrings: the test's own way). */
static inline void tu_cleanup_users(const char *prefix, pid_t pid, void (*per_uid)(uid_t uid))
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *fmt = g_strdup_printf("%s-%%d-", prefix);
    struct passwd *pw;

    setpwent();
    while ((pw = getpwent())) {
        int owner;
        if (sscanf(pw->pw_name, fmt, &owner) != 1 || pw->pw_uid == 0)
            continue;
        if (pid ? owner == pid : (kill(owner, 0) < 0 && errno == ESRCH)) {
            if (per_uid)
                per_uid(pw->pw_uid);
            g_ptr_array_add(names, g_strdup(pw->pw_name));
        }
    }
    endpwent();
    for (guint i = 0; i < names->len; i++) {
        const char *argv[] = { "userdel", "-f", names->pdata[i], NULL };
        tu_run_quiet(argv);
    }
}
