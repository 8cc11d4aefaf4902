#!/usr/bin/env python3
"""Top-1 accuracy of `who` on a development set of questions over the union-news pages.

    python benchmarks/who_eval.py [--devset FILE] [--data FILE] [--archive DIR] [--misses]

The union-news pages are ingested into a fresh temporary archive (or into --archive, kept
and reused when it already holds them), each question of the set is asked once, and the
top answer's region is compared with the expected one. Accuracy is reported per ``split``:
``dev`` questions may be looked at while tuning, ``heldout`` ones are only ever scored.
The set's questions are worded unlike their articles on purpose (synonyms, numbers written
another way, word order, facts over two sentences, places the gazetteer lacks).

Devset format, one JSON object a line: question, region (expected answer, as `who` names
it), url (the article that says so), split (dev|heldout), pattern (what the wording changes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "union-news-pages" / "union_news_pages.jsonl"
DEVSET = Path(__file__).with_name("devsets") / "who_union_pages.jsonl"


def load_devset(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = {"question", "region", "split"} - set(row)
        if missing:
            raise SystemExit(f"{path}:{n}: missing {', '.join(sorted(missing))}")
        rows.append(row)
    return rows


def open_archive(data: Path, keep: Path | None):
    from index.archive import Archive
    from pipeline.loaders import iter_sources

    root = keep or Path(tempfile.mkdtemp(prefix="unionkb-who-eval-"))
    archive = Archive.open(root, create=True)
    if archive.store.count() == 0:
        report = archive.ingest(iter_sources([data]))
        print(f"ingested {data.name}: {report.summary()}", file=sys.stderr)
    return archive, (None if keep else root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=DEVSET)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--archive", type=Path, default=None, help="build the archive here and keep it (reused if present)")
    ap.add_argument(
        "--misses",
        action="store_true",
        help="print the dev questions whose top answer is wrong (held-out ones are only counted)",
    )
    ap.add_argument("--json", action="store_true", help="print the per-split numbers as JSON")
    args = ap.parse_args()
    if not args.devset.is_file():
        raise SystemExit(f"{args.devset}: no such devset file")
    if not args.data.is_file():
        raise SystemExit(f"{args.data}: no such data file")

    rows = load_devset(args.devset)
    archive, tmp = open_archive(args.data, args.archive)
    hits: dict[str, list[int]] = defaultdict(list)
    by_pattern: dict[str, list[int]] = defaultdict(list)
    times = []
    try:
        for row in rows:
            t = time.perf_counter()
            answers = archive.who(row["question"], k=3)
            times.append(time.perf_counter() - t)
            got = answers[0].region if answers else ""
            ok = int(got == row["region"])
            hits[row["split"]].append(ok)
            for p in str(row.get("pattern", "")).split("+"):
                by_pattern[p].append(ok)
            if args.misses and not ok and row["split"] == "dev":
                top = answers[0] if answers else None
                print(
                    f"[{row['split']}] {row['question']} → {got or '(none)'} (expected {row['region']})"
                    + (f"\n    “{top.evidence[:90]}”" if top else "")
                )
    finally:
        archive.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    result = {split: {"questions": len(v), "top1": round(sum(v) / len(v), 3)} for split, v in sorted(hits.items())}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for split, r in result.items():
        print(f"{split:8s} top-1 {r['top1']:.3f}  ({sum(hits[split])}/{r['questions']})")
    print("by pattern: " + ", ".join(f"{p} {sum(v)}/{len(v)}" for p, v in sorted(by_pattern.items())))
    times.sort()
    print(f"who latency p50 {times[len(times) // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
