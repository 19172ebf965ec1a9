/* Changes to the machine's mount table — the tmpfs home, detaching mounts — made here, or by
 * rentark-mount, the helper in the host's mount namespace.
 *
 * Under systemd rentarkd runs in a mount namespace of its own (the unit's sandbox:
 * PrivateDevices, ProtectKernel*, ProtectControlGroups all bring one). A tmpfs it mounted there
 * would be seen by no patron, and a guest's mount it detached there would stay on the machine.
 * So when $RENTARK_MOUNT_HELPER names a socket, the three changes go to rentark-mount
 * (`rentarkd --mount-helper`, socket-activated, in the host's namespace, root only) and reach
 * this namespace by mount propagation (it is a slave of the host's). Reading the mount table
 * (census, verification, the guest's mounts to count) stays here: every mount and unmount of
 * the host is seen here too. Without the variable (tests, a start by hand), the changes are
 * made directly, as before. */
#pragma once

#include "foothold.h"

#include <stdint.h>
#include <sys/types.h>

#define RENTARK_MOUNT_HELPER "RENTARK_MOUNT_HELPER"

/* Detach every mount at or below path (deepest first). Returns how many, or -errno. */
int mountctl_detach_below(const char *path);

/* Detach every mount of the guest anywhere (foothold_detach_mounts). */
int mountctl_detach_guest(const FootholdTarget *t, uint64_t *ret_detached);

/* Mount a fresh tmpfs (size, mode 0700, owned by uid:gid) on home, through its trusted parent.
 * The caller fills it (skeleton). */
int mountctl_tmpfs(const char *home, const char *size_opt, uid_t uid, gid_t gid);

/* rentarkd --mount-helper: serve the socket systemd passes (socket activation) until stopped.
 * Only root may ask. Returns the exit status. */
int mountctl_serve(void);
