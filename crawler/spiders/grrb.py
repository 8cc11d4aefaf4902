"""Workers' Daily (工人日报), current e-paper system.

index.json → latest issue (bounds the range; later days have no issue) → per day
{api}/paper/grrb/YYYY/MM/DD.json → layout pages → articles from
`div.holder ul#pageTitle li a` (…/2/news-5.html); `div.holder ul#pageUrl li` lists the
other pages. Links and index URLs are followed as the site gives them. Where the spider
must build a layout URL (the index gives only page numbers, or no index), it asks for the
real form first — the page number unpadded, …/2016/01/22/2/page.html — and the padded
form …/02/page.html on a 404; the form that answered is recorded and preferred after.
A day whose index and front page both answer 404 has no issue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from scrapy import Request
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from twisted.python.failure import Failure

from crawler.links import day_index_pages, days_between, join_url, parse_day
from crawler.spiders.base import EpaperSpider, failure_reason
from crawler.urls import PageRef, grrb_ref

URL_FORMS = ("unpadded", "padded")


class GrrbSpider(EpaperSpider):
    name = "grrb"
    system = "grrb"
    base_setting = "GRRB_BASE_URL"
    source_setting = "GRRB_SOURCE"
    hosts_setting = "GRRB_HOSTS"
    page_links = "div.holder ul#pageUrl li a:not(.pdf)"
    article_links = "div.holder ul#pageTitle li a"
    paper = "grrb"  # the current system serves it under /papers/grrb/

    def __init__(self, *args: Any, api_url: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.api_url_arg = api_url
        self.forms = list(URL_FORMS)

    def configure_urls(self, settings) -> None:
        # A mirror given as base_url serves the JSON index too, unless GRRB_API_URL was
        # set explicitly above the project default.
        api_overridden = (settings.getpriority("GRRB_API_URL") or 0) > SETTINGS_PRIORITIES["project"]
        api = self.api_url_arg or (
            settings.get("GRRB_API_URL") if api_overridden or not self.base_url_arg else self.base_url
        )
        self.api_url = api.rstrip("/")

    def site_urls(self) -> list[str]:
        return [self.base_url, self.api_url]

    def ref_of(self, url: str) -> PageRef | None:
        ref = grrb_ref(url)
        return ref if ref is not None and ref.paper == self.paper else None

    def layout_candidates(self, day: date | str, page: str) -> list[tuple[str, str]]:
        """(form, URL) of a layout page in the order to try: the form the site answered
        last first (unpadded until then)."""
        d = day if isinstance(day, date) else date.fromisoformat(day)
        numbers = {"unpadded": str(int(page)), "padded": str(int(page)).zfill(2)}
        urls: list[tuple[str, str]] = []
        for form in self.forms:
            url = join_url(
                self.base_url, f"papers/grrb/{d.year:04d}/{d.month:02d}/{d.day:02d}/{numbers[form]}/page.html"
            )
            if url not in (u for _f, u in urls):
                urls.append((form, url))
        return urls

    def form_answered(self, form: str) -> None:
        if form in self.forms and self.forms[0] != form:
            self.logger.info("the site answers the %s form of page URLs; asking for it first from now on", form)
            self.forms.remove(form)
            self.forms.insert(0, form)

    def front_page(self, day: str, **meta: Any) -> Request | None:
        return self.built_request(
            self.layout_candidates(day, "01"), role="layout", day=day, callback=self.parse_layout, page="01", **meta
        )

    async def first_requests(self):
        yield self.page_request(
            join_url(self.api_url, "paper/grrb/index.json"),
            role="index",
            day=None,
            callback=self.parse_latest,
            errback=self.latest_unknown,
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
            for day in days_between(max(self.first_day, latest), self.last_day)[1:]:
                self.crawl_stats.day(day.isoformat()).no_issue = f"after the latest issue ({latest}) in index.json"
        yield from self.day_index_requests(min(latest, self.last_day))

    def latest_unknown(self, failure: Failure) -> Iterator[Request]:
        if failure_reason(failure) == "http_404":
            self.site_index_missing = "index.json answers 404"
        yield from self.on_error(failure)
        yield from self.day_index_requests(self.last_day)

    def day_index_requests(self, last: date) -> Iterator[Request]:
        for day in days_between(self.first_day, last):
            request = self.page_request(
                join_url(self.api_url, f"paper/grrb/{day.year:04d}/{day.month:02d}/{day.day:02d}.json"),
                role="index",
                day=day.isoformat(),
                callback=self.parse_day_index,
                errback=self.day_index_missing,
            )
            if request is not None:
                yield request

    def parse_day_index(self, response: Response) -> Iterator[Request]:
        self.crawl_stats.layout_pages += 1
        day = response.meta["day"]
        stats = self.crawl_stats.day(day)
        try:
            pages = day_index_pages(json.loads(response.text))
        except ValueError:
            pages = []
        if not pages:
            stats.index = "unreadable (lists no pages)"
            self.count_error("bad_index", "day index lists no pages; trying the front page", response.url, day)
            if request := self.front_page(day):
                yield request
            return
        stats.index = "listed"
        for entry in pages:
            # Relative page URLs in the index are relative to the site, not to the index host.
            candidates = self.layout_candidates(day, entry.page)
            if request := self.listed_layout_request(entry.url or "", self.base_url + "/", day, entry.page, candidates):
                yield request

    def day_index_missing(self, failure: Failure) -> Iterator[Request]:
        day = failure.request.meta["day"]  # type: ignore[attr-defined]  # scrapy sets .request on errback failures
        reason = failure_reason(failure)
        yield from self.on_error(failure)
        if reason == "http_404":
            self.crawl_stats.day(day).index = "missing"
            request = self.front_page(day, no_issue_if_missing="no day index and no front page (404)")
        else:
            self.crawl_stats.day(day).index = f"unreadable ({reason})"
            request = self.front_page(day)
        if request is not None:
            yield request
