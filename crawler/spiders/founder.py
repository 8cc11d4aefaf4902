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

from crawler.links import Link, join_url, months_between, parse_day
from crawler.presets import founder_preset
from crawler.spiders.base import EpaperSpider, failure_reason
from crawler.urls import founder_ref, page_label

CURRENT_PAGE_LABEL = "td.px12 strong::text, strong::text, title::text"


class FounderSpider(EpaperSpider):
    name = "founder"
    system = "founder"
    # The image map and the title list link the articles; the page list the other pages.
    page_links = article_links = "a[href], area[href]"
    ref_of = staticmethod(founder_ref)

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
            front, built = issues[day], self.front_page_candidates(day)
            if request := self.listed_layout_request(front, self.day_url(day), day.isoformat(), None, built):
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

    def front_page_candidates(self, day: date) -> list[tuple[str, str]]:
        return [(name, self.day_url(day, name)) for name in self.preset.front_pages]

    def front_page(self, day: date, **meta: Any) -> Request | None:
        return self.built_request(
            self.front_page_candidates(day),
            role="layout",
            day=day.isoformat(),
            callback=self.parse_layout,
            page=None,
            **meta,
        )

    def month_fallback(self, month: str, index_state: str) -> Iterator[Request]:
        """Every day's front page, when the month index cannot say which days had an issue;
        when it is simply absent, a day whose front page is absent too had none."""
        for day in self.days_of(month):
            self.crawl_stats.day(day.isoformat()).index = index_state
            meta = {"no_issue_if_missing": "no period.xml and no front page (404)"} if index_state == "missing" else {}
            if request := self.front_page(day, **meta):
                yield request

    def page_number(self, link: Link) -> str | None:
        return page_label(link.text)

    def shown_page(self, response: Response, pages: dict[str, str | None]) -> str | None:
        return (
            response.meta.get("page")
            or pages.get(response.url)
            or page_label(" ".join(response.css(CURRENT_PAGE_LABEL).getall()))
        )
