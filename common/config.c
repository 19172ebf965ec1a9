/* Configuration loader: libconfig parses, this file owns the schema.
 *
 * libconfig 1.5 accepts any key, so every setting in the file is walked against the schema
 * table below: a key the table does not know, a wrong type or a value out of range is an
 * error naming file and line. Every problem is reported, not only the first, so that an admin
 * fixes a broken file in one round. */
#include "config.h"
#include "util.h"

#include <libconfig.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK(rk-config-error-quark, rk_config_error)

typedef enum {
    T_BOOL,
    T_INT,      /* integer in [min, max] */
    T_STR,      /* any non-empty string; "" means unset (NULL) where nullable */
    T_PATH,     /* absolute path without ".." components */
    T_PATHLIST, /* list of T_PATH */
    T_INTLIST,  /* list of integers in [min, max] */
    T_MODULES,  /* list of module numbers 1..8, stored as a bit mask */
    T_LANGS,    /* list of language codes */
    T_STRATEGY, /* "disk" | "tmpfs" */
    T_SIZE,     /* tmpfs size: digits with optional k/m/g suffix, or a percentage */
    T_USER,     /* user or group name */
    T_DATE,     /* YYYY-MM-DD */
    T_LABEL,    /* one line of UTF-8 text shown to people: at most max characters, no control
                 * characters; "" means unset (NULL) */
    T_HOURS,    /* a day's opening hours (hours.h): "09:00-16:00", "closed" */
    T_HOURS_EXCEPTIONS, /* a list of { date = "YYYY-MM-DD"; hours = "..."; }: the schedule's */
} KeyType;

enum {
    F_NULLABLE = 1 << 0, /* an empty string (or a missing key with no default) means "none" */
    F_REQUIRED = 1 << 1, /* must be present (volunteer entries) */
};

typedef struct {
    const char *group;
    const char *key;
    KeyType type;
    size_t offset;
    const char *def; /* default for strings and lists (lists: comma separated) */
    long long idef;  /* default for ints and bools */
    long long min, max;
    unsigned flags;
} Key;

#define O(f) offsetof(RkConfig, f)
#define DAY (24LL * 3600)
#define RK_DEFAULT_SKELETON "/etc/rentark/skel"

static const Key schema[] = {
    /* Shown on every patron screen, in the status and as a metrics label: one short line. */
    { "seat", "name", T_LABEL, O(seat_name), "", 0, 0, RK_CONFIG_MAX_SEAT_NAME, F_NULLABLE },

    { "guest", "user", T_USER, O(guest_user), "rentark-guest", 0, 0, 0, 0 },
    { "guest", "home", T_PATH, O(guest_home), "/home/rentark-guest", 0, 0, 0, 0 },
    { "guest", "skeleton", T_PATH, O(guest_skeleton), RK_DEFAULT_SKELETON, 0, 0, 0, 0 },
    { "guest", "create", T_BOOL, O(guest_create), NULL, 1, 0, 1, 0 },
    { "guest", "shell", T_PATH, O(guest_shell), "/bin/bash", 0, 0, 0, 0 },

    { "session", "time_limit", T_INT, O(time_limit), NULL, 7200, 0, 7 * DAY, 0 },
    { "session", "idle_timeout", T_INT, O(idle_timeout), NULL, 900, 0, DAY, 0 },
    { "session", "idle_warning", T_INT, O(idle_warning), NULL, 60, 0, 3600, 0 },
    { "session", "warnings", T_INTLIST, O(warnings), "600,300,60", 0, 1, RK_CONFIG_MAX_WARNING, 0 },
    { "session", "languages", T_LANGS, O(languages), "nb,nn,en", 0, 0, 0, 0 },
    { "session", "idle_report_interval", T_INT, O(idle_report_interval), NULL, 30, 1, 3600, 0 },
    { "session", "extend_by", T_INT, O(extend_by), NULL, 600, 0, RK_CONFIG_MAX_EXTEND_BY, 0 },
    { "session", "max_extends", T_INT, O(max_extends), NULL, 10, 0, RK_CONFIG_MAX_EXTENDS, 0 },
    /* The time limit starts at the patron's first key press or click after the notice; an
     * accepted notice with no input for first_input_wait seconds shows the notice again. */
    { "session", "start_on_first_input", T_BOOL, O(start_on_first_input), NULL, 1, 0, 1, 0 },
    { "session", "first_input_wait", T_INT, O(first_input_wait), NULL, 180, 0, DAY, 0 },
    /* The patron's step-away lock: at most this long, 0 = no lock offered. */
    { "session", "step_away_max", T_INT, O(step_away_max), NULL, 600, 0, 4 * 3600, 0 },

    { "wipe", "strategy", T_STRATEGY, O(strategy), NULL, RK_WIPE_DISK, 0, 0, 0 },
    { "wipe", "tmpfs_size", T_SIZE, O(tmpfs_size), "25%", 0, 0, 0, 0 },
    { "wipe", "trash_dir", T_PATH, O(trash_dir), "/home/.rentark-trash", 0, 0, 0, 0 },
    { "wipe", "sweep", T_PATHLIST, O(sweep), "/tmp,/var/tmp,/dev/shm", 0, 0, 0, 0 },
    { "wipe", "watch", T_PATHLIST, O(watch), "", 0, 0, 0, 0 },
    { "wipe", "census_mounts", T_PATHLIST, O(census_mounts), "", 0, 0, 0, 0 },
    { "wipe", "at_boot", T_BOOL, O(at_boot), NULL, 0, 0, 1, 0 },
    { "wipe", "verify_retry", T_INT, O(verify_retry), NULL, 30, 1, 3600, 0 },

    { "notice", "text_dir", T_PATH, O(notice_dir), "/etc/rentark/notice", 0, 0, 0, 0 },
    { "notice", "screen_reader", T_BOOL, O(screen_reader), NULL, 0, 0, 1, 0 },

    { "guided", "enabled", T_BOOL, O(guided_enabled), NULL, 1, 0, 1, 0 },
    { "guided", "required_modules", T_MODULES, O(required_modules), "1,2,3,4,5,8", 0, 1, RK_MODULES_MAX, 0 },
    { "guided", "declaration_validity_days", T_INT, O(declaration_validity_days), NULL, 365, 0, 3650, 0 },

    { "incidents", "command", T_STR, O(incident_command), "", 0, 0, 0, F_NULLABLE },
    { "incidents", "report_deadline_hours", T_INT, O(report_deadline_hours), NULL, 72, 1, 720, 0 },

    { "paths", "state_dir", T_PATH, O(state_dir), "/var/lib/rentark", 0, 0, 0, 0 },
    { "paths", "socket", T_PATH, O(socket), "/run/rentark/control.sock", 0, 0, 0, 0 },
    { "paths", "metrics_file", T_PATH, O(metrics_file), "", 0, 0, 0, F_NULLABLE },
    { "paths", "run_user_dir", T_PATH, O(run_user_dir), "/run/user", 0, 0, 0, 0 },
    { "paths", "cups_spool", T_PATH, O(cups_spool), "/var/spool/cups", 0, 0, 0, 0 },
    /* The CUPS server's unix socket, asked over IPP to cancel and purge the guest's jobs. */
    { "paths", "cups_server", T_PATH, O(cups_server), "/run/cups/cups.sock", 0, 0, 0, F_NULLABLE },
    { "paths", "crash_dirs", T_PATHLIST, O(crash_dirs), "/var/crash,/var/lib/systemd/coredump", 0, 0, 0, 0 },
    { "paths", "journal_dir", T_PATH, O(journal_dir), "/var/log/journal", 0, 0, 0, 0 },

    { "access", "admin_group", T_USER, O(admin_group), "rentark-admin", 0, 0, 0, 0 },
    { "access", "volunteer_group", T_USER, O(volunteer_group), "rentark-volunteer", 0, 0, 0, 0 },

    /* A day left out is open all day; the whole group left out turns opening hours off. */
    { "hours", "mon", T_HOURS, O(hours.week[0]), "00:00-24:00", 0, 0, 0, 0 },
    { "hours", "tue", T_HOURS, O(hours.week[1]), "00:00-24:00", 0, 0, 0, 0 },
    { "hours", "wed", T_HOURS, O(hours.week[2]), "00:00-24:00", 0, 0, 0, 0 },
    { "hours", "thu", T_HOURS, O(hours.week[3]), "00:00-24:00", 0, 0, 0, 0 },
    { "hours", "fri", T_HOURS, O(hours.week[4]), "00:00-24:00", 0, 0, 0, 0 },
    { "hours", "sat", T_HOURS, O(hours.week[5]), "00:00-24:00", 0, 0, 0, 0 },
    { "hours", "sun", T_HOURS, O(hours.week[6]), "00:00-24:00", 0, 0, 0, 0 },
    { "hours", "exceptions", T_HOURS_EXCEPTIONS, O(hours), NULL, 0, 0, 0, 0 },
    { "hours", "warnings", T_INTLIST, O(closing_warnings), "900,300", 0, 1, RK_CONFIG_MAX_WARNING, 0 },
};
#undef O

#define V(f) offsetof(RkVolunteer, f)
static const Key volunteer_schema[] = {
    { "volunteers", "id", T_USER, V(id), NULL, 0, 0, 0, F_REQUIRED },
    /* Shown on the patron's screen and sent in every status reply: a name, not a text. */
    { "volunteers", "name", T_STR, V(name), NULL, 0, 0, 100, F_REQUIRED },
    { "volunteers", "pin_hash", T_STR, V(pin_hash), NULL, 0, 0, 0, F_REQUIRED },
    { "volunteers", "declaration_signed", T_DATE, V(declaration), "", 0, 0, 0, F_NULLABLE },
    { "volunteers", "modules", T_MODULES, V(modules), "", 0, 1, RK_MODULES_MAX, 0 },
};
#undef V

/* Groups at the top level; "volunteers" is a list of groups with its own schema. */
static const char *const top_groups[] = { "seat", "guest", "session", "wipe", "notice", "volunteers",
                                          "guided", "incidents", "paths", "access", "hours" };

typedef struct {
    const char *name; /* file name for messages */
    const char *dir;  /* folder of the main file: @include'd names are relative to it */
    GString *errs;
    guint n_errs;
    GString *texts; /* problems with the patron texts: they close the seat, not the wipe */
} Ctx;

#define MAX_ERRORS 50

/* Append one "FILE:LINE: message" line to out. */
static void G_GNUC_PRINTF(5, 0) vmessage(const Ctx *ctx, GString *out, const char *file, unsigned line, const char *fmt,
                                         va_list ap)
{
    if (out->len)
        g_string_append_c(out, '\n');
    /* Name an @include'd file by the path an admin can open, not by its relative name. */
    g_autofree char *joined = NULL;
    if (file && file[0] != '/' && ctx->dir && strcmp(file, ctx->name) != 0)
        file = joined = g_build_filename(ctx->dir, file, NULL);
    if (line)
        g_string_append_printf(out, "%s:%u: ", file ? file : ctx->name, line);
    else
        g_string_append_printf(out, "%s: ", file ? file : ctx->name);
    g_string_append_vprintf(out, fmt, ap);
}

static void G_GNUC_PRINTF(4, 5) err(Ctx *ctx, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;

    if (++ctx->n_errs > MAX_ERRORS)
        return;
    va_start(ap, fmt);
    vmessage(ctx, ctx->errs, file, line, fmt, ap);
    va_end(ap);
}

/* A problem with the patron texts: an error for --check-config and for opening the seat, but
 * never a reason not to wipe (a mistyped notice.text_dir must not leave the last patron's data
 * on the machine). */
static void G_GNUC_PRINTF(4, 5) text_err(Ctx *ctx, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(ctx, ctx->texts, file, line, fmt, ap);
    va_end(ap);
}

#define serr(ctx, s, ...) err(ctx, config_setting_source_file(s), config_setting_source_line(s), __VA_ARGS__)

static bool valid_user(const char *s)
{
    size_t n = strlen(s);

    /* The portable user name set; also rules out anything a shell or path could misread. */
    if (n == 0 || n > 32 || !(g_ascii_islower(s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(g_ascii_islower(s[i]) || g_ascii_isdigit(s[i]) || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static bool valid_path(const char *s)
{
    if (s[0] != '/' || strlen(s) >= 4096)
        return false;
    /* No "." or ".." components and no empty ones: a path means exactly what it says. */
    for (const char *p = s; *p;) {
        while (*p == '/')
            p++;
        const char *e = strchrnul(p, '/');
        size_t n = (size_t)(e - p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p = e;
    }
    return strstr(s, "//") == NULL && (s[1] == '\0' || s[strlen(s) - 1] != '/');
}

/* The first character of s (valid UTF-8) that may not stand in a one-line label: a control
 * character (C0, DEL, C1) or a line or paragraph separator, which would break the line on a
 * screen, in a reply or in a metrics file. 0 when there is none. */
static gunichar label_bad_char(const char *s)
{
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType t = g_unichar_type(c);
        if (t == G_UNICODE_CONTROL || t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR)
            return c;
    }
    return 0;
}

bool rk_config_valid_seat_name(const char *s)
{
    return s && g_utf8_validate(s, -1, NULL) && g_utf8_strlen(s, -1) <= RK_CONFIG_MAX_SEAT_NAME &&
           !label_bad_char(s);
}

bool rk_config_valid_language(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_islower(s[i]))
            return false;
    return true;
}

static bool valid_size(const char *s)
{
    size_t i = 0;
    unsigned long long v = 0;

    while (g_ascii_isdigit(s[i])) {
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > (1ULL << 50))
            return false;
        i++;
    }
    if (i == 0 || v == 0)
        return false;
    if (s[i] == '%')
        return v <= 100 && s[i + 1] == '\0';
    if (s[i] && strchr("kKmMgG", s[i]))
        i++;
    return s[i] == '\0';
}

static guint32 parse_date(const char *s)
{
    unsigned y, m, d;
    char tail;

    if (strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || s[4] != '-' || s[7] != '-')
        return 0;
    if (!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
        return 0;
    g_autoptr(GDate) date = g_date_new_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
    return g_date_get_julian(date);
}

static const char *type_name(KeyType t)
{
    switch (t) {
    case T_BOOL: return "a boolean (true or false)";
    case T_INT: return "an integer";
    case T_PATHLIST: return "a list of strings";
    case T_INTLIST: case T_MODULES: return "a list of integers";
    case T_LANGS: return "a list of language codes";
    case T_HOURS_EXCEPTIONS: return "a list of groups";
    default: return "a string";
    }
}

static void set_str(void *field, const char *v, unsigned flags)
{
    char **f = field;
    g_free(*f);
    *f = (flags & F_NULLABLE) && (!v || !*v) ? NULL : g_strdup(v);
}

/* Apply the default of k to the struct at base. */
static void apply_default(const Key *k, void *base)
{
    void *field = (char *)base + k->offset;

    switch (k->type) {
    case T_BOOL: case T_INT: case T_STRATEGY:
        *(int *)field = (int)k->idef;
        break;
    case T_STR: case T_PATH: case T_SIZE: case T_USER: case T_DATE: case T_LABEL:
        set_str(field, k->def, k->flags);
        break;
    case T_PATHLIST: case T_LANGS: {
        char ***f = field;
        g_strfreev(*f);
        *f = k->def && *k->def ? g_strsplit(k->def, ",", -1) : g_new0(char *, 1);
        break;
    }
    case T_INTLIST: {
        GArray **f = field;
        if (*f)
            g_array_unref(*f);
        *f = g_array_new(FALSE, FALSE, sizeof(int));
        g_auto(GStrv) v = g_strsplit(k->def, ",", -1);
        for (char **p = v; *p && **p; p++) {
            int x = atoi(*p);
            g_array_append_val(*f, x);
        }
        break;
    }
    case T_MODULES: {
        guint mask = 0;
        g_auto(GStrv) v = g_strsplit(k->def, ",", -1);
        for (char **p = v; *p && **p; p++)
            mask |= 1u << atoi(*p);
        *(guint *)field = mask;
        break;
    }
    case T_HOURS: {
        const char *why = NULL;
        if (!hours_parse_day(k->def, field, &why))
            g_assert_not_reached(); /* the schema's own default */
        break;
    }
    case T_HOURS_EXCEPTIONS:
        break; /* none; the schedule's days have their own defaults */
    }
}

static bool is_int(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

static bool is_list(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_ARRAY || config_setting_type(s) == CONFIG_TYPE_LIST;
}

static const char *full(const Key *k, char buf[static 128])
{
    snprintf(buf, 128, "%s.%s", k->group, k->key);
    return buf;
}

/* A T_LABEL value: UTF-8, at most k->max characters, one line without control characters. */
static bool check_label(Ctx *ctx, const Key *k, const config_setting_t *s, const char *v)
{
    char kb[128];

    if (!g_utf8_validate(v, -1, NULL)) {
        serr(ctx, s, "%s is not valid UTF-8", full(k, kb));
        return false;
    }
    glong n = g_utf8_strlen(v, -1);
    if (n > k->max) {
        serr(ctx, s, "%s is too long (%ld characters, at most %lld)", full(k, kb), n, k->max);
        return false;
    }
    gunichar bad = label_bad_char(v);
    if (bad) {
        serr(ctx, s, "%s must be one line without control characters (it holds U+%04X)", full(k, kb), bad);
        return false;
    }
    return true;
}

/* Check one string value of key k; report at s. */
static bool check_string(Ctx *ctx, const Key *k, const config_setting_t *s, const char *v, KeyType t)
{
    char kb[128];

    switch (t) {
    case T_STR:
        if (!*v && !(k->flags & F_NULLABLE)) {
            serr(ctx, s, "%s must not be empty", full(k, kb));
            return false;
        }
        {
            /* max: a length limit in bytes where the schema sets one. */
            size_t limit = k->max > 0 ? (size_t)k->max : 4096;
            if (strlen(v) > limit) {
                serr(ctx, s, "%s is too long (at most %zu bytes)", full(k, kb), limit);
                return false;
            }
        }
        if (!g_utf8_validate(v, -1, NULL)) {
            serr(ctx, s, "%s is not valid UTF-8", full(k, kb));
            return false;
        }
        return true;
    case T_PATH: case T_PATHLIST:
        if (!*v && (k->flags & F_NULLABLE))
            return true;
        if (!valid_path(v)) {
            serr(ctx, s, "%s must be an absolute path without '.', '..', '//' or a trailing '/'", full(k, kb));
            return false;
        }
        return true;
    case T_USER:
        if (!valid_user(v)) {
            serr(ctx, s, "%s must be a user or group name (lower case letters, digits, '_' and '-', at most 32)", full(k, kb));
            return false;
        }
        return true;
    case T_LANGS:
        if (!rk_config_valid_language(v)) {
            serr(ctx, s, "%s: a language code is 2 or 3 lower case letters (nb, nn, en)", full(k, kb));
            return false;
        }
        return true;
    case T_SIZE:
        if (!valid_size(v)) {
            serr(ctx, s, "%s must be a size such as 512M, 2G or 25%%", full(k, kb));
            return false;
        }
        return true;
    case T_DATE:
        if (*v && !parse_date(v)) {
            serr(ctx, s, "%s must be a date written YYYY-MM-DD", full(k, kb));
            return false;
        }
        return true;
    case T_STRATEGY:
        if (strcmp(v, "disk") && strcmp(v, "tmpfs")) {
            serr(ctx, s, "%s must be \"disk\" or \"tmpfs\"", full(k, kb));
            return false;
        }
        return true;
    case T_LABEL:
        return check_label(ctx, k, s, v);
    default:
        return true;
    }
}

/* A boolean or an integer in the key's range. */
static void read_number(Ctx *ctx, const Key *k, const config_setting_t *s, int *field)
{
    char kb[128];

    if (k->type == T_BOOL) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
            serr(ctx, s, "%s must be %s", full(k, kb), type_name(k->type));
            return;
        }
        *field = config_setting_get_bool(s);
        return;
    }
    if (!is_int(s)) {
        serr(ctx, s, "%s must be %s", full(k, kb), type_name(k->type));
        return;
    }
    long long v = config_setting_get_int64(s);
    if (v < k->min || v > k->max) {
        serr(ctx, s, "%s = %lld is out of range (%lld to %lld)", full(k, kb), v, k->min, k->max);
        return;
    }
    *field = (int)v;
}

/* A string of the key's kind (path, user name, size, date, strategy). */
static void read_string(Ctx *ctx, const Key *k, const config_setting_t *s, void *field)
{
    char kb[128];

    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        serr(ctx, s, "%s must be %s", full(k, kb), type_name(k->type));
        return;
    }
    const char *v = config_setting_get_string(s);
    if (k->type == T_HOURS) {
        const char *why = NULL;
        if (!hours_parse_day(v, field, &why))
            serr(ctx, s, "%s = \"%s\": %s", full(k, kb), v, why);
        return;
    }
    if (!check_string(ctx, k, s, v, k->type))
        return;
    if (k->type == T_STRATEGY)
        *(int *)field = strcmp(v, "tmpfs") == 0 ? RK_WIPE_TMPFS : RK_WIPE_DISK;
    else
        set_str(field, v, k->flags);
}

/* A list at s of at most RK_CONFIG_MAX_LIST entries: its length, or -1 after an error. */
static int list_length(Ctx *ctx, const Key *k, const config_setting_t *s, const char *example)
{
    char kb[128];

    if (!is_list(s)) {
        serr(ctx, s, "%s must be %s, e.g. %s", full(k, kb), type_name(k->type), example);
        return -1;
    }
    int n = config_setting_length(s);
    if (n > RK_CONFIG_MAX_LIST) {
        serr(ctx, s, "%s has %d entries (at most %d)", full(k, kb), n, RK_CONFIG_MAX_LIST);
        return -1;
    }
    return n;
}

/* A list of distinct strings (paths, language codes). */
static void read_string_list(Ctx *ctx, const Key *k, const config_setting_t *s, char ***field)
{
    char kb[128];
    int n = list_length(ctx, k, s, "[\"a\", \"b\"]");
    if (n < 0)
        return;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            serr(ctx, e, "%s must be %s", full(k, kb), type_name(k->type));
            return;
        }
        const char *v = config_setting_get_string(e);
        if (!check_string(ctx, k, e, v, k->type))
            return;
        for (guint j = 0; j < out->len; j++)
            if (strcmp(out->pdata[j], v) == 0) {
                serr(ctx, e, "%s lists \"%s\" twice", full(k, kb), v);
                return;
            }
        g_ptr_array_add(out, g_strdup(v));
    }
    if (k->type == T_LANGS && out->len == 0) {
        serr(ctx, s, "%s must name at least one language", full(k, kb));
        return;
    }
    g_ptr_array_add(out, NULL);
    g_strfreev(*field);
    *field = (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* A list of integers in the key's range: an array, or a bit mask of training modules. */
static void read_int_list(Ctx *ctx, const Key *k, const config_setting_t *s, void *field)
{
    char kb[128];
    int n = list_length(ctx, k, s, "[1, 2]");
    if (n < 0)
        return;
    g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(int));
    guint mask = 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (!is_int(e)) {
            serr(ctx, e, "%s must be %s", full(k, kb), type_name(k->type));
            return;
        }
        long long v = config_setting_get_int64(e);
        if (v < k->min || v > k->max) {
            serr(ctx, e, "%s: %lld is out of range (%lld to %lld)", full(k, kb), v, k->min, k->max);
            return;
        }
        int iv = (int)v;
        g_array_append_val(out, iv);
        if (k->type == T_MODULES)
            mask |= 1u << iv;
    }
    if (k->type == T_MODULES) {
        *(guint *)field = mask;
    } else {
        if (*(GArray **)field)
            g_array_unref(*(GArray **)field);
        *(GArray **)field = g_steal_pointer(&out);
    }
}

/* One entry of hours.exceptions: { date = "YYYY-MM-DD"; hours = "10:00-13:00" | "closed"; }. */
static void read_hours_exception(Ctx *ctx, const config_setting_t *g, HoursSchedule *h)
{
    const config_setting_t *ds = NULL, *hs = NULL;
    bool ok = true;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        serr(ctx, g, "each hours.exceptions entry must be a group { date = \"YYYY-MM-DD\"; hours = \"10:00-13:00\"; }");
        return;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        const config_setting_t **dst = !name ? NULL : strcmp(name, "date") == 0 ? &ds : strcmp(name, "hours") == 0 ? &hs : NULL;
        if (!dst) {
            serr(ctx, m, "unknown key \"hours.exceptions.%s\" (an entry has date and hours)", name ? name : "?");
            ok = false;
        } else if (config_setting_type(m) != CONFIG_TYPE_STRING) {
            serr(ctx, m, "hours.exceptions.%s must be a string", name);
            ok = false;
        } else {
            *dst = m;
        }
    }
    if (!ok)
        return;
    if (!ds || !hs) {
        serr(ctx, g, "an hours.exceptions entry needs both date and hours");
        return;
    }
    const char *date = config_setting_get_string(ds), *hours = config_setting_get_string(hs), *why = NULL;
    guint32 julian = parse_date(date);
    HoursDay day;
    if (!julian)
        serr(ctx, ds, "hours.exceptions.date \"%s\" must be a date written YYYY-MM-DD", date);
    else if (!hours_parse_day(hours, &day, &why))
        serr(ctx, hs, "hours.exceptions.hours = \"%s\": %s", hours, why);
    else if (!hours_add_exception(h, julian, &day))
        serr(ctx, g, "hours.exceptions: %s is listed twice", date);
}

static void read_hours_exceptions(Ctx *ctx, const config_setting_t *list, HoursSchedule *h)
{
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        serr(ctx, list, "hours.exceptions must be a list of groups: ( { date = \"2026-12-24\"; hours = \"10:00-13:00\"; }, ... )");
        return;
    }
    int n = config_setting_length(list);
    if (n > HOURS_MAX_EXCEPTIONS) {
        serr(ctx, list, "hours.exceptions has %d entries (at most %d)", n, HOURS_MAX_EXCEPTIONS);
        return;
    }
    for (int i = 0; i < n; i++)
        read_hours_exception(ctx, config_setting_get_elem(list, (unsigned)i), h);
}

/* Read setting s as key k into the struct at base. */
static void read_key(Ctx *ctx, const Key *k, const config_setting_t *s, void *base)
{
    void *field = (char *)base + k->offset;

    switch (k->type) {
    case T_BOOL: case T_INT:
        read_number(ctx, k, s, field);
        return;
    case T_STR: case T_PATH: case T_SIZE: case T_USER: case T_DATE: case T_STRATEGY: case T_LABEL: case T_HOURS:
        read_string(ctx, k, s, field);
        return;
    case T_HOURS_EXCEPTIONS:
        read_hours_exceptions(ctx, s, field);
        return;
    case T_PATHLIST: case T_LANGS:
        read_string_list(ctx, k, s, field);
        return;
    case T_INTLIST: case T_MODULES:
        read_int_list(ctx, k, s, field);
        return;
    }
}

static const Key *find_key(const Key *tab, size_t n, const char *group, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].group, group) == 0 && strcmp(tab[i].key, key) == 0)
            return &tab[i];
    return NULL;
}

/* Walk the members of group setting g against tab, reading into base. */
static void walk_group(Ctx *ctx, const config_setting_t *g, const char *gname, const Key *tab, size_t n,
                       void *base, bool *seen)
{
    int len = config_setting_length(g);

    for (int i = 0; i < len; i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        const Key *k = name ? find_key(tab, n, gname, name) : NULL;
        if (!k) {
            serr(ctx, s, "unknown key \"%s.%s\"", gname, name ? name : "?");
            continue;
        }
        if (seen)
            seen[k - tab] = true;
        read_key(ctx, k, s, base);
    }
}

static void volunteer_free(gpointer p)
{
    RkVolunteer *v = p;
    if (!v)
        return;
    g_free(v->id);
    g_free(v->name);
    g_free(v->pin_hash);
    g_free(v->declaration);
    g_free(v);
}

static void read_volunteers(Ctx *ctx, const config_setting_t *list, RkConfig *c)
{
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        serr(ctx, list, "volunteers must be a list of groups: ( { id = ...; }, ... )");
        return;
    }
    int n = config_setting_length(list);
    if (n > 10000) {
        serr(ctx, list, "volunteers has %d entries (at most 10000)", n);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            serr(ctx, g, "each volunteer must be a group { id = ...; name = ...; pin_hash = ...; }");
            continue;
        }
        RkVolunteer *v = g_new0(RkVolunteer, 1);
        bool seen[RK_ELEMENTS(volunteer_schema)] = { false };
        guint before = ctx->n_errs;
        v->line = (int)config_setting_source_line(g);
        for (size_t k = 0; k < RK_ELEMENTS(volunteer_schema); k++)
            apply_default(&volunteer_schema[k], v);
        walk_group(ctx, g, "volunteers", volunteer_schema, RK_ELEMENTS(volunteer_schema), v, seen);
        for (size_t k = 0; k < RK_ELEMENTS(volunteer_schema); k++)
            if ((volunteer_schema[k].flags & F_REQUIRED) && !seen[k])
                serr(ctx, g, "volunteer entry lacks \"%s\"", volunteer_schema[k].key);
        if (ctx->n_errs != before) {
            volunteer_free(v);
            continue;
        }
        /* A crypt(3) hash starts with "$id$"; anything else would never match a PIN, and a
         * plain-text PIN in a config file must not be accepted silently. */
        if (v->pin_hash[0] != '$' || strlen(v->pin_hash) < 8) {
            serr(ctx, g, "volunteer \"%s\": pin_hash must be a crypt(3) hash (make one with: rentarkctl hash-pin)", v->id);
            volunteer_free(v);
            continue;
        }
        if (rk_config_find_volunteer(c, v->id)) {
            serr(ctx, g, "volunteer \"%s\" is listed twice", v->id);
            volunteer_free(v);
            continue;
        }
        v->declaration_day = v->declaration ? parse_date(v->declaration) : 0;
        g_ptr_array_add(c->volunteers, v);
    }
}

static bool path_within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);
    if (strcmp(outer, "/") == 0)
        return true;
    return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

static unsigned group_line(config_t *cfg, const char *path)
{
    config_setting_t *s = config_lookup(cfg, path);
    return s ? config_setting_source_line(s) : 0;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Rules that involve several keys, and the file system checks. Without check_files (an
 * offline check, tests) nothing on this machine is looked at: every rule above the return
 * depends on the values alone, and must stay so. */
static void cross_checks(Ctx *ctx, config_t *cfg, RkConfig *c, bool check_files)
{
    const char *f = ctx->name;

    if (strcmp(c->guest_user, "root") == 0)
        err(ctx, f, group_line(cfg, "guest.user"), "guest.user must not be root");
    if (strcmp(c->guest_home, "/") == 0 || strchr(c->guest_home + 1, '/') == NULL)
        err(ctx, f, group_line(cfg, "guest.home"),
            "guest.home \"%s\" must be a directory below a top-level folder, such as /home/rentark-guest", c->guest_home);
    if (path_within(c->trash_dir, c->guest_home) || path_within(c->guest_home, c->trash_dir))
        err(ctx, f, group_line(cfg, "wipe.trash_dir"), "wipe.trash_dir must be neither inside guest.home nor contain it");
    for (char **p = c->sweep; *p; p++)
        if (path_within(c->guest_home, *p) || path_within(*p, c->guest_home) || path_within(c->state_dir, *p))
            err(ctx, f, group_line(cfg, "wipe.sweep"),
                "wipe.sweep entry \"%s\" overlaps guest.home or paths.state_dir", *p);
    for (char **p = c->watch; *p; p++)
        if (strcmp(*p, "/") == 0 || path_within(*p, c->guest_home) || path_within(c->guest_home, *p))
            err(ctx, f, group_line(cfg, "wipe.watch"), "wipe.watch entry \"%s\" must not be / or overlap guest.home", *p);
    if (c->idle_timeout > 0 && c->idle_warning >= c->idle_timeout)
        err(ctx, f, group_line(cfg, "session.idle_warning"),
            "session.idle_warning (%d) must be shorter than session.idle_timeout (%d)", c->idle_warning, c->idle_timeout);
    /* WCAG 2.2.1 (timing adjustable): a patron who is warned that the session is about to end
     * must get at least 20 seconds to answer. */
    if (c->idle_timeout > 0 && c->idle_warning < RK_CONFIG_MIN_IDLE_WARNING)
        err(ctx, f, group_line(cfg, "session.idle_warning"),
            "session.idle_warning (%d) must be at least %d seconds while session.idle_timeout is set "
            "(a patron needs time to answer the countdown)", c->idle_warning, RK_CONFIG_MIN_IDLE_WARNING);
    for (guint i = 0; i < c->warnings->len; i++) {
        int w = g_array_index(c->warnings, int, i);
        if (c->time_limit > 0 && w >= c->time_limit)
            err(ctx, f, group_line(cfg, "session.warnings"),
                "session.warnings: %d is not shorter than session.time_limit (%d)", w, c->time_limit);
    }

    if (!check_files)
        return;
    if (!is_dir(c->guest_skeleton)) {
        /* The default skeleton falls back to the system one; any other must exist. */
        if (strcmp(c->guest_skeleton, RK_DEFAULT_SKELETON) == 0 && is_dir("/etc/skel")) {
            g_free(c->guest_skeleton);
            c->guest_skeleton = g_strdup("/etc/skel");
        } else {
            err(ctx, f, group_line(cfg, "guest.skeleton"), "guest.skeleton: directory \"%s\" does not exist",
                c->guest_skeleton);
        }
    }
    if (!is_dir(c->notice_dir)) {
        text_err(ctx, f, group_line(cfg, "notice.text_dir"), "notice.text_dir: directory \"%s\" does not exist",
                 c->notice_dir);
    } else {
        for (char **l = c->languages; *l; l++) {
            g_autofree char *d = g_build_filename(c->notice_dir, *l, NULL);
            if (!is_dir(d))
                text_err(ctx, f, group_line(cfg, "session.languages"),
                    "session.languages: no notice texts for \"%s\" (directory \"%s\" does not exist)", *l, d);
        }
    }
}

static int cmp_desc(gconstpointer a, gconstpointer b)
{
    return *(const int *)b - *(const int *)a;
}

/* Every group of the file against the schema. */
static void walk_root(Ctx *ctx, config_t *cfg, RkConfig *c)
{
    config_setting_t *root = config_root_setting(cfg);
    int n = config_setting_length(root);

    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
        const char *gname = config_setting_name(g);
        bool known = false;
        for (size_t j = 0; j < RK_ELEMENTS(top_groups); j++)
            known |= gname && strcmp(gname, top_groups[j]) == 0;
        if (!known) {
            serr(ctx, g, "unknown group \"%s\" (known: seat, guest, session, wipe, notice, volunteers, guided, incidents, paths, access, hours)",
                 gname ? gname : "?");
        } else if (strcmp(gname, "volunteers") == 0) {
            read_volunteers(ctx, g, c);
        } else if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            serr(ctx, g, "%s must be a group: %s = { ... };", gname, gname);
        } else {
            /* The group itself turns opening hours on, even empty (open all week). */
            if (strcmp(gname, "hours") == 0)
                c->hours.enabled = true;
            walk_group(ctx, g, gname, schema, RK_ELEMENTS(schema), c, NULL);
        }
    }
}

/* Only the keys named "group.key" in only; a group that is not one leaves its keys at their
 * defaults, as the full load would report it. */
static void walk_only(Ctx *ctx, config_t *cfg, RkConfig *c, const char *const *only)
{
    for (const char *const *name = only; *name; name++) {
        const char *dot = strchr(*name, '.');
        g_autofree char *group = dot ? g_strndup(*name, (gsize)(dot - *name)) : NULL;
        const Key *k = group ? find_key(schema, RK_ELEMENTS(schema), group, dot + 1) : NULL;
        g_return_if_fail(k != NULL);
        const config_setting_t *s = config_lookup(cfg, *name);
        if (s)
            read_key(ctx, k, s, c);
    }
}

typedef struct {
    bool check_files;        /* the skeleton and the notice texts must exist */
    const char *const *only; /* read just these keys (rk_config_load_keys), or NULL: all */
} LoadOptions;

static RkConfig *load(config_t *cfg, bool ok, const char *name, const LoadOptions *opt, GError **error)
{
    g_autoptr(RkConfig) c = g_atomic_rc_box_new0(RkConfig);
    Ctx ctx = { .name = name, .dir = cfg->include_dir, .errs = g_string_new(NULL), .texts = g_string_new(NULL) };

    c->source = g_strdup(name);
    c->volunteers = g_ptr_array_new_with_free_func(volunteer_free);
    for (size_t i = 0; i < RK_ELEMENTS(schema); i++)
        apply_default(&schema[i], c);

    if (!ok && config_error_type(cfg) == CONFIG_ERR_FILE_IO) {
        g_set_error(error, RK_CONFIG_ERROR, RK_CONFIG_ERROR_IO, "%s: cannot read the file", name);
        g_string_free(ctx.errs, TRUE);
        g_string_free(ctx.texts, TRUE);
        return NULL;
    }
    if (!ok) {
        err(&ctx, config_error_file(cfg), (unsigned)config_error_line(cfg), "syntax error: %s",
            config_error_text(cfg) ? config_error_text(cfg) : "?");
    } else if (opt->only) {
        walk_only(&ctx, cfg, c, opt->only);
    } else {
        walk_root(&ctx, cfg, c);
        if (ctx.n_errs == 0)
            cross_checks(&ctx, cfg, c, opt->check_files);
    }

    if (ctx.n_errs) {
        if (ctx.n_errs > MAX_ERRORS)
            g_string_append_printf(ctx.errs, "\n%s: ... and %u more errors", name, ctx.n_errs - MAX_ERRORS);
        g_set_error_literal(error, RK_CONFIG_ERROR, RK_CONFIG_ERROR_INVALID, ctx.errs->str);
        g_string_free(ctx.errs, TRUE);
        g_string_free(ctx.texts, TRUE);
        return NULL;
    }
    g_string_free(ctx.errs, TRUE);
    c->text_problems = ctx.texts->len ? g_string_free(ctx.texts, FALSE) : (g_string_free(ctx.texts, TRUE), NULL);
    g_array_sort(c->warnings, cmp_desc);
    g_array_sort(c->closing_warnings, cmp_desc);
    c->default_language = g_strdup(c->languages[0]);
    return g_steal_pointer(&c);
}

static RkConfig *load_file(const char *path, const LoadOptions *opt, GError **error)
{
    config_t cfg;
    config_init(&cfg);
    /* Relative @include paths resolve against the directory of the main file. */
    g_autofree char *dir = g_path_get_dirname(path);
    config_set_include_dir(&cfg, dir);
    bool ok = config_read_file(&cfg, path) == CONFIG_TRUE;
    RkConfig *c = load(&cfg, ok, path, opt, error);
    config_destroy(&cfg);
    return c;
}

RkConfig *rk_config_load_flags(const char *path, RkConfigLoadFlags flags, GError **error)
{
    const LoadOptions opt = { .check_files = !(flags & RK_CONFIG_OFFLINE) };
    return load_file(path, &opt, error);
}

RkConfig *rk_config_load(const char *path, GError **error)
{
    return rk_config_load_flags(path, 0, error);
}

RkConfig *rk_config_load_keys(const char *path, const char *const *keys, GError **error)
{
    const LoadOptions opt = { .only = keys };
    return load_file(path, &opt, error);
}

RkConfig *rk_config_load_string(const char *text, const char *name, bool check_files, GError **error)
{
    const LoadOptions opt = { .check_files = check_files };
    config_t cfg;
    config_init(&cfg);
    bool ok = config_read_string(&cfg, text) == CONFIG_TRUE;
    RkConfig *c = load(&cfg, ok, name, &opt, error);
    config_destroy(&cfg);
    return c;
}

static void config_clear(gpointer p)
{
    RkConfig *c = p;
    for (size_t i = 0; i < RK_ELEMENTS(schema); i++) {
        void *field = (char *)c + schema[i].offset;
        switch (schema[i].type) {
        case T_STR: case T_PATH: case T_SIZE: case T_USER: case T_DATE: case T_LABEL:
            g_free(*(char **)field);
            break;
        case T_PATHLIST: case T_LANGS:
            g_strfreev(*(char ***)field);
            break;
        case T_INTLIST:
            if (*(GArray **)field)
                g_array_unref(*(GArray **)field);
            break;
        case T_HOURS_EXCEPTIONS:
            hours_schedule_clear(field);
            break;
        default:
            break;
        }
    }
    g_free(c->text_problems);
    if (c->volunteers)
        g_ptr_array_unref(c->volunteers);
    g_free(c->default_language);
    g_free(c->source);
}

void rk_config_free(RkConfig *c)
{
    if (c)
        g_atomic_rc_box_release_full(c, config_clear);
}

RkConfig *rk_config_ref(RkConfig *c)
{
    return g_atomic_rc_box_acquire(c);
}

const RkVolunteer *rk_config_find_volunteer(const RkConfig *c, const char *id)
{
    for (guint i = 0; i < c->volunteers->len; i++) {
        const RkVolunteer *v = c->volunteers->pdata[i];
        if (strcmp(v->id, id) == 0)
            return v;
    }
    return NULL;
}

const char *const *rk_config_keys(void)
{
    static const char *keys[RK_ELEMENTS(schema) + RK_ELEMENTS(volunteer_schema) + 1];
    if (!keys[0]) {
        size_t n = 0;
        for (size_t i = 0; i < RK_ELEMENTS(schema); i++)
            keys[n++] = g_strdup_printf("%s.%s", schema[i].group, schema[i].key);
        for (size_t i = 0; i < RK_ELEMENTS(volunteer_schema); i++)
            keys[n++] = g_strdup_printf("volunteers.%s", volunteer_schema[i].key);
    }
    return keys;
}
