/* Tests of the one record reader and writer (agent/record.c) and of its three users' files:
 * what the reader refuses, the seat journal (a journal of an earlier version still loads; a
 * record it would not have written does not), and incident records (strict: an unknown key
 * makes an unreadable record, which counts as an open incident). */
#include "incident.h"
#include "journal.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static char *tmp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *d = g_dir_make_tmp("rk-record.XXXXXX", &error);
    g_assert_no_error(error);
    return d;
}

static void rm_tree(const char *dir)
{
    const char *argv[] = { "rm", "-rf", "--", dir, NULL };
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL));
}

static int parse(const char *text)
{
    g_auto(Record) r = { 0 };
    return record_parse(text, strlen(text), 4096, &r);
}

static void test_parse(void)
{
    g_auto(Record) r = { 0 };
    const char *ok = "a=1\nb.c+d-e_F=two words\nempty=\n";
    g_assert_cmpint(record_parse(ok, strlen(ok), 4096, &r), ==, 0);
    g_assert_true(record_has(&r, "a"));
    uint64_t v = 0;
    g_assert_true(record_take_u64(&r, "a", 1, &v));
    g_assert_cmpuint(v, ==, 1);
    g_assert_false(record_all_taken(&r));
    g_assert_cmpstr(record_take(&r, "b.c+d-e_F"), ==, "two words");
    char small[4];
    g_assert_false(record_take_str(&r, "missing", small, sizeof small));
    g_assert_true(record_take_str(&r, "empty", small, sizeof small));
    g_assert_true(record_all_taken(&r));

    const char *const bad[] = {
        "",                    /* empty */
        "a=1",                 /* torn: no final newline */
        "a=1\na=2\n",          /* a key twice */
        "a\n",                 /* no '=' */
        "=1\n",                /* no key */
        "a b=1\n",             /* a key with a space */
        "a=1\n\nb=2\n",        /* an empty line */
        "a=1\r\n",             /* a control byte */
        "a=\tx\n",
        "a=\x7f\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_cmpint(parse(bad[i]), ==, -EBADMSG);
    g_assert_cmpint(record_parse("a=1\0b\n", 6, 4096, &(Record){ 0 }), ==, -EBADMSG);
    g_assert_cmpint(record_parse("a=1\n", 4, 3, &(Record){ 0 }), ==, -EBADMSG); /* longer than max */

    const char *nums = "z=0\nmax=18446744073709551615\nlz=01\nsign=+1\nover=18446744073709551616\nbig=2\n";
    g_auto(Record) n = { 0 };
    g_assert_cmpint(record_parse(nums, strlen(nums), 4096, &n), ==, 0);
    g_assert_true(record_take_u64(&n, "z", 0, &v) && v == 0);
    g_assert_true(record_take_u64(&n, "max", UINT64_MAX, &v) && v == UINT64_MAX);
    g_assert_false(record_take_u64(&n, "lz", UINT64_MAX, &v));
    g_assert_false(record_take_u64(&n, "sign", UINT64_MAX, &v));
    g_assert_false(record_take_u64(&n, "over", UINT64_MAX, &v));
    g_assert_false(record_take_u64(&n, "big", 1, &v));
}

static void test_read(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *file = g_build_filename(dir, "f", NULL);
    g_autofree char *link = g_build_filename(dir, "l", NULL);
    g_autofree char *fifo = g_build_filename(dir, "p", NULL);
    g_auto(Record) r = { 0 };
    g_assert_true(g_file_set_contents(file, "a=1\n", -1, NULL));
    g_assert_cmpint(symlink(file, link), ==, 0);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_cmpint(record_load(AT_FDCWD, file, 100, &r), ==, 0);
    g_assert_cmpint(record_load(AT_FDCWD, link, 100, &(Record){ 0 }), ==, -ELOOP);
    g_assert_cmpint(record_load(AT_FDCWD, fifo, 100, &(Record){ 0 }), ==, -EBADF);
    g_assert_cmpint(record_load(AT_FDCWD, dir, 100, &(Record){ 0 }), ==, -EBADF);
    g_assert_cmpint(record_load(AT_FDCWD, file, 3, &(Record){ 0 }), ==, -EBADMSG);
    g_autofree char *none = g_build_filename(dir, "none", NULL);
    g_assert_cmpint(record_load(AT_FDCWD, none, 100, &(Record){ 0 }), ==, -ENOENT);
    rm_tree(dir);
}

static void write_journal(const char *dir, const char *text)
{
    g_autofree char *path = g_build_filename(dir, "seat.state", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_journal(void)
{
    g_autofree char *dir = tmp_dir();
    SeatRecord r = { .state = SEAT_ACTIVE, .started = 1790000000, .guided = true, .last_wipe = 1789999999 };
    g_strlcpy(r.session, "0123abcd", sizeof r.session);
    g_strlcpy(r.volunteer, "kari", sizeof r.volunteer);
    g_assert_cmpint(journal_commit(dir, &r), ==, 0);
    SeatRecord back;
    g_assert_cmpint(journal_load(dir, &back), ==, 0);
    g_assert_cmpint(back.state, ==, SEAT_ACTIVE);
    g_assert_cmpstr(back.session, ==, "0123abcd");
    g_assert_cmpstr(back.volunteer, ==, "kari");
    g_assert_true(back.guided);
    g_assert_cmpint(back.started, ==, 1790000000);
    g_assert_cmpuint(back.generation, ==, 1);

    /* Written by an earlier version after a crash: "recovery", not "crash_recovery". */
    write_journal(dir, "state=WIPING\nsession=ab\nstarted=1\naccepted=0\nguided=0\nvolunteer=\n"
                       "end_reason=recovery\nlast_wipe=0\ngeneration=7\n");
    g_assert_cmpint(journal_load(dir, &back), ==, 0);
    g_assert_cmpstr(back.end_reason, ==, "recovery");
    g_assert_true(journal_needs_wipe(0, &back));

    const char *const bad[] = {
        "state=READY\nstate=READY\n",         /* a key twice */
        "state=READY\nname=x\n",              /* a key we never write */
        "state=CLEAN\n",                      /* no such state */
        "session=ab\n",                       /* no state */
        "state=READY\nguided=2\n",            /* out of range */
        "state=READY\nstarted=-1\n",
        "state=READY\nvolunteer=a b\n",       /* not a word */
        "state=READY",                        /* torn */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        write_journal(dir, bad[i]);
        g_assert_cmpint(journal_load(dir, &back), ==, -EBADMSG);
        /* The safe assumption: wipe first. */
        g_assert_cmpint(back.state, ==, SEAT_WIPING);
        g_assert_true(journal_needs_wipe(-EBADMSG, &back));
    }
    rm_tree(dir);
}

static void test_incidents(void)
{
    g_autofree char *dir = tmp_dir();
    Incident inc;
    Incident draft = { .session = "cafe", .what = "step \"census\"\tfailed\nfiles 3", .step = "census",
                       .classes = "home=2,files=3", .objects = 5, .patrons = 1, .guided = true };
    g_assert_cmpint(incident_open(dir, &draft, 72, &inc), ==, 0);
    g_autoptr(GPtrArray) open = incident_list_open(dir);
    g_assert_cmpuint(open->len, ==, 1);
    Incident *got = open->pdata[0];
    g_assert_cmpstr(got->id, ==, inc.id);
    /* Control bytes became spaces: the record is one line per key. */
    g_assert_cmpstr(got->what, ==, "step \"census\" failed files 3");
    g_assert_cmpint(got->deadline, ==, got->opened + 72 * 3600);

    /* A record with a key the daemon never writes is unreadable, and unreadable counts as open
     * (it may hide a breach); resolving rewrites it whole. */
    g_autofree char *path = g_build_filename(dir, "incidents", inc.id, NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_autofree char *more = g_strconcat(text, "extra=1\n", NULL);
    g_assert_true(g_file_set_contents(path, more, -1, NULL));
    g_autoptr(GPtrArray) again = incident_list_open(dir);
    g_assert_cmpuint(again->len, ==, 1);
    g_assert_cmpstr(((Incident *)again->pdata[0])->what, ==, "unreadable record");
    g_assert_cmpint(incident_resolve(dir, inc.id), ==, 0);
    g_autoptr(GPtrArray) none = incident_list_open(dir);
    g_assert_cmpuint(none->len, ==, 0);
    g_assert_cmpint(incident_resolve(dir, inc.id), ==, -ENOENT);
    rm_tree(dir);
}

/* The breach register: Art. 33(3)'s facts round-trip; a retry and its verification are
 * counted; closing needs a valid note, records who and when, and never erases the record; a
 * record of the release before the register (no such keys) still loads. */
static void test_register(void)
{
    g_autofree char *dir = tmp_dir();
    Incident inc, got;
    Incident draft = { .session = "0123456789abcdef0123456789abcdef", .what = "wipe not verified", .step = "census",
                       .classes = "home=2,ipc=1", .objects = 3, .patrons = 2, .guided = true };
    g_assert_cmpint(incident_open(dir, &draft, 72, &inc), ==, 0);
    g_assert_cmpint(incident_get(dir, inc.id, &got), ==, 0);
    g_assert_cmpstr(got.step, ==, "census");
    g_assert_cmpstr(got.classes, ==, "home=2,ipc=1");
    g_assert_cmpuint(got.objects, ==, 3);
    g_assert_cmpuint(got.patrons, ==, 2);
    g_assert_true(got.guided);
    g_assert_cmpuint(got.n_notes, ==, 0);
    g_assert_cmpint(incident_get(dir, "not-an-id", &got), ==, -EINVAL);
    g_assert_cmpint(incident_get(dir, "0000000000000000", &got), ==, -ENOENT);

    /* Two retries, the second verified; another session's incident is not touched. */
    g_assert_cmpint(incident_note_retry(dir, draft.session, false), ==, 1);
    g_assert_cmpint(incident_note_retry(dir, draft.session, true), ==, 1);
    g_assert_cmpint(incident_note_retry(dir, "ffffffffffffffffffffffffffffffff", true), ==, 0);
    g_assert_cmpint(incident_get(dir, inc.id, &got), ==, 0);
    g_assert_cmpuint(got.retries, ==, 2);
    g_assert_cmpint(got.verified, >=, got.opened);

    /* Notes: one line of UTF-8 text, not empty, not too long. */
    g_assert_false(incident_note_valid(""));
    g_assert_false(incident_note_valid("   "));
    g_assert_false(incident_note_valid("two\nlines"));
    g_assert_false(incident_note_valid("bad \xff byte"));
    g_autofree char *longnote = g_strnfill(INCIDENT_NOTE_MAX + 1, 'x');
    g_assert_false(incident_note_valid(longnote));
    g_assert_true(incident_note_valid("Sjekket: disken var full; ryddet, slettet på nytt ✓"));
    g_assert_cmpint(incident_close(dir, inc.id, "kari", "two\nlines"), ==, -EINVAL);
    g_assert_cmpint(incident_close(dir, inc.id, "kari", "Sjekket: disken var full; ryddet, slettet på nytt ✓"), ==, 0);
    g_assert_cmpint(incident_close(dir, inc.id, "kari", "again"), ==, -ENOENT);
    g_assert_cmpint(incident_get(dir, inc.id, &got), ==, 0);
    g_assert_cmpint(got.resolved, >=, got.opened);
    g_assert_cmpuint(got.n_notes, ==, 1);
    g_assert_cmpstr(got.notes[0].by, ==, "kari");
    g_assert_cmpstr(got.notes[0].text, ==, "Sjekket: disken var full; ryddet, slettet på nytt ✓");
    g_autoptr(GPtrArray) open = incident_list(dir, false);
    g_autoptr(GPtrArray) all = incident_list(dir, true);
    g_assert_cmpuint(open->len, ==, 0);
    g_assert_cmpuint(all->len, ==, 1);

    /* A record as the release before the register wrote it. */
    g_autofree char *old = g_build_filename(dir, "incidents", "00000000000000aa", NULL);
    g_assert_true(g_file_set_contents(old, "id=00000000000000aa\nopened=100\ndeadline=259300\nresolved=0\n"
                                           "session=cafe\nwhat=wipe not verified\n", -1, NULL));
    g_assert_cmpint(incident_get(dir, "00000000000000aa", &got), ==, 0);
    g_assert_cmpuint(got.patrons, ==, 0);
    g_assert_cmpstr(got.classes, ==, "");
    g_assert_cmpint(incident_resolve(dir, "00000000000000aa"), ==, 0);
    g_assert_cmpint(incident_get(dir, "00000000000000aa", &got), ==, 0);
    g_assert_cmpuint(got.n_notes, ==, 1);
    g_assert_cmpstr(got.what, ==, "wipe not verified");
    rm_tree(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/record/parse", test_parse);
    g_test_add_func("/record/read", test_read);
    g_test_add_func("/record/journal", test_journal);
    g_test_add_func("/record/incidents", test_incidents);
    g_test_add_func("/record/register", test_register);
    return g_test_run();
}
