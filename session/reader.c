/* The screen reader the patron turns on from a cover screen (or the library at the notice):
 * Orca, in the patron's language, started and stopped by this client. */
#include "reader.h"

#include "a11y.h"

#include <signal.h>

static void reader_exited(GPid pid, gint status, gpointer data)
{
    Flow *f = data;
    g_spawn_close_pid(pid);
    if (pid == f->reader_pid) {
        f->reader_pid = 0;
        f->reader_watch = 0;
        g_message("the screen reader exited");
    }
}

/* Orca (or RENTARK_SCREEN_READER, a command line) in the patron's language; it reads every
 * patron screen through AT-SPI. Started from the notice by its button or Ctrl+Alt+S, or at
 * once when the library sets notice.screen_reader; pressing again stops it. */
void reader_start(Flow *f)
{
    if (f->reader_pid)
        return;
    /* A screen reader started before this client is on the accessibility bus would find no
     * window to read: it starts once the bridge is up (or has failed: then it says so itself). */
    if (a11y_state() == A11Y_PENDING) {
        f->reader_pending = TRUE;
        return;
    }
    f->reader_pending = FALSE;
    const char *cmd = g_getenv("RENTARK_SCREEN_READER");
    g_auto(GStrv) argv = NULL;
    g_autoptr(GError) error = NULL;
    /* Orca takes its voice's language from LANG (Python's default locale, read from the
     * variable: the locale need not be installed) and its own messages from LANGUAGE: both
     * say the patron's language, or Norwegian where espeak-ng has no voice for it. */
    g_autofree char *posix = NULL, *languages = NULL;
    notice_reader_locale(f->lang, &posix, &languages);
    g_auto(GStrv) env = g_get_environ();
    env = g_environ_setenv(env, "LANGUAGE", languages, TRUE);
    env = g_environ_setenv(env, "LANG", posix, TRUE);
    env = g_environ_unsetenv(env, "LC_ALL");
    env = g_environ_unsetenv(env, "LC_CTYPE");
    env = g_environ_unsetenv(env, "LC_MESSAGES");
    if (!g_shell_parse_argv(cmd && *cmd ? cmd : "orca --replace", NULL, &argv, &error) ||
        !g_spawn_async(NULL, argv, env, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                       &f->reader_pid, &error)) {
        g_warning("cannot start the screen reader: %s", error->message);
        f->reader_pid = 0;
        flow_set_message(f, _("The screen reader could not be started. Please ask the staff."));
        return;
    }
    f->reader_watch = g_child_watch_add(f->reader_pid, reader_exited, f);
    g_message("screen reader started");
}

gboolean reader_on(const Flow *f)
{
    return f->reader_pid || f->reader_pending;
}

void reader_a11y_settled(Flow *f)
{
    if (f->reader_pending)
        reader_start(f);
}

void reader_toggle(Flow *f)
{
    if (f->reader_pending) {
        f->reader_pending = FALSE;
    } else if (f->reader_pid) {
        kill(f->reader_pid, SIGTERM);
        g_message("screen reader stopped by the patron");
    } else {
        reader_start(f);
    }
    if (flow_is_notice_screen(f->screen)) {
        flow_show(f, f->screen);
        flow_set_message(f, NULL);
    }
}
