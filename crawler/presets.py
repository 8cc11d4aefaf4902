"""The union papers the Founder-style spider knows by name (`crawl founder --paper NAME`).

What is known of each comes from the real pages in shared/data/union-news-pages (their
URLs and rendered text); what is assumed is said so below. A preset names the paper's
public hosts (links to them are the paper's own and are followed, moved onto a mirror
when crawling one), the base URL crawled by default, the directory holding the dated
issues, and the front-page file names to try when the month index (period.xml) cannot
be read — the first that answers is recorded.

  ldwb    劳动午报      http://ldwb.workerbj.cn/content/2014-09/25/content_261.htm
                      page label 第03版:工会, body in div#ozoom / <founder-content>
  zjgrrb  浙江工人日报  https://epaper.zjgrrb.com/html/2018-08/31/content_2637467.htm?div=-1
                      page label 00003版:职业·教育 (five digits), trailer line
                      "浙江工人日报 职业·教育 00003 <title> 2018-08-31 …"
  sxgrb   陕西工人报    http://szb.sxworker.com/content/2004-07/29/347565.html (and /m/content/…
                      for the mobile pages), newer issues on
                      http://paper.sxworker.com/xpaper/news/624/3054/26593-1.shtml (no date in
                      the URL: the layout page that links it gives the day); header
                      "出版日期:2004年07月29日 / 综合新闻 / 02" or "第8835期:第02版 综合"

Assumed, not seen: the layout pages are Founder's node_N.htm next to the articles, the
front page is node_2.htm (劳动午报, 浙江工人日报) or node_1.htm (陕西工人报), and a month index
period.xml sits in the issue directory (when it is missing, every day's front page is
tried under the preset's names in turn).
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.urls import outlet_of_host


@dataclass(frozen=True)
class FounderPreset:
    name: str  # the --paper value
    base_url: str
    issue_dir: str  # {base}/{issue_dir}/YYYY-MM/DD/…
    hosts: tuple[str, ...]  # the paper's own public hosts
    front_pages: tuple[str, ...] = ("node_2.htm", "node_1.htm")

    @property
    def source(self) -> str:
        """The outlet name stored with every article (crawler.urls.OUTLETS_BY_HOST)."""
        return outlet_of_host(self.hosts[0])


PRESETS: dict[str, FounderPreset] = {
    p.name: p
    for p in (
        FounderPreset("ldwb", "http://ldwb.workerbj.cn", "content", ("ldwb.workerbj.cn",)),
        FounderPreset("zjgrrb", "https://epaper.zjgrrb.com", "html", ("epaper.zjgrrb.com",)),
        FounderPreset(
            "sxgrb",
            "http://szb.sxworker.com",
            "content",
            ("szb.sxworker.com", "paper.sxworker.com"),
            front_pages=("node_1.htm", "node_2.htm"),
        ),
    )
}
DEFAULT_PAPER = "ldwb"


def founder_preset(name: str | None) -> FounderPreset:
    """The preset called `name` (default ldwb); ValueError naming --paper otherwise."""
    key = (name or DEFAULT_PAPER).strip().lower()
    if key not in PRESETS:
        raise ValueError(f"--paper: unknown {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[key]
