/* Watched folders: persistent folders outside the home (a scanner's drop folder, a shared
 * folder) are watched with libinotifytools during a session, and every entry created there
 * during the session is removed at its end, with all it holds.
 *
 * What counts as created (the rules are enforced in watch.c where events are handled):
 *  - an entry created during the session (IN_CREATE), and an entry moved in from outside the
 *    watched folders;
 *  - an entry renamed within the watched folders keeps what it was: a created file renamed
 *    over an older one is created (the older content is gone anyway), a pre-existing entry
 *    renamed stays, under its new name;
 *  - everything inside a created directory goes with it, including a pre-existing entry the
 *    guest moved into it (moving it needed the write permission that would let them delete it).
 * Entries that existed before the session are never removed or changed, even when modified.
 *
 * Never "nothing": when events may have been lost (queue overflow, the watch limit
 * max_user_watches, a directory that could not be watched, memory bounds), watch_finish also
 * scans the folders by time and removes every entry born (statx btime; ctime where the file
 * system has no birth time, which also catches pre-existing entries renamed or modified during
 * the session) at or after the session start.
 *
 * Deletion is the safe remover's (rm_at on a parent fd reached fd-relatively from the watched
 * folder, O_NOFOLLOW at every step, never into another mount); a path is never re-resolved.
 * libinotifytools keeps global state: at most ONE Watch may be started at a time in a process,
 * and every call must come from the thread that runs the default GLib main context.
 * Never logs and never reports a name: the caller logs counts and the GError messages. */
#pragma once

#include "rmtree.h"

#include <glib.h>
#include <stdint.h>

typedef struct Watch Watch;

#define WATCH_ERROR (watch_error_quark())
GQuark watch_error_quark(void);

typedef enum {
    WATCH_ERROR_INOTIFY, /* inotify could not be set up: the end-of-session scan stands in */
    WATCH_ERROR_LIMIT,   /* max_user_watches reached: part of a folder is covered by the scan */
    WATCH_ERROR_PARTIAL, /* a folder or a directory in it could not be watched (missing, other
                          * error): covered by the scan */
} WatchError;

/* Why watch_finish scanned by time (bit set in WatchStats.fallback). */
typedef enum {
    WATCH_FALLBACK_OVERFLOW = 1 << 0, /* the inotify queue overflowed (IN_Q_OVERFLOW) */
    WATCH_FALLBACK_LIMIT = 1 << 1,    /* a watch could not be added: max_user_watches */
    WATCH_FALLBACK_UNWATCHED = 1 << 2, /* a directory could not be watched (other error, too deep,
                                        * another mount, a folder missing at start) */
    WATCH_FALLBACK_MEMORY = 1 << 3,   /* the bound on recorded entries was reached */
    WATCH_FALLBACK_LOST = 1 << 4,     /* a recorded entry could not be reached any more */
    WATCH_FALLBACK_INOTIFY = 1 << 5,  /* inotify itself failed (init, read) */
} WatchFallback;

typedef struct {
    RmStats removed;   /* what the safe remover removed (or counted, with RM_DRY_RUN) */
    uint64_t recorded; /* created entries recorded at the end (top-most ones only) */
    uint64_t events;   /* inotify events handled */
    uint64_t scanned;  /* entries examined by the time scan (0 when there was none) */
    unsigned fallback; /* WatchFallback bits; 0 when events alone were enough */
} WatchStats;

/* A watcher for the given folders (absolute paths; NULL or empty = nothing to watch).
 * Nothing is opened yet. Returns NULL with error only for a path that is not absolute. */
Watch *watch_new(char *const *paths, GError **error);

/* Session start: records the start time, opens each folder (O_NOFOLLOW|O_DIRECTORY), watches
 * it recursively and attaches to the default GLib main context. Returns TRUE when everything is
 * watched; FALSE with error when something is not (the caller logs it as a warning): the Watch
 * stays usable and watch_finish covers the rest by the scan. Call once per Watch. */
gboolean watch_start(Watch *w, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Session end: handles the events still queued, stops watching, then removes every entry
 * created during the session (RM_DRY_RUN: counts only) and scans by time if events may have
 * been lost. stats (may be NULL) is overwritten. Returns 0 or the first -errno ("keep going":
 * everything removable is removed). After a failed watch_start it relies on the scan; without
 * any watch_start (no session start time) it removes nothing and returns 0. Call once. */
int watch_finish(Watch *w, RmFlags flags, WatchStats *stats);

/* Crash recovery: the daemon died during a session, so the record of what was created is
 * lost. Remove below the folders every entry born at or after since_unix (the journaled
 * session start), as the time scan of watch_finish does. Returns 0 or the first -errno. */
int watch_scan_since(char *const *paths, int64_t since_unix, RmFlags flags, WatchStats *stats);

/* Stop following events (main thread): the events queued so far are read and recorded, and
 * libinotifytools is released. Afterwards the Watch no longer touches libinotifytools or the
 * main context, so watch_finish may run in another thread (the wipe's, once the guest's
 * processes are stopped). Idempotent; NULL is fine. */
void watch_stop(Watch *w);

/* Stop watching if still started (without removing anything) and free. NULL is fine. */
void watch_free(Watch *w);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Watch, watch_free)
