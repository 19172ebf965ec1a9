/* rentarkctl incident list|show|export|close: the breach register (incident.c). */
#pragma once

#include <stdbool.h>

/* Run `incident ARGS...` against the daemon at socket_path; json: --json was given before the
 * command. Returns the exit status (0, 1 for a refusal or failure, 2 for a usage error). */
int ctl_incident(const char *socket_path, char **args, int nargs, bool json);
