"""Programmatic entry point: crawl one e-paper system over a date range.

    stats = crawl("grrb", date(2023, 4, 1), date(2023, 4, 30), on_page=handle)

Scrapy runs in-process in its asyncio mode without a Twisted reactor
(TWISTED_REACTOR_ENABLED=False, Scrapy ≥ 2.15): each crawl() is one asyncio.run(), so a
process may crawl any number of times, one after another, and on_page runs in the caller's
thread. (With a Twisted reactor a process could crawl only once.) Inside a running event
loop, `await crawl_async(...)` instead. Nothing Twisted-reactor-based may run in the same
process (Scrapy refuses to mix the two modes).

Also a small command line for worker processes (distributed crawls, tests, mirrors):

    python -m crawler.run grrb --from 2023-04-01 --to 2023-04-30 [--base-url URL]
        [--paper ldwb|zjgrrb|sxgrb] [--redis redis://host:6379/0] [--jobdir DIR]
        [--out pages.jsonl] [--local] [-s KEY=VALUE]

It writes one JSON line per fetched article page (metadata, not the body). The full
pipeline (parse, index, search) is driven by search_cli.py crawl. Exit status: 0 when
every day was fetched or had no issue, 1 when a day that should have articles got none
(one line per day on stderr), 2 for bad arguments, 3 when a site host is unreachable.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.items import EXIT_OK, EXIT_UNREACHABLE, CrawlStats, FetchedPage
from crawler.links import parse_day
from crawler.presets import founder_preset
from crawler.spiders.base import EpaperSpider, never_known
from crawler.spiders.founder import FounderSpider
from crawler.spiders.grrb import GrrbSpider
from crawler.spiders.grrb_legacy import GrrbLegacySpider

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


SYSTEMS: dict[str, type[EpaperSpider]] = {
    "grrb": GrrbSpider,
    "grrb-legacy": GrrbLegacySpider,
    "founder": FounderSpider,
}


def build_settings(
    start: date,
    end: date,
    *,
    jobdir: Path | None = None,
    redis_url: str | None = None,
    overrides: dict | None = None,
) -> Settings:
    """crawler.settings, then JOBDIR or the scrapy-redis scheduler, then the caller's overrides."""
    s = Settings()
    s.setmodule(default_settings, priority="project")
    if jobdir is not None and redis_url:
        raise ValueError("jobdir and redis_url: choose one (the Redis queue already survives restarts)")
    if jobdir is not None:
        s.set("JOBDIR", str(jobdir), priority="cmdline")
    if redis_url:
        prefix = f"{s.get('REDIS_KEY_PREFIX')}:%(spider)s:{start.isoformat()}:{end.isoformat()}"
        s.setdict(
            {
                "SCHEDULER": s.get("REDIS_SCHEDULER"),
                "DUPEFILTER_CLASS": s.get("REDIS_DUPEFILTER_CLASS"),
                "SCHEDULER_DUPEFILTER_CLASS": s.get("REDIS_DUPEFILTER_CLASS"),
                "SCHEDULER_PERSIST": True,  # another process may still be working on the queue
                "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
                "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
                "REDIS_URL": redis_url,
            },
            priority="cmdline",
        )
    if overrides:
        s.setdict(dict(overrides), priority="cmdline")
    return s


class SiteUnreachable(Exception):
    """A site host did not accept a connection before the crawl started; str() is one line."""


def _check_args(system: str, start: date, end: date, paper: str | None = None) -> tuple[type[EpaperSpider], date, date]:
    if system not in SYSTEMS:
        raise ValueError(f"system: unknown {system!r}; choose one of {', '.join(SYSTEMS)}")
    if paper is not None and system == "founder":
        founder_preset(paper)  # ValueError naming --paper
    elif paper is not None and system != "grrb-legacy":
        raise ValueError(f"--paper: {system} has one paper; --paper is for founder and grrb-legacy")
    start, end = parse_day(start, "start"), parse_day(end, "end")
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    return SYSTEMS[system], start, end


async def crawl_async(
    system: str,
    start: date,
    end: date,
    on_page: Callable[[FetchedPage], None],
    *,
    base_url: str | None = None,
    known_url: Callable[[str], bool] = never_known,
    jobdir: Path | None = None,
    redis_url: str | None = None,
    settings: dict | None = None,
    progress: Callable[[CrawlStats], None] | None = None,
    paper: str | None = None,
) -> CrawlStats:
    """Crawl `system` ("grrb" | "grrb-legacy" | "founder") for issues start..end inclusive,
    calling on_page(FetchedPage) for every article page fetched; returns the counts, with
    a verdict per day (stats.days) and stats.failures() naming what a scheduler must hear.

    paper: founder preset (crawler.presets: ldwb, zjgrrb, sxgrb; default ldwb), or the
      legacy host's paper code (grrb, jlgrb, lnzgb …).
    base_url: a mirror or test server for the whole system (for grrb also the JSON index);
      it overrides the preset's site.
    known_url(url) → True: that article page is already stored and is never requested.
    jobdir: Scrapy JOBDIR; an interrupted crawl resumes where it stopped.
    redis_url: scrapy-redis scheduler + duplicate filter shared by every process given the
      same URL, system and dates; on_page runs in whichever process fetched the page.
    settings: Scrapy setting overrides (crawler.settings.LOCAL_SERVER_OVERRIDES for a local server).
    progress(stats): called as responses, articles and errors come in.
    Raises ValueError (one line, naming the argument) for bad arguments, and
    SiteUnreachable (one line) when a site host refuses connections before anything is fetched.
    crawl() is the same for callers outside an event loop (each call is one asyncio.run()).
    """
    spidercls, start, end = _check_args(system, start, end, paper)
    runner = AsyncCrawlerRunner(build_settings(start, end, jobdir=jobdir, redis_url=redis_url, overrides=settings))
    stats = CrawlStats(system=system)
    loop = asyncio.get_running_loop()
    this_task = asyncio.current_task()
    presses = 0

    def on_sigint() -> None:
        # First Ctrl-C: stop gracefully, so JOBDIR or Redis keeps what is still queued.
        # Second: give up at once.
        nonlocal presses
        presses += 1
        if presses == 1:
            logger.warning("stopping after the pages in flight (Ctrl-C again to abort)")
            loop.create_task(runner.stop())
        elif this_task is not None:
            this_task.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        handles_sigint = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / platform
        handles_sigint = False
    try:
        await runner.crawl(
            spidercls,
            start=start,
            end=end,
            base_url=base_url,
            on_page=on_page,
            known_url=known_url,
            progress=progress,
            crawl_stats=stats,
            **({"paper": paper} if paper is not None else {}),
        )
    finally:
        if handles_sigint:
            loop.remove_signal_handler(signal.SIGINT)
    if stats.unreachable:
        raise SiteUnreachable(stats.unreachable)
    return stats


def _run_outside_event_loop(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """The coroutine function `fn` as a plain one: each call is one asyncio.run()."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(fn(*args, **kwargs))
        raise RuntimeError("crawl() cannot run inside a running event loop; await crawl_async() instead")

    return run


crawl = _run_outside_event_loop(crawl_async)
crawl.__name__ = crawl.__qualname__ = "crawl"


# ------------------------------------------------------------------------- command line


def _parse_setting(pair: str) -> tuple[str, Any]:
    key, sep, value = pair.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"-s: expected KEY=VALUE, got {pair!r}")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


def main(argv: list[str] | None = None) -> int:
    import click
    from scrapy.utils.log import configure_logging

    @click.command(help="Crawl one e-paper system; write one JSON line per article page fetched.")
    @click.argument("system", type=click.Choice(list(SYSTEMS)))
    @click.option("--from", "start", required=True, help="first issue date, YYYY-MM-DD")
    @click.option("--to", "end", required=True, help="last issue date, YYYY-MM-DD")
    @click.option("--base-url", help="mirror or test server standing in for the site")
    @click.option("--paper", help="founder: ldwb | zjgrrb | sxgrb; grrb-legacy: paper code (grrb, lnzgb …)")
    @click.option("--redis", "redis_url", help="redis://host:port/db — share the queue with other processes")
    @click.option("--jobdir", type=click.Path(file_okay=False, path_type=Path), help="resume state directory")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="JSON lines file (default stdout)")
    @click.option("--local", is_flag=True, help="no throttling (for a local mirror or test server)")
    @click.option("-s", "--set", "pairs", multiple=True, help="Scrapy setting KEY=VALUE (repeatable)")
    def command(system, start, end, base_url, paper, redis_url, jobdir, out, local, pairs):
        try:
            overrides = dict(default_settings.LOCAL_SERVER_OVERRIDES) if local else {}
            overrides.update(_parse_setting(p) for p in pairs)
            first, last = parse_day(start, "--from"), parse_day(end, "--to")
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        configure_logging({"LOG_LEVEL": overrides.get("LOG_LEVEL", default_settings.LOG_LEVEL)})
        sink = out.open("a", encoding="utf-8") if out else sys.stdout

        def on_page(page: FetchedPage) -> None:
            record = {k: v for k, v in vars(page).items() if k != "body"}
            sink.write(json.dumps({**record, "bytes": len(page.body)}, ensure_ascii=False) + "\n")
            sink.flush()

        try:
            stats = crawl(
                system,
                first,
                last,
                on_page,
                base_url=base_url,
                jobdir=jobdir,
                redis_url=redis_url,
                settings=overrides,
                paper=paper,
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        except SiteUnreachable as exc:
            click.echo(f"crawl: {exc}", err=True)
            return EXIT_UNREACHABLE
        except (asyncio.CancelledError, KeyboardInterrupt):
            click.echo("crawl: aborted", err=True)
            raise click.Abort() from None
        finally:
            if out:
                sink.close()
        click.echo(stats.summary(), err=True)
        for line in stats.failures():
            click.echo(f"crawl: {line}", err=True)
        return stats.exit_code()

    try:
        code = command.main(args=argv, prog_name="python -m crawler.run", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 130
    return code or EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
