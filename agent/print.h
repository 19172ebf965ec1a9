/* Private printing: the guest's jobs on the CUPS server, through libcups (IPP).
 *
 * print_server_purge asks the server for every job and cancels and purges the guest's, so
 * that the server forgets them (queue, history, files, titles). print_control_file_owner reads
 * a spool control file with libcups' own IPP reader, for the spool-side safety net when the
 * server does not run. Neither logs; neither ever returns or keeps a job's title or file name. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The wipe talks to the server twice: to cancel and purge (PRINT_PURGE_TIMEOUT_MS), and to
 * verify that nothing of the guest is listed (PRINT_VERIFY_TIMEOUT_MS); together at most 10 s,
 * connections included, whatever the server does. */
#define PRINT_PURGE_TIMEOUT_MS 7000
#define PRINT_VERIFY_TIMEOUT_MS 3000

/* The longest control file read (cupsd writes a few KiB; anything larger is not parsed). */
#define PRINT_CONTROL_MAX (4 * 1024 * 1024)

typedef struct {
    bool connected;          /* a server accepted the connection */
    bool reached;            /* the server answered */
    uint64_t jobs_found;     /* jobs of the guest the server listed (all states) */
    uint64_t jobs_cancelled; /* of those, cancelled and purged on our request */
    uint64_t jobs_left;      /* of those, still listed when the call returned */
} PrintServerResult;

typedef enum {
    PRINT_CANCEL = 1 << 0, /* cancel and purge the guest's jobs (else only list them) */
} PrintFlags;

/* Ask the CUPS server listening on the unix socket `server` for every job of every printer
 * (which-jobs=all) with its job-originating-user-name, as the calling process's user (root,
 * authenticated by its peer credentials). With PRINT_CANCEL, cancel and purge each of `user`'s
 * jobs (Cancel-Job, purge-job=true) and wait, within the time left, until the server no longer
 * lists them. The ids of the guest's jobs are added to ret_ids (a set of GINT_TO_POINTER ids)
 * when it is not NULL. Everything ends within timeout_ms.
 * Returns 0 (also when no server listens: then ret->reached is false), -ETIMEDOUT, -EACCES
 * (the server refused), -EIO (any other IPP error), or -ENOTEMPTY when jobs of the guest are
 * still listed after the cancel. Thread: uses libcups' per-thread settings of the caller. */
int print_server_purge(const char *server, const char *user, PrintFlags flags, int timeout_ms, GHashTable *ret_ids,
                       PrintServerResult *ret);

/* Whether the CUPS control file `name` in dirfd (cNNNNN, an IPP message cupsd wrote) names
 * `user` as its job-originating-user-name, read with libcups (ippReadIO), never by hand.
 * Returns 1 (the guest's), 0 (someone else's, or no such attribute), -errno when the file
 * cannot be opened, or -EBADMSG when it is larger than PRINT_CONTROL_MAX or not IPP. */
int print_control_file_owner(int dirfd, const char *name, const char *user);
