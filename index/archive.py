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
from pathlib import Path
from typing import Callable, Iterable, Iterator

from index.ingest import CHECKPOINT_ARTICLES, IngestReport, IngestSession, default_workers, keyword_doc, prepare_sources
from index.keyword.base import Filters, KeywordIndex
from index.records import ArticleRecord
from index.searcher import SEARCH_MODES, HybridSearcher, SearchError, SearchResult
from index.store import ArticleStore, StoredArticle, StoreError
from pipeline.models import Article, LoadProblem, Page

__all__ = ["Archive", "ArchiveError", "IngestReport", "IngestSession", "SearchResult", "SEARCH_MODES"]

FORMAT_VERSION = 1
BACKENDS = ("whoosh", "tantivy")
DEFAULT_BACKEND = "tantivy"  # 440-1,900x faster queries than Whoosh, 4-5x smaller (benchmarks/engines.py)
# Embedded at ingest: the static model (~1,000 passages/s). The transformer (e5-small, ~10/s)
# is filled in afterwards by the resumable `embed` step and used wherever it is present.
DEFAULT_INGEST_MODELS = ("static",)
WHO_CANDIDATES = 30  # articles `who` reads for evidence
# (model, evidence units it scores per question, cosine meaning "unrelated", cosine meaning "says the same").
# e5-small scores no sentences by default: on the union-pages devset with e5 vectors, re-scoring the
# best 8 units cost 1.3-2 s a question on this 2-core machine and turned one right answer wrong
# (31/32 against 32/32); where the archive has e5 vectors they still choose who's candidates
# through the fused search. Raise its limit to let it re-score the best few sentences.
WHO_SENTENCE_MODELS = (("static", 60, 0.3, 0.8), ("e5-small", 0, 0.8, 0.92))


_ENCODERS: dict = {}  # (model, cache dir) -> loaded Encoder, shared by every archive in the process
_WORD_VECTORS: dict = {}  # id(encoder) -> {word: vector}, for `who`'s word-level matches


class ArchiveError(RuntimeError):
    """Something the user must fix; the CLI prints it as one line."""


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


class Archive:
    """One archive directory: the article store (the source of truth), a keyword index and
    passage vectors per embedding model, kept in step. A facade: search is done by
    :class:`index.searcher.HybridSearcher`, ingest by :class:`index.ingest.IngestSession`.

    >>> # with Archive.open("./archive") as archive:
    >>> #     archive.search("马背送学", k=3)[0].title
    """

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
        models = [m for m in models if not m.endswith("#lead")]  # lead-passage indexes: part of their model
        for m in ("e5-small-int8", "e5-small", *models):
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

    def embed_staged(self, model: str, leads_only: bool = False, batch_size: int = 64,
                     on_leads: Callable[[int], None] | None = None, on_rest: Callable[[int], None] | None = None):
        """Transformer vectors in two resumable passes: every article's lead passage, then the rest
        (index.semantic.staged). Search uses whatever is there, the static model filling the gaps."""
        from index.searcher import lead_index_name
        from index.semantic.staged import embed_staged

        encoder = self.encoder(model)
        complete = self.vectors(model, create=True)
        lead_name = lead_index_name(model)
        dims = self.config.setdefault("vectors", {})
        if lead_name not in dims:
            dims[lead_name] = encoder.dim
            self._save_config()
        lead = self.vectors(lead_name)
        for index in (complete, lead):
            self._drop_vectors_beyond_store(index)
        stats = embed_staged(self.store.iter_articles, complete, lead, encoder, leads_only=leads_only,
                             batch_size=batch_size, on_leads=on_leads, on_rest=on_rest)
        if complete.count() >= self.store.count():  # every article complete: the lead vectors are redundant
            self.drop_vectors(lead_name)
            dims.pop(lead_name, None)
            self._save_config()
        return stats

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
        """Run the pipeline over loaded sources and add new articles to the store and indexes.

        ``sources`` come from :func:`pipeline.loaders.load_paths` (pages, structured
        articles, and problems, which are reported and skipped). Articles already stored
        (same content) are skipped, so running the same ingest twice adds nothing.

        >>> # from pipeline.loaders import load_paths
        >>> # Archive.open("./archive", create=True).ingest(load_paths(["corpus/"])).added
        """
        workers = workers if workers is not None else default_workers()
        with self.session(checkpoint=checkpoint, on_progress=on_progress) as session:
            for prepared in prepare_sources(session.count(sources), workers):
                session.add_prepared(prepared)
        return session.report

    def session(self, checkpoint: int = CHECKPOINT_ARTICLES,
                on_progress: Callable[[IngestReport], None] | None = None) -> IngestSession:
        """An open ingest that takes sources one at a time (the crawler feeds pages as they arrive)."""
        return IngestSession(self, checkpoint, on_progress)

    # -- reading -----------------------------------------------------------------------------
    def article(self, aid: str) -> ArticleRecord:
        """One article by id (a unique prefix is enough) with its entity mentions."""
        sa = self.get(aid)
        return ArticleRecord(sa.id, sa.article, tuple(self.store.mentions(sa.id)))

    def articles(self, limit: int | None = None) -> Iterator[ArticleRecord]:
        """The stored articles in the order they were added (without mentions)."""
        for n, sa in enumerate(self.store.iter_articles()):
            if limit is not None and n >= limit:
                return
            yield ArticleRecord(sa.id, sa.article)

    def count(self) -> int:
        """How many articles the archive holds."""
        return self.store.count()

    def has_url(self, url: str) -> bool:
        """Whether an article fetched from ``url`` is stored (the crawler skips it)."""
        return self.store.has_url(url)

    def get(self, aid: str) -> StoredArticle:
        ids = self.store.resolve_id(aid.strip())
        if not ids:
            raise ArchiveError(f"no article with id {aid!r}")
        if len(ids) > 1:
            raise ArchiveError(f"id {aid!r} is ambiguous ({', '.join(ids[:3])} …); type more of it")
        return self.store.get(ids[0])

    @property
    def searcher(self) -> HybridSearcher:
        """The read-only hybrid searcher over this archive's store and indexes."""
        return HybridSearcher(self.store, self.keyword, self.vectors, self.encoder, self.best_model)

    def search(self, query: str, k: int = 10, filters: Filters = Filters(), mode: str = "hybrid",
               model: str | None = None, fusion: str | None = None,
               include_furniture: bool = False) -> list[SearchResult]:
        """Ranked articles for a query.

        ``mode``: ``keyword`` (words as typed; ``"…"`` for a phrase), ``semantic`` (by meaning)
        or ``hybrid`` (both fused; the default). A quoted phrase or a program name matched
        word for word is never ranked below semantic near-misses. ``filters`` narrows by
        date, source and region; ``model`` picks the embedding model (default: the best the
        archive has); ``fusion`` overrides the model's fusion method (``convex`` or ``rrf``).
        Page furniture (kind ``furniture``: 本版导读, 开栏语 …) is left out unless
        ``include_furniture``.

        >>> # [r.title for r in archive.search("马背送学", k=3)]
        """
        try:
            return self.searcher.search(query, k=k, filters=filters, mode=mode, model=model, fusion=fusion,
                                        include_furniture=include_furniture)
        except SearchError as e:
            raise ArchiveError(str(e)) from None

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
        from pipeline.script import to_simplified

        name = to_simplified(name.strip())  # 甘肅省 means 甘肃省
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
        the articles share with the question, or what they mean; e5-small where its vectors
        cover the archive); the evidence inside them is read by index.who with the static
        model's sentence and word vectors (see WHO_SENTENCE_MODELS)."""
        from index.who import WhoCandidate, answer_who, parse_question
        from pipeline.regions import descendant_codes
        from pipeline.script import to_simplified

        q = parse_question(to_simplified(question))  # 哪個縣 asks what 哪个县 asks
        if q.unknown_place:
            raise ArchiveError(f"unknown place {q.unknown_place!r} in the question (not in the gazetteer)")
        query = q.search_text
        if not query:
            raise ArchiveError(f"nothing to look for in the question {question!r}")
        filters = Filters(region=q.within) if q.within else Filters()
        try:
            # no snippets: who reads the whole text anyway
            hits = self.searcher.search(query, k=candidates, filters=filters, mode="hybrid", snippets=False)
        except SearchError as e:
            raise ArchiveError(str(e)) from None
        cands = [WhoCandidate(h.id, h.title, h.score,
                              {"title": h.title, "kicker": h.kicker, "subtitle": h.subtitle, "body": h.text})
                 for h in hits]
        allowed = descendant_codes(q.within) if q.within else None

        def load_mentions(ids: list[str]) -> dict:
            found = self.store.mentions_for(ids)
            if allowed is None:
                return found
            # a story counts inside the region the question names only when it names a place there
            return {i: ms for i, ms in found.items() if any(m.type == "region" and m.value in allowed for m in ms)}

        return answer_who(question, level, k, cands, self._who_similarity(), self._who_word_vectors(), load_mentions)

    def _who_word_vectors(self):
        """Static-model vectors of single words (cached: the same words recur across questions), or
        None when the archive has no static vectors (the model may not be built)."""
        if "static" not in self.vector_models():
            return None
        import numpy as np

        encoder = self.encoder("static")
        cache = _WORD_VECTORS.setdefault(id(encoder), {})

        def vectors(words: list[str]):
            missing = [w for w in dict.fromkeys(words) if w not in cache]
            if missing:
                if len(cache) > 200_000:
                    cache.clear()
                cache.update(zip(missing, encoder.encode_queries(missing)))
            return np.stack([cache[w] for w in words])

        return vectors

    def _who_similarity(self) -> list:
        """Sentence scorers for `who`: the static model on many sentences, then e5-small on the
        best few when it is given a limit and the archive has its vectors (so its model is built)."""
        from index.who import SentenceSimilarity

        out = []
        models = self.vector_models()
        for name, limit, low, high in WHO_SENTENCE_MODELS:
            if limit <= 0 or name not in models or (name != "static" and self.best_model() != name):
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

    def export_opensearch(self, out_dir: str | Path, model: str | None = None):
        """Write the archive as an OpenSearch mapping plus _bulk files; returns (model, stats).

        ``model``: whose vectors to include, pooled per article (default: the best the
        archive has; ``"none"`` for none).
        """
        from index.export_opensearch import ExportError, export_store

        model = None if model == "none" else (model or self.best_model())
        index = self.vectors(model) if model else None
        if model and index is None:
            raise ArchiveError(f"no {model} vectors in this archive (embed them first)")
        try:
            return model, export_store(self.store, Path(out_dir), index)
        except ExportError as e:
            raise ArchiveError(str(e)) from None

    def stats(self) -> dict:
        s = self.store.stats()
        s["backend"] = self.backend
        s["keyword_documents"] = self.keyword.count()
        s["vectors"] = {m: self.vectors(m).count() for m in self.vector_models()}
        s["path"] = str(self.root)
        return s

    # -- best-practice cases -------------------------------------------------------------------
    build_cases: bool = True  # ingest keeps the case index up to date (off only to measure its cost)
    case_seconds: float = 0.0  # time this archive object spent building cases

    @property
    def case_index(self):
        """Cases derived from the stored mentions (index.case_index.CaseIndex)."""
        if getattr(self, "_case_index", None) is None:
            from index.case_index import CaseIndex

            self._case_index = CaseIndex(
                self.store, lambda: self.encoder("static") if "static" in self.vector_models() else None)
        return self._case_index

    def update_cases(self, added: list) -> int:
        """Cases for newly stored articles ((id, article, mentions) each), in the open store
        transaction; the ingest checkpoint calls this before it commits the store."""
        import time

        if not self.build_cases or not added:
            return 0
        t = time.perf_counter()
        try:
            return self.case_index.add(added)
        finally:
            self.case_seconds += time.perf_counter() - t

    def rebuild_cases(self, progress: Callable[[int], None] | None = None) -> int:
        """Every case again from the store; returns how many there are."""
        return self.case_index.rebuild(progress=progress)

    def cases(self, query: str | None = None, region: str | None = None, level: str | None = None,
              since: str | None = None, until: str | None = None, program: str | None = None,
              k: int = 20) -> list:
        """Best-practice cases (index.cases.Case): who did what, where, when, with what result.

        ``query`` is matched against the cases' programs and descriptions by words and by meaning;
        results rank by that and by how many independent articles report them (without a query,
        by the articles alone). ``region`` keeps cases in that place or below it (``level`` picks
        among same-named units); ``since``/``until`` keep cases whose dates overlap them;
        ``program`` keeps cases whose program name contains it.

        >>> # [c.org for c in archive.cases("马背送学", k=3)]
        """
        from index.case_index import CaseQuery, CaseQueryError

        code = self.resolve_region(region, level).code if region else None
        index = self.case_index
        if not index.is_current():
            index.rebuild()  # an archive from before cases, or built with older case rules
        try:
            return index.search(CaseQuery(query, code, since, until, program, k))
        except CaseQueryError as e:
            raise ArchiveError(str(e)) from None

    def case(self, case_id: str):
        """One case by its id (a unique prefix is enough)."""
        from index.case_index import CaseQueryError

        index = self.case_index
        if not index.is_current():
            index.rebuild()
        try:
            found = index.get(case_id)
        except CaseQueryError as e:
            raise ArchiveError(str(e)) from None
        if found is None:
            raise ArchiveError(f"no case with id {case_id!r}")
        return found
