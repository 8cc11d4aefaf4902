#!/usr/bin/env python3
"""What the reliability machinery costs, each beside a baseline measured in the same run.

    python benchmarks/reliability.py [--articles 5000] [--vector-articles 100000]

1. A vector checkpoint (the rows of ~1,000 new articles saved into an index of
   --vector-articles articles, 2.5 passages each, 256 dims): appending a chunk (what a save
   does now) against rewriting the whole matrix (the baseline: what every save did before).
2. A reader's open + first keyword query, with the consistency check the CLI's read commands
   run (two counts), against the same without it (baseline), on an archive of --articles
   People's Daily articles.
3. A writer's start (taking the lock + reconcile by ids) against opening read-only (baseline).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"


def timed(fn, rounds: int = 5) -> float:
    """Median seconds of fn() over rounds."""
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def vector_checkpoint(n_articles: int, dim: int = 256, new_articles: int = 1000) -> None:
    import numpy as np

    from index.semantic.vectors import VectorIndex

    rng = np.random.default_rng(0)
    d = Path(tempfile.mkdtemp(prefix="bench-vectors-"))
    try:
        ix = VectorIndex(d, "bench", dim)
        rows = int(n_articles * 2.5)
        ix._vectors = rng.standard_normal((rows, dim), dtype=np.float32)
        ix._rows = np.array([f"{i * 2 // 5:016x}" for i in range(rows)], dtype="<U16")  # 2.5 rows each
        ix._dirty = ix._rewrite = True
        ix.save()
        counter = itertools.count(10**9)

        def add_batch():
            for _ in range(new_articles):
                ix.add(f"{next(counter):016x}", ["p", "q"], rng.standard_normal((2, dim), dtype=np.float32))

        def append_save():
            add_batch()
            ix.save()

        def rewrite_save():
            add_batch()
            ix._rewrite = True
            ix.save()

        t_add = timed(add_batch, 3)
        ix.save()
        t_new = timed(append_save, 5) - t_add
        t_old = timed(rewrite_save, 5) - t_add
        mb = ix._vectors.nbytes / 1e6
        print(
            f"vector checkpoint, {n_articles:,} articles ({mb:.0f} MB), +{new_articles} articles: "
            f"append {t_new * 1000:.0f} ms vs full rewrite (baseline) {t_old * 1000:.0f} ms "
            f"-> {t_old / max(t_new, 1e-9):.1f}x faster"
        )
    finally:
        shutil.rmtree(d, ignore_errors=True)


def build_archive(root: Path, n: int) -> None:
    """The first n People's Daily articles straight into the store, indexed by reconcile."""
    from index.archive import Archive
    from pipeline.models import Article

    with Archive.open(root, create=True) as ar, ar.writing():
        with open(DATA, encoding="utf-8") as f:
            arts = []
            for line in itertools.islice(f, n):
                r = json.loads(line)
                arts.append(
                    Article(title=r.get("title", ""), body=r.get("text", ""), date=r.get("date"), source="人民日报")
                )
        ar.store.add_articles(arts)
        ar.store.commit()
        ar.reconcile()


def archive_costs(n: int) -> None:
    from index.archive import Archive
    from index.keyword.base import parse_query

    root = Path(tempfile.mkdtemp(prefix="bench-archive-")) / "a"
    try:
        t = time.perf_counter()
        build_archive(root, n)
        print(f"archive of {n:,} articles built in {time.perf_counter() - t:.0f} s")
        q = parse_query("职工 权益")

        def reader_plain():
            with Archive.open(root) as ar:
                ar._open_keyword().search(q, k=10)

        def reader_checked():
            with Archive.open(root) as ar:
                ar.warnings()
                ar.keyword.search(q, k=10)

        def writer_start():
            with Archive.open(root, write=True):
                pass

        base = timed(reader_plain, 7)
        checked = timed(reader_checked, 7)
        start = timed(writer_start, 5)
        print(
            f"reader open + keyword query: {checked * 1000:.1f} ms with the consistency check vs "
            f"{base * 1000:.1f} ms without (baseline) -> {checked / base:.2f}x"
        )
        print(
            f"writer start (lock + reconcile by ids): {start * 1000:.1f} ms vs read-only open + query "
            f"(baseline) {base * 1000:.1f} ms -> {start / base:.1f}x"
        )
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--vector-articles", type=int, default=100_000)
    args = ap.parse_args()
    vector_checkpoint(args.vector_articles)
    if DATA.exists():
        archive_costs(args.articles)
    else:
        print(f"{DATA} not present: archive costs skipped")


if __name__ == "__main__":
    main()
