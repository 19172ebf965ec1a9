/* Internals shared by the ui modules: ui.c (windows, grab, input, dump), view.c (the view
 * model) and build.c (the widgets of a view, the style sheet). Not for flow.c. */
#pragma once

#include "ui.h"

#include <gtk/gtk.h>

#define UI_MAX_MONITORS 16
#define UI_FIELD_MAX 12

typedef struct {
    char *action;
    char *label;
    UiButtonStyle style;
} Button;

typedef struct {
    guint keyval;          /* lower case for letters */
    GdkModifierType mods;  /* exactly these of Shift, Control, Alt */
    char *action;
} Key;

struct UiView {
    UiPlace place;
    char *name, *title, *subtitle, *body, *note, *field_label, *other_monitor, *escape, *focus;
    char *top_label; /* the accessible name of the top row (e.g. "Language") */
    char *seat;      /* the line naming the PC, or NULL */
    char *subtitle_name; /* the subtitle's name for screen readers (a countdown), or NULL */
    gboolean note_error, warning, grab, alert;
    int field_max;
    GPtrArray *top, *list, *buttons; /* Button* */
    GArray *keys;                    /* Key */
};

/* Whether two views show the same thing (every text, button, key and flag). */
gboolean ui_view_equal(const UiView *a, const UiView *b);

typedef struct {
    int x, y, w, h;
} Rect;

/* A widget the dump describes: a button (b set) or a text (kind set). */
typedef struct {
    GtkWidget *w;
    const Button *b;
    const char *kind; /* "title", "subtitle", "text", "note", "other", "field", "seat" */
} Part;

typedef struct {
    GtkWidget *win;
    UiView *view;
    gboolean mapped;
    GArray *parts;         /* Part, in build order */
    GtkWidget *scroller;   /* the body's scrolled window, or NULL */
    GtkWidget *field;      /* the PIN entry while the view has one, or NULL */
    GtkWidget *entry;      /* that entry, made once and kept (see build_clear), or NULL */
    GtkWidget *entry_label; /* the label that names it on this view, or NULL */
    GtkWidget *focus;      /* the widget to focus when shown */
    Rect geo;              /* root coordinates */
    gboolean drawn;        /* drawn since it was built (its layout is done) */
    char *keep_focus;      /* while rebuilding the same screen: the action that had the focus */
} Surface;

struct Ui {
    GdkDisplay *gdpy;
    GdkScreen *gscreen;
    GtkCssProvider *css;
    double scale;          /* 1.0, or 2.0 for "larger text" */
    gboolean rtl;
    int base;              /* body text size in pixels at scale 1 */
    Rect mon[UI_MAX_MONITORS];
    int n_mon, primary;
    Rect root;
    Surface s[UI_N_PLACES];
    UiActionFn on_action;
    gpointer user_data;
    char *dump_path;
    int ready_fd;
    guint dump_id;         /* idle source writing the dump after a draw */
    GdkWindow *grab_win;   /* what holds the grab (NULL: none) */
    gboolean grabbed, strip_keys;
    guint grab_retry;
};

/* view.c */
void ui_set_str(char **dst, const char *s);

/* build.c: the style sheet for ui->base and ui->scale; the widgets of s->view in s->win
 * (replacing what was there), its parts recorded in s->parts; the window's size and place. */
void build_style(Ui *ui);
/* Empty the surface's window (its widgets, parts, scroller, field and focus). */
void build_clear(Surface *s);
void build_surface(Ui *ui, Surface *s);
