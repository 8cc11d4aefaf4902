"""Typed views of stored articles, with the JSON shapes the CLI and the web API share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.models import Article, Mention


@dataclass(frozen=True)
class ArticleRecord:
    """One stored article with its entity mentions (empty when not asked for).

    ``to_dict()`` is the shape of ``show --json`` and ``/api/articles/{id}``;
    ``summary()`` the shape of ``list --json``.
    """

    id: str
    article: Article
    mentions: tuple[Mention, ...] = ()

    def summary(self) -> dict[str, Any]:
        a = self.article
        return {"id": self.id, "title": a.title, "date": a.date, "source": a.source, "kind": a.kind}

    def to_dict(self) -> dict[str, Any]:
        a = self.article
        return {
            "id": self.id,
            "title": a.title,
            "kicker": a.kicker,
            "subtitle": a.subtitle,
            "date": a.date,
            "source": a.source,
            "kind": a.kind,
            "page": a.page,
            "url": a.url,
            "origin": a.origin,
            "dateline": a.dateline,
            "byline": {
                "raw": a.byline.raw,
                "reporters": list(a.byline.reporters),
                "correspondents": list(a.byline.correspondents),
                "photographers": list(a.byline.photographers),
            },
            "text": a.body,
            "entities": [
                {
                    "type": m.type,
                    "text": m.text,
                    "value": m.value,
                    "field": m.field,
                    "start": m.start,
                    "end": m.end,
                    "attrs": m.attrs,
                }
                for m in self.mentions
            ],
        }
