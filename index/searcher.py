"""Hybrid search over one archive: keyword list, semantic list, fusion, exact-match rule.

The searcher reads the store, a keyword index and the passage vectors; it never writes.
Fusion itself is pure and lives in :mod:`index.hybrid`; this module gathers the two lists,
fuses them with the model's :class:`~index.hybrid.FusionSettings`, keeps exact matches on
top and turns ids into :class:`SearchResult` objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from index.highlight import make_snippet
from index.hybrid import (
    best_per_article,
    fuse,
    fusion_settings,
    mix_partial_coverage,
    monotone_scores,
    protect_exact_matches,
)
from index.keyword.base import Filters, KeywordIndex, ParsedQuery, QuerySyntaxError, parse_query
from index.semantic.models import E5_MODELS, STATIC_NAME, lead_index_name  # names only: no numpy imported
from index.store import ArticleStore

SEARCH_MODES = ("keyword", "semantic", "hybrid")


@dataclass(frozen=True)
class SemanticPlan:
    """The vectors one search reads: ``model`` (plus its lead-passage index), and ``fallback``
    for the articles outside ``covered`` (None when the model covers the whole archive)."""

    model: str
    covered: set[str] | None
    fallback: str | None


# Page furniture (本版导读, 开栏语 …: pipeline.split) is stored but not a story: left out of results
# unless asked for; a few extra hits are fetched so k results remain after leaving them out.
FURNITURE_KIND = "furniture"
FURNITURE_SLACK = 5


class SearchError(ValueError):
    """A query or option the searcher cannot answer (the message says why)."""


@dataclass
class SearchResult:
    """One ranked article.

    ``score`` is the score the ranking used (fused in hybrid mode) and falls with rank;
    ``scores`` keeps each component (``keyword``, ``semantic``, ``fused``).
    ``snippet`` wraps matched words in ``<mark>…</mark>``.

    >>> r = SearchResult(id="a1", title="马背送学", date="2015-03-12", source="工人日报", score=1.0,
    ...                  snippet="<mark>马背</mark>送学", text="…")
    >>> r.to_dict()["title"]
    '马背送学'
    """

    id: str
    title: str
    date: str | None
    source: str
    score: float
    snippet: str
    text: str
    kicker: str = ""
    subtitle: str = ""
    kind: str = "news"
    url: str | None = None
    page: str | None = None
    origin: str = ""
    scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape shared by the CLI's ``--json`` and the web API."""
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "score": round(self.score, 6),
            "snippet": self.snippet,
            "text": self.text,
            "kicker": self.kicker,
            "subtitle": self.subtitle,
            "kind": self.kind,
            "url": self.url,
            "page": self.page,
            "origin": self.origin,
            "scores": self.scores,
        }


class HybridSearcher:
    """Keyword, semantic or hybrid search over a store and its indexes.

    ``vectors(model)`` returns the model's passage-vector index (or None) and
    ``encoder(model)`` the loaded embedding model; ``best_model()`` names the model a
    search uses when none is given. The archive passes its own accessors.
    """

    def __init__(
        self,
        store: ArticleStore,
        keyword: KeywordIndex,
        vectors: Callable[[str], Any],
        encoder: Callable[[str], Any],
        best_model: Callable[[], str | None],
    ):
        self.store = store
        self.keyword = keyword
        self.vectors = vectors
        self.encoder = encoder
        self.best_model = best_model

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters = Filters(),
        mode: str = "hybrid",
        model: str | None = None,
        fusion: str | None = None,
        include_furniture: bool = False,
        snippets: bool = True,
    ) -> list[SearchResult]:
        """Ranked articles; see :meth:`index.archive.Archive.search`. ``snippets=False`` leaves
        ``snippet`` empty (for callers that read the whole text)."""
        if include_furniture:
            return self._search(query, k, filters, mode, model, fusion, snippets)
        found = self._search(query, k + FURNITURE_SLACK, filters, mode, model, fusion, snippets)
        return [r for r in found if r.kind != FURNITURE_KIND][:k]

    def _search(
        self, query: str, k: int, filters: Filters, mode: str, model: str | None, fusion: str | None, snippets: bool
    ) -> list[SearchResult]:
        if mode not in SEARCH_MODES:
            raise SearchError(f"unknown search mode {mode!r} (choose from {', '.join(SEARCH_MODES)})")
        try:
            parsed: ParsedQuery | None = parse_query(query)
        except QuerySyntaxError as e:
            if mode != "semantic":
                raise SearchError(str(e)) from None
            parsed = None
        plan = self.plan(model) if mode != "keyword" else None
        if mode == "semantic" and plan is None:
            raise SearchError("this archive has no vectors yet: embed it (ingest does, or the embed step) first")
        if plan is None:  # keyword mode, or hybrid without vectors
            assert parsed is not None
            hits = self.keyword.search(parsed, k=k, filters=filters)
            return self.results(
                [(h.id, h.score) for h in hits], parsed, {h.id: {"keyword": h.score} for h in hits}, snippets
            )
        settings = fusion_settings(plan.model)
        n = max(settings.candidates, 3 * k)
        kw = [(h.id, h.score) for h in self.keyword.search(parsed, k=n, filters=filters)] if parsed else []
        sem = self.semantic_list(query, plan, n, filters)
        scores: dict[str, dict[str, float]] = {}
        for name, ranked in (("keyword", kw), ("semantic", sem)):
            for i, sc in ranked:
                scores.setdefault(i, {})[name] = round(sc, 6)
        if mode == "semantic":
            return self.results(sem[:k], parsed, scores, snippets)
        fused = fuse([kw, sem], method=fusion or settings.method, weights=settings.weights)
        exact = self.exact_matches(query, parsed, kw)
        ranked = protect_exact_matches(fused, exact, k)
        for i, sc in ranked:
            scores.setdefault(i, {})["fused"] = round(sc, 6)
            if i in exact:
                scores[i]["exact"] = 1.0
        return self.results(monotone_scores(ranked, exact), parsed, scores, snippets)

    def plan(self, model: str | None) -> SemanticPlan | None:
        """Which vectors answer the semantic side: the named model, else the transformer model that
        covers most of the archive, else the static model; static fills in the articles the
        transformer has not reached yet. None when the archive has no vectors."""
        total = max(1, self.store.count())

        def covered(m: str) -> set[str]:
            ids: set[str] = set()
            for name in (m, lead_index_name(m)):
                index = self.vectors(name)
                if index is not None:
                    ids |= index.ids()
            return ids

        if model is None:
            best = None
            for m in E5_MODELS:
                ids = covered(m)
                if ids and (best is None or len(ids) > len(best[1])):
                    best = (m, ids)
            if best is None:  # no transformer vectors: the archive's best (the static model), alone
                model = self.best_model()
                return SemanticPlan(model, None, None) if model is not None else None
            model, ids = best
        else:
            ids = covered(model)
            if not ids:
                raise SearchError(f"no {model} vectors in this archive: embed it with --model {model} first")
        fallback = (
            STATIC_NAME if model != STATIC_NAME and self.vectors(STATIC_NAME) is not None and len(ids) < total else None
        )
        return SemanticPlan(model, ids if fallback else None, fallback)

    def semantic(self, query: str, model: str, n: int, filters: Filters) -> list[tuple[str, float]]:
        """The ``n`` articles nearest the query in the model's vector space (static filling in
        for the articles the model has not embedded yet)."""
        plan = self.plan(model)
        assert plan is not None
        return self.semantic_list(query, plan, n, filters)

    def semantic_list(self, query: str, plan: SemanticPlan, n: int, filters: Filters) -> list[tuple[str, float]]:
        allowed = self.filtered_ids(filters) if filters != Filters() else None
        text = query.replace('"', " ")
        qvec = self.encoder(plan.model).encode_queries([text])[0]
        lists = []
        for name in (plan.model, lead_index_name(plan.model)):
            index = self.vectors(name)
            if index is not None:
                lists.append(index.search(qvec, k=n, allowed_ids=allowed))
        # An article with lead vectors and full vectors scores its best passage over both.
        main = best_per_article(lists)[:n]
        if plan.fallback is None or plan.covered is None:
            return main
        static_index = self.vectors(plan.fallback)
        svec = self.encoder(plan.fallback).encode_queries([text])[0]
        static = static_index.search(svec, k=n, allowed_ids=allowed)
        return mix_partial_coverage(main, static, plan.covered)[:n]

    def filtered_ids(self, f: Filters) -> set[str]:
        """The articles that pass the filters, from the store (so any vector index can use them)."""
        ids = self.store.ids_matching(since=f.since, until=f.until, source=f.source)
        if f.region:
            from pipeline.regions import descendant_codes

            ids &= self.store.articles_in_regions(descendant_codes(f.region))
        if f.ids is not None:
            ids &= set(f.ids)
        return ids

    def exact_matches(self, query: str, parsed: ParsedQuery | None, kw: list[tuple[str, float]]) -> list[str]:
        """Keyword hits that contain a quoted phrase, or a program name the query names."""
        if parsed is None:
            return []
        if any(c.required for c in parsed.clauses):
            return [i for i, _ in kw]  # required clauses: every keyword hit has the phrase
        ids = [i for i, _ in kw[:30]]
        from pipeline.script import to_simplified

        folded = to_simplified(query).replace(" ", "")  # program names are stored in Simplified
        out = []
        for aid, programs in self.store.values_for(ids, "program").items():
            if any(len(p) >= 3 and p in folded for p in programs):
                out.append(aid)
        return sorted(out, key=ids.index)

    def results(
        self,
        ranked: list[tuple[str, float]],
        parsed: ParsedQuery | None,
        scores: dict[str, dict[str, float]],
        snippets: bool = True,
    ) -> list[SearchResult]:
        """Ranked ids as results with snippets; ids the store does not hold are left out."""
        arts = self.store.get_many([i for i, _ in ranked])
        out = []
        terms = parsed.terms if parsed else []
        for aid, score in ranked:
            sa = arts.get(aid)
            if sa is None:  # indexed beyond the last store checkpoint: not part of the archive
                continue
            a = sa.article
            out.append(
                SearchResult(
                    id=aid,
                    title=a.title,
                    date=a.date,
                    source=a.source,
                    score=score,
                    snippet=make_snippet(a.body or a.title, terms) if snippets else "",
                    text=a.body,
                    kicker=a.kicker,
                    subtitle=a.subtitle,
                    kind=a.kind,
                    url=a.url,
                    page=a.page,
                    origin=a.origin,
                    scores=scores.get(aid, {}),
                )
            )
        return out
