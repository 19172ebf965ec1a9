/* The windows of rentark-session and everything drawn in them, built with GTK 3.
 *
 * Three surfaces, each an override-redirect (popup) window: the cover (spans the whole root
 * window: content on the primary monitor, a short note on the others), the strip (time left,
 * warnings, more time and the end button during a session) and the dialog (confirmation,
 * idle countdown). The caller describes a screen as a UiView and ui_show() builds it: GTK
 * lays it out with Pango (shaping, bidirectional text, font fallback), exposes it to screen
 * readers through AT-SPI, and moves the keyboard focus; buttons report their action string
 * through the callback given to ui_new(). The ui owns the input grab: while the cover, or a
 * dialog that asks for it, is shown, keyboard and pointer are grabbed, retried until the grab
 * succeeds. Main thread only; nothing here logs patron input. */
#pragma once

#include <X11/Xlib.h>
#include <glib.h>

typedef enum { UI_COVER, UI_STRIP, UI_DIALOG, UI_N_PLACES } UiPlace;

typedef enum {
    UI_BTN_NORMAL,
    UI_BTN_PRIMARY, /* the expected answer: green, first focus */
    UI_BTN_DANGER,  /* ends the session: red */
    UI_BTN_LANG,    /* a language button; _ON is the current language */
    UI_BTN_LANG_ON,
    UI_BTN_LIST,    /* an entry of a list (a volunteer's name) */
} UiButtonStyle;

typedef struct UiView UiView;

/* A new empty view; name is the screen's name in the debug dump ("notice", "pin", ...). */
UiView *ui_view_new(UiPlace place, const char *name);
void ui_view_free(UiView *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UiView, ui_view_free)
/* Setters copy their strings. */
void ui_view_set_title(UiView *v, const char *title);
void ui_view_set_subtitle(UiView *v, const char *subtitle);
/* The subtitle as a countdown: text is shown, spoken is its name for screen readers, which
 * the caller changes less often than the text (a screen reader is not told every second). */
void ui_view_set_countdown(UiView *v, const char *text, const char *spoken);
/* Paragraphs separated by blank lines; a line starting with "• " or "- " is a bullet. */
void ui_view_set_body(UiView *v, const char *body);
void ui_view_set_note(UiView *v, const char *note, gboolean is_error);
/* A small line naming the PC ("This PC: PC 3"): at the top of a cover screen, under the time
 * left in the strip; NULL for none. */
void ui_view_set_seat(UiView *v, const char *seat);
/* A masked input field (the PIN): the ui keeps the digits typed, see ui_field_*(). */
void ui_view_set_field(UiView *v, const char *label, int max_digits);
void ui_view_set_other_monitor(UiView *v, const char *text);
/* Strip: amber warning look. */
void ui_view_set_warning(UiView *v, gboolean warning);
/* Dialog: grab keyboard and pointer while it is shown. */
void ui_view_set_grab(UiView *v, gboolean grab);
/* The action Esc triggers (NULL: none). */
void ui_view_set_escape(UiView *v, const char *action);
/* Dialog: announced by screen readers as an alert when it appears (the idle countdown). */
void ui_view_set_alert(UiView *v, gboolean alert);
/* The name screen readers give the top row of buttons ("Language"). */
void ui_view_set_top_label(UiView *v, const char *label);
/* A key that triggers action while the view has the keyboard, in GTK's accelerator syntax
 * ("F1", "<Control><Alt>s", "<Control>plus"). */
void ui_view_add_key(UiView *v, const char *accel, const char *action);
/* Buttons: top row (languages), list (in the body), bottom row (actions). */
void ui_view_add_top_button(UiView *v, const char *action, const char *label, UiButtonStyle style);
void ui_view_add_list_button(UiView *v, const char *action, const char *label);
void ui_view_add_button(UiView *v, const char *action, const char *label, UiButtonStyle style);
/* The button focused first (default: the first primary button, else the first). */
void ui_view_set_focus(UiView *v, const char *action);

typedef struct Ui Ui;
typedef void (*UiActionFn)(const char *action, gpointer user_data);

/* Open the ui on GTK's default display (gtk_init() first). dump_path (may be NULL) gets the
 * text of the visible screens, the place of each button and text and whether it fits, after
 * every draw, for tests; ready_fd (or -1) gets "ready\n" after the first screen with content
 * has been drawn and has reached the server. NULL with error when there is no display. */
Ui *ui_new(UiActionFn on_action, gpointer user_data, const char *dump_path, int ready_fd, GError **error);
void ui_free(Ui *ui);

/* Show view at its place (the ui takes ownership), replacing what was there. */
void ui_show(Ui *ui, UiView *view);
void ui_hide(Ui *ui, UiPlace place);
gboolean ui_is_shown(const Ui *ui, UiPlace place);

/* Text size: 1.0 or 2.0 ("larger text"); every screen is built again at the new size. */
void ui_set_scale(Ui *ui, double scale);
double ui_get_scale(const Ui *ui);
/* Right-to-left layout (Arabic): applies to the views shown from now on. */
void ui_set_rtl(Ui *ui, gboolean rtl);

/* A new text for the countdown of the cover on screen (ui_view_set_countdown), set in place:
 * the screen is not built again, so the field keeps what was typed and the focus stays. */
void ui_set_countdown(Ui *ui, const char *text, const char *spoken);

/* The strip gives the keyboard back to the patron's program (after Ctrl+Alt+R). */
void ui_strip_release_keys(Ui *ui);

/* An X event of the root window, seen before GTK (flow_handle_event passes it on): other
 * clients' windows to stay above, monitors that changed, the strip's key (Ctrl+Alt+R).
 * TRUE when it was consumed. */
gboolean ui_handle_root_event(Ui *ui, XEvent *ev);

/* The digits typed into the field of the cover view, NUL-terminated; valid until the next
 * event. ui_field_clear() wipes them (explicit_bzero). */
const char *ui_field_get(const Ui *ui);
void ui_field_clear(Ui *ui);
