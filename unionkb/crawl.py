"""Crawl e-paper issues straight into an archive: each fetched page is parsed and stored as it
arrives, and pages the archive already holds are never fetched again.

    from datetime import date
    from unionkb import Archive
    from unionkb.crawl import crawl_into

    with Archive.open("./archive", create=True, write=True) as archive:
        run = crawl_into(archive, "grrb", date(2023, 4, 1), date(2023, 4, 30))
    print(run.stats.summary(), run.report.summary())
    raise SystemExit(run.exit_code)  # 1 when a day that should have articles got none

It joins three stages (crawler → pipeline → index), so it sits on top of them, beside the CLI
(search_cli.py crawl is a thin layer over it). Imported on its own: `import unionkb` does not
load the crawler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from crawler import settings as crawl_settings
from crawler.items import CrawlStats, FetchedPage
from crawler.run import SiteUnreachable, crawl
from index.archive import Archive, IngestReport
from pipeline.html import parse_fetched_page

__all__ = ["CrawlRun", "SiteUnreachable", "crawl_into"]

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class CrawlRun:
    """What a crawl into an archive did: the crawl's counts with a verdict per day, and what
    the archive took in."""

    stats: CrawlStats
    report: IngestReport

    def failures(self) -> list[str]:
        """One line per failed day, then a crawl-wide problem; empty when the crawl did its job."""
        return self.stats.failures()

    @property
    def exit_code(self) -> int:
        """The crawl's exit status: 0 every day fetched or without an issue, 1 a day failed."""
        return self.stats.exit_code()

    def to_dict(self) -> dict:
        """The `crawl --json` shape: the crawl's counts and days, then what the archive added."""
        report = self.report
        return {
            **self.stats.as_dict(),
            "articles": report.articles,
            "added": report.added,
            "duplicates": report.duplicates,
            "skipped": [{"file": p.origin, "reason": p.reason} for p in report.problems],
        }


def crawl_into(
    archive: Archive,
    system: str,
    start: date,
    end: date,
    *,
    paper: str | None = None,
    base_url: str | None = None,
    redis_url: str | None = None,
    jobdir: Path | None = None,
    progress: Callable[[CrawlStats], None] | None = None,
    checkpoint: int = 200,
) -> CrawlRun:
    """Crawl `system` ("grrb" | "grrb-legacy" | "founder") for issues start..end inclusive into
    `archive`, holding its writer lock throughout and committing every `checkpoint` articles.

    The options are crawler.run.crawl's; a base_url on this machine (127.0.0.1, localhost) is
    crawled without throttling. Raises, before anything is fetched, ValueError (one line,
    naming the argument) for bad arguments and SiteUnreachable (one line) when a site host
    refuses connections.
    """
    local = base_url is not None and urlsplit(base_url).hostname in _LOCAL_HOSTS
    overrides = dict(crawl_settings.LOCAL_SERVER_OVERRIDES) if local else None
    unreachable: SiteUnreachable | None = None
    with archive.session(checkpoint=checkpoint) as session:

        def on_page(page: FetchedPage) -> None:
            session.add(parse_fetched_page(page.body, page.url, page.encoding, page.date, page.page, page.source))

        try:
            stats = crawl(
                system,
                start,
                end,
                on_page,
                base_url=base_url,
                known_url=archive.has_url,
                jobdir=jobdir,
                redis_url=redis_url,
                settings=overrides,
                progress=progress,
                paper=paper,
            )
        except SiteUnreachable as e:
            unreachable = e  # raised once the session has closed normally
    if unreachable is not None:
        raise unreachable
    return CrawlRun(stats, session.report)
