"""A field's text as the extractors read it, and jieba word boundaries within it."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from ..segment import jieba_tokenizer

_SPACE_RUN = re.compile(r"[ \t\u3000\xa0]+")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


@dataclass(frozen=True)
class FieldText:
    """A field's text with OCR line-break spaces removed (肃北 蒙古族自治县 → 肃北蒙古族自治县).

    Matching runs on ``compact``; ``original_offsets`` maps each compact index back to the original.
    """

    field: str
    original: str
    compact: str
    original_offsets: tuple[int, ...] | None  # None when nothing was removed
    sentence_starts: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Compact offsets → offsets in the original field text."""
        if self.original_offsets is None:
            return start, end
        if end <= start:
            p = self.original_offsets[start] if start < len(self.original_offsets) else len(self.original)
            return p, p
        return self.original_offsets[start], self.original_offsets[end - 1] + 1

    def sentence(self, pos: int) -> tuple[int, int]:
        """(start, end) of the sentence holding compact position ``pos``."""
        i = bisect.bisect_right(self.sentence_starts, pos) - 1
        start = self.sentence_starts[max(i, 0)]
        end = self.sentence_starts[i + 1] if i + 1 < len(self.sentence_starts) else len(self.compact)
        return start, end


def _is_joinable(ch: str) -> bool:
    return ("\u4e00" <= ch <= "\u9fff") or ch.isdigit() or ch in '“”"《》（）()、，。'


def field_text(field_name: str, text: str) -> FieldText:
    """``text`` with the spaces an OCR line break left between two Han characters removed."""
    if not _SPACE_RUN.search(text):
        compact, offsets = text, None
    else:
        parts: list[str] = []
        offset_list: list[int] = []
        last = 0
        for m in _SPACE_RUN.finditer(text):
            a, b = m.start(), m.end()
            before = text[a - 1] if a else ""
            after = text[b] if b < len(text) else ""
            removable = bool(before and after) and _is_joinable(before) and _is_joinable(after)
            if before.isdigit() and after.isdigit():
                removable = False  # "2 0 0" stays apart
            if removable:
                parts.append(text[last:a])
                offset_list.extend(range(last, a))
                last = b
        parts.append(text[last:])
        offset_list.extend(range(last, len(text)))
        compact = "".join(parts)
        offsets = tuple(offset_list) if len(compact) != len(text) else None
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(compact) if m.end() < len(compact)]
    return FieldText(field_name, text, compact, offsets, tuple(starts))


@lru_cache(maxsize=65536)
def _cuts(window: str) -> frozenset[int]:
    """Offsets where jieba (dictionary only, no HMM) puts word boundaries in ``window``; the same
    few place names recur in every article, so the windows repeat."""
    cuts = {0}
    pos = 0
    for word in jieba_tokenizer().cut(window, HMM=False):
        pos += len(word)
        cuts.add(pos)
    return frozenset(cuts)


def _token_bounds(text: str, start: int, end: int, pad: int = 4) -> set[int]:
    """Word boundaries jieba puts in a small window around [start, end)."""
    a, b = max(0, start - pad), min(len(text), end + pad)
    return {a + c for c in _cuts(text[a:b])}


def on_word_boundary(text: str, start: int, end: int, check_end: bool = True) -> bool:
    """True when no dictionary word crosses either edge of text[start:end] (only the start with ``check_end=False``)."""
    cuts = _token_bounds(text, start, end)
    return start in cuts and (end in cuts or not check_end)
