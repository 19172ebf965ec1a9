#!/usr/bin/python3
"""A patron's browsing with a real browser. Run it as the guest, with HOME = the guest's home.

  RK_CANARY=PREFIX browse.py chromium|firefox --site http://127.0.0.1:PORT [--log FILE]

Starts the real browser headless with the patron's own default profile (Chromium:
~/.config/chromium and ~/.cache/chromium; Firefox ESR: ~/.mozilla/firefox/rentark.default-esr
registered in profiles.ini, cache in ~/.cache/mozilla), opens the page of
tests/helpers/canary-server.py (its URL carries the canary, so it goes into the history and the
cache), waits until the page has written its cookie, localStorage and IndexedDB entries, clicks
its download link and waits until the file is complete in ~/Downloads. Then it waits (60 s at
most) until each of these stores holds its marker ON DISK (browsers write lazily: Chromium's
history every 10 s, for instance) and prints which do.

Then it prints "holding" and leaves the browser open until the session's end kills both (a
patron who walks away). It never closes the browser cleanly on purpose: rentark's managed
browser policies (config/browser/) make both browsers erase their data at a clean exit, and the
wipe must be proven on the data a browser had no chance to erase.

Chromium is driven through the DevTools protocol on a pipe (--remote-debugging-pipe:
NUL-terminated JSON on fds 3 and 4), Firefox ESR through Marionette (length-prefixed JSON on a
local TCP port the browser picks and writes to the profile): only the standard library.

Output: one line per step, never the canary, a URL or a path below the home; errors on stderr
with the canary replaced by "[canary]". Exit status: 1 failed, 2 usage.
"""
import argparse
import fcntl
import glob
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time

PREFIX = os.environ.pop("RK_CANARY", "")
HOME = os.environ.get("HOME", "")
SHORT = {"chromium": "cr", "firefox": "ff"}
# Category (as the test reports it) -> marker suffix the page puts into that store.
CATEGORIES = [("cookie", "cookie"), ("history", "title"), ("localStorage", "ls"), ("IndexedDB", "idb"),
              ("cache", "cache"), ("download", "dl")]


def say(msg):
    print(msg, flush=True)


def redact(s):
    return str(s).replace(PREFIX, "[canary]") if PREFIX else str(s)


class Failed(Exception):
    pass


class NoStart(Failed):
    pass


def marker(browser, cat):
    return f"{PREFIX}-{SHORT[browser]}-{cat}".encode()


def holds(paths, needle):
    """Whether a regular file among paths (files, or folders searched whole) holds needle."""
    for top in paths:
        files = [top] if os.path.isfile(top) else (os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs)
        for f in files:
            try:
                with open(f, "rb") as fh:
                    if needle in fh.read():
                        return True
            except OSError:
                pass
    return False


def wait_on_disk(browser, stores, timeout):
    """Wait until each store holds its marker on disk; print which do."""
    end = time.monotonic() + timeout
    missing = list(CATEGORIES)
    while missing and time.monotonic() < end:
        missing = [(c, m) for c, m in missing if not holds(stores[c](), marker(browser, m))]
        if missing:
            time.sleep(0.5)
    found = [c for c, m in CATEGORIES if (c, m) not in missing]
    say(f"{browser}: on disk: {', '.join(found) or 'nothing'}"
        + (f"; not on disk after {timeout} s: {', '.join(c for c, _ in missing)}" if missing else ""))


def wait_download(path, browser, timeout):
    """Complete: the file holds the marker and no partial file (.crdownload, .part) is left."""
    end = time.monotonic() + timeout
    d = os.path.dirname(path)
    while time.monotonic() < end:
        names = os.listdir(d) if os.path.isdir(d) else []
        if os.path.basename(path) in names and not [n for n in names if n.endswith((".crdownload", ".part"))]:
            with open(path, "rb") as f:
                if marker(browser, "dl") in f.read():
                    return os.path.getsize(path)
        time.sleep(0.1)
    raise Failed("the download did not complete")


def hold(proc):
    say("holding")
    # The patron walks away: the browser stays open until the end of the session kills it.
    while proc.poll() is None:
        time.sleep(1)
    return 0


# ---------------------------------------------------------------- Chromium: DevTools on a pipe

class Cdp:
    def __init__(self, argv, log):
        r, self.to_child = os.pipe()
        self.from_child, w = os.pipe()
        # The browser reads commands on fd 3 and writes replies and events on fd 4. Its ends
        # are moved above 10 first, so that the redirections cannot clobber one another.
        to_child_r, from_child_w = fcntl.fcntl(r, fcntl.F_DUPFD, 10), fcntl.fcntl(w, fcntl.F_DUPFD, 10)
        os.close(r)
        os.close(w)
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w} {to_child_r}<&- {from_child_w}>&-']
            + argv, pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(to_child_r)
        os.close(from_child_w)
        self.next_id = 0
        self.replies = {}
        self.events = queue.Queue()
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self.from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                self.events.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                m = json.loads(msg)
                if "id" in m:
                    with self.cond:
                        self.replies[m["id"]] = m
                        self.cond.notify_all()
                else:
                    self.events.put(m)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.to_child, json.dumps(m).encode() + b"\0")
        return self.next_id

    def call(self, method, params=None, session=None, timeout=60):
        mid = self.send(method, params, session)
        end = time.monotonic() + timeout
        with self.cond:
            while mid not in self.replies:
                left = end - time.monotonic()
                if self.closed or left <= 0:
                    raise Failed(f"no reply to {method}" + (" (the browser is gone)" if self.closed else ""))
                self.cond.wait(left)
            r = self.replies.pop(mid)
        if "error" in r:
            raise Failed(f"{method}: {r['error'].get('message', 'error')}")
        return r.get("result", {})

    def wait_event(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise Failed(f"timed out waiting for {what}")
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if e is None:
                raise Failed(f"the browser is gone while waiting for {what}")
            if pred(e):
                return e

    def evaluate(self, session, expr, timeout=60):
        r = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True, "returnByValue": True,
                                           "userGesture": True}, session, timeout)
        if "exceptionDetails" in r:
            raise Failed("the page's script failed: " + r["exceptionDetails"].get("text", "?"))
        return r.get("result", {}).get("value")


def chromium(site, sandbox, log):
    try:
        return chromium_run(site, sandbox, log)
    except NoStart:
        if not sandbox:
            raise
    # Chromium's sandbox needs user namespaces (or its setuid helper): without them it exits at
    # once. A kiosk would fix the machine; the test goes on without the sandbox and says so.
    say("chromium: it does not start with its sandbox here: running it with --no-sandbox")
    return chromium_run(site, False, log)


def chromium_run(site, sandbox, log):
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    # The patron's default profile (headless Chromium would otherwise use a temporary one).
    argv = [exe, "--headless", "--remote-debugging-pipe", f"--user-data-dir={HOME}/.config/chromium",
            "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--password-store=basic", "about:blank"]
    if not sandbox:
        argv.insert(1, "--no-sandbox")
    downloads = os.path.join(HOME, "Downloads")
    os.makedirs(downloads, exist_ok=True)
    cdp = Cdp(argv, log)
    try:
        try:
            ver = cdp.call("Browser.getVersion", timeout=90)
        except Failed as e:
            if cdp.closed:
                raise NoStart(str(e))
            raise
        say(f"chromium: started ({ver.get('product', '?')}, sandbox {'on' if sandbox else 'off'})")
        cdp.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads, "eventsEnabled": True})
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        cdp.call("Page.enable", session=session)
        cdp.call("Page.navigate", {"url": f"{site}/p/{PREFIX}-cr-url"}, session)
        cdp.wait_event(lambda e: e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session,
                       90, "the page to load")
        # (A late load event of the first about:blank must not pass for the page's.)
        end = time.monotonic() + 60
        while cdp.evaluate(session, "typeof window.rkReady") != "object":
            if time.monotonic() > end:
                raise Failed("the page did not load")
            time.sleep(0.2)
        say("chromium: page loaded")
        if cdp.evaluate(session, "window.rkReady") != "ready":
            raise Failed("the page did not finish its storage writes")
        say("chromium: the page wrote its cookie, localStorage and IndexedDB entries")
        cdp.evaluate(session, "document.getElementById('dl').click(), 'clicked'")
        done = cdp.wait_event(lambda e: e.get("method") == "Browser.downloadProgress"
                              and e["params"].get("state") in ("completed", "canceled"), 90, "the download")
        if done["params"]["state"] != "completed":
            raise Failed("the download was canceled")
        size = wait_download(os.path.join(downloads, "statement-cr.txt"), "chromium", 30)
        say(f"chromium: download complete in ~/Downloads ({size} bytes)")
        prof = os.path.join(HOME, ".config/chromium/Default")
        wait_on_disk("chromium", {
            "cookie": lambda: [os.path.join(prof, "Cookies")],
            "history": lambda: [os.path.join(prof, "History")],
            "localStorage": lambda: [os.path.join(prof, "Local Storage")],
            "IndexedDB": lambda: [os.path.join(prof, "IndexedDB")],
            "cache": lambda: [os.path.join(HOME, ".cache/chromium")],
            "download": lambda: [downloads],
        }, 60)
        return hold(cdp.proc)
    except BaseException:
        cdp.proc.kill()
        raise


# ---------------------------------------------------------------- Firefox ESR: Marionette

class Marionette:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.next_id = 0
        hello = self._recv()
        if hello.get("marionetteProtocol") != 3:
            raise Failed(f"unknown Marionette protocol {hello.get('marionetteProtocol')}")

    def _recv(self):
        while b":" not in self.buf:
            self._more()
        n, self.buf = self.buf.split(b":", 1)
        n = int(n)
        while len(self.buf) < n:
            self._more()
        msg, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(msg)

    def _more(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise Failed("Marionette closed the connection")
        self.buf += chunk

    def call(self, name, params=None):
        self.next_id += 1
        msg = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.sendall(str(len(msg)).encode() + b":" + msg)
        while True:
            r = self._recv()
            if r[0] == 1 and r[1] == self.next_id:
                break
        if r[2]:
            raise Failed(f"{name}: {r[2].get('error')}: {r[2].get('message', '')[:200]}")
        return r[3]


FIREFOX_PREFS = {
    "marionette.port": 0,  # Firefox picks a free port and writes it to MarionetteActivePort
    "browser.download.dir": None,  # ~/Downloads, set below
    "browser.download.folderList": 2,
    "browser.download.useDownloadDir": True,
    "browser.download.always_ask_before_handling_new_types": False,
    "browser.download.panel.shown": True,
    "browser.shell.checkDefaultBrowser": False,
    "browser.aboutwelcome.enabled": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "extensions.update.enabled": False,
    "app.normandy.enabled": False,
}


def firefox(site, log):
    exe = shutil.which("firefox-esr") or shutil.which("firefox")
    if not exe:
        raise Failed("firefox-esr is not installed")
    root = os.path.join(HOME, ".mozilla/firefox")
    prof = os.path.join(root, "rentark.default-esr")
    os.makedirs(prof, exist_ok=True)
    ini = os.path.join(root, "profiles.ini")
    if not os.path.exists(ini):
        with open(ini, "w") as f:
            f.write("[Profile0]\nName=default-esr\nIsRelative=1\nPath=rentark.default-esr\nDefault=1\n\n"
                    "[General]\nStartWithLastProfile=1\nVersion=2\n")
    downloads = os.path.join(HOME, "Downloads")
    os.makedirs(downloads, exist_ok=True)
    prefs = dict(FIREFOX_PREFS, **{"browser.download.dir": downloads})
    with open(os.path.join(prof, "user.js"), "w") as f:
        for k, v in prefs.items():
            f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")
    port_file = os.path.join(prof, "MarionetteActivePort")
    if os.path.exists(port_file):
        os.unlink(port_file)
    proc = subprocess.Popen([exe, "--headless", "--marionette", "--no-remote", "--profile", prof, "about:blank"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        end = time.monotonic() + 90
        port = 0
        while not port:
            if proc.poll() is not None:
                raise Failed(f"firefox exited with status {proc.returncode} before Marionette was up")
            if time.monotonic() > end:
                raise Failed("Marionette did not start")
            try:
                with open(port_file) as f:
                    port = int(f.read().strip() or 0)
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        m = Marionette(port, 90)
        caps = m.call("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"pageLoadStrategy": "normal"}}})
        c = caps.get("capabilities", {})
        say(f"firefox: started ({c.get('browserName', '?')} {c.get('browserVersion', '?')}, Marionette)")
        m.call("WebDriver:Navigate", {"url": f"{site}/p/{PREFIX}-ff-url"})
        say("firefox: page loaded")
        r = m.call("WebDriver:ExecuteAsyncScript", {
            "script": "const done = arguments[arguments.length - 1];"
                      "window.rkReady.then(done, e => done('failed: ' + e));", "args": []})
        if r.get("value") != "ready":
            raise Failed("the page did not finish its storage writes")
        say("firefox: the page wrote its cookie, localStorage and IndexedDB entries")
        el = m.call("WebDriver:FindElement", {"using": "css selector", "value": "#dl"})["value"]
        m.call("WebDriver:ElementClick", {"id": el.get("element-6066-11e4-a52e-4f735466cecf") or next(iter(el.values()))})
        size = wait_download(os.path.join(downloads, "statement-ff.txt"), "firefox", 60)
        say(f"firefox: download complete in ~/Downloads ({size} bytes)")
        cache_dirs = lambda: [os.path.join(HOME, ".cache/mozilla"), os.path.join(prof, "cache2")]
        wait_on_disk("firefox", {
            "cookie": lambda: glob.glob(os.path.join(prof, "cookies.sqlite*")),
            "history": lambda: glob.glob(os.path.join(prof, "places.sqlite*")),
            "localStorage": lambda: [os.path.join(prof, "storage"), *glob.glob(os.path.join(prof, "webappsstore.sqlite*"))],
            "IndexedDB": lambda: [os.path.join(prof, "storage")],
            "cache": cache_dirs,
            "download": lambda: [downloads],
        }, 60)
        return hold(proc)
    except BaseException:
        proc.kill()
        raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("browser", choices=["chromium", "firefox"])
    ap.add_argument("--site", required=True)
    ap.add_argument("--no-sandbox", action="store_true", help="Chromium: run without its sandbox")
    ap.add_argument("--log", help="the browser's own output goes here (default: /dev/null)")
    a = ap.parse_args()
    if len(PREFIX) < 16 or not HOME:
        print("browse.py: RK_CANARY and HOME must be set", file=sys.stderr)
        return 2
    log = open(a.log, "ab") if a.log else subprocess.DEVNULL
    try:
        if a.browser == "chromium":
            return chromium(a.site, not a.no_sandbox, log)
        return firefox(a.site, log)
    except (Failed, OSError, ValueError, KeyError) as e:
        print(f"browse.py: {a.browser}: {redact(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
