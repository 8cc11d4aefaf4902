"""Passage vectors of articles, exact search, and resumable embedding.

Long articles are split into passages of ~300-500 characters; an article's score
for a query is its best passage. Vectors are a float32 matrix searched by one
matrix-vector product: exact, and fast enough (a few ms) up to a few hundred
thousand passages, so no approximate index to tune or to go stale.

On disk (``dir``): ``meta.json`` names the current generation, model and dimension, and
the chunk files that make up the matrix: ``vectors.<g>.npy`` / ``rows.<g>.npy`` hold a run
of vectors and each row's article id; ``empty.<g>.npy`` lists articles that have no text to
embed (so they are not retried). A save appends one chunk holding only the rows added since
the last save (so a checkpoint every 30 s costs what it adds, not the whole matrix); a
delete, or more than ``MAX_CHUNKS`` chunks, rewrites everything as one chunk. Files are
written first (temp + fsync + rename), then meta.json is replaced, then files no longer
named are removed: a process killed mid-save leaves the previous generation valid.
Readers re-read meta.json when it changes (:meth:`VectorIndex.refresh`).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.durability import CHECKPOINT_SECONDS, crash_point, writing_to
from index.semantic.encoding import limit_blas_threads

PASSAGE_MAX_CHARS = 500
PASSAGE_MIN_CHARS = 300  # a passage shorter than this takes in the next paragraph if it fits
TAIL_MERGE_CHARS = 120  # a last passage shorter than this joins the one before
META_FILE = "meta.json"
FORMAT_VERSION = 2  # 1: one vectors/rows file per generation (still read)
MAX_CHUNKS = 16  # beyond this many appended chunks a save compacts them into one
LOAD_RETRIES = 5

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])(?![”’」』）)\"'])|(?<=[。！？!?][”’」』）)\"'])")


class VectorIndexError(RuntimeError):
    """The vector files are unreadable or do not fit the model."""


def _meta_fits(meta: dict, model_name: str, dim: int) -> bool:
    """Whether meta.json describes vectors of this model and dimension in a format read here."""
    return meta.get("model") == model_name and int(meta.get("dim", -1)) == dim and meta.get("format") in (1, 2)


# --------------------------------------------------------------------------- passages


def _sentences(paragraph: str) -> list[str]:
    """Split at sentence ends (。！？；), keeping a closing quote with its sentence."""
    return [s for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _hard_cut(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def split_into_passages(
    title: str, body: str, max_chars: int = PASSAGE_MAX_CHARS, min_chars: int = PASSAGE_MIN_CHARS
) -> list[str]:
    """Passages of up to ``max_chars`` characters, cut between sentences (。！？；), and
    between paragraphs once a passage has ``min_chars``; a sentence longer than
    ``max_chars`` is cut hard. A short tail joins the passage before it.

    The headline is put in front of every passage: a passage deep in the story is
    still *about* what the headline says. An article without a body is its headline
    alone; an article with neither has no passages.
    """
    title = " ".join(title.split())
    sentences: list[tuple[str, bool]] = []  # (sentence, starts a paragraph)
    for para in body.split("\n"):
        first = True
        for sent in _sentences(para.strip()):
            for piece in _hard_cut(sent.strip(), max_chars):
                sentences.append((piece, first))
                first = False
    chunks: list[str] = []
    cur = ""
    for sent, new_para in sentences:
        if cur and (len(cur) + 1 + len(sent) > max_chars or (new_para and len(cur) >= min_chars)):
            chunks.append(cur)
            cur = ""
        cur = f"{cur}\n{sent}" if cur and new_para else cur + sent
    if cur:
        if chunks and len(cur) < TAIL_MERGE_CHARS:
            chunks[-1] = f"{chunks[-1]}\n{cur}"
        else:
            chunks.append(cur)
    if not chunks:
        return [title] if title else []
    return [f"{title}\n{c}" if title else c for c in chunks]


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class VectorHit:
    id: str
    score: float


class VectorIndex:
    """Passage vectors for one model; article score = best passage (cosine)."""

    def __init__(self, dir: Path, model_name: str, dim: int):
        self.dir = Path(dir)
        self.model_name = model_name
        self.dim = int(dim)
        self.model_changed = False  # True when files for another model/dimension were found (and dropped)
        self._gen = 0
        self._vectors = np.zeros((0, self.dim), np.float32)
        self._rows = np.zeros(0, dtype="<U1")  # article id of each row; an article's rows are contiguous
        self._empty: set[str] = set()
        self._pending_vecs: list[np.ndarray] = []
        self._pending_rows: list[np.ndarray] = []
        self._groups: tuple[np.ndarray, np.ndarray, dict[str, int]] | None = None  # cache for search
        self._known: set[str] | None = None  # cache of article ids with rows
        self._chunks: list[dict] = []  # saved chunks, in row order: {"vectors", "rows", "n"}
        self._saved_rows = 0  # rows[:_saved_rows] are in the saved chunks
        self._empty_file: str | None = None
        self._rewrite = False  # rows changed in place (delete): the next save rewrites everything
        self._dirty = False
        self._stamp: tuple | None = None  # meta.json as last loaded, to notice another process's save
        # One matrix-vector product per query: multi-threaded OpenBLAS is 3x *slower* on two
        # busy cores (5 ms vs 16 ms for 38k x 256) and steals them from torch.
        limit_blas_threads()
        self._load()

    # -- persistence ---------------------------------------------------------------------------
    def _path(self, kind: str, gen: int) -> Path:
        return self.dir / f"{kind}.{gen}.npy"

    def _meta_stamp(self) -> tuple | None:
        try:
            st = (self.dir / META_FILE).stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _load(self) -> None:
        # A writer may compact (and delete the files of) the generation we just read meta.json
        # for: read meta.json again and retry.
        for attempt in range(LOAD_RETRIES):
            try:
                self._load_once()
                return
            except FileNotFoundError as e:
                if attempt == LOAD_RETRIES - 1:
                    raise VectorIndexError(f"{self.dir}: vector files missing ({e.filename})") from None
                time.sleep(0.05)

    def _load_once(self) -> None:
        meta_path = self.dir / META_FILE
        stamp = self._meta_stamp()
        if stamp is None:
            return
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as e:
            raise VectorIndexError(f"{meta_path}: unreadable ({e})") from None
        fmt = meta.get("format")
        if not _meta_fits(meta, self.model_name, self.dim):
            # Vectors of another model are useless here: start empty, rebuild from the store.
            self.model_changed = True
            self._gen = int(meta.get("generation", 0))
            self._stamp = stamp
            return
        gen = int(meta["generation"])
        chunks: list[dict[str, Any]]
        if fmt == 1:
            chunks = [{"vectors": f"vectors.{gen}.npy", "rows": f"rows.{gen}.npy", "n": None}]
            empty_file = f"empty.{gen}.npy"
        else:
            chunks, empty_file = meta["chunks"], meta["empty"]
        try:
            parts = [
                (
                    np.load(self.dir / c["vectors"], mmap_mode="r", allow_pickle=False),
                    np.load(self.dir / c["rows"], allow_pickle=False),
                )
                for c in chunks
            ]
            empty = np.load(self.dir / empty_file, allow_pickle=False)
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as e:
            raise VectorIndexError(f"{self.dir}: vector files of generation {gen} unreadable ({e})") from None
        total = sum(len(r) for _, r in parts)
        vectors = np.empty((total, self.dim), np.float32)
        at = 0
        for vecs, rows in parts:
            if vecs.shape != (len(rows), self.dim):
                raise VectorIndexError(f"{self.dir}: {vecs.shape} vectors for {len(rows)} rows of dimension {self.dim}")
            vectors[at : at + len(rows)] = vecs
            at += len(rows)
        rows = np.concatenate([r for _, r in parts]) if parts else np.zeros(0, dtype="<U1")
        for c, (_, r) in zip(chunks, parts):
            c["n"] = len(r)
        self._gen, self._vectors, self._rows = gen, vectors, rows
        self._empty = set(empty.tolist())
        self._chunks = [dict(c) for c in chunks] if fmt == 2 else []
        self._saved_rows = total if fmt == 2 else 0
        self._rewrite = fmt == 1  # the next save moves an old-format index to chunks
        self._empty_file = empty_file if fmt == 2 else None
        self._pending_vecs, self._pending_rows = [], []
        self._groups = self._known = None
        self.model_changed = False
        self._dirty = False
        self._stamp = stamp

    def refresh(self) -> bool:
        """Load what another process saved since this index was read (nothing pending here).
        Returns whether anything was reloaded; costs one stat() when nothing changed."""
        if self._dirty or self._pending_vecs:
            return False
        stamp = self._meta_stamp()
        if stamp == self._stamp or stamp is None:
            return False
        self._load()
        return True

    def _atomic_save(self, array: np.ndarray, path: Path) -> None:
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        try:
            with writing_to(path):
                with open(tmp, "wb") as f:
                    np.save(f, array, allow_pickle=False)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def save(self) -> None:
        """Write the rows added since the last save as a new chunk (or everything, after a
        delete), then switch meta.json to the new generation, then drop unused files.
        Out of space: DiskFullError, and the files on disk stay at the previous generation."""
        self._flush()
        if not self._dirty and not self.model_changed and self._stamp is not None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        new = self._gen + 1
        rewrite = self._rewrite or self.model_changed or len(self._chunks) >= MAX_CHUNKS
        chunks = [] if rewrite else list(self._chunks)
        first = 0 if rewrite else self._saved_rows
        if len(self._rows) > first or not chunks:
            names: dict[str, Any] = {
                "vectors": f"vectors.{new}.npy",
                "rows": f"rows.{new}.npy",
                "n": len(self._rows) - first,
            }
            self._atomic_save(self._vectors[first:], self.dir / names["vectors"])
            self._atomic_save(self._rows[first:], self.dir / names["rows"])
            chunks.append(names)
        empty_file = f"empty.{new}.npy"
        self._atomic_save(np.array(sorted(self._empty), dtype=str), self.dir / empty_file)
        meta = {
            "format": FORMAT_VERSION,
            "model": self.model_name,
            "dim": self.dim,
            "generation": new,
            "chunks": chunks,
            "empty": empty_file,
            "articles": self.count(),
            "passages": self.passage_count(),
            "saved": time.time(),
        }
        tmp = self.dir / f"{META_FILE}.tmp{os.getpid()}"
        try:
            with writing_to(self.dir / META_FILE):
                tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
                os.replace(tmp, self.dir / META_FILE)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._gen, self._chunks, self._saved_rows, self._empty_file = new, chunks, len(self._rows), empty_file
        self._rewrite = self._dirty = self.model_changed = False
        self._stamp = self._meta_stamp()
        current = {empty_file, *(c["vectors"] for c in chunks), *(c["rows"] for c in chunks)}
        for stale in [*self.dir.glob("*.npy"), *self.dir.glob("*.tmp*")]:
            if stale.name not in current:
                stale.unlink(missing_ok=True)  # replaced chunks, and temp files of killed saves

    @staticmethod
    def saved_ids(dir: Path) -> set[str] | None:
        """Article ids in the index saved at ``dir``, from its row files only (never the
        matrix); None when there is no index there or it belongs to no readable format."""
        d = Path(dir)
        for _attempt in range(LOAD_RETRIES):
            try:
                meta = json.loads((d / META_FILE).read_text(encoding="utf-8"))
                gen = int(meta["generation"])
                if meta.get("format") == 1:
                    names, empty = [f"rows.{gen}.npy"], f"empty.{gen}.npy"
                else:
                    names, empty = [c["rows"] for c in meta["chunks"]], meta["empty"]
                ids: set[str] = set()
                for n in names:
                    ids.update(np.unique(np.load(d / n, allow_pickle=False)).tolist())
                ids.update(np.load(d / empty, allow_pickle=False).tolist())
                return ids
            except FileNotFoundError:
                if not (d / META_FILE).exists():
                    return None
                time.sleep(0.05)  # a writer replaced the files meanwhile: read meta.json again
            except (OSError, ValueError, KeyError, TypeError):
                return None
        return None

    @staticmethod
    def saved_count(dir: Path, model_name: str | None = None, dim: int | None = None) -> int | None:
        """Articles in the index saved at ``dir``, from meta.json alone (None: no index there).
        Given ``model_name`` and ``dim``, also None when the files are not that model's vectors
        (opened as that model, the index would start empty)."""
        try:
            meta = json.loads((Path(dir) / META_FILE).read_text(encoding="utf-8"))
            if model_name is not None and dim is not None and not _meta_fits(meta, model_name, dim):
                return None
            return int(meta["articles"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    # -- writing -------------------------------------------------------------------------------
    def _flush(self) -> None:
        if self._pending_vecs:
            self._vectors = np.concatenate([self._vectors, *self._pending_vecs])
            self._rows = np.concatenate([self._rows.astype(str), *self._pending_rows])
            self._pending_vecs, self._pending_rows = [], []
            self._groups = None

    def add(self, article_id: str, passages: list[str], vectors: np.ndarray) -> None:
        """Add (or replace) one article's passage vectors. No passages: remembered as empty."""
        vectors = (
            np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
            if len(passages)
            else np.zeros((0, self.dim), np.float32)
        )
        if len(vectors) != len(passages):
            raise ValueError(f"{article_id}: {len(passages)} passages but {len(vectors)} vectors")
        if self.has(article_id):
            self.delete([article_id])
        self._dirty = True
        if not len(vectors):
            self._empty.add(article_id)
            return
        self._pending_vecs.append(vectors)
        self._pending_rows.append(np.full(len(vectors), article_id))
        self._known_cache_add(article_id)

    def delete(self, ids: Iterable[str]) -> None:
        drop = set(ids)
        if not drop:
            return
        self._flush()
        if drop & self._empty:
            self._empty -= drop
            self._dirty = True
        if len(self._rows):
            keep = ~np.isin(self._rows, np.array(sorted(drop), dtype=str))
            if not keep.all():
                self._vectors, self._rows = self._vectors[keep], self._rows[keep]
                self._rewrite = self._dirty = True
        self._groups = None
        self._known = None

    # -- reading -------------------------------------------------------------------------------
    def _known_ids(self) -> set[str]:
        if self._known is None:
            self._known = set(np.unique(self._rows).tolist()) | {r[0] for r in self._pending_rows}
        return self._known

    def _known_cache_add(self, article_id: str) -> None:
        if self._known is not None:
            self._known.add(article_id)

    def has(self, article_id: str) -> bool:
        return article_id in self._empty or article_id in self._known_ids()

    def ids(self) -> set[str]:
        return set(self._known_ids()) | self._empty

    def count(self) -> int:
        """Articles present (with or without passages)."""
        return len(self.ids())

    def passage_count(self) -> int:
        return len(self._rows) + sum(len(r) for r in self._pending_rows)

    def _group_index(self) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """Start row of each article's run of rows, its id, and id -> run number."""
        self._flush()
        if self._groups is None:
            rows = self._rows
            if len(rows):
                starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
            else:
                starts = np.zeros(0, dtype=np.int64)
            group_ids = rows[starts]
            self._groups = (starts, group_ids, {a: i for i, a in enumerate(group_ids.tolist())})
        return self._groups

    def vectors_of(self, article_id: str) -> np.ndarray:
        """The passage vectors of one article (for `similar`); empty if it has none."""
        self._flush()
        return self._vectors[self._rows == article_id]

    def search(
        self, qvec: np.ndarray, k: int = 10, allowed_ids: Iterable[str] | None = None, exclude_ids: Iterable[str] = ()
    ) -> list[tuple[str, float]]:
        """Top-k articles by their best passage's cosine with ``qvec`` (a normalised vector).

        ``qvec`` may also be several vectors (e.g. an article's passages, for `similar`):
        then a passage's score is its best match with any of them.
        """
        starts, group_ids, position = self._group_index()
        if not len(starts) or k <= 0:
            return []
        q = np.asarray(qvec, dtype=np.float32)
        scores = self._vectors @ q.T if q.ndim == 2 else self._vectors @ q
        if scores.ndim == 2:
            scores = scores.max(axis=1)
        best = np.maximum.reduceat(scores, starts)
        if allowed_ids is not None:
            mask = np.zeros(len(best), dtype=bool)
            idx = [position[a] for a in allowed_ids if a in position]
            mask[idx] = True
            best = np.where(mask, best, -np.inf)
        excluded = [position[a] for a in exclude_ids if a in position]
        if excluded:
            best[excluded] = -np.inf
        n_valid = int(np.isfinite(best).sum())
        k = min(k, n_valid)
        if k == 0:
            return []
        top = np.argpartition(-best, k - 1)[:k] if k < len(best) else np.arange(len(best))
        top = top[np.lexsort((group_ids[top], -best[top]))]  # score desc, then id for stable ties
        return [(str(group_ids[i]), float(best[i])) for i in top if np.isfinite(best[i])]


def similar_articles(
    index: VectorIndex,
    article_id: str,
    k: int = 10,
    exclude_ids: Iterable[str] = (),
    duplicate_above: float | None = None,
) -> list[tuple[str, float]]:
    """Articles most like ``article_id``: the mean of its passage vectors as the query,
    each candidate scored by its best passage. ``exclude_ids`` (e.g. the store's copies
    of the same story) are left out, and so is anything scoring above ``duplicate_above``
    (a reprint under another id). Empty when the article has no vectors.
    """
    vecs = index.vectors_of(article_id)
    if not len(vecs):
        return []
    centroid = vecs.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    excluded = {article_id, *exclude_ids}
    hits = index.search(centroid, k=k + (k if duplicate_above is not None else 0), exclude_ids=excluded)
    if duplicate_above is not None:
        hits = [(d, s) for d, s in hits if s <= duplicate_above]
    return hits[:k]


# --------------------------------------------------------------------------- embedding


@dataclass(frozen=True)
class EmbedStats:
    articles: int  # articles embedded in this call
    passages: int
    skipped: int  # already present
    seconds: float

    @property
    def passages_per_second(self) -> float:
        return self.passages / self.seconds if self.seconds > 0 else 0.0


def article_text(item: Any) -> tuple[str, str, str]:
    """(id, heading, body) from a store row (``.id`` + ``.article``), an object with
    id/title/body, or an (id, title, body) tuple. The heading joins kicker, title, subtitle."""
    if isinstance(item, tuple):
        aid, title, body = item
        return str(aid), title or "", body or ""
    art = getattr(item, "article", item)
    heading = " ".join(x for x in (getattr(art, "kicker", ""), art.title, getattr(art, "subtitle", "")) if x)
    return str(item.id), heading, art.body or ""


def _batches(
    items: Iterable[Any], index: VectorIndex, batch_size: int, counter: list[int]
) -> Iterator[list[tuple[str, list[str]]]]:
    batch: list[tuple[str, list[str]]] = []
    in_batch: set[str] = set()
    n = 0
    for item in items:
        aid, heading, body = article_text(item)
        if index.has(aid) or aid in in_batch:
            counter[0] += 1
            continue
        passages = split_into_passages(heading, body)
        batch.append((aid, passages))
        in_batch.add(aid)
        n += len(passages)
        if n >= batch_size:
            yield batch
            batch, in_batch, n = [], set(), 0
    if batch:
        yield batch


class SaveSchedule:
    """When a long embed saves: every ``every`` batches or ``seconds`` seconds, whichever
    comes first, so a kill loses at most that much work."""

    def __init__(self, every: int, seconds: float):
        self.every, self.seconds = every, seconds
        self.batches = 0
        self.last = time.perf_counter()

    def batch_done(self, index: VectorIndex) -> None:
        """Count a finished batch and save the index if it is due."""
        self.batches += 1
        if self.batches % self.every == 0 or time.perf_counter() - self.last >= self.seconds:
            index.save()
            self.last = time.perf_counter()
            crash_point("embed_after_save")


def embed_missing(
    store_articles_iter: Iterable[Any],
    index: VectorIndex,
    encoder: Any,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
    save_every: int = 10,
    save_seconds: float = CHECKPOINT_SECONDS,
) -> EmbedStats:
    """Embed the articles ``index`` does not have yet, saving every ``save_every`` batches
    and at least every ``save_seconds`` seconds (a save appends only the new rows).

    Safe to interrupt: what was saved stays, and the next call continues from there
    (Ctrl-C saves before it stops; a kill loses at most the last ``save_seconds``).
    ``progress`` is called with the number of articles finished after each batch (e.g. a
    tqdm bar's ``update``).
    """
    if encoder.dim != index.dim:
        raise VectorIndexError(f"model {encoder.name} has dimension {encoder.dim}, index expects {index.dim}")
    started = time.perf_counter()
    schedule = SaveSchedule(save_every, save_seconds)
    skipped = [0]
    articles = passages = 0
    try:
        for batch in _batches(store_articles_iter, index, batch_size, skipped):
            texts = [p for _, ps in batch for p in ps]
            vecs = (
                encoder.encode_passages(texts, batch_size=min(batch_size, 64))
                if texts
                else np.zeros((0, index.dim), np.float32)
            )
            at = 0
            for aid, ps in batch:
                index.add(aid, ps, vecs[at : at + len(ps)])
                at += len(ps)
            articles += len(batch)
            passages += len(texts)
            schedule.batch_done(index)
            if progress is not None:
                progress(len(batch))
    except KeyboardInterrupt:
        index.save()
        raise
    if articles or index.model_changed:
        index.save()
    return EmbedStats(articles, passages, skipped[0], time.perf_counter() - started)
