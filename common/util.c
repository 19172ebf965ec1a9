#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int rk_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t rk_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int rk_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    size_t plen = strlen(path);
    char tmp[plen + 16];
    char dir[plen + 2];
    int r = 0;

    /* The temp file lives beside the target so that rename(2) is atomic (same file system). */
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fchmod(fd, mode) < 0)
        r = -errno;
    else if ((r = rk_write_all(fd, data, len)) == 0 && fsync(fd) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    if (rename(tmp, path) < 0) {
        r = -errno;
        unlink(tmp);
        return r;
    }

    /* The rename is durable only once the directory entry is on disk. */
    memcpy(dir, path, plen + 1);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (fsync(dfd) < 0)
        return -errno;
    return 0;
}

long long rk_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
