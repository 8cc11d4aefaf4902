"""What every e-paper spider shares: arguments, article requests, delivery, error counting.

A spider walks issue days → layout pages → article pages. It never parses an article: each
article response becomes a FetchedPage item, which crawler.delivery hands to on_page.
"""
from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import CrawlStats, FetchedPage
from crawler.links import PageRef, days_between, parse_day

logger = logging.getLogger(__name__)

ARTICLE_PRIORITY = 10  # finish the articles of a page before opening the next page


def never_known(url: str) -> bool:
    return False


class EpaperSpider(scrapy.Spider):
    """Base class; subclasses set name/system/base_setting/source_setting and the parsers."""

    system: str = ""
    base_setting: str = ""
    source_setting: str = ""

    def __init__(
        self,
        start: str | date | None = None,
        end: str | date | None = None,
        base_url: str | None = None,
        on_page: Callable[[FetchedPage], None] | None = None,
        known_url: Callable[[str], bool] | None = None,
        progress: Callable[[CrawlStats], None] | None = None,
        crawl_stats: CrawlStats | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if start is None:
            raise ValueError(f"{self.name}: a start date is required (start=YYYY-MM-DD)")
        self.first_day = parse_day(start, "start")
        self.last_day = parse_day(end, "end") if end is not None else self.first_day
        if self.last_day < self.first_day:
            raise ValueError(f"{self.name}: end {self.last_day} is before start {self.first_day}")
        self.base_url_arg = base_url
        self.on_page = on_page
        self.known_url = known_url or never_known
        self.progress = progress
        self.crawl_stats = crawl_stats if crawl_stats is not None else CrawlStats()
        self.crawl_stats.system = self.system
        self._started_at = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "EpaperSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.base_url = (spider.base_url_arg or settings.get(cls.base_setting)).rstrip("/")
        spider.source = settings.get(cls.source_setting, "") if cls.source_setting else ""
        spider.configure(settings)
        spider.allowed_domains = sorted({urlsplit(u).hostname for u in spider.site_urls() if urlsplit(u).hostname})
        # response_downloaded sees every response, including the 5xx that RetryMiddleware
        # turns into a retry (response_received never does).
        crawler.signals.connect(spider._count_response, signal=signals.response_downloaded)
        crawler.signals.connect(spider._finish, signal=signals.spider_closed)
        return spider

    # ---------------------------------------------------------------- for subclasses
    def configure(self, settings) -> None:
        """Read system-specific settings (after base_url and source are known)."""

    def site_urls(self) -> list[str]:
        """Every base URL this spider may fetch from (its allowed domains)."""
        return [self.base_url]

    # ---------------------------------------------------------------- requests
    def layout_request(self, url: str, day: str, page: str | None, **meta: Any) -> Request:
        return Request(
            url, callback=self.parse_layout, errback=self.on_error, meta={"day": day, "page": page, **meta}
        )

    def article_request(self, url: str, ref: PageRef, page: str | None) -> Request | None:
        """A request for an article page, or None when the store already holds it."""
        if self.known_url(url):
            self.crawl_stats.skipped_known += 1
            return None
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"day": ref.date, "page": page or ref.page},
            priority=ARTICLE_PRIORITY,
        )

    def parse_layout(self, response: Response) -> Iterator[Request]:
        raise NotImplementedError

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        if not isinstance(response, TextResponse) or not response.body.strip():
            self.count_error("bad_page", f"not an HTML page ({response.headers.get('Content-Type', b'?').decode()})", response.url)
            return
        # The URL as linked (before any redirect) is what known_url() is asked about later.
        url = response.meta.get("redirect_urls", [response.url])[0]
        yield FetchedPage(
            url=url,
            body=response.body,
            encoding=response.encoding,
            date=response.meta.get("day"),
            page=response.meta.get("page"),
            system=self.system,
            source=self.source,
        )

    def html_or_count(self, response: Response) -> bool:
        """Layout and index pages must be text; anything else is a bad page."""
        if isinstance(response, TextResponse) and response.body.strip():
            return True
        self.count_error("bad_page", "empty or non-text page", response.url)
        return False

    # ---------------------------------------------------------------- counting
    def on_error(self, failure: Failure) -> None:
        """Errback of every request: log, count by reason, skip."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError):
            status = failure.value.response.status
            self.count_error(f"http_{status}", f"HTTP {status}", url)
        elif failure.check(IgnoreRequest):
            forbidden = "robots" in str(failure.value).lower()
            reason = "robots_forbidden" if forbidden else "ignored"
            self.crawl_stats.errors[reason] += 1
            logger.info("%s: %s", reason, url)
        else:
            self.count_error(type(failure.value).__name__, str(failure.value) or "download failed", url)
        self.report_progress()

    def count_error(self, reason: str, message: str, url: str) -> None:
        self.crawl_stats.errors[reason] += 1
        logger.warning("%s: skipped %s (%s)", self.system, url, message)

    def _count_response(self, response: Response, request: Request, spider: scrapy.Spider) -> None:
        stats = self.crawl_stats
        url = urlsplit(response.url)
        if url.scheme not in ("http", "https"):  # e.g. the data: polls of crawler.distributed
            return
        stats.status_counts[response.status] += 1
        if 200 <= response.status < 300 and not url.path.endswith("/robots.txt"):
            stats.pages_fetched += 1
        self.report_progress()

    def report_progress(self) -> None:
        stats = self.crawl_stats
        stats.retries = self.crawler.stats.get_value("retry/count", 0)
        stats.elapsed_s = time.monotonic() - self._started_at
        if self.progress is not None:
            self.progress(stats)

    def _finish(self, spider: scrapy.Spider, reason: str) -> None:
        self.crawl_stats.finish_reason = reason
        self.report_progress()

    # ---------------------------------------------------------------- helpers
    def days(self) -> list[date]:
        return days_between(self.first_day, self.last_day)

    def in_range(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day
