"""What the crawler hands out: one fetched article page, and the counts of a crawl.

Plain dataclasses; the crawler does not parse articles (pipeline/html.py does).
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field


def _body_for_feeds(body: bytes) -> str:
    return base64.b64encode(body).decode("ascii")


@dataclass
class FetchedPage:
    """An article page as fetched, with what the URL and its layout page said about it."""

    url: str  # the URL actually fetched (a mirror's URL when crawling a mirror)
    # Raw bytes, undecoded. Scrapy feed exports (scrapy crawl … -O pages.jsonl) write it base64.
    body: bytes = field(metadata={"serializer": _body_for_feeds})
    encoding: str | None  # as Scrapy resolved it from HTTP header, BOM or <meta>
    date: str | None  # ISO issue date from the URL
    page: str | None  # 版次, e.g. "03"
    system: str  # "grrb" | "grrb-legacy" | "founder"
    source: str  # outlet, e.g. 工人日报


# How a crawl ends, for a scheduler: every day fetched or without an issue; a day that should
# have articles got none; bad arguments; a site host unreachable before anything was fetched.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

# What a day's verdict can be. Only "failed" makes a crawl end non-zero.
DAY_OK = "ok"  # article pages fetched, or all of them already stored
DAY_NO_ISSUE = "no_issue"  # the site says there was no paper that day
DAY_FAILED = "failed"  # there should be articles and none could be fetched
DAY_UNFINISHED = "unfinished"  # the crawl stopped (Ctrl-C, a page limit) before the day was done
DAY_QUEUED = "queued"  # shared queue: its article pages were left to other workers
DAY_UNTOUCHED = "untouched"  # nothing for this day in this run (a resumed crawl had done it)


@dataclass
class DayStats:
    """What happened to one issue day, and the verdict on it."""

    day: str
    index: str = ""  # "listed" | "missing" | "unreadable (why)" | "" when no index was asked
    layouts_requested: int = 0
    layouts_read: int = 0
    article_links: int = 0  # article links found (requested or skipped as known)
    pages: int = 0  # 2xx responses for this day
    articles: int = 0  # article pages fetched
    skipped_known: int = 0
    errors: Counter = field(default_factory=Counter)
    url_form: str = ""  # which form of a URL the spider had to build answered ("unpadded", …)
    no_issue: str = ""  # how the site said there was no issue
    status: str = ""
    reason: str = ""

    def _errors(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "no answer"

    def judge(self, *, finished: bool, shared_queue: bool) -> None:
        """Set status and reason from the counts (see the DAY_* values)."""
        if self.articles or self.skipped_known:
            self.status, self.reason = DAY_OK, ""
        elif self.no_issue:
            self.status, self.reason = DAY_NO_ISSUE, self.no_issue
        elif not (self.pages or self.errors or self.layouts_requested or self.index):
            self.status, self.reason = DAY_UNTOUCHED, "nothing to fetch for this day in this run"
        elif not finished:
            self.status, self.reason = DAY_UNFINISHED, "the crawl stopped before this day was done"
        elif shared_queue and self.article_links:
            self.status, self.reason = DAY_QUEUED, f"{self.article_links} article pages left to other workers"
        else:
            self.status, self.reason = DAY_FAILED, self._why_failed()

    def _why_failed(self) -> str:
        index = self.index if self.index not in ("", "listed") else ""
        if self.layouts_read == 0:
            if self.index == "listed":
                n = self.layouts_requested
                return f"the index lists the day but {'all ' + str(n) if n > 1 else 'its'} layout page{'s' if n > 1 else ''} failed ({self._errors()})"
            if index.startswith("unreadable"):
                return f"day index {index} and no layout page could be read ({self._errors()})"
            return f"no layout page could be read ({self._errors()})"
        if self.article_links == 0:
            return f"{self.layouts_read} layout pages read, none links an article page"
        return f"every article page failed ({self._errors()})"

    def as_dict(self) -> dict:
        return {
            "day": self.day,
            "status": self.status,
            "reason": self.reason,
            "pages": self.pages,
            "articles": self.articles,
            "skipped_known": self.skipped_known,
            "errors": dict(self.errors),
            "layouts_read": self.layouts_read,
            "article_links": self.article_links,
            "index": self.index,
            "url_form": self.url_form,
        }


@dataclass
class CrawlStats:
    """Counts for one crawl; also what the progress callback receives while it runs."""

    system: str = ""
    paper: str = ""  # Founder preset, e.g. zjgrrb
    source: str = ""  # outlet stored with every article
    pages_fetched: int = 0  # 2xx responses, robots.txt not counted
    article_pages: int = 0  # handed to on_page
    layout_pages: int = 0  # day indexes and page layouts read for links
    skipped_known: int = 0  # article links never requested because known_url() said so
    retries: int = 0  # requests sent again after a 5xx or a timeout
    status_counts: Counter = field(default_factory=Counter)  # HTTP status → responses, all requests
    errors: Counter = field(default_factory=Counter)  # reason → count, e.g. http_404, robots_forbidden
    ignored_links: Counter = field(default_factory=Counter)  # links not followed, by why (offsite, scheme …)
    url_forms: Counter = field(default_factory=Counter)  # built-URL form the site answered → times
    days: dict[str, DayStats] = field(default_factory=dict)
    unreachable: str = ""  # a site host that did not answer a connection: nothing was fetched
    problem: str = ""  # what went wrong for the whole crawl (not one day), e.g. the site's index missing
    finish_reason: str = ""
    elapsed_s: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def day(self, iso: str) -> DayStats:
        if iso not in self.days:
            self.days[iso] = DayStats(iso)
        return self.days[iso]

    def failures(self) -> list[str]:
        """One line per thing a scheduler must hear about: each failed day, then a
        crawl-wide problem. Empty when the crawl did its job."""
        lines = [f"{d.day}: no article page fetched: {d.reason}" for d in self.days.values() if d.status == DAY_FAILED]
        if self.problem:
            lines.append(self.problem)
        return lines

    def exit_code(self) -> int:
        """EXIT_FAILED when failures() names anything, else EXIT_OK."""
        return EXIT_FAILED if self.failures() else EXIT_OK

    def summary(self) -> str:
        """One line for a CLI: pages, articles, skipped, errors by reason."""
        errors = ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "none"
        rate = self.pages_fetched / self.elapsed_s if self.elapsed_s else 0.0
        verdicts = Counter(d.status for d in self.days.values() if d.status)
        days = ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items()))
        return (
            f"{self.system}{':' + self.paper if self.paper else ''}: {self.pages_fetched} pages fetched ({rate:.1f}/s), "
            f"{self.article_pages} articles, {self.skipped_known} skipped as known, "
            f"{self.retries} retries, errors: {errors}; days: {days or 'none'} [{self.finish_reason or 'running'}]"
        )

    def as_dict(self) -> dict:
        """The counts as plain JSON-ready data (crawl --json)."""
        return {
            "system": self.system,
            "paper": self.paper or None,
            "source": self.source,
            "pages_fetched": self.pages_fetched,
            "article_pages": self.article_pages,
            "skipped_known": self.skipped_known,
            "retries": self.retries,
            "errors": dict(self.errors),
            "ignored_links": dict(self.ignored_links),
            "url_forms": dict(self.url_forms),
            "finish_reason": self.finish_reason,
            "problem": self.problem or None,
            "unreachable": self.unreachable or None,
            "days": [self.days[d].as_dict() for d in sorted(self.days)],
            "failures": self.failures(),
        }
