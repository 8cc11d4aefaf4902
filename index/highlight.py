"""Snippets with the matched words marked, the same for every keyword backend."""

from __future__ import annotations

from pipeline.script import to_simplified
from pipeline.segment import fold_width

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
_SENTENCE_END = "。！？!?\n"


def find_term_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans where query words occur, longest words first."""
    folded = to_simplified(fold_width(text)).lower()  # same length as text, so spans map back 1:1
    taken = [False] * len(text)
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if t.strip()}, key=len, reverse=True):
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                spans.append((start, end))
                for i in range(start, end):
                    taken[i] = True
            start = folded.find(term, end)
    return sorted(spans)


def best_window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The ``width``-character window holding the most matches, nudged back to a sentence start."""
    if not spans:
        return 0, min(len(text), width)
    best, best_start = -1, 0
    for s, _ in spans:
        n = sum(1 for a, b in spans if a >= s and b <= s + width)
        if n > best:
            best, best_start = n, s
    start = best_start
    for i in range(best_start - 1, max(-1, best_start - width // 3), -1):
        if text[i] in _SENTENCE_END:
            start = i + 1
            break
    else:
        start = max(0, best_start - width // 4)
    return start, min(len(text), start + width)


def _merge_touching(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """4000|万|元 reads better as one mark than three."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def make_snippet(text: str, terms: list[str], width: int = 120, mark: tuple[str, str] = (MARK_OPEN, MARK_CLOSE)) -> str:
    """A window of ``text`` around the densest cluster of query words, each marked."""
    spans = _merge_touching(find_term_spans(text, terms))
    a, b = best_window(text, spans, width)
    out, i = [], a
    for s, e in spans:
        if s < a or e > b:
            continue
        out.append(text[i:s])
        out.append(mark[0] + text[s:e] + mark[1])
        i = e
    out.append(text[i:b])
    snippet = "".join(out).replace("\n", " ")
    return ("…" if a > 0 else "") + snippet + ("…" if b < len(text) else "")
