/* Small helpers shared by rentarkd, rentarkctl and rentark-session.
 *
 * GLib 2.74 (Debian 12) has no g_autofd, so fds get a cleanup attribute of our own.
 * Every fd in rentark is opened with O_CLOEXEC; these helpers assume that. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Close *fd if it is valid, keeping errno intact (cleanup paths must not clobber the error
 * being returned). */
static inline void rk_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
    }
}
#define _cleanup_close_ _cleanup_(rk_closep)

/* Hand an fd out of a _cleanup_close_ variable without closing it. */
static inline int rk_steal_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}

#define RK_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Keep the first error of a sequence of operations while carrying on with the rest
 * ("return the first error, keep going"). e is always evaluated, exactly once: it is often the
 * operation itself, RK_KEEP_FIRST(first, sweep(...)), which must run even after an error. */
#define RK_KEEP_FIRST(r, e)     \
    do {                        \
        int rk_keep_e_ = (e);   \
        if ((r) == 0)           \
            (r) = rk_keep_e_;   \
    } while (0)

/* write(2) all of buf, retrying on EINTR and short writes. Returns 0 or -errno. */
int rk_write_all(int fd, const void *buf, size_t len);

/* read(2) up to len bytes, retrying on EINTR; short only at end of file. Returns the number of
 * bytes read or -errno. */
ssize_t rk_read_all(int fd, void *buf, size_t len);

/* Write data to path atomically and durably: temp file in the same directory, fsync,
 * rename over path, fsync of the directory. mode is the new file's mode.
 * Returns 0 or -errno; on failure the old content of path is untouched. */
int rk_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* Monotonic clock in nanoseconds / microseconds. */
long long rk_now_ns(void);
