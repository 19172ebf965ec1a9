#!/usr/bin/python3
"""A strict reader of rentarkd's node_exporter textfile (Prometheus text format 0.0.4), for tests.

    promfile.py check FILE             exit 0 if FILE is a complete, valid textfile; else the
                                       first problem on stderr, exit 1
    promfile.py names FILE             the metric families FILE has (TYPE lines), one a line
    promfile.py get FILE NAME [K=V...] the value of the one sample NAME with those labels (the
                                       seat label is ignored unless given); exit 1 if there is
                                       not exactly one
    promfile.py watch FILE SECONDS STARTED
                                       read FILE as often as it can for SECONDS, check every
                                       read; prints the number of reads and the states seen;
                                       creates the file STARTED after the first read

A valid file: every line a HELP, a TYPE or a sample; HELP then TYPE once per family before its
samples; every sample of the family just typed (a histogram's _bucket, _sum, _count); a
counter's name ends in _total; label values escaped as the format asks; no series twice; a
final line feed; and every family the daemon always writes is there (a torn file would lack
the last ones).
"""
import re
import sys
import time

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*=" + LABEL_VALUE
SAMPLE = re.compile(r"^(" + NAME + r")(?:\{(" + LABEL + r"(?:," + LABEL + r")*)\})? (\S+)$")
HELP = re.compile(r"^# HELP (" + NAME + r") \S.*$")
TYPE = re.compile(r"^# TYPE (" + NAME + r") (counter|gauge|histogram|summary|untyped)$")
PAIR = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)=(" + LABEL_VALUE + r")")

# Written in every file, whatever has happened yet (the census's per-class gauges come only
# after a wipe since the start).
ALWAYS = {
    "rentark_build_info", "rentark_metrics_written_timestamp_seconds", "rentark_seat_state",
    "rentark_sessions_total", "rentark_session_end_total", "rentark_last_session_end_timestamp_seconds",
    "rentark_session_duration_seconds", "rentark_wipe_duration_seconds", "rentark_wipes_total",
    "rentark_last_verified_wipe_timestamp_seconds", "rentark_census_duration_seconds",
    "rentark_incidents_opened_total", "rentark_incidents_resolved_total", "rentark_incidents_open",
    "rentark_wiped_entries_total",
}
STATES = ["READY", "NOTICE", "ACTIVE", "ENDING", "WIPING", "BLOCKED", "CLOSED"]


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v[1:-1])


def parse(text):
    """[(family, type, name, {label: value}, value)] or ValueError for anything invalid."""
    if not text.endswith("\n"):
        raise ValueError("no final line feed (a torn file?)")
    out, families, series = [], {}, set()
    family = ftype = help_for = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        m = HELP.match(line)
        if m:
            if help_for:
                raise ValueError(f"line {n}: two HELP lines")
            help_for = m.group(1)
            continue
        m = TYPE.match(line)
        if m:
            family, ftype = m.group(1), m.group(2)
            if help_for != family:
                raise ValueError(f"line {n}: TYPE {family} without its HELP right before")
            if family in families:
                raise ValueError(f"line {n}: family {family} twice")
            if ftype == "counter" and not family.endswith("_total"):
                raise ValueError(f"line {n}: counter {family} without _total")
            families[family] = ftype
            help_for = None
            continue
        if help_for:
            raise ValueError(f"line {n}: HELP {help_for} not followed by its TYPE")
        m = SAMPLE.match(line)
        if not m:
            raise ValueError(f"line {n}: not a valid line: {line!r}")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if not family:
            raise ValueError(f"line {n}: a sample before any TYPE")
        allowed = {family} if ftype != "histogram" else {family + s for s in ("_bucket", "_sum", "_count")}
        if name not in allowed:
            raise ValueError(f"line {n}: sample {name} under the TYPE of {family}")
        try:
            v = float(value)
        except ValueError:
            raise ValueError(f"line {n}: value {value!r} is not a number") from None
        pairs = {k: unescape(val) for k, val in PAIR.findall(labels)}
        key = (name, tuple(sorted(pairs.items())))
        if key in series:
            raise ValueError(f"line {n}: series {name}{{{labels}}} twice")
        series.add(key)
        out.append((family, ftype, name, pairs, v))
    if help_for:
        raise ValueError(f"HELP {help_for} at the end without TYPE")
    missing = ALWAYS - set(families)
    if missing:
        raise ValueError("families missing: " + ", ".join(sorted(missing)))
    states = {p.get("state"): v for f, _, _, p, v in out if f == "rentark_seat_state"}
    if sorted(states) != sorted(STATES) or sorted(states.values()) != [0] * (len(STATES) - 1) + [1]:
        raise ValueError(f"rentark_seat_state is not one-hot over every state: {states}")
    return out, families


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main(argv):
    cmd, path = argv[1], argv[2]
    try:
        if cmd == "check":
            parse(read(path))
        elif cmd == "names":
            print("\n".join(sorted(parse(read(path))[1])))
        elif cmd == "get":
            want = dict(a.split("=", 1) for a in argv[4:])
            hits = [v for _, _, name, pairs, v in parse(read(path))[0]
                    if name == argv[3] and {k: x for k, x in pairs.items() if k in want or k != "seat"} == want]
            if len(hits) != 1:
                print(f"{len(hits)} samples {argv[3]} {want}", file=sys.stderr)
                return 1
            v = hits[0]
            print(int(v) if v == int(v) else v)
        elif cmd == "watch":
            end, reads, seen = time.monotonic() + float(argv[3]), 0, []
            while time.monotonic() < end:
                samples = parse(read(path))[0]
                reads += 1
                if reads == 1:
                    open(argv[4], "w").close()
                st = next(p["state"] for f, _, _, p, v in samples if f == "rentark_seat_state" and v == 1)
                if not seen or seen[-1] != st:
                    seen.append(st)
            print(reads, " ".join(seen))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (OSError, ValueError) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
