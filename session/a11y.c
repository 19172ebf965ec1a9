/* The accessibility bridge (at-spi2-atk), started without ever holding up the cover.
 *
 * GTK 3 loads the bridge inside gtk_init, and the bridge asks the session bus for the
 * accessibility bus's address with a blocking call: when org.a11y.Bus is slow or hung, that is
 * 25 s per call with no window on screen, i.e. the patron's desktop uncovered and usable before
 * the notice. So GTK is started with the bridge held back (NO_AT_BRIDGE), the cover goes up and
 * grabs, and only then is the address asked, asynchronously; the bridge is started once it is
 * known. An address already given (AT_SPI_BUS_ADDRESS, or the display's AT_SPI_BUS property set
 * by the bus launcher) needs no question: the bridge starts at once, as GTK would have.
 *
 * Everything the screens expose is there from the first draw (GTK's accessibles do not need
 * the bridge); the bridge only publishes them, so a screen reader that comes later still finds
 * every window. */
#include "a11y.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <atk-bridge.h>
#include <gdk/gdkx.h>
#include <stdlib.h>

/* A slow launcher still gets its answer used: a patron who needs the screen reader is better
 * served late than never. */
#define ADDRESS_TIMEOUT_MS (120 * 1000)

static struct {
    gboolean off;     /* NO_AT_BRIDGE=1 was the caller's own: no bridge at all */
    gboolean started; /* a11y_start was called */
    A11yState state;
    A11yDone done;
    gpointer done_data;
    GCancellable *cancel;
    guint idle;
} a11y;

void a11y_hold(void)
{
    const char *v = g_getenv("NO_AT_BRIDGE");
    a11y.off = v && atoi(v) == 1;
    /* Still one thread: setting the environment is safe here. */
    if (!a11y.off)
        g_setenv("NO_AT_BRIDGE", "1", TRUE);
}

void a11y_release(void)
{
    /* GTK has read it in gtk_init; programs this client starts (the screen reader) must not
     * inherit it. */
    if (!a11y.off)
        g_unsetenv("NO_AT_BRIDGE");
}

A11yState a11y_state(void)
{
    return a11y.state;
}

static void settle(A11yState state)
{
    a11y.state = state;
    g_clear_object(&a11y.cancel);
    if (a11y.done)
        a11y.done(state, a11y.done_data);
}

static void bridge_up(void)
{
    if (atk_bridge_adaptor_init(NULL, NULL) == 0) {
        g_debug("accessibility bridge started");
        settle(A11Y_ON);
    } else {
        g_message("the accessibility bus cannot be reached: the screens work without a screen reader");
        settle(A11Y_OFF);
    }
}

static gboolean bridge_up_idle(gpointer data)
{
    (void)data;
    a11y.idle = 0;
    bridge_up();
    return G_SOURCE_REMOVE;
}

static void got_address(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    const char *address = NULL;
    if (reply)
        g_variant_get(reply, "(&s)", &address);
    if (!address || !*address) {
        g_message("no accessibility bus (%s): the screens work without a screen reader",
                  error ? error->message : "empty address");
        settle(A11Y_OFF);
        return;
    }
    /* libatspi takes the address from here; the screen reader inherits it, and so talks on
     * the same bus. */
    g_setenv("AT_SPI_BUS_ADDRESS", address, TRUE);
    bridge_up();
}

static void got_session_bus(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    (void)data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = g_bus_get_finish(res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!bus) {
        g_message("no session bus (%s): the screens work without a screen reader", error->message);
        settle(A11Y_OFF);
        return;
    }
    /* A session bus that goes away must not end this client (GDBus's default for g_bus_get's
     * connection): the cover stays up whatever happens to the guest's other processes. */
    g_dbus_connection_set_exit_on_close(bus, FALSE);
    g_dbus_connection_call(bus, "org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus", "GetAddress", NULL,
                           G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, ADDRESS_TIMEOUT_MS, a11y.cancel,
                           got_address, NULL);
}

/* The address the bus launcher published on the display, as libatspi itself reads it. */
static gboolean display_has_address(Display *dpy)
{
    Atom prop = XInternAtom(dpy, "AT_SPI_BUS", True);
    if (prop == None)
        return FALSE;
    Atom type = None;
    int format = 0;
    unsigned long n = 0, after = 0;
    unsigned char *data = NULL;
    gboolean yes = XGetWindowProperty(dpy, DefaultRootWindow(dpy), prop, 0, 1024, False, XA_STRING, &type, &format,
                                      &n, &after, &data) == Success &&
                   type == XA_STRING && format == 8 && n > 0;
    if (data)
        XFree(data);
    return yes;
}

void a11y_start(A11yDone done, gpointer data)
{
    if (a11y.started)
        return;
    a11y.started = TRUE;
    a11y.done = done;
    a11y.done_data = data;
    a11y.state = A11Y_PENDING;
    if (a11y.off) {
        settle(A11Y_OFF);
        return;
    }
    const char *env = g_getenv("AT_SPI_BUS_ADDRESS");
    if ((env && *env) || display_has_address(gdk_x11_display_get_xdisplay(gdk_display_get_default()))) {
        /* After the cover's first draw (GDK paints at a higher priority): connecting to the bus
         * is a round trip, and the cover comes first. */
        a11y.idle = g_idle_add_full(G_PRIORITY_LOW, bridge_up_idle, NULL, NULL);
        return;
    }
    a11y.cancel = g_cancellable_new();
    g_bus_get(G_BUS_TYPE_SESSION, a11y.cancel, got_session_bus, NULL);
}

void a11y_stop(void)
{
    a11y.done = NULL;
    if (a11y.idle)
        g_source_remove(a11y.idle);
    a11y.idle = 0;
    if (a11y.cancel)
        g_cancellable_cancel(a11y.cancel);
    g_clear_object(&a11y.cancel);
}
