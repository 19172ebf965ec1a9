/* The reaper: ends every process of the guest before anything of theirs is deleted.
 *
 * A guest may fork, respawn or exec setuid programs while being killed. The kill is done by a
 * child that becomes the guest (setgroups, setresgid, setresuid to the guest's ids, checked)
 * and calls kill(-1, SIGKILL): the kernel then signals every process the guest can signal, and
 * fork() fails for a task with a pending SIGKILL, so no child escapes. This repeats until a
 * /proc scan finds no live process (zombies do not count) with the uid as real, effective,
 * saved or file-system uid. A guest that kills the kill child itself (kill(-1) in a loop) is
 * first frozen: root SIGSTOPs each of its processes through a pidfd, then the rounds go on.
 * uid 0 is refused (-EPERM) before anything else.
 * Never logs. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    unsigned rounds;     /* kill rounds needed */
    unsigned found;      /* live processes of the uid seen by the first scan */
    unsigned frozen;     /* SIGSTOPs root sent because the guest killed a kill child */
    int64_t duration_ns; /* wall time of reaper_kill_uid */
} ReaperStats;

/* Kill every process of uid, verified by /proc scans, giving up after timeout_ms.
 * proc_root is "/proc" except in tests. Returns 0 when verified none is left, -ETIMEDOUT if
 * processes remain, -EPERM for uid 0, other -errno on failure. stats may be NULL. */
int reaper_kill_uid(uid_t uid, const char *proc_root, int timeout_ms, ReaperStats *stats);

/* Number of live (non-zombie) processes with uid as any of their uids, or -errno. */
int reaper_count_uid(uid_t uid, const char *proc_root);

/* Send SIGSTOP, as root and through a pidfd (safe against pid reuse), to every live process
 * of uid in /proc. Returns how many were found, or -errno; -EPERM for uid 0. The kill uses it
 * when the guest fights back; a stopped process can neither kill nor fork. */
int reaper_freeze_uid(uid_t uid);

/* Ask logind (org.freedesktop.login1, system bus, honours DBUS_SYSTEM_BUS_ADDRESS) to
 * TerminateUser(uid), with a timeout of timeout_ms. Returns TRUE when logind answered OK;
 * FALSE with error when there is no system bus or no logind (that is not a failure of the
 * wipe: the uid kill always follows). */
gboolean reaper_logind_terminate(uid_t uid, int timeout_ms, GError **error);
