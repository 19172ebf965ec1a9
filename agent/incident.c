/* Incident records: one file per incident, a record (record.h) written atomically. */
#include "incident.h"

#include "record.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_RECORD 4096

static char *dir_of(const char *state_dir)
{
    return g_build_filename(state_dir, "incidents", NULL);
}

static bool valid_id(const char *id)
{
    if (strlen(id) != 16)
        return false;
    for (const char *p = id; *p; p++)
        if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
            return false;
    return true;
}

static int write_record(const char *state_dir, const Incident *inc)
{
    g_autofree char *dir = dir_of(state_dir);
    if (g_mkdir_with_parents(dir, 0700) < 0)
        return -errno;
    g_autofree char *path = g_build_filename(dir, inc->id, NULL);
    g_autoptr(GString) text = g_string_new(NULL);
    record_add(text, "id", inc->id);
    record_add_u64(text, "opened", (uint64_t)inc->opened);
    record_add_u64(text, "deadline", (uint64_t)inc->deadline);
    record_add_u64(text, "resolved", (uint64_t)inc->resolved);
    record_add(text, "session", inc->session);
    record_add(text, "what", inc->what);
    return record_save(path, text, 0600);
}

int incident_open(const char *state_dir, const char *session, const char *what, int deadline_hours, Incident *ret)
{
    Incident inc = { 0 };
    unsigned char b[8];

    if (getrandom(b, sizeof b, 0) != sizeof b)
        return -EIO;
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(inc.id + 2 * i, 3, "%02x", b[i]);
    inc.opened = (int64_t)time(NULL);
    inc.deadline = inc.opened + (int64_t)deadline_hours * 3600;
    g_strlcpy(inc.session, session ? session : "", sizeof inc.session);
    /* One line of printable bytes: a newline in `what` would start a new key, and the record
     * reader refuses any control byte. */
    g_strlcpy(inc.what, what, sizeof inc.what);
    for (char *p = inc.what; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    int r = write_record(state_dir, &inc);
    if (r == 0 && ret)
        *ret = inc;
    return r;
}

/* The record name in dirfd, strictly: every key, nothing else, and the id its name. */
static bool read_record(int dirfd, const char *name, Incident *ret)
{
    g_auto(Record) rec = { 0 };
    Incident inc = { 0 };
    uint64_t opened, deadline, resolved;

    if (record_load(dirfd, name, MAX_RECORD, &rec) < 0)
        return false;
    if (!record_take_str(&rec, "id", inc.id, sizeof inc.id) || !record_take_u64(&rec, "opened", INT64_MAX, &opened) ||
        !record_take_u64(&rec, "deadline", INT64_MAX, &deadline) ||
        !record_take_u64(&rec, "resolved", INT64_MAX, &resolved) ||
        !record_take_str(&rec, "session", inc.session, sizeof inc.session) ||
        !record_take_str(&rec, "what", inc.what, sizeof inc.what) || !record_all_taken(&rec))
        return false;
    if (strcmp(inc.id, name) != 0)
        return false;
    inc.opened = (int64_t)opened;
    inc.deadline = (int64_t)deadline;
    inc.resolved = (int64_t)resolved;
    *ret = inc;
    return true;
}

static gint by_opened(gconstpointer a, gconstpointer b)
{
    const Incident *x = *(Incident *const *)a, *y = *(Incident *const *)b;
    return x->opened < y->opened ? -1 : x->opened > y->opened;
}

GPtrArray *incident_list_open(const char *state_dir)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *dir = dir_of(state_dir);
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return out;
    int dfd = dup(fd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return out;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!valid_id(de->d_name))
            continue;
        Incident *inc = g_new0(Incident, 1);
        if (!read_record(fd, de->d_name, inc)) {
            g_strlcpy(inc->id, de->d_name, sizeof inc->id);
            g_strlcpy(inc->what, "unreadable record", sizeof inc->what);
        } else if (inc->resolved) {
            g_free(inc);
            continue;
        }
        g_ptr_array_add(out, inc);
    }
    closedir(d);
    g_ptr_array_sort(out, by_opened);
    return out;
}

int incident_resolve(const char *state_dir, const char *id)
{
    if (!valid_id(id))
        return -EINVAL;
    g_autofree char *dir = dir_of(state_dir);
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    Incident inc;
    if (!read_record(fd, id, &inc)) {
        /* An unreadable record is resolved by rewriting it whole. */
        struct stat st;
        if (fstatat(fd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return -ENOENT;
        memset(&inc, 0, sizeof inc);
        g_strlcpy(inc.id, id, sizeof inc.id);
        g_strlcpy(inc.what, "unreadable record", sizeof inc.what);
    }
    if (inc.resolved)
        return -ENOENT;
    inc.resolved = (int64_t)time(NULL);
    return write_record(state_dir, &inc);
}

gboolean incident_run_command(const char *command, const Incident *inc, GError **error)
{
    if (!command || !*command)
        return TRUE;
    g_autoptr(GDateTime) dl = g_date_time_new_from_unix_utc(inc->deadline);
    g_autofree char *deadline = dl ? g_date_time_format_iso8601(dl) : g_strdup("");
    g_auto(GStrv) env = g_get_environ();
    env = g_environ_setenv(env, "RENTARK_INCIDENT_ID", inc->id, TRUE);
    env = g_environ_setenv(env, "RENTARK_SESSION_ID", inc->session, TRUE);
    env = g_environ_setenv(env, "RENTARK_DEADLINE", deadline, TRUE);
    env = g_environ_setenv(env, "RENTARK_WHAT", inc->what, TRUE);
    const char *argv[] = { "/bin/sh", "-c", command, NULL };
    return g_spawn_async(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, error);
}
