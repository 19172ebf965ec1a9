/* Internals shared by the ui modules: ui.c (windows, grab, input, dump), view.c (the view
 * model) and draw.c (fonts, text layout, buttons and the three layouts). Not for flow.c. */
#pragma once

#include "ui.h"

#include <X11/Xft/Xft.h>
#include <glib.h>

#define UI_MAX_MONITORS 16
#define UI_FIELD_MAX 12
#define UI_FONT "DejaVu Sans"

typedef struct {
    char *action;
    char *label;
    UiButtonStyle style;
} Button;

struct UiView {
    UiPlace place;
    char *name, *title, *subtitle, *body, *note, *field_label, *other_monitor, *escape, *focus;
    char *scroll_up, *scroll_down;
    gboolean note_error, warning, grab;
    int field_max;
    GPtrArray *top, *list, *buttons; /* Button* */
};

typedef struct {
    int x, y, w, h;
} Rect;

typedef struct {
    const Button *b;
    Rect r; /* window coordinates */
    gboolean disabled;
} Hit;

typedef struct {
    Window win;
    Pixmap pix;
    XftDraw *draw;
    Rect geo; /* root coordinates */
    UiView *view;
    gboolean mapped;
    GArray *hits;      /* Hit, in focus order, rebuilt by every draw */
    char *focus;       /* action of the focused button */
    char *pressed;     /* action under the pointer at button press */
    int scroll, scroll_max, scroll_step;
} Surface;

enum { C_BG, C_FG, C_MUTED, C_PRIMARY, C_ON_DARK, C_BUTTON, C_DANGER, C_FOCUS, C_ERROR, C_STRIP, C_AMBER,
       C_DISABLED, C_LANG_ON, N_COLORS };
extern const char *const ui_color_names[N_COLORS];


struct Ui {
    Display *dpy;
    int screen;
    Window root;
    Visual *visual;
    Colormap cmap;
    XftFont *font, *bold, *title, *small;
    int base; /* body text size in pixels */
    XftColor color[N_COLORS];
    Rect mon[UI_MAX_MONITORS];
    int n_mon, primary;
    int randr_event_base;
    gboolean has_randr;
    Surface s[UI_N_PLACES];
    UiActionFn on_action;
    gpointer user_data;
    char *dump_path;
    int ready_fd;
    Window grab_win;
    gboolean grabbed;
    guint grab_retry;
    char field[UI_FIELD_MAX + 1];
    int field_len;
};

/* view.c */
void ui_set_str(char **dst, const char *s);

/* draw.c: fonts sized from the primary monitor (FALSE when one cannot be opened), and the
 * layouts. draw_surface() lays out and draws s->view into the surface's pixmap (creating or
 * resizing its window) and records its buttons in s->hits; draw_copy() puts the pixmap on
 * the window. */
gboolean draw_open_fonts(Ui *ui);
void draw_close_fonts(Ui *ui);
void draw_surface(Ui *ui, Surface *s);
void draw_copy(Ui *ui, Surface *s);
