/* Protocol client of rentark-session: builds request lines with the shared codec and turns
 * replies into small structs. */
#include "agent.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define AGENT_MAX_VOLUNTEERS 64

void agent_status_clear(AgentStatus *s)
{
    g_clear_pointer(&s->state, g_free);
    g_clear_pointer(&s->volunteer, g_free);
    g_clear_pointer(&s->lang, g_free);
    memset(s, 0, sizeof *s);
}

/* Send a complete line and parse the answer. */
static RkParsedReply *call_line(const char *socket_path, const char *line, GError **error)
{
    g_autofree char *reply = rk_proto_call(socket_path, line, AGENT_TIMEOUT_MS, error);
    if (!reply)
        return NULL;
    RkParsedReply *r = rk_proto_parse_reply(reply, strlen(reply));
    if (!r)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed reply from rentarkd");
    return r;
}

RkParsedReply *agent_call(const char *socket_path, GError **error, const char *verb, ...)
{
    GString *line = g_string_new(verb);
    va_list ap;
    va_start(ap, verb);
    for (const char *a; (a = va_arg(ap, const char *));) {
        g_autofree char *e = rk_proto_escape(a);
        g_string_append_c(line, ' ');
        g_string_append(line, e);
    }
    va_end(ap);
    g_string_append_c(line, '\n');
    RkParsedReply *r = call_line(socket_path, line->str, error);
    g_string_free(line, TRUE);
    return r;
}

static long get_long(const RkParsedReply *r, const char *key, long def)
{
    const char *v = rk_reply_get(r, key);
    if (!v || !*v)
        return def;
    char *end;
    long long n = g_ascii_strtoll(v, &end, 10);
    return *end ? def : (long)CLAMP(n, -1, G_MAXINT32);
}

gboolean agent_get_status(const char *socket_path, AgentStatus *ret, GError **error)
{
    g_autoptr(RkParsedReply) r = agent_call(socket_path, error, "status", NULL);
    if (!r)
        return FALSE;
    if (!r->ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "status refused: %s", r->code);
        return FALSE;
    }
    agent_status_clear(ret);
    const char *state = rk_reply_get(r, "state");
    ret->state = g_strdup(state ? state : "");
    ret->guided = get_long(r, "guided", 0) == 1;
    const char *vol = rk_reply_get(r, "volunteer");
    ret->volunteer = vol && *vol && strcmp(vol, "-") != 0 ? g_strdup(vol) : NULL; /* "-": none */
    ret->time_left = get_long(r, "time_left", -1);
    ret->idle_left = get_long(r, "idle_left", -1);
    ret->idle_timeout = get_long(r, "idle_timeout", -1);
    ret->idle_warning = get_long(r, "idle_warning", -1);
    ret->idle_report_interval = get_long(r, "idle_report_interval", -1);
    ret->warn = get_long(r, "warn", 0);
    const char *lw = rk_reply_get(r, "last_wipe");
    ret->last_wipe = lw ? g_ascii_strtoll(lw, NULL, 10) : 0;
    ret->verified = get_long(r, "verified", 0) == 1;
    const char *lang = rk_reply_get(r, "lang");
    ret->lang = lang && *lang ? g_strdup(lang) : NULL;
    return TRUE;
}

static void volunteer_free(gpointer p)
{
    AgentVolunteer *v = p;
    g_free(v->id);
    g_free(v->name);
    g_free(v);
}

GPtrArray *agent_get_volunteers(const char *socket_path, GError **error)
{
    g_autoptr(RkParsedReply) r = agent_call(socket_path, error, "volunteers", NULL);
    if (!r)
        return NULL;
    if (!r->ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "volunteers refused: %s", r->code);
        return NULL;
    }
    GPtrArray *list = g_ptr_array_new_with_free_func(volunteer_free);
    long n = CLAMP(get_long(r, "n", 0), 0, AGENT_MAX_VOLUNTEERS);
    for (long i = 0; i < n; i++) {
        char ik[32], nk[32];
        g_snprintf(ik, sizeof ik, "id%ld", i);
        g_snprintf(nk, sizeof nk, "name%ld", i);
        const char *id = rk_reply_get(r, ik), *name = rk_reply_get(r, nk);
        if (!id || !*id)
            continue;
        AgentVolunteer *v = g_new0(AgentVolunteer, 1);
        v->id = g_strdup(id);
        v->name = g_strdup(name && *name ? name : id);
        g_ptr_array_add(list, v);
    }
    return list;
}

RkParsedReply *agent_guided(const char *socket_path, const char *id, const char *pin, GError **error)
{
    /* SECURITY: the PIN is the volunteer's secret. It is digits only (the caller enforces
     * that), so it needs no escaping and is copied once, into this stack buffer, which is
     * wiped before return; it is never logged or kept. */
    char line[RK_PROTO_MAX_LINE];
    g_autofree char *eid = rk_proto_escape(id);
    int n = g_snprintf(line, sizeof line, "guided %s %s\n", eid, pin);
    if (n < 0 || (size_t)n >= sizeof line) {
        explicit_bzero(line, sizeof line);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "guided request too long");
        return NULL;
    }
    RkParsedReply *r = call_line(socket_path, line, error);
    explicit_bzero(line, sizeof line);
    return r;
}
