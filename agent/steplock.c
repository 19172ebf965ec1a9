/* The step-away lock's code: a keyed hash in memory, never the code. See steplock.h. */
#include "steplock.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define STEPLOCK_KEY_BYTES 32
#define STEPLOCK_HASH_BYTES 32 /* SHA-256 */

struct StepLock {
    guint8 key[STEPLOCK_KEY_BYTES];
    /* The hash is taken of the code masked with these random bytes, never of the code: GLib's
     * hash keeps its input in buffers it frees without wiping, and a freed buffer must not
     * hold the code. */
    guint8 mask[STEPLOCK_MAX_DIGITS];
    guint8 hash[STEPLOCK_HASH_BYTES];
    int wrong;
};

bool steplock_code_valid(const char *code)
{
    size_t n = 0;

    if (!code)
        return false;
    for (; code[n]; n++)
        if (code[n] < '0' || code[n] > '9' || n >= STEPLOCK_MAX_DIGITS)
            return false;
    return n >= STEPLOCK_MIN_DIGITS;
}

/* HMAC-SHA256(key, code XOR mask) into out; code has at most STEPLOCK_MAX_DIGITS bytes. */
static void steplock_hash(const StepLock *lock, const char *code, guint8 out[STEPLOCK_HASH_BYTES])
{
    guint8 masked[STEPLOCK_MAX_DIGITS];
    size_t n = strnlen(code, STEPLOCK_MAX_DIGITS);
    gsize len = STEPLOCK_HASH_BYTES;
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, lock->key, STEPLOCK_KEY_BYTES);

    for (size_t i = 0; i < n; i++)
        masked[i] = (guint8)code[i] ^ lock->mask[i];
    g_hmac_update(h, masked, (gssize)n);
    g_hmac_get_digest(h, out, &len);
    g_hmac_unref(h);
    explicit_bzero(masked, sizeof masked);
}

/* Fill buf with random bytes; 0 or a negative errno. */
static int random_bytes(guint8 *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = getrandom(buf + got, size - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        got += (size_t)n;
    }
    return 0;
}

StepLock *steplock_new(const char *code)
{
    if (!steplock_code_valid(code)) {
        errno = EINVAL;
        return NULL;
    }
    StepLock *lock = g_new0(StepLock, 1);
    int r = random_bytes(lock->key, sizeof lock->key);
    if (r == 0)
        r = random_bytes(lock->mask, sizeof lock->mask);
    if (r < 0) {
        steplock_free(lock);
        errno = -r;
        return NULL;
    }
    steplock_hash(lock, code, lock->hash);
    return lock;
}

bool steplock_check(StepLock *lock, const char *code)
{
    guint8 h[STEPLOCK_HASH_BYTES];
    unsigned char d = 0;

    g_return_val_if_fail(lock, false);
    /* A malformed code is hashed as the empty string, so that it costs the same and fails. */
    steplock_hash(lock, steplock_code_valid(code) ? code : "", h);
    for (size_t i = 0; i < sizeof h; i++)
        d |= (unsigned char)(h[i] ^ lock->hash[i]);
    explicit_bzero(h, sizeof h);
    if (d == 0 && steplock_code_valid(code))
        return true;
    lock->wrong++;
    return false;
}

int steplock_wrong(const StepLock *lock)
{
    return lock ? lock->wrong : 0;
}

int steplock_tries_left(const StepLock *lock)
{
    return lock ? MAX(STEPLOCK_MAX_WRONG - lock->wrong, 0) : 0;
}

void steplock_free(StepLock *lock)
{
    if (!lock)
        return;
    explicit_bzero(lock, sizeof *lock);
    g_free(lock);
}
