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

#define MAX_RECORD 16384

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

/* One line of printable bytes: a newline in a value would start a new key, and the record
 * reader refuses any control byte. */
static void copy_line(char *dst, const char *src, size_t size)
{
    g_strlcpy(dst, src ? src : "", size);
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
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
    record_add(text, "step", inc->step);
    record_add(text, "classes", inc->classes);
    record_add_u64(text, "objects", inc->objects);
    record_add_u64(text, "patrons", inc->patrons);
    record_add_u64(text, "guided", inc->guided);
    record_add_u64(text, "retries", inc->retries);
    record_add_u64(text, "verified", (uint64_t)inc->verified);
    record_add_u64(text, "notes", inc->n_notes);
    for (unsigned i = 0; i < inc->n_notes && i < INCIDENT_MAX_NOTES; i++) {
        char k[32];
        snprintf(k, sizeof k, "note.%u.at", i), record_add_u64(text, k, (uint64_t)inc->notes[i].at);
        snprintf(k, sizeof k, "note.%u.by", i), record_add(text, k, inc->notes[i].by);
        snprintf(k, sizeof k, "note.%u.text", i), record_add(text, k, inc->notes[i].text);
    }
    return record_save(path, text, 0600);
}

int incident_open(const char *state_dir, const Incident *draft, int deadline_hours, Incident *ret)
{
    Incident inc = { 0 };
    unsigned char b[8];

    if (getrandom(b, sizeof b, 0) != sizeof b)
        return -EIO;
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(inc.id + 2 * i, 3, "%02x", b[i]);
    inc.opened = (int64_t)time(NULL);
    inc.deadline = inc.opened + (int64_t)deadline_hours * 3600;
    copy_line(inc.session, draft->session, sizeof inc.session);
    copy_line(inc.what, draft->what, sizeof inc.what);
    copy_line(inc.step, draft->step, sizeof inc.step);
    copy_line(inc.classes, draft->classes, sizeof inc.classes);
    inc.objects = draft->objects;
    inc.patrons = draft->patrons;
    inc.guided = draft->guided;
    int r = write_record(state_dir, &inc);
    if (r == 0 && ret)
        *ret = inc;
    return r;
}

/* An optional number (records of releases before the register lack it): 0 when missing. */
static bool take_opt_u64(Record *rec, const char *key, uint64_t max, uint64_t *ret)
{
    *ret = 0;
    return !record_has(rec, key) || record_take_u64(rec, key, max, ret);
}

static bool take_opt_str(Record *rec, const char *key, char *dst, size_t size)
{
    dst[0] = '\0';
    return !record_has(rec, key) || record_take_str(rec, key, dst, size);
}

/* The record name in dirfd, strictly: every key, nothing else, and the id its name. */
static bool read_record(int dirfd, const char *name, Incident *ret)
{
    g_auto(Record) rec = { 0 };
    Incident inc = { 0 };
    uint64_t opened, deadline, resolved, guided, verified, notes;

    if (record_load(dirfd, name, MAX_RECORD, &rec) < 0)
        return false;
    if (!record_take_str(&rec, "id", inc.id, sizeof inc.id) || !record_take_u64(&rec, "opened", INT64_MAX, &opened) ||
        !record_take_u64(&rec, "deadline", INT64_MAX, &deadline) ||
        !record_take_u64(&rec, "resolved", INT64_MAX, &resolved) ||
        !record_take_str(&rec, "session", inc.session, sizeof inc.session) ||
        !record_take_str(&rec, "what", inc.what, sizeof inc.what) ||
        !take_opt_str(&rec, "step", inc.step, sizeof inc.step) ||
        !take_opt_str(&rec, "classes", inc.classes, sizeof inc.classes) ||
        !take_opt_u64(&rec, "objects", UINT64_MAX, &inc.objects) ||
        !take_opt_u64(&rec, "patrons", UINT64_MAX, &inc.patrons) || !take_opt_u64(&rec, "guided", 1, &guided) ||
        !take_opt_u64(&rec, "retries", UINT64_MAX, &inc.retries) ||
        !take_opt_u64(&rec, "verified", INT64_MAX, &verified) ||
        !take_opt_u64(&rec, "notes", INCIDENT_MAX_NOTES, &notes))
        return false;
    for (unsigned i = 0; i < notes; i++) {
        char k[32];
        uint64_t at;
        IncidentNote *n = &inc.notes[i];
        snprintf(k, sizeof k, "note.%u.at", i);
        if (!record_take_u64(&rec, k, INT64_MAX, &at))
            return false;
        n->at = (int64_t)at;
        snprintf(k, sizeof k, "note.%u.by", i);
        if (!record_take_str(&rec, k, n->by, sizeof n->by))
            return false;
        snprintf(k, sizeof k, "note.%u.text", i);
        if (!record_take_str(&rec, k, n->text, sizeof n->text))
            return false;
    }
    if (!record_all_taken(&rec) || strcmp(inc.id, name) != 0)
        return false;
    inc.opened = (int64_t)opened;
    inc.deadline = (int64_t)deadline;
    inc.resolved = (int64_t)resolved;
    inc.guided = guided != 0;
    inc.verified = (int64_t)verified;
    inc.n_notes = (unsigned)notes;
    *ret = inc;
    return true;
}

static gint by_opened(gconstpointer a, gconstpointer b)
{
    const Incident *x = *(Incident *const *)a, *y = *(Incident *const *)b;
    if (x->opened != y->opened)
        return x->opened < y->opened ? -1 : 1;
    return strcmp(x->id, y->id);
}

GPtrArray *incident_list(const char *state_dir, bool include_closed)
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
            memset(inc, 0, sizeof *inc);
            g_strlcpy(inc->id, de->d_name, sizeof inc->id);
            g_strlcpy(inc->what, "unreadable record", sizeof inc->what);
        } else if (inc->resolved && !include_closed) {
            g_free(inc);
            continue;
        }
        g_ptr_array_add(out, inc);
    }
    closedir(d);
    g_ptr_array_sort(out, by_opened);
    return out;
}

GPtrArray *incident_list_open(const char *state_dir)
{
    return incident_list(state_dir, false);
}

int incident_get(const char *state_dir, const char *id, Incident *ret)
{
    if (!valid_id(id))
        return -EINVAL;
    g_autofree char *dir = dir_of(state_dir);
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    struct stat st;
    if (fstatat(fd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -ENOENT;
    return read_record(fd, id, ret) ? 0 : -EBADMSG;
}

bool incident_note_valid(const char *note)
{
    if (!note || !*note || strlen(note) > INCIDENT_NOTE_MAX || !g_utf8_validate(note, -1, NULL))
        return false;
    bool visible = false;
    for (const char *p = note; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
            return false;
        visible |= !g_unichar_isspace(c);
    }
    return visible;
}

int incident_close(const char *state_dir, const char *id, const char *by, const char *note)
{
    Incident inc;

    if (!valid_id(id) || !incident_note_valid(note))
        return -EINVAL;
    int r = incident_get(state_dir, id, &inc);
    if (r == -EBADMSG) {
        /* An unreadable record is closed by rewriting it whole: what it said is lost, which
         * the note and the log say; the file is kept as the register's entry. */
        memset(&inc, 0, sizeof inc);
        g_strlcpy(inc.id, id, sizeof inc.id);
        g_strlcpy(inc.what, "unreadable record", sizeof inc.what);
    } else if (r < 0) {
        return r;
    }
    if (inc.resolved)
        return -ENOENT;
    if (inc.n_notes >= INCIDENT_MAX_NOTES)
        return -ENOSPC;
    IncidentNote *n = &inc.notes[inc.n_notes++];
    n->at = (int64_t)time(NULL);
    copy_line(n->by, by && *by ? by : "?", sizeof n->by);
    copy_line(n->text, note, sizeof n->text);
    inc.resolved = n->at;
    return write_record(state_dir, &inc);
}

int incident_resolve(const char *state_dir, const char *id)
{
    return incident_close(state_dir, id, "admin", "closed with rentarkctl resolve (no note given)");
}

int incident_note_retry(const char *state_dir, const char *session, bool verified)
{
    g_autoptr(GPtrArray) open = incident_list(state_dir, false);
    int n = 0;

    if (!session || !*session)
        return 0;
    for (guint i = 0; i < open->len; i++) {
        Incident *inc = open->pdata[i];
        if (strcmp(inc->session, session) != 0)
            continue;
        inc->retries++;
        if (verified && !inc->verified)
            inc->verified = (int64_t)time(NULL);
        int r = write_record(state_dir, inc);
        if (r < 0)
            return r;
        n++;
    }
    return n;
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
