"""Rank the regions whose organisations did what a question describes ("which county did what").

Pure logic over candidates the archive found for the question (keyword and semantic search,
fused): ``answer_who(question, level, k, candidates, similarity)``. Evidence is looked for in
every sentence and every pair of adjacent sentences of each candidate, and it need not
repeat the question's words:

* words count when written the same, and in part when only their pieces are there in
  another order (转入转出 / 转出转入);
* numbers count when their values agree, however written (三千余名 / 3000多名, 一百家 /
  百家, 一千一百多人 / 1113人; 余/多/近/约/上万 read as ranges, pipeline.figures);
* what the words mean counts through word and sentence vectors (``word_vectors``,
  ``similarity``: the static model; a transformer may re-score the best few), so 保洁员
  finds 环卫工人;
* a fact told over two adjacent sentences is evidence as a pair.

The region answered is the one the evidence names: the organisation acting in it (a bare
该县总工会 or 市总工会 is the county or city named just before it, in that sentence or the
one before), else the place it names, else the article's lead. A county the gazetteer lacks
(宝鸡县, 怀柔县: abolished or renamed) is answered as written with ``in_gazetteer`` false,
under its parent when its name tells (pipeline.regions.unlisted_place). Regions are rolled
up to the level asked (哪个省 → province, 哪个城市 → city, 哪个县/区/县级市 → county).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import numpy as np

from pipeline.chars import HAN
from pipeline.entities import on_word_boundary
from pipeline.figures import Quantity, find_quantities
from pipeline.models import Mention
from pipeline.regions import (
    FORM_SHORT,
    RegionUnit,
    UnlistedPlace,
    ancestors,
    common_word_forms,
    descendant_codes,
    find_units,
    gazetteer_hits,
    is_within,
    region_by_code,
    unit_at_level,
    unlisted_place,
)
from pipeline.segment import jieba_tokenizer, query_terms, segment
from pipeline.stopwords import WEAK_QUESTION_TERMS  # words every union story has

LEVELS = ("province", "city", "county")
MIN_EVIDENCE = 0.3  # how much of the question (0..1) a sentence or pair must carry to count as evidence
WINDOW_DISCOUNT = 0.9  # a fact spread over two sentences counts a little less than one sentence saying it all
PIECE_CREDIT = 0.7  # a question word found only as its pieces (转出 … 转入)
LEXICAL_SHARE = 0.6  # of the evidence score, once sentence vectors have scored a unit; the rest is meaning
# A question word absent from a sentence counts in part when a word there means much the same
# (保洁员 ~ 环卫工人, 送餐员 ~ 配送员, 徒步 ~ 健步走): static word-vector cosines from SOFT_LOW (nothing)
# to SOFT_HIGH (full SOFT_CREDIT). On the static model unrelated words sit below 0.35.
SOFT_LOW, SOFT_HIGH, SOFT_CREDIT = 0.35, 0.65, 0.8
SOFT_UNITS = 24  # evidence units whose words are compared so (segmenting costs)
MENTION_BATCH = 8  # articles whose entities are read at a time

# Question words, longest first, and the level each implies. "的工会"/"工会" after them is part of the
# question ("哪个城市的工会举办了…"), not of what was done.
_QUESTION_WORDS = [
    ("哪些县级市", "county"),
    ("哪个县级市", "county"),
    ("哪些县级工会", "county"),
    ("哪个县级工会", "county"),
    ("哪些县区", "county"),
    ("哪个县区", "county"),
    ("哪些区县", "county"),
    ("哪个区县", "county"),
    ("哪些市县", "county"),
    ("哪个市县", "county"),
    ("哪些县", "county"),
    ("哪个县", "county"),
    ("哪县", "county"),
    ("哪些区", "county"),
    ("哪个区", "county"),
    ("哪些旗", "county"),
    ("哪个旗", "county"),
    ("哪些地级市", "city"),
    ("哪个地级市", "city"),
    ("哪些城市", "city"),
    ("哪个城市", "city"),
    ("哪座城市", "city"),
    ("哪些市", "city"),
    ("哪个市", "city"),
    ("哪个州", "city"),
    ("哪个盟", "city"),
    ("哪些省份", "province"),
    ("哪个省份", "province"),
    ("哪些省区", "province"),
    ("哪个省区", "province"),
    ("哪些省", "province"),
    ("哪个省", "province"),
    ("哪个自治区", "province"),
    ("哪个直辖市", "city"),
    ("哪些地方", None),
    ("哪个地方", None),
    ("哪些地区", None),
    ("哪个地区", None),
    ("哪里", None),
    ("哪儿", None),
    ("哪家", None),
    ("哪些", None),
    ("哪个", None),
    ("谁", None),
]
_AFTER_QUESTION_WORD = re.compile(r"^(?:的)?(?:总工会|工会组织|工会|市总|县总|区总|省总)?")
_FILLER = re.compile(r"[？?！!。，,、\s]+|^(?:请问|问)")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_OCR_SPACE = re.compile(rf"(?<=[{HAN}\d])[ \t\u3000]+(?=[{HAN}\d])")
_QUOTED = re.compile(r"[\"“「]([^\"”」]+)[\"”」]")


# A bare organisation that names its place only by level: 该县总工会, 市总工会, 区总, 本市工会.
_BARE_ORG = re.compile(
    r"(?P<ref>该|本|全)?(?P<lvl>[省市县区旗])(?P<body>总工会|总(?![体量数计额值和结共书经理监裁队部站统是工])|工会)"
)
# A county-level name written right before an organisation or at the head of an item (宝鸡县总工会, △户县热电厂工会).
_NAMED_BEFORE_ORG = re.compile(
    r"(?P<name>[\u4e00-\u9fff]{1,4}?[县旗])(?=[\u4e00-\u9fff]{0,8}?(?:总工会|工会|总(?![体量数计额值和结共书经理监裁队部站统是])))"
)
# A name before the question word that reads as a place (火星省哪个县…); 我市, 该县 and 园区 do not.
_PLACE_NAME = re.compile(r"(?![我本该全各这那])[\u4e00-\u9fff]{2,10}(?:省|自治区|市|自治州|县|旗)")


@dataclass(frozen=True)
class WhoCandidate:
    """One article the search found for the question, with everything the ranking needs."""

    article_id: str
    title: str
    score: float  # the search engine's score (any scale; normalised here)
    fields: dict[str, str]  # title / kicker / subtitle / body text
    mentions: Sequence[Mention] = ()


@dataclass(frozen=True)
class WhoAnswer:
    """One region whose organisation did what a ``who`` question asks, with the evidence.

    >>> # archive.who("哪个县推出了马背送学？")[0].to_dict()["region"]  →  '肃北蒙古族自治县'
    """

    region: str  # full official name, e.g. 肃北蒙古族自治县 (as written when not in the gazetteer)
    level: str
    parents: list[str]  # names top-down, e.g. ["甘肃省", "酒泉市"]
    code: str  # '' for a place the gazetteer lacks
    org: str  # the acting organisation, e.g. 肃北蒙古族自治县总工会
    program: str  # the program or campaign named in the evidence, if any
    evidence: str  # the sentence (or two adjacent sentences) that say so
    article_id: str
    title: str
    score: float
    evidence_field: str = ""
    evidence_start: int = 0
    evidence_end: int = 0
    ambiguous: list[str] = field(default_factory=list)  # other codes the place name could mean
    in_gazetteer: bool = True  # False: an abolished or renamed county kept as written (宝鸡县)
    successor: str = ""  # the listed unit that took an unlisted county's name (怀柔县 → 怀柔区)

    def to_dict(self) -> dict:
        """The stable JSON shape of ``who --json`` and the web API."""
        return asdict(self)


@dataclass(frozen=True)
class SentenceSimilarity:
    """Cosines between the question and evidence texts from one embedding model.

    ``limit``: how many evidence units it may score per question (a transformer is slow);
    ``low``/``high``: the cosines that mean "unrelated" and "says the same" for this model.
    """

    name: str
    score: Callable[[str, list[str]], Sequence[float]]
    limit: int
    low: float
    high: float

    def scaled(self, cosines: Sequence[float]) -> list[float]:
        span = max(self.high - self.low, 1e-6)
        return [min(1.0, max(0.0, (float(c) - self.low) / span)) for c in cosines]


@dataclass(frozen=True)
class ParsedQuestion:
    text: str  # what was done, with the question words taken out
    level: str | None  # inferred from the question words
    terms: tuple[str, ...]  # its words, numbers left out (they are in ``numbers``)
    phrases: tuple[str, ...]  # quoted parts, matched as written
    within: str | None  # region code the question names (甘肃省哪个县…), answers must lie inside
    numbers: tuple[Quantity, ...] = ()  # quantities, as value ranges
    unknown_place: str | None = None  # a place-like name before the question word that no gazetteer knows

    @property
    def search_text(self) -> str:
        """What the search engines are given: the question without question words, and its
        numbers also in digits (the articles mostly print 2700名, the question may say 两千七百名)."""
        digits = " ".join(_digits(q) for q in self.numbers if not re.search(r"\d", self.text[q.start : q.end]))
        quoted = " ".join(f'"{p}"' for p in self.phrases)
        text = _QUOTED.sub(" ", self.text) if self.phrases else self.text
        return " ".join(x for x in (text, quoted, digits) if x.strip()).strip()


def _digits(q: Quantity) -> str:
    """A quantity in digits the way papers print it: 2700名, 60万元, 1100余名."""
    v = q.value
    if v >= 10000 and v % 10000 == 0:
        num = f"{int(v // 10000)}万"
    else:
        num = str(int(v)) if v == int(v) else f"{v:g}"
    approx = "余" if q.low == v < q.high else ""
    return num + approx + q.unit


def parse_question(question: str) -> ParsedQuestion:
    """Strip question words, infer the level they ask for, keep what was done as search terms."""
    text = question.strip()
    level: str | None = None
    within = unknown = None
    for word, lvl in _QUESTION_WORDS:
        i = text.find(word)
        if i >= 0:
            level = lvl
            prefix = _FILLER.sub("", text[:i]).removesuffix("的")
            rest = text[i + len(word) :]
            after = _AFTER_QUESTION_WORD.match(rest)
            assert after is not None  # every part of the pattern is optional
            rest = rest[after.end() :]
            units = find_units(prefix) if 2 <= len(prefix) <= 12 else []
            if len(units) == 1:
                # a place before the question word (甘肃哪个县…) narrows the answers instead of being searched for
                within, prefix = units[0].code, ""
            elif not units and _PLACE_NAME.fullmatch(prefix):
                old = unlisted_place(prefix)
                if old is None or not (old.parent_code or old.successor_code):
                    unknown = prefix  # 火星省哪个县…: reads as a place, but nothing places it
            text = prefix + " " + rest
            break
    text = _FILLER.sub(" ", text).strip()
    phrases = tuple(p.strip() for p in _QUOTED.findall(text) if p.strip())
    numbers = tuple(q for q in find_quantities(text) if q.kind != "year")
    words = text
    for q in reversed(numbers):
        words = words[: q.start] + " " + words[q.end :]
    terms = tuple(
        dict.fromkeys(t for t in query_terms(re.sub(r"[\"“”「」]", " ", words)) if t not in WEAK_QUESTION_TERMS)
    )
    return ParsedQuestion(text, level, terms, phrases, within, numbers, unknown)


def _compact(s: str) -> str:
    return _OCR_SPACE.sub("", s)


def _pieces(term: str) -> tuple[str, ...]:
    """Dictionary words inside a long question word, else its character pairs (for partial matches)."""
    if len(term) < 3:
        return ()
    subs = tuple(dict.fromkeys(t.text for t in segment(term) if t.sub and len(t.text) >= 2))
    return subs or tuple(dict.fromkeys(term[i : i + 2] for i in range(len(term) - 1)))


@dataclass
class _Sentence:
    field: str
    start: int
    end: int
    text: str
    compact: str
    index: int  # position among the sentences of its field
    hits: np.ndarray | None = None  # match strength 0..1 per question word, then per question number
    phrases: list[bool] = dataclasses.field(default_factory=list)  # `field` is the attribute above

    def hit_row(self) -> np.ndarray:
        assert self.hits is not None, "a sentence is matched before it is scored"
        return self.hits


@dataclass
class _Unit:
    """A sentence or two adjacent sentences: the evidence candidates."""

    sentences: list[_Sentence]
    lexical: float = 0.0
    meaning: float | None = None
    score: float = 0.0

    @property
    def field(self) -> str:
        return self.sentences[0].field

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    @property
    def compact(self) -> str:
        return "".join(s.compact for s in self.sentences)


def _sentences(c: WhoCandidate) -> list[_Sentence]:
    return [_Sentence(*parts) for parts in _split_fields(tuple(c.fields.get(n) or "" for n in _FIELDS))]


_FIELDS = ("title", "kicker", "subtitle", "body")


@lru_cache(maxsize=2048)
def _split_fields(texts: tuple[str, ...]) -> tuple[tuple, ...]:
    """(field, start, end, text, compact, index) of every sentence; cached, since the same
    articles come back for related questions."""
    out = []
    for name, text in zip(_FIELDS, texts):
        k = 0
        for m in _SENTENCE.finditer(text):
            s = m.group().strip()
            if len(s) >= 4:
                start = m.start() + (len(m.group()) - len(m.group().lstrip()))
                out.append((name, start, start + len(s), s, _compact(s), k))
                k += 1
    return tuple(out)


class _Matcher:
    """How much of the question one text carries: words, their pieces, numbers, phrases.

    Each sentence gets a row of match strengths (one per question word, then one per number,
    0..1); a unit of several sentences takes the strongest of each, so a word counts once."""

    def __init__(self, q: ParsedQuestion, candidates: Sequence[WhoCandidate]):
        self.q = q
        docs = [_compact(" ".join(c.fields.values())) for c in candidates]
        n = max(len(docs), 1)
        idf = {t: math.log(1 + n / (1 + sum(t in d for d in docs))) for t in q.terms}
        weights = [idf[t] * len(t) for t in q.terms]
        # a number pins an article down like a rare long word does
        weights += [max(weights, default=1.0)] * len(q.numbers)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.total = float(self.weights.sum()) or 1.0
        self.pieces = [_pieces(t) for t in q.terms]

    def mark(self, s: _Sentence) -> None:
        text = s.compact
        row = []
        for t, pieces in zip(self.q.terms, self.pieces):
            if t in text:
                row.append(1.0)
            elif pieces:
                row.append(PIECE_CREDIT * sum(p in text for p in pieces) / len(pieces))
            else:
                row.append(0.0)
        if self.q.numbers:
            found = find_quantities(text)
            row += [float(any(q.overlaps(f) for f in found)) for q in self.q.numbers]
        s.hits = np.asarray(row, dtype=np.float64)
        s.phrases = [p in text for p in self.q.phrases]

    def scores(self, rows: np.ndarray, phrases: Sequence[Sequence[bool]]) -> np.ndarray:
        """0..1 per row of (combined) match strengths."""
        out = rows @ self.weights / self.total if len(self.weights) else np.zeros(len(rows))
        if self.q.phrases:
            found = np.asarray([sum(p) for p in phrases], dtype=np.float64)
            out = 0.6 * out + 0.4 * found / len(self.q.phrases)
        return out

    def score(self, sentences: Sequence[_Sentence]) -> float:
        """0..1 for a sentence or adjacent sentences taken together (each word counted once)."""
        rows = np.max([s.hit_row() for s in sentences], axis=0)[None, :]
        phrases = [[any(s.phrases[i] for s in sentences) for i in range(len(self.q.phrases))]]
        return float(self.scores(rows, phrases)[0])


def _units(sentences: list[_Sentence], matcher: _Matcher) -> list[_Unit]:
    """Every sentence, and every pair of adjacent sentences of a field that together say more
    than either alone (a fact told over two sentences)."""
    if not sentences:
        return []
    hits = np.stack([s.hit_row() for s in sentences]) if len(matcher.weights) else np.zeros((len(sentences), 0))
    singles = matcher.scores(hits, [s.phrases for s in sentences])
    pairs = np.zeros(0)
    if len(sentences) > 1:
        both = np.maximum(hits[:-1], hits[1:])
        phrases = [[a or b for a, b in zip(s.phrases, t.phrases)] for s, t in zip(sentences, sentences[1:])]
        pairs = matcher.scores(both, phrases) * WINDOW_DISCOUNT
    units = []
    for k, s in enumerate(sentences):
        units.append(_Unit([s], lexical=float(singles[k])))
        if k + 1 < len(sentences) and sentences[k + 1].field == s.field and pairs[k] > max(singles[k], singles[k + 1]):
            units.append(_Unit([s, sentences[k + 1]], lexical=float(pairs[k])))
    return units


def _in(m: Mention, u: _Unit | _Sentence) -> bool:
    return m.field == u.field and u.start <= m.start < u.end


_KIND_RANK = {"union": 0, "industry_union": 1, "enterprise": 2, "gov": 3}


def _org_rank(m: Mention) -> float:
    """Unions first, and a 总工会 before a loose 工会 (嘉兴市总工会 over 嘉兴工会)."""
    rank = _KIND_RANK.get(m.attrs.get("kind", ""), 4)
    return rank + (0.0 if m.value.endswith("总工会") else 0.5)


def _first_hit(u: _Unit, q: ParsedQuestion) -> int:
    """Field offset of the first question word in the unit (where the action is told)."""
    text = u.compact
    at = min((text.find(t) for t in q.terms if t in text), default=len(text))
    return u.start + at


def _acting_org(u: _Unit, mentions: Sequence[Mention], q: ParsedQuestion) -> Mention | None:
    """The organisation doing the thing: a union named before the matched words first."""
    orgs = [m for m in mentions if m.type == "org" and _in(m, u)]
    if not orgs:
        return None
    cut = _first_hit(u, q)
    before = [m for m in orgs if m.start <= cut] or orgs
    return min(before, key=lambda m: (_org_rank(m), cut - m.start if m.start <= cut else 999))


_FIELD_ORDER = {"title": 0, "kicker": 1, "subtitle": 2, "body": 3}


def _lead_org(c: WhoCandidate) -> Mention | None:
    lead = [m for m in c.mentions if m.type == "org" and (m.field != "body" or m.start < 300) and m.attrs.get("region")]
    if not lead:
        lead = [m for m in c.mentions if m.type == "org" and m.attrs.get("region")]
    if not lead:
        return None
    return min(lead, key=lambda m: (_org_rank(m), _FIELD_ORDER.get(m.field, 4), m.start))


def _lead_region(c: WhoCandidate) -> Mention | None:
    lead = [m for m in c.mentions if m.type == "region" and (m.field != "body" or m.start < 300)]
    if not lead:
        return None
    # the most specific place of the lead: a county story names its province too
    deepest = max(LEVELS.index(m.attrs.get("level", "province")) for m in lead)
    return min(
        (m for m in lead if LEVELS.index(m.attrs.get("level", "province")) == deepest),
        key=lambda m: (_FIELD_ORDER.get(m.field, 4), m.start),
    )


def _fits(unit: RegionUnit, lvl_char: str) -> bool:
    """Whether a bare 市/县/区/省 organisation can belong to ``unit`` (县级市 and 地级市 alike for 市)."""
    if lvl_char == "省":
        return unit.level == "province" and unit.type != "直辖市"
    if lvl_char == "市":
        return unit.name.endswith("市")
    return unit.name.endswith(lvl_char) and unit.level == "county"


def _named_places(text: str) -> list[tuple[int, list[RegionUnit]]]:
    """Place names in ``text`` read from the gazetteer directly, by position, with every unit each
    could be. A bare short form counts only on word boundaries and when it is no everyday word
    (顶着烈日照常 holds no 日照, 社会资源 no 资源县)."""
    common = common_word_forms()
    out = []
    for hit in gazetteer_hits(text):
        bare = all(form == FORM_SHORT for _, form in hit.candidates)
        if bare and (hit.surface in common or not on_word_boundary(text, hit.start, hit.end)):
            continue
        out.append((hit.start, [region_by_code(code) for code, _ in hit.candidates]))
    return out


def _places_in(text: str, lvl_char: str) -> list[tuple[int, RegionUnit]]:
    """Places in ``text`` a bare organisation of level ``lvl_char`` can belong to, by position.

    A county-level city written bare (嵊州, 桐城) counts here even where the article-wide
    extractor wanted more context: the organisation right after it is that context."""
    out = []
    for start, units in _named_places(text):
        fitting = [u for u in units if _fits(u, lvl_char)]
        if len(fitting) == 1:
            out.append((start, fitting[0]))
    return out


@dataclass(frozen=True)
class _Place:
    """Where the evidence says the thing happened: a listed unit, or a county the gazetteer lacks."""

    code: str = ""
    unlisted: UnlistedPlace | None = None
    ambiguous: tuple[str, ...] = ()


def _linked_place(c: WhoCandidate, sentences: list[_Sentence], u: _Unit, m: re.Match) -> _Place | None:
    """The place a bare 该县总工会 / 市总工会 in the unit refers to: the nearest fitting place named
    before it in the unit, then in the two sentences before, then in the headline lines."""
    lvl = m["lvl"]
    first = u.sentences[0]
    upto = u.compact[: m.start()]
    here = _places_in(upto, lvl)
    if here:
        return _Place(here[-1][1].code)
    before = [s for s in sentences if s.field == first.field and first.index - 2 <= s.index < first.index]
    for s in reversed(before):
        found = _places_in(s.compact, lvl)
        if found:
            return _Place(found[-1][1].code)
    for s in sentences:
        if s.field in ("title", "kicker", "subtitle"):
            found = _places_in(s.compact, lvl)
            if found:
                return _Place(found[0][1].code)
    return None


def _unlisted_in(text: str) -> UnlistedPlace | None:
    """A county the gazetteer lacks, written as the actor (宝鸡县总工会, 户县热电厂工会)."""
    for m in _NAMED_BEFORE_ORG.finditer(text):
        name = m["name"]
        # the name starts the phrase: the text's head, after punctuation or a bullet
        for k in range(len(name) - 1):
            cand = name[k:]
            if k and not re.match(r"[\u4e00-\u9fff]", name[k - 1]):
                continue
            head = m.start() + k
            if head and re.match(r"[\u4e00-\u9fff]", text[head - 1]) and not k:
                continue
            place = unlisted_place(cand)
            if place is not None:
                return place
    return None


def _evidence_place(
    c: WhoCandidate, sentences: list[_Sentence], u: _Unit, q: ParsedQuestion
) -> tuple[_Place | None, Mention | None, bool]:
    """(place, acting organisation, whether the unit itself names the organisation)."""
    org = _acting_org(u, c.mentions, q)
    text = u.compact
    if org is not None:
        written = org.text.replace(" ", "")
        bare = _BARE_ORG.match(written)
        if bare is not None:
            # 市总工会 as written: the place is the one named just before, not the article's first
            linked = _linked_place(c, sentences, u, _BARE_ORG.search(text) or bare)
            if linked is not None:
                return linked, org, True
        if org.attrs.get("region"):
            return _Place(org.attrs["region"]), org, True
        unlisted = _unlisted_in(written)
        if unlisted is not None:
            return _Place(unlisted=unlisted), org, True
    m = _BARE_ORG.search(text)
    if m is not None and (
        m["ref"] in ("该", "本") or not m.start() or not re.match(r"[\u4e00-\u9fff]", text[m.start() - 1])
    ):
        linked = _linked_place(c, sentences, u, m)
        if linked is not None:
            return linked, org, org is not None
    unlisted = _unlisted_in(text)
    if unlisted is not None:
        return _Place(unlisted=unlisted), org, org is not None
    lead_org = _lead_org(c)
    places = [p for p in c.mentions if p.type == "region" and _in(p, u)]
    found: _Place | None = None
    if places:
        place = max(places, key=lambda p: LEVELS.index(p.attrs.get("level", "province")))
        found = _Place(place.value, ambiguous=tuple(place.attrs.get("ambiguous") or ()))
    else:
        named = [units for _, units in _named_places(text)]
        if named:
            # a place the article-wide extractor left out for want of context (顺义板桥项目工会)
            units = max(named, key=lambda us: LEVELS.index(us[0].level))
            found = _Place(units[0].code, ambiguous=tuple(x.code for x in units[1:] if x.level == units[0].level))
    if found is not None:
        if org is None and lead_org is not None and lead_org.attrs.get("region") == found.code:
            return found, lead_org, False  # the place's own organisation, named in the lead
        return found, org, org is not None
    if org is None:
        org = lead_org
    if org is not None and org.attrs.get("region"):
        return _Place(org.attrs["region"]), org, False
    lead = _lead_region(c)
    if lead is None:
        return None, org, False
    return _Place(lead.value, ambiguous=tuple(lead.attrs.get("ambiguous") or ())), org, False


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
    if (
        level == "city"
        and here.level == "county"
        and here.parent_code is not None
        and region_by_code(here.parent_code).type == "直辖市"
    ):
        return region_by_code(here.parent_code)
    if level == "county" and here.level == "city" and not descendant_codes(code, include_self=False):
        return here  # 儋州市, 东莞市: prefecture cities with no counties answer "哪个县市"
    return None


def _program_in(u: _Unit, mentions: Sequence[Mention], q: ParsedQuestion) -> str:
    progs = [m for m in mentions if m.type == "program" and _in(m, u)]
    if not progs:
        return ""
    asked = [m for m in progs if any(t in m.value for t in q.terms) or any(p in m.value for p in q.phrases)]
    return (asked or progs)[0].value


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    """Dictionary words of two characters or more (no HMM guesses: this runs at question time)."""
    return tuple(
        dict.fromkeys(
            w for w in jieba_tokenizer().cut(text, HMM=False) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w)
        )
    )


def _rescore(units: list[_Unit], matcher: _Matcher, changed: set[int]) -> None:
    for u in units:
        if any(id(s) in changed for s in u.sentences):
            u.lexical = matcher.score(u.sentences) * (WINDOW_DISCOUNT if len(u.sentences) > 1 else 1.0)


def _soft_words(q: ParsedQuestion, pool: list[_Unit], word_vectors: Callable[[list[str]], np.ndarray]) -> set[int]:
    """Credit question words that a pool sentence says in other words. Returns the ids of the
    sentences whose matches changed."""
    need = [i for i, t in enumerate(q.terms) if len(t) >= 2 and not t.isdigit()]
    sentences = list({id(s): s for u in pool for s in u.sentences}.values())
    if not need or not sentences:
        return set()
    asked = set(q.terms)
    words_of = {id(s): [w for w in _words(s.compact) if w not in asked] for s in sentences}
    vocab = list(dict.fromkeys(w for ws in words_of.values() for w in ws))
    if not vocab:
        return set()
    index = {w: n for n, w in enumerate(vocab)}
    sims = word_vectors([q.terms[i] for i in need]) @ word_vectors(vocab).T
    changed: set[int] = set()
    for s in sentences:
        cols = [index[w] for w in words_of[id(s)]]
        if not cols:
            continue
        best = sims[:, cols].max(axis=1)
        for row, i in enumerate(need):
            credit = SOFT_CREDIT * min(1.0, max(0.0, (float(best[row]) - SOFT_LOW) / (SOFT_HIGH - SOFT_LOW)))
            hits = s.hit_row()
            if credit > hits[i]:
                hits[i] = credit
                changed.add(id(s))
    return changed


def _promising(pool: list[tuple[_Unit, float]]) -> list[_Unit]:
    """Evidence units most worth a closer look: their words, and their article's search rank."""
    return [u for u, search in sorted(pool, key=lambda p: -(p[0].lexical + 0.3 * p[1]))]


def _score_meaning(q: ParsedQuestion, ranked: list[_Unit], similarity: Sequence[SentenceSimilarity]) -> bool:
    """Give the most promising units a meaning score from each model in turn (the last model that
    reached a unit decides it). Returns whether any model ran."""
    ran = False
    for model in similarity:
        chosen = ranked[: model.limit]
        if not chosen:
            continue
        cosines = model.score(q.text, [u.compact for u in chosen])
        for u, v in zip(chosen, model.scaled(cosines)):
            u.meaning = v
        ran = True
    return ran


def _answer_for(place: _Place, level: str | None, q: ParsedQuestion):
    """(name, level, parents, code, in_gazetteer, successor) at the level asked, or None."""
    if place.unlisted is not None:
        p = place.unlisted
        if q.within and not (p.parent_code and is_within(p.parent_code, q.within)):
            return None
        successor = region_by_code(p.successor_code).name if p.successor_code else ""
        if level in (None, p.level):
            parents = (
                [*(u.name for u in ancestors(p.parent_code)), region_by_code(p.parent_code).name]
                if p.parent_code
                else []
            )
            return p.name, p.level, parents, "", False, successor
        if not p.parent_code:
            return None
        unit = _at_level(p.parent_code, level)
    else:
        if q.within and not is_within(place.code, q.within):
            return None
        unit = _at_level(place.code, level)
    if unit is None:
        return None  # the story is about a province when a county was asked for
    return unit.name, unit.level, [u.name for u in ancestors(unit.code)], unit.code, True, ""


def answer_who(
    question: str,
    level: str | None,
    k: int,
    candidates: Sequence[WhoCandidate],
    similarity: Sequence[SentenceSimilarity] = (),
    word_vectors: Callable[[list[str]], np.ndarray] | None = None,
    load_mentions: Callable[[list[str]], dict[str, Sequence[Mention]]] | None = None,
) -> list[WhoAnswer]:
    """Regions (at ``level``, or the level the question asks for) ranked by how well their
    organisations' reported actions match the question; one answer per region, best evidence kept.

    ``candidates`` come best first from the search; ``similarity`` scores sentences' meaning and
    ``word_vectors`` (L2-normalised rows, one per word) words' meaning; both optional: without
    them only words as written, their pieces and numbers count. ``load_mentions`` fetches the
    entities of the articles that hold evidence (else each candidate brings its own); an
    article it returns nothing for is left out."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    q = parse_question(question)
    level = level or q.level
    if not candidates or not (q.terms or q.phrases or q.numbers) or q.unknown_place:
        return []
    matcher = _Matcher(q, candidates)
    top_search = max((c.score for c in candidates), default=0.0) or 1.0
    per_candidate = []
    pool: list[tuple[_Unit, float]] = []
    for rank, c in enumerate(candidates):
        sentences = _sentences(c)
        for s in sentences:
            matcher.mark(s)
        units = _units(sentences, matcher)
        if not units:
            continue
        search = c.score / top_search
        per_candidate.append((c, sentences, units, search))
        best = sorted(units, key=lambda u: -u.lexical)[:3]
        if rank < 10:  # a story's opening tells who did what: worth reading for meaning even without shared words
            best += [u for u in units[:2] if u not in best]
        pool += [(u, search) for u in best]
    if word_vectors is not None and q.terms:
        changed = _soft_words(q, _promising(pool)[:SOFT_UNITS], word_vectors)
        if changed:
            for _, _, units, _ in per_candidate:
                _rescore(units, matcher, changed)
    meaning = _score_meaning(q, _promising(pool), similarity)
    best_answers: dict[str, WhoAnswer] = {}
    with_evidence = []
    for c, sentences, units, search in per_candidate:
        for u in units:
            u.score = u.lexical if not meaning else LEXICAL_SHARE * u.lexical + (1 - LEXICAL_SHARE) * (u.meaning or 0.0)
        ranked = sorted((u for u in units if u.score >= MIN_EVIDENCE), key=lambda u: -u.score)
        if ranked:
            coverage = matcher.score(sentences)  # the whole article: how much of the question it holds at all
            # the best answer score this article could give (organisation named, evidence in a headline)
            bound = 0.55 * ranked[0].score + 0.2 * search + 0.1 * coverage + 0.15
            with_evidence.append((bound, c, sentences, ranked, search, coverage))
    # Articles best-first by what they could score; entities are read a batch at a time and the
    # reading stops once k answers are ahead of anything the rest could reach.
    with_evidence.sort(key=lambda x: -x[0])
    for start in range(0, len(with_evidence), MENTION_BATCH):
        batch = with_evidence[start : start + MENTION_BATCH]
        top = sorted((a.score for a in best_answers.values()), reverse=True)
        if 0 < k <= len(top) and top[k - 1] > batch[0][0]:
            break
        if load_mentions is not None:
            found_mentions = load_mentions([x[1].article_id for x in batch])
            batch = [
                (b, replace(c, mentions=tuple(found_mentions[c.article_id])), sentences, ranked, search, coverage)
                for b, c, sentences, ranked, search, coverage in batch
                if c.article_id in found_mentions
            ]
        for _, c, sentences, ranked, search, coverage in batch:
            _answers_from(c, sentences, ranked, search, coverage, q, level, best_answers)
    return sorted(best_answers.values(), key=lambda a: (-a.score, a.code))[: max(k, 0)]


def _answers_from(
    c: WhoCandidate,
    sentences: list[_Sentence],
    ranked: list[_Unit],
    search: float,
    coverage: float,
    q: ParsedQuestion,
    level: str | None,
    best_answers: dict[str, WhoAnswer],
) -> None:
    """The regions one article's best evidence names, kept in ``best_answers`` when they beat what is there."""
    for u in [u for u in ranked[:3] if u.score >= 0.6 * ranked[0].score]:
        place, org, org_in_unit = _evidence_place(c, sentences, u, q)
        if place is None:
            continue
        found = _answer_for(place, level, q)
        if found is None:
            continue
        name, lvl, parents, code, listed, successor = found
        score = 0.55 * u.score + 0.2 * search + 0.1 * coverage + (0.1 if org_in_unit else 0.0)
        score += 0.05 if u.field != "body" else 0.0
        if place.ambiguous:
            score *= 0.8
        answer = WhoAnswer(
            region=name,
            level=lvl,
            parents=parents,
            code=code,
            org=org.value if org is not None else "",
            program=_program_in(u, c.mentions, q),
            evidence=u.compact,  # OCR line-break spaces taken out; the offsets point at the text as written
            article_id=c.article_id,
            title=c.title,
            score=round(score, 4),
            evidence_field=u.field,
            evidence_start=u.start,
            evidence_end=u.end,
            ambiguous=[a for a in place.ambiguous if a != place.code],
            in_gazetteer=listed,
            successor=successor,
        )
        key = code or f"unlisted:{name}"
        if key not in best_answers or answer.score > best_answers[key].score:
            best_answers[key] = answer
