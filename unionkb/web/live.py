"""One archive kept open for a long-running reader, reopened when another process changes it.

An ``ingest`` in another process commits in checkpoints (indexes first, store last). The
server notices a checkpoint by SQLite's ``data_version`` (it changes when any other
connection commits) and by the modification times of ``config.json`` and the vector
indexes' ``meta.json`` (``embed`` writes those without touching the store), and then opens
the archive afresh: the new store, keyword reader and vectors come from that checkpoint.
Readers never take the writers' locks, so a search never waits for an ingest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unionkb import Archive

_RELOAD_TRIES = 3  # an embed may replace a vector generation while we read it: try again


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class LiveArchive:
    """The archive a server reads, behind a lock (one SQLite connection and one tantivy
    searcher are shared by every request thread), refreshed when its files change."""

    def __init__(self, root: str | Path, warm: bool = False):
        self.root = Path(root).expanduser()
        self._lock = threading.RLock()
        self.reloads = 0  # how many times another process's changes were picked up
        self._archive, self._marker = self._open()
        if warm:
            self.warm()

    def _open(self) -> tuple[Archive, tuple]:
        """A fresh archive and its change marker, read before the indexes are loaded: the
        indexes are committed before the store, so they hold at least what the marker saw."""
        last: Exception | None = None
        for attempt in range(_RELOAD_TRIES):
            archive = Archive.open(self.root)
            try:
                marker = self._read_marker(archive)
                # load the readers now, inside the refresh, rather than half-way through a query
                archive.keyword.count()
                for model in archive.vector_models():
                    archive.vectors(model)
                return archive, marker
            except Exception as e:  # noqa: BLE001 -- a file replaced under us: open again
                archive.close()
                last = e
                time.sleep(0.05 * (attempt + 1))
        raise last  # type: ignore[misc]

    def _read_marker(self, archive: Archive) -> tuple:
        vectors = sorted((str(p), _mtime(p)) for p in (self.root / "vectors").glob("*/meta.json"))
        return archive.store.data_version(), _mtime(self.root / "config.json"), tuple(vectors)

    @property
    def version(self) -> tuple:
        """Changes whenever the archive was reopened (for caches of derived data)."""
        return (self.reloads, self._marker)

    def refresh(self) -> bool:
        """Reopen if another process changed the archive; True when it did."""
        with self._lock:
            marker = self._read_marker(self._archive)
            if marker == self._marker:
                return False
            fresh, self._marker = self._open()
            old, self._archive = self._archive, fresh
            old.close()
            self.reloads += 1
            return True

    @contextmanager
    def use(self) -> Iterator[Archive]:
        """The current archive, refreshed first, for the duration of one request's reads."""
        with self._lock:
            self.refresh()
            yield self._archive

    def articles(self) -> int:
        with self.use() as archive:
            return archive.store.count()

    def warm(self) -> None:
        """Load the models and dictionaries a first query would otherwise wait for."""
        from pipeline.segment import jieba_tokenizer

        jieba_tokenizer()  # a server segments many queries: the whole dictionary now, not mid-request
        with self.use() as archive:
            model = archive.best_model()
            if model:
                archive.encoder(model)
            try:
                archive.search("工会", k=1, mode="hybrid" if model else "keyword")
            except Exception:  # noqa: BLE001 -- warming is best effort; real queries report errors
                pass

    def close(self) -> None:
        with self._lock:
            self._archive.close()
