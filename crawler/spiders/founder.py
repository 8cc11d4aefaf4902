"""Founder-system e-papers: 劳动午报 and the provincial union papers (crawler.presets).

Per month {base}/{dir}/YYYY-MM/period.xml lists each issue's date and front page (a day it
does not list had no issue) → layout pages {base}/{dir}/YYYY-MM/DD/node_N.htm, which link
every page of the issue (labelled 第NN版 or 000NN版) and the page's articles
(content_N.htm, N.html or 陕西工人报's /xpaper/news/…-1.shtml), in the image map and the
title list. Every link a layout page gives is followed as given, if it is one of those
shapes and on the paper's own hosts. When period.xml cannot be read, each day's front
page is tried under the preset's names in turn (node_2.htm, then node_1.htm); the one
that answers is recorded. Founder URLs carry no page number: the labels supply it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from scrapy import Request, Selector
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.links import founder_ref, join_url, months_between, page_label, parse_day
from crawler.presets import founder_preset
from crawler.spiders.base import EpaperSpider, failure_reason

LINKS = "a[href], area[href]"
CURRENT_PAGE_LABEL = "td.px12 strong::text, strong::text, title::text"


class FounderSpider(EpaperSpider):
    name = "founder"
    system = "founder"

    def __init__(self, *args: Any, paper: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.paper_arg = paper

    def configure(self, settings) -> None:
        self.preset = founder_preset(self.paper_arg or settings.get("FOUNDER_PAPER"))
        self.source = self.preset.source
        self.base_url = (self.base_url_arg or self.preset.base_url).rstrip("/")
        self.crawl_stats.paper = self.preset.name
        self._months_missing: set[str] = set()

    def paper_hosts(self, settings) -> tuple[str, ...]:
        return self.preset.hosts

    def day_url(self, day: date, file: str = "") -> str:
        return join_url(self.base_url, f"{self.preset.issue_dir}/{day.year:04d}-{day.month:02d}/{day.day:02d}/{file}")

    async def first_requests(self):
        for year, month in months_between(self.first_day, self.last_day):
            yield self.page_request(
                join_url(self.base_url, f"{self.preset.issue_dir}/{year:04d}-{month:02d}/period.xml"),
                role="index",
                day=None,
                callback=self.parse_period,
                errback=self.period_missing,
                month=f"{year:04d}-{month:02d}",
            )

    def parse_period(self, response: Response) -> Iterator[Request]:
        self.crawl_stats.layout_pages += 1
        month = response.meta["month"]
        issues: dict[date, str] = {}
        for period in Selector(text=response.text, type="xml").xpath("//period"):
            raw_day = period.xpath("period_date/text()").get() or period.attrib.get("id", "")
            try:
                day = parse_day(raw_day, "period_date")
            except ValueError:
                continue
            issues[day] = (period.xpath("front_page/text()").get() or "").strip()
        if not issues:
            self.count_error("bad_index", "period.xml lists no issues; trying every day's front page", response.url)
            yield from self.month_fallback(month, "unreadable (lists no issues)")
            return
        for day in self.days_of(month):
            stats = self.crawl_stats.day(day.isoformat())
            if day not in issues:
                stats.no_issue = "not listed in period.xml"
                continue
            stats.index = "listed"
            front = issues[day]
            url = self.scope.resolve(front, self.day_url(day))[0] if front else None
            if url and (ref := founder_ref(url)) is not None and ref.kind == "layout":
                request = self.layout_request(url, day.isoformat(), None)
            else:
                request = self.front_page(day)
            if request is not None:
                yield request

    def period_missing(self, failure: Failure) -> Iterator[Request]:
        month = failure.request.meta["month"]  # type: ignore[attr-defined]  # scrapy sets .request on errback failures
        reason = failure_reason(failure)
        yield from self.on_error(failure)
        if reason == "http_404":
            self._months_missing.add(month)
            if len(self._months_missing) == len(months_between(self.first_day, self.last_day)):
                self.site_index_missing = "period.xml answers 404"
            yield from self.month_fallback(month, "missing")
        else:
            yield from self.month_fallback(month, f"unreadable ({reason})")

    def days_of(self, month: str) -> list[date]:
        return [d for d in self.days() if f"{d.year:04d}-{d.month:02d}" == month]

    def front_page(self, day: date, **meta: Any) -> Request | None:
        candidates = [(name, self.day_url(day, name)) for name in self.preset.front_pages]
        return self.built_request(
            candidates, role="layout", day=day.isoformat(), callback=self.parse_layout, page=None, **meta
        )

    def month_fallback(self, month: str, index_state: str) -> Iterator[Request]:
        """Every day's front page, when the month index cannot say which days had an issue;
        when it is simply absent, a day whose front page is absent too had none."""
        for day in self.days_of(month):
            self.crawl_stats.day(day.isoformat()).index = index_state
            meta = {"no_issue_if_missing": "no period.xml and no front page (404)"} if index_state == "missing" else {}
            if request := self.front_page(day, **meta):
                yield request

    def parse_layout(self, response: Response) -> Iterator[Request]:
        if not self.layout_read(response):
            return
        day = response.meta["day"]
        links = self.links(response, LINKS, founder_ref, ("layout", "article"))
        pages = [link for link in links if link.ref.kind == "layout"]
        labels = {link.url: page_label(link.text) for link in pages}
        this_page = (
            response.meta.get("page")
            or labels.get(response.url)
            or page_label(" ".join(response.css(CURRENT_PAGE_LABEL).getall()))
        )
        for link in pages:
            if request := self.layout_request(link.url, day, labels[link.url]):
                yield request
        articles = [link for link in links if link.ref.kind == "article"]
        if not articles:
            self.count_error("layout_without_articles", "no article links", response.url, day)
        for link in articles:
            if request := self.article_request(link, this_page, day):
                yield request
