#!/usr/bin/env python3
"""Ingest the People's Daily set into a fresh archive, then time 100 fixed keyword queries.

    python benchmarks/ingest_search.py [--limit N] [--backend whoosh|tantivy] [--workers 2]

Prints articles/s for the whole ingest and query p50/p95, each beside a baseline measured
in the same process on the same data, because this machine's speed varies run to run:
  - ingest baseline: jieba segmentation alone of every article's text (the floor any
    analyzer-faithful index pays);
  - query baseline: a plain substring scan over all article texts in memory;
  - cases baseline: the same ingest again with the case index switched off.
Targets: whole set < 180 s, keyword p95 < 100 ms, building cases adds <= 15% to ingest.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"
QUERIES = Path(__file__).with_name("queries_rmrb.txt")


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--backend", default="tantivy")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="build the archive here and keep it")
    ap.add_argument("--no-embed", action="store_true", help="keyword index only (no static vectors at ingest)")
    ap.add_argument(
        "--skip-cases-baseline",
        action="store_true",
        help="skip the second ingest without cases (the baseline of the cases' cost)",
    )
    ap.add_argument(
        "--skip-baselines",
        action="store_true",
        help="skip the in-process baselines (for big corpora: they hold every text in memory)",
    )
    args = ap.parse_args()

    from index.archive import Archive
    from pipeline.loaders import iter_sources
    from pipeline.segment import segment

    data = args.data
    if args.limit:
        tmp_data = Path(tempfile.mkdtemp()) / "subset.jsonl"
        with open(data, encoding="utf-8") as f, open(tmp_data, "w", encoding="utf-8") as out:
            out.writelines(itertools.islice(f, args.limit))
        data = tmp_data
    texts: list[str] = []
    seg_s = ent_s = 0.0
    if not args.skip_baselines:
        rows = [json.loads(line) for line in open(data, encoding="utf-8")]
        texts = [r["title"] + "\n" + r.get("text", "") for r in rows]
        segment("预热")  # load the dictionary outside the timings
        t = time.perf_counter()
        for x in texts:
            segment(x)
        seg_s = time.perf_counter() - t

        from pipeline.entities import extract_entities
        from pipeline.process import articles_from_source

        arts = [a for src in iter_sources([data]) for a in articles_from_source(src)]
        t = time.perf_counter()
        for a in arts:
            extract_entities(a)
        ent_s = time.perf_counter() - t
        del arts, rows

    def timed_ingest(root: Path, build_cases: bool):
        t = time.perf_counter()
        with Archive.open(root, create=True, backend=args.backend) as archive:
            if args.no_embed:
                archive.ingest_models = []
            archive.build_cases = build_cases
            report = archive.ingest(iter_sources([data]), workers=args.workers)
            cases = archive.case_index.count() if build_cases else 0
            case_s = archive.case_seconds
        return time.perf_counter() - t, report, cases, case_s

    # one-off loads (embedding model, dictionaries) outside the timings: a small ingest first
    warm = Path(tempfile.mkdtemp(prefix="unionkb-bench-warm-"))
    with open(data, encoding="utf-8") as f, open(warm / "head.jsonl", "w", encoding="utf-8") as out:
        out.writelines(itertools.islice(f, 50))
    with Archive.open(warm / "archive", create=True, backend=args.backend) as archive:
        archive.ingest(iter_sources([warm / "head.jsonl"]), workers=args.workers)
    shutil.rmtree(warm, ignore_errors=True)

    root = args.keep or Path(tempfile.mkdtemp(prefix="unionkb-bench-"))
    if root.exists() and args.keep:
        shutil.rmtree(root)
    ingest_s, report, n_cases, case_s = timed_ingest(root, build_cases=True)
    plain_s = None
    if not args.skip_cases_baseline:
        plain_root = Path(tempfile.mkdtemp(prefix="unionkb-bench-nocases-"))
        plain_s, _, _, _ = timed_ingest(plain_root, build_cases=False)
        shutil.rmtree(plain_root, ignore_errors=True)

    queries = [q for q in QUERIES.read_text(encoding="utf-8").splitlines() if q.strip()]
    hyb: list[float] = []
    with Archive.open(root) as archive:
        archive.search(queries[0], mode="keyword")  # open the index outside the timings
        lat = []
        for q in queries:
            t = time.perf_counter()
            archive.search(q, k=10, mode="keyword")
            lat.append((time.perf_counter() - t) * 1000)
        model = archive.best_model()
        if model:
            archive.search(queries[0], mode="hybrid")  # load the model outside the timings
            for q in queries:
                t = time.perf_counter()
                archive.search(q, k=10, mode="hybrid")
                hyb.append((time.perf_counter() - t) * 1000)
        kw_size = sum(p.stat().st_size for p in (root / "keyword").rglob("*") if p.is_file())
    scan = []
    for q in queries if texts else []:
        needle = q.strip('"')
        t = time.perf_counter()
        _ = [i for i, x in enumerate(texts) if needle in x][:10]
        scan.append((time.perf_counter() - t) * 1000)

    import resource

    print(
        f"corpus: {data.name}; backend {args.backend}, workers {args.workers}; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
    )
    print(
        f"ingest: {ingest_s:.1f} s = {report.added / ingest_s:.0f} articles/s "
        f"({report.added} added, {report.duplicates} duplicates, {len(report.problems)} problems)"
    )
    if plain_s:
        print(
            f"  cases: {n_cases} built during ingest ({case_s:.1f} s inside it); the same ingest without cases "
            f"{plain_s:.1f} s -> cases add {100 * (ingest_s / plain_s - 1):+.1f}% (target <= 15%: "
            f"{'met' if ingest_s / plain_s <= 1.15 else 'MISSED'})"
        )
    if seg_s:
        n_chars = sum(map(len, texts))
        print(
            f"  baseline jieba segmentation alone, 1 process: {seg_s:.1f} s ({n_chars / seg_s / 1e3:.0f} k chars/s)"
            f" -> ingest/segmentation = {ingest_s / seg_s:.2f}x"
        )
    if ent_s:
        print(f"  entity extraction alone, 1 process: {ent_s:.1f} s = {ent_s / seg_s:.2f}x segmentation")
    print(
        f"keyword query (100 fixed, top-10, incl. snippets): p50 {percentile(lat, 50):.1f} ms, "
        f"p95 {percentile(lat, 95):.1f} ms"
    )
    if hyb:
        print(f"hybrid query ({model} vectors): p50 {percentile(hyb, 50):.1f} ms, p95 {percentile(hyb, 95):.1f} ms")
    if scan:
        print(
            f"  baseline substring scan: p50 {percentile(scan, 50):.1f} ms, p95 {percentile(scan, 95):.1f} ms"
            f" -> index/scan p95 = {percentile(lat, 95) / percentile(scan, 95):.2f}x"
        )
    print(f"keyword index size: {kw_size / 1e6:.1f} MB")
    print(
        f"targets: ingest < 180 s: {'met' if ingest_s < 180 else 'MISSED'}; "
        f"p95 < 100 ms: {'met' if percentile(lat, 95) < 100 else 'MISSED'}"
    )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
