"""Transformer vectors in two resumable passes: each article's lead passage first, the rest after.

On two cores e5 embeds ~10-15 passages a second: the 37,678 passages of the 10,294 People's
Daily articles take about 45 minutes, their 10,294 lead passages (headline + first paragraph,
300-500 characters) about 12. The first pass gives every article a transformer vector for
what it is mainly about; the second fills in the rest. Search merges both (an article scores
its best passage over the two indexes) and lets the static model stand in for articles not
reached yet (index.hybrid.mix_partial_coverage). Either pass can be stopped at any time and
resumed; the second reuses the lead vector instead of embedding that passage again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from index.semantic.vectors import VectorIndex, Work, article_text, embed_work, split_into_passages


@dataclass(frozen=True)
class StagedStats:
    lead_articles: int  # articles whose lead passage was embedded in this call
    rest_articles: int  # articles completed in this call
    passages: int
    seconds: float

    @property
    def passages_per_second(self) -> float:
        return self.passages / self.seconds if self.seconds > 0 else 0.0


def _work(items: Iterable[Any], complete: VectorIndex, lead: VectorIndex, leads: bool) -> Iterator[Work]:
    """(id, passages, vector already known for the first passage) for each article still to do."""
    for item in items:
        aid, heading, body = article_text(item)
        if complete.has(aid):
            continue
        passages = split_into_passages(heading, body)
        if leads:
            if not lead.has(aid):
                yield aid, passages[:1], None
            continue
        known = lead.vectors_of(aid)[:1] if passages and lead.has(aid) else None
        yield aid, passages, known if known is not None and len(known) else None


def embed_leads(
    items: Iterable[Any],
    complete: VectorIndex,
    lead: VectorIndex,
    encoder: Any,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """First pass: the lead passage of every article neither index has. Returns (articles, passages)."""
    return embed_work(_work(items, complete, lead, leads=True), lead, encoder, batch_size, progress)


def embed_rest(
    items: Iterable[Any],
    complete: VectorIndex,
    lead: VectorIndex,
    encoder: Any,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Second pass: every passage of the articles the complete index lacks, reusing stored lead
    vectors. Returns (articles, passages embedded)."""
    return embed_work(_work(items, complete, lead, leads=False), complete, encoder, batch_size, progress)


def embed_staged(
    items: Callable[[], Iterable[Any]],
    complete: VectorIndex,
    lead: VectorIndex,
    encoder: Any,
    leads_only: bool = False,
    batch_size: int = 64,
    on_leads: Callable[[int], None] | None = None,
    on_rest: Callable[[int], None] | None = None,
) -> StagedStats:
    """Both passes over ``items()`` (called once per pass, e.g. ``store.iter_articles``)."""
    started = time.perf_counter()
    lead_articles, n_lead = embed_leads(items(), complete, lead, encoder, batch_size, on_leads)
    rest_articles = n_rest = 0
    if not leads_only:
        rest_articles, n_rest = embed_rest(items(), complete, lead, encoder, batch_size, on_rest)
    return StagedStats(lead_articles, rest_articles, n_lead + n_rest, time.perf_counter() - started)
