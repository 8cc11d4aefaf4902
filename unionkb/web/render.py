"""Pure functions from archive data to safe HTML pieces, chart data and export text.

Everything that comes from the archive is text to show, never markup: each function here
escapes it and adds only tags it writes itself (``<mark>``, ``<a>`` to our own pages,
``<svg>``). The one markup the library hands over, ``<mark>…</mark>`` around matched
words in a snippet, is rebuilt from the escaped pieces.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_MARK_SPLIT = re.compile(r"(<mark>|</mark>)")


def snippet_html(snippet: str) -> Markup:
    """A library snippet (matched words in <mark>…</mark>) as HTML with everything else escaped."""
    out, depth = [], 0
    for part in _MARK_SPLIT.split(snippet or ""):
        if part == "<mark>":
            if depth == 0:
                out.append("<mark>")
            depth += 1
        elif part == "</mark>":
            if depth == 1:
                out.append("</mark>")
            depth = max(0, depth - 1)
        else:
            out.append(str(escape(part)))
    if depth:
        out.append("</mark>")
    return Markup("".join(out))


def plain_snippet(snippet: str) -> str:
    """The snippet without its marks (for CSV)."""
    return _MARK_SPLIT.sub("", snippet or "")


def safe_url(url: str | None) -> str | None:
    """The URL if it is a web address we may link to (no javascript:, data:, …), else None."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


# -- text with spans -------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """A stretch of text to wrap: ``kind`` becomes a CSS class; ``href`` makes it a link."""

    start: int
    end: int
    kind: str
    href: str | None = None
    title: str = ""


def non_overlapping(spans: Iterable[Span]) -> list[Span]:
    """Longest spans first, dropping any that overlaps one already kept; in text order."""
    kept: list[Span] = []
    for s in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if s.end <= s.start:
            continue
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def annotate_html(
    text: str, spans: Sequence[Span], highlight: tuple[int, int] | None = None, paragraphs: bool = False
) -> Markup:
    """``text`` escaped, with each span wrapped (a link when it has an href) and the
    ``highlight`` range inside <mark class="evidence">; with ``paragraphs`` each line
    becomes a <p>. Spans must not overlap (see non_overlapping)."""
    text = text or ""
    cuts = {0, len(text)}
    for s in spans:
        cuts.update((max(0, s.start), min(len(text), s.end)))
    if highlight:
        hs, he = max(0, highlight[0]), min(len(text), highlight[1])
        if hs < he:
            cuts.update((hs, he))
        else:
            highlight = None
    points = sorted(cuts)
    by_start = {s.start: s for s in spans}
    out: list[str] = []
    open_span: Span | None = None
    first_mark = True
    for a, b in zip(points, points[1:]):
        if open_span is not None and a >= open_span.end:
            open_span = None
        if a in by_start and by_start[a].end > a:
            open_span = by_start[a]
        # wrap line by line, so a paragraph break never falls inside a tag
        lines = text[a:b].split("\n") if paragraphs and open_span is None else [text[a:b].replace("\n", " ")]
        wrapped = []
        for line in lines:
            piece = str(escape(line))
            if open_span is not None:
                cls = f"ent ent-{escape(open_span.kind)}"
                title = f' title="{escape(open_span.title)}"' if open_span.title else ""
                if open_span.href:
                    piece = f'<a class="{cls}" href="{escape(open_span.href)}"{title}>{piece}</a>'
                else:
                    piece = f'<span class="{cls}"{title}>{piece}</span>'
            if piece and highlight and highlight[0] <= a and b <= highlight[1]:
                anchor = ' id="evidence"' if first_mark else ""
                first_mark = False
                piece = f'<mark class="evidence"{anchor}>{piece}</mark>'
            wrapped.append(piece)
        out.append("</p><p>".join(wrapped))
    html = "".join(out)
    if paragraphs:
        html = "<p>" + html + "</p>"
        html = html.replace("<p></p>", "")
    return Markup(html)


def shared_spans(text: str, probe: str, min_len: int = 2) -> list[tuple[int, int]]:
    """Stretches of ``text`` (``min_len`` characters or more) that also occur in ``probe``,
    longest first, greedily: which words of a question a sentence repeats."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        best = 0
        for j in range(n, i + min_len - 1, -1):
            if text[i:j] in probe and not text[i:j].isspace():
                best = j - i
                break
        if best >= min_len:
            spans.append((i, i + best))
            i += best
        else:
            i += 1
    return spans


def mark_html(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    return annotate_html(text, [Span(s, e, "hit") for s, e in spans])


# -- counts over time ------------------------------------------------------------------------
@dataclass(frozen=True)
class Bucket:
    label: str  # 2019 or 2019-05
    since: str  # first day, ISO
    until: str  # last day, ISO
    count: int


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def time_buckets(dates: Iterable[str | None], max_months: int = 36) -> list[Bucket]:
    """Counts per month when the dates span few enough months, else per year; empty
    periods in between are kept (a gap is information). Undated articles are left out."""
    months: dict[tuple[int, int], int] = {}
    for d in dates:
        if d and len(d) >= 7 and d[:4].isdigit() and d[5:7].isdigit():
            key = (int(d[:4]), int(d[5:7]))
            months[key] = months.get(key, 0) + 1
    if not months:
        return []
    lo, hi = min(months), max(months)
    span = (hi[0] - lo[0]) * 12 + hi[1] - lo[1] + 1
    if span <= max_months:
        out = []
        y, m = lo
        while (y, m) <= hi:
            last = _DAYS_IN_MONTH[m - 1] if m != 2 or _leap(y) else 28
            out.append(Bucket(f"{y}-{m:02d}", f"{y}-{m:02d}-01", f"{y}-{m:02d}-{last:02d}", months.get((y, m), 0)))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    years: dict[int, int] = {}
    for (y, _), n in months.items():
        years[y] = years.get(y, 0) + n
    return [Bucket(str(y), f"{y}-01-01", f"{y}-12-31", years.get(y, 0)) for y in range(lo[0], hi[0] + 1)]


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def chart_svg(
    buckets: Sequence[Bucket], hrefs: Sequence[str] | None = None, width: int = 320, height: int = 140
) -> Markup:
    """A bar chart of the buckets as inline SVG (no script): each bar carries its count in a
    tooltip and, with ``hrefs``, links to that period's search."""
    if not buckets:
        return Markup("")
    top = max(b.count for b in buckets) or 1
    pad_l, pad_b, pad_t = 18, 18, 14  # side padding leaves room for the first and last labels
    n = len(buckets)
    slot = (width - pad_l * 2) / n
    bar = max(2.0, slot * 0.72)
    plot_h = height - pad_b - pad_t
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape("按时间的文章数")}" xmlns="http://www.w3.org/2000/svg">'
    ]
    parts.append(f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - pad_l}" y2="{height - pad_b}" class="axis"/>')
    every = max(1, round(n / 6))  # at most ~6 labels
    for i, b in enumerate(buckets):
        x = pad_l + i * slot + (slot - bar) / 2
        h = 0 if b.count == 0 else max(1.5, plot_h * b.count / top)
        y = height - pad_b - h
        tip = f"{b.label}：{b.count} 篇"
        rect = (
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        # a transparent full-height target makes thin bars easy to tap
        hit = (
            f'<rect class="hit" x="{pad_l + i * slot:.1f}" y="{pad_t}" width="{slot:.1f}" '
            f'height="{plot_h}"><title>{escape(tip)}</title></rect>'
        )
        if hrefs and b.count:
            parts.append(f'<a href="{escape(hrefs[i])}">{hit}{rect}</a>')
        else:
            parts.append(rect)
        if b.count == top:
            parts.append(f'<text class="val" x="{x + bar / 2:.1f}" y="{y - 3:.1f}">{b.count}</text>')
        if i % every == 0:
            label = b.label if len(b.label) == 4 or i == 0 or b.label.endswith("-01") else b.label[5:]
            parts.append(f'<text class="lbl" x="{x + bar / 2:.1f}" y="{height - 4}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# -- export ----------------------------------------------------------------------------------
def to_csv(rows: Iterable[dict], columns: Sequence[str]) -> str:
    """CSV text with a header; lists become 、-joined; a BOM so spreadsheet programs read UTF-8."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple, set)):
        return "、".join(str(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_cell(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    # a cell starting with = + - @ is a formula to a spreadsheet: keep it text
    return "'" + s if s[:1] in ("=", "+", "-", "@") else s
