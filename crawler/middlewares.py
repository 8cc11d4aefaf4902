"""Downloader middlewares: back-off before retries, and a robots.txt check that holds for
every request (see RobotsTxtMiddleware below).

Scrapy's RetryMiddleware re-sends a request after a 5xx or a timeout at once; a struggling
origin deserves a pause. RetryBackoffMiddleware waits RETRY_BACKOFF_BASE * 2**(n-1) seconds
(capped at RETRY_BACKOFF_MAX) before the n-th retry goes out. The wait holds one of the
crawl's concurrent slots, which slows the crawl down while the site recovers.
"""
from __future__ import annotations

import asyncio
import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


def backoff_delay(retry_number: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `retry_number` (1 for the first retry)."""
    if retry_number < 1 or base <= 0:
        return 0.0
    return min(cap, base * 2 ** (retry_number - 1))


class RetryBackoffMiddleware:
    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RetryBackoffMiddleware":
        s = crawler.settings
        return cls(s.getfloat("RETRY_BACKOFF_BASE"), s.getfloat("RETRY_BACKOFF_MAX"))

    async def process_request(self, request: Request) -> None:
        delay = backoff_delay(request.meta.get("retry_times", 0), self.base, self.cap)
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
