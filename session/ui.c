/* Windows, the input grab, stacking, keys and the test dump of rentark-session (GTK 3).
 *
 * GTK builds, lays out and draws the screens (build.c) and makes them readable for screen
 * readers; what GTK cannot do for a fail-closed cover is done here with the X server
 * directly: staying above every other window (override-redirect windows are not stacked by
 * a window manager), and the strip's global key (a passive grab of Ctrl+Alt+R on the root). */
#include "ui-private.h"

#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <gdk/gdkx.h>
#include <gtk/gtk-a11y.h>
#include <gdk/gdkkeysyms.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

static const char *const place_names[UI_N_PLACES] = { "cover", "strip", "dialog" };

/* ---- monitors ---- */

/* The monitors GDK knows (RandR); the content goes on the primary monitor, or the first. */
static void query_monitors(Ui *ui)
{
    ui->n_mon = 0;
    ui->primary = 0;
    GdkMonitor *prim = gdk_display_get_primary_monitor(ui->gdpy);
    int n = gdk_display_get_n_monitors(ui->gdpy);
    for (int i = 0; i < n && ui->n_mon < UI_MAX_MONITORS; i++) {
        GdkMonitor *m = gdk_display_get_monitor(ui->gdpy, i);
        GdkRectangle r;
        gdk_monitor_get_geometry(m, &r);
        if (r.width <= 0 || r.height <= 0)
            continue;
        if (m == prim)
            ui->primary = ui->n_mon;
        ui->mon[ui->n_mon++] = (Rect){ r.x, r.y, r.width, r.height };
    }
    Display *dpy = gdk_x11_display_get_xdisplay(ui->gdpy);
    int scr = DefaultScreen(dpy);
    ui->root = (Rect){ 0, 0, DisplayWidth(dpy, scr), DisplayHeight(dpy, scr) };
    if (ui->n_mon == 0) {
        ui->mon[0] = ui->root;
        ui->n_mon = 1;
    }
    ui->base = CLAMP(ui->mon[ui->primary].h / 32, 18, 48);
}

/* ---- the test dump, readiness ---- */

static gboolean part_visible(GtkWidget *w)
{
    return gtk_widget_get_mapped(w) && gtk_widget_get_child_visible(w);
}

/* "layout KIND X Y W H fits|clipped UNKNOWN shown|hidden [ACTION]": a text's layout against
 * the space it got: "fits" when Pango's logical extents lie within
 * the label's allocation, and the label within its window (or within the scrolled body,
 * which the patron scrolls), so nothing is clipped; then how many characters no font could
 * show (Pango's unknown glyphs: the boxes a missing font leaves). x, y: the label in window
 * coordinates. */
static void dump_text(GString *d, const Surface *s, GtkWidget *label, int x, int y)
{
    GtkAllocation a;
    gtk_widget_get_allocation(label, &a);
    PangoLayout *l = gtk_label_get_layout(GTK_LABEL(label));
    int lx = 0, ly = 0;
    PangoRectangle r;
    gtk_label_get_layout_offsets(GTK_LABEL(label), &lx, &ly);
    pango_layout_get_pixel_extents(l, NULL, &r);
    /* The logical rectangle is relative to the layout's origin (centred or right-aligned
     * lines start to its right). */
    int left = lx - a.x + r.x, top = ly - a.y + r.y, lw = r.width, lh = r.height;
    gboolean fits = left >= -1 && top >= -1 && left + lw <= a.width + 1 && top + lh <= a.height + 1;
    gboolean scrolled = s->scroller && gtk_widget_is_ancestor(label, s->scroller);
    if (!scrolled)
        fits = fits && x >= 0 && y >= 0 && x + a.width <= gtk_widget_get_allocated_width(s->win) &&
               y + a.height <= gtk_widget_get_allocated_height(s->win);
    /* A text of the scrolled body is on screen when it lies within the scrolled window. */
    gboolean shown = TRUE;
    int sx = 0, sy = 0;
    if (scrolled && gtk_widget_translate_coordinates(s->scroller, s->win, 0, 0, &sx, &sy))
        shown = y >= sy && y + a.height <= sy + gtk_widget_get_allocated_height(s->scroller);
    g_string_append_printf(d, "%d %d %d %d %s %d %s", x + s->geo.x, y + s->geo.y, a.width, a.height,
                           fits ? "fits" : "clipped", pango_layout_get_unknown_glyphs_count(l),
                           shown ? "shown" : "hidden");
}

static void dump_surface(Ui *ui, GString *d, int p)
{
    Surface *s = &ui->s[p];
    const UiView *v = s->view;
    g_string_append_printf(d, "screen %s %s\n", place_names[p], v->name);
    const char *labels[] = { "seat", "title", "subtitle", "note", "other" };
    const char *vals[] = { v->seat, v->title, v->subtitle, v->note, v->other_monitor };
    for (gsize i = 0; i < G_N_ELEMENTS(labels); i++)
        if (vals[i])
            g_string_append_printf(d, "%s %s\n", labels[i], vals[i]);
    if (v->body) {
        g_auto(GStrv) lines = g_strsplit(v->body, "\n", -1);
        for (char **l = lines; *l; l++)
            if (**l)
                g_string_append_printf(d, "text %s\n", *l);
    }
    if (s->field)
        g_string_append_printf(d, "field %u\n", gtk_entry_get_text_length(GTK_ENTRY(s->field)));
    if (s->scroller) {
        GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(s->scroller));
        int max = (int)(gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj));
        if (max > 0)
            g_string_append_printf(d, "scroll %d %d\n", (int)gtk_adjustment_get_value(adj), max);
    }
    for (guint i = 0; i < s->parts->len; i++) {
        const Part *pt = &g_array_index(s->parts, Part, i);
        int x = 0, y = 0;
        if (gtk_widget_in_destruction(pt->w) || !part_visible(pt->w) ||
            !gtk_widget_translate_coordinates(pt->w, s->win, 0, 0, &x, &y))
            continue;
        GtkAllocation a;
        gtk_widget_get_allocation(pt->w, &a);
        if (pt->b) {
            g_string_append_printf(d, "button %s %d %d %d %d %s %s\n", pt->b->action, x + s->geo.x, y + s->geo.y,
                                   a.width, a.height, gtk_widget_has_focus(pt->w) ? "*" : "-", pt->b->label);
            GtkWidget *l = gtk_bin_get_child(GTK_BIN(pt->w));
            int lx = 0, ly = 0;
            /* What the button says on screen (the current language's check mark). */
            if (GTK_IS_LABEL(l))
                g_string_append_printf(d, "drawn button %s %s\n", pt->b->action, gtk_label_get_text(GTK_LABEL(l)));
            if (GTK_IS_LABEL(l) && gtk_widget_translate_coordinates(l, s->win, 0, 0, &lx, &ly)) {
                g_string_append(d, "layout button ");
                dump_text(d, s, l, lx, ly);
                g_string_append_printf(d, " %s\n", pt->b->action);
            }
        } else if (GTK_IS_LABEL(pt->w)) {
            /* What a note says on screen (its ⚠: a warning is not told by colour alone). */
            if (strcmp(pt->kind, "note") == 0)
                g_string_append_printf(d, "drawn note %s\n", gtk_label_get_text(GTK_LABEL(pt->w)));
            g_string_append_printf(d, "layout %s ", pt->kind);
            dump_text(d, s, pt->w, x, y);
            g_string_append_c(d, '\n');
        }
    }
}

/* The text of every visible surface, for tests (--debug-dump): the screen's name, its text,
 * its buttons with their place on the root window and the focus, and for every text whether
 * it fits its space and how many characters had no glyph. The PIN field shows its length
 * only: patron and volunteer input never reaches this file. Written by rename, so a reader
 * never sees half a file. */
static void write_dump(Ui *ui)
{
    if (!ui->dump_path)
        return;
    GString *d = g_string_new(NULL);
    g_string_append_printf(d, "grab %s\n", ui->grabbed ? "yes" : "no");
    g_string_append_printf(d, "scale %g\ndirection %s\n", ui->scale, ui->rtl ? "rtl" : "ltr");
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].mapped && ui->s[p].view)
            dump_surface(ui, d, p);
    g_file_set_contents(ui->dump_path, d->str, (gssize)d->len, NULL);
    g_string_free(d, TRUE);
}

static gboolean after_draw_cb(gpointer data)
{
    Ui *ui = data;
    ui->dump_id = 0;
    /* A screen that is built but not yet laid out and drawn would give the places of its
     * buttons before GTK has set them: its first draw writes the dump. */
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].mapped && ui->s[p].view && !ui->s[p].drawn)
            return G_SOURCE_REMOVE;
    /* Ready is the first screen with content (not the blank cover shown while the daemon is
     * asked for its state), drawn on the server, not just queued. */
    const Surface *c = &ui->s[UI_COVER];
    if (ui->ready_fd >= 0 && ((c->mapped && c->view && c->view->title) || ui->s[UI_STRIP].mapped)) {
        gdk_display_sync(ui->gdpy);
        (void)!write(ui->ready_fd, "ready\n", 6);
        close(ui->ready_fd);
        ui->ready_fd = -1;
    }
    write_dump(ui);
    return G_SOURCE_REMOVE;
}

/* The dump (and readiness) once GTK has laid out and drawn what changed: an idle callback
 * of low priority runs after the frame clock's layout and paint. */
static void dump_soon(Ui *ui)
{
    if (!ui->dump_id)
        ui->dump_id = g_idle_add_full(G_PRIORITY_LOW, after_draw_cb, ui, NULL);
}

/* After every draw (a new screen, focus moved, a key typed). */
static gboolean on_draw(GtkWidget *w, cairo_t *cr, gpointer data)
{
    Surface *s = g_object_get_data(G_OBJECT(w), "rk-surface");
    if (s)
        s->drawn = TRUE;
    dump_soon(data);
    return FALSE;
}

/* Keep our windows above everything, in a fixed order (cover, strip, dialog). Our windows
 * never overlap each other (the cover hides the others), so raising cannot loop. */
static void raise_all(Ui *ui)
{
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].mapped)
            gdk_window_raise(gtk_widget_get_window(ui->s[p].win));
}

/* ---- the input grab ---- */

static void update_grab(Ui *ui);

static gboolean grab_retry_cb(gpointer data)
{
    Ui *ui = data;
    ui->grab_retry = 0;
    update_grab(ui);
    return G_SOURCE_REMOVE;
}

static void ungrab(Ui *ui)
{
    if (ui->grab_win)
        gdk_seat_ungrab(gdk_display_get_default_seat(ui->gdpy));
    ui->grab_win = NULL;
    ui->grabbed = FALSE;
}

/* SECURITY: while the cover (or a modal dialog) is up, keyboard and pointer are grabbed, so
 * no other client receives input: nothing of the desktop can be used before the patron
 * answers. Another client may hold a grab at the moment we start (a menu that was open);
 * then we retry every 100 ms until we have both, like slock and xsecurelock do, and the
 * cover stays up meanwhile. The strip takes the keyboard only when the patron asks for it
 * (Ctrl+Alt+R) and gives it back at Esc. */
static void update_grab(Ui *ui)
{
    GdkWindow *want = NULL;
    GdkSeatCapabilities caps = GDK_SEAT_CAPABILITY_ALL;
    if (ui->s[UI_DIALOG].mapped && ui->s[UI_DIALOG].view && ui->s[UI_DIALOG].view->grab)
        want = gtk_widget_get_window(ui->s[UI_DIALOG].win);
    else if (ui->s[UI_COVER].mapped)
        want = gtk_widget_get_window(ui->s[UI_COVER].win);
    else if (ui->s[UI_STRIP].mapped && ui->strip_keys) {
        want = gtk_widget_get_window(ui->s[UI_STRIP].win);
        caps = GDK_SEAT_CAPABILITY_KEYBOARD;
    }
    if (!want) {
        gboolean was = ui->grabbed;
        ungrab(ui);
        if (was)
            dump_soon(ui);
        return;
    }
    if (want == ui->grab_win && ui->grabbed)
        return;
    if (ui->grab_win && ui->grab_win != want)
        ungrab(ui);
    ui->grab_win = want;
    /* owner_events: input over our own windows goes to them as usual (GTK finds the button
     * under the pointer); everything else is reported to the grab window, never to another
     * client. */
    GdkGrabStatus st = gdk_seat_grab(gdk_display_get_default_seat(ui->gdpy), want, caps, TRUE, NULL, NULL, NULL, NULL);
    gboolean was = ui->grabbed;
    ui->grabbed = st == GDK_GRAB_SUCCESS;
    if (!ui->grabbed && !ui->grab_retry)
        ui->grab_retry = g_timeout_add(100, grab_retry_cb, ui);
    if (ui->grabbed != was)
        dump_soon(ui);
}

/* ---- showing views ---- */

static void build(Ui *ui, Surface *s)
{
    s->drawn = FALSE;
    build_surface(ui, s);
    if (s == &ui->s[UI_STRIP] && ui->strip_keys) /* the patron is using the strip's buttons */
        for (guint i = 0; i < s->parts->len && !s->focus; i++)
            if (g_array_index(s->parts, Part, i).b)
                s->focus = g_array_index(s->parts, Part, i).w;
    if (s->focus) {
        gtk_window_set_focus(GTK_WINDOW(s->win), s->focus);
        gtk_window_set_focus_visible(GTK_WINDOW(s->win), TRUE);
    } else {
        /* The strip without the keyboard: no focus ring that would claim it has it. */
        gtk_window_set_focus_visible(GTK_WINDOW(s->win), FALSE);
    }
    gtk_widget_queue_draw(s->win);
}

void ui_show(Ui *ui, UiView *view)
{
    Surface *s = &ui->s[view->place];
    /* The cover is the whole screen: nothing of ours (or anyone's) may sit above it. */
    if (view->place == UI_COVER) {
        ui_hide(ui, UI_STRIP);
        ui_hide(ui, UI_DIALOG);
    }
    /* Nothing changed (a status report that moved nothing on screen): the widgets stay, so a
     * click or a code being typed is never lost to a rebuild. It is raised all the same. */
    if (s->mapped && s->view && ui_view_equal(s->view, view)) {
        ui_view_free(view);
        raise_all(ui);
        update_grab(ui);
        return;
    }
    /* The same screen drawn again (another language, a new time): the focus stays on the
     * button that had it, if it is still there. */
    g_clear_pointer(&s->keep_focus, g_free);
    GtkWidget *fw = gtk_window_get_focus(GTK_WINDOW(s->win));
    if (s->mapped && s->view && fw && strcmp(s->view->name, view->name) == 0)
        s->keep_focus = g_strdup(g_object_get_data(G_OBJECT(fw), "rk-action"));
    /* The parts point into the old view's buttons: gone with it. */
    g_array_set_size(s->parts, 0);
    ui_view_free(s->view);
    s->view = view;
    build(ui, s);
    if (!s->mapped) {
        gtk_widget_show(s->win);
        s->mapped = TRUE;
    }
    raise_all(ui);
    update_grab(ui);
}

void ui_hide(Ui *ui, UiPlace place)
{
    Surface *s = &ui->s[place];
    if (s->mapped)
        gtk_widget_hide(s->win);
    s->mapped = FALSE;
    if (place == UI_STRIP)
        ui->strip_keys = FALSE;
    build_clear(s);
    g_clear_pointer(&s->view, ui_view_free);
    update_grab(ui);
    dump_soon(ui);
}

gboolean ui_is_shown(const Ui *ui, UiPlace place)
{
    return ui->s[place].mapped;
}

const char *ui_field_get(const Ui *ui)
{
    const Surface *s = &ui->s[UI_COVER];
    return s->field ? gtk_entry_get_text(GTK_ENTRY(s->field)) : "";
}

void ui_field_clear(Ui *ui)
{
    Surface *s = &ui->s[UI_COVER];
    if (s->field)
        gtk_entry_set_text(GTK_ENTRY(s->field), "");
}

void ui_set_countdown(Ui *ui, const char *text, const char *spoken)
{
    Surface *s = &ui->s[UI_COVER];
    if (!s->mapped || !s->view || !s->view->subtitle_name)
        return;
    if (g_strcmp0(text, s->view->subtitle) == 0 && g_strcmp0(spoken, s->view->subtitle_name) == 0)
        return;
    for (guint i = 0; i < s->parts->len; i++) {
        const Part *p = &g_array_index(s->parts, Part, i);
        if (!p->kind || strcmp(p->kind, "subtitle") != 0 || gtk_widget_in_destruction(p->w))
            continue;
        gtk_label_set_text(GTK_LABEL(p->w), text);
        /* Only a new name is set: an unchanged one raises no event for a screen reader. */
        if (g_strcmp0(spoken, s->view->subtitle_name) != 0)
            atk_object_set_name(gtk_widget_get_accessible(p->w), spoken);
    }
    ui_set_str(&s->view->subtitle, text);
    ui_set_str(&s->view->subtitle_name, spoken);
    dump_soon(ui);
}

void ui_set_scale(Ui *ui, double scale)
{
    ui->scale = CLAMP(scale, 1.0, 2.0);
    build_style(ui);
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].mapped && ui->s[p].view)
            build(ui, &ui->s[p]);
}

double ui_get_scale(const Ui *ui)
{
    return ui->scale;
}

void ui_set_rtl(Ui *ui, gboolean rtl)
{
    ui->rtl = rtl;
    gtk_widget_set_default_direction(rtl ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
}

/* ---- keys ---- */

static void scroll_by(Surface *s, double pages)
{
    if (!s->scroller)
        return;
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(s->scroller));
    double step = pages * gtk_adjustment_get_page_size(adj) * 0.9;
    gtk_adjustment_set_value(adj, gtk_adjustment_get_value(adj) + step);
}

static void run_action(Ui *ui, const char *action)
{
    g_autofree char *a = g_strdup(action);
    ui->on_action(a, ui->user_data);
}

/* Keys a view binds (languages, text size, screen reader), Esc, and scrolling the body;
 * everything else (Tab, arrows, Enter, Space, digits in the PIN field) is GTK's. */
static gboolean on_key(GtkWidget *w, GdkEventKey *ev, gpointer data)
{
    Ui *ui = data;
    Surface *s = g_object_get_data(G_OBJECT(w), "rk-surface");
    if (!s || !s->view)
        return FALSE;
    const UiView *v = s->view;
    GdkModifierType mods = ev->state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_MOD1_MASK);
    guint kv = gdk_keyval_to_lower(ev->keyval);
    for (guint i = 0; i < v->keys->len; i++) {
        const Key *k = &g_array_index(v->keys, Key, i);
        /* Shift is part of some keys ("+" on many layouts): it is ignored unless asked for. */
        if (k->keyval == kv && (k->mods == mods || (k->mods | GDK_SHIFT_MASK) == mods)) {
            run_action(ui, k->action);
            return TRUE;
        }
    }
    switch (ev->keyval) {
    case GDK_KEY_Escape:
        if (s == &ui->s[UI_STRIP] && ui->strip_keys) {
            ui_strip_release_keys(ui);
            return TRUE;
        }
        if (v->escape)
            run_action(ui, v->escape);
        return TRUE;
    case GDK_KEY_Page_Up: case GDK_KEY_KP_Page_Up: scroll_by(s, -1); return TRUE;
    case GDK_KEY_Page_Down: case GDK_KEY_KP_Page_Down: scroll_by(s, 1); return TRUE;
    case GDK_KEY_Up: case GDK_KEY_KP_Up: scroll_by(s, -0.25); return TRUE;
    case GDK_KEY_Down: case GDK_KEY_KP_Down: scroll_by(s, 0.25); return TRUE;
    default: return FALSE;
    }
}

/* The strip's key: Ctrl+Alt+R, grabbed on the root window for every combination of the lock
 * modifiers (Num Lock, Caps Lock), so it works whatever program has the focus. */
static const unsigned int lock_mods[] = { 0, LockMask, Mod2Mask, LockMask | Mod2Mask };

static void grab_strip_key(Ui *ui, gboolean on)
{
    Display *dpy = gdk_x11_display_get_xdisplay(ui->gdpy);
    Window root = DefaultRootWindow(dpy);
    KeyCode kc = XKeysymToKeycode(dpy, XK_r);
    if (!kc)
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(lock_mods); i++) {
        if (on)
            XGrabKey(dpy, kc, ControlMask | Mod1Mask | lock_mods[i], root, True, GrabModeAsync, GrabModeAsync);
        else
            XUngrabKey(dpy, kc, ControlMask | Mod1Mask | lock_mods[i], root);
    }
}

static void strip_take_keys(Ui *ui)
{
    Surface *s = &ui->s[UI_STRIP];
    if (!s->mapped || ui->s[UI_COVER].mapped)
        return;
    ui->strip_keys = TRUE;
    update_grab(ui);
    for (guint i = 0; i < s->parts->len; i++)
        if (g_array_index(s->parts, Part, i).b) {
            gtk_window_set_focus(GTK_WINDOW(s->win), g_array_index(s->parts, Part, i).w);
            break;
        }
    gtk_window_set_focus_visible(GTK_WINDOW(s->win), TRUE);
    gtk_widget_queue_draw(s->win);
}

void ui_strip_release_keys(Ui *ui)
{
    if (!ui->strip_keys)
        return;
    ui->strip_keys = FALSE;
    update_grab(ui);
    gtk_window_set_focus_visible(GTK_WINDOW(ui->s[UI_STRIP].win), FALSE);
    gtk_widget_queue_draw(ui->s[UI_STRIP].win);
}

gboolean ui_handle_root_event(Ui *ui, XEvent *ev)
{
    Display *dpy = gdk_x11_display_get_xdisplay(ui->gdpy);
    Window root = DefaultRootWindow(dpy);
    if (ev->type == KeyPress && ev->xkey.window == root) {
        if (XLookupKeysym(&ev->xkey, 0) == XK_r && (ev->xkey.state & (ControlMask | Mod1Mask)) == (ControlMask | Mod1Mask))
            strip_take_keys(ui);
        return TRUE;
    }
    if ((ev->type == MapNotify || ev->type == ConfigureNotify) && ev->xany.window == root) {
        /* From the root's SubstructureNotify: another top-level window appeared or moved in
         * the stack. */
        Window w = ev->type == MapNotify ? ev->xmap.window : ev->xconfigure.window;
        for (int p = 0; p < UI_N_PLACES; p++) {
            GdkWindow *gw = gtk_widget_get_window(ui->s[p].win);
            if (gw && GDK_WINDOW_XID(gw) == w)
                return FALSE;
        }
        raise_all(ui);
    }
    return FALSE;
}

static void on_monitors_changed(Ui *ui)
{
    query_monitors(ui);
    build_style(ui);
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].mapped && ui->s[p].view)
            build(ui, &ui->s[p]);
}

static void on_monitor_signal(GdkDisplay *d, GdkMonitor *m, gpointer data) { on_monitors_changed(data); }
static void on_screen_size(GdkScreen *s, gpointer data) { on_monitors_changed(data); }

/* Nothing of ours goes away behind the patron's back: a window GTK is asked to close (it
 * cannot be, without a window manager, but a client can send the message) stays. */
static gboolean on_delete(GtkWidget *w, GdkEvent *ev, gpointer data)
{
    return TRUE;
}

/* ---- life cycle ---- */

static void part_clear(gpointer p)
{
    g_clear_object(&((Part *)p)->w);
}

static void make_window(Ui *ui, Surface *s)
{
    /* Popup windows are override-redirect: no window manager moves, hides or decorates them. */
    s->win = gtk_window_new(GTK_WINDOW_POPUP);
    g_object_ref_sink(s->win);
    gtk_style_context_add_class(gtk_widget_get_style_context(s->win), "rk");
    gtk_widget_set_app_paintable(s->win, FALSE);
    g_object_set_data(G_OBJECT(s->win), "rk-surface", s);
    g_signal_connect(s->win, "key-press-event", G_CALLBACK(on_key), ui);
    g_signal_connect_after(s->win, "draw", G_CALLBACK(on_draw), ui);
    g_signal_connect(s->win, "delete-event", G_CALLBACK(on_delete), NULL);
    s->parts = g_array_new(FALSE, TRUE, sizeof(Part));
    /* A part holds its widget: the dump may run after GTK destroyed it. */
    g_array_set_clear_func(s->parts, part_clear);
    gtk_widget_realize(s->win);
}

/* ---- the labels' accessible ----
 * GTK 3's accessible of a label answers a screen reader's question for its state with nothing
 * once the label is destroyed, and the AT-SPI bridge, which may still hold that accessible (for
 * an event it has not sent yet) when a screen reader asks for every object, then logs two
 * criticals (found by test-session-a11y, which walks every screen with the bus listening; the
 * screens are rebuilt at every change). Our labels' accessible says "defunct" instead, as
 * GTK's own widget accessible does. */
typedef GtkLabelAccessible RkLabelAccessible;
typedef GtkLabelAccessibleClass RkLabelAccessibleClass;
GType rk_label_accessible_get_type(void);
G_DEFINE_TYPE(RkLabelAccessible, rk_label_accessible, GTK_TYPE_LABEL_ACCESSIBLE)

static AtkStateSet *rk_label_accessible_ref_state_set(AtkObject *o)
{
    if (!gtk_accessible_get_widget(GTK_ACCESSIBLE(o))) {
        AtkStateSet *set = atk_state_set_new();
        atk_state_set_add_state(set, ATK_STATE_DEFUNCT);
        return set;
    }
    return ATK_OBJECT_CLASS(rk_label_accessible_parent_class)->ref_state_set(o);
}

static void rk_label_accessible_class_init(RkLabelAccessibleClass *c)
{
    ATK_OBJECT_CLASS(c)->ref_state_set = rk_label_accessible_ref_state_set;
}

static void rk_label_accessible_init(RkLabelAccessible *a)
{
}

Ui *ui_new(UiActionFn on_action, gpointer user_data, const char *dump_path, int ready_fd, GError **error)
{
    GdkDisplay *gd = gdk_display_get_default();
    if (!gd || !GDK_IS_X11_DISPLAY(gd)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no X11 display");
        return NULL;
    }
    /* Before the first label is made. */
    GtkWidgetClass *label_class = g_type_class_ref(GTK_TYPE_LABEL);
    gtk_widget_class_set_accessible_type(label_class, rk_label_accessible_get_type());
    g_type_class_unref(label_class);
    Ui *ui = g_new0(Ui, 1);
    ui->gdpy = gd;
    ui->gscreen = gdk_display_get_default_screen(gd);
    ui->on_action = on_action;
    ui->user_data = user_data;
    ui->dump_path = g_strdup(dump_path);
    ui->ready_fd = ready_fd;
    ui->scale = 1.0;
    /* The theme is GTK's own (Adwaita, built in): the kiosk's look never depends on what a
     * guest's settings or the installed themes say. */
    g_object_set(gtk_settings_get_for_screen(ui->gscreen), "gtk-theme-name", "Adwaita",
                 "gtk-application-prefer-dark-theme", FALSE, "gtk-enable-animations", FALSE, NULL);
    ui->css = gtk_css_provider_new();
    gtk_style_context_add_provider_for_screen(ui->gscreen, GTK_STYLE_PROVIDER(ui->css),
                                              GTK_STYLE_PROVIDER_PRIORITY_USER + 1);
    query_monitors(ui);
    build_style(ui);
    for (int p = 0; p < UI_N_PLACES; p++)
        make_window(ui, &ui->s[p]);
    g_signal_connect(gd, "monitor-added", G_CALLBACK(on_monitor_signal), ui);
    g_signal_connect(gd, "monitor-removed", G_CALLBACK(on_monitor_signal), ui);
    g_signal_connect(ui->gscreen, "size-changed", G_CALLBACK(on_screen_size), ui);
    /* Other clients' top-level windows: to stay above them (added to GDK's own mask). */
    GdkWindow *root = gdk_get_default_root_window();
    gdk_window_set_events(root, gdk_window_get_events(root) | GDK_SUBSTRUCTURE_MASK);
    grab_strip_key(ui, TRUE);
    return ui;
}

void ui_free(Ui *ui)
{
    if (!ui)
        return;
    if (ui->grab_retry)
        g_source_remove(ui->grab_retry);
    if (ui->dump_id)
        g_source_remove(ui->dump_id);
    ui_field_clear(ui);
    ungrab(ui);
    grab_strip_key(ui, FALSE);
    g_signal_handlers_disconnect_by_data(ui->gdpy, ui);
    g_signal_handlers_disconnect_by_data(ui->gscreen, ui);
    for (int p = 0; p < UI_N_PLACES; p++) {
        Surface *s = &ui->s[p];
        gtk_widget_destroy(s->win);
        g_object_unref(s->win);
        if (s->entry) {
            gtk_widget_destroy(s->entry);
            g_object_unref(s->entry);
        }
        ui_view_free(s->view);
        g_array_unref(s->parts);
        g_free(s->keep_focus);
    }
    gtk_style_context_remove_provider_for_screen(ui->gscreen, GTK_STYLE_PROVIDER(ui->css));
    g_object_unref(ui->css);
    if (ui->ready_fd >= 0)
        close(ui->ready_fd);
    g_free(ui->dump_path);
    g_free(ui);
}
