"""The archive: one store, a keyword index and vector indexes in one directory, kept in step.

Layout of an archive directory:
    config.json      backend and format version, written when the archive is created
    store.sqlite     the articles (source of truth)
    keyword/         the keyword engine's files (Whoosh or tantivy)
    vectors/<model>/ passage vectors per embedding model

Ingest runs in checkpoints: each checkpoint commits the keyword index, then the vectors,
then the store. A killed ingest therefore leaves the last checkpoint: the store never
names an article the indexes lack, and anything an index holds beyond the store is
dropped the next time the archive is opened for writing.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from index.highlight import make_snippet
from index.keyword.base import Filters, KeywordDoc, KeywordIndex, ParsedQuery, QuerySyntaxError, parse_query
from index.store import ArticleStore, StoredArticle, StoreError
from pipeline.models import Article, LoadProblem, Page
from pipeline.parallel import ordered_map
from pipeline.process import PreparedArticle, prepare_source, search_fields

FORMAT_VERSION = 1
BACKENDS = ("whoosh", "tantivy")
DEFAULT_BACKEND = "tantivy"  # 440-1,900x faster queries than Whoosh, 4-5x smaller (benchmarks/engines.py)
CHECKPOINT_ARTICLES = 5000
# Embedded at ingest: the static model (~1,000 passages/s). The transformer (e5-small, ~10/s)
# is filled in afterwards by the resumable `embed` step and used wherever it is present.
DEFAULT_INGEST_MODELS = ("static",)
SEARCH_MODES = ("keyword", "semantic", "hybrid")
CANDIDATES = 100  # each side's list length before fusion
# (keyword, semantic) weights of the convex combination, chosen on the RGB benchmark
# (benchmarks/retrieval.py): with e5-small, 0.3/0.7 gave R@5 0.373 against 0.357 for e5
# alone and 0.311 for keywords alone; the static model is weaker than keywords, so it only
# nudges (0.7/0.3 ties keyword search there and still finds paraphrases).
FUSION_WEIGHTS = {"e5-small": (0.3, 0.7), "static": (0.7, 0.3)}
WHO_CANDIDATES = 40  # articles `who` reads for evidence
# (model, evidence units it scores per question, cosine meaning "unrelated", cosine meaning "says the same")
WHO_SENTENCE_MODELS = (("static", 120, 0.3, 0.8), ("e5-small", 12, 0.8, 0.92))


_ENCODERS: dict = {}  # (model, cache dir) -> loaded Encoder, shared by every archive in the process


class ArchiveError(RuntimeError):
    """Something the user must fix; the CLI prints it as one line."""


@dataclass
class IngestReport:
    sources: int = 0  # pages and structured articles read
    pages: int = 0
    articles: int = 0  # articles the pipeline produced
    added: int = 0
    duplicates: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        s = (f"{self.pages} pages, {self.articles} articles: {self.added} added, "
             f"{self.duplicates} duplicates skipped, {len(self.problems)} files skipped")
        return s + f" ({self.seconds:.1f} s)"


@dataclass
class SearchResult:
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
    scores: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "id": self.id, "title": self.title, "date": self.date, "source": self.source,
            "score": round(self.score, 6), "snippet": self.snippet, "text": self.text,
            "kicker": self.kicker, "subtitle": self.subtitle, "kind": self.kind, "url": self.url,
            "page": self.page, "origin": self.origin, "scores": self.scores,
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
    return KeywordDoc(aid, f["title"], f["kicker"], f["body"], art.date, art.source, tuple(sorted(regions)),
                      segments=segments)


def open_keyword_index(backend: str, path: Path) -> KeywordIndex:
    if backend == "whoosh":
        from index.keyword.whoosh_backend import WhooshIndex

        return WhooshIndex(path)
    if backend == "tantivy":
        from index.keyword.tantivy_backend import TantivyIndex

        return TantivyIndex(path)
    raise ArchiveError(f"unknown keyword backend {backend!r} (choose from {', '.join(BACKENDS)})")


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

    from index.keyword.base import STOPWORDS
    from pipeline.segment import segment

    counts = Counter(t.text for t in segment(article.title + "\n" + article.body, subwords=False)
                     if len(t.text) >= 2 and not t.text[0].isdigit() and t.text not in STOPWORDS)
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
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj), encoding="utf-8")
    os.replace(tmp, path)


def _prepare_worker(item):
    return prepare_source(item, segments=True)


class Archive:
    def __init__(self, root: Path, store: ArticleStore, config: dict):
        self.root = root
        self.store = store
        self.config = config
        self._keyword: KeywordIndex | None = None
        self._vectors: dict = {}  # model name -> VectorIndex
        self.model_cache: Path | None = None  # None: index.semantic.models.default_cache_dir()
        self.ingest_models: list[str] = list(config.get("ingest_models", DEFAULT_INGEST_MODELS))

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, root: str | Path, create: bool = False, backend: str | None = None) -> "Archive":
        root = Path(root).expanduser()
        cfg_path = root / "config.json"
        if cfg_path.exists():
            try:
                config = json.loads(cfg_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise ArchiveError(f"{cfg_path} is damaged: {e}") from None
            if backend and backend != config.get("backend"):
                raise ArchiveError(
                    f"the archive at {root} uses the {config.get('backend')} backend; "
                    f"rebuild it into a new directory to change to {backend}"
                )
        elif not create:
            raise ArchiveError(f"no archive at {root} (create one with: search_cli.py --index {root} ingest PATH)")
        else:
            backend = backend or DEFAULT_BACKEND
            if backend not in BACKENDS:
                raise ArchiveError(f"unknown keyword backend {backend!r} (choose from {', '.join(BACKENDS)})")
            config = {"format": FORMAT_VERSION, "backend": backend, "ingest_models": list(DEFAULT_INGEST_MODELS),
                      "vectors": {}}
            root.mkdir(parents=True, exist_ok=True)
            _write_json_atomic(cfg_path, config)
        try:
            store = ArticleStore(root / "store.sqlite", create=create)
        except StoreError as e:
            raise ArchiveError(str(e)) from None
        return cls(root, store, config)

    @property
    def backend(self) -> str:
        return self.config["backend"]

    @property
    def keyword(self) -> KeywordIndex:
        if self._keyword is None:
            self._keyword = open_keyword_index(self.backend, self.root / "keyword")
        return self._keyword

    def close(self) -> None:
        if self._keyword is not None:
            self._keyword.close()
        self.store.close()

    def _save_config(self) -> None:
        _write_json_atomic(self.root / "config.json", self.config)

    # -- vectors -------------------------------------------------------------------------------
    def encoder(self, model: str):
        """The embedding model (built from installed packages on first use, never downloaded)."""
        key = (model, str(self.model_cache))
        if key not in _ENCODERS:  # loading a transformer takes seconds: once per process
            from index.semantic.models import ModelError, load_model

            try:
                _ENCODERS[key] = load_model(model, self.model_cache)
            except ModelError as e:
                raise ArchiveError(str(e)) from None
        return _ENCODERS[key]

    def vectors(self, model: str, create: bool = False):
        """The passage-vector index for ``model`` (None if the archive has none and create is False)."""
        if model not in self._vectors:
            from index.semantic.vectors import VectorIndex

            dims = self.config.setdefault("vectors", {})
            if model not in dims:
                if not create:
                    return None
                dims[model] = self.encoder(model).dim
                self._save_config()
            self._vectors[model] = VectorIndex(self.root / "vectors" / _model_dir(model), model, dims[model])
        return self._vectors[model]

    def vector_models(self) -> list[str]:
        return list(self.config.get("vectors", {}))

    def best_model(self) -> str | None:
        """The model a semantic search uses by default: the transformer where it covers the
        archive (it ranks better), else the static model, else none."""
        models = self.vector_models()
        if not models:
            return None
        n = max(1, self.store.count())
        covered = {m: self.vectors(m).count() / n for m in models}
        for m in ("e5-small", *models):
            if covered.get(m, 0) >= 0.95:
                return m
        return max(models, key=lambda m: covered[m])

    def embed(self, model: str, progress: Callable[[int], None] | None = None, batch_size: int = 64):
        """Embed every stored article the model's index lacks; safe to interrupt and resume."""
        from index.semantic.vectors import embed_missing

        index = self.vectors(model, create=True)
        self._drop_vectors_beyond_store(index)
        return embed_missing(self.store.iter_articles(), index, self.encoder(model), batch_size=batch_size,
                             progress=progress)

    def drop_vectors(self, model: str) -> None:
        """Forget a model's vectors (they are rebuilt from the store by `embed`)."""
        import shutil

        self._vectors.pop(model, None)
        shutil.rmtree(self.root / "vectors" / _model_dir(model), ignore_errors=True)

    def _drop_vectors_beyond_store(self, index) -> None:
        extra = index.ids() - self.store.ids() if index.count() > self.store.count() else set()
        if extra:
            index.delete(extra)
            index.save()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- keeping indexes in step with the store ----------------------------------------------
    def reconcile(self) -> tuple[int, int]:
        """Bring the keyword index in line with the store; returns (added, removed)."""
        for model in self.vector_models():
            self._drop_vectors_beyond_store(self.vectors(model))
        kw = self.keyword
        if kw.count() == self.store.count():
            return 0, 0
        stored, indexed = self.store.ids(), kw.ids()
        extra = indexed - stored
        missing = sorted(stored - indexed)
        if extra:
            kw.delete(extra)
        for i in range(0, len(missing), 1000):
            chunk = missing[i : i + 1000]
            arts = self.store.get_many(chunk)
            ments = self.store.mentions_for(chunk)
            kw.add(keyword_doc(a, arts[a].article, ments.get(a, ())) for a in chunk)
        kw.commit()
        return len(missing), len(extra)

    def rebuild_keyword_index(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop the keyword index and rebuild it from the store."""
        import shutil

        if self._keyword is not None:
            self._keyword.close()
            self._keyword = None
        shutil.rmtree(self.root / "keyword", ignore_errors=True)
        kw = self.keyword
        n = 0
        batch: list[StoredArticle] = []
        for sa in self.store.iter_articles():
            batch.append(sa)
            if len(batch) >= 1000:
                n += self._index_batch(batch)
                if progress:
                    progress(len(batch))
                batch = []
        n += self._index_batch(batch)
        kw.commit()
        return n

    def _index_batch(self, batch: list[StoredArticle]) -> int:
        ments = self.store.mentions_for([s.id for s in batch])
        self.keyword.add(keyword_doc(s.id, s.article, ments.get(s.id, ())) for s in batch)
        return len(batch)

    # -- ingest ------------------------------------------------------------------------------
    def ingest(
        self,
        sources: Iterable[Page | Article | LoadProblem],
        workers: int | None = None,
        on_progress: Callable[[IngestReport], None] | None = None,
        checkpoint: int = CHECKPOINT_ARTICLES,
    ) -> IngestReport:
        """Run the pipeline over loaded sources and add new articles to the store and indexes."""
        workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        with self.session(checkpoint=checkpoint, on_progress=on_progress) as session:
            for prepared in self._prepared(session.count(sources), workers):
                session.add_prepared(prepared)
        return session.report

    def session(self, checkpoint: int = CHECKPOINT_ARTICLES,
                on_progress: Callable[[IngestReport], None] | None = None) -> "IngestSession":
        """An open ingest that takes sources one at a time (the crawler feeds pages as they arrive)."""
        return IngestSession(self, checkpoint, on_progress)

    def _prepared(self, sources: Iterator, workers: int) -> Iterator[list[PreparedArticle]]:
        if workers <= 1:
            return map(prepare_source, sources)
        from pipeline.segment import jieba_tokenizer

        jieba_tokenizer()  # load once in the parent; forked workers share it
        return ordered_map(_prepare_worker, sources, workers)

    def _checkpoint(self, embed: list | None = None) -> None:
        """Indexes first, store last: the store only ever names indexed articles.

        ``embed``: stored articles (not yet committed) to embed with the ingest models.
        Vectors the store does not confirm are dropped on the next open; missing ones are
        filled in by the next ingest or `embed` (embedding is resumable).
        """
        if embed:
            from index.semantic.vectors import embed_missing

            for model in self.ingest_models:
                index = self.vectors(model, create=True)
                embed_missing(embed, index, self.encoder(model))
                index.save()
        self.keyword.commit()
        self.store.commit()


    # -- reading -----------------------------------------------------------------------------
    def get(self, aid: str) -> StoredArticle:
        ids = self.store.resolve_id(aid.strip())
        if not ids:
            raise ArchiveError(f"no article with id {aid!r}")
        if len(ids) > 1:
            raise ArchiveError(f"id {aid!r} is ambiguous ({', '.join(ids[:3])} …); type more of it")
        return self.store.get(ids[0])

    def search(self, query: str, k: int = 10, filters: Filters = Filters(), mode: str = "hybrid",
               model: str | None = None, fusion: str = "convex") -> list[SearchResult]:
        """Ranked articles. hybrid fuses keyword and semantic lists; a quoted phrase or a
        program name matched word for word is never ranked below semantic near-misses."""
        from index.hybrid import fuse, protect_exact_matches

        if mode not in SEARCH_MODES:
            raise ArchiveError(f"unknown search mode {mode!r} (choose from {', '.join(SEARCH_MODES)})")
        try:
            parsed = parse_query(query)
        except QuerySyntaxError as e:
            if mode != "semantic":
                raise ArchiveError(str(e)) from None
            parsed = None
        model = model or (self.best_model() if mode != "keyword" else None)
        if mode == "semantic" and model is None:
            raise ArchiveError("this archive has no vectors yet: run `search_cli.py embed` (or ingest) first")
        if mode == "keyword" or model is None:  # hybrid without vectors is keyword search
            hits = self.keyword.search(parsed, k=k, filters=filters)
            return self._results([(h.id, h.score) for h in hits], parsed, {h.id: {"keyword": h.score} for h in hits})
        n = max(CANDIDATES, 3 * k)
        kw = [(h.id, h.score) for h in self.keyword.search(parsed, k=n, filters=filters)] if parsed else []
        sem = self._semantic(query, model, n, filters)
        scores: dict[str, dict] = {}
        for name, ranked in (("keyword", kw), ("semantic", sem)):
            for i, sc in ranked:
                scores.setdefault(i, {})[name] = sc
        if mode == "semantic":
            return self._results(sem[:k], parsed, scores)
        fused = fuse([kw, sem], method=fusion, weights=FUSION_WEIGHTS.get(model, (0.5, 0.5)))
        ranked = protect_exact_matches(fused, self._exact_matches(query, parsed, kw), k)
        for i, sc in ranked:
            scores.setdefault(i, {})["fused"] = sc
        return self._results(ranked, parsed, scores)

    def _semantic(self, query: str, model: str, n: int, filters: Filters) -> list[tuple[str, float]]:
        index = self.vectors(model)
        if index is None:
            raise ArchiveError(f"no {model} vectors in this archive: run `search_cli.py embed --model {model}`")
        qvec = self.encoder(model).encode_queries([query.replace('"', " ")])[0]
        allowed = self._filtered_ids(filters) if filters != Filters() else None
        return index.search(qvec, k=n, allowed_ids=allowed)

    def _filtered_ids(self, f: Filters) -> set[str]:
        """The articles that pass the filters, from the store (so any vector index can use them)."""
        ids = self.store.ids_matching(since=f.since, until=f.until, source=f.source)
        if f.region:
            from pipeline.regions import descendant_codes

            ids &= self.store.articles_in_regions(descendant_codes(f.region))
        if f.ids is not None:
            ids &= set(f.ids)
        return ids

    def _exact_matches(self, query: str, parsed: ParsedQuery | None, kw: list[tuple[str, float]]) -> list[str]:
        """Keyword hits that contain a quoted phrase, or a program name the query names."""
        if parsed is None:
            return []
        if any(c.required for c in parsed.clauses):
            return [i for i, _ in kw]  # required clauses: every keyword hit has the phrase
        ids = [i for i, _ in kw[:30]]
        folded = query.replace(" ", "")
        out = []
        for aid, programs in self.store.values_for(ids, "program").items():
            if any(len(p) >= 3 and p in folded for p in programs):
                out.append(aid)
        return sorted(out, key=ids.index)

    def _results(self, ranked: list[tuple[str, float]], parsed: ParsedQuery | None,
                 scores: dict[str, dict]) -> list[SearchResult]:
        arts = self.store.get_many([i for i, _ in ranked])
        out = []
        terms = parsed.terms if parsed else []
        for aid, score in ranked:
            sa = arts.get(aid)
            if sa is None:  # indexed beyond the last store checkpoint: not part of the archive
                continue
            a = sa.article
            out.append(SearchResult(
                id=aid, title=a.title, date=a.date, source=a.source, score=score,
                snippet=make_snippet(a.body or a.title, terms), text=a.body, kicker=a.kicker,
                subtitle=a.subtitle, kind=a.kind, url=a.url, page=a.page, origin=a.origin,
                scores=scores.get(aid, {}),
            ))
        return out

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
            out.append({
                "id": i, "title": a.title, "date": a.date, "source": a.source, "kind": a.kind, "score": score,
                "shared": {
                    "regions": sorted(region_name(c) for c in mine["region"] & theirs["region"]),
                    "programs": sorted(mine["program"] & theirs["program"]),
                    "topics": sorted(set(my_words) & set(words), key=lambda w: -(my_words[w] * words[w]))[:5],
                },
            })
        return out

    # -- entities and "which county did what" --------------------------------------------------
    def resolve_region(self, name: str, level: str | None = None):
        """The one region unit a user means by ``name`` (official name, short form or code)."""
        from pipeline.regions import find_units, region_by_code

        name = name.strip()
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
        the articles share with the question, or what they mean); the evidence inside them
        is read by index.who with the archive's sentence models (static always, e5-small
        where its vectors cover the archive)."""
        from index.who import WhoCandidate, answer_who, parse_question
        from pipeline.regions import descendant_codes

        q = parse_question(question)
        query = q.search_text
        if not query:
            raise ArchiveError(f"nothing to look for in the question {question!r}")
        filters = Filters(region=q.within) if q.within else Filters()
        try:
            hits = self.search(query, k=candidates, filters=filters, mode="hybrid")
        except ArchiveError:
            if not q.phrases:
                raise
            hits = self.search(query.replace('"', " "), k=candidates, filters=filters, mode="hybrid")
        mentions = self.store.mentions_for([h.id for h in hits])
        allowed = descendant_codes(q.within) if q.within else None
        cands = []
        for h in hits:
            ms = mentions.get(h.id, [])
            if allowed is not None and not any(m.type == "region" and m.value in allowed for m in ms):
                continue
            cands.append(WhoCandidate(h.id, h.title, h.score,
                                      {"title": h.title, "kicker": h.kicker, "subtitle": h.subtitle, "body": h.text},
                                      ms))
        return answer_who(question, level, k, cands, self._who_similarity())

    def _who_similarity(self) -> list:
        """Sentence scorers for `who`: the static model on many sentences, then e5-small on the
        best few when the archive has its vectors (its model is then built and worth loading)."""
        from index.who import SentenceSimilarity

        out = []
        models = self.vector_models()
        for name, limit, low, high in WHO_SENTENCE_MODELS:
            if name not in models or (name != "static" and self.best_model() != name):
                continue
            encoder = self.encoder(name)

            def score(query: str, texts: list[str], encoder=encoder):
                return encoder.encode_passages(texts) @ encoder.encode_queries([query])[0]

            out.append(SentenceSimilarity(name, score, limit, low, high))
        return out

    def entities(self, type: str | None = None, region: str | None = None, level: str | None = None,
                 limit: int = 50) -> list[dict]:
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

    def stats(self) -> dict:
        s = self.store.stats()
        s["backend"] = self.backend
        s["keyword_documents"] = self.keyword.count()
        s["vectors"] = {m: self.vectors(m).count() for m in self.vector_models()}
        s["path"] = str(self.root)
        return s


class IngestSession:
    """Adds prepared articles in checkpoints; on exit commits, or on error rolls the store back."""

    def __init__(self, archive: Archive, checkpoint: int, on_progress: Callable[[IngestReport], None] | None):
        self.archive = archive
        self.checkpoint = checkpoint
        self.on_progress = on_progress
        self.report = IngestReport()
        self._pending: list[StoredArticle] = []
        self._t0 = time.perf_counter()

    def __enter__(self) -> "IngestSession":
        self.archive.reconcile()
        if self.archive.ingest_models:
            # articles stored earlier without vectors (an interrupted embed, a new model) get them now
            for model in self.archive.ingest_models:
                index = self.archive.vectors(model, create=True)
                if index.count() < self.archive.store.count():
                    self.archive.embed(model)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.archive._checkpoint(self._pending)
        else:
            self.archive.store.rollback()
        self.report.seconds = time.perf_counter() - self._t0

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
        ar.keyword.add(keyword_doc(s.id, s.article, mentions[s.article.content_hash], segs[s.article.content_hash])
                       for s in new)
        self._pending.extend(new)
        if len(self._pending) >= self.checkpoint:
            ar._checkpoint(self._pending)
            self._pending = []
        self._progress()

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress(self.report)
