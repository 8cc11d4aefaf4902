"""What e-paper URLs and page labels say (epaper.urls), checked against the real URLs of
shared/data/union-news-pages, and read the same way by the crawler and the pipeline."""

import json
import re
from collections import Counter

import pytest
from scrapy.http import HtmlResponse

from crawler.links import LinkScope, follow_links
from crawler.urls import dated_path_day, epaper_ref, founder_ref, grrb_ref, legacy_ref, normalize_page, page_label
from pipeline.html import parse_article_html, parse_fetched_page
from tests.helpers import UNION_PAGES, require_shared

FOUNDER_HOSTS = ("workerbj.cn", "zjgrrb.com", "sxworker.com")


def real_pages(kind: str | None = None) -> list[dict]:
    lines = require_shared(UNION_PAGES).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    return [r for r in records if kind is None or r["outlet_kind"] == kind]


def workercn_html(title: str = "职工书屋开进工地") -> str:
    return f'<html><body><h1 id="ctitle">{title}</h1><div id="ccontent"><p>工会为农民工建起职工书屋。</p></div></body></html>'


def test_real_workers_daily_urls_say_day_page_and_place_in_every_stage():
    pages = real_pages("workers_daily_epaper")
    assert len(pages) >= 10
    for rec in pages:
        url = rec["url"]
        # The real site never pads the page number: …/2016/01/22/2/news-5.html is page 02.
        printed_page, k = re.search(r"/\d{2}/\d{2}/(\d+)/news-(\d+)\.html$", url).groups()
        assert not printed_page.startswith("0"), url
        ref = grrb_ref(url)
        assert ref is not None, url
        assert (ref.kind, ref.paper, ref.date) == ("article", "grrb", rec["date"]), url
        assert ref.page == f"{int(rec['page']):02d}" and ref.position == int(k) - 1, url
        assert epaper_ref(url) == ref and legacy_ref(url) is None and founder_ref(url) is None

        # The pipeline reads a saved page the same way, when the page itself does not say.
        art = parse_article_html(workercn_html(), origin="saved.html", url=url)
        assert (art.date, art.page, art.source, art.position) == (ref.date, ref.page, "工人日报", ref.position)

    # The crawler follows each of them from a layout page, as an article of its day.
    links = "".join(f'<a href="{rec["url"]}">{i}</a>' for i, rec in enumerate(pages))
    response = HtmlResponse("https://www.workercn.cn/papers/grrb/", body=f"<ul>{links}</ul>".encode(), encoding="utf-8")
    scope = LinkScope.of("https://www.workercn.cn", paper_hosts=("www.workercn.cn", "workercn.cn"))
    ignored: Counter = Counter()
    found = follow_links(response, "a", grrb_ref, scope, day=None, ignored=ignored)
    assert not ignored and len(found) == len({rec["url"].split("//", 1)[1].removeprefix("www.") for rec in pages})
    assert all(link.ref.kind == "article" and link.ref.page and link.ref.date for link in found)


def test_real_union_paper_urls_are_founder_articles_dated_as_the_pages_say():
    pages = [r for r in real_pages("union_paper") if any(h in r["url"] for h in FOUNDER_HOSTS)]
    assert len(pages) >= 25
    undated = 0
    for rec in pages:
        ref = founder_ref(rec["url"])
        assert ref is not None and ref.kind == "article" and ref.page is None and ref.paper == "", rec["url"]
        if "/xpaper/" in rec["url"]:
            assert ref.date is None  # 陕西工人报's newer system: the layout page gives the day
            undated += 1
        elif rec["date"]:
            assert ref.date == rec["date"], rec["url"]
    assert undated >= 3
    # …/content/2004-07/29/… is the same day to the pipeline, which also names the paper by host.
    rec = next(r for r in pages if "/2004-07/29/" in r["url"])
    art = parse_article_html(
        "<html><body><h1>标题</h1><div id='ozoom'><p>正文一段。</p></div></body></html>", "saved.html", url=rec["url"]
    )
    assert (art.date, art.source) == ("2004-07-29", "陕西工人报")


def test_every_real_url_with_a_dated_path_agrees_with_the_date_its_page_prints():
    dated = 0
    for rec in real_pages():
        ref = epaper_ref(rec["url"])
        day = (ref.date if ref else None) or dated_path_day(rec["url"])
        if day and rec["date"]:
            assert day == rec["date"], rec["url"]
            dated += 1
    assert dated >= 40


def test_real_page_labels_give_the_page_number():
    labelled = 0
    for rec in real_pages("union_paper"):
        label = page_label(rec["raw_excerpt"])
        if label is not None:
            assert label == normalize_page(rec["page"]), (rec["url"], rec["page"])
            labelled += 1
    assert labelled >= 10  # 第10版:东城, 00003版:职业·教育, 第8835期:第02版 综合 …
    # a count of pages or page navigation is not a label
    assert page_label("本期共8版") is None and page_label("3上一版 下一版4") is None
    assert page_label("00000版") is None and page_label("第03版：工会") == "03"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://media.workercn.cn/sites/media/lnzgb/2013_12/06/GR0512.htm", ("article", "2013-12-06", "05", 11)),
        ("http://media.workercn.cn/sites/media/grrb/2013_12/06/GR0100.htm", ("layout", "2013-12-06", "01", 0)),
        ("http://media.workercn.cn/sites/media/grrb/2013_02/30/GR0101.htm", None),  # no such day
    ],
)
def test_legacy_urls_say_paper_day_page_and_place(url, expected):
    ref = legacy_ref(url)
    assert (ref and (ref.kind, ref.date, ref.page, ref.position)) == expected


def test_a_legacy_page_of_another_paper_is_not_taken_for_workers_daily():
    """The legacy host carries several papers; the URL's code names which, not the host."""
    html = (
        "<html><body><div class='text_c'><h1>职工之家</h1></div><div id='ozoom'><p>正文一段。</p></div></body></html>"
    )
    other = "http://media.workercn.cn/sites/media/lnzgb/2013_12/06/GR0512.htm"
    assert parse_article_html(html, "saved.htm", url=other).source == ""
    fetched = parse_fetched_page(html.encode(), other, "utf-8", "2013-12-06", "05", "辽宁职工报")
    assert (fetched.source, fetched.date, fetched.page, fetched.position) == ("辽宁职工报", "2013-12-06", "05", 11)
    grrb = other.replace("/lnzgb/", "/grrb/")
    assert parse_article_html(html, "saved.htm", url=grrb).source == "工人日报"
