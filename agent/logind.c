/* logind: the seat follows org.freedesktop.login1 when the machine has it.
 *
 * Everything here is optional: the display manager hooks report logins and logouts too, the
 * seat accepts duplicate events, and a start-up after a crash or power cut wipes anyway. So
 * nothing in this module may stop or slow the daemon: the start-up talks to the bus for at
 * most LOGIND_TIMEOUT_MS, every later call is asynchronous, and a bus or a logind that goes
 * away is logged once and then simply no longer followed.
 *
 * Trust: anyone on the system bus may emit signals, even addressed to rentarkd alone, where no
 * match rule filters them. A signal is therefore believed only when it comes from the unique
 * name that owns org.freedesktop.login1 (tracked with NameOwnerChanged), and the uid of a
 * session is asked of logind itself, never taken from a signal. Even a forged signal could
 * only end the guest's own session or report a login that the seat already has. */
#define G_LOG_DOMAIN "logind"
#include "logind.h"

#include "bus.h"

#include "util.h"

#include <gio/gunixfdlist.h>
#include <limits.h>
#include <string.h>

/* The start-up's whole budget on the bus, and the timeout of every later call. */
#define LOGIND_TIMEOUT_MS 2000

/* Guest sessions remembered at once. A kiosk has one or two; the bound only matters when
 * SessionRemoved signals are lost, and then the entries of earlier seat sessions go first. */
#define LOGIND_MAX_SESSIONS 64

struct Logind {
    Seat *seat;
    GDBusConnection *conn; /* NULL when there is no bus, no logind at start, or the bus went away */
    GCancellable *cancel;  /* cancelled by logind_free: pending callbacks must not touch us */
    char *owner;           /* the unique name of logind, NULL while logind is not on the bus */
    guint sub_owner, sub_new, sub_removed, sub_shutdown;
    guint sub_idle;       /* PropertiesChanged of idle_path, 0 when no guest session is followed */
    char *idle_id;        /* the guest's logind session whose IdleHint is the idle fallback */
    char *idle_path;      /* ... and its object path */
    gulong closed_id;
    guint observer_id;
    GHashTable *sessions; /* logind session id -> the seat session id it belongs to */
    GHashTable *pending;  /* logind session ids whose User is being asked for */
    int inhibit_fd;       /* the delay lock, -1 when not held */
    gboolean inhibit_pending;
    gboolean shutting_down; /* PrepareForShutdown(true) seen and not called off */
};

/* What an asynchronous call needs to find its Logind again, or to learn that it is gone. */
typedef struct {
    Logind *self;
    GCancellable *cancel;
    char *id;
    char *path; /* the session's object path, for the calls that need it */
} LogindCall;

static LogindCall *logind_call_new(Logind *self, const char *id)
{
    LogindCall *c = g_new0(LogindCall, 1);
    c->self = self;
    c->cancel = g_object_ref(self->cancel);
    c->id = g_strdup(id);
    return c;
}

static void logind_call_free(LogindCall *c)
{
    g_object_unref(c->cancel);
    g_free(c->id);
    g_free(c->path);
    g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LogindCall, logind_call_free)

/* logind_free cancels before it frees, and both run in the main thread, so a callback that
 * finds its cancellable cancelled knows that self is gone. The check does not rely on GDBus
 * reporting the cancellation: a reply may already be queued when logind_free runs. */
static Logind *logind_call_self(const LogindCall *c)
{
    return g_cancellable_is_cancelled(c->cancel) ? NULL : c->self;
}

/* Give the shutdown delay lock back: logind goes on with the shutdown once every delay lock
 * is released (or InhibitDelayMaxSec has passed, which bounds what we can hold back). */
static void logind_release(Logind *self, const char *why)
{
    if (self->inhibit_fd < 0)
        return;
    rk_closep(&self->inhibit_fd);
    g_message("shutdown delay lock released: %s", why);
}

/* During a shutdown, the lock is held only while a session or its wipe is running. BLOCKED
 * counts as done: the wipe failed and is retried after the next start, which holding the
 * shutdown back would not change. CLOSED is as clean as READY. */
static void logind_release_if_done(Logind *self)
{
    SeatState st = seat_state(self->seat);

    if (self->shutting_down && (st == SEAT_READY || st == SEAT_BLOCKED || st == SEAT_CLOSED))
        logind_release(self, st == SEAT_READY    ? "the seat is wiped and READY"
                             : st == SEAT_CLOSED ? "the seat is wiped and CLOSED"
                                                 : "the seat is BLOCKED");
}

static void logind_on_inhibit(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(LogindCall) c = data;
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), &fds, res, &error);
    Logind *self = logind_call_self(c);
    gint32 index;

    if (!self)
        return;
    self->inhibit_pending = FALSE;
    if (!reply) {
        g_message("no shutdown delay lock: %s (a shutdown may cut a wipe short; the next start completes it)",
                  error->message);
        return;
    }
    g_variant_get(reply, "(h)", &index);
    /* g_unix_fd_list_get returns a duplicate with FD_CLOEXEC set; the list closes its own. */
    int fd = fds ? g_unix_fd_list_get(fds, index, &error) : -1;
    if (fd < 0) {
        g_message("no shutdown delay lock: %s", error ? error->message : "logind sent no file descriptor");
        return;
    }
    if (!self->conn || self->inhibit_fd >= 0) {
        /* The bus went away meanwhile, or a lock is held already: one is enough. */
        close(fd);
        return;
    }
    self->inhibit_fd = fd;
    g_debug("shutdown delay lock taken");
    logind_release_if_done(self);
}

/* Take the delay lock that holds a shutdown back until the guest's data is erased. Taken at
 * start and again when a shutdown was called off, as logind expects of delay locks. */
static void logind_inhibit(Logind *self)
{
    if (!self->conn || !self->owner || self->inhibit_fd >= 0 || self->inhibit_pending)
        return;
    self->inhibit_pending = TRUE;
    g_dbus_connection_call_with_unix_fd_list(
        self->conn, LOGIND_BUS_NAME, LOGIND_PATH, LOGIND_MANAGER, "Inhibit",
        g_variant_new("(ssss)", "shutdown", "rentark", "erasing the guest's data", "delay"), G_VARIANT_TYPE("(h)"),
        G_DBUS_CALL_FLAGS_NO_AUTO_START, LOGIND_TIMEOUT_MS, NULL, self->cancel, logind_on_inhibit,
        logind_call_new(self, NULL));
}

/* Forget the sessions of earlier seat sessions, which can only be left over from lost
 * signals, so that the table stays bounded. */
static void logind_prune_sessions(Logind *self)
{
    GHashTableIter it;
    gpointer value;
    const char *current = seat_session_id(self->seat);

    g_hash_table_iter_init(&it, self->sessions);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (strcmp(value, current) != 0)
            g_hash_table_iter_remove(&it);
}

/* Stop following the IdleHint of the guest's session. */
static void logind_unfollow_idle(Logind *self)
{
    if (self->sub_idle && self->conn)
        g_dbus_connection_signal_unsubscribe(self->conn, self->sub_idle);
    self->sub_idle = 0;
    g_clear_pointer(&self->idle_id, g_free);
    g_clear_pointer(&self->idle_path, g_free);
}

/* Apply IdleHint and IdleSinceHintMonotonic from props (a{sv} of the Session interface) as the
 * idle fallback. Returns FALSE when props does not say whether the session is idle. */
static gboolean logind_apply_idle(Logind *self, GVariant *props)
{
    gboolean hint;
    guint64 since = 0;
    gint64 now, idle = 0;

    if (!g_variant_lookup(props, "IdleHint", "b", &hint))
        return FALSE;
    if (hint) {
        /* Without the time it became idle, the session is idle as of now. A time in the
         * future (another clock, a bug) counts as now too: the fallback never shortens the
         * timeout on a guess. */
        g_variant_lookup(props, "IdleSinceHintMonotonic", "t", &since);
        now = g_get_monotonic_time();
        if (since > 0 && since <= (guint64)now)
            idle = (now - (gint64)since) / G_USEC_PER_SEC;
    }
    g_debug("logind: session %s %s, idle for %" G_GINT64_FORMAT " s", self->idle_id, hint ? "idle" : "not idle", idle);
    seat_idle_report_fallback(self->seat, (int)MIN(idle, INT_MAX));
    return TRUE;
}

static void logind_on_idle_props(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(LogindCall) c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    g_autoptr(GVariant) props = NULL;
    Logind *self = logind_call_self(c);

    /* The session may have ended or been replaced while we asked. */
    if (!self || g_strcmp0(self->idle_path, c->path) != 0)
        return;
    if (!reply) {
        g_debug("session %s: cannot read its IdleHint: %s", c->id, error->message);
        return;
    }
    g_variant_get(reply, "(@a{sv})", &props);
    logind_apply_idle(self, props);
}

static void logind_on_session_props(GDBusConnection *conn, const char *sender, const char *path,
                                    const char *iface, const char *signal, GVariant *params, gpointer data)
{
    Logind *self = data;
    g_autoptr(GVariant) changed = NULL;
    g_autofree const char **invalidated = NULL;
    const char *interface;

    /* Believed only from logind itself, and only for the session followed. */
    if (!self->owner || g_strcmp0(sender, self->owner) != 0 || g_strcmp0(path, self->idle_path) != 0 ||
        !g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
        return;
    g_variant_get(params, "(&s@a{sv}^a&s)", &interface, &changed, &invalidated);
    if (strcmp(interface, LOGIND_SESSION) != 0 || logind_apply_idle(self, changed))
        return;
    if (!g_strv_contains(invalidated, "IdleHint") && !g_strv_contains(invalidated, "IdleSinceHintMonotonic"))
        return;
    /* Changed without its value: ask for both at once, so that they belong together. */
    LogindCall *c = logind_call_new(self, self->idle_id);
    c->path = g_strdup(self->idle_path);
    g_dbus_connection_call(self->conn, LOGIND_BUS_NAME, self->idle_path, "org.freedesktop.DBus.Properties", "GetAll",
                           g_variant_new("(s)", LOGIND_SESSION), G_VARIANT_TYPE("(a{sv})"),
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, LOGIND_TIMEOUT_MS, self->cancel, logind_on_idle_props, c);
}

/* Follow the IdleHint of the guest's session: the idle fallback for a session client that does
 * not report. A kiosk has one guest session; with more, the latest is followed. */
static void logind_follow_idle(Logind *self, const char *id, const char *path)
{
    logind_unfollow_idle(self);
    self->idle_id = g_strdup(id);
    self->idle_path = g_strdup(path);
    self->sub_idle = g_dbus_connection_signal_subscribe(
        self->conn, LOGIND_BUS_NAME, "org.freedesktop.DBus.Properties", "PropertiesChanged", path, LOGIND_SESSION,
        G_DBUS_SIGNAL_FLAGS_NONE, logind_on_session_props, self, NULL);
}

/* logind reports a session of the guest: the seat's session begins (a duplicate of the
 * display manager hook is a no-op of the seat). */
static void logind_guest_session(Logind *self, const char *id, const char *path)
{
    g_autoptr(GError) error = NULL;

    if (!seat_session_begin(self->seat, &error)) {
        /* The seat is being wiped or is out of order: the guest logged in anyway (the display
         * manager should not have let it). The wipe's uid kill ends such a session. */
        g_warning("guest session %s from logind: %s", id, error->message);
        return;
    }
    if (g_hash_table_size(self->sessions) >= LOGIND_MAX_SESSIONS)
        logind_prune_sessions(self);
    if (g_hash_table_size(self->sessions) < LOGIND_MAX_SESSIONS)
        g_hash_table_replace(self->sessions, g_strdup(id), g_strdup(seat_session_id(self->seat)));
    logind_follow_idle(self, id, path);
    g_message("guest session %s reported by logind", id);
}

static void logind_on_session_user(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(LogindCall) c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    g_autoptr(GVariant) user = NULL;
    Logind *self = logind_call_self(c);
    guint32 uid;

    if (!self)
        return;
    /* Removed while we asked: a session that is already over must not begin the seat's. */
    if (!g_hash_table_remove(self->pending, c->id))
        return;
    if (!reply) {
        /* Most likely the session ended at once; a guest login is reported by the hooks too. */
        g_debug("session %s: cannot read its user: %s", c->id, error->message);
        return;
    }
    g_variant_get(reply, "(v)", &user);
    if (!g_variant_is_of_type(user, G_VARIANT_TYPE("(uo)"))) {
        g_message("session %s: logind sent a User of type %s, not (uo)", c->id, g_variant_get_type_string(user));
        return;
    }
    g_variant_get(user, "(u&o)", &uid, NULL);
    if (uid == seat_guest_uid(self->seat))
        logind_guest_session(self, c->id, c->path);
}

static void logind_session_new(Logind *self, const char *id, const char *path)
{
    /* The uid comes from logind's own session object, not from anything in the signal. */
    if (g_hash_table_size(self->pending) >= LOGIND_MAX_SESSIONS || g_hash_table_contains(self->pending, id))
        return;
    g_hash_table_add(self->pending, g_strdup(id));
    LogindCall *c = logind_call_new(self, id);
    c->path = g_strdup(path);
    g_dbus_connection_call(self->conn, LOGIND_BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
                           g_variant_new("(ss)", LOGIND_SESSION, "User"), G_VARIANT_TYPE("(v)"),
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, LOGIND_TIMEOUT_MS, self->cancel, logind_on_session_user, c);
}

static void logind_session_removed(Logind *self, const char *id)
{
    g_autoptr(GError) error = NULL;
    const char *belongs_to;
    gboolean current;

    g_hash_table_remove(self->pending, id);
    if (g_strcmp0(id, self->idle_id) == 0)
        logind_unfollow_idle(self);
    belongs_to = g_hash_table_lookup(self->sessions, id);
    if (!belongs_to)
        return; /* not a guest session, or one from before this daemon started */
    /* Only a session of the running seat session ends it: a late signal for the previous
     * patron's session must not end the next patron's. Any guest session that ends does:
     * a kiosk has one patron, and a second session left running must not carry anything
     * over to the next one (the wipe ends it). */
    current = strcmp(belongs_to, seat_session_id(self->seat)) == 0;
    g_hash_table_remove(self->sessions, id);
    if (!current)
        return;
    g_message("guest session %s removed by logind: logout", id);
    if (!seat_end(self->seat, END_LOGOUT, &error))
        g_warning("logout from logind: %s", error->message);
}

static void logind_prepare_for_shutdown(Logind *self, gboolean start)
{
    g_autoptr(GError) error = NULL;
    SeatState st;

    if (!start) {
        /* The shutdown was called off: hold a lock again for the next one. */
        self->shutting_down = FALSE;
        g_message("shutdown called off");
        logind_inhibit(self);
        return;
    }
    self->shutting_down = TRUE;
    st = seat_state(self->seat);
    g_message("the system is shutting down%s", st == SEAT_NOTICE || st == SEAT_ACTIVE
                                                    ? ": the session ends and is wiped first"
                                                    : "");
    if (!seat_end(self->seat, END_SHUTDOWN, &error))
        g_warning("shutdown from logind: %s", error->message);
    logind_release_if_done(self);
}

static void logind_on_manager_signal(GDBusConnection *conn, const char *sender, const char *path,
                                     const char *iface, const char *signal, GVariant *params, gpointer data)
{
    Logind *self = data;

    /* Believed only from logind itself (see the top of this file). */
    if (!self->owner || g_strcmp0(sender, self->owner) != 0) {
        g_debug("ignoring %s from %s, which is not logind", signal, sender ? sender : "?");
        return;
    }
    if (strcmp(signal, "SessionNew") == 0 && g_variant_is_of_type(params, G_VARIANT_TYPE("(so)"))) {
        const char *id, *obj;
        g_variant_get(params, "(&s&o)", &id, &obj);
        logind_session_new(self, id, obj);
    } else if (strcmp(signal, "SessionRemoved") == 0 && g_variant_is_of_type(params, G_VARIANT_TYPE("(so)"))) {
        const char *id;
        g_variant_get(params, "(&s&o)", &id, NULL);
        logind_session_removed(self, id);
    } else if (strcmp(signal, "PrepareForShutdown") == 0 && g_variant_is_of_type(params, G_VARIANT_TYPE("(b)"))) {
        gboolean start;
        g_variant_get(params, "(b)", &start);
        logind_prepare_for_shutdown(self, start);
    } else {
        g_debug("ignoring %s with arguments of type %s", signal, g_variant_get_type_string(params));
    }
}

static void logind_on_owner_changed(GDBusConnection *conn, const char *sender, const char *path,
                                    const char *iface, const char *signal, GVariant *params, gpointer data)
{
    Logind *self = data;
    const char *name, *old_owner, *new_owner;

    /* Only the bus itself says who owns a name. */
    if (g_strcmp0(sender, "org.freedesktop.DBus") != 0 || !g_variant_is_of_type(params, G_VARIANT_TYPE("(sss)")))
        return;
    g_variant_get(params, "(&s&s&s)", &name, &old_owner, &new_owner);
    if (strcmp(name, LOGIND_BUS_NAME) != 0)
        return;
    g_clear_pointer(&self->owner, g_free);
    if (!*new_owner) {
        /* Its locks went with it. */
        rk_closep(&self->inhibit_fd);
        g_message("logind left the system bus: its events are no longer followed until it returns");
        return;
    }
    self->owner = g_strdup(new_owner);
    g_message("logind is on the system bus again");
    logind_inhibit(self);
}

static void logind_on_seat_changed(Seat *seat, SeatState old_state, SeatState new_state, gpointer data)
{
    /* The idle hint matters only while a session runs; the next one follows its own. */
    if (new_state != SEAT_NOTICE && new_state != SEAT_ACTIVE)
        logind_unfollow_idle(data);
    logind_release_if_done(data);
}

/* Stop following the bus. close_it is FALSE when the bus closed the connection itself. */
static void logind_disconnect(Logind *self, gboolean close_it)
{
    guint *subs[] = { &self->sub_owner, &self->sub_new, &self->sub_removed, &self->sub_shutdown };

    rk_closep(&self->inhibit_fd);
    g_clear_pointer(&self->owner, g_free);
    logind_unfollow_idle(self);
    if (!self->conn)
        return;
    for (size_t i = 0; i < RK_ELEMENTS(subs); i++)
        if (*subs[i]) {
            g_dbus_connection_signal_unsubscribe(self->conn, *subs[i]);
            *subs[i] = 0;
        }
    g_clear_signal_handler(&self->closed_id, self->conn);
    /* Asynchronous, with no callback: freeing must never wait for a bus. */
    if (close_it)
        g_dbus_connection_close(self->conn, NULL, NULL, NULL);
    g_clear_object(&self->conn);
}

static void logind_on_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error, gpointer data)
{
    Logind *self = data;

    /* Logged once: the connection and its signal are gone after this. The daemon goes on;
     * the display manager hooks still report logins and logouts. */
    g_message("the system bus connection is gone (%s): logind events are no longer followed",
              error ? error->message : "closed");
    logind_disconnect(self, FALSE);
}

static guint logind_subscribe(Logind *self, const char *signal)
{
    return g_dbus_connection_signal_subscribe(self->conn, LOGIND_BUS_NAME, LOGIND_MANAGER, signal, LOGIND_PATH, NULL,
                                              G_DBUS_SIGNAL_FLAGS_NONE, logind_on_manager_signal, self, NULL);
}

Logind *logind_new(Seat *seat, GError **error)
{
    Logind *self = g_new0(Logind, 1);
    long long deadline = rk_now_ns() + (long long)LOGIND_TIMEOUT_MS * 1000000LL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) local = NULL;

    self->seat = seat;
    self->inhibit_fd = -1;
    self->cancel = g_cancellable_new();
    self->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    self->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    conn = bus_open_system(LOGIND_TIMEOUT_MS, &local);
    if (!conn) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    "no system bus, logind is not followed (the display manager hooks are): %s", local->message);
        return self;
    }
    self->conn = g_object_ref(conn);

    /* Subscribed before the owner is asked for, so that no change can fall in between. */
    self->sub_owner = g_dbus_connection_signal_subscribe(conn, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                                         "NameOwnerChanged", "/org/freedesktop/DBus", LOGIND_BUS_NAME,
                                                         G_DBUS_SIGNAL_FLAGS_NONE, logind_on_owner_changed, self, NULL);
    int left_ms = (int)((deadline - rk_now_ns()) / 1000000LL);
    if (left_ms > 0)
        reply = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetNameOwner",
                                            g_variant_new("(s)", LOGIND_BUS_NAME), G_VARIANT_TYPE("(s)"),
                                            G_DBUS_CALL_FLAGS_NONE, left_ms, NULL, &local);
    else
        g_set_error(&local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no time left after the connect");
    if (!reply) {
        /* No logind on this machine (or no answer in time): an object that does nothing. */
        logind_disconnect(self, TRUE);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "logind is not on the system bus, it is not followed (the display manager hooks are): %s",
                    local->message);
        return self;
    }
    g_variant_get(reply, "(s)", &self->owner);

    self->sub_new = logind_subscribe(self, "SessionNew");
    self->sub_removed = logind_subscribe(self, "SessionRemoved");
    self->sub_shutdown = logind_subscribe(self, "PrepareForShutdown");
    self->closed_id = g_signal_connect(conn, "closed", G_CALLBACK(logind_on_closed), self);
    self->observer_id = seat_add_observer(seat, logind_on_seat_changed, self);
    logind_inhibit(self);
    g_message("following logind on the system bus");
    return self;
}

void logind_free(Logind *self)
{
    if (!self)
        return;
    /* First: pending callbacks then know that self is gone (see logind_call_self). */
    g_cancellable_cancel(self->cancel);
    if (self->observer_id)
        seat_remove_observer(self->seat, self->observer_id);
    logind_disconnect(self, TRUE);
    g_hash_table_unref(self->sessions);
    g_hash_table_unref(self->pending);
    g_object_unref(self->cancel);
    g_free(self);
}
