/* The system bus: bounded private connections and logind's TerminateUser. See bus.h. */
#include "bus.h"

#include "util.h"

/* Completion of an async step: hand the result to the loop that waits for it. */
static void bus_on_ready(GObject *source, GAsyncResult *res, gpointer user_data)
{
    GAsyncResult **ret = user_data;

    *ret = g_object_ref(res);
}

static gboolean bus_on_timeout(gpointer user_data)
{
    g_cancellable_cancel(G_CANCELLABLE(user_data));
    return G_SOURCE_REMOVE;
}

/* A timer on ctx that cancels cancel after timeout_ms: the bound of every wait here. */
static GSource *bus_deadline(GMainContext *ctx, GCancellable *cancel, int timeout_ms)
{
    GSource *timer = g_timeout_source_new((guint)timeout_ms);
    g_source_set_callback(timer, bus_on_timeout, cancel, NULL);
    g_source_attach(timer, ctx);
    return timer;
}

/* Turn a cancellation caused by our own timer into a timeout error, the error the caller can
 * act on. */
static void bus_timeout_error(GError **error, GCancellable *cancel, int timeout_ms, const char *who)
{
    if (error && *error && g_cancellable_is_cancelled(cancel) &&
        g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_clear_error(error);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no answer from %s within %d ms", who, timeout_ms);
    }
}

GDBusConnection *bus_open_system(int timeout_ms, GError **error)
{
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GMainContext) ctx = NULL;
    g_autoptr(GCancellable) cancel = NULL;
    g_autoptr(GSource) timer = NULL;
    g_autofree char *address = NULL;
    GAsyncResult *res = NULL;
    gboolean ok;

    g_return_val_if_fail(timeout_ms > 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    /* Honours DBUS_SYSTEM_BUS_ADDRESS, which is how tests point this at a private bus. */
    address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, error);
    if (!address)
        return NULL;

    /* A private connection, not the shared one of g_bus_get(): that one would exit the
     * process if the bus went away, and its connect cannot be bounded in time. It is
     * constructed before the private context below is pushed, because a connection emits
     * "closed" in the thread-default context of its construction: that must be the
     * caller's, not one that nobody iterates after this function. */
    conn = g_object_new(G_TYPE_DBUS_CONNECTION, "address", address, "flags",
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL);

    /* The connect and the authentication run in a GIO thread; this thread waits on a
     * context of its own, so none of the caller's sources is dispatched meanwhile, and the
     * timer cancels the wait when the bus does not answer. */
    ctx = g_main_context_new();
    cancel = g_cancellable_new();
    timer = bus_deadline(ctx, cancel, timeout_ms);
    g_main_context_push_thread_default(ctx);
    g_async_initable_init_async(G_ASYNC_INITABLE(conn), G_PRIORITY_DEFAULT, cancel, bus_on_ready, &res);
    while (!res)
        g_main_context_iteration(ctx, TRUE);
    ok = g_async_initable_init_finish(G_ASYNC_INITABLE(conn), res, error);
    g_object_unref(res);
    g_main_context_pop_thread_default(ctx);
    g_source_destroy(timer);

    if (!ok) {
        bus_timeout_error(error, cancel, timeout_ms, "the system bus");
        return NULL;
    }
    g_dbus_connection_set_exit_on_close(conn, FALSE);
    return g_steal_pointer(&conn);
}

/* Runs with ctx as the thread-default context. The connection is a private one from
 * bus_open_system(), bounded in time like the call after it: both end by the deadline. */
static gboolean bus_terminate_user_on(GMainContext *ctx, uid_t uid, int timeout_ms, GError **error)
{
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_autoptr(GSource) timer = bus_deadline(ctx, cancel, timeout_ms);
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GVariant) reply = NULL;
    GAsyncResult *res = NULL;
    long long deadline = rk_now_ns() + (long long)timeout_ms * 1000000LL;

    conn = bus_open_system(timeout_ms, error);
    if (!conn) {
        g_source_destroy(timer);
        return FALSE;
    }

    int left_ms = (int)((deadline - rk_now_ns()) / 1000000LL);
    /* No autostart: when logind is not running, the uid kill that always follows is enough;
     * starting services during a wipe is not the reaper's business. */
    g_dbus_connection_call(conn, LOGIND_BUS_NAME, LOGIND_PATH, LOGIND_MANAGER, "TerminateUser",
                           g_variant_new("(u)", (guint32)uid), G_VARIANT_TYPE_UNIT,
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, MAX(left_ms, 1), cancel, bus_on_ready, &res);
    while (!res)
        g_main_context_iteration(ctx, TRUE);
    reply = g_dbus_connection_call_finish(conn, res, error);
    g_clear_object(&res);
    if (!reply)
        bus_timeout_error(error, cancel, timeout_ms, "the system bus or logind");
    g_source_destroy(timer);

    /* Close now rather than at finalisation, and let the connection's pending callbacks run
     * on ctx so that nothing keeps it alive after this function. */
    g_dbus_connection_close_sync(conn, NULL, NULL);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    return reply != NULL;
}

gboolean bus_terminate_user(uid_t uid, int timeout_ms, GError **error)
{
    g_return_val_if_fail(timeout_ms > 0, FALSE);

    /* A private main context: the async steps are driven here, synchronously for the caller,
     * without dispatching anything of the caller's own main loop. */
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    gboolean ok = bus_terminate_user_on(ctx, uid, timeout_ms, error);
    g_main_context_pop_thread_default(ctx);
    return ok;
}
