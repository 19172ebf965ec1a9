#!/usr/bin/python3
"""Search every file on the machine for a canary. Run as root.

  RK_CANARY=PREFIX canary-search.py [--since EPOCH_NS] [--uid UID] [--hits FILE] [--owned FILE]

Walks every file system from / (and /dev/shm), except /proc, /sys, /dev and pseudo file
systems wherever they are mounted, without following symlinks, fd-relative (no path length
limit, one open fd per level of depth) and without recursion, and reads every regular file
whole, in chunks, looking for the prefix as ASCII, UTF-16LE, UTF-16BE and as hex text. Files
that vanish on the way are counted, never an error.

--since makes it fast and stays sound: a file can hold the canary only if it was written after
the canary existed, and every write sets the file's ctime to the current time, which no user
can set back (utimensat sets atime and mtime, and itself sets ctime to now). So on the disk
file systems that keep ctime this way (ext2/3/4, xfs, btrfs, f2fs, overlay), files whose ctime
is older than EPOCH_NS (taken before the canary was made, minus a margin for the kernel's
coarse clock) are skipped. Writes through a shared writable mmap are the exception: on tmpfs
they never touch ctime (so every tmpfs and other file system is read whole, whatever the
ctime), and on disk file systems only the first write after the page was written back does (so
every file that some process has mapped shared and writable is read whole as well). What
remains unsound: a process that wrote the canary through such a mapping made before EPOCH_NS
and unmapped it before this search, or a clock stepped back by root during the test.

--uid also lists the entries of any type that the uid owns (the guest must own nothing left).

Output, on stdout, "key value" lines: dirs, entries, files (read), bytes, old (skipped by
ctime), vanished, unreadable (files root could not read: listed in --hits with the marker
"unreadable"), unsearched (folders that could not be opened), seconds, hits (files holding
the canary), marker NAME COUNT (files per marker: the text after "PREFIX-"), owned (entries
of --uid). Files written: --hits (one line per hit: markers TAB path) and --owned (paths),
every path with the canary replaced by "[canary]". The canary itself is never printed.
"""
import argparse
import collections
import os
import re
import resource
import stat
import sys
import time

PREFIX = os.environ.pop("RK_CANARY", "").encode()
CHUNK = 4 << 20
CTIME_FS = {"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "overlay"}
PSEUDO_FS = {"proc", "sysfs", "cgroup", "cgroup2", "devpts", "devtmpfs", "debugfs", "tracefs", "securityfs",
             "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "binfmt_misc", "autofs",
             "efivarfs", "rpc_pipefs", "nsfs"}
SKIP_TOP = {b"/proc", b"/sys", b"/dev"}
EXTRA_ROOTS = ["/dev/shm"]


def redact(b):
    return b.replace(PREFIX, b"[canary]").decode("utf-8", "backslashreplace")


def mount_types():
    """st_dev -> file system type, from mountinfo."""
    types = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            major, minor = left.split()[2].split(":")
            types[os.makedev(int(major), int(minor))] = right.split()[0]
    return types


def shared_writable_maps():
    """(major, minor, inode) of every file some process maps shared and writable."""
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/maps") as f:
                for line in f:
                    parts = line.split(None, 5)
                    if len(parts) < 6 or parts[1][1] != "w" or parts[1][3] != "s":
                        continue
                    major, minor = parts[3].split(":")
                    found.add((int(major, 16), int(minor, 16), int(parts[4])))
        except (OSError, ValueError):
            pass
    return found


class Search:
    def __init__(self, since, uid, known):
        self.known = [k.encode() for k in known]
        self.since = since
        self.uid = uid
        self.types = mount_types()
        self.mapped = shared_writable_maps() if since is not None else set()
        self.needles = [PREFIX, PREFIX.decode().encode("utf-16-le"), PREFIX.decode().encode("utf-16-be"),
                        PREFIX.hex().encode()]
        self.overlap = max(len(n) for n in self.needles) + 32  # + room for a marker's name
        self.marker_re = re.compile(rb"-((?:cr-|ff-)?[a-z]+)")
        self.n = collections.Counter()
        self.markers = collections.Counter()
        self.hits = []
        self.owned = []
        self.seen_dirs = set()

    def must_read(self, st):
        if self.since is None or st.st_ctime_ns >= self.since:
            return True
        if self.types.get(st.st_dev) not in CTIME_FS:
            return True
        return (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino) in self.mapped

    def scan_file(self, dfd, name, path, st):
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOATIME", 0)
        try:
            fd = os.open(name, flags, dir_fd=dfd)
        except FileNotFoundError:
            self.n["vanished"] += 1
            return
        except OSError:
            self.n["unreadable"] += 1
            self.hits.append(("unreadable", path))
            return
        try:
            fst = os.fstat(fd)
            if not stat.S_ISREG(fst.st_mode):
                return
            self.n["files"] += 1
            hit = self.contains(fd, fst.st_size)
            if hit is None:
                self.n["unreadable"] += 1
                self.hits.append(("unreadable", path))
                return
            if hit:
                self.classify(fd, path)
        finally:
            os.close(fd)

    def segments(self, fd, size):
        """The data segments of the file (holes read as zeros and cannot hold the canary; a
        1 TiB sparse file is read in no time), up to the size it had when opened (a file that
        a process keeps growing is still read to an end)."""
        off = 0
        while off < size:
            try:
                start = os.lseek(fd, off, os.SEEK_DATA)
                end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
            except OSError:  # ENXIO: no data after off
                return
            if start >= size:
                return
            yield start, end
            off = end

    def read(self, fd, size):
        """Chunks of the file, overlapping by enough for any needle; a hole between two data
        segments is passed on as zeros (a UTF-16 needle may end in one)."""
        tail = b""
        last = 0
        for start, end in self.segments(fd, size):
            if start > last:
                tail = (tail + b"\0" * self.overlap)[-self.overlap:]
            os.lseek(fd, start, os.SEEK_SET)
            pos = start
            while pos < end:
                chunk = os.read(fd, min(CHUNK, end - pos))
                if not chunk:
                    break
                pos += len(chunk)
                self.n["bytes"] += len(chunk)
                buf = tail + chunk
                yield buf
                tail = buf[-self.overlap:]
            last = pos

    def contains(self, fd, size):
        """True, False, or None when the file could not be read."""
        try:
            for buf in self.read(fd, size):
                if any(n in buf for n in self.needles):
                    return True
        except OSError:
            return None
        return False

    def markers_in(self, buf, last):
        """The marker names after each occurrence of the prefix: the longest of --markers that
        follows it, or else letters (a name cut by the end of a chunk is seen whole at the start
        of the next one). Markers may touch (a history row holds the URL and the title side by
        side, and a record's next field may begin with letters): a name ends at the latest
        where the next occurrence begins, and with --markers no letters after it count."""
        out = set()
        at = buf.find(PREFIX)
        while at >= 0:
            nxt = buf.find(PREFIX, at + 1)
            end = nxt if nxt >= 0 else len(buf)
            pos = at + len(PREFIX)
            if self.known:
                names = [k for k in self.known if buf.startswith(b"-" + k, pos) and pos + 1 + len(k) <= end]
                if names:
                    out.add(max(names, key=len).decode())
                elif pos + 40 < len(buf) or last:
                    out.add("prefix")
            else:
                m = self.marker_re.match(buf, pos, end)
                if m and (m.end() < len(buf) or last):
                    out.add(m.group(1).decode())
            at = nxt
        return out

    def classify(self, fd, path):
        found = set()
        bufs = self.read(fd, os.fstat(fd).st_size)
        buf = next(bufs, None)
        while buf is not None:
            nxt = next(bufs, None)
            # A marker cut by the end of a chunk is seen whole at the start of the next one.
            found.update(self.markers_in(buf, nxt is None))
            for n, what in zip(self.needles[1:], ("utf-16le", "utf-16be", "hex")):
                if n in buf:
                    found.add(what)
            buf = nxt
        if not found:
            found.add("prefix")
        for m in found:
            self.markers[m] += 1
        self.hits.append((",".join(sorted(found)), path))

    def walk(self, root):
        try:
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            self.n["unsearched"] += 1
            return
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) in self.seen_dirs:
            os.close(fd)
            return
        self.seen_dirs.add((st.st_dev, st.st_ino))
        self.n["dirs"] += 1
        stack = [(fd, root.rstrip(b"/"), iter(os.scandir(fd)))]
        while stack:
            dfd, dpath, it = stack[-1]
            try:
                e = next(it)
            except StopIteration:
                it.close()
                os.close(dfd)
                stack.pop()
                continue
            except OSError:
                self.n["unsearched"] += 1
                os.close(dfd)
                stack.pop()
                continue
            path = dpath + b"/" + os.fsencode(e.name)
            if dpath == b"" and path in SKIP_TOP:
                continue
            try:
                st = os.stat(e.name, dir_fd=dfd, follow_symlinks=False)
            except FileNotFoundError:
                self.n["vanished"] += 1
                continue
            except OSError:
                self.n["unreadable"] += 1
                continue
            self.n["entries"] += 1
            if self.uid is not None and st.st_uid == self.uid:
                self.n["owned"] += 1
                if len(self.owned) < 1000:
                    self.owned.append(path)
            if stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) in self.seen_dirs or self.types.get(st.st_dev) in PSEUDO_FS:
                    continue
                self.seen_dirs.add((st.st_dev, st.st_ino))
                try:
                    sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
                    sit = iter(os.scandir(sub))
                except FileNotFoundError:
                    self.n["vanished"] += 1
                    continue
                except OSError:
                    self.n["unsearched"] += 1
                    continue
                self.n["dirs"] += 1
                stack.append((sub, path, sit))
            elif stat.S_ISREG(st.st_mode):
                if self.must_read(st):
                    self.scan_file(dfd, e.name, path, st)
                else:
                    self.n["old"] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--since", type=int, help="skip files of ctime-keeping disk file systems older than this (ns)")
    ap.add_argument("--uid", type=int)
    ap.add_argument("--markers", help="the marker names (comma-separated) that may follow the prefix")
    ap.add_argument("--root", action="append", help="search only below these folders (a check of this tool)")
    ap.add_argument("--hits")
    ap.add_argument("--owned")
    a = ap.parse_args()
    if len(PREFIX) < 16:
        sys.exit("canary-search: RK_CANARY (at least 16 characters) is not set")
    if os.geteuid() != 0:
        sys.exit("canary-search: run as root")
    # One fd per level of depth: allow deep trees.
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, 1 << 20))
    except (ValueError, OSError):
        pass
    start = time.monotonic()
    s = Search(a.since, a.uid, [m for m in (a.markers or "").split(",") if m])
    for r in a.root or ["/", *EXTRA_ROOTS]:
        s.walk(os.fsencode(r))
    for k in ("dirs", "entries", "files", "bytes", "old", "vanished", "unreadable", "unsearched"):
        print(k, s.n[k])
    print("seconds", round(time.monotonic() - start, 1))
    print("hits", sum(1 for m, _ in s.hits if m != "unreadable"))
    for m, c in sorted(s.markers.items()):
        print("marker", m, c)
    if a.uid is not None:
        print("owned", s.n["owned"])
    if a.hits:
        with open(a.hits, "w") as f:
            for m, p in s.hits:
                f.write(f"{m}\t{redact(p)}\n")
    if a.owned:
        with open(a.owned, "w") as f:
            for p in s.owned:
                f.write(redact(p) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
