/* Benchmark helper for the census's file walk (driven by scripts/bench-census.sh).
 *
 *   censusbench files DIR UID [N]       census_files_at(DIR) N times (default 1)
 *   censusbench mounts UID MP... [-n N] [-t THREADS]
 *                                       census_run with the file census restricted to the file
 *                                       systems mounted at MP... (every other class runs too);
 *                                       THREADS as CensusTarget.threads (0: one per CPU)
 *
 * Each run prints "found inodes seconds" (mounts: also "scanned"); the last line is the best
 * of the N runs ("best ..."). Needs root for anything beyond the caller's own files. */
#include "census.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr, "usage: censusbench files DIR UID [N] | censusbench mounts UID MP... [-n N] [-t THREADS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    double best = 1e99;

    if (argc >= 4 && strcmp(argv[1], "files") == 0) {
        CensusTarget t = { .uid = (uid_t)strtoul(argv[3], NULL, 10), .gid = (gid_t)-1 };
        int n = argc > 4 ? atoi(argv[4]) : 1;
        int fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            perror(argv[2]);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t found, inodes;
            long long t0 = rk_now_ns();
            int r = census_files_at(fd, &t, &found, &inodes);
            double s = (double)(rk_now_ns() - t0) / 1e9;
            printf("%llu %llu %.3f%s%s\n", (unsigned long long)found, (unsigned long long)inodes, s,
                   r < 0 ? " error " : "", r < 0 ? strerror(-r) : "");
            best = s < best ? s : best;
        }
        printf("best %.3f\n", best);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "mounts") == 0) {
        const char *mps[64];
        int nmp = 0, n = 1;
        unsigned threads = 0;
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
                n = atoi(argv[++i]);
            else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
                threads = (unsigned)atoi(argv[++i]);
            else if (nmp < 63)
                mps[nmp++] = argv[i];
        }
        mps[nmp] = NULL;
        CensusTarget t = { .uid = (uid_t)strtoul(argv[2], NULL, 10), .gid = (gid_t)-1,
                           .user = "rk-census-bench-nobody", .mounts = mps,
                           .sysroot = "/nonexistent-census-bench", .threads = threads };
        for (int i = 0; i < n; i++) {
            CensusResult res;
            int r = census_run(&t, &res);
            double s = (double)res.duration_ns / 1e9;
            printf("%llu %llu %.3f scanned %llu%s%s\n", (unsigned long long)res.found[RK_WIPE_FILES],
                   (unsigned long long)res.inodes_seen, s, (unsigned long long)res.mounts_scanned,
                   r < 0 ? " error " : "", r < 0 ? strerror(-r) : "");
            for (int c = RK_WIPE_CENSUS_FIRST; c < RK_WIPE_N; c++)
                if (res.error[c] || (res.found[c] && c != RK_WIPE_FILES))
                    printf("  %s: found %llu error %d\n", rk_wipe_category_name((RkWipeCategory)c),
                           (unsigned long long)res.found[c], res.error[c]);
            best = s < best ? s : best;
        }
        printf("best %.3f\n", best);
        return 0;
    }
    return usage();
}
