/* Protocol client of rentark-session: the shared call, and replies turned into small structs. */
#include "client.h"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#define CLIENT_MAX_VOLUNTEERS 64

void client_status_clear(ClientStatus *s)
{
    g_free(s->volunteer);
    g_free(s->generation);
    *s = (ClientStatus){ 0 };
}

void client_settings_clear(ClientSettings *s)
{
    g_free(s->generation);
    if (s->warnings)
        g_array_unref(s->warnings);
    g_strfreev(s->languages);
    g_free(s->notice_dir);
    g_free(s->seat_name);
    *s = (ClientSettings){ 0 };
}

/* verb's reply when it is OK; NULL with error otherwise. */
static RkParsedReply *call_ok(const char *socket_path, const char *verb, GError **error)
{
    g_autoptr(RkParsedReply) r = rk_call(socket_path, CLIENT_TIMEOUT_MS, error, verb, NULL);
    if (r && !r->ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s refused: %s", verb, r->code);
        return NULL;
    }
    return g_steal_pointer(&r);
}

/* The number at key in [lo, hi]; def when it is absent or is not one. */
static long get_long(const RkParsedReply *r, const char *key, long lo, long hi, long def)
{
    const char *v = rk_reply_get(r, key);
    char *end;
    if (!v || !*v)
        return def;
    long long n = g_ascii_strtoll(v, &end, 10);
    return *end || n < lo || n > hi ? def : (long)n;
}

/* "nb,nn,en": NULL when absent or when any entry is not a language code. */
static char **get_languages(const RkParsedReply *r)
{
    const char *v = rk_reply_get(r, "languages");
    if (!v || !*v)
        return NULL;
    g_auto(GStrv) list = g_strsplit(v, ",", RK_CONFIG_MAX_LIST + 1);
    if (g_strv_length(list) > RK_CONFIG_MAX_LIST)
        return NULL;
    for (char **l = list; *l; l++)
        if (!rk_config_valid_language(*l))
            return NULL;
    return g_steal_pointer(&list);
}

/* "300,60" (seconds), "-" for none: NULL when absent or malformed. */
static GArray *get_warnings(const RkParsedReply *r)
{
    const char *v = rk_reply_get(r, "warnings");
    if (!v || !*v)
        return NULL;
    g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(int));
    if (strcmp(v, "-") == 0)
        return g_steal_pointer(&a);
    g_auto(GStrv) list = g_strsplit(v, ",", RK_CONFIG_MAX_LIST + 1);
    for (char **w = list; *w; w++) {
        char *end = NULL;
        guint64 n = g_ascii_isdigit(**w) ? g_ascii_strtoull(*w, &end, 10) : 0;
        if (a->len >= RK_CONFIG_MAX_LIST || !end || *end || n < 1 || n > RK_CONFIG_MAX_WARNING)
            return NULL;
        int s = (int)n;
        g_array_append_val(a, s);
    }
    return g_steal_pointer(&a);
}

/* The status keys of an OK reply (status, and the verbs that answer with the status) into
 * ret. */
/* A unix time: 0 when absent, not a number, or out of the range a GDateTime can show. */
static long long get_time(const RkParsedReply *r, const char *key)
{
    const char *v = rk_reply_get(r, key);
    char *end = NULL;
    long long t = v ? g_ascii_strtoll(v, &end, 10) : 0;
    return v && end && *end == '\0' && t > 0 && t < 253402300800LL ? t : 0; /* before the year 10000 */
}

static gboolean parse_status(const RkParsedReply *r, ClientStatus *ret, GError **error)
{
    SeatState state = rk_seat_state_from_name(rk_reply_get(r, "state"));
    const char *gen = rk_reply_get(r, "generation");
    if (state == SEAT_N_STATES || !gen) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "status without a known state or a generation");
        return FALSE;
    }
    client_status_clear(ret);
    ret->state = state;
    ret->generation = g_strdup(gen);
    ret->guided = get_long(r, "guided", 0, 1, 0) == 1;
    const char *vol = rk_reply_get(r, "volunteer");
    ret->volunteer = vol && *vol && strcmp(vol, "-") != 0 ? g_strdup(vol) : NULL; /* "-": none */
    ret->time_left = get_long(r, "time_left", -1, G_MAXINT32, -1);
    ret->idle_left = get_long(r, "idle_left", -1, G_MAXINT32, -1);
    ret->warn = get_long(r, "warn", 0, G_MAXINT32, 0);
    ret->extends_left = get_long(r, "extends_left", 0, RK_CONFIG_MAX_EXTENDS, 0);
    const char *lw = rk_reply_get(r, "last_wipe");
    ret->last_wipe = lw ? g_ascii_strtoll(lw, NULL, 10) : 0;
    ret->closes_at = get_time(r, "closes_at");
    ret->opens_at = get_time(r, "opens_at");
    ret->closing_warn = get_long(r, "closing_warn", 0, G_MAXINT32, 0);
    ret->session_time = get_long(r, "session_time", -1, G_MAXINT32, -1);
    ret->verified = get_long(r, "verified", 0, 1, 0) == 1;
    ret->waiting_input = get_long(r, "waiting_input", 0, 1, 0) == 1;
    ret->locked = get_long(r, "locked", 0, 1, 0) == 1;
    ret->lock_left = get_long(r, "lock_left", -1, G_MAXINT32, -1);
    ret->lock_tries_left = get_long(r, "lock_tries_left", 0, 100, 0);
    const char *closed = rk_reply_get(r, "closed");
    ret->texts_missing = closed && strcmp(closed, "-") != 0;
    return TRUE;
}

gboolean client_get_status(const char *socket_path, ClientStatus *ret, GError **error)
{
    g_autoptr(RkParsedReply) r = call_ok(socket_path, "status", error);
    return r && parse_status(r, ret, error);
}

gboolean client_status_takes_login(const ClientStatus *st)
{
    return (st->state == SEAT_READY && !st->texts_missing) || st->state == SEAT_NOTICE || st->state == SEAT_ACTIVE;
}

gboolean client_extend(const char *socket_path, ClientStatus *ret, GError **error)
{
    g_autoptr(RkParsedReply) r = call_ok(socket_path, "extend", error);
    return r && parse_status(r, ret, error);
}

static gboolean get_settings(const char *socket_path, const char *verb, ClientSettings *ret, GError **error)
{
    g_autoptr(RkParsedReply) r = call_ok(socket_path, verb, error);
    if (!r)
        return FALSE;
    ClientSettings s = {
        .generation = g_strdup(rk_reply_get(r, "generation")),
        .idle_timeout = get_long(r, "idle_timeout", 0, G_MAXINT32, -1),
        .idle_warning = get_long(r, "idle_warning", 0, G_MAXINT32, -1),
        .idle_report_interval = get_long(r, "idle_report_interval", 1, G_MAXINT32, -1),
        .guided_enabled = get_long(r, "guided_enabled", 0, 1, 0) == 1,
        .extend_by = get_long(r, "extend_by", 0, RK_CONFIG_MAX_EXTEND_BY, -1),
        .max_extends = get_long(r, "max_extends", 0, RK_CONFIG_MAX_EXTENDS, -1),
        .screen_reader = get_long(r, "screen_reader", 0, 1, 0) == 1,
        /* Absent (an older daemon): no lock offered, the clock starts at the accept. */
        .step_away_max = get_long(r, "step_away_max", 0, G_MAXINT32, 0),
        .start_on_first_input = get_long(r, "start_on_first_input", 0, 1, 0) == 1,
        .first_input_wait = get_long(r, "first_input_wait", 0, G_MAXINT32, 0),
        .warnings = get_warnings(r),
        .languages = get_languages(r),
    };
    const char *dir = rk_reply_get(r, "notice_dir");
    s.notice_dir = dir && dir[0] == '/' ? g_strdup(dir) : NULL;
    /* A label, not a setting the screens depend on: one that is missing (an older daemon) or
     * not what seat.name allows is no name, not a reason to close the seat. */
    const char *seat = rk_reply_get(r, "seat_name");
    s.seat_name = seat && *seat && rk_config_valid_seat_name(seat) ? g_strdup(seat) : NULL;
    /* Fail closed: settings that cannot all be read are none. */
    if (!s.generation || s.idle_timeout < 0 || s.idle_warning < 0 || s.idle_report_interval < 0 ||
        get_long(r, "guided_enabled", 0, 1, -1) < 0 || s.extend_by < 0 || s.max_extends < 0 ||
        get_long(r, "screen_reader", 0, 1, -1) < 0 || !s.warnings || !s.languages) {
        client_settings_clear(&s);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed %s reply", verb);
        return FALSE;
    }
    client_settings_clear(ret);
    *ret = s;
    return TRUE;
}

gboolean client_get_settings(const char *socket_path, ClientSettings *ret, GError **error)
{
    return get_settings(socket_path, "session-config", ret, error);
}

gboolean client_get_settings_from_status(const char *socket_path, ClientSettings *ret, GError **error)
{
    return get_settings(socket_path, "status", ret, error);
}

static void volunteer_free(gpointer p)
{
    ClientVolunteer *v = p;
    g_free(v->id);
    g_free(v->name);
    g_free(v);
}

GPtrArray *client_get_volunteers(const char *socket_path, GError **error)
{
    g_autoptr(RkParsedReply) r = call_ok(socket_path, "volunteers", error);
    if (!r)
        return NULL;
    GPtrArray *list = g_ptr_array_new_with_free_func(volunteer_free);
    long n = get_long(r, "n", 0, G_MAXINT32, 0);
    for (long i = 0; i < MIN(n, CLIENT_MAX_VOLUNTEERS); i++) {
        char ik[32], nk[32];
        g_snprintf(ik, sizeof ik, "id%ld", i);
        g_snprintf(nk, sizeof nk, "name%ld", i);
        const char *id = rk_reply_get(r, ik), *name = rk_reply_get(r, nk);
        if (!id || !*id)
            continue;
        ClientVolunteer *v = g_new0(ClientVolunteer, 1);
        v->id = g_strdup(id);
        v->name = g_strdup(name && *name ? name : id);
        g_ptr_array_add(list, v);
    }
    return list;
}
