/* The view model: what a screen shows, described by flow.c and built by build.c. */
#include "ui-private.h"

static void button_free(gpointer p)
{
    Button *b = p;
    g_free(b->action);
    g_free(b->label);
    g_free(b);
}

static void key_clear(gpointer p)
{
    g_free(((Key *)p)->action);
}

UiView *ui_view_new(UiPlace place, const char *name)
{
    UiView *v = g_new0(UiView, 1);
    v->place = place;
    v->name = g_strdup(name);
    v->top = g_ptr_array_new_with_free_func(button_free);
    v->list = g_ptr_array_new_with_free_func(button_free);
    v->buttons = g_ptr_array_new_with_free_func(button_free);
    v->keys = g_array_new(FALSE, TRUE, sizeof(Key));
    g_array_set_clear_func(v->keys, key_clear);
    return v;
}

void ui_view_free(UiView *v)
{
    if (!v)
        return;
    char **strs[] = { &v->name, &v->title, &v->subtitle, &v->body, &v->note, &v->field_label,
                      &v->other_monitor, &v->escape, &v->focus, &v->top_label, &v->seat,
                      &v->subtitle_name };
    for (gsize i = 0; i < G_N_ELEMENTS(strs); i++)
        g_free(*strs[i]);
    g_ptr_array_unref(v->top);
    g_ptr_array_unref(v->list);
    g_ptr_array_unref(v->buttons);
    g_array_unref(v->keys);
    g_free(v);
}

static gboolean buttons_equal(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len)
        return FALSE;
    for (guint i = 0; i < a->len; i++) {
        const Button *x = g_ptr_array_index(a, i), *y = g_ptr_array_index(b, i);
        if (x->style != y->style || g_strcmp0(x->action, y->action) != 0 || g_strcmp0(x->label, y->label) != 0)
            return FALSE;
    }
    return TRUE;
}

gboolean ui_view_equal(const UiView *a, const UiView *b)
{
    const char *const sa[] = { a->name, a->title, a->subtitle, a->body, a->note, a->field_label,
                               a->other_monitor, a->escape, a->focus, a->top_label, a->seat,
                               a->subtitle_name };
    const char *const sb[] = { b->name, b->title, b->subtitle, b->body, b->note, b->field_label,
                               b->other_monitor, b->escape, b->focus, b->top_label, b->seat,
                               b->subtitle_name };
    for (gsize i = 0; i < G_N_ELEMENTS(sa); i++)
        if (g_strcmp0(sa[i], sb[i]) != 0)
            return FALSE;
    if (a->place != b->place || a->note_error != b->note_error || a->warning != b->warning ||
        a->grab != b->grab || a->alert != b->alert || a->field_max != b->field_max ||
        !buttons_equal(a->top, b->top) || !buttons_equal(a->list, b->list) ||
        !buttons_equal(a->buttons, b->buttons) || a->keys->len != b->keys->len)
        return FALSE;
    for (guint i = 0; i < a->keys->len; i++) {
        const Key *x = &g_array_index(a->keys, Key, i), *y = &g_array_index(b->keys, Key, i);
        if (x->keyval != y->keyval || x->mods != y->mods || g_strcmp0(x->action, y->action) != 0)
            return FALSE;
    }
    return TRUE;
}

void ui_set_str(char **dst, const char *s)
{
    g_free(*dst);
    *dst = g_strdup(s);
}

void ui_view_set_title(UiView *v, const char *s) { ui_set_str(&v->title, s); }
void ui_view_set_subtitle(UiView *v, const char *s) { ui_set_str(&v->subtitle, s); }
void ui_view_set_body(UiView *v, const char *s) { ui_set_str(&v->body, s); }

void ui_view_set_countdown(UiView *v, const char *text, const char *spoken)
{
    ui_set_str(&v->subtitle, text);
    ui_set_str(&v->subtitle_name, spoken);
}
void ui_view_set_other_monitor(UiView *v, const char *s) { ui_set_str(&v->other_monitor, s); }
void ui_view_set_escape(UiView *v, const char *s) { ui_set_str(&v->escape, s); }
void ui_view_set_focus(UiView *v, const char *s) { ui_set_str(&v->focus, s); }
void ui_view_set_top_label(UiView *v, const char *s) { ui_set_str(&v->top_label, s); }
void ui_view_set_seat(UiView *v, const char *s) { ui_set_str(&v->seat, s); }
void ui_view_set_warning(UiView *v, gboolean w) { v->warning = w; }
void ui_view_set_grab(UiView *v, gboolean g) { v->grab = g; }
void ui_view_set_alert(UiView *v, gboolean a) { v->alert = a; }

void ui_view_set_note(UiView *v, const char *note, gboolean is_error)
{
    ui_set_str(&v->note, note);
    v->note_error = is_error;
}

void ui_view_set_field(UiView *v, const char *label, int max_digits)
{
    ui_set_str(&v->field_label, label);
    v->field_max = CLAMP(max_digits, 1, UI_FIELD_MAX);
}

static void add_button(GPtrArray *a, const char *action, const char *label, UiButtonStyle style)
{
    Button *b = g_new0(Button, 1);
    b->action = g_strdup(action);
    b->label = g_strdup(label);
    b->style = style;
    g_ptr_array_add(a, b);
}

void ui_view_add_top_button(UiView *v, const char *action, const char *label, UiButtonStyle style)
{
    add_button(v->top, action, label, style);
}

void ui_view_add_list_button(UiView *v, const char *action, const char *label)
{
    add_button(v->list, action, label, UI_BTN_LIST);
}

void ui_view_add_button(UiView *v, const char *action, const char *label, UiButtonStyle style)
{
    add_button(v->buttons, action, label, style);
}

void ui_view_add_key(UiView *v, const char *accel, const char *action)
{
    Key k = { 0 };
    gtk_accelerator_parse(accel, &k.keyval, &k.mods);
    if (!k.keyval) {
        g_warning("ui: unknown key \"%s\"", accel);
        return;
    }
    k.keyval = gdk_keyval_to_lower(k.keyval);
    k.action = g_strdup(action);
    g_array_append_val(v->keys, k);
}
