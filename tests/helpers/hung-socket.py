#!/usr/bin/python3
"""hung-socket.py PATH SECONDS: a unix socket that accepts connections and never says a word,
for SECONDS. Stands in for a system bus that hangs, to show that every connect is bounded."""
import socket
import sys
import time

s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
held = []
end = time.time() + float(sys.argv[2])
while time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try:
        held.append(s.accept())
    except socket.timeout:
        pass
