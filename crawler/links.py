"""Dates and links shared by the spiders: which days to ask for, which pages a grrb day
index lists, and which links on a page to follow (what an e-paper URL says is crawler.urls).

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

from crawler.urls import PageRef, normalize_page


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


# The grrb day index names pages by number, layout URL or PDF (…/grrb2016012202.pdf).
_PAGE_IN_JSON = re.compile(r"/(\d{1,3})/page\.html?$|grrb\d{8}(\d{2,3})\.pdf$")


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
            return normalize_page(str(value).strip()) if int(value) > 0 else None
        if isinstance(value, str):
            m = _PAGE_IN_JSON.search(value.strip())
            if m:
                return normalize_page(m.group(1) or m.group(2))
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
