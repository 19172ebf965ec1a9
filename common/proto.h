/* The control protocol of rentarkd: one request line, one reply line, over the unix socket
 * paths.socket. Shared by rentarkd, rentarkctl and rentark-session; written once here.
 *
 * Request:  VERB [ARG ...]\n          Reply:  OK [key=value ...]\n
 *                                             ERR <code> <message>\n
 * A line is at most RK_PROTO_MAX_LINE bytes including the newline, printable ASCII plus
 * escapes: arguments and values are percent-escaped (%XX) for space, '%', '=', control bytes
 * and bytes >= 0x7f, so a value may carry any bytes (a volunteer's name "Kari Nordmann" is
 * "Kari%20Nordmann"). A reply to `stats json` is `OK json=<escaped JSON>`.
 *
 * Verbs (who may use them: A = root/admin group, G = the guest, V = volunteer group, * = anyone)
 *   status                       *  state=READY|NOTICE|ACTIVE|ENDING|WIPING|BLOCKED|CLOSED
 *                                   session=ID guided=0|1 volunteer=NAME
 *                                   time_left=S (ACTIVE: until the session ends, by its time
 *                                   limit or the library's closing, whichever comes first; -1
 *                                   for neither, or not ACTIVE) idle_left=S
 *                                   warn=S (the session.warnings entry in force for time_left)
 *                                   extends_left=N (extend calls the running session has left;
 *                                   0 when it has no time limit, extending is off or its limit
 *                                   already reaches the closing)
 *                                   last_wipe=UNIX verified=0|1 closed=notice-texts|-
 *                                   session_time=S (what a session accepted now would get:
 *                                   session.time_limit, or less when the library closes sooner;
 *                                   -1 no end in sight, 0 closed)
 *                                   closes_at=UNIX (open: the end of this opening; 0 closed, or
 *                                   no closing in sight) opens_at=UNIX (closed by the hours: the
 *                                   next opening; 0 open, or none in the schedule)
 *                                   closing_warn=S (the hours.warnings entry in force, seconds
 *                                   before closing; 0 none) override=open|close|- (today's staff
 *                                   override of the hours)
 *                                   waiting_input=0|1 (ACTIVE, no input since the accept yet:
 *                                   the time limit has not started, time_left holds still)
 *                                   locked=0|1 lock_left=S (-1 when not locked)
 *                                   lock_tries_left=N (the step-away lock)
 *                                   caller=guest|other, incidents_open=N (root and the
 *                                   admin group only: the open incidents), and the settings of
 *                                   session-config
 *                                   (generation=N among them: a client compares it with the one of
 *                                   its settings and asks session-config again when it differs)
 *   session-config               G A  generation=N idle_timeout=S idle_warning=S
 *                                   idle_report_interval=S lang=nb (the default language)
 *                                   guided_enabled=0|1 extend_by=S max_extends=N
 *                                   screen_reader=0|1 step_away_max=S (0: no lock)
 *                                   start_on_first_input=0|1 first_input_wait=S
 *                                   warnings=S,S|- closing_warnings=S,S|-
 *                                   (hours.warnings) seat_name=NAME (seat.name, UTF-8 escaped
 *                                   as any value; empty: the PC has no name) languages=nb,nn,en (in
 *                                   order, first = default) notice_dir=PATH (notice.text_dir;
 *                                   left out only if it would make the line too long): what
 *                                   the guest's client needs and may not read from the file,
 *                                   which holds the PIN hashes. N changes at every start and
 *                                   reload of the daemon.
 *   accept                       G  NOTICE -> ACTIVE (after the guided consent, if guided)
 *   decline                      G  NOTICE -> ENDING
 *   end [REASON]                 G A  end the session (reason: button|logout|staff)
 *   extend                       G  ACTIVE with a time limit: the limit moves extend_by seconds
 *                                   later, never past the closing, at most max_extends times per
 *                                   session; OK with the status; ERR state (not ACTIVE),
 *                                   no-limit, denied (extend_by or max_extends is 0), exhausted,
 *                                   closing (the limit already reaches the closing)
 *   idle SECONDS                 G  the session's idle time, as the client measured it; with
 *                                   start_on_first_input, input since the accept starts the
 *                                   time limit (at the input: now - SECONDS)
 *   lock CODE                    G  ACTIVE: lock the screen with CODE (4-8 digits) for at most
 *                                   step_away_max s; ERR state (not ACTIVE, already locked),
 *                                   denied (step_away_max 0), invalid (not 4-8 digits). The
 *                                   client must call (status) at least every 10 s while locked
 *   unlock CODE                  G  the right code unlocks; ERR wrong-code (the 5th ends the
 *                                   session: lock_wrong_code), state (not locked). Staff end a
 *                                   locked session (end), never unlock it
 *   volunteers                   G V A  n=N id0=ID name0=NAME ... (for the picker)
 *   guided ID PIN                G V A  check a volunteer; OK name=NAME; ERR pin|locked|declaration|training
 *   consent                      G  the patron agreed that the helper may look at the screen
 *   stats [json]                 A
 *   incidents                    A  n=N id0=ID time0=UNIX deadline0=UNIX what0=TEXT ...
 *   resolve ID                   A
 *   hook session-setup USER      A  display manager: a session of USER begins
 *   hook session-cleanup USER    A  display manager: it ended
 *   wipe-dry-run                 A  counts per category
 *   open HH:MM                   A  staff: open now until HH:MM today (24:00 = midnight),
 *                                   whatever the opening hours say; OK with the status; ERR
 *                                   invalid (malformed, or not later today). Lapses at midnight.
 *   close                        A  staff: closed now until the next regular opening (at the
 *                                   latest midnight); a running session ends (reason closing).
 *
 * Outside the opening hours (config group hours) the seat is CLOSED: hook session-setup is
 * refused (ERR state), and at closing a running session ends with the reason closing.
 *
 * Error codes: denied, invalid, unknown, state, pin, locked (too many wrong PINs in this session),
 * declaration, training, no-limit, exhausted (no extension left in this session), closing (no
 * more time before the library closes), wrong-code (unlock), busy, internal. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define RK_PROTO_MAX_LINE 4096 /* bytes, newline included */
#define RK_PROTO_MAX_ARGS 64

typedef struct {
    char *verb;  /* lower case, unescaped */
    char **args; /* NULL-terminated, unescaped (may contain any bytes but NUL) */
    int n_args;
} RkRequest;

/* Parse one request line (without or with its trailing newline; len bytes, not necessarily
 * NUL-terminated). Returns NULL with a message in *ret_error (static string) for an empty,
 * overlong, non-ASCII, badly escaped line or one with too many arguments. */
RkRequest *rk_proto_parse_request(const char *line, size_t len, const char **ret_error);
void rk_request_free(RkRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RkRequest, rk_request_free)

/* Percent-escape s (any bytes but NUL) for a line. Returns a new string. */
char *rk_proto_escape(const char *s);
/* The same, appended to out (no copy of s but the escaped one in out). */
void rk_proto_append_escaped(GString *out, const char *s);
/* The length of s escaped, without escaping it. */
size_t rk_proto_escaped_len(const char *s);

/* Undo rk_proto_escape. Returns NULL for a bad escape or an escaped NUL. */
char *rk_proto_unescape(const char *s, size_t len);

/* A reply being built: "OK" followed by key=value pairs. */
typedef struct {
    GString *s;
} RkReply;

void rk_reply_init_ok(RkReply *r);
void rk_reply_add(RkReply *r, const char *key, const char *value);
void rk_reply_add_int(RkReply *r, const char *key, long long value);
/* The finished line with its newline; owned by the caller. Frees the builder. */
char *rk_reply_finish(RkReply *r);
/* "ERR code message\n" (message escaped). */
char *rk_reply_error(const char *code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A parsed reply: ok or an error code and message; key/value pairs of an OK. */
typedef struct {
    bool ok;
    char *code;    /* ERR only */
    char *message; /* ERR only */
    GHashTable *kv; /* OK only: key -> unescaped value */
} RkParsedReply;

/* Parse a reply line. Returns NULL for a malformed one. */
RkParsedReply *rk_proto_parse_reply(const char *line, size_t len);
void rk_parsed_reply_free(RkParsedReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RkParsedReply, rk_parsed_reply_free)
const char *rk_reply_get(const RkParsedReply *r, const char *key);

/* ---- One name for each thing ---------------------------------------------------------------
 * The vocabulary that rentarkd, rentarkctl and rentark-session share, each kind as one enum
 * with one name table (proto.c). The names are an interface: they travel on the socket, stand
 * in the journal and the statistics file, and are the labels of the metrics. */

/* The seat's state; the name is `status`'s state= and the journal's state=. */
typedef enum {
    SEAT_READY,   /* clean, verified, waiting for a patron */
    SEAT_NOTICE,  /* a guest session started; the notice is up */
    SEAT_ACTIVE,  /* the patron accepted; the session runs */
    SEAT_ENDING,  /* the session is ending: processes being stopped */
    SEAT_WIPING,  /* the wipe runs or is retried; no login */
    SEAT_BLOCKED, /* a wipe could not be verified: out of order until an admin resolves it */
    SEAT_CLOSED,  /* clean, but outside the opening hours (hours, or staff's `close`): no login */
    SEAT_N_STATES
} SeatState;

/* "READY", "NOTICE", "ACTIVE", "ENDING", "WIPING", "BLOCKED", "CLOSED"; "?" out of range. */
const char *rk_seat_state_name(SeatState s);
/* The state of that name (exact, upper case); SEAT_N_STATES for NULL or any other string. */
SeatState rk_seat_state_from_name(const char *name);

/* Why a session ended; the name is the journal's end_reason=, a key of the statistics'
 * end_reasons and the metric label reason=. */
typedef enum {
    END_LOGOUT,
    END_BUTTON,
    END_IDLE,
    END_TIME_LIMIT,
    END_STAFF,
    END_SHUTDOWN,
    END_DECLINE,
    END_CRASH_RECOVERY, /* found unfinished at start-up: the daemon or the machine stopped */
    END_CLOSING,        /* the library closed: the opening hours, or staff's `close` */
    END_LOCK_TIMEOUT,   /* the patron's step-away lock ran out (session.step_away_max) */
    END_LOCK_WRONG_CODE, /* the step-away lock was given too many wrong codes */
    END_N
} EndReason;

/* "logout", "button", "idle", "time_limit", "staff", "shutdown", "decline", "crash_recovery",
 * "closing"; "?" out of range. */
const char *rk_end_reason_name(EndReason r);

/* What the wipe acts on and reports, by category: where it removes entries (the statistics'
 * wiped_entries, metric label category=), then the classes of the census (label class=), of
 * which all but processes and files are the foothold remover's too. Arrays of counts per
 * category are indexed by this enum and sized RK_WIPE_N; each module fills its own range. */
typedef enum {
    RK_WIPE_HOME,          /* the old home, moved into the trash */
    RK_WIPE_TMP,           /* sweep: wipe.sweep folders (/tmp, /var/tmp, /dev/shm, ...) */
    RK_WIPE_RUN_USER,      /* sweep: paths.run_user_dir/UID */
    RK_WIPE_PRINT,         /* sweep: CUPS jobs and spool files */
    RK_WIPE_CRASH,         /* sweep: apport and systemd-coredump dumps */
    RK_WIPE_JOURNAL,       /* sweep: the guest's user journal files */
    RK_WIPE_WATCH,         /* watched folders: what the session created there */
    RK_WIPE_PROCESSES,     /* census: live tasks of the guest */
    RK_WIPE_MOUNTS,        /* census, footholds: mounts made by or for the guest */
    RK_WIPE_FILES,         /* census: inodes of the guest on every local writable file system */
    RK_WIPE_SYSV_IPC,      /* census, footholds: System V shm, msg, sem */
    RK_WIPE_MQUEUE,        /* census, footholds: POSIX message queues */
    RK_WIPE_KEYS,          /* census, footholds: kernel keyrings and keys */
    RK_WIPE_SCHEDULED,     /* census, footholds: crontab, at jobs, lingering */
    RK_WIPE_SERVICE_STATE, /* census, footholds: AccountsService and LightDM records */
    RK_WIPE_N
} RkWipeCategory;

#define RK_WIPE_SWEEP_FIRST RK_WIPE_TMP       /* the sweep's range, first to last */
#define RK_WIPE_SWEEP_LAST RK_WIPE_JOURNAL
#define RK_WIPE_ENTRIES_LAST RK_WIPE_WATCH    /* wiped entries: RK_WIPE_HOME to this one */
#define RK_WIPE_CENSUS_FIRST RK_WIPE_PROCESSES /* the census: this one to RK_WIPE_N - 1 */

/* "home", "tmp", "run-user", "print", "crash", "journal", "watch", "processes", "mounts",
 * "files", "sysv-ipc", "mqueue", "keys", "scheduled", "service-state"; "unknown" out of
 * range. */
const char *rk_wipe_category_name(RkWipeCategory c);
