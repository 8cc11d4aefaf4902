"""Founder-system e-papers (劳动午报 and many provincial union papers).

Per month {base}/{dir}/YYYY-MM/period.xml lists each issue's date and front page →
layout pages {base}/{dir}/YYYY-MM/DD/node_N.htm (`a#pageLink` lists every page with its
`第NN版` label) → articles content_NNN.htm from `map[name=pagepicmap] area` and the title
list. Founder URLs carry no page number; it comes from the layout page's labels.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

from scrapy import Request, Selector
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.links import follow_links, founder_ref, join_url, months_between, page_label, parse_day
from crawler.spiders.base import EpaperSpider

PAGE_LINKS = "a#pageLink"
ARTICLE_LINKS = "map[name=pagepicmap] area, map[name=PagePicMap] area, #titleList a, a[href*=content_]"
CURRENT_PAGE_LABEL = "td.px12 strong::text, strong::text, title::text"


class FounderSpider(EpaperSpider):
    name = "founder"
    system = "founder"
    base_setting = "FOUNDER_BASE_URL"
    source_setting = "FOUNDER_SOURCE"

    def configure(self, settings) -> None:
        self.dir = settings.get("FOUNDER_DIR").strip("/")
        self.front_page = settings.get("FOUNDER_FRONT_PAGE")

    def day_url(self, day: date, file: str) -> str:
        return join_url(self.base_url, f"{self.dir}/{day.year:04d}-{day.month:02d}/{day.day:02d}/{file}")

    async def start(self):
        for year, month in months_between(self.first_day, self.last_day):
            yield Request(
                join_url(self.base_url, f"{self.dir}/{year:04d}-{month:02d}/period.xml"),
                callback=self.parse_period,
                errback=self.period_missing,
                meta={"month": f"{year:04d}-{month:02d}"},
            )

    def parse_period(self, response: Response) -> Iterator[Request]:
        self.crawl_stats.layout_pages += 1
        issues: list[tuple[date, str]] = []
        for period in Selector(text=response.text, type="xml").xpath("//period"):
            raw_day = period.xpath("period_date/text()").get() or period.attrib.get("id", "")
            try:
                day = parse_day(raw_day, "period_date")
            except ValueError:
                continue
            issues.append((day, (period.xpath("front_page/text()").get() or self.front_page).strip()))
        if not issues:
            self.count_error("bad_index", "period.xml lists no issues; trying every day", response.url)
            yield from self.month_fallback(response.meta["month"])
            return
        for day, front in issues:
            if self.in_range(day):
                yield self.layout_request(self.day_url(day, front), day.isoformat(), None)

    def period_missing(self, failure: Failure) -> Iterator[Request]:
        self.on_error(failure)
        yield from self.month_fallback(failure.request.meta["month"])

    def month_fallback(self, month: str) -> Iterator[Request]:
        for day in self.days():
            if f"{day.year:04d}-{day.month:02d}" == month:
                yield self.layout_request(self.day_url(day, self.front_page), day.isoformat(), None)

    def parse_layout(self, response: Response) -> Iterator[Request]:
        if not self.html_or_count(response):
            return
        self.crawl_stats.layout_pages += 1
        day = response.meta["day"]
        pages = list(follow_links(response, PAGE_LINKS, founder_ref, self.base_url, day=day, kinds=("layout",)))
        labels = {url: page_label(text) for url, _ref, text in pages}
        this_page = (
            response.meta.get("page")
            or labels.get(response.url)
            or page_label(" ".join(response.css(CURRENT_PAGE_LABEL).getall()))
        )
        for url, _ref, _text in pages:
            yield self.layout_request(url, day, labels[url])
        articles = list(follow_links(response, ARTICLE_LINKS, founder_ref, self.base_url, day=day, kinds=("article",)))
        if not articles:
            self.count_error("layout_without_articles", "no article links", response.url)
        for url, ref, _text in articles:
            if request := self.article_request(url, ref, this_page):
                yield request
