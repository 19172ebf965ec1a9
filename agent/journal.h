/* The seat journal: the one record that says what state the seat is in, kept crash-safe.
 *
 * Every transition is written here before it takes effect (write temp, fsync, rename, fsync
 * dir). At start-up anything but a clean READY means the last session may have left data:
 * wipe first. A missing, unreadable or corrupt journal counts as "not clean". Never logs. */
#pragma once

#include "proto.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    SeatState state;
    char session[33];     /* session id (hex), "" when READY */
    int64_t started;      /* unix time the session began, 0 if none */
    int64_t accepted;     /* unix time the notice was accepted, 0 if not */
    bool guided;
    char volunteer[64];   /* volunteer id of a guided session, "" if none */
    char end_reason[16];  /* rk_end_reason_name() of why the session ended, "" if running; any
                           * word as read (earlier versions wrote "recovery") */
    int64_t last_wipe;    /* unix time of the last verified wipe, 0 if none */
    uint64_t generation;  /* increases with every write */
} SeatRecord;

/* Read the journal in state_dir. Returns 0 with *ret filled; -ENOENT when there is none;
 * -EBADMSG when it is corrupt (then *ret is a WIPING record, the safe assumption). */
int journal_load(const char *state_dir, SeatRecord *ret);

/* Write r durably and atomically (bumps r->generation). Returns 0 or -errno. */
int journal_commit(const char *state_dir, SeatRecord *r);

/* Whether a record read at start-up demands a wipe before the seat may be READY. */
bool journal_needs_wipe(int load_result, const SeatRecord *r);
