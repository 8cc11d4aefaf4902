"""Export the archive for an OpenSearch cluster: an index mapping and ``_bulk`` NDJSON files.

    out_dir/mapping.json        body for ``PUT /<index>`` (settings + mappings)
    out_dir/bulk-0001.ndjson    body for ``POST /_bulk``: action line, document line, ...

Chinese text goes in *pre-segmented* by pipeline.segment, the segmenter our own indexes
use, and OpenSearch only splits it on white space (no jieba plugin needed on the
cluster, and the cluster finds what the laptop finds). Clients must segment queries the
same way (pipeline.segment.query_terms) and send the words space-joined.

Sub-words: our engines put the dictionary words inside a long word (肃北 in
肃北蒙古族自治县) at the long word's position. A whitespace analyser gives every token its
own position, which would break phrases, so sub-words go to parallel ``*_sub`` fields
(query them alongside ``*_seg`` with the same boosts; phrases only against ``*_seg``).

Vectors: one per article (``vectors(batch)`` decides which, e.g. the mean of its passage
vectors), in a ``knn_vector`` field searched by the cluster's HNSW (Lucene engine, cosine).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from index.keyword.base import FIELD_BOOSTS
from pipeline.segment import segment

TEXT_FIELDS = ("title", "kicker", "body")
KEYWORD_LISTS = ("regions", "programs", "orgs", "people")
DOCS_PER_FILE = 5000
MAX_FILE_BYTES = 50_000_000  # OpenSearch's default http.max_content_length is 100 MB
ANALYZER = "presegmented"
VECTOR_FIELD = "vector"

VectorFn = Callable[[list[dict]], Sequence[Sequence[float] | None]]


class ExportError(ValueError):
    """Input the export cannot write; the message names the article or argument."""


@dataclass
class ExportStats:
    documents: int = 0
    with_vector: int = 0
    dates_dropped: int = 0  # dates that are not yyyy-MM-dd (kept out: the date field is strict)
    files: list[str] = field(default_factory=list)  # bulk file names, in load order
    bytes: int = 0


def opensearch_mapping(dim: int | None) -> dict:
    """The index body: whitespace-analysed pre-segmented text, keyword facets, date, optional knn_vector."""
    seg = {"type": "text", "analyzer": ANALYZER, "search_analyzer": ANALYZER}
    props: dict[str, dict] = {"id": {"type": "keyword"}}
    for f in TEXT_FIELDS:
        props[f] = {"type": "text", "index": False}  # the original, for display and snippets
        # *_seg: the words, space-joined; *_sub: dictionary words inside long words (see above)
        props[f"{f}_seg"] = dict(seg)
        props[f"{f}_sub"] = dict(seg)
    props["subtitle"] = {"type": "text", "index": False}
    props["date"] = {"type": "date", "format": "strict_date"}
    for k in ("source", "kind", "page"):
        props[k] = {"type": "keyword"}
    props["url"] = {"type": "keyword", "index": False}
    for k in KEYWORD_LISTS:
        props[k] = {"type": "keyword"}
    settings: dict = {
        "analysis": {"analyzer": {ANALYZER: {"type": "custom", "tokenizer": "whitespace"}}},
        # BM25 as in our engines (these are also OpenSearch's defaults)
        "similarity": {"default": {"type": "BM25", "k1": 1.2, "b": 0.75}},
    }
    if dim is not None:
        settings["knn"] = True
        props[VECTOR_FIELD] = {
            "type": "knn_vector",
            "dimension": dim,
            "method": {
                "name": "hnsw",
                "engine": "lucene",
                "space_type": "cosinesimil",
                "parameters": {"m": 16, "ef_construction": 128},
            },
        }
    meta = {
        "producer": "unionkb index/export_opensearch.py",
        "segmenter": "pipeline.segment (jieba + union dictionary); queries: query_terms(), space-joined",
        "field_boosts": {f"{f}_seg": b for f, b in FIELD_BOOSTS.items()}
        | {f"{f}_sub": b for f, b in FIELD_BOOSTS.items()},
    }
    # The segmented copies are indexed but not kept in _source: they double the stored text,
    # and the archive's store (not the cluster) is the source to re-export from.
    source = {"excludes": [f"{f}_{kind}" for f in TEXT_FIELDS for kind in ("seg", "sub")]}
    return {
        "settings": {"index": settings},
        "mappings": {"dynamic": "strict", "_meta": meta, "_source": source, "properties": props},
    }


def _words(tokens) -> str:
    # A token never holds white space in practice; strip any so the analyser sees one token.
    return " ".join(w for w in ("".join(t.text.split()) for t in tokens) if w)


def segmented_fields(text: str) -> tuple[str, str]:
    """(main words, sub-words) of ``text``, each space-joined."""
    toks = segment(text) if text else []
    return _words(t for t in toks if not t.sub), _words(t for t in toks if t.sub)


def _strict_date(value) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat() if len(str(value)) == 10 else None
    except ValueError:
        return None


def _string_list(value, name: str, aid: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ExportError(f"article {aid}: {name} must be a list of strings, got {type(value).__name__}")
    return sorted({str(v) for v in value if str(v)})


def opensearch_document(
    article: dict, vector: Sequence[float] | None = None, dim: int | None = None
) -> tuple[dict, bool]:
    """The document for one article, and whether its date had to be dropped (pure)."""
    aid = article.get("id")
    if not aid or not isinstance(aid, str):
        raise ExportError(f"article without a string id: {str(article)[:80]}")
    doc: dict = {"id": aid}
    for f in TEXT_FIELDS:
        text = article.get(f) or (article.get("text") if f == "body" else "") or ""
        doc[f] = text
        # kicker_seg holds kicker and subtitle, as the keyword engines' kicker field does
        indexed = " ".join(x for x in (text, article.get("subtitle") or "") if x) if f == "kicker" else text
        doc[f"{f}_seg"], doc[f"{f}_sub"] = segmented_fields(indexed)
    doc["subtitle"] = article.get("subtitle") or ""
    date = _strict_date(article.get("date"))
    if date:
        doc["date"] = date
    for k in ("source", "kind", "page", "url"):
        if article.get(k) not in (None, ""):
            doc[k] = str(article[k])
    for k in KEYWORD_LISTS:
        values = _string_list(article.get(k), k, aid)
        if values:
            doc[k] = values
    if vector is not None:
        vec = [float(x) for x in vector]
        if len(vec) != dim:
            raise ExportError(f"article {aid}: vector has {len(vec)} dimensions, the mapping says {dim}")
        if not all(math.isfinite(x) for x in vec):
            raise ExportError(f"article {aid}: vector holds NaN or infinity")
        doc[VECTOR_FIELD] = vec
    return doc, bool(article.get("date")) and date is None


def article_record(aid: str, article, mentions: Iterable = ()) -> dict:
    """A pipeline Article and its entity mentions as the dict export_opensearch takes
    (regions with all their parent codes, like the keyword index's region filter)."""
    regions: set[str] = set()
    lists: dict[str, set[str]] = {"programs": set(), "orgs": set(), "people": set()}
    for m in mentions:
        if m.type == "region":
            regions.add(str(m.value))
            regions.update(str(c) for c in m.attrs.get("parent_codes", ()))
        elif m.type == "program":
            lists["programs"].add(m.value)
        elif m.type == "org":
            lists["orgs"].add(m.value)
        elif m.type == "person":
            lists["people"].add(m.value)
    return {
        "id": aid,
        "title": article.title,
        "kicker": article.kicker,
        "subtitle": article.subtitle,
        "body": article.body,
        "date": article.date,
        "source": article.source,
        "kind": article.kind,
        "page": article.page,
        "url": article.url,
        "regions": sorted(regions),
        **{k: sorted(v) for k, v in lists.items()},
    }


def _batches(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _BulkWriter:
    """bulk-NNNN.ndjson files of at most ``docs_per_file`` docs / ``max_bytes``; each file is
    written under a temporary name and renamed when complete."""

    def __init__(self, out_dir: Path, docs_per_file: int, max_bytes: int):
        self.out_dir, self.docs_per_file, self.max_bytes = out_dir, docs_per_file, max_bytes
        self.names: list[str] = []
        self.total = 0
        self._f: BinaryIO | None = None
        self._docs = self._bytes = 0

    def write(self, action: dict, doc: dict) -> None:
        data = (json.dumps(action, ensure_ascii=False) + "\n" + json.dumps(doc, ensure_ascii=False) + "\n").encode(
            "utf-8"
        )
        if self._f is not None and (self._docs >= self.docs_per_file or self._bytes + len(data) > self.max_bytes):
            self._finish()
        if self._f is None:
            self.names.append(f"bulk-{len(self.names) + 1:04d}.ndjson")
            self._f = open(self.out_dir / (self.names[-1] + ".tmp"), "wb")
        self._f.write(data)
        self._docs += 1
        self._bytes += len(data)
        self.total += len(data)

    def _finish(self) -> None:
        assert self._f is not None  # callers finish only an open file
        self._f.close()
        os.replace(self.out_dir / (self.names[-1] + ".tmp"), self.out_dir / self.names[-1])
        self._f, self._docs, self._bytes = None, 0, 0

    def close(self) -> None:
        if self._f is not None:
            self._finish()

    def abort(self) -> None:
        """Drop the file being written, so a failed export never leaves a truncated bulk file."""
        if self._f is not None:
            self._f.close()
            (self.out_dir / (self.names.pop() + ".tmp")).unlink(missing_ok=True)
            self._f = None


def export_opensearch(
    articles: Iterable[dict],
    out_dir: Path,
    dim: int | None = None,
    vectors: VectorFn | None = None,
    index_name: str = "unionkb-articles",
    docs_per_file: int = DOCS_PER_FILE,
    max_file_bytes: int = MAX_FILE_BYTES,
    batch_size: int = 256,
) -> ExportStats:
    """Write mapping.json and bulk-*.ndjson for ``articles`` (dicts: id, title, kicker,
    subtitle, body, date, source, kind, page, url, regions, programs, orgs, people).

    ``vectors(batch)`` returns one vector (or None) per article of the batch; both it and
    ``dim`` are given, or neither. Streams: memory holds one batch, whatever the archive size.
    Old bulk-*.ndjson files in ``out_dir`` are removed first so a smaller export leaves no strays.
    """
    if (dim is None) != (vectors is None):
        raise ExportError("export: give both dim and vectors, or neither")
    if dim is not None and (not isinstance(dim, int) or dim <= 0):
        raise ExportError(f"export: dim must be a positive integer, got {dim!r}")
    if docs_per_file <= 0:
        raise ExportError(f"export: docs_per_file must be positive, got {docs_per_file}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("bulk-*.ndjson*"):
            old.unlink()
    except OSError as e:
        raise ExportError(f"export: cannot write to {out_dir}: {e.strerror}") from None

    (out_dir / "mapping.json").write_text(
        json.dumps(opensearch_mapping(dim), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    stats = ExportStats()
    writer = _BulkWriter(out_dir, docs_per_file, max_file_bytes)
    try:
        for batch in _batches(articles, batch_size):
            vecs = list(vectors(batch)) if vectors is not None else [None] * len(batch)
            if len(vecs) != len(batch):
                raise ExportError(f"export: vectors() returned {len(vecs)} vectors for {len(batch)} articles")
            for art, vec in zip(batch, vecs):
                doc, dropped = opensearch_document(art, vec, dim)
                writer.write({"index": {"_index": index_name, "_id": doc["id"]}}, doc)
                stats.documents += 1
                stats.with_vector += vec is not None
                stats.dates_dropped += dropped
    except BaseException:
        writer.abort()
        raise
    writer.close()
    stats.files, stats.bytes = writer.names, writer.total
    return stats


def store_records(store, batch_size: int = 500) -> Iterator[dict]:
    """Every stored article as an export record (with its entity lists), streamed in batches."""
    batch: list = []

    def flush(batch):
        ments = store.mentions_for([s.id for s in batch])
        for s in batch:
            yield article_record(s.id, s.article, ments.get(s.id, ()))

    for sa in store.iter_articles():
        batch.append(sa)
        if len(batch) == batch_size:
            yield from flush(batch)
            batch = []
    yield from flush(batch)


def pooled_vectors(index) -> VectorFn:
    """One vector per article for the export: the normalised mean of its passage vectors."""
    import numpy as np

    def vectors(batch: list[dict]) -> list[list[float] | None]:
        out: list[list[float] | None] = []
        for rec in batch:
            v = index.vectors_of(rec["id"])
            if not len(v):
                out.append(None)
                continue
            m = v.mean(axis=0)
            out.append((m / max(float(np.linalg.norm(m)), 1e-12)).tolist())
        return out

    return vectors


def export_store(store, out_dir: Path, vector_index=None, index_name: str = "unionkb-articles") -> ExportStats:
    """The whole store (and, given a vector index, one pooled vector per article) as
    OpenSearch mapping and _bulk files in ``out_dir``."""
    return export_opensearch(
        store_records(store),
        out_dir,
        dim=vector_index.dim if vector_index is not None else None,
        vectors=pooled_vectors(vector_index) if vector_index is not None else None,
        index_name=index_name,
    )
