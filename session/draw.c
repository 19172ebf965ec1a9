/* Drawing of rentark-session: fonts, word wrap, buttons and the layouts of the cover, the
 * strip and the dialog. Layout is recomputed on every draw from the primary monitor's size,
 * so text scales with the screen: a 15" and a 27" monitor both show large type. Everything
 * is drawn into a pixmap first, so the patron never sees a half-drawn screen. */
#include "ui-private.h"

#include <X11/Xutil.h>
#include <string.h>

const char *const ui_color_names[N_COLORS] = {
    "#FFFFFF", "#111111", "#404040", "#0B6B24", "#FFFFFF", "#E6E6E6", "#B3001B", "#0047C2", "#B3001B",
    "#14305A", "#FFD23F", "#9A9A9A", "#14305A",
};

void draw_close_fonts(Ui *ui)
{
    XftFont **f[] = { &ui->font, &ui->bold, &ui->title, &ui->small };
    for (gsize i = 0; i < G_N_ELEMENTS(f); i++)
        if (*f[i]) {
            XftFontClose(ui->dpy, *f[i]);
            *f[i] = NULL;
        }
}

static XftFont *open_font(Ui *ui, int px, gboolean bold)
{
    return XftFontOpen(ui->dpy, ui->screen, XFT_FAMILY, XftTypeString, UI_FONT, XFT_PIXEL_SIZE, XftTypeDouble,
                       (double)px, XFT_WEIGHT, XftTypeInteger, bold ? XFT_WEIGHT_BOLD : XFT_WEIGHT_MEDIUM,
                       XFT_ANTIALIAS, XftTypeBool, True, NULL);
}

/* Text size follows the primary monitor's height: about 32 lines of body text per screen,
 * never below 18 px (readable for elderly patrons at arm's length) and never absurdly big. */
gboolean draw_open_fonts(Ui *ui)
{
    draw_close_fonts(ui);
    const Rect *m = &ui->mon[ui->primary];
    ui->base = CLAMP(m->h / 32, 18, 48);
    ui->font = open_font(ui, ui->base, FALSE);
    ui->bold = open_font(ui, ui->base, TRUE);
    ui->title = open_font(ui, ui->base * 3 / 2, TRUE);
    ui->small = open_font(ui, MAX(ui->base * 17 / 20, 16), FALSE);
    return ui->font && ui->bold && ui->title && ui->small;
}

/* ---- text ---- */

static int text_w(Ui *ui, XftFont *f, const char *s, int len)
{
    XGlyphInfo gi;
    XftTextExtentsUtf8(ui->dpy, f, (const FcChar8 *)s, len < 0 ? (int)strlen(s) : len, &gi);
    return gi.xOff;
}

static int line_h(XftFont *f)
{
    return f->height * 5 / 4;
}

typedef struct {
    char *s;
    int x, y; /* offset from the text block's origin */
    XftFont *font;
} Line;

static void line_free(gpointer p)
{
    Line *l = p;
    g_free(l->s);
    g_free(l);
}

static void push_line(GPtrArray *out, const char *s, int len, int x, int y, XftFont *f)
{
    Line *l = g_new0(Line, 1);
    l->s = g_strndup(s, (gsize)len);
    l->x = x;
    l->y = y;
    l->font = f;
    g_ptr_array_add(out, l);
}

/* Greedy word wrap of one paragraph into width w, starting at *y. A bullet ("• ", "- ")
 * hangs: continuation lines start under the text, not under the bullet. A word wider than
 * the line is cut between characters rather than drawn past the edge. */
static void wrap_para(Ui *ui, XftFont *f, const char *p, int w, int *y, GPtrArray *out)
{
    int indent = 0;
    if (g_str_has_prefix(p, "\u2022 "))
        indent = text_w(ui, f, p, (int)strlen("\u2022 "));
    else if (g_str_has_prefix(p, "- "))
        indent = text_w(ui, f, p, 2);
    const char *start = p;
    gboolean first = TRUE;
    while (*start) {
        int x = first ? 0 : indent, avail = MAX(w - x, f->max_advance_width);
        const char *fit = NULL, *q = start;
        while (*q) {
            const char *end = q;
            while (*end == ' ')
                end++;
            while (*end && *end != ' ')
                end++;
            if (text_w(ui, f, start, (int)(end - start)) > avail)
                break;
            fit = end;
            q = end;
        }
        if (!*q)
            fit = q;
        if (!fit) { /* one word longer than the line: cut it */
            const char *c = g_utf8_next_char(start);
            while (*c && *c != ' ' && text_w(ui, f, start, (int)(g_utf8_next_char(c) - start)) <= avail)
                c = g_utf8_next_char(c);
            fit = c;
        }
        push_line(out, start, (int)(fit - start), x, *y, f);
        *y += line_h(f);
        start = fit;
        while (*start == ' ')
            start++;
        first = FALSE;
    }
}

/* Wrap a text of lines: a non-empty line is a paragraph, an empty line a larger gap. Returns
 * the height used. */
static int wrap_text(Ui *ui, XftFont *f, const char *text, int w, GPtrArray *out)
{
    int y = 0;
    if (!text)
        return 0;
    g_auto(GStrv) paras = g_strsplit(text, "\n", -1);
    gboolean any = FALSE;
    for (char **p = paras; *p; p++) {
        char *para = g_strstrip(*p);
        if (!*para) {
            if (any)
                y += line_h(f) / 2;
            continue;
        }
        if (any)
            y += line_h(f) / 5;
        wrap_para(ui, f, para, w, &y, out);
        any = TRUE;
    }
    return y;
}

/* Draw lines at (ox, oy); with a clip height, only the lines wholly inside [clip_top,
 * clip_top + clip_h) are drawn, so a scrolled text never shows half a line. */
static void draw_lines_in(Ui *ui, Surface *s, GPtrArray *lines, int ox, int oy, int color, int clip_top, int clip_h)
{
    for (guint i = 0; i < lines->len; i++) {
        const Line *l = g_ptr_array_index(lines, i);
        int top = oy + l->y, bottom = top + l->font->height;
        if (clip_h > 0 && (top < clip_top || bottom > clip_top + clip_h))
            continue;
        XftDrawStringUtf8(s->draw, &ui->color[color], l->font, ox + l->x, oy + l->y + l->font->ascent,
                          (const FcChar8 *)l->s, (int)strlen(l->s));
    }
}

static void draw_lines(Ui *ui, Surface *s, GPtrArray *lines, int ox, int oy, int color)
{
    draw_lines_in(ui, s, lines, ox, oy, color, 0, 0);
}

/* ---- buttons ---- */

static gboolean is_lang(const Button *b)
{
    return b->style == UI_BTN_LANG || b->style == UI_BTN_LANG_ON;
}

static XftFont *button_font(Ui *ui, const Button *b)
{
    return is_lang(b) ? ui->small : ui->bold;
}

static void button_size(Ui *ui, const Button *b, int max_w, int *w, int *h)
{
    XftFont *f = button_font(ui, b);
    int pad = is_lang(b) ? ui->base / 2 : ui->base;
    *w = MIN(text_w(ui, f, b->label, -1) + 2 * pad, max_w);
    *h = f->height + (is_lang(b) ? ui->base / 2 : ui->base * 4 / 5);
}

static void fill(Ui *ui, Surface *s, int color, int x, int y, int w, int h)
{
    if (w > 0 && h > 0)
        XftDrawRect(s->draw, &ui->color[color], x, y, (unsigned)w, (unsigned)h);
}

static void frame(Ui *ui, Surface *s, int color, Rect r, int t)
{
    fill(ui, s, color, r.x, r.y, r.w, t);
    fill(ui, s, color, r.x, r.y + r.h - t, r.w, t);
    fill(ui, s, color, r.x, r.y, t, r.h);
    fill(ui, s, color, r.x + r.w - t, r.y, t, r.h);
}

/* Draw a button and record it for clicks and Tab. The focused one gets a thick blue ring
 * outside its edge, visible on every button colour, so keyboard users always see where Enter
 * goes. */
static void draw_button(Ui *ui, Surface *s, const Button *b, Rect r, gboolean disabled)
{
    int bg = C_BUTTON, fg = C_FG, border = C_FG;
    switch (b->style) {
    case UI_BTN_PRIMARY: bg = border = C_PRIMARY; fg = C_ON_DARK; break;
    case UI_BTN_DANGER: bg = border = C_DANGER; fg = C_ON_DARK; break;
    case UI_BTN_LANG: bg = C_BG; border = C_MUTED; break;
    case UI_BTN_LANG_ON: bg = border = C_LANG_ON; fg = C_ON_DARK; break;
    default: break;
    }
    if (disabled) {
        bg = C_BG;
        fg = border = C_DISABLED;
    }
    fill(ui, s, bg, r.x, r.y, r.w, r.h);
    frame(ui, s, border, r, 2);
    XftFont *f = button_font(ui, b);
    int tw = text_w(ui, f, b->label, -1);
    XftDrawStringUtf8(s->draw, &ui->color[fg], f, r.x + MAX((r.w - tw) / 2, 4), r.y + (r.h - f->height) / 2 + f->ascent,
                      (const FcChar8 *)b->label, (int)strlen(b->label));
    /* The strip never has the keyboard (it takes no focus from the patron's programs), so
     * it shows no focus ring. */
    if (s->focus && strcmp(s->focus, b->action) == 0 && s->view->place != UI_STRIP) {
        int t = MAX(3, ui->base / 7);
        frame(ui, s, C_FOCUS, (Rect){ r.x - 2 * t, r.y - 2 * t, r.w + 4 * t, r.h + 4 * t }, t);
    }
    Hit h = { b, r, disabled };
    g_array_append_val(s->hits, h);
}

/* Lay buttons out in rows of at most width w (left-aligned, wrapping); rects are relative to
 * the block. Returns the block's height. */
static int layout_rows(Ui *ui, GPtrArray *buttons, int w, GArray *rects)
{
    int gap = ui->base * 3 / 4, x = 0, y = 0, row_h = 0;
    for (guint i = 0; i < buttons->len; i++) {
        int bw, bh;
        button_size(ui, g_ptr_array_index(buttons, i), w, &bw, &bh);
        if (x > 0 && x + bw > w) {
            x = 0;
            y += row_h + gap;
            row_h = 0;
        }
        Rect r = { x, y, bw, bh };
        g_array_append_val(rects, r);
        x += bw + gap;
        row_h = MAX(row_h, bh);
    }
    return buttons->len ? y + row_h : 0;
}

static void draw_rows(Ui *ui, Surface *s, GPtrArray *buttons, GArray *rects, int ox, int oy)
{
    for (guint i = 0; i < buttons->len; i++) {
        Rect r = g_array_index(rects, Rect, i);
        draw_button(ui, s, g_ptr_array_index(buttons, i), (Rect){ ox + r.x, oy + r.y, r.w, r.h }, FALSE);
    }
}

/* ---- windows ---- */

static void set_class(Ui *ui, Window w)
{
    XClassHint ch = { .res_name = (char *)"rentark-session", .res_class = (char *)"RentarkSession" };
    XSetClassHint(ui->dpy, w, &ch);
    XStoreName(ui->dpy, w, "rentark-session");
}

/* Give s the geometry r (root coordinates), creating its window and pixmap as needed. The
 * windows are override-redirect: no window manager may move, decorate or close them. */
static void ensure_geometry(Ui *ui, Surface *s, Rect r)
{
    if (!s->win) {
        XSetWindowAttributes a = {
            .override_redirect = True,
            .background_pixel = WhitePixel(ui->dpy, ui->screen),
            .event_mask = ExposureMask | KeyPressMask | ButtonPressMask | ButtonReleaseMask | VisibilityChangeMask,
        };
        s->win = XCreateWindow(ui->dpy, ui->root, r.x, r.y, (unsigned)r.w, (unsigned)r.h, 0, CopyFromParent,
                               InputOutput, CopyFromParent, CWOverrideRedirect | CWBackPixel | CWEventMask, &a);
        set_class(ui, s->win);
    } else if (memcmp(&s->geo, &r, sizeof r) != 0) {
        XMoveResizeWindow(ui->dpy, s->win, r.x, r.y, (unsigned)r.w, (unsigned)r.h);
    }
    if (!s->pix || s->geo.w != r.w || s->geo.h != r.h) {
        if (s->draw)
            XftDrawDestroy(s->draw);
        if (s->pix)
            XFreePixmap(ui->dpy, s->pix);
        s->pix = XCreatePixmap(ui->dpy, s->win, (unsigned)r.w, (unsigned)r.h,
                               (unsigned)DefaultDepth(ui->dpy, ui->screen));
        s->draw = XftDrawCreate(ui->dpy, s->pix, ui->visual, ui->cmap);
    }
    s->geo = r;
}

void draw_copy(Ui *ui, Surface *s)
{
    if (!s->win || !s->pix)
        return;
    GC gc = DefaultGC(ui->dpy, ui->screen);
    XCopyArea(ui->dpy, s->pix, s->win, gc, 0, 0, (unsigned)s->geo.w, (unsigned)s->geo.h, 0, 0);
}

/* The monitor rectangle relative to the surface. */
static Rect primary_in(Ui *ui, const Surface *s)
{
    Rect m = ui->mon[ui->primary];
    return (Rect){ m.x - s->geo.x, m.y - s->geo.y, m.w, m.h };
}

/* ---- the three layouts ---- */

static void draw_field(Ui *ui, Surface *s, const UiView *v, int x, int y)
{
    XftFont *f = ui->bold;
    int lw = text_w(ui, f, v->field_label, -1);
    XftDrawStringUtf8(s->draw, &ui->color[C_FG], f, x, y + ui->base / 2 + f->ascent, (const FcChar8 *)v->field_label,
                      (int)strlen(v->field_label));
    /* The digits are never drawn: one dot per digit typed, so a bystander learns only the
     * length. */
    static const char dot[] = "\u25CF";
    int dw = text_w(ui, f, dot, -1) + ui->base / 4;
    Rect box = { x + lw + ui->base / 2, y, dw * v->field_max + ui->base, f->height + ui->base };
    fill(ui, s, C_BG, box.x, box.y, box.w, box.h);
    frame(ui, s, C_FG, box, 3);
    for (int i = 0; i < ui->field_len; i++)
        XftDrawStringUtf8(s->draw, &ui->color[C_FG], f, box.x + ui->base / 2 + i * dw, box.y + ui->base / 2 + f->ascent,
                          (const FcChar8 *)dot, (int)strlen(dot));
}

static void render_cover(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    int W = DisplayWidth(ui->dpy, ui->screen), H = DisplayHeight(ui->dpy, ui->screen), base = ui->base;
    ensure_geometry(ui, s, (Rect){ 0, 0, W, H });
    fill(ui, s, C_BG, 0, 0, W, H);

    /* The other monitors are covered too, with one short line pointing to the main screen. */
    const Rect *pm = &ui->mon[ui->primary];
    for (int i = 0; i < ui->n_mon; i++) {
        Rect m = ui->mon[i];
        /* A monitor that overlaps the primary one (a mirror, or the output's own monitor
         * when RandR monitors were defined by hand) gets nothing drawn over the content. */
        gboolean overlaps = m.x < pm->x + pm->w && pm->x < m.x + m.w && m.y < pm->y + pm->h && pm->y < m.y + m.h;
        if (i == ui->primary || overlaps || !v->other_monitor)
            continue;
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(line_free);
        int th = wrap_text(ui, ui->title, v->other_monitor, m.w * 3 / 4, lines);
        for (guint k = 0; k < lines->len; k++) {
            Line *l = g_ptr_array_index(lines, k);
            l->x = (m.w * 3 / 4 - text_w(ui, l->font, l->s, -1)) / 2;
        }
        draw_lines(ui, s, lines, m.x + m.w / 8, m.y + (m.h - th) / 2, C_FG);
    }

    Rect m = primary_in(ui, s);
    int margin = base, cw = MIN(m.w - 2 * margin, base * 44), cx = m.x + (m.w - cw) / 2;
    int y = m.y + margin * 3 / 4;

    if (v->top->len) { /* language buttons, top right */
        g_autoptr(GArray) rects = g_array_new(FALSE, FALSE, sizeof(Rect));
        layout_rows(ui, v->top, cw, rects);
        Rect last = g_array_index(rects, Rect, rects->len - 1);
        int row_w = last.x + last.w, row_h = 0;
        for (guint i = 0; i < rects->len; i++)
            row_h = MAX(row_h, g_array_index(rects, Rect, i).y + g_array_index(rects, Rect, i).h);
        draw_rows(ui, s, v->top, rects, cx + cw - row_w, y);
        y += row_h + base * 2 / 3;
    }

    /* The bottom block (note, field, buttons) is placed first, from the bottom edge up, so
     * the buttons are always on screen whatever the length of the text. */
    g_autoptr(GArray) brects = g_array_new(FALSE, FALSE, sizeof(Rect));
    int bh = layout_rows(ui, v->buttons, cw, brects);
    int btn_y = m.y + m.h - margin - bh;
    int field_h = v->field_label ? ui->bold->height + base : 0;
    int field_y = btn_y - (field_h ? field_h + base : 0);
    g_autoptr(GPtrArray) note = g_ptr_array_new_with_free_func(line_free);
    int nh = wrap_text(ui, ui->bold, v->note, cw, note);
    int note_y = field_y - (nh ? nh + base * 2 / 3 : 0);

    g_autoptr(GPtrArray) title = g_ptr_array_new_with_free_func(line_free);
    int th = wrap_text(ui, ui->title, v->title, cw, title);
    if (!v->buttons->len && !v->top->len && !v->list->len) {
        /* A message without buttons (ending, out of order) stands in the middle of the
         * screen, where a patron looking for what happened sees it first. */
        g_autoptr(GPtrArray) tmp = g_ptr_array_new_with_free_func(line_free);
        int bh2 = wrap_text(ui, ui->font, v->body, cw, tmp);
        y = MAX(y, m.y + (m.h - th - base / 2 - bh2) / 2 - base);
    }
    draw_lines(ui, s, title, cx, y, C_FG);
    y += th;
    if (v->subtitle) {
        g_autoptr(GPtrArray) sub = g_ptr_array_new_with_free_func(line_free);
        y += base / 3;
        int sh = wrap_text(ui, ui->bold, v->subtitle, cw, sub);
        draw_lines(ui, s, sub, cx, y, C_FG);
        y += sh;
    }
    y += base / 2;

    /* The body: text, then the list buttons; when it does not fit, it scrolls, with two
     * labelled scroll buttons (mouse wheel, arrows and Page keys work as well). */
    Rect br = { cx, y, cw, MAX(note_y - base / 2 - y, line_h(ui->font)) };
    int sw = 0;
    g_autoptr(GPtrArray) body = NULL;
    g_autoptr(GArray) lrects = g_array_new(FALSE, FALSE, sizeof(Rect));
    int total = 0;
    for (int pass = 0; pass < 2; pass++) {
        g_clear_pointer(&body, g_ptr_array_unref);
        g_array_set_size(lrects, 0);
        body = g_ptr_array_new_with_free_func(line_free);
        int tw = br.w - (sw ? sw + base / 2 : 0);
        total = wrap_text(ui, ui->font, v->body, tw, body);
        for (guint i = 0; i < v->list->len; i++) {
            int lw, lh;
            button_size(ui, g_ptr_array_index(v->list, i), tw - 8 * MAX(3, base / 7), &lw, &lh);
            total += (total ? base * 2 / 3 : base / 4);
            Rect r = { 4 * MAX(3, base / 7), total, MAX(lw, cw / 2), lh };
            g_array_append_val(lrects, r);
            total += lh;
        }
        total += v->list->len ? 3 * MAX(3, base / 7) : 0;
        if (total <= br.h || sw)
            break;
        Button tmp = { NULL, v->scroll_up ? v->scroll_up : (char *)"\u25B2", UI_BTN_NORMAL };
        Button tmp2 = { NULL, v->scroll_down ? v->scroll_down : (char *)"\u25BC", UI_BTN_NORMAL };
        int w1, w2, h1;
        button_size(ui, &tmp, cw, &w1, &h1);
        button_size(ui, &tmp2, cw, &w2, &h1);
        sw = MAX(w1, w2);
    }
    s->scroll_max = MAX(0, total - br.h);
    s->scroll = CLAMP(s->scroll, 0, s->scroll_max);
    s->scroll_step = line_h(ui->font) * 2;
    draw_lines_in(ui, s, body, br.x, br.y - s->scroll, C_FG, br.y, br.h);
    for (guint i = 0; i < v->list->len; i++) {
        Rect r = g_array_index(lrects, Rect, i);
        r.x += br.x;
        r.y += br.y - s->scroll;
        /* Only a button wholly inside the visible part can be clicked or focused. */
        if (r.y >= br.y && r.y + r.h <= br.y + br.h)
            draw_button(ui, s, g_ptr_array_index(v->list, i), r, FALSE);
    }
    if (sw) {
        static Button up = { (char *)"ui:scroll_up", NULL, UI_BTN_NORMAL };
        static Button down = { (char *)"ui:scroll_down", NULL, UI_BTN_NORMAL };
        up.label = v->scroll_up ? v->scroll_up : (char *)"\u25B2";
        down.label = v->scroll_down ? v->scroll_down : (char *)"\u25BC";
        int w, h;
        button_size(ui, &down, cw, &w, &h);
        draw_button(ui, s, &up, (Rect){ br.x + br.w - sw, br.y, sw, h }, s->scroll == 0);
        draw_button(ui, s, &down, (Rect){ br.x + br.w - sw, br.y + br.h - h, sw, h }, s->scroll >= s->scroll_max);
    }

    draw_lines(ui, s, note, cx, note_y, v->note_error ? C_ERROR : C_PRIMARY);
    if (v->field_label)
        draw_field(ui, s, v, cx, field_y);
    draw_rows(ui, s, v->buttons, brects, cx, btn_y);
}

/* The strip: one line with the time left and the end button, at the top edge of the primary
 * monitor, centred, as small as its text allows; a warning adds a line and turns it amber. */
static void render_strip(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    Rect m = ui->mon[ui->primary];
    int base = ui->base, pad = base / 2;
    int tw = v->title ? text_w(ui, ui->bold, v->title, -1) : 0;
    g_autoptr(GArray) brects = g_array_new(FALSE, FALSE, sizeof(Rect));
    int bh = layout_rows(ui, v->buttons, m.w, brects);
    int bw = 0;
    for (guint i = 0; i < brects->len; i++)
        bw = MAX(bw, g_array_index(brects, Rect, i).x + g_array_index(brects, Rect, i).w);
    int row_h = MAX(bh, ui->bold->height);
    int w = pad + tw + base + bw + pad + 2 * MAX(3, base / 7);
    g_autoptr(GPtrArray) note = g_ptr_array_new_with_free_func(line_free);
    int nh = 0;
    if (v->note) {
        w = MAX(w, MIN(text_w(ui, ui->bold, v->note, -1) + 2 * pad, m.w * 8 / 10));
        nh = wrap_text(ui, ui->bold, v->note, w - 2 * pad, note);
    }
    int h = pad + row_h + (nh ? pad / 2 + nh : 0) + pad;
    ensure_geometry(ui, s, (Rect){ m.x + (m.w - w) / 2, m.y, w, h });
    int bg = v->warning ? C_AMBER : C_STRIP, fg = v->warning ? C_FG : C_ON_DARK;
    fill(ui, s, bg, 0, 0, w, h);
    frame(ui, s, C_FG, (Rect){ 0, 0, w, h }, 2);
    if (v->title)
        XftDrawStringUtf8(s->draw, &ui->color[fg], ui->bold, pad, pad + (row_h - ui->bold->height) / 2 + ui->bold->ascent,
                          (const FcChar8 *)v->title, (int)strlen(v->title));
    draw_rows(ui, s, v->buttons, brects, w - pad - bw - MAX(3, base / 7), pad + (row_h - bh) / 2);
    draw_lines(ui, s, note, pad, pad + row_h + pad / 2, fg);
}

/* A dialog: centred on the primary monitor, title, text and a row of buttons. */
static void render_dialog(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    Rect m = ui->mon[ui->primary];
    int base = ui->base, pad = base * 3 / 2;
    int w = MIN(m.w * 17 / 20, base * 34), cw = w - 2 * pad;
    g_autoptr(GPtrArray) title = g_ptr_array_new_with_free_func(line_free);
    g_autoptr(GPtrArray) body = g_ptr_array_new_with_free_func(line_free);
    g_autoptr(GArray) brects = g_array_new(FALSE, FALSE, sizeof(Rect));
    int th = wrap_text(ui, ui->title, v->title, cw, title);
    int bdh = wrap_text(ui, ui->font, v->body, cw, body);
    int bh = layout_rows(ui, v->buttons, cw, brects);
    int h = pad + th + (bdh ? base * 2 / 3 + bdh : 0) + (bh ? base + bh : 0) + pad;
    ensure_geometry(ui, s, (Rect){ m.x + (m.w - w) / 2, m.y + MAX((m.h - h) / 2, 0), w, MIN(h, m.h) });
    fill(ui, s, v->warning ? C_AMBER : C_BG, 0, 0, w, h);
    frame(ui, s, C_FG, (Rect){ 0, 0, w, MIN(h, m.h) }, 4);
    draw_lines(ui, s, title, pad, pad, C_FG);
    draw_lines(ui, s, body, pad, pad + th + base * 2 / 3, C_FG);
    draw_rows(ui, s, v->buttons, brects, pad, h - pad - bh);
}

void draw_surface(Ui *ui, Surface *s)
{
    switch (s->view->place) {
    case UI_COVER: render_cover(ui, s); break;
    case UI_STRIP: render_strip(ui, s); break;
    default: render_dialog(ui, s); break;
    }
}
