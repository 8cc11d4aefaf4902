"""An archive's case index: evidence from stored articles, cases per organisation, queries.

The case rules are pure functions in :mod:`index.cases`; this module is their edge: it reads
articles and mentions, embeds descriptions with the archive's static model, and reads and
writes the store's case tables (:class:`index.store.CaseStore`) inside the store's own
transaction, so an ingest checkpoint commits articles and their cases together.

Clustering never crosses an organisation, so after an ingest only the organisations the new
articles name are clustered again, and the result equals a rebuild from scratch (a test checks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.cases import (
    ArticleText,
    Case,
    CaseEvidence,
    article_case_evidence,
    canonical_org,
    cluster_cases,
    evidence_weight,
    might_hold_cases,
    normalise_program,
)
from index.semantic.models import STATIC_NAME
from index.store import CASES_FORMAT, ArticleStore, CaseRow, CaseStore
from pipeline.models import Article

META_KEY = "cases_format"
KEYWORD_CANDIDATES = 200
SEMANTIC_CANDIDATES = 50
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」')


class CaseQueryError(ValueError):
    """A case query the index cannot answer (the message says why)."""


@dataclass(frozen=True)
class CaseQuery:
    """What ``cases`` asks for: words, and filters that every case returned passes."""

    text: str | None = None
    region_code: str | None = None  # the unit or anything below it
    since: str | None = None
    until: str | None = None
    program: str | None = None
    k: int = 20


def article_text(aid: str, a: Article) -> ArticleText:
    return ArticleText(aid, a.title, a.body, a.kicker, a.subtitle, a.date)


def _region_path(code: str) -> str:
    """ "/62/6209/620923/" for a county, "/" for a national body: a prefix is the unit and below."""
    if not code:
        return "/"
    from pipeline.regions import ancestors

    try:
        codes = [u.code for u in ancestors(code)] + [code]
    except KeyError:
        codes = [code]
    return "/" + "/".join(codes) + "/"


def region_path_prefix(code: str) -> str:
    return _region_path(code)


def _vector_bytes(v: np.ndarray | None) -> bytes | None:
    return None if v is None else np.asarray(v, dtype=np.float16).tobytes()


def _vector_from(b: bytes | None) -> np.ndarray | None:
    return None if b is None else np.frombuffer(b, dtype=np.float16).astype(np.float32)


def _terms(c: Case) -> str:
    """The words the full-text table indexes: programs, description, organisation, places, figures."""
    from index.cases import figure_label
    from pipeline.segment import segment

    text = "\n".join(
        [*c.programs, c.program, c.description, c.org, *c.region_path, *(figure_label(f) for f in c.figures)]
    )
    return " ".join(t.text for t in segment(text))


class CaseIndex:
    """The cases of one archive's store.

    ``encoder()`` returns the static embedding model or None (then descriptions are merged by
    program name only, and queries match by words only).
    """

    def __init__(self, store: ArticleStore, encoder: Callable[[], object | None]):
        self.store = store
        self.tables = CaseStore(store.db)
        self._encoder_fn = encoder
        self._encoder = None
        self._encoder_loaded = False

    # -- building ---------------------------------------------------------------------------
    def encoder(self):
        if not self._encoder_loaded:
            self._encoder = self._encoder_fn()
            self._encoder_loaded = True
        return self._encoder

    def is_current(self) -> bool:
        return self.store.get_meta(META_KEY) == CASES_FORMAT

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        enc = self.encoder()
        if enc is None or not texts:
            return None
        return enc.encode_passages(texts)

    def _evidence_rows(self, evidence: list[CaseEvidence]) -> list[tuple[str, str, str, bytes | None]]:
        vectors = self._embed([e.description for e in evidence])
        return [
            (
                e.article_id,
                e.group_key,
                json.dumps(e.to_dict(), ensure_ascii=False),
                _vector_bytes(vectors[i]) if vectors is not None else None,
            )
            for i, e in enumerate(evidence)
        ]

    def add(self, articles: Iterable[tuple[str, Article, Sequence]]) -> int:
        """Evidence of newly stored articles ((id, article, mentions) each), then the cases of every
        organisation they name again. Joins the store's open transaction. Returns evidence rows added."""
        articles = list(articles)
        if not articles:
            return 0
        if not self.is_current():
            if self.store.count() > len(articles):
                return self.rebuild()  # an archive from before cases, or with older case rules
            self.store.set_meta(META_KEY, CASES_FORMAT)  # a new archive: these articles are all of it
        evidence: list[CaseEvidence] = []
        for aid, art, mentions in articles:
            evidence.extend(article_case_evidence(article_text(aid, art), mentions))
        if not evidence:
            return 0
        self.tables.add_evidence(self._evidence_rows(evidence))
        self._recluster({e.group_key for e in evidence})
        return len(evidence)

    def rebuild(self, progress: Callable[[int], None] | None = None, batch: int = 1000) -> int:
        """Every case again from the stored articles and mentions; returns the number of cases."""
        began = not self.store.db.in_transaction
        if began:
            self.store.db.execute("BEGIN IMMEDIATE")
        try:
            self.tables.clear()
            groups: set[str] = set()

            ids = self.tables.candidate_article_ids()
            for i in range(0, len(ids), batch):
                chunk = ids[i : i + batch]
                articles = self.store.get_many(chunk)
                mentions = self.store.mentions_for(chunk)
                evidence: list[CaseEvidence] = []
                for aid in chunk:
                    if aid in articles and might_hold_cases(mentions[aid]):
                        evidence.extend(article_case_evidence(article_text(aid, articles[aid].article), mentions[aid]))
                if evidence:
                    self.tables.add_evidence(self._evidence_rows(evidence))
                    groups.update(e.group_key for e in evidence)
                if progress:
                    progress(len(chunk))
            self._recluster(groups)
            self.store.set_meta(META_KEY, CASES_FORMAT)
        except BaseException:
            if began:
                self.store.rollback()
            raise
        if began:
            self.store.commit()
        return self.tables.count()

    def _recluster(self, groups: set[str]) -> None:
        rows = self.tables.evidence_of_groups(groups)
        evidence = [CaseEvidence.from_dict(json.loads(data)) for _, data, _ in rows]
        vecs = [_vector_from(v) for _, _, v in rows]
        present = [v for v in vecs if v is not None]
        matrix = np.stack(present) if vecs and len(present) == len(vecs) else None
        by_description = {(e.article_id, e.description): vecs[i] for i, e in enumerate(evidence)}
        out = []
        for c in cluster_cases(evidence, matrix):
            group = f"{canonical_org(c.org, c.region_code)}\x1f{c.region_code}"
            vector = next(
                (
                    by_description.get((a.id, c.description))
                    for a in c.articles
                    if (a.id, c.description) in by_description
                ),
                None,
            )
            out.append(
                CaseRow(
                    id=c.id,
                    group=group,
                    region_path=_region_path(c.region_code),
                    programs="\x1f".join(c.programs),
                    first_date=c.first_date,
                    last_date=c.last_date,
                    independent=c.independent_articles,
                    data=json.dumps(c.to_record(), ensure_ascii=False),
                    vector=_vector_bytes(vector),
                    terms=_terms(c),
                )
            )
        self.tables.replace_groups(groups, out)

    # -- reading ----------------------------------------------------------------------------
    def count(self) -> int:
        return self.tables.count()

    def get(self, prefix: str) -> Case | None:
        """The case whose id starts with ``prefix``; raises CaseQueryError when several do."""
        found = self.tables.resolve(prefix.strip())
        if not found:
            return None
        if len(found) > 1 and found[0][1] != prefix.strip().lower():
            raise CaseQueryError(
                f"case id {prefix!r} is ambiguous ({', '.join(i for _, i in found[:3])} …); type more of it"
            )
        data = self.tables.data_of([found[0][0]])
        return Case.from_record(json.loads(data[found[0][0]]))

    def search(self, q: CaseQuery) -> list[Case]:
        """Cases passing the filters; with words, ranked by how well their programs and descriptions
        match them (keyword and meaning, fused) times the weight of their independent reports;
        without, by that weight alone."""
        path = region_path_prefix(q.region_code) if q.region_code else None
        candidates = self.tables.filtered(path, q.since, q.until, q.program)
        if not candidates:
            return []
        independent = {rowid: n for rowid, _, n, _ in candidates}
        if not (q.text and q.text.strip()):
            ranked = sorted(candidates, key=lambda r: (-r[2], r[1]))[: q.k]
            return self._cases([(rowid, evidence_weight(n)) for rowid, _, n, _ in ranked])
        allowed = set(independent)
        matched = self.tables.match(_fts_query(q.text), KEYWORD_CANDIDATES * 5)
        keyword = [(str(r), s) for r, s in matched if r in allowed][:KEYWORD_CANDIDATES]
        semantic = [(str(r), s) for r, s in self._semantic(q.text, candidates)]
        from index.hybrid import fuse, fusion_settings

        fused = fuse([keyword, semantic], method="convex", weights=fusion_settings(STATIC_NAME).weights)
        scored = {int(r): s * evidence_weight(independent[int(r)]) for r, s in fused}
        top = sorted(scored, key=lambda r: -scored[r])[: max(q.k * 3, 30)]
        cases = self._cases([(r, scored[r]) for r in top])
        exact = _exact_phrases(q.text)
        folded = normalise_program(q.text)

        def is_exact(c: Case) -> bool:
            names = [normalise_program(p) for p in c.programs]
            if exact:
                return all(any(p in n for n in names) or p in normalise_program(c.description) for p in exact)
            return any(len(n) >= 3 and n in folded for n in names)

        cases.sort(key=lambda c: (not is_exact(c), -c.score, c.id))
        return cases[: q.k]

    def _semantic(self, text: str, candidates: list) -> list[tuple[int, float]]:
        enc = self.encoder()
        rows = [(rowid, np.frombuffer(v, dtype=np.float16)) for rowid, _, _, v in candidates if v is not None]
        if enc is None or not rows:
            return []
        qvec = enc.encode_queries([text.replace('"', " ")])[0]
        matrix = np.stack([v for _, v in rows]).astype(np.float32)
        sims = matrix @ np.asarray(qvec, dtype=np.float32)
        order = np.argsort(-sims)[:SEMANTIC_CANDIDATES]
        return [(rows[i][0], float(sims[i])) for i in order if sims[i] > 0]

    def _cases(self, ranked: list[tuple[int, float]]) -> list[Case]:
        data = self.tables.data_of([r for r, _ in ranked])
        out = []
        for rowid, score in ranked:
            if rowid in data:
                c = Case.from_record(json.loads(data[rowid]))
                c.score = score
                out.append(c)
        return out


def _exact_phrases(text: str) -> list[str]:
    found = (next(g for g in m.groups() if g) for m in _QUOTED.finditer(text))
    return [normalise_program(p) for p in found if normalise_program(p)]


def _fts_query(text: str) -> str:
    """The query as FTS5 syntax, parsed as article searches parse it: a quoted part is a phrase
    that must appear, a number with its unit (4000万元) a phrase, other words any of them."""
    from index.keyword.base import QuerySyntaxError, parse_query

    try:
        parsed = parse_query(text)
    except QuerySyntaxError as e:
        raise CaseQueryError(str(e)) from None

    def phrase(terms: tuple[str, ...]) -> str:
        return '"' + " ".join(t.replace('"', "") for t in terms) + '"'

    required = [phrase(c.terms) for c in parsed.clauses if c.required]
    optional = [phrase(c.terms) for c in parsed.clauses if not c.required]
    if required and optional:
        return " AND ".join(required) + " AND (" + " OR ".join([*optional, required[0]]) + ")"
    return " AND ".join(required) or " OR ".join(optional)
