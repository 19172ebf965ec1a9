#!/usr/bin/python3
"""A stand-in for systemd-journald, for tests that check what rentarkd sends to the journal.

    fake-journald.py serve DIR RECORDS TEXT   listen in DIR (a private /run/systemd/journal),
                                              write each record to RECORDS (one JSON object a
                                              line: {"FIELD": ["value", ...]}) and its
                                              "PRIORITY MESSAGE" to TEXT; "ready" in DIR/ready
    fake-journald.py run DIR CMD [ARG...]     run CMD with its stderr connected to DIR/stdout,
                                              as systemd connects a service's stderr

GLib's g_log_writer_is_journald(2) is true when fd 2 is a unix socket whose peer's path starts
with /run/systemd/journal/; its journald writer then sends each record as one datagram of the
native protocol to /run/systemd/journal/socket: "KEY=VALUE\\n", or "KEY\\n", a 64-bit
little-endian length, the value and "\\n" for a value with a newline; a record too large for a
datagram comes as a sealed memfd (SCM_RIGHTS) holding the same bytes. So DIR must be
/run/systemd/journal itself, in a mount namespace of the test's own. What arrives on the
stream (before the daemon's logging is set up, or a sanitizer's report) goes to TEXT as is.
"""
import json
import os
import select
import socket
import struct
import sys


def parse(data):
    """The fields of one native-protocol record: {KEY: [value, ...]}."""
    rec = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            i = nl + 1
        else:
            key = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            value = data[nl + 9:nl + 9 + n]
            if data[nl + 9 + n:nl + 10 + n] != b"\n":
                raise ValueError("no newline after the binary value of %r" % key)
            i = nl + 10 + n
        rec.setdefault(key.decode("ascii"), []).append(value.decode("utf-8", "replace"))
    return rec


def read_fd(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def serve(folder, records_path, text_path):
    for name in ("socket", "stdout"):
        try:
            os.unlink(os.path.join(folder, name))
        except FileNotFoundError:
            pass
    dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram.bind(os.path.join(folder, "socket"))
    os.chmod(os.path.join(folder, "socket"), 0o666)
    stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stream.bind(os.path.join(folder, "stdout"))
    os.chmod(os.path.join(folder, "stdout"), 0o666)
    stream.listen(16)
    records = open(records_path, "a", buffering=1)
    text = open(text_path, "a", buffering=1)
    with open(os.path.join(folder, "ready"), "w") as f:
        f.write("ready\n")
    clients = []
    while True:
        readable, _, _ = select.select([dgram, stream] + clients, [], [])
        for s in readable:
            if s is dgram:
                data, fds, _, _ = socket.recv_fds(dgram, 1 << 20, 4)
                for fd in fds:
                    data = read_fd(fd)
                    os.close(fd)
                try:
                    rec = parse(data)
                except (ValueError, struct.error, UnicodeDecodeError) as e:
                    rec = {"FAKE_JOURNALD_ERROR": [str(e)], "RAW": [data.decode("utf-8", "replace")]}
                records.write(json.dumps(rec, ensure_ascii=False) + "\n")
                text.write("%s %s\n" % (rec.get("PRIORITY", ["?"])[0], rec.get("MESSAGE", [""])[0]))
            elif s is stream:
                conn, _ = stream.accept()
                clients.append(conn)
            else:
                b = s.recv(1 << 16)
                if not b:
                    clients.remove(s)
                    s.close()
                else:
                    text.write(b.decode("utf-8", "replace"))


def run(folder, argv):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(folder, "stdout"))
    os.dup2(s.fileno(), 2)
    s.close()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
