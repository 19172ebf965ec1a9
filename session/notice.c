/* Notice texts per language, read from files the municipality edits; the UI strings come
 * from gettext catalogues (po/), switched per patron by notice_use_language().
 *
 * The files are trusted configuration (owned by root), but they are still read with a size
 * bound and their UTF-8 is repaired, so a mistake in an editor cannot crash the screen that
 * stands between a patron and the desktop. */
#include "notice.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdarg.h>
#include <string.h>

/* A text file larger than this is cut: no notice needs 64 KiB, and the bound keeps a wrong
 * path (a log file, say) from filling memory. */
#define NOTICE_MAX_FILE (64 * 1024)

typedef struct {
    char *code;
    char *notice;
    char *guided;
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

NoticeTexts *notice_texts_load(const char *dir, const char *const *languages, GError **error)
{
    NoticeTexts *t = g_new0(NoticeTexts, 1);
    t->langs = g_ptr_array_new_with_free_func(lang_free);
    t->codes = g_ptr_array_new();
    for (const char *const *code = languages; code && *code; code++) {
        g_autofree char *np = g_build_filename(dir, *code, "notice.txt", NULL);
        g_autofree char *gp = g_build_filename(dir, *code, "guided.txt", NULL);
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

char *notice_format(const char *tmpl, ...)
{
    va_list ap;
    va_start(ap, tmpl);
    char *s = format_va(tmpl, ap);
    va_end(ap);
    return s;
}

static char *count_in_words(const char *singular, const char *plural, long n)
{
    g_autofree char *num = g_strdup_printf("%ld", n);
    return notice_format(ngettext(singular, plural, (unsigned long)n), "n", num, NULL);
}

char *notice_format_duration(long seconds)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60)
        return count_in_words("{n} second", "{n} seconds", seconds);
    /* Whole minutes, rounded up: "1 minute" is shown until the last minute is really over.
     * Not (seconds + 59) / 60, which overflows for a duration near LONG_MAX. */
    long minutes = seconds / 60 + (seconds % 60 != 0);
    if (minutes < 60)
        return count_in_words("{n} minute", "{n} minutes", minutes);
    g_autofree char *h = count_in_words("{n} hour", "{n} hours", minutes / 60);
    if (minutes % 60 == 0)
        return g_steal_pointer(&h);
    g_autofree char *m = count_in_words("{n} minute", "{n} minutes", minutes % 60);
    /* TRANSLATORS: a duration of whole hours and minutes, e.g. "1 hour 5 minutes". */
    return notice_format(_("{hours} {minutes}"), "hours", h, "minutes", m, NULL);
}

/* Each language named in its own words, so that a patron finds theirs, and the locale a
 * screen reader is started with so that it speaks with that language's voice. */
static const char *const languages[][3] = {
    { "nb", "Norsk bokm\u00e5l", "nb_NO" }, { "nn", "Norsk nynorsk", "nn_NO" }, { "en", "English", "en_GB" },
    { "se", "Davvis\u00e1megiella", "se_NO" },
    { "uk", "\u0423\u043a\u0440\u0430\u0457\u043d\u0441\u044c\u043a\u0430", "uk_UA" },
    { "ar", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "ar_EG" }, { "pl", "Polski", "pl_PL" },
    { "so", "Soomaali", "so_SO" }, { "sv", "Svenska", "sv_SE" }, { "da", "Dansk", "da_DK" },
    { "fi", "Suomi", "fi_FI" }, { "de", "Deutsch", "de_DE" }, { "fr", "Fran\u00e7ais", "fr_FR" },
    { "es", "Espa\u00f1ol", "es_ES" }, { "ru", "\u0420\u0443\u0441\u0441\u043a\u0438\u0439", "ru_RU" },
    { "fa", "\u0641\u0627\u0631\u0633\u06cc", "fa_IR" }, { "ti", "\u1275\u130d\u122d\u129b", "ti_ER" },
    { "tr", "T\u00fcrk\u00e7e", "tr_TR" }, { "lt", "Lietuvi\u0173", "lt_LT" }, { "ro", "Rom\u00e2n\u0103", "ro_RO" },
};

static const char *const *find_language(const char *code)
{
    for (gsize i = 0; code && i < G_N_ELEMENTS(languages); i++)
        if (strcmp(languages[i][0], code) == 0)
            return languages[i];
    return NULL;
}

const char *notice_autonym(const char *code)
{
    const char *const *l = find_language(code);
    return l ? l[1] : code;
}

char *notice_posix_locale(const char *code)
{
    const char *const *l = find_language(code);
    return l ? g_strconcat(l[2], ".UTF-8", NULL) : g_strdup("C.UTF-8");
}

void notice_reader_locale(const char *code, char **voice_locale, char **language_list)
{
    /* espeak-ng 1.51 (Debian 12) speaks nb (also for "no"), en, uk, ar, pl, but not se, nn or so. */
    static const char *const via_bokmal[] = { "se", "nn" };
    for (gsize i = 0; i < G_N_ELEMENTS(via_bokmal); i++)
        if (strcmp(code, via_bokmal[i]) == 0) {
            *voice_locale = notice_posix_locale("nb");
            *language_list = g_strconcat(code, ":nb", NULL);
            return;
        }
    *voice_locale = notice_posix_locale(code);
    *language_list = g_strdup(code);
}

gboolean notice_is_rtl(const char *code)
{
    static const char *const rtl[] = { "ar", "fa", "he", "ur", "ps", "ckb", "yi", "dv", "ug" };
    for (gsize i = 0; i < G_N_ELEMENTS(rtl); i++)
        if (strcmp(rtl[i], code) == 0)
            return TRUE;
    return FALSE;
}

void notice_i18n_init(const char *localedir)
{
    /* LANGUAGE, which picks the catalogue, is ignored in the "C" locale: a guest session
     * without a locale gets C.UTF-8, which glibc has built in. */
    const char *m = setlocale(LC_MESSAGES, NULL);
    if (!m || strcmp(m, "C") == 0 || strcmp(m, "POSIX") == 0)
        setlocale(LC_MESSAGES, "C.UTF-8");
    bindtextdomain(GETTEXT_PACKAGE, localedir);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);
}

void notice_use_language(const char *lang)
{
    g_setenv("LANGUAGE", lang, TRUE);
    /* The documented way to make GNU gettext look the catalogues up again after a change of
     * LANGUAGE (its manual, "Being a gettext grok"): glibc exports the counter for this. */
    extern int _nl_msg_cat_cntr;
    ++_nl_msg_cat_cntr;
}
