"""Several crawler processes sharing one scrapy-redis queue: who may stop, and when.

scrapy-redis keeps the queue and the duplicate filter in Redis, but a plain Scrapy worker
closes as soon as it finds the shared queue empty — so of several workers started together
all but one quit at once, before the first has discovered any work. This extension lets an
idle worker wait while any other worker is still busy (it may still enqueue pages), polling
the queue every REDIS_IDLE_POLL seconds; the last idle worker closes them all down.

"Busy" is a Redis key per worker ({queue key}:busy:{host:pid:n}) refreshed while it
downloads and deleted when it goes idle; it expires after REDIS_WORKER_TTL seconds, so a
crashed worker does not keep the others waiting. Finished runs leave the queue and
duplicate filter to expire after REDIS_KEYS_TTL seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import time
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

logger = logging.getLogger(__name__)
_worker_numbers = itertools.count(1)


def is_redis_scheduler(settings: Any) -> bool:
    return str(settings.get("SCHEDULER", "")).startswith("scrapy_redis")


class SharedQueueWorker:
    def __init__(self, crawler: Crawler):
        from scrapy_redis.connection import get_redis_from_settings

        s = crawler.settings
        self.crawler = crawler
        self.server = get_redis_from_settings(s)
        self.poll_s = s.getfloat("REDIS_IDLE_POLL")
        self.worker_ttl = s.getint("REDIS_WORKER_TTL")
        self.keys_ttl = s.getint("REDIS_KEYS_TTL")
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{next(_worker_numbers)}"
        self._last_mark = 0.0
        self._poll: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedQueueWorker:
        if not is_redis_scheduler(crawler.settings):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.active, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.active, signal=signals.response_downloaded)
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def _key(self, spider: Spider, suffix: str) -> str:
        return self.crawler.settings.get("SCHEDULER_QUEUE_KEY") % {"spider": spider.name} + suffix

    def opened(self, spider: Spider) -> None:
        self.prefix = self._key(spider, ":busy:")
        self.busy_key = self.prefix + self.worker
        self._mark_busy(force=True)

    def _mark_busy(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_mark > self.worker_ttl / 4:  # a few writes a minute
            self.server.set(self.busy_key, "1", ex=self.worker_ttl)
            self._last_mark = now

    def active(self, request: Request, **_: Any) -> None:
        if not request.meta.get("unionkb_poll"):  # our own polls must not look like work
            self._mark_busy()

    def others_busy(self) -> bool:
        return any(
            (k.decode() if isinstance(k, bytes) else k) != self.busy_key
            for k in self.server.scan_iter(match=self.prefix + "*")
        )

    def idle(self, spider: Spider) -> None:
        self.server.delete(self.busy_key)
        self._last_mark = 0.0
        if not self.others_busy():
            return  # nothing queued, nobody can add more: let Scrapy close
        if self._poll is None or self._poll.done():
            self._poll = asyncio.get_running_loop().create_task(self._wake_later())
        raise DontCloseSpider

    async def _wake_later(self) -> None:
        """Sleep, then make the engine look at the shared queue again: a local data: URL
        download (no network, no Redis entry) ends by rescheduling the engine's loop."""
        try:
            await asyncio.sleep(self.poll_s)
            engine = self.crawler.engine
            if engine is not None and engine.spider is not None:
                await engine.download_async(Request("data:,", dont_filter=True, meta={"unionkb_poll": True}))
        except Exception as exc:  # a failed poll only delays the next one (heartbeat)
            logger.debug("queue poll failed: %s", exc)

    def closed(self, spider: Spider, reason: str) -> None:
        try:
            self.server.delete(self.busy_key)
            for setting in ("SCHEDULER_QUEUE_KEY", "SCHEDULER_DUPEFILTER_KEY"):
                self.server.expire(self.crawler.settings.get(setting) % {"spider": spider.name}, self.keys_ttl)
        except Exception as exc:  # housekeeping; never fail a finished crawl
            logger.warning("could not tidy Redis keys: %s", exc)
