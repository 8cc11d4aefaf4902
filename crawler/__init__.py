"""Scrapy crawler for union-newspaper e-papers.

Fetches and follows links only: each article page becomes a crawler.items.FetchedPage handed
to a callback. Entry point: crawler.run.crawl(); settings: crawler.settings; one spider per
e-paper system in crawler.spiders. Imports nothing from pipeline/ or index/.
"""

from __future__ import annotations

import logging
import warnings


class _QuietScrapyNoise(logging.Filter):
    """Keep crawl logs to one line per event.

    - Scrapy's asyncio mode downloads with its aiohttp handler, which it still labels
      experimental, twice per crawl; the choice is deliberate (see crawler.run).
    - An unreachable robots.txt is logged with a full traceback; the message is enough.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if "is experimental and is not recommended" in record.getMessage():
            return False
        if record.exc_info and record.name == "scrapy.downloadermiddlewares.robotstxt":
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(exc).__name__})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


for _name in ("scrapy.core.downloader.handlers._base_streaming", "scrapy.downloadermiddlewares.robotstxt"):
    logging.getLogger(_name).addFilter(_QuietScrapyNoise())
# scrapy-redis 0.9.1 still passes spider= to the stats collector; not ours to fix, not news.
warnings.filterwarnings("ignore", message="Passing a 'spider' argument to StatsCollector")
