"""Cleaning text that came out of PDF/OCR page extraction (and, more lightly, HTML/JSONL bodies).

Page text arrives with the faults of column extraction: words broken over a blank line
(``解\\n\\n决``), spaces between CJK characters (``肃北 蒙古族自治县``), a paragraph
indent rendered as a space after a full stop (``赞不绝口。 据悉``), half-width punctuation
inside Chinese (``1.5万,面积``), and layout debris (``第03版:工会``, ``上一版 下一版``, ``×``).

``clean_page_text`` keeps every character of the text (only debris lines go) and the real
paragraph breaks; it writes one paragraph per line with a blank line between paragraphs,
and keeps markdown heading markers (``#``, whole-line ``**…**``) because the splitter reads
them. It is idempotent: cleaning clean text changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.byline import (
    is_agency_line,
    is_byline_line,
    is_credit_line,
    split_byline_tail,
    split_leading_byline,
    split_trailing_credit,
)
from pipeline.models import Article, Byline
from pipeline.segment import jieba_tokenizer

from .chars import HAN

_HAN_RE = re.compile(f"[{HAN}]")
CJK_PUNCT = "，。、；：？！“”‘’（）《》【】〈〉「」『』…—～·"
_TERMINAL_END = re.compile(r"(?:[。！？；…]|[。！？；…][”’」』）)]+|——)$")
_SENTENCE_END = re.compile(r"[。！？；]")
_CLAUSE_PUNCT = re.compile(r"[，、；：,;:]")
_OPENERS = ("“", "‘", "《", "（", "【", "「", "『")
_CLOSERS = {"“": "”", "‘": "’", "《": "》", "（": "）", "【": "】", "「": "」", "『": "』"}
_CANNOT_START = "，。、；：？！）》”’】…,.;:!?)"

# ---------------------------------------------------------------- layout vocabulary

# Column and series labels printed above articles; they are not titles.
SECTION_LABELS = frozenset(
    {
        "阅读提示",
        "新闻特写",
        "工会工作巡礼",
        "奋斗百年路 启航新征程",
        "团结奋斗开新局 喜迎工会十八大",
        "抗疫情促发展 工会在行动",
        "工“娘家人”故事",
        "编者按",
        "图片新闻",
        "新闻速览",
        "本版导读",
        "记者观察",
        "记者手记",
        "一线传真",
        "工会动态",
        "基层传真",
        "新闻链接",
        "相关链接",
        "短评",
    }
)
# Short column names built like the known ones (工会工作巡礼, 新闻特写); six characters at most.
_LABEL_SUFFIX = re.compile(r"^.{0,4}(?:巡礼|特写|提示|速览|传真|链接|手记|导读)$")
CONTINUATION_MARK = re.compile(r"^[（(]\s*(?:上接|下转|接|转)第?\s*(\d{1,2})\s*版\s*[）)]")
_DEBRIS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^[×✕]$",
        r"^第?\s*\d{1,5}\s*版\s*[:：]\s*\S{1,8}$",  # 第03版:工会, 00002版:工会
        r"^\d*\s*上一版\s*\d*\s*下一版\s*\d*",  # 上一版 下一版
        r"版面导航",
        r"^第\d+期\s*[:：]\s*第\d+版",  # 第8835期:第02版 综合
        r"^语音播报",
        r"^关注公众号",
        r"官方网站\s*\|",
        r"跟帖评论自律管理承诺书|不良信息举报电话",
        r"\S\s+\|\s+\S.*\s\|\s",  # nav bars: a | b | c
        r"copyright|all rights reserved|版权所有",
        r"^(?:扫码关注|中工网(?:微信|微博|抖音)|客户端|听新闻|正文|等待处理…*|打印|关闭窗口|返回顶部|分享到\S*)$",
        r"^(?:责编|责任编辑|编辑|标签|发布者)\s*[:：]",
        r"^作者\s*[:：]\s*admin$",
        r"^阅读\s*[:：]\s*\d+$",
        r"\.(?:jpe?g|png|gif)$",
        r"-->\s*$",
        r"^\S{2,8}报\s*数字报纸$",
        r"^\S{2,10}报\s+\d{4}年\d{1,2}月\d{1,2}日\s+星期[一二三四五六日天]$",  # masthead line
        r"报.*\d{4}-\d{2}-\d{2}.*星期[一二三四五六日天]$",  # 浙江工人日报 trailer
        r"^(?:当前位置|您现在的位置|您的位置)",  # breadcrumbs
        r"\S\s*>{1,2}\s*\S.*>",
        r"^(?:放大\s*缩小\s*默认|关闭|相关报道[:：]?|展开通版|收缩通版|通版阅读请点击[:：]?|参与评论.*)$",
        r"^(?:来源|发布时间)\s*[:：]",
        r"^[（(]?责编[:：]",
        r"^\d{1,2}\.\d{1,2}\.\d{4}\s+\d{1,2}:\d{2}$",
        r"^\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:来源[:：].*)?$",
        r"^(?:中工娱乐|中工网|工人日报|中工网-工人日报|精彩新闻|新闻推荐|相关阅读|分享|登录|下载APP|用手机看)$",
        r"ICP备|404 Not Found|打印本页|浏览字号|二维码|^文字[:：]\s*大\s*中\s*小|相关热词|^本文来源[:：]|^此稿发表时间",
    )
]


_DEBRIS_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in _DEBRIS), re.IGNORECASE)


def is_debris(line: str) -> bool:
    """Page chrome that is no part of any article (always a short line)."""
    t = line.strip()
    if not t or len(t) > 100:
        return False
    return bool(_DEBRIS_ANY.search(t) or (" " in t and _DEBRIS_ANY.search(re.sub(r"\s+", "", t))))


def is_label(line: str) -> bool:
    """A column or series label (阅读提示, 工会工作巡礼, 奋斗百年路 启航新征程)."""
    t = markdown_text(line)
    if t in SECTION_LABELS:
        return True
    # An OCR stray character before a known label (即工“娘家人”故事).
    if any(len(t) == len(lab) + 1 and t.endswith(lab) for lab in SECTION_LABELS):
        return True
    return bool(_LABEL_SUFFIX.match(t)) and not _CLAUSE_PUNCT.search(t)


def markdown_level(line: str) -> int | None:
    """1-6 for ``#`` headings, 7 for a whole-line bold heading, None for plain text."""
    m = re.match(r"^(#{1,6})\s", line)
    if m:
        return len(m.group(1))
    if re.fullmatch(r"\*\*[^*]+\*\*", line.strip()):
        return 7
    return None


def markdown_text(line: str) -> str:
    """The text of a line without heading markers."""
    t = re.sub(r"^#{1,6}\s+", "", line.strip())
    m = re.fullmatch(r"\*\*([^*]+)\*\*", t)
    return (m.group(1) if m else t).strip()


# ---------------------------------------------------------------- characters

# Never text: terminal escape sequences (ESC [ 31 m colours a terminal, ESC ] sets its title),
# C0/C1 control characters (BEL, backspace …), bidirectional embeddings, overrides and
# isolates (U+202E shows text reversed), zero-width spaces and joiners (invisible inside a
# word, they break matching: 马背\u200d送学 is not 马背送学), soft hyphens, BOMs, and tag
# characters. Vertical tab, form feed, NEL and the Unicode line/paragraph separators
# become line breaks.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]"
)
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_LINE_BREAKS = {0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"}


def strip_invisible(text: str) -> str:
    """``text`` without escape sequences, control characters (tab and line breaks stay),
    bidirectional controls and zero-width characters."""
    if text.isprintable():
        return text
    if "\x1b" in text or "\x9b" in text:
        text = _ESCAPE_SEQUENCE.sub("", text)
    return _INVISIBLE.sub("", text.translate(_LINE_BREAKS))


def strip_invisible_fields(article: Article) -> Article:
    """An article with strip_invisible applied to every text field it carries."""
    b = article.byline
    byline = Byline(
        strip_invisible(b.raw),
        *(tuple(strip_invisible(n) for n in names) for names in (b.reporters, b.correspondents, b.photographers)),
    )
    return article.with_(
        title=strip_invisible(article.title),
        body=strip_invisible(article.body),
        kicker=strip_invisible(article.kicker),
        subtitle=strip_invisible(article.subtitle),
        dateline=strip_invisible(article.dateline),
        source=strip_invisible(article.source),
        url=strip_invisible(article.url) if article.url else article.url,
        byline=byline if byline != b else b,
    )


_FULL_TO_HALF: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}  # ０-９
_FULL_TO_HALF.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FULL_TO_HALF.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FULL_TO_HALF.update({ord(c): ord(c) - 0xFEE0 for c in "％＋＝＜＞＆＠＃＄＊／"})
_FULL_TO_HALF.update({0x3000: 0x20, 0xA0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x200B: None, 0xFEFF: None})
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


def _is_cjk(ch: str) -> bool:
    return bool(ch) and (bool(_HAN_RE.match(ch)) or ch in CJK_PUNCT)


def _neighbour(text, i: int, step: int) -> str:
    """The nearest character that is not a space, looking left (step -1) or right (step 1)."""
    i += step
    while 0 <= i < len(text) and text[i] in " \t":
        i += step
    return text[i] if 0 <= i < len(text) else ""


_HALF_PUNCT = re.compile(r"[,;:?!()]")


def _punct_to_fullwidth(line: str) -> str:
    """Half-width , ; : ? ! ( ) touching Chinese text become full-width (10:30 and latin text keep theirs)."""
    out = list(line)
    for m in _HALF_PUNCT.finditer(line):
        i, ch = m.start(), m.group()
        prev = _neighbour(out, i, -1)
        nxt = _neighbour(line, i, 1)
        if ch == ":" and prev.isdigit() and nxt.isdigit():
            continue
        after_chinese = _is_cjk(prev) and prev not in "“‘（《"
        before_chinese = bool(nxt) and bool(_HAN_RE.match(nxt)) and not re.match(r"[A-Za-z]", prev or " ")
        if after_chinese or before_chinese or (ch == "(" and _is_cjk(nxt)):
            out[i] = _HALF_TO_FULL[ch]
    return "".join(out)


_OPEN_BEFORE = set("（《【：，、(:,“‘—")
_CLOSE_AFTER = set("，。、；：？！）》】,.;:!?)”’…—的等了")


def _direct_quotes(line: str, q: str, opening: str, closing: str, is_open: bool = False) -> str:
    """Straight quotes in Chinese text become curly. The direction is read from the neighbours
    (after a comma or at a line's head a quote opens; before punctuation or at the end it closes),
    otherwise from the running open/closed state, which may start open when the line goes on
    with a quotation the line before left open."""
    if q not in line or not any(_is_cjk(c) for c in line):
        return line
    out = list(line)
    for i, ch in enumerate(line):
        if ch != q:
            continue
        prev = line[i - 1] if i else ""
        nxt = line[i + 1] if i + 1 < len(line) else ""
        if q == "'" and prev.isascii() and prev.isalpha() and nxt.isascii() and nxt.isalpha():
            continue  # an English apostrophe
        if prev == "" or prev.isspace() or prev in _OPEN_BEFORE:
            opens = True
        elif nxt == "" or nxt.isspace() or nxt in _CLOSE_AFTER:
            opens = False
        else:
            opens = not is_open
        out[i] = opening if opens else closing
        is_open = opens
    return "".join(out)


_AND_FOR_HE = re.compile(rf"(?<=[{HAN}])\s+and\s+(?=[{HAN}])")  # an OCR/translation slip for 和
_ELLIPSIS = re.compile(rf"(?<=[{HAN}])\.{{3,}}|(?<=[{HAN}])…(?!…)")
_DASH = re.compile(rf"(?<=[{HAN}”])\s*(?:-{{2,}}|(?<!—)—(?!—))\s*(?=[{HAN}“]|$)")
_KICKER_HYPHEN = re.compile(rf"(?<=[{HAN}])-$")  # a kicker's closing dash shrunk to a hyphen
_WHOLE_BOLD = re.compile(r"\s*\*\*[^*]+\*\*\s*")


def normalize_chars(line: str, quote_open: bool = False) -> str:
    """Width and punctuation for one line: ASCII digits/letters, Chinese punctuation in Chinese text.
    ``quote_open``: the previous line broke off inside a quotation."""
    s = line.translate(_FULL_TO_HALF)
    if " and " in s:
        s = _AND_FOR_HE.sub("和", s)
    if '"' in s:
        # Only a line with an odd number of straight quotes can be closing one opened before it.
        carry = quote_open and s.count('"') % 2 == 1 and "“" not in s[: s.find('"')]
        s = _direct_quotes(s, '"', "“", "”", carry)
    if "'" in s:
        s = _direct_quotes(s, "'", "‘", "’")
    if _HALF_PUNCT.search(s):
        s = _punct_to_fullwidth(s)
    if "." in s or "…" in s:
        s = _ELLIPSIS.sub("……", s)
    if "-" in s or "—" in s:
        s = _KICKER_HYPHEN.sub("——", _DASH.sub("——", s))
    if "**" in s and not _WHOLE_BOLD.fullmatch(s):  # bold inside a line is emphasis, not a heading
        s = s.replace("**", "")
    return s


# ---------------------------------------------------------------- paragraphs


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_heading_like(line: str) -> bool:
    """Short, without a full stop inside: a headline, kicker, label, byline or section head."""
    if markdown_level(line) is not None:
        return True
    t = _plain(line)
    if not t or len(t) > 40 or "。" in t or "；" in t:
        return False
    return not re.search(r"[！？]", t[:-1])


def starts_mid_sentence(line: str) -> bool:
    """Text that can only be the rest of a sentence begun elsewhere: it opens on punctuation
    that closes something, or closes a quote it never opened (全国争一流”的目标…)."""
    t = _plain(markdown_text(line))
    if not t:
        return False
    if t[0] in _CANNOT_START:
        return True
    for ch in t:
        if ch in _OPENERS:
            return False
        if ch in ("”", "’", "》"):
            return True
    return False


def unclosed_opener(text: str) -> bool:
    """True when a quote or bracket is still open at the end of the text."""
    return any(text.count(o) > text.count(c) for o, c in _CLOSERS.items())


def ends_sentence(text: str) -> bool:
    t = _plain(text)
    return bool(t) and bool(_TERMINAL_END.search(t))


def open_tail(text: str) -> str:
    """The unfinished last sentence of a paragraph ('' when it ends on a full stop)."""
    t = _plain(text)
    if ends_sentence(t):
        return ""
    parts = _SENTENCE_END.split(t)
    return parts[-1]


def bridges_word(a: str, b: str) -> bool:
    """jieba, reading across the break, finds a word that spans it (解|决, 改|革, 向上|级 → 上级):
    the break split a word."""
    left, right = _plain(a)[-6:], _plain(b)[:6]
    if not (left and right and _HAN_RE.match(left[-1]) and _HAN_RE.match(right[0])):
        return False
    pos = 0
    for tok in jieba_tokenizer().cut(left + right, HMM=False):
        start, pos = pos, pos + len(tok)
        if start < len(left) < pos:
            return len(tok) >= 2 and all(_HAN_RE.match(c) for c in tok)
    return False


_NEW_SENTENCE = re.compile(
    r"^(?:\d{4}年|\d{1,2}月\d{1,2}日|\d{1,2}月(?:份|以来|初|中旬|下旬|底|起)|今年|去年|近日|日前|近年来|目前|据|此外|同时|截至|截止)"
)
_ROLE_END = re.compile(
    r"(?:部长|主任|主席|书记|经理|局长|院长|校长|站长|队长|组长|厂长|负责人|会长|理事长|秘书长|董事长|处长|科长|所长|馆长|总监|工程师|班长|代表)$"
)
_NAME_SAYS = re.compile(rf"^[{HAN}]{{2,3}}(?:说|介绍|表示|告诉|指出|认为|坦言|感慨)")
_OPENING_WORDS = re.compile(r"^(?:据|此外|同时|为|在|对|从|截至|目前|今年|近年来|如今|其中|随后|但|而)")


def _b_starts_fresh_quote(a: str, b: str) -> bool:
    """B opens a quotation although nothing in A asks for one: a new paragraph of speech."""
    bp, ap = _plain(b), _plain(a)
    if not bp or bp[0] not in "“‘":
        return False
    if unclosed_opener(ap) or ap[-1:] in "，、：“" or (ap.endswith("”") and bp[0] == "“"):
        return False
    return True


def _quote_never_closes(a: str, b: str) -> bool:
    """A left a quote open but B opens another before closing it: B is not A's continuation."""
    if not unclosed_opener(_plain(a)):
        return False
    for ch in b:
        if ch in "“":
            return True
        if ch in "”":
            return False
    return False


def strong_join(a: str, b: str) -> bool:
    """Evidence that B continues A's sentence regardless of layout."""
    ap, bp = _plain(a), _plain(b)
    if not ap or not bp or ends_sentence(ap) or _quote_never_closes(a, b):
        return False
    if bp[0] in _CANNOT_START:
        return True
    if ap[-1] in "，、,":
        return True
    if unclosed_opener(ap) and not _b_starts_fresh_quote(a, b):
        return True
    if _b_starts_fresh_quote(a, b):
        return False
    if len(bp) <= 8 and ends_sentence(bp) and len(open_tail(ap)) >= 6:
        return True  # 发挥积 | 极作用。
    if bridges_word(ap, bp):
        return True
    return bool(_ROLE_END.search(ap) and _NAME_SAYS.match(bp))


def weak_join(a: str, b: str) -> bool:
    """Layout evidence: A's open sentence reads like running text, so B most likely goes on with it."""
    ap, bp = _plain(a), _plain(b)
    if not ap or not bp or ends_sentence(ap) or _quote_never_closes(a, b):
        return False
    if _b_starts_fresh_quote(a, b) or _NEW_SENTENCE.match(bp):
        return False
    tail = open_tail(ap)
    if not _CLAUSE_PUNCT.search(tail[:-1]):
        return False
    slogan = is_heading_like(a) and re.search(rf"[{HAN}”]\s+[{HAN}“]", a)
    if len(tail) <= 20 and len(bp) <= 20 and not slogan:
        return True  # a run of narrow column lines
    return len(tail) >= 22 or bool(_OPENING_WORDS.match(tail))


@dataclass
class _Para:
    text: str
    fixed: bool = False  # never joined to a neighbour (headings, bylines, credits, labels…)
    opens_item: bool = False  # starts a new item (本报讯…): nothing joins onto its front


def _is_structural(line: str) -> bool:
    return bool(
        markdown_level(line) is not None
        or is_label(line)
        or CONTINUATION_MARK.match(line.strip())
        or is_byline_line(line)
        or is_credit_line(line)
        or _paper_line(line)
    )


def _paper_line(line: str) -> bool:
    from pipeline.dates import find_paper_line

    t = line.strip()
    return len(t) <= 40 and t.startswith("《") and find_paper_line(t)[0] is not None


def heading_group_before(lines: list[str], j: int, limit: int = 3) -> list[int]:
    """Indexes of the short heading-like lines right above line j (kicker, title, subtitle, label)."""
    out: list[int] = []
    i = j - 1
    while i >= 0 and len(out) < limit:
        line = lines[i]
        if markdown_level(line) is not None and markdown_level(lines[j]) is not None:
            break
        if not is_heading_like(line) or starts_mid_sentence(line) or is_credit_line(line) or is_byline_line(line):
            break
        if CONTINUATION_MARK.match(line.strip()) or _paper_line(line):
            break
        out.append(i)
        i -= 1
    return out


def _opens_item(line: str) -> bool:
    return bool(split_leading_byline(line)[0] or is_byline_line(line))


def _mark_structure(lines: list[str]) -> list[_Para]:
    paras = [_Para(t, fixed=_is_structural(t), opens_item=_opens_item(t)) for t in lines]
    for j, line in enumerate(lines):
        tail_byline = j and split_byline_tail(line)[0] and is_heading_like(lines[j - 1])
        if paras[j].opens_item or tail_byline:
            paras[j].opens_item = True
            for i in heading_group_before(lines, j):
                paras[i].fixed = True
        elif (level := markdown_level(line)) is not None and level < 7:
            for i in heading_group_before(lines, j, limit=1):
                paras[i].fixed = True
    return paras


def _shingles(text: str, n: int = 6) -> set[str]:
    t = re.sub(rf"[^{HAN}\w]", "", text)
    return {t[i : i + n] for i in range(max(1, len(t) - n + 1))}


def coverage(text: str, others: set[str]) -> float:
    """Share of a text's 6-character shingles found in a set of shingles from other text."""
    sh = _shingles(text)
    return len(sh & others) / len(sh) if sh else 0.0


def _joinable(a: _Para, b: _Para) -> bool:
    return not (a.fixed or b.fixed or b.opens_item)


def _concat(a: str, b: str) -> str:
    a, b = a.rstrip(), b.lstrip()
    if a and b and re.match(r"[A-Za-z0-9]", a[-1]) and re.match(r"[A-Za-z]", b[0]):
        return f"{a} {b}"
    return a + b


def _printed_elsewhere(paras: list[_Para], k: int) -> bool:
    """Paragraph k is an OCR double: its text is (nearly all) printed in other paragraphs."""
    if len(_plain(paras[k].text)) < 20:
        return False
    others: set[str] = set()
    for i, p in enumerate(paras):
        if i != k:
            others |= _shingles(p.text)
    return coverage(paras[k].text, others) >= 0.8


def _join_pass(paras: list[_Para]) -> list[_Para]:
    """One left-to-right pass: B joins A on strong evidence; a doubled paragraph wedged into
    a broken sentence steps aside for the sentence's continuation; then weaker layout evidence."""
    rest = list(paras)
    out: list[_Para] = []
    while rest:
        b = rest.pop(0)
        a = out[-1] if out else None
        if a is None or not _joinable(a, b):
            out.append(b)
            continue
        if not strong_join(a.text, b.text) and rest and _joinable(a, rest[0]):
            c = rest[0]
            if not b.fixed and strong_join(a.text, c.text) and _printed_elsewhere(out + [b] + rest, len(out)):
                rest[0] = b
                b = c
        if strong_join(a.text, b.text) or weak_join(a.text, b.text):
            out[-1] = _Para(_concat(a.text, b.text), opens_item=a.opens_item)
        else:
            out.append(b)
    return out


def join_broken_lines(lines: list[str]) -> list[str]:
    """Close up sentences and words that page layout broke over separate lines."""
    paras = _mark_structure(lines)
    for _ in range(4):  # to a fixpoint, so that cleaning clean text changes nothing
        before = [p.text for p in paras]
        paras = _join_pass(paras)
        if [p.text for p in paras] == before:
            break
    return [p.text for p in paras]


# ---------------------------------------------------------------- spaces

_ANY_SPACE = re.compile(r"\s")


def _drop_spaces_near_cjk(text: str, keep_between_han: bool) -> str:
    # In a headline a space may stand between a closing quote and the next phrase.
    p = "，。、；：？！（）《》【】…—～·" if keep_between_han else CJK_PUNCT
    text = re.sub(rf"\s+(?=[{p}])|(?<=[{p}])\s+", "", text)
    if keep_between_han:
        text = re.sub(r"(?<=[“‘])\s+|\s+(?=[”’])", "", text)
    text = re.sub(rf"(?<=[{HAN}])\s+(?=\d)|(?<=\d)\s+(?=[{HAN}])", "", text)
    text = re.sub(r"(?<=\d)\s+(?=[%‰])", "", text)
    if not keep_between_han:
        text = re.sub(rf"(?<=[{HAN}])\s+(?=[{HAN}])", "", text)
    return text


def tidy_spaces(line: str) -> str:
    """Remove the spaces column extraction left inside Chinese text; keep the ones that separate
    names in a byline, phrases in a headline, and latin words or numbers."""
    if not _ANY_SPACE.search(line):
        return line
    level = markdown_level(line)
    prefix = ""
    if level is not None and level < 7:
        prefix, line = line[:level] + " ", line[level:]
    t = re.sub(r"\s+", " ", line).strip()
    byline, rest = split_leading_byline(t)
    if not byline:
        byline, rest = split_byline_tail(t)
        if byline:
            byline = t[: len(t) - len(rest)].rstrip()
    if byline:
        head = re.sub(r"\s+", " ", byline)
        head = re.sub(r"(?<=[讯电])\s+(?=[（(])|(?<=[（(])\s+|\s+(?=[）)])", "", head)
        # A dispatch without brackets (XX网讯 昨天下午) keeps the space that shows where it ends.
        gap = " " if rest and not head.endswith(("）", ")")) else ""
        return prefix + head + gap + _drop_spaces_near_cjk(rest, keep_between_han=False)
    keep = is_heading_like(t) or is_byline_line(t) or is_credit_line(t)
    return prefix + _drop_spaces_near_cjk(t, keep_between_han=keep)


# ---------------------------------------------------------------- entry points


def _split_indents(line: str) -> list[str]:
    """A space after a full stop is the next paragraph's indent; a trailing photo credit is its own line."""
    if markdown_level(line) is not None:
        return [line]
    parts = re.split(rf"(?<=[。！？])\s+(?=[{HAN}“‘（《\d])", line)
    out: list[str] = []
    for part in parts:
        caption, credit = split_trailing_credit(part)
        out.extend([caption, credit] if credit else [part])
    return [p for p in out if p.strip()]


def _raw_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in strip_invisible(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        quote_open = bool(lines) and not is_heading_like(lines[-1]) and unclosed_opener(lines[-1])
        quote_open = quote_open and not ends_sentence(lines[-1])
        line = normalize_chars(raw, quote_open).strip()
        if not line or is_debris(line):
            continue
        if lines and is_agency_line(line) and is_credit_line(lines[-1] + " " + line.strip()):
            lines[-1] = lines[-1].rstrip() + "/" + line.strip().lstrip("/／")
            continue
        lines.extend(_split_indents(line))
    return lines


def clean_page_text(text: str) -> str:
    """Clean one extracted newspaper page: one paragraph per line, blank lines between them."""
    lines = _raw_lines(text or "")
    lines = join_broken_lines(lines)
    # Spaces gone, punctuation may now touch Chinese it was apart from: normalise once more.
    lines = [normalize_chars(tidy_spaces(line)) for line in lines]
    return "\n\n".join(line for line in lines if line and not is_debris(line))


def clean_article_body(text: str) -> str:
    """The light cleaning for bodies from HTML/JSONL: same normalisation, paragraphs as they are."""
    out = []
    for raw in strip_invisible(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = normalize_chars(raw).strip()
        if not line or is_debris(line):
            continue
        tidy = tidy_spaces(line)
        out.append(normalize_chars(tidy) if tidy != line else tidy)
    return "\n".join(out)
