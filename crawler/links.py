"""Dates and links shared by the spiders: which days to ask for, what an e-paper URL says
(layout or article, issue date, page), and which links on a page to follow.

Pure functions over strings and dates, except `follow_links`, which reads a Scrapy response.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import Response


def parse_day(value: str | date, what: str = "date") -> date:
    """A date from 'YYYY-MM-DD' (or a date); ValueError naming `what` otherwise."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{what}: expected YYYY-MM-DD, got {value!r}") from None


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end inclusive (empty when end < start)."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    """(year, month) of every month touched by start..end, in order."""
    months: list[tuple[int, int]] = []
    for day in days_between(start, end):
        if not months or months[-1] != (day.year, day.month):
            months.append((day.year, day.month))
    return months


def iso_day(y: str | int, m: str | int, d: str | int) -> str | None:
    """'YYYY-MM-DD' when y-m-d is a real day, else None (URLs can carry nonsense)."""
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def join_url(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def rebase(url: str, base: str) -> str:
    """Move a link onto the configured host: layout pages sometimes link with absolute
    URLs to the publisher's own host, which must not pull a mirror crawl off the mirror."""
    u, b = urlsplit(url), urlsplit(base)
    if u.netloc == b.netloc:
        return url
    path = b.path.rstrip("/") + u.path
    return urlunsplit((b.scheme, b.netloc, path, u.query, ""))


@dataclass(frozen=True)
class PageRef:
    """What an e-paper URL says about the page behind it."""

    kind: str  # "layout" | "article"
    date: str  # ISO issue date
    page: str | None  # 版次 when the URL carries it


_GRRB = re.compile(
    r"/papers/grrb/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<page>\d{1,3})/"
    r"(?:page|news-(?P<seq>\d+))\.html?$"
)
_LEGACY = re.compile(
    r"/sites/media/(?P<paper>[A-Za-z]+)/(?P<y>\d{4})_(?P<m>\d{2})/(?P<d>\d{2})/"
    r"GR(?P<page>\d{2})(?P<seq>\d{2})\.htm$",
    re.IGNORECASE,
)
_FOUNDER = re.compile(
    r"/(?P<y>\d{4})-(?P<m>\d{2})/(?P<d>\d{2})/(?:node_(?P<node>\d+)|content_(?P<content>\d+))\.htm$"
)
_PAGE_LABEL = re.compile(r"第\s*(\d{1,3})\s*版")
_PAGE_IN_JSON = re.compile(r"/(\d{1,3})/page\.html?$|grrb\d{8}(\d{2,3})\.pdf$")


def grrb_ref(url: str) -> PageRef | None:
    """…/papers/grrb/2023/04/03/01/page.html (layout) or …/01/news-2.html (article)."""
    m = _GRRB.search(urlsplit(url).path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    return PageRef("article" if m["seq"] else "layout", day, m["page"].zfill(2))


def legacy_ref(url: str) -> PageRef | None:
    """…/sites/media/grrb/2013_12/06/GR0100.htm (layout: sequence 00) or GR0103.htm."""
    m = _LEGACY.search(urlsplit(url).path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    return PageRef("layout" if m["seq"] == "00" else "article", day, m["page"])


def founder_ref(url: str) -> PageRef | None:
    """…/content/2014-09/25/node_2.htm (layout) or content_261.htm (article); Founder
    URLs carry no page number: the layout page's `第NN版` labels supply it."""
    m = _FOUNDER.search(urlsplit(url).path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    return PageRef("layout" if m["node"] else "article", day, None)


def page_label(text: str) -> str | None:
    """'03' from '第03版：工会' / '第3版'."""
    m = _PAGE_LABEL.search(text or "")
    return m.group(1).zfill(2) if m else None


def pages_in_day_index(data: object) -> list[str]:
    """Page numbers ('01', '02', …) from a grrb day index {"pages": [...]}, whose entries
    may be numbers, URLs, or objects holding either; URLs are read for their page number
    only, never followed (they name the publisher's host)."""
    entries = data.get("pages", []) if isinstance(data, dict) else []
    found: list[str] = []

    def take(value: object) -> str | None:
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            return str(int(value)).zfill(2)
        if isinstance(value, str):
            m = _PAGE_IN_JSON.search(value.strip())
            if m:
                return (m.group(1) or m.group(2)).zfill(2)
        return None

    for entry in entries if isinstance(entries, list) else []:
        values = [entry]
        if isinstance(entry, dict):
            numeric = [v for k, v in entry.items() if re.search(r"(?i)^(page)?(no|num|number|id)$|^page$", k)]
            values = numeric + list(entry.values())
        page = next((p for p in map(take, values) if p), None)
        if page and page not in found:
            found.append(page)
    return found


def follow_links(
    response: Response,
    css: str,
    ref_of: Callable[[str], PageRef | None],
    base_url: str,
    *,
    day: str | None,
    kinds: tuple[str, ...] = ("layout", "article"),
) -> Iterator[tuple[str, PageRef, str]]:
    """(absolute URL on the configured host, PageRef, link text) for each link under `css`
    that is an e-paper page of the wanted kinds for the same issue day; each URL once."""
    seen: set[str] = set()
    for node in response.css(css):
        href = node.attrib.get("href", "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = rebase(response.urljoin(href).split("#", 1)[0], base_url)
        ref = ref_of(url)
        if ref is None or ref.kind not in kinds or (day and ref.date != day) or url in seen:
            continue
        seen.add(url)
        yield url, ref, " ".join(node.css("::text").getall()).strip()
