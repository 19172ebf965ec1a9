/* libFuzzer target: the control protocol, from hostile bytes to the reply a peer reads.
 *
 * Every input goes through the codec (request parser, unescape/escape, reply parser) and then
 * through control_handle() itself, the way the socket server calls it. The first byte chooses
 * who is asking: a stranger, the guest or a volunteer, never root or an admin, so that no verb
 * can start a session or a wipe; the seat is never started and must stay READY.
 *
 * Invariants checked (abort on violation):
 *   - escape(u) is printable ASCII without ' ', '=' or a bare '%', and unescape(escape(u)) == u;
 *     escape(unescape(x)) is a fixed point of escape(unescape(.));
 *   - a parsed request serialises back (verb and arguments escaped) to a request that parses
 *     to the same verb and arguments;
 *   - every reply of control_handle is one line ending in '\n', starts with "OK" or "ERR ",
 *     is shorter than RK_PROTO_MAX_LINE and parses with rk_proto_parse_reply;
 *   - session-config asked by the guest is answered with well-formed settings (a generation,
 *     the limits, language codes the configuration would accept);
 *   - the seat is READY after every input, and nothing logs a warning or a critical.
 *
 * The seat and its configuration are built once (the guest is "nobody", every path in a
 * mkdtemp dir); the Control is made fresh for each input so that a run is deterministic (the
 * PIN try counter would otherwise carry over from one input to the next). */
#include "config.h"
#include "control.h"
#include "proto.h"
#include "seat.h"
#include "stats.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STRANGER_UID 65533 /* no passwd entry: in no group, not the guest */
#define VOLUNTEER_UID 1    /* "daemon", a member of the group "daemon" (volunteer_group below) */

static RkConfig *fuzz_cfg;
static Seat *fuzz_seat;
static Stats *fuzz_stats;
static char fuzz_dir[] = "/tmp/rk-fuzz-proto.XXXXXX";

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz-proto: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Like G_DEBUG=fatal-warnings: a warning from the control path is a finding. Debug and
 * notices (the PIN failure message) are dropped to keep the fuzzer's output readable. */
static GLogWriterOutput quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
        g_log_writer_standard_streams(level, fields, n_fields, data);
        abort();
    }
    return G_LOG_WRITER_HANDLED;
}

/* No input may change the seat's state: any committed transition is a finding. */
static void on_seat_changed(Seat *seat, SeatState old_state, SeatState new_state, gpointer data)
{
    fprintf(stderr, "fuzz-proto: the seat changed state %d -> %d\n", (int)old_state, (int)new_state);
    abort();
}

/* Runs at a normal exit; libFuzzer's -max_total_time exit may skip it and leave the empty dir. */
static void remove_fuzz_dir(void)
{
    g_autofree char *state = g_build_filename(fuzz_dir, "state", NULL);
    (void)g_rmdir(state);
    (void)g_rmdir(fuzz_dir);
}

/* Volunteers with cheap sha256crypt hashes (PINs 2468 and 1357) so that a fuzzed "guided"
 * costs a fraction of a millisecond; one for each outcome of the checks in do_guided(). */
static const char config_template[] =
    "guest = { user = \"nobody\"; home = \"%1$s/home\"; skeleton = \"%1$s/skel\"; create = false; };\n"
    "session = { time_limit = 3600; idle_timeout = 900; idle_warning = 60; warnings = [ 300, 60 ]; };\n"
    "wipe = { trash_dir = \"%1$s/trash\"; sweep = [ \"%1$s/tmp\" ]; };\n"
    "notice = { text_dir = \"%1$s/notice\"; };\n"
    "guided = { enabled = true; required_modules = [ 1, 2, 3 ]; declaration_validity_days = 3650; };\n"
    "volunteers = (\n"
    "  { id = \"anna\"; name = \"Anna Nordmann %%=æ\"; declaration_signed = \"2025-01-01\"; modules = [ 1, 2, 3 ];\n"
    "    pin_hash = \"$5$rounds=1000$rkfuzzsalt$RNwsfVkMYsIbKl3HCy21d.7dq9My9SfOuqgxaNNVXgA\"; },\n"
    "  { id = \"bjorn\"; name = \"Bjørn\"; modules = [ 1, 2, 3 ];\n"
    "    pin_hash = \"$5$rounds=1000$rkfuzzsalt$RNwsfVkMYsIbKl3HCy21d.7dq9My9SfOuqgxaNNVXgA\"; },\n"
    "  { id = \"carl\"; name = \"Carl\"; declaration_signed = \"2001-01-01\"; modules = [ 1, 2, 3 ];\n"
    "    pin_hash = \"$5$rounds=1000$rkfuzzsalt$Sw/pGABjDspdCJNKo9nPPQ8LONFa3VOQknSfRkEwLu/\"; },\n"
    "  { id = \"dina\"; name = \"Dina\"; declaration_signed = \"2025-01-01\"; modules = [ 2 ];\n"
    "    pin_hash = \"$5$rounds=1000$rkfuzzsalt$Sw/pGABjDspdCJNKo9nPPQ8LONFa3VOQknSfRkEwLu/\"; }\n"
    ");\n"
    "paths = { state_dir = \"%1$s/state\"; socket = \"%1$s/control.sock\"; run_user_dir = \"%1$s/run\";\n"
    "          cups_spool = \"%1$s/spool\"; crash_dirs = [ \"%1$s/crash\" ]; journal_dir = \"%1$s/journal\"; };\n"
    "access = { admin_group = \"rk-fuzz-no-such-group\"; volunteer_group = \"daemon\"; };\n";

static void fuzz_init(void)
{
    GError *error = NULL;

    g_log_set_writer_func(quiet_writer, NULL, NULL);
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz-proto: mkdtemp");
        abort();
    }
    atexit(remove_fuzz_dir);
    char *text = g_strdup_printf(config_template, fuzz_dir);
    fuzz_cfg = rk_config_load_string(text, "fuzz-proto.conf", false, &error);
    g_free(text);
    if (!fuzz_cfg) {
        fprintf(stderr, "fuzz-proto: config: %s\n", error->message);
        abort();
    }
    fuzz_seat = seat_new(fuzz_cfg, &error);
    if (!fuzz_seat) {
        fprintf(stderr, "fuzz-proto: seat: %s (needs the user \"nobody\")\n", error->message);
        abort();
    }
    (void)seat_add_observer(fuzz_seat, on_seat_changed, NULL);
    fuzz_stats = stats_new(fuzz_cfg->state_dir);
    /* seat_start() is never called: it could wipe, and the fuzzer must never delete. */
    CHECK(seat_state(fuzz_seat) == SEAT_READY);
}

static void check_escaped(const char *e)
{
    for (const char *p = e; *p; p++) {
        unsigned char c = (unsigned char)*p;
        CHECK(c > 0x20 && c < 0x7f && c != '=');
        if (c == '%') {
            CHECK(g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2]));
            CHECK(!(p[1] == '0' && p[2] == '0'));
        }
    }
}

/* unescape/escape on the raw bytes (up to the first NUL: a C string cannot carry more). */
static void fuzz_escaping(const char *s, size_t len)
{
    len = strnlen(s, len);
    char *u = rk_proto_unescape(s, len);
    if (u) {
        char *e = rk_proto_escape(u);
        check_escaped(e);
        CHECK(strlen(e) <= 3 * strlen(u));
        char *u2 = rk_proto_unescape(e, strlen(e));
        CHECK(u2 && strcmp(u, u2) == 0);
        char *e2 = rk_proto_escape(u2);
        CHECK(strcmp(e, e2) == 0);
        g_free(u2);
        g_free(e2);
        g_free(e);
        g_free(u);
    }
    /* Escaping any string is total and reversible. */
    char *raw = g_strndup(s, len);
    char *e = rk_proto_escape(raw);
    check_escaped(e);
    char *back = rk_proto_unescape(e, strlen(e));
    CHECK(back && strcmp(back, raw) == 0);
    g_free(back);
    g_free(e);
    g_free(raw);
}

static void fuzz_request(const char *line, size_t len)
{
    const char *err = NULL;
    RkRequest *r = rk_proto_parse_request(line, len, &err);
    if (!r) {
        CHECK(err && *err);
        return;
    }
    CHECK(r->verb && *r->verb);
    CHECK(r->n_args >= 0 && r->n_args <= RK_PROTO_MAX_ARGS);
    CHECK(r->args[r->n_args] == NULL);
    for (const char *p = r->verb; *p; p++)
        CHECK(!g_ascii_isupper(*p));
    /* Serialise it again: the canonical line must parse to the same request. */
    GString *again = g_string_new(NULL);
    char *e = rk_proto_escape(r->verb);
    g_string_append(again, e);
    g_free(e);
    for (int i = 0; i < r->n_args; i++) {
        CHECK(r->args[i] && *r->args[i]);
        e = rk_proto_escape(r->args[i]);
        g_string_append_c(again, ' ');
        g_string_append(again, e);
        g_free(e);
    }
    g_string_append_c(again, '\n');
    /* Canonical escaping may be longer than the input ("=" becomes "%3D"): only a line that
     * still fits must parse. */
    if (again->len < RK_PROTO_MAX_LINE) {
        RkRequest *r2 = rk_proto_parse_request(again->str, again->len, &err);
        CHECK(r2);
        CHECK(strcmp(r->verb, r2->verb) == 0 && r->n_args == r2->n_args);
        for (int i = 0; i < r->n_args; i++)
            CHECK(strcmp(r->args[i], r2->args[i]) == 0);
        rk_request_free(r2);
    }
    g_string_free(again, TRUE);
    rk_request_free(r);
}

static void fuzz_reply_parser(const char *line, size_t len)
{
    RkParsedReply *p = rk_proto_parse_reply(line, len);
    if (!p)
        return;
    if (p->ok) {
        CHECK(p->kv && !p->code && !p->message);
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, p->kv);
        while (g_hash_table_iter_next(&it, &k, &v))
            CHECK(*(const char *)k && !strchr(k, '=') && !strchr(k, ' ') && v);
    } else {
        CHECK(p->code && *p->code && !strchr(p->code, ' ') && p->message && !p->kv);
    }
    (void)rk_reply_get(p, "state");
    rk_parsed_reply_free(p);
}

/* The reply a peer would read. */
static void check_reply(const char *reply)
{
    CHECK(reply);
    size_t n = strlen(reply);
    CHECK(n >= 3 && n < RK_PROTO_MAX_LINE);
    CHECK(reply[n - 1] == '\n' && memchr(reply, '\n', n) == reply + n - 1);
    CHECK(strncmp(reply, "OK", 2) == 0 || strncmp(reply, "ERR ", 4) == 0);
    RkParsedReply *p = rk_proto_parse_reply(reply, n);
    CHECK(p);
    if (p->ok) {
        CHECK(reply[2] == ' ' || reply[2] == '\n');
    } else {
        static const char *const codes[] = { "denied", "invalid", "unknown", "state", "pin", "declaration",
                                             "training", "no-limit", "exhausted", "busy", "internal", NULL };
        CHECK(g_strv_contains(codes, p->code));
    }
    rk_parsed_reply_free(p);
}

/* session-config to the guest: the settings its client takes, each of them well-formed (the
 * client refuses a reply that is not, and fails closed). */
static void check_session_config(const char *reply)
{
    RkParsedReply *p = rk_proto_parse_reply(reply, strlen(reply));
    CHECK(p && p->ok);
    const char *gen = rk_reply_get(p, "generation"), *langs = rk_reply_get(p, "languages");
    CHECK(gen && g_ascii_isdigit(gen[0]));
    CHECK(rk_reply_get(p, "idle_timeout") && rk_reply_get(p, "warnings") && rk_reply_get(p, "guided_enabled"));
    CHECK(rk_reply_get(p, "extend_by") && rk_reply_get(p, "max_extends") && rk_reply_get(p, "screen_reader"));
    CHECK(langs);
    char **l = g_strsplit(langs, ",", -1);
    for (char **x = l; *x; x++)
        CHECK(rk_config_valid_language(*x));
    g_strfreev(l);
    rk_parsed_reply_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        fuzz_init();
        ready = true;
    }
    if (size < 1 || size > 2 * RK_PROTO_MAX_LINE)
        return 0;

    static const uid_t uids[] = { STRANGER_UID, 65534 /* the guest, "nobody" */, VOLUNTEER_UID };
    Peer peer = { .uid = uids[data[0] % G_N_ELEMENTS(uids)], .gid = 65534, .pid = 1 };
    const char *line = (const char *)data + 1;
    size_t len = size - 1;

    fuzz_escaping(line, len);
    fuzz_request(line, len);
    fuzz_reply_parser(line, len);

    /* The server hands the handler the bytes before the first newline. */
    const char *nl = memchr(line, '\n', len);
    if (nl)
        len = (size_t)(nl - line);
    Control *ctl = control_new(fuzz_seat, fuzz_cfg, fuzz_stats);
    char *reply = control_handle(NULL, &peer, line, len, ctl);
    check_reply(reply);
    if (peer.uid == 65534 && len >= 14 && g_ascii_strncasecmp(line, "session-config", 14) == 0 &&
        strncmp(reply, "OK", 2) == 0)
        check_session_config(reply);
    g_free(reply);
    control_free(ctl);
    CHECK(seat_state(fuzz_seat) == SEAT_READY);
    return 0;
}
