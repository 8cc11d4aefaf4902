"""Workers' Daily legacy e-paper system (older years; other union papers on the same host).

Per day {base}/sites/media/{paper}/YYYY_MM/DD/GR0100.htm; other pages from
`div#page_content table td a` (GR0200.htm, …); articles from the page image map
(`area[shape=poly]`, GR{page}{seq}.htm). No index exists, so a day without an issue is a
404 for its front page, and is reported as having no issue.
"""

from __future__ import annotations

from crawler.links import join_url
from crawler.spiders.base import EpaperSpider
from crawler.urls import legacy_ref


class GrrbLegacySpider(EpaperSpider):
    name = "grrb-legacy"
    system = "grrb-legacy"
    base_setting = "GRRB_LEGACY_BASE_URL"
    hosts_setting = "GRRB_LEGACY_HOSTS"
    page_links = "div#page_content table td a"
    # The documented map is area[shape=poly]; any area whose href is a GR article counts,
    # since some days' maps use shape=polygon or rect.
    article_links = "map area"
    ref_of = staticmethod(legacy_ref)

    def configure(self, settings) -> None:
        self.paper = self.paper_arg or settings.get("GRRB_LEGACY_PAPER")
        self.source = settings.getdict("GRRB_LEGACY_SOURCES").get(self.paper, self.paper)

    async def first_requests(self):
        for day in self.days():
            url = join_url(
                self.base_url, f"sites/media/{self.paper}/{day.year:04d}_{day.month:02d}/{day.day:02d}/GR0100.htm"
            )
            request = self.layout_request(
                url, day.isoformat(), "01", no_issue_if_missing="front page GR0100.htm answers 404"
            )
            if request is not None:
                yield request
