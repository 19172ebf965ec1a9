/* rentark configuration: the whole schema of DESIGN.md, loaded from a libconfig file.
 *
 * rk_config_load() reads a file, checks every setting against the schema (unknown keys, types,
 * ranges, cross-field rules, required files) and returns a fully defaulted RkConfig, or NULL
 * with a GError whose message holds one "FILE:LINE: message" line per problem (all problems,
 * not only the first). The returned config is owned by the caller (rk_config_free). No logging. */
#pragma once

#include "hours.h"

#include <glib.h>
#include <stdbool.h>

typedef enum {
    RK_WIPE_DISK,  /* home renamed into the trash dir, fresh home from the skeleton */
    RK_WIPE_TMPFS, /* home is a size-limited tmpfs mounted at session start */
} RkWipeStrategy;

#define RK_MODULES_MAX 8 /* the municipal privacy-competence programme has 8 modules */
#define RK_CONFIG_MAX_LIST 64 /* entries in any list setting */
#define RK_CONFIG_MAX_WARNING (7 * 24 * 3600) /* seconds: the longest session.warnings entry */
#define RK_CONFIG_MAX_EXTEND_BY (7 * 24 * 3600) /* seconds: the largest session.extend_by */
#define RK_CONFIG_MAX_EXTENDS 1000 /* the largest session.max_extends */
/* WCAG 2.2.1: at least 20 s to react to a warning that the session will end. */
#define RK_CONFIG_MIN_IDLE_WARNING 20
/* seat.name: characters (not bytes). A label on a small line of the screen, not a text. */
#define RK_CONFIG_MAX_SEAT_NAME 64

typedef struct {
    char *id;          /* login-like identifier, unique */
    char *name;        /* display name shown to the patron */
    char *pin_hash;    /* crypt(3) hash of the PIN */
    char *declaration; /* YYYY-MM-DD the confidentiality declaration was signed, or NULL */
    guint32 declaration_day; /* GDate julian day of declaration, 0 if none */
    guint modules;     /* bit n set: training module n (1..8) completed */
    int line;          /* line in the config file, for messages */
} RkVolunteer;

typedef struct {
    char *source; /* the file it came from */

    /* seat */
    char *seat_name; /* what patrons and staff call this PC, shown on its screens; NULL = none */

    /* guest */
    char *guest_user;
    char *guest_home;
    char *guest_skeleton; /* resolved: the configured dir, or /etc/skel fallback */
    gboolean guest_create;
    char *guest_shell;

    /* session (all durations in seconds, 0 = off) */
    int time_limit;
    int idle_timeout;
    int idle_warning;
    GArray *warnings; /* int seconds before the time limit, sorted descending */
    char **languages; /* NULL-terminated, first is the default */
    char *default_language;
    int idle_report_interval;
    int extend_by;   /* seconds a patron's `extend` adds to the time limit, 0 = no extending */
    int max_extends; /* extensions per session */
    gboolean start_on_first_input; /* the time limit starts at the first input after accept */
    int first_input_wait; /* seconds an accepted session waits for that input, then the notice */
    int step_away_max;    /* seconds the patron's step-away lock may last, 0 = no lock */

    /* wipe */
    RkWipeStrategy strategy;
    char *tmpfs_size; /* tmpfs "size=" option value: 512M, 2G, 25% */
    char *trash_dir;
    char **sweep;     /* folders swept for files of the guest uid */
    char **watch;     /* folders watched with inotify during a session */
    char **census_mounts; /* mount points the census searches; empty: every local writable fs */
    gboolean at_boot;
    int verify_retry; /* seconds between verify retries */

    /* notice */
    char *notice_dir;
    gboolean screen_reader; /* the session client starts a screen reader at the notice */
    /* "FILE:LINE: message" lines about missing patron texts, or NULL. Not a load error: the
     * wipe runs without texts; the seat stays closed and --check-config fails. */
    char *text_problems;

    /* volunteers */
    GPtrArray *volunteers; /* RkVolunteer* */

    /* guided */
    gboolean guided_enabled;
    guint required_modules; /* bit mask as RkVolunteer.modules */
    int declaration_validity_days; /* 0 = never expires */

    /* incidents */
    char *incident_command; /* run with sh -c, may be NULL */
    int report_deadline_hours;

    /* paths */
    char *state_dir;
    char *socket;
    char *metrics_file; /* Prometheus textfile, NULL = none */
    char *run_user_dir;
    char *cups_spool;
    char *cups_server;  /* the CUPS server's unix socket, NULL = ask no server (spool only) */
    char **crash_dirs;
    char *journal_dir;

    /* access */
    char *admin_group;
    char *volunteer_group;

    /* hours: the library's opening hours. hours.enabled only when the file has an `hours`
     * group; without one the seat is always open, as before opening hours existed. */
    HoursSchedule hours;
    GArray *closing_warnings; /* int seconds before closing (hours.warnings), sorted descending */
} RkConfig;

#define RK_CONFIG_DEFAULT_PATH "/etc/rentark/rentark.conf"

#define RK_CONFIG_ERROR (rk_config_error_quark())
GQuark rk_config_error_quark(void);
typedef enum { RK_CONFIG_ERROR_IO, RK_CONFIG_ERROR_INVALID } RkConfigError;

/* Load and validate path. */
RkConfig *rk_config_load(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

typedef enum {
    /* Check every value, but look at nothing of this machine: no folder the file names must
     * exist (skeleton, notice texts per language; guest.skeleton keeps its configured value,
     * without the /etc/skel fallback) and text_problems stays NULL. For checking a file
     * before it is deployed (CI, configuration management). Files the configuration itself
     * pulls in with @include are still read: they hold settings. */
    RK_CONFIG_OFFLINE = 1 << 0,
} RkConfigLoadFlags;

/* rk_config_load() with flags (0: as rk_config_load). */
RkConfig *rk_config_load_flags(const char *path, RkConfigLoadFlags flags, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Load and validate text as if it were the file `name` (for tests and fuzzing).
 * check_files=false skips the checks that look at the file system (skeleton, notice dir). */
RkConfig *rk_config_load_string(const char *text, const char *name, bool check_files,
                                GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* A config is reference-counted (a reload must not free it under a running wipe):
 * rk_config_free drops one reference, rk_config_ref adds one. Thread-safe. */
void rk_config_free(RkConfig *c);
RkConfig *rk_config_ref(RkConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RkConfig, rk_config_free)

/* Read only the settings named in keys ("paths.socket", ...; NULL-terminated, each one of
 * rk_config_keys() outside the volunteers) from the file at path, each checked as
 * rk_config_load() checks it ("FILE:LINE: message" errors); every other setting keeps its
 * default, and the rest of the file is not looked at (no unknown-key, cross-field or file
 * system checks), though it must still parse. For the clients, which need a setting or two of
 * a file whose other settings are the daemon's. RK_CONFIG_ERROR_IO when the file cannot be
 * read. */
RkConfig *rk_config_load_keys(const char *path, const char *const *keys, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* A language code as session.languages allows it: 2 or 3 lower case letters. It becomes a
 * folder name below notice.text_dir, so nothing else may pass. */
bool rk_config_valid_language(const char *s);

/* A seat.name as the schema allows it: valid UTF-8 of at most RK_CONFIG_MAX_SEAT_NAME
 * characters, none of them a control character or a line or paragraph separator (it is one
 * line on a screen, in a status reply and in a metrics label). "" is valid: no name. */
bool rk_config_valid_seat_name(const char *s);

/* The volunteer with this id, or NULL. */
const RkVolunteer *rk_config_find_volunteer(const RkConfig *c, const char *id);

/* Every key the schema knows, as "group.key" (NULL-terminated, static); used by the test that
 * checks the shipped config documents every key. */
const char *const *rk_config_keys(void);
