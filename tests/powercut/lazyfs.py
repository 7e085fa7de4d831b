#!/usr/bin/env python3
"""lazyfs.py - a FUSE passthrough that simulates a power cut (in the style of Jepsen's LazyFS).

Usage: python3 lazyfs.py BACKING_DIR MOUNTPOINT   (runs in the foreground; needs fusepy + libfuse2)

Model:
  * File *data* is volatile until fsync.  write() and truncate() of regular files never reach the
    backing file; they go into an in-memory overlay per backing inode (shared by every open handle,
    every hard link, and surviving rename).  read() and getattr() see backing data + overlay.
    fsync/fdatasync of any handle applies that inode's overlay to the backing file and os.fsync()s
    it.  Closing a file (flush/release) is not a sync.  Handles opened with O_SYNC/O_DSYNC sync
    after every write, as the kernel would.
  * SIMPLIFICATION: metadata is durable at once.  create, mkdir, unlink, rename, rmdir, link,
    symlink, chmod, chown and utimens are applied to the backing directory immediately, so a
    directory fsync is a no-op (fusepy's default fsyncdir).  A real file system may lose these
    too (e.g. a rename not followed by a directory fsync); this one never does.
    mtime is not bumped by unsynced writes.
  * Each sync is atomic with respect to the cut (the cut is only noticed between requests), so
    torn fsyncs are not modelled.
  * The power cut: on unmount (umount / fusermount -u) or SIGTERM/SIGINT the process exits without
    applying any overlay, printing `lazyfs: discarded N unsynced bytes in M files` to stderr.
    N counts overlay page bytes below each file's pending size; M counts files with any unsynced
    change (truncations included).  SIGTERM works while files are still open on the mount (libfuse
    detaches the mount lazily and the kernel aborts the connection; holders get ENOTCONN), whereas
    umount fails with EBUSY then.  Don't SIGKILL it: that leaves a dead mount ("Transport
    endpoint is not connected") that only `umount -l MOUNTPOINT` clears.
  * `lazyfs: mounted` is printed to stderr once the kernel handshake is done.
  * A failing disk: after SIGUSR1 every fsync fails with EIO and drops the data it would have
    written, as Linux does after a failed write-back (the pages are marked clean, and the next
    fsync may well succeed with the data gone).  `lazyfs: fsync fails from now on` is printed.

Locks: no lock/flock operation is registered, so the kernel keeps POSIX and flock locks locally on
the mount - correct for processes on one machine, which is what SQLite's WAL mode needs.  Files
are not opened with direct_io, so shared mmap (SQLite's -shm) works through the page cache.
hard_remove: an unlinked-but-open file really is unlinked (no .fuse_hidden* leftovers after the
cut); operations on it then arrive with path None and work from the file handle alone.
"""
import errno
import os
import signal
import sys

from fuse import FUSE, FuseOSError, Operations, fuse_get_context

PAGE = 4096


class Overlay:
    """Unsynced contents of one backing inode."""

    def __init__(self, fd):
        # Our own fd: reads base data even after unlink/rename and pins the inode number, so the
        # (dev, ino) key cannot be reused by a new file while this overlay exists.
        self.fd = fd
        self.size = os.fstat(fd).st_size  # logical size the application sees
        self.base = self.size  # backing bytes at or past this offset were truncated away
        self.pages = {}  # page index -> bytearray(PAGE), full image of that page

    def _base_page(self, idx):
        start = idx * PAGE
        n = max(0, min(PAGE, self.base - start))
        page = bytearray(PAGE)
        if n:
            data = os.pread(self.fd, n, start)
            page[: len(data)] = data
        return page

    def read(self, size, off):
        end = min(off + size, self.size)
        if end <= off:
            return b""
        buf = bytearray(end - off)  # anything not in base or pages reads as zeros
        if off < self.base:
            data = os.pread(self.fd, min(end, self.base) - off, off)
            buf[: len(data)] = data
        for idx in range(off // PAGE, (end - 1) // PAGE + 1):
            page = self.pages.get(idx)
            if page is not None:
                s, e = max(off, idx * PAGE), min(end, (idx + 1) * PAGE)
                buf[s - off : e - off] = page[s - idx * PAGE : e - idx * PAGE]
        return bytes(buf)

    def write(self, data, off):
        pos = 0
        while pos < len(data):
            idx, within = divmod(off + pos, PAGE)
            n = min(PAGE - within, len(data) - pos)
            page = self.pages.get(idx)
            if page is None:
                page = bytearray(PAGE) if n == PAGE else self._base_page(idx)
                self.pages[idx] = page
            page[within : within + n] = data[pos : pos + n]
            pos += n
        self.size = max(self.size, off + len(data))

    def truncate(self, length):
        if length < self.size:
            # Keep the invariant "every byte past size reads as zero", so a later extension
            # (by truncate or a write past EOF) shows zeros, not stale data.
            for idx in [i for i in self.pages if i * PAGE >= length]:
                del self.pages[idx]
            idx, within = divmod(length, PAGE)
            if within and idx in self.pages:
                self.pages[idx][within:] = bytes(PAGE - within)
            self.base = min(self.base, length)
        self.size = length

    def apply(self):
        # Cut the backing file at base first: ranges not covered by pages then read as holes.
        os.ftruncate(self.fd, self.base)
        for idx, page in self.pages.items():
            start = idx * PAGE
            if start < self.size:
                data = memoryview(page)[: min(PAGE, self.size - start)]
                while data:
                    n = os.pwrite(self.fd, data, start)
                    data, start = data[n:], start + n
        os.ftruncate(self.fd, self.size)
        os.fsync(self.fd)

    def pending_bytes(self):
        return sum(min(PAGE, self.size - i * PAGE) for i in self.pages if i * PAGE < self.size)


def _key(st):
    return (st.st_dev, st.st_ino)


class LazyFS(Operations):
    use_ns = True  # times as integer nanoseconds
    flag_nullpath_ok = 1  # with hard_remove, ops on unlinked open files get path None

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.overlays = {}  # (dev, ino) -> Overlay
        self.handles = {}  # open fd -> (dev, ino)
        self.open_count = {}  # (dev, ino) -> number of open handles
        self.sync_fds = set()  # handles opened with O_SYNC / O_DSYNC

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    # ---- bookkeeping -------------------------------------------------------------------------

    def _register(self, fd, flags, path):
        key = _key(os.fstat(fd))
        self.handles[fd] = key
        self.open_count[key] = self.open_count.get(key, 0) + 1
        if flags & (os.O_SYNC | os.O_DSYNC):
            self.sync_fds.add(fd)
        if flags & os.O_TRUNC:  # stripped from the real open: truncation is data, so volatile
            self.truncate(path, 0, fd)
        return fd

    def _overlay(self, key, reopen):
        ov = self.overlays.get(key)
        if ov is None:
            ov = self.overlays[key] = Overlay(reopen())
        return ov

    def _reopen_fd(self, fd):
        try:  # a fresh O_RDWR description of the same inode, valid even after unlink
            return os.open("/proc/self/fd/%d" % fd, os.O_RDWR)
        except OSError:
            return os.dup(fd)

    def _drop(self, key):
        ov = self.overlays.pop(key, None)
        if ov is not None:
            os.close(ov.fd)

    def _forget_if_gone(self, st):
        """After the last link of an inode went away, drop its overlay unless it is still open."""
        if st is not None and st.st_nlink <= 1 and _key(st) not in self.open_count:
            self._drop(_key(st))

    def _sync(self, key):
        ov = self.overlays.get(key)
        if ov is not None:
            ov.apply()  # on error the overlay stays; applying again is idempotent
            self._drop(key)

    def _chown_to_caller(self, path):
        if os.geteuid() == 0:
            uid, gid, _ = fuse_get_context()
            os.lchown(self._full(path), uid, gid)

    @staticmethod
    def _fd(fi):
        return fi.fh if fi else None  # fi is a fuse_file_info, a NULL pointer, or None

    def pending(self):
        return sum(ov.pending_bytes() for ov in self.overlays.values()), len(self.overlays)

    # ---- lifecycle ---------------------------------------------------------------------------

    def init(self, path):
        print("lazyfs: mounted", file=sys.stderr, flush=True)

    # ---- file data: the volatile part --------------------------------------------------------

    def getattr(self, path, fh=None):
        fd = self._fd(fh)
        st = os.fstat(fd) if fd is not None else os.lstat(self._full(path))
        attrs = {k: getattr(st, k) for k in ("st_mode", "st_nlink", "st_uid", "st_gid",
                                             "st_size", "st_blocks", "st_rdev", "st_blksize")}
        attrs.update(st_atime=st.st_atime_ns, st_mtime=st.st_mtime_ns, st_ctime=st.st_ctime_ns)
        ov = self.overlays.get(_key(st))
        if ov is not None:
            attrs["st_size"] = ov.size
            attrs["st_blocks"] = (ov.size + 511) // 512
        return attrs

    def open(self, path, fi):
        fi.fh = self._register(os.open(self._full(path), fi.flags & ~os.O_TRUNC), fi.flags, path)
        return 0

    def create(self, path, mode, fi):
        fd = os.open(self._full(path), (fi.flags & ~os.O_TRUNC) | os.O_CREAT, mode)
        self._chown_to_caller(path)
        fi.fh = self._register(fd, fi.flags, path)
        return 0

    def read(self, path, size, offset, fi):
        ov = self.overlays.get(self.handles[fi.fh])
        return ov.read(size, offset) if ov is not None else os.pread(fi.fh, size, offset)

    def write(self, path, data, offset, fi):
        key = self.handles[fi.fh]
        self._overlay(key, lambda: self._reopen_fd(fi.fh)).write(data, offset)
        if fi.fh in self.sync_fds:
            self._sync(key)
        return len(data)

    def truncate(self, path, length, fh=None):
        fd = self._fd(fh) if not isinstance(fh, int) else fh
        if fd is not None:
            key, st, reopen = self.handles[fd], os.fstat(fd), lambda: self._reopen_fd(fd)
        else:
            full = self._full(path)
            st = os.stat(full)
            key, reopen = _key(st), lambda: os.open(full, os.O_RDWR)
        if key not in self.overlays and length == st.st_size:
            return 0  # nothing would change; don't create an empty overlay
        self._overlay(key, reopen).truncate(length)
        return 0

    def fsync(self, path, datasync, fi):
        key = self.handles[fi.fh]
        if FAILING["fsync"]:
            if key in self.overlays:
                self._drop(key)
            raise FuseOSError(errno.EIO)
        if key in self.overlays:
            self._sync(key)
        else:
            os.fsync(fi.fh)
        return 0

    def flush(self, path, fi):
        return 0  # close() is not a sync: nothing is written here

    def release(self, path, fi):
        fd = fi.fh
        key = self.handles.pop(fd)
        self.sync_fds.discard(fd)
        self.open_count[key] -= 1
        if not self.open_count[key]:
            del self.open_count[key]
            if os.fstat(fd).st_nlink == 0:
                self._drop(key)  # unlinked and now closed: its data can never be seen again
        os.close(fd)
        return 0

    # ---- metadata: passed through at once (see the header) -----------------------------------

    def unlink(self, path):
        st = os.lstat(self._full(path))
        os.unlink(self._full(path))
        self._forget_if_gone(st)

    def rename(self, old, new):
        try:
            target = os.lstat(self._full(new))
            if _key(target) == _key(os.lstat(self._full(old))):
                target = None  # renaming onto another link of the same inode
        except FileNotFoundError:
            target = None
        os.rename(self._full(old), self._full(new))  # the overlay is keyed by inode: it follows
        self._forget_if_gone(target)

    def link(self, target, source):
        os.link(self._full(source), self._full(target))

    def symlink(self, target, source):
        os.symlink(source, self._full(target))
        self._chown_to_caller(target)

    def readlink(self, path):
        return os.readlink(self._full(path))

    def mkdir(self, path, mode):
        os.mkdir(self._full(path), mode)
        self._chown_to_caller(path)

    def rmdir(self, path):
        os.rmdir(self._full(path))

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        os.lchown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        if times:
            os.utime(self._full(path), ns=times)
        else:
            os.utime(self._full(path))

    def access(self, path, amode):
        if not os.access(self._full(path), amode):
            raise FuseOSError(errno.EACCES)

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def statfs(self, path):
        sv = os.statvfs(self._full(path))
        return {k: getattr(sv, k) for k in ("f_bsize", "f_frsize", "f_blocks", "f_bfree",
                                            "f_bavail", "f_files", "f_ffree", "f_favail",
                                            "f_flag", "f_namemax")}


FAILING = {"fsync": False}


def fail_fsync_from_now_on(signum, frame):
    FAILING["fsync"] = True
    print("lazyfs: fsync fails from now on", file=sys.stderr, flush=True)


def main():
    signal.signal(signal.SIGUSR1, fail_fsync_from_now_on)
    if len(sys.argv) != 3:
        print("usage: lazyfs.py BACKING_DIR MOUNTPOINT", file=sys.stderr)
        return 2
    backing, mountpoint = sys.argv[1], sys.argv[2]
    if not os.path.isdir(backing):
        print("lazyfs: backing dir %s does not exist" % backing, file=sys.stderr)
        return 2
    os.umask(0)  # the kernel already applied the caller's umask to every mode we receive
    fs = LazyFS(backing)
    opts = dict(foreground=True, nothreads=True, raw_fi=True, hard_remove=True, big_writes=True,
                fsname="lazyfs", subtype="lazyfs")
    if os.geteuid() == 0:  # let other users in, with the kernel checking the mode bits
        opts.update(allow_other=True, default_permissions=True)
    try:
        FUSE(fs, mountpoint, **opts)
    except RuntimeError as e:  # fuse_main failed, e.g. the mount was refused
        print("lazyfs: fuse_main failed: %s" % e, file=sys.stderr, flush=True)
        return 1
    # Unmounted or signalled: this is the power cut.  Overlays are dropped, never applied.
    n, m = fs.pending()
    print("lazyfs: discarded %d unsynced bytes in %d files" % (n, m), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
