/* rentarkd: wires the modules together. Only option parsing and the choice of mode live here. */
#include "config.h"
#include "log.h"
#include "util.h"
#include "wipe.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G_LOG_DOMAIN_MAIN "rentarkd"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: rentarkd [-c FILE] [-f|--foreground] [--check-config] [--wipe-once [--dry-run]] [--version]\n"
            "\n"
            "  -c, --config FILE   configuration file (default " RK_CONFIG_DEFAULT_PATH ")\n"
            "  -f, --foreground    stay in the foreground, log to stderr\n"
            "      --check-config  validate the configuration, print FILE:LINE: errors, exit 1 on error\n"
            "      --wipe-once     run one complete end-of-session wipe and exit 0 only if verified\n"
            "      --dry-run       with --wipe-once: count what would be wiped, delete nothing\n"
            "  -d, --debug         debug logging\n"
            "      --version       print the version\n");
}

int main(int argc, char **argv)
{
    enum { OPT_CHECK = 256, OPT_WIPE_ONCE, OPT_DRY_RUN, OPT_VERSION };
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "foreground", no_argument, NULL, 'f' },
        { "debug", no_argument, NULL, 'd' },
        { "check-config", no_argument, NULL, OPT_CHECK },
        { "wipe-once", no_argument, NULL, OPT_WIPE_ONCE },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "version", no_argument, NULL, OPT_VERSION },
        { "help", no_argument, NULL, 'h' },
        {},
    };
    const char *config_path = RK_CONFIG_DEFAULT_PATH;
    bool check = false, wipe_once = false, dry_run = false, debug = false;
    int c;

    while ((c = getopt_long(argc, argv, "c:fdh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'f': break; /* rentarkd never forks; systemd or the caller decides. */
        case 'd': debug = true; break;
        case OPT_CHECK: check = true; break;
        case OPT_WIPE_ONCE: wipe_once = true; break;
        case OPT_DRY_RUN: dry_run = true; break;
        case OPT_VERSION: printf("rentarkd %s\n", RK_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || (dry_run && !wipe_once)) {
        usage(stderr);
        return 2;
    }

    rk_log_init("rentarkd", debug);

    g_autoptr(GError) error = NULL;
    g_autoptr(RkConfig) cfg = rk_config_load(config_path, &error);
    if (!cfg) {
        /* The message is already "FILE:LINE: message" lines; print them as they are so that
         * editors and scripts can jump to them. */
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    if (check) {
        printf("%s: configuration is valid\n", config_path);
        return 0;
    }
    if (wipe_once) {
        WipeFlags flags = dry_run ? WIPE_DRY_RUN : 0;
        WipeResult res;
        int r = wipe_run(cfg, flags, &res);
        if (dry_run) {
            if (r < 0) {
                fprintf(stderr, "rentarkd: dry run failed: %s\n", g_strerror(-r));
                return 1;
            }
            wipe_print_dry_run(&res, stdout);
            return 0;
        }
        wipe_log(&res, flags);
        return res.verified ? 0 : 1;
    }
    fprintf(stderr, "rentarkd: the daemon mode is not available in this build yet\n");
    return 1;
}
