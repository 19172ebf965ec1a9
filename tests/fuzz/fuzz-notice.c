/* libFuzzer target: the notice text loader and the text helpers of the session client
 * (session/notice.c), from the bytes of the files a municipality edits to the strings the
 * screens show.
 *
 * The input becomes real files, read the way rentark-session reads them: the loader is
 * called with a folder, as the client calls it, and no X connection is involved. A folder
 * with nb/, nn/ and en/ is made once per process (in /dev/shm when there is one); every input
 * rewrites the files in it. The UI strings are gettext's now and no catalogue is bound here:
 * the process runs in English (notice_use_language("en")), where a string is its own key.
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
 *   the rest    up to 6 segments separated by "\n%%\n": nb/notice.txt, nb/guided.txt, then
 *               nn/..., then en/...; a missing segment or one that is the single byte 0xFF
 *               means "no such file"; an empty segment is an empty file; anything after the
 *               sixth segment is ignored.
 *               Each segment that exists is also a notice_format() case: its first 4 KiB,
 *               up to the first NUL byte, is the template; after that NUL come up to 3 names
 *               and values, each ended by a NUL byte or the end of those 4 KiB, in the order
 *               name, value, name, value...; a name whose value is missing gets NULL.
 *               (The file written is the whole segment, NUL bytes and all.)
 * Inputs of the old 9-segment layout (with ui.txt) still run; they just split differently.
 *
 * Invariants checked (abort on violation):
 *   - notice_texts_load() always returns texts; it sets an error (with a message) exactly when
 *     no language loaded, and a language loads exactly when its notice.txt exists and holds a
 *     byte other than ASCII white space within the first 64 KiB (after a UTF-8 byte-order
 *     mark); loaded languages keep the configured order;
 *   - every text is valid UTF-8 without '\r', a loaded notice is not empty and ends in no
 *     white space; notice_guided_text() is "" when nothing loaded;
 *   - notice_pick_language() returns a loaded language (or "en" when none is), notice_text()
 *     is NULL exactly when nothing loaded; notice_autonym() of a loaded language is valid,
 *     non-empty UTF-8 and none of nb, nn, en is right to left;
 *   - notice_format() replaces exactly the "{name}" placeholders it was given (the first
 *     matching pair wins; a name holding '}' never matches, as a placeholder ends at the first
 *     '}'), never inside a substituted value, and matches a reference implementation written
 *     here, with the input's values and again with values that are themselves the given
 *     placeholders; without pairs it returns the template; from a valid UTF-8 template and
 *     values it returns valid UTF-8;
 *   - notice_format_duration() returns valid, non-empty UTF-8 for any duration, and in English
 *     exactly "N second(s)", "N minute(s)", "N hour(s)" or "N hour(s) M minute(s)" with the
 *     minutes rounded up. */
#include "notice.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
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
#define N_FILE 2
#define N_SEG (N_LANG * N_FILE)
/* A template is cut to this: the implementation looks for the closing '}' from every '{'
 * (quadratic in the template's length), which is harmless for the short translated strings
 * the client formats but would make a 256 KiB input a timeout rather than a finding. */
#define MAX_TEMPLATE 4096
#define MAX_PAIRS 3

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz-notice: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

static const char *const lang_dirs[N_LANG] = { "nb", "nn", "en" };
static const char *const file_names[N_FILE] = { "notice.txt", "guided.txt" };
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
    /* No catalogue is bound: every _() and ngettext() returns its English key. */
    notice_use_language("en");
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

/* The placeholder rule written another way: at a '{', the first given name that holds no
 * '}' and is followed by '}' in the template wins; anything else is copied. The
 * implementation looks for the first '}' and compares what lies between; for a name
 * without '}' the two agree, and a name with '}' can never be what lies between. */
static char *reference_format(const char *tmpl, int n, const char *const *names, const char *const *values)
{
    bool usable[MAX_PAIRS];
    for (int i = 0; i < n; i++)
        usable[i] = !strchr(names[i], '}');
    GString *out = g_string_new(NULL);
    while (*tmpl) {
        int hit = -1;
        for (int i = 0; *tmpl == '{' && i < n && hit < 0; i++) {
            size_t len = strlen(names[i]);
            if (usable[i] && strncmp(tmpl + 1, names[i], len) == 0 && tmpl[1 + len] == '}')
                hit = i;
        }
        if (hit < 0) {
            g_string_append_c(out, *tmpl++);
            continue;
        }
        g_string_append(out, values[hit] ? values[hit] : "");
        tmpl += strlen(names[hit]) + 2;
    }
    return g_string_free(out, FALSE);
}

/* notice_format() with the first n pairs: a NULL name ends the list early, as the client's
 * calls end with one. */
static char *call_format(const char *tmpl, int n, const char *const *names, const char *const *values)
{
    const char *nm[MAX_PAIRS] = { 0 }, *vl[MAX_PAIRS] = { 0 };
    for (int i = 0; i < n; i++) {
        nm[i] = names[i];
        vl[i] = values[i];
    }
    return notice_format(tmpl, nm[0], vl[0], nm[1], vl[1], nm[2], vl[2], NULL);
}

static void check_format_case(const char *tmpl, int n, const char *const *names, const char *const *values)
{
    char *got = call_format(tmpl, n, names, values);
    char *want = reference_format(tmpl, n, names, values);
    CHECK(got);
    CHECK(strcmp(got, want) == 0);
    bool valid = g_utf8_validate(tmpl, -1, NULL);
    for (int i = 0; i < n && valid; i++)
        valid = !values[i] || g_utf8_validate(values[i], -1, NULL);
    /* '{' and '}' are ASCII: cutting "{name}" out of valid UTF-8 leaves whole characters. */
    if (valid)
        CHECK(g_utf8_validate(got, -1, NULL));
    g_free(want);
    g_free(got);
}

/* One segment as a notice_format() case (see the input layout above). */
static void check_format(const char *seg, size_t seg_len)
{
    size_t len = MIN(seg_len, (size_t)MAX_TEMPLATE);
    char *buf = g_malloc(len + 1);
    memcpy(buf, seg, len);
    buf[len] = '\0';
    const char *tmpl = buf, *end = buf + len;
    /* The fields after the template's NUL; buf[len] ends the last one. */
    const char *fields[2 * MAX_PAIRS];
    int n_fields = 0;
    for (const char *q = buf + strlen(buf) + 1; q < end && n_fields < 2 * MAX_PAIRS; q += strlen(q) + 1)
        fields[n_fields++] = q;
    const char *names[MAX_PAIRS] = { 0 }, *values[MAX_PAIRS] = { 0 };
    int n = (n_fields + 1) / 2;
    for (int i = 0; i < n; i++) {
        names[i] = fields[2 * i];
        values[i] = 2 * i + 1 < n_fields ? fields[2 * i + 1] : NULL;
    }

    /* Without pairs nothing is replaced. */
    char *s = notice_format(tmpl, NULL);
    CHECK(strcmp(s, tmpl) == 0);
    g_free(s);

    for (int k = 1; k <= n; k++)
        check_format_case(tmpl, k, names, values);

    /* Values that are the given placeholders themselves ("{b}" for a, "{a}" for b): what a
     * value brings in is never replaced again. */
    if (n > 0) {
        char *ph[MAX_PAIRS];
        for (int i = 0; i < n; i++)
            ph[i] = g_strdup_printf("{%s}", names[(i + 1) % n]);
        check_format_case(tmpl, n, names, (const char *const *)ph);
        for (int i = 0; i < n; i++)
            g_free(ph[i]);
    }
    g_free(buf);
}

/* The English durations, computed another way: the minutes rounded up in unsigned
 * arithmetic, which cannot overflow for any long. */
static char *reference_duration(long seconds)
{
    unsigned long s = seconds < 0 ? 0 : (unsigned long)seconds;
    if (s < 60)
        return g_strdup_printf("%lu second%s", s, s == 1 ? "" : "s");
    unsigned long minutes = (s + 59) / 60;
    if (minutes < 60)
        return g_strdup_printf("%lu minute%s", minutes, minutes == 1 ? "" : "s");
    unsigned long h = minutes / 60, m = minutes % 60;
    if (m == 0)
        return g_strdup_printf("%lu hour%s", h, h == 1 ? "" : "s");
    return g_strdup_printf("%lu hour%s %lu minute%s", h, h == 1 ? "" : "s", m, m == 1 ? "" : "s");
}

static void check_duration(long seconds)
{
    char *d = notice_format_duration(seconds);
    check_text(d);
    CHECK(*d);
    char *r = reference_duration(seconds);
    CHECK(strcmp(d, r) == 0);
    g_free(r);
    g_free(d);
}

static void check_durations(long seconds)
{
    static const long durations[] = { LONG_MIN, -1, 0, 1, 59, 60, 61, 119, 3599, 3600, 3601, 7199, 86400,
                                      G_MAXINT32, LONG_MAX - 59, LONG_MAX };
    static bool done;
    if (!done) {
        for (gsize i = 0; i < G_N_ELEMENTS(durations); i++)
            check_duration(durations[i]);
        done = true;
    }
    check_duration(seconds);
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
    const char *seg[N_SEG] = { 0 };
    size_t seg_len[N_SEG] = { 0 };
    for (int i = 0; i < N_SEG && p; i++) {
        const char *sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
        size_t len = sep ? (size_t)(sep - p) : (size_t)(end - p);
        if (!(len == 1 && (uint8_t)*p == 0xFF)) {
            seg[i] = p;
            seg_len[i] = len;
        }
        p = sep ? sep + strlen(SEP) : NULL;
    }

    /* The segments as templates, before one of them may be blown up below. */
    for (int i = 0; i < N_SEG; i++)
        if (seg[i])
            check_format(seg[i], seg_len[i]);
    check_durations(seconds);

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
            /* The language buttons name each language in its own words. */
            const char *name = notice_autonym(*l);
            CHECK(*name && g_utf8_validate(name, -1, NULL));
            CHECK(!notice_is_rtl(*l));
        }
        check_text(notice_text(t, lang));
        check_text(notice_guided_text(t, lang));
    }

    g_ptr_array_free(expect, TRUE);
    g_clear_error(&error);
    notice_texts_free(t);
    g_free(big);
    return 0;
}
