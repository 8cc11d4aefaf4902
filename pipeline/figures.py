"""Figures (number + unit + what it counts) and dates, as plain spans over a field's text.

Numerals are parsed by cn2an (百名 → 100, 两亿元 → 200,000,000); Arabic numbers with a
magnitude are scaled here (33.65万名 → 336,500). "What it counts" is the noun right after a
classifier (33.65万名**职工**, 657场次**专场招聘会**) or, for money, percentages and people
counts, the noun phrase before the number (专项补助**经费**4000万元).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import cn2an

from .dates import resolve_dateline
from .segment import jieba_tokenizer
from .stopwords import COUNTED_STOP_CHARS, COUNTED_STOP_WORDS

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
_MAGNITUDES = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}
# classifiers: the counted thing follows (名职工, 家企业); measures: it precedes (经费…万元, 建制率…91%)
_CLASSIFIERS = (
    "场次 人次 户次 名 个 家 场 项 户 件 所 期 批 盏 对 台 辆 套 条 支 座 间 张 份 篇 门 种 类 班 组 届 块 本 位 处 "
    "款 堂 节 部 首 幅 枚 次 起 单 棵 株 头 只"
).split()
_MEASURES = "平方公里 平方米 公里 千米 公顷 千克 公斤 元 % ‰ 人 亩 米 吨 岁 小时 天 周 个月 GB".split()
_UNITS = sorted(_CLASSIFIERS + _MEASURES, key=len, reverse=True)
_FIGURE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|[" + _CN_DIGITS + r"]+)"
    r"(?P<approx0>多|余)?(?P<mag>万亿|亿|万|千|百)?(?P<approx>多|余|来)?"
    r"(?:(?P<unit>" + "|".join(re.escape(u) for u in _UNITS) + r")|(?<=[万亿])(?![\u4e00-\u9fff]))"
)
_BEFORE_SKIP = {
    "在",
    "保持",
    "达到",
    "达",
    "超过",
    "超",
    "为",
    "是",
    "约",
    "近",
    "共",
    "累计",
    "已",
    "了",
    "有",
    "到",
    "占",
    "共计",
    "仅",
    "总数",
    "总额",
    "投入",
    "安排",
    "给予",
    "发放",
    "增加",
    "惠及",
    "预算",
    "新列",
    "列支",
    "筹集",
    "提高",
    "增至",
    "合计",
    "以上",
    "每年",
    "每月",
    "每人",
    "分别",
    "年",
    "又",
    "已经",
    "超额",
    "覆盖",
    "却",
    "就",
    "也",
    "还",
    "都",
    "共有",
    "现有",
    "拥有",
    "首期",
    "短短",
    "涉及",
    "但",
    "启动",
    "推动",
    "完成",
    "新增",
    "至",
    "扩大",
    "虽说",
}


@lru_cache(maxsize=65536)
def _words(window: str) -> tuple[str, ...]:
    """jieba's words for a short window next to a number (cached: the same phrases recur)."""
    return tuple(jieba_tokenizer().cut(window, HMM=True))


def _number(num: str, mag: str | None) -> float | None:
    if num[0].isdigit():
        value = float(num)
    else:
        text = "一" + num if num[0] in "十百千万亿" else num
        try:
            value = float(cn2an.cn2an(text, "smart"))
        except (ValueError, KeyError):
            return None
    return value * _MAGNITUDES.get(mag or "", 1.0)


def _counted_after(text: str, pos: int) -> str:
    if text[pos : pos + 1] in ("“", '"'):
        pos += 1  # 1000场“文化大餐”
    words: list[str] = []
    for word in _words(text[pos : pos + 10]):
        if (
            word in COUNTED_STOP_WORDS
            or word[0] in COUNTED_STOP_CHARS
            or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z]+", word)
        ):
            break
        if words and (len(word) == 1 or sum(map(len, words)) + len(word) > 6):
            break  # 工会干部|进千企
        words.append(word)
        if len(words) == 2 or sum(map(len, words)) >= 5:
            break
    return "".join(words)


def _counted_before(text: str, pos: int) -> str:
    window = text[max(0, pos - 14) : pos]
    cut = max(window.rfind(ch) for ch in '，。；：、！？（）()“”"\n')
    window = window[cut + 1 :]
    words = list(_words(window))
    # drop the verbs and particles between the thing and its number (面积却有|6.6万平方公里)
    while words and (
        words[-1] in _BEFORE_SKIP or len(words[-1]) == 1 or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z]+", words[-1])
    ):
        words.pop()
    picked = []
    for word in reversed(words):
        if word in _BEFORE_SKIP or len(word) == 1 or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z]+", word):
            break
        picked.append(word)
        if len(picked) == 3 or sum(map(len, picked)) >= 6:
            break
    return "".join(reversed(picked))


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def find_figures(text: str) -> list[tuple[int, int, str, dict]]:
    """(start, end, value, attrs) for each number with a unit; attrs: unit, counted, number, approx."""
    out = []
    for m in _FIGURE.finditer(text):
        num, unit = m["num"], m["unit"] or ""
        if not unit and not m["mag"]:
            continue
        start = m.start()
        if not num[0].isdigit():
            if len(num) == 1 and num not in "十百千万":
                continue  # 一个, 两年, 三送三进: words, not figures
            if start and (text[start - 1] in "第周初星礼多余" or text[start - 1].isdigit()):
                continue
        elif start and (text[start - 1].isdigit() or text[start - 1] in ".-/:"):
            continue
        if not unit and not num[0].isdigit():
            continue  # 万, 亿 alone in words (万众一心) are not figures
        if unit == "周" and not num[0].isdigit():
            continue
        value = _number(num, m["mag"])
        if value is None:
            continue
        counted = _counted_after(text, m.end()) if unit in _CLASSIFIERS else ""
        if not counted:
            counted = _counted_before(text, start)
        attrs = {"unit": unit, "counted": counted, "number": value}
        if m["approx"] or m["approx0"]:
            attrs["approx"] = m["approx"] or m["approx0"]
        out.append((start, m.end(), _format(value), attrs))
    return out


_FULL_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>1[0-2]|0?[1-9])月(?P<d>3[01]|[12]\d|0?[1-9])日")
_MONTH_DAY = re.compile(r"(?<![\d年])(?P<m>1[0-2]|0?[1-9])月(?P<d>3[01]|[12]\d|0?[1-9])日")
_YEAR_MONTH = re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>1[0-2]|0?[1-9])月(?![\d日])")
_YEAR = re.compile(r"(?P<y>(?:19|20)\d{2})年(?![\d度]|以来|初|底|末)")
_RELATIVE = re.compile(
    r"(?:(?:19|20)\d{2}年(?:以来|初|底|末|度)|(?:1[0-2]|[1-9])月(?:以来|份以来|份)|今年以来|今春以来|近年来|今年|去年|明年|今春|年初|年底)"
)


def _with_year(m: re.Match, publication_date: str | None) -> str | None:
    if not publication_date:
        return None
    try:
        return date(int(publication_date[:4]), int(m["m"]), int(m["d"])).isoformat()
    except ValueError:
        return None


def find_dates(
    text: str, publication_date: str | None = None, dateline_at: int | None = None
) -> list[tuple[int, int, str, dict]]:
    """Dates as (start, end, value, attrs): ISO when the text (or the publication year for a
    bare month-day) fixes it, the phrase itself for 今年 / 2022年以来."""
    out: list[tuple[int, int, str, dict]] = []
    taken: list[tuple[int, int]] = []

    def add(s: int, e: int, value: str, kind: str) -> None:
        if any(a < e and s < b for a, b in taken):
            return
        taken.append((s, e))
        out.append((s, e, value, {"kind": kind}))

    for m in _FULL_DATE.finditer(text):
        add(m.start(), m.end(), f"{int(m['y']):04d}-{int(m['m']):02d}-{int(m['d']):02d}", "date")
    for m in _RELATIVE.finditer(text):
        add(m.start(), m.end(), m.group(), "relative")
    for m in _MONTH_DAY.finditer(text):
        # the dateline at the head of an article steps back a year when it would follow publication;
        # a date elsewhere may be a plan (从3月1日至7月31日), so it simply takes the publication year
        is_dateline = dateline_at is not None and m.start() == dateline_at
        resolved = resolve_dateline(m.group(), publication_date) if is_dateline else _with_year(m, publication_date)
        add(
            m.start(),
            m.end(),
            resolved or m.group(),
            ("dateline" if is_dateline else "date") if resolved else "month_day",
        )
    for m in _YEAR_MONTH.finditer(text):
        add(m.start(), m.end(), f"{int(m['y']):04d}-{int(m['m']):02d}", "month")
    for m in _YEAR.finditer(text):
        add(m.start(), m.end(), m["y"], "year")
    out.sort()
    return out


# ------------------------------------------------------------------ quantities as ranges


@dataclass(frozen=True)
class Quantity:
    """A number as a range of values, so 三千余名, 3000多名 and 3200名 can be compared.

    ``low``..``high`` (inclusive) is what the writing allows: 3000 → 3000..3000, 3000多 →
    3000..3999, 近50万 → 400000..500000, 约2000 → 1800..2200, 上万 → 10000..99999.
    ``kind`` groups units that count the same thing (名/人/位 → people, 元/块钱 → money).
    """

    start: int
    end: int
    low: float
    high: float
    kind: str  # unit group, '' when the number has no unit
    unit: str = ""  # as written: 名, 元, 家 …
    value: float = 0.0  # the number written, before its range (近50万 → 500000)

    def overlaps(self, other: Quantity) -> bool:
        """Same thing counted (or no unit on one side) and the two ranges meet."""
        if self.kind and other.kind and self.kind != other.kind:
            return False
        tol = 0.005 * max(abs(self.high), abs(other.high), 1.0)
        return self.low <= other.high + tol and other.low <= self.high + tol


_UNIT_KINDS = {
    "人": "people",
    "名": "people",
    "位": "people",
    "余人": "people",
    "人次": "visits",
    "元": "money",
    "块钱": "money",
    "块": "money",
    "家": "orgs",
    "%": "percent",
    "个百分点": "percent",
    "年": "year",
}
_Q_UNITS = sorted(set(_UNITS) | set(_UNIT_KINDS) | {"块钱"}, key=len, reverse=True)
_QUANTITY = re.compile(
    r"(?P<pre>将近|接近|近|约|大约|超过|超|逾|上)?"
    r"(?P<num>\d+(?:\.\d+)?|[" + _CN_DIGITS + r"]+)"
    r"(?P<approx0>多|余)?(?P<mag>万亿|亿|万|千|百)?(?P<approx>多|余|来)?"
    r"(?P<unit>" + "|".join(re.escape(u) for u in _Q_UNITS) + r")?"
    r"(?P<post>以上|左右|上下)?"
)


def _leading_step(value: float) -> float:
    """The size of the last non-zero place of a round number: 3000 → 1000, 1100 → 100, 11700 → 100."""
    if value <= 0 or value != int(value):
        return 1.0
    v, step = int(value), 1
    while v % 10 == 0:
        v //= 10
        step *= 10
    return float(step)


def _quantity_value(num: str, mag: str | None) -> float | None:
    if num[0].isdigit():
        return float(num) * _MAGNITUDES.get(mag or "", 1.0)
    if num in ("万", "亿") and not mag:
        return _MAGNITUDES[num]  # 万人, 上万名: a bare magnitude is one of it
    return _number(num, mag)


@lru_cache(maxsize=65536)
def find_quantities(text: str) -> tuple[Quantity, ...]:
    """Every number in ``text`` with the range its wording allows (cheap: regex and cn2an only)."""
    out = []
    for m in _QUANTITY.finditer(text):
        num = m["num"]
        if not num[0].isdigit():
            # a lone 一/十/千 inside words (一线, 十分, 千家万户) is no quantity without a unit
            if (
                (len(num) == 1 and not m["unit"] and not m["mag"] and num not in "万亿")
                or num in ("万", "亿")
                and not (m["unit"] or m["pre"] == "上")
            ):
                continue
            if m.start("num") and text[m.start("num") - 1] in "第周初星礼":
                continue
        elif m.start() and (text[m.start() - 1].isdigit() or text[m.start() - 1] in ".-/:"):
            continue
        value = _quantity_value(num, m["mag"])
        if value is None:
            continue
        low = high = value
        approx = m["approx"] or m["approx0"]
        if m["pre"] == "上" and num in ("万", "亿", "百", "千"):
            low, high = value, value * 10 - 1  # 上万: ten thousand and more, not a hundred thousand
        elif m["pre"] == "上":
            continue  # 上 before an ordinary number is a verb or a place word, not "over"
        elif approx:
            high = value + _leading_step(value) - 1e-9  # 3000多 → below 4000
        elif m["pre"] in ("将近", "接近", "近"):
            low = value * 0.8
        elif m["pre"] in ("约", "大约") or m["post"] in ("左右", "上下"):
            low, high = value * 0.9, value * 1.1
        elif m["pre"] in ("超过", "超", "逾") or m["post"] == "以上":
            high = value * 2
        unit = m["unit"] or ""
        out.append(Quantity(m.start(), m.end(), low, high, _UNIT_KINDS.get(unit, unit), unit, value))
    return tuple(out)
