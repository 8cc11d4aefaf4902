"""Workers' Daily (工人日报), current e-paper system.

index.json → latest issue (bounds the range) → per day {api}/paper/grrb/YYYY/MM/DD.json →
layout pages {base}/papers/grrb/YYYY/MM/DD/NN/page.html (`div.holder ul#pageUrl li` lists
the other pages) → articles from `div.holder ul#pageTitle li a` (…/NN/news-K.html).
When an index cannot be read the spider falls back to page 01 of every day.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterator

from scrapy import Request
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from twisted.python.failure import Failure

from crawler.links import days_between, follow_links, grrb_ref, join_url, pages_in_day_index, parse_day
from crawler.spiders.base import EpaperSpider

PAGE_LINKS = "div.holder ul#pageUrl li a:not(.pdf)"
ARTICLE_LINKS = "div.holder ul#pageTitle li a"


class GrrbSpider(EpaperSpider):
    name = "grrb"
    system = "grrb"
    base_setting = "GRRB_BASE_URL"
    source_setting = "GRRB_SOURCE"

    def __init__(self, *args: Any, api_url: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.api_url_arg = api_url

    def configure(self, settings) -> None:
        # A mirror given as base_url serves the JSON index too, unless GRRB_API_URL was
        # set explicitly above the project default.
        api_overridden = (settings.getpriority("GRRB_API_URL") or 0) > SETTINGS_PRIORITIES["project"]
        api = self.api_url_arg or (
            settings.get("GRRB_API_URL") if api_overridden or not self.base_url_arg else self.base_url
        )
        self.api_url = api.rstrip("/")

    def site_urls(self) -> list[str]:
        return [self.base_url, self.api_url]

    def layout_url(self, day: date | str, page: str) -> str:
        d = day if isinstance(day, date) else date.fromisoformat(day)
        return join_url(self.base_url, f"papers/grrb/{d.year:04d}/{d.month:02d}/{d.day:02d}/{page}/page.html")

    async def start(self):
        yield Request(
            join_url(self.api_url, "paper/grrb/index.json"), callback=self.parse_latest, errback=self.latest_unknown
        )

    def parse_latest(self, response: Response) -> Iterator[Request]:
        self.crawl_stats.layout_pages += 1
        try:
            latest = parse_day(json.loads(response.text)["index"], "index")
        except (ValueError, KeyError, TypeError, AttributeError):
            self.count_error("bad_index", "index.json without a usable 'index' date", response.url)
            latest = self.last_day
        if latest < self.last_day:
            self.logger.info("latest issue is %s; not asking for later days", latest)
        yield from self.day_index_requests(min(latest, self.last_day))

    def latest_unknown(self, failure: Failure) -> Iterator[Request]:
        self.on_error(failure)
        yield from self.day_index_requests(self.last_day)

    def day_index_requests(self, last: date) -> Iterator[Request]:
        for day in days_between(self.first_day, last):
            yield Request(
                join_url(self.api_url, f"paper/grrb/{day.year:04d}/{day.month:02d}/{day.day:02d}.json"),
                callback=self.parse_day_index,
                errback=self.day_index_missing,
                meta={"day": day.isoformat()},
            )

    def parse_day_index(self, response: Response) -> Iterator[Request]:
        self.crawl_stats.layout_pages += 1
        day = response.meta["day"]
        try:
            pages = pages_in_day_index(json.loads(response.text))
        except ValueError:
            pages = []
        if not pages:
            self.count_error("bad_index", "day index lists no pages; trying page 01", response.url)
            pages = ["01"]
        for page in pages:
            yield self.layout_request(self.layout_url(day, page), day, page)

    def day_index_missing(self, failure: Failure) -> Iterator[Request]:
        self.on_error(failure)
        day = failure.request.meta["day"]
        yield self.layout_request(self.layout_url(day, "01"), day, "01")

    def parse_layout(self, response: Response) -> Iterator[Request]:
        if not self.html_or_count(response):
            return
        self.crawl_stats.layout_pages += 1
        day = response.meta["day"]
        for url, ref, _text in follow_links(response, PAGE_LINKS, grrb_ref, self.base_url, day=day, kinds=("layout",)):
            yield self.layout_request(url, day, ref.page)
        articles = list(follow_links(response, ARTICLE_LINKS, grrb_ref, self.base_url, day=day, kinds=("article",)))
        if not articles:
            self.count_error("layout_without_articles", "no article links", response.url)
        for url, ref, _text in articles:
            if request := self.article_request(url, ref, ref.page):
                yield request
