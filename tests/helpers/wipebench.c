/* wipebench CONF: one end-of-session wipe as the daemon runs it (the old home left in the
 * root-only trash for the background deletion, no logind) and print, in nanoseconds,
 * "TOTAL CENSUS HOME_READY VERIFIED": TOTAL is the time from the end of the session until the
 * seat may open (stop, detach, renew, sweep, census, sync), CENSUS the census's share. Driven
 * by scripts/bench-turnaround.sh. */
#include "config.h"
#include "wipe.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    GError *error = NULL;
    WipeTarget t;

    if (argc != 2) {
        fprintf(stderr, "usage: wipebench CONF\n");
        return 2;
    }
    RkConfig *cfg = rk_config_load(argv[1], &error);
    if (!cfg) {
        fprintf(stderr, "wipebench: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    int r = wipe_target_open(cfg, &t);
    if (r < 0) {
        fprintf(stderr, "wipebench: guest: %s\n", strerror(-r));
        rk_config_free(cfg);
        return 2;
    }
    WipeResult *res = g_new0(WipeResult, 1);
    r = wipe_run(&t, WIPE_KEEP_TRASH, res);
    printf("%lld %lld %lld %d\n", (long long)res->total_ns, (long long)res->census.duration_ns,
           (long long)res->home_ready_ns, res->verified);
    if (!res->verified)
        wipe_log(res, WIPE_KEEP_TRASH);
    wipe_result_free(res);
    wipe_target_clear(&t);
    rk_config_free(cfg);
    return r < 0 ? 1 : 0;
}
