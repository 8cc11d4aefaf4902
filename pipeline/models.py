"""Plain data that flows through the pipeline: pages in, articles out.

Everything here is a dataclass with no I/O, so every stage after the loaders
(cleaning, splitting, entities, indexing) can be tested on literals.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cached_property

ARTICLE_KINDS = (
    "news",
    "photo",
    "feature",
    "commentary",
    "furniture",
)  # furniture: 本版导读, 开栏语 … (left out of search)


@dataclass(frozen=True)
class Byline:
    """Who wrote or photographed an article, parsed from e.g. 本报讯（记者康劲 通讯员崔小清）."""

    raw: str = ""
    reporters: tuple[str, ...] = ()
    correspondents: tuple[str, ...] = ()
    photographers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """One newspaper page (or any text holding several articles) before splitting."""

    text: str
    origin: str  # file path or URL it was read from
    source: str = ""  # outlet, e.g. 工人日报
    date: str | None = None  # ISO date of publication when the loader knows it
    page: str | None = None  # 版次, e.g. "03"
    url: str | None = None


@dataclass(frozen=True)
class Article:
    """One article as a reader sees it; the unit the store and indexes keep."""

    title: str
    body: str
    kicker: str = ""  # 引题, the line above the headline
    subtitle: str = ""
    byline: Byline = field(default_factory=Byline)
    dateline: str = ""  # as printed, e.g. 6月7日
    kind: str = "news"  # one of ARTICLE_KINDS
    date: str | None = None  # ISO publication date; None when unknown, never guessed
    source: str = ""
    url: str | None = None
    page: str | None = None
    position: int = 0  # order on its page, from 0
    origin: str = ""  # file path or URL it came from

    def with_(self, **changes) -> Article:
        return replace(self, **changes)

    @cached_property
    def content_hash(self) -> str:
        # cached: it is asked for several times per article on the ingest path
        return content_hash(self.title, self.body)


@dataclass(frozen=True)
class LoadProblem:
    """A file or page that could not be read; reported by name, never fatal for the run."""

    origin: str
    reason: str


_HASH_STRIP = re.compile(r"[\s\u3000]+")


def content_hash(title: str, body: str) -> str:
    """Hash of the normalised title and body, so the same article from two pages is one row.

    Width variants and white space are folded first: OCR of the same story on two
    pages differs in exactly those.
    """
    norm = unicodedata.normalize("NFKC", f"{title}\n{body}")
    norm = _HASH_STRIP.sub("", norm)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Mention:
    """An entity found in an article: where (field and character offsets) and what it means."""

    type: str  # 'region' | 'org' | 'program' | 'figure' | 'person' | 'date'
    text: str  # as written
    field: str  # 'title' | 'kicker' | 'subtitle' | 'body' | 'byline'
    start: int  # offsets within that field's text
    end: int
    value: str  # region code; org full name; program name; figure value; person name; ISO date or phrase
    attrs: dict = dataclasses.field(default_factory=dict, hash=False)
