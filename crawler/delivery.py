"""Item pipeline that hands each FetchedPage to the crawl's on_page callback.

The callback is the caller's (crawler.run.crawl wires the project pipeline and store to it);
one page whose callback fails is logged and counted, and the crawl goes on.
"""

from __future__ import annotations

import logging

from scrapy import Spider
from scrapy.crawler import Crawler

from crawler.items import FetchedPage

logger = logging.getLogger(__name__)


class CallbackDelivery:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CallbackDelivery:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        spider: Spider | None = self.crawler.spider
        if not isinstance(item, FetchedPage):
            return item
        stats = getattr(spider, "crawl_stats", None)
        on_page = getattr(spider, "on_page", None)
        try:
            if on_page is not None:
                on_page(item)
        except Exception as exc:  # one bad page never stops a crawl
            logger.error("on_page failed for %s: %s: %s", item.url, type(exc).__name__, exc)
            if stats is not None:
                stats.errors[f"callback_{type(exc).__name__}"] += 1
        else:
            if stats is not None:
                stats.article_pages += 1
        report = getattr(spider, "report_progress", None)
        if report is not None:
            report()
        return item
