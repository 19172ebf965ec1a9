/* The texts the patron reads. The long ones, notice.txt and guided.txt of each language, are
 * files in the folder notice.text_dir that the municipality edits; the button labels and
 * messages are gettext catalogues (po/, installed as LOCALEDIR/LANG/LC_MESSAGES/rentark.mo),
 * with the English text as the key, so that a missing translation still shows a usable
 * screen.
 *
 * notice_texts_load() reads every configured language once at start (bounded sizes, invalid
 * UTF-8 repaired); a language without a readable notice.txt is left out. Strings returned
 * are owned by the NoticeTexts and live as long as it does. No logging here. */
#pragma once

#include <glib.h>
#include <glib/gi18n.h>

#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "rentark"
#endif

typedef struct NoticeTexts NoticeTexts;

/* Load the languages (NULL-terminated codes) from dir. Always returns texts (the built-in UI
 * strings at least); sets error when not one language has a notice.txt, and the client must
 * then fail closed (notice_text() returns NULL). */
NoticeTexts *notice_texts_load(const char *dir, const char *const *languages, GError **error);
void notice_texts_free(NoticeTexts *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NoticeTexts, notice_texts_free)

/* The languages that loaded, in configured order (NULL-terminated, owned by t). */
const char *const *notice_languages(const NoticeTexts *t);
/* lang if it loaded, else the first loaded language ("en" when none did). */
const char *notice_pick_language(const NoticeTexts *t, const char *lang);

/* notice.txt / guided.txt of lang (notice NULL when no language loaded; guided "" when
 * the file is missing). */
const char *notice_text(const NoticeTexts *t, const char *lang);
const char *notice_guided_text(const NoticeTexts *t, const char *lang);

/* Bind the catalogues in localedir and make LANGUAGE count (a "C" locale becomes C.UTF-8). */
void notice_i18n_init(const char *localedir);
/* The language of every _() from now on (the patron's choice; for this session only). */
void notice_use_language(const char *lang);

/* tmpl with "{name}" placeholders replaced: pairs of (name, value), NULL-terminated; an
 * unknown placeholder stays as written. Returns a new string. */
char *notice_format(const char *tmpl, ...) G_GNUC_NULL_TERMINATED;

/* "1 hour 5 minutes", "12 minutes", "45 seconds" in the current language. New string. */
char *notice_format_duration(long seconds);

/* The language's name in itself ("Norsk bokmål", "العربية"), or the code when unknown. */
const char *notice_autonym(const char *code);
/* "nb_NO.UTF-8": the locale a screen reader speaking lang is started with ("C.UTF-8" for
 * a language not in the table). New string. */
char *notice_posix_locale(const char *code);
/* The screen reader's voice and messages for lang: *voice_locale the LANG its voice is chosen
 * by ("nb_NO.UTF-8"), *language_list its LANGUAGE ("se:nb"). A language that espeak-ng has no
 * voice for but whose readers read Norwegian (Northern Sámi, nynorsk) gets the bokmål voice
 * and bokmål messages after its own, rather than speech-dispatcher's default (English).
 * New strings. */
void notice_reader_locale(const char *code, char **voice_locale, char **language_list);
/* TRUE for a language written right to left. */
gboolean notice_is_rtl(const char *code);
