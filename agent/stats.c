/* Statistics: counters and histograms, a JSON file with a strict reader, a human table and the
 * Prometheus textfile. See stats.h. */
#define G_LOG_DOMAIN "stats"

#include "stats.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

G_DEFINE_QUARK(stats-error-quark, stats_error)

#define STATS_VERSION 1
#define STATS_FILE "stats.json"

static const char *const end_names[STATS_N_END] = {
    "logout", "button", "idle", "time_limit", "staff", "shutdown", "decline", "crash_recovery",
};
static const char *const cat_names[STATS_N_CAT] = {
    "home", "tmp", "run-user", "print", "crash", "journal", "watch",
};

/* Bucket bounds in ms and their "le" labels (seconds, as Prometheus wants them). */
static const uint64_t session_bounds[STATS_SESSION_BUCKETS] = {
    5 * 60000, 15 * 60000, 30 * 60000, 60 * 60000, 120 * 60000,
};
static const char *const session_les[STATS_SESSION_BUCKETS + 1] = {
    "300", "900", "1800", "3600", "7200", "+Inf",
};
static const uint64_t wipe_bounds[STATS_WIPE_BUCKETS] = { 50, 100, 500, 1000, 5000, 30000 };
static const char *const wipe_les[STATS_WIPE_BUCKETS + 1] = {
    "0.05", "0.1", "0.5", "1", "5", "30", "+Inf",
};

typedef struct {
    guint n;                   /* finite buckets */
    const uint64_t *bounds;    /* ms */
    const char *const *les;    /* n + 1 labels */
    uint64_t cumulative[8];    /* count of observations <= bound; [n] is +Inf = count */
    uint64_t sum_ms;
} Histogram;

struct Stats {
    char *state_dir;
    uint64_t sessions, guided;
    uint64_t ends[STATS_N_END];
    Histogram session_hist, wipe_hist;
    uint64_t wipes, verified, failed;
    uint64_t last_verified_unix; /* 0: never */
    uint64_t incidents_opened, incidents_resolved;
    uint64_t wiped[STATS_N_CAT];
    /* The census of the last wipe (gauges, not persisted: the next wipe sets them again). */
    gboolean census_ran;
    uint64_t census_missed[CENSUS_N]; /* found by the first census: what the sweep missed */
    uint64_t census_left[CENSUS_N];   /* found by the deciding census (or -1: not checked) */
    uint64_t census_ms;
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
    h->sum_ms = sat_add(h->sum_ms, ms);
}

void stats_record_session(Stats *s, gboolean guided, StatsEndReason reason, uint64_t duration_ms)
{
    g_return_if_fail(s && (unsigned)reason < STATS_N_END);
    s->sessions = sat_add(s->sessions, 1);
    if (guided)
        s->guided = sat_add(s->guided, 1);
    s->ends[reason] = sat_add(s->ends[reason], 1);
    hist_observe(&s->session_hist, duration_ms);
}

void stats_record_wipe(Stats *s, uint64_t duration_ms, gboolean verified,
                       const uint64_t entries[STATS_N_CAT], int64_t now_unix)
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
    for (guint i = 0; entries && i < STATS_N_CAT; i++)
        s->wiped[i] = sat_add(s->wiped[i], entries[i]);
}

void stats_record_census(Stats *s, const uint64_t first[CENSUS_N], const uint64_t last[CENSUS_N],
                         const int error[CENSUS_N], uint64_t duration_ms)
{
    s->census_ran = TRUE;
    for (guint i = 0; i < CENSUS_N; i++) {
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

uint64_t stats_end_reason(const Stats *s, StatsEndReason reason)
{
    return (unsigned)reason < STATS_N_END ? s->ends[reason] : 0;
}

uint64_t stats_wiped_entries(const Stats *s, StatsCategory cat)
{
    return (unsigned)cat < STATS_N_CAT ? s->wiped[cat] : 0;
}

/* ---- JSON out ----------------------------------------------------------------------------- */

static void json_member(GString *out, const char *indent, const char *key, uint64_t v, gboolean last)
{
    g_string_append_printf(out, "%s\"%s\": %" PRIu64 "%s\n", indent, key, v, last ? "" : ",");
}

static void json_hist(GString *out, const char *name, const Histogram *h)
{
    g_string_append_printf(out, "  \"%s\": {\n    \"buckets\": {\n", name);
    for (guint i = 0; i <= h->n; i++)
        json_member(out, "      ", h->les[i], h->cumulative[i], i == h->n);
    g_string_append(out, "    },\n");
    json_member(out, "    ", "sum_ms", h->sum_ms, FALSE);
    json_member(out, "    ", "count", h->cumulative[h->n], TRUE);
    g_string_append(out, "  },\n");
}

char *stats_to_json(const Stats *s)
{
    GString *out = g_string_new("{\n");
    json_member(out, "  ", "version", STATS_VERSION, FALSE);
    g_string_append(out, "  \"sessions\": {\n");
    json_member(out, "    ", "total", s->sessions, FALSE);
    json_member(out, "    ", "guided", s->guided, TRUE);
    g_string_append(out, "  },\n  \"end_reasons\": {\n");
    for (guint i = 0; i < STATS_N_END; i++)
        json_member(out, "    ", end_names[i], s->ends[i], i + 1 == STATS_N_END);
    g_string_append(out, "  },\n");
    json_hist(out, "session_duration", &s->session_hist);
    json_hist(out, "wipe_duration", &s->wipe_hist);
    g_string_append(out, "  \"wipes\": {\n");
    json_member(out, "    ", "total", s->wipes, FALSE);
    json_member(out, "    ", "verified", s->verified, FALSE);
    json_member(out, "    ", "failed", s->failed, FALSE);
    json_member(out, "    ", "last_verified_unix", s->last_verified_unix, TRUE);
    g_string_append(out, "  },\n  \"incidents\": {\n");
    json_member(out, "    ", "opened", s->incidents_opened, FALSE);
    json_member(out, "    ", "resolved", s->incidents_resolved, TRUE);
    g_string_append(out, "  },\n  \"wiped_entries\": {\n");
    for (guint i = 0; i < STATS_N_CAT; i++)
        json_member(out, "    ", cat_names[i], s->wiped[i], i + 1 == STATS_N_CAT);
    g_string_append(out, "  }\n}\n");
    return g_string_free(out, FALSE);
}

/* ---- JSON in: a strict reader of exactly that shape ---------------------------------------- */

/* Objects whose keys are short plain names, and non-negative integers; nothing else (no
 * strings as values, no arrays, floats, signs, escapes, duplicate keys, nesting deeper than
 * the format's). */
#define JSON_MAX_DEPTH 3
#define JSON_MAX_KEY 32
#define JSON_MAX_MEMBERS 16

typedef struct JNode JNode;
struct JNode {
    gboolean is_obj;
    uint64_t num;
    guint n;
    char *keys[JSON_MAX_MEMBERS];
    JNode *vals[JSON_MAX_MEMBERS];
};

static void jnode_free(JNode *n)
{
    if (!n)
        return;
    for (guint i = 0; i < n->n; i++) {
        g_free(n->keys[i]);
        jnode_free(n->vals[i]);
    }
    g_free(n);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JNode, jnode_free)

typedef struct {
    const char *start, *p, *end;
    GError **error;
} JParser;

static gboolean jfail(JParser *jp, const char *what)
{
    g_set_error(jp->error, STATS_ERROR, STATS_ERROR_CORRUPT, "%s at byte %td", what,
                jp->p - jp->start);
    return FALSE;
}

static void jskip(JParser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static gboolean jkey_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.' || c == '+';
}

static gboolean jparse_value(JParser *jp, int depth, JNode **ret);

static gboolean jparse_number(JParser *jp, JNode **ret)
{
    uint64_t v = 0;
    const char *first = jp->p;
    while (jp->p < jp->end && g_ascii_isdigit(*jp->p)) {
        unsigned d = (unsigned)(*jp->p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return jfail(jp, "number too large");
        v = v * 10 + d;
        jp->p++;
    }
    if (jp->p - first > 1 && *first == '0')
        return jfail(jp, "number with a leading zero");
    if (jp->p < jp->end && (*jp->p == '.' || *jp->p == 'e' || *jp->p == 'E'))
        return jfail(jp, "number that is not an integer");
    JNode *n = g_new0(JNode, 1);
    n->num = v;
    *ret = n;
    return TRUE;
}

static gboolean jparse_object(JParser *jp, int depth, JNode **ret)
{
    if (depth >= JSON_MAX_DEPTH)
        return jfail(jp, "nesting too deep");
    jp->p++; /* '{' */
    g_autoptr(JNode) obj = g_new0(JNode, 1);
    obj->is_obj = TRUE;
    jskip(jp);
    if (jp->p < jp->end && *jp->p == '}') {
        jp->p++;
        *ret = g_steal_pointer(&obj);
        return TRUE;
    }
    for (;;) {
        jskip(jp);
        if (jp->p >= jp->end || *jp->p != '"')
            return jfail(jp, "expected a key");
        const char *k = ++jp->p;
        while (jp->p < jp->end && jkey_char(*jp->p))
            jp->p++;
        if (jp->p >= jp->end || *jp->p != '"')
            return jfail(jp, "bad character in a key");
        size_t klen = (size_t)(jp->p - k);
        if (klen == 0 || klen > JSON_MAX_KEY)
            return jfail(jp, "bad key length");
        jp->p++;
        for (guint i = 0; i < obj->n; i++)
            if (strlen(obj->keys[i]) == klen && memcmp(obj->keys[i], k, klen) == 0)
                return jfail(jp, "duplicate key");
        if (obj->n >= JSON_MAX_MEMBERS)
            return jfail(jp, "too many members");
        jskip(jp);
        if (jp->p >= jp->end || *jp->p != ':')
            return jfail(jp, "expected ':'");
        jp->p++;
        JNode *val = NULL;
        if (!jparse_value(jp, depth + 1, &val))
            return FALSE;
        obj->keys[obj->n] = g_strndup(k, klen);
        obj->vals[obj->n++] = val;
        jskip(jp);
        if (jp->p < jp->end && *jp->p == ',') {
            jp->p++;
            continue;
        }
        if (jp->p < jp->end && *jp->p == '}') {
            jp->p++;
            *ret = g_steal_pointer(&obj);
            return TRUE;
        }
        return jfail(jp, "expected ',' or '}'");
    }
}

static gboolean jparse_value(JParser *jp, int depth, JNode **ret)
{
    jskip(jp);
    if (jp->p >= jp->end)
        return jfail(jp, "unexpected end");
    if (*jp->p == '{')
        return jparse_object(jp, depth, ret);
    if (g_ascii_isdigit(*jp->p))
        return jparse_number(jp, ret);
    return jfail(jp, "unexpected character");
}

/* The member key of obj, of the wanted kind; NULL (and an error) when missing or wrong. */
static JNode *jget(const JNode *obj, const char *key, gboolean want_obj, GError **error)
{
    for (guint i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) {
            if (obj->vals[i]->is_obj != want_obj) {
                g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "“%s” is not %s", key,
                            want_obj ? "an object" : "an integer");
                return NULL;
            }
            return obj->vals[i];
        }
    g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "“%s” is missing", key);
    return NULL;
}

/* Look up `n` integer members of obj by name into out[]; obj must have no other member. */
static gboolean jnums(const JNode *obj, const char *name, const char *const *keys, guint n,
                      uint64_t *const *out, GError **error)
{
    if (obj->n != n) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "“%s” has %u members, not %u",
                    name, obj->n, n);
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        JNode *v = jget(obj, keys[i], FALSE, error);
        if (!v)
            return FALSE;
        *out[i] = v->num;
    }
    return TRUE;
}

static gboolean jcorrupt(GError **error, const char *what)
{
    g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "inconsistent totals: %s", what);
    return FALSE;
}

static gboolean jhist(const JNode *root, const char *name, Histogram *h, uint64_t expect_count,
                      GError **error)
{
    JNode *o = jget(root, name, TRUE, error);
    if (!o)
        return FALSE;
    if (o->n != 3)
        return jcorrupt(error, "histogram members");
    JNode *b = jget(o, "buckets", TRUE, error);
    if (!b)
        return FALSE;
    uint64_t *outs[8];
    for (guint i = 0; i <= h->n; i++)
        outs[i] = &h->cumulative[i];
    if (!jnums(b, "buckets", h->les, h->n + 1, outs, error))
        return FALSE;
    uint64_t count = 0;
    const char *const keys[] = { "sum_ms", "count" };
    JNode *sum = jget(o, keys[0], FALSE, error);
    JNode *cnt = sum ? jget(o, keys[1], FALSE, error) : NULL;
    if (!cnt)
        return FALSE;
    h->sum_ms = sum->num;
    count = cnt->num;
    for (guint i = 0; i < h->n; i++)
        if (h->cumulative[i] > h->cumulative[i + 1])
            return jcorrupt(error, "histogram buckets decrease");
    if (h->cumulative[h->n] != count || count != expect_count)
        return jcorrupt(error, "histogram count");
    return TRUE;
}

static gboolean stats_from_tree(Stats *s, const JNode *root, GError **error)
{
    if (root->n != 8)
        return jcorrupt(error, "top-level members");
    JNode *v = jget(root, "version", FALSE, error);
    if (!v)
        return FALSE;
    if (v->num != STATS_VERSION) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "unknown version %" PRIu64, v->num);
        return FALSE;
    }
    JNode *o;
    {
        const char *const keys[] = { "total", "guided" };
        uint64_t *outs[] = { &s->sessions, &s->guided };
        if (!(o = jget(root, "sessions", TRUE, error)) || !jnums(o, "sessions", keys, 2, outs, error))
            return FALSE;
        if (s->guided > s->sessions)
            return jcorrupt(error, "more guided sessions than sessions");
    }
    {
        uint64_t *outs[STATS_N_END];
        for (guint i = 0; i < STATS_N_END; i++)
            outs[i] = &s->ends[i];
        if (!(o = jget(root, "end_reasons", TRUE, error)) ||
            !jnums(o, "end_reasons", end_names, STATS_N_END, outs, error))
            return FALSE;
        uint64_t sum = 0;
        for (guint i = 0; i < STATS_N_END; i++) {
            if (s->ends[i] > UINT64_MAX - sum)
                return jcorrupt(error, "end reasons overflow");
            sum += s->ends[i];
        }
        if (sum != s->sessions)
            return jcorrupt(error, "end reasons do not add up to the sessions");
    }
    {
        const char *const keys[] = { "total", "verified", "failed", "last_verified_unix" };
        uint64_t *outs[] = { &s->wipes, &s->verified, &s->failed, &s->last_verified_unix };
        if (!(o = jget(root, "wipes", TRUE, error)) || !jnums(o, "wipes", keys, 4, outs, error))
            return FALSE;
        if (s->verified > UINT64_MAX - s->failed || s->verified + s->failed != s->wipes)
            return jcorrupt(error, "verified and failed wipes do not add up");
        if (s->last_verified_unix > INT64_MAX)
            return jcorrupt(error, "last verified wipe time");
    }
    if (!jhist(root, "session_duration", &s->session_hist, s->sessions, error) ||
        !jhist(root, "wipe_duration", &s->wipe_hist, s->wipes, error))
        return FALSE;
    {
        const char *const keys[] = { "opened", "resolved" };
        uint64_t *outs[] = { &s->incidents_opened, &s->incidents_resolved };
        if (!(o = jget(root, "incidents", TRUE, error)) || !jnums(o, "incidents", keys, 2, outs, error))
            return FALSE;
        if (s->incidents_resolved > s->incidents_opened)
            return jcorrupt(error, "more incidents resolved than opened");
    }
    {
        uint64_t *outs[STATS_N_CAT];
        for (guint i = 0; i < STATS_N_CAT; i++)
            outs[i] = &s->wiped[i];
        if (!(o = jget(root, "wiped_entries", TRUE, error)) ||
            !jnums(o, "wiped_entries", cat_names, STATS_N_CAT, outs, error))
            return FALSE;
    }
    return TRUE;
}

Stats *stats_from_json(const char *data, size_t len, GError **error)
{
    if (len > STATS_MAX_FILE) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT, "larger than %d bytes", STATS_MAX_FILE);
        return NULL;
    }
    JParser jp = { .start = data, .p = data, .end = data + len, .error = error };
    g_autoptr(JNode) root = NULL;
    jskip(&jp);
    if (jp.p >= jp.end || *jp.p != '{') {
        jfail(&jp, "expected an object");
        return NULL;
    }
    if (!jparse_value(&jp, 0, &root))
        return NULL;
    jskip(&jp);
    if (jp.p != jp.end) {
        jfail(&jp, "trailing data");
        return NULL;
    }
    g_autoptr(Stats) s = stats_new(NULL);
    if (!stats_from_tree(s, root, error))
        return NULL;
    return g_steal_pointer(&s);
}

/* ---- file ---------------------------------------------------------------------------------- */

static char *stats_path(const char *state_dir)
{
    return g_build_filename(state_dir, STATS_FILE, NULL);
}

/* Read at most STATS_MAX_FILE + 1 bytes of a regular file, never through a symlink. */
static int stats_read(const char *path, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EBADF;
    g_autofree char *buf = g_malloc(STATS_MAX_FILE + 2);
    size_t len = 0;
    while (len < STATS_MAX_FILE + 1) {
        ssize_t n = read(fd, buf + len, STATS_MAX_FILE + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret = g_steal_pointer(&buf);
    *ret_len = len;
    return 0;
}

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

Stats *stats_load(const char *state_dir, GError **error)
{
    g_autofree char *path = stats_path(state_dir);
    g_autofree char *data = NULL;
    size_t len = 0;
    int r = stats_read(path, &data, &len);
    if (r == -ENOENT)
        return stats_new(state_dir);
    g_autoptr(GError) parse_error = NULL;
    if (r == 0) {
        Stats *s = stats_from_json(data, len, &parse_error);
        if (s) {
            s->state_dir = g_strdup(state_dir);
            return s;
        }
    } else if (r != -ELOOP && r != -EBADF) {
        /* Could not be read (yet it is there): leave it for an admin to look at. */
        g_set_error(error, STATS_ERROR, STATS_ERROR_IO,
                    "cannot read statistics file “%s”: %s; counting from zero", path,
                    g_strerror(-r));
        return stats_new(state_dir);
    }
    int rename_errno = 0;
    g_autofree char *aside = stats_rename_aside(path, &rename_errno);
    const char *why = parse_error ? parse_error->message : "not a regular file";
    if (aside)
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT,
                    "statistics file “%s” is corrupt (%s); moved aside to “%s”, counting from "
                    "zero", path, why, aside);
    else
        g_set_error(error, STATS_ERROR, STATS_ERROR_CORRUPT,
                    "statistics file “%s” is corrupt (%s) and could not be moved aside: %s; "
                    "counting from zero", path, why, g_strerror(rename_errno));
    return stats_new(state_dir);
}

gboolean stats_save(const Stats *s, GError **error)
{
    if (!s->state_dir) {
        g_set_error_literal(error, STATS_ERROR, STATS_ERROR_IO, "statistics have no state dir");
        return FALSE;
    }
    g_autofree char *path = stats_path(s->state_dir);
    g_autofree char *json = stats_to_json(s);
    int r = rk_write_file_atomic(path, json, strlen(json), 0640);
    if (r < 0) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_IO, "cannot write statistics file “%s”: %s",
                    path, g_strerror(-r));
        return FALSE;
    }
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
    for (guint i = 0; i < STATS_N_END; i++)
        g_string_append_printf(out, "%s%s %" PRIu64, i ? ", " : "", end_names[i], s->ends[i]);
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
    for (guint i = 0; i < STATS_N_CAT; i++)
        g_string_append_printf(out, "%s%s %" PRIu64, i ? ", " : "", cat_names[i], s->wiped[i]);
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

/* ---- Prometheus ---------------------------------------------------------------------------- */

static void prom_head(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_hist(GString *out, const char *name, const char *help, const Histogram *h)
{
    prom_head(out, name, "histogram", help);
    for (guint i = 0; i <= h->n; i++)
        g_string_append_printf(out, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name, h->les[i],
                               h->cumulative[i]);
    /* Exact decimal seconds from integer milliseconds: no float rounding. */
    g_string_append_printf(out, "%s_sum %" PRIu64 ".%03" PRIu64 "\n", name, h->sum_ms / 1000,
                           h->sum_ms % 1000);
    g_string_append_printf(out, "%s_count %" PRIu64 "\n", name, h->cumulative[h->n]);
}

char *stats_to_prometheus(const Stats *s)
{
    GString *out = g_string_new(NULL);
    prom_head(out, "rentark_sessions_total", "counter",
              "Guest sessions ended, by kind (guided by a volunteer or not).");
    g_string_append_printf(out, "rentark_sessions_total{kind=\"guided\"} %" PRIu64 "\n", s->guided);
    g_string_append_printf(out, "rentark_sessions_total{kind=\"unguided\"} %" PRIu64 "\n",
                           s->sessions - s->guided);
    prom_head(out, "rentark_session_end_total", "counter", "Guest sessions ended, by reason.");
    for (guint i = 0; i < STATS_N_END; i++)
        g_string_append_printf(out, "rentark_session_end_total{reason=\"%s\"} %" PRIu64 "\n",
                               end_names[i], s->ends[i]);
    prom_hist(out, "rentark_session_duration_seconds", "Duration of guest sessions.",
              &s->session_hist);
    prom_hist(out, "rentark_wipe_duration_seconds", "Duration of end-of-session wipes.",
              &s->wipe_hist);
    prom_head(out, "rentark_wipes_total", "counter",
              "End-of-session wipes, by result (a retried wipe counts each time).");
    g_string_append_printf(out, "rentark_wipes_total{result=\"verified\"} %" PRIu64 "\n",
                           s->verified);
    g_string_append_printf(out, "rentark_wipes_total{result=\"failed\"} %" PRIu64 "\n", s->failed);
    prom_head(out, "rentark_last_verified_wipe_timestamp_seconds", "gauge",
              "Unix time of the last verified wipe (0: none yet).");
    g_string_append_printf(out, "rentark_last_verified_wipe_timestamp_seconds %" PRIu64 "\n",
                           s->last_verified_unix);
    prom_head(out, "rentark_incidents_opened_total", "counter",
              "Possible personal-data breaches recorded (unverified wipes).");
    g_string_append_printf(out, "rentark_incidents_opened_total %" PRIu64 "\n", s->incidents_opened);
    prom_head(out, "rentark_incidents_resolved_total", "counter", "Incidents resolved by an admin.");
    g_string_append_printf(out, "rentark_incidents_resolved_total %" PRIu64 "\n",
                           s->incidents_resolved);
    prom_head(out, "rentark_incidents_open", "gauge", "Incidents not resolved yet.");
    g_string_append_printf(out, "rentark_incidents_open %" PRIu64 "\n",
                           s->incidents_opened - MIN(s->incidents_opened, s->incidents_resolved));
    prom_head(out, "rentark_wiped_entries_total", "counter",
              "Entries (files and directories) removed by wipes, by category.");
    for (guint i = 0; i < STATS_N_CAT; i++)
        g_string_append_printf(out, "rentark_wiped_entries_total{category=\"%s\"} %" PRIu64 "\n",
                               cat_names[i], s->wiped[i]);
    if (s->census_ran) {
        /* Alert on either being above 0: "left" means the seat is closed (an incident), "missed"
         * means the sweep's known places lack something the census found (a new package, a
         * new trick), which the safety net removed. */
        prom_head(out, "rentark_census_classes", "gauge", "Classes of objects the census checks after every wipe.");
        g_string_append_printf(out, "rentark_census_classes %d\n", CENSUS_N);
        prom_head(out, "rentark_census_missed_objects", "gauge",
                  "Objects of the guest the last wipe's first census found (what the sweep missed), by class.");
        for (guint i = 0; i < CENSUS_N; i++)
            g_string_append_printf(out, "rentark_census_missed_objects{class=\"%s\"} %" PRIu64 "\n",
                                   census_class_name(i), s->census_missed[i]);
        prom_head(out, "rentark_census_left_objects", "gauge",
                  "Objects of the guest left after the last wipe, by class (-1: the class could not be checked).");
        for (guint i = 0; i < CENSUS_N; i++) {
            if (s->census_left[i] == UINT64_MAX)
                g_string_append_printf(out, "rentark_census_left_objects{class=\"%s\"} -1\n", census_class_name(i));
            else
                g_string_append_printf(out, "rentark_census_left_objects{class=\"%s\"} %" PRIu64 "\n",
                                       census_class_name(i), s->census_left[i]);
        }
        prom_head(out, "rentark_census_duration_seconds", "gauge", "Duration of the last wipe's census.");
        g_string_append_printf(out, "rentark_census_duration_seconds %.3f\n", (double)s->census_ms / 1000.0);
    }
    return g_string_free(out, FALSE);
}

gboolean stats_write_prometheus(const Stats *s, const char *path, GError **error)
{
    g_autofree char *text = stats_to_prometheus(s);
    int r = rk_write_file_atomic(path, text, strlen(text), 0644);
    if (r < 0) {
        g_set_error(error, STATS_ERROR, STATS_ERROR_IO, "cannot write metrics file “%s”: %s", path,
                    g_strerror(-r));
        return FALSE;
    }
    return TRUE;
}
