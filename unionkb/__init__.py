"""unionkb: a searchable knowledge base of Chinese trade-union news.

The one name to import for Python users::

    from unionkb import Archive
    with Archive.open("./archive") as archive:
        for hit in archive.search("马背送学", k=3):
            print(hit.title, hit.score)

The stages live in their own packages (``crawler`` → ``pipeline`` → ``index``); this
package re-exports the public API of the last one.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from index.archive import Archive, ArchiveError, IngestReport, SearchResult
from index.cases import Case, CaseArticle, CaseFigure
from index.keyword.base import Filters
from index.records import ArticleRecord
from index.who import WhoAnswer

try:
    __version__ = version("unionkb")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Archive",
    "ArchiveError",
    "ArticleRecord",
    "Case",
    "CaseArticle",
    "CaseFigure",
    "Filters",
    "IngestReport",
    "SearchResult",
    "WhoAnswer",
    "__version__",
]
