"""From loaded sources to finished articles: split pages, clean bodies, extract entities.

Pure per item (no I/O), so the index stage can run it in worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import Article, LoadProblem, Page


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
    from pipeline.clean import clean_article_body
    from pipeline.split import finish_article, split_page_into_articles

    if isinstance(item, Page):
        return split_page_into_articles(item)
    body = clean_article_body(item.body)
    if not (item.title.strip() or body.strip()):
        return []
    return finish_article(item.with_(body=body))


def prepare_source(item: Page | Article, entities: bool = True, segments: bool = False) -> list[PreparedArticle]:
    """Everything the pipeline does to one loaded source.

    ``segments`` also segments the search fields here, so that work happens in the
    worker processes rather than in the single process that writes the index.
    """
    out = []
    for art in articles_from_source(item):
        mentions: tuple = ()
        if entities:
            from pipeline.entities import extract_entities

            mentions = tuple(extract_entities(art))
        segs = None
        if segments:
            from pipeline.segment import segment_packed

            segs = {name: segment_packed(text) for name, text in search_fields(art).items()}
        out.append(PreparedArticle(art, mentions, segs))
    return out


def is_problem(item) -> bool:
    return isinstance(item, LoadProblem)
