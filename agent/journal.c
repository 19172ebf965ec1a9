/* The seat journal: key=value lines, strictly parsed, written atomically and durably. */
#include "journal.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOURNAL_FILE "seat.state"
#define JOURNAL_MAX 4096

static const char *const state_names[SEAT_N_STATES] = { "READY", "NOTICE", "ACTIVE", "ENDING", "WIPING", "BLOCKED" };

const char *journal_state_name(SeatState s)
{
    return s < SEAT_N_STATES ? state_names[s] : "?";
}

int journal_state_from_name(const char *name)
{
    for (int i = 0; i < SEAT_N_STATES; i++)
        if (strcmp(state_names[i], name) == 0)
            return i;
    return -1;
}

static bool parse_i64(const char *s, int64_t *ret)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *ret = v;
    return true;
}

/* Copy a value that must be [A-Za-z0-9_-], at most size-1 bytes. */
static bool copy_word(char *dst, size_t size, const char *v)
{
    size_t n = strlen(v);
    if (n >= size)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(g_ascii_isalnum(v[i]) || v[i] == '_' || v[i] == '-'))
            return false;
    memcpy(dst, v, n + 1);
    return true;
}

int journal_load(const char *state_dir, SeatRecord *ret)
{
    g_autofree char *path = g_build_filename(state_dir, JOURNAL_FILE, NULL);
    char buf[JOURNAL_MAX + 1];
    SeatRecord r = { .state = SEAT_WIPING };
    bool have_state = false;

    *ret = r;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, JOURNAL_MAX + 1);
    if (n < 0)
        return -errno;
    if (n > JOURNAL_MAX || n == 0 || buf[n - 1] != '\n')
        return -EBADMSG; /* too long, empty, or torn: not something we wrote whole */
    buf[n] = '\0';

    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            return -EBADMSG;
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        int64_t x;
        bool ok = true;
        if (strcmp(k, "state") == 0) {
            int s = journal_state_from_name(v);
            ok = s >= 0;
            if (ok)
                r.state = (SeatState)s, have_state = true;
        } else if (strcmp(k, "session") == 0) {
            ok = copy_word(r.session, sizeof r.session, v);
        } else if (strcmp(k, "started") == 0) {
            ok = parse_i64(v, &r.started);
        } else if (strcmp(k, "accepted") == 0) {
            ok = parse_i64(v, &r.accepted);
        } else if (strcmp(k, "guided") == 0) {
            ok = parse_i64(v, &x) && x <= 1;
            r.guided = x == 1;
        } else if (strcmp(k, "volunteer") == 0) {
            ok = copy_word(r.volunteer, sizeof r.volunteer, v);
        } else if (strcmp(k, "end_reason") == 0) {
            ok = copy_word(r.end_reason, sizeof r.end_reason, v);
        } else if (strcmp(k, "last_wipe") == 0) {
            ok = parse_i64(v, &r.last_wipe);
        } else if (strcmp(k, "generation") == 0) {
            ok = parse_i64(v, &x);
            r.generation = (uint64_t)x;
        } else {
            ok = false;
        }
        if (!ok)
            return -EBADMSG;
    }
    if (!have_state)
        return -EBADMSG;
    *ret = r;
    return 0;
}

int journal_commit(const char *state_dir, SeatRecord *r)
{
    g_autofree char *path = g_build_filename(state_dir, JOURNAL_FILE, NULL);
    r->generation++;
    g_autofree char *text = g_strdup_printf("state=%s\nsession=%s\nstarted=%" G_GINT64_FORMAT "\naccepted=%" G_GINT64_FORMAT
                                            "\nguided=%d\nvolunteer=%s\nend_reason=%s\nlast_wipe=%" G_GINT64_FORMAT
                                            "\ngeneration=%" G_GUINT64_FORMAT "\n",
                                            journal_state_name(r->state), r->session, r->started, r->accepted,
                                            r->guided ? 1 : 0, r->volunteer, r->end_reason, r->last_wipe, r->generation);
    return rk_write_file_atomic(path, text, strlen(text), 0600);
}

bool journal_needs_wipe(int load_result, const SeatRecord *r)
{
    /* Only a journal we wrote ourselves saying READY proves the seat was left clean. */
    return load_result < 0 || r->state != SEAT_READY;
}
