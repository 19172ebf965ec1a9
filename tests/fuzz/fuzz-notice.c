/* libFuzzer target: the notice text loader (session/notice.c), from the bytes of the files a
 * municipality edits to the strings the screens show.
 *
 * The input becomes real files, read the way rentark-session reads them: the loader is
 * called with a folder, as the client calls it, and no X connection is involved. A folder
 * with nb/, nn/ and en/ is made once per process (in /dev/shm when there is one); every input
 * rewrites the files in it.
 *
 * Input layout:
 *   byte 0      flags
 *                 bits 0-1  the language the lookups ask for: nb, nn, en, or "xx" (not loaded)
 *                 bits 2, 5 and 6 all set: the first notice.txt is repeated past the
 *                           loader's 64 KiB bound, so the cut falls where the segment's
 *                           length puts it (three bits: such inputs cost ten times more, and
 *                           one in eight is enough)
 *                 bit 3     configured languages "en nb en xx" (a duplicate, a missing folder)
 *                           instead of "nb nn en"
 *                 bit 4     the lookups pass a NULL language
 *   bytes 1-8   a duration in seconds (signed, little-endian) for notice_format_duration()
 *   the rest    up to 9 segments separated by "\n%%\n": nb/notice.txt, nb/guided.txt,
 *               nb/ui.txt, then nn/..., then en/...; a missing segment or one that is the
 *               single byte 0xFF means "no such file"; an empty segment is an empty file.
 *
 * Invariants checked (abort on violation):
 *   - notice_texts_load() always returns texts; it sets an error (with a message) exactly when
 *     no language loaded, and a language loads exactly when its notice.txt exists and holds a
 *     byte other than ASCII white space within the first 64 KiB (after a UTF-8 byte-order
 *     mark); loaded languages keep the configured order;
 *   - every text and UI string is valid UTF-8 without '\r', a loaded notice is not empty and
 *     ends in no white space, a UI value holds no line break;
 *   - notice_pick_language() returns a loaded language (or "en" when none is), notice_text()
 *     is NULL exactly when nothing loaded, notice_ui() of a key that no file can hold returns
 *     the key itself;
 *   - notice_ui_format() replaces exactly the "{name}" placeholders it was given, never inside
 *     a substituted value, and matches a reference implementation written here;
 *   - notice_format_duration() returns valid UTF-8 for any duration. */
#include "notice.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOTICE_MAX_FILE (64 * 1024) /* the bound in session/notice.c */
#define HEADER 9
#define SEP "\n%%\n"
#define N_LANG 3
#define N_FILE 3

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz-notice: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

static const char *const lang_dirs[N_LANG] = { "nb", "nn", "en" };
static const char *const file_names[N_FILE] = { "notice.txt", "guided.txt", "ui.txt" };
static char *fuzz_dir;
static char *paths[N_LANG][N_FILE];

static void remove_fuzz_dir(void)
{
    for (int l = 0; l < N_LANG; l++) {
        for (int f = 0; f < N_FILE; f++)
            (void)unlink(paths[l][f]);
        g_autofree char *d = g_build_filename(fuzz_dir, lang_dirs[l], NULL);
        (void)rmdir(d);
    }
    (void)rmdir(fuzz_dir);
}

static void fuzz_init(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir();
    fuzz_dir = g_build_filename(base, "rk-fuzz-notice.XXXXXX", NULL);
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz-notice: mkdtemp");
        abort();
    }
    atexit(remove_fuzz_dir);
    for (int l = 0; l < N_LANG; l++) {
        g_autofree char *d = g_build_filename(fuzz_dir, lang_dirs[l], NULL);
        CHECK(mkdir(d, 0700) == 0);
        for (int f = 0; f < N_FILE; f++)
            paths[l][f] = g_build_filename(d, file_names[f], NULL);
    }
    CHECK(g_strv_length((char **)notice_ui_keys()) > 30);
}

static void write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        CHECK(n > 0);
        data += n;
        len -= (size_t)n;
    }
    CHECK(close(fd) == 0);
}

/* What the loader sees of a file: the first 64 KiB, without a leading byte-order mark. Does
 * it hold anything but white space? Then the language must load. */
static bool has_text(const char *data, size_t len)
{
    len = MIN(len, (size_t)NOTICE_MAX_FILE);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isspace(data[i]))
            return true;
    return false;
}

static void check_text(const char *s)
{
    CHECK(s);
    CHECK(g_utf8_validate(s, -1, NULL));
    CHECK(!strchr(s, '\r'));
    /* make_valid may turn each invalid byte of the 64 KiB into a 3-byte U+FFFD. */
    CHECK(strlen(s) <= 3 * (size_t)NOTICE_MAX_FILE);
}

/* The placeholder rule written another way: at a '{', the first name whose "{name}" starts
 * there wins; anything else is copied. (The names below hold no '}', so this matches the
 * loader's "up to the first '}'" rule.) */
static const char *const names[] = { "name", "time", "n", "date", "h", "m", "s", NULL };
static const char *const values[] = { "{time}", "12:34", NULL, "{{n}}", "\xC3\xA6\xC3\xB8\xC3\xA5", "", "%s%n", NULL };

static char *reference_format(const char *tmpl)
{
    GString *out = g_string_new(NULL);
    while (*tmpl) {
        bool done = false;
        if (*tmpl == '{') {
            for (int i = 0; names[i]; i++) {
                size_t n = strlen(names[i]);
                if (strncmp(tmpl + 1, names[i], n) == 0 && tmpl[1 + n] == '}') {
                    g_string_append(out, values[i] ? values[i] : "");
                    tmpl += n + 2;
                    done = true;
                    break;
                }
            }
        }
        if (!done)
            g_string_append_c(out, *tmpl++);
    }
    return g_string_free(out, FALSE);
}

static void check_lookups(const NoticeTexts *t, const char *lang, long seconds)
{
    for (const char *const *k = notice_ui_keys(); *k; k++) {
        const char *v = notice_ui(t, lang, *k);
        check_text(v);
        CHECK(!strchr(v, '\n'));
        char *s = notice_ui_format(t, lang, *k, names[0], values[0], names[1], values[1], names[2], values[2],
                                   names[3], values[3], names[4], values[4], names[5], values[5], names[6],
                                   values[6], NULL);
        char *r = reference_format(v);
        CHECK(strcmp(s, r) == 0);
        check_text(s);
        g_free(r);
        g_free(s);
        /* Without pairs nothing is replaced. */
        s = notice_ui_format(t, lang, *k, NULL);
        CHECK(strcmp(s, v) == 0);
        g_free(s);
    }
    /* A key no ui.txt can set (a line break splits lines, '=' splits key from value). */
    static const char odd_key[] = "no\nsuch=key";
    CHECK(strcmp(notice_ui(t, lang, odd_key), odd_key) == 0);
    CHECK(strcmp(notice_ui(t, lang, ""), "") == 0);

    static const long durations[] = { -1, 0, 1, 59, 60, 61, 119, 3599, 3600, 3601, 7199, 86400, G_MAXINT32 };
    for (gsize i = 0; i < G_N_ELEMENTS(durations); i++) {
        char *d = notice_format_duration(t, lang, durations[i]);
        check_text(d);
        g_free(d);
    }
    char *d = notice_format_duration(t, lang, seconds);
    check_text(d);
    g_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        fuzz_init();
        ready = true;
    }
    if (size < HEADER || size > 256 * 1024)
        return 0;
    const uint8_t flags = data[0];
    uint64_t u = 0;
    for (int i = 8; i >= 1; i--)
        u = u << 8 | data[i];
    long seconds = (long)u;
    const char *p = (const char *)data + HEADER, *end = (const char *)data + size;

    /* The segments, in file order; NULL: no such file. */
    const char *seg[N_LANG * N_FILE] = { 0 };
    size_t seg_len[N_LANG * N_FILE] = { 0 };
    for (int i = 0; i < N_LANG * N_FILE && p; i++) {
        const char *sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
        size_t len = sep ? (size_t)(sep - p) : (size_t)(end - p);
        if (!(len == 1 && (uint8_t)*p == 0xFF)) {
            seg[i] = p;
            seg_len[i] = len;
        }
        p = sep ? sep + strlen(SEP) : NULL;
    }

    /* Bits 2, 5, 6: the first notice that exists, repeated past the size bound. */
    char *big = NULL;
    size_t big_len = 0;
    if ((flags & 0x64) == 0x64) {
        for (int l = 0; l < N_LANG; l++) {
            int i = l * N_FILE;
            if (seg[i] && seg_len[i] > 0) {
                /* Exact size, no GString: its power-of-two growth would ask for 128 KiB, which
                 * ASan serves with a fresh mmap each time (a third of the run's time). */
                size_t copies = (NOTICE_MAX_FILE + 64) / seg_len[i] + 1;
                big_len = copies * seg_len[i];
                big = g_malloc(big_len);
                for (size_t c = 0; c < copies; c++)
                    memcpy(big + c * seg_len[i], seg[i], seg_len[i]);
                seg[i] = big;
                seg_len[i] = big_len;
                break;
            }
        }
    }

    for (int l = 0; l < N_LANG; l++) {
        for (int f = 0; f < N_FILE; f++) {
            int i = l * N_FILE + f;
            if (seg[i])
                write_file(paths[l][f], seg[i], seg_len[i]);
            else
                CHECK(unlink(paths[l][f]) == 0 || errno == ENOENT);
        }
    }

    static const char *const normal[] = { "nb", "nn", "en", NULL };
    static const char *const odd[] = { "en", "nb", "en", "xx", NULL };
    const char *const *configured = (flags & 0x08) ? odd : normal;
    static const char *const asked[] = { "nb", "nn", "en", "xx" };
    const char *lang = (flags & 0x10) ? NULL : asked[flags & 0x03];

    GError *error = NULL;
    NoticeTexts *t = notice_texts_load(fuzz_dir, configured, &error);
    CHECK(t);

    /* Which languages must have loaded, in order. */
    GPtrArray *expect = g_ptr_array_new();
    for (const char *const *c = configured; *c; c++) {
        for (int l = 0; l < N_LANG; l++) {
            int i = l * N_FILE;
            if (strcmp(*c, lang_dirs[l]) == 0 && seg[i] && has_text(seg[i], seg_len[i]))
                g_ptr_array_add(expect, (gpointer)*c);
        }
    }
    const char *const *loaded = notice_languages(t);
    CHECK(loaded);
    CHECK(g_strv_length((char **)loaded) == expect->len);
    for (guint i = 0; i < expect->len; i++)
        CHECK(strcmp(loaded[i], expect->pdata[i]) == 0);

    if (expect->len == 0) {
        CHECK(error && error->message && *error->message);
        CHECK(notice_text(t, lang) == NULL);
        CHECK(strcmp(notice_guided_text(t, lang), "") == 0);
        CHECK(strcmp(notice_pick_language(t, lang), "en") == 0);
        check_lookups(t, lang, seconds);
    } else {
        CHECK(!error);
        const char *picked = notice_pick_language(t, lang);
        CHECK(g_strv_contains(loaded, picked));
        if (lang && g_strv_contains(loaded, lang))
            CHECK(strcmp(picked, lang) == 0);
        else
            CHECK(strcmp(picked, loaded[0]) == 0);
        for (const char *const *l = loaded; *l; l++) {
            const char *n = notice_text(t, *l);
            check_text(n);
            size_t len = strlen(n);
            CHECK(len > 0 && !g_ascii_isspace(n[len - 1]));
            check_text(notice_guided_text(t, *l));
        }
        check_text(notice_text(t, lang));
        check_text(notice_guided_text(t, lang));
        check_lookups(t, lang, seconds);
        /* The language buttons name each language in its own words. */
        for (const char *const *l = loaded; *l; l++)
            check_text(notice_ui(t, *l, "language_name"));
    }

    g_ptr_array_free(expect, TRUE);
    g_clear_error(&error);
    notice_texts_free(t);
    g_free(big);
    return 0;
}
