/* xprobe: a tiny X client for the rentark-session tests (built by the tests themselves with
 * `cc ... -lX11 -lXrandr`, because the Makefile links the C helpers of tests/helpers without X libraries).
 *
 *   xprobe probe FILE      map a normal window, take the input focus, and write the number of
 *                          key and button presses it received to FILE after each one
 *   xprobe ready           null client for the benchmark: map a window, draw it, XSync, print
 *                          "ready" and exit
 *   xprobe monitors        split the root window into two RandR monitors, left (primary) and
 *                          right, as a stand-in for a second physical screen
 *   xprobe monitors-list   print the RandR monitors, one "x y w h primary" line each */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xrandr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_count(const char *path, int n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%d\n", n);
    fclose(f);
    rename(tmp, path);
}

static _Noreturn void probe(Display *dpy, const char *path)
{
    Window w = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 100, 100, 400, 300, 0, 0, 0x336699);
    XStoreName(dpy, w, "xprobe");
    XSelectInput(dpy, w, KeyPressMask | ButtonPressMask | ExposureMask | StructureNotifyMask);
    XMapWindow(dpy, w);
    int n = 0;
    write_count(path, n);
    for (;;) {
        XEvent ev;
        XNextEvent(dpy, &ev);
        if (ev.type == MapNotify) {
            /* No window manager in the tests: take the focus ourselves, as an application
             * the patron clicked would have it. */
            XSetInputFocus(dpy, w, RevertToParent, CurrentTime);
            printf("mapped\n");
            fflush(stdout);
        } else if (ev.type == KeyPress || ev.type == ButtonPress) {
            write_count(path, ++n);
        }
    }
}

static int ready(Display *dpy)
{
    Window w = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, 640, 400, 0, 0, 0xffffff);
    XSelectInput(dpy, w, ExposureMask);
    XMapWindow(dpy, w);
    for (;;) {
        XEvent ev;
        XNextEvent(dpy, &ev);
        if (ev.type == Expose) {
            GC gc = DefaultGC(dpy, DefaultScreen(dpy));
            XFillRectangle(dpy, w, gc, 10, 10, 200, 50);
            XSync(dpy, False);
            printf("ready\n");
            fflush(stdout);
            return 0;
        }
    }
}

static int monitors(Display *dpy)
{
    Window root = DefaultRootWindow(dpy);
    int W = DisplayWidth(dpy, 0), H = DisplayHeight(dpy, 0);
    const char *names[2] = { "RK-LEFT", "RK-RIGHT" };
    for (int i = 0; i < 2; i++) {
        XRRMonitorInfo *m = XRRAllocateMonitor(dpy, 0);
        m->name = XInternAtom(dpy, names[i], False);
        m->primary = i == 0;
        m->x = i * W / 2;
        m->y = 0;
        m->width = W / 2;
        m->height = H;
        m->mwidth = 300;
        m->mheight = 200;
        XRRSetMonitor(dpy, root, m);
        XRRFreeMonitors(m);
    }
    XSync(dpy, False);
    return 0;
}

static int monitors_list(Display *dpy)
{
    int n = 0;
    XRRMonitorInfo *m = XRRGetMonitors(dpy, DefaultRootWindow(dpy), True, &n);
    for (int i = 0; i < n; i++)
        printf("%d %d %d %d %d\n", m[i].x, m[i].y, m[i].width, m[i].height, m[i].primary);
    if (m)
        XRRFreeMonitors(m);
    return 0;
}

int main(int argc, char **argv)
{
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy || argc < 2) {
        fprintf(stderr, "xprobe: no display or no mode\n");
        return 2;
    }
    if (strcmp(argv[1], "probe") == 0 && argc == 3)
        probe(dpy, argv[2]);
    if (strcmp(argv[1], "ready") == 0)
        return ready(dpy);
    if (strcmp(argv[1], "monitors") == 0)
        return monitors(dpy);
    if (strcmp(argv[1], "monitors-list") == 0)
        return monitors_list(dpy);
    fprintf(stderr, "xprobe: unknown mode\n");
    return 2;
}
