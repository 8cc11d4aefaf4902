"""Rank the regions whose organisations did what a question describes ("which county did what").

Pure logic over candidates the archive already found with a keyword or hybrid search:
``answer_who(question, level, k, candidates)``. For each candidate article it picks the
sentences that best match the question, the organisation acting in them (its region is
where the thing happened), the program named there, and rolls the region up to the level
asked (哪个省 → province, 哪个城市 → city, 哪个县/区/县级市 → county).
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Protocol, Sequence

from pipeline.regions import ancestors, descendant_codes, find_units, is_within, region_by_code, unit_at_level
from pipeline.segment import query_terms

LEVELS = ("province", "city", "county")
MIN_MATCH = 0.3  # share of the (rarity-weighted) question a sentence must contain to count as evidence

# Question words, longest first, and the level each implies. "的工会"/"工会" after them is part of the
# question ("哪个城市的工会举办了…"), not of what was done.
_QUESTION_WORDS = [
    ("哪些县级市", "county"), ("哪个县级市", "county"), ("哪些县级工会", "county"), ("哪个县级工会", "county"),
    ("哪些县区", "county"), ("哪个县区", "county"), ("哪些区县", "county"), ("哪个区县", "county"),
    ("哪些市县", "county"), ("哪个市县", "county"), ("哪些县", "county"), ("哪个县", "county"), ("哪县", "county"),
    ("哪些区", "county"), ("哪个区", "county"), ("哪些旗", "county"), ("哪个旗", "county"),
    ("哪些地级市", "city"), ("哪个地级市", "city"), ("哪些城市", "city"), ("哪个城市", "city"), ("哪座城市", "city"),
    ("哪些市", "city"), ("哪个市", "city"), ("哪个州", "city"), ("哪个盟", "city"),
    ("哪些省份", "province"), ("哪个省份", "province"), ("哪些省区", "province"), ("哪个省区", "province"),
    ("哪些省", "province"), ("哪个省", "province"), ("哪个自治区", "province"), ("哪个直辖市", "city"),
    ("哪些地方", None), ("哪个地方", None), ("哪些地区", None), ("哪个地区", None), ("哪里", None), ("哪儿", None),
    ("哪家", None), ("哪些", None), ("哪个", None), ("谁", None),
]
_AFTER_QUESTION_WORD = re.compile(r"^(?:的)?(?:总工会|工会组织|工会|市总|县总|区总|省总)?")
_FILLER = re.compile(r"[？?！!。，,、\s]+|^(?:请问|问)")
# Words every union story has: they say nothing about which one did the thing asked about.
_WEAK_TERMS = frozenset(
    "的 了 是 在 和 与 及 等 也 都 就 而 或 被 把 对 为 以 于 之 其 这 那 有 个 着 吗 呢 吧 啊 过 哪 些 "
    "工会 总工会 职工 开展 推出 举办 组织 进行 一个 首次 什么 怎么 如何 要求".split()
)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_OCR_SPACE = re.compile(r"(?<=[\u4e00-\u9fff\d])[ \t\u3000]+(?=[\u4e00-\u9fff\d])")
_QUOTED = re.compile(r"[\"“「]([^\"”」]+)[\"”」]")


class MentionLike(Protocol):
    type: str
    text: str
    field: str
    start: int
    end: int
    value: str
    attrs: dict


@dataclass(frozen=True)
class WhoCandidate:
    """One article the search found for the question, with everything the ranking needs."""

    article_id: str
    title: str
    score: float  # the search engine's score (any scale; normalised here)
    fields: dict[str, str]  # title / kicker / subtitle / body text
    mentions: Sequence[MentionLike] = ()


@dataclass(frozen=True)
class WhoAnswer:
    """One region whose organisation did what a ``who`` question asks, with the evidence.

    >>> # archive.who("哪个县推出了马背送学？")[0].to_dict()["region"]  →  '肃北蒙古族自治县'
    """

    region: str  # full official name, e.g. 肃北蒙古族自治县
    level: str
    parents: list[str]  # names top-down, e.g. ["甘肃省", "酒泉市"]
    code: str
    org: str  # the acting organisation, e.g. 肃北蒙古族自治县总工会
    program: str  # the program or campaign named in the evidence, if any
    evidence: str  # the sentence that says so
    article_id: str
    title: str
    score: float
    evidence_field: str = ""
    evidence_start: int = 0
    evidence_end: int = 0
    ambiguous: list[str] = field(default_factory=list)  # other codes the place name could mean

    def to_dict(self) -> dict:
        """The stable JSON shape of ``who --json`` and the web API."""
        return asdict(self)


@dataclass(frozen=True)
class ParsedQuestion:
    text: str  # what was done, with the question words taken out
    level: str | None  # inferred from the question words
    terms: tuple[str, ...]
    phrases: tuple[str, ...]  # quoted parts, matched as written
    within: str | None  # region code the question names (甘肃省哪个县…), answers must lie inside


def parse_question(question: str) -> ParsedQuestion:
    """Strip question words, infer the level they ask for, keep what was done as search terms."""
    text = question.strip()
    level: str | None = None
    within = None
    for word, lvl in _QUESTION_WORDS:
        i = text.find(word)
        if i >= 0:
            level = lvl
            prefix = _FILLER.sub("", text[:i]).removesuffix("的")
            rest = text[i + len(word) :]
            rest = rest[_AFTER_QUESTION_WORD.match(rest).end() :]
            units = find_units(prefix) if 2 <= len(prefix) <= 12 else []
            if len(units) == 1:
                # a place before the question word (甘肃哪个县…) narrows the answers instead of being searched for
                within, prefix = units[0].code, ""
            text = prefix + " " + rest
            break
    text = _FILLER.sub(" ", text).strip()
    phrases = tuple(p.strip() for p in _QUOTED.findall(text) if p.strip())
    terms = tuple(dict.fromkeys(t for t in query_terms(re.sub(r"[\"“”「」]", " ", text)) if t not in _WEAK_TERMS))
    return ParsedQuestion(text, level, terms, phrases, within)


def _compact(s: str) -> str:
    return _OCR_SPACE.sub("", s)


def _idf(terms: Sequence[str], candidates: Sequence[WhoCandidate]) -> dict[str, float]:
    docs = [_compact(" ".join(c.fields.values())) for c in candidates]
    n = max(len(docs), 1)
    return {t: math.log(1 + n / (1 + sum(t in d for d in docs))) for t in terms}


@dataclass
class _Sentence:
    field: str
    start: int
    end: int
    text: str
    compact: str
    score: float = 0.0


def _sentences(c: WhoCandidate) -> list[_Sentence]:
    out = []
    for name in ("title", "kicker", "subtitle", "body"):
        text = c.fields.get(name) or ""
        for m in _SENTENCE.finditer(text):
            s = m.group().strip()
            if len(s) >= 4:
                start = m.start() + (len(m.group()) - len(m.group().lstrip()))
                out.append(_Sentence(name, start, start + len(s), s, _compact(s)))
    return out


def _match(sentence: str, q: ParsedQuestion, idf: dict[str, float]) -> float:
    """0..1: how much of the question (weighted by rarity and length) the sentence contains."""
    total = sum(idf[t] * len(t) for t in q.terms) or 1.0
    got = sum(idf[t] * len(t) for t in q.terms if t in sentence)
    score = got / total
    if q.phrases:
        score = 0.6 * score + 0.4 * (sum(p in sentence for p in q.phrases) / len(q.phrases))
    return score


def _in(m: MentionLike, s: _Sentence) -> bool:
    return m.field == s.field and s.start <= m.start < s.end


_KIND_RANK = {"union": 0, "industry_union": 1, "enterprise": 2, "gov": 3}


def _org_rank(m: MentionLike) -> float:
    """Unions first, and a 总工会 before a loose 工会 (嘉兴市总工会 over 嘉兴工会)."""
    rank = _KIND_RANK.get(m.attrs.get("kind", ""), 4)
    return rank + (0.0 if m.value.endswith("总工会") else 0.5)


def _acting_org(s: _Sentence, mentions: Sequence[MentionLike], q: ParsedQuestion) -> MentionLike | None:
    """The organisation doing the thing in this sentence: a union before the matched words first."""
    orgs = [m for m in mentions if m.type == "org" and _in(m, s)]
    if not orgs:
        return None
    first_hit = min((s.compact.find(t) for t in q.terms if t in s.compact), default=len(s.compact))
    cut = s.start + first_hit
    before = [m for m in orgs if m.start <= cut] or orgs
    return min(before, key=lambda m: (_org_rank(m), cut - m.start if m.start <= cut else 999))


def _lead_org(c: WhoCandidate) -> MentionLike | None:
    lead = [m for m in c.mentions if m.type == "org" and (m.field != "body" or m.start < 300) and m.attrs.get("region")]
    if not lead:
        lead = [m for m in c.mentions if m.type == "org" and m.attrs.get("region")]
    if not lead:
        return None
    order = {"title": 0, "kicker": 1, "subtitle": 2, "body": 3}
    return min(lead, key=lambda m: (_org_rank(m), order.get(m.field, 4), m.start))


def _lead_region(c: WhoCandidate) -> MentionLike | None:
    order = {"title": 0, "kicker": 1, "subtitle": 2, "body": 3}
    lead = [m for m in c.mentions if m.type == "region" and (m.field != "body" or m.start < 300)]
    if not lead:
        return None
    # the most specific place of the lead: a county story names its province too
    deepest = max(LEVELS.index(m.attrs.get("level", "province")) for m in lead)
    return min((m for m in lead if LEVELS.index(m.attrs.get("level", "province")) == deepest),
               key=lambda m: (order.get(m.field, 4), m.start))


def _at_level(code: str, level: str | None):
    """The unit answering at ``level`` for a place coded ``code`` (rolled up), or None when it lies higher."""
    if level is None:
        return region_by_code(code)
    unit = unit_at_level(code, level)
    if unit is not None:
        return unit
    here = region_by_code(code)
    if level == "city" and here.level == "province" and here.type == "直辖市":
        return here  # 北京市 answers "哪个城市"
    if level == "city" and here.level == "county" and region_by_code(here.parent_code).type == "直辖市":
        return region_by_code(here.parent_code)
    if level == "county" and here.level == "city" and not descendant_codes(code, include_self=False):
        return here  # 儋州市, 东莞市: prefecture cities with no counties answer "哪个县市"
    return None


def _program_in(s: _Sentence, mentions: Sequence[MentionLike], q: ParsedQuestion) -> str:
    progs = [m for m in mentions if m.type == "program" and _in(m, s)]
    if not progs:
        return ""
    asked = [m for m in progs if any(t in m.value for t in q.terms) or any(p in m.value for p in q.phrases)]
    return (asked or progs)[0].value


def answer_who(question: str, level: str | None, k: int, candidates: Sequence[WhoCandidate]) -> list[WhoAnswer]:
    """Regions (at ``level``, or the level the question asks for) ranked by how well their
    organisations' reported actions match the question; one answer per region, best evidence kept."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    q = parse_question(question)
    level = level or q.level
    if not candidates or not (q.terms or q.phrases):
        return []
    idf = _idf(q.terms, candidates)
    top_search = max((c.score for c in candidates), default=0.0) or 1.0
    best: dict[str, WhoAnswer] = {}
    for c in candidates:
        sentences = _sentences(c)
        for s in sentences:
            s.score = _match(s.compact, q, idf)
        # a sentence sharing too little with the question is no evidence at all
        ranked = sorted((s for s in sentences if s.score >= MIN_MATCH), key=lambda s: -s.score)
        if not ranked:
            continue
        picked = [s for s in ranked[:3] if s.score >= 0.6 * ranked[0].score]
        for s in picked:
            org = _acting_org(s, c.mentions, q)
            org_in_sentence = org is not None
            region_code, ambiguous = "", []
            if org is not None and org.attrs.get("region"):
                region_code = org.attrs["region"]
            else:
                places = [m for m in c.mentions if m.type == "region" and _in(m, s)]
                if places:
                    place = max(places, key=lambda m: LEVELS.index(m.attrs.get("level", "province")))
                    region_code, ambiguous = place.value, list(place.attrs.get("ambiguous") or [])
            lead_org = _lead_org(c)
            if org is None:
                org = lead_org
            if not region_code:
                if org is not None and org.attrs.get("region"):
                    region_code = org.attrs["region"]
                else:
                    lead = _lead_region(c)
                    if lead is None:
                        continue
                    region_code, ambiguous = lead.value, list(lead.attrs.get("ambiguous") or [])
            if q.within and not is_within(region_code, q.within):
                continue
            unit = _at_level(region_code, level)
            if unit is None:
                continue  # the story is about a province when a county was asked for
            score = 0.55 * s.score + 0.3 * (c.score / top_search) + (0.1 if org_in_sentence else 0.0)
            score += 0.05 if s.field != "body" else 0.0
            if ambiguous:
                score *= 0.8
            answer = WhoAnswer(
                region=unit.name,
                level=unit.level,
                parents=[u.name for u in ancestors(unit.code)],
                code=unit.code,
                org=org.value if org is not None else "",
                program=_program_in(s, c.mentions, q),
                evidence=s.compact,  # OCR line-break spaces taken out; the offsets point at the text as written
                article_id=c.article_id,
                title=c.title,
                score=round(score, 4),
                evidence_field=s.field,
                evidence_start=s.start,
                evidence_end=s.end,
                ambiguous=[a for a in ambiguous if a != region_code],
            )
            if unit.code not in best or answer.score > best[unit.code].score:
                best[unit.code] = answer
    return sorted(best.values(), key=lambda a: (-a.score, a.code))[: max(k, 0)]
