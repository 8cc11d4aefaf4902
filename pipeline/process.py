"""From loaded sources to finished articles: split pages, clean bodies, extract entities.

Pure per item (no I/O), so the index stage can run it in worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.models import Article, Byline, LoadProblem, Page
from pipeline.script import restore_printed, to_simplified


@dataclass(frozen=True)
class PreparedArticle:
    """An article ready for the store and indexes, with what the pipeline found in it."""

    article: Article
    mentions: tuple = ()  # pipeline.entities.Mention
    segments: dict | None = None  # search field -> packed tokens, when computed in a worker


def search_fields(article: Article) -> dict[str, str]:
    """The text fields keyword engines index: the kicker field also holds the subtitle."""
    return {
        "title": article.title,
        "kicker": " ".join(x for x in (article.kicker, article.subtitle) if x),
        "body": article.body,
    }


def articles_from_source(item: Page | Article) -> list[Article]:
    """A page gives the articles printed on it; an already-structured article gives itself, cleaned."""
    from pipeline.clean import clean_article_body, strip_invisible_fields
    from pipeline.split import finish_article, split_page_into_articles

    if isinstance(item, Page):
        simple = to_simplified(item.text)
        if simple is item.text:
            return [strip_invisible_fields(a) for a in split_page_into_articles(item)]
        # A Traditional page is split in Simplified (the layout and byline cues are), and each
        # article is given back its text as printed.
        return [
            strip_invisible_fields(_as_printed(a, item.text, simple))
            for a in split_page_into_articles(replace(item, text=simple))
        ]
    item = strip_invisible_fields(item)
    body = clean_article_body(item.body)
    if not (item.title.strip() or body.strip()):
        return []
    return finish_article(item.with_(body=body))


def _as_printed(art: Article, printed: str, converted: str) -> Article:
    """An article split from ``converted`` (the Simplified reading of a page) with the
    characters of its text as ``printed`` on the page."""

    def back(text: str) -> str:
        return restore_printed(text, printed, converted) if text else text

    b = art.byline
    return art.with_(
        title=back(art.title),
        kicker=back(art.kicker),
        subtitle=back(art.subtitle),
        body=back(art.body),
        dateline=back(art.dateline),
        byline=Byline(
            back(b.raw), *(tuple(back(n) for n in names) for names in (b.reporters, b.correspondents, b.photographers))
        ),
    )


def simplified_view(art: Article) -> Article:
    """The article as the entity extractor reads it: Simplified, offsets unchanged (the same
    object when it is Simplified already)."""
    fields = {
        "title": art.title,
        "kicker": art.kicker,
        "subtitle": art.subtitle,
        "body": art.body,
        "dateline": art.dateline,
    }
    changed = {k: to_simplified(v) for k, v in fields.items()}
    raw = to_simplified(art.byline.raw)
    if all(changed[k] is fields[k] for k in fields) and raw is art.byline.raw:
        return art
    b = art.byline
    byline = Byline(
        raw, *(tuple(to_simplified(n) for n in names) for names in (b.reporters, b.correspondents, b.photographers))
    )
    return art.with_(byline=byline, **changed)


def _entities(art: Article) -> tuple:
    from pipeline.entities import extract_entities

    view = simplified_view(art)
    mentions = extract_entities(view)
    if view is art:
        return tuple(mentions)
    printed = {
        "title": art.title,
        "kicker": art.kicker,
        "subtitle": art.subtitle,
        "body": art.body,
        "byline": art.byline.raw,
    }
    # values stay Simplified (they are what filters and counts compare); the text as printed
    return tuple(replace(m, text=printed[m.field][m.start : m.end]) if m.field in printed else m for m in mentions)


def prepare_source(item: Page | Article, entities: bool = True, segments: bool = False) -> list[PreparedArticle]:
    """Everything the pipeline does to one loaded source.

    ``segments`` also segments the search fields here, so that work happens in the
    worker processes rather than in the single process that writes the index.
    Traditional text is read in Simplified (pipeline.script) and stored as printed.
    """
    out = []
    for art in articles_from_source(item):
        mentions: tuple = ()
        if entities:
            mentions = _entities(art)
        segs = None
        if segments:
            from pipeline.segment import segment_packed

            segs = {name: segment_packed(text) for name, text in search_fields(art).items()}
        out.append(PreparedArticle(art, mentions, segs))
    return out


def is_problem(item) -> bool:
    return isinstance(item, LoadProblem)
