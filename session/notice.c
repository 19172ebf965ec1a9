/* Notice texts and UI strings per language, read from files the municipality edits.
 *
 * The files are trusted configuration (owned by root), but they are still read with a size
 * bound and their UTF-8 is repaired, so a mistake in an editor cannot crash the screen that
 * stands between a patron and the desktop. */
#include "notice.h"

#include <stdarg.h>
#include <string.h>

/* A text file larger than this is cut: no notice needs 64 KiB, and the bound keeps a wrong
 * path (a log file, say) from filling memory. */
#define NOTICE_MAX_FILE (64 * 1024)

/* The built-in English strings: the fallback for keys a ui.txt lacks, and the reference list
 * of keys. Placeholders in braces are filled in by the caller. */
static const char *const builtin_ui[][2] = {
    { "language_name", "English" },
    { "accept", "I understand \u2014 start" },
    { "logout", "Log out" },
    { "helper", "A helper is with me" },
    { "trust", "This PC was cleaned at {time}; nothing of the previous user remains." },
    { "trust_day", "This PC was cleaned on {date} at {time}; nothing of the previous user remains." },
    { "scroll_up", "\u25B2 Up" },
    { "scroll_down", "\u25BC More text" },
    { "pick_title", "Helper: choose your name" },
    { "pick_body", "The helper chooses their name and types their PIN. The patron can look away." },
    { "pick_empty", "No helpers are registered on this PC. Please ask the staff." },
    { "back", "Back" },
    { "pin_title", "Hello, {name}" },
    { "pin_body", "Type your PIN with the number keys, then press OK." },
    { "pin_label", "PIN:" },
    { "ok", "OK" },
    { "err_pin", "The PIN is not right. Tries left: {n}." },
    { "err_declaration", "This helper has no valid declaration of confidentiality on file, so a guided session cannot start." },
    { "err_training", "This helper has not completed the privacy training that guided sessions require." },
    { "err_other", "The helper could not be checked." },
    { "err_tries", "Too many tries. Please ask the staff for help." },
    { "guided_helper", "Your helper today: {name}" },
    { "consent_question", "May {name} look at the screen together with you?" },
    { "consent_yes", "Yes \u2014 start" },
    { "consent_no", "No \u2014 go back" },
    { "strip_time", "Time left: {time}" },
    { "strip_no_limit", "Your session is running" },
    { "end", "End session and erase my data" },
    { "confirm_title", "End the session and erase everything?" },
    { "confirm_body", "Everything you did on this PC is erased now: documents, downloads, history and logins. This cannot be undone." },
    { "confirm_yes", "Yes, end and erase" },
    { "confirm_no", "No, continue" },
    { "idle_title", "Are you still there?" },
    { "still_here", "I am still here" },
    { "idle_body", "The session ends and everything is erased in {n} seconds. Move the mouse or press a key to continue." },
    { "warn", "{time} left. Save what you want to keep now, for example on your own USB stick or by email." },
    { "ending_title", "Ending your session and erasing your data\u2026" },
    { "ending_body", "Please wait. The PC will be ready for the next person in a moment." },
    { "ooo_title", "Out of order \u2014 please ask the staff" },
    { "ooo_body", "This PC cannot be used right now. Nothing you type here is kept." },
    { "other_monitor", "Please use the main screen." },
    { "time_hm", "{h} h {m} min" },
    { "time_h", "{h} h" },
    { "time_m", "{m} min" },
    { "time_s", "{s} seconds" },
};

typedef struct {
    char *code;
    char *notice;
    char *guided;
    GHashTable *ui; /* key -> value, both owned */
} Lang;

struct NoticeTexts {
    GPtrArray *langs;   /* Lang* */
    GPtrArray *codes;   /* char* (borrowed from Lang), NULL-terminated */
};

static void lang_free(gpointer p)
{
    Lang *l = p;
    if (!l)
        return;
    g_free(l->code);
    g_free(l->notice);
    g_free(l->guided);
    if (l->ui)
        g_hash_table_unref(l->ui);
    g_free(l);
}

/* Read a text file with the size bound, repair its UTF-8 and strip a byte-order mark and
 * trailing white space. Returns NULL when it cannot be read. */
static char *read_text(const char *path)
{
    g_autoptr(GMappedFile) mf = g_mapped_file_new(path, FALSE, NULL);
    if (!mf)
        return NULL;
    gsize len = MIN(g_mapped_file_get_length(mf), (gsize)NOTICE_MAX_FILE);
    const char *data = g_mapped_file_get_contents(mf);
    if (!data)
        return g_strdup("");
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    char *s = g_utf8_make_valid(data, (gssize)len);
    /* Windows line ends from a municipality's editor would show as boxes. */
    char *w = s;
    for (const char *r = s; *r; r++)
        if (*r != '\r')
            *w++ = *r;
    *w = '\0';
    return g_strchomp(s);
}

/* ui.txt: `key = value` lines; '#' starts a comment line; blank lines are ignored. A value
 * is taken as written (it may hold '=' and '#'). */
static GHashTable *parse_ui(const char *text)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (!text)
        return h;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *line = g_strstrip(*l);
        if (*line == '\0' || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *key = g_strstrip(line), *value = g_strstrip(eq + 1);
        if (*key)
            g_hash_table_replace(h, g_strdup(key), g_strdup(value));
    }
    return h;
}

NoticeTexts *notice_texts_load(const char *dir, const char *const *languages, GError **error)
{
    NoticeTexts *t = g_new0(NoticeTexts, 1);
    t->langs = g_ptr_array_new_with_free_func(lang_free);
    t->codes = g_ptr_array_new();
    for (const char *const *code = languages; code && *code; code++) {
        g_autofree char *np = g_build_filename(dir, *code, "notice.txt", NULL);
        g_autofree char *gp = g_build_filename(dir, *code, "guided.txt", NULL);
        g_autofree char *up = g_build_filename(dir, *code, "ui.txt", NULL);
        char *notice = read_text(np);
        if (!notice || !*notice) {
            g_free(notice);
            continue;
        }
        Lang *l = g_new0(Lang, 1);
        l->code = g_strdup(*code);
        l->notice = notice;
        l->guided = read_text(gp);
        if (!l->guided)
            l->guided = g_strdup("");
        g_autofree char *ui = read_text(up);
        l->ui = parse_ui(ui);
        g_ptr_array_add(t->langs, l);
        g_ptr_array_add(t->codes, l->code);
    }
    g_ptr_array_add(t->codes, NULL);
    if (t->langs->len == 0)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no notice.txt for any language in \"%s\"", dir);
    return t;
}

void notice_texts_free(NoticeTexts *t)
{
    if (!t)
        return;
    g_ptr_array_unref(t->codes);
    g_ptr_array_unref(t->langs);
    g_free(t);
}

const char *const *notice_languages(const NoticeTexts *t)
{
    return (const char *const *)t->codes->pdata;
}

static const Lang *find_lang(const NoticeTexts *t, const char *code)
{
    for (guint i = 0; code && i < t->langs->len; i++) {
        const Lang *l = g_ptr_array_index(t->langs, i);
        if (strcmp(l->code, code) == 0)
            return l;
    }
    return t->langs->len ? g_ptr_array_index(t->langs, 0) : NULL;
}

const char *notice_pick_language(const NoticeTexts *t, const char *lang)
{
    const Lang *l = find_lang(t, lang);
    return l ? l->code : "en";
}

const char *notice_text(const NoticeTexts *t, const char *lang)
{
    const Lang *l = find_lang(t, lang);
    return l ? l->notice : NULL;
}

const char *notice_guided_text(const NoticeTexts *t, const char *lang)
{
    const Lang *l = find_lang(t, lang);
    return l ? l->guided : "";
}

const char *notice_ui(const NoticeTexts *t, const char *lang, const char *key)
{
    const Lang *l = find_lang(t, lang);
    const char *v = l ? g_hash_table_lookup(l->ui, key) : NULL;
    if (v)
        return v;
    for (gsize i = 0; i < G_N_ELEMENTS(builtin_ui); i++)
        if (strcmp(builtin_ui[i][0], key) == 0)
            return builtin_ui[i][1];
    return key;
}

/* Replace {name} placeholders; an unknown placeholder stays as written. */
static char *format_va(const char *tmpl, va_list ap)
{
    g_autoptr(GPtrArray) pairs = g_ptr_array_new();
    for (const char *k; (k = va_arg(ap, const char *));) {
        g_ptr_array_add(pairs, (gpointer)k);
        g_ptr_array_add(pairs, (gpointer)va_arg(ap, const char *));
    }
    GString *out = g_string_new(NULL);
    for (const char *p = tmpl; *p;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        gboolean done = FALSE;
        for (guint i = 0; close && i + 1 < pairs->len; i += 2) {
            const char *name = pairs->pdata[i];
            if (strlen(name) == (size_t)(close - p - 1) && strncmp(p + 1, name, strlen(name)) == 0) {
                g_string_append(out, pairs->pdata[i + 1] ? (const char *)pairs->pdata[i + 1] : "");
                p = close + 1;
                done = TRUE;
                break;
            }
        }
        if (!done)
            g_string_append_c(out, *p++);
    }
    return g_string_free(out, FALSE);
}

char *notice_ui_format(const NoticeTexts *t, const char *lang, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    char *s = format_va(notice_ui(t, lang, key), ap);
    va_end(ap);
    return s;
}

char *notice_format_duration(const NoticeTexts *t, const char *lang, long seconds)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60) {
        g_autofree char *s = g_strdup_printf("%ld", seconds);
        return notice_ui_format(t, lang, "time_s", "s", s, NULL);
    }
    /* Whole minutes, rounded up: "1 min" is shown until the last minute is really over.
     * Not (seconds + 59) / 60, which overflows for a duration near LONG_MAX. */
    long minutes = seconds / 60 + (seconds % 60 != 0);
    g_autofree char *h = g_strdup_printf("%ld", minutes / 60);
    g_autofree char *m = g_strdup_printf("%ld", minutes % 60);
    if (minutes >= 60)
        return notice_ui_format(t, lang, minutes % 60 ? "time_hm" : "time_h", "h", h, "m", m, NULL);
    return notice_ui_format(t, lang, "time_m", "m", m, NULL);
}

const char *const *notice_ui_keys(void)
{
    static const char *keys[G_N_ELEMENTS(builtin_ui) + 1];
    if (!keys[0])
        for (gsize i = 0; i < G_N_ELEMENTS(builtin_ui); i++)
            keys[i] = builtin_ui[i][0];
    return keys;
}
