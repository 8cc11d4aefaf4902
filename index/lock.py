"""One writer at a time per archive: an exclusive ``flock`` on ``<archive>/writer.lock``.

The holder writes who it is into the lock file (pid, command, start time, host) so a
second writer can say what it is waiting for. The kernel releases the lock when the holder
exits, however it exits (a kill included), so a crash never leaves the archive locked; the
stale holder text left behind is simply overwritten by the next writer. Readers never take
the lock: they only read the holder text (to tell a live writer from a crash).

Limits: ``flock`` is advisory and local. Every writer of this project takes it, but a
tool that writes the files directly does not; and on NFS and similar network file systems
``flock`` may not exclude writers on other machines.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

LOCK_FILE = "writer.lock"
POLL_SECONDS = 0.2


class ArchiveLockError(RuntimeError):
    """The archive cannot be locked for writing (busy, or not writable)."""


class ArchiveBusy(ArchiveLockError):
    """Another process is writing the archive (and we were told not to wait)."""

    def __init__(self, message: str, holder: LockHolder | None):
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockHolder:
    pid: int
    command: str
    since: float  # time.time() when the lock was taken
    host: str = ""

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"pid {self.pid}{where} ({self.command}), since {when}"

    def alive(self) -> bool:
        """Whether the holder process still runs (on this host; another host's is assumed alive)."""
        if self.host and self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def read_holder(root: str | Path) -> LockHolder | None:
    """Who last took the archive's lock (None: nobody, or released cleanly). Never blocks."""
    try:
        text = (Path(root) / LOCK_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        d = json.loads(text)
        return LockHolder(int(d["pid"]), str(d.get("command", "")), float(d.get("since", 0)), str(d.get("host", "")))
    except (ValueError, KeyError, TypeError):
        return None


def active_writer(root: str | Path) -> LockHolder | None:
    """The live process writing the archive now, if any (from the holder text; never locks)."""
    h = read_holder(root)
    return h if h is not None and h.alive() else None


def default_command() -> str:
    """How this process was started, for the holder text."""
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else ["python"]
    text = " ".join(argv)
    return text if len(text) <= 200 else text[:197] + "..."


# Lock descriptors this process holds: closed in forked children (pipeline workers), so a
# worker that outlives a killed parent never keeps the archive locked.
_HELD: dict[str, int] = {}


def _close_in_child() -> None:
    for fd in _HELD.values():
        try:
            os.close(fd)  # drops the child's reference only: the parent's lock stays
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


class WriterLock:
    """The archive's writer lock.

    >>> # lock = WriterLock(root); lock.acquire("ingest corpus/"); ...; lock.release()
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.path = self.root / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(
        self,
        command: str | None = None,
        wait: bool = True,
        on_wait: Callable[[LockHolder | None], None] | None = None,
        timeout: float | None = None,
    ) -> None:
        """Take the lock. Busy: with ``wait`` poll until free (calling ``on_wait(holder)`` once,
        and again whenever the holder changes; ``timeout`` seconds at most), else raise ArchiveBusy."""
        if self._fd is not None:
            return
        key = str(self.path.resolve())
        if key in _HELD:
            raise ArchiveLockError(
                f"the archive at {self.root} is already open for writing in this process "
                f"(pid {os.getpid()}); close it first"
            )
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise ArchiveLockError(
                    f"the archive at {self.root} is read-only ({e.strerror}): it can be searched but not written"
                ) from None
            raise ArchiveLockError(f"cannot create {self.path}: {e.strerror}") from None
        deadline = None if timeout is None else time.monotonic() + timeout
        told: LockHolder | None | bool = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = read_holder(self.root)
                    if not wait or (deadline is not None and time.monotonic() >= deadline):
                        raise ArchiveBusy(busy_message(self.root, holder), holder) from None
                    if on_wait is not None and holder != told:
                        on_wait(holder)
                        told = holder
                    time.sleep(POLL_SECONDS)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD[key] = fd
        holder = LockHolder(os.getpid(), command or default_command(), time.time(), socket.gethostname())
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(asdict(holder), ensure_ascii=False).encode("utf-8"), 0)
        except OSError:
            pass  # the holder text is a courtesy (a full disk may refuse it); the lock itself holds

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _HELD.pop(str(self.path.resolve()), None)
        try:
            os.ftruncate(fd, 0)  # empty holder text: released cleanly
        except OSError:
            pass
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def busy_message(root: str | Path, holder: LockHolder | None) -> str:
    who = holder.describe() if holder is not None else "another process"
    return f"the archive at {root} is busy: being written by {who}"
