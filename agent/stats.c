/* Statistics: counters and histograms, kept in a record file (record.h), shown as JSON, as a
 * table for people and as the Prometheus textfile. See stats.h. */
#define G_LOG_DOMAIN "stats"

#include "stats.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

G_DEFINE_QUARK(stats-error-quark, stats_error)

#define STATS_VERSION 1
#define STATS_FILE "stats.state"
/* The JSON file of versions before the record file: read when there is no record file, and
 * removed by the first save. */
#define STATS_LEGACY_FILE "stats.json"
/* Wiped entries are counted for RK_WIPE_HOME up to RK_WIPE_ENTRIES_LAST. */
#define STATS_N_ENTRIES (RK_WIPE_ENTRIES_LAST + 1)

/* Bucket bounds in ms and their "le" labels (seconds, as Prometheus wants them). */
static const uint64_t session_bounds[STATS_SESSION_BUCKETS] = {
    5 * 60000, 15 * 60000, 30 * 60000, 60 * 60000, 120 * 60000,
};
static const char *const session_les[STATS_SESSION_BUCKETS + 1] = {
    "300", "900", "1800", "3600", "7200", "+Inf",
};
static const uint64_t wipe_bounds[STATS_WIPE_BUCKETS] = { 50, 100, 500, 1000, 2000, 3000, 5000, 30000 };
static const char *const wipe_les[STATS_WIPE_BUCKETS + 1] = {
    "0.05", "0.1", "0.5", "1", "2", "3", "5", "30", "+Inf",
};
/* The wipe buckets added after the first release (2 and 3 s): see field_added. */
#define WIPE_ADDED_FIRST 4
#define WIPE_ADDED_LAST 5

typedef struct {
    guint n;                   /* finite buckets */
    const uint64_t *bounds;    /* ms */
    const char *const *les;    /* n + 1 labels */
    uint64_t cumulative[STATS_WIPE_BUCKETS + 1]; /* count of observations <= bound; [n] is +Inf = count */
    uint64_t sum_ms;
    uint64_t count;            /* = cumulative[n]; a number of its own in the file */
} Histogram;

struct Stats {
    char *state_dir;
    uint64_t version; /* STATS_VERSION */
    uint64_t sessions, guided;
    uint64_t ends[END_N];
    Histogram session_hist, wipe_hist;
    uint64_t wipes, verified, failed;
    uint64_t last_verified_unix; /* 0: never */
    uint64_t incidents_opened, incidents_resolved;
    uint64_t wiped[RK_WIPE_N];
    /* The census of the last wipe (gauges, not persisted: the next wipe sets them again). */
    gboolean census_ran;
    uint64_t census_missed[RK_WIPE_N]; /* found by the first census: what the sweep missed */
    uint64_t census_left[RK_WIPE_N];     /* found by the deciding census (or -1: not checked) */
    uint64_t census_ms;
    uint64_t last_session_end_unix; /* a gauge, not persisted; 0: none since the start */
};

/* Counters saturate: a wrapped counter would read as a reset to Prometheus and as a lie to
 * people. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

Stats *stats_new(const char *state_dir)
{
    Stats *s = g_new0(Stats, 1);
    s->state_dir = g_strdup(state_dir);
    s->version = STATS_VERSION;
    s->session_hist = (Histogram){ .n = STATS_SESSION_BUCKETS, .bounds = session_bounds,
                                   .les = session_les };
    s->wipe_hist = (Histogram){ .n = STATS_WIPE_BUCKETS, .bounds = wipe_bounds, .les = wipe_les };
    return s;
}

void stats_free(Stats *s)
{
    if (!s)
        return;
    g_free(s->state_dir);
    g_free(s);
}

static void hist_observe(Histogram *h, uint64_t ms)
{
    for (guint i = 0; i < h->n; i++)
        if (ms <= h->bounds[i])
            h->cumulative[i] = sat_add(h->cumulative[i], 1);
    h->cumulative[h->n] = sat_add(h->cumulative[h->n], 1);
    h->count = h->cumulative[h->n];
    h->sum_ms = sat_add(h->sum_ms, ms);
}

void stats_record_session(Stats *s, gboolean guided, EndReason reason, uint64_t duration_ms)
{
    g_return_if_fail(s && (unsigned)reason < END_N);
    s->sessions = sat_add(s->sessions, 1);
    if (guided)
        s->guided = sat_add(s->guided, 1);
    s->ends[reason] = sat_add(s->ends[reason], 1);
    hist_observe(&s->session_hist, duration_ms);
    time_t now = time(NULL);
    s->last_session_end_unix = now > 0 ? (uint64_t)now : 0;
}

void stats_record_wipe(Stats *s, uint64_t duration_ms, gboolean verified,
                       const uint64_t entries[RK_WIPE_N], int64_t now_unix)
{
    g_return_if_fail(s);
    s->wipes = sat_add(s->wipes, 1);
    if (verified) {
        s->verified = sat_add(s->verified, 1);
        if (now_unix > 0)
            s->last_verified_unix = (uint64_t)now_unix;
    } else {
        s->failed = sat_add(s->failed, 1);
    }
    hist_observe(&s->wipe_hist, duration_ms);
    for (guint i = 0; entries && i < STATS_N_ENTRIES; i++)
        s->wiped[i] = sat_add(s->wiped[i], entries[i]);
}

void stats_record_census(Stats *s, const uint64_t first[RK_WIPE_N], const uint64_t last[RK_WIPE_N],
                         const int error[RK_WIPE_N], uint64_t duration_ms)
{
    s->census_ran = TRUE;
    for (guint i = RK_WIPE_CENSUS_FIRST; i < RK_WIPE_N; i++) {
        s->census_missed[i] = first[i];
        s->census_left[i] = error[i] ? UINT64_MAX : last[i];
    }
    s->census_ms = duration_ms;
}

void stats_record_incident(Stats *s, StatsIncident what)
{
    g_return_if_fail(s);
    /* An incident resolved that was never counted as opened (say, opened before the statistics
     * were reset) is not counted: resolved never exceeds opened. */
    if (what == STATS_INCIDENT_OPENED)
        s->incidents_opened = sat_add(s->incidents_opened, 1);
    else if (s->incidents_resolved < s->incidents_opened)
        s->incidents_resolved++;
}

uint64_t stats_sessions(const Stats *s, gboolean guided_only)
{
    return guided_only ? s->guided : s->sessions;
}

uint64_t stats_end_reason(const Stats *s, EndReason reason)
{
    return (unsigned)reason < END_N ? s->ends[reason] : 0;
}

uint64_t stats_wiped_entries(const Stats *s, RkWipeCategory cat)
{
    return (unsigned)cat < RK_WIPE_N ? s->wiped[cat] : 0;
}

/* ---- the fields: one list for the file, its reader and the JSON ---------------------------- */

/* Every persisted number, in the order of the JSON output, by its path: an object or a
 * top-level name, a member (NULL for a top-level number) and a member of that (the buckets of
 * a histogram). The record file's keys are the path joined with '.' ("sessions.total",
 * "wipe_duration.buckets.0.05"): the JSON file of earlier versions, flattened the same way,
 * is read by the same code and checked by the same rules. */
typedef struct {
    const char *path[3];
    uint64_t *v;
} StatsField;

/* A field added to the file after its version 1 (the end reason "closing", the wipe buckets
 * of 2 and 3 s): a file of an earlier release lacks it. A reason reads as 0; a bucket as the
 * one below it (stats_from_records), so that an old wipe between 1 and 5 s counts as longer
 * than 3 s: never shorter than it was. The format stays version 1; a downgrade sees a key it
 * does not know and moves the file aside, as for any file that is not its own. */
static bool field_added(const StatsField *f)
{
    if (!f->path[1])
        return false;
    if (strcmp(f->path[0], "end_reasons") == 0)
        return strcmp(f->path[1], rk_end_reason_name(END_CLOSING)) == 0;
    if (strcmp(f->path[0], "wipe_duration") == 0 && f->path[2])
        for (int i = WIPE_ADDED_FIRST; i <= WIPE_ADDED_LAST; i++)
            if (strcmp(f->path[2], wipe_les[i]) == 0)
                return true;
    return false;
}

#define STATS_MAX_FIELDS 64

static guint stats_hist_fields(StatsField *f, guint n, const char *name, Histogram *h)
{
    for (guint i = 0; i <= h->n; i++)
        f[n++] = (StatsField){ { name, "buckets", h->les[i] }, &h->cumulative[i] };
    f[n++] = (StatsField){ { name, "sum_ms", NULL }, &h->sum_ms };
    f[n++] = (StatsField){ { name, "count", NULL }, &h->count };
    return n;
}

/* The fields of s (pointers into it, written only by the reader); returns how many. */
static guint stats_fields(Stats *s, StatsField f[STATS_MAX_FIELDS])
{
    guint n = 0;
    f[n++] = (StatsField){ { "version", NULL, NULL }, &s->version };
    f[n++] = (StatsField){ { "sessions", "total", NULL }, &s->sessions };
    f[n++] = (StatsField){ { "sessions", "guided", NULL }, &s->guided };
    for (guint i = 0; i < END_N; i++)
        f[n++] = (StatsField){ { "end_reasons", rk_end_reason_name(i), NULL }, &s->ends[i] };
    n = stats_hist_fields(f, n, "session_duration", &s->session_hist);
    n = stats_hist_fields(f, n, "wipe_duration", &s->wipe_hist);
    f[n++] = (StatsField){ { "wipes", "total", NULL }, &s->wipes };
    f[n++] = (StatsField){ { "wipes", "verified", NULL }, &s->verified };
    f[n++] = (StatsField){ { "wipes", "failed", NULL }, &s->failed };
    f[n++] = (StatsField){ { "wipes", "last_verified_unix", NULL }, &s->last_verified_unix };
    f[n++] = (StatsField){ { "incidents", "opened", NULL }, &s->incidents_opened };
    f[n++] = (StatsField){ { "incidents", "resolved", NULL }, &s->incidents_resolved };
    for (guint i = 0; i < STATS_N_ENTRIES; i++)
        f[n++] = (StatsField){ { "wiped_entries", rk_wipe_category_name(i), NULL }, &s->wiped[i] };
    g_assert(n <= STATS_MAX_FIELDS);
    return n;
}

static guint field_depth(const StatsField *f)
{
    return f->path[1] ? (f->path[2] ? 3 : 2) : 1;
}

/* ---- JSON out ----------------------------------------------------------------------------- */

static void json_separate(GString *out, gboolean *has_member)
{
    g_string_append(out, *has_member ? ",\n" : "\n");
    *has_member = TRUE;
}

char *stats_to_json(const Stats *s)
{
    StatsField f[STATS_MAX_FIELDS];
    guint n = stats_fields((Stats *)s, f), open = 0;
    gboolean has_member[3] = { FALSE };
    GString *out = g_string_new("{");

    for (guint i = 0; i < n; i++) {
        guint d = field_depth(&f[i]), same = 0;
        /* Close the objects this field is not in, then open the ones it is. */
        while (same < open && same + 1 < d && strcmp(f[i].path[same], f[i - 1].path[same]) == 0)
            same++;
        for (; open > same; open--)
            g_string_append_printf(out, "\n%*s}", (int)(2 * open), "");
        for (; open + 1 < d; open++) {
            json_separate(out, &has_member[open]);
            g_string_append_printf(out, "%*s\"%s\": {", (int)(2 * (open + 1)), "", f[i].path[open]);
            has_member[open + 1] = FALSE;
        }
        json_separate(out, &has_member[open]);
        g_string_append_printf(out, "%*s\"%s\": %" PRIu64, (int)(2 * (open + 1)), "", f[i].path[d - 1], *f[i].v);
    }
    for (; open > 0; open--)
        g_string_append_printf(out, "\n%*s}", (int)(2 * open), "");
    g_string_append(out, "\n}\n");
    return g_string_free(out, FALSE);
}

/* ---- the record file ---------------------------------------------------------------------- */

static char *field_key(const StatsField *f)
{
    return g_strjoinv(".", (char **)(const char *const[]){ f->path[0], f->path[1], f->path[2], NULL });
}

static GString *stats_to_record(const Stats *s)
{
    StatsField f[STATS_MAX_FIELDS];
    guint n = stats_fields((Stats *)s, f);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < n; i++) {
        g_autofree char *key = field_key(&f[i]);
        record_add_u64(out, key, *f[i].v);
    }
    return out;
}

static gboolean stats_corrupt(GError **error, const char *what)
{
    g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "inconsistent totals: %s", what);
    return FALSE;
}

static gboolean hist_check(const Histogram *h, uint64_t expect_count, GError **error)
{
    for (guint i = 0; i < h->n; i++)
        if (h->cumulative[i] > h->cumulative[i + 1])
            return stats_corrupt(error, "histogram buckets decrease");
    if (h->cumulative[h->n] != h->count || h->count != expect_count)
        return stats_corrupt(error, "histogram count");
    return TRUE;
}

/* The numbers must agree with each other as stats_record_* keeps them. */
static gboolean stats_check(const Stats *s, GError **error)
{
    uint64_t sum = 0;
    if (s->version != STATS_VERSION) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "unknown version %" PRIu64, s->version);
        return FALSE;
    }
    if (s->guided > s->sessions)
        return stats_corrupt(error, "more guided sessions than sessions");
    for (guint i = 0; i < END_N; i++) {
        if (s->ends[i] > UINT64_MAX - sum)
            return stats_corrupt(error, "end reasons overflow");
        sum += s->ends[i];
    }
    if (sum != s->sessions)
        return stats_corrupt(error, "end reasons do not add up to the sessions");
    if (s->verified > UINT64_MAX - s->failed || s->verified + s->failed != s->wipes)
        return stats_corrupt(error, "verified and failed wipes do not add up");
    if (s->last_verified_unix > INT64_MAX)
        return stats_corrupt(error, "last verified wipe time");
    if (!hist_check(&s->session_hist, s->sessions, error) || !hist_check(&s->wipe_hist, s->wipes, error))
        return FALSE;
    if (s->incidents_resolved > s->incidents_opened)
        return stats_corrupt(error, "more incidents resolved than opened");
    return TRUE;
}

Stats *stats_from_records(const char *data, size_t len, GError **error)
{
    g_auto(Record) rec = { 0 };
    StatsField f[STATS_MAX_FIELDS];

    if (len > STATS_MAX_FILE) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "larger than %d bytes", STATS_MAX_FILE);
        return NULL;
    }
    if (record_parse(data, len, STATS_MAX_FILE, &rec) < 0) {
        g_set_error_literal(error, STATS_ERROR, STATS_ERROR_CORRUPT, "not a record of KEY=VALUE lines");
        return NULL;
    }
    g_autoptr(Stats) s = stats_new(NULL);
    guint n = stats_fields(s, f);
    bool bucket_missing[STATS_WIPE_BUCKETS + 1] = { false };
    for (guint i = 0; i < n; i++) {
        g_autofree char *key = field_key(&f[i]);
        if (field_added(&f[i]) && !record_has(&rec, key)) {
            if (strcmp(f[i].path[0], "wipe_duration") == 0)
                bucket_missing[f[i].v - s->wipe_hist.cumulative] = true;
            continue; /* stays 0: a reason; a bucket is set below */
        }
        if (!record_take_u64(&rec, key, UINT64_MAX, f[i].v)) {
            g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "“%s” is missing or not a number", key);
            return NULL;
        }
    }
    if (!record_all_taken(&rec)) {
        g_set_error_literal(error, STATS_ERROR, STATS_ERROR_CORRUPT, "a key that is not a statistic");
        return NULL;
    }
    /* A file without the buckets of 2 and 3 s: each holds what the one below it holds. */
    for (int i = WIPE_ADDED_FIRST; i <= WIPE_ADDED_LAST; i++)
        if (bucket_missing[i])
            s->wipe_hist.cumulative[i] = s->wipe_hist.cumulative[i - 1];
    if (!stats_check(s, error))
        return NULL;
    return g_steal_pointer(&s);
}

/* ---- JSON in: the file of earlier versions, flattened into a record ------------------------ */

/* Objects of short plain names and unsigned integers, nothing else (no strings as values, no
 * arrays, floats, signs or escapes), at most the format's depth. {"a": {"b": 1}} becomes the
 * line "a.b=1"; the record reader then refuses duplicate and unknown keys and numbers out of
 * range, as for a record file. */
#define FLAT_MAX_DEPTH 3
#define FLAT_MAX_KEY 32

typedef struct {
    const char *start, *p, *end;
    GString *key; /* the path so far, joined with '.' */
    GString *out; /* record lines */
    GError **error;
} Flat;

static gboolean flat_fail(Flat *f, const char *what)
{
    g_set_error(f->error, STATS_ERROR, STATS_ERROR_CORRUPT, "%s at byte %td", what, f->p - f->start);
    return FALSE;
}

static void flat_skip(Flat *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
        f->p++;
}

/* Skip white space; whether the next character is c. */
static gboolean flat_at(Flat *f, char c)
{
    flat_skip(f);
    return f->p < f->end && *f->p == c;
}

/* A '.' only in the buckets' labels (depth 2): elsewhere it would let two JSON shapes
 * flatten to the same key. */
static gboolean flat_key_char(char c, int depth)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '+' || (c == '.' && depth == 2);
}

/* "name": appended to f->key. */
static gboolean flat_key(Flat *f, int depth)
{
    if (!flat_at(f, '"'))
        return flat_fail(f, "expected a key");
    const char *k = ++f->p;
    while (f->p < f->end && flat_key_char(*f->p, depth))
        f->p++;
    if (f->p >= f->end || *f->p != '"')
        return flat_fail(f, "bad character in a key");
    size_t n = (size_t)(f->p - k);
    if (n == 0 || n > FLAT_MAX_KEY)
        return flat_fail(f, "bad key length");
    f->p++;
    if (f->key->len)
        g_string_append_c(f->key, '.');
    g_string_append_len(f->key, k, (gssize)n);
    if (!flat_at(f, ':'))
        return flat_fail(f, "expected ':'");
    f->p++;
    return TRUE;
}

static gboolean flat_object(Flat *f, int depth)
{
    if (depth >= FLAT_MAX_DEPTH)
        return flat_fail(f, "nesting too deep");
    f->p++; /* '{' */
    if (flat_at(f, '}')) {
        f->p++;
        return TRUE;
    }
    for (;;) {
        gsize mark = f->key->len;
        if (!flat_key(f, depth))
            return FALSE;
        if (flat_at(f, '{')) {
            if (!flat_object(f, depth + 1))
                return FALSE;
        } else if (f->p < f->end && g_ascii_isdigit(*f->p)) {
            const char *v = f->p;
            while (f->p < f->end && g_ascii_isdigit(*f->p))
                f->p++;
            g_string_append_printf(f->out, "%s=%.*s\n", f->key->str, (int)(f->p - v), v);
        } else {
            return flat_fail(f, "expected an object or an integer");
        }
        g_string_truncate(f->key, mark);
        if (flat_at(f, ',')) {
            f->p++;
            continue;
        }
        if (flat_at(f, '}')) {
            f->p++;
            return TRUE;
        }
        return flat_fail(f, "expected ',' or '}'");
    }
}

Stats *stats_from_json(const char *data, size_t len, GError **error)
{
    if (len > STATS_MAX_FILE) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "larger than %d bytes", STATS_MAX_FILE);
        return NULL;
    }
    g_autoptr(GString) key = g_string_new(NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    Flat f = { .start = data, .p = data, .end = data + len, .key = key, .out = out, .error = error };
    if (!flat_at(&f, '{')) {
        flat_fail(&f, "expected an object");
        return NULL;
    }
    if (!flat_object(&f, 0))
        return NULL;
    flat_skip(&f);
    if (f.p != f.end) {
        flat_fail(&f, "trailing data");
        return NULL;
    }
    return stats_from_records(out->str, out->len, error);
}

/* ---- files --------------------------------------------------------------------------------- */

/* Rename a corrupt file aside without replacing an earlier one. Returns the new name or NULL. */
static char *stats_rename_aside(const char *path, int *ret_errno)
{
    long long now = (long long)time(NULL);
    for (int i = 0; i < 100; i++) {
        g_autofree char *aside = i ? g_strdup_printf("%s.corrupt-%lld-%d", path, now, i)
                                   : g_strdup_printf("%s.corrupt-%lld", path, now);
        if (renameat2(AT_FDCWD, path, AT_FDCWD, aside, RENAME_NOREPLACE) == 0)
            return g_steal_pointer(&aside);
        if (errno != EEXIST)
            break;
    }
    *ret_errno = errno;
    return NULL;
}

/* Load STATE_DIR/name, a record file or (legacy) the JSON of earlier versions. NULL with
 * *ret_r = -ENOENT when there is none; else statistics, zeroed with a warning in error when
 * the file could not be read or was corrupt (then it is renamed aside). */
static Stats *stats_load_file(const char *state_dir, const char *name, gboolean legacy, int *ret_r,
                              GError **error)
{
    g_autofree char *path = g_build_filename(state_dir, name, NULL);
    g_autofree char *data = NULL;
    g_autoptr(GError) parse_error = NULL;
    size_t len = 0;
    int r = *ret_r = record_read(AT_FDCWD, path, STATS_MAX_FILE, &data, &len);
    if (r == -ENOENT)
        return NULL;
    if (r == 0) {
        Stats *s = legacy ? stats_from_json(data, len, &parse_error) : stats_from_records(data, len, &parse_error);
        if (s) {
            s->state_dir = g_strdup(state_dir);
            return s;
        }
    } else if (r != -ELOOP && r != -EBADF) {
        /* Could not be read (yet it is there): leave it for an admin to look at. */
        g_set_error(error, STATS_ERROR, STATS_ERROR_IO,
                    "cannot read statistics file “%s”: %s; counting from zero", path, g_strerror(-r));
        return stats_new(state_dir);
    }
    int rename_errno = 0;
    g_autofree char *aside = stats_rename_aside(path, &rename_errno);
    const char *why = parse_error ? parse_error->message : "not a regular file";
    if (aside)
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT,
                    "statistics file “%s” is corrupt (%s); moved aside to “%s”, counting from zero", path, why, aside);
    else
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT,
                    "statistics file “%s” is corrupt (%s) and could not be moved aside: %s; counting from zero", path,
                    why, g_strerror(rename_errno));
    return stats_new(state_dir);
}

Stats *stats_load(const char *state_dir, GError **error)
{
    int r;
    Stats *s = stats_load_file(state_dir, STATS_FILE, FALSE, &r, error);
    if (r == -ENOENT)
        s = stats_load_file(state_dir, STATS_LEGACY_FILE, TRUE, &r, error);
    return r == -ENOENT ? stats_new(state_dir) : s;
}

gboolean stats_save(const Stats *s, GError **error)
{
    if (!s->state_dir) {
        g_set_error_literal(error, STATS_ERROR, STATS_ERROR_IO, "statistics have no state dir");
        return FALSE;
    }
    g_autofree char *path = g_build_filename(s->state_dir, STATS_FILE, NULL);
    g_autoptr(GString) text = stats_to_record(s);
    int r = record_save(path, text, 0640);
    if (r < 0) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_IO, "cannot write statistics file “%s”: %s", path, g_strerror(-r));
        return FALSE;
    }
    /* The JSON file of an earlier version is taken over now: it must not come back as the
     * statistics should this file ever be lost. (Nothing to do in all later saves.) */
    g_autofree char *legacy = g_build_filename(s->state_dir, STATS_LEGACY_FILE, NULL);
    (void)unlink(legacy);
    return TRUE;
}

/* ---- for people ---------------------------------------------------------------------------- */

static void text_hist(GString *out, const char *title, const Histogram *h, gboolean minutes)
{
    uint64_t count = h->cumulative[h->n];
    g_string_append_printf(out, "%-22s", title);
    if (count == 0) {
        g_string_append(out, "none yet\n");
        return;
    }
    uint64_t avg = h->sum_ms / count;
    if (minutes)
        g_string_append_printf(out, "average %" PRIu64 " min %02" PRIu64 " s", avg / 60000,
                               avg / 1000 % 60);
    else
        g_string_append_printf(out, "average %" PRIu64 ".%03" PRIu64 " s", avg / 1000, avg % 1000);
    g_string_append(out, "; up to");
    for (guint i = 0; i < h->n; i++) {
        uint64_t below = i ? h->cumulative[i - 1] : 0;
        if (minutes)
            g_string_append_printf(out, " %" PRIu64 " min: %" PRIu64 ",", h->bounds[i] / 60000,
                                   h->cumulative[i] - below);
        else
            g_string_append_printf(out, " %s s: %" PRIu64 ",", h->les[i], h->cumulative[i] - below);
    }
    g_string_append_printf(out, " longer: %" PRIu64 "\n", count - h->cumulative[h->n - 1]);
}

char *stats_to_text(const Stats *s)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "%-22s%" PRIu64 " (guided %" PRIu64 ")\n", "sessions", s->sessions,
                           s->guided);
    g_string_append_printf(out, "%-22s", "ended by");
    for (guint i = 0; i < END_N; i++)
        g_string_append_printf(out, "%s%s %" PRIu64, i ? ", " : "", rk_end_reason_name(i), s->ends[i]);
    g_string_append_c(out, '\n');
    text_hist(out, "session duration", &s->session_hist, TRUE);
    g_string_append_printf(out, "%-22s%" PRIu64 " (verified %" PRIu64 ", failed %" PRIu64 ")\n",
                           "wipes", s->wipes, s->verified, s->failed);
    text_hist(out, "wipe duration", &s->wipe_hist, FALSE);
    g_string_append_printf(out, "%-22s", "last verified wipe");
    if (s->last_verified_unix) {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_local((gint64)s->last_verified_unix);
        g_autofree char *txt = t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S %Z") : NULL;
        g_string_append_printf(out, "%s\n", txt ? txt : "(out of range)");
    } else {
        g_string_append(out, "never\n");
    }
    g_string_append_printf(out, "%-22sopened %" PRIu64 ", resolved %" PRIu64 ", open %" PRIu64 "\n",
                           "incidents", s->incidents_opened, s->incidents_resolved,
                           s->incidents_opened - MIN(s->incidents_opened, s->incidents_resolved));
    g_string_append_printf(out, "%-22s", "entries wiped");
    for (guint i = 0; i < STATS_N_ENTRIES; i++)
        g_string_append_printf(out, "%s%s %" PRIu64, i ? ", " : "", rk_wipe_category_name(i), s->wiped[i]);
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

/* ---- Prometheus ---------------------------------------------------------------------------- */

/* Milliseconds as exact decimal seconds: no float rounding. */
#define PROM_MS "%" PRIu64 ".%03" PRIu64
#define PROM_MS_ARGS(ms) (ms) / 1000, (ms) % 1000

/* The text being written, and the label every sample carries when the PC has a name. */
typedef struct {
    GString *out;
    const char *seat; /* seat.name, or NULL */
} Prom;

/* A label value as the text format wants it: backslash, double quote and line feed escaped
 * (seat.name holds no line feed, but the format's rule is applied whole). */
static void prom_append_value(GString *out, const char *v)
{
    for (const char *c = v; *c; c++) {
        if (*c == '\\' || *c == '"')
            g_string_append_c(out, '\\');
        if (*c == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *c);
    }
}

static void prom_head(Prom *p, const char *name, const char *type, const char *help)
{
    g_string_append_printf(p->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: NAME{seat="...",KEY="VALUE"} followed by the value printed with fmt; the seat
 * label only when the PC has a name, key NULL for none. */
static void G_GNUC_PRINTF(5, 6) prom_sample(Prom *p, const char *name, const char *key, const char *value,
                                            const char *fmt, ...)
{
    va_list ap;

    g_string_append(p->out, name);
    if (p->seat || key) {
        g_string_append_c(p->out, '{');
        if (p->seat) {
            g_string_append(p->out, "seat=\"");
            prom_append_value(p->out, p->seat);
            g_string_append(p->out, key ? "\"," : "\"");
        }
        if (key) {
            g_string_append_printf(p->out, "%s=\"", key);
            prom_append_value(p->out, value);
            g_string_append_c(p->out, '"');
        }
        g_string_append_c(p->out, '}');
    }
    g_string_append_c(p->out, ' ');
    va_start(ap, fmt);
    g_string_append_vprintf(p->out, fmt, ap);
    va_end(ap);
    g_string_append_c(p->out, '\n');
}

static void prom_hist(Prom *p, const char *name, const char *help, const Histogram *h)
{
    g_autofree char *bucket = g_strconcat(name, "_bucket", NULL);
    g_autofree char *sum = g_strconcat(name, "_sum", NULL);
    g_autofree char *count = g_strconcat(name, "_count", NULL);
    prom_head(p, name, "histogram", help);
    for (guint i = 0; i <= h->n; i++)
        prom_sample(p, bucket, "le", h->les[i], "%" PRIu64, h->cumulative[i]);
    prom_sample(p, sum, NULL, NULL, PROM_MS, PROM_MS_ARGS(h->sum_ms));
    prom_sample(p, count, NULL, NULL, "%" PRIu64, h->cumulative[h->n]);
}

/* The census's gauges by class, once a wipe has run since the start (before that a 0 would
 * claim a clean census that never ran). Alert on either being above 0:
 * "left" means the seat is closed (an incident), "missed" means the sweep's known places lack
 * something the census found (a new package, a new trick), which the safety net removed. */
static void prom_census(Prom *p, const Stats *s)
{
    prom_head(p, "rentark_census_classes", "gauge", "Classes of objects the census checks after every wipe.");
    prom_sample(p, "rentark_census_classes", NULL, NULL, "%d", RK_WIPE_N - RK_WIPE_CENSUS_FIRST);
    prom_head(p, "rentark_census_missed_objects", "gauge",
              "Objects of the guest the last wipe's first census found (what the sweep missed), by class.");
    for (guint i = RK_WIPE_CENSUS_FIRST; i < RK_WIPE_N; i++)
        prom_sample(p, "rentark_census_missed_objects", "class", rk_wipe_category_name(i), "%" PRIu64,
                    s->census_missed[i]);
    prom_head(p, "rentark_census_left_objects", "gauge",
              "Objects of the guest left after the last wipe, by class (-1: the class could not be checked).");
    for (guint i = RK_WIPE_CENSUS_FIRST; i < RK_WIPE_N; i++) {
        if (s->census_left[i] == UINT64_MAX)
            prom_sample(p, "rentark_census_left_objects", "class", rk_wipe_category_name(i), "-1");
        else
            prom_sample(p, "rentark_census_left_objects", "class", rk_wipe_category_name(i), "%" PRIu64,
                        s->census_left[i]);
    }
}

/* The seat's state, one-hot: every state is a series of its own, 1 for the current one, so
 * that an alert says `rentark_seat_state{state="BLOCKED"} == 1` and a dashboard shows all. */
static void prom_state(Prom *p, SeatState state)
{
    prom_head(p, "rentark_seat_state", "gauge", "The seat's state: 1 for the current state, 0 for the others.");
    for (int i = 0; i < SEAT_N_STATES; i++)
        prom_sample(p, "rentark_seat_state", "state", rk_seat_state_name((SeatState)i), "%d", i == (int)state);
}

char *stats_to_prometheus(const Stats *s, const StatsLive *live)
{
    g_return_val_if_fail(s && live, NULL);
    Prom p = { g_string_new(NULL), live->seat_name && *live->seat_name ? live->seat_name : NULL };
    prom_head(&p, "rentark_build_info", "gauge", "Always 1; the label version is the daemon's version.");
    prom_sample(&p, "rentark_build_info", "version", RK_VERSION, "1");
    prom_head(&p, "rentark_metrics_written_timestamp_seconds", "gauge",
              "Unix time this file was written (every 15 s and at every change): old means a silent daemon.");
    prom_sample(&p, "rentark_metrics_written_timestamp_seconds", NULL, NULL, "%" PRId64, MAX(live->now_unix, 0));
    prom_state(&p, live->state);
    prom_head(&p, "rentark_sessions_total", "counter", "Guest sessions ended, by kind (guided by a volunteer or not).");
    prom_sample(&p, "rentark_sessions_total", "kind", "guided", "%" PRIu64, s->guided);
    prom_sample(&p, "rentark_sessions_total", "kind", "unguided", "%" PRIu64, s->sessions - s->guided);
    prom_head(&p, "rentark_session_end_total", "counter", "Guest sessions ended, by reason.");
    for (guint i = 0; i < END_N; i++)
        prom_sample(&p, "rentark_session_end_total", "reason", rk_end_reason_name(i), "%" PRIu64, s->ends[i]);
    prom_head(&p, "rentark_last_session_end_timestamp_seconds", "gauge",
              "Unix time the last session ended (0: none since the daemon started).");
    prom_sample(&p, "rentark_last_session_end_timestamp_seconds", NULL, NULL, "%" PRIu64, s->last_session_end_unix);
    prom_hist(&p, "rentark_session_duration_seconds", "Duration of guest sessions.", &s->session_hist);
    prom_hist(&p, "rentark_wipe_duration_seconds", "Duration of end-of-session wipes.", &s->wipe_hist);
    prom_head(&p, "rentark_wipes_total", "counter", "End-of-session wipes, by result (a retried wipe counts each time).");
    prom_sample(&p, "rentark_wipes_total", "result", "verified", "%" PRIu64, s->verified);
    prom_sample(&p, "rentark_wipes_total", "result", "failed", "%" PRIu64, s->failed);
    prom_head(&p, "rentark_last_verified_wipe_timestamp_seconds", "gauge",
              "Unix time of the last verified wipe (0: none yet).");
    prom_sample(&p, "rentark_last_verified_wipe_timestamp_seconds", NULL, NULL, "%" PRIu64, s->last_verified_unix);
    prom_head(&p, "rentark_census_duration_seconds", "gauge",
              "Duration of the last wipe's census, which decides whether it is verified (0: no wipe since the daemon started).");
    prom_sample(&p, "rentark_census_duration_seconds", NULL, NULL, PROM_MS, PROM_MS_ARGS(s->census_ms));
    prom_head(&p, "rentark_incidents_opened_total", "counter", "Possible personal-data breaches recorded (unverified wipes).");
    prom_sample(&p, "rentark_incidents_opened_total", NULL, NULL, "%" PRIu64, s->incidents_opened);
    prom_head(&p, "rentark_incidents_resolved_total", "counter", "Incidents resolved by an admin.");
    prom_sample(&p, "rentark_incidents_resolved_total", NULL, NULL, "%" PRIu64, s->incidents_resolved);
    /* From the incident store, not from the counters: a record written by an earlier run, or
     * one that cannot be read, is open all the same, and the counters start from zero again
     * when the statistics file is lost. */
    prom_head(&p, "rentark_incidents_open", "gauge", "Incidents not resolved yet (the incident records).");
    prom_sample(&p, "rentark_incidents_open", NULL, NULL, "%" PRIu64, live->incidents_open);
    prom_head(&p, "rentark_wiped_entries_total", "counter", "Entries (files and directories) removed by wipes, by category.");
    for (guint i = 0; i < STATS_N_ENTRIES; i++)
        prom_sample(&p, "rentark_wiped_entries_total", "category", rk_wipe_category_name(i), "%" PRIu64, s->wiped[i]);
    if (s->census_ran)
        prom_census(&p, s);
    return g_string_free(p.out, FALSE);
}

gboolean stats_write_prometheus(const Stats *s, const StatsLive *live, const char *path, GError **error)
{
    g_autofree char *text = stats_to_prometheus(s, live);
    int r = rk_write_file_atomic(path, text, strlen(text), 0644);
    if (r < 0) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_IO, "cannot write metrics file “%s”: %s", path,
                    g_strerror(-r));
        return FALSE;
    }
    return TRUE;
}
