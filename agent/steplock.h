/* The patron's step-away lock: the code they chose, kept only as a keyed hash in this
 * process's memory, and the count of wrong codes.
 *
 * The code is 4 to 8 ASCII digits. It is never stored, logged or sent anywhere: the lock
 * keeps HMAC-SHA256(key, code XOR mask) with a key of 32 and a mask of 8 random bytes made
 * for this lock (the hash library never sees the code itself, so none of its freed buffers
 * holds it), and wipes key, mask and hash when it is freed. Said honestly: whoever can read rentarkd's memory
 * (root) can try all 10^8 codes against key and hash in seconds; the hash only keeps the code
 * itself out of a core file or a swap page. The lock's strength is the count of wrong codes
 * (STEPLOCK_MAX_WRONG, then the session ends) and the time limit, both kept by the caller. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define STEPLOCK_MIN_DIGITS 4
#define STEPLOCK_MAX_DIGITS 8
#define STEPLOCK_MAX_WRONG 5 /* wrong codes that end the session */

typedef struct StepLock StepLock;

/* Whether code is an acceptable lock code: 4 to 8 ASCII digits and nothing else. */
bool steplock_code_valid(const char *code);

/* A lock for code; NULL when the code is not valid or no random key can be had (errno set:
 * EINVAL or the getrandom error). */
StepLock *steplock_new(const char *code);

/* Whether code is the lock's code, compared in time that does not depend on the code. A code
 * that is not valid is simply wrong. Counts the wrong ones. */
bool steplock_check(StepLock *lock, const char *code);

/* Wrong codes given so far, and how many more end the session. */
int steplock_wrong(const StepLock *lock);
int steplock_tries_left(const StepLock *lock);

void steplock_free(StepLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StepLock, steplock_free)
