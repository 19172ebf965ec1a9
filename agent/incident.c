/* Incident records: one file per incident, key=value lines, written atomically. */
#include "incident.h"

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
    g_autofree char *text = g_strdup_printf("id=%s\nopened=%" G_GINT64_FORMAT "\ndeadline=%" G_GINT64_FORMAT
                                            "\nresolved=%" G_GINT64_FORMAT "\nsession=%s\nwhat=%s\n",
                                            inc->id, inc->opened, inc->deadline, inc->resolved, inc->session, inc->what);
    return rk_write_file_atomic(path, text, strlen(text), 0600);
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
    /* One line: a newline in `what` would start a new key. */
    g_strlcpy(inc.what, what, sizeof inc.what);
    g_strdelimit(inc.what, "\n\r", ' ');
    int r = write_record(state_dir, &inc);
    if (r == 0 && ret)
        *ret = inc;
    return r;
}

static bool read_record(int dirfd, const char *name, Incident *ret)
{
    char buf[MAX_RECORD + 1];
    Incident inc = { 0 };
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, MAX_RECORD + 1);
    if (n <= 0 || n > MAX_RECORD)
        return false;
    buf[n] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            return false;
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(line, "id") == 0)
            g_strlcpy(inc.id, v, sizeof inc.id);
        else if (strcmp(line, "opened") == 0)
            inc.opened = g_ascii_strtoll(v, NULL, 10);
        else if (strcmp(line, "deadline") == 0)
            inc.deadline = g_ascii_strtoll(v, NULL, 10);
        else if (strcmp(line, "resolved") == 0)
            inc.resolved = g_ascii_strtoll(v, NULL, 10);
        else if (strcmp(line, "session") == 0)
            g_strlcpy(inc.session, v, sizeof inc.session);
        else if (strcmp(line, "what") == 0)
            g_strlcpy(inc.what, v, sizeof inc.what);
    }
    if (strcmp(inc.id, name) != 0)
        return false;
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
