/* The patron's path through rentark-session: notice, helper (guided) screens, the running
 * session's strip and dialogs, the ending and out-of-order screens; it decides what the ui
 * shows from the daemon's state and the patron's answers.
 *
 * Fail closed: any failure to reach the daemon, or an answer this client cannot handle,
 * leads to the out-of-order screen, which covers every monitor and holds the grab; the daemon
 * is then asked again every FLOW_RETRY_SECONDS, quietly, and the screen follows its state.
 * Main thread only. */
#pragma once

#include <X11/Xlib.h>
#include <glib.h>

#define FLOW_RETRY_SECONDS 5
#define FLOW_MAX_TRIES 3

typedef struct {
    const char *socket;     /* the daemon's socket */
    /* The client's own notice texts (notice.text_dir) and the default languages, for the
     * screens before the daemon's settings arrive and for a text folder of the daemon's that
     * the guest cannot read. Borrowed; they must outlive the flow. */
    const char *notice_dir;
    const char *const *languages;
    /* The PC's name (seat.name) from the file, for the screens before the daemon's settings
     * arrive (out of order while it is down), or NULL when the guest cannot read the file.
     * Borrowed. */
    const char *seat_name;
    const char *lang;       /* language asked for on the command line, or NULL */
    const char *dump_path;  /* --debug-dump, or NULL */
    int ready_fd;           /* --ready-fd, or -1 */
    /* --until-ready: the seat's own screen before the display manager's greeter, run by its
     * wrapper as the greeter's user. The flow shows only the seat's covers (closed, the wipe
     * in progress, out of order) and calls done(done_data) once a login would be accepted. */
    gboolean until_ready;
    void (*done)(void *data);
    void *done_data;
} FlowOptions;

typedef struct Flow Flow;

/* Open the ui and the idle detector on GTK's display (gtk_init() first) and show the first
 * screen (asking the daemon for its state). NULL with error only when nothing at all can be
 * shown (no X display). */
Flow *flow_new(const FlowOptions *opt, GError **error);
void flow_free(Flow *f);

/* Every X event goes through here before GTK sees it; TRUE when it was consumed (the idle
 * alarms, the strip's key). */
gboolean flow_handle_event(Flow *f, XEvent *ev);
