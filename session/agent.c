/* Protocol client of rentark-session: builds request lines with the shared codec and turns
 * replies into small structs. */
#include "agent.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define AGENT_MAX_VOLUNTEERS 64
/* The bounds of the configuration (common/config.c): a longer list is not the daemon's. */
#define AGENT_MAX_LIST 64
#define AGENT_MAX_WARNING (7 * 24 * 3600)

void agent_status_clear(AgentStatus *s)
{
    g_clear_pointer(&s->state, g_free);
    g_clear_pointer(&s->volunteer, g_free);
    g_clear_pointer(&s->lang, g_free);
    g_clear_pointer(&s->warnings, g_array_unref);
    g_clear_pointer(&s->languages, g_strfreev);
    g_clear_pointer(&s->notice_dir, g_free);
    *s = (AgentStatus)AGENT_STATUS_INIT;
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

/* A language code as the configuration allows it: 2 or 3 lower case letters. It becomes a
 * folder name below the notice texts' folder, so nothing else may pass. */
static bool valid_lang(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_islower(s[i]))
            return false;
    return true;
}

/* "nb,nn,en": NULL when absent or when any entry is not a language code. */
static char **get_languages(const RkParsedReply *r)
{
    const char *v = rk_reply_get(r, "languages");
    if (!v || !*v)
        return NULL;
    g_auto(GStrv) list = g_strsplit(v, ",", AGENT_MAX_LIST + 1);
    if (g_strv_length(list) > AGENT_MAX_LIST)
        return NULL;
    for (char **l = list; *l; l++)
        if (!valid_lang(*l))
            return NULL;
    return g_steal_pointer(&list);
}

/* "300,60" (seconds), "-" for none: NULL when absent or malformed. */
static GArray *get_warnings(const RkParsedReply *r)
{
    const char *v = rk_reply_get(r, "warnings");
    if (!v || !*v)
        return NULL;
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int));
    if (strcmp(v, "-") == 0)
        return a;
    g_auto(GStrv) list = g_strsplit(v, ",", AGENT_MAX_LIST + 1);
    for (char **w = list; *w; w++) {
        char *end = NULL;
        guint64 n = g_ascii_isdigit(**w) ? g_ascii_strtoull(*w, &end, 10) : 0;
        if (a->len >= AGENT_MAX_LIST || !end || *end || n < 1 || n > AGENT_MAX_WARNING) {
            g_array_unref(a);
            return NULL;
        }
        int s = (int)n;
        g_array_append_val(a, s);
    }
    return a;
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
    long ge = get_long(r, "guided_enabled", -1);
    ret->guided_enabled = ge == 0 || ge == 1 ? (int)ge : -1;
    ret->warnings = get_warnings(r);
    ret->languages = get_languages(r);
    const char *dir = rk_reply_get(r, "notice_dir");
    ret->notice_dir = dir && dir[0] == '/' ? g_strdup(dir) : NULL;
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
