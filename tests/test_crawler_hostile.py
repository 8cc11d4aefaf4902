"""The crawler against a hostile or broken site on 127.0.0.1 (tests/fixtures/sites/hostile.py):
oversized pages, a gzip bomb, query loops, an endless chain of pages, redirects to another
host, 429 with Retry-After, links that are not the site's, a slow drip, wrong charsets.
Each test looks at one of them in one shared crawl; the last runs the whole pipeline
(search_cli.py crawl) in a child process and measures its peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from crawler import settings as crawler_settings
from crawler.items import FetchedPage
from crawler.middlewares import retry_after_seconds
from crawler.run import crawl
from pipeline.html import parse_fetched_page
from tests.fixtures.sites.hostile import DAY_DIR, HOSTILE, NEVER, TITLES, serve_hostile

REPO = Path(__file__).resolve().parents[1]
DAY = date(2023, 4, 3)
BUDGET = 60
DOWNLOAD_TIMEOUT = 2.0
SETTINGS = {
    **crawler_settings.LOCAL_SERVER_OVERRIDES,
    "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
    "RETRY_TIMES": 1,
    "CRAWL_DAY_BUDGET": BUDGET,
}


@pytest.fixture(scope="module")
def hostile_crawl():
    base, stop, hits = serve_hostile()
    pages: list[FetchedPage] = []
    t0 = time.monotonic()
    try:
        stats = crawl("founder", DAY, DAY, pages.append, base_url=base, paper="ldwb", settings=SETTINGS)
    finally:
        stop()
    return {
        "base": base,
        "pages": {p.url.rsplit("/", 1)[-1]: p for p in pages},
        "stats": stats,
        "hits": list(hits),
        "elapsed": time.monotonic() - t0,
    }


def _hits(crawl_result, name):
    return [h for h in crawl_result["hits"] if h.path == f"{DAY_DIR}/{name}"]


def test_the_crawl_ends_by_itself_and_keeps_the_good_pages(hostile_crawl):
    stats = hostile_crawl["stats"]
    assert stats.finish_reason == "finished"
    assert hostile_crawl["elapsed"] < 60
    assert {"content_1.htm", "content_7.htm", "content_8.htm"} <= set(hostile_crawl["pages"])
    assert stats.days[DAY.isoformat()].status == "ok"


def test_oversized_pages_are_cut_off_while_downloading(hostile_crawl):
    # 100 MB with Content-Length: refused on the header; without: cut once 2 MiB arrived.
    # The server got to write a few MB into socket buffers at most, never the 100 MB.
    for name in ("content_2.htm", "content_3.htm"):
        assert name not in hostile_crawl["pages"]
        (hit,) = _hits(hostile_crawl, name)
        assert hit.bytes_sent < 20 * 1024 * 1024
    assert crawler_settings.DOWNLOAD_MAXSIZE == 2 * 1024 * 1024


def test_gzip_bomb_is_cut_off_while_inflating(hostile_crawl):
    assert "content_4.htm" not in hostile_crawl["pages"]
    assert len(_hits(hostile_crawl, "content_4.htm")) == 1  # not retried
    assert hostile_crawl["stats"].errors["too_large"] == 3  # the two big pages and the bomb


def test_query_string_loops_are_one_page(hostile_crawl):
    # node_2.htm links node_2.htm?loop=N+1 and content_5.htm?loop=N: canonical URLs drop the query.
    assert len(_hits(hostile_crawl, "node_2.htm")) == 1
    assert len(_hits(hostile_crawl, "content_5.htm")) == 1
    assert all(h.query == "" for h in hostile_crawl["hits"])


def test_an_endless_chain_of_new_pages_stops_at_the_day_budget(hostile_crawl):
    stats = hostile_crawl["stats"]
    asked = [h for h in hostile_crawl["hits"] if h.path.startswith(DAY_DIR + "/")]
    assert stats.errors["over_budget"] >= 1
    # The budget counts requests, not retries or redirects: a few more reach the server.
    assert BUDGET < len(asked) <= BUDGET + 5
    assert max(int(h.path.rsplit("_", 1)[1][:-4]) for h in asked if "/node_" in h.path) < BUDGET


def test_redirect_to_another_host_is_not_followed(hostile_crawl):
    stats = hostile_crawl["stats"]
    assert stats.errors["redirect_offsite"] == 1 and "content_6.htm" not in hostile_crawl["pages"]
    assert not any(h.host.startswith("localhost") for h in hostile_crawl["hits"])
    # A same-host redirect is followed, and the page is known by the URL it was linked as.
    page = hostile_crawl["pages"]["content_7.htm"]
    assert TITLES["content_70.htm"].encode() in page.body


def test_429_with_retry_after_is_honoured_and_a_long_one_gives_up(hostile_crawl):
    first, second = _hits(hostile_crawl, "content_8.htm")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0  # Retry-After: 1, against a back-off of 0.05 s
    assert [h.status for h in _hits(hostile_crawl, "content_9.htm")] == [429]  # 3600 s: not waited for
    assert hostile_crawl["stats"].errors["http_429"] == 1
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    assert retry_after_seconds(b"soon") is None


def test_links_to_files_scripts_and_other_sites_are_ignored(hostile_crawl):
    stats = hostile_crawl["stats"]
    assert not {h.path for h in hostile_crawl["hits"]} & set(NEVER)
    assert stats.ignored_links["scheme"] >= 3  # javascript:, file:, data:
    assert stats.ignored_links["offsite"] >= 1


def test_a_slow_drip_is_cut_by_the_time_limit(hostile_crawl):
    drips = _hits(hostile_crawl, "content_10.htm")
    assert len(drips) == 2  # one retry
    assert all(h.bytes_sent <= 2 * (DOWNLOAD_TIMEOUT / 0.5 + 2) for h in drips)
    assert hostile_crawl["stats"].errors["timeout"] == 1


@pytest.mark.parametrize("name", ["content_11.htm", "content_12.htm", "content_13.htm"])
def test_wrong_charsets_and_invalid_bytes_still_decode(hostile_crawl, name):
    page = hostile_crawl["pages"][name]
    article = parse_fetched_page(page.body, page.url, page.encoding, page.date, page.page, page.source)
    assert article.title == TITLES[name]
    assert "工会组织" in article.body and "\ufffd" not in article.title


# Peak resident memory of a child process: run what follows, report ru_maxrss at exit.
_PEAK_RSS = (
    "import atexit, resource, runpy, sys\n"
    "atexit.register(lambda: print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def test_whole_pipeline_crawl_of_the_hostile_site_stays_under_1_gb(tmp_path):
    # search_cli.py crawl: spider, parser and archive in one process, as a user runs it.
    base, stop, hits = serve_hostile(drip=False, chain=30)
    cmd = [
        sys.executable,
        "-c",
        _PEAK_RSS,
        str(REPO / "search_cli.py"),
        "--index",
        str(tmp_path / "idx"),
        "crawl",
        "founder",
        "--paper",
        "ldwb",
        "--from",
        DAY.isoformat(),
        "--to",
        DAY.isoformat(),
        "--base-url",
        base,
        "--json",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    finally:
        stop()
    peak_kb = int(next(line.split()[1] for line in run.stderr.splitlines() if line.startswith("PEAK_RSS_KB")))
    print(f"peak RSS of search_cli.py crawl against the hostile site: {peak_kb / 1024:.0f} MB")
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["errors"]["too_large"] == 3
    assert summary["added"] >= 30  # the good pages, the chain's articles among them
    assert peak_kb < 1024 * 1024
    assert len(HOSTILE) == 13 and Counter(h.status for h in hits)[200] > 30
