/* The texts the patron reads: notice.txt, guided.txt and ui.txt of each language, from the
 * folder notice.text_dir that the municipality edits.
 *
 * notice_texts_load() reads every configured language once at start (bounded sizes, invalid
 * UTF-8 repaired); a language without a readable notice.txt is left out. ui.txt holds the
 * button labels and messages as `key = value` lines; a key missing there falls back to the
 * built-in English text, so a half-translated file still gives a usable screen. Strings
 * returned are owned by the NoticeTexts and live as long as it does. No logging here. */
#pragma once

#include <glib.h>

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

/* The UI string `key` of lang, the built-in English one when the file lacks it, or the key
 * itself for an unknown key (so that a typo shows up on screen instead of crashing). */
const char *notice_ui(const NoticeTexts *t, const char *lang, const char *key);

/* notice_ui() with "{name}" placeholders replaced: pairs of (name, value), NULL-terminated.
 * Returns a new string. */
char *notice_ui_format(const NoticeTexts *t, const char *lang, const char *key, ...) G_GNUC_NULL_TERMINATED;

/* "1 h 5 min", "12 min", "45 s" in lang's words (keys time_hm, time_m, time_s). New string. */
char *notice_format_duration(const NoticeTexts *t, const char *lang, long seconds);

/* Every built-in key (NULL-terminated): the test that checks every ui.txt is complete uses
 * it through --list-ui-keys. */
const char *const *notice_ui_keys(void);
