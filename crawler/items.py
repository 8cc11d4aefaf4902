"""What the crawler hands out: one fetched article page, and the counts of a crawl.

Plain dataclasses; the crawler does not parse articles (pipeline/html.py does).
"""
from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field


def _body_for_feeds(body: bytes) -> str:
    return base64.b64encode(body).decode("ascii")


@dataclass
class FetchedPage:
    """An article page as fetched, with what the URL and its layout page said about it."""

    url: str  # the URL actually fetched (a mirror's URL when crawling a mirror)
    # Raw bytes, undecoded. Scrapy feed exports (scrapy crawl … -O pages.jsonl) write it base64.
    body: bytes = field(metadata={"serializer": _body_for_feeds})
    encoding: str | None  # as Scrapy resolved it from HTTP header, BOM or <meta>
    date: str | None  # ISO issue date from the URL
    page: str | None  # 版次, e.g. "03"
    system: str  # "grrb" | "grrb-legacy" | "founder"
    source: str  # outlet, e.g. 工人日报


@dataclass
class CrawlStats:
    """Counts for one crawl; also what the progress callback receives while it runs."""

    system: str = ""
    pages_fetched: int = 0  # 2xx responses, robots.txt not counted
    article_pages: int = 0  # handed to on_page
    layout_pages: int = 0  # day indexes and page layouts read for links
    skipped_known: int = 0  # article links never requested because known_url() said so
    retries: int = 0  # requests sent again after a 5xx or a timeout
    status_counts: Counter = field(default_factory=Counter)  # HTTP status → responses, all requests
    errors: Counter = field(default_factory=Counter)  # reason → count, e.g. http_404, robots_forbidden
    finish_reason: str = ""
    elapsed_s: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> str:
        """One line for a CLI: pages, articles, skipped, errors by reason."""
        errors = ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "none"
        rate = self.pages_fetched / self.elapsed_s if self.elapsed_s else 0.0
        return (
            f"{self.system}: {self.pages_fetched} pages fetched ({rate:.1f}/s), "
            f"{self.article_pages} articles, {self.skipped_known} skipped as known, "
            f"{self.retries} retries, errors: {errors} [{self.finish_reason or 'running'}]"
        )
