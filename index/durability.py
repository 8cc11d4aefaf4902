"""Failure handling shared by the archive's writers: disk-full detection and fault-injection points.

Disk full: every checkpoint step (vector files, keyword commit, store commit, config) turns
an out-of-space error into :class:`DiskFullError` naming the file it was writing, whatever
shape the error had on the way (``OSError`` errno 28, SQLite's "database or disk is full",
tantivy's "No space left on device (os error 28)" or "An index writer was killed" on a full
disk). The step's own atomicity keeps the archive as of its last checkpoint.

Fault injection, for the crash and concurrency tests (never set in normal use):
``UNIONKB_CRASH_AT=<point>`` makes the process ``os._exit(CRASH_EXIT_CODE)`` the first time
it reaches that named point (``<point>@N``: the N-th time) — no clean-up, no flushing, like
a kill. ``UNIONKB_PAUSE_AT=<point>`` with ``UNIONKB_PAUSE_FILE=<path>`` makes it wait at the
point while that file exists (up to ``PAUSE_LIMIT_SECONDS``), printing ``paused at <point>``
on stderr first. The points are listed in :data:`CRASH_POINTS`.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CRASH_EXIT_CODE = 70
# Writers checkpoint at least this often (and every N items), so a kill loses at most this much work.
CHECKPOINT_SECONDS = 30.0
PAUSE_LIMIT_SECONDS = 300.0

CRASH_POINTS = (
    "writer_locked",  # the archive lock is held, nothing written yet
    "after_vectors_save",  # a checkpoint saved the vectors; keyword index and store not yet committed
    "after_keyword_commit",  # ... and committed the keyword index; the store not yet
    "after_store_commit",  # the checkpoint is complete
    "embed_after_save",  # `embed` saved a batch of vectors
    "rebuild_mid",  # `rebuild` has indexed part of the store into the new keyword directory
    "rebuild_before_swap",  # the new keyword index is complete and committed, not yet in use
    "rebuild_after_swap",  # the archive points at the new index; the old one is not yet removed
    "rebuild_vectors_before_swap",  # `rebuild --vectors` embedded a model beside its vectors, not yet in use
    "reconcile_after_keyword",  # reconcile committed the keyword repair
)

_hits: dict[str, int] = {}


def _at(point: str, spec: str) -> bool:
    name, _, nth = spec.partition("@")
    if name != point:
        return False
    _hits[point] = _hits.get(point, 0) + 1
    return _hits[point] == (int(nth) if nth.isdigit() else 1)


def crash_point(point: str) -> None:
    """Stop (or pause) here if the fault-injection environment asks for this point."""
    spec = os.environ.get("UNIONKB_CRASH_AT")
    if spec and _at(point, spec):
        os._exit(CRASH_EXIT_CODE)
    pause = os.environ.get("UNIONKB_PAUSE_AT")
    flag = os.environ.get("UNIONKB_PAUSE_FILE")
    if pause and flag and pause.partition("@")[0] == point and _at("pause:" + point, "pause:" + pause):
        print(f"paused at {point}", file=sys.stderr, flush=True)
        deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
        while os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.05)


# ----------------------------------------------------------------------------- disk full


class DiskFullError(OSError):
    """Out of space while writing ``path``; the archive stays as of its last checkpoint."""

    def __init__(self, path: str | Path):
        super().__init__(errno.ENOSPC, f"disk full while writing {path}")
        self.path = str(path)

    def __str__(self) -> str:
        return f"disk full while writing {self.path}"


_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SPACE_WORDS = (
    "no space left on device",
    "os error 28",
    "os error 122",
    "disk quota exceeded",
    "database or disk is full",
)
LOW_SPACE_BYTES = 16 * 1024 * 1024  # below this, an engine's unexplained writer failure is taken as disk full


def free_bytes(path: str | Path) -> int | None:
    """Space left for unprivileged writes on the file system holding ``path`` (None if unknown)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")  # numpy's tofile() on a full disk (no errno)
_OTHER_CAUSES = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.EEXIST, errno.ENOTDIR, errno.EISDIR}


def is_disk_full(exc: BaseException, path: str | Path | None = None) -> bool:
    """Whether ``exc`` means the disk (or quota) is full. An error that names no cause (tantivy's
    "index writer was killed", a short write) counts when ``path``'s file system is nearly full."""
    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, OSError) and exc.errno in _SPACE_ERRNOS:
        return True
    if isinstance(exc, sqlite3.DatabaseError) and getattr(exc, "sqlite_errorcode", None) == 13:  # SQLITE_FULL
        return True
    text = str(exc).lower()
    if any(w in text for w in _SPACE_WORDS) or _SHORT_WRITE.search(text):
        return True
    unexplained = "writer was killed" in text or (isinstance(exc, OSError) and exc.errno not in _OTHER_CAUSES)
    if path is not None and isinstance(exc, (ValueError, OSError)) and unexplained:
        free = free_bytes(path)
        return free is not None and free < LOW_SPACE_BYTES
    return False


@contextmanager
def writing_to(path: str | Path) -> Iterator[None]:
    """Run a write step; an out-of-space failure inside becomes DiskFullError(path)."""
    try:
        yield
    except DiskFullError:
        raise
    except (OSError, ValueError, sqlite3.DatabaseError) as e:
        if is_disk_full(e, path):
            raise DiskFullError(path) from e
        raise
