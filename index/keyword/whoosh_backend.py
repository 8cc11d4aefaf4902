"""Keyword index on Whoosh: BM25F over title (boosted), kicker and body, segmented by pipeline.segment."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import Token as WToken
from whoosh.analysis import Tokenizer
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.scoring import BM25F

from index.durability import writing_to
from index.keyword.base import FIELD_BOOSTS, Filters, KeywordDoc, KeywordHit, ParsedQuery
from pipeline.segment import segment, unpack_tokens

TEXT_FIELDS = ("title", "kicker", "body")


class SegmentTokenizer(Tokenizer):
    """Whoosh tokenizer over pipeline.segment: consecutive positions, true character offsets.

    At index time long words also give their inner dictionary words at the same position;
    queries are built from clauses directly, so query-time analysis is never needed.
    """

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = WToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        packed = getattr(value, "packed", None)
        if packed is not None and mode != "query":
            toks = unpack_tokens(packed)
        else:
            toks = [(x.text, x.pos, x.start, x.end) for x in segment(value, subwords=(mode != "query"))]
        for text, pos, start, end in toks:
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class _Segmented(str):
    """A field value that carries its tokens, computed upstream in a worker process."""

    packed: tuple


def _value(text: str, doc: KeywordDoc, name: str) -> str:
    if not doc.segments or name not in doc.segments:
        return text
    v = _Segmented(text)
    v.packed = doc.segments[name]
    return v


def _schema() -> Schema:
    analyzer = SegmentTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        # field boosts are applied at query time (clause_query), as tantivy must: Whoosh's
        # index-time field_boost would multiply term frequencies and the engines would disagree
        title=TEXT(analyzer=analyzer),
        kicker=TEXT(analyzer=analyzer),
        body=TEXT(analyzer=analyzer),
        date=ID(),
        source=ID(),
        regions=KEYWORD(),
    )


def clause_query(terms: tuple[str, ...]) -> wq.Query:
    """One clause over all text fields: a word in any field, or the phrase within one field."""
    if len(terms) == 1:
        return wq.Or([wq.Term(f, terms[0], boost=FIELD_BOOSTS[f]) for f in TEXT_FIELDS])
    return wq.Or([wq.Phrase(f, list(terms), boost=FIELD_BOOSTS[f]) for f in TEXT_FIELDS])


class BM25(BM25F):
    """BM25 with Lucene/tantivy's idf, log(1 + (N - n + 0.5) / (n + 0.5)), so both engines
    score alike (Whoosh's own idf differs)."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


def build_query(parsed: ParsedQuery) -> wq.Query:
    required = [clause_query(c.terms) for c in parsed.clauses if c.required]
    optional = [clause_query(c.terms) for c in parsed.clauses if not c.required]
    if required and optional:
        return wq.AndMaybe(wq.And(required), wq.Or(optional))
    if required:
        return wq.And(required)
    return wq.Or(optional)


def filter_query(filters: Filters) -> wq.Query | None:
    parts: list[wq.Query] = []
    if filters.since or filters.until:
        # "~" sorts after every digit and "-": a partial upper bound (2019-02) keeps its whole month
        parts.append(wq.TermRange("date", filters.since or "0000", (filters.until or "9999") + "~"))
    if filters.source:
        parts.append(wq.Term("source", filters.source))
    if filters.region:
        parts.append(wq.Term("regions", filters.region))
    if filters.ids is not None:
        parts.append(wq.Or([wq.Term("id", i) for i in filters.ids]) if filters.ids else wq.NullQuery)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


class WhooshIndex:
    """KeywordIndex on a Whoosh directory. Writes are batched in one writer and committed
    atomically: a process killed mid-write leaves the last commit searchable."""

    name = "whoosh"

    def __init__(self, path: Path, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.missing = False  # read-only and no index on disk: an empty one in memory
        if read_only:
            if windex.exists_in(str(self.path)):
                self.ix = windex.open_dir(str(self.path), readonly=True)
            else:
                from whoosh.filedb.filestore import RamStorage

                self.missing = True
                self.ix = RamStorage().create_index(_schema())
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            if windex.exists_in(str(self.path)):
                self.ix = windex.open_dir(str(self.path))
            else:
                self.ix = windex.create_in(str(self.path), _schema())
        self._writer = None
        self._searcher = None  # kept open between queries: opening one costs ~half a query

    # -- writing -------------------------------------------------------------------------------
    def _w(self):
        if self.read_only:
            raise OSError(f"Whoosh index at {self.path} is open read-only")
        if self._writer is None:
            # limitmb: fewer, larger segments while bulk loading; procs stays 1 (segmentation is
            # already parallelised before the writer, and Whoosh's multiprocess writer re-pickles the analyzer).
            self._writer = self.ix.writer(limitmb=256)
        return self._writer

    def add(self, docs: Iterable[KeywordDoc]) -> None:
        w = self._w()
        with writing_to(self.path):
            self._add(w, docs)

    def _add(self, w, docs: Iterable[KeywordDoc]) -> None:
        for d in docs:
            # add, not update: the store already deduplicates, and update costs a delete lookup per doc
            w.add_document(
                id=d.id,
                title=_value(d.title, d, "title"),
                kicker=_value(d.kicker, d, "kicker"),
                body=_value(d.body, d, "body"),
                date=d.date or "",
                source=d.source or "",
                regions=" ".join(d.regions),
            )

    def delete(self, ids: Iterable[str]) -> None:
        w = self._w()
        for i in ids:
            w.delete_by_term("id", i)

    def commit(self) -> None:
        if self._writer is not None:
            try:
                with writing_to(self.path):
                    self._writer.commit()
            except BaseException:
                self._cancel()
                raise
            self._writer = None
            self._close_searcher()
            self.ix = windex.open_dir(str(self.path))

    def _cancel(self) -> None:
        w, self._writer = self._writer, None
        if w is not None:
            try:
                w.cancel()
            except Exception:  # noqa: BLE001 -- a writer that failed mid-commit may not cancel cleanly
                pass

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def searcher(self):
        if self._searcher is None:
            self._searcher = self.ix.searcher(weighting=BM25())
        elif not self._searcher.up_to_date():  # another process committed: a long-lived reader follows
            self._searcher = self._searcher.refresh()
        return self._searcher

    # -- reading -------------------------------------------------------------------------------
    def search(self, query: ParsedQuery, k: int = 10, filters: Filters = Filters()) -> list[KeywordHit]:
        results = self.searcher().search(build_query(query), limit=k, filter=filter_query(filters))
        return [KeywordHit(hit["id"], float(hit.score)) for hit in results]

    def ids(self) -> set[str]:
        with self.ix.searcher() as s:
            return {f["id"] for f in s.all_stored_fields()}

    def count(self) -> int:
        return self.ix.doc_count()

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def close(self) -> None:
        self._close_searcher()
        self._cancel()
        self.ix.close()
