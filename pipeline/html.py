"""One article from one HTML page: union e-paper systems first, any news page as a fallback.

Site profiles, tried in order (the first whose markers are on the page wins):
  1. Workers' Daily, current system (www.workercn.cn/papers/grrb/…/news-K.html):
     #pretitle / #ctitle / #subtitle, body #ccontent, pictures #imgs img, and a
     《工人日报》(YYYY年MM月DD日 NN版) line giving date and page.
  2. Workers' Daily, legacy system (media.workercn.cn/sites/media/grrb/…/GRppss.htm):
     div.text_c h3/h1/h2, body div#ozoom div span p, byline div.lai span.
  3. Founder e-papers (劳动午报 and many provincial papers, …/content/YYYY-MM/DD/content_N.htm):
     <founder-content> or div#ozoom, the <!--enpproperty …--> metadata comment, h1/h2/h3.
  4. Generic news HTML: the block holding the most paragraph text (a small readability).
Rendered e-paper pages repeat the body and carry page chrome (上一版 下一版, ×, 版面导航);
both are removed here so the cleaner and the store see each paragraph once.

parse_article_html never raises for bad input: it returns a LoadProblem naming the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from crawler.urls import PAPER_NAMES, dated_path_day, epaper_ref, normalize_page, outlet_of_host, page_label
from pipeline.byline import find_byline_text, parse_byline
from pipeline.dates import find_dateline, find_paper_line, parse_date
from pipeline.decode import DecodeError, decode_bytes, sniff_meta_charset
from pipeline.models import Article, LoadProblem


@dataclass
class _Parsed:
    """What a site profile read off a page, before it becomes an Article."""

    profile: str
    title: str = ""
    kicker: str = ""
    subtitle: str = ""
    paragraphs: list[str] = field(default_factory=list)
    byline_text: str = ""
    date: str | None = None
    page: str | None = None
    source: str = ""
    images: list[str] = field(default_factory=list)


# --- public entry points ---------------------------------------------------------------------


def parse_article_html(html: str | bytes, origin: str, url: str | None = None) -> Article | LoadProblem:
    """The article on an e-paper or news page, or a LoadProblem saying why there is none.

    `html` may be bytes (decoded honouring its <meta charset>); `url`, when known, supplies
    date, page and outlet that the page itself does not state.
    """
    if isinstance(html, bytes):
        try:
            html = decode_bytes(html, origin, hint=sniff_meta_charset(html))
        except DecodeError as e:
            return LoadProblem(origin, e.reason)
    if not html.strip():
        return LoadProblem(origin, "empty file")
    page = _Page.of(BeautifulSoup(html, "lxml"))
    url = url or _canonical_url(page)
    parsed = _parse_with_profile(page)
    parsed.paragraphs = _collapse_repeats([p for p in parsed.paragraphs if not _is_chrome_line(p)])
    _fill_from_page_text(parsed, page.soup)
    _fill_from_url(parsed, url)
    parsed.page = normalize_page(parsed.page)
    truncated = bool(re.search(r"<html[\s>]", html[:4000], re.I)) and not re.search(r"</html\s*>", html[-4000:], re.I)
    if truncated and not parsed.paragraphs:
        # A title alone from a cut page is unreliable (it may itself be cut): report it.
        return LoadProblem(origin, "truncated HTML: no article text before the cut")
    if not parsed.title and not parsed.paragraphs:
        return LoadProblem(origin, "no article title or text found in the HTML")
    return _to_article(parsed, origin, url)


def parse_fetched_page(
    body: bytes,
    url: str,
    encoding: str | None,
    date: str | None,
    page: str | None,
    source: str,
) -> Article | LoadProblem:
    """Crawler entry point: a fetched article page plus what the crawl already knows about it.

    `encoding` is the charset the server declared (None when it declared none); the
    page's own <meta charset> is the next hint. What the page states about date, page and
    outlet wins; the crawl's values fill what it leaves out.
    """
    hint = encoding or sniff_meta_charset(body)
    try:
        text = decode_bytes(body, url, hint=hint)
    except DecodeError as e:
        return LoadProblem(url, e.reason)
    result = parse_article_html(text, origin=url, url=url)
    if isinstance(result, LoadProblem):
        return result
    return result.with_(
        date=result.date or parse_date(date),
        page=result.page or normalize_page(page),
        source=result.source or source,
        url=result.url or url,
    )


# --- profiles --------------------------------------------------------------------------------


@dataclass
class _Page:
    """The parsed tree plus lookups built in one pass (bs4's find/select rescan the whole
    tree on every call, which dominated the parse time of a real-sized page)."""

    soup: BeautifulSoup
    by_id: dict[str, Tag] = field(default_factory=dict)
    by_name: dict[str, list[Tag]] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, soup: BeautifulSoup) -> _Page:
        page = cls(soup)
        for node in soup.descendants:
            if isinstance(node, Tag):
                page.by_name.setdefault(node.name, []).append(node)
                node_id = node.get("id")
                if isinstance(node_id, str):
                    page.by_id.setdefault(node_id, node)
            elif isinstance(node, Comment):
                page.comments.append(str(node))
        return page

    def tags(self, name: str) -> list[Tag]:
        return self.by_name.get(name, [])

    def first(self, name: str) -> Tag | None:
        found = self.by_name.get(name)
        return found[0] if found else None

    def with_class(self, name: str, cls_name: str) -> list[Tag]:
        return [t for t in self.tags(name) if cls_name in (t.get("class") or ())]

    def div_id(self, id_: str) -> Tag | None:
        el = self.by_id.get(id_)
        return el if el is not None and el.name == "div" else None


def _parse_with_profile(page: _Page) -> _Parsed:
    if "ctitle" in page.by_id or "ccontent" in page.by_id:
        return _parse_workercn(page)
    if any(div.find("h1") for div in page.with_class("div", "text_c")):
        return _parse_workercn_legacy(page)
    if page.first("founder-content") or page.div_id("ozoom") or _enp_property(page):
        return _parse_founder(page)
    return _parse_generic(page)


def _parse_workercn(page: _Page) -> _Parsed:
    p = _Parsed("workercn")
    p.title = _one_line(page.by_id.get("ctitle"))
    p.kicker = _one_line(page.by_id.get("pretitle"))
    p.subtitle = _one_line(page.by_id.get("subtitle"))
    p.paragraphs = _lines(page.by_id.get("ccontent"))
    imgs = page.by_id.get("imgs")
    p.images = [_attr(img, "src") for img in (imgs.find_all("img") if imgs else []) if _attr(img, "src")]
    return p


def _parse_workercn_legacy(page: _Page) -> _Parsed:
    p = _Parsed("workercn-legacy")
    title_el = next(div.find("h1") for div in page.with_class("div", "text_c") if div.find("h1"))
    p.title = _one_line(title_el)
    p.kicker = _one_line(_sibling_heading(title_el, "h3", before=True))
    p.subtitle = _one_line(_sibling_heading(title_el, "h2", before=False))
    ozoom = page.div_id("ozoom")
    if ozoom is not None:
        paras = ozoom.select("div span p") or ozoom.find_all("p")
        p.paragraphs = [line for el in paras for line in _lines(el)] if paras else _lines(ozoom)
    spans = [span for div in page.with_class("div", "lai") for span in div.find_all("span")]
    p.byline_text = " ".join(t for t in map(_one_line, spans) if t)
    return p


def _parse_founder(page: _Page) -> _Parsed:
    p = _Parsed("founder")
    prop = _enp_property(page)
    body = page.first("founder-content") or page.div_id("ozoom")
    p.paragraphs = _lines(body)
    title_el = page.first("founder-title") or _first_heading(page, ("h1", "h2"))
    p.title = prop.get("title", "") or _one_line(title_el) or _title_tag_text(page)
    p.kicker = prop.get("introtitle", "")
    p.subtitle = prop.get("subtitle", "")
    if isinstance(title_el, Tag) and title_el.name in ("h1", "h2"):
        p.kicker = p.kicker or _one_line(_sibling_heading(title_el, "h3", before=True))
        if title_el.name == "h1":
            p.subtitle = p.subtitle or _one_line(_sibling_heading(title_el, ("h2", "h4"), before=False))
    p.byline_text = prop.get("author", "") or _one_line(page.first("founder-author"))
    p.date = parse_date(prop.get("date") or _one_line(page.first("founder-date")))
    p.page = page_label(prop.get("nodename", ""))
    return p


def _parse_generic(page: _Page) -> _Parsed:
    p = _Parsed("generic")
    p.title = _generic_title(page)
    p.date = parse_date(
        _meta(page, "article:published_time")
        or _meta(page, "pubdate")
        or _meta(page, "publishdate")
        or _meta(page, "PubDate")
    )
    main = _main_block(page)
    p.paragraphs = _lines(main, skip_noise=True) if main is not None else []
    if p.title and p.paragraphs and p.paragraphs[0] == p.title:
        p.paragraphs = p.paragraphs[1:]  # the headline repeated at the top of the text block
    return p


# --- filling in date / page / source ---------------------------------------------------------


def _fill_from_page_text(p: _Parsed, soup: BeautifulSoup) -> None:
    """The 《工人日报》(2016年01月22日 02版) line wherever the page prints it."""
    text = soup.get_text(" ")
    date, page, paper = find_paper_line(text)
    p.date = p.date or date
    p.page = p.page or page
    p.source = p.source or (paper or "")
    if not p.page and p.profile == "founder":
        p.page = page_label(text[:3000])  # 第03版:工会 in the page chrome


def _fill_from_url(p: _Parsed, url: str | None) -> None:
    """Issue day, page and paper from what an e-paper URL says (crawler.urls); the day of any
    other URL with a dated directory (…/2013-04/29/…); else the outlet from the host."""
    if not url:
        return
    ref = epaper_ref(url)
    p.date = p.date or parse_date((ref.date if ref else None) or dated_path_day(url))
    p.page = p.page or (ref.page if ref else None)
    if ref is not None and ref.paper:
        # The URL names the paper: its host may carry several (media.workercn.cn).
        p.source = p.source or PAPER_NAMES.get(ref.paper, "")
        return
    if not p.source:
        p.source = outlet_of_host(urlsplit(url).hostname or "")


def _url_position(url: str | None) -> int:
    """Order on the page from the URL (news-5.html, GR0205.htm → 4), else 0."""
    ref = epaper_ref(url) if url else None
    return ref.position if ref else 0


# --- byline, kind, Article -------------------------------------------------------------------


def _byline_text(p: _Parsed) -> str:
    return p.byline_text or find_byline_text(p.paragraphs)


def _to_article(p: _Parsed, origin: str, url: str | None) -> Article:
    body = "\n".join(p.paragraphs)
    byline_text = _byline_text(p)
    # A picture with a short caption credited 摄 is a photo item, as on the printed page.
    is_photo = bool(p.images) and len(body) < 300 and "摄" in byline_text
    return Article(
        title=p.title,
        body=body,
        kicker=p.kicker if p.kicker != p.title else "",
        subtitle=p.subtitle if p.subtitle != p.title else "",
        byline=parse_byline(byline_text),
        dateline=find_dateline(body),
        kind="photo" if is_photo else "news",
        date=p.date,
        source=p.source,
        url=url,
        page=p.page,
        position=_url_position(url),
        origin=origin,
    )


# --- text helpers ----------------------------------------------------------------------------

_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "section",
    "article",
    "blockquote",
    "founder-content",
    "dd",
    "dt",
)
_BLOCK_SET = frozenset(_BLOCK_TAGS)
_NOISE_TAGS = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "select",
    "button",
    "template",
    "svg",
    "object",
    "embed",
)
_NOISE_SET = frozenset(_NOISE_TAGS)
_NOISE_NAMES = re.compile(
    r"^(?:nav|navbar|menu|footer|foot|header|breadcrumbs?|crumbs?|copyright|share|sidebar|"
    r"comments?|related|recommend)$",
    re.I,
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2002\u2003\u2009\u3000]+")
# Page chrome printed as text: 上一版 下一版, 3上一篇  下一篇4 2024年2月1日 放大 缩小 默认, ×, 版面导航 …
_CHROME_WORDS = re.compile(
    r"上一版|下一版|上一篇|下一篇|上一期|下一期|版面导航|返回目录|返回首页|放大|缩小|默认|关闭|打印本页|×|✕"
)
_EDITOR_LINE = re.compile(r"^[（(]\s*(?:责任编辑|责编|编辑)\s*[:：][^）)]{1,30}[）)]$")
_CHROME_REST = re.compile(r"[\s\d年月日:：|/\-—·<>《》()（）\[\]]*")


def _is_chrome_line(line: str) -> bool:
    """Navigation debris, or the 《工人日报》(…版) line when it sits inside the body block."""
    stripped = _CHROME_WORDS.sub("", line)
    if stripped != line and _CHROME_REST.fullmatch(stripped) is not None:
        return True
    if _EDITOR_LINE.match(line):
        return True
    return len(line) <= 40 and find_paper_line(line)[0] is not None and line.lstrip().startswith("《")


def _lines(el: Tag | None, skip_noise: bool = False) -> list[str]:
    """The text of `el` as lines: a break at every block element and <br>, spaces tidied.

    Walks the strings once instead of inserting newlines into the tree, so a page nested
    thousands of levels deep costs linear time. With skip_noise, text inside navigation,
    header/footer, forms and blocks classed nav/menu/footer/share/related… is left out.
    """
    if el is None:
        return []
    parts: list[str] = []
    last_block = None
    for node in el.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            continue
        if type(node) is not NavigableString:  # comments, script/style text, doctype
            continue
        if skip_noise and _in_noise(node, el):
            continue
        block = _nearest_block(node, el)
        if block is not last_block:
            parts.append("\n")
            last_block = block
        parts.append(str(node))
    out = []
    for raw in "".join(parts).split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        if line:
            out.append(line)
    return out


def _nearest_block(node, stop: Tag) -> Tag:
    parent = node.parent
    while parent is not None and parent is not stop and parent.name not in _BLOCK_SET:
        parent = parent.parent
    return parent if parent is not None else stop


def _in_noise(node, stop: Tag | None = None) -> bool:
    parent = node if isinstance(node, Tag) else node.parent
    while parent is not None and parent is not stop:
        if _is_noise_element(parent):
            return True
        parent = parent.parent
    return False


def _one_line(el) -> str:
    if not isinstance(el, Tag):
        return ""
    return " ".join(_lines(el))


def _collapse_repeats(paras: list[str]) -> list[str]:
    """Each paragraph once: rendered pages print the body twice (A A) or repeat lines."""
    n = len(paras)
    for period in range(1, n // 2 + 1):  # A A, A A A, or A A' with A' a cut-off copy of A
        if all(paras[i] == paras[i % period] for i in range(n)):
            paras = paras[:period]
            break
    seen: set[str] = set()
    out = []
    for para in paras:
        key = _SPACES.sub("", para)
        if key in seen and len(key) >= 8:  # short lines (一, 图为…) may legitimately recur
            continue
        seen.add(key)
        out.append(para)
    return out


def _sibling_heading(el: Tag | None, names, before: bool) -> Tag | None:
    """The nearest h3 above / h2 below a headline, within its own block."""
    if el is None:
        return None
    sib = el.find_previous_sibling(names) if before else el.find_next_sibling(names)
    return sib


def _first_heading(page: _Page, names) -> Tag | None:
    heads = [h for name in names for h in page.tags(name)]
    return next((h for h in heads if _one_line(h)), None)


_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|--|—{1,2}| - )\s*")


def _title_tag_text(page: _Page) -> str:
    """<title> without the site name: 标题_中工网 / 标题--栏目--人民网 → 标题 (site names come last)."""
    text = _one_line(page.first("title"))
    parts = [s for s in _TITLE_SPLIT.split(text) if s]
    return parts[0] if parts else text


_MASTHEAD = re.compile("logo|header|top", re.I)


def _generic_title(page: _Page) -> str:
    """The headline: an h1 that <title> also names, else an h1 outside the masthead, og:title, <title>."""
    raw_title = _one_line(page.first("title"))
    segments = [s for s in _TITLE_SPLIT.split(raw_title) if s]
    heads = [(h, t) for h in page.tags("h1") if (t := _one_line(h))]
    article_segments = segments[:-1] if len(segments) > 1 else segments  # the last one names the site
    for _, text in heads:
        if text in article_segments:
            return text
    for h, text in heads:
        if not h.find_parent(["header", "nav"]) and not h.find_parent(class_=_MASTHEAD):
            return text
    return _meta(page, "og:title") or (segments[0] if segments else "")


def _meta(page: _Page, name: str) -> str:
    for el in page.tags("meta"):
        if el.get("property") == name or el.get("name") == name:
            return _attr(el, "content").strip()
    return ""


def _attr(el: Tag, name: str) -> str:
    """A single-valued attribute ("" when absent); bs4 types every attribute as possibly multi-valued."""
    value = el.get(name)
    return value if isinstance(value, str) else ""


def _canonical_url(page: _Page) -> str | None:
    for link in page.tags("link"):
        href = _attr(link, "href")
        if "canonical" in (link.get("rel") or ()) and href.startswith("http"):
            return href
    og = _meta(page, "og:url")
    return og if og.startswith("http") else None


_ENP = re.compile(r"<(?P<k>[a-z]+)>(?P<v>.*?)</(?P=k)>", re.S)


def _enp_property(page: _Page) -> dict[str, str]:
    """Fields of Founder's <!--enpproperty <title>…</title><introtitle>…</introtitle> …--> comment."""
    for c in page.comments:
        if "enpproperty" in c:
            return {m["k"]: _SPACES.sub(" ", m["v"]).strip() for m in _ENP.finditer(c)}
    return {}


def _is_noise_element(el: Tag) -> bool:
    if el.name in _NOISE_SET:
        return True
    if el.name not in ("div", "ul", "section", "table", "td", "span", "p"):
        return False
    names = [*(el.get("class") or []), el.get("id") or ""]
    return any(_NOISE_NAMES.match(n) for n in names if n)


def _text_weight(s: str) -> int:
    """Chinese characters and digits: the part of a paragraph that is prose, not links or spaces."""
    return sum(1 for ch in s if ch.isalnum())


def _main_block(page: _Page) -> Tag | None:
    """The element whose paragraphs hold the most text; parents get half their children's score."""
    scores: dict[int, float] = {}
    elements: dict[int, Tag] = {}
    for para in page.tags("p"):
        weight = _text_weight(para.get_text())
        if weight < 10 or _in_noise(para):
            continue
        weight -= sum(_text_weight(a.get_text()) for a in para.find_all("a"))  # link lists are not prose
        if weight <= 0:
            continue
        parent = para.parent
        for share, el in ((1.0, parent), (0.5, parent.parent if parent else None)):
            if isinstance(el, Tag):
                scores[id(el)] = scores.get(id(el), 0.0) + weight * share
                elements[id(el)] = el
    if scores:
        return elements[max(scores, key=scores.__getitem__)]
    # No paragraph of prose: the element with the most text of its own (text nodes and <br> lines).
    best, best_weight = None, 0
    for name in ("div", "td", "p", "article", "section", "body"):
        for el in page.tags(name):
            own = "".join(s for s in el.children if type(s) is NavigableString)
            w = _text_weight(own)
            if w > best_weight and not _in_noise(el):
                best, best_weight = el, w
    return best
