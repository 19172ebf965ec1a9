/* The step-away lock's code: a keyed hash in memory, never the code. See steplock.h. */
#include "steplock.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define STEPLOCK_KEY_BYTES 32
#define STEPLOCK_HASH_BYTES 32 /* SHA-256 */

struct StepLock {
    guint8 key[STEPLOCK_KEY_BYTES];
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

/* HMAC-SHA256(key, code) into out. */
static void steplock_hash(const guint8 *key, const char *code, guint8 out[STEPLOCK_HASH_BYTES])
{
    gsize len = STEPLOCK_HASH_BYTES;
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, STEPLOCK_KEY_BYTES);

    g_hmac_update(h, (const guchar *)code, (gssize)strlen(code));
    g_hmac_get_digest(h, out, &len);
    g_hmac_unref(h);
}

StepLock *steplock_new(const char *code)
{
    if (!steplock_code_valid(code)) {
        errno = EINVAL;
        return NULL;
    }
    StepLock *lock = g_new0(StepLock, 1);
    size_t got = 0;
    while (got < sizeof lock->key) {
        ssize_t n = getrandom(lock->key + got, sizeof lock->key - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            steplock_free(lock);
            errno = e;
            return NULL;
        }
        got += (size_t)n;
    }
    steplock_hash(lock->key, code, lock->hash);
    return lock;
}

bool steplock_check(StepLock *lock, const char *code)
{
    guint8 h[STEPLOCK_HASH_BYTES];
    unsigned char d = 0;

    g_return_val_if_fail(lock, false);
    /* A malformed code is hashed as the empty string, so that it costs the same and fails. */
    steplock_hash(lock->key, steplock_code_valid(code) ? code : "", h);
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
