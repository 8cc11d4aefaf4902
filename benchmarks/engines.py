"""Whoosh vs tantivy on the same corpus: build time, index size, query p50/p95, in one run.

    python benchmarks/engines.py                                   # 10,294 real + 100,000 recombined
    python benchmarks/engines.py --sizes 10294 --segmenters 5000   # quick run + segmenter comparison
    python benchmarks/engines.py --skip-whoosh-above 20000         # Whoosh only on the small corpus
    python benchmarks/engines.py --sizes 0 --vectors 100000        # only exact vs usearch vector search

A size equal to the People's Daily set (10294) means those real articles; any other size
is a corpus from benchmarks/make_corpus.py (recombined paragraphs, fixed seed).

For each corpus it builds, from the same KeywordDocs:
  whoosh        WhooshIndex, one process (segmentation runs inside Whoosh's analyzer)
  tantivy       TantivyIndex, one process
  tantivy-2p    TantivyIndex with segmentation in 2 forked workers (--processes)
and reports where build time goes (CPU seconds inside the segmenter vs the rest: CPU, not
wall time, so a busy machine does not skew the split; wall time and load average are
printed too), then times 100 fixed queries (top 10, no filters on 90 of them,
a date range on 10) over --rounds rounds after one warm-up round. Query time is the
backend's search() alone (parsing is shared and excluded). Ratios are Whoosh/tantivy.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.make_corpus import PEOPLES_DAILY, load_pool, make_corpus, read_articles  # noqa: E402
from index.keyword.base import STOPWORDS, Filters, KeywordDoc, ParsedQuery, parse_query  # noqa: E402
from index.keyword.tantivy_backend import TantivyIndex  # noqa: E402
from index.keyword.whoosh_backend import WhooshIndex  # noqa: E402
from pipeline.segment import query_terms  # noqa: E402

REAL_SIZE = 10294
# Queries a union-news researcher would type, then 90 drawn from real headlines.
HAND_QUERIES = [
    "工会 职工",
    "劳动模范",
    "农民工 工资",
    '"一带一路"',
    "脱贫攻坚 扶贫",
    "疫情防控 复工复产",
    "工匠精神",
    "职工 权益 保障",
    "2019年 经济 增长",
    "习近平 会见",
]


def to_keyword_doc(r: dict) -> KeywordDoc:
    kicker = " ".join(x for x in (r.get("kicker"), r.get("subtitle")) if x)
    return KeywordDoc(
        r["id"], r.get("title") or "", kicker, r.get("text") or "", r.get("date"), r.get("source") or "", ()
    )


def corpus_factory(size: int) -> Callable[[], Iterator[KeywordDoc]]:
    """A fresh stream of the corpus per call; source reading happens here, outside the build timers."""
    if size <= REAL_SIZE:
        docs = [to_keyword_doc(r) for r in itertools.islice(read_articles(PEOPLES_DAILY), size)]
        return lambda: iter(docs)
    pool = load_pool(PEOPLES_DAILY)  # recombined articles are generated on the fly (cheap), never held
    return lambda: (to_keyword_doc(r) for r in make_corpus(size, pool=pool))


def fixed_queries(n: int = 100, seed: int = 7) -> list[tuple[str, Filters]]:
    """The same ``n`` queries every run: hand-written ones, then words from random real headlines
    (every 5th a quoted two-word phrase, every 10th with a one-month date range)."""
    titles = [r["title"] for r in read_articles(PEOPLES_DAILY) if r.get("title")]
    dates = sorted({r["date"][:7] for r in read_articles(PEOPLES_DAILY) if r.get("date")})
    rng = random.Random(seed)
    out: list[tuple[str, Filters]] = [(q, Filters()) for q in HAND_QUERIES[:n]]
    i = 0
    while len(out) < n:
        words = [t for t in query_terms(rng.choice(titles)) if len(t) >= 2 and t not in STOPWORDS]
        if len(words) < 2:
            continue
        i += 1
        if i % 5 == 0:
            j = rng.randrange(len(words) - 1)
            text = f'"{words[j]}{words[j + 1]}"'
        else:
            text = " ".join(rng.sample(words, min(len(words), rng.choice((2, 3)))))
        filters = Filters()
        if i % 10 == 3:
            month = rng.choice(dates)
            filters = Filters(since=f"{month}-01", until=f"{month}-31")
        out.append((text, filters))
    return out


# -- timing helpers ------------------------------------------------------------------------------
class Stopwatch:
    """CPU time of the calling thread spent inside wrapped calls: segmentation runs in the
    main thread, so this splits build CPU into segmentation and engine even on a busy machine."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, fn: Callable) -> Callable:
        def timed(*a, **kw):
            t = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds += time.thread_time() - t

        return timed

    def iterate(self, it: Iterable) -> Iterator:
        it = iter(it)
        while True:
            t = time.thread_time()
            try:
                x = next(it)
            except StopIteration:
                self.seconds += time.thread_time() - t
                return
            self.seconds += time.thread_time() - t
            yield x


def cpu_seconds() -> tuple[float, float]:
    """(this process incl. tantivy's threads, finished child processes = segmentation workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


@dataclass
class Run:
    corpus: str
    backend: str
    docs: int = 0
    build_s: float = 0.0
    build_cpu_s: float = 0.0  # CPU time of this process and its segmentation workers (robust to a busy machine)
    load_avg: float = 0.0  # 1-minute load average when the build finished
    segment_cpu_s: float = 0.0  # CPU time inside the segmenter (main thread, or the workers)
    size_bytes: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    top10: dict = field(default_factory=dict, repr=False)

    @property
    def engine_cpu_s(self) -> float:
        return self.build_cpu_s - self.segment_cpu_s


# -- builds ----------------------------------------------------------------------------------------
def build_whoosh(path: Path, docs: Iterable[KeywordDoc]):
    import index.keyword.whoosh_backend as wb

    watch = Stopwatch()
    original = wb.segment
    wb.segment = watch.wrap(original)  # profiling only: time spent segmenting inside the analyzer
    try:
        t = time.perf_counter()
        ix = wb.WhooshIndex(path)
        ix.add(docs)
        ix.commit()
        return ix, time.perf_counter() - t, watch.seconds
    finally:
        wb.segment = original


def build_tantivy(path: Path, docs: Iterable[KeywordDoc], processes: int):
    from index.keyword import tantivy_backend as tb

    t = time.perf_counter()
    ix = tb.TantivyIndex(path, segment_processes=processes)
    if processes > 1:
        ix.add(docs)
        seg = None
    else:
        # Same path as TantivyIndex.add, with the segmentation step timed on its own.
        watch = Stopwatch()
        ix.add_segmented(watch.iterate((d, tb._segment_texts(tb._doc_texts(d))) for d in docs))
        seg = watch.seconds
    ix.commit()
    return ix, time.perf_counter() - t, seg


def time_queries(ix, queries: list[tuple[ParsedQuery, Filters]], rounds: int) -> tuple[float, float, dict]:
    top10 = {}
    for i, (q, f) in enumerate(queries):  # warm-up round; also the results compared across engines
        top10[i] = [h.id for h in ix.search(q, 10, f)]
    times = []
    for _ in range(rounds):
        for q, f in queries:
            t = time.perf_counter()
            ix.search(q, 10, f)
            times.append((time.perf_counter() - t) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95), top10


def bench_size(size: int, args, queries, workdir: Path) -> list[Run]:
    label = f"rmrb-{size}" if size <= REAL_SIZE else f"recombined-{size}"
    runs: list[Run] = []
    plan = [("tantivy", 1)]
    if args.processes > 1 and size <= args.skip_parallel_above:
        plan.append((f"tantivy-{args.processes}p", args.processes))
    if size <= args.skip_whoosh_above:
        plan.append(("whoosh", 1))
    corpus = corpus_factory(size)
    for backend, procs in plan:
        path = workdir / f"{label}-{backend}"
        shutil.rmtree(path, ignore_errors=True)
        print(f"[{label}] building {backend} ...", file=sys.stderr, flush=True)
        self0, kids0 = cpu_seconds()
        if backend == "whoosh":
            ix, build_s, seg_s = build_whoosh(path, corpus())
        else:
            ix, build_s, seg_s = build_tantivy(path, corpus(), procs)
        ix.close()  # ends segmentation workers, so their CPU time is counted
        self1, kids1 = cpu_seconds()
        if seg_s is None:  # segmentation ran in the workers; the main process fed the engine
            seg_s = kids1 - kids0
        ix = TantivyIndex(path) if backend != "whoosh" else WhooshIndex(path)
        run = Run(
            label,
            backend,
            ix.count(),
            build_s,
            (self1 - self0) + (kids1 - kids0),
            os.getloadavg()[0],
            seg_s,
            dir_bytes(path),
        )
        print(
            f"[{label}] {backend}: {run.docs} docs in {build_s:.1f} s; timing queries ...", file=sys.stderr, flush=True
        )
        run.p50_ms, run.p95_ms, run.top10 = time_queries(ix, queries, args.rounds)
        ix.close()
        runs.append(run)
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)
    return runs


# -- segmenters ------------------------------------------------------------------------------------
def bench_segmenters(n: int) -> list[str]:
    """jieba (what pipeline.segment uses) vs jieba-fast vs rjieba on the first ``n`` real bodies,
    all with the union dictionary; plus segment() in 2 worker processes."""
    from importlib import resources

    import jieba_fast
    import rjieba

    import pipeline.segment as ps
    from index.keyword.tantivy_backend import segment_many
    from pipeline.segment import pack_tokens

    texts = [r.get("text") or "" for r in itertools.islice(read_articles(PEOPLES_DAILY), n)]
    chars = sum(map(len, texts))
    lines = [f"segmenters on {len(texts)} People's Daily bodies, {chars / 1e6:.2f} M characters"]
    dict_lines = resources.files("pipeline").joinpath("data", ps.USER_DICT).read_text(encoding="utf-8").splitlines()

    jb = ps._jieba()
    t = time.perf_counter()
    base_tok = [list(jb.tokenize(x)) for x in texts]
    jieba_s = time.perf_counter() - t

    jf = jieba_fast.Tokenizer()
    jf.initialize()
    for ln in dict_lines:  # same entries as pipeline.segment loads
        parts = ln.split()
        if parts:
            jf.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
    t = time.perf_counter()
    fast_tok = [list(jf.tokenize(x)) for x in texts]
    fast_s = time.perf_counter() - t
    fast_diff = sum(a != b for a, b in zip(base_tok, fast_tok))

    rj = rjieba.Jieba()
    for ln in dict_lines:
        parts = ln.split()
        if parts:
            rj.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
    t = time.perf_counter()
    rj_tok = [list(rj.tokenize(x)) for x in texts]
    rj_s = time.perf_counter() - t
    rj_diff = sum(a != b for a, b in zip(base_tok, rj_tok))

    # Whole segment() (numbers, sub-words, folding) with jieba vs jieba-fast underneath.
    t = time.perf_counter()
    seg_jieba = [ps.segment(x) for x in texts]
    seg_jieba_s = time.perf_counter() - t
    ps._tokenizer = jf  # benchmark only: swap the tokenizer under segment(), then restore
    try:
        t = time.perf_counter()
        seg_fast = [ps.segment(x) for x in texts]
        seg_fast_s = time.perf_counter() - t
    finally:
        ps._tokenizer = jb
    seg_fast_diff = sum(a != b for a, b in zip(seg_jieba, seg_fast))

    t = time.perf_counter()
    par = list(segment_many(texts, processes=2))
    par_s = time.perf_counter() - t
    par_diff = sum(pack_tokens(a) != b for a, b in zip(seg_jieba, par))

    def rate(s):
        return f"{chars / s / 1e6:.2f} M char/s"

    lines += [
        f"  jieba.tokenize       {jieba_s:6.1f} s  {rate(jieba_s)}",
        f"  jieba_fast.tokenize  {fast_s:6.1f} s  {rate(fast_s)}  x{jieba_s / fast_s:.2f}  docs differing: {fast_diff}",
        f"  rjieba.tokenize      {rj_s:6.1f} s  {rate(rj_s)}  x{jieba_s / rj_s:.2f}  docs differing: {rj_diff}",
        f"  segment() on jieba   {seg_jieba_s:6.1f} s  {rate(seg_jieba_s)}",
        f"  segment() on j_fast  {seg_fast_s:6.1f} s  {rate(seg_fast_s)}  x{seg_jieba_s / seg_fast_s:.2f}  docs differing: {seg_fast_diff}",
        f"  segment() 2 procs    {par_s:6.1f} s  {rate(par_s)}  x{seg_jieba_s / par_s:.2f}  docs differing: {par_diff}",
    ]
    return lines


# -- vectors: exact vs usearch HNSW ------------------------------------------------------------
def bench_vectors(n: int, n_queries: int = 200, seed: int = 11) -> list[str]:
    """Exact float32 search vs usearch HNSW on ``n`` real People's Daily paragraphs embedded
    with the static model (256 d); queries are real headlines. Recall@10 against exact."""
    import numpy as np
    from usearch.index import Index

    from index.semantic.encoding import limit_blas_threads, load_model
    from index.semantic.models import STATIC_NAME

    paragraphs, titles = [], []
    for r in read_articles(PEOPLES_DAILY):
        titles.append(r.get("title") or "")
        paragraphs += [p for p in (r.get("text") or "").split("\n") if len(p.strip()) >= 20]
    paragraphs = paragraphs[:n]
    queries = random.Random(seed).sample([t for t in titles if len(t) >= 6], n_queries)
    enc = load_model(STATIC_NAME)
    t = time.perf_counter()
    matrix = np.ascontiguousarray(enc.encode_passages(paragraphs, batch_size=1024), dtype=np.float32)
    embed_s = time.perf_counter() - t
    qv = enc.encode_queries(queries)
    limit_blas_threads()  # as the search path does: one BLAS thread, no spin-waiting helpers
    lines = [
        f"vectors: {len(paragraphs)} paragraphs x {matrix.shape[1]} d (static model, embedded in {embed_s:.0f} s, "
        f"{matrix.nbytes / 1e6:.0f} MB float32), {len(queries)} headline queries, top 10"
    ]

    def timed(fn):
        times, results = [], []
        for q in qv:
            t = time.perf_counter()
            results.append(fn(q))
            times.append((time.perf_counter() - t) * 1000)
        return results, percentile(times, 0.5), percentile(times, 0.95)

    def exact(q):
        scores = matrix @ q
        top = np.argpartition(-scores, 10)[:10]
        return set(top[np.argsort(-scores[top])].tolist())

    truth, p50, p95 = timed(exact)
    lines.append(f"  exact numpy          recall@10 1.000  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    keys = np.arange(len(matrix), dtype=np.uint64)
    configs = [("f32", 16, (32, 64, 128, 256, 512)), ("f32", 32, (64, 128, 256, 512)), ("i8", 16, (128, 512))]
    for dtype, connectivity, efs in configs:
        index = Index(ndim=matrix.shape[1], metric="cos", dtype=dtype, connectivity=connectivity, expansion_add=128)
        t = time.perf_counter()
        index.add(keys, matrix, threads=2)
        build_s = time.perf_counter() - t
        size_mb = index.memory_usage / 1e6
        for ef in efs:
            index.expansion_search = ef
            found, p50, p95 = timed(lambda q, index=index: set(index.search(q, 10).keys.tolist()))
            recall = statistics.mean(len(f & g) / 10 for f, g in zip(found, truth))
            lines.append(
                f"  usearch {dtype} M={connectivity:<2} ef={ef:<4} recall@10 {recall:.3f}  p50 {p50:6.2f} ms  "
                f"p95 {p95:6.2f} ms  (build {build_s:.0f} s on 2 threads, {size_mb:.0f} MB)"
            )
    return lines


# -- report ----------------------------------------------------------------------------------------
def agreement(a: Run, b: Run) -> str:
    same_list = sum(a.top10[i] == b.top10[i] for i in a.top10)
    same_set = sum(set(a.top10[i]) == set(b.top10[i]) for i in a.top10)
    return f"{same_list}/{len(a.top10)} identical top-10 lists, {same_set}/{len(a.top10)} identical top-10 sets"


def report(runs: list[Run]) -> list[str]:
    lines = [
        f"{'corpus':<18} {'backend':<11} {'docs':>7} {'build s':>8} {'cpu s':>7} {'seg cpu':>7} {'eng cpu':>7} "
        f"{'size MB':>8} {'p50 ms':>7} {'p95 ms':>7} {'load':>5}"
    ]
    for r in runs:
        lines.append(
            f"{r.corpus:<18} {r.backend:<11} {r.docs:>7} {r.build_s:>8.1f} {r.build_cpu_s:>7.1f} {r.segment_cpu_s:>7.1f} "
            f"{r.engine_cpu_s:>7.1f} {r.size_bytes / 1e6:>8.1f} {r.p50_ms:>7.2f} {r.p95_ms:>7.2f} {r.load_avg:>5.1f}"
        )
    for c in dict.fromkeys(r.corpus for r in runs):
        by = {r.backend: r for r in runs if r.corpus == c}
        w, t = by.get("whoosh"), by.get("tantivy")
        if w and t:
            lines.append(
                f"{c}: Whoosh/tantivy  build x{w.build_s / t.build_s:.1f} (cpu x{w.build_cpu_s / t.build_cpu_s:.1f})  "
                f"engine cpu x{w.engine_cpu_s / t.engine_cpu_s:.1f}  size x{w.size_bytes / t.size_bytes:.1f}  "
                f"p50 x{w.p50_ms / t.p50_ms:.0f}  p95 x{w.p95_ms / t.p95_ms:.0f}; {agreement(w, t)}"
            )
        for name, r in by.items():
            if name.startswith("tantivy-") and t:
                lines.append(
                    f"{c}: {name} builds x{t.build_s / r.build_s:.2f} faster than tantivy (1 process), "
                    f"using x{r.build_cpu_s / t.build_cpu_s:.2f} the CPU; "
                    f"{agreement(t, r)}"
                )
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=f"{REAL_SIZE},100000", help="comma-separated corpus sizes")
    ap.add_argument(
        "--skip-whoosh-above", type=int, default=10**9, metavar="N", help="build Whoosh only for sizes <= N"
    )
    ap.add_argument(
        "--processes", type=int, default=2, help="also build tantivy with this many segmentation workers (1 = off)"
    )
    ap.add_argument(
        "--skip-parallel-above", type=int, default=10**9, metavar="N", help="build tantivy-Np only for sizes <= N"
    )
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds over the query list")
    ap.add_argument(
        "--segmenters", type=int, default=0, metavar="N", help="also compare jieba/jieba-fast/rjieba on N bodies"
    )
    ap.add_argument(
        "--vectors",
        type=int,
        default=0,
        metavar="N",
        help="also compare exact vs usearch search on N paragraph vectors",
    )
    ap.add_argument("--workdir", type=Path, help="where indexes are built (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the built indexes")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    for wanted, modules in ((args.segmenters, ("jieba_fast", "rjieba")), (args.vectors, ("usearch",))):
        missing = [m for m in modules if wanted and importlib.util.find_spec(m) is None]
        if missing:
            ap.error(
                f"{', '.join(missing)} not installed: the comparison engines are the bench extra (pip install -e '.[bench]')"
            )
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip() and s.strip() != "0"]
    except ValueError:
        ap.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if any(s < 0 for s in sizes):
        ap.error("--sizes must be positive")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="engines-"))
    workdir.mkdir(parents=True, exist_ok=True)
    queries = [(parse_query(q), f) for q, f in fixed_queries(args.queries)]
    print(
        f"# engines benchmark: sizes {sizes}, Whoosh up to {args.skip_whoosh_above}, {len(queries)} queries x "
        f"{args.rounds} rounds, {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    runs: list[Run] = []
    for size in sizes:
        runs += bench_size(size, args, queries, workdir)
        print("\n".join(report(runs)), flush=True)  # partial table after each size
    lines = report(runs)
    if args.segmenters:
        lines += bench_segmenters(args.segmenters)
    if args.vectors:
        lines += bench_vectors(args.vectors)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"peak RSS of the benchmark process {peak:.0f} MB; load avg at end {os.getloadavg()[0]:.2f}")
    print("\n# final\n" + "\n".join(lines), flush=True)
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in vars(r).items() if k != "top10"} for r in runs], indent=1))
    if not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
