"""Ingest sessions: loaded sources through the pipeline into the store and indexes, in checkpoints.

A session holds the archive's writer lock from start to end. Each checkpoint saves the
vectors, then commits the keyword index, then the store, so the store never names an article
the indexes lack; anything an index holds beyond the store is ignored by readers and dropped
by the next writer (:meth:`index.archive.Archive.reconcile`). Checkpoints come every
``checkpoint`` articles or ``checkpoint_seconds`` seconds, whichever is first, so a kill
loses at most that much work.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.durability import CHECKPOINT_SECONDS, crash_point
from index.keyword.base import KeywordDoc
from index.store import StoredArticle
from pipeline.models import Article, LoadProblem, Page
from pipeline.parallel import ordered_map
from pipeline.process import PreparedArticle, prepare_source, search_fields

if TYPE_CHECKING:
    from index.archive import Archive

CHECKPOINT_ARTICLES = 5000


@dataclass
class IngestReport:
    """What an ingest did: counts, the files it skipped and why, and how long it took."""

    sources: int = 0  # pages and structured articles read
    pages: int = 0
    articles: int = 0  # articles the pipeline produced
    added: int = 0
    duplicates: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        s = (
            f"{self.pages} pages, {self.articles} articles: {self.added} added, "
            f"{self.duplicates} duplicates skipped, {len(self.problems)} files skipped"
        )
        return s + f" ({self.seconds:.1f} s)"

    def to_dict(self) -> dict:
        return {
            "sources": self.sources,
            "pages": self.pages,
            "articles": self.articles,
            "added": self.added,
            "duplicates": self.duplicates,
            "seconds": round(self.seconds, 2),
            "skipped": [{"file": p.origin, "reason": p.reason} for p in self.problems],
        }


def keyword_doc(aid: str, art: Article, mentions: Iterable = (), segments: dict | None = None) -> KeywordDoc:
    """What the keyword engines index: text fields plus the region codes for filters
    (each mentioned unit and all its parents, so a province filter finds its counties)."""
    regions: set[str] = set()
    for m in mentions:
        if m.type == "region":
            regions.add(str(m.value))
            regions.update(m.attrs.get("parent_codes", ()))
    f = search_fields(art)
    return KeywordDoc(
        aid, f["title"], f["kicker"], f["body"], art.date, art.source, tuple(sorted(regions)), segments=segments
    )


def _prepare_worker(item):
    return prepare_source(item, segments=True)


def prepare_sources(sources: Iterable[Page | Article], workers: int) -> Iterator[list[PreparedArticle]]:
    """The pipeline over sources, in ``workers`` processes, results in input order."""
    if workers <= 1:
        return map(prepare_source, sources)
    from pipeline.segment import jieba_tokenizer

    jieba_tokenizer()  # load once in the parent; forked workers share it
    return ordered_map(_prepare_worker, sources, workers)


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)


class IngestSession:
    """Adds prepared articles in checkpoints; on exit commits, or on error rolls the store back.

    >>> # with archive.session() as s:
    >>> #     s.add(page)          # one loaded Page, Article or LoadProblem
    >>> # s.report.added
    """

    def __init__(
        self,
        archive: Archive,
        checkpoint: int = CHECKPOINT_ARTICLES,
        on_progress: Callable[[IngestReport], None] | None = None,
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
    ):
        self.archive = archive
        self.checkpoint_every = checkpoint
        self.checkpoint_seconds = checkpoint_seconds
        self.on_progress = on_progress
        self.report = IngestReport()
        self._pending: list[StoredArticle] = []
        self._new_for_cases: list[tuple] = []  # (id, article, mentions) of articles added since the checkpoint
        self._t0 = self._last_checkpoint = time.perf_counter()
        self._stack = ExitStack()

    def __enter__(self) -> IngestSession:
        ar = self.archive
        self._stack.enter_context(ar.writing())  # the lock, and the indexes reconciled with the store
        try:
            # articles stored earlier without vectors (an interrupted embed, a new model) get them now
            for model in ar.ingest_models:
                index = ar.vectors(model, create=True)
                if index.count() < ar.store.count():
                    ar.embed(model)
        except BaseException:
            self._stack.__exit__(*sys.exc_info())
            raise
        self._last_checkpoint = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.checkpoint()
            else:
                self.archive.store.rollback()
        except BaseException as e:
            self.report.seconds = time.perf_counter() - self._t0
            self._stack.__exit__(type(e), e, e.__traceback__)  # releases the lock; may re-word e
            raise
        self.report.seconds = time.perf_counter() - self._t0
        return self._stack.__exit__(exc_type, exc, tb)

    def checkpoint(self) -> None:
        """Commit what is pending: vectors and keyword index first, the store last."""
        ar = self.archive
        if self._pending:
            from index.semantic.vectors import embed_missing

            for model in ar.ingest_models:
                index = ar.vectors(model, create=True)
                embed_missing(self._pending, index, ar.encoder(model))
                index.save()
            crash_point("after_vectors_save")
        ar.keyword.commit()
        if self._pending:
            crash_point("after_keyword_commit")
        ar.update_cases(self._new_for_cases)  # derived from the new mentions, committed with the store
        self._new_for_cases = []
        ar.store.commit()
        if self._pending:
            crash_point("after_store_commit")
        self._pending = []
        self._last_checkpoint = time.perf_counter()

    def count(self, sources: Iterable) -> Iterator[Page | Article]:
        """Pass sources through, recording problems and pages in the report."""
        for item in sources:
            if isinstance(item, LoadProblem):
                self.problem(item)
                continue
            self.report.sources += 1
            if isinstance(item, Page):
                self.report.pages += 1
            yield item

    def problem(self, p: LoadProblem) -> None:
        self.report.problems.append(p)
        self._progress()

    def add(self, item: Page | Article | LoadProblem) -> None:
        """One loaded source through the pipeline (in this process) into the archive."""
        for src in self.count([item]):
            self.add_prepared(prepare_source(src))

    def add_prepared(self, prepared: list[PreparedArticle]) -> None:
        ar, rep = self.archive, self.report
        rep.articles += len(prepared)
        mentions = {p.article.content_hash: p.mentions for p in prepared}
        new, dupes = ar.store.add_articles([p.article for p in prepared], mentions)
        rep.duplicates += dupes
        rep.added += len(new)
        segs = {p.article.content_hash: p.segments for p in prepared}
        ar.keyword.add(
            keyword_doc(s.id, s.article, mentions[s.article.content_hash], segs[s.article.content_hash]) for s in new
        )
        self._pending.extend(new)
        self._new_for_cases.extend((s.id, s.article, mentions[s.article.content_hash]) for s in new)
        if len(self._pending) >= self.checkpoint_every or (
            self._pending and time.perf_counter() - self._last_checkpoint >= self.checkpoint_seconds
        ):
            self.checkpoint()
        self._progress()

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress(self.report)
