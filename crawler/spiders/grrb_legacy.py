"""Workers' Daily legacy e-paper system (older years; other union papers on the same host).

Per day {base}/sites/media/{paper}/YYYY_MM/DD/GR0100.htm; other pages from
`div#page_content table td a` (GR0200.htm, …); articles from the page image map
(`area[shape=poly]`, GR{page}{seq}.htm). No index exists, so a day without an issue is a 404.
"""
from __future__ import annotations

from typing import Any, Iterator

from scrapy import Request
from scrapy.http import Response

from crawler.links import follow_links, join_url, legacy_ref
from crawler.spiders.base import EpaperSpider

PAGE_LINKS = "div#page_content table td a"
# The documented map is area[shape=poly]; any area whose href is a GR article counts,
# since some days' maps use shape=polygon or rect.
ARTICLE_LINKS = "map area"


class GrrbLegacySpider(EpaperSpider):
    name = "grrb-legacy"
    system = "grrb-legacy"
    base_setting = "GRRB_LEGACY_BASE_URL"

    def __init__(self, *args: Any, paper: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.paper_arg = paper

    def configure(self, settings) -> None:
        self.paper = self.paper_arg or settings.get("GRRB_LEGACY_PAPER")
        self.source = settings.getdict("GRRB_LEGACY_SOURCES").get(self.paper, self.paper)

    async def start(self):
        for day in self.days():
            url = join_url(
                self.base_url, f"sites/media/{self.paper}/{day.year:04d}_{day.month:02d}/{day.day:02d}/GR0100.htm"
            )
            yield self.layout_request(url, day.isoformat(), "01")

    def parse_layout(self, response: Response) -> Iterator[Request]:
        if not self.html_or_count(response):
            return
        self.crawl_stats.layout_pages += 1
        day = response.meta["day"]
        for url, ref, _text in follow_links(response, PAGE_LINKS, legacy_ref, self.base_url, day=day, kinds=("layout",)):
            yield self.layout_request(url, day, ref.page)
        articles = list(follow_links(response, ARTICLE_LINKS, legacy_ref, self.base_url, day=day, kinds=("article",)))
        if not articles:
            self.count_error("layout_without_articles", "no article links", response.url)
        for url, ref, _text in articles:
            if request := self.article_request(url, ref, ref.page):
                yield request
