/* The control protocol's verbs and who may use them. */
#define G_LOG_DOMAIN "control"
#include "control.h"

#include "incident.h"
#include "opening.h"
#include "proto.h"
#include "stats.h"
#include "util.h"
#include "wipe.h"

#include <crypt.h>
#include <gio/gio.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <time.h>

#define MAX_PIN_FAILURES 5 /* per session, then guided mode is closed for it */
/* Across sessions, on this PC: a patron who logs out and in again must not get 5 more tries
 * each time. At most this many wrong PINs per PIN_WINDOW_US; a 4-digit PIN then takes weeks. */
#define MAX_PIN_FAILURES_WINDOW 20
#define PIN_WINDOW_US ((gint64)3600 * G_USEC_PER_SEC)

typedef enum { ROLE_OTHER, ROLE_VOLUNTEER, ROLE_GUEST, ROLE_ADMIN } Role;

struct Control {
    Seat *seat;
    RkConfig *cfg;
    Stats *stats;
    /* Changes with every configuration the daemon takes (a start, a reload): the session
     * client asks for session-config again when the status shows a new one. */
    gint64 generation;
    int pin_failures;
    gint64 pin_failure_times[MAX_PIN_FAILURES_WINDOW]; /* monotonic, a ring */
    unsigned pin_failure_next;
    char pin_session[33];
};

Control *control_new(Seat *seat, const RkConfig *cfg, Stats *stats)
{
    Control *ctl = g_new0(Control, 1);
    ctl->seat = seat;
    ctl->cfg = rk_config_ref((RkConfig *)cfg);
    ctl->stats = stats;
    /* The wall clock, so that a restarted daemon does not repeat its predecessor's numbers. */
    ctl->generation = g_get_real_time();
    return ctl;
}

void control_free(Control *ctl)
{
    if (!ctl)
        return;
    rk_config_free(ctl->cfg);
    g_free(ctl);
}

void control_set_config(Control *ctl, const RkConfig *cfg)
{
    RkConfig *old = ctl->cfg;
    ctl->cfg = rk_config_ref((RkConfig *)cfg);
    ctl->generation++;
    rk_config_free(old);
}

static bool in_group(const char *group, uid_t uid)
{
    struct passwd pw, *pres = NULL;
    struct group gr, *gres = NULL;
    char pbuf[4096], gbuf[16384];
    gid_t groups[256];
    int n = G_N_ELEMENTS(groups);

    if (getgrnam_r(group, &gr, gbuf, sizeof gbuf, &gres) != 0 || !gres)
        return false;
    if (getpwuid_r(uid, &pw, pbuf, sizeof pbuf, &pres) != 0 || !pres)
        return false;
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
        return false;
    for (int i = 0; i < n; i++)
        if (groups[i] == gr.gr_gid)
            return true;
    return false;
}

/* The role of uid under cfg (group membership from the user database). */
static Role control_role(const RkConfig *cfg, uid_t guest_uid, uid_t uid)
{
    /* Root, and the admin group: everything. */
    if (uid == 0 || in_group(cfg->admin_group, uid))
        return ROLE_ADMIN;
    /* The guest: its own session only (never stats, incidents or another's end). */
    if (uid == guest_uid)
        return ROLE_GUEST;
    /* Volunteers: PIN checks for guided sessions. */
    if (in_group(cfg->volunteer_group, uid))
        return ROLE_VOLUNTEER;
    return ROLE_OTHER;
}

static char *seat_error_reply(GError *error)
{
    const char *code = "internal";
    if (error->domain == RK_SEAT_ERROR) {
        switch (error->code) {
        case RK_SEAT_ERROR_STATE: code = "state"; break;
        case RK_SEAT_ERROR_NO_LIMIT: code = "no-limit"; break;
        case RK_SEAT_ERROR_DENIED: code = "denied"; break;
        case RK_SEAT_ERROR_EXHAUSTED: code = "exhausted"; break;
        case RK_SEAT_ERROR_CLOSING: code = "closing"; break;
        case RK_SEAT_ERROR_INVALID: code = "invalid"; break;
        case RK_SEAT_ERROR_WRONG_CODE: code = "wrong-code"; break;
        default: break;
        }
    } else if (error->domain == RK_OPENING_ERROR) {
        code = "invalid";
    }
    return rk_reply_error(code, "%s", error->message);
}

/* "600,300,60": a list of seconds. */
static char *join_ints(const GArray *a)
{
    GString *w = g_string_new(NULL);
    for (guint i = 0; i < a->len; i++)
        g_string_append_printf(w, "%s%d", i ? "," : "", g_array_index(a, int, i));
    return g_string_free(w, FALSE);
}

/* The settings rentark-session needs and, as the guest, may not read from the file (it holds
 * the PIN hashes). The languages are in order, the first is the default; the list is short (at
 * most 64 codes of 2-3 letters), but a path may be long and escaping can triple it, so each
 * of the two is sent only when the line stays within RK_PROTO_MAX_LINE (newline included);
 * without it the client keeps its own value. */
static void add_session_settings(const Control *ctl, RkReply *r)
{
    const RkConfig *cfg = ctl->cfg;
    rk_reply_add_int(r, "generation", ctl->generation);
    rk_reply_add_int(r, "idle_timeout", cfg->idle_timeout);
    rk_reply_add_int(r, "idle_warning", cfg->idle_warning);
    rk_reply_add_int(r, "idle_report_interval", cfg->idle_report_interval);
    rk_reply_add(r, "lang", cfg->default_language);
    rk_reply_add_int(r, "guided_enabled", cfg->guided_enabled);
    rk_reply_add_int(r, "extend_by", cfg->extend_by);
    rk_reply_add_int(r, "max_extends", cfg->max_extends);
    rk_reply_add_int(r, "screen_reader", cfg->screen_reader);
    rk_reply_add_int(r, "step_away_max", cfg->step_away_max);
    rk_reply_add_int(r, "start_on_first_input", cfg->start_on_first_input);
    rk_reply_add_int(r, "first_input_wait", cfg->first_input_wait);
    g_autofree char *ws = join_ints(cfg->warnings);
    rk_reply_add(r, "warnings", ws[0] ? ws : "-");
    g_autofree char *cws = join_ints(cfg->closing_warnings);
    rk_reply_add(r, "closing_warnings", cws[0] ? cws : "-");
    /* At most 64 characters of 4 bytes, 768 escaped: it always fits, before the two that may
     * not. Empty when the PC has no name. */
    rk_reply_add(r, "seat_name", cfg->seat_name ? cfg->seat_name : "");
    g_autofree char *langs = g_strjoinv(",", cfg->languages);
    if (r->s->len + strlen(" languages=") + strlen(langs) + 1 <= RK_PROTO_MAX_LINE)
        rk_reply_add(r, "languages", langs);
    if (r->s->len + strlen(" notice_dir=") + rk_proto_escaped_len(cfg->notice_dir) + 1 <= RK_PROTO_MAX_LINE)
        rk_reply_add(r, "notice_dir", cfg->notice_dir);
}

/* The seat's status with the settings (the reply to every verb that changes the seat). */
static void add_status(const Control *ctl, RkReply *r)
{
    seat_status(ctl->seat, r);
    add_session_settings(ctl, r);
}

static char *ok_status(Control *ctl)
{
    RkReply r;
    rk_reply_init_ok(&r);
    add_status(ctl, &r);
    return rk_reply_finish(&r);
}

/* OK with the status when a seat event was taken, its error (*error, freed) otherwise. The
 * error comes by pointer: it is read here, after the event in the same call has run. */
static char *seat_reply(Control *ctl, gboolean ok, GError **error)
{
    g_autoptr(GError) e = g_steal_pointer(error);
    return ok ? ok_status(ctl) : seat_error_reply(e);
}

/* One request being answered. */
typedef struct {
    ServerClient *client;
    const Peer *peer;
    const RkRequest *req;
    Role role; /* looked up only for the verbs that are not open to anyone */
} Call;

/* Compare two strings in time that does not depend on where they differ. */
static bool equal_const_time(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char d = na != nb;
    for (size_t i = 0; i < na && i < nb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static char *verb_guided(Control *ctl, const Call *call)
{
    const RkConfig *cfg = ctl->cfg;
    const RkRequest *req = call->req;
    if (!cfg->guided_enabled)
        return rk_reply_error("denied", "guided sessions are turned off on this PC");

    /* Bounded tries per session: a PIN of a few digits must not be guessable by trying. */
    const char *session = seat_session_id(ctl->seat);
    if (strcmp(session, ctl->pin_session) != 0) {
        g_strlcpy(ctl->pin_session, session, sizeof ctl->pin_session);
        ctl->pin_failures = 0;
    }
    if (ctl->pin_failures >= MAX_PIN_FAILURES)
        return rk_reply_error("locked", "too many wrong PINs in this session; please ask the staff");
    /* The oldest of the last MAX_PIN_FAILURES_WINDOW failures (0: fewer so far). */
    gint64 oldest = ctl->pin_failure_times[ctl->pin_failure_next];
    if (oldest && g_get_monotonic_time() - oldest < PIN_WINDOW_US)
        return rk_reply_error("locked", "too many wrong PINs on this PC; guided sessions open again within an hour, or ask the staff");

    const RkVolunteer *v = rk_config_find_volunteer(cfg, req->args[0]);
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    /* Hash even for an unknown volunteer, with the same algorithm and cost as a real one
     * (the first volunteer's setting), so that timing does not tell who exists. */
    const RkVolunteer *first = cfg->volunteers->len ? cfg->volunteers->pdata[0] : NULL;
    const char *setting = v ? v->pin_hash : first ? first->pin_hash : "$y$j9T$AAAAAAAAAAAAAAAAAAAAA.$";
    const char *h = crypt_r(req->args[1], setting, &cd);
    bool ok = v && h && h[0] == '$' && equal_const_time(h, v->pin_hash);
    explicit_bzero(&cd, sizeof cd);
    explicit_bzero(req->args[1], strlen(req->args[1]));
    if (!ok) {
        ctl->pin_failures++;
        ctl->pin_failure_times[ctl->pin_failure_next] = g_get_monotonic_time();
        ctl->pin_failure_next = (ctl->pin_failure_next + 1) % MAX_PIN_FAILURES_WINDOW;
        g_message("guided: wrong volunteer or PIN (%d of %d tries)", ctl->pin_failures, MAX_PIN_FAILURES);
        return rk_reply_error("pin", "wrong name or PIN (%d tries left)", MAX_PIN_FAILURES - ctl->pin_failures);
    }

    /* The duty of confidentiality must be on file and current. */
    if (!v->declaration_day)
        return rk_reply_error("declaration", "%s has no signed confidentiality declaration on file", v->name);
    if (cfg->declaration_validity_days > 0) {
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        GDate today;
        g_date_set_dmy(&today, (GDateDay)g_date_time_get_day_of_month(now), (GDateMonth)g_date_time_get_month(now),
                       (GDateYear)g_date_time_get_year(now));
        if (g_date_get_julian(&today) > v->declaration_day + (guint32)cfg->declaration_validity_days)
            return rk_reply_error("declaration", "the confidentiality declaration of %s (signed %s) is older than %d days",
                                  v->name, v->declaration, cfg->declaration_validity_days);
    }
    /* And the privacy training the municipality requires. */
    guint missing = cfg->required_modules & ~v->modules;
    if (missing) {
        GString *m = g_string_new(NULL);
        for (int i = 1; i <= RK_MODULES_MAX; i++)
            if (missing & (1u << i))
                g_string_append_printf(m, "%s%d", m->len ? ", " : "", i);
        g_autofree char *list = g_string_free(m, FALSE);
        return rk_reply_error("training", "%s has not completed privacy-training module(s) %s", v->name, list);
    }

    g_autoptr(GError) error = NULL;
    if (!seat_set_guided(ctl->seat, v->id, &error))
        return seat_error_reply(error);
    g_message("guided session started by a volunteer");
    RkReply r;
    rk_reply_init_ok(&r);
    rk_reply_add(&r, "name", v->name);
    return rk_reply_finish(&r);
}

static char *verb_volunteers(Control *ctl, const Call *call)
{
    /* As many as fit in one reply line (a picker on a kiosk shows a few dozen at most);
     * total says how many there are. */
    GString *pairs = g_string_new(NULL);
    guint n = 0, total = ctl->cfg->volunteers->len;
    for (; n < total; n++) {
        const RkVolunteer *v = ctl->cfg->volunteers->pdata[n];
        g_autofree char *id = rk_proto_escape(v->id), *name = rk_proto_escape(v->name);
        g_autofree char *pair = g_strdup_printf(" id%u=%s name%u=%s", n, id, n, name);
        if (pairs->len + strlen(pair) + 64 >= RK_PROTO_MAX_LINE)
            break;
        g_string_append(pairs, pair);
    }
    g_autofree char *body = g_string_free(pairs, FALSE);
    return g_strdup_printf("OK n=%u total=%u%s\n", n, total, body);
}

typedef struct {
    ServerClient *client;
    WipeTarget target;
} DryRun;

static void dry_run_thread(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
    DryRun *d = data;
    WipeResult *res = g_new0(WipeResult, 1);
    (void)wipe_run(&d->target, WIPE_DRY_RUN, res);
    g_task_return_pointer(task, res, (GDestroyNotify)wipe_result_free);
}

static void dry_run_done(GObject *src, GAsyncResult *result, gpointer data)
{
    DryRun *d = g_task_get_task_data(G_TASK(result));
    g_autoptr(WipeResult) res = g_task_propagate_pointer(G_TASK(result), NULL);
    RkReply r;
    rk_reply_init_ok(&r);
    wipe_dry_run_reply(res, &r);
    server_client_reply(d->client, rk_reply_finish(&r));
}

static void dry_run_free(gpointer p)
{
    DryRun *d = p;
    server_client_unref(d->client);
    wipe_target_clear(&d->target);
    g_free(d);
}

static EndReason parse_end_reason(const RkRequest *req, Role role)
{
    const char *a = req->n_args > 0 ? req->args[0] : NULL;
    if (a && strcmp(a, "logout") == 0)
        return END_LOGOUT;
    if (a && strcmp(a, "idle") == 0)
        return END_IDLE;
    return role == ROLE_ADMIN && (!a || strcmp(a, "staff") == 0) ? END_STAFF : END_BUTTON;
}

static char *verb_status(Control *ctl, const Call *call)
{
    /* caller: whether the asker is the guest (by uid, no lookup): the session client is
     * started for every account that logs in and stays only in the guest's session. */
    RkReply r;
    bool guest = call->peer->uid == seat_guest_uid(ctl->seat);
    rk_reply_init_ok(&r);
    seat_status(ctl->seat, &r);
    rk_reply_add(&r, "caller", guest ? "guest" : "other");
    /* The count of open incidents says what happened on this PC, as the incidents verb does:
     * admins only. The guest, who polls the status, costs no group lookup. */
    if (!guest && control_role(ctl->cfg, seat_guest_uid(ctl->seat), call->peer->uid) == ROLE_ADMIN) {
        g_autoptr(GPtrArray) open = incident_list_open(ctl->cfg->state_dir);
        rk_reply_add_int(&r, "incidents_open", open->len);
    }
    add_session_settings(ctl, &r);
    return rk_reply_finish(&r);
}

static char *verb_session_config(Control *ctl, const Call *call)
{
    RkReply r;
    rk_reply_init_ok(&r);
    add_session_settings(ctl, &r);
    return rk_reply_finish(&r);
}

static char *verb_accept(Control *ctl, const Call *call)
{
    GError *error = NULL;
    return seat_reply(ctl, seat_accept(ctl->seat, &error), &error);
}

static char *verb_decline(Control *ctl, const Call *call)
{
    GError *error = NULL;
    return seat_reply(ctl, seat_end(ctl->seat, END_DECLINE, &error), &error);
}

static char *verb_consent(Control *ctl, const Call *call)
{
    GError *error = NULL;
    return seat_reply(ctl, seat_consent(ctl->seat, &error), &error);
}

static char *verb_end(Control *ctl, const Call *call)
{
    GError *error = NULL;
    return seat_reply(ctl, seat_end(ctl->seat, parse_end_reason(call->req, call->role), &error), &error);
}

static char *verb_extend(Control *ctl, const Call *call)
{
    GError *error = NULL;
    return seat_reply(ctl, seat_extend(ctl->seat, &error), &error);
}

/* The code is the patron's: it leaves this process's memory as soon as it was used. */
static char *verb_lock(Control *ctl, const Call *call)
{
    GError *error = NULL;
    gboolean ok = seat_lock(ctl->seat, call->req->args[0], &error);
    explicit_bzero(call->req->args[0], strlen(call->req->args[0]));
    return seat_reply(ctl, ok, &error);
}

static char *verb_unlock(Control *ctl, const Call *call)
{
    GError *error = NULL;
    gboolean ok = seat_unlock(ctl->seat, call->req->args[0], &error);
    explicit_bzero(call->req->args[0], strlen(call->req->args[0]));
    return seat_reply(ctl, ok, &error);
}

static char *verb_idle(Control *ctl, const Call *call)
{
    char *end;
    long s = strtol(call->req->args[0], &end, 10);
    if (*end || s < 0 || s > 7 * 86400)
        return rk_reply_error("invalid", "idle takes a number of seconds");
    seat_idle_report(ctl->seat, (int)s);
    return ok_status(ctl);
}

static char *verb_hook(Control *ctl, const Call *call)
{
    const RkRequest *req = call->req;
    GError *error = NULL;
    if (strcmp(req->args[1], ctl->cfg->guest_user) != 0)
        return ok_status(ctl); /* not the guest: not ours to manage */
    if (strcmp(req->args[0], "session-setup") == 0)
        return seat_reply(ctl, seat_session_begin(ctl->seat, &error), &error);
    if (strcmp(req->args[0], "session-cleanup") == 0)
        return seat_reply(ctl, seat_end(ctl->seat, END_LOGOUT, &error), &error);
    return rk_reply_error("invalid", "usage: hook session-setup|session-cleanup USER");
}

static char *verb_open(Control *ctl, const Call *call)
{
    GError *error = NULL;
    return seat_reply(ctl, seat_open_until(ctl->seat, call->req->args[0], &error), &error);
}

static char *verb_close(Control *ctl, const Call *call)
{
    seat_close(ctl->seat);
    return ok_status(ctl);
}

static char *verb_wipe_dry_run(Control *ctl, const Call *call)
{
    /* Counting a large home takes time: off the main loop, answered when done. */
    DryRun *d = g_new0(DryRun, 1);
    d->client = server_client_ref(call->client);
    seat_wipe_target(ctl->seat, &d->target);
    GTask *task = g_task_new(NULL, NULL, dry_run_done, NULL);
    g_task_set_task_data(task, d, dry_run_free);
    g_task_run_in_thread(task, dry_run_thread);
    g_object_unref(task);
    return NULL;
}

static void add_incident(RkReply *r, GString *text, guint i, const Incident *inc)
{
    char k[32];
    snprintf(k, sizeof k, "id%u", i), rk_reply_add(r, k, inc->id);
    snprintf(k, sizeof k, "opened%u", i), rk_reply_add_int(r, k, inc->opened);
    snprintf(k, sizeof k, "deadline%u", i), rk_reply_add_int(r, k, inc->deadline);
    snprintf(k, sizeof k, "session%u", i), rk_reply_add(r, k, inc->session);
    snprintf(k, sizeof k, "what%u", i), rk_reply_add(r, k, inc->what);
    g_autoptr(GDateTime) o = g_date_time_new_from_unix_local(inc->opened);
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(inc->deadline);
    g_autofree char *os = o ? g_date_time_format(o, "%Y-%m-%d %H:%M") : g_strdup("?");
    g_autofree char *ds = d ? g_date_time_format(d, "%Y-%m-%d %H:%M") : g_strdup("?");
    g_string_append_printf(text, "%s  opened %s  report by %s  session %s\n    %s\n", inc->id, os, ds,
                           inc->session[0] ? inc->session : "-", inc->what);
}

static char *verb_incidents(Control *ctl, const Call *call)
{
    g_autoptr(GPtrArray) open = incident_list_open(ctl->cfg->state_dir);
    RkReply r;
    GString *text = g_string_new(NULL);
    rk_reply_init_ok(&r);
    rk_reply_add_int(&r, "n", open->len);
    for (guint i = 0; i < open->len; i++)
        add_incident(&r, text, i, open->pdata[i]);
    if (!open->len)
        g_string_append(text, "no open incidents\n");
    g_autofree char *t = g_string_free(text, FALSE);
    rk_reply_add(&r, "text", t);
    return rk_reply_finish(&r);
}

/* The user name of uid for the register's notes ("uid N" without one): staff, not patrons. */
static char *user_name(uid_t uid)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
        return g_strdup(res->pw_name);
    return g_strdup_printf("uid %u", (unsigned)uid);
}

static char *close_incident(Control *ctl, const Call *call, const char *note)
{
    const char *id = call->req->args[0];
    g_autofree char *by = user_name(call->peer->uid);
    if (note && !incident_note_valid(note))
        return rk_reply_error("invalid", "the note must be 1 to %d bytes of UTF-8 text on one line", INCIDENT_NOTE_MAX);
    int r = seat_resolve_incident(ctl->seat, id, by, note);
    if (r == -EINVAL)
        return rk_reply_error("invalid", "\"%s\" is not an incident id", id);
    if (r == -ENOENT)
        return rk_reply_error("invalid", "no open incident %s", id);
    if (r == -ENOSPC)
        return rk_reply_error("invalid", "incident %s has no room for another note", id);
    if (r < 0)
        return rk_reply_error("internal", "cannot close incident %s: %s", id, g_strerror(-r));
    return ok_status(ctl);
}

static char *verb_resolve(Control *ctl, const Call *call)
{
    return close_incident(ctl, call, NULL);
}

static char *verb_incident_close(Control *ctl, const Call *call)
{
    return close_incident(ctl, call, call->req->args[1]);
}

/* The register, a page at a time (a reply is one line of at most RK_PROTO_MAX_LINE bytes):
 * total=N from=K n=M and per incident iI openedI deadlineI resolvedI patronsI objectsI. */
#define INCIDENT_PAGE 20
static char *verb_incident_list(Control *ctl, const Call *call)
{
    guint from = 0;
    if (call->req->n_args == 1) {
        char *end;
        unsigned long v = strtoul(call->req->args[0], &end, 10);
        if (*end || !*call->req->args[0] || v > G_MAXUINT)
            return rk_reply_error("invalid", "usage: incident-list [FROM]");
        from = (guint)v;
    }
    g_autoptr(GPtrArray) all = incident_list(ctl->cfg->state_dir, true);
    RkReply r;
    rk_reply_init_ok(&r);
    rk_reply_add_int(&r, "total", all->len);
    rk_reply_add_int(&r, "from", from);
    guint n = 0;
    for (guint i = from; i < all->len && n < INCIDENT_PAGE; i++, n++) {
        const Incident *inc = all->pdata[i];
        char k[32];
        snprintf(k, sizeof k, "id%u", n), rk_reply_add(&r, k, inc->id);
        snprintf(k, sizeof k, "opened%u", n), rk_reply_add_int(&r, k, inc->opened);
        snprintf(k, sizeof k, "deadline%u", n), rk_reply_add_int(&r, k, inc->deadline);
        snprintf(k, sizeof k, "resolved%u", n), rk_reply_add_int(&r, k, inc->resolved);
        snprintf(k, sizeof k, "patrons%u", n), rk_reply_add_int(&r, k, (long long)inc->patrons);
        snprintf(k, sizeof k, "objects%u", n), rk_reply_add_int(&r, k, (long long)inc->objects);
    }
    rk_reply_add_int(&r, "n", n);
    return rk_reply_finish(&r);
}

/* One record without its notes (notes=N), which come one by one with incident-note. */
static char *verb_incident_show(Control *ctl, const Call *call)
{
    Incident inc;
    const char *id = call->req->args[0];
    int q = incident_get(ctl->cfg->state_dir, id, &inc);
    if (q == -EINVAL)
        return rk_reply_error("invalid", "\"%s\" is not an incident id", id);
    if (q == -ENOENT)
        return rk_reply_error("invalid", "no incident %s", id);
    if (q == -EBADMSG)
        return rk_reply_error("internal", "the record of incident %s cannot be read: it counts as open", id);
    if (q < 0)
        return rk_reply_error("internal", "incident %s: %s", id, g_strerror(-q));
    RkReply r;
    rk_reply_init_ok(&r);
    rk_reply_add(&r, "id", inc.id);
    rk_reply_add_int(&r, "opened", inc.opened);
    rk_reply_add_int(&r, "deadline", inc.deadline);
    rk_reply_add_int(&r, "resolved", inc.resolved);
    rk_reply_add(&r, "session", inc.session[0] ? inc.session : "-");
    rk_reply_add(&r, "step", inc.step[0] ? inc.step : "-");
    rk_reply_add(&r, "classes", inc.classes[0] ? inc.classes : "-");
    rk_reply_add_int(&r, "objects", (long long)inc.objects);
    rk_reply_add_int(&r, "patrons", (long long)inc.patrons);
    rk_reply_add_int(&r, "guided", inc.guided);
    rk_reply_add_int(&r, "retries", (long long)inc.retries);
    rk_reply_add_int(&r, "verified", inc.verified);
    rk_reply_add_int(&r, "deadline_hours", ctl->cfg->report_deadline_hours);
    rk_reply_add_int(&r, "notes", inc.n_notes);
    rk_reply_add(&r, "what", inc.what);
    return rk_reply_finish(&r);
}

static char *verb_incident_note(Control *ctl, const Call *call)
{
    Incident inc;
    const char *id = call->req->args[0];
    char *end;
    unsigned long k = strtoul(call->req->args[1], &end, 10);
    if (*end || !*call->req->args[1])
        return rk_reply_error("invalid", "usage: incident-note ID K");
    int q = incident_get(ctl->cfg->state_dir, id, &inc);
    if (q < 0)
        return rk_reply_error("invalid", "no readable incident %s", id);
    if (k >= inc.n_notes)
        return rk_reply_error("invalid", "incident %s has %u notes", id, inc.n_notes);
    RkReply r;
    rk_reply_init_ok(&r);
    rk_reply_add_int(&r, "at", inc.notes[k].at);
    rk_reply_add(&r, "by", inc.notes[k].by);
    rk_reply_add(&r, "text", inc.notes[k].text);
    return rk_reply_finish(&r);
}

static char *verb_stats(Control *ctl, const Call *call)
{
    const RkRequest *req = call->req;
    bool json = req->n_args == 1 && strcmp(req->args[0], "json") == 0;
    if (req->n_args == 1 && !json)
        return rk_reply_error("invalid", "usage: stats [json]");
    g_autofree char *body = json ? stats_to_json(ctl->stats) : stats_to_text(ctl->stats);
    RkReply r;
    rk_reply_init_ok(&r);
    rk_reply_add(&r, json ? "json" : "text", body);
    return rk_reply_finish(&r);
}

#define BY(role) (1u << (role))
#define ANYONE (BY(ROLE_OTHER) | BY(ROLE_VOLUNTEER) | BY(ROLE_GUEST) | BY(ROLE_ADMIN))

typedef struct {
    const char *verb;
    unsigned roles; /* BY(ROLE_...): who may use it */
    int min_args, max_args;
    const char *usage;
    char *(*handler)(Control *ctl, const Call *call);
} Verb;

/* The verbs, who may use them and their arguments (common/proto.h lists them for clients). */
static const Verb verbs[] = {
    /* Anyone: the state of the seat holds nothing personal. Answered before any user database
     * lookup, since the session client asks for it at every idle report. */
    { "status", ANYONE, 0, 0, "status", verb_status },
    /* Only the guest answers the notice: it is the patron's decision. */
    { "accept", BY(ROLE_GUEST), 0, 0, "accept", verb_accept },
    { "decline", BY(ROLE_GUEST), 0, 0, "decline", verb_decline },
    { "consent", BY(ROLE_GUEST), 0, 0, "consent", verb_consent },
    /* The guest ends its own session; staff may end a stuck one. */
    { "end", BY(ROLE_GUEST) | BY(ROLE_ADMIN), 0, 1, "end [button|logout|idle|staff]", verb_end },
    /* More time is the patron's to ask for (WCAG 2.2.1), within the configured bounds. */
    { "extend", BY(ROLE_GUEST), 0, 0, "extend", verb_extend },
    /* The idle time of the guest's own session, as its client measured it. */
    { "idle", BY(ROLE_GUEST), 1, 1, "idle SECONDS", verb_idle },
    /* The step-away lock is the patron's alone: staff can end a locked session, never open it. */
    { "lock", BY(ROLE_GUEST), 1, 1, "lock CODE", verb_lock },
    { "unlock", BY(ROLE_GUEST), 1, 1, "unlock CODE", verb_unlock },
    /* The settings of the patron's screens: the guest's client, and staff; no secret in them. */
    { "session-config", BY(ROLE_GUEST) | BY(ROLE_ADMIN), 0, 0, "session-config", verb_session_config },
    /* Names are shown on the kiosk's picker; not to strangers. */
    { "volunteers", ANYONE & ~BY(ROLE_OTHER), 0, 0, "volunteers", verb_volunteers },
    /* A PIN check: from the kiosk, a volunteer or staff; not from strangers. */
    { "guided", ANYONE & ~BY(ROLE_OTHER), 2, 2, "guided VOLUNTEER PIN", verb_guided },
    /* The display manager's hooks run as root. */
    { "hook", BY(ROLE_ADMIN), 2, 2, "hook session-setup|session-cleanup USER", verb_hook },
    /* What a wipe would find, statistics and incidents say what happened on this PC, by
     * count: admins only all the same. */
    { "wipe-dry-run", BY(ROLE_ADMIN), 0, 0, "wipe-dry-run", verb_wipe_dry_run },
    { "stats", BY(ROLE_ADMIN), 0, 1, "stats [json]", verb_stats },
    { "incidents", BY(ROLE_ADMIN), 0, 0, "incidents", verb_incidents },
    { "resolve", BY(ROLE_ADMIN), 1, 1, "resolve ID", verb_resolve },
    /* The breach register (GDPR Art. 33(5)): read by staff, closed with a note, never erased. */
    { "incident-list", BY(ROLE_ADMIN), 0, 1, "incident-list [FROM]", verb_incident_list },
    { "incident-show", BY(ROLE_ADMIN), 1, 1, "incident-show ID", verb_incident_show },
    { "incident-note", BY(ROLE_ADMIN), 2, 2, "incident-note ID K", verb_incident_note },
    { "incident-close", BY(ROLE_ADMIN), 2, 2, "incident-close ID NOTE", verb_incident_close },
    /* Today's opening hours are the staff's to change, not the patron's or a volunteer's. */
    { "open", BY(ROLE_ADMIN), 1, 1, "open HH:MM", verb_open },
    { "close", BY(ROLE_ADMIN), 0, 0, "close", verb_close },
};

char *control_handle(ServerClient *client, const Peer *peer, const char *line, size_t len, gpointer data)
{
    Control *ctl = data;
    const char *perr = NULL;
    g_autoptr(RkRequest) req = rk_proto_parse_request(line, len, &perr);
    if (!req)
        return rk_reply_error("invalid", "%s", perr);

    const Verb *v = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(verbs) && !v; i++)
        if (strcmp(req->verb, verbs[i].verb) == 0)
            v = &verbs[i];
    if (!v)
        return rk_reply_error("unknown", "unknown request \"%s\"", req->verb);
    Call call = { .client = client, .peer = peer, .req = req, .role = ROLE_OTHER };
    if (v->roles != ANYONE)
        call.role = control_role(ctl->cfg, seat_guest_uid(ctl->seat), peer->uid);
    if (!(v->roles & BY(call.role)))
        return rk_reply_error("denied", "\"%s\" is not allowed for this user", v->verb);
    /* Any call of the guest's is a sign of life of its session client (the lock watches it). */
    if (peer->uid == seat_guest_uid(ctl->seat))
        seat_client_seen(ctl->seat);
    if (req->n_args < v->min_args || req->n_args > v->max_args)
        return rk_reply_error("invalid", "usage: %s", v->usage);
    return v->handler(ctl, &call);
}
