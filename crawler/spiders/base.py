"""What every e-paper spider shares: arguments, requests with a per-day budget, links
followed only onto the paper's own hosts, built URLs with fallbacks, delivery, and the
per-day accounting that decides whether a crawl did its job.

A spider walks issue days → layout pages → article pages. It never parses an article: each
article response becomes a FetchedPage item, which crawler.delivery hands to on_page.
Article pages are leaves: links on them are never followed.

Every request carries meta "day" (ISO issue day, when known) and "role" ("index",
"layout", "article"), so each response and each failure is counted against its day; at
the end every day in the range gets a verdict (crawler.items.DayStats.judge).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.distributed import is_redis_scheduler
from crawler.items import CrawlStats, FetchedPage
from crawler.links import Link, LinkScope, days_between, follow_links, parse_day
from crawler.urls import PageRef

logger = logging.getLogger(__name__)

ARTICLE_PRIORITY = 10  # finish the articles of a page before opening the next page


def never_known(url: str) -> bool:
    return False


def failure_reason(failure: Failure) -> str:
    """The error kind a failed request is counted under."""
    exc = failure.value
    if failure.check(HttpError):
        return f"http_{exc.response.status}"
    if failure.check(IgnoreRequest):
        text = str(exc).lower()
        if "robots" in text:
            return "robots_forbidden"
        if "maxsize" in text or "download_maxsize" in text:
            return "too_large"  # inflated past DOWNLOAD_MAXSIZE
        if "redirect off the site" in text:
            return "redirect_offsite"
        if "offsite" in text:
            return "offsite"
        return "ignored"
    if failure.check(DownloadCancelledError) and "max size" in str(exc).lower():
        return "too_large"
    if failure.check(DownloadTimeoutError, TimeoutError):
        return "timeout"
    return type(exc).__name__


class EpaperSpider(scrapy.Spider):
    """Base class; subclasses set name/system/base_setting/source_setting, the link lists of
    a layout page (page_links, article_links), ref_of and first_requests; page_number and
    shown_page when their URLs carry no page number (Founder: the 第NN版 labels do)."""

    system: str = ""
    page_links: str = ""  # CSS of a layout page's links to the issue's pages
    article_links: str = ""  # CSS of its links to its articles (may be the same list)
    base_setting: str = ""
    source_setting: str = ""
    hosts_setting: str = ""  # the paper's public hosts (links to them are followed)

    # Set in from_crawler (or by configure()), once the settings are known.
    base_url: str
    source: str
    allowed_domains: list[str]
    scope: LinkScope
    day_budget: int
    shared_queue: bool
    reach_timeout: float

    def __init__(
        self,
        start: str | date | None = None,
        end: str | date | None = None,
        base_url: str | None = None,
        on_page: Callable[[FetchedPage], None] | None = None,
        known_url: Callable[[str], bool] | None = None,
        progress: Callable[[CrawlStats], None] | None = None,
        crawl_stats: CrawlStats | None = None,
        paper: str | None = None,
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
        self.paper_arg = paper  # which paper of a host that carries several (founder, grrb-legacy)
        self.on_page = on_page
        self.known_url = known_url or never_known
        self.progress = progress
        self.crawl_stats = crawl_stats if crawl_stats is not None else CrawlStats()
        self.crawl_stats.system = self.system
        self._started_at = time.monotonic()
        self._requested: set[str] = set()  # canonical URLs this run asked for (or skipped as known)
        self._day_requests: Counter = Counter()
        self.site_index_missing = ""  # set when an index the site must have answers 404

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> EpaperSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.configure(settings)
        if not getattr(spider, "base_url", None):
            spider.base_url = (spider.base_url_arg or settings.get(cls.base_setting)).rstrip("/")
        if not getattr(spider, "source", None):
            spider.source = settings.get(cls.source_setting, "") if cls.source_setting else ""
        spider.configure_urls(settings)
        spider.crawl_stats.source = spider.source
        spider.allowed_domains = sorted({host for u in spider.site_urls() if (host := urlsplit(u).hostname)})
        spider.scope = LinkScope.of(spider.base_url, tuple(spider.site_urls()), spider.paper_hosts(settings))
        spider.day_budget = settings.getint("CRAWL_DAY_BUDGET")
        spider.shared_queue = is_redis_scheduler(settings)
        spider.reach_timeout = settings.getfloat("REACHABILITY_TIMEOUT")
        # response_downloaded sees every response, including the 5xx that RetryMiddleware
        # turns into a retry (response_received never does).
        crawler.signals.connect(spider._count_response, signal=signals.response_downloaded)
        crawler.signals.connect(spider._finish, signal=signals.spider_closed)
        return spider

    # ---------------------------------------------------------------- for subclasses
    def configure(self, settings) -> None:
        """Read system-specific settings; may set base_url and source itself."""

    def configure_urls(self, settings) -> None:
        """Anything that depends on base_url (called once it is known)."""

    def site_urls(self) -> list[str]:
        """Every base URL this spider fetches from (its allowed domains)."""
        return [self.base_url]

    def paper_hosts(self, settings) -> tuple[str, ...]:
        return tuple(settings.getlist(self.hosts_setting)) if self.hosts_setting else ()

    def ref_of(self, url: str) -> PageRef | None:
        """What a URL of this system says (crawler.urls); None for a URL that is not its page."""
        raise NotImplementedError

    def page_number(self, link: Link) -> str | None:
        """The page a layout link leads to: by default what its URL says."""
        return link.ref.page

    def shown_page(self, response: Response, pages: dict[str, str | None]) -> str | None:
        """The page a layout response shows, for its articles (`pages`: the page links it
        gives, URL → page_number). None: each article's own URL says (the default)."""
        return None

    # ---------------------------------------------------------------- start
    async def start(self):
        """Check that every site host answers a connection, then the spider's own first
        requests (first_requests). An unreachable host ends the crawl before any request,
        with CrawlStats.unreachable saying which and why."""
        if problem := await self.unreachable():
            self.crawl_stats.unreachable = problem
            logger.error("%s: %s", self.system, problem)
            return
        async for request in self.first_requests():
            if request is not None:
                yield request

    async def first_requests(self):
        raise NotImplementedError
        yield  # an async generator

    async def unreachable(self) -> str:
        """'' when every site host accepts a TCP connection (through the proxy when one is
        configured), else one line naming the URL and why not."""
        proxies = urllib.request.getproxies()
        checked: set[tuple[str, int]] = set()
        for url in self.site_urls():
            u = urlsplit(url)
            target = u
            if (proxy := proxies.get(u.scheme)) and not urllib.request.proxy_bypass(u.hostname or ""):
                target = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            host, port = target.hostname or "", target.port or (443 if target.scheme == "https" else 80)
            if (host, port) in checked:
                continue
            checked.add((host, port))
            try:
                _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self.reach_timeout)
            except socket.gaierror:
                why = f"cannot resolve host {host!r}"
            except ConnectionRefusedError:
                why = f"connection to {host}:{port} refused"
            except (TimeoutError, asyncio.TimeoutError):
                why = f"no answer from {host}:{port} within {self.reach_timeout:g}s"
            except OSError as exc:
                why = f"{host}:{port}: {exc.strerror or exc}"
            else:
                writer.close()
                continue
            return f"{url}: unreachable ({why})"
        return ""

    # ---------------------------------------------------------------- requests
    def page_request(
        self,
        url: str,
        *,
        role: str,
        day: str | None,
        callback: Callable,
        errback: Callable | None = None,
        priority: int = 0,
        **meta: Any,
    ) -> Request | None:
        """A request counted against its day's budget, or None when the day's budget is
        spent or the URL was already asked for in this run."""
        if url in self._requested:
            return None
        if day is not None:
            self._day_requests[day] += 1
            if self._day_requests[day] > self.day_budget:
                if self._day_requests[day] == self.day_budget + 1:
                    logger.warning(
                        "%s: %s used its budget of %d requests; not asking for more", self.system, day, self.day_budget
                    )
                self._count(day, "over_budget")
                return None
            if role == "layout":
                self.crawl_stats.day(day).layouts_requested += 1
        self._requested.add(url)
        return Request(
            url,
            callback=callback,
            errback=errback or self.on_error,
            priority=priority,
            meta={"day": day, "role": role, **meta},
        )

    def layout_request(self, url: str, day: str, page: str | None, **meta: Any) -> Request | None:
        return self.page_request(url, role="layout", day=day, callback=self.parse_layout, page=page, **meta)

    def built_request(
        self, candidates: list[tuple[str, str]], *, role: str, day: str, callback: Callable, **meta: Any
    ) -> Request | None:
        """A request for a URL the spider had to build, as (form, url) candidates in order
        of preference: the first is asked; on a 404 the next (see on_error); the form
        that answers is recorded for the day and the crawl."""
        (form, url), rest = candidates[0], candidates[1:]
        return self.page_request(url, role=role, day=day, callback=callback, url_form=form, alternatives=rest, **meta)

    def listed_layout_request(
        self, href: str, relative_to: str, day: str, page: str | None, built: list[tuple[str, str]], **meta: Any
    ) -> Request | None:
        """A layout page an index lists: its URL followed as given (onto a mirror when
        crawling one) when it is one of this system's layout pages on the paper's hosts;
        otherwise the URL built from (form, url) candidates (see built_request)."""
        url = self.scope.resolve(href, relative_to)[0] if href else None
        if url and (ref := self.ref_of(url)) is not None and ref.kind == "layout":
            return self.layout_request(url, day, page)
        return self.built_request(built, role="layout", day=day, callback=self.parse_layout, page=page, **meta)

    def article_request(self, link: Link, page: str | None, day: str) -> Request | None:
        """A request for an article page, or None when the store already holds it."""
        if link.url in self._requested:
            return None
        stats = self.crawl_stats.day(day)
        stats.article_links += 1
        if self.known_url(link.url):
            self._requested.add(link.url)
            self.crawl_stats.skipped_known += 1
            stats.skipped_known += 1
            return None
        return self.page_request(
            link.url,
            role="article",
            day=day,
            callback=self.parse_article,
            page=page or link.ref.page,
            priority=ARTICLE_PRIORITY,
        )

    def links(self, response: Response, css: str, kinds: tuple[str, ...]) -> list[Link]:
        return follow_links(
            response,
            css,
            self.ref_of,
            self.scope,
            day=response.meta.get("day"),
            kinds=kinds,
            ignored=self.crawl_stats.ignored_links,
        )

    def parse_layout(self, response: Response) -> Iterator[Request]:
        """A layout page: the issue's other pages (page_links), then this page's articles
        (article_links), each once; a layout page linking no article is counted as an error."""
        if not self.layout_read(response):
            return
        day = response.meta["day"]
        if self.page_links == self.article_links:  # one list holds both: read it once
            found = self.links(response, self.page_links, ("layout", "article"))
        else:
            found = self.links(response, self.page_links, ("layout",))
            found += self.links(response, self.article_links, ("article",))
        pages = {link.url: self.page_number(link) for link in found if link.ref.kind == "layout"}
        for url, page in pages.items():
            if request := self.layout_request(url, day, page):
                yield request
        articles = [link for link in found if link.ref.kind == "article"]
        if not articles:
            self.count_error("layout_without_articles", "no article links", response.url, day)
        shown = self.shown_page(response, pages)
        for link in articles:
            if request := self.article_request(link, shown, day):
                yield request

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        day = response.meta.get("day")
        if not isinstance(response, TextResponse) or not response.body.strip():
            header = response.headers.get("Content-Type", b"?")
            content_type = header.decode("latin-1") if header is not None else "?"
            self.count_error("bad_page", f"not an HTML page ({content_type})", response.url, day)
            return
        if day:
            self.crawl_stats.day(day).articles += 1
        # The URL as linked (before any redirect) is what known_url() is asked about later.
        url = response.meta.get("redirect_urls", [response.url])[0]
        yield FetchedPage(
            url=url,
            body=response.body,
            encoding=response.encoding,
            date=day,
            page=response.meta.get("page"),
            system=self.system,
            source=self.source,
        )

    def layout_read(self, response: Response) -> bool:
        """Layout and index pages must be text; anything else is a bad page. Counts the read."""
        if isinstance(response, TextResponse) and response.body.strip():
            self.crawl_stats.layout_pages += 1
            if day := response.meta.get("day"):
                self.crawl_stats.day(day).layouts_read += 1
            return True
        self.count_error("bad_page", "empty or non-text page", response.url, response.meta.get("day"))
        return False

    # ---------------------------------------------------------------- counting
    def on_error(self, failure: Failure) -> Iterator[Request]:
        """Errback of every request: a built URL that answered 404 tries its next form;
        otherwise the failure is logged and counted by kind against its day, and skipped.
        A 404 where the site thereby says "no issue that day" (meta no_issue_if_missing)
        marks the day instead of counting an error."""
        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        url = request.url if request is not None else "?"
        day = meta.get("day")
        reason = failure_reason(failure)
        if reason == "http_404" and request is not None and meta.get("alternatives"):
            (form, alt), rest = meta["alternatives"][0], meta["alternatives"][1:]
            logger.info("%s: %s answered 404; trying the %s form %s", self.system, url, form, alt)
            passed = {k: v for k, v in meta.items() if k in ("page", "no_issue_if_missing", "index")}
            retry = self.page_request(
                alt,
                role=meta.get("role", "layout"),
                day=day,
                callback=request.callback,
                errback=request.errback,
                url_form=form,
                alternatives=rest,
                **passed,
            )
            if retry is not None:
                if meta.get("role") == "layout" and day:
                    self.crawl_stats.day(day).layouts_requested -= 1  # one page, asked twice
                yield retry
                self.report_progress()
                return
        if reason == "http_404" and meta.get("no_issue_if_missing") and day:
            self.crawl_stats.day(day).no_issue = meta["no_issue_if_missing"]
            logger.info("%s: %s: %s", self.system, day, meta["no_issue_if_missing"])
        elif reason in ("robots_forbidden", "ignored"):
            self._count(day, reason)
            logger.info("%s: %s", reason, url)
        else:
            message = str(failure.value) or "download failed"
            if failure.check(HttpError):
                message = f"HTTP {failure.value.response.status}"
            self.count_error(reason, message, url, day)
        self.report_progress()

    def count_error(self, reason: str, message: str, url: str, day: str | None = None) -> None:
        self._count(day, reason)
        logger.warning("%s: skipped %s (%s)", self.system, url, message)

    def _count(self, day: str | None, reason: str) -> None:
        self.crawl_stats.errors[reason] += 1
        if day:
            self.crawl_stats.day(day).errors[reason] += 1

    def _count_response(self, response: Response, request: Request, spider: scrapy.Spider) -> None:
        stats = self.crawl_stats
        url = urlsplit(response.url)
        if url.scheme not in ("http", "https"):  # e.g. the data: polls of crawler.distributed
            return
        stats.status_counts[response.status] += 1
        if 200 <= response.status < 300 and not url.path.endswith("/robots.txt"):
            stats.pages_fetched += 1
            day = request.meta.get("day")
            if day:
                stats.day(day).pages += 1
            if form := request.meta.get("url_form"):
                stats.url_forms[form] += 1
                if day:
                    stats.day(day).url_form = form
                self.form_answered(form)
        self.report_progress()

    def form_answered(self, form: str) -> None:
        """A built URL of `form` answered: subclasses may prefer it from now on."""

    def report_progress(self) -> None:
        stats = self.crawl_stats
        stats.retries = self.crawler.stats.get_value("retry/count", 0)
        stats.elapsed_s = time.monotonic() - self._started_at
        if self.progress is not None:
            self.progress(stats)

    def _finish(self, spider: scrapy.Spider, reason: str) -> None:
        stats = self.crawl_stats
        stats.finish_reason = reason
        for day in self.days():
            stats.day(day.isoformat())
        for day_stats in stats.days.values():
            day_stats.judge(finished=reason == "finished", shared_queue=self.shared_queue)
        if self.site_index_missing and not (
            stats.article_pages
            or stats.skipped_known
            or any(d.articles or d.skipped_known for d in stats.days.values())
        ):
            stats.problem = f"nothing fetched and {self.site_index_missing}: is the base URL {self.base_url} right?"
        self.report_progress()

    # ---------------------------------------------------------------- helpers
    def days(self) -> list[date]:
        return days_between(self.first_day, self.last_day)

    def in_range(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day
