"""The archive: one store, a keyword index and vector indexes in one directory, kept in step.

Layout of an archive directory:
    config.json      backend, format version, which keyword/vector directories are current
    store.sqlite     the articles (source of truth)
    keyword/         the keyword engine's files (Whoosh or tantivy); after a rebuild keyword.<n>/
    vectors/<model>/ passage vectors per embedding model
    writer.lock      the writer lock, holding who writes now (pid, command, since)

One writer at a time: every write (ingest, embed, rebuild, reconcile, crawl) holds the
archive's writer lock (:mod:`index.lock`); another writer waits for it, or with
``wait=False`` gets :class:`ArchiveBusyError` naming the holder. Readers never lock and never
write: they open the store with SQLite ``mode=ro`` (``immutable`` in a read-only directory)
and the keyword index read-only, so a published copy on a read-only mount can be searched.

Ingest runs in checkpoints: each checkpoint saves the vectors, then commits the keyword index,
then the store. A killed ingest therefore leaves the last checkpoint: the store never names
an article the indexes lack. What an index holds beyond the store is ignored by readers
(and reported by :meth:`Archive.check`), and the next writer removes it
(:meth:`Archive.reconcile`, run whenever the lock is taken); articles the keyword index lacks
(a damaged index) are reported to readers and re-indexed by the next writer. ``rebuild``
builds a new keyword directory beside the current one and switches config.json to it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from index.durability import CHECKPOINT_SECONDS, DiskFullError, crash_point, is_disk_full, writing_to
from index.ingest import CHECKPOINT_ARTICLES, IngestReport, IngestSession, default_workers, keyword_doc, prepare_sources
from index.keyword.base import Filters, KeywordHit, KeywordIndex, ParsedQuery
from index.lock import ArchiveBusy, ArchiveLockError, LockHolder, WriterLock, active_writer, busy_message
from index.records import ArticleRecord
from index.searcher import SEARCH_MODES, HybridSearcher, SearchError, SearchResult
from index.store import ArticleStore, StoredArticle, StoreError
from pipeline.models import Article, LoadProblem, Page

__all__ = [
    "Archive",
    "ArchiveBusyError",
    "ArchiveError",
    "ArchiveDiskFullError",
    "Consistency",
    "IngestReport",
    "IngestSession",
    "SearchResult",
    "SEARCH_MODES",
]

FORMAT_VERSION = 1
BACKENDS = ("whoosh", "tantivy")
DEFAULT_BACKEND = "tantivy"  # 440-1,900x faster queries than Whoosh, 4-5x smaller (benchmarks/engines.py)
# Embedded at ingest: the static model (~1,000 passages/s). The transformer (e5-small, ~10/s)
# is filled in afterwards by the resumable `embed` step and used wherever it is present.
DEFAULT_INGEST_MODELS = ("static",)
WHO_CANDIDATES = 30  # articles `who` reads for evidence
# (model, evidence units it scores per question, cosine meaning "unrelated", cosine meaning "says the same").
# e5-small scores no sentences by default: on the union-pages devset with e5 vectors, re-scoring the
# best 8 units cost 1.3-2 s a question on this 2-core machine and turned one right answer wrong
# (31/32 against 32/32); where the archive has e5 vectors they still choose who's candidates
# through the fused search. Raise its limit to let it re-score the best few sentences.
WHO_SENTENCE_MODELS = (("static", 60, 0.3, 0.8), ("e5-small", 0, 0.8, 0.92))


_ENCODERS: dict = {}  # (model, cache dir) -> loaded Encoder, shared by every archive in the process
_WORD_VECTORS: dict = {}  # id(encoder) -> {word: vector}, for `who`'s word-level matches


class ArchiveError(RuntimeError):
    """Something the user must fix; the CLI prints it as one line."""


class ArchiveBusyError(ArchiveError):
    """Another process holds the archive's writer lock (``holder`` says who, when known)."""

    def __init__(self, message: str, holder: LockHolder | None = None):
        super().__init__(message)
        self.holder = holder


class ArchiveDiskFullError(ArchiveError):
    """Out of space mid-write; the archive stays as of its last checkpoint."""


def open_keyword_index(backend: str, path: Path, read_only: bool = False) -> KeywordIndex:
    if backend == "whoosh":
        from index.keyword.whoosh_backend import WhooshIndex

        return WhooshIndex(path, read_only=read_only)
    if backend == "tantivy":
        from index.keyword.tantivy_backend import TantivyIndex

        return TantivyIndex(path, read_only=read_only)
    raise ArchiveError(f"unknown keyword backend {backend!r} (choose from {', '.join(BACKENDS)})")


def _say_waiting(holder: LockHolder | None, root: Path) -> None:
    print(f"waiting: {busy_message(root, holder)}", file=sys.stderr, flush=True)


def _take_lock(
    root: Path, command: str | None, wait: bool, on_wait: Callable[[LockHolder | None], None] | None
) -> WriterLock:
    lock = WriterLock(root)
    try:
        lock.acquire(command, wait=wait, on_wait=on_wait or (lambda h: _say_waiting(h, root)))
    except ArchiveBusy as e:
        raise ArchiveBusyError(str(e), e.holder) from None
    except ArchiveLockError as e:
        raise ArchiveError(str(e)) from None
    return lock


@dataclass
class Consistency:
    """How far the store and the indexes agree, as a reader sees them now.

    ``keyword_extra``/``vectors_extra``: articles an index holds beyond the store (a checkpoint
    cut short, or one in progress): never shown. ``keyword_missing``: stored articles the keyword
    index lacks: keyword and hybrid search cannot find them by their words. ``notes`` says
    so in sentences; the next writer repairs both.
    """

    articles: int
    keyword_documents: int
    keyword_missing: int = 0
    keyword_extra_ids: frozenset[str] = frozenset()
    vectors_extra: dict[str, int] = field(default_factory=dict)
    keyword_absent: bool = False
    writer: LockHolder | None = None  # a live writer at work now
    notes: list[str] = field(default_factory=list)
    checked_at: float = 0.0

    @property
    def consistent(self) -> bool:
        return not (
            self.keyword_missing or self.keyword_extra_ids or any(self.vectors_extra.values()) or self.keyword_absent
        )

    def to_dict(self) -> dict:
        return {
            "consistent": self.consistent,
            "articles": self.articles,
            "keyword_documents": self.keyword_documents,
            "keyword_missing": self.keyword_missing,
            "keyword_extra": len(self.keyword_extra_ids),
            "vectors_extra": dict(self.vectors_extra),
            "writer": self.writer.describe() if self.writer else None,
            "notes": list(self.notes),
        }


class _StoreBoundKeywordIndex:
    """The keyword index as a reader must see it: hits on articles the store lacks (indexed by a
    checkpoint that did not reach the store) are dropped, and enough more fetched to fill k."""

    def __init__(self, inner: KeywordIndex, extra_ids: Callable[[], frozenset[str]]):
        self.inner = inner
        self._extra_ids = extra_ids

    def search(self, query: ParsedQuery, k: int = 10, filters: Filters = Filters()) -> list[KeywordHit]:
        extra = self._extra_ids()
        if not extra:
            return self.inner.search(query, k=k, filters=filters)
        return [h for h in self.inner.search(query, k=k + len(extra), filters=filters) if h.id not in extra][:k]

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


DUPLICATE_COSINE = 0.985  # above this a "similar" article is a reprint of the same story


def _shareable(mentions) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"region": set(), "program": set()}
    for m in mentions:
        if m.type in out:
            out[m.type].add(m.value)
    return out


def topic_words(article: Article, top: int = 30) -> dict[str, int]:
    """The article's most frequent content words (two characters or more), with counts."""
    from collections import Counter

    from pipeline.segment import segment
    from pipeline.stopwords import STOPWORDS

    counts = Counter(
        t.text
        for t in segment(article.title + "\n" + article.body, subwords=False)
        if len(t.text) >= 2 and not t.text[0].isdigit() and t.text not in STOPWORDS
    )
    return dict(counts.most_common(top))


def _model_dir(model: str) -> str:
    """A folder name for any model name or path."""
    import hashlib
    import re as _re

    safe = _re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_")[-40:]
    return safe if safe == model else f"{safe}-{hashlib.sha1(model.encode()).hexdigest()[:8]}"


def region_name(code: str) -> str:
    from pipeline.regions import region_by_code

    try:
        return region_by_code(code).name
    except KeyError:
        return code


def region_level(code: str) -> str:
    from pipeline.regions import region_by_code

    try:
        return region_by_code(code).level
    except KeyError:
        return ""


def region_parents(code: str) -> list[str]:
    from pipeline.regions import ancestors

    try:
        return [u.name for u in ancestors(code)]
    except KeyError:
        return []


def region_label(code: str) -> str:
    """甘肃省 酒泉市 肃北蒙古族自治县: a unit with its parents, for messages."""
    return " ".join([*region_parents(code), region_name(code)])


def _write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        with writing_to(path):
            tmp.write_text(json.dumps(obj), encoding="utf-8")
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_config(cfg_path: Path) -> dict:
    try:
        return json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ArchiveError(f"{cfg_path} is damaged: {e}") from None


CONSISTENCY_RECHECK_SECONDS = 5.0  # a long-lived reader (serve) looks again this often
KEYWORD_DIR = "keyword"


class Archive:
    """One archive directory: the article store (the source of truth), a keyword index and
    passage vectors per embedding model, kept in step. A facade: search is done by
    :class:`index.searcher.HybridSearcher`, ingest by :class:`index.ingest.IngestSession`.

    >>> # with Archive.open("./archive") as archive:
    >>> #     archive.search("马背送学", k=3)[0].title
    """

    def __init__(self, root: Path, store: ArticleStore, config: dict):
        self.root = root
        self.store = store
        self.config = config
        self._keyword: KeywordIndex | None = None
        self._keyword_writable = False
        self._vectors: dict = {}  # model name -> VectorIndex
        self.model_cache: Path | None = None  # None: index.semantic.building.default_cache_dir()
        self.ingest_models: list[str] = list(config.get("ingest_models", DEFAULT_INGEST_MODELS))
        self._lock: WriterLock | None = None  # held while this archive writes
        self._config_stamp = self._stamp_config()
        self._consistency: Consistency | None = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        root: str | Path,
        create: bool = False,
        backend: str | None = None,
        *,
        write: bool = False,
        wait: bool = True,
        command: str | None = None,
        on_wait: Callable[[LockHolder | None], None] | None = None,
    ) -> Archive:
        """Open (or with ``create`` make) the archive at ``root``.

        Read-only unless ``write``: then the writer lock is taken now and held until close()
        (waiting for another writer, or with ``wait=False`` raising ArchiveBusyError), and the
        indexes are reconciled with the store. A read-only archive still takes the lock for
        the length of each write method called on it (ingest, embed, rebuild_keyword_index …).
        ``command`` is what the lock file says this writer is; ``on_wait(holder)`` is called
        while waiting (default: a line on stderr).
        """
        root = Path(root).expanduser()
        cfg_path = root / "config.json"
        if not cfg_path.exists() and not create:
            raise ArchiveError(f"no archive at {root} (create one with: search_cli.py --index {root} ingest PATH)")
        if backend and backend not in BACKENDS:
            raise ArchiveError(f"unknown keyword backend {backend!r} (choose from {', '.join(BACKENDS)})")
        lock = None
        if write or not cfg_path.exists():
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ArchiveError(f"cannot create the archive directory {root}: {e.strerror}") from None
            lock = _take_lock(root, command, wait, on_wait)
        try:
            if cfg_path.exists():  # (perhaps made by another process while we waited)
                config = _read_config(cfg_path)
                if backend and backend != config.get("backend"):
                    raise ArchiveError(
                        f"the archive at {root} uses the {config.get('backend')} backend; "
                        f"rebuild it into a new directory to change to {backend}"
                    )
            else:
                config = {
                    "format": FORMAT_VERSION,
                    "backend": backend or DEFAULT_BACKEND,
                    "ingest_models": list(DEFAULT_INGEST_MODELS),
                    "vectors": {},
                }
                try:
                    ArticleStore(root / "store.sqlite", create=True).close()
                    _write_json_atomic(cfg_path, config)  # last: its presence means a whole archive
                except DiskFullError as e:
                    raise ArchiveDiskFullError(str(e)) from None
            try:
                store = ArticleStore(root / "store.sqlite", create=False, read_only=not write)
            except StoreError as e:
                raise ArchiveError(str(e)) from None
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        archive = cls(root, store, config)
        if lock is not None:
            if write:
                archive._lock = lock
                archive._start_writing()
            else:
                lock.release()
        return archive

    @property
    def backend(self) -> str:
        return self.config["backend"]

    @property
    def writing_now(self) -> bool:
        """Whether this archive holds the writer lock."""
        return self._lock is not None

    @property
    def read_only(self) -> bool:
        """Whether the archive's files cannot be written here (e.g. a read-only mount)."""
        return self.store.immutable or not os.access(self.root, os.W_OK)

    def _keyword_path(self) -> Path:
        return self.root / self.config.get("keyword_dir", KEYWORD_DIR)

    def _open_keyword(self) -> KeywordIndex:
        """The keyword index as stored (readers: read-only), reopened if config.json changed."""
        if self._keyword is not None and not self.writing_now and self._config_changed():
            self._reload_config()
        if self._keyword is None or self._keyword_writable != self.writing_now:
            if self._keyword is not None:
                self._keyword.close()
                self._keyword = None
            try:
                self._keyword = open_keyword_index(self.backend, self._keyword_path(), read_only=not self.writing_now)
            except OSError as e:
                raise ArchiveError(str(e)) from None
            self._keyword_writable = self.writing_now
        return self._keyword

    @property
    def keyword(self) -> KeywordIndex:
        """The keyword index. For a reader, hits on articles the store lacks are left out."""
        kw = self._open_keyword()
        if self.writing_now:
            return kw
        return _StoreBoundKeywordIndex(kw, lambda: self.check().keyword_extra_ids)

    def close(self) -> None:
        try:
            self.end_writing(reopen=False)
        finally:
            if self._keyword is not None:
                self._keyword.close()
                self._keyword = None
            self.store.close()

    def _stamp_config(self) -> tuple | None:
        try:
            st = (self.root / "config.json").stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _config_changed(self) -> bool:
        return self._stamp_config() != self._config_stamp

    def _reload_config(self) -> None:
        """Take in what another writer recorded (a new vector model, a rebuilt keyword index)."""
        stamp = self._stamp_config()
        config = _read_config(self.root / "config.json")
        if (
            config.get("keyword_dir", KEYWORD_DIR) != self.config.get("keyword_dir", KEYWORD_DIR)
            and self._keyword is not None
        ):
            self._keyword.close()
            self._keyword = None
        for model in list(self._vectors):
            if self._vector_dir(model, config) != self._vectors[model].dir:
                del self._vectors[model]
        self.config, self._config_stamp = config, stamp
        self._consistency = None

    def _save_config(self) -> None:
        _write_json_atomic(self.root / "config.json", self.config)
        self._config_stamp = self._stamp_config()

    # -- the writer lock -----------------------------------------------------------------------
    def begin_writing(
        self, command: str | None = None, wait: bool = True, on_wait: Callable[[LockHolder | None], None] | None = None
    ) -> None:
        """Take the writer lock (held until end_writing() or close()), take in what other writers
        did meanwhile, and repair what an interrupted writer left (reconcile)."""
        if self._lock is not None:
            return
        self._lock = _take_lock(self.root, command, wait, on_wait)
        self._start_writing()

    def _start_writing(self) -> None:
        try:
            crash_point("writer_locked")
            self._reload_config()
            if self._keyword is not None:
                self._keyword.close()
                self._keyword = None
            if self.store.read_only:
                self.store.reopen(read_only=False)
                self._case_index = None  # it holds the store's connection
            for index in self._vectors.values():
                index.refresh()
            with self._translating_disk_full():
                self.reconcile()
        except BaseException:
            self.end_writing()
            raise

    def end_writing(self, reopen: bool = True) -> None:
        """Drop anything uncommitted and release the writer lock."""
        if self._lock is None:
            return
        try:
            if self._keyword is not None:
                self._keyword.close()  # drops the engine's own writer (and its lock) too
                self._keyword = None
            self.store.rollback()
            if reopen:
                self.store.reopen(read_only=True)
                self._case_index = None
        finally:
            self._lock.release()
            self._lock = None
            self._consistency = None

    @contextmanager
    def writing(
        self, command: str | None = None, wait: bool = True, on_wait: Callable[[LockHolder | None], None] | None = None
    ) -> Iterator[Archive]:
        """Hold the writer lock for the block (no-op if already held); out of space inside
        becomes ArchiveDiskFullError ("disk full while writing <path>").

        >>> # with archive.writing():
        >>> #     archive.store.add_articles(...); archive.store.commit()
        """
        acquired = self._lock is None
        if acquired:
            self.begin_writing(command, wait, on_wait)
        try:
            with self._translating_disk_full():
                yield self
        finally:
            if acquired:
                self.end_writing()

    @contextmanager
    def _translating_disk_full(self) -> Iterator[None]:
        try:
            yield
        except ArchiveError:
            raise
        except DiskFullError as e:
            raise ArchiveDiskFullError(str(e)) from None
        except (OSError, ValueError) as e:
            if is_disk_full(e, self.root):
                raise ArchiveDiskFullError(f"disk full while writing {self.root}") from None
            raise

    # -- vectors -------------------------------------------------------------------------------
    def encoder(self, model: str):
        """The embedding model (built from installed packages on first use, never downloaded)."""
        key = (model, str(self.model_cache))
        if key not in _ENCODERS:  # loading a transformer takes seconds: once per process
            from index.semantic.encoding import load_model
            from index.semantic.models import ModelError

            try:
                _ENCODERS[key] = load_model(model, self.model_cache)
            except ModelError as e:
                raise ArchiveError(str(e)) from None
        return _ENCODERS[key]

    def _vector_dir(self, model: str, config: dict | None = None) -> Path:
        dirs = (config or self.config).get("vector_dirs", {})
        return self.root / "vectors" / dirs.get(model, _model_dir(model))

    def vectors(self, model: str, create: bool = False):
        """The passage-vector index for ``model`` (None if the archive has none and create is False)."""
        if not self.writing_now and self._config_changed():
            self._reload_config()
        dims = self.config.get("vectors", {})
        if model not in dims:
            if not create:
                return None
            with self.writing():
                dims = self.config.setdefault("vectors", {})
                if model not in dims:
                    dims[model] = self.encoder(model).dim
                    self._save_config()
        if model not in self._vectors:
            from index.semantic.vectors import VectorIndex, VectorIndexError

            try:
                self._vectors[model] = VectorIndex(self._vector_dir(model), model, dims[model])
            except VectorIndexError as e:
                raise ArchiveError(str(e)) from None
        elif not self.writing_now:
            self._vectors[model].refresh()  # another process may have saved more
        return self._vectors[model]

    def vector_models(self) -> list[str]:
        return list(self.config.get("vectors", {}))

    def best_model(self) -> str | None:
        """The model a semantic search uses by default: the transformer where it covers the
        archive (it ranks better), else the static model, else none. Coverage is counted
        without loading any vector matrix (see :meth:`vector_count`)."""
        from index.semantic.models import E5_MODELS, LEAD_SUFFIX

        if not self.writing_now and self._config_changed():
            self._reload_config()  # another writer may have added a model or rebuilt one elsewhere
        models = self.vector_models()
        if not models:
            return None
        n = max(1, self.store.count())
        models = [m for m in models if not m.endswith(LEAD_SUFFIX)]  # lead-passage indexes: part of their model
        covered = {m: self.vector_count(m) / n for m in models}
        for m in (*E5_MODELS, *models):
            if covered.get(m, 0) >= 0.95:
                return m
        return max(models, key=lambda m: covered[m])

    def vector_count(self, model: str) -> int:
        """Articles ``model``'s vectors cover: from the index when this archive has it open (it may
        hold rows not saved yet), else from its meta.json, without reading the vector files."""
        from index.semantic.vectors import VectorIndex

        if model not in self._vectors:
            dim = self.config.get("vectors", {}).get(model)
            saved = VectorIndex.saved_count(self._vector_dir(model), model, dim) if dim is not None else None
            if saved is not None:
                return saved
        index = self.vectors(model)
        return index.count() if index is not None else 0

    def embed(
        self,
        model: str,
        progress: Callable[[int], None] | None = None,
        batch_size: int = 64,
        save_seconds: float = CHECKPOINT_SECONDS,
    ):
        """Embed every stored article the model's index lacks; safe to interrupt and resume
        (saved at least every ``save_seconds``)."""
        from index.semantic.vectors import embed_missing

        with self.writing():
            index = self.vectors(model, create=True)
            return embed_missing(
                self.store.iter_articles(),
                index,
                self.encoder(model),
                batch_size=batch_size,
                progress=progress,
                save_seconds=save_seconds,
            )

    def rebuild_vectors(self, model: str, progress: Callable[[int], None] | None = None, batch_size: int = 64) -> int:
        """Embed the whole store again for ``model`` beside the current vectors, then switch to
        them: searches keep the old vectors meanwhile, and a killed rebuild is resumed by the
        next. Transformer models run their two passes (index.semantic.staged) beside as well.
        Returns the number of articles embedded."""
        from index.semantic.models import E5_MODELS, lead_index_name
        from index.semantic.vectors import VectorIndex, embed_missing

        with self.writing():
            self.vectors(model, create=True)
            dim = self.config["vectors"][model]
            base = _model_dir(model)
            current = self.config.get("vector_dirs", {}).get(model, base)
            building = self.root / "vectors" / (base + ".rebuild")
            index = VectorIndex(building, model, dim)
            if model in E5_MODELS:
                from index.semantic.staged import embed_staged

                lead = VectorIndex(self.root / "vectors" / (base + ".rebuild-lead"), lead_index_name(model), dim)
                n = embed_staged(
                    self.store.iter_articles, index, lead, self.encoder(model), batch_size=batch_size, on_rest=progress
                ).rest_articles
            else:
                n = embed_missing(
                    self.store.iter_articles(), index, self.encoder(model), batch_size=batch_size, progress=progress
                ).articles
            index.save()
            crash_point("rebuild_vectors_before_swap")
            final = base + ".1" if current == base else base
            shutil.rmtree(self.root / "vectors" / final, ignore_errors=True)
            os.replace(building, self.root / "vectors" / final)
            self.config.setdefault("vector_dirs", {})[model] = final
            lead_name = lead_index_name(model)
            if lead_name in self.config.get("vectors", {}):  # the new vectors are complete: no lead ones needed
                self.drop_vectors(lead_name)
                self.config["vectors"].pop(lead_name)
            self._save_config()
            self._vectors.pop(model, None)
            shutil.rmtree(self.root / "vectors" / current, ignore_errors=True)
            shutil.rmtree(self.root / "vectors" / (base + ".rebuild-lead"), ignore_errors=True)
            return n

    def embed_staged(
        self,
        model: str,
        leads_only: bool = False,
        batch_size: int = 64,
        on_leads: Callable[[int], None] | None = None,
        on_rest: Callable[[int], None] | None = None,
    ):
        """Transformer vectors in two resumable passes: every article's lead passage, then the rest
        (index.semantic.staged). Search uses whatever is there, the static model filling the gaps."""
        from index.semantic.models import lead_index_name
        from index.semantic.staged import embed_staged

        with self.writing():
            encoder = self.encoder(model)
            complete = self.vectors(model, create=True)
            lead_name = lead_index_name(model)
            dims = self.config.setdefault("vectors", {})
            if lead_name not in dims:
                dims[lead_name] = encoder.dim
                self._save_config()
            lead = self.vectors(lead_name)
            stats = embed_staged(
                self.store.iter_articles,
                complete,
                lead,
                encoder,
                leads_only=leads_only,
                batch_size=batch_size,
                on_leads=on_leads,
                on_rest=on_rest,
            )
            if complete.count() >= self.store.count():  # every article complete: the lead vectors are redundant
                self.drop_vectors(lead_name)
                dims.pop(lead_name, None)
                self._save_config()
            return stats

    def drop_vectors(self, model: str) -> None:
        """Forget a model's vectors (they are rebuilt from the store by `embed`)."""
        with self.writing():
            self._vectors.pop(model, None)
            shutil.rmtree(self._vector_dir(model), ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- keeping indexes in step with the store ----------------------------------------------
    def check(self) -> Consistency:
        """Whether store, keyword index and vectors agree (cheap when they do: counts only).
        Read-only; readers use it to leave out what the store lacks and to say what is missing."""
        c = self._consistency
        if c is not None and (self.writing_now or time.monotonic() - c.checked_at < CONSISTENCY_RECHECK_SECONDS):
            return c
        from index.semantic.vectors import VectorIndex

        kw = self._open_keyword()
        n_store, n_kw = self.store.count(), kw.count()
        stored: set[str] | None = None
        extra: frozenset[str] = frozenset()
        missing = 0
        if n_store != n_kw:
            stored, indexed = self.store.ids(), kw.ids()
            extra, missing = frozenset(indexed - stored), len(stored - indexed)
        vectors_extra: dict[str, int] = {}
        for model in self.vector_models():
            d = self._vector_dir(model)
            if (VectorIndex.saved_count(d) or 0) > n_store:
                stored = stored if stored is not None else self.store.ids()
                vectors_extra[model] = len((VectorIndex.saved_ids(d) or set()) - stored)
        writer = None if self.writing_now else active_writer(self.root)
        absent = bool(getattr(kw, "missing", False))
        notes = list(self.store.notes)
        if absent:
            notes.append(
                f"no keyword index at {self._keyword_path()}: keyword search finds nothing and hybrid "
                "search is by meaning only until `rebuild` makes one"
            )
        elif missing:
            notes.append(
                f"the keyword index lacks {missing} of {n_store} stored articles: keyword and hybrid "
                "search cannot find those by their words until the next write (ingest, embed, rebuild) "
                "repairs it"
            )
        if writer is None:
            n_extra = len(extra) + sum(vectors_extra.values())
            if n_extra:
                notes.append(
                    f"the indexes hold {n_extra} entries for articles the store lacks (a write was "
                    "interrupted): they are left out, and the next write removes them"
                )
        self._consistency = Consistency(
            n_store, n_kw, missing, extra, vectors_extra, absent, writer, notes, time.monotonic()
        )
        return self._consistency

    def warnings(self) -> list[str]:
        """Sentences on what a reader of this archive does not see as it should (empty: all is well)."""
        return list(self.check().notes)

    def reconcile(self) -> tuple[int, int]:
        """Bring the indexes in line with the store: re-index stored articles the keyword index
        lacks, remove what any index holds beyond the store, and clear what a killed rebuild
        left. Returns (added, removed) for the keyword index. Runs whenever a writer starts."""
        with self.writing():
            self._remove_stale_keyword_dirs()
            stored = self.store.ids()
            for model in self.vector_models():
                self._drop_vectors_beyond_store(model, stored)
            kw = self._open_keyword()
            indexed = kw.ids()
            extra = indexed - stored
            missing = sorted(stored - indexed)
            if not extra and not missing:
                return 0, 0
            if extra:
                kw.delete(extra)
            for i in range(0, len(missing), 1000):
                chunk = missing[i : i + 1000]
                arts = self.store.get_many(chunk)
                ments = self.store.mentions_for(chunk)
                kw.add(keyword_doc(a, arts[a].article, ments.get(a, ())) for a in chunk)
            kw.commit()
            crash_point("reconcile_after_keyword")
            return len(missing), len(extra)

    def _drop_vectors_beyond_store(self, model: str, stored: set[str]) -> None:
        from index.semantic.vectors import VectorIndex

        saved = VectorIndex.saved_ids(self._vector_dir(model))
        extra = (saved - stored) if saved is not None else set()
        if extra:
            index = self.vectors(model)
            index.delete(extra)
            index.save()

    def _remove_stale_keyword_dirs(self) -> None:
        current = self._keyword_path().name
        for d in self.root.glob(KEYWORD_DIR + "*"):
            if d.is_dir() and d.name != current and (d.name == KEYWORD_DIR or d.name.startswith(KEYWORD_DIR + ".")):
                shutil.rmtree(d, ignore_errors=True)  # the old index after a swap, or a killed rebuild's

    def rebuild_keyword_index(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the keyword index from the store in a new directory beside the current one,
        then switch to it: searches use the old index meanwhile, and a killed rebuild leaves
        it in place."""
        with self.writing():
            current = self._keyword_path().name
            n_dir = 1 + max(
                [
                    int(d.name.split(".")[1])
                    for d in self.root.glob(KEYWORD_DIR + ".*")
                    if d.name.split(".")[1].isdigit()
                ]
                or [0]
            )
            new_dir = self.root / f"{KEYWORD_DIR}.{n_dir}"
            shutil.rmtree(new_dir, ignore_errors=True)
            kw = open_keyword_index(self.backend, new_dir)
            n = 0
            try:
                batch: list[StoredArticle] = []
                for sa in self.store.iter_articles():
                    batch.append(sa)
                    if len(batch) >= 1000:
                        n += self._index_batch(kw, batch)
                        if progress:
                            progress(len(batch))
                        batch = []
                        crash_point("rebuild_mid")
                n += self._index_batch(kw, batch)
                if progress and batch:
                    progress(len(batch))
                crash_point("rebuild_mid")
                kw.commit()
            except BaseException:
                kw.close()
                shutil.rmtree(new_dir, ignore_errors=True)
                raise
            crash_point("rebuild_before_swap")
            self.config["keyword_dir"] = new_dir.name
            self._save_config()
            crash_point("rebuild_after_swap")
            old, self._keyword = self._keyword, kw
            if old is not None:
                old.close()
            if current != new_dir.name:
                shutil.rmtree(self.root / current, ignore_errors=True)
            self._consistency = None
            return n

    def _index_batch(self, kw: KeywordIndex, batch: list[StoredArticle]) -> int:
        ments = self.store.mentions_for([s.id for s in batch])
        kw.add(keyword_doc(s.id, s.article, ments.get(s.id, ())) for s in batch)
        return len(batch)

    # -- ingest ------------------------------------------------------------------------------
    def ingest(
        self,
        sources: Iterable[Page | Article | LoadProblem],
        workers: int | None = None,
        on_progress: Callable[[IngestReport], None] | None = None,
        checkpoint: int = CHECKPOINT_ARTICLES,
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
    ) -> IngestReport:
        """Run the pipeline over loaded sources and add new articles to the store and indexes.

        ``sources`` come from :func:`pipeline.loaders.load_paths` (pages, structured
        articles, and problems, which are reported and skipped). Articles already stored
        (same content) are skipped, so running the same ingest twice adds nothing.
        Commits every ``checkpoint`` articles or ``checkpoint_seconds`` seconds, whichever
        comes first; holds the writer lock throughout.

        >>> # from pipeline.loaders import load_paths
        >>> # Archive.open("./archive", create=True).ingest(load_paths(["corpus/"])).added
        """
        workers = workers if workers is not None else default_workers()
        with self.session(
            checkpoint=checkpoint, on_progress=on_progress, checkpoint_seconds=checkpoint_seconds
        ) as session:
            for prepared in prepare_sources(session.count(sources), workers):
                session.add_prepared(prepared)
        return session.report

    def session(
        self,
        checkpoint: int = CHECKPOINT_ARTICLES,
        on_progress: Callable[[IngestReport], None] | None = None,
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
    ) -> IngestSession:
        """An open ingest that takes sources one at a time (the crawler feeds pages as they arrive)."""
        return IngestSession(self, checkpoint, on_progress, checkpoint_seconds)

    # -- reading -----------------------------------------------------------------------------
    def article(self, aid: str) -> ArticleRecord:
        """One article by id (a unique prefix is enough) with its entity mentions."""
        sa = self.get(aid)
        return ArticleRecord(sa.id, sa.article, tuple(self.store.mentions(sa.id)))

    def articles(self, limit: int | None = None) -> Iterator[ArticleRecord]:
        """The stored articles in the order they were added (without mentions)."""
        for n, sa in enumerate(self.store.iter_articles()):
            if limit is not None and n >= limit:
                return
            yield ArticleRecord(sa.id, sa.article)

    def count(self) -> int:
        """How many articles the archive holds."""
        return self.store.count()

    def has_url(self, url: str) -> bool:
        """Whether an article fetched from ``url`` is stored (the crawler skips it)."""
        return self.store.has_url(url)

    def get(self, aid: str) -> StoredArticle:
        ids = self.store.resolve_id(aid.strip())
        if not ids:
            raise ArchiveError(f"no article with id {aid!r}")
        if len(ids) > 1:
            raise ArchiveError(f"id {aid!r} is ambiguous ({', '.join(ids[:3])} …); type more of it")
        sa = self.store.get(ids[0])
        if sa is None:  # removed between the two reads
            raise ArchiveError(f"no article with id {aid!r}")
        return sa

    @property
    def searcher(self) -> HybridSearcher:
        """The read-only hybrid searcher over this archive's store and indexes."""
        return HybridSearcher(self.store, self.keyword, self.vectors, self.encoder, self.best_model)

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters = Filters(),
        mode: str = "hybrid",
        model: str | None = None,
        fusion: str | None = None,
        include_furniture: bool = False,
    ) -> list[SearchResult]:
        """Ranked articles for a query.

        ``mode``: ``keyword`` (words as typed; ``"…"`` for a phrase), ``semantic`` (by meaning)
        or ``hybrid`` (both fused; the default). A quoted phrase or a program name matched
        word for word is never ranked below semantic near-misses. ``filters`` narrows by
        date, source and region; ``model`` picks the embedding model (default: the best the
        archive has); ``fusion`` overrides the model's fusion method (``convex`` or ``rrf``).
        Page furniture (kind ``furniture``: 本版导读, 开栏语 …) is left out unless
        ``include_furniture``.

        >>> # [r.title for r in archive.search("马背送学", k=3)]
        """
        try:
            return self.searcher.search(
                query, k=k, filters=filters, mode=mode, model=model, fusion=fusion, include_furniture=include_furniture
            )
        except SearchError as e:
            raise ArchiveError(str(e)) from None

    # -- precedent stories ---------------------------------------------------------------------
    def similar(self, aid: str, k: int = 10, model: str | None = None) -> list[dict]:
        """Articles most like this one (its reprints left out), with what they share."""
        from index.semantic.vectors import similar_articles

        sa = self.get(aid)
        model = model or self.best_model()
        index = self.vectors(model) if model else None
        if index is None or not index.has(sa.id):
            raise ArchiveError(f"article {sa.id} has no vectors yet: run `search_cli.py embed` first")
        hits = similar_articles(index, sa.id, k=k, duplicate_above=DUPLICATE_COSINE)
        arts = self.store.get_many([i for i, _ in hits])
        mentions = self.store.mentions_for([sa.id, *arts])
        mine = _shareable(mentions[sa.id])
        my_words = topic_words(sa.article)
        out = []
        for i, score in hits:
            if i not in arts:
                continue
            a = arts[i].article
            theirs = _shareable(mentions[i])
            words = topic_words(a)
            out.append(
                {
                    "id": i,
                    "title": a.title,
                    "date": a.date,
                    "source": a.source,
                    "kind": a.kind,
                    "score": score,
                    "shared": {
                        "regions": sorted(region_name(c) for c in mine["region"] & theirs["region"]),
                        "programs": sorted(mine["program"] & theirs["program"]),
                        "topics": sorted(set(my_words) & set(words), key=lambda w: -(my_words[w] * words[w]))[:5],
                    },
                }
            )
        return out

    # -- entities and "which county did what" --------------------------------------------------
    def resolve_region(self, name: str, level: str | None = None):
        """The one region unit a user means by ``name`` (official name, short form or code)."""
        from pipeline.regions import find_units, region_by_code
        from pipeline.script import to_simplified

        name = to_simplified(name.strip())  # 甘肅省 means 甘肃省
        if name.isdigit():
            try:
                return region_by_code(name)
            except KeyError:
                raise ArchiveError(f"no region with code {name}") from None
        units = [u for u in find_units(name) if level is None or u.level == level]
        if not units:
            raise ArchiveError(f"unknown region {name!r}" + (f" at level {level}" if level else ""))
        if len(units) > 1:
            options = "; ".join(f"{u.name} ({region_label(u.code)}, {u.code})" for u in units[:6])
            raise ArchiveError(f"region {name!r} is ambiguous: {options} — add --level or give the code")
        return units[0]

    def who(self, question: str, level: str | None = None, k: int = 10, candidates: int = WHO_CANDIDATES) -> list:
        """Rank the regions whose organisations did what the question describes.

        Candidates come from the same fused keyword + semantic search as ``search`` (words
        the articles share with the question, or what they mean; e5-small where its vectors
        cover the archive); the evidence inside them is read by index.who with the static
        model's sentence and word vectors (see WHO_SENTENCE_MODELS)."""
        from index.who import WhoCandidate, answer_who, parse_question
        from pipeline.regions import descendant_codes
        from pipeline.script import to_simplified

        q = parse_question(to_simplified(question))  # 哪個縣 asks what 哪个县 asks
        if q.unknown_place:
            raise ArchiveError(f"unknown place {q.unknown_place!r} in the question (not in the gazetteer)")
        query = q.search_text
        if not query:
            raise ArchiveError(f"nothing to look for in the question {question!r}")
        filters = Filters(region=q.within) if q.within else Filters()
        try:
            # no snippets: who reads the whole text anyway
            hits = self.searcher.search(query, k=candidates, filters=filters, mode="hybrid", snippets=False)
        except SearchError as e:
            raise ArchiveError(str(e)) from None
        cands = [
            WhoCandidate(
                h.id, h.title, h.score, {"title": h.title, "kicker": h.kicker, "subtitle": h.subtitle, "body": h.text}
            )
            for h in hits
        ]
        allowed = descendant_codes(q.within) if q.within else None

        def load_mentions(ids: list[str]) -> dict:
            found = self.store.mentions_for(ids)
            if allowed is None:
                return found
            # a story counts inside the region the question names only when it names a place there
            return {i: ms for i, ms in found.items() if any(m.type == "region" and m.value in allowed for m in ms)}

        return answer_who(question, level, k, cands, self._who_similarity(), self._who_word_vectors(), load_mentions)

    def _who_word_vectors(self):
        """Static-model vectors of single words (cached: the same words recur across questions), or
        None when the archive has no static vectors (the model may not be built)."""
        if "static" not in self.vector_models():
            return None
        import numpy as np

        encoder = self.encoder("static")
        cache = _WORD_VECTORS.setdefault(id(encoder), {})

        def vectors(words: list[str]):
            missing = [w for w in dict.fromkeys(words) if w not in cache]
            if missing:
                if len(cache) > 200_000:
                    cache.clear()
                cache.update(zip(missing, encoder.encode_queries(missing)))
            return np.stack([cache[w] for w in words])

        return vectors

    def _who_similarity(self) -> list:
        """Sentence scorers for `who`: the static model on many sentences, then e5-small on the
        best few when it is given a limit and the archive has its vectors (so its model is built)."""
        from index.who import SentenceSimilarity

        out = []
        models = self.vector_models()
        for name, limit, low, high in WHO_SENTENCE_MODELS:
            if limit <= 0 or name not in models or (name != "static" and self.best_model() != name):
                continue
            encoder = self.encoder(name)

            def score(query: str, texts: list[str], encoder=encoder):
                return encoder.encode_passages(texts) @ encoder.encode_queries([query])[0]

            out.append(SentenceSimilarity(name, score, limit, low, high))
        return out

    def entities(
        self, type: str | None = None, region: str | None = None, level: str | None = None, limit: int = 50
    ) -> list[dict]:
        """What the archive knows: entity values with mention and article counts."""
        from pipeline.regions import descendant_codes

        within = None
        if region:
            unit = self.resolve_region(region, level)
            within = self.store.articles_in_regions(descendant_codes(unit.code))
        rows = self.store.entity_counts(type, limit=limit, article_ids=within)
        out = []
        for t, value, n, a in rows:
            d = {"type": t, "value": value, "mentions": n, "articles": a}
            if t == "region":
                d["name"], d["level"], d["parents"] = region_name(value), region_level(value), region_parents(value)
            out.append(d)
        return out

    def export_opensearch(self, out_dir: str | Path, model: str | None = None):
        """Write the archive as an OpenSearch mapping plus _bulk files; returns (model, stats).

        ``model``: whose vectors to include, pooled per article (default: the best the
        archive has; ``"none"`` for none).
        """
        from index.export_opensearch import ExportError, export_store

        model = None if model == "none" else (model or self.best_model())
        index = self.vectors(model) if model else None
        if model and index is None:
            raise ArchiveError(f"no {model} vectors in this archive (embed them first)")
        try:
            return model, export_store(self.store, Path(out_dir), index)
        except ExportError as e:
            raise ArchiveError(str(e)) from None

    def stats(self) -> dict:
        s = self.store.stats()
        s["backend"] = self.backend
        s["keyword_documents"] = self._open_keyword().count()
        s["vectors"] = {m: self.vector_count(m) for m in self.vector_models()}
        s["path"] = str(self.root)
        s["read_only"] = self.read_only
        s["consistency"] = self.check().to_dict()
        return s

    # -- best-practice cases -------------------------------------------------------------------
    build_cases: bool = True  # ingest keeps the case index up to date (off only to measure its cost)
    case_seconds: float = 0.0  # time this archive object spent building cases

    @property
    def case_index(self):
        """Cases derived from the stored mentions (index.case_index.CaseIndex)."""
        if getattr(self, "_case_index", None) is None:
            from index.case_index import CaseIndex

            if (
                self.store.read_only
                and self.store.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'cases'").fetchone() is None
            ):
                with self.writing():  # an archive from before cases: a writer makes their tables
                    _ = self.case_index  # built once through the writable store, replaced below
            self._case_index = CaseIndex(
                self.store, lambda: self.encoder("static") if "static" in self.vector_models() else None
            )
        return self._case_index

    def update_cases(self, added: list) -> int:
        """Cases for newly stored articles ((id, article, mentions) each), in the open store
        transaction; the ingest checkpoint calls this before it commits the store."""
        import time

        if not self.build_cases or not added:
            return 0
        t = time.perf_counter()
        try:
            return self.case_index.add(added)
        finally:
            self.case_seconds += time.perf_counter() - t

    def rebuild_cases(self, progress: Callable[[int], None] | None = None) -> int:
        """Every case again from the store; returns how many there are."""
        with self.writing():
            return self.case_index.rebuild(progress=progress)

    def _current_case_index(self):
        """The case index, rebuilt first (under the writer lock) if it predates the case rules."""
        if not self.case_index.is_current():  # an archive from before cases, or built with older case rules
            with self.writing():
                if not self.case_index.is_current():
                    self.case_index.rebuild()
        return self.case_index

    def cases(
        self,
        query: str | None = None,
        region: str | None = None,
        level: str | None = None,
        since: str | None = None,
        until: str | None = None,
        program: str | None = None,
        k: int = 20,
    ) -> list:
        """Best-practice cases (index.cases.Case): who did what, where, when, with what result.

        ``query`` is matched against the cases' programs and descriptions by words and by meaning;
        results rank by that and by how many independent articles report them (without a query,
        by the articles alone). ``region`` keeps cases in that place or below it (``level`` picks
        among same-named units); ``since``/``until`` keep cases whose dates overlap them;
        ``program`` keeps cases whose program name contains it.

        >>> # [c.org for c in archive.cases("马背送学", k=3)]
        """
        from index.case_index import CaseQuery, CaseQueryError

        code = self.resolve_region(region, level).code if region else None
        index = self._current_case_index()
        try:
            return index.search(CaseQuery(query, code, since, until, program, k))
        except CaseQueryError as e:
            raise ArchiveError(str(e)) from None

    def case(self, case_id: str):
        """One case by its id (a unique prefix is enough)."""
        from index.case_index import CaseQueryError

        index = self._current_case_index()
        try:
            found = index.get(case_id)
        except CaseQueryError as e:
            raise ArchiveError(str(e)) from None
        if found is None:
            raise ArchiveError(f"no case with id {case_id!r}")
        return found
