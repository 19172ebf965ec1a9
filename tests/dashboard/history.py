#!/usr/bin/python3
"""One day of a library's kiosks, as Prometheus would have scraped them: OpenMetrics text for
`promtool tsdb create-blocks-from openmetrics`, to render the Grafana dashboard against.

The series are exactly the ones a real rentarkd writes: the script is given the daemon's own
textfile (rentark.prom) and emits every sample line of it, for every seat and every scrape,
with the labels the scrape adds (branch, seat, instance, job). Only the values are simulated
(seeded, so the same day comes out every time): sessions in the opening hours, how they ended,
wipe and census durations, two seats free now, one seat blocked by an unverified wipe (an open incident), one
incident resolved earlier in the day, one daemon that stopped writing (its textfile is still
served, with an old timestamp) and one branch already closed.

usage: history.py REAL.prom OUT.om NOW [--expect EXPECT.json]
  EXPECT.json gets what the dashboard must show at NOW (the seat map, the open incidents), so
  that a test can compare the rendered panels with the day that was simulated.
"""
import bisect
import json
import random
import re
import sys

STEP = 120  # seconds between scrapes
DAY = 86400

# (branch, seat, opens, closes): hours relative to NOW, so that the picture does not depend on
# when it is made: the main library is open (opened 7 h ago, closes in 3 h), the branch closed
# an hour ago. The day before had the same hours.
BRANCHES = [
    ("Hovedbiblioteket", [f"PC {i} – {1 + (i - 1) // 4}. etasje" for i in range(1, 9)], -7 * 3600, 3 * 3600),
    ("Filial Nord", [f"PC {i}" for i in range(1, 5)], -7 * 3600, -1 * 3600),
]
BLOCKED = ("Hovedbiblioteket", "PC 6 – 2. etasje")   # an unverified wipe 95 min ago
SILENT = ("Hovedbiblioteket", "PC 8 – 2. etasje")    # its daemon stopped writing 12 min ago
RESOLVED = ("Filial Nord", "PC 2")                   # an incident opened and resolved
FREE = {("Hovedbiblioteket", "PC 3 – 1. etasje"),    # their last patrons left a while ago
        ("Hovedbiblioteket", "PC 7 – 2. etasje")}
REASONS = [("logout", 50), ("button", 20), ("idle", 14), ("time_limit", 9), ("decline", 3),
           ("lock_timeout", 2), ("staff", 2)]
SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$')


def real_series(path):
    """Every sample line of the daemon's file, in its order (a family's lines together):
    (name, label text without braces, value)."""
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            sys.exit(f"{path}: not a sample line: {line!r}")
        # The seat label (the daemon's seat.name) is the simulated seat's.
        labels = re.sub(r'(^|,)seat="(?:[^"\\]|\\.)*"', "", (m.group(2) or "{}")[1:-1]).lstrip(",")
        out.append((m.group(1), labels, m.group(3)))
    return out


class Seat:
    """One PC's day: its sessions and wipes, as events the scrapes read from."""

    def __init__(self, rng, now, branch, name, opens, closes):
        self.branch, self.name = branch, name
        self.events = []  # (t, kind, data), sorted
        self.silent_from = now - 12 * 60 if (branch, name) == SILENT else None
        self.blocked_at = now - 95 * 60 if (branch, name) == BLOCKED else None
        self.opening = []
        for day in (-DAY, 0):
            self.opening.append((now + day + opens, now + day + closes))
        busy = 1.0 if branch == "Hovedbiblioteket" else 0.6
        for o, c in self.opening:
            t = o + rng.randint(60, 900)
            prev_end = o
            while True:
                # Busier around the middle of the day.
                mid = (t - o) / max(c - o, 1)
                gap = rng.expovariate(busy * (0.6 + 1.4 * (1 - abs(mid - 0.5) * 2)) / 900)
                t += int(gap)
                length = int(rng.uniform(12, 70) * 60)
                if self.blocked_at and o <= self.blocked_at < c and t >= self.blocked_at - 120:
                    # The session whose wipe could not be verified ends at blocked_at.
                    t = max(prev_end + 30, self.blocked_at - 1500)
                    length = self.blocked_at - t
                free = (branch, name) in FREE
                if t + 120 >= c or (free and t >= now - 1800):
                    break
                end = min(t + 60 + length, c, now - 480 if free else c)
                reason = "closing" if end == c else rng.choices(*zip(*REASONS))[0]
                wipe = min(rng.lognormvariate(-0.9, 0.55), 8.0)
                census = rng.uniform(0.018, 0.05) + wipe * 0.04
                verified = not (self.blocked_at and end >= self.blocked_at - 60)
                if self.blocked_at and not verified:
                    end = self.blocked_at
                    reason = "logout"
                self.events.append((t, "start", None))
                self.events.append((end, "end", (reason, end - t, wipe, census, verified,
                                                 rng.random() < 0.2)))
                t = prev_end = end + 30
                if not verified:
                    break
        if (branch, name) == RESOLVED:
            # A wipe this morning could not be verified; staff resolved it 40 minutes later.
            o, c = self.opening[1]
            self.events.append((o + 2 * 3600, "incident", None))
            self.events.append((o + 2 * 3600 + 2400, "resolved", None))
        self.events.sort(key=lambda e: e[0])
        self.times = [e[0] for e in self.events]

    def state_at(self, t):
        """The daemon's counters and state at time t (the last event at or before t)."""
        s = {"state": "CLOSED", "sessions": 0, "guided": 0, "ends": {}, "wipes": [],
             "verified": 0, "failed": 0, "last_verified": 0, "last_end": 0, "census": 0.0,
             "opened": 0, "resolved": 0, "open": 0}
        in_session = False
        for when, kind, data in self.events[:bisect.bisect_right(self.times, t)]:
            if kind == "start":
                in_session = True
            elif kind == "end":
                reason, _length, wipe, census, verified, guided = data
                in_session = False
                s["sessions"] += 1
                s["guided"] += guided
                s["ends"][reason] = s["ends"].get(reason, 0) + 1
                s["last_end"] = when
                s["wipes"].append(wipe)
                s["census"] = census
                if verified:
                    s["verified"] += 1
                    s["last_verified"] = int(when + wipe)
                else:
                    s["failed"] += 1
                    s["opened"] += 1
                    s["open"] += 1
            elif kind == "incident":
                s["opened"] += 1
                s["open"] += 1
                s["failed"] += 1
            elif kind == "resolved":
                s["resolved"] += 1
                s["open"] -= 1
        is_open = any(o <= t < c for o, c in self.opening)
        if s["open"]:  # an unverified wipe blocks the seat until staff resolve it
            s["state"] = "BLOCKED"
        elif in_session:
            s["state"] = "ACTIVE"
        elif is_open:
            s["state"] = "READY"
        return s


def value(name, labels, s, t):
    """The value the daemon would have written for one series."""
    lab = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
    if name == "rentark_seat_state":
        return int(lab["state"] == s["state"])
    if name == "rentark_metrics_written_timestamp_seconds":
        return t
    if name == "rentark_sessions_total":
        return s["guided"] if lab["kind"] == "guided" else s["sessions"] - s["guided"]
    if name == "rentark_session_end_total":
        return s["ends"].get(lab["reason"], 0)
    if name == "rentark_last_session_end_timestamp_seconds":
        return s["last_end"]
    if name.startswith("rentark_wipe_duration_seconds"):
        if name.endswith("_bucket"):
            le = float(lab["le"])
            return sum(1 for w in s["wipes"] if w <= le)
        if name.endswith("_sum"):
            return round(sum(s["wipes"]), 3)
        return len(s["wipes"])
    if name == "rentark_wipes_total":
        return s[lab["result"]]
    if name == "rentark_last_verified_wipe_timestamp_seconds":
        return s["last_verified"]
    if name == "rentark_census_duration_seconds":
        return round(s["census"], 3)
    if name == "rentark_incidents_opened_total":
        return s["opened"]
    if name == "rentark_incidents_resolved_total":
        return s["resolved"]
    if name == "rentark_incidents_open":
        return s["open"]
    return None  # as in the daemon's file


def main():
    if len(sys.argv) not in (4, 6):
        sys.exit(__doc__)
    real, out_path, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
    series = real_series(real)
    rng = random.Random(17)
    seats = [Seat(rng, now, b, n, o, c) for b, names, o, c in BRANCHES for n in names]
    times = list(range(now - DAY - (now - DAY) % STEP, now, STEP)) + [now]
    # Each seat's file at each scrape, once: its state and the time the daemon wrote it. A silent
    # daemon's file is still served, as it wrote it last.
    def scraped(st, t):
        written = min(t, st.silent_from) if st.silent_from else t
        return written, st.state_at(written)
    files = {id(st): [scraped(st, t) for t in times] for st in seats}
    with open(out_path, "w", encoding="utf-8") as out:
        family = None
        for name, labels, real_value in series:
            if name != family:
                family = name
                out.write(f"# TYPE {name} unknown\n")
            for st in seats:
                extra = (f'branch="{st.branch}",instance="{st.branch.lower().replace(" ", "-")}-'
                         f'{st.name.split(" –")[0].replace(" ", "").lower()}:9100",job="rentark",'
                         f'seat="{st.name}"')
                lab = "{" + extra + ("," + labels if labels else "") + "}"
                for t, (written, s) in zip(times, files[id(st)]):
                    v = value(name, labels, s, written)
                    out.write(f"{name}{lab} {real_value if v is None else v} {t}\n")
        out.write("# EOF\n")
    if len(sys.argv) == 6 and sys.argv[4] == "--expect":
        code = {"READY": 1, "ACTIVE": 2, "BLOCKED": 3, "CLOSED": 4}
        expect = {"seat_map": {}, "incidents_open": 0}
        for st in seats:
            s = st.state_at(now)
            c = 5 if st.silent_from else code[s["state"]]
            expect["seat_map"][f"{st.branch}/{st.name}"] = c
            expect["incidents_open"] += s["open"]
        json.dump(expect, open(sys.argv[5], "w"), ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
