/* The session client's flow: which screen shows when, from the daemon's status and the patron's
 * answers; the screens themselves are screens.c's, the lock's answers lock.c's, the screen reader
 * reader.c's. */
#include "flow-private.h"
#include "a11y.h"
#include "lock.h"
#include "reader.h"
#include "screens.h"

#include <gdk/gdkx.h>
#include <gio/gio.h>
#include <string.h>

static void apply_status(Flow *f);
static void on_idle(gboolean idle, gpointer data);

void flow_set_message(Flow *f, const char *m)
{
    g_free(f->message);
    f->message = g_strdup(m);
}

/* Show screen s with message m under its title, for this drawing only. */
void flow_show_with_message(Flow *f, FlowScreen s, const char *m)
{
    flow_set_message(f, m);
    flow_show(f, s);
    flow_set_message(f, NULL);
}

/* The language of the patron's screens: the notice texts, the catalogue (gettext) and the
 * direction of the layout. */
static void set_language(Flow *f, const char *lang)
{
    char *l = g_strdup(lang);
    g_free(f->lang);
    f->lang = l;
    notice_use_language(l);
    if (f->ui)
        ui_set_rtl(f->ui, notice_is_rtl(l));
}

void flow_clear_source(guint *id)
{
    if (*id)
        g_source_remove(*id);
    *id = 0;
}


/* ---- talking to the daemon ---- */

static gboolean retry_cb(gpointer data);


/* The daemon could not be reached or gave an answer we cannot handle: out of order, and ask
 * again later. The log line names what failed, never what the patron typed. */
void flow_daemon_failed(Flow *f, const char *what, const GError *error)
{
    g_warning("%s failed: %s; showing the out-of-order screen", what, error ? error->message : "unexpected answer");
    flow_show(f, SCR_OOO);
    if (!f->retry_id)
        f->retry_id = g_timeout_add_seconds(FLOW_RETRY_SECONDS, retry_cb, f);
}

/* The seat's status, and the daemon's settings when its status names a generation of them
 * that this client does not have (the first status; a restart or reload of the daemon). */
static gboolean fetch_status(Flow *f, GError **error)
{
    if (!client_get_status(f->opt.socket, &f->st, error))
        return FALSE;
    f->st_at = g_get_monotonic_time();
    if (g_strcmp0(f->st.generation, f->set.generation) == 0)
        return TRUE;
    g_autofree char *old_seat = g_strdup(flow_seat_name(f));
    if (!(f->opt.until_ready ? client_get_settings_from_status : client_get_settings)(f->opt.socket, &f->set, error))
        return FALSE;
    f->seat_changed |= g_strcmp0(old_seat, f->set.seat_name) != 0;
    return TRUE;
}

gboolean flow_refresh_status(Flow *f)
{
    g_autoptr(GError) error = NULL;
    if (!fetch_status(f, &error)) {
        flow_daemon_failed(f, "status", error);
        return FALSE;
    }
    apply_status(f);
    return TRUE;
}

static gboolean retry_cb(gpointer data)
{
    Flow *f = data;
    g_autoptr(GError) error = NULL;
    if (!fetch_status(f, &error)) {
        /* A closed or ending screen that waits for the daemon turns out of order once it is
         * gone; out of order already, quietly: one warning was logged when it failed. */
        if (f->screen != SCR_OOO)
            flow_daemon_failed(f, "status", error);
        return G_SOURCE_CONTINUE;
    }
    f->retry_id = 0;
    g_message("rentarkd answers again");
    apply_status(f);
    return G_SOURCE_REMOVE;
}

/* A verb without arguments whose only good answer is OK. */
static gboolean simple_call(Flow *f, const char *verb, const char *arg)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RkParsedReply) r = rk_call(f->opt.socket, CLIENT_TIMEOUT_MS, &error, verb, arg, NULL);
    if (!r || !r->ok) {
        if (r)
            g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED, "ERR %s", r->code);
        flow_daemon_failed(f, verb, error);
        return FALSE;
    }
    return TRUE;
}

/* Once per session.idle_report_interval: tell the daemon how long the patron has been idle
 * and pick up its state (time left, warnings, a staff end). This is the only periodic
 * wake-up of the client. */
static gboolean report_cb(gpointer data)
{
    Flow *f = data;
    gint64 ms = idle_query_ms(f->idle);
    if (ms >= 0) {
        g_autofree char *secs = g_strdup_printf("%" G_GINT64_FORMAT, ms / 1000);
        g_autoptr(GError) error = NULL;
        g_autoptr(RkParsedReply) r = rk_call(f->opt.socket, CLIENT_TIMEOUT_MS, &error, "idle", secs, NULL);
        if (!r) {
            flow_daemon_failed(f, "idle report", error);
            return G_SOURCE_CONTINUE;
        }
    }
    flow_refresh_status(f);
    return G_SOURCE_CONTINUE;
}

/* ---- the patron's clock (session.start_on_first_input) ---- */

/* The first input after the accept: told to the daemon at once, so that the time left starts
 * counting in the strip within a second of the patron's first click, not at the next report. */
static void on_first_input(gpointer data)
{
    Flow *f = data;
    g_debug("first input after the accept: reported at once");
    report_cb(f);
}

static gboolean first_input_wait_cb(gpointer data)
{
    Flow *f = data;
    f->wait_id = 0;
    /* The daemon shows the notice again when nobody began within first_input_wait: ask. */
    g_debug("no first input within first_input_wait: asking for the status");
    flow_refresh_status(f);
    return G_SOURCE_REMOVE;
}

/* While the patron's clock waits: the first input is watched for, and the status is asked for
 * when the daemon's wait for it runs out (the notice then shows again), without waiting for
 * the next report. */
static void watch_first_input(Flow *f)
{
    gboolean waiting = f->st.state == SEAT_ACTIVE && f->st.waiting_input && !f->st.locked;
    if (!waiting) {
        idle_unwatch_input(f->idle);
        flow_clear_source(&f->wait_id);
        f->wait_seen_at = 0;
        return;
    }
    idle_watch_input(f->idle, FIRST_INPUT_QUIET_MS, on_first_input, f);
    gint64 now = g_get_monotonic_time();
    if (!f->wait_seen_at)
        f->wait_seen_at = now;
    if (!f->wait_id && f->set.first_input_wait > 0) {
        long passed = (long)((now - f->wait_seen_at) / G_USEC_PER_SEC);
        long next = MAX(f->set.first_input_wait + 1 - passed, 2);
        f->wait_id = g_timeout_add_seconds((guint)MIN(next, G_MAXINT32), first_input_wait_cb, f);
    }
}

static gboolean clock_cb(gpointer data);

/* The clock in the strip shows whole minutes, so it needs one wake-up per minute, timed to
 * the moment the shown minute changes. */
static void arm_clock(Flow *f)
{
    flow_clear_source(&f->clock_id);
    long left = flow_time_left(f);
    if (left < 0 || f->screen != SCR_ACTIVE || f->st.waiting_input)
        return;
    long next = left > 60 ? (left % 60 ? left % 60 : 60) : left + 1;
    f->clock_id = g_timeout_add_seconds((guint)MAX(next, 1), clock_cb, f);
}

static gboolean clock_cb(gpointer data)
{
    Flow *f = data;
    f->clock_id = 0;
    long left = flow_time_left(f);
    /* A warning threshold or the end was crossed since the last report: ask the daemon now
     * rather than at the next report. */
    gboolean ask = left <= 0;
    const GArray *warnings = f->set.warnings;
    for (guint i = 0; warnings && i < warnings->len; i++) {
        long w = g_array_index(warnings, int, i);
        if (left <= w && (f->shown_warn == 0 || w < f->shown_warn))
            ask = TRUE;
    }
    if (ask && !flow_refresh_status(f))
        return G_SOURCE_REMOVE;
    if (f->screen == SCR_ACTIVE) {
        ui_show(f->ui, screens_strip(f));
        arm_clock(f);
    }
    return G_SOURCE_REMOVE;
}

static void show_idle_dialog(Flow *f)
{
    gint64 ms = idle_query_ms(f->idle);
    long left = f->idle_timeout - (ms < 0 ? 0 : (long)(ms / 1000));
    g_autofree char *t = notice_format_duration(MAX(left, 0));
    g_autofree char *body = notice_format(_("The session ends and everything is erased in {time}. Move the mouse or press a key to continue."), "time", t, NULL);
    UiView *v = ui_view_new(UI_DIALOG, "idle");
    ui_view_set_title(v, _("Are you still there?"));
    ui_view_set_body(v, body);
    ui_view_set_warning(v, TRUE);
    /* Spoken as an alert when it appears; it takes neither the keyboard nor the pointer, so
     * the patron's next key press goes to their program and counts as being there. */
    ui_view_set_alert(v, TRUE);
    ui_view_add_button(v, "still_here", _("I am still here"), UI_BTN_PRIMARY);
    ui_show(f->ui, v);
}

static void show_confirm(Flow *f)
{
    UiView *v = ui_view_new(UI_DIALOG, "confirm");
    ui_view_set_title(v, _("End the session and erase everything?"));
    ui_view_set_body(v, _("Everything you did on this PC is erased now: documents, downloads, history and logins. This cannot be undone."));
    ui_view_add_button(v, "confirm_yes", _("Yes, end and erase"), UI_BTN_DANGER);
    ui_view_add_button(v, "confirm_no", _("No, continue"), UI_BTN_NORMAL);
    /* Enter on an accidental press must not erase: the safe answer has the focus. */
    ui_view_set_focus(v, "confirm_no");
    ui_view_set_escape(v, "confirm_no");
    ui_view_set_grab(v, TRUE);
    ui_show(f->ui, v);
}

static void stop_countdown(Flow *f)
{
    flow_clear_source(&f->countdown_id);
    if (ui_is_shown(f->ui, UI_DIALOG) && f->idle_now)
        ui_hide(f->ui, UI_DIALOG);
    f->idle_now = FALSE;
}

void flow_show(Flow *f, FlowScreen s)
{
    FlowScreen old = f->screen;
    f->screen = s;
    if (s != SCR_ACTIVE) {
        stop_countdown(f);
        flow_clear_source(&f->clock_id);
    }
    /* The idle alarms only make sense in a running session; the daemon handles the rest. While
     * the screen is locked there is no idle warning: the lock has its own limit. */
    idle_set_enabled(f->idle, s == SCR_ACTIVE);
    if (s != SCR_LOCK_CHOOSE)
        lock_forget(f);
    if (s != SCR_LOCKED) {
        flow_clear_source(&f->lock_id);
        f->lock_wrong = FALSE;
    } else if (!f->lock_id) {
        lock_poll(f);
    }
    gboolean reporting = s == SCR_NOTICE || s == SCR_PICK || s == SCR_PIN || s == SCR_GUIDED || s == SCR_ACTIVE ||
                         s == SCR_LOCK_CHOOSE;
    if (reporting && !f->report_id && f->report_interval > 0)
        f->report_id = g_timeout_add_seconds((guint)f->report_interval, report_cb, f);
    else if (!reporting)
        flow_clear_source(&f->report_id);
    if (s != SCR_OOO)
        flow_clear_source(&f->retry_id);
    switch (s) {
    case SCR_NOTICE:
        /* Fail closed: without a notice text there is nothing the patron may agree to. */
        if (!notice_text(f->texts, f->lang)) {
            f->screen = SCR_OOO;
            ui_show(f->ui, screens_ooo(f));
            break;
        }
        ui_show(f->ui, screens_notice(f));
        break;
    case SCR_PICK: ui_show(f->ui, screens_pick(f)); break;
    case SCR_PIN: ui_show(f->ui, screens_pin(f)); break;
    case SCR_GUIDED: ui_show(f->ui, screens_guided(f)); break;
    case SCR_ENDING:
        ui_show(f->ui, screens_message(f, "ending", _("Ending your session and erasing your data…"),
                                    _("Please wait. The PC will be ready for the next person in a moment.")));
        break;
    case SCR_OOO: ui_show(f->ui, screens_ooo(f)); break;
    case SCR_CLOSED: ui_show(f->ui, screens_closed(f)); break;
    case SCR_LOCK_CHOOSE: ui_show(f->ui, screens_lock_choose(f)); break;
    case SCR_LOCKED:
        if (old != SCR_LOCKED)
            g_message("the screen is locked");
        ui_show(f->ui, screens_locked(f));
        break;
    case SCR_ACTIVE:
        if (old != SCR_ACTIVE) {
            ui_hide(f->ui, UI_COVER);
            g_message("session active%s", f->st.guided ? " (guided)" : "");
        }
        ui_show(f->ui, screens_strip(f));
        arm_clock(f);
        break;
    case SCR_NONE: break;
    }
}

gboolean flow_is_notice_screen(FlowScreen s)
{
    return s == SCR_NOTICE || s == SCR_PICK || s == SCR_PIN || s == SCR_GUIDED;
}

static gint64 idle_threshold_ms(long timeout, long warning)
{
    return timeout > 0 ? (gint64)(timeout - warning) * 1000 : 0;
}

/* Take over the daemon's idle timeout, idle warning and report interval: the daemon ends the
 * session by its own timer, so the countdown and the reports follow the daemon's numbers. */
static void apply_limits(Flow *f)
{
    long timeout = f->set.idle_timeout, warning = f->set.idle_warning, interval = f->set.idle_report_interval;

    if (timeout != f->idle_timeout || warning != f->idle_warning) {
        g_message("idle timeout %ld s, warning %ld s (from rentarkd)", timeout, warning);
        f->idle_timeout = timeout;
        f->idle_warning = warning;
        if (f->idle) {
            /* New alarms at the new threshold; a patron who is already idle past it gets the
             * countdown at once (the alarm is a comparison). */
            stop_countdown(f);
            idle_free(f->idle);
            f->idle = idle_new(f->dpy, idle_threshold_ms(timeout, warning), on_idle, f);
            idle_set_enabled(f->idle, f->screen == SCR_ACTIVE);
        }
    }
    if (interval != f->report_interval) {
        f->report_interval = interval;
        if (f->report_id) {
            flow_clear_source(&f->report_id);
            f->report_id = g_timeout_add_seconds((guint)interval, report_cb, f);
        }
    }
}

/* Read the notice texts from dir in langs, when they are not what was read last (or when
 * forced). A folder of the daemon's that the guest cannot read gives way to the client's own
 * notice.text_dir. TRUE when the texts were read again. */
static gboolean load_texts(Flow *f, const char *dir, char **langs, gboolean force, gboolean quiet)
{
    if (!force && f->texts_langs && g_strcmp0(dir, f->texts_dir) == 0 &&
        g_strv_equal((const char *const *)langs, (const char *const *)f->texts_langs))
        return FALSE;
    const char *own = f->opt.notice_dir;
    g_autoptr(GError) error = NULL;
    NoticeTexts *t = notice_texts_load(dir, (const char *const *)langs, &error);
    if (error && strcmp(dir, own) != 0) {
        /* The folder is configuration, not personal data; it may be named. */
        g_warning("the notice texts in rentarkd's notice.text_dir cannot be read by this client (%s); "
                  "using its own notice.text_dir \"%s\"", error->message, own);
        notice_texts_free(t);
        g_clear_error(&error);
        t = notice_texts_load(own, (const char *const *)langs, &error);
    }
    if (error && !quiet)
        g_warning("%s", error->message);
    else if (error)
        g_debug("%s (before rentarkd's status)", error->message);
    notice_texts_free(f->texts);
    f->texts = t;
    g_free(f->texts_dir);
    f->texts_dir = g_strdup(dir);
    g_strfreev(f->texts_langs);
    f->texts_langs = g_strdupv(langs);
    return TRUE;
}

static gboolean has_language(Flow *f, const char *lang)
{
    for (const char *const *l = notice_languages(f->texts); lang && *l; l++)
        if (strcmp(*l, lang) == 0)
            return TRUE;
    return FALSE;
}

/* The texts and the language the daemon's settings call for: its notice.text_dir (the
 * client's own only when the daemon's path did not fit in its reply) and session.languages.
 * The first status always sets the language: the command line's, else the daemon's default
 * (its first language); later the patron's choice is kept while the texts have it. */
static gboolean apply_texts(Flow *f)
{
    gboolean first = !f->have_status;
    f->have_status = TRUE;
    const char *dir = f->set.notice_dir ? f->set.notice_dir : f->opt.notice_dir;
    char **langs = f->set.languages;
    gboolean reloaded = load_texts(f, dir, langs, first, FALSE);
    if (!first && !reloaded)
        return FALSE;
    const char *want = !first && has_language(f, f->lang) ? f->lang : f->opt.lang ? f->opt.lang : langs[0];
    char *lang = g_strdup(notice_pick_language(f->texts, want)); /* want may be f->lang */
    set_language(f, lang);
    g_free(lang);
    if (!first)
        g_message("the notice texts changed (rentarkd's configuration)");
    return !first;
}

/* --until-ready, before the greeter: done once the display manager's login would be taken
 * (READY with its notice texts; NOTICE or ACTIVE, a session the hook takes up again), so that
 * the greeter starts and logs the guest in. Until then the seat's cover, asked again every
 * second: closed with the next opening, the last patron's wipe, or out of order (BLOCKED, the
 * texts missing). Nothing here can start or answer a session. */
static void apply_until_ready(Flow *f)
{
    SeatState state = f->st.state;
    if (client_status_takes_login(&f->st)) {
        if (!f->finished) {
            f->finished = TRUE;
            g_message("the seat is %s: the greeter may start", rk_seat_state_name(state));
            f->opt.done(f->opt.done_data);
        }
        return;
    }
    FlowScreen want = state == SEAT_CLOSED                              ? SCR_CLOSED
                  : state == SEAT_ENDING || state == SEAT_WIPING ? SCR_ENDING
                                                                  : SCR_OOO;
    if (f->screen != want && want == SCR_OOO)
        g_warning("rentarkd reports state \"%s\"; showing the out-of-order screen", rk_seat_state_name(state));
    flow_show(f, want); /* unchanged: not rebuilt; a new opening time or name: redrawn */
    /* Asked every second (the status is a local call open to anyone): the greeter, and the
     * next patron, wait at most a second once the seat is ready. */
    if (!f->retry_id)
        f->retry_id = g_timeout_add_seconds(1, retry_cb, f);
    f->seat_changed = FALSE;
}

/* Follow the daemon's state. Only the daemon decides that a session is active or ending; the
 * client follows, so a restarted client shows the right screen. */
static void apply_status(Flow *f)
{
    SeatState state = f->st.state;
    gboolean texts_changed = apply_texts(f);
    apply_limits(f);
    if (f->opt.until_ready) {
        apply_until_ready(f);
        return;
    }
    if (state == SEAT_NOTICE) {
        /* The library's setting: the screen reader speaks from the first screen on. */
        if (f->set.screen_reader && !f->reader_asked) {
            f->reader_asked = TRUE;
            reader_start(f);
        }
        /* A notice on screen follows a change of the daemon's configuration at once (SIGHUP):
         * new texts, or the helper button when guided sessions were turned on or off. */
        gboolean redraw = (f->screen == SCR_NOTICE && (texts_changed || flow_guided_on(f) != f->notice_guided)) ||
                          (f->screen == SCR_GUIDED && texts_changed) ||
                          (f->seat_changed && f->screen != SCR_PIN); /* not under typing fingers */
        if (!flow_is_notice_screen(f->screen))
            flow_show(f, SCR_NOTICE);
        else if (redraw)
            flow_show(f, f->screen);
    } else if (state == SEAT_ACTIVE && f->st.locked) {
        /* Locked, also when this client was started again: the lock screen at once. */
        if (f->screen != SCR_LOCKED || f->seat_changed) {
            flow_show(f, SCR_LOCKED);
        } else {
            g_autofree char *text = NULL, *spoken = NULL;
            screens_lock_countdown(f, &text, &spoken);
            ui_set_countdown(f->ui, text, spoken);
        }
    } else if (state == SEAT_ACTIVE && f->screen == SCR_LOCK_CHOOSE) {
        /* The patron is choosing a code: the strip comes back when they are done. */
        f->shown_warn = f->st.warn;
    } else if (state == SEAT_ACTIVE) {
        /* The daemon's warning, 0 again once more time was given. */
        f->shown_warn = f->st.warn;
        flow_show(f, SCR_ACTIVE);
    } else if (state == SEAT_ENDING || state == SEAT_WIPING) {
        if (f->screen != SCR_ENDING)
            g_message("the session is ending; waiting for it to be closed");
        if (f->screen != SCR_ENDING || f->seat_changed)
            flow_show(f, SCR_ENDING);
    } else if (state == SEAT_CLOSED) {
        /* Outside the opening hours: covered and grabbed like out of order, with the time the
         * library opens again; the daemon is asked again meanwhile. */
        if (f->screen != SCR_CLOSED)
            g_message("the library is closed");
        flow_show(f, SCR_CLOSED);
        if (!f->retry_id)
            f->retry_id = g_timeout_add_seconds(FLOW_RETRY_SECONDS, retry_cb, f);
    } else {
        /* READY (no session: the display manager's hook did not run) or BLOCKED (a wipe
         * could not be verified): this PC must not be used. */
        if (f->screen != SCR_OOO)
            g_warning("rentarkd reports state \"%s\"; showing the out-of-order screen", rk_seat_state_name(state));
        flow_show(f, SCR_OOO);
        if (!f->retry_id)
            f->retry_id = g_timeout_add_seconds(FLOW_RETRY_SECONDS, retry_cb, f);
    }
    f->seat_changed = FALSE;
    watch_first_input(f);
}

/* ---- the patron's and the helper's answers ---- */

/* More time, one press (WCAG 2.2.1): the daemon adds session.extend_by while this session has
 * extensions left; a refusal (none left) redraws the strip without the button. */
static void on_extend(Flow *f)
{
    g_autoptr(GError) error = NULL;
    if (!client_extend(f->opt.socket, &f->st, &error)) {
        g_message("more time was refused: %s", error->message);
        flow_refresh_status(f);
        return;
    }
    f->st_at = g_get_monotonic_time();
    g_autofree char *t = notice_format_duration(f->set.extend_by);
    g_free(f->strip_note);
    f->strip_note = notice_format(_("Your time was extended by {time}."), "time", t, NULL);
    f->strip_note_at = g_get_monotonic_time();
    g_message("more time given, %ld extensions left", f->st.extends_left);
    /* Back to work: the keyboard returns to the patron's program. */
    ui_strip_release_keys(f->ui);
    apply_status(f);
}

static void start_session(Flow *f)
{
    if (!simple_call(f, "accept", NULL))
        return;
    flow_set_message(f, NULL);
    flow_refresh_status(f);
}

static void on_pin(Flow *f)
{
    const char *pin = ui_field_get(f->ui);
    if (!*pin)
        return;
    const ClientVolunteer *vol = g_ptr_array_index(f->volunteers, f->vol);
    g_autoptr(GError) error = NULL;
    /* SECURITY: the call wipes its request line; the field is wiped below, so no copy of the
     * PIN stays in this process once it has gone to the socket. */
    g_autoptr(RkParsedReply) r = rk_call(f->opt.socket, CLIENT_TIMEOUT_MS, &error, "guided", vol->id, pin, NULL);
    ui_field_clear(f->ui);
    if (!r) {
        flow_daemon_failed(f, "guided", error);
        return;
    }
    if (r->ok) {
        const char *name = rk_reply_get(r, "name");
        g_free(f->helper);
        f->helper = g_strdup(name && *name ? name : vol->name);
        f->tries = 0;
        flow_set_message(f, NULL);
        flow_show(f, SCR_GUIDED);
        return;
    }
    /* The daemon's own bound on PIN tries for this session is reached: back to the notice. */
    if (r->code && strcmp(r->code, "locked") == 0) {
        f->tries = 0;
        g_message("a helper was refused (locked)");
        flow_show_with_message(f, SCR_NOTICE, _("Too many tries. Please ask the staff for help."));
        return;
    }
    /* A refusal: the reason in the patron's language (the daemon's own message is English,
     * for staff, and names the helper: it is not shown). A bounded number of tries, then back
     * to the notice, so a PIN cannot be guessed at leisure. */
    f->tries++;
    int left = FLOW_MAX_TRIES - f->tries;
    const char *code = r->code ? r->code : "";
    g_autofree char *why = NULL;
    if (strcmp(code, "pin") == 0) {
        g_autofree char *n = g_strdup_printf("%d", left);
        why = notice_format(_("The PIN is not right. Tries left: {n}."), "n", n, NULL);
    } else if (strcmp(code, "declaration") == 0 || strcmp(code, "training") == 0) {
        why = g_strdup(strcmp(code, "declaration") == 0
                           ? _("This helper has no valid declaration of confidentiality on file, so a guided session cannot start.")
                           : _("This helper has not completed the privacy training that guided sessions require."));
    } else if (strcmp(code, "denied") == 0 || strcmp(code, "invalid") == 0 || strcmp(code, "unknown") == 0) {
        why = g_strdup(_("The helper could not be checked."));
    } else {
        flow_daemon_failed(f, "guided", NULL);
        return;
    }
    g_message("a helper was refused (%s), %d tries left", code, MAX(left, 0));
    if (left <= 0) {
        f->tries = 0;
        flow_show_with_message(f, SCR_NOTICE, _("Too many tries. Please ask the staff for help."));
        return;
    }
    flow_set_message(f, why);
    /* A wrong PIN may be typed again; a missing declaration or training will not change, so
     * another helper may be chosen. */
    flow_show(f, strcmp(code, "pin") == 0 ? SCR_PIN : SCR_PICK);
    flow_set_message(f, NULL);
}

/* Next on the screens that choose the code: the first time it is kept (until the second),
 * the second time both must match; then `lock CODE`. A code that is not 4 to 8 digits is
 * refused here, before anything is sent. */
static void on_helper(Flow *f)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *list = client_get_volunteers(f->opt.socket, &error);
    if (!list) {
        flow_daemon_failed(f, "volunteers", error);
        return;
    }
    g_clear_pointer(&f->volunteers, g_ptr_array_unref);
    f->volunteers = list;
    flow_show(f, SCR_PICK);
}

static void on_action(const char *action, gpointer data)
{
    Flow *f = data;
    if (g_str_has_prefix(action, "lang:")) {
        /* The patron's choice, for this session only. */
        set_language(f, notice_pick_language(f->texts, action + 5));
        flow_show(f, f->screen);
    } else if (strcmp(action, "text_size") == 0) {
        ui_set_scale(f->ui, ui_get_scale(f->ui) > 1.0 ? 1.0 : 2.0);
        if (flow_is_notice_screen(f->screen))
            flow_show(f, f->screen); /* the button's own label changes */
    } else if (strcmp(action, "screen_reader") == 0) {
        reader_toggle(f);
    } else if (strcmp(action, "extend") == 0) {
        on_extend(f);
    } else if (strcmp(action, "accept") == 0) {
        /* A helper who was let in must be agreed to before the session starts. */
        if (f->st.guided || f->helper) {
            if (!f->helper)
                f->helper = g_strdup(f->st.volunteer ? f->st.volunteer : "?");
            flow_show(f, SCR_GUIDED);
        }
        else
            start_session(f);
    } else if (strcmp(action, "logout") == 0) {
        if (simple_call(f, "decline", NULL))
            flow_refresh_status(f);
    } else if (strcmp(action, "helper") == 0) {
        f->tries = 0;
        on_helper(f);
    } else if (g_str_has_prefix(action, "vol:")) {
        guint64 i = g_ascii_strtoull(action + 4, NULL, 10);
        if (f->volunteers && i < f->volunteers->len) {
            f->vol = (int)i;
            flow_show(f, SCR_PIN);
        }
    } else if (strcmp(action, "pin_ok") == 0) {
        on_pin(f);
    } else if (strcmp(action, "back") == 0) {
        flow_show(f, f->screen == SCR_PIN ? SCR_PICK : SCR_NOTICE);
    } else if (strcmp(action, "consent_yes") == 0) {
        /* The patron agreed on screen that the helper may look with them. */
        if (simple_call(f, "consent", NULL))
            start_session(f);
    } else if (strcmp(action, "consent_no") == 0) {
        flow_show(f, SCR_NOTICE);
    } else if (strcmp(action, "end") == 0) {
        show_confirm(f);
    } else if (strcmp(action, "confirm_no") == 0) {
        ui_hide(f->ui, UI_DIALOG);
    } else if (strcmp(action, "confirm_yes") == 0) {
        ui_hide(f->ui, UI_DIALOG);
        if (simple_call(f, "end", "button"))
            flow_refresh_status(f);
    } else if (strcmp(action, "lock") == 0) {
        if (f->screen == SCR_ACTIVE && f->set.step_away_max > 0) {
            ui_strip_release_keys(f->ui);
            flow_show(f, SCR_LOCK_CHOOSE);
        }
    } else if (strcmp(action, "lock_next") == 0) {
        if (f->screen == SCR_LOCK_CHOOSE)
            lock_next(f);
    } else if (strcmp(action, "lock_cancel") == 0) {
        if (f->screen == SCR_LOCK_CHOOSE) {
            ui_field_clear(f->ui);
            flow_show(f, SCR_ACTIVE);
        }
    } else if (strcmp(action, "unlock") == 0) {
        if (f->screen == SCR_LOCKED)
            lock_unlock(f);
    } else if (strcmp(action, "still_here") == 0) {
        /* The click itself was input: the idle alarm hides the dialog. */
    }
}

/* ---- idle ---- */

static gboolean countdown_cb(gpointer data)
{
    Flow *f = data;
    gint64 ms = idle_query_ms(f->idle);
    long left = f->idle_timeout - (ms < 0 ? 0 : (long)(ms / 1000));
    if (left > 0) {
        show_idle_dialog(f);
        return G_SOURCE_CONTINUE;
    }
    /* Time is up: report at once, the daemon ends the session. */
    f->countdown_id = 0;
    report_cb(f);
    return G_SOURCE_REMOVE;
}

static void on_idle(gboolean idle, gpointer data)
{
    Flow *f = data;
    if (f->screen != SCR_ACTIVE)
        return;
    if (idle) {
        f->idle_now = TRUE;
        if (ui_is_shown(f->ui, UI_DIALOG))
            ui_hide(f->ui, UI_DIALOG); /* an unanswered confirmation gives way to the countdown */
        show_idle_dialog(f);
        /* The countdown ticks once a second while it is shown, and only then. */
        flow_clear_source(&f->countdown_id);
        f->countdown_id = g_timeout_add_seconds(1, countdown_cb, f);
    } else {
        stop_countdown(f);
    }
}

/* ---- life cycle ---- */

static void on_a11y(A11yState state, gpointer data)
{
    (void)state;
    reader_a11y_settled(data);
}

Flow *flow_new(const FlowOptions *opt, GError **error)
{
    Flow *f = g_new0(Flow, 1);
    f->dpy = gdk_x11_display_get_xdisplay(gdk_display_get_default());
    f->opt = *opt;
    /* The client's own texts, for the screens before the daemon has answered (the cover while
     * it is asked, out of order when it cannot be reached). The notice itself is shown only
     * after the daemon's settings, with the texts they call for (apply_texts). */
    load_texts(f, opt->notice_dir, (char **)opt->languages, TRUE, TRUE);
    f->ui = ui_new(on_action, f, opt->dump_path, opt->ready_fd, error);
    if (!f->ui) {
        f->opt.ready_fd = -1;
        flow_free(f);
        return NULL;
    }
    /* No idle alarms until the daemon's limits are known (apply_limits). */
    f->idle_timeout = f->idle_warning = -1;
    f->idle = idle_new(f->dpy, 0, on_idle, f);
    if (!f->idle)
        g_warning("the X server has no IDLETIME counter: no idle countdown, no idle reports");

    /* The first screen: the cover goes up before the daemon is asked anything, so the desktop
     * is never usable, not even while the daemon is slow to answer. */
    set_language(f, notice_pick_language(f->texts, opt->lang ? opt->lang : opt->languages[0]));
    ui_show(f->ui, screens_cover(f, "starting"));
    a11y_start(on_a11y, f);
    flow_refresh_status(f);
    return f;
}

void flow_free(Flow *f)
{
    if (!f)
        return;
    flow_clear_source(&f->report_id);
    flow_clear_source(&f->clock_id);
    flow_clear_source(&f->retry_id);
    flow_clear_source(&f->countdown_id);
    flow_clear_source(&f->lock_id);
    flow_clear_source(&f->wait_id);
    flow_clear_source(&f->reader_watch);
    a11y_stop();
    explicit_bzero(f->lock_first, sizeof f->lock_first);
    idle_free(f->idle);
    ui_free(f->ui);
    notice_texts_free(f->texts);
    g_free(f->texts_dir);
    g_strfreev(f->texts_langs);
    client_status_clear(&f->st);
    client_settings_clear(&f->set);
    if (f->volunteers)
        g_ptr_array_unref(f->volunteers);
    g_free(f->helper);
    g_free(f->message);
    g_free(f->strip_note);
    g_free(f->lang);
    g_free(f);
}

gboolean flow_handle_event(Flow *f, XEvent *ev)
{
    return idle_handle_event(f->idle, ev) || ui_handle_root_event(f->ui, ev);
}
