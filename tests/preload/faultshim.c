/* faultshim: an LD_PRELOAD fault injector for rentark's tests (tests/integration/test-fault-inject.sh).
 *
 * It sits in front of the libc calls by which the wipe engine and the journal change the file
 * system, counts them per function, and makes the n-th one (or every one from the n-th on) fail
 * with a chosen errno, without calling the real function: the file system is left as if the
 * kernel had refused. Controlled by the environment, read once at load:
 *
 *   RK_FAULT_CALL=NAME        the function to fail (names below)
 *   RK_FAULT_ERRNO=E          ENOSPC, EIO, EINTR, EBUSY, EPERM, EROFS, EDQUOT, EACCES, ENOMEM or a number
 *   RK_FAULT_NTH=N            fail the N-th call of NAME (1-based); 0 or unset: count only
 *   RK_FAULT_MODE=once|from   only the N-th call (default), or every call from the N-th on
 *                             (a disk that stays full or broken)
 *   RK_FAULT_COUNT_FILE=PATH  at exit, write "NAME COUNT" per function and "fired K" (how many
 *                             calls were failed) to PATH
 *
 * Names: write (write, regular files only), pwrite, writev, rename, renameat, renameat2, unlink,
 * unlinkat (files), unlinkat_dir (AT_REMOVEDIR), rmdir, mount, umount, umount2, fsync,
 * fdatasync, syncfs, open_creat (open/openat with O_CREAT or O_TMPFILE), mkostemp, mkdir,
 * mkdirat, symlinkat, fchown, fchownat, fchmod, fchmodat, chmod, copy_file_range, sendfile.
 *
 * What is counted and failed, and why:
 *  - only the process that loaded the shim: a forked child (the reaper's kill child) sees the
 *    calls pass through, and LD_PRELOAD is taken out of the environment at load, so programs
 *    the daemon starts (incident command, cancel) run without the shim;
 *  - write, pwrite, writev only to regular files above fd 2: stdout and stderr carry the log
 *    (a lost log line is not the engine's problem to test), sockets and pipes are the control
 *    protocol and GLib's wake-ups, where ENOSPC means nothing.
 * glibc's own internal calls (stdio's writes, mkostemp's open) do not go through the PLT and
 * are not seen; mkostemp is therefore interposed itself. GLib's calls into libc are seen.
 *
 * Thread-safe (atomic counters, real functions resolved once with relaxed atomics) and
 * async-signal-safe in the interposers (no allocation, no locks, no stdio; only the first call
 * before the constructor ran may go through dlsym). Under ASan, preload the ASan runtime first
 * (LD_PRELOAD="libasan.so.N faultshim.so"): its interceptors then forward to this shim. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define FAULT_FUNCS(X)                                                                              \
    X(write) X(pwrite) X(writev) X(rename) X(renameat) X(renameat2) X(unlink) X(unlinkat)           \
    X(unlinkat_dir) X(rmdir) X(mount) X(umount) X(umount2) X(fsync) X(fdatasync) X(syncfs)        \
    X(open_creat) X(mkostemp) X(mkdir) X(mkdirat) X(symlinkat) X(fchown) X(fchownat) X(fchmod)    \
    X(fchmodat) X(chmod) X(copy_file_range) X(sendfile)

enum {
#define X(n) F_##n,
    FAULT_FUNCS(X)
#undef X
    F_N
};

static const char *const fault_names[F_N] = {
#define X(n) #n,
    FAULT_FUNCS(X)
#undef X
};

static unsigned long counts[F_N];
static unsigned long fired;
static int target = -1;
static unsigned long nth;
static bool from_mode;
static int fault_errno = EIO;
static pid_t main_pid;
static char count_file[4096];

/* The next definition of each function after this library (libc, or what follows us),
 * resolved in the constructor so that no interposer calls dlsym later (in a forked child, in
 * a signal handler); a call that comes before the constructor resolves it then. */
#define REAL_FUNCS(X)                                                                              \
    X(write) X(pwrite) X(pwrite64) X(writev) X(rename) X(renameat) X(renameat2) X(unlink)          \
    X(unlinkat) X(rmdir) X(mount) X(umount) X(umount2) X(fsync) X(fdatasync) X(syncfs) X(open)    \
    X(open64) X(openat) X(openat64) X(creat) X(mkostemp) X(mkostemp64) X(mkstemp) X(mkdir)        \
    X(mkdirat) X(symlinkat) X(fchown) X(fchownat) X(fchmod) X(fchmodat) X(chmod)                  \
    X(copy_file_range) X(sendfile) X(sendfile64)

#define X(n) static __typeof__(&n) real_##n;
REAL_FUNCS(X)
#undef X

#define REAL(name)                                                                                 \
    ({                                                                                             \
        __typeof__(&name) p_ = __atomic_load_n(&real_##name, __ATOMIC_RELAXED);                    \
        if (!p_) {                                                                                 \
            p_ = (__typeof__(&name))dlsym(RTLD_NEXT, #name);                                       \
            __atomic_store_n(&real_##name, p_, __ATOMIC_RELAXED);                                  \
        }                                                                                          \
        p_;                                                                                        \
    })

static int parse_errno(const char *s)
{
    static const struct {
        const char *name;
        int e;
    } tab[] = { { "ENOSPC", ENOSPC }, { "EIO", EIO },       { "EINTR", EINTR },   { "EBUSY", EBUSY },
                { "EPERM", EPERM },   { "EROFS", EROFS },   { "EDQUOT", EDQUOT }, { "EACCES", EACCES },
                { "ENOMEM", ENOMEM }, { "EAGAIN", EAGAIN } };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(s, tab[i].name) == 0)
            return tab[i].e;
    int e = atoi(s);
    return e > 0 ? e : EIO;
}

__attribute__((constructor)) static void fault_init(void)
{
    const char *s;

#define X(n) (void)REAL(n);
    REAL_FUNCS(X)
#undef X
    main_pid = getpid();
    if ((s = getenv("RK_FAULT_CALL")))
        for (int i = 0; i < F_N; i++)
            if (strcmp(s, fault_names[i]) == 0)
                target = i;
    if ((s = getenv("RK_FAULT_NTH")))
        nth = strtoul(s, NULL, 10);
    if ((s = getenv("RK_FAULT_MODE")))
        from_mode = strcmp(s, "from") == 0;
    if ((s = getenv("RK_FAULT_ERRNO")))
        fault_errno = parse_errno(s);
    if ((s = getenv("RK_FAULT_COUNT_FILE")) && strlen(s) < sizeof count_file)
        strcpy(count_file, s);
    /* Programs the daemon starts are not under test. */
    unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void fault_fini(void)
{
    if (!count_file[0] || getpid() != main_pid)
        return;
    FILE *f = fopen(count_file, "we");
    if (!f)
        return;
    for (int i = 0; i < F_N; i++)
        fprintf(f, "%s %lu\n", fault_names[i], __atomic_load_n(&counts[i], __ATOMIC_RELAXED));
    fprintf(f, "fired %lu\n", __atomic_load_n(&fired, __ATOMIC_RELAXED));
    fclose(f);
}

/* Count a call of f; true (errno set) when this one is to fail. */
static bool fault(int f)
{
    if (getpid() != main_pid)
        return false;
    unsigned long n = __atomic_add_fetch(&counts[f], 1, __ATOMIC_RELAXED);
    if (f != target || nth == 0 || (from_mode ? n < nth : n != nth))
        return false;
    __atomic_add_fetch(&fired, 1, __ATOMIC_RELAXED);
    errno = fault_errno;
    return true;
}

static bool data_fd(int fd)
{
    struct stat st;
    return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (data_fd(fd) && fault(F_write))
        return -1;
    return REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (data_fd(fd) && fault(F_pwrite))
        return -1;
    return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    if (data_fd(fd) && fault(F_pwrite))
        return -1;
    return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    if (data_fd(fd) && fault(F_writev))
        return -1;
    return REAL(writev)(fd, iov, cnt);
}

int rename(const char *a, const char *b)
{
    return fault(F_rename) ? -1 : REAL(rename)(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
    return fault(F_renameat) ? -1 : REAL(renameat)(da, a, db, b);
}

int renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
    return fault(F_renameat2) ? -1 : REAL(renameat2)(da, a, db, b, flags);
}

int unlink(const char *p)
{
    return fault(F_unlink) ? -1 : REAL(unlink)(p);
}

int unlinkat(int d, const char *p, int flags)
{
    return fault((flags & AT_REMOVEDIR) ? F_unlinkat_dir : F_unlinkat) ? -1 : REAL(unlinkat)(d, p, flags);
}

int rmdir(const char *p)
{
    return fault(F_rmdir) ? -1 : REAL(rmdir)(p);
}

int mount(const char *src, const char *tgt, const char *type, unsigned long flags, const void *data)
{
    return fault(F_mount) ? -1 : REAL(mount)(src, tgt, type, flags, data);
}

int umount(const char *tgt)
{
    return fault(F_umount) ? -1 : REAL(umount)(tgt);
}

int umount2(const char *tgt, int flags)
{
    return fault(F_umount2) ? -1 : REAL(umount2)(tgt, flags);
}

int fsync(int fd)
{
    return fault(F_fsync) ? -1 : REAL(fsync)(fd);
}

int fdatasync(int fd)
{
    return fault(F_fdatasync) ? -1 : REAL(fdatasync)(fd);
}

int syncfs(int fd)
{
    return fault(F_syncfs) ? -1 : REAL(syncfs)(fd);
}

/* open and openat are variadic: the mode is there only with O_CREAT or O_TMPFILE (glibc's
 * __OPEN_NEEDS_MODE; O_TMPFILE includes O_DIRECTORY, which alone brings no mode). */
#define CREATES(flags) (((flags) & O_CREAT) || ((flags) & __O_TMPFILE) == __O_TMPFILE)
#define OPEN_MODE(flags, mode)                                                                     \
    do {                                                                                           \
        if (CREATES(flags)) {                                                                      \
            va_list ap;                                                                            \
            va_start(ap, flags);                                                                   \
            mode = (mode_t)va_arg(ap, int);                                                        \
            va_end(ap);                                                                            \
        }                                                                                          \
    } while (0)

int open(const char *p, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    if (CREATES(flags) && fault(F_open_creat))
        return -1;
    return REAL(open)(p, flags, mode);
}

int open64(const char *p, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    if (CREATES(flags) && fault(F_open_creat))
        return -1;
    return REAL(open64)(p, flags, mode);
}

int openat(int d, const char *p, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    if (CREATES(flags) && fault(F_open_creat))
        return -1;
    return REAL(openat)(d, p, flags, mode);
}

int openat64(int d, const char *p, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    if (CREATES(flags) && fault(F_open_creat))
        return -1;
    return REAL(openat64)(d, p, flags, mode);
}

int creat(const char *p, mode_t mode)
{
    return fault(F_open_creat) ? -1 : REAL(creat)(p, mode);
}

int mkostemp(char *tmpl, int flags)
{
    return fault(F_mkostemp) ? -1 : REAL(mkostemp)(tmpl, flags);
}

int mkostemp64(char *tmpl, int flags)
{
    return fault(F_mkostemp) ? -1 : REAL(mkostemp64)(tmpl, flags);
}

int mkstemp(char *tmpl)
{
    return fault(F_mkostemp) ? -1 : REAL(mkstemp)(tmpl);
}

int mkdir(const char *p, mode_t mode)
{
    return fault(F_mkdir) ? -1 : REAL(mkdir)(p, mode);
}

int mkdirat(int d, const char *p, mode_t mode)
{
    return fault(F_mkdirat) ? -1 : REAL(mkdirat)(d, p, mode);
}

int symlinkat(const char *target_, int d, const char *p)
{
    return fault(F_symlinkat) ? -1 : REAL(symlinkat)(target_, d, p);
}

int fchown(int fd, uid_t u, gid_t g)
{
    return fault(F_fchown) ? -1 : REAL(fchown)(fd, u, g);
}

int fchownat(int d, const char *p, uid_t u, gid_t g, int flags)
{
    return fault(F_fchownat) ? -1 : REAL(fchownat)(d, p, u, g, flags);
}

int fchmod(int fd, mode_t mode)
{
    return fault(F_fchmod) ? -1 : REAL(fchmod)(fd, mode);
}

int fchmodat(int d, const char *p, mode_t mode, int flags)
{
    return fault(F_fchmodat) ? -1 : REAL(fchmodat)(d, p, mode, flags);
}

int chmod(const char *p, mode_t mode)
{
    return fault(F_chmod) ? -1 : REAL(chmod)(p, mode);
}

ssize_t copy_file_range(int in, off64_t *oin, int out, off64_t *oout, size_t n, unsigned flags)
{
    return fault(F_copy_file_range) ? -1 : REAL(copy_file_range)(in, oin, out, oout, n, flags);
}

ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
    return fault(F_sendfile) ? -1 : REAL(sendfile)(out, in, off, n);
}

ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
    return fault(F_sendfile) ? -1 : REAL(sendfile64)(out, in, off, n);
}
