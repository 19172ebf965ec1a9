#!/usr/bin/python3
"""A stand-in for rentarkd in the rentark-session tests, which run against the real rentarkd;
the double is kept for what the real daemon cannot hold still (a seat that stays in ENDING
with the client alive, to look at the ending screen: see tests/helpers/session-lib.sh). It
speaks the control protocol of
common/proto.h on the unix socket paths.socket of the given config, with a small session state
machine (NOTICE -> ACTIVE -> ENDING), three volunteers and idle/time-limit handling.

    fake-agent.py -c CONFIG [-f] [--log FILE] [--state STATE] [--last-wipe UNIX] [--unverified]
                  [--closes-in S] [--opens-in S | --opens-at T] [--closing-warn S]
                  [--seat-name NAME]

The timings come from the config's session group (time_limit, idle_timeout, idle_warning,
idle_report_interval, warnings, extend_by, max_extends), notice.text_dir and
notice.screen_reader, read with a regular expression: enough
for the small configs the tests write; session-config reports them (generation 1), with
seat_name=NAME of --seat-name (empty without it). Every request is
appended to --log as one line (a PIN is written as ****), and every state change as
"state NEW reason"; the tests read that file.

Volunteers (every PIN is 1234):
    kari  Kari Nordmann   declaration and training in order
    ola   Ola Hansen      no confidentiality declaration on file   -> ERR declaration
    per   Per Berg        training modules missing                 -> ERR training
"""
import argparse
import os
import re
import selectors
import signal
import socket
import sys
import time

MAX_LINE = 4096
VOLUNTEERS = [
    ("kari", "Kari Nordmann", None),
    ("ola", "Ola Hansen", ("declaration", "no confidentiality declaration on file")),
    ("per", "Per Berg", ("training", "required training modules 5, 8 not completed")),
]
PIN = "1234"


def escape(s):
    out = []
    for b in s.encode():
        if b <= 0x20 or b >= 0x7F or b in (ord("%"), ord("=")):
            out.append("%%%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def unescape(s):
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def conf_int(text, key, default):
    m = re.search(r"^\s*" + key + r"\s*=\s*(\d+)\s*;", text, re.M)
    return int(m.group(1)) if m else default


def conf_str(text, key, default):
    m = re.search(r"^\s*" + key + r'\s*=\s*"([^"]*)"\s*;', text, re.M)
    return m.group(1) if m else default


class Agent:
    def __init__(self, args):
        text = open(args.config).read()
        self.socket_path = conf_str(text, "socket", "/run/rentark/control.sock")
        self.time_limit = conf_int(text, "time_limit", 7200)
        self.idle_timeout = conf_int(text, "idle_timeout", 900)
        self.idle_warning = conf_int(text, "idle_warning", 60)
        self.interval = conf_int(text, "idle_report_interval", 30)
        self.extend_by = conf_int(text, "extend_by", 600)
        self.max_extends = conf_int(text, "max_extends", 10)
        self.screen_reader = 1 if re.search(r"^\s*screen_reader\s*=\s*true\s*;", text, re.M) else 0
        self.extends_used = 0
        self.text_dir = conf_str(text, "text_dir", "/etc/rentark/notice")
        m = re.search(r"^\s*warnings\s*=\s*\[([^\]]*)\]", text, re.M)
        self.warnings = sorted(int(x) for x in re.findall(r"\d+", m.group(1))) if m else [600, 300, 60]
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.state = args.state
        self.last_wipe = args.last_wipe if args.last_wipe is not None else int(time.time()) - 600
        self.verified = 0 if args.unverified else 1
        self.seat_name = args.seat_name
        # Opening hours: seconds from now to the closing (0: none), to the next opening (when
        # CLOSED), and the closing warning in force.
        now = int(time.time())
        self.closes_at = now + args.closes_in if args.closes_in else 0
        self.opens_at = args.opens_at or (now + args.opens_in if args.opens_in else 0)
        self.closing_warn = args.closing_warn
        self.guided = False
        self.consent = False
        self.volunteer = ""
        self.started = None
        self.idle = 0
        # The step-away lock: its code (held here in the clear: a test double), its deadline
        # and the wrong codes typed.
        self.step_away_max = args.step_away_max
        self.lock = None
        self.lock_until = 0
        self.lock_wrong = 0
        # Logins (hook session-setup) refused before the seat turns READY (a wipe that ends
        # between a refusal and the next look).
        self.setup_refusals = args.setup_refusals

    def note(self, line):
        if self.log:
            self.log.write(line + "\n")

    def set_state(self, state, reason):
        self.state = state
        self.note("state %s %s" % (state, reason))

    def time_left(self):
        if self.time_limit == 0:
            return -1
        if self.started is None:
            return self.time_limit
        return max(0, int(self.time_limit - (time.monotonic() - self.started)))

    def extends_left(self):
        if self.state != "ACTIVE" or self.time_limit == 0 or self.extend_by == 0:
            return 0
        return max(0, self.max_extends - self.extends_used)

    def tick(self):
        if self.state == "ACTIVE" and self.time_limit and self.time_left() <= 0:
            self.set_state("ENDING", "time")
        if self.state == "ACTIVE" and self.lock is not None and time.monotonic() >= self.lock_until:
            self.lock = None
            self.set_state("ENDING", "lock_timeout")

    def handle(self, line):
        words = line.split(" ")
        verb, args = words[0].lower(), [unescape(w) for w in words[1:]]
        if verb == "guided":
            self.note("guided %s ****" % " ".join(args[:1]))
        elif verb in ("lock", "unlock"):
            self.note(verb + " ****")
        else:
            self.note(line)
        self.tick()
        if verb == "status":
            return self.status()
        return self.handle_verb(verb, args)

    def status(self):
        left = self.time_left()
        warn = 0
        if self.state == "ACTIVE" and left >= 0:
            warn = min([w for w in self.warnings if left <= w], default=0)
        kv = [("caller", "guest"), ("state", self.state), ("session", "s1"), ("guided", "1" if self.guided else "0"),
              ("volunteer", self.volunteer), ("time_left", str(left)),
              ("idle_left", str(max(0, self.idle_timeout - self.idle))), ("warn", str(warn)),
              ("extends_left", str(self.extends_left())),
              ("closes_at", str(self.closes_at)), ("opens_at", str(self.opens_at)),
              ("session_time", str(self.time_limit if self.time_limit else -1)),
              ("closing_warn", str(self.closing_warn if self.state == "ACTIVE" else 0)),
              ("last_wipe", str(self.last_wipe)), ("verified", str(self.verified)), ("generation", "1"),
              ("waiting_input", "0"), ("locked", "1" if self.lock is not None else "0"),
              ("lock_left", str(max(0, int(self.lock_until - time.monotonic())) if self.lock is not None else -1)),
              ("lock_tries_left", str(5 - self.lock_wrong if self.lock is not None else 0))]
        return "OK " + " ".join("%s=%s" % (k, escape(v)) for k, v in kv)

    def handle_verb(self, verb, args):
        if verb == "session-config":
            warnings = ",".join(str(w) for w in sorted(self.warnings, reverse=True)) or "-"
            kv = [("generation", "1"), ("idle_timeout", str(self.idle_timeout)), ("idle_warning", str(self.idle_warning)),
                  ("idle_report_interval", str(self.interval)), ("lang", "nb"), ("guided_enabled", "1"),
                  ("extend_by", str(self.extend_by)), ("max_extends", str(self.max_extends)),
                  ("screen_reader", str(self.screen_reader)), ("step_away_max", str(self.step_away_max)),
                  ("start_on_first_input", "0"), ("first_input_wait", "180"),
                  ("warnings", warnings), ("seat_name", self.seat_name), ("languages", "nb,nn,en"),
                  ("notice_dir", self.text_dir)]
            return "OK " + " ".join("%s=%s" % (k, escape(v)) for k, v in kv)
        if verb == "volunteers":
            kv = ["n=%d" % len(VOLUNTEERS)]
            for i, (vid, name, _) in enumerate(VOLUNTEERS):
                kv.append("id%d=%s name%d=%s" % (i, escape(vid), i, escape(name)))
            return "OK " + " ".join(kv)
        if verb == "guided":
            if len(args) != 2:
                return "ERR invalid usage:%20guided%20ID%20PIN"
            if self.state != "NOTICE":
                return "ERR state not%20in%20NOTICE"
            vol = [v for v in VOLUNTEERS if v[0] == args[0]]
            if not vol:
                return "ERR unknown no%20such%20volunteer"
            if args[1] != PIN:
                return "ERR pin wrong%20PIN"
            if vol[0][2]:
                return "ERR %s %s" % (vol[0][2][0], escape(vol[0][2][1]))
            self.guided, self.consent, self.volunteer = True, False, vol[0][1]
            return "OK name=" + escape(vol[0][1])
        if verb == "consent":
            if not self.guided or self.state != "NOTICE":
                return "ERR state no%20guided%20session"
            self.consent = True
            return "OK"
        if verb == "accept":
            if self.state != "NOTICE":
                return "ERR state not%20in%20NOTICE"
            if self.guided and not self.consent:
                return "ERR state the%20patron%20has%20not%20consented"
            self.started = time.monotonic()
            self.set_state("ACTIVE", "accept")
            return "OK"
        if verb == "decline":
            if self.state != "NOTICE":
                return "ERR state not%20in%20NOTICE"
            self.set_state("ENDING", "decline")
            return "OK"
        if verb == "end":
            if self.state not in ("NOTICE", "ACTIVE"):
                return "ERR state no%20session"
            self.set_state("ENDING", args[0] if args else "button")
            return "OK"
        if verb == "extend":  # answered with the status, as rentarkd does
            if self.state != "ACTIVE":
                return "ERR state no%20running%20session"
            if self.time_limit == 0:
                return "ERR no-limit no%20time%20limit"
            if self.extend_by == 0 or self.max_extends == 0:
                return "ERR denied extending%20is%20off"
            if self.extends_left() == 0:
                return "ERR exhausted no%20extension%20left"
            self.extends_used += 1
            self.time_limit += self.extend_by
            return self.status()
        if verb == "idle":
            if len(args) != 1 or not args[0].isdigit():
                return "ERR invalid usage:%20idle%20SECONDS"
            self.idle = int(args[0])
            if self.idle_timeout and self.idle >= self.idle_timeout and self.state in ("NOTICE", "ACTIVE"):
                self.set_state("ENDING", "idle")
            return "OK"
        if verb == "lock":  # answered with the status, as rentarkd does
            if len(args) != 1:
                return "ERR invalid usage:%20lock%20CODE"
            if self.state != "ACTIVE" or self.lock is not None:
                return "ERR state not%20running%20or%20locked"
            if self.step_away_max == 0:
                return "ERR denied the%20lock%20is%20off"
            if not re.fullmatch(r"[0-9]{4,8}", args[0]):
                return "ERR invalid 4%20to%208%20digits"
            self.lock, self.lock_wrong = args[0], 0
            self.lock_until = time.monotonic() + self.step_away_max
            self.note("locked")
            return self.status()
        if verb == "unlock":
            if len(args) != 1:
                return "ERR invalid usage:%20unlock%20CODE"
            if self.state != "ACTIVE" or self.lock is None:
                return "ERR state not%20locked"
            if args[0] == self.lock:
                self.lock = None
                self.note("unlocked")
                return self.status()
            self.lock_wrong += 1
            if self.lock_wrong >= 5:
                self.lock = None
                self.set_state("ENDING", "lock_wrong_code")
            return "ERR wrong-code wrong%20code"
        if verb == "hook":  # a display manager's login (session-setup) and logout
            if len(args) != 2 or args[0] not in ("session-setup", "session-cleanup"):
                return "ERR invalid usage:%20hook%20session-setup|session-cleanup%20USER"
            if args[0] == "session-cleanup":
                if self.state in ("NOTICE", "ACTIVE"):
                    self.set_state("READY", "logout")
                return self.status()
            if self.state in ("NOTICE", "ACTIVE"):
                return self.status()
            refused = "ERR state " + escape("the seat is %s: no session can begin" % self.state)
            if self.setup_refusals > 0:
                # The wipe ends right after this refusal: the next look finds the seat READY.
                self.setup_refusals -= 1
                if self.setup_refusals == 0 and self.state in ("ENDING", "WIPING"):
                    self.set_state("READY", "wiped")
                return refused
            if self.state != "READY":
                return refused
            self.set_state("NOTICE", "login")
            return self.status()
        if verb == "fake-state":  # tests only: a staff end, a blocked seat
            self.set_state(args[0], "test")
            return "OK"
        return "ERR unknown unknown%20verb"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-c", "--config", required=True)
    p.add_argument("-f", "--foreground", action="store_true")
    p.add_argument("--log")
    p.add_argument("--state", default="NOTICE")
    p.add_argument("--last-wipe", type=int)
    p.add_argument("--unverified", action="store_true")
    p.add_argument("--seat-name", default="")
    p.add_argument("--step-away-max", type=int, default=0, help="session.step_away_max (0, the default here: no lock)")
    p.add_argument("--closes-in", type=int, default=0, help="the library closes in S seconds (status closes_at)")
    p.add_argument("--opens-in", type=int, default=0, help="it opens again in S seconds (status opens_at)")
    p.add_argument("--opens-at", type=int, default=0,
                   help="it opens again at unix time T (a test's expected text uses the same instant)")
    p.add_argument("--closing-warn", type=int, default=0, help="the closing warning in force while ACTIVE")
    p.add_argument("--setup-refusals", type=int, default=0,
                   help="refuse N logins (hook session-setup), then the seat is READY")
    a = Agent(p.parse_args())
    try:
        os.unlink(a.socket_path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.socket_path)
    os.chmod(a.socket_path, 0o666)
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    a.note("listening")
    try:
        while True:
            conn, _ = srv.accept()
            conn.settimeout(2)
            buf = b""
            try:
                while b"\n" not in buf and len(buf) < MAX_LINE:
                    chunk = conn.recv(MAX_LINE)
                    if not chunk:
                        break
                    buf += chunk
                line = buf.split(b"\n")[0].decode("ascii", "replace").strip()
                reply = a.handle(line) if line else "ERR invalid empty%20request"
                conn.sendall((reply + "\n").encode())
            except (OSError, socket.timeout):
                pass
            finally:
                conn.close()
    finally:
        try:
            os.unlink(a.socket_path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
