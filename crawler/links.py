"""Dates and links shared by the spiders: which days to ask for, what an e-paper URL says
(layout or article, issue date, page), and which links on a page to follow.

Pure functions over strings and dates, except `follow_links`, which reads a Scrapy response.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

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


def canonical_url(url: str) -> str:
    """The URL an e-paper page is known by: no query string, no fragment, no doubled
    slashes. Every page shape these systems use is fully named by its path, and a query
    (`content_5.htm?div=-1`, `?loop=7`) would otherwise make one page many."""
    u = urlsplit(url)
    return urlunsplit((u.scheme.lower(), u.netloc.lower(), re.sub(r"/{2,}", "/", u.path), "", ""))


# Link schemes that are never pages of the site (javascript:, mailto:, file: …); after
# joining, only http and https URLs are followed.
_NOT_WEB = re.compile(r"^\s*(?:javascript|mailto|file|data|tel|ftp|about|blob|vbscript):", re.I)


@dataclass(frozen=True)
class LinkScope:
    """Which hosts a crawl may follow links to.

    crawl_hosts: netlocs the crawl fetches from (the configured base URLs: the real site
    or a mirror). paper_hosts: the paper's own public host names; a link to one of them is
    the paper's, and is moved onto `base_url` when that is a mirror. Anything else is
    off-site and ignored.
    """

    base_url: str
    crawl_hosts: frozenset[str]
    paper_hosts: frozenset[str]

    @classmethod
    def of(cls, base_url: str, other_urls: tuple[str, ...] = (), paper_hosts: tuple[str, ...] = ()) -> LinkScope:
        netlocs = {urlsplit(u).netloc.lower() for u in (base_url, *other_urls) if urlsplit(u).netloc}
        return cls(base_url, frozenset(netlocs), frozenset(h.lower() for h in paper_hosts))

    def resolve(self, href: str, page_url: str) -> tuple[str | None, str]:
        """(canonical absolute URL on the crawl's host, "") for a link to follow, or
        (None, why) — "empty", "scheme", "offsite" — for one to ignore."""
        href = (href or "").strip()
        if not href or href.startswith("#"):
            return None, "empty"
        if _NOT_WEB.match(href):
            return None, "scheme"
        url = urljoin(page_url, href)
        u = urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            return None, "scheme"
        if u.netloc.lower() in self.crawl_hosts:
            return canonical_url(url), ""
        if u.hostname.lower() in self.paper_hosts:
            return canonical_url(rebase(url, self.base_url)), ""
        return None, "offsite"


@dataclass(frozen=True)
class PageRef:
    """What an e-paper URL says about the page behind it."""

    kind: str  # "layout" | "article"
    date: str | None  # ISO issue date; None when the URL carries none (陕西工人报 xpaper)
    page: str | None  # 版次 when the URL carries it, two digits ("02")


_GRRB = re.compile(
    r"/papers/grrb/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<page>\d{1,3})/"
    r"(?:page|news-(?P<seq>\d+))\.html?$"
)
_LEGACY = re.compile(
    r"/sites/media/(?P<paper>[A-Za-z]+)/(?P<y>\d{4})_(?P<m>\d{2})/(?P<d>\d{2})/"
    r"GR(?P<page>\d{2})(?P<seq>\d{2})\.htm$",
    re.IGNORECASE,
)
# Founder systems: dated layout pages node_N.htm and articles content_N.htm (劳动午报,
# 浙江工人日报) or a bare number N.html (陕西工人报, also under /m/ for phones).
_FOUNDER_DATED = re.compile(
    r"/(?P<y>\d{4})-(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?:node_(?P<node>\d+)|content_(?P<content>\d+)|(?P<number>\d{3,9}))\.html?$"
)
# 陕西工人报's newer system: /xpaper/news/{issue}/{page}/{article}-{part}.shtml, undated.
_XPAPER = re.compile(r"/xpaper/news/\d+/\d+/\d+-\d+\.shtml$")
# 第03版, 第3版, 00003版 (浙江工人日报 prints five digits), 第8835期:第02版 → the 版 number.
_PAGE_LABEL = re.compile(r"(?:第\s*(\d{1,3})\s*版|(?<![\d期])(\d{1,5})\s*版)")
_PAGE_IN_JSON = re.compile(r"/(\d{1,3})/page\.html?$|grrb\d{8}(\d{2,3})\.pdf$")


def _two_digits(page: str) -> str:
    return str(int(page)).zfill(2)


def grrb_ref(url: str) -> PageRef | None:
    """…/papers/grrb/2016/01/22/2/page.html (layout) or …/2/news-5.html (article); the page
    number is unpadded on the real site, padded on some copies: both are read."""
    m = _GRRB.search(urlsplit(url).path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    return PageRef("article" if m["seq"] else "layout", day, _two_digits(m["page"]))


def legacy_ref(url: str) -> PageRef | None:
    """…/sites/media/grrb/2013_12/06/GR0100.htm (layout: sequence 00) or GR0103.htm."""
    m = _LEGACY.search(urlsplit(url).path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    return PageRef("layout" if m["seq"] == "00" else "article", day, m["page"])


def founder_ref(url: str) -> PageRef | None:
    """…/content/2014-09/25/node_2.htm (layout), content_261.htm, 347565.html or
    /xpaper/news/624/3054/26593-1.shtml (articles). Founder URLs carry no page number:
    the layout page's labels (第03版, 00003版) supply it."""
    path = urlsplit(url).path
    if _XPAPER.search(path):
        return PageRef("article", None, None)
    m = _FOUNDER_DATED.search(path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    return PageRef("layout" if m["node"] else "article", day, None)


def page_label(text: str) -> str | None:
    """'03' from '第03版：工会' / '第3版' / '00003版:职业·教育' / '第8835期:第02版 综合'."""
    m = _PAGE_LABEL.search(text or "")
    if not m:
        return None
    number = m.group(1) or m.group(2)
    return _two_digits(number) if int(number) > 0 else None


@dataclass(frozen=True)
class IndexedPage:
    """One page of a Workers' Daily day index: its number and, when given, its URL."""

    page: str  # two digits
    url: str | None  # as the index gives it (absolute or relative); None: build it


def day_index_pages(data: object) -> list[IndexedPage]:
    """The pages a grrb day index {"pages": [...]} lists, in order. Entries may be numbers,
    URLs, or objects holding either; a layout URL is kept as given, to be followed."""
    entries = data.get("pages", []) if isinstance(data, dict) else []
    found: dict[str, IndexedPage] = {}

    def number(value: object) -> str | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            return _two_digits(str(value).strip()) if int(value) > 0 else None
        if isinstance(value, str):
            m = _PAGE_IN_JSON.search(value.strip())
            if m:
                return _two_digits(m.group(1) or m.group(2))
        return None

    def layout_url(value: object) -> str | None:
        if isinstance(value, str) and re.search(r"/\d{1,3}/page\.html?$", value.strip()):
            return value.strip()
        return None

    for entry in entries if isinstance(entries, list) else []:
        values = [entry]
        if isinstance(entry, dict):
            numeric = [v for k, v in entry.items() if re.search(r"(?i)^(page)?(no|num|number|id)$|^page$", k)]
            values = numeric + list(entry.values())
        page = next((p for p in map(number, values) if p), None)
        url = next((u for u in map(layout_url, values) if u), None)
        if page and page not in found:
            found[page] = IndexedPage(page, url)
    return list(found.values())


def pages_in_day_index(data: object) -> list[str]:
    """Page numbers ('01', '02', …) a grrb day index lists."""
    return [p.page for p in day_index_pages(data)]


@dataclass(frozen=True)
class Link:
    url: str  # canonical, on the crawl's host
    ref: PageRef
    text: str  # the link's text (a page link's 第NN版 label)


def follow_links(
    response: Response,
    css: str,
    ref_of: Callable[[str], PageRef | None],
    scope: LinkScope,
    *,
    day: str | None,
    kinds: tuple[str, ...] = ("layout", "article"),
    ignored: Counter | None = None,
) -> list[Link]:
    """Each link under `css` (href of <a>/<area>) that is an e-paper page of the wanted
    kinds for the same issue day (or carries no date), once, in page order. Links are
    followed as the page gives them — relative or absolute, numbers padded or not — but
    only onto the paper's own hosts, canonicalised; `ignored` counts the others by why
    (scheme, offsite, other_day, not_a_page)."""
    seen: set[str] = set()
    links: list[Link] = []
    for node in response.css(css):
        url, why = scope.resolve(node.attrib.get("href", ""), response.url)
        ref = ref_of(url) if url else None
        if url and ref is None:
            why = "not_a_page"
        elif ref is not None and day and ref.date and ref.date != day:
            why = "other_day"
        if why:
            if ignored is not None:
                ignored[why] += 1
            continue
        assert url is not None and ref is not None  # resolve() names a reason whenever it gives no URL
        if ref.kind not in kinds or url in seen:
            continue
        seen.add(url)
        links.append(Link(url, ref, " ".join(node.css("::text").getall()).strip() or node.attrib.get("title", "")))
    return links
