"""What an e-paper URL says: layout page or article, the paper, the issue day, the page
(版次) and the article's place on the page; and the 第03版 / 00003版 labels that name pages.

The crawler reads it to choose which links to follow before it fetches them; the pipeline,
the next stage, reads it to date and place an article from a saved page that never passed
through the crawler (its canonical link). Pure functions over strings, importing no other
stage and no scrapy, so the pipeline can read this one module of the crawler (a test checks).

The forms, as seen in shared/data/union-news-pages:
  grrb         …/papers/grrb/2016/01/22/2/page.html (layout) and …/2/news-5.html (article 5);
               the page number is unpadded on the real site and padded on some copies
  grrb-legacy  …/sites/media/lnzgb/2013_12/06/GR0512.htm: page 05, article 12 (GR0100.htm is
               page 01's layout); the host carries several papers, named by the code
  founder      …/content/2014-09/25/node_2.htm (layout); content_261.htm, 347565.html, also
               under /m/ (articles); 陕西工人报's undated …/xpaper/news/624/3054/26593-1.shtml
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

# Paper code in a URL → the outlet's name. A code not listed names a paper we cannot name.
PAPER_NAMES = {"grrb": "工人日报"}

# The outlets whose pages we read, by host suffix: the crawler's presets and the pipeline's
# reading of a saved page both name an outlet from here.
OUTLETS_BY_HOST = (
    ("workercn.cn", PAPER_NAMES["grrb"]),
    ("workerbj.cn", "劳动午报"),
    ("zjgrrb.com", "浙江工人日报"),
    ("sxworker.com", "陕西工人报"),
    ("paper.people.com.cn", "人民日报"),
)


def outlet_of_host(host: str) -> str:
    """The outlet a host belongs to ("" for a host not listed)."""
    host = host.lower()
    return next((name for suffix, name in OUTLETS_BY_HOST if host == suffix or host.endswith("." + suffix)), "")


@dataclass(frozen=True)
class PageRef:
    """What an e-paper URL says about the page behind it."""

    kind: str  # "layout" | "article"
    date: str | None  # ISO issue date; None when the URL carries none (陕西工人报 xpaper)
    page: str | None  # 版次 when the URL carries it, two digits ("02")
    paper: str = ""  # paper code the URL names (grrb, lnzgb); "" when it names none (Founder)
    position: int = 0  # the article's place on its page from 0 (news-5 → 4); 0 when unknown


_GRRB = re.compile(
    r"/papers/(?P<paper>[a-z]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<page>\d{1,3})/"
    r"(?:page|news-(?P<seq>\d+))\.html?$"
)
_LEGACY = re.compile(
    r"/sites/media/(?P<paper>[A-Za-z]+)/(?P<y>\d{4})_(?P<m>\d{2})/(?P<d>\d{2})/"
    r"GR(?P<page>\d{2})(?P<seq>\d{2})\.htm$",
    re.IGNORECASE,
)
# An issue directory /2014-09/25/: Founder systems, and many other news sites, date pages so.
_DATED_DIR = r"/(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})/(?P<d>\d{2})/"
_DATED = re.compile(_DATED_DIR)
_FOUNDER_DATED = re.compile(_DATED_DIR + r"(?:node_(?P<node>\d+)|content_(?P<content>\d+)|(?P<number>\d{3,9}))\.html?$")
# 陕西工人报's newer system: /xpaper/news/{issue}/{page}/{article}-{part}.shtml, undated.
_XPAPER = re.compile(r"/xpaper/news/\d+/\d+/\d+-\d+\.shtml$")
# 第03版, 第3版, 第8835期:第02版 → the 版 number; 00003版 (浙江工人日报 prints five digits).
# A bare short number before 版 is not a label: in page text it counts pages (共8版).
_PAGE_LABEL = re.compile(r"第\s*(\d{1,3})\s*版|(?<!\d)(\d{5})\s*版")


def iso_day(y: str | int, m: str | int, d: str | int) -> str | None:
    """'YYYY-MM-DD' when y-m-d is a real day, else None (URLs can carry nonsense)."""
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def normalize_page(page: str | int | None) -> str | None:
    """版次 as a two-digit string: 2, "2", "002" → "02"; "A3" stays; empty → None."""
    if page is None or isinstance(page, bool):
        return None
    page = str(page).strip()
    if not page:
        return None
    return str(int(page)).zfill(2) if page.isdigit() else page


def grrb_ref(url: str) -> PageRef | None:
    """…/papers/grrb/2016/01/22/2/page.html (layout) or …/2/news-5.html (article 5)."""
    m = _GRRB.search(urlsplit(url).path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    if m["seq"] is None:
        return PageRef("layout", day, normalize_page(m["page"]), m["paper"])
    return PageRef("article", day, normalize_page(m["page"]), m["paper"], max(int(m["seq"]) - 1, 0))


def legacy_ref(url: str) -> PageRef | None:
    """…/sites/media/grrb/2013_12/06/GR0100.htm (layout: sequence 00) or GR0103.htm (article 3)."""
    m = _LEGACY.search(urlsplit(url).path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    paper = m["paper"].lower()
    if m["seq"] == "00":
        return PageRef("layout", day, m["page"], paper)
    return PageRef("article", day, m["page"], paper, int(m["seq"]) - 1)


def founder_ref(url: str) -> PageRef | None:
    """…/content/2014-09/25/node_2.htm (layout), content_261.htm, 347565.html or
    /xpaper/news/624/3054/26593-1.shtml (articles). Founder URLs carry no page number:
    the layout page's labels (第03版, 00003版) supply it."""
    path = urlsplit(url).path
    if _XPAPER.search(path):
        return PageRef("article", None, None)
    m = _FOUNDER_DATED.search(path)
    if not m or not (day := iso_day(m["y"], m["m"], m["d"])):
        return None
    return PageRef("layout" if m["node"] else "article", day, None)


def epaper_ref(url: str) -> PageRef | None:
    """What the URL says, whichever e-paper system's form it has; None for any other URL."""
    return grrb_ref(url) or legacy_ref(url) or founder_ref(url)


def dated_path_day(url: str) -> str | None:
    """The issue day of a URL whose path holds a dated directory (…/2013-04/29/…), else None."""
    m = _DATED.search(urlsplit(url).path)
    return iso_day(m["y"], m["m"], m["d"]) if m else None


def page_label(text: str) -> str | None:
    """'03' from '第03版：工会' / '第3版' / '00003版:职业·教育' / '第8835期:第02版 综合', else None."""
    m = _PAGE_LABEL.search(text or "")
    if not m:
        return None
    number = m.group(1) or m.group(2)
    return normalize_page(number) if int(number) > 0 else None
