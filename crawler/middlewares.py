"""Downloader middlewares: back-off before retries (honouring Retry-After), no redirects
off the site, and a robots.txt check that holds for every request.

Scrapy's RetryMiddleware re-sends a request after a 5xx or a timeout at once; a struggling
origin deserves a pause. RetryBackoffMiddleware waits RETRY_BACKOFF_BASE * 2**(n-1) seconds
(capped at RETRY_BACKOFF_MAX) before the n-th retry goes out, or as long as the server's
Retry-After asked when that is longer (RetryAfterMiddleware reads it; a wait beyond
RETRY_AFTER_MAX is not waited for: the page is given up). The wait holds one of the crawl's
concurrent slots, which slows the crawl down while the site recovers.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


def backoff_delay(retry_number: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `retry_number` (1 for the first retry)."""
    if retry_number < 1 or base <= 0:
        return 0.0
    return min(cap, base * 2 ** (retry_number - 1))


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for: delta-seconds or an HTTP date; None when
    absent or unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, plus: a 429/503 carrying Retry-After is retried no sooner than it
    asks (the wait is applied by RetryBackoffMiddleware), or given up when it asks for
    more than RETRY_AFTER_MAX seconds."""

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX")

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return self._retry(request, response_status_message(response.status)) or response
        if wait > self.max_wait:
            logger.warning(
                "%s asks to retry after %.0fs (more than %.0fs): giving up on it", request.url, wait, self.max_wait
            )
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        retry.meta["retry_after"] = wait
        return retry


class OffsiteRedirectMiddleware:
    """A redirect to another host is not followed: the page is dropped and counted
    (errback sees IgnoreRequest "redirect off the site …"). Same-host redirects (http to
    https, a moved path) go on to Scrapy's RedirectMiddleware, which runs after this."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        target = urlsplit(urljoin(request.url, location.decode("latin-1").strip())).hostname
        allowed = set(getattr(self.crawler.spider, "allowed_domains", None) or ()) | {urlparse_cached(request).hostname}
        if target not in allowed:
            raise IgnoreRequest(f"redirect off the site to {target!r}")
        return response


class RetryBackoffMiddleware:
    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        s = crawler.settings
        return cls(s.getfloat("RETRY_BACKOFF_BASE"), s.getfloat("RETRY_BACKOFF_MAX"))

    async def process_request(self, request: Request) -> None:
        delay = backoff_delay(request.meta.get("retry_times", 0), self.base, self.cap)
        delay = max(delay, request.meta.get("retry_after", 0.0))
        if delay:
            logger.info("Backing off %.2fs before retry %d of %s", delay, request.meta["retry_times"], request.url)
            await asyncio.sleep(delay)
        return None


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with every waiting request really checked.

    In Scrapy 2.19 (asyncio), requests that arrive while robots.txt is still downloading
    all await one shared Deferred; turning a Deferred into a Future consumes its result,
    so every waiter but the first gets None and goes out unchecked (seen here: a resumed
    JOBDIR crawl fetched a page robots.txt forbids). Each waiter gets its own copy here.
    """

    async def robot_parser(self, request: Request):
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            mine: Deferred = Deferred()

            def relay(result):
                mine.callback(result)
                return result  # keep the result for the next waiter

            pending.addCallback(relay)
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)
