#!/usr/bin/python3
"""A tiny web site on 127.0.0.1 that makes a browser keep a canary in each of its stores.

Used by tests/integration/test-browser-canary.sh and scripts/demo.sh (driven by
tests/helpers/browse.py). The canary prefix comes from the environment (RK_CANARY) and stays in
this process's memory: it is never printed, logged or written to a file, since a search of
every file on the machine must find it only where the browser put it. Each store gets its own
marker, PREFIX-B-CATEGORY (B: "cr" Chromium, "ff" Firefox), so the test can tell which stores
it saw, for which browser:

  GET /p/PREFIX-B-url   the page. Its URL goes into the history (and the cache's key). It is
                        cacheable (max-age) and its body carries the "cache" marker. Its script
                        holds the prefix only hex-encoded (so that the cached body carries no
                        other marker), sets the title ("title": the history entry's title),
                        writes localStorage ("ls") and IndexedDB ("idb"), fetches /c?b=B, and
                        resolves window.rkReady to "ready" when all of it is done
  GET /c?b=B            sets a persistent cookie whose NAME carries the "cookie" marker
                        (Chromium encrypts cookie values on disk, names stay plain); no-store
  GET /dl?b=B           Content-Disposition: attachment, statement-B.txt with the "dl" marker

Usage: RK_CANARY=PREFIX canary-server.py --port-file FILE
The port (not secret) is written to FILE (atomically); then it serves until killed.
"""
import argparse
import http.server
import os
import re
import sys
import urllib.parse

PREFIX = os.environ.pop("RK_CANARY", "")
if len(PREFIX) < 16 or not re.fullmatch(r"[A-Za-z0-9]+", PREFIX):
    sys.exit("canary-server: RK_CANARY (at least 16 letters and digits) is not set")
BROWSERS = ("cr", "ff")


def page(b):
    hexed = f"{PREFIX}-{b}".encode().hex()
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Library PC test page</title></head>
<body>
<h1>Welcome to the library</h1>
<p id="note">{PREFIX}-{b}-cache</p>
<a id="dl" href="/dl?b={b}">Download the bank statement</a>
<script>
const p = "{hexed}".match(/../g).map(h => String.fromCharCode(parseInt(h, 16))).join("");
document.title = p + "-title";
localStorage.setItem(p + "-lskey", p + "-ls");
window.rkReady = (async () => {{
  await new Promise((resolve, reject) => {{
    const open = indexedDB.open("library", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("notes");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {{
      const tx = open.result.transaction("notes", "readwrite");
      tx.objectStore("notes").put({{ text: p + "-idb" }}, "note");
      tx.oncomplete = () => {{ open.result.close(); resolve(); }};
      tx.onerror = () => reject(tx.error);
    }};
  }});
  await fetch("/c?b={b}", {{ credentials: "same-origin", cache: "no-store" }});
  // Chromium writes its cookie database every 30 s or after 512 changes: 600 changes of a
  // padding cookie make it write the canary's cookie at once (the test need not wait).
  for (let i = 0; i < 300; i++) document.cookie = "rkpad=" + i + "; Max-Age=86400; Path=/";
  document.cookie = "rkpad=; Max-Age=0; Path=/";
  return "ready";
}})();
</script>
</body></html>
""".encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rentark-test"
    sys_version = ""

    def log_message(self, *args):  # request lines carry the canary: never log them
        pass

    def send(self, code, body, headers):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        b = urllib.parse.parse_qs(url.query).get("b", [""])[0]
        m = re.fullmatch(rf"/p/{PREFIX}-(cr|ff)-url", url.path)
        nostore = ("Cache-Control", "no-store")
        if m:
            self.send(200, page(m.group(1)), [("Content-Type", "text/html; charset=utf-8"),
                                              ("Cache-Control", "public, max-age=86400")])
        elif url.path == "/c" and b in BROWSERS:
            self.send(200, b"ok\n", [("Content-Type", "text/plain"), nostore,
                                     ("Set-Cookie", f"{PREFIX}-{b}-cookie=1; Max-Age=86400; Path=/; SameSite=Lax")])
        elif url.path == "/dl" and b in BROWSERS:
            body = (f"Account statement\n{PREFIX}-{b}-dl\n" + "0123456789abcdef" * 4096 + "\n").encode()
            self.send(200, body, [("Content-Type", "application/octet-stream"), nostore,
                                  ("Content-Disposition", f'attachment; filename="statement-{b}.txt"')])
        else:
            self.send(404, b"not here\n", [("Content-Type", "text/plain"), nostore])

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
