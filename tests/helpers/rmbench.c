/* Benchmark helper for the safe remover (driven by scripts/bench-rmtree.sh).
 *
 *   rmbench gen DIR NFILES SEED   fill DIR (created) with a synthetic browser-heavy home of
 *                                 exactly NFILES files, the same for the same seed
 *   rmbench rm DIR [--seq]        remove DIR with rm_at(..., RM_PARALLEL) (or sequentially)
 *                                 and print "files dirs errors seconds maxrss_kib"
 *
 * The home imitates what a day of browsing leaves: flat caches with many small files
 * (Chromium Cache_Data and Code Cache, Firefox cache2/entries), nested ones (Firefox
 * storage/default/ORIGIN/cache/morgue/N, Chromium Service Worker CacheStorage/HASH/UUID) and a
 * few downloads of some MiB. File sizes are mostly below one 4 KiB block. */
#include "rmtree.h"
#include "util.h"

#include <fcntl.h>
#include <stdbool.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

typedef struct {
    const char *base;   /* below the home */
    double share;       /* of the small files */
    unsigned per_group; /* files per group directory; 0: all in base */
    unsigned subs;      /* subdirectories per group */
    bool origins;       /* groups named like Firefox origins, else like hashes */
} Shape;

static const Shape shapes[] = {
    { ".cache/chromium/Default/Cache/Cache_Data", 0.30, 0, 0, false },
    { ".cache/chromium/Default/Code Cache/js", 0.08, 0, 0, false },
    { ".cache/mozilla/firefox/x1y2z3ab.default-release/cache2/entries", 0.22, 0, 0, false },
    { ".mozilla/firefox/x1y2z3ab.default-release/storage/default", 0.25, 400, 32, true },
    { ".config/chromium/Default/Service Worker/CacheStorage", 0.15, 200, 4, false },
};

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: fast, and the same tree for the same seed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static char content[256 * 1024];
static uint64_t n_dirs;

static int mkdir_p(int root, const char *path)
{
    char buf[4096];
    int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *s = buf, *slash; fd >= 0 && s && *s; s = slash) {
        slash = strchr(s, '/');
        if (slash)
            *slash++ = '\0';
        if (mkdirat(fd, s, 0700) == 0)
            n_dirs++;
        else if (errno != EEXIST)
            return close(fd), -1;
        int nfd = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = nfd;
    }
    return fd;
}

static size_t small_size(void)
{
    uint64_t r = rng() % 100, x = rng();
    if (r < 60)
        return 100 + x % 1400;
    if (r < 92)
        return 1500 + x % 2500;
    if (r < 99)
        return 4096 + x % 12288;
    return 16384 + x % (112 * 1024);
}

static int write_file(int dirfd, const char *name, size_t size)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    while (size > 0) {
        size_t off = rng() % (sizeof(content) / 2), n = size < sizeof(content) / 2 ? size : sizeof(content) / 2;
        int r = rk_write_all(fd, content + off, n);
        if (r < 0)
            return r;
        size -= n;
    }
    return 0;
}

static int gen(const char *dir, uint64_t nfiles, uint64_t seed)
{
    char name[128], path[512];
    uint64_t made = 0;

    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < sizeof(content); i++)
        content[i] = (char)rng();
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    _cleanup_close_ int home = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (home < 0)
        return -errno;

    uint64_t ndl = nfiles >= 100 ? 4 : 0, small = nfiles - ndl;
    _cleanup_close_ int dl = mkdir_p(home, "Downloads");
    for (uint64_t i = 0; i < ndl; i++) {
        snprintf(name, sizeof(name), "document-%llu.pdf", (unsigned long long)i);
        if (dl < 0 || write_file(dl, name, (2 + rng() % 7) << 20) < 0)
            return -errno;
        made++;
    }
    for (size_t s = 0; s < RK_ELEMENTS(shapes); s++) {
        const Shape *sh = &shapes[s];
        uint64_t count = s + 1 == RK_ELEMENTS(shapes) ? nfiles - made : (uint64_t)(small * sh->share);
        uint64_t per_dir = sh->per_group ? (sh->per_group + sh->subs - 1) / sh->subs : count;
        for (uint64_t done = 0, g = 0; done < count; g++) {
            if (sh->per_group && sh->origins) {
                /* storage/default/ORIGIN/cache/morgue/N: a group of subs directories */
                snprintf(path, sizeof(path), "%s/https+++site%05llu.example/cache/morgue/%llu", sh->base,
                         (unsigned long long)(g / sh->subs), (unsigned long long)(g % sh->subs));
            } else if (sh->per_group) {
                /* CacheStorage/HASH/UUID */
                snprintf(path, sizeof(path), "%s/%016llx/%08llx-6c1e-4b1f-9d2a-%012llx", sh->base,
                         (unsigned long long)(g / sh->subs), (unsigned long long)rng() & 0xffffffff,
                         (unsigned long long)rng() & 0xffffffffffffULL);
            } else {
                snprintf(path, sizeof(path), "%s", sh->base);
            }
            _cleanup_close_ int d = mkdir_p(home, path);
            if (d < 0)
                return -errno;
            for (uint64_t k = 0; k < per_dir && done < count; k++, done++) {
                if (s == 2)
                    snprintf(name, sizeof(name), "%016llX%016llX%08X", (unsigned long long)rng(),
                             (unsigned long long)rng(), (unsigned)rng());
                else
                    snprintf(name, sizeof(name), "%016llx_0", (unsigned long long)rng());
                if (write_file(d, name, small_size()) < 0)
                    return -errno;
                made++;
            }
        }
    }
    printf("%llu files %llu dirs\n", (unsigned long long)made, (unsigned long long)n_dirs);
    return 0;
}

static int rm(const char *dir, RmFlags flags)
{
    RmStats st = { 0 };
    struct stat pst, rst;
    struct rusage ru;
    char *copy = strdup(dir), *copy2 = strdup(dir);
    const char *parent = dirname(copy), *name = basename(copy2);

    /* A helper that deletes for real: only below a mount of its own, never on the root fs. */
    _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0 || fstat(pfd, &pst) < 0 || stat("/", &rst) < 0 || pst.st_dev == rst.st_dev) {
        fprintf(stderr, "rmbench: refusing: the parent must be on a scratch file system\n");
        free(copy), free(copy2);
        return -EPERM;
    }
    long long t0 = rk_now_ns();
    int r = rm_at(pfd, name, flags, &st);
    long long t1 = rk_now_ns();
    getrusage(RUSAGE_SELF, &ru);
    printf("%llu %llu %llu %.3f %ld\n", (unsigned long long)st.files, (unsigned long long)st.dirs,
           (unsigned long long)st.errors, (t1 - t0) / 1e9, ru.ru_maxrss);
    free(copy), free(copy2);
    return r;
}

int main(int argc, char **argv)
{
    int r;

    if (argc == 5 && strcmp(argv[1], "gen") == 0)
        r = gen(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    else if ((argc == 3 || argc == 4) && strcmp(argv[1], "rm") == 0)
        r = rm(argv[2], argc == 4 && strcmp(argv[3], "--seq") == 0 ? 0 : RM_PARALLEL);
    else {
        fprintf(stderr, "usage: rmbench gen DIR NFILES SEED | rmbench rm DIR [--seq]\n");
        return 2;
    }
    if (r < 0)
        fprintf(stderr, "rmbench: %s\n", strerror(-r));
    return r < 0 ? 1 : 0;
}
