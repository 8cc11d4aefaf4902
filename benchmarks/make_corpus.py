"""A large benchmark corpus made by recombining People's Daily paragraphs, streamed and deterministic.

Each synthetic article borrows the headline, kicker, subtitle and date of a real article
(picked at random) and a body of as many paragraphs as that article had, drawn at random
from all paragraphs of the source set. Word statistics and lengths therefore look like
the real paper; the same seed always gives the same corpus, article for article.

Memory: the paragraph pool of the source (≈43 MB of text) is held once; the output is a
generator, so a 1,000,000-article corpus costs no more memory than a 100-article one.

    python benchmarks/make_corpus.py --n 100000 --out /tmp/rmrb-100k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PEOPLES_DAILY = SHARED / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"
DEFAULT_SEED = 20190201


@dataclass(frozen=True)
class Template:
    """What a synthetic article takes from one real article (everything but the body)."""

    title: str
    kicker: str
    subtitle: str
    date: str | None
    source: str
    paragraphs: int


def read_articles(path: Path = PEOPLES_DAILY) -> Iterator[dict]:
    """The source articles as dicts, one JSON line at a time."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise SystemExit(f"cannot read corpus source {path}: {e.strerror}") from None
    with f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                raise SystemExit(f"{path}:{n}: not a JSON line") from None


def load_pool(path: Path = PEOPLES_DAILY) -> tuple[list[Template], list[str]]:
    """Templates (articles with a body) and every non-empty paragraph, in file order."""
    templates: list[Template] = []
    paragraphs: list[str] = []
    for r in read_articles(path):
        paras = [p for p in (r.get("text") or "").split("\n") if p.strip()]
        if not paras:
            continue  # photo-only items: nothing to recombine
        paragraphs.extend(paras)
        templates.append(
            Template(
                r.get("title") or "",
                r.get("kicker") or "",
                r.get("subtitle") or "",
                r.get("date"),
                r.get("source") or "",
                len(paras),
            )
        )
    if not templates:
        raise SystemExit(f"{path}: no articles with text")
    return templates, paragraphs


def make_corpus(
    n: int, seed: int = DEFAULT_SEED, path: Path = PEOPLES_DAILY, pool: tuple[list[Template], list[str]] | None = None
) -> Iterator[dict]:
    """``n`` recombined articles in the source's JSON shape (id, title, kicker, subtitle, text, date, source).

    ``pool`` (from load_pool) skips re-reading the source, e.g. when timing only the consumer."""
    templates, paragraphs = pool or load_pool(path)
    rng = random.Random(seed)
    for i in range(n):
        t = templates[rng.randrange(len(templates))]
        body = "\n".join(paragraphs[rng.randrange(len(paragraphs))] for _ in range(t.paragraphs))
        yield {
            "id": f"synth-{seed}-{i:07d}",
            "title": t.title,
            "kicker": t.kicker,
            "subtitle": t.subtitle,
            "text": body,
            "date": t.date,
            "source": t.source,
            "synthetic": True,
        }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of articles (default 100000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--source", type=Path, default=PEOPLES_DAILY, help="People's Daily JSONL")
    ap.add_argument("--out", type=Path, help="output JSONL (default: standard output)")
    args = ap.parse_args(argv)
    if args.n < 0:
        ap.error("--n must be >= 0")
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        for art in make_corpus(args.n, args.seed, args.source):
            out.write(json.dumps(art, ensure_ascii=False) + "\n")
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
    finally:
        if args.out:
            out.close()


if __name__ == "__main__":
    main()
