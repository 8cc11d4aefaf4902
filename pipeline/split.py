"""Splitting one newspaper page into the articles a reader sees on it.

The page is cleaned first (pipeline.clean), then read as a sequence of blocks: headings
(markdown ``#`` levels or short plain lines), labels (阅读提示, 工会工作巡礼), bylines
(本报讯（记者…）, 本报记者 X), photo credits (X 摄), continuation marks ((上接第1版)) and body
paragraphs. A heading run followed by a byline opens a news item or feature; one followed
by a short caption and a credit is a photo item; inside a feature a heading is a section
head. Column order can put a headline after its own body (seed 002): a 本报讯 item with
no headline waits, and a later headline that its text matches is given to it.
Last, every paragraph is kept once on the page (repeated articles, repeated paragraphs and
OCR doubles go) and kinds, bylines, datelines and provenance are filled in.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.byline import (
    is_byline_line,
    is_credit_line,
    merge_bylines,
    parse_byline,
    split_byline_tail,
    split_leading_byline,
)
from pipeline.clean import (
    CONTINUATION_MARK,
    HAN,
    clean_page_text,
    coverage,
    ends_sentence,
    is_heading_like,
    is_label,
    markdown_level,
    markdown_text,
    starts_mid_sentence,
    strong_join,
    unclosed_opener,
)
from pipeline.dates import find_dateline, find_paper_line, parse_date
from pipeline.models import Article, Byline, Page

_PHOTO_CAPTION_MAX = 600  # characters of caption text a photo item carries at most
_FEATURE_MIN = 1500  # a body this long without a 本报讯 dispatch reads as a feature
_PUBDATE_LINE = re.compile(r"^(?:出版日期|发布日期|日期)\s*[:：]\s*(\d{4}[-年/.]\d{1,2}[-月/.]\d{1,2}日?)")
_COMMENTARY_CUE = re.compile(r"评论员|短评|时评|快评|社论|评论|论坛|观点|言论|随笔|杂谈|漫谈|点评|锐评")
_FEATURE_CUE = re.compile(r"特写|巡礼|阅读提示|故事|纪实|通讯|调查|访谈|人物|手记")
_SLOGAN = re.compile(rf"[{HAN}]{{3,8}}(?: [{HAN}]{{3,8}})+")


@dataclass
class _Block:
    kind: str  # heading | label | body | byline | credit | marker
    text: str
    level: int | None = None  # markdown level of a heading; None for a plain line
    byline_kind: str = ""  # dispatch | line | tail
    other_page: str = ""  # the page a continuation mark points to


@dataclass
class _Para:
    text: str
    floating: bool = False  # came after a late headline; may belong to another article of that column


@dataclass
class _Draft:
    heads: list[tuple[str, int | None]] = field(default_factory=list)
    bylines: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    credits: list[str] = field(default_factory=list)
    paras: list[_Para] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    section_heads: int = 0
    awaiting_title: bool = False  # a 本报讯 item whose headline column order put elsewhere
    late_titled: bool = False
    continued_from: str = ""

    @property
    def mode(self) -> str:
        kinds = {k for k, _ in self.bylines}
        if "dispatch" in kinds or "tail" in kinds:
            return "news"
        if "line" in kinds:
            return "feature"
        if self.credits:
            return "photo"
        return "headless"

    @property
    def title_level(self) -> int | None:
        """The markdown level of the headline, when it is an article's headline rather than a
        section head standing in for one (a ### block without byline, a continued text)."""
        levels = [lv for _, lv in self.heads if lv is not None and lv < 7]
        if not levels or self.continued_from or not (self.bylines or min(levels) <= 2):
            return None
        return min(levels)

    def text(self) -> str:
        return "\n".join(p.text for p in self.paras if not p.floating)


# ---------------------------------------------------------------- blocks


def _classify(paragraphs: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    for p in paragraphs:
        t = p.strip()
        prev_is_heading = bool(blocks) and blocks[-1].kind in ("heading", "label")
        mark = CONTINUATION_MARK.match(t)
        if mark:
            blocks.append(_Block("marker", mark.group(0), other_page=mark.group(1)))
            if t[mark.end() :].strip():
                blocks.append(_Block("body", t[mark.end() :].strip()))
        elif is_label(t):
            blocks.append(_Block("label", markdown_text(t)))
        elif markdown_level(t) is not None:
            blocks.append(_Block("heading", markdown_text(t), level=markdown_level(t)))
        elif is_byline_line(t):
            blocks.append(_Block("byline", t, byline_kind="line"))
        elif is_credit_line(t):
            blocks.append(_Block("credit", t.strip("（()）")))
        else:
            blocks.extend(_split_byline_head(t, prev_is_heading))
    return _promote_long_heads(blocks)


def _promote_long_heads(blocks: list[_Block]) -> list[_Block]:
    """Headline lines too long to look like one by themselves: a kicker ending in —— above a
    headline, and a subtitle between a headline and its byline."""
    for k, b in enumerate(blocks):
        if b.kind != "body" or len(b.text) > 80:
            continue
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        prev = blocks[k - 1] if k else None
        kicker = b.text.endswith("——") and nxt is not None and nxt.kind == "heading"
        subtitle = (
            "。" not in b.text
            and prev is not None
            and prev.kind == "heading"
            and nxt is not None
            and nxt.kind == "byline"
        )
        if kicker or subtitle:
            blocks[k] = _Block("heading", b.text)
    return blocks


def _split_byline_head(t: str, after_heading: bool) -> list[_Block]:
    byline, rest = split_leading_byline(t)
    kind = "dispatch"
    if not byline and after_heading:
        byline, rest = split_byline_tail(t)
        kind = "tail"
    if byline:
        out = [_Block("byline", byline, byline_kind=kind)]
        return out + ([_Block("body", rest)] if rest else [])
    if is_heading_like(t) and not starts_mid_sentence(t) and _reads_as_words(t):
        return [_Block("heading", t)]
    return [_Block("body", t)]


_DATE_ONLY = re.compile(r"^[\d\s年月日:：.\-/星期一二三四五六天上下午晚]*$")


def _reads_as_words(t: str) -> bool:
    """A headline has words: not a bare date, time or page number."""
    return len(re.findall(f"[{HAN}]", t)) >= 2 and not _DATE_ONLY.match(t)


def _relocate_fragments(blocks: list[_Block]) -> list[_Block]:
    """A body fragment that closes a quote it never opened (全国争一流”的目标…) goes back after the
    paragraph that broke off inside that quote (…牢固树立“西部是标杆，)."""
    out = list(blocks)
    for frag in [b for b in blocks if b.kind == "body" and starts_mid_sentence(b.text)]:
        if not any(q in frag.text for q in "”’》"):
            continue
        i = next(k for k, b in enumerate(out) if b is frag)
        for j in range(i - 1, -1, -1):
            host = out[j]
            if host.kind == "body" and unclosed_opener(host.text) and not ends_sentence(host.text):
                out.pop(i)
                out.insert(j + 1, frag)
                break
    return out


# ---------------------------------------------------------------- heads


def _assign_heads(heads: list[tuple[str, int | None]]) -> tuple[str, str, str, list[str]]:
    """(kicker, title, subtitle, labels) from the heading lines above an article."""
    heads = list(heads)
    labels: list[str] = []
    if len(heads) >= 3 and heads[-1][1] is None and _SLOGAN.fullmatch(heads[-1][0]):
        labels.append(heads.pop()[0])  # a series slogan printed under the headline
    if not heads:
        return "", "", "", labels
    levels = [lv for _, lv in heads if lv is not None and lv < 7]
    if levels:
        top = min(levels)
        t = next(i for i, (_, lv) in enumerate(heads) if lv == top)
    elif len(heads) == 1:
        t = 0
    elif len(heads) == 2:
        first, second = heads[0][0], heads[1][0]
        reads_as_subtitle = "，" in second or second.startswith("——") or len(second) >= 1.5 * len(first)
        t = 0 if reads_as_subtitle and not first.endswith("——") else 1
    else:
        t = 1
    kicker = " ".join(h for h, _ in heads[:t])
    subtitle = " ".join(h for h, _ in heads[t + 1 :])
    return kicker, heads[t][0], subtitle, labels


def _bigrams(text: str) -> Counter:
    t = re.sub(rf"[^{HAN}\w]", "", text)
    return Counter(t[i : i + 2] for i in range(len(t) - 1))


def _title_match(title: str, text: str) -> float:
    """Share of the headline's character pairs that the article's text contains."""
    tb = set(_bigrams(title))
    return len(tb & set(_bigrams(text))) / len(tb) if tb else 0.0


def _cosine(a: Counter, b: Counter) -> float:
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


# ---------------------------------------------------------------- assembly


class _Assembler:
    def __init__(self, blocks: list[_Block]):
        self.blocks = blocks
        self.drafts: list[_Draft] = []
        self.cur: _Draft | None = None

    def run(self) -> list[_Draft]:
        i = 0
        while i < len(self.blocks):
            b = self.blocks[i]
            if b.kind in ("heading", "label"):
                i = self._heading_run(i)
                continue
            getattr(self, f"_on_{b.kind}")(b)
            i += 1
        return self.drafts

    def _new(self, **kw) -> _Draft:
        self.cur = _Draft(**kw)
        self.drafts.append(self.cur)
        return self.cur

    def _on_body(self, b: _Block) -> None:
        cur = self.cur if self.cur is not None else self._new()
        cur.paras.append(_Para(b.text, floating=self._floating))

    _floating = False  # bodies now follow a late headline (see _attach_late_blocks)

    def _on_byline(self, b: _Block) -> None:
        cur = self.cur
        if cur is not None and not cur.paras and not cur.bylines and (cur.heads or cur.labels):
            cur.bylines.append((b.byline_kind, b.text))
        else:
            self._new(bylines=[(b.byline_kind, b.text)], awaiting_title=b.byline_kind != "line")
        self._floating = False

    def _on_credit(self, b: _Block) -> None:
        cur = self.cur if self.cur is not None else self._new()
        cur.credits.append(b.text)

    def _on_marker(self, b: _Block) -> None:
        if "上接" not in b.text and "接第" not in b.text:
            return  # 下转第N版: the article goes on elsewhere; nothing to keep here
        cur = self.cur
        if cur is not None and cur.mode == "headless" and not cur.credits:
            cur.continued_from = cur.continued_from or b.other_page
        else:
            self._new(continued_from=b.other_page)
        self._floating = False

    # -- headings

    def _heading_run(self, i: int) -> int:
        j = i
        while j < len(self.blocks) and self.blocks[j].kind in ("heading", "label"):
            j += 1
        run = self.blocks[i:j]
        run = self._trim_run(run, j)
        nxt = self.blocks[j] if j < len(self.blocks) else None
        heads = [(b.text, b.level) for b in run if b.kind == "heading"]
        labels = [b.text for b in run if b.kind == "label"]
        self._floating = False
        if not heads:
            if nxt is not None and nxt.kind == "byline" or self.cur is None:
                self._new(labels=labels)
            else:
                self.cur.labels.extend(labels)
            return j
        if nxt is not None and nxt.kind == "byline":
            self._new(heads=heads, labels=labels)
        elif self._is_photo_ahead(j):
            self._new(heads=heads, labels=labels)
        elif self._give_to_waiting(heads, labels):
            pass
        elif self._is_section_head(heads, labels):
            assert self.cur is not None  # only a current draft has section heads
            self.cur.paras.append(_Para(heads[0][0]))
            self.cur.section_heads += 1
        elif self._is_broken_body(heads, labels):
            assert self.cur is not None  # only a current draft has a body to continue
            self.cur.paras.append(_Para(heads[0][0]))
        else:
            self._new(heads=heads, labels=labels)
        return j

    def _trim_run(self, run: list[_Block], end: int) -> list[_Block]:
        """Plain lines far above a headline are the tail of the text before it, not its kicker."""
        first_md = next((k for k, b in enumerate(run) if b.kind == "heading" and b.level is not None), None)
        keep_from = 0
        if first_md is not None:
            keep_from = max(0, first_md - 1)
        else:
            plain = [k for k, b in enumerate(run) if b.kind == "heading"]
            if len(plain) > 3:
                keep_from = plain[-3]
        for b in run[:keep_from]:
            if b.kind == "heading":
                self._on_body(_Block("body", b.text))
        return run[keep_from:]

    def _is_photo_ahead(self, j: int) -> bool:
        size = 0
        for b in self.blocks[j : j + 4]:
            if b.kind == "credit":
                return size > 0
            if b.kind != "body":
                return False
            size += len(b.text)
            if size > _PHOTO_CAPTION_MAX:
                return False
        return False

    def _give_to_waiting(self, heads, labels) -> bool:
        """A headline that column order printed after its article's body (seed 002)."""
        waiting = [d for d in self.drafts if d.awaiting_title and d.paras]
        if not waiting:
            return False
        _, title, _, _ = _assign_heads(heads)
        scored = sorted(((_title_match(title, d.text()), k) for k, d in enumerate(waiting)), reverse=True)
        score, k = scored[0]
        if score < 0.3:
            return False
        d = waiting[k]
        d.heads, d.awaiting_title, d.late_titled = heads, False, True
        d.labels.extend(labels)
        self.cur = d
        self._floating = True
        return True

    def _is_section_head(self, heads, labels) -> bool:
        cur = self.cur
        if cur is None or len(heads) != 1 or cur.credits or cur.mode not in ("feature", "headless"):
            return False
        level = heads[0][1]
        return not (level is not None and cur.title_level is not None and level <= cur.title_level)

    def _is_broken_body(self, heads, labels) -> bool:
        """A lone short plain line right after a sentence that broke off is more of that text."""
        cur = self.cur
        return (
            cur is not None
            and len(heads) == 1
            and heads[0][1] is None
            and not labels
            and bool(cur.paras)
            and not ends_sentence(cur.paras[-1].text)
        )


# ---------------------------------------------------------------- finishing


def _attach_late_blocks(drafts: list[_Draft]) -> None:
    """Paragraphs after a late headline: the first goes on with its article's broken sentence;
    the others go to whichever late-titled article of that column they read most like."""
    late = [d for d in drafts if d.late_titled]
    profiles = {id(d): _bigrams(d.text()) for d in late}
    for d in late:
        floating = [p for p in d.paras if p.floating]
        if not floating:
            continue
        first = floating[0]
        fixed = [p for p in d.paras if not p.floating]
        if fixed and not ends_sentence(fixed[-1].text):
            fixed[-1].text += first.text
            d.paras.remove(first)
        else:
            first.floating = False
        for p in floating[1:]:
            p.floating = False
            bg = _bigrams(p.text)
            best = max(late, key=lambda other: _cosine(bg, profiles[id(other)]))
            own = _cosine(bg, profiles[id(d)])
            if best is not d and _cosine(bg, profiles[id(best)]) > own * 1.2:
                d.paras.remove(p)
                best.paras.append(p)


def _key(text: str) -> str:
    return re.sub(rf"[^{HAN}\w]", "", text)


_SENTENCE = re.compile(r"[^。！？；]*[。！？；]+[”’」』）]*|[^。！？；]+$")


class _Seen:
    """What the page has already printed, to keep each paragraph and sentence once."""

    def __init__(self):
        self.keys: list[str] = []
        self.sentences: set[str] = set()
        self.shingles: set[str] = set()
        self.blob = ""

    def add(self, text: str) -> None:
        from pipeline.clean import _shingles

        k = _key(text)
        self.keys.append(k)
        self.blob += "\n" + k
        self.sentences.update(_key(s) for s in _SENTENCE.findall(text) if len(_key(s)) >= 12)
        self.shingles |= _shingles(text)


def _dedupe(drafts: list[_Draft]) -> None:
    """Each paragraph and sentence once on the page, first printing kept; then a paragraph that
    a longer one elsewhere on the page nearly contains (an OCR double printed first) goes."""
    seen = _Seen()
    for d in drafts:
        kept: list[_Para] = []
        for p in d.paras:
            text = _unseen_part(p.text, d, kept, seen)
            if text:
                p.text = text
                kept.append(p)
                seen.add(text)
        d.paras = kept
    _drop_contained(drafts)


def _drop_contained(drafts: list[_Draft]) -> None:
    from pipeline.clean import _shingles

    paras = [p for d in drafts for p in d.paras]
    shingles = {id(p): _shingles(p.text) for p in paras}
    doomed = set()
    for p in paras:
        n = len(_key(p.text))
        if n < 20:
            continue
        for q in paras:
            if q is not p and id(q) not in doomed and len(_key(q.text)) > n:
                if coverage(p.text, shingles[id(q)]) >= 0.85:
                    doomed.add(id(p))
                    break
    for d in drafts:
        d.paras = [p for p in d.paras if id(p) not in doomed]


def _unseen_part(text: str, d: _Draft, kept: list[_Para], seen: _Seen) -> str:
    k = _key(text)
    if not k:
        return ""
    if k in seen.keys or (len(k) >= 12 and k in seen.blob):
        return ""
    for q in kept:  # a fuller copy of a paragraph already kept replaces it in place
        qk = _key(q.text)
        if len(qk) >= 12 and qk in k:
            q.text = text
            seen.add(text)
            return ""
    sentences = _SENTENCE.findall(text)
    fresh = [s for s in sentences if not (len(_key(s)) >= 12 and (_key(s) in seen.sentences or _key(s) in seen.blob))]
    rest = "".join(fresh).strip() if len(fresh) < len(sentences) else text
    if len(_key(rest)) >= 20 and coverage(rest, seen.shingles) >= 0.85:
        return ""  # an OCR double of text printed above
    return rest


def _rejoin(paras: list[_Para]) -> list[_Para]:
    out: list[_Para] = []
    for p in paras:
        if out and strong_join(out[-1].text, p.text) and not is_heading_like(out[-1].text):
            out[-1].text += p.text
        else:
            out.append(p)
    return out


def _balanced_title(title: str) -> str:
    """致富路上的“工会莹姐 → 致富路上的“工会莹姐”: the closing mark lost at a line end."""
    for o, c in (("“", "”"), ("‘", "’"), ("《", "》"), ("（", "）")):
        if title.count(o) > title.count(c) and not title.endswith(c):
            title += c
    return title


_LEAD_IN = re.compile(
    r"^(?:\d{1,2}月\d{1,2}日|\d{1,2}日|\d{4}年\d{1,2}月\d{1,2}日)?(?:上午|下午|晚上|晚|早上)?$|^(?:近日|日前|近期|昨天|今天|据悉|据了解|据介绍|本报讯)"
)


def _context_title(d: _Draft, section_heads: list[str]) -> str:
    """A title for text that came without one: its first section head, else its first clause
    that says something (not 近日 / 4月28日)."""
    if section_heads:
        return section_heads[0]
    first = d.paras[0].text if d.paras else ""
    clauses = [c.strip("“”‘’ ") for c in re.split(r"[，。！？；：]", first) if c.strip("“”‘’ ")]
    for clause in clauses:
        if len(clause) >= 6 and not _LEAD_IN.match(clause):
            return clause[:30]
    return clauses[0][:30] if clauses else ""


def _kind(d: _Draft, body: str, kicker: str, title: str, subtitle: str) -> str:
    cues = " ".join([kicker, title, subtitle, *d.labels, *(t for _, t in d.bylines)])
    if d.credits and (len(body) <= _PHOTO_CAPTION_MAX or not d.bylines):
        return "photo"
    if _COMMENTARY_CUE.search(cues):
        return "commentary"
    if d.mode == "news":
        return "news"
    if d.mode == "feature" or d.section_heads or _FEATURE_CUE.search(" ".join(d.labels)) or len(body) > _FEATURE_MIN:
        return "feature"
    return "news"


def _page_meta(page: Page, text: str) -> tuple[str | None, str | None, str]:
    date, number, source = page.date, page.page, page.source
    if not (date and number and source):
        p_date, p_page, p_paper = find_paper_line(text)
        date, number, source = date or p_date, number or p_page, source or p_paper or ""
    if not date:
        for line in text.splitlines():
            m = _PUBDATE_LINE.match(line.strip())
            if m:
                date = parse_date(m.group(1))
                break
    return date, number, source


def _to_article(d: _Draft, page: Page, meta, position: int) -> Article | None:
    d.paras = _rejoin(d.paras)
    body = "\n".join(p.text for p in d.paras if p.text.strip())
    kicker, title, subtitle, slogan_labels = _assign_heads(d.heads)
    d.labels.extend(slogan_labels)
    if not title:
        heads = [p.text for p in d.paras if is_heading_like(p.text) and not ends_sentence(p.text)]
        title = _context_title(d, heads if d.continued_from else [])
    if not (title or body):
        return None
    credits = list(dict.fromkeys(d.credits))  # a page printed twice repeats its credits
    byline = merge_bylines(*(parse_byline(t) for _, t in d.bylines), *(parse_byline(c) for c in credits))
    date, number, source = meta
    return Article(
        title=_balanced_title(title),
        body=body,
        kicker=_balanced_title(kicker),
        subtitle=subtitle,
        byline=byline,
        dateline=find_dateline(body),
        kind=_kind(d, body, kicker, title, subtitle),
        date=date,
        source=source,
        url=page.url,
        page=number,
        position=position,
        origin=page.origin,
    )


def _drop_repeats(articles: list[Article]) -> list[Article]:
    """A repeated article goes: its headline was printed already and de-duplication left it no text."""
    out: list[Article] = []
    titles: set[str] = set()
    for a in articles:
        t = _key(a.title)
        if t in titles and not a.body:
            continue
        titles.add(t)
        out.append(a)
    return [a.with_(position=i) for i, a in enumerate(out)]


def split_page_into_articles(page: Page) -> list[Article]:
    """The articles printed on one page, in page order, each once."""
    text = clean_page_text(page.text)
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    meta = _page_meta(page, text)
    paragraphs = [p for p in paragraphs if not _is_page_meta_line(p)]
    blocks = _relocate_fragments(_classify(paragraphs))
    drafts = _Assembler(blocks).run()
    _attach_late_blocks(drafts)
    _dedupe(drafts)
    articles = [a for a in (_to_article(d, page, meta, k) for k, d in enumerate(drafts)) if a is not None]
    return _drop_repeats([part for a in articles for part in finish_article(a)])


def _is_page_meta_line(p: str) -> bool:
    t = p.strip()
    if _PUBDATE_LINE.match(t) or ("\n" not in t and is_furniture_line(t) and t not in FURNITURE_TITLES):
        return True
    return len(t) <= 40 and t.startswith("《") and find_paper_line(t)[0] is not None


# ---------------------------------------------------------------- page furniture and digests

# Headings that name a part of the page, not a story: a table of contents, navigation, a column's
# opening note. Such an item is kept as kind "furniture", which search and who leave out.
FURNITURE_TITLES = frozenset("本版导读 导读 版面导航 开栏语 开栏的话 往期回顾 上一版 下一版".split())
_PAGE_HEADER = re.compile(
    r"^(?:\d{2,5}版\s*[:：]|第[A-Z]?\d{1,3}版\s*[:：]|第\d+期\s*[:：]\s*第[A-Z]?\d{1,3}版|当前版\s*[:：])"
)
_NAV = re.compile(
    r"上一版|下一版|上一篇|下一篇|上一期|下一期|版面导航|本版导读|往期回顾|放大\s*缩小|新闻搜索\s*[:：]?$"
)
# the e-paper's trailer: 浙江工人日报 工会 00002 <title> 2018-08-02 2 2018年08月02日 星期四
_TRAILER = re.compile(r"\s\d{5}\s.*\d{4}-\d{2}-\d{2}.*星期[一二三四五六日天]\s*$")
_PAGE_FIELD = re.compile(r"^(?:日期|字号|版面|版次|当前报纸名称|发布日期|出版日期|文章字数)\s*[:：]")
_PAGE_NUMBER = re.compile(r"^[A-Z]?\d{1,3}$")
_BULLET = re.compile(r"^[▲△■●◆★☆◇]\s*")
_TRAILING_AUTHOR = re.compile(r"(?<=[。！？”）)])\s*(?P<credit>[（(][\u4e00-\u9fff·\s、]{2,16}[）)])\s*$")


def is_furniture_line(line: str) -> bool:
    """A line the e-paper prints around its stories: page headers (00002版:要闻, 第8835期:第02版 综合),
    navigation (上一版 下一版, 版面导航), reader fields (字号:, 版面:) and the page trailer."""
    t = line.strip()
    if not t:
        return False
    if t in FURNITURE_TITLES or _PAGE_HEADER.match(t) or _PAGE_FIELD.match(t) or _TRAILER.search(t):
        return True
    # navigation words inside a sentence (他说：“下一篇…”) are text, not navigation
    return len(t) <= 60 and not re.search(r"[。！？，；“”]", t) and bool(_NAV.search(t))


def _is_heading_line(t: str) -> bool:
    return 0 < len(t) <= 30 and not re.search(r"[。！？；]", t) and not t.endswith(("：", ":"))


def _strip_furniture(title: str, lines: list[str]) -> tuple[str, list[str]]:
    """(title, lines) without page furniture; a headline list at the top (the page's other
    stories, then this one's headline again) goes, and the repeated headline becomes the title."""
    out: list[str] = []
    for k, line in enumerate(lines):
        t = line.strip()
        if is_furniture_line(t):
            continue
        nxt = lines[k + 1].strip() if k + 1 < len(lines) else ""
        if _PAGE_NUMBER.match(t) or (_is_heading_line(t) and len(t) <= 8 and _PAGE_NUMBER.match(nxt) and not out):
            continue  # 综合新闻 / 02: the section and page number printed above the story
        out.append(line)
    top = 0
    while top < len(out) and _is_heading_line(out[top].strip()):
        top += 1
    run = [x.strip() for x in out[:top]]
    if len(run) >= 3 and run[-1] in run[:-1]:
        title, out = run[-1], out[top:]  # the page's headline list, closed by this story's own headline
    while out and out[0].strip() == title.strip():
        out = out[1:]  # the headline printed again above the text
    return title, out


def _digest_items(lines: list[str]) -> tuple[str, list[tuple[str, str]]] | None:
    """(column label, [(item text, credit)]) when the text is a digest of short items, each with its
    own text (▲… (writer) ▲…), else None."""
    from pipeline.byline import author_in_brackets

    if sum(bool(_BULLET.match(x.strip())) for x in lines) < 2:
        return None
    label = ""
    items: list[list] = []  # [text, credit, closed]
    for line in lines:
        t = line.strip()
        if not t:
            continue
        credit = author_in_brackets(t)
        if credit and items and not items[-1][1]:
            items[-1][1], items[-1][2] = credit, True
            continue
        bullet = _BULLET.match(t)
        if not items and not bullet:
            label = t if _is_heading_line(t) else label
            if not _is_heading_line(t):
                return None  # running text before the first item: not a digest
            continue
        m = _TRAILING_AUTHOR.search(t)
        inline = author_in_brackets(m["credit"]) if m else ""
        body = t[bullet.end() :] if bullet else t
        if inline:
            assert m is not None  # an inline author comes from the match
            body = (
                body[: len(body) - len(m.group())].rstrip() if not bullet else body[: body.rfind(m["credit"])].rstrip()
            )
        if bullet or not items or items[-1][2]:
            items.append([body, inline, bool(inline)])  # a line after a closed item starts the next one
        else:
            items[-1][0] += body
            if inline:
                items[-1][1], items[-1][2] = inline, True
    items = [x for x in items if len(x[0]) >= 8]
    if len(items) < 2:
        return None
    return label, [(text, credit) for text, credit, _ in items]


def _item_title(text: str) -> str:
    clauses = [c.strip("“”‘’ ") for c in re.split(r"[，。！？；：,]", text) if c.strip("“”‘’ ")]
    for clause in clauses:
        if len(clause) >= 6 and not _LEAD_IN.match(clause):
            return clause[:30]
    return clauses[0][:30] if clauses else text[:30]


def finish_article(article: Article) -> list[Article]:
    """An article without page furniture: header and navigation lines and the page's headline
    list taken out; a digest of items with their own text becomes one article per item; a table
    of contents or a column's opening note (本版导读, 开栏语 …) is kept as kind ``furniture``."""
    title = article.title.strip()
    heading_is_furniture = title in FURNITURE_TITLES or is_furniture_line(title)
    lines = article.body.split("\n")
    new_title, lines = _strip_furniture("" if heading_is_furniture else title, lines)
    if heading_is_furniture and not new_title:
        # the real headline may stand first in the text (00002版:要闻 / 省总工会酷暑送清凉 / …)
        first = next((x.strip() for x in lines if x.strip()), "")
        if _is_heading_line(first) and title not in FURNITURE_TITLES and len(lines) > 1:
            new_title, lines = first, lines[lines.index(next(x for x in lines if x.strip())) + 1 :]
    lines = [x for x in lines if x.strip() not in FURNITURE_TITLES]
    body = "\n".join(lines).strip()
    digest = _digest_items(lines)
    if digest is not None:
        label, items = digest
        kicker = label or (article.kicker if not heading_is_furniture else "")
        return [
            article.with_(
                title=_item_title(text),
                body=text,
                kicker=kicker,
                subtitle="",
                kind="news",
                byline=Byline(raw=credit) if credit else Byline(),
                position=article.position,
            )
            for text, credit in items
        ]
    if heading_is_furniture and not new_title:
        return [article.with_(body=body, kind="furniture")]
    return [article.with_(title=new_title or title, body=body)]
