/* Records: the daemon's state files (the seat journal, incident records, the statistics) as
 * lines of KEY=VALUE, written whole and atomically, read by one strict reader.
 *
 * Here, in agent/, and not in common/: only rentarkd keeps state on disk; rentarkctl and the
 * session speak the socket protocol (proto.h) and never read these files, so they need not
 * link a reader of them.
 *
 * Strict means that anything the writer would not have written is refused as a whole: an
 * empty, overlong or torn file (no final newline), a NUL or another control byte, a line
 * without '=', a key outside [A-Za-z0-9_.+-] or longer than RECORD_MAX_KEY, a key twice, more
 * than RECORD_MAX_FIELDS lines; the reader of a kind then refuses keys it does not know
 * (record_all_taken) and numbers that are not plain decimals in range (record_take_u64). A
 * refused record is "not ours": each caller decides what that means (wipe first, an open
 * incident, statistics moved aside). Never logs. Any thread; a Record has one owner. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECORD_MAX_FIELDS 96
#define RECORD_MAX_KEY 64

typedef struct {
    char *buf; /* the parsed copy; keys and values point into it */
    unsigned n;
    const char *key[RECORD_MAX_FIELDS];
    const char *value[RECORD_MAX_FIELDS];
    bool taken[RECORD_MAX_FIELDS];
} Record;

/* Read the regular file name in dirfd (AT_FDCWD for a path), never through a symlink
 * (-ELOOP) and never from anything but a regular file (-EBADF): at most max + 1 bytes, so a
 * caller sees that it is too long. 0 with *ret (NUL-terminated, g_free) and *ret_len, or
 * -errno (-ENOENT when there is none). */
int record_read(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);

/* Parse len bytes of data (need not be NUL-terminated; at most max) strictly, see above.
 * 0 with *ret filled (record_clear it), or -EBADMSG with *ret empty. */
int record_parse(const char *data, size_t len, size_t max, Record *ret);

/* record_read and record_parse: 0, -EBADMSG (not a record of at most max bytes) or -errno. */
int record_load(int dirfd, const char *name, size_t max, Record *ret);

void record_clear(Record *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Record, record_clear)

/* Whether the record has key (it is not marked as taken). */
bool record_has(const Record *r, const char *key);
/* The value of key, marked as taken; NULL when the record has no such key. */
const char *record_take(Record *r, const char *key);
/* key's value as a decimal number from 0 to max: digits only, no sign, no leading zero
 * (but "0"). false when the key is missing or its value is not such a number. */
bool record_take_u64(Record *r, const char *key, uint64_t max, uint64_t *ret);
/* key's value copied into dst (NUL-terminated); false when missing or not shorter than size. */
bool record_take_str(Record *r, const char *key, char *dst, size_t size);
/* Whether every key was taken: a record with a key its reader does not know is not ours. */
bool record_all_taken(const Record *r);

/* Append the line KEY=VALUE to out. value must be one line without control bytes: the
 * writer refuses (g_return_if_fail) what the reader would. */
void record_add(GString *out, const char *key, const char *value);
void record_add_u64(GString *out, const char *key, uint64_t value);

/* Write the lines of text to path atomically and durably with mode (rk_write_file_atomic).
 * 0 or -errno. */
int record_save(const char *path, const GString *text, unsigned mode);
