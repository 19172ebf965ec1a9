/* The control protocol codec: strict parsing of hostile lines, escaping. */
#include "proto.h"

#include <stdarg.h>
#include <string.h>

static bool needs_escape(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '%' || c == '=';
}

void rk_proto_append_escaped(GString *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (needs_escape(*p)) {
            g_string_append_c(out, '%');
            g_string_append_c(out, hex[*p >> 4]);
            g_string_append_c(out, hex[*p & 15]);
        } else {
            g_string_append_c(out, (char)*p);
        }
    }
}

size_t rk_proto_escaped_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += needs_escape(*p) ? 3 : 1;
    return n;
}

char *rk_proto_escape(const char *s)
{
    GString *out = g_string_sized_new(strlen(s) + 8);
    rk_proto_append_escaped(out, s);
    return g_string_free(out, FALSE);
}

char *rk_proto_unescape(const char *s, size_t len)
{
    GString *out = g_string_sized_new(len);
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            g_string_append_c(out, s[i]);
            continue;
        }
        if (i + 2 >= len) {
            g_string_free(out, TRUE);
            return NULL;
        }
        int a = g_ascii_xdigit_value(s[i + 1]), b = g_ascii_xdigit_value(s[i + 2]);
        if (a < 0 || b < 0 || (a == 0 && b == 0)) {
            g_string_free(out, TRUE);
            return NULL;
        }
        g_string_append_c(out, (char)(a << 4 | b));
        i += 2;
    }
    return g_string_free(out, FALSE);
}

/* A line is printable ASCII between its words; anything else is refused before parsing. */
static bool check_line(const char *line, size_t *len, const char **ret_error)
{
    if (*len > 0 && line[*len - 1] == '\n')
        (*len)--;
    if (*len > 0 && line[*len - 1] == '\r')
        (*len)--;
    if (*len == 0) {
        *ret_error = "empty request";
        return false;
    }
    if (*len >= RK_PROTO_MAX_LINE) {
        *ret_error = "line too long";
        return false;
    }
    for (size_t i = 0; i < *len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c >= 0x7f) {
            *ret_error = "control or non-ASCII byte in line (escape it as %XX)";
            return false;
        }
    }
    return true;
}

RkRequest *rk_proto_parse_request(const char *line, size_t len, const char **ret_error)
{
    const char *dummy;
    if (!ret_error)
        ret_error = &dummy;
    if (!check_line(line, &len, ret_error))
        return NULL;

    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    size_t i = 0;
    while (i < len) {
        while (i < len && line[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && line[i] != ' ')
            i++;
        if (i == start)
            break;
        if (words->len >= RK_PROTO_MAX_ARGS + 1) {
            *ret_error = "too many arguments";
            return NULL;
        }
        char *w = rk_proto_unescape(line + start, i - start);
        if (!w) {
            *ret_error = "bad %XX escape";
            return NULL;
        }
        g_ptr_array_add(words, w);
    }
    if (words->len == 0) {
        *ret_error = "empty request";
        return NULL;
    }
    RkRequest *r = g_new0(RkRequest, 1);
    r->verb = g_ascii_strdown(words->pdata[0], -1);
    r->n_args = (int)words->len - 1;
    r->args = g_new0(char *, words->len);
    for (guint k = 1; k < words->len; k++)
        r->args[k - 1] = g_steal_pointer(&words->pdata[k]);
    return r;
}

void rk_request_free(RkRequest *r)
{
    if (!r)
        return;
    g_free(r->verb);
    g_strfreev(r->args);
    g_free(r);
}

void rk_reply_init_ok(RkReply *r)
{
    r->s = g_string_new("OK");
}

void rk_reply_add(RkReply *r, const char *key, const char *value)
{
    g_autofree char *v = rk_proto_escape(value ? value : "");
    g_string_append_printf(r->s, " %s=%s", key, v);
}

void rk_reply_add_int(RkReply *r, const char *key, long long value)
{
    g_string_append_printf(r->s, " %s=%lld", key, value);
}

char *rk_reply_finish(RkReply *r)
{
    g_string_append_c(r->s, '\n');
    char *s = g_string_free(r->s, FALSE);
    r->s = NULL;
    return s;
}

char *rk_reply_error(const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *esc = rk_proto_escape(msg);
    /* A message may echo what the peer sent (an unknown verb), and escaping can triple it:
     * cut it so that the reply stays one protocol line, never inside a %XX escape. */
    size_t fixed = strlen("ERR ") + strlen(code) + strlen(" \n");
    size_t room = fixed < RK_PROTO_MAX_LINE - 1 ? RK_PROTO_MAX_LINE - 1 - fixed : 0;
    size_t n = strlen(esc);
    if (n > room) {
        n = room;
        if (n >= 1 && esc[n - 1] == '%')
            n -= 1;
        else if (n >= 2 && esc[n - 2] == '%')
            n -= 2;
        esc[n] = '\0';
    }
    return g_strdup_printf("ERR %s %s\n", code, esc);
}

RkParsedReply *rk_proto_parse_reply(const char *line, size_t len)
{
    const char *err;
    if (!check_line(line, &len, &err))
        return NULL;
    g_autofree char *copy = g_strndup(line, len);
    RkParsedReply *r = g_new0(RkParsedReply, 1);
    if (g_str_has_prefix(copy, "ERR ")) {
        char *code = copy + 4, *sp = strchr(code, ' ');
        if (!sp || sp == code) {
            rk_parsed_reply_free(r);
            return NULL;
        }
        r->code = g_strndup(code, (gsize)(sp - code));
        r->message = rk_proto_unescape(sp + 1, strlen(sp + 1));
        if (!r->message) {
            rk_parsed_reply_free(r);
            return NULL;
        }
        return r;
    }
    if (strcmp(copy, "OK") != 0 && !g_str_has_prefix(copy, "OK ")) {
        rk_parsed_reply_free(r);
        return NULL;
    }
    r->ok = true;
    r->kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) words = g_strsplit(copy + 2, " ", -1);
    for (char **w = words; *w; w++) {
        if (!**w)
            continue;
        char *eq = strchr(*w, '=');
        if (!eq || eq == *w) {
            rk_parsed_reply_free(r);
            return NULL;
        }
        char *v = rk_proto_unescape(eq + 1, strlen(eq + 1));
        if (!v) {
            rk_parsed_reply_free(r);
            return NULL;
        }
        g_hash_table_replace(r->kv, g_strndup(*w, (gsize)(eq - *w)), v);
    }
    return r;
}

void rk_parsed_reply_free(RkParsedReply *r)
{
    if (!r)
        return;
    g_free(r->code);
    g_free(r->message);
    if (r->kv)
        g_hash_table_unref(r->kv);
    g_free(r);
}

const char *rk_reply_get(const RkParsedReply *r, const char *key)
{
    return r && r->kv ? g_hash_table_lookup(r->kv, key) : NULL;
}

/* ---- One name for each thing ---- */

static const char *const seat_state_names[SEAT_N_STATES] = {
    [SEAT_READY] = "READY",   [SEAT_NOTICE] = "NOTICE", [SEAT_ACTIVE] = "ACTIVE",
    [SEAT_ENDING] = "ENDING", [SEAT_WIPING] = "WIPING", [SEAT_BLOCKED] = "BLOCKED",
    [SEAT_CLOSED] = "CLOSED",
};

const char *rk_seat_state_name(SeatState s)
{
    return (unsigned)s < SEAT_N_STATES ? seat_state_names[s] : "?";
}

SeatState rk_seat_state_from_name(const char *name)
{
    for (int i = 0; name && i < SEAT_N_STATES; i++)
        if (strcmp(seat_state_names[i], name) == 0)
            return (SeatState)i;
    return SEAT_N_STATES;
}

/* "crash_recovery" is the name the statistics and the metrics have always used; journals of
 * the first release say end_reason=recovery, which still loads (the journal keeps the word as
 * it is). */
static const char *const end_reason_names[END_N] = {
    [END_LOGOUT] = "logout",   [END_BUTTON] = "button",     [END_IDLE] = "idle",
    [END_TIME_LIMIT] = "time_limit", [END_STAFF] = "staff", [END_SHUTDOWN] = "shutdown",
    [END_DECLINE] = "decline", [END_CRASH_RECOVERY] = "crash_recovery", [END_CLOSING] = "closing",
    [END_LOCK_TIMEOUT] = "lock_timeout", [END_LOCK_WRONG_CODE] = "lock_wrong_code",
};

const char *rk_end_reason_name(EndReason r)
{
    return (unsigned)r < END_N ? end_reason_names[r] : "?";
}

static const char *const wipe_category_names[RK_WIPE_N] = {
    [RK_WIPE_HOME] = "home",
    [RK_WIPE_TMP] = "tmp",
    [RK_WIPE_RUN_USER] = "run-user",
    [RK_WIPE_PRINT] = "print",
    [RK_WIPE_CRASH] = "crash",
    [RK_WIPE_JOURNAL] = "journal",
    [RK_WIPE_WATCH] = "watch",
    [RK_WIPE_PROCESSES] = "processes",
    [RK_WIPE_MOUNTS] = "mounts",
    [RK_WIPE_FILES] = "files",
    [RK_WIPE_SYSV_IPC] = "sysv-ipc",
    [RK_WIPE_MQUEUE] = "mqueue",
    [RK_WIPE_KEYS] = "keys",
    [RK_WIPE_SCHEDULED] = "scheduled",
    [RK_WIPE_SERVICE_STATE] = "service-state",
};

const char *rk_wipe_category_name(RkWipeCategory c)
{
    return (unsigned)c < RK_WIPE_N ? wipe_category_names[c] : "unknown";
}
