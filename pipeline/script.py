"""Traditional Chinese → Simplified for processing, while stored text stays as printed.

Segmentation, page splitting, entity extraction and both kinds of search read Simplified
text: the union dictionary, the gazetteer, the byline and layout cues (本报讯, 记者) and the
embedding models' vocabularies are all Simplified. ``to_simplified`` is the one conversion
every one of them uses, on documents and queries alike, so a Traditional query finds a
Simplified article and the reverse.

The conversion is OpenCC's t2s (phrase-aware: 乾隆 stays, 乾燥 becomes 干燥). It maps every
character to exactly one character, so offsets found in the converted text (token
positions, entity spans, highlights) are offsets in the printed text too.

Only text that reads as Traditional is converted whole. Simplified text that quotes a
Traditional name (臺) gets just those characters converted: t2s applied to Simplified
prose would turn a few correct characters into others (坏 → 坯).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

from .chars import HAN

_HAN = re.compile(f"[{HAN}]")
_HAN_RUN = re.compile(f"[{HAN}]+")
TRADITIONAL_SHARE = 0.05  # of a text's hanzi that are Traditional-only, above which it is Traditional


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s.json")


@lru_cache(maxsize=1)
def _marker_table() -> tuple[re.Pattern, dict[int, str]]:
    """Characters only Traditional text uses — frequent Big5 hanzi that are not GB2312
    hanzi and that t2s changes (們 總 會 後 …) — and their Simplified forms."""
    from pipeline.decode import _big5_level1_hanzi, _gb2312_hanzi

    chars = "".join(sorted(_big5_level1_hanzi() - _gb2312_hanzi()))
    simple = _converter().convert(chars)
    table = {ord(a): b for a, b in zip(chars, simple) if a != b} if len(simple) == len(chars) else {}
    pattern = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]")
    return pattern, table


def traditional_share(text: str) -> float:
    """Share of the hanzi in ``text`` that only Traditional script uses (0 for Simplified)."""
    pattern, _ = _marker_table()
    markers = len(pattern.findall(text))
    if not markers:
        return 0.0
    return markers / max(1, len(_HAN.findall(text)))


def is_traditional(text: str) -> bool:
    return traditional_share(text) >= TRADITIONAL_SHARE


def to_simplified(text: str) -> str:
    """``text`` in Simplified script, character for character (same length, same offsets).

    Simplified text comes back unchanged (the same object); Traditional text is converted
    by OpenCC; Simplified text with a few Traditional characters gets only those converted.
    """
    pattern, table = _marker_table()
    if not text or not pattern.search(text):
        return text
    if not is_traditional(text):
        return text.translate(table)
    converted = _converter().convert(text)
    if len(converted) != len(text):  # never seen with OpenCC's t2s tables; keep offsets valid regardless
        return "".join(ch if len(ch) == 1 else text[i] for i, ch in enumerate(_converter().convert(c) for c in text))
    return converted


def restore_printed(processed: str, printed: str, converted: str) -> str:
    """``processed`` — text cut from ``converted`` (= to_simplified(printed)) and cleaned —
    with each converted character put back as ``printed`` has it at that place.

    Cleaning keeps hanzi and their order and only removes white space between them (words
    broken over lines, column spaces), so each run of hanzi is found in ``converted`` with
    its white space taken out, in page order. A run that is not there takes, character by
    character, the printed form seen most often on the page for that Simplified character.
    The result has the length of ``processed``.
    """
    if printed == converted or not processed:
        return processed
    page = _page_index(printed, converted)
    if not any(ch in page.usual for ch in processed):
        return processed
    out = list(processed)
    cursor = 0
    for m in _HAN_RUN.finditer(processed):
        run = m.group()
        if not any(ch in page.usual for ch in run):
            continue
        at = page.flat.find(run, cursor)  # the next piece of an article follows the last one
        if at < 0:
            at = page.flat.find(run)  # column order put it earlier on the page
        if at >= 0:
            out[m.start() : m.end()] = [printed[page.where[i]] for i in range(at, at + len(run))]
            cursor = at + len(run)
            continue
        for i, ch in enumerate(run, m.start()):
            if ch in page.usual:
                out[i] = page.usual[ch].most_common(1)[0][0]
    return "".join(out)


class _PageIndex:
    """``converted`` without white space (``flat``), where each of its characters stands
    in the page (``where``), and the printed forms of each converted character (``usual``)."""

    def __init__(self, printed: str, converted: str) -> None:
        self.where = [i for i, ch in enumerate(converted) if not ch.isspace()]
        self.flat = "".join(converted[i] for i in self.where)
        usual: dict[str, Counter] = defaultdict(Counter)
        for p, c in zip(printed, converted):
            if p != c:
                usual[c][p] += 1
        for p, c in zip(printed, converted):
            if p == c and c in usual:
                usual[c][p] += 1
        self.usual = dict(usual)


@lru_cache(maxsize=4)
def _page_index(printed: str, converted: str) -> _PageIndex:
    return _PageIndex(printed, converted)
