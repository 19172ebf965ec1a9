/* Windows, the input grab, stacking and input of rentark-session.
 *
 * Draws happen only when something changed (a new view, a key, a click, a monitor change):
 * there is no animation and no timer in this module except the grab retry. */
#include "ui-private.h"

#include <X11/Xft/Xft.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xrandr.h>
#include <X11/keysym.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

static const char *const place_names[UI_N_PLACES] = { "cover", "strip", "dialog" };

/* ---- monitors ---- */

/* The monitors from RandR 1.5 (XRRGetMonitors); without it, the root window is one monitor.
 * The content goes on the primary monitor, or the first when none is marked primary. */
static void query_monitors(Ui *ui)
{
    ui->n_mon = 0;
    ui->primary = 0;
    if (ui->has_randr) {
        int n = 0;
        XRRMonitorInfo *m = XRRGetMonitors(ui->dpy, ui->root, True, &n);
        for (int i = 0; m && i < n && ui->n_mon < UI_MAX_MONITORS; i++) {
            if (m[i].width <= 0 || m[i].height <= 0)
                continue;
            if (m[i].primary)
                ui->primary = ui->n_mon;
            ui->mon[ui->n_mon++] = (Rect){ m[i].x, m[i].y, m[i].width, m[i].height };
        }
        if (m)
            XRRFreeMonitors(m);
    }
    if (ui->n_mon == 0) {
        ui->mon[0] = (Rect){ 0, 0, DisplayWidth(ui->dpy, ui->screen), DisplayHeight(ui->dpy, ui->screen) };
        ui->n_mon = 1;
    }
}

/* ---- drawing, the test dump, readiness ---- */

/* The text of every visible surface, for tests (--debug-dump): the screen's name, its text
 * and its buttons with their place on the root window. The field shows dots only: patron
 * and volunteer input never reaches this file. Written by rename, so a reader never sees
 * half a file. */
static void write_dump(Ui *ui)
{
    if (!ui->dump_path)
        return;
    GString *d = g_string_new(NULL);
    g_string_append_printf(d, "grab %s\n", ui->grabbed ? "yes" : "no");
    for (int p = 0; p < UI_N_PLACES; p++) {
        Surface *s = &ui->s[p];
        if (!s->mapped || !s->view)
            continue;
        const UiView *v = s->view;
        g_string_append_printf(d, "screen %s %s\n", place_names[p], v->name);
        const char *labels[] = { "title", "subtitle", "note", "other" };
        const char *vals[] = { v->title, v->subtitle, v->note, v->other_monitor };
        for (gsize i = 0; i < G_N_ELEMENTS(labels); i++)
            if (vals[i])
                g_string_append_printf(d, "%s %s\n", labels[i], vals[i]);
        if (v->body) {
            g_auto(GStrv) lines = g_strsplit(v->body, "\n", -1);
            for (char **l = lines; *l; l++)
                if (**l)
                    g_string_append_printf(d, "text %s\n", *l);
        }
        if (v->field_label)
            g_string_append_printf(d, "field %d\n", ui->field_len);
        if (s->scroll_max)
            g_string_append_printf(d, "scroll %d %d\n", s->scroll, s->scroll_max);
        for (guint i = 0; i < s->hits->len; i++) {
            const Hit *h = &g_array_index(s->hits, Hit, i);
            g_string_append_printf(d, "button %s %d %d %d %d %s %s\n", h->b->action, s->geo.x + h->r.x,
                                   s->geo.y + h->r.y, h->r.w, h->r.h,
                                   p != UI_STRIP && s->focus && strcmp(s->focus, h->b->action) == 0 ? "*" : "-",
                                   h->b->label);
        }
    }
    g_file_set_contents(ui->dump_path, d->str, (gssize)d->len, NULL);
    g_string_free(d, TRUE);
}

static void render(Ui *ui, Surface *s)
{
    if (!s->view)
        return;
    g_array_set_size(s->hits, 0);
    draw_surface(ui, s);
    draw_copy(ui, s);
    /* Ready is the first screen with content (not the blank cover shown while the daemon is
     * asked for its state). */
    if (ui->ready_fd >= 0 && s->mapped && s->view->title) {
        /* Ready means drawn on the server, not just queued in Xlib. */
        XSync(ui->dpy, False);
        (void)!write(ui->ready_fd, "ready\n", 6);
        close(ui->ready_fd);
        ui->ready_fd = -1;
    }
    write_dump(ui);
}

/* Keep our windows above everything, in a fixed order (cover, strip, dialog). Override-
 * redirect windows are not stacked by a window manager, so this client re-raises them
 * whenever another window is mapped, restacked, or covers one of them. Our windows never
 * overlap each other (the cover hides the others), so raising cannot start a loop among
 * them. */
static void raise_all(Ui *ui)
{
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].mapped)
            XRaiseWindow(ui->dpy, ui->s[p].win);
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

/* SECURITY: while the cover (or a modal dialog) is up, keyboard and pointer are grabbed, so
 * no other client receives input: nothing of the desktop can be used before the patron
 * answers. Another client may hold a grab at the moment we start (a menu that was open);
 * then we retry every 100 ms until we have both, like slock and xsecurelock do, and the
 * cover stays up meanwhile. */
static void update_grab(Ui *ui)
{
    Window want = None;
    if (ui->s[UI_DIALOG].mapped && ui->s[UI_DIALOG].view && ui->s[UI_DIALOG].view->grab)
        want = ui->s[UI_DIALOG].win;
    else if (ui->s[UI_COVER].mapped)
        want = ui->s[UI_COVER].win;
    if (want == None) {
        if (ui->grab_win != None) {
            XUngrabKeyboard(ui->dpy, CurrentTime);
            XUngrabPointer(ui->dpy, CurrentTime);
        }
        ui->grab_win = None;
        ui->grabbed = FALSE;
        return;
    }
    if (want == ui->grab_win && ui->grabbed)
        return;
    ui->grab_win = want;
    int k = XGrabKeyboard(ui->dpy, want, False, GrabModeAsync, GrabModeAsync, CurrentTime);
    int p = XGrabPointer(ui->dpy, want, False, ButtonPressMask | ButtonReleaseMask | PointerMotionMask,
                         GrabModeAsync, GrabModeAsync, None, None, CurrentTime);
    gboolean was = ui->grabbed;
    ui->grabbed = k == GrabSuccess && p == GrabSuccess;
    if (!ui->grabbed && !ui->grab_retry)
        ui->grab_retry = g_timeout_add(100, grab_retry_cb, ui);
    if (ui->grabbed != was)
        write_dump(ui);
}

/* ---- showing views ---- */

static void reset_focus(Surface *s)
{
    const UiView *v = s->view;
    const char *f = v->focus;
    GPtrArray *groups[] = { v->buttons, v->list, v->top };
    for (gsize g = 0; !f && g < G_N_ELEMENTS(groups); g++)
        for (guint i = 0; !f && i < groups[g]->len; i++)
            if (((Button *)g_ptr_array_index(groups[g], i))->style == UI_BTN_PRIMARY)
                f = ((Button *)g_ptr_array_index(groups[g], i))->action;
    for (gsize g = 0; !f && g < G_N_ELEMENTS(groups); g++)
        if (groups[g]->len)
            f = ((Button *)g_ptr_array_index(groups[g], 0))->action;
    ui_set_str(&s->focus, f);
}

void ui_show(Ui *ui, UiView *view)
{
    Surface *s = &ui->s[view->place];
    gboolean same = s->view && strcmp(s->view->name, view->name) == 0;
    /* The hits point into the old view's buttons: gone with it. */
    g_array_set_size(s->hits, 0);
    ui_view_free(s->view);
    s->view = view;
    if (!same || view->focus) {
        s->scroll = 0;
        reset_focus(s);
    }
    if (!same)
        ui_field_clear(ui);
    /* The cover is the whole screen: nothing of ours (or anyone's) may sit above it. */
    if (view->place == UI_COVER) {
        ui_hide(ui, UI_STRIP);
        ui_hide(ui, UI_DIALOG);
    }
    g_clear_pointer(&s->pressed, g_free);
    if (!s->mapped) {
        render(ui, s); /* creates the window with its final geometry */
        XMapRaised(ui->dpy, s->win);
        s->mapped = TRUE;
    }
    raise_all(ui);
    update_grab(ui);
    render(ui, s);
}

void ui_hide(Ui *ui, UiPlace place)
{
    Surface *s = &ui->s[place];
    if (s->mapped)
        XUnmapWindow(ui->dpy, s->win);
    s->mapped = FALSE;
    g_clear_pointer(&s->view, ui_view_free);
    g_array_set_size(s->hits, 0);
    update_grab(ui);
    write_dump(ui);
}

gboolean ui_is_shown(const Ui *ui, UiPlace place)
{
    return ui->s[place].mapped;
}

const char *ui_field_get(const Ui *ui)
{
    return ui->field;
}

void ui_field_clear(Ui *ui)
{
    explicit_bzero(ui->field, sizeof ui->field);
    ui->field_len = 0;
}

/* ---- input ---- */

static Surface *surface_of(Ui *ui, Window w)
{
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].win == w && w != None)
            return &ui->s[p];
    return NULL;
}

static const Hit *hit_at(Surface *s, int x, int y)
{
    for (guint i = 0; i < s->hits->len; i++) {
        const Hit *h = &g_array_index(s->hits, Hit, i);
        if (x >= h->r.x && x < h->r.x + h->r.w && y >= h->r.y && y < h->r.y + h->r.h)
            return h;
    }
    return NULL;
}

static const Hit *hit_named(Surface *s, const char *action)
{
    for (guint i = 0; action && i < s->hits->len; i++)
        if (strcmp(g_array_index(s->hits, Hit, i).b->action, action) == 0)
            return &g_array_index(s->hits, Hit, i);
    return NULL;
}

static void scroll_by(Ui *ui, Surface *s, int dy)
{
    int old = s->scroll;
    s->scroll = CLAMP(s->scroll + dy, 0, s->scroll_max);
    if (s->scroll != old)
        render(ui, s);
}

/* Run a button's action. The callback may replace the view (and free the button), so it gets
 * a copy of the action string. */
static void activate(Ui *ui, Surface *s, const Hit *h)
{
    if (!h || h->disabled)
        return;
    if (strcmp(h->b->action, "ui:scroll_up") == 0) {
        scroll_by(ui, s, -s->scroll_step * 3);
    } else if (strcmp(h->b->action, "ui:scroll_down") == 0) {
        scroll_by(ui, s, s->scroll_step * 3);
    } else {
        g_autofree char *a = g_strdup(h->b->action);
        ui->on_action(a, ui->user_data);
    }
}

static void move_focus(Ui *ui, Surface *s, int dir)
{
    int n = (int)s->hits->len, cur = -1;
    if (n == 0)
        return;
    for (int i = 0; i < n; i++)
        if (s->focus && strcmp(g_array_index(s->hits, Hit, i).b->action, s->focus) == 0)
            cur = i;
    for (int step = 1; step <= n; step++) {
        int i = ((cur < 0 ? (dir > 0 ? -1 : 0) : cur) + dir * step + 2 * n) % n;
        const Hit *h = &g_array_index(s->hits, Hit, i);
        if (!h->disabled) {
            ui_set_str(&s->focus, h->b->action);
            break;
        }
    }
    render(ui, s);
}

static void handle_key(Ui *ui, Surface *s, XKeyEvent *ev)
{
    char buf[8] = { 0 };
    KeySym ks = NoSymbol;
    XLookupString(ev, buf, sizeof buf, &ks, NULL);
    /* The text of a key is never kept beyond this function (it may be a PIN digit). */
    explicit_bzero(buf, sizeof buf);
    const UiView *v = s->view;
    int page = MAX(s->scroll_step * 4, 1);
    switch (ks) {
    case XK_Tab: move_focus(ui, s, (ev->state & ShiftMask) ? -1 : 1); return;
    case XK_ISO_Left_Tab: case XK_Left: move_focus(ui, s, -1); return;
    case XK_Right: move_focus(ui, s, 1); return;
    case XK_Return: case XK_KP_Enter: case XK_space:
        activate(ui, s, hit_named(s, s->focus));
        return;
    case XK_Escape:
        if (v->escape) {
            g_autofree char *a = g_strdup(v->escape);
            ui->on_action(a, ui->user_data);
        }
        return;
    case XK_Up: case XK_KP_Up: scroll_by(ui, s, -s->scroll_step); return;
    case XK_Down: case XK_KP_Down: scroll_by(ui, s, s->scroll_step); return;
    case XK_Page_Up: case XK_KP_Page_Up: scroll_by(ui, s, -page); return;
    case XK_Page_Down: case XK_KP_Page_Down: scroll_by(ui, s, page); return;
    case XK_Home: scroll_by(ui, s, -s->scroll_max); return;
    case XK_End: scroll_by(ui, s, s->scroll_max); return;
    case XK_BackSpace: case XK_Delete:
        if (v->field_label && ui->field_len > 0) {
            ui->field[--ui->field_len] = '\0';
            render(ui, s);
        }
        return;
    default: break;
    }
    int digit = -1;
    if (ks >= XK_0 && ks <= XK_9)
        digit = (int)(ks - XK_0);
    else if (ks >= XK_KP_0 && ks <= XK_KP_9)
        digit = (int)(ks - XK_KP_0);
    if (digit >= 0 && v->field_label && ui->field_len < v->field_max) {
        ui->field[ui->field_len++] = (char)('0' + digit);
        ui->field[ui->field_len] = '\0';
        render(ui, s);
    }
}

static void update_monitors(Ui *ui)
{
    query_monitors(ui);
    if (!draw_open_fonts(ui))
        g_warning("cannot open the font \"%s\" at the new size", UI_FONT);
    for (int p = 0; p < UI_N_PLACES; p++)
        if (ui->s[p].mapped)
            render(ui, &ui->s[p]);
}

void ui_handle_event(Ui *ui, XEvent *ev)
{
    if (ui->has_randr && ev->type == ui->randr_event_base + RRScreenChangeNotify) {
        XRRUpdateConfiguration(ev);
        update_monitors(ui);
        return;
    }
    Surface *s = surface_of(ui, ev->xany.window);
    switch (ev->type) {
    case Expose:
        if (s && ev->xexpose.count == 0)
            draw_copy(ui, s);
        break;
    case VisibilityNotify:
        if (s && ev->xvisibility.state != VisibilityUnobscured)
            raise_all(ui);
        break;
    case MapNotify:
    case ConfigureNotify: {
        /* From the root's SubstructureNotify: another top-level window appeared or moved in
         * the stack. Our own windows' events are ignored. */
        Window w = ev->type == MapNotify ? ev->xmap.window : ev->xconfigure.window;
        if (!surface_of(ui, w) && ev->xany.window == ui->root)
            raise_all(ui);
        break;
    }
    case MappingNotify:
        XRefreshKeyboardMapping(&ev->xmapping);
        break;
    case KeyPress:
        if (s && s->mapped && s->view)
            handle_key(ui, s, &ev->xkey);
        break;
    case ButtonPress:
        if (!s || !s->mapped || !s->view)
            break;
        if (ev->xbutton.button == Button4) {
            scroll_by(ui, s, -s->scroll_step);
        } else if (ev->xbutton.button == Button5) {
            scroll_by(ui, s, s->scroll_step);
        } else if (ev->xbutton.button == Button1) {
            const Hit *h = hit_at(s, ev->xbutton.x, ev->xbutton.y);
            ui_set_str(&s->pressed, h ? h->b->action : NULL);
            if (h && !h->disabled && (!s->focus || strcmp(s->focus, h->b->action) != 0)) {
                ui_set_str(&s->focus, h->b->action);
                render(ui, s);
            }
        }
        break;
    case ButtonRelease:
        if (s && s->mapped && s->view && ev->xbutton.button == Button1 && s->pressed) {
            const Hit *h = hit_at(s, ev->xbutton.x, ev->xbutton.y);
            gboolean same = h && strcmp(h->b->action, s->pressed) == 0;
            g_clear_pointer(&s->pressed, g_free);
            if (same)
                activate(ui, s, h);
        }
        break;
    default:
        break;
    }
}

/* ---- life cycle ---- */

Ui *ui_new(Display *dpy, UiActionFn on_action, gpointer user_data, const char *dump_path, int ready_fd,
           GError **error)
{
    Ui *ui = g_new0(Ui, 1);
    ui->dpy = dpy;
    ui->screen = DefaultScreen(dpy);
    ui->root = RootWindow(dpy, ui->screen);
    ui->visual = DefaultVisual(dpy, ui->screen);
    ui->cmap = DefaultColormap(dpy, ui->screen);
    ui->on_action = on_action;
    ui->user_data = user_data;
    ui->dump_path = g_strdup(dump_path);
    ui->ready_fd = ready_fd;
    for (int p = 0; p < UI_N_PLACES; p++)
        ui->s[p].hits = g_array_new(FALSE, FALSE, sizeof(Hit));
    int err_base, major = 0, minor = 0;
    ui->has_randr = XRRQueryExtension(dpy, &ui->randr_event_base, &err_base) &&
                    XRRQueryVersion(dpy, &major, &minor) && (major > 1 || (major == 1 && minor >= 5));
    if (ui->has_randr)
        XRRSelectInput(dpy, ui->root, RRScreenChangeNotifyMask);
    /* Other clients' top-level windows: to stay above them. */
    XSelectInput(dpy, ui->root, SubstructureNotifyMask);
    query_monitors(ui);
    for (int c = 0; c < N_COLORS; c++) {
        if (!XftColorAllocName(dpy, ui->visual, ui->cmap, ui_color_names[c], &ui->color[c])) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot allocate colour %s", ui_color_names[c]);
            ui_free(ui);
            return NULL;
        }
    }
    if (!draw_open_fonts(ui)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "cannot open the font \"%s\"", UI_FONT);
        ui_free(ui);
        return NULL;
    }
    return ui;
}

void ui_free(Ui *ui)
{
    if (!ui)
        return;
    if (ui->grab_retry)
        g_source_remove(ui->grab_retry);
    for (int p = 0; p < UI_N_PLACES; p++) {
        Surface *s = &ui->s[p];
        if (s->draw)
            XftDrawDestroy(s->draw);
        if (s->pix)
            XFreePixmap(ui->dpy, s->pix);
        if (s->win)
            XDestroyWindow(ui->dpy, s->win);
        ui_view_free(s->view);
        g_array_unref(s->hits);
        g_free(s->focus);
        g_free(s->pressed);
    }
    for (int c = 0; c < N_COLORS; c++)
        if (ui->color[c].pixel || ui->color[c].color.alpha)
            XftColorFree(ui->dpy, ui->visual, ui->cmap, &ui->color[c]);
    draw_close_fonts(ui);
    ui_field_clear(ui);
    if (ui->ready_fd >= 0)
        close(ui->ready_fd);
    g_free(ui->dump_path);
    g_free(ui);
}

