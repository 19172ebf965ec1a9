#!/usr/bin/python3
"""One request line to a rentark control socket, one reply line back (tests).

    rkcall.py SOCKET VERB [ARG...]      prints the reply line

As a module (the soak drivers): call(sock, line), state(sock), wait_state(sock, want).
"""
import socket
import sys
import time


def call(sock, line, timeout=10):
    """Send LINE, return the reply line (without its newline)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(line.encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.split(b"\n")[0].decode()
    finally:
        s.close()


def state(sock):
    """The seat's state from a status reply, or None when the daemon does not answer."""
    try:
        for w in call(sock, "status").split()[1:]:
            if w.startswith("state="):
                return w[6:]
    except OSError:
        return None
    return None


def wait_state(sock, want, seconds=30, poll=0.01):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if state(sock) == want:
            return True
        time.sleep(poll)
    return False


if __name__ == "__main__":
    print(call(sys.argv[1], " ".join(sys.argv[2:]), timeout=3))
