/* The step-away lock's code (agent/steplock.c): which codes are valid, the right code and the
 * wrong ones, their count, and that the code itself never reaches the hash library (whose
 * freed buffers are not wiped): this file defines g_hmac_update, which the linker prefers to
 * GLib's for the lock's calls, records every byte handed to it and passes them on. */
#include "steplock.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

static GByteArray *seen; /* every byte the lock gave g_hmac_update, in order */

void g_hmac_update(GHmac *hmac, const guchar *data, gssize length)
{
    static void (*real)(GHmac *, const guchar *, gssize);
    if (!real)
        real = (void (*)(GHmac *, const guchar *, gssize))dlsym(RTLD_NEXT, "g_hmac_update");
    g_assert_nonnull(real);
    if (seen)
        g_byte_array_append(seen, data, length < 0 ? (guint)strlen((const char *)data) : (guint)length);
    real(hmac, data, length);
}

static void test_valid(void)
{
    const char *good[] = { "0000", "1234", "48213579", "99999999", "00001" };
    const char *bad[] = { NULL, "", "123", "123456789", "12a4", " 1234", "1234 ", "1234\n", "-1234", "１２３４" };
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_true(steplock_code_valid(good[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(steplock_code_valid(bad[i]));
        errno = 0;
        g_assert_null(steplock_new(bad[i]));
        g_assert_cmpint(errno, ==, EINVAL);
    }
}

static void test_right_and_wrong(void)
{
    g_autoptr(StepLock) lock = steplock_new("4821");
    g_assert_nonnull(lock);
    g_assert_cmpint(steplock_tries_left(lock), ==, STEPLOCK_MAX_WRONG);
    g_assert_true(steplock_check(lock, "4821"));
    g_assert_cmpint(steplock_wrong(lock), ==, 0);
    /* Wrong: another code, a prefix, a longer code, a malformed one, none. */
    const char *wrong[] = { "4822", "482", "48210", "4821 ", NULL };
    for (gsize i = 0; i < G_N_ELEMENTS(wrong); i++) {
        g_assert_false(steplock_check(lock, wrong[i]));
        g_assert_cmpint(steplock_wrong(lock), ==, (int)i + 1);
    }
    g_assert_cmpint(steplock_tries_left(lock), ==, 0);
    /* The caller ends the session at 0 tries left; the lock itself still knows its code. */
    g_assert_true(steplock_check(lock, "4821"));
    g_assert_false(steplock_check(lock, "0000"));
    g_assert_cmpint(steplock_tries_left(lock), ==, 0); /* never below 0 */
    g_assert_cmpint(steplock_tries_left(NULL), ==, 0);
}

/* Two locks with the same code hash it with different keys and masks: one lock's code is not
 * the other's, and nothing of one is shared with the other. */
static void test_two_locks(void)
{
    g_autoptr(StepLock) a = steplock_new("123456");
    g_autoptr(StepLock) b = steplock_new("654321");
    g_assert_true(steplock_check(a, "123456"));
    g_assert_false(steplock_check(a, "654321"));
    g_assert_true(steplock_check(b, "654321"));
    g_assert_false(steplock_check(b, "123456"));
}

/* g_memmem for the test: whether needle occurs in hay. */
static gboolean contains(const GByteArray *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (guint i = 0; i + n <= hay->len; i++)
        if (memcmp(hay->data + i, needle, n) == 0)
            return TRUE;
    return FALSE;
}

static void test_hash_never_sees_the_code(void)
{
    const char *codes[] = { "4821", "48213579", "00000000", "1111" };
    for (gsize i = 0; i < G_N_ELEMENTS(codes); i++) {
        seen = g_byte_array_new();
        StepLock *lock = steplock_new(codes[i]);
        g_assert_nonnull(lock);
        g_assert_true(steplock_check(lock, codes[i]));
        g_assert_false(steplock_check(lock, "9876"));
        steplock_free(lock);
        /* The hash was given something (the interposition works) ... */
        g_assert_cmpuint(seen->len, >=, strlen(codes[i]));
        /* ... but never the code, nor the wrong one. */
        g_assert_false(contains(seen, codes[i]));
        g_assert_false(contains(seen, "9876"));
        g_byte_array_unref(seen);
        seen = NULL;
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/steplock/valid", test_valid);
    g_test_add_func("/steplock/right-and-wrong", test_right_and_wrong);
    g_test_add_func("/steplock/two-locks", test_two_locks);
    g_test_add_func("/steplock/hash-never-sees-the-code", test_hash_never_sees_the_code);
    return g_test_run();
}
