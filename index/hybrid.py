"""Fusion of ranked lists (keyword, semantic, ...) into one ranking. Pure functions, no I/O.

A ranked list is a sequence of ``(id, score)`` pairs, best first. Two ways to fuse:

* reciprocal rank fusion: uses only ranks, so scores on different scales (BM25,
  cosine) need no calibration;
* convex combination: min-max normalise each list's scores to 0..1, then a weighted sum.

And one rule on top: an exact keyword match of a quoted phrase or a programme name is
never buried under semantic near-misses (``protect_exact_matches``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.semantic.models import E5_INT8_NAME, E5_NAME, STATIC_NAME

Ranked = Sequence[tuple[str, float]]

RRF_K = 60  # the constant from Cormack et al. (2009); dampens the weight of the very top ranks
FUSION_METHODS = ("rrf", "convex")

# Chosen by benchmarks/retrieval.py (RGB zh, 400 questions, 10,585 passages, keyword + e5-small):
# convex 0.3/0.7 R@5 0.373, nDCG@10 0.630 against e5 alone 0.357 / 0.612 and RRF 0.361 / 0.614;
# 2-fold cross-validation picks 0.3 on both halves. On the seed pages it keeps every paraphrase
# query's answer in the top 5 (RRF loses 3 of 14) and, with protect_exact_matches, every quoted
# programme name's articles on top.
DEFAULT_METHOD = "convex"


@dataclass(frozen=True)
class FusionSettings:
    """How hybrid search fuses its two lists for one embedding model."""

    weights: tuple[float, float]  # (keyword, semantic)
    method: str = DEFAULT_METHOD
    candidates: int = 100  # each side's list length before fusion


# With e5-small, 0.3/0.7 gave R@5 0.373 against 0.357 for e5 alone and 0.311 for keywords
# alone; the static model is weaker than keywords, so it only nudges (0.7/0.3 ties keyword
# search there and still finds paraphrases). Any other model gets an even mix.
FUSION_BY_MODEL: dict[str, FusionSettings] = {
    E5_NAME: FusionSettings(weights=(0.3, 0.7)),
    E5_INT8_NAME: FusionSettings(weights=(0.3, 0.7)),
    STATIC_NAME: FusionSettings(weights=(0.7, 0.3)),
}
DEFAULT_FUSION = FusionSettings(weights=(0.5, 0.5))


def fusion_settings(model: str | None) -> FusionSettings:
    """The fusion settings for a model name (an even mix for models not measured)."""
    return FUSION_BY_MODEL.get(model or "", DEFAULT_FUSION)


def _check_weights(lists: Sequence[Ranked], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(lists)
    if len(weights) != len(lists):
        raise ValueError(f"{len(weights)} weights for {len(lists)} ranked lists")
    if any(w < 0 for w in weights):
        raise ValueError(f"weights must not be negative: {list(weights)}")
    return [float(w) for w in weights]


def _ranks(ranked: Ranked) -> dict[str, int]:
    """1-based competition ranks ("1224"): equal scores share the better rank.

    Ties matter: BM25 often gives several documents the same score, and the order
    among them is an accident of the engine. A repeated id keeps its first rank.
    """
    out: dict[str, int] = {}
    prev_score = None
    rank = 0
    for position, (doc_id, score) in enumerate(ranked, start=1):
        if prev_score is None or score != prev_score:
            rank = position
            prev_score = score
        out.setdefault(doc_id, rank)
    return out


def _sorted(scores: dict[str, float], first_seen: dict[str, int]) -> list[tuple[str, float]]:
    """Best score first; equal scores keep the order ids were first met in (earlier lists first)."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], first_seen[kv[0]]))


def _first_seen(lists: Sequence[Ranked]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for ranked in lists:
        for doc_id, _ in ranked:
            seen.setdefault(doc_id, len(seen))
    return seen


def reciprocal_rank_fusion(
    lists: Sequence[Ranked], k: float = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """score(d) = sum over lists of weight / (k + rank of d in that list); absent = 0."""
    if k < 0:
        raise ValueError(f"rrf k must not be negative: {k}")
    ws = _check_weights(lists, weights)
    fused: dict[str, float] = {}
    for ranked, w in zip(lists, ws):
        for doc_id, rank in _ranks(ranked).items():
            fused[doc_id] = fused.get(doc_id, 0.0) + w / (k + rank)
    return _sorted(fused, _first_seen(lists))


def min_max_normalise(ranked: Ranked) -> dict[str, float]:
    """Scores mapped to 0..1 within the list; a list whose scores are all equal maps to 1."""
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    lo, hi = min(scores), max(scores)
    out: dict[str, float] = {}
    for doc_id, s in ranked:
        out.setdefault(doc_id, 1.0 if hi == lo else (s - lo) / (hi - lo))
    return out


def convex_combination(lists: Sequence[Ranked], weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """score(d) = sum of weight * min-max-normalised score; absent from a list = 0 there.

    Weights are used as given (not re-normalised), so scores stay comparable
    across queries with the same weights.
    """
    ws = _check_weights(lists, weights)
    fused: dict[str, float] = {}
    for ranked, w in zip(lists, ws):
        for doc_id, s in min_max_normalise(ranked).items():
            fused[doc_id] = fused.get(doc_id, 0.0) + w * s
    return _sorted(fused, _first_seen(lists))


def fuse(
    lists: Sequence[Ranked], method: str = DEFAULT_METHOD, weights: Sequence[float] | None = None, k: float = RRF_K
) -> list[tuple[str, float]]:
    """Either fusion by name ('rrf' or 'convex')."""
    if method == "rrf":
        return reciprocal_rank_fusion(lists, k=k, weights=weights)
    if method == "convex":
        return convex_combination(lists, weights=weights)
    raise ValueError(f"unknown fusion method {method!r} (choose from {', '.join(FUSION_METHODS)})")


def protect_exact_matches(fused: Ranked, exact_ids: Iterable[str], k: int) -> list[tuple[str, float]]:
    """The top ``k`` with every exact match ahead of every other result.

    ``exact_ids`` are the articles that literally contain a quoted phrase or a
    programme name, in the keyword engine's order. Among themselves they keep their
    fused order; exact matches fusion never saw follow them in the given order
    (score 0.0). The rest fill the remaining places in fused order.
    """
    if k <= 0:
        return []
    exact = list(dict.fromkeys(exact_ids))
    exact_set = set(exact)
    fused_list = list(fused)
    fused_ids = {doc_id for doc_id, _ in fused_list}
    head = [(d, s) for d, s in fused_list if d in exact_set]
    head += [(d, 0.0) for d in exact if d not in fused_ids]
    tail = [(d, s) for d, s in fused_list if d not in exact_set]
    return (head + tail)[:k]


EXACT_BONUS = 1.0  # added to an exact match's fused score: fused scores are at most the sum of the weights (1)


def monotone_scores(ranked: Ranked, exact_ids: Iterable[str] = ()) -> list[tuple[str, float]]:
    """The scores to show for a final ranking: the fused score, plus EXACT_BONUS for exact
    matches (which protect_exact_matches put first), never rising down the list.

    Showing the bare fused score would print 0.33 above 0.98 whenever an exact match was
    lifted over a semantic near-miss; with the bonus the printed score explains the order.
    """
    exact = set(exact_ids)
    out: list[tuple[str, float]] = []
    ceiling = float("inf")
    for doc_id, score in ranked:
        shown = min(score + (EXACT_BONUS if doc_id in exact else 0.0), ceiling)
        out.append((doc_id, shown))
        ceiling = shown
    return out


def best_per_article(lists: Sequence[Ranked]) -> list[tuple[str, float]]:
    """Several ranked lists in one vector space (e.g. lead passages and full articles) merged:
    each article keeps its best score."""
    best: dict[str, float] = {}
    for ranked in lists:
        for doc_id, score in ranked:
            if score > best.get(doc_id, float("-inf")):
                best[doc_id] = score
    return _sorted(best, _first_seen(lists))


def mix_partial_coverage(main: Ranked, fallback: Ranked, covered: set[str]) -> list[tuple[str, float]]:
    """One semantic ranking when the main model has embedded only part of the archive.

    Articles in ``covered`` are scored by the main model; the others by the fallback model,
    its scores mapped onto the main model's scale by matching mean and spread over the
    covered articles both lists ranked. So an archive half-way through its e5 embedding
    ranks every article, instead of dropping to the fallback model for the whole query.
    """
    main_scores = dict(main)
    fb_scores = dict(fallback)
    both = [d for d in main_scores if d in fb_scores]
    if len(both) >= 3:
        m = [main_scores[d] for d in both]
        f = [fb_scores[d] for d in both]
    else:  # too little overlap: match the two lists as wholes
        m, f = list(main_scores.values()), [fb_scores[d] for d in fb_scores if d not in covered]
    mean_m, sd_m = _mean_sd(m)
    mean_f, sd_f = _mean_sd(f)
    scale = sd_m / sd_f if sd_f > 1e-9 and sd_m > 1e-9 else 1.0
    mixed = dict(main_scores)
    for doc_id, s in fallback:
        if doc_id not in covered:
            mixed[doc_id] = mean_m + (s - mean_f) * scale
    return _sorted(mixed, _first_seen([main, fallback]))


def _mean_sd(xs: Sequence[float]) -> tuple[float, float]:
    if not xs:
        return 0.0, 0.0
    mean = sum(xs) / len(xs)
    return mean, (sum((x - mean) ** 2 for x in xs) / len(xs)) ** 0.5
