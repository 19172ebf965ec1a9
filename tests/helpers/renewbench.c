/* renewbench HOME TRASH SKEL UID GID: time one home_renew() (the patron-facing turnaround:
 * end of session until a fresh home is in place) and print it in nanoseconds. */
#include "home.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    HomeStats st = { 0 };
    if (argc != 6) {
        fprintf(stderr, "usage: renewbench HOME TRASH SKEL UID GID\n");
        return 2;
    }
    int r = home_renew(argv[1], argv[2], argv[3], (uid_t)atoi(argv[4]), (gid_t)atoi(argv[5]), &st);
    if (r < 0) {
        fprintf(stderr, "renewbench: home_renew: %s\n", strerror(-r));
        return 1;
    }
    printf("%lld\n", (long long)st.turnaround_ns);
    return 0;
}
