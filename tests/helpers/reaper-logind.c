/* Calls reaper_logind_terminate() once, for tests/integration/test-reaper-logind.sh.
 *
 * Usage: reaper-logind UID TIMEOUT_MS
 * Prints "ok", or "error TIMED_OUT|PERMISSION_DENIED|OTHER: message" and exits 1; the script
 * matches on the first two words. Exit status 2 is a usage error. */
#include "reaper.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

static const char *error_kind(const GError *error)
{
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        return "TIMED_OUT";
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        return "PERMISSION_DENIED";
    return "OTHER";
}

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    char *end;

    if (argc != 3) {
        fprintf(stderr, "usage: %s UID TIMEOUT_MS\n", argv[0]);
        return 2;
    }
    unsigned long uid = strtoul(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || uid > (uid_t)-1) {
        fprintf(stderr, "bad uid\n");
        return 2;
    }
    int timeout_ms = atoi(argv[2]);

    if (!reaper_logind_terminate((uid_t)uid, timeout_ms, &error)) {
        printf("error %s: %s\n", error_kind(error), error->message);
        return 1;
    }
    printf("ok\n");
    return 0;
}
