"""The keyword-engine interface every backend implements (Whoosh now, tantivy beside it).

A query string is parsed once, here, into plain clauses; each backend only
translates clauses into its own query objects. That keeps the two engines
returning the same documents for the same query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.chars import HAN
from pipeline.script import to_simplified
from pipeline.segment import query_terms
from pipeline.stopwords import STOPWORDS  # function and question words dropped from free-text queries

# Field weights for BM25F: a word in the headline says more than one in the body, but not three
# times more. On the union-news paraphrase dev set (benchmarks/paying.py) title 3.0 let common
# headline words outrank a rare name in the body: hybrid MRR@10 0.961 at 3.0, 0.975 at 1.5 and
# 2.0; keyword-only 0.780 at 3.0, 0.838 at 1.5. The kicker follows at max(1, title / 2).
FIELD_BOOSTS = {"title": 1.5, "kicker": 1.0, "body": 1.0}


class QuerySyntaxError(ValueError):
    """A query the user must fix (unbalanced quotes, nothing searchable)."""


@dataclass(frozen=True)
class Clause:
    """One unit of a query: a single word, or a phrase whose words must be adjacent."""

    terms: tuple[str, ...]
    required: bool = False  # quoted phrases must match; free words only raise the score

    @property
    def is_phrase(self) -> bool:
        return len(self.terms) > 1


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    text: str

    @property
    def terms(self) -> list[str]:
        """Every word of the query, for highlighting."""
        return [t for c in self.clauses for t in c.terms]


_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」')
_NUMERIC = re.compile(r"^\d+(?:\.\d+)?$")


def parse_query(text: str) -> ParsedQuery:
    """Quoted parts become required phrases; the rest becomes optional words.

    A number followed by its magnitude or unit (4000万元, 91%, 33.65万) is kept as a
    phrase even unquoted: those words mean nothing apart. A Traditional query is read in
    Simplified, as documents are (pipeline.script).
    """
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        raise QuerySyntaxError(f"unbalanced quotes in query: {text!r}")
    text = to_simplified(text)
    clauses: list[Clause] = []
    rest = []
    last = 0
    for m in _QUOTED.finditer(text):
        rest.append(text[last : m.start()])
        last = m.end()
        phrase = next(g for g in m.groups() if g is not None)
        phrase_terms = tuple(query_terms(phrase))
        if phrase_terms:
            clauses.append(Clause(phrase_terms, required=True))
    rest.append(text[last:])
    for chunk in rest:
        terms = query_terms(chunk)
        i = 0
        while i < len(terms):
            t = terms[i]
            if _NUMERIC.match(t):
                j = i + 1
                while j < len(terms) and j < i + 3 and not _NUMERIC.match(terms[j]) and len(terms[j]) <= 2:
                    j += 1
                group = tuple(terms[i:j])
                clauses.append(Clause(group))
                i = j
                continue
            if t not in STOPWORDS:
                clauses.append(Clause((t,)))
            i += 1
    clauses = _without_lone_characters(clauses)
    if not clauses:
        raise QuerySyntaxError(f"nothing searchable in query: {text!r}")
    return ParsedQuery(tuple(dict.fromkeys(clauses)), text)


_CJK_CHAR = re.compile(f"^[{HAN}]$")


def _without_lone_characters(clauses: list[Clause]) -> list[Clause]:
    """Free single Chinese characters (给, 发, 吃, 送, 人 …) dropped when the query has longer words.

    As optional words they match half the archive and outvote a rare word in the body; the
    meaning they carry reaches the ranking through the semantic side. Inside a quoted phrase
    or a number with its unit they stay, and a query of single characters only keeps them.
    """

    def lone(c: Clause) -> bool:
        return not c.required and len(c.terms) == 1 and bool(_CJK_CHAR.match(c.terms[0]))

    if all(lone(c) for c in clauses):
        return clauses
    return [c for c in clauses if not lone(c)]


@dataclass(frozen=True)
class KeywordDoc:
    """What a keyword engine indexes for one article (the store keeps the rest)."""

    id: str
    title: str
    kicker: str  # kicker and subtitle together
    body: str
    date: str | None = None  # ISO date, for range filters
    source: str = ""
    regions: tuple[str, ...] = ()  # region codes of the article and all their parents
    # field -> packed tokens (pipeline.segment.pack_tokens) computed upstream in worker
    # processes; backends segment the text themselves when absent
    segments: dict | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Filters:
    """What a search is limited to: ISO dates (inclusive), an outlet, a region code (the
    unit and everything below it) and, optionally, a set of article ids.

    >>> Filters(since="2015-01-01", region="620923")  # 肃北蒙古族自治县 and below
    Filters(since='2015-01-01', until=None, source=None, region='620923', ids=None)
    """

    since: str | None = None  # inclusive ISO dates
    until: str | None = None
    source: str | None = None
    region: str | None = None  # a region code; matches the article's units and everything below
    ids: frozenset[str] | None = None  # restrict to these articles (used by hybrid re-ranking)


@dataclass(frozen=True)
class KeywordHit:
    id: str
    score: float


class KeywordIndex(Protocol):
    """Add, delete, search with filters; highlighting is shared (index.highlight)."""

    name: str

    def add(self, docs: Iterable[KeywordDoc]) -> None: ...

    def delete(self, ids: Iterable[str]) -> None: ...

    def commit(self) -> None:
        """Make added/deleted documents durable and visible, atomically."""

    def search(self, query: ParsedQuery, k: int = 10, filters: Filters = Filters()) -> list[KeywordHit]: ...

    def ids(self) -> set[str]: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


@dataclass
class IndexStats:
    backend: str
    documents: int
    size_bytes: int
    extra: dict = field(default_factory=dict)
