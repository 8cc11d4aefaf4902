"""Response shapes for the OpenAPI schema: the same field names as the CLI's ``--json``.

The handlers return JSON they build themselves (no per-request validation cost); these
models only document it. Extra fields are allowed, so the library may add some.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorOut(BaseModel):
    error: str


class SearchHit(_Open):
    id: str
    title: str
    date: str | None
    source: str
    score: float
    snippet: str  # matched words wrapped in <mark>…</mark>; everything else is plain text, not HTML
    text: str
    kicker: str = ""
    subtitle: str = ""
    kind: str = "news"
    url: str | None = None
    page: str | None = None
    origin: str = ""
    scores: dict[str, float] = {}


class WhoAnswerOut(_Open):
    region: str
    level: str
    parents: list[str]
    code: str
    org: str = ""
    program: str = ""
    evidence: str
    article_id: str
    title: str
    score: float


class Byline(_Open):
    raw: str = ""
    reporters: list[str] = []
    correspondents: list[str] = []
    photographers: list[str] = []


class EntityMention(_Open):
    type: str
    text: str
    value: str
    field: str
    start: int
    end: int
    attrs: dict = {}


class ArticleOut(_Open):
    id: str
    title: str
    kicker: str = ""
    subtitle: str = ""
    date: str | None
    source: str
    kind: str
    page: str | None = None
    url: str | None = None
    origin: str = ""
    dateline: str = ""
    byline: Byline
    text: str
    entities: list[EntityMention]


class Shared(_Open):
    regions: list[str] = []
    programs: list[str] = []
    topics: list[str] = []


class SimilarHit(_Open):
    id: str
    title: str
    date: str | None
    source: str
    kind: str
    score: float
    shared: Shared


class EntityOut(_Open):
    type: str
    value: str
    mentions: int
    articles: int
    name: str | None = None  # regions: official name, level and parents' names
    level: str | None = None
    parents: list[str] | None = None


class RegionOut(_Open):
    code: str
    name: str
    level: str
    parents: list[str]
    articles: int  # articles in this archive that name it


class CaseFigureOut(_Open):
    text: str
    value: float
    unit: str
    kind: str  # money | people | count | percent
    what: str
    article_id: str


class CaseArticleOut(_Open):
    id: str
    title: str
    date: str | None
    evidence: str  # the sentence in this article that reports the case


class CaseOut(_Open):
    id: str
    region: str
    level: str  # province | city | county | national
    parents: list[str]
    org: str
    program: str
    description: str
    first_date: str | None
    last_date: str | None
    figures: list[CaseFigureOut]
    articles: list[CaseArticleOut]
    score: float
