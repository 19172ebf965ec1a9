/* The session client's state, shared by the flow (flow.c: the rules between the screens)
 * and the screens it shows (screens.c: what each one says). Private to rentark-session. */
#pragma once

#include "flow.h"

#include "client.h"
#include "idle.h"
#include "notice.h"
#include "ui.h"

#define PIN_MAX_DIGITS 8
/* The step-away lock's code, as rentarkd takes it (agent/steplock.h), and its wrong tries. */
#define LOCK_MIN_DIGITS 4
#define LOCK_MAX_DIGITS 8
#define LOCK_MAX_WRONG 5
/* While locked the daemon ends the session when this client falls silent for 10 s
 * (SEAT_LOCK_SILENCE_S): the lock screen asks for the status this often, which also gives its
 * countdown a fresh time every second. */
#define LOCK_POLL_MS 1000
/* The first input after the accept is reported at once, once the patron has been still this
 * long: the daemon cannot tell input in the first 1.5 s from the accepting click. */
#define FIRST_INPUT_QUIET_MS 2000

typedef enum {
    SCR_NONE,
    SCR_NOTICE,
    SCR_PICK,    /* the helper chooses their name */
    SCR_PIN,     /* ... and types their PIN */
    SCR_GUIDED,  /* the guided notice and the patron's consent */
    SCR_ACTIVE,  /* the session runs: strip only */
    SCR_ENDING,
    SCR_OOO,     /* out of order */
    SCR_CLOSED,  /* outside the library's opening hours */
    SCR_LOCK_CHOOSE, /* the patron chooses the code of the step-away lock (twice) */
    SCR_LOCKED,  /* the step-away lock: only the patron's code opens the session again */
} FlowScreen;

struct Flow {
    Display *dpy;
    FlowOptions opt;
    Ui *ui;
    Idle *idle;
    NoticeTexts *texts;
    /* Where the texts were asked for (the daemon's folder and languages; before its settings,
     * or when its folder cannot be read, the client's own): read again only when these change. */
    char *texts_dir;
    char **texts_langs;
    char *lang;
    gboolean have_status; /* a status reply has arrived since the start */
    gboolean finished;    /* --until-ready: done() was called */
    gboolean notice_guided; /* the notice on screen offers "A helper is with me" */
    gboolean seat_changed;  /* new settings renamed the PC: the cover screens are drawn again */
    FlowScreen screen;
    ClientStatus st;
    gint64 st_at; /* monotonic µs when st arrived */
    ClientSettings set; /* the daemon's settings, of the generation set.generation */
    GPtrArray *volunteers; /* ClientVolunteer*, for the picker */
    int vol;               /* index of the chosen volunteer */
    char *helper;          /* display name of the accepted helper */
    int tries;
    char *message;         /* an error line for the next cover screen */
    long shown_warn;
    char *strip_note;      /* "Your time was extended ...", shown for half a minute */
    gint64 strip_note_at;
    gboolean reader_asked; /* notice.screen_reader was acted on in this session */
    GPid reader_pid;       /* the screen reader this client started, or 0 */
    gboolean reader_pending; /* asked for before the accessibility bridge was up */
    guint reader_watch;
    gboolean idle_now;
    /* The step-away lock: the code typed first while it is typed again (wiped as soon as it
     * was compared), which of the two is asked for, and whether a wrong code was typed. */
    char lock_first[LOCK_MAX_DIGITS + 1];
    int lock_step;
    gboolean lock_wrong;
    gint64 wait_seen_at; /* monotonic µs the patron's clock was first seen waiting, or 0 */
    /* The session limits in force, the daemon's (-1 and 0 before its first settings). */
    long idle_timeout, idle_warning, report_interval;
    guint report_id, clock_id, retry_id, countdown_id, lock_id, wait_id;
};

/* The session's time left now, counted down from the last status (-1: no time limit); held
 * still while the patron's clock waits for the first input. */
static inline long flow_time_left(Flow *f)
{
    if (f->st.time_left < 0)
        return -1;
    /* The patron's clock has not started: the daemon holds the time still. */
    if (f->st.waiting_input)
        return f->st.time_left;
    return MAX(0, f->st.time_left - (long)((g_get_monotonic_time() - f->st_at) / G_USEC_PER_SEC));
}

/* The PC's name: the daemon's seat.name once its settings have arrived (kept while it is
 * down), before that the one this client read from the file; NULL when it has none. */
static inline const char *flow_seat_name(Flow *f)
{
    return f->set.generation ? f->set.seat_name : f->opt.seat_name;
}

/* The daemon decides whether guided sessions are on (it refuses a helper otherwise). */
static inline gboolean flow_guided_on(Flow *f)
{
    return f->set.guided_enabled;
}

/* flow.c, for lock.c and reader.c */
/* Show screen s (and start or stop what goes with it: reports, idle alarms, the lock's poll). */
void flow_show(Flow *f, FlowScreen s);
/* Show screen s with message m under its title, for this drawing only. */
void flow_show_with_message(Flow *f, FlowScreen s, const char *m);
/* The error line for the next cover screen (NULL: none). */
void flow_set_message(Flow *f, const char *m);
/* Ask the daemon for the status and show what it says; FALSE (out of order shown) on failure. */
gboolean flow_refresh_status(Flow *f);
/* The daemon failed: out of order, logged once (what failed, never what the patron typed). */
void flow_daemon_failed(Flow *f, const char *what, const GError *error);
/* The notice and the screens of a guided start. */
gboolean flow_is_notice_screen(FlowScreen s);
/* Remove a GLib source if set, and clear its id. */
void flow_clear_source(guint *id);
