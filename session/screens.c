/* The patron's screens: what each one says and offers, described as a UiView from the flow's
 * state (the daemon's status and settings, the patron's language, a message). Nothing here
 * changes that state or talks to the daemon; flow.c decides which screen is shown. */
#include "screens.h"
#include "reader.h"

#include <string.h>

/* The line of trust: when the PC was last erased and verified. Shown only when the daemon
 * says the last wipe was verified; otherwise nothing is claimed. */
static char *trust_line(Flow *f)
{
    if (!f->st.verified || f->st.last_wipe <= 0)
        return NULL;
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(f->st.last_wipe);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    if (!t || !now)
        return NULL;
    g_autofree char *hm = g_date_time_format(t, "%H:%M");
    g_autofree char *day = g_date_time_format(t, "%d.%m.%Y");
    g_autofree char *today = g_date_time_format(now, "%d.%m.%Y");
    /* The check mark says it without words too (and not by colour alone). */
    g_autofree char *line = strcmp(day, today) == 0
        ? notice_format(_("This PC was cleaned at {time}; nothing of the previous user remains."), "time", hm, NULL)
        : notice_format(_("This PC was cleaned on {date} at {time}; nothing of the previous user remains."), "date", day,
                        "time", hm, NULL);
    return g_strconcat("\u2713 ", line, NULL);
}

/* Split a text file into its first line (the title) and the rest. */
static void split_title(const char *text, char **title, char **body)
{
    const char *nl = text ? strchr(text, '\n') : NULL;
    *title = nl ? g_strndup(text, (gsize)(nl - text)) : g_strdup(text ? text : "");
    *body = g_strdup(nl ? nl + 1 : "");
    g_strstrip(*title);
}

/* The small line that names the PC on the cover and in the strip, so that a patron can tell
 * the staff which PC they mean; none when the library has not named it. */
static void add_seat(Flow *f, UiView *v)
{
    const char *name = flow_seat_name(f);
    if (!name)
        return;
    /* TRANSLATORS: {name} is what the library calls this PC, e.g. "PC 3 – 2nd floor". */
    g_autofree char *line = notice_format(_("This PC: {name}"), "name", name, NULL);
    ui_view_set_seat(v, line);
}

/* Keys of every cover screen: larger text, the screen reader; and the PC's name. */
UiView *screens_cover(Flow *f, const char *name)
{
    UiView *v = ui_view_new(UI_COVER, name);
    add_seat(f, v);
    ui_view_set_other_monitor(v, _("Please use the main screen."));
    ui_view_add_key(v, "<Control>plus", "text_size");
    ui_view_add_key(v, "<Control>KP_Add", "text_size");
    ui_view_add_key(v, "<Control>equal", "text_size");
    ui_view_add_key(v, "<Control><Alt>s", "screen_reader");
    return v;
}

/* The top row of the notice: one button per language (each named in its own words, with its
 * key: F1, F2, ... in the configured order), larger text, the screen reader. */
static void add_top_buttons(Flow *f, UiView *v)
{
    const char *const *langs = notice_languages(f->texts);
    ui_view_set_top_label(v, _("Language"));
    for (int i = 0; langs[0] && langs[1] && langs[i]; i++) {
        g_autofree char *action = g_strconcat("lang:", langs[i], NULL);
        g_autofree char *label = NULL, *key = NULL;
        if (i < 12) {
            key = g_strdup_printf("F%d", i + 1);
            label = g_strdup_printf("%s\u2002%s", key, notice_autonym(langs[i]));
            ui_view_add_key(v, key, action);
        }
        ui_view_add_top_button(v, action, label ? label : notice_autonym(langs[i]),
                               strcmp(langs[i], f->lang) == 0 ? UI_BTN_LANG_ON : UI_BTN_LANG);
    }
    gboolean large = ui_get_scale(f->ui) > 1.0;
    ui_view_add_top_button(v, "text_size", large ? _("Normal text size") : _("Larger text"), UI_BTN_NORMAL);
    ui_view_add_top_button(v, "screen_reader", _("Screen reader"),
                           reader_on(f) ? UI_BTN_LANG_ON : UI_BTN_NORMAL);
}

static const char *keys_hint(void)
{
    return _("Keyboard: Tab moves between buttons and Enter chooses. Ctrl+Alt+S turns the screen reader on or off. "
             "During the session, Ctrl+Alt+R moves to the session's buttons.");
}


static char *hm_of(long long t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    return d ? g_date_time_format(d, "%H:%M") : g_strdup("?");
}

/* Before the patron accepts: when the library closes and how long the session can last
 * ("The library closes at 16:00: you have 40 minutes"); NULL when it does not close today. */
static char *closing_line(Flow *f)
{
    if (f->st.closes_at <= 0)
        return NULL;
    long until = (long)MAX(f->st.closes_at - (long long)(g_get_real_time() / G_USEC_PER_SEC), 0);
    /* The daemon's session_time is the time limit or less when the library closes sooner. */
    long have = f->st.session_time >= 0 ? MIN(until, f->st.session_time) : until;
    g_autofree char *at = hm_of(f->st.closes_at);
    g_autofree char *d = notice_format_duration(have);
    return notice_format(_("The library closes at {time}: you have {duration}."), "time", at, "duration", d, NULL);
}

/* The closed screen: when the library opens again, in the patron's words for the day. */
UiView *screens_closed(Flow *f)
{
    UiView *v = screens_cover(f, "closed");
    ui_view_set_title(v, _("The library is closed"));
    g_autofree char *body = NULL;
    if (f->st.opens_at > 0) {
        g_autoptr(GDateTime) open = g_date_time_new_from_unix_local(f->st.opens_at);
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        g_autofree char *hm = g_date_time_format(open, "%H:%M");
        g_autofree char *date = g_date_time_format(open, "%d.%m.%Y");
        g_autoptr(GDateTime) tomorrow = g_date_time_add_days(now, 1);
        g_autofree char *today_s = g_date_time_format(now, "%d.%m.%Y");
        g_autofree char *tomorrow_s = g_date_time_format(tomorrow, "%d.%m.%Y");
        if (strcmp(date, today_s) == 0)
            body = notice_format(_("The library opens again today at {time}."), "time", hm, NULL);
        else if (strcmp(date, tomorrow_s) == 0)
            body = notice_format(_("The library opens again tomorrow at {time}."), "time", hm, NULL);
        else
            body = notice_format(_("The library opens again on {date} at {time}."), "date", date, "time", hm, NULL);
    }
    ui_view_set_body(v, body ? body : _("This PC cannot be used right now. Nothing you type here is kept."));
    return v;
}

UiView *screens_notice(Flow *f)
{
    UiView *v = screens_cover(f, "notice");
    g_autofree char *title = NULL, *body = NULL;
    split_title(notice_text(f->texts, f->lang), &title, &body);
    g_autofree char *full = g_strconcat(body, "\n\n", keys_hint(), NULL);
    ui_view_set_title(v, title);
    ui_view_set_body(v, full);
    add_top_buttons(f, v);
    g_autofree char *closing = closing_line(f);
    if (closing)
        ui_view_set_subtitle(v, closing);
    g_autofree char *trust = trust_line(f);
    if (f->message)
        ui_view_set_note(v, f->message, TRUE);
    else if (trust)
        ui_view_set_note(v, trust, FALSE);
    ui_view_add_button(v, "accept", _("I understand — start"), UI_BTN_PRIMARY);
    f->notice_guided = flow_guided_on(f);
    if (f->notice_guided)
        ui_view_add_button(v, "helper", _("A helper is with me"), UI_BTN_NORMAL);
    ui_view_add_button(v, "logout", _("Log out"), UI_BTN_NORMAL);
    return v;
}

UiView *screens_pick(Flow *f)
{
    UiView *v = screens_cover(f, "pick");
    ui_view_set_title(v, _("Helper: choose your name"));
    ui_view_set_body(v, f->volunteers && f->volunteers->len ? _("The helper chooses their name and types their PIN. The patron can look away.") : _("No helpers are registered on this PC. Please ask the staff."));
    for (guint i = 0; f->volunteers && i < f->volunteers->len; i++) {
        const ClientVolunteer *vol = g_ptr_array_index(f->volunteers, i);
        g_autofree char *action = g_strdup_printf("vol:%u", i);
        ui_view_add_list_button(v, action, vol->name);
    }
    if (f->message)
        ui_view_set_note(v, f->message, TRUE);
    ui_view_add_button(v, "back", _("Back"), UI_BTN_NORMAL);
    ui_view_set_escape(v, "back");
    return v;
}

UiView *screens_pin(Flow *f)
{
    UiView *v = screens_cover(f, "pin");
    const ClientVolunteer *vol = g_ptr_array_index(f->volunteers, f->vol);
    g_autofree char *title = notice_format(_("Hello, {name}"), "name", vol->name, NULL);
    ui_view_set_title(v, title);
    ui_view_set_body(v, _("Type your PIN with the number keys, then press OK."));
    ui_view_set_field(v, _("PIN:"), PIN_MAX_DIGITS);
    if (f->message)
        ui_view_set_note(v, f->message, TRUE);
    ui_view_add_button(v, "pin_ok", _("OK"), UI_BTN_PRIMARY);
    ui_view_add_button(v, "back", _("Back"), UI_BTN_NORMAL);
    ui_view_set_escape(v, "back");
    return v;
}

UiView *screens_guided(Flow *f)
{
    UiView *v = screens_cover(f, "guided");
    g_autofree char *title = NULL, *body = NULL;
    split_title(notice_guided_text(f->texts, f->lang), &title, &body);
    g_autofree char *who = notice_format(_("Your helper today: {name}"), "name", f->helper, NULL);
    g_autofree char *ask = notice_format(_("May {name} look at the screen together with you?"), "name", f->helper, NULL);
    ui_view_set_title(v, title);
    ui_view_set_subtitle(v, who);
    ui_view_set_body(v, body);
    ui_view_set_note(v, ask, FALSE);
    add_top_buttons(f, v);
    ui_view_add_button(v, "consent_yes", _("Yes — start"), UI_BTN_PRIMARY);
    ui_view_add_button(v, "consent_no", _("No — go back"), UI_BTN_NORMAL);
    ui_view_set_escape(v, "consent_no");
    return v;
}

UiView *screens_message(Flow *f, const char *name, const char *title, const char *body)
{
    UiView *v = screens_cover(f, name);
    ui_view_set_title(v, title);
    ui_view_set_body(v, body);
    return v;
}

UiView *screens_ooo(Flow *f)
{
    return screens_message(f, "ooo", _("Out of order — please ask the staff"),
                        _("This PC cannot be used right now. Nothing you type here is kept."));
}

/* More time may be asked for: the library allows it and this session has extensions left. */
static gboolean can_extend(Flow *f)
{
    return f->set.extend_by > 0 && f->st.extends_left > 0 && f->st.time_left >= 0;
}

/* The strip: the time left, always; during a warning the warning (a notification that
 * screen readers speak, without taking the focus from the patron's program) and, where the
 * library allows it, "More time" first; "End session" last, which asks again before it ends
 * anything. */
UiView *screens_strip(Flow *f)
{
    UiView *v = ui_view_new(UI_STRIP, "active");
    long left = flow_time_left(f);
    if (left >= 0 && f->st.waiting_input) {
        /* session.start_on_first_input: nothing counts down before the patron begins. */
        g_autofree char *t = notice_format_duration(left);
        g_autofree char *line = notice_format(_("Your time starts when you begin: {time}"), "time", t, NULL);
        ui_view_set_title(v, line);
    } else if (left >= 0) {
        g_autofree char *t = notice_format_duration(left);
        g_autofree char *line = notice_format(_("Time left: {time}"), "time", t, NULL);
        ui_view_set_title(v, line);
    } else {
        ui_view_set_title(v, _("Your session is running"));
    }
    add_seat(f, v);
    if (f->st.closing_warn > 0 && f->st.closes_at > 0) {
        /* The library's closing comes first: no more time can be had past it. */
        g_autofree char *at = hm_of(f->st.closes_at);
        g_autofree char *w = notice_format(_("The library closes at {time}. Save what you want to keep now, for example on your own USB stick or by email."), "time", at, NULL);
        ui_view_set_note(v, w, FALSE);
        ui_view_set_warning(v, TRUE);
    } else if (f->shown_warn > 0) {
        g_autofree char *t = notice_format_duration(left >= 0 ? left : f->shown_warn);
        g_autofree char *w = notice_format(_("{time} left. Save what you want to keep now, for example on your own USB stick or by email."), "time", t, NULL);
        if (can_extend(f)) {
            g_autofree char *n = g_strdup_printf("%ld", f->st.extends_left);
            g_autofree char *more = notice_format(_("Extensions left: {n}"), "n", n, NULL);
            g_autofree char *both = g_strconcat(w, " ", more, NULL);
            ui_view_set_note(v, both, FALSE);
        } else {
            ui_view_set_note(v, w, FALSE);
        }
        ui_view_set_warning(v, TRUE);
    } else if (f->strip_note && g_get_monotonic_time() - f->strip_note_at < 30 * G_USEC_PER_SEC) {
        ui_view_set_note(v, f->strip_note, FALSE);
    }
    if (f->shown_warn > 0 && can_extend(f)) {
        g_autofree char *t = notice_format_duration(f->set.extend_by);
        g_autofree char *more = notice_format(_("More time (+{time})"), "time", t, NULL);
        ui_view_add_button(v, "extend", more, UI_BTN_PRIMARY);
    }
    if (f->set.step_away_max > 0)
        ui_view_add_button(v, "lock", _("Lock the screen"), UI_BTN_NORMAL);
    ui_view_add_button(v, "end", _("End session and erase my data"), UI_BTN_DANGER);
    return v;
}


/* Choosing the code: what the lock does, said before it is on (how long it may last, that
 * wrong codes end the session, that nobody else can open it). */
UiView *screens_lock_choose(Flow *f)
{
    UiView *v = screens_cover(f, f->lock_step == 0 ? "lock-choose" : "lock-again");
    ui_view_set_title(v, f->lock_step == 0 ? _("Choose a code") : _("Type the code again"));
    g_autofree char *t = notice_format_duration(f->set.step_away_max);
    g_autofree char *ends = notice_format(_("If nobody unlocks the screen within {time}, or after 5 wrong codes, the session ends and everything is erased."),
                                          "time", t, NULL);
    g_autofree char *body = g_strconcat(_("Lock the screen while you step away. Choose a code of 4 to 8 digits: only this code unlocks the screen."),
                                        "\n\n", ends, "\n\n",
                                        _("The staff cannot unlock it. Remember your code."), NULL);
    ui_view_set_body(v, body);
    ui_view_set_field(v, _("Code:"), LOCK_MAX_DIGITS);
    if (f->message)
        ui_view_set_note(v, f->message, TRUE);
    ui_view_add_button(v, "lock_next", _("Next"), UI_BTN_PRIMARY);
    ui_view_add_button(v, "lock_cancel", _("Cancel"), UI_BTN_NORMAL);
    ui_view_set_escape(v, "lock_cancel");
    return v;
}

static long lock_left_now(Flow *f)
{
    if (f->st.lock_left < 0)
        return 0;
    return MAX(0, f->st.lock_left - (long)((g_get_monotonic_time() - f->st_at) / G_USEC_PER_SEC));
}

/* The countdown of the lock: its text every second, its name for screen readers in whole
 * minutes only, so that a screen reader is not made to speak it every second. */
void screens_lock_countdown(Flow *f, char **ret_text, char **ret_spoken)
{
    const char *tmpl = _("The session ends and everything is erased in {time}");
    long left = lock_left_now(f);
    g_autofree char *t = notice_format_duration(left);
    g_autofree char *m = notice_format_duration((left / 60 + (left % 60 != 0)) * 60);
    *ret_text = notice_format(tmpl, "time", t, NULL);
    *ret_spoken = notice_format(tmpl, "time", m, NULL);
}

/* The lock screen: nothing on it ends or opens the session but the patron's code. */
UiView *screens_locked(Flow *f)
{
    UiView *v = screens_cover(f, "locked");
    ui_view_set_title(v, _("This PC is locked"));
    g_autofree char *text = NULL, *spoken = NULL;
    screens_lock_countdown(f, &text, &spoken);
    ui_view_set_countdown(v, text, spoken);
    ui_view_set_body(v, _("The person using this PC has stepped away. Only their code unlocks the screen."));
    ui_view_set_field(v, _("Code:"), LOCK_MAX_DIGITS);
    if (f->message) {
        ui_view_set_note(v, f->message, TRUE);
    } else if (f->lock_wrong) {
        g_autofree char *n = g_strdup_printf("%ld", f->st.lock_tries_left);
        g_autofree char *w = notice_format(_("Wrong code. Tries left: {n}."), "n", n, NULL);
        ui_view_set_note(v, w, TRUE);
    }
    ui_view_add_button(v, "unlock", _("Unlock"), UI_BTN_PRIMARY);
    return v;
}
