/* The step-away lock on the patron's side: the code chosen and typed twice, sent to the
 * daemon and wiped; the lock screen's code sent to unlock; the status asked for every second
 * while locked (the daemon's keep-alive and the countdown). The daemon keeps the code (only
 * as a keyed hash) and decides; this side holds a copy only between the two typings. */
#include "lock.h"

#include <string.h>

static gboolean lock_code_valid(const char *code)
{
    size_t n = strlen(code);
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isdigit(code[i]))
            return FALSE;
    return n >= LOCK_MIN_DIGITS && n <= LOCK_MAX_DIGITS;
}

/* The first code typed is wiped, and the next one asked for is the first again. */
void lock_forget(Flow *f)
{
    explicit_bzero(f->lock_first, sizeof f->lock_first);
    f->lock_step = 0;
}

static gboolean lock_tick_cb(gpointer data)
{
    Flow *f = data;
    f->lock_id = 0;
    /* The keep-alive the daemon waits for, and the lock's time left; apply_status updates
     * the countdown, or leaves the lock screen when the lock has ended. */
    flow_refresh_status(f);
    if (f->screen == SCR_LOCKED && !f->lock_id)
        f->lock_id = g_timeout_add(LOCK_POLL_MS, lock_tick_cb, f);
    return G_SOURCE_REMOVE;
}

void lock_poll(Flow *f)
{
    if (!f->lock_id)
        f->lock_id = g_timeout_add(LOCK_POLL_MS, lock_tick_cb, f);
}

void lock_next(Flow *f)
{
    const char *code = ui_field_get(f->ui);
    if (!*code)
        return;
    if (!lock_code_valid(code)) {
        ui_field_clear(f->ui);
        flow_show_with_message(f, SCR_LOCK_CHOOSE, _("The code must have 4 to 8 digits."));
        return;
    }
    if (f->lock_step == 0) {
        /* SECURITY: the one copy of the code outside GTK's entry, wiped after the second. */
        g_strlcpy(f->lock_first, code, sizeof f->lock_first);
        ui_field_clear(f->ui);
        f->lock_step = 1;
        flow_show(f, SCR_LOCK_CHOOSE);
        return;
    }
    gboolean same = strcmp(code, f->lock_first) == 0;
    explicit_bzero(f->lock_first, sizeof f->lock_first);
    if (!same) {
        ui_field_clear(f->ui);
        f->lock_step = 0;
        flow_show_with_message(f, SCR_LOCK_CHOOSE, _("The two codes were not the same. Please choose a code again."));
        return;
    }
    g_autoptr(GError) error = NULL;
    /* SECURITY: the call wipes its request line and the field is wiped below: no copy of the
     * code stays in this process once it has gone to the socket. The code is never logged. */
    g_autoptr(RkParsedReply) r = rk_call(f->opt.socket, CLIENT_TIMEOUT_MS, &error, "lock", code, NULL);
    ui_field_clear(f->ui);
    lock_forget(f);
    if (!r) {
        flow_daemon_failed(f, "lock", error);
        return;
    }
    if (r->ok) {
        g_message("the patron locked the screen");
    } else {
        /* Refused (the lock was turned off, the session is over): back to what the daemon says. */
        g_message("locking the screen was refused (%s)", r->code ? r->code : "?");
        g_free(f->strip_note);
        f->strip_note = g_strdup(_("The screen could not be locked."));
        f->strip_note_at = g_get_monotonic_time();
        flow_show(f, SCR_ACTIVE);
    }
    flow_refresh_status(f);
}

void lock_unlock(Flow *f)
{
    const char *code = ui_field_get(f->ui);
    if (!*code)
        return;
    if (!lock_code_valid(code)) {
        /* Not a code the lock could have: it costs no try. */
        ui_field_clear(f->ui);
        flow_show_with_message(f, SCR_LOCKED, _("The code must have 4 to 8 digits."));
        return;
    }
    g_autoptr(GError) error = NULL;
    /* SECURITY: as lock_next: the request line and the field are wiped, nothing logged. */
    g_autoptr(RkParsedReply) r = rk_call(f->opt.socket, CLIENT_TIMEOUT_MS, &error, "unlock", code, NULL);
    ui_field_clear(f->ui);
    if (!r) {
        flow_daemon_failed(f, "unlock", error);
        return;
    }
    const char *why = r->ok ? "" : r->code ? r->code : "";
    if (r->ok) {
        g_message("the patron unlocked the screen");
        flow_refresh_status(f);
    } else if (strcmp(why, "wrong-code") == 0) {
        /* The daemon counts the tries; after the last one it has ended the session, and the
         * status shows the ending screen. */
        g_message("a wrong code was typed on the lock screen");
        if (!flow_refresh_status(f))
            return;
        if (f->screen == SCR_LOCKED) {
            f->lock_wrong = TRUE;
            flow_show(f, SCR_LOCKED);
        }
    } else if (strcmp(why, "state") == 0) {
        flow_refresh_status(f); /* no longer locked: the session ended meanwhile */
    } else {
        flow_daemon_failed(f, "unlock", NULL);
    }
}
