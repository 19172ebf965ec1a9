/* The widgets of a view and the style sheet of every patron screen.
 *
 * Every screen is rebuilt from its UiView when it changes: there is no widget state to keep
 * in step with the view. Sizes follow the primary monitor (base text size = height / 32,
 * 18 to 48 px) times the text scale (1 or 2). Colours are fixed here, each pair of text and
 * background with a contrast ratio of at least 4.5:1 (tests/integration/test-session-a11y.sh
 * measures it from screenshots); no state is told by colour alone (the current language has
 * a check mark, errors and warnings a sign and words). */
#include "ui-private.h"

#include <string.h>

/* The colours, with their contrast ratios (WCAG 2 relative luminance) against their
 * background: text #111111 on #FFFFFF 18.9; white on primary #0B6B24 6.9; on danger
 * #B3001B 7.1; on navy #14305A 12.6; text on the amber warning #FFD23F 14.0; error
 * #8A0015 on #FDECEE 8.6; muted #404040 on white 10.4. The focus ring #0047C2 has 8.1:1
 * against white and 3.6:1 against the navy strip (3:1 is asked of focus indicators). */
static const char css_template[] =
    "window.rk { background-color: #FFFFFF; color: #111111; }\n"
    "window.rk * { font-family: \"DejaVu Sans\", \"Noto Sans\", \"Noto Sans Arabic\", sans-serif;"
    "  font-size: %dpx; text-shadow: none; -gtk-icon-shadow: none; }\n"
    "window.rk label { color: #111111; }\n"
    "window.rk .rk-title { font-size: %dpx; font-weight: bold; }\n"
    "window.rk .rk-subtitle { font-weight: bold; }\n"
    "window.rk .rk-small { font-size: %dpx; }\n"
    "window.rk .rk-muted { color: #404040; }\n"
    "window.rk .rk-note { padding: %dpx; border-radius: 4px; background-color: #EAF1FB; }\n"
    "window.rk .rk-note label { color: #111111; }\n"
    "window.rk .rk-note.rk-error { background-color: #FDECEE; border: 2px solid #8A0015; }\n"
    "window.rk .rk-note.rk-error label { color: #8A0015; }\n"
    "window.rk button { background-image: none; background-color: #E6E6E6; color: #111111;"
    "  border: 2px solid #404040; border-radius: 6px; box-shadow: none; padding: %dpx %dpx;"
    "  outline-color: #0047C2; outline-style: solid; outline-width: %dpx; outline-offset: %dpx; }\n"
    "window.rk button label { color: #111111; }\n"
    "window.rk button:hover { background-color: #D4D4D4; }\n"
    "window.rk button.rk-primary { background-color: #0B6B24; border-color: #0B6B24; }\n"
    "window.rk button.rk-primary:hover { background-color: #085A1E; }\n"
    "window.rk button.rk-danger { background-color: #B3001B; border-color: #B3001B; }\n"
    "window.rk button.rk-danger:hover { background-color: #96001A; }\n"
    "window.rk button.rk-lang-on { background-color: #14305A; border-color: #14305A; }\n"
    "window.rk button.rk-primary label, window.rk button.rk-danger label,"
    "  window.rk button.rk-lang-on label { color: #FFFFFF; }\n"
    "window.rk button.rk-list { padding: %dpx; }\n"
    "window.rk button.rk-lang, window.rk button.rk-lang label { font-size: %dpx; }\n"
    "window.rk button.rk-lang { padding: %dpx %dpx; }\n"
    "window.rk entry { font-size: %dpx; padding: %dpx; border: 2px solid #404040; color: #111111;"
    "  background-color: #FFFFFF; background-image: none; box-shadow: none; }\n"
    "window.rk entry:focus { border-color: #0047C2; box-shadow: inset 0 0 0 2px #0047C2; }\n"
    "window.rk scrollbar slider { min-width: %dpx; min-height: %dpx; background-color: #404040; }\n"
    "window.rk scrollbar { background-color: #E6E6E6; }\n"
    "window.rk.rk-strip { background-color: #14305A; }\n"
    "window.rk.rk-strip label { color: #FFFFFF; }\n"
    /* A plain button in the strip (Lock the screen) keeps dark text on its light grey. */
    "window.rk.rk-strip button label { color: #111111; }\n"
    "window.rk.rk-strip button.rk-primary label, window.rk.rk-strip button.rk-danger label { color: #FFFFFF; }\n"
    "window.rk.rk-strip .rk-title { font-size: %dpx; }\n"
    "window.rk.rk-strip.rk-warning { background-color: #FFD23F; }\n"
    "window.rk.rk-strip.rk-warning label { color: #111111; }\n"
    "window.rk.rk-strip.rk-warning button.rk-primary label,"
    "  window.rk.rk-strip.rk-warning button.rk-danger label { color: #FFFFFF; }\n"
    "window.rk.rk-strip button { outline-color: #FFFFFF; }\n"
    "window.rk.rk-strip.rk-warning button { outline-color: #0047C2; }\n"
    "window.rk.rk-dialog { border: %dpx solid #14305A; }\n"
    "window.rk.rk-dialog.rk-warning { border-color: #111111; background-color: #FFD23F; }\n"
    "window.rk.rk-dialog.rk-warning label { color: #111111; }\n"
    "window.rk.rk-dialog.rk-warning button.rk-primary label { color: #FFFFFF; }\n";

static int scaled(const Ui *ui, int px)
{
    return (int)(px * ui->scale + 0.5);
}

static int small_size(const Ui *ui)
{
    return MAX(scaled(ui, ui->base * 17 / 20), 16);
}

void build_style(Ui *ui)
{
    int b = scaled(ui, ui->base);
    int small = small_size(ui);
    g_autofree char *css = g_strdup_printf(css_template, b, b * 3 / 2, small, b / 2, b / 2, b, MAX(3, b / 7),
                                           MAX(2, b / 8), b / 2, small, b / 4, b / 2, b, b / 3, b * 2 / 3, b * 2 / 3, b, MAX(3, b / 6));
    gtk_css_provider_load_from_data(ui->css, css, -1, NULL);
}

/* ---- pieces ---- */

static void add_part(Surface *s, GtkWidget *w, const Button *b, const char *kind)
{
    Part p = { g_object_ref(w), b, kind };
    g_array_append_val(s->parts, p);
}

static void set_name(GtkWidget *w, const char *name)
{
    AtkObject *a = gtk_widget_get_accessible(w);
    if (a && name)
        atk_object_set_name(a, name);
}

static GtkWidget *text_label(Surface *s, const char *text, const char *kind, const char *css_class)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_line_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_line_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign(GTK_LABEL(l), 0.0);
    gtk_widget_set_halign(l, GTK_ALIGN_FILL);
    gtk_widget_set_hexpand(l, TRUE);
    if (css_class)
        gtk_style_context_add_class(gtk_widget_get_style_context(l), css_class);
    add_part(s, l, NULL, kind);
    return l;
}

static void on_clicked(GtkButton *btn, gpointer data)
{
    Ui *ui = data;
    const char *action = g_object_get_data(G_OBJECT(btn), "rk-action");
    /* The callback may replace the view (and destroy this button): it gets a copy. */
    g_autofree char *a = g_strdup(action);
    if (a)
        ui->on_action(a, ui->user_data);
}

static GtkWidget *button(Ui *ui, Surface *s, const Button *b)
{
    static const char *const classes[] = { NULL, "rk-primary", "rk-danger", "rk-lang", "rk-lang-on", "rk-list" };
    /* The current language is marked with a sign, not with its colour alone. */
    g_autofree char *text = b->style == UI_BTN_LANG_ON ? g_strconcat("\u2713 ", b->label, NULL) : g_strdup(b->label);
    GtkWidget *w = gtk_button_new_with_label(text);
    GtkWidget *l = gtk_bin_get_child(GTK_BIN(w));
    gtk_label_set_line_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_justify(GTK_LABEL(l), GTK_JUSTIFY_CENTER);
    if (classes[b->style])
        gtk_style_context_add_class(gtk_widget_get_style_context(w), classes[b->style]);
    if (b->style == UI_BTN_LANG_ON)
        gtk_style_context_add_class(gtk_widget_get_style_context(w), "rk-lang");
    if (b->style == UI_BTN_LIST) {
        gtk_label_set_xalign(GTK_LABEL(l), 0.0);
        gtk_label_set_justify(GTK_LABEL(l), GTK_JUSTIFY_LEFT);
        /* Room for the focus ring inside the scrolled list. */
        g_object_set(w, "margin", MAX(4, scaled(ui, ui->base) / 4), NULL);
    }
    gtk_widget_set_focus_on_click(w, TRUE);
    g_object_set_data_full(G_OBJECT(w), "rk-action", g_strdup(b->action), g_free);
    g_signal_connect(w, "clicked", G_CALLBACK(on_clicked), ui);
    set_name(w, b->label);
    if (b->style == UI_BTN_LANG_ON)
        atk_object_set_description(gtk_widget_get_accessible(w), "\u2713");
    add_part(s, w, b, NULL);
    const UiView *v = s->view;
    /* A code field takes the focus back when its screen is built again (a wrong code is
     * typed again, not sent with a button). */
    const char *want = v->focus ? v->focus : s->field ? NULL : s->keep_focus;
    if (want && strcmp(want, b->action) == 0)
        s->focus = w;
    else if (!want && !s->focus && b->style == UI_BTN_PRIMARY)
        s->focus = w;
    return w;
}

static int text_width(Ui *ui, Surface *s, const char *text, gboolean small)
{
    PangoLayout *l = gtk_widget_create_pango_layout(s->win, text);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans");
    pango_font_description_set_absolute_size(fd, (small ? small_size(ui) : scaled(ui, ui->base)) * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    int w = 0;
    pango_layout_get_pixel_size(l, &w, NULL);
    pango_font_description_free(fd);
    g_object_unref(l);
    return w;
}

/* Buttons in rows that wrap like words (all in one row when they fit; at 200 % text they
 * take several rows): nothing is cut off, and Tab follows the rows. */
static GtkWidget *button_rows(Ui *ui, Surface *s, GPtrArray *buttons, int width)
{
    int gap = scaled(ui, ui->base) / 2;
    GtkWidget *col = gtk_box_new(GTK_ORIENTATION_VERTICAL, gap), *row = NULL;
    int used = 0;
    for (guint i = 0; i < buttons->len; i++) {
        const Button *b = g_ptr_array_index(buttons, i);
        GtkWidget *w = button(ui, s, b);
        gboolean lang = b->style == UI_BTN_LANG || b->style == UI_BTN_LANG_ON;
        /* The label's width at the screen's text size (the row is not in the window yet, so
         * GTK cannot measure it with the style sheet), plus padding, border and focus ring. */
        int bw = text_width(ui, s, gtk_button_get_label(GTK_BUTTON(w)), lang) +
                 (lang ? 1 : 2) * scaled(ui, ui->base) + 16;
        if (!row || used + gap + bw > width) {
            row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, gap);
            gtk_box_pack_start(GTK_BOX(col), row, FALSE, FALSE, 0);
            used = 0;
        }
        gtk_box_pack_start(GTK_BOX(row), w, FALSE, FALSE, 0);
        used += bw + gap;
    }
    return col;
}

static void digits_only(GtkEditable *e, const char *text, int len, int *pos, gpointer data)
{
    for (int i = 0; i < len; i++)
        if (!g_ascii_isdigit(text[i])) {
            g_signal_stop_emission_by_name(e, "insert-text");
            return;
        }
}

static void on_entry_activate(GtkEntry *e, gpointer data)
{
    Ui *ui = data;
    /* Enter in the PIN field is the primary button (OK). */
    Surface *s = &ui->s[UI_COVER];
    for (guint i = 0; s->view && i < s->view->buttons->len; i++) {
        const Button *b = g_ptr_array_index(s->view->buttons, i);
        if (b->style == UI_BTN_PRIMARY) {
            g_autofree char *a = g_strdup(b->action);
            ui->on_action(a, ui->user_data);
            return;
        }
    }
}

/* The surface's one code entry, made once and kept while the client runs. Its label is its
 * mnemonic label, so the accessibles of the two hold each other (labelled-by, label-for);
 * a destroyed label whose accessible stays held is asked for its state by a screen reader,
 * and GTK 3 answers with nothing, which the AT-SPI bridge reports as a critical (found by
 * test-session-a11y on the PIN and lock screens). build_clear() unties the two and takes
 * the entry out before the old widgets go. */
static GtkWidget *entry(Ui *ui, Surface *s)
{
    if (!s->entry) {
        s->entry = g_object_ref_sink(gtk_entry_new());
        /* SECURITY: the PIN is never shown; GTK's entry buffer overwrites its memory when it
         * frees or shrinks it, and ui_field_clear() empties it after every use. */
        gtk_entry_set_visibility(GTK_ENTRY(s->entry), FALSE);
        gtk_entry_set_input_purpose(GTK_ENTRY(s->entry), GTK_INPUT_PURPOSE_PIN);
        g_signal_connect(s->entry, "insert-text", G_CALLBACK(digits_only), NULL);
        g_signal_connect(s->entry, "activate", G_CALLBACK(on_entry_activate), ui);
    }
    /* Every screen with a field starts it empty, as a new entry would. */
    gtk_entry_set_text(GTK_ENTRY(s->entry), "");
    return s->entry;
}

static GtkWidget *field(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, scaled(ui, ui->base) / 2);
    GtkWidget *l = text_label(s, v->field_label, "field", NULL);
    gtk_widget_set_hexpand(l, FALSE);
    GtkWidget *e = entry(ui, s);
    gtk_entry_set_max_length(GTK_ENTRY(e), v->field_max);
    gtk_entry_set_width_chars(GTK_ENTRY(e), v->field_max + 1);
    gtk_label_set_mnemonic_widget(GTK_LABEL(l), e);
    s->entry_label = l;
    set_name(e, v->field_label);
    gtk_box_pack_start(GTK_BOX(box), l, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), e, FALSE, FALSE, 0);
    s->field = e;
    if (!v->focus)
        s->focus = e;
    return box;
}

static GtkWidget *note(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    GtkWidget *frame = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    GtkStyleContext *c = gtk_widget_get_style_context(frame);
    gtk_style_context_add_class(c, "rk-note");
    if (v->note_error)
        gtk_style_context_add_class(c, "rk-error");
    /* An error is told by a sign and its words, not by the red alone. */
    g_autofree char *text = v->note_error ? g_strconcat("\u26A0 ", v->note, NULL) : g_strdup(v->note);
    GtkWidget *l = text_label(s, text, "note", NULL);
    gtk_box_pack_start(GTK_BOX(frame), l, TRUE, TRUE, 0);
    if (v->note_error)
        atk_object_set_role(gtk_widget_get_accessible(l), ATK_ROLE_ALERT);
    return frame;
}

/* Paragraphs separated by blank lines; a line starting with "• " or "- " is a bullet, drawn
 * with a hanging indent. */
static GtkWidget *body(Ui *ui, Surface *s, const char *text)
{
    int gap = scaled(ui, ui->base) * 3 / 4;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, gap);
    g_auto(GStrv) paras = g_strsplit(text, "\n", -1);
    for (char **p = paras; *p; p++) {
        char *para = g_strstrip(*p);
        if (!*para)
            continue;
        gboolean bullet = g_str_has_prefix(para, "\u2022 ") || g_str_has_prefix(para, "- ");
        if (!bullet) {
            gtk_box_pack_start(GTK_BOX(box), text_label(s, para, "text", NULL), FALSE, FALSE, 0);
            continue;
        }
        const char *rest = para + (para[0] == '-' ? 2 : strlen("\u2022 "));
        GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, gap);
        GtkWidget *dot = gtk_label_new("\u2022");
        gtk_widget_set_valign(dot, GTK_ALIGN_START);
        /* The bullet is decoration: a screen reader reads the text. */
        atk_object_set_role(gtk_widget_get_accessible(dot), ATK_ROLE_REDUNDANT_OBJECT);
        gtk_box_pack_start(GTK_BOX(row), dot, FALSE, FALSE, 0);
        gtk_box_pack_start(GTK_BOX(row), text_label(s, rest, "text", NULL), TRUE, TRUE, 0);
        gtk_box_pack_start(GTK_BOX(box), row, FALSE, FALSE, 0);
    }
    return box;
}

/* ---- the three places ---- */

/* The small line that names the PC, so that a patron can tell the staff which one they mean:
 * #404040 on white (10.4:1) on the cover; on the strip the strip's own colours. */
static GtkWidget *seat_label(Surface *s, gboolean muted)
{
    GtkWidget *l = text_label(s, s->view->seat, "seat", "rk-small");
    if (muted)
        gtk_style_context_add_class(gtk_widget_get_style_context(l), "rk-muted");
    return l;
}

/* The cover's content on the primary monitor: the PC's name, top row, title, subtitle, body
 * (scrolled when it does not fit), list, field, note and the row of buttons. */
static GtkWidget *cover_content(Ui *ui, Surface *s, const Rect *m)
{
    const UiView *v = s->view;
    int b = scaled(ui, ui->base), margin = MAX(b, m->w / 24);
    int width = MIN(m->w - 2 * margin, b * 44);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, b * 3 / 4);
    /* Exactly `width` wide, centred: a label's natural width (its text on one line) must not
     * widen the column. */
    gtk_widget_set_margin_start(box, (m->w - width) / 2);
    gtk_widget_set_margin_end(box, m->w - width - (m->w - width) / 2);
    gtk_widget_set_margin_top(box, margin / 2);
    gtk_widget_set_margin_bottom(box, margin / 2);
    /* Everything but the answers scrolls: at 200 % text the notice is longer than the
     * screen, and the buttons to answer it must stay in view. */
    GtkWidget *inner = gtk_box_new(GTK_ORIENTATION_VERTICAL, b * 3 / 4);
    if (v->seat)
        gtk_box_pack_start(GTK_BOX(inner), seat_label(s, TRUE), FALSE, FALSE, 0);
    if (v->top->len) {
        GtkWidget *g = button_rows(ui, s, v->top, width - 2 * b);
        set_name(g, v->top_label);
        atk_object_set_role(gtk_widget_get_accessible(g), ATK_ROLE_TOOL_BAR);
        gtk_box_pack_start(GTK_BOX(inner), g, FALSE, FALSE, 0);
    }
    if (v->title) {
        GtkWidget *t = text_label(s, v->title, "title", "rk-title");
        atk_object_set_role(gtk_widget_get_accessible(t), ATK_ROLE_HEADING);
        gtk_box_pack_start(GTK_BOX(inner), t, FALSE, FALSE, 0);
    }
    if (v->subtitle) {
        GtkWidget *l = text_label(s, v->subtitle, "subtitle", "rk-subtitle");
        /* A countdown: its name changes once a minute, its text every second. */
        if (v->subtitle_name)
            set_name(l, v->subtitle_name);
        gtk_box_pack_start(GTK_BOX(inner), l, FALSE, FALSE, 0);
    }
    if (v->body)
        gtk_box_pack_start(GTK_BOX(inner), body(ui, s, v->body), FALSE, FALSE, 0);
    for (guint i = 0; i < v->list->len; i++)
        gtk_box_pack_start(GTK_BOX(inner), button(ui, s, g_ptr_array_index(v->list, i)), FALSE, FALSE, 0);
    GtkWidget *sc = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sc), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_overlay_scrolling(GTK_SCROLLED_WINDOW(sc), FALSE);
    gtk_scrolled_window_set_propagate_natural_height(GTK_SCROLLED_WINDOW(sc), TRUE);
    gtk_container_add(GTK_CONTAINER(sc), inner);
    /* A button focused with Tab is scrolled into view. */
    gtk_container_set_focus_vadjustment(GTK_CONTAINER(inner), gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(sc)));
    gtk_widget_set_vexpand(sc, TRUE);
    gtk_box_pack_start(GTK_BOX(box), sc, TRUE, TRUE, 0);
    s->scroller = sc;
    if (v->field_label)
        gtk_box_pack_start(GTK_BOX(box), field(ui, s), FALSE, FALSE, 0);
    if (v->note)
        gtk_box_pack_start(GTK_BOX(box), note(ui, s), FALSE, FALSE, 0);
    if (v->buttons->len)
        gtk_box_pack_start(GTK_BOX(box), button_rows(ui, s, v->buttons, width), FALSE, FALSE, 0);
    return box;
}

static void build_cover(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    GtkWidget *fixed = gtk_fixed_new();
    /* Monitors are placed by their root coordinates, whatever the text direction. */
    gtk_widget_set_direction(fixed, GTK_TEXT_DIR_LTR);
    for (int i = 0; i < ui->n_mon; i++) {
        const Rect *m = &ui->mon[i];
        GtkWidget *mb = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        gtk_widget_set_direction(mb, ui->rtl ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
        gtk_widget_set_size_request(mb, m->w, m->h);
        if (i == ui->primary) {
            gtk_box_pack_start(GTK_BOX(mb), cover_content(ui, s, m), TRUE, TRUE, 0);
        } else if (v->other_monitor) {
            GtkWidget *l = text_label(s, v->other_monitor, "other", "rk-title");
            gtk_label_set_xalign(GTK_LABEL(l), 0.5);
            gtk_widget_set_valign(l, GTK_ALIGN_CENTER);
            gtk_box_pack_start(GTK_BOX(mb), l, TRUE, TRUE, 0);
        }
        gtk_fixed_put(GTK_FIXED(fixed), mb, m->x - ui->root.x, m->y - ui->root.y);
    }
    gtk_container_add(GTK_CONTAINER(s->win), fixed);
    s->geo = ui->root;
}

/* One row at the top edge of the primary monitor: the time left, the warning, the buttons
 * (a column at 200 % text). */
static void build_strip(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    const Rect *m = &ui->mon[ui->primary];
    int b = scaled(ui, ui->base);
    /* At 200 % a row would leave the warning a narrow column of single words: the strip is
     * then a column (time, warning, buttons), as wide as the screen. */
    gboolean column = ui->scale > 1.0;
    GtkWidget *box = gtk_box_new(column ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL, column ? b / 2 : b);
    gtk_widget_set_direction(box, ui->rtl ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
    g_object_set(box, "margin", b / 3, NULL);
    gtk_widget_set_margin_start(box, b);
    gtk_widget_set_margin_end(box, b);
    GtkWidget *t = text_label(s, v->title, "title", "rk-title");
    gtk_widget_set_hexpand(t, FALSE);
    gtk_widget_set_valign(t, GTK_ALIGN_CENTER);
    if (v->seat) {
        /* The PC's name under the time left; in a row it wraps rather than take the
         * warning's room. */
        GtkWidget *col = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        GtkWidget *seat = seat_label(s, FALSE);
        if (!column)
            gtk_label_set_max_width_chars(GTK_LABEL(seat), 32);
        gtk_widget_set_hexpand(seat, FALSE);
        gtk_widget_set_hexpand(col, FALSE);
        gtk_widget_set_valign(col, GTK_ALIGN_CENTER);
        gtk_box_pack_start(GTK_BOX(col), t, FALSE, FALSE, 0);
        gtk_box_pack_start(GTK_BOX(col), seat, FALSE, FALSE, 0);
        t = col;
    }
    gtk_box_pack_start(GTK_BOX(box), t, FALSE, FALSE, 0);
    if (v->note) {
        g_autofree char *w = g_strconcat("\u26A0 ", v->note, NULL);
        GtkWidget *l = text_label(s, w, "note", NULL);
        gtk_widget_set_valign(l, GTK_ALIGN_CENTER);
        /* A live announcement: screen readers speak a notification when it appears,
         * without moving the focus away from the patron's program. */
        atk_object_set_role(gtk_widget_get_accessible(l), ATK_ROLE_NOTIFICATION);
        gtk_box_pack_start(GTK_BOX(box), l, TRUE, TRUE, 0);
    } else if (!column) {
        /* The buttons to the end; a box, not an empty label, which a screen reader would
         * announce as a nameless text. */
        gtk_box_pack_start(GTK_BOX(box), gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0), TRUE, TRUE, 0);
    }
    /* Without a warning the buttons may take two thirds of the row (the time left needs
     * the rest): lock and end then stand side by side and the strip stays one line high. */
    GtkWidget *g = button_rows(ui, s, v->buttons, column ? m->w - 2 * b : v->note ? m->w / 2 : m->w * 2 / 3);
    gtk_widget_set_valign(g, GTK_ALIGN_CENTER);
    if (column)
        gtk_box_pack_start(GTK_BOX(box), g, FALSE, FALSE, 0);
    else
        gtk_box_pack_end(GTK_BOX(box), g, FALSE, FALSE, 0);
    gtk_container_add(GTK_CONTAINER(s->win), box);

    s->geo = (Rect){ m->x, m->y, m->w, 0 }; /* the height: build_surface() */
    GtkStyleContext *c = gtk_widget_get_style_context(s->win);
    gtk_style_context_add_class(c, "rk-strip");
    if (v->warning)
        gtk_style_context_add_class(c, "rk-warning");
}

/* A box in the middle of the primary monitor: title, body, buttons. */
static void build_dialog(Ui *ui, Surface *s)
{
    const UiView *v = s->view;
    const Rect *m = &ui->mon[ui->primary];
    int b = scaled(ui, ui->base);
    int width = MIN(m->w - 2 * b, MAX(m->w * 3 / 5, b * 30));
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, b * 3 / 4);
    gtk_widget_set_direction(box, ui->rtl ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
    g_object_set(box, "margin", b, NULL);
    gtk_widget_set_size_request(box, width - 2 * b, -1);
    if (v->title) {
        GtkWidget *t = text_label(s, v->title, "title", "rk-title");
        atk_object_set_role(gtk_widget_get_accessible(t), ATK_ROLE_HEADING);
        gtk_box_pack_start(GTK_BOX(box), t, FALSE, FALSE, 0);
    }
    if (v->body)
        gtk_box_pack_start(GTK_BOX(box), body(ui, s, v->body), FALSE, FALSE, 0);
    if (v->buttons->len)
        gtk_box_pack_start(GTK_BOX(box), button_rows(ui, s, v->buttons, width - 2 * b), FALSE, FALSE, 0);
    gtk_container_add(GTK_CONTAINER(s->win), box);
    s->geo = (Rect){ m->x + (m->w - width) / 2, m->y, width, 0 }; /* the height: build_surface() */
    GtkStyleContext *c = gtk_widget_get_style_context(s->win);
    gtk_style_context_add_class(c, "rk-dialog");
    if (v->warning)
        gtk_style_context_add_class(c, "rk-warning");
}

void build_clear(Surface *s)
{
    /* The focus leaves the old widgets before they go: GTK's accessibility code keeps the
     * last focused widget and would otherwise touch it after it was freed. */
    gtk_window_set_focus(GTK_WINDOW(s->win), NULL);
    /* The kept entry leaves the old widgets (its reference keeps it) before they go, and
     * lets go of its label's accessible. */
    if (s->entry_label) {
        gtk_label_set_mnemonic_widget(GTK_LABEL(s->entry_label), NULL);
        AtkRelationSet *rs = atk_object_ref_relation_set(gtk_widget_get_accessible(s->entry));
        AtkRelation *r;
        while (rs && (r = atk_relation_set_get_relation_by_type(rs, ATK_RELATION_LABELLED_BY)))
            atk_relation_set_remove(rs, r);
        g_clear_object(&rs);
        s->entry_label = NULL;
    }
    GtkWidget *parent = s->entry ? gtk_widget_get_parent(s->entry) : NULL;
    if (parent)
        gtk_container_remove(GTK_CONTAINER(parent), s->entry);
    GtkWidget *old = gtk_bin_get_child(GTK_BIN(s->win));
    if (old)
        gtk_widget_destroy(old);
    g_array_set_size(s->parts, 0);
    s->scroller = s->field = s->focus = NULL;
}

void build_surface(Ui *ui, Surface *s)
{
    build_clear(s);
    GtkStyleContext *c = gtk_widget_get_style_context(s->win);
    gtk_style_context_remove_class(c, "rk-warning");
    const UiView *v = s->view;
    switch (v->place) {
    case UI_COVER: build_cover(ui, s); break;
    case UI_STRIP: build_strip(ui, s); break;
    case UI_DIALOG: build_dialog(ui, s); break;
    case UI_N_PLACES: break;
    }
    /* What a screen reader says when the window appears: its title, in a dialog (the cover
     * and the confirmation) or an alert (the idle countdown). */
    AtkObject *a = gtk_widget_get_accessible(s->win);
    atk_object_set_role(a, v->place == UI_STRIP ? ATK_ROLE_STATUSBAR : v->alert ? ATK_ROLE_ALERT : ATK_ROLE_DIALOG);
    const char *title = v->title ? v->title : "rentark";
    atk_object_set_name(a, title);
    /* The whole text as the window's description: Orca speaks it when the window appears,
     * so a blind patron hears the notice without first looking for it. */
    g_autofree char *desc = g_strjoin("\n", v->subtitle ? v->subtitle : "", v->body ? v->body : "",
                                      v->note ? v->note : "", v->seat ? v->seat : "", NULL);
    atk_object_set_description(a, g_strstrip(desc));
    gtk_window_set_title(GTK_WINDOW(s->win), title);
    if (!s->focus) {
        for (guint i = 0; i < s->parts->len && !s->focus; i++)
            if (g_array_index(s->parts, Part, i).b && v->place != UI_STRIP)
                s->focus = g_array_index(s->parts, Part, i).w;
    }
    gtk_widget_show_all(gtk_bin_get_child(GTK_BIN(s->win)));
    if (s->geo.h == 0) {
        /* The strip and the dialog are as high as their content needs at their width,
         * measured now that the style sheet applies; the dialog is centred. */
        const Rect *m = &ui->mon[ui->primary];
        gtk_widget_set_size_request(s->win, s->geo.w, -1);
        int h = 0;
        gtk_widget_get_preferred_height_for_width(s->win, s->geo.w, &h, NULL);
        s->geo.h = MIN(h, m->h);
        if (v->place == UI_DIALOG)
            s->geo.y = m->y + (m->h - s->geo.h) / 2;
    }
    gtk_widget_set_size_request(s->win, s->geo.w, s->geo.h);
    gtk_window_resize(GTK_WINDOW(s->win), s->geo.w, s->geo.h);
    gtk_window_move(GTK_WINDOW(s->win), s->geo.x, s->geo.y);
}
