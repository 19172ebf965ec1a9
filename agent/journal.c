/* The seat journal: one record (record.h), written atomically and durably. */
#include "journal.h"

#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#define JOURNAL_FILE "seat.state"
#define JOURNAL_MAX 4096

/* A word: [A-Za-z0-9_-], shorter than size. Session and volunteer ids and end reasons are
 * such words; anything else in their place was not written by us. Absent: stays "". */
static bool take_word(Record *rec, const char *key, char *dst, size_t size)
{
    const char *v = record_take(rec, key);
    if (!v)
        return true;
    for (const char *p = v; *p; p++)
        if (!(g_ascii_isalnum(*p) || *p == '_' || *p == '-'))
            return false;
    return g_strlcpy(dst, v, size) < size;
}

/* A time or a count. Absent: stays 0. */
static bool take_number(Record *rec, const char *key, uint64_t max, uint64_t *ret)
{
    uint64_t v = 0;
    if (record_has(rec, key) && !record_take_u64(rec, key, max, &v))
        return false;
    *ret = v;
    return true;
}

static bool journal_from_record(Record *rec, SeatRecord *r)
{
    uint64_t started, accepted, guided, last_wipe;
    SeatState state = rk_seat_state_from_name(record_take(rec, "state"));
    if (state == SEAT_N_STATES)
        return false;
    r->state = state;
    if (!take_word(rec, "session", r->session, sizeof r->session) ||
        !take_word(rec, "volunteer", r->volunteer, sizeof r->volunteer) ||
        !take_word(rec, "end_reason", r->end_reason, sizeof r->end_reason) ||
        !take_number(rec, "started", INT64_MAX, &started) || !take_number(rec, "accepted", INT64_MAX, &accepted) ||
        !take_number(rec, "guided", 1, &guided) || !take_number(rec, "last_wipe", INT64_MAX, &last_wipe) ||
        !take_number(rec, "generation", INT64_MAX, &r->generation))
        return false;
    r->started = (int64_t)started;
    r->accepted = (int64_t)accepted;
    r->guided = guided == 1;
    r->last_wipe = (int64_t)last_wipe;
    return record_all_taken(rec);
}

int journal_load(const char *state_dir, SeatRecord *ret)
{
    g_autofree char *path = g_build_filename(state_dir, JOURNAL_FILE, NULL);
    g_auto(Record) rec = { 0 };
    SeatRecord r = { .state = SEAT_WIPING };

    *ret = r;
    int e = record_load(AT_FDCWD, path, JOURNAL_MAX, &rec);
    if (e < 0)
        return e;
    if (!journal_from_record(&rec, &r))
        return -EBADMSG;
    *ret = r;
    return 0;
}

int journal_commit(const char *state_dir, SeatRecord *r)
{
    g_autofree char *path = g_build_filename(state_dir, JOURNAL_FILE, NULL);
    g_autoptr(GString) text = g_string_new(NULL);

    r->generation++;
    record_add(text, "state", rk_seat_state_name(r->state));
    record_add(text, "session", r->session);
    record_add_u64(text, "started", (uint64_t)r->started);
    record_add_u64(text, "accepted", (uint64_t)r->accepted);
    record_add_u64(text, "guided", r->guided ? 1 : 0);
    record_add(text, "volunteer", r->volunteer);
    record_add(text, "end_reason", r->end_reason);
    record_add_u64(text, "last_wipe", (uint64_t)r->last_wipe);
    record_add_u64(text, "generation", r->generation);
    return record_save(path, text, 0600);
}

bool journal_needs_wipe(int load_result, const SeatRecord *r)
{
    /* Only a journal we wrote ourselves saying READY proves the seat was left clean. */
    return load_result < 0 || r->state != SEAT_READY;
}
