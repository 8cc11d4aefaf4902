"""From loaded sources to finished articles: split pages, clean bodies, extract entities.

Pure per item (no I/O), so the index stage can run it in worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.models import Article, LoadProblem, Page


@dataclass(frozen=True)
class PreparedArticle:
    """An article ready for the store and indexes, with what the pipeline found in it."""

    article: Article
    mentions: tuple = ()  # pipeline.entities.Mention
    segments: dict = field(default_factory=dict)  # field name -> pre-computed tokens (optional)


def articles_from_source(item: Page | Article) -> list[Article]:
    """A page gives the articles printed on it; an already-structured article gives itself, cleaned."""
    from pipeline.clean import clean_article_body
    from pipeline.split import split_page_into_articles

    if isinstance(item, Page):
        return split_page_into_articles(item)
    body = clean_article_body(item.body)
    if not (item.title.strip() or body.strip()):
        return []
    return [item.with_(body=body)]


def prepare_source(item: Page | Article, entities: bool = True) -> list[PreparedArticle]:
    """Everything the pipeline does to one loaded source."""
    out = []
    for art in articles_from_source(item):
        mentions: tuple = ()
        if entities:
            from pipeline.entities import extract_entities

            mentions = tuple(extract_entities(art))
        out.append(PreparedArticle(art, mentions))
    return out


def is_problem(item) -> bool:
    return isinstance(item, LoadProblem)
