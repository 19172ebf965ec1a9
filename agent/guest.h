/* The guest account: created when missing (if guest.create is set), and refused when it is
 * unsafe to hand out to an anonymous patron or to wipe for.
 *
 * rentark kills every process of the guest uid and deletes every file of it in the swept
 * places, and it hands the account to anyone who walks up to the PC. So the account must be
 * an ordinary, unprivileged account of its own: not root, in no group with power over the
 * machine or over rentark, sharing its uid with no one, no subordinate uid/gid ranges (their
 * processes would escape the reaper), and a home that is the guest's alone, in a folder only
 * root controls. The rules are listed one by one in guest.c, where they are enforced.
 *
 * Main thread, before any worker thread starts: the user database is enumerated with
 * getpwent_r(), whose cursor is process-wide. The guest's name, home and shell come from the
 * configuration and may be logged; the names of other accounts are never logged or returned. */
#pragma once

#include "config.h"

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#define GUEST_ERROR (guest_error_quark())
GQuark guest_error_quark(void);
typedef enum {
    GUEST_ERROR_MISSING, /* no such account and guest.create is false */
    GUEST_ERROR_CREATE,  /* useradd/usermod failed, or the new account kept subordinate ids */
    GUEST_ERROR_UNSAFE,  /* the account breaks a rule; the message names every broken rule */
    GUEST_ERROR_LOOKUP,  /* the user, group or shadow database could not be read */
} GuestError;

/* Make sure the account cfg->guest_user exists and is safe. If it does not exist and
 * cfg->guest_create is TRUE, create it with useradd: its own group, a locked password,
 * cfg->guest_shell, cfg->guest_home as its home (not created: the wipe makes it from the
 * skeleton) and no subordinate uid/gid range. Then run guest_check(). Logs (domain "guest")
 * the creation and guest_check()'s warnings; an error is for the caller to log.
 * Returns FALSE with GUEST_ERROR_* when the account is missing, cannot be made, or is unsafe. */
gboolean guest_ensure(const RkConfig *cfg, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Check, without changing anything, that the existing account cfg->guest_user is safe (every
 * refusal rule in guest.c). All broken rules are named in one error message. Conditions that
 * are unwise but not dangerous (a usable password, inert subordinate ids) are logged as
 * warnings and do not fail the check. A passwd home other than guest.home is refused: the
 * guest's programs would keep their files in a folder no wipe looks at. */
gboolean guest_check(const RkConfig *cfg, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* One account from the user database, copied out of the getpw*_r buffer. */
typedef struct {
    char *name;
    uid_t uid;
    gid_t gid;
    char *dir; /* "" when the entry has none */
} GuestAccount;

void guest_account_clear(GuestAccount *a);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(GuestAccount, guest_account_clear)

/* The account by name (name != NULL) or else by uid, from the one getpw*_r call of rentarkd
 * (its buffer grows on ERANGE, bounded). 0 with *ret filled (guest_account_clear it), -ENOENT
 * when there is no such account, or -errno. Any thread. */
int guest_account_lookup(const char *name, uid_t uid, GuestAccount *ret);

/* The guest account's uid and gid by name. -ENOENT if there is none; -EPERM if it is root:
 * nothing in rentark ever wipes for uid 0. Any thread. */
int guest_lookup_ids(const char *user, uid_t *ret_uid, gid_t *ret_gid);

/* Whether gid is private to the account user: the group's name is the user's, it has no other
 * members, and no other account has it as its primary group. Main thread (it enumerates the
 * user database, whose cursor is process-wide). */
bool guest_gid_is_private(const char *user, gid_t gid);
