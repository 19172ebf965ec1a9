#!/usr/bin/python3
"""A slow accessibility bus launcher, for tests: owns org.a11y.Bus on the session bus and holds
every GetAddress call until the file RELEASE exists; then starts the real accessibility bus
(dbus-daemon with at-spi2-core's configuration, which activates the registry) and answers
every held and later call with its address.

Usage: slow-a11y-bus.py RELEASE STATE
STATE gets "owned" once the name is ours, then "asked N" for each call held, then
"answered N" once the held calls are answered. SIGTERM ends it and the bus it started."""
import os
import signal
import subprocess
import sys

from gi.repository import Gio, GLib

XML = """<node><interface name="org.a11y.Bus">
<method name="GetAddress"><arg type="s" direction="out"/></method>
</interface></node>"""

release, state_path = sys.argv[1], sys.argv[2]
held = []
address = None
bus_proc = None


def state(line):
    tmp = state_path + ".new"
    with open(tmp, "w") as f:
        f.write(line + "\n")
    os.rename(tmp, state_path)


def answer_all():
    global held
    n = len(held)
    for inv in held:
        inv.return_value(GLib.Variant("(s)", (address,)))
    held = []
    state("answered %d" % n)


def poll():
    global address, bus_proc
    if address is None and os.path.exists(release):
        bus_proc = subprocess.Popen(
            ["dbus-daemon", "--config-file=/usr/share/defaults/at-spi2/accessibility.conf",
             "--nofork", "--print-address"], stdout=subprocess.PIPE, text=True)
        address = bus_proc.stdout.readline().strip()
        answer_all()
    return True


def on_call(conn, sender, path, iface, method, params, inv):
    if address is None:
        held.append(inv)
        state("asked %d" % len(held))
    else:
        inv.return_value(GLib.Variant("(s)", (address,)))


def on_bus(conn, name):
    info = Gio.DBusNodeInfo.new_for_xml(XML)
    conn.register_object("/org/a11y/bus", info.interfaces[0], on_call, None, None)


def on_name(conn, name):
    state("owned")


def quit(*_):
    if bus_proc:
        bus_proc.terminate()
    loop.quit()


loop = GLib.MainLoop()
Gio.bus_own_name(Gio.BusType.SESSION, "org.a11y.Bus", Gio.BusNameOwnerFlags.NONE,
                 on_bus, on_name, lambda *a: quit())
GLib.timeout_add(100, poll)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, quit)
loop.run()
