#!/usr/bin/python3
"""What a screen reader sees of rentark-session, through the real AT-SPI bus (pyatspi): the
same tree Orca walks. Run in the guest's D-Bus session (DBUS_SESSION_BUS_ADDRESS) on its
DISPLAY.

    atspi.py apps                    the applications on the accessibility bus, one per line
    atspi.py tree                    every showing object of rentark-session: "role|name"
    atspi.py names                   every showing push button, heading, dialog, alert, status
                                     bar, notification and label must have a name: prints
                                     "ok N" or the nameless ones, exit 1
    atspi.py find ROLE NAME          exit 0 when a showing object of ROLE is named NAME
    atspi.py press NAME              activate the showing push button named NAME (its first
                                     action, "click"), as Orca does on Enter
    atspi.py wait SECONDS ROLE NAME  find, retried until SECONDS have passed

Exit status 2 when rentark-session is not on the bus.
"""
import sys
import time

import pyatspi

NAMED_ROLES = {"push button", "heading", "dialog", "alert", "status bar", "notification", "label"}


def app():
    desktop = pyatspi.Registry.getDesktop(0)
    for a in desktop:
        if a is not None and a.name == "rentark-session":
            return a
    return None


def showing(o):
    try:
        return o.getState().contains(pyatspi.STATE_SHOWING)
    except Exception:
        return False


def walk(o, out):
    try:
        role = o.getRoleName()
        children = list(o)
    except Exception:
        return
    out.append((role, o.name or "", o))
    for c in children:
        if c is not None and (showing(c) or c.getRoleName() in ("dialog", "alert", "window", "status bar")):
            walk(c, out)


def objects():
    a = app()
    if a is None:
        print("rentark-session is not on the accessibility bus", file=sys.stderr)
        sys.exit(2)
    out = []
    for win in a:
        if win is not None and showing(win):
            walk(win, out)
    return out


def find(role, name):
    for r, n, o in objects():
        if r == role and n == name:
            return o
    return None


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "tree"
    if cmd == "apps":
        for a in pyatspi.Registry.getDesktop(0):
            if a is not None:
                print(a.name)
        return 0
    if cmd == "tree":
        for r, n, _ in objects():
            print(f"{r}|{n}")
        return 0
    if cmd == "names":
        bad = [(r, n) for r, n, _ in objects() if r in NAMED_ROLES and not n.strip()]
        if bad:
            for r, _ in bad:
                print(f"nameless {r}")
            return 1
        print(f"ok {sum(1 for r, _, _ in objects() if r in NAMED_ROLES)}")
        return 0
    if cmd == "find":
        return 0 if find(argv[2], argv[3]) else 1
    if cmd == "wait":
        end = time.monotonic() + float(argv[2])
        while time.monotonic() < end:
            if find(argv[3], argv[4]):
                return 0
            time.sleep(0.2)
        return 1
    if cmd == "press":
        o = find("push button", argv[2])
        if o is None:
            print(f"no showing push button named {argv[2]!r}", file=sys.stderr)
            return 1
        act = o.queryAction()
        names = [act.getName(i) for i in range(act.nActions)]
        i = names.index("click") if "click" in names else 0
        return 0 if act.doAction(i) else 1
    print(f"atspi.py: unknown command {cmd!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
