/* XSync IDLETIME alarms. The server counts milliseconds since the last input event on any
 * device; an alarm is a server-side comparison against that counter, so the client sleeps
 * until something happens. */
#include "idle.h"

#include <X11/extensions/sync.h>
#include <string.h>

struct Idle {
    Display *dpy;
    int event_base;
    XSyncCounter counter;
    XSyncAlarm fire;  /* idle >= threshold */
    XSyncAlarm reset; /* idle < threshold again: input happened */
    XSyncAlarm input; /* idle_watch_input(): the first input after a quiet spell */
    IdleInputCallback input_cb;
    gpointer input_data;
    gint64 threshold_ms;
    gboolean enabled;
    gboolean is_idle;
    IdleCallback cb;
    gpointer user_data;
};

static XSyncValue value_of(gint64 v)
{
    XSyncValue x;
    XSyncIntsToValue(&x, (unsigned)(v & 0xffffffffu), (int)(v >> 32));
    return x;
}

static gint64 int_of(XSyncValue v)
{
    return ((gint64)XSyncValueHigh32(v) << 32) | (gint64)(guint32)XSyncValueLow32(v);
}

/* Set an alarm: comparison test against value, delta 0 so it fires once and then stays
 * inactive until set again. Creates it on first use. */
static void set_alarm(Idle *idle, XSyncAlarm *alarm, XSyncTestType test, gint64 value)
{
    XSyncAlarmAttributes a;
    memset(&a, 0, sizeof a);
    a.trigger.counter = idle->counter;
    a.trigger.value_type = XSyncAbsolute;
    a.trigger.test_type = test;
    a.trigger.wait_value = value_of(value);
    a.delta = value_of(0);
    a.events = True;
    unsigned long mask = XSyncCACounter | XSyncCAValueType | XSyncCATestType | XSyncCAValue | XSyncCADelta |
                         XSyncCAEvents;
    if (*alarm == None)
        *alarm = XSyncCreateAlarm(idle->dpy, mask, &a);
    else
        XSyncChangeAlarm(idle->dpy, *alarm, mask, &a);
}

static void destroy_alarm(Idle *idle, XSyncAlarm *alarm)
{
    if (*alarm != None)
        XSyncDestroyAlarm(idle->dpy, *alarm);
    *alarm = None;
}

Idle *idle_new(Display *dpy, gint64 threshold_ms, IdleCallback cb, gpointer user_data)
{
    int event_base, error_base, major, minor, n = 0;
    if (!XSyncQueryExtension(dpy, &event_base, &error_base) ||
        !XSyncInitialize(dpy, &major, &minor))
        return NULL;
    XSyncSystemCounter *counters = XSyncListSystemCounters(dpy, &n);
    XSyncCounter counter = None;
    for (int i = 0; i < n; i++)
        if (strcmp(counters[i].name, "IDLETIME") == 0)
            counter = counters[i].counter;
    if (counters)
        XSyncFreeSystemCounterList(counters);
    if (counter == None)
        return NULL;
    Idle *idle = g_new0(Idle, 1);
    idle->dpy = dpy;
    idle->event_base = event_base;
    idle->counter = counter;
    idle->threshold_ms = threshold_ms;
    idle->cb = cb;
    idle->user_data = user_data;
    return idle;
}

void idle_free(Idle *idle)
{
    if (!idle)
        return;
    destroy_alarm(idle, &idle->fire);
    destroy_alarm(idle, &idle->reset);
    destroy_alarm(idle, &idle->input);
    g_free(idle);
}

void idle_set_enabled(Idle *idle, gboolean enabled)
{
    /* A threshold of 0 or less means no idle warning: the alarms are never armed. */
    if (!idle || idle->enabled == enabled || idle->threshold_ms <= 0)
        return;
    idle->enabled = enabled;
    idle->is_idle = FALSE;
    if (enabled) {
        set_alarm(idle, &idle->fire, XSyncPositiveComparison, idle->threshold_ms);
    } else {
        destroy_alarm(idle, &idle->fire);
        destroy_alarm(idle, &idle->reset);
    }
}

void idle_watch_input(Idle *idle, gint64 quiet_ms, IdleInputCallback cb, gpointer user_data)
{
    if (!idle || idle->input != None)
        return;
    idle->input_cb = cb;
    idle->input_data = user_data;
    /* A transition, not a comparison: the input that has just happened (the click that
     * accepted the notice) must not count, only input after a quiet spell. */
    set_alarm(idle, &idle->input, XSyncNegativeTransition, quiet_ms);
}

void idle_unwatch_input(Idle *idle)
{
    if (!idle)
        return;
    destroy_alarm(idle, &idle->input);
    idle->input_cb = NULL;
}

gboolean idle_handle_event(Idle *idle, const XEvent *ev)
{
    if (!idle || ev->type != idle->event_base + XSyncAlarmNotify)
        return FALSE;
    const XSyncAlarmNotifyEvent *a = (const XSyncAlarmNotifyEvent *)ev;
    if (idle->input != None && a->alarm == idle->input && a->state != XSyncAlarmDestroyed) {
        IdleInputCallback cb = idle->input_cb;
        gpointer data = idle->input_data;
        idle_unwatch_input(idle);
        /* Last: cb may free idle (new settings make a new detector). */
        if (cb)
            cb(data);
        return TRUE;
    }
    if (!idle->enabled || a->state == XSyncAlarmDestroyed)
        return TRUE;
    if (a->alarm == idle->fire && !idle->is_idle) {
        idle->is_idle = TRUE;
        /* A comparison (not a transition) test: if the patron already moved the mouse between
         * the first alarm and this request, it fires at once, so no input is missed. */
        set_alarm(idle, &idle->reset, XSyncNegativeComparison, idle->threshold_ms - 1);
        idle->cb(TRUE, idle->user_data);
    } else if (a->alarm == idle->reset && idle->is_idle) {
        idle->is_idle = FALSE;
        set_alarm(idle, &idle->fire, XSyncPositiveComparison, idle->threshold_ms);
        idle->cb(FALSE, idle->user_data);
    }
    return TRUE;
}

gint64 idle_query_ms(Idle *idle)
{
    XSyncValue v;
    if (!idle || !XSyncQueryCounter(idle->dpy, idle->counter, &v))
        return -1;
    return int_of(v);
}
