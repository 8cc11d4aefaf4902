"""Organisation mentions: unions and government offices after a place, bare 市总 / 区人社局 resolved
from the sentence or the lead, national bodies, town unions, industry and enterprise unions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..chars import HAN
from ..models import Mention
from ..regions import gazetteer_hits, level_rank, region_by_code
from ..segment import jieba_tokenizer
from ..stopwords import NOUN_PHRASE_STOP_WORDS, PLACE_NAME_STOP_CHARS, REFERRING_CHARS, TOWN_NAME_STOP_CHARS
from .bodies import GOV_BODIES, GOV_BODY, ZONG_STARTS_A_WORD
from .places import Place, region_code_within
from .text import FieldText, on_word_boundary

_UNION_AFTER_PLACE = re.compile(
    rf"(?P<mid>[{HAN}]{{0,10}}?)(?P<suffix>行业工会联合会|工会联合会|行业联合会|产业工会|行业工会|联合工会|工联会|职工技术协会)"
)
# 总 right after a place is 总工会 abbreviated unless it is 总工会 written out or starts another word.
_NOT_ZONG_ABBREVIATION = re.compile(rf"工|{ZONG_STARTS_A_WORD}")
# 市总 / 区总工会 / 县人社局 with no place before them: resolved from the sentence or the lead
_BARE_PREFIXED = re.compile(
    rf"(?P<lvl>[省市县区旗])(?P<body>总工会|总(?!工|{ZONG_STARTS_A_WORD})|{GOV_BODIES.replace('|总工会', '')})"
)
# 各县总工会, 全市人社局, 县级市总工会: a level word after these is no one place's.
_NOT_ONE_PLACE_BEFORE = REFERRING_CHARS | frozenset("两三级等")
_TOWN_UNION_END = re.compile(r"(?:镇|乡|街道)总工会")
_INDUSTRY = re.compile(r"(?:行业工会联合会|工会联合会|行业联合会|产业工会|联合工会|工联会)")
_ENTERPRISE = re.compile(r"(?:公司|集团|工厂|医院|学校|大学|中心)工会")
_NATIONAL = re.compile(r"中华全国总工会|全国总工会|全总(?![结体])")
# Bodies named without a place; the short ones are checked against word boundaries (人大 in 伟人大会 is not).
_STANDALONE_ORGS = re.compile(
    r"全国人大常委会|全国人大|全国政协|中共中央|党中央|中央军委|国务院|人大常委会|人大|政协|武警|解放军|"
    r"八路军|新四军|红军|共青团|团中央|全国妇联|妇联|民航|邮电部|邮电局"
)


@dataclass
class Organisation:
    """An organisation found in a field (compact coordinates)."""

    text: FieldText
    start: int
    end: int
    value: str  # its full name (靖西市总 → 靖西市总工会)
    region: str  # code or ''
    kind: str  # union, industry_union, enterprise or gov


def _noun_phrase_start(text: str, end: int, lo: int, max_chars: int = 10) -> int:
    """Start of the noun phrase ending at ``end``: jieba words back to a verb/function word or punctuation."""
    window = text[max(lo, end - max_chars) : end]
    words = list(jieba_tokenizer().cut(window, HMM=True))
    start = end
    for word in reversed(words):
        if word in NOUN_PHRASE_STOP_WORDS or not re.fullmatch(rf"[{HAN}A-Za-z0-9]+", word):
            break
        start -= len(word)
    return start


def _org_kind(name: str) -> str:
    if _INDUSTRY.search(name) or "行业" in name:
        return "industry_union"
    if _ENTERPRISE.search(name):
        return "enterprise"
    if "工会" in name or name.endswith("职工技术协会"):
        return "union"
    return "gov"


def _nearest_place_for_level(
    lvl: str, text: FieldText, pos: int, places: list[Place], lead: list[Place]
) -> Place | None:
    """The place a bare 市总/区总/县人社局 refers to: same sentence first (nearest before), then the lead."""

    def fits(p: Place) -> bool:
        unit = region_by_code(p.code)
        if lvl == "省":
            return unit.level == "province"
        if lvl == "区":
            return unit.name.endswith("区") and unit.level != "province"
        return unit.name.endswith(lvl)

    s, e = text.sentence(pos)
    same = [p for p in places if p.text is text and s <= p.start < e and fits(p)]
    before = [p for p in same if p.end <= pos]
    if before:
        return before[-1]
    for p in lead:
        if fits(p):
            return p
    if same:
        return same[0]
    counts: dict[str, int] = {}
    for p in places:
        if fits(p):
            counts[p.code] = counts.get(p.code, 0) + 1
    if counts:
        code = max(counts, key=counts.__getitem__)
        return next(p for p in places if p.code == code)
    return None


def find_organisations(texts: list[FieldText], places: list[Place], lead: list[Place]) -> list[Organisation]:
    """Organisations in the fields; where two readings overlap, the first rule that found one wins."""
    orgs: list[Organisation] = []
    taken: dict[int, list[tuple[int, int]]] = {}

    def add(text: FieldText, start: int, end: int, value: str, region: str, kind: str) -> None:
        spans = taken.setdefault(id(text), [])
        if any(a < end and start < b for a, b in spans):
            return
        spans.append((start, end))
        orgs.append(Organisation(text, start, end, value, region, kind))

    # 1. organisations written right after a place (安徽省总工会, 靖西市总, 梁溪区水产行业工会联合会, 马鞍镇总工会)
    for place in places:
        text, c = place.text, place.text.compact
        unit = region_by_code(place.code)
        name = unit.name + place.town
        p = place.end
        m = _UNION_AFTER_PLACE.match(c, p)
        if m and not (set(m["mid"]) & set("，。、的和与在")):
            add(text, place.start, m.end(), name + m["mid"] + m["suffix"], unit.code, _org_kind(m["suffix"]))
            continue
        if c.startswith("总工会", p):
            add(text, place.start, p + 3, name + "总工会", unit.code, "union")
        elif c.startswith("工会", p):
            add(text, place.start, p + 2, name + "工会", unit.code, "union")
        elif (
            c.startswith("总", p)
            and c[place.unit_end - 1] in "省市县区旗州盟"
            and not place.town
            and not _NOT_ZONG_ABBREVIATION.match(c, p + 1)
        ):
            add(text, place.start, p + 1, unit.name + "总工会", unit.code, "union")  # 靖西市总 = 靖西市总工会
        else:
            g = GOV_BODY.match(c, p)
            if g:
                add(text, place.start, g.end(), name + g.group(), unit.code, "gov")
    # 2. 全总, national bodies
    for text in texts:
        for m in _NATIONAL.finditer(text.compact):
            add(text, m.start(), m.end(), "中华全国总工会", "", "union")
        for m in _STANDALONE_ORGS.finditer(text.compact):
            if len(m.group()) <= 3 and not on_word_boundary(text.compact, m.start(), m.end(), check_end=False):
                continue
            add(text, m.start(), m.end(), m.group(), "", "gov")
    # 3. bare 市总 / 区总工会 / 市人社局, 4. town unions without a place, 5. industry and enterprise unions
    for text in texts:
        c = text.compact
        for m in _BARE_PREFIXED.finditer(c):
            if m.start() and c[m.start() - 1] in _NOT_ONE_PLACE_BEFORE:
                continue
            before = c[max(0, m.start() - 2) : m.start()]
            known_place = bool(gazetteer_hits(before)) and gazetteer_hits(before)[0].surface == before
            if (
                len(before) == 2
                and re.fullmatch(rf"[{HAN}]{{2}}", before)
                and not (set(before) & PLACE_NAME_STOP_CHARS)
                and (known_place or not jieba_tokenizer().FREQ.get(before))
            ):
                # a place the gazetteer does not know (怀柔县民政局: the county is now a district)
                add(
                    text,
                    m.start() - 2,
                    m.end(),
                    before + m.group(),
                    region_code_within(text, m.start() - 2, m.end(), places),
                    _org_kind(m.group()),
                )
                continue
            nearest = _nearest_place_for_level(m["lvl"], text, m.start(), places, lead)
            body = "总工会" if m["body"].startswith("总") else m["body"]
            if nearest is None:
                add(text, m.start(), m.end(), m["lvl"] + body, "", _org_kind(body))
            else:
                unit = region_by_code(nearest.code)
                add(text, m.start(), m.end(), unit.name + body, unit.code, _org_kind(body))
        for m in _TOWN_UNION_END.finditer(c):
            # walk left over the town's own name (金坝|街道总工会), stopping at 区/市/县 or a function word
            start = m.start()
            while (
                start > 0
                and m.start() - start < 5
                and re.match(rf"[{HAN}]", c[start - 1])
                and c[start - 1] not in TOWN_NAME_STOP_CHARS
            ):
                start -= 1
            if m.start() - start < 2:
                continue
            deepest = sorted(lead, key=lambda p: -level_rank(region_by_code(p.code).level))
            region = deepest[0] if deepest else None
            in_sentence = [
                p
                for p in places
                if p.text is text and text.sentence(p.start) == text.sentence(start) and p.end <= start
            ]
            if in_sentence:
                region = in_sentence[-1]
            value = (region_by_code(region.code).name if region else "") + c[start : m.end()]
            add(text, start, m.end(), value, region.code if region else "", "union")
        for pattern in (_INDUSTRY, _ENTERPRISE):
            for m in pattern.finditer(c):
                s0, _ = text.sentence(m.start())
                start = _noun_phrase_start(c, m.start(), s0)
                if start == m.start():
                    continue  # nothing names it: 基层工会联合会 in general
                name = c[start : m.end()]
                add(text, start, m.end(), name, region_code_within(text, start, m.end(), places), _org_kind(name))
    return orgs


def org_mention(org: Organisation) -> Mention:
    start, end = org.text.span(org.start, org.end)
    return Mention(
        "org",
        org.text.original[start:end],
        org.text.field,
        start,
        end,
        org.value,
        {"region": org.region, "kind": org.kind},
    )
