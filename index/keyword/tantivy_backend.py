"""Keyword index on tantivy (Rust, via tantivy-py), scoring the same way as the Whoosh backend.

Segmentation is pipeline.segment, the same function Whoosh's analyzer calls, and the
tokens go in *pre-tokenized* (``PreTokenizedString``), positions included. So the
sub-words of a long word sit at their parent's position exactly as in Whoosh
(``肃北蒙古族自治县`` at position p also gives ``肃北``/``蒙古族``/``自治县`` at p): a phrase
query sees the same word sequence in both engines, and a field's length (BM25's dl)
counts the same tokens. No parallel sub-word field is needed.

Scoring mirrors whoosh_backend query for query so both engines rank alike (given Whoosh
with query-time field boosts and BM25's idf log(1 + (N - n + 0.5) / (n + 0.5)), which is
tantivy's and Lucene's):
- a word clause is the sum over fields of BM25(field) x FIELD_BOOSTS[field];
- a phrase clause (Whoosh scores a phrase as the sum of its words' BM25 scores, not by
  phrase frequency) is, per field, "phrase matches" as a zero-score filter plus each
  word's BM25 in that field, x the field boost;
- required clauses are MUST, optional ones SHOULD (at least one SHOULD when nothing is
  required), filters are zero-score MUSTs.
What still differs: tantivy stores a field's length in one byte rounded *down* (exact to
40 tokens, then steps up to 1/8), Whoosh in one byte rounded *up* (exact to 10, then
steps of ~3.5%), so long documents' length normalisation differs by a few percent, and
tantivy scores in float32. Near-equal scores can therefore swap places; the test
tests/test_engines_agree.py bounds that.

Durability: add()/delete() go to one open writer; commit() publishes them atomically.
A killed process leaves the last commit searchable (tantivy writes segments first and
meta.json last); close() drops anything not committed, like Whoosh's cancel(). Out of
space, add() or commit() raise DiskFullError and the last commit stays.

Read-only (``read_only=True``): no writer, nothing created. tantivy takes a lock file even
to read; where the directory cannot be written (a read-only mount) the index is opened
through a private directory of symbolic links to its files, so the lock file goes there.
A missing index opens as an empty one in memory (``missing`` is True).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import tantivy

from index.durability import writing_to
from index.keyword.base import FIELD_BOOSTS, Clause, Filters, KeywordDoc, KeywordHit, ParsedQuery
from pipeline.parallel import fork_pool, ordered_map_in_pool
from pipeline.segment import PackedTokens, jieba_tokenizer, pack_tokens, segment

TEXT_FIELDS = ("title", "kicker", "body")
WRITER_HEAP_BYTES = 256_000_000  # fewer, larger segments while bulk loading
_ISO_PREFIX = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# Segmented text travels (between processes, and into add_segmented) packed: the words
# joined by NUL and their (position, start, end) as one int32 array. Pickling that is
# ~50x cheaper than a list of Token objects, which made 2-process segmentation slower
# than one process.
_SEP = "\x00"


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    # raw = the whole value is one term; fast = readable by aggregation (ids()) without the doc store
    sb.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    for f in TEXT_FIELDS:
        # Text arrives pre-tokenized; "whitespace" only matters to tantivy's own query parser, unused here.
        sb.add_text_field(f, stored=False, tokenizer_name="whitespace", index_option="position")
    sb.add_unsigned_field("day", indexed=True, fast=True)  # yyyymmdd, for date ranges
    sb.add_text_field("source", tokenizer_name="raw")
    sb.add_text_field("regions", tokenizer_name="raw")  # multi-valued: one term per code
    return sb.build()


def _day_number(iso: str, upper: bool = False) -> int:
    """ISO date (or year / year-month) to yyyymmdd; a partial upper bound covers its whole period."""
    m = _ISO_PREFIX.match(iso.strip())
    if not m:
        raise ValueError(f"date filter must look like YYYY, YYYY-MM or YYYY-MM-DD, got {iso!r}")
    y, mo, d = m.group(1), m.group(2), m.group(3)
    fill = "99" if upper else "00"
    return int(y + (mo or fill) + (d or fill))


def _segment_texts(texts: tuple[str, ...]) -> list[PackedTokens]:
    return [pack_tokens(segment(x)) if x else ("", b"") for x in texts]


def _doc_texts(doc: KeywordDoc) -> tuple[str, str, str]:
    return doc.title, doc.kicker, doc.body


def segmentation_pool(processes: int):
    """Forked workers for segment(); they inherit the parent's jieba (with words added by
    pipeline.segment.add_words() so far), so results equal single-process segmentation.
    Create it before any tantivy writer exists: forked children then hold no engine threads."""
    jieba_tokenizer()  # load the dictionary once, in the parent, so workers share it copy-on-write
    return fork_pool(processes)


def segment_many(texts: Iterable[str], processes: int = 2) -> Iterator[PackedTokens]:
    """segment() over many texts, in order and packed (see pack_tokens), over ``processes``
    forked workers (jieba holds the GIL, so threads would not help)."""
    if processes <= 1:
        for t in texts:
            yield _segment_texts((t,))[0]
        return
    with segmentation_pool(processes) as pool:
        for _, (toks,) in ordered_map_in_pool(pool, _segment_texts, texts, arg=lambda t: (t,), batch=512, chunksize=16):
            yield toks


class TantivyIndex:
    """KeywordIndex on a tantivy directory (see the module docstring for what matches Whoosh)."""

    name = "tantivy"

    def __init__(self, path: Path, segment_processes: int = 1, read_only: bool = False):
        self.path = Path(path)
        self.segment_processes = segment_processes
        self.read_only = read_only
        self.missing = False  # read-only and no index on disk: an empty one in memory
        self._shadow: str | None = None  # private link directory for a read-only mount
        try:
            if read_only:
                self.ix = self._open_read_only()
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                if tantivy.Index.exists(str(self.path)):
                    self.ix = tantivy.Index.open(str(self.path))
                else:
                    self.ix = tantivy.Index(_schema(), path=str(self.path), reuse=False)
        except (OSError, ValueError) as e:
            raise OSError(f"cannot open tantivy index at {self.path}: {e}") from None
        self.schema = self.ix.schema
        self._writer: tantivy.IndexWriter | None = None
        self._pool = None  # segmentation workers, forked on the first add()

    def _open_read_only(self) -> tantivy.Index:
        if not self.path.is_dir() or not tantivy.Index.exists(str(self.path)):
            self.missing = True
            return tantivy.Index(_schema())  # in memory
        try:
            return tantivy.Index.open(str(self.path))
        except ValueError:  # "Failed to acquire Lockfile": the directory is not writable
            pass
        self._shadow = tempfile.mkdtemp(prefix="unionkb-ro-")
        for f in os.listdir(self.path):
            if not f.startswith(".tantivy-"):  # the lock files are the shadow's own
                os.symlink(self.path / f, os.path.join(self._shadow, f))
        return tantivy.Index.open(self._shadow)

    # -- writing -------------------------------------------------------------------------------
    def _w(self) -> tantivy.IndexWriter:
        if self.read_only:
            raise OSError(f"tantivy index at {self.path} is open read-only")
        if self._writer is None:
            try:
                # one indexing thread: documents keep insertion order (deterministic tie order), and
                # segmentation, not tantivy, is the bottleneck anyway
                self._writer = self.ix.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError:  # the lock file is held by another live writer
                raise OSError(f"tantivy index at {self.path} is being written by another writer (lock busy)") from None
        return self._writer

    def _drop_writer(self) -> None:
        """Forget a writer that failed (tantivy kills it on an I/O error): the last commit stays."""
        w, self._writer = self._writer, None
        if w is not None:
            try:
                w.rollback()
                w.wait_merging_threads()
            except ValueError:
                pass

    def add(self, docs: Iterable[KeywordDoc]) -> None:
        """Add documents (not upsert: the store already deduplicates); visible after commit()."""
        docs = list(docs)
        if all(d.segments for d in docs):  # segmented upstream by the pipeline's workers
            self.add_segmented((d, [(d.segments or {})[f] for f in TEXT_FIELDS]) for d in docs)
            return
        if self.segment_processes <= 1:
            self.add_segmented((d, _segment_texts(_doc_texts(d))) for d in docs)
            return
        if self._pool is None:
            self._pool = segmentation_pool(self.segment_processes)
        self.add_segmented(
            ordered_map_in_pool(self._pool, _segment_texts, docs, arg=_doc_texts, batch=512, chunksize=16)
        )

    def add_segmented(self, segmented: Iterable[tuple[KeywordDoc, Sequence[PackedTokens]]]) -> None:
        """Add documents whose title, kicker and body are already segmented and packed
        (pack_tokens(segment(text))): for callers that segment in their own workers."""
        w = self._w()
        try:
            with writing_to(self.path):
                self._add_segmented(w, segmented)
        except (OSError, ValueError):  # tantivy kills its writer on an I/O error
            self._drop_writer()
            raise

    def _add_segmented(
        self, w: tantivy.IndexWriter, segmented: Iterable[tuple[KeywordDoc, Sequence[PackedTokens]]]
    ) -> None:
        TToken, Pre = tantivy.Token, tantivy.PreTokenizedString
        for d, fields in segmented:
            doc = tantivy.Document()
            doc.add_text("id", d.id)
            for name, (words, raw) in zip(TEXT_FIELDS, fields):
                if not words:
                    continue
                nums = array("i")
                nums.frombytes(raw)
                toks = [
                    TToken(wd, nums[3 * i], nums[3 * i + 1], nums[3 * i + 2]) for i, wd in enumerate(words.split(_SEP))
                ]
                # text "": nothing is stored (the store keeps articles), so tantivy never needs it
                doc.add_pre_tokenized_text(name, Pre("", toks))
            if d.date:
                try:
                    doc.add_unsigned("day", _day_number(d.date))
                except ValueError:
                    pass  # an unparseable date is like no date: range filters skip the article
            if d.source:
                doc.add_text("source", d.source)
            for code in d.regions:
                doc.add_text("regions", code)
            w.add_document(doc)

    def delete(self, ids: Iterable[str]) -> None:
        w = self._w()
        for i in ids:
            w.delete_documents_by_term("id", i)

    def commit(self) -> None:
        if self._writer is not None:
            try:
                with writing_to(self.path):
                    self._writer.commit()
            except (OSError, ValueError):
                self._drop_writer()
                raise
            self.ix.reload()

    # -- reading -------------------------------------------------------------------------------
    def _term(self, field: str, text: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, text)

    def _clause_query(self, clause: Clause) -> tantivy.Query:
        Q, Occur = tantivy.Query, tantivy.Occur
        per_field = []
        for f in TEXT_FIELDS:
            if clause.is_phrase:
                phrase = Q.const_score_query(Q.phrase_query(self.schema, f, list(clause.terms)), 0.0)
                q = Q.boolean_query([(Occur.Must, phrase)] + [(Occur.Must, self._term(f, t)) for t in clause.terms])
            else:
                q = self._term(f, clause.terms[0])
            per_field.append((Occur.Should, Q.boost_query(q, FIELD_BOOSTS[f])))
        return Q.boolean_query(per_field)

    def _filter_queries(self, filters: Filters) -> list[tantivy.Query]:
        Q = tantivy.Query
        parts = []
        if filters.since or filters.until:
            lo = _day_number(filters.since) if filters.since else None
            hi = _day_number(filters.until, upper=True) if filters.until else None
            parts.append(Q.range_query(self.schema, "day", tantivy.FieldType.Unsigned, lo, hi))
        if filters.source:
            parts.append(self._term("source", filters.source))
        if filters.region:
            parts.append(self._term("regions", filters.region))
        if filters.ids is not None:
            parts.append(Q.term_set_query(self.schema, "id", sorted(filters.ids)))
        return [Q.const_score_query(p, 0.0) for p in parts]

    def build_query(self, parsed: ParsedQuery, filters: Filters = Filters()) -> tantivy.Query:
        Occur = tantivy.Occur
        required = [(Occur.Must, self._clause_query(c)) for c in parsed.clauses if c.required]
        optional = [(Occur.Should, self._clause_query(c)) for c in parsed.clauses if not c.required]
        filt = [(Occur.Must, f) for f in self._filter_queries(filters)]
        # With MUST filters present, SHOULD alone would become optional; force one to match.
        min_should = 1 if optional and not required else None
        return tantivy.Query.boolean_query(required + optional + filt, minimum_number_should_match=min_should)

    def _searcher(self) -> tantivy.Searcher:
        """A searcher that sees every commit so far, this process's or another's: tantivy's own
        reload follows a file watcher with a delay, so a changed meta.json reloads here first."""
        try:
            st = (self.path / "meta.json").stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp != getattr(self, "_meta_stamp", stamp):
            self.ix.reload()
        self._meta_stamp = stamp
        return self.ix.searcher()

    def search(self, query: ParsedQuery, k: int = 10, filters: Filters = Filters()) -> list[KeywordHit]:
        if filters.ids is not None and not filters.ids:
            return []
        searcher = self._searcher()
        result = searcher.search(self.build_query(query, filters), limit=k, count=False)
        return [KeywordHit(searcher.doc(addr)["id"][0], float(score)) for score, addr in result.hits]

    def ids(self) -> set[str]:
        searcher = self._searcher()
        n = searcher.num_docs
        if n == 0:
            return set()
        # A terms aggregation over the fast id column: skips deleted docs, never touches the doc store.
        agg = searcher.aggregate(tantivy.Query.all_query(), {"ids": {"terms": {"field": "id", "size": n}}})
        return {b["key"] for b in agg["ids"]["buckets"]}

    def count(self) -> int:
        return self._searcher().num_docs

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
        self._drop_writer()  # uncommitted work is dropped, as in Whoosh; releases tantivy's writer lock
        if self._shadow is not None:
            shutil.rmtree(self._shadow, ignore_errors=True)
            self._shadow = None
