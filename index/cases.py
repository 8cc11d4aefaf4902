"""Best-practice cases: who did what, where, when, and with what result.

Pure functions over an article's text and its entity mentions (no I/O):

1. :func:`article_case_evidence` reads one article and returns what it says about each
   case: an acting organisation (with its region) doing a named program (a quoted
   campaign) or, for a headline of the form "<organisation> <does something>", an action;
   the sentence that defines it; the figures that belong to it; the dates in its sentences.
2. :func:`cluster_cases` joins evidence across articles: the same program by the same
   organisation is one case, and within one organisation near-identical descriptions
   (cosine of their vectors) are one case too.

How an organisation is read as the actor: it must stand in subject position of the
sentence that names the program (at the start of a clause, after a time phrase such as
近日 / 今年以来, after 由, or after the place it belongs to), be the nearest such organisation
before the program, no more than a few clauses back. An organisation that is only an
object (把握全总要求, 在市总工会指导下), part of a title (国务院副总理…) or the speaker of
reported speech never acts; a program named as a goal or a frame (为建设“强富美高”新江苏,
按照“三服务”部署, 在“一国两制”下) is not run by the subject.

Which sentences (and so which figures) belong to a case: a sentence naming its program; a
sentence whose subject is its organisation (the program it last named in that paragraph,
else the one case the headline names or echoes); and up to two sentences after either in
the same paragraph, until another actor is named. Within one sentence a figure goes to the
nearest case anchor before it. Only figures that say how much or how many count: money,
people, counts and percentages, not areas, ages or durations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.chars import HAN
from pipeline.models import Mention
from pipeline.regions import ancestors, find_units, region_by_code

NATIONAL = "全国"  # the region of a case run by a national body
# National bodies the extractor names without a region code; any other organisation needs one.
NATIONAL_ORGS = frozenset(
    "中华全国总工会 全国总工会 全国人大常委会 全国人大 全国政协 中共中央 党中央 中央军委 国务院 团中央 全国妇联".split()
)
DESCRIPTION_MERGE_COSINE = 0.93  # two accounts of one organisation's work this close are one case …
NAME_MERGE_OVERLAP = 0.6  # … when their program names share this much (character pairs, Jaccard)
FIGURE_KINDS = ("money", "people", "count", "percent")
_PEOPLE_UNITS = frozenset("人 名 人次 位 户 户次".split())
_NOT_RESULTS = frozenset(
    "平方公里 平方米 公里 千米 公顷 千克 公斤 亩 米 吨 岁 小时 天 周 个月 GB 期 届 次 首 幅".split()
)

_SENTENCE = re.compile(r"[^。！？!?；;\n]+(?:[。！？!?；;]+[”’」』）)\"]*)?")
_OCR_SPACE = re.compile(rf"(?<=[{HAN}\d“”])[ \t\u3000]+(?=[{HAN}\d“”])")
# Clause breaks for finding a subject; 、 is not one (国务院、中央军委授予…: both are one list).
_CLAUSE_BREAK = frozenset('，,：:；;（(）)“”"—!！?？。\n')
_CLAUSE_SPLIT = frozenset("，,；;：:")
MAX_CLAUSES_TO_PROGRAM = 3  # a subject acts on a program at most this many clauses further on
# What may stand between a clause start and its subject: time phrases and connectives.
_LEAD_IN = re.compile(
    r"^(?:近日|日前|近期|目前|最近|此前|随后|当天|当日|今年|去年|今年以来|去年以来|今春以来|近年来|近年|多年来|"
    r"此外|同时|另外|其中|为此|对此|据悉|据了解|据介绍|据统计|由|如今|现在|截至目前|记者了解到|记者获悉|"
    r"(?:19|20)\d{2}年(?:\d{1,2}月(?:\d{1,2}日)?)?(?:以来|起|初|底|末)?|\d{1,2}月(?:\d{1,2}日)?(?:以来|起)?|"
    r"[上下本这此]周[一二三四五六日]?|[上下本这]个?月(?:初|底|中旬|上旬|下旬)?)*$"
)
# Right after an organisation's name, these make it part of a person's title, of a longer name
# or of a report (国务院副总理…, 全国人大西藏代表团, 国务院扶贫办, 海南省政协调研报告显示): the
# organisation itself is not acting.
_NOT_ACTING_AFTER = re.compile(
    r"^(?:[\u4e00-\u9fff]{0,14}?(?:办公厅|办公室|代表团|工作部|政治部|宣传部|组织部|政治局|党组|新闻办|"
    r"扶贫办|侨办|参事室|领导小组|专委会|委员会|机关|分局|支队|派出所|研究室|调研组|督查组|调研报告|报告|通报|数据显示|"
    r"网站|官网)|[\u4e00-\u9fff]{0,8}?(?:副?主席|副?书记|副?主任|副?局长|副?厅长|副?部长|副?总理|副?院长|检察长|"
    r"会长|理事长|处长|所长|科长|秘书长|委员长|发言人|巡视员|副?省长|副?市长|副?县长)|[\u4e00-\u9fff]{0,2}?"
    r"(?:常委|委员|代表|干部|负责人|职工|会员|原|领导同志|认为|表示|指出|强调|这一|此次))"
)
# What follows "… said," is reported speech: the speaker's organisation does not act in it.
_SPEECH = re.compile(r"(?:说|表示|介绍|认为|指出|强调|坦言|感叹)[，,：:]")
# A clause opening with a body the extractor does not know and a verb (工信部制订…, 科技部部署…)
# has a subject of its own.
_OTHER_SUBJECT = re.compile(
    r"^(?![让使为把将对向在从与和并以及])[\u4e00-\u9fff]{1,5}?(?:部|局|厅|委|办|署|政府|党委|中心|公司|集团|协会)"
    r"(?:联合|会同|牵头|制订|制定|部署|印发|发布|出台|开展|推出|启动|实施|组织|召开|举办|下发|推进|推动|负责|建立|"
    r"设立|发起)"
)
# The dateline and byline at the head of a report: not part of what the sentence says.
_DATELINE = re.compile(
    r"^\s*(?:(?:本报|新华社|人民网|中新社|工人日报)[^，。（(]{0,16}?(?:电|讯))?\s*(?:[（(][^）)]{0,40}[）)])?\s*"
)
_ACTION_TRIM = re.compile(r"^(?:全力|持续|扎实|积极|深入|大力|着力|率先|首次|首创|再|又|还|[：:，,\s])+")
# A headline "<organisation> <verb> …" states a case when the verb is one of doing something.
_ACTION_VERBS = re.compile(
    r"^(?:开展|推出|启动|实施|举办|发起|打造|出台|推进|推动|建立|建成|组建|成立|创建|组织|探索|创新|推行|设立|开通|"
    r"搭建|吸纳|帮助|帮|助力|助推|送|投入|评选|表彰|部署|印发|发布|启用|上线|开设|试点|建设|构建|完善|加强|深化|"
    r"实行|落实|织密|密织|筑牢|守护|关爱|慰问|培训|提升|引领|服务|保障|联合|携手|为|给|让|招募|资助|救助|帮扶|"
    r"命名|授予|签订|签约|选树|培育|扶持|支持|筹集|发放|新建|改造|升级|打通|解决|化解|维护)"
)
# A program named as a goal or a frame (为建设“强富美高”新江苏, 按照“三服务”部署) is not one the subject runs.
_REFERENCED_BEFORE = re.compile(
    r"(?:为建设|为打造|为推进|为实现|助力|坚持和完善|坚持|确保|做好|抓好|做到|当好|增强|坚定|巩固|捍卫|维护|威胁|关于|"
    r"(?:服务于?|围绕|聚焦|响应|落实|贯彻|按照|根据|对标|对照|践行|参加|参与|学习)[\u4e00-\u9fff]{0,4})$"
)
_REFERENCED_AFTER = re.compile(r"(?:下|之下|框架|精神|要求|指引|指示)")  # 在“一国两制”下: a frame
_QUOTE_CHAIN = re.compile(r"(?:[“\"「][^“”\"「」]{1,24}[”\"」][、，,和及与]?)+$")  # “政治中心”、“文化中心”、…
_LEADING_VERB = re.compile(r"^(?:开展|推出|启动|实施|举办|发起|打造|出台|推行)(?=[\u4e00-\u9fff“\"]{4})")
_TITLE_SPLIT = re.compile(r"[\s\u3000]+|[，,；;！!？?]")
_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]\s*$")  # （决战脱贫攻坚一线探访）: a column name
_NORMALISE = re.compile(r"[\s“”\"‘’'「」《》（）()·•、，,。:：;；!！?？\-—_]+")
_CN_MAGNITUDE = re.compile(r"[十百千万亿]")
_MAGNITUDE_ONLY = re.compile(r"^[十百千万亿]")  # 百名工会干部, 万家寨, 千堂百场: words, not counts
UNION_KINDS = frozenset({"union", "industry_union"})


@dataclass(frozen=True)
class ArticleText:
    """The fields of one article a case reads (the store's article, without its provenance)."""

    id: str
    title: str
    body: str
    kicker: str = ""
    subtitle: str = ""
    date: str | None = None


@dataclass(frozen=True)
class CaseFigure:
    """A number with its unit that belongs to a case: 4000万元 of 专项补助经费."""

    text: str  # as written, e.g. 4000万元
    value: float  # 40000000
    unit: str  # 元, %, 名, 家 …
    kind: str  # money | people | count | percent
    what: str  # what it counts or measures, e.g. 专项补助经费
    article_id: str

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "value": self.value,
            "unit": self.unit,
            "kind": self.kind,
            "what": self.what,
            "article_id": self.article_id,
        }

    @classmethod
    def from_dict(cls, d: dict) -> CaseFigure:
        return cls(d["text"], float(d["value"]), d["unit"], d["kind"], d.get("what", ""), d["article_id"])


@dataclass(frozen=True)
class CaseEvidence:
    """What one article says about one case."""

    article_id: str
    title: str
    date: str | None
    org: str  # the acting organisation's full name
    region: str  # its region code; '' for a national body
    program: str  # the program's name, or the action the headline states
    kind: str  # 'program' | 'action'
    description: str  # the sentence that defines the case in this article
    field: str  # where that sentence is: title / kicker / subtitle / body, with offsets
    start: int
    end: int
    figures: tuple[CaseFigure, ...] = ()
    dates: tuple[str, ...] = ()  # ISO dates (YYYY-MM or YYYY-MM-DD) named in the case's sentences
    mentions: int = 1  # how often the article names the program

    @property
    def group(self) -> tuple[str, str]:
        """Cases merge only within one organisation in one region."""
        return canonical_org(self.org, self.region), self.region

    @property
    def group_key(self) -> str:
        return "\x1f".join(self.group)

    def to_dict(self) -> dict:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "date": self.date,
            "org": self.org,
            "region": self.region,
            "program": self.program,
            "kind": self.kind,
            "description": self.description,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "figures": [f.to_dict() for f in self.figures],
            "dates": list(self.dates),
            "mentions": self.mentions,
        }

    @classmethod
    def from_dict(cls, d: dict) -> CaseEvidence:
        return cls(
            d["article_id"],
            d["title"],
            d.get("date"),
            d["org"],
            d["region"],
            d["program"],
            d["kind"],
            d["description"],
            d["field"],
            d["start"],
            d["end"],
            tuple(CaseFigure.from_dict(f) for f in d.get("figures", ())),
            tuple(d.get("dates", ())),
            d.get("mentions", 1),
        )


@dataclass(frozen=True)
class CaseArticle:
    """One article that reports a case, with the sentence that says so in it."""

    id: str
    title: str
    date: str | None
    evidence: str

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "date": self.date, "evidence": self.evidence}


@dataclass
class Case:
    """One best-practice case: an organisation in a region doing a program, with its record."""

    id: str
    region: str  # the region's full name (全国 for a national body)
    region_code: str
    level: str  # province | city | county | national
    parents: list[str]
    org: str
    program: str
    description: str
    first_date: str | None
    last_date: str | None
    figures: list[CaseFigure]
    articles: list[CaseArticle]
    independent_articles: int  # articles that are not reprints of one another
    score: float = 0.0
    programs: list[str] = field(default_factory=list)  # every name the program was reported under

    def to_dict(self) -> dict:
        """The stable JSON shape of the CLI's ``cases --json`` and ``case --json``."""
        return {
            "id": self.id,
            "region": self.region,
            "level": self.level,
            "parents": list(self.parents),
            "org": self.org,
            "program": self.program,
            "description": self.description,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "figures": [f.to_dict() for f in self.figures],
            "articles": [a.to_dict() for a in self.articles],
            "score": round(self.score, 6),
        }

    @property
    def region_path(self) -> list[str]:
        return [*self.parents, self.region]

    def to_record(self) -> dict:
        """Everything, for storing (``to_dict`` is the public shape)."""
        d = self.to_dict()
        d.update(
            region_code=self.region_code, independent_articles=self.independent_articles, programs=list(self.programs)
        )
        return d

    @classmethod
    def from_record(cls, d: dict) -> Case:
        return cls(
            id=d["id"],
            region=d["region"],
            region_code=d["region_code"],
            level=d["level"],
            parents=list(d["parents"]),
            org=d["org"],
            program=d["program"],
            description=d["description"],
            first_date=d.get("first_date"),
            last_date=d.get("last_date"),
            figures=[CaseFigure.from_dict(f) for f in d.get("figures", ())],
            articles=[CaseArticle(a["id"], a["title"], a.get("date"), a["evidence"]) for a in d.get("articles", ())],
            independent_articles=d.get("independent_articles", 1),
            score=d.get("score", 0.0),
            programs=list(d.get("programs", ())),
        )


# ---------------------------------------------------------------------------------- sentences


@dataclass(eq=False)  # compared and hashed by identity
class _Sentence:
    field: str
    start: int
    end: int
    paragraph: int
    text: str
    subjects: list = dataclasses.field(default_factory=list)  # org mentions in subject position
    programs: list = dataclasses.field(default_factory=list)  # program mentions
    figures: list = dataclasses.field(default_factory=list)
    dates: list = dataclasses.field(default_factory=list)
    regions: list = dataclasses.field(default_factory=list)


def compact(text: str) -> str:
    """Text without the line-break spaces OCR leaves between Chinese characters."""
    return _OCR_SPACE.sub("", text).strip()


def _split_sentences(article: ArticleText) -> list[_Sentence]:
    """Sentences of every field with offsets; body sentences know their paragraph (headline
    lines each count as a paragraph of their own)."""
    out: list[_Sentence] = []
    for n, name in enumerate(("title", "kicker", "subtitle", "body")):
        text = getattr(article, name) or ""
        para, seen = 0, 0
        for m in _SENTENCE.finditer(text):
            s = m.group()
            stripped = s.strip()
            if not stripped:
                continue
            start = m.start() + (len(s) - len(s.lstrip()))
            if name == "body":
                para += text.count("\n", seen, start)
                seen = start
            out.append(_Sentence(name, start, start + len(stripped), para if name == "body" else n - 4, stripped))
    return out


def might_hold_cases(mentions: Iterable[Mention]) -> bool:
    """Cheap test before the sentence work: a case needs an organisation that can act and either
    a program or a headline that starts with an organisation or a place."""
    actor = program = headline = False
    for m in mentions:
        if m.type == "org" and (m.attrs.get("region") or m.value in NATIONAL_ORGS):
            actor = True
            headline |= m.field == "title" and m.start <= 1
        elif m.type == "program":
            program = True
        elif m.type == "region" and m.field == "title" and m.start <= 1:
            headline = True
    return actor and (program or headline)


def _clause_start(full: str, lo: int, pos: int) -> int:
    i = pos
    while i > lo and full[i - 1] not in _CLAUSE_BREAK:
        i -= 1
    return i


def _is_subject(
    m: Mention, s: _Sentence, full: str, people_at: frozenset[int] = frozenset(), places: dict[int, int] | None = None
) -> bool:
    """An organisation at the head of its clause (after at most a time phrase, 由, or the place it
    belongs to: 福建厦门总工会) that is not part of a person's title, of a longer name or of a report,
    nor followed by a person's name (济南市商务局李金强引进…: the person acts)."""
    i = _clause_start(full, s.start, m.start)
    end = m.start
    while places and end in places and places[end] >= i:
        end = places[end]  # step back over the places written before it
    lead = compact(full[i:end])
    if i == s.start:
        lead = _DATELINE.sub("", lead, count=1)
    if not (_LEAD_IN.match(lead) or (2 <= len(lead) <= 8 and find_units(lead))):
        return False
    after = compact(full[m.end : m.end + 20])
    return not (_NOT_ACTING_AFTER.match(after) or any(m.end <= p < m.end + 6 for p in people_at))


def _figure_kind(unit: str) -> str | None:
    if unit in ("%", "‰"):
        return "percent"
    if unit == "元":
        return "money"
    if unit in _PEOPLE_UNITS:
        return "people"
    if not unit or unit in _NOT_RESULTS:
        return None
    return "count"


def _case_figure(m: Mention, full: str, article_id: str) -> CaseFigure | None:
    kind = _figure_kind(m.attrs.get("unit", ""))
    if kind is None or _MAGNITUDE_ONLY.match(m.text):
        return None
    if m.start and full[m.start - 1] == "第":
        return None  # 第3名: a rank, not a count
    value = float(m.attrs.get("number", m.value))
    if (kind == "count" and value < 2) or (not m.text[0].isdigit() and not _CN_MAGNITUDE.search(m.text)):
        return None  # 一项, 1个, 三名, 唯一一位: words, rarely a result
    return CaseFigure(compact(m.text), value, m.attrs.get("unit", ""), kind, m.attrs.get("counted", ""), article_id)


def _national_or_region(m: Mention) -> str | None:
    """The region code of an acting organisation, '' for a national body, None when unknown."""
    code = m.attrs.get("region") or ""
    if not code:
        return "" if m.value in NATIONAL_ORGS else None
    return code


def normalise_program(name: str) -> str:
    """The key two spellings of one program share (quotes, spaces and width folded)."""
    return _NORMALISE.sub("", unicodedata.normalize("NFKC", name)).lower()


def canonical_org(name: str, region: str) -> str:
    """One name per body: 嘉兴市工会 (the city's unions) and 嘉兴市总工会 are grouped together."""
    if region and name.endswith("工会") and not name.endswith("总工会"):
        try:
            unit = region_by_code(region)
        except KeyError:
            return name
        if name == unit.name + "工会":
            return unit.name + "总工会"
    return name


# ---------------------------------------------------------------------------------- one article


def _echoes(key: str, headline: str) -> bool:
    """The headline says the program in other words: half its character pairs are there."""
    pairs = {key[i : i + 2] for i in range(len(key) - 1)}
    return bool(pairs) and sum(p in headline for p in pairs) >= len(pairs) / 2


def _clauses_between(full: str, a: int, b: int) -> int:
    return sum(1 for ch in full[a:b] if ch in _CLAUSE_SPLIT)


def _actor_before(s: _Sentence, pos: int, full: str) -> Mention | None:
    """The subject acting on what stands at ``pos``: the nearest subject before it, no more than
    a few clauses back, with no clause in between opening on another body."""
    before = [o for o in s.subjects if o.end <= pos]
    if not before:
        return None
    actor = before[-1]
    if _clauses_between(full, actor.end, pos) > MAX_CLAUSES_TO_PROGRAM:
        return None
    if _SPEECH.search(full, actor.end, pos):
        return None  # …的李刚说，有的地方打造“经典路线”: reported speech about others
    i = actor.end
    while True:
        j = next((k for k in range(i, pos) if full[k] in _CLAUSE_SPLIT), -1)
        if j < 0:
            return actor
        if _OTHER_SUBJECT.match(compact(full[j + 1 : j + 16])):
            return None
        i = j + 1


def _title_actor(sentences: list[_Sentence], mentions: Sequence[Mention]) -> Mention | None:
    """The organisation a headline starts with, or, when it starts with a place, the union the
    body names for that place (甘肃评选… → 甘肃省总工会)."""
    title = next((s for s in sentences if s.field == "title"), None)
    if title is None:
        return None
    if title.subjects and title.subjects[0].start - title.start <= 1:
        return title.subjects[0]
    lead_place = next((r for r in title.regions if r.start - title.start <= 1), None)
    if lead_place is None:
        return None
    # only when the headline names a program or a deed after the place (not 衡阳雁来有留意)
    after = compact(title.text[lead_place.end - title.start :])
    if not (title.programs or _ACTION_VERBS.match(_ACTION_TRIM.sub("", after))):
        return None
    found: dict[str, list] = {}
    for o in mentions:
        if (
            o.type == "org"
            and o.field == "body"
            and o.attrs.get("region") == lead_place.value
            and o.attrs.get("kind") in UNION_KINDS
        ):
            found.setdefault(o.value, []).append(o)
    return max(found.values(), key=len)[0] if found else None


def _title_action(title: _Sentence, full: str, actor: Mention) -> str:
    """What a headline says the organisation did: the words after its name (or its place), when
    they say what it did (a verb of doing, or anything after a union's name)."""
    if actor.field == "title":
        end = actor.end
    else:
        end = max((r.end for r in title.regions if r.start - title.start <= 1), default=title.start)
    rest = full[end : title.end]
    colon = rest.lstrip()[:1] in "：:"
    rest = _TRAILING_NOTE.sub("", rest.lstrip("：: "))
    rest = compact(_TITLE_SPLIT.split(rest)[0]) if rest else ""
    rest = _ACTION_TRIM.sub("", rest)
    if len(rest) < 4 or _NOT_ACTING_AFTER.match(rest) or rest.startswith(("的", "和", "与", "在", "、", "等", "关于")):
        return ""
    if not _ACTION_VERBS.match(rest):
        # a union's headline says what it did even without one of those verbs (银川市总千堂百场公益课…),
        # but after a colon only when it counts what it did (张掖市总：10项措施…), not a statement
        if actor.attrs.get("kind") not in UNION_KINDS or (colon and not rest[0].isdigit()):
            return ""
    return _LEADING_VERB.sub("", rest)


def _index_mentions(article: ArticleText, mentions: Sequence[Mention], fields: dict[str, str]) -> list[_Sentence]:
    import bisect

    sentences = _split_sentences(article)
    starts: dict[str, list[int]] = {}
    lists: dict[str, list[_Sentence]] = {}
    for s in sentences:
        starts.setdefault(s.field, []).append(s.start)
        lists.setdefault(s.field, []).append(s)
    people = {f: frozenset(m.start for m in mentions if m.type == "person" and m.field == f) for f in lists}
    places: dict[str, dict[int, int]] = {f: {} for f in lists}  # end -> start of each place name
    for m in mentions:
        if m.type == "region" and m.field in places:
            places[m.field][m.end] = m.start
    documents = [
        (m.field, m.start, m.end) for m in mentions if m.type == "program" and m.attrs.get("kind") == "document"
    ]
    for m in mentions:
        if m.type not in ("org", "program", "figure", "date", "region") or m.field not in lists:
            continue
        i = bisect.bisect_right(starts[m.field], m.start) - 1
        if i < 0:
            continue
        s = lists[m.field][i]
        if not (s.start <= m.start < s.end):
            continue
        if m.type == "org":
            if _national_or_region(m) is not None and _is_subject(
                m, s, fields[m.field], people[m.field], places[m.field]
            ):
                s.subjects.append(m)
        elif m.type == "program":
            head = fields[m.field][s.start : m.start]
            chain = _QUOTE_CHAIN.search(head)  # a list of names: what stands before the first counts
            before = compact(head[: chain.start() if chain else len(head)][-10:])
            inside_document = any(f == m.field and a < m.start and m.end <= b for f, a, b in documents)
            if m.attrs.get("kind", "campaign") != "campaign" or inside_document:
                continue
            if not (_REFERENCED_BEFORE.search(before) or _REFERENCED_AFTER.match(fields[m.field], m.end)):
                s.programs.append(m)
        elif m.type == "figure":
            s.figures.append(m)
        elif m.type == "date":
            s.dates.append(m)
        else:
            s.regions.append(m)
    for s in sentences:
        for lst in (s.subjects, s.programs, s.figures, s.dates, s.regions):
            lst.sort(key=lambda m: m.start)
    return sentences


CaseKey = tuple[str, str]  # (organisation, program key)


def article_case_evidence(article: ArticleText, mentions: Sequence[Mention]) -> list[CaseEvidence]:
    """Every case the article reports, with its defining sentence, figures and dates.

    >>> # article_case_evidence(ArticleText("a1", "前郭县总发起消费扶贫“四大行动”", body), mentions)
    """
    if not might_hold_cases(mentions):
        return []
    fields = {"title": article.title, "kicker": article.kicker, "subtitle": article.subtitle, "body": article.body}
    sentences = _index_mentions(article, mentions, fields)
    title_actor = _title_actor(sentences, mentions)

    # 1. who acts on each program mention: its own subject, else whoever runs it elsewhere in the article
    actor_of: dict[int, Mention] = {}  # id(program mention) -> org mention
    direct: set[int] = set()  # program mentions whose actor stands in their own sentence
    names: dict[str, str] = {}
    majority: dict[str, dict[str, list[Mention]]] = {}
    for s in sentences:
        for p in s.programs:
            key = normalise_program(p.value)
            if not key:
                continue
            names.setdefault(key, p.value)
            actor = _actor_before(s, p.start, fields[s.field])
            if actor is None and s.field == "title" and title_actor is not None:
                actor = title_actor
            if actor is not None:
                actor_of[id(p)] = actor
                direct.add(id(p))
                majority.setdefault(key, {}).setdefault(actor.value, []).append(actor)
    for s in sentences:
        for p in s.programs:
            key = normalise_program(p.value)
            if id(p) not in actor_of and majority.get(key):
                by = majority[key]
                actor_of[id(p)] = by[max(by, key=lambda o: len(by[o]))][0]

    # 2. the article's cases
    cases: dict[CaseKey, dict] = {}

    def case_for(org_m: Mention, key: str, program: str, kind: str) -> CaseKey:
        ck = (org_m.value, key)
        if ck not in cases:
            cases[ck] = {
                "org": org_m,
                "key": key,
                "program": program,
                "kind": kind,
                "sentences": [],
                "anchors": [],
                "mentions": 0,
                "headline": False,
                "lead_sentences": [],
            }
        return ck

    for s in sentences:
        for p in s.programs:
            if id(p) in actor_of:
                key = normalise_program(p.value)
                ck = case_for(actor_of[id(p)], key, names[key], "program")
                cases[ck]["mentions"] += 1
                cases[ck]["headline"] |= s.field != "body"
                cases[ck]["lead_sentences"].append(s)
    title = next((s for s in sentences if s.field == "title"), None)
    if title is not None and title_actor is not None:
        action = _title_action(title, fields["title"], title_actor)
        # the headline's action, unless it is a program the actor runs named in the headline or the
        # lead, or one described in the headline's words (青海开展集体协商集中要约行动 → “共商共创、和谐同行”)
        if action and not any(
            ck[0] == title_actor.value
            and (
                c["headline"]
                or any(
                    s.paragraph == 0 or (s.paragraph <= 2 and action[:4] in compact(s.text))
                    for s in c["lead_sentences"]
                )
            )
            for ck, c in cases.items()
        ):
            ck = case_for(title_actor, normalise_program(action), action, "action")
            cases[ck]["headline"] = True
            cases[ck]["mentions"] += 1
    if not cases:
        return []

    # 3. which case each sentence, and each figure in it, belongs to
    headline_text = normalise_program(" ".join((article.title, article.kicker, article.subtitle)))
    by_org: dict[str, list[CaseKey]] = {}
    for ck in cases:
        by_org.setdefault(ck[0], []).append(ck)

    def main_case(org: str) -> CaseKey | None:
        """The case a sentence led by ``org`` but naming no program is about: the one case of its
        the headline names or echoes (建强县级工会 → 县级工会加强年); None when that is not clear
        (a round-up of an organisation's work: its other sentences are about other things)."""
        headline = [ck for ck in by_org[org] if cases[ck]["headline"] or _echoes(cases[ck]["key"], headline_text)]
        return headline[0] if len(headline) == 1 else None

    last_of_org: dict[str, tuple[CaseKey, int]] = {}  # org -> (case last named, its paragraph)
    owner: CaseKey | None = None
    owner_left = 0  # sentences a case still holds after its last anchor
    prev: _Sentence | None = None
    figure_owner: dict[int, CaseKey] = {}
    for s in sentences:
        anchors: list[tuple[int, CaseKey]] = []
        for p in s.programs:
            if id(p) in actor_of:
                ck = (actor_of[id(p)].value, normalise_program(p.value))
                anchors.append((p.start, ck))
                last_of_org[ck[0]] = (ck, s.paragraph)
        blocked = False  # a subject whose case is unclear: what follows is nobody's
        for o in s.subjects:
            if o.value in by_org and not any(ck[0] == o.value and pos > o.start for pos, ck in anchors):
                last = last_of_org.get(o.value)
                found = last[0] if last and last[1] == s.paragraph else main_case(o.value)
                if found is not None:
                    anchors.append((o.start, found))
                else:
                    blocked = True
        if s.field == "title" and not anchors and title_actor is not None and title_actor.value in by_org:
            found = main_case(title_actor.value)
            if found is not None:
                anchors.append((s.start, found))
        anchors.sort(key=lambda a: a[0])
        same_paragraph = prev is not None and prev.field == s.field and prev.paragraph == s.paragraph
        if anchors:
            owner, owner_left = anchors[-1][1], 2
        elif s.subjects or blocked or not same_paragraph or owner_left <= 0:
            owner, owner_left = None, 0  # another actor, a new paragraph, or too far: not ours
        else:
            owner_left -= 1
        for ck in {ck for _, ck in anchors} | ({owner} if owner else set()):
            cases[ck]["sentences"].append(s)
        for _, ck in anchors:
            cases[ck]["anchors"].append(s)
        programs_here = [(p.start, p.end) for p in s.programs]
        for f in s.figures:
            if any(a <= f.start < b for a, b in programs_here):
                continue  # part of a program's name (百名工会干部进千企)
            before = [ck for pos, ck in anchors if pos <= f.start]
            after = [ck for pos, ck in anchors if pos > f.start]
            found = before[-1] if before else (after[0] if after else owner)
            if found is not None:
                figure_owner[id(f)] = found
        prev = s

    # 4. one evidence record per case
    out: list[CaseEvidence] = []
    for ck, c in cases.items():
        org_m = c["org"]
        region = _national_or_region(org_m)
        described = _describe(c, fields) if region is not None else None
        if region is None or described is None:
            continue
        desc_s, (d_start, d_end), desc = described
        figures: list[CaseFigure] = []
        dates: set[str] = set()
        for s in dict.fromkeys(c["sentences"]):
            for f in s.figures:
                if figure_owner.get(id(f)) == ck:
                    cf = _case_figure(f, fields[s.field], article.id)
                    if cf is not None:
                        figures.append(cf)
            for d in s.dates:
                if d.attrs.get("kind") in ("date", "dateline", "month") and re.match(r"^\d{4}-\d{2}", d.value):
                    if not article.date or d.value[:7] <= article.date[:7]:
                        dates.add(d.value)
        out.append(
            CaseEvidence(
                article_id=article.id,
                title=article.title,
                date=article.date,
                org=org_m.value,
                region=region,
                program=c["program"],
                kind=c["kind"],
                description=desc,
                field=desc_s.field,
                start=d_start,
                end=d_end,
                figures=tuple(figures),
                dates=tuple(sorted(dates)),
                mentions=c["mentions"],
            )
        )
    order = {"title": 0, "kicker": 1, "subtitle": 2, "body": 3}
    out.sort(key=lambda e: (order.get(e.field, 4), e.start, e.org, e.program))
    return out


MAX_DESCRIPTION = 160  # characters; a longer sentence is cut to the clauses that say what was done


def _describe(c: dict, fields: dict[str, str]) -> tuple[_Sentence, tuple[int, int], str] | None:
    """The sentence that defines the case: where its organisation acts on its program, in the
    body first (a headline is a slogan), not a quotation; a long one cut to the clauses that say it."""
    org, key = c["org"].value, c["key"]
    anchors = list(dict.fromkeys(c["anchors"]))

    def program_at(s: _Sentence) -> int | None:
        return next((p.start for p in s.programs if normalise_program(p.value) == key), None)

    def actor_at(s: _Sentence) -> int | None:
        return next((o.start for o in s.subjects if o.value == org), None)

    def quoted(s: _Sentence) -> bool:
        return fields[s.field][s.start : s.start + 1] in '“"「'

    if c["kind"] == "action":
        body = [s for s in c["sentences"] if s.field == "body" and actor_at(s) is not None and not quoted(s)]
        ranked = body[:1] + [s for s in anchors if s.field == "title"]
    else:
        ranked = sorted(
            anchors,
            key=lambda s: (
                not (program_at(s) is not None and actor_at(s) is not None),
                quoted(s),
                s.field != "body",
                program_at(s) is None,
                s.paragraph,
                s.start,
            ),
        )
    if not ranked:
        return None
    s = ranked[0]
    full = fields[s.field]
    start, end = s.start, s.end
    if s.field == "body":
        dateline = _DATELINE.match(full, start)
        start += len(dateline.group()) if dateline else 0
    if len(compact(full[start:end])) > MAX_DESCRIPTION:
        start, end = _cut_to_clauses(full, start, end, actor_at(s), program_at(s))
    return s, (start, end), compact(full[start:end])


def _cut_to_clauses(full: str, start: int, end: int, actor: int | None, program: int | None) -> tuple[int, int]:
    """The clauses of a long sentence from its actor's to the one after its program's."""
    cuts = [start] + [i + 1 for i in range(start, end) if full[i] in _CLAUSE_SPLIT] + [end]

    def clause(pos: int) -> int:
        return max(k for k in range(len(cuts) - 1) if cuts[k] <= pos)

    focus = program if program is not None else actor if actor is not None else start
    first = clause(actor) if actor is not None and actor <= focus else clause(focus)
    last = min(clause(focus) + 1, len(cuts) - 2)
    while last > clause(focus) and len(compact(full[cuts[first] : cuts[last + 1]])) > MAX_DESCRIPTION:
        last -= 1
    while first < clause(focus) and len(compact(full[cuts[first] : cuts[last + 1]])) > MAX_DESCRIPTION:
        first += 1
    a, b = cuts[first], cuts[last + 1]
    return a, b - (1 if full[b - 1] in _CLAUSE_SPLIT else 0)


# ---------------------------------------------------------------------------------- across articles


def case_id(org: str, region: str, program: str) -> str:
    """A stable id: the same organisation, region and program always get the same one."""
    raw = f"{org}\x1f{region}\x1f{normalise_program(program)}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:12]


def _evidence_order(e: CaseEvidence) -> tuple:
    return (e.date or "9999", e.article_id, e.field != "title", e.start)


def independent_count(evidence: Iterable[CaseEvidence]) -> int:
    """Articles that are not reprints of one another: a reprint repeats the defining sentence."""
    return len({normalise_program(e.description) for e in evidence}) or 0


def _region_parts(code: str) -> tuple[str, str, list[str]]:
    if not code:
        return NATIONAL, "national", []
    try:
        unit = region_by_code(code)
    except KeyError:
        return code, "", []
    return unit.name, unit.level, [u.name for u in ancestors(code)]


def _description_rank(e: CaseEvidence) -> tuple:
    # the body sentence of the first report that names both actor and program
    return (e.field == "title", e.date or "9999", -e.mentions, e.article_id)


def build_case(evidence: Sequence[CaseEvidence]) -> Case:
    """One case from the evidence of all the articles that report it."""
    ev = sorted(evidence, key=_evidence_order)
    first = ev[0]
    org_key = first.group[0]
    programs = list(dict.fromkeys(e.program for e in ev))
    program_counts: dict[str, int] = {}
    for e in ev:
        program_counts[e.program] = program_counts.get(e.program, 0) + e.mentions
    named = [p for p in programs if any(e.kind == "program" and e.program == p for e in ev)] or programs
    program = max(named, key=lambda p: (program_counts[p], -programs.index(p)))
    org_counts: dict[str, int] = {}
    for e in ev:
        org_counts[e.org] = org_counts.get(e.org, 0) + 1
    org = max(org_counts, key=lambda o: (org_counts[o], o == org_key))
    best = min(ev, key=_description_rank)
    region, level, parents = _region_parts(first.region)
    figures: list[CaseFigure] = []
    seen = set()
    for e in ev:
        for f in e.figures:
            k = (f.value, f.unit, f.kind)
            if k not in seen:
                seen.add(k)
                figures.append(f)
    articles: list[CaseArticle] = []
    seen_articles = set()
    for e in ev:
        if e.article_id not in seen_articles:
            seen_articles.add(e.article_id)
            articles.append(CaseArticle(e.article_id, e.title, e.date, e.description))
    dates = sorted({d for e in ev for d in e.dates} | {e.date for e in ev if e.date})
    return Case(
        id=case_id(org_key, first.region, first.program),
        region=region,
        region_code=first.region,
        level=level,
        parents=parents,
        org=org,
        program=program,
        description=best.description,
        first_date=dates[0] if dates else None,
        last_date=dates[-1] if dates else None,
        figures=figures,
        articles=articles,
        independent_articles=independent_count(ev),
        programs=programs,
    )


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)} or {s}


def _may_merge(a: CaseEvidence, b: CaseEvidence) -> bool:
    """Whether two near-identical descriptions may be one case: not from one article, not one
    sentence listing both programs (an article and its reprint), and names that agree — one holds
    the other, or they share most of their character pairs (印发《…国有企业…条例》 and
    印发《…党和国家机关…条例》 read alike but are two documents)."""
    if a.article_id == b.article_id:
        return False
    pa, pb = normalise_program(a.program), normalise_program(b.program)
    da, db = normalise_program(a.description), normalise_program(b.description)
    if (pb in da and pa in da) or (pa in db and pb in db):
        return False
    ba, bb = _bigrams(pa), _bigrams(pb)
    return pa in pb or pb in pa or len(ba & bb) / len(ba | bb) >= NAME_MERGE_OVERLAP


def cluster_cases(
    evidence: Sequence[CaseEvidence], vectors=None, merge_cosine: float = DESCRIPTION_MERGE_COSINE
) -> list[Case]:
    """Join evidence into cases: one organisation in one region, one program (by name, or by a
    near-identical description when ``vectors`` — one unit-length row per evidence — are given).

    Clustering never crosses organisations, so re-clustering only the organisations an ingest
    touched gives the same cases as clustering everything.
    """
    n = len(evidence)
    parent = list(range(n))
    groups: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(evidence):
        groups.setdefault(e.group, []).append(i)
    for idx in groups.values():
        by_key: dict[str, int] = {}
        for i in idx:
            k = normalise_program(evidence[i].program)
            if k in by_key:
                parent[_find(parent, i)] = _find(parent, by_key[k])
            else:
                by_key[k] = i
        if vectors is not None and len(idx) > 1:
            import numpy as np

            sub = np.asarray(vectors[idx], dtype=np.float32)
            sims = sub @ sub.T
            ii, jj = np.nonzero(np.triu(sims >= merge_cosine, k=1))
            for a, b in zip(ii.tolist(), jj.tolist()):
                if _may_merge(evidence[idx[a]], evidence[idx[b]]):
                    ra, rb = _find(parent, idx[a]), _find(parent, idx[b])
                    if ra != rb:
                        parent[rb] = ra
    clusters: dict[int, list[CaseEvidence]] = {}
    for i in range(n):
        clusters.setdefault(_find(parent, i), []).append(evidence[i])
    cases = [build_case(c) for c in clusters.values()]
    cases.sort(key=lambda c: c.id)
    return cases


# ---------------------------------------------------------------------------------- ranking and output


def evidence_weight(independent_articles: int) -> float:
    """How much a case's independent reports lift it: 1 for one, +0.2 per doubling."""
    return 1.0 + 0.2 * math.log2(max(1, independent_articles))


def figure_label(f: CaseFigure) -> str:
    return f"{f.text}（{f.what}）" if f.what else f.text


CSV_HEADER = ("地区", "组织", "项目/行动", "开始日期", "最近日期", "关键数字", "文章数", "首篇文章")


def cases_csv_rows(cases: Iterable[Case], key_figures: int = 5) -> list[list[str]]:
    """One spreadsheet row per case (region path, organisation, program, dates, key figures,
    article count, first article's title), the header first."""
    rows = [list(CSV_HEADER)]
    for c in cases:
        rows.append(
            [
                " / ".join(c.region_path),
                c.org,
                c.program,
                c.first_date or "",
                c.last_date or "",
                "；".join(figure_label(f) for f in c.figures[:key_figures]),
                str(len(c.articles)),
                c.articles[0].title if c.articles else "",
            ]
        )
    return rows


def cases_csv(cases: Iterable[Case]) -> bytes:
    """UTF-8 with a byte-order mark and CRLF line ends: what spreadsheet programs open cleanly."""
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(cases_csv_rows(cases))
    return buf.getvalue().encode("utf-8-sig")
