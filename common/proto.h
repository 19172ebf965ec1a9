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
 *   status                       *  state=READY|NOTICE|ACTIVE|ENDING|WIPING|BLOCKED session=ID
 *                                   guided=0|1 volunteer=NAME time_left=S idle_left=S warn=S
 *                                   last_wipe=UNIX verified=0|1 closed=notice-texts|-
 *                                   caller=guest|other, and the settings of session-config
 *                                   (generation=N among them: a client compares it with the one of
 *                                   its settings and asks session-config again when it differs)
 *   session-config               G A  generation=N idle_timeout=S idle_warning=S
 *                                   idle_report_interval=S lang=nb (the default language)
 *                                   guided_enabled=0|1 warnings=S,S|- languages=nb,nn,en (in
 *                                   order, first = default) notice_dir=PATH (notice.text_dir;
 *                                   left out only if it would make the line too long): what
 *                                   the guest's client needs and may not read from the file,
 *                                   which holds the PIN hashes. N changes at every start and
 *                                   reload of the daemon.
 *   accept                       G  NOTICE -> ACTIVE (after the guided consent, if guided)
 *   decline                      G  NOTICE -> ENDING
 *   end [REASON]                 G A  end the session (reason: button|logout|staff)
 *   idle SECONDS                 G  the session's idle time, as the client measured it
 *   volunteers                   G V A  n=N id0=ID name0=NAME ... (for the picker)
 *   guided ID PIN                G V A  check a volunteer; OK name=NAME; ERR pin|locked|declaration|training
 *   consent                      G  the patron agreed that the helper may look at the screen
 *   stats [json]                 A
 *   incidents                    A  n=N id0=ID time0=UNIX deadline0=UNIX what0=TEXT ...
 *   resolve ID                   A
 *   hook session-setup USER      A  display manager: a session of USER begins
 *   hook session-cleanup USER    A  display manager: it ended
 *   wipe-dry-run                 A  counts per category
 *
 * Error codes: denied, invalid, unknown, state, pin, locked (too many wrong PINs in this session),
 * declaration, training, busy, internal. */
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
