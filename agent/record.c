/* Records: KEY=VALUE lines, one strict reader and one writer. See record.h. */
#include "record.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int record_read(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
    struct stat st;
    /* O_NONBLOCK: a FIFO planted in the state dir must not hang the daemon at open. */
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EBADF;
    g_autofree char *buf = g_malloc(max + 2);
    ssize_t len = rk_read_all(fd, buf, max + 1);
    if (len < 0)
        return (int)len;
    buf[len] = '\0';
    *ret = g_steal_pointer(&buf);
    *ret_len = (size_t)len;
    return 0;
}

static bool record_key_ok(const char *k, size_t n)
{
    if (n == 0 || n > RECORD_MAX_KEY)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(k[i]) && !strchr("_.+-", k[i]))
            return false;
    return true;
}

/* Printable bytes only: a control byte (tab, CR, escape, DEL, ...) was never written. Bytes
 * from 0x80 are allowed: an error text may be UTF-8. */
static bool record_value_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* One line (NUL-terminated, no newline) into r, or false. */
static bool record_parse_line(Record *r, char *line)
{
    char *eq = strchr(line, '=');
    if (!eq || r->n >= RECORD_MAX_FIELDS || !record_key_ok(line, (size_t)(eq - line)))
        return false;
    *eq = '\0';
    if (!record_value_ok(eq + 1))
        return false;
    for (unsigned i = 0; i < r->n; i++)
        if (strcmp(r->key[i], line) == 0)
            return false;
    r->key[r->n] = line;
    r->value[r->n++] = eq + 1;
    return true;
}

int record_parse(const char *data, size_t len, size_t max, Record *ret)
{
    memset(ret, 0, sizeof *ret);
    /* Too long, empty, torn (a record is written whole, newline last) or holding a NUL. */
    if (len > max || len == 0 || data[len - 1] != '\n' || memchr(data, '\0', len))
        return -EBADMSG;
    ret->buf = g_strndup(data, len - 1);
    char *line = ret->buf;
    for (;;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!record_parse_line(ret, line)) {
            record_clear(ret);
            return -EBADMSG;
        }
        if (!nl)
            return 0;
        line = nl + 1;
    }
}

int record_load(int dirfd, const char *name, size_t max, Record *ret)
{
    g_autofree char *data = NULL;
    size_t len = 0;
    memset(ret, 0, sizeof *ret);
    int r = record_read(dirfd, name, max, &data, &len);
    return r < 0 ? r : record_parse(data, len, max, ret);
}

void record_clear(Record *r)
{
    g_free(r->buf);
    memset(r, 0, sizeof *r);
}

bool record_has(const Record *r, const char *key)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0)
            return true;
    return false;
}

const char *record_take(Record *r, const char *key)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0) {
            r->taken[i] = true;
            return r->value[i];
        }
    return NULL;
}

bool record_take_u64(Record *r, const char *key, uint64_t max, uint64_t *ret)
{
    const char *v = record_take(r, key);
    uint64_t x = 0;
    if (!v || !*v || (v[0] == '0' && v[1]))
        return false;
    for (const char *p = v; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    if (x > max)
        return false;
    *ret = x;
    return true;
}

bool record_take_str(Record *r, const char *key, char *dst, size_t size)
{
    const char *v = record_take(r, key);
    return v && g_strlcpy(dst, v, size) < size;
}

bool record_all_taken(const Record *r)
{
    for (unsigned i = 0; i < r->n; i++)
        if (!r->taken[i])
            return false;
    return true;
}

void record_add(GString *out, const char *key, const char *value)
{
    g_return_if_fail(record_key_ok(key, strlen(key)) && record_value_ok(value));
    g_string_append_printf(out, "%s=%s\n", key, value);
}

void record_add_u64(GString *out, const char *key, uint64_t value)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, value);
    record_add(out, key, buf);
}

int record_save(const char *path, const GString *text, unsigned mode)
{
    return rk_write_file_atomic(path, text->str, text->len, mode);
}
