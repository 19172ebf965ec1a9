#!/usr/bin/python3
"""A hostile guest's tree, random but reproducible from a seed: what a patron who wants to
hurt the wipe (or the next patron) might leave behind. Run as the guest.

Into the home (first folder) it plants, each in a random amount:
  - many small files with random contents, in random folders;
  - names with newlines, invalid UTF-8, control bytes, shell metacharacters, 255-byte names;
  - symlinks pointing outside (to the entries of --outside, to "/", to /etc files, relative
    "../../.." climbs, dangling, loops), and skeleton entries replaced by such symlinks;
  - hard links to the files of --outside when the kernel allows it (protected_hardlinks=1
    refuses a link to a file the guest cannot read and write: counted as "refused"), and hard
    links inside the tree;
  - folders and files of mode 000, folders of mode 0100/0200, setuid files, setgid and sticky
    folders;
  - a deep chain of folders (sometimes deeper than PATH_MAX, built fd-relative);
  - FIFOs and unix sockets; sparse files of up to 1 TiB; user xattrs where supported.
Into every other folder given (the swept temp folders) a smaller share of the same.

Immutable and append-only flags need CAP_LINUX_IMMUTABLE, device nodes CAP_MKNOD: a guest
cannot make them, so they are not here.

As a program:
  hostile-tree.py [--seed N] [--files N] [--deep-prob P] [--outside DIR] HOME [SWEPT...]
      plants and prints one line of counts ("hostile-tree seed=N entries=N ...");
  hostile-tree.py --write-forever HOME [SWEPT...]
      then keeps writing files into HOME and the SWEPT folders until killed (SIGTERM, SIGHUP
      and SIGINT ignored), as a guest's process that outlives its session.
As a module (tests load it with importlib): plant(home, swept, seed, ...) -> dict of counts,
linger(paths, seed) forks a writer like --write-forever that runs on in the background.
"""
import argparse
import os
import random
import signal
import socket
import stat
import sys
import time

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

# Names that break naive tools: a newline, invalid UTF-8 (a lone continuation byte, an
# overlong form, a surrogate), control bytes, terminal escapes, globs, shell syntax, option
# look-alikes, trailing spaces and dots, decomposed Unicode.
ODD_NAMES = [
    b"new\nline", b"\nleading-newline", b"trailing-newline\n", b"two\n\nnewlines",
    b"\xff\xfe\xfd invalid utf-8", b"\x80lone-continuation", b"\xc0\xafoverlong", b"\xed\xa0\x80surrogate",
    b"\xe6\xf8\xe5 latin-1", "\u00e6\u00f8\u00e5 \u00c6\u00d8\u00c5".encode(), "nfd-a\u030a".encode(),
    b"tab\there", b"cr\rhere", b"\x1b[2J\x1b[31mred", b"\x01\x02\x03\x7f", b"bell\x07",
    b"-rf", b"--help", b"-", b" ", b"  spaces  ", b"...", b".. ", b"~", b"*", b"?", b"[a-z]",
    b"$(reboot)", b"`id`", b"; rm -rf ~", b"a|b&c>d<e", b"\\", b"%s%n%x", b"'\"quotes\"'",
    b".hidden", b"..hidden", b"#emacs#", b"file~", b"CON", b"nul.txt",
]


def _name255(rnd):
    """A name of exactly 255 bytes (NAME_MAX): ASCII, or 2-byte UTF-8 letters, or raw bytes."""
    kind = rnd.randrange(3)
    if kind == 0:
        return bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz0123456789._-") for _ in range(255))
    if kind == 1:
        return "\u00f8".encode() * 127 + b"x"
    return bytes(rnd.choice([b for b in range(1, 256) if b != 0x2F]) for _ in range(255))


class Planter:
    def __init__(self, rnd, outside):
        self.rnd = rnd
        self.n = dict(entries=0, files=0, dirs=0, symlinks=0, hardlinks=0, hardlinks_out=0,
                      hardlinks_out_refused=0, fifos=0, sockets=0, sparse=0, sparse_bytes=0,
                      odd_modes=0, odd_names=0, long_names=0, depth=0, xattrs=0, errors=0)
        self.seq = 0
        # Link targets outside: the sentinels, their folder, the root, files of the system.
        self.targets = [b"/", b"/etc/passwd", b"/etc/shadow", b"/root", b"/proc/self/root", b"/dev/sda"]
        self.hardlink_sources = []
        if outside:
            o = os.fsencode(outside)
            self.targets.append(o)
            for dirpath, dirnames, filenames in os.walk(o):
                self.targets.append(dirpath)
                for f in filenames:
                    p = os.path.join(dirpath, f)
                    self.targets.append(p)
                    if os.path.isfile(p) and not os.path.islink(p):
                        self.hardlink_sources.append(p)
                for d in dirnames:
                    self.targets.append(os.path.join(dirpath, d))
            self.targets.append(o + b"/does-not-exist")
        self.own_files = []  # (dirfd-less) absolute paths of regular files made here, for inner hard links

    def name(self, odd_share=0.25):
        self.seq += 1
        r = self.rnd.random()
        if r < odd_share:
            # As it is (a second use collides and is counted as an error), or made unique at
            # either end, so that leading dashes and trailing newlines occur too.
            self.n["odd_names"] += 1
            odd = self.rnd.choice(ODD_NAMES)
            return self.rnd.choice([odd, odd + b"%d" % self.seq, b"%d" % self.seq + odd])
        if r < odd_share + 0.03:
            self.n["long_names"] += 1
            return _name255(self.rnd)
        return b"f%06d-%08x" % (self.seq, self.rnd.getrandbits(32))

    def _made(self, kind):
        self.n[kind] += 1
        self.n["entries"] += 1

    def _try(self, fn, *a):
        try:
            return fn(*a)
        except OSError:
            self.n["errors"] += 1
            return None

    def file(self, dfd, size=None, name=None):
        name = name or self.name()
        if size is None:
            size = self.rnd.choice([0, 1, 17, 512, 4096, self.rnd.randrange(65536)])
        fd = os.open(name, FILE_FLAGS, 0o644, dir_fd=dfd)
        try:
            if size:
                os.write(fd, self.rnd.randbytes(size))
            if self.rnd.random() < 0.05:
                self._try(os.setxattr, fd, b"user.rentark-guest", self.rnd.randbytes(64))
                self.n["xattrs"] += 1
            if self.rnd.random() < 0.05:
                t = self.rnd.choice([0, 4102444800, 2**31 - 1])  # 1970, 2100, 2038
                os.utime(fd, (t, t))
        finally:
            os.close(fd)
        self._made("files")
        return name

    def mkdir(self, dfd, name=None, mode=0o755):
        name = name or self.name(0.15)
        os.mkdir(name, mode, dir_fd=dfd)
        self._made("dirs")
        return name

    def opendir(self, dfd, name):
        return os.open(name, DIR_FLAGS, dir_fd=dfd)

    def symlink(self, dfd, name=None, target=None):
        name = name or self.name()
        if target is None:
            kind = self.rnd.randrange(6)
            if kind <= 2:
                target = self.rnd.choice(self.targets)
            elif kind == 3:
                target = b"../" * self.rnd.randint(1, 12) + self.rnd.choice([b"outside/root-file", b"outside", b"etc/passwd", b""])
            elif kind == 4:
                target = name  # a loop onto itself
            else:
                target = b"x" * self.rnd.choice([1, 255, 4095])  # dangling, up to the longest target
        os.symlink(target, name, dir_fd=dfd)
        self._made("symlinks")
        return name

    def hardlink_out(self, dfd):
        if not self.hardlink_sources:
            return
        src = self.rnd.choice(self.hardlink_sources)
        try:
            os.link(src, self.name(), dst_dir_fd=dfd, follow_symlinks=False)
            self._made("hardlinks_out")
        except PermissionError:
            self.n["hardlinks_out_refused"] += 1
        except OSError:
            self.n["errors"] += 1

    def hardlink_in(self, dfd):
        if not self.own_files:
            return
        src = self.rnd.choice(self.own_files)
        try:
            os.link(src, self.name(), dst_dir_fd=dfd, follow_symlinks=False)
            self._made("hardlinks")
        except OSError:
            self.n["errors"] += 1

    def fifo(self, dfd):
        os.mkfifo(self.name(), 0o600, dir_fd=dfd)
        self._made("fifos")

    def sock(self, dfd):
        # bind() takes a path of at most 107 bytes: through the folder's fd, any depth fits.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(b"/proc/self/fd/%d/s%d" % (dfd, self.seq))
            self.seq += 1
            self._made("sockets")
        except OSError:
            self.n["errors"] += 1
        finally:
            s.close()

    def sparse(self, dfd):
        name = self.name()
        fd = os.open(name, FILE_FLAGS, 0o600, dir_fd=dfd)
        try:
            size = self.rnd.choice([1 << 30, 1 << 34, 1 << 40])
            try:
                os.ftruncate(fd, size)
            except OSError:
                size = 1 << 30
                os.ftruncate(fd, size)
            os.pwrite(fd, b"patron data in the middle", size // 2)
            self.n["sparse_bytes"] += size
        finally:
            os.close(fd)
        self._made("sparse")

    def chain(self, dfd, depth, long_names):
        """A chain of depth folders below dfd, fd-relative all the way (no PATH_MAX), a file
        now and then, and a few levels made mode 000 once the levels below exist."""
        fd = os.dup(dfd)
        lock = []
        try:
            for i in range(depth):
                nm = (b"deep%04d-" % i + b"d" * 240) if long_names else b"d%d" % i
                os.mkdir(nm, 0o755, dir_fd=fd)
                self._made("dirs")
                nfd = os.open(nm, DIR_FLAGS, dir_fd=fd)
                if self.rnd.random() < 0.01 and len(lock) < 4:
                    lock.append(os.dup(nfd))
                os.close(fd)
                fd = nfd
                if self.rnd.random() < 0.05:
                    self.file(fd, 64)
            self.file(fd, 100, b"bottom")
            self.n["depth"] = max(self.n["depth"], depth)
        finally:
            os.close(fd)
            for l in lock:
                os.fchmod(l, 0)
                self.n["odd_modes"] += 1
                os.close(l)


def plant(home, swept=(), seed=0, outside=None, files=200, deep_prob=0.1):
    """Plant a hostile tree into home (and a smaller one into each folder of swept). Returns
    the counts of what was made. Meant to run as the guest."""
    rnd = random.Random(seed)
    p = Planter(rnd, outside)
    hfd = os.open(home, DIR_FLAGS)
    fds = [hfd]  # every folder opened here, closed at the end
    to_lock = []  # (parent fd, name, mode): modes applied last, deepest first
    try:
        # Folders, some nested (and the skeleton's), filled with small files and odd entries.
        for d in [b".config", b"Documents", b".mozilla"]:
            try:
                fds.append(p.opendir(hfd, d))
            except OSError:
                pass
        for _ in range(rnd.randint(3, 12)):
            parent_fd = rnd.choice(fds)
            nm = p._try(p.mkdir, parent_fd)
            if nm is None:
                continue
            fd = p.opendir(parent_fd, nm)
            fds.append(fd)
            if rnd.random() < 0.3:
                to_lock.append((parent_fd, nm, rnd.choice([0, 0, 0o100, 0o200, 0o1777, 0o2755])))
        for i in range(files):
            fd = rnd.choice(fds)
            nm = p._try(p.file, fd)
            if nm is not None and rnd.random() < 0.1:
                p.own_files.append(b"/proc/self/fd/%d/%s" % (fd, nm))
        for _ in range(rnd.randint(3, 20)):
            p._try(p.symlink, rnd.choice(fds))
        for _ in range(rnd.randint(1, 4)):
            p.hardlink_out(rnd.choice(fds))
        for _ in range(rnd.randint(0, 4)):
            p.hardlink_in(rnd.choice(fds))
        for _ in range(rnd.randint(1, 3)):
            p._try(p.fifo, rnd.choice(fds))
            p._try(p.sock, rnd.choice(fds))
        for _ in range(rnd.randint(0, 2)):
            p._try(p.sparse, rnd.choice(fds))
        # Files nobody may read, a setuid file of the guest.
        for _ in range(rnd.randint(1, 5)):
            fd = rnd.choice(fds)
            nm = p._try(p.file, fd)
            if nm is not None:
                os.chmod(nm, rnd.choice([0, 0o4755, 0o2755, 0o200]), dir_fd=fd)
                p.n["odd_modes"] += 1
        # The deep chain: usually shallow, sometimes past PATH_MAX.
        if rnd.random() < deep_prob:
            p._try(p.chain, hfd, rnd.randint(200, 600), True)
        else:
            p._try(p.chain, hfd, rnd.randint(5, 60), False)
        # The skeleton's entries replaced: a symlink where a file was, a FIFO where a policy was.
        if rnd.random() < 0.3:
            for nm in [b".profile", b".bash_profile"]:
                try:
                    os.unlink(nm, dir_fd=hfd)
                    p.symlink(hfd, nm, rnd.choice(p.targets))
                except OSError:
                    pass
        if rnd.random() < 0.2:
            try:
                pol = os.open(b".mozilla/firefox", DIR_FLAGS, dir_fd=hfd)
                try:
                    os.unlink(b"policies.json", dir_fd=pol)
                    os.mkfifo(b"policies.json", 0o600, dir_fd=pol)
                    p._made("fifos")
                finally:
                    os.close(pol)
            except OSError:
                pass
        if rnd.random() < 0.2:
            to_lock.append((hfd, b".config", 0))

        # The swept folders: a share of the same, top level and one folder down.
        for i, s in enumerate(swept):
            try:
                sfd = os.open(s, DIR_FLAGS)
            except OSError:
                continue
            try:
                top = [sfd]
                sub = p._try(p.mkdir, sfd)
                if sub is not None:
                    top.append(p.opendir(sfd, sub))
                for _ in range(rnd.randint(1, max(1, files // 10))):
                    nm = p._try(p.file, rnd.choice(top))
                    if nm is not None and i == 0 and rnd.random() < 0.2:
                        # Linked from the other temp folders, as the home's files are from all.
                        p.own_files.append(b"/proc/self/fd/%d/%s" % (top[0], nm))
                for _ in range(rnd.randint(1, 4)):
                    p._try(p.symlink, rnd.choice(top))
                p.hardlink_in(rnd.choice(top))
                p._try(p.fifo, rnd.choice(top))
                p._try(p.sock, rnd.choice(top))
                if rnd.random() < 0.3:
                    p._try(p.sparse, rnd.choice(top))
                if rnd.random() < 0.2:
                    p._try(p.chain, top[-1], rnd.randint(5, 40), False)
                if sub is not None and rnd.random() < 0.5:
                    to_lock.append((sfd, sub, 0))
                for fd in top[1:]:
                    fds.append(fd)
            finally:
                fds.append(sfd)
        for parent_fd, nm, mode in reversed(to_lock):
            try:
                os.chmod(nm, mode, dir_fd=parent_fd)
                p.n["odd_modes"] += 1
            except OSError:
                p.n["errors"] += 1
    finally:
        for fd in set(fds):
            try:
                os.close(fd)
            except OSError:
                pass
    return p.n


def write_forever(paths, seed=0):
    """Keep writing files into paths until SIGKILL. A new file every millisecond or so, names
    cycling over a few thousand, now and then a folder; every error ignored (the home may be
    renamed away under us)."""
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)
    rnd = random.Random(seed)
    i = 0
    while True:
        i += 1
        for d in paths:
            try:
                fd = os.open(os.path.join(d, "w%04d" % (i % 4000)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
                os.write(fd, b"still writing %d\n" % i)
                os.close(fd)
                if i % 200 == 0:
                    os.makedirs(os.path.join(d, "wd%03d" % (i // 200 % 100), "sub"), exist_ok=True)
            except OSError:
                pass
        if i % 8 == 0:
            time.sleep(0.001 * rnd.random())


def linger(paths, seed=0):
    """Fork a writer that outlives the caller (own session, double fork). Returns at once."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                # Nothing of the caller's held open (a pipe's reader would wait for its end).
                devnull = os.open(os.devnull, os.O_RDWR)
                for f in (0, 1, 2):
                    os.dup2(devnull, f)
                os.closerange(3, 65536)
                write_forever(paths, seed)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--deep-prob", type=float, default=0.1)
    ap.add_argument("--outside")
    ap.add_argument("--write-forever", action="store_true")
    ap.add_argument("home")
    ap.add_argument("swept", nargs="*")
    a = ap.parse_args()
    if a.write_forever:
        write_forever([a.home] + a.swept, a.seed)
        return 0
    n = plant(a.home, a.swept, a.seed, a.outside, a.files, a.deep_prob)
    print("hostile-tree seed=%d " % a.seed + " ".join("%s=%d" % kv for kv in n.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
