"""The e-paper crawler against a real HTTP server on 127.0.0.1 serving fixture sites shaped
like the real ones (tests/fixtures/sites): delivery, links followed as given, built URLs
with fallbacks, day verdicts and exit status, incremental re-crawls, errors, retries,
robots.txt, JOBDIR resume. Throttling is off (LOCAL_SERVER_OVERRIDES), nothing else is faked."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from scrapy import Selector

from crawler import settings as crawler_settings
from crawler.items import FetchedPage
from crawler.links import (
    IndexedPage,
    LinkScope,
    canonical_url,
    day_index_pages,
    days_between,
    months_between,
    pages_in_day_index,
    rebase,
)
from crawler.middlewares import backoff_delay
from crawler.run import SiteUnreachable, crawl, main
from crawler.urls import founder_ref, grrb_ref, legacy_ref, page_label
from tests.fixtures.sites.make_sites import build_sites
from tests.fixtures.sites.server import serve

REPO = Path(__file__).resolve().parents[1]
SYSTEMS = ("grrb", "grrb-legacy", "founder")  # the sites that also carry the deliberate trouble
SITES = (*SYSTEMS, "founder:zjgrrb", "founder:sxgrb")  # every fixture site, Founder presets included
FAST = crawler_settings.LOCAL_SERVER_OVERRIDES


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    root = tmp_path_factory.mktemp("sites")
    return root, build_sites(root)


def _range(manifest) -> tuple[date, date]:
    return date.fromisoformat(manifest["days"][0]), date.fromisoformat(manifest["days"][-1])


def _run(root: Path, manifest: dict, key: str, **kwargs):
    """One crawl of the site `key` against a fresh server (fresh 500-once counters);
    returns pages, stats, hits, and the server's base URL (article paths join to it)."""
    site = manifest["systems"][key]
    base, stop, hits = serve(root)
    pages: list[FetchedPage] = []
    if site["paper"]:
        kwargs.setdefault("paper", site["paper"])
    try:
        start, end = kwargs.pop("range", _range(manifest))
        stats = crawl(
            site["system"],
            start,
            end,
            pages.append,
            base_url=base + site["base_path"],
            settings={**FAST, **kwargs.pop("settings", {})},
            **kwargs,
        )
    finally:
        stop()
    return pages, stats, list(hits), base


@pytest.fixture(scope="module")
def first_crawls(sites):
    root, manifest = sites
    return {key: _run(root, manifest, key) for key in SITES}


# ----------------------------------------------------------------------------- delivery


@pytest.mark.parametrize("key", SITES)
def test_every_article_page_delivered_once_with_date_page_system(sites, first_crawls, key):
    root, manifest = sites
    site = manifest["systems"][key]
    pages, stats, _hits, base = first_crawls[key]
    expected = {base + a["path"]: a for a in site["articles"]}
    urls = [p.url for p in pages]
    assert len(urls) == len(set(urls)), "an article page was delivered twice"
    assert set(urls) == set(expected)
    for p in pages:
        a = expected[p.url]
        assert (p.date, p.page, p.system, p.source) == (a["date"], a["page"], site["system"], site["source"])
        assert p.body == (root / a["path"].lstrip("/")).read_bytes()
    assert stats.article_pages == len(expected)
    assert stats.finish_reason == "finished"
    assert stats.failures() == []
    assert {d.status for d in stats.days.values()} == {"ok"}
    assert stats.paper == site["paper"] or site["system"] != "founder"


@pytest.mark.parametrize("key", SITES)
def test_only_the_real_url_forms_are_asked_for(sites, first_crawls, key):
    # Every request the crawler made was for a page the site has (or one the fixture
    # lists as missing, or a built URL's first form that the site answered 404 to).
    root, manifest = sites
    site = manifest["systems"][key]
    _pages, stats, hits, _base = first_crawls[key]
    expected_404 = set(site["missing"]) | {p for p in site["extra"] if not (root / p.lstrip("/")).exists()}
    probes = {h.path for h in hits if h.status == 404} - expected_404
    if key == "founder:sxgrb":  # no period.xml: each day's front page is found by its name
        assert all(p.endswith("/period.xml") for p in probes), probes
        assert stats.url_forms == {"node_1.htm": len(manifest["days"])}
    else:
        assert probes == set(), probes
    if key == "grrb":  # one day's index gives bare page numbers: the spider built the URLs
        assert stats.url_forms == {"unpadded": len(manifest["systems"]["grrb"]["layouts"]) // len(manifest["days"])}
    assert not {h.path for h in hits} & set(site["never"])


@pytest.mark.parametrize("system", SYSTEMS)
def test_encoding_is_reported_so_gbk_pages_decode(sites, first_crawls, system):
    _root, manifest = sites
    pages, _stats, _hits, base = first_crawls[system]
    by_url = {base + a["path"]: a for a in manifest["systems"][system]["articles"]}
    gbk = [p for p in pages if by_url[p.url]["encoding"] == "gbk"]
    if system != "grrb":
        assert gbk, "fixture should hold GBK pages for this system"
    for p in pages:
        assert p.encoding
        assert by_url[p.url]["title"] in html.unescape(p.body.decode(p.encoding))
    for p in gbk:
        assert p.encoding.lower() in {"gbk", "gb18030", "cp936"}
        with pytest.raises(UnicodeDecodeError):
            p.body.decode("utf-8")


@pytest.mark.parametrize("system", SYSTEMS)
def test_truncated_page_is_handed_on_as_fetched(sites, first_crawls, system):
    root, manifest = sites
    pages, _stats, _hits, base = first_crawls[system]
    truncated = [a for a in manifest["systems"][system]["articles"] if a["truncated"]]
    assert truncated
    got = {p.url: p for p in pages}
    for a in truncated:
        body = got[base + a["path"]].body
        assert body == (root / a["path"].lstrip("/")).read_bytes()
        assert not body.rstrip().endswith(b"</html>")


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("system", SYSTEMS)
def test_missing_page_is_counted_and_skipped(sites, first_crawls, system):
    _root, manifest = sites
    missing = manifest["systems"][system]["missing"]
    pages, stats, hits, base = first_crawls[system]
    assert missing
    assert stats.errors["http_404"] == len(missing)
    assert stats.status_counts[404] == len(missing)
    assert not {base + m for m in missing} & {p.url for p in pages}
    assert [h.status for h in hits if h.path in missing] == [404] * len(missing)


def test_empty_page_is_counted_as_bad_and_skipped(sites, first_crawls):
    _root, manifest = sites
    empty = manifest["systems"]["grrb"]["empty"]
    pages, stats, hits, base = first_crawls["grrb"]
    assert empty and stats.errors["bad_page"] == len(empty)
    assert [h.status for h in hits if h.path in empty] == [200] * len(empty)
    assert not {base + e for e in empty} & {p.url for p in pages}


@pytest.mark.parametrize("system", SYSTEMS)
def test_500_is_retried_and_the_page_delivered(sites, first_crawls, system):
    _root, manifest = sites
    flaky = manifest["systems"][system]["flaky"]
    pages, stats, hits, base = first_crawls[system]
    assert flaky
    for path in flaky:
        assert [h.status for h in hits if h.path == path] == [500, 200]
        assert base + path in {p.url for p in pages}
    assert stats.retries == len(flaky)
    assert stats.status_counts[500] == len(flaky)
    assert "http_500" not in stats.errors


def test_retry_waits_with_backoff(sites):
    root, manifest = sites
    path = manifest["systems"]["grrb-legacy"]["flaky"][0]
    _pages, _stats, hits, _base = _run(root, manifest, "grrb-legacy", settings={"RETRY_BACKOFF_BASE": 0.5})
    first, second = [h for h in hits if h.path == path]
    assert second.at - first.at >= 0.45
    assert backoff_delay(1, 2.0, 60) == 2.0 and backoff_delay(3, 2.0, 60) == 8.0 and backoff_delay(9, 2.0, 60) == 60


def test_robots_txt_is_read_first_and_obeyed(sites, first_crawls):
    _root, manifest = sites
    for system in SYSTEMS:
        _pages, stats, hits, _base = first_crawls[system]
        assert hits[0].path == "/robots.txt"
        assert not {h.path for h in hits} & set(manifest["systems"][system]["disallowed"])
    assert manifest["systems"]["founder"]["disallowed"]
    assert first_crawls["founder"][1].errors["robots_forbidden"] == 1


def test_robots_txt_also_binds_requests_sent_while_it_loads(sites):
    # The legacy spider sends one request per day at once; all wait for robots.txt.
    root, manifest = sites
    forbidden = manifest["systems"]["grrb-legacy"]["disallowed"]
    start, end = _range(manifest)
    _pages, stats, hits, _base = _run(root, manifest, "grrb-legacy", range=(start, end + timedelta(days=1)))
    assert not {h.path for h in hits} & set(forbidden)
    assert stats.errors["robots_forbidden"] == len(forbidden) == 1


def test_requests_carry_the_project_user_agent(first_crawls):
    for _pages, _stats, hits, _base in first_crawls.values():
        assert {h.user_agent for h in hits} == {crawler_settings.USER_AGENT}
    assert crawler_settings.USER_AGENT.startswith("unionkb/0.1")


def test_failing_callback_is_counted_and_the_crawl_goes_on(sites):
    root, manifest = sites
    base, stop, _hits = serve(root)
    delivered: list[str] = []

    def on_page(page: FetchedPage) -> None:
        if page.url.endswith("news-1.html"):
            raise ValueError("parser exploded")
        delivered.append(page.url)

    try:
        stats = crawl("grrb", *_range(manifest), on_page, base_url=base, settings=FAST)
    finally:
        stop()
    n_first = sum(a["path"].endswith("news-1.html") for a in manifest["systems"]["grrb"]["articles"])
    assert stats.errors["callback_ValueError"] == n_first
    assert len(delivered) == len(manifest["systems"]["grrb"]["articles"]) - n_first
    assert stats.finish_reason == "finished"


# ----------------------------------------------------------------------------- links and built URLs


def test_links_are_followed_as_given_but_only_onto_the_papers_own_pages(sites, first_crawls):
    _root, manifest = sites
    site = manifest["systems"]["grrb"]
    pages, stats, hits, _base = first_crawls["grrb"]
    # The absolute link to www.workercn.cn was moved onto the mirror and fetched there.
    first = site["articles"][0]["path"]
    assert [h.status for h in hits if h.path == first] == [200]
    # An article linked twice (once with ?spm=…#top) was asked for once, under its plain URL.
    counts = Counter(h.path for h in hits)
    assert all(n == 1 for path, n in counts.items() if "/news-" in path and path not in site["flaky"])
    assert not any("?" in p.url or "#" in p.url for p in pages)
    # javascript:, file:, mailto: and the other site's link were never followed.
    assert site["never"] and not {h.path for h in hits} & set(site["never"])
    assert stats.ignored_links["scheme"] >= 3 and stats.ignored_links["offsite"] >= 1


def test_padded_copy_is_crawled_through_the_fallback_form_and_it_is_recorded(tmp_path):
    root = tmp_path / "sites"
    manifest = build_sites(root, grrb_padded=True)
    pages, stats, hits, base = _run(root, manifest, "grrb")
    site = manifest["systems"]["grrb"]
    assert {p.url for p in pages} == {base + a["path"] for a in site["articles"]}
    assert all("/01/" in path or "/02/" in path for path in site["layouts"])
    # The day whose index gives bare numbers: unpadded asked first (404), then padded.
    unpadded_misses = [h.path for h in hits if h.status == 404 and h.path.endswith("/page.html")]
    assert unpadded_misses and all(path.split("/")[-2] in ("1", "2") for path in unpadded_misses)
    assert stats.url_forms["padded"] == 2 and stats.day("2023-04-04").url_form == "padded"
    # Probing is not an error, and every day did its job.
    assert stats.errors["http_404"] == len(site["missing"])
    assert stats.failures() == []


def test_founder_front_page_is_found_by_trying_its_names(sites, monkeypatch):
    # 浙江工人日报 without its period.xml, and a preset that tries node_1.htm first: the site
    # has no node_1.htm (its front page is node_2.htm), so node_2.htm must be asked next.
    from crawler import presets

    root, manifest = sites
    zj = presets.PRESETS["zjgrrb"]
    monkeypatch.setitem(
        presets.PRESETS,
        "zjgrrb",
        dataclasses.replace(zj, front_pages=("node_1.htm", "node_2.htm")),
    )
    period = root / "html/2023-04/period.xml"
    saved = period.read_bytes()
    period.unlink()
    try:
        pages, stats, hits, _base = _run(root, manifest, "founder:zjgrrb")
    finally:
        period.write_bytes(saved)
    assert len(pages) == len(manifest["systems"]["founder:zjgrrb"]["articles"])
    assert stats.url_forms == {"node_2.htm": len(manifest["days"])}
    assert sorted(h.path for h in hits if h.status == 404) == sorted(
        ["/html/2023-04/period.xml"] + [f"/html/{d[:7]}/{d[8:]}/node_1.htm" for d in manifest["days"]]
    )
    assert stats.errors == Counter({"http_404": 1}) and stats.failures() == []


# ----------------------------------------------------------------------------- day verdicts


def test_day_whose_layout_pages_are_all_missing_fails_with_one_line(tmp_path):
    # What the old spider did to the real site: the index lists the pages, every layout
    # page it asks for answers 404, nothing is stored. That day must fail, by name.
    root = tmp_path / "sites"
    manifest = build_sites(root)
    for layout in manifest["systems"]["grrb"]["layouts"]:
        if "/2023/04/04/" in layout:
            (root / layout.lstrip("/")).unlink()
    _pages, stats, _hits, _base = _run(root, manifest, "grrb")
    day = stats.days["2023-04-04"]
    assert day.status == "failed" and day.articles == 0
    assert stats.days["2023-04-03"].status == stats.days["2023-04-05"].status == "ok"
    assert stats.failures() == [
        "2023-04-04: no article page fetched: the index lists the day but all 2 layout pages failed (http_404=2)"
    ]  # the bare-number pages were asked in both forms; only the last answer counts


def test_days_without_an_issue_are_reported_as_such_not_as_errors(sites):
    root, manifest = sites
    start, end = _range(manifest)
    after = (end + timedelta(days=1)).isoformat()
    # grrb: index.json says the last fixture day is the latest issue.
    _p, grrb, _h, _b = _run(root, manifest, "grrb", range=(start, end + timedelta(days=2)))
    assert grrb.days[after].status == "no_issue" and "latest issue" in grrb.days[after].reason
    # founder: period.xml does not list the day.
    _p, founder, _h, _b = _run(root, manifest, "founder", range=(start, end + timedelta(days=1)))
    assert founder.days[after].status == "no_issue" and founder.days[after].reason == "not listed in period.xml"
    # legacy (no index): the front page answers 404.
    legacy_day = end + timedelta(days=3)
    _p, legacy, _h, _b = _run(root, manifest, "grrb-legacy", range=(legacy_day, legacy_day))
    assert legacy.days[legacy_day.isoformat()].status == "no_issue"
    for stats, day in ((grrb, after), (founder, after), (legacy, legacy_day.isoformat())):
        assert stats.failures() == [] and not stats.days[day].errors


def test_unreadable_day_index_and_no_front_page_is_a_failure(tmp_path):
    root = tmp_path / "sites"
    manifest = build_sites(root)
    (root / "paper/grrb/2023/04/04.json").write_text("<html>maintenance</html>", encoding="utf-8")
    for layout in manifest["systems"]["grrb"]["layouts"]:
        if "/2023/04/04/" in layout:
            (root / layout.lstrip("/")).unlink()
    _pages, stats, _hits, _base = _run(root, manifest, "grrb")
    assert stats.days["2023-04-04"].status == "failed"
    assert "day index unreadable (lists no pages)" in stats.failures()[0]


def test_a_wrong_base_path_is_a_failure_not_a_string_of_quiet_days(sites):
    root, manifest = sites
    base, stop, _hits = serve(root)
    try:
        stats = crawl("grrb", *_range(manifest), lambda p: None, base_url=base + "/no-such-mirror", settings=FAST)
    finally:
        stop()
    assert stats.article_pages == 0
    assert stats.failures() == [
        f"nothing fetched and index.json answers 404: is the base URL {base}/no-such-mirror right?"
    ]


def test_unreachable_base_url_is_detected_before_the_crawl(capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(
        SiteUnreachable, match=rf"^http://127.0.0.1:{port}: unreachable \(connection to 127.0.0.1:{port} refused\)$"
    ):
        crawl(
            "founder",
            date(2023, 4, 3),
            date(2023, 4, 3),
            lambda p: None,
            base_url=f"http://127.0.0.1:{port}",
            settings=FAST,
        )
    assert time.monotonic() - t0 < 10
    assert (
        main(
            ["grrb", "--from", "2023-04-03", "--to", "2023-04-03", "--base-url", f"http://127.0.0.1:{port}", "--local"]
        )
        == 3
    )
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"crawl: http://127.0.0.1:{port}: unreachable (connection to 127.0.0.1:{port} refused)"
    )


def test_command_line_exit_status_names_the_failed_day(tmp_path, capsys):
    root = tmp_path / "sites"
    manifest = build_sites(root)
    for layout in manifest["systems"]["founder"]["layouts"]:
        if "/2023-04/05/" in layout:
            (root / layout.lstrip("/")).unlink()
    base, stop, _hits = serve(root)
    try:
        code = main(
            [
                "founder",
                "--paper",
                "ldwb",
                "--from",
                "2023-04-03",
                "--to",
                "2023-04-05",
                "--base-url",
                base,
                "--out",
                str(tmp_path / "pages.jsonl"),
                "--local",
            ]
        )
    finally:
        stop()
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "crawl: 2023-04-05: no article page fetched: the index lists the day but its layout page failed (http_404=1)"
    )


# ----------------------------------------------------------------------------- incremental


@pytest.mark.parametrize("key", SITES)
def test_second_crawl_with_known_urls_requests_no_stored_article(sites, first_crawls, key):
    root, manifest = sites
    first_pages, _stats, _hits, _base = first_crawls[key]
    article_paths = {a["path"] for a in manifest["systems"][key]["articles"]}
    # The store keys articles by URL; the new server has a new port, so compare by path.
    stored_paths = {p.url.split("/", 3)[3] for p in first_pages}
    pages, stats, hits, _base = _run(root, manifest, key, known_url=lambda url: url.split("/", 3)[3] in stored_paths)
    assert pages == []
    assert not {h.path for h in hits} & article_paths
    assert stats.skipped_known == len(article_paths)
    # Layout pages are read again (that is how new articles would be found).
    assert {h.path for h in hits} >= set(manifest["systems"][key]["layouts"])
    # A day whose articles are all stored already did its job.
    assert stats.failures() == [] and {d.status for d in stats.days.values()} == {"ok"}


@pytest.mark.parametrize(
    "system, remove",
    [
        ("grrb", ["/paper/grrb/index.json", "/paper/grrb/2023/04/04.json"]),
        ("founder", ["/content/2023-04/period.xml"]),
    ],
)
def test_missing_indexes_fall_back_to_layout_pages(tmp_path, system, remove):
    root = tmp_path / "sites"
    manifest = build_sites(root)
    for path in remove:
        (root / path.lstrip("/")).unlink()
    pages, stats, hits, base = _run(root, manifest, system)
    assert {p.url for p in pages} == {base + a["path"] for a in manifest["systems"][system]["articles"]}
    assert [h.status for h in hits if h.path in remove] == [404] * len(remove)
    assert stats.errors["http_404"] == len(remove) + len(manifest["systems"][system]["missing"])


def test_grrb_does_not_ask_for_days_after_the_latest_issue(sites):
    root, manifest = sites
    start, _end = _range(manifest)
    pages, stats, hits, _base = _run(root, manifest, "grrb", range=(start, date(2023, 4, 30)))
    assert len(pages) == len(manifest["systems"]["grrb"]["articles"])
    latest = manifest["latest"].replace("-", "/")
    day_indexes = sorted(h.path for h in hits if h.path.endswith(".json") and "index" not in h.path)
    assert day_indexes[-1] == f"/paper/grrb/{latest}.json"
    assert stats.errors.get("http_404", 0) == len(manifest["systems"]["grrb"]["missing"])


def test_interrupted_crawl_resumes_from_jobdir(sites, tmp_path):
    root, manifest = sites
    jobdir = tmp_path / "job"
    base, stop, hits = serve(root)  # one server: the saved queue holds its URLs
    first: list[FetchedPage] = []
    second: list[FetchedPage] = []
    try:
        stats1 = crawl(
            "founder",
            *_range(manifest),
            first.append,
            base_url=base,
            jobdir=jobdir,
            settings={**FAST, "CLOSESPIDER_PAGECOUNT": 8},
        )
        n_hits = len(hits)
        stats2 = crawl("founder", *_range(manifest), second.append, base_url=base, jobdir=jobdir, settings=FAST)
    finally:
        stop()
    assert stats1.finish_reason == "closespider_pagecount" and stats2.finish_reason == "finished"
    urls1, urls2 = {p.url for p in first}, {p.url for p in second}
    assert urls1 and urls2 and not urls1 & urls2
    assert urls1 | urls2 == {base + a["path"] for a in manifest["systems"]["founder"]["articles"]}
    resumed_paths = [h.path for h in hits[n_hits:]]
    assert "/content/2023-04/period.xml" not in resumed_paths  # not started over
    assert not {u.removeprefix(base) for u in urls1} & set(resumed_paths)


def test_ctrl_c_stops_gracefully_and_the_rerun_finishes_the_job(sites, tmp_path):
    root, manifest = sites
    base, stop, hits = serve(root, delay=0.05)
    out = tmp_path / "pages.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "crawler.run",
        "founder",
        "--from",
        manifest["days"][0],
        "--to",
        manifest["days"][-1],
        "--base-url",
        base,
        "--jobdir",
        str(tmp_path / "job"),
        "--out",
        str(out),
        "--local",
        "-s",
        "CONCURRENT_REQUESTS=1",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        worker = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (out.exists() and len(out.read_text(encoding="utf-8").splitlines()) >= 3):
            assert worker.poll() is None and time.monotonic() < deadline, "crawl ended before the interrupt"
            time.sleep(0.02)
        worker.send_signal(signal.SIGINT)
        _out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        assert "[shutdown]" in err
        n_first = len(out.read_text(encoding="utf-8").splitlines())
        rerun = subprocess.run(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True, timeout=60)
        assert rerun.returncode == 0, rerun.stderr
    finally:
        stop()
    urls = [json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()]
    expected = {base + a["path"] for a in manifest["systems"]["founder"]["articles"]}
    assert n_first < len(expected)
    assert sorted(urls) == sorted(expected)  # each article once over both runs


def test_progress_reports_growing_counts(sites):
    root, manifest = sites
    seen: list[tuple[int, int]] = []
    _run(root, manifest, "grrb-legacy", progress=lambda s: seen.append((s.pages_fetched, s.article_pages)))
    assert len(seen) > 10
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(seen, seen[1:]))
    assert seen[-1][1] == len(manifest["systems"]["grrb-legacy"]["articles"])


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (("rmrb", date(2023, 4, 3), date(2023, 4, 5)), {}, "system: unknown 'rmrb'"),
        (("grrb", date(2023, 4, 5), date(2023, 4, 3)), {}, "end: 2023-04-03 is before start"),
        (("grrb", "2023-04-31", date(2023, 4, 3)), {}, "start: expected YYYY-MM-DD"),
        (
            ("grrb", date(2023, 4, 3), date(2023, 4, 5)),
            {"jobdir": Path("x"), "redis_url": "redis://h"},
            "jobdir and redis_url",
        ),
    ],
)
def test_bad_arguments_are_one_line_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        crawl(*args, lambda page: None, **kwargs)
    assert "\n" not in str(err.value)


def test_command_line_bad_date_is_a_one_line_error(capsys):
    assert main(["grrb", "--from", "2023-02-30", "--to", "2023-03-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "Error: --from: expected YYYY-MM-DD, got '2023-02-30'"


def test_command_line_writes_one_json_line_per_article(sites, tmp_path, capsys):
    root, manifest = sites
    base, stop, _hits = serve(root)
    out = tmp_path / "pages.jsonl"
    try:
        code = main(
            [
                "grrb-legacy",
                "--from",
                manifest["days"][0],
                "--to",
                manifest["days"][-1],
                "--base-url",
                base,
                "--out",
                str(out),
                "--local",
            ]
        )
    finally:
        stop()
    assert code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["url"] for r in rows) == sorted(
        base + a["path"] for a in manifest["systems"]["grrb-legacy"]["articles"]
    )
    assert "18 articles" in capsys.readouterr().err


def test_polite_defaults():
    s = crawler_settings
    assert s.ROBOTSTXT_OBEY and s.AUTOTHROTTLE_ENABLED
    assert 1 <= s.CONCURRENT_REQUESTS_PER_DOMAIN <= 2 and s.DOWNLOAD_DELAY >= 1
    assert {500, 502, 503, 504}.issubset(s.RETRY_HTTP_CODES) and s.RETRY_BACKOFF_BASE > 0


# ----------------------------------------------------------------------------- links (pure)


def test_e_paper_urls_say_kind_date_and_page():
    ref = grrb_ref("https://www.workercn.cn/papers/grrb/2016/01/22/2/news-3.html")
    assert (ref.kind, ref.date, ref.page) == ("article", "2016-01-22", "02")
    ref = grrb_ref("http://x/papers/grrb/2023/04/03/01/page.html")
    assert (ref.kind, ref.date, ref.page) == ("layout", "2023-04-03", "01")
    assert grrb_ref("http://x/papers/grrb/2023/02/30/01/page.html") is None
    ref = legacy_ref("http://media.workercn.cn/sites/media/lnzgb/2013_12/06/GR0512.htm")
    assert (ref.kind, ref.date, ref.page) == ("article", "2013-12-06", "05")
    assert legacy_ref("http://media.workercn.cn/sites/media/grrb/2013_12/06/GR0100.htm").kind == "layout"
    ref = founder_ref("http://ldwb.workerbj.cn/content/2014-09/25/content_261.htm")
    assert (ref.kind, ref.date, ref.page) == ("article", "2014-09-25", None)
    assert founder_ref("http://ldwb.workerbj.cn/content/2014-09/25/node_2.htm").kind == "layout"
    # The real URL forms of the other Founder-style union papers.
    assert founder_ref("https://epaper.zjgrrb.com/html/2018-08/31/content_2637467.htm?div=-1") == founder_ref(
        "https://epaper.zjgrrb.com/html/2018-08/31/content_2637467.htm"
    )
    assert founder_ref("http://szb.sxworker.com/m/content/1991-06/20/070642.html").date == "1991-06-20"
    assert founder_ref("http://szb.sxworker.com/content/2004-07/29/347565.html").kind == "article"
    ref = founder_ref("http://paper.sxworker.com/xpaper/news/624/3054/26593-1.shtml")
    assert (ref.kind, ref.date) == ("article", None)  # the layout page that links it gives the day
    assert founder_ref("http://szb.sxworker.com/content/2004-07/29/index.html") is None
    assert page_label("第03版：工会 3上一版") == "03" and page_label("第3版") == "03" and page_label("要闻") is None
    assert page_label("00003版:职业·教育") == "03" and page_label("第8835期:第02版 综合") == "02"
    assert page_label("3上一版 下一版4") is None


def test_day_index_gives_page_numbers_in_any_shape():
    assert pages_in_day_index({"pages": ["01", 2, "http://h/papers/grrb/2023/04/03/03/page.html"]}) == [
        "01",
        "02",
        "03",
    ]
    assert pages_in_day_index({"pages": [{"pageNo": "1", "pageUrl": "x"}, {"pdf": "/grrb2023040304.pdf"}]}) == [
        "01",
        "04",
    ]
    assert pages_in_day_index({"pages": []}) == [] and pages_in_day_index(["01"]) == []
    # A page URL the index gives is kept as given, to be followed; a bare number has none.
    assert day_index_pages({"pages": [{"pageNo": 2, "pageUrl": "/papers/grrb/2016/01/22/2/page.html"}, 3]}) == [
        IndexedPage("02", "/papers/grrb/2016/01/22/2/page.html"),
        IndexedPage("03", None),
    ]


def test_absolute_links_are_moved_onto_the_configured_host():
    assert (
        rebase("https://www.workercn.cn/papers/grrb/2023/04/03/01/page.html", "http://127.0.0.1:9")
        == "http://127.0.0.1:9/papers/grrb/2023/04/03/01/page.html"
    )
    assert rebase("http://127.0.0.1:9/a.htm?x=1", "http://127.0.0.1:9") == "http://127.0.0.1:9/a.htm?x=1"


def test_links_resolve_onto_the_crawl_host_or_are_ignored_with_a_reason():
    scope = LinkScope.of("http://127.0.0.1:9/mirror", paper_hosts=("szb.sxworker.com", "paper.sxworker.com"))
    page = "http://127.0.0.1:9/mirror/content/2004-07/29/node_2.htm"
    assert scope.resolve("347565.html?div=-1#top", page) == (
        "http://127.0.0.1:9/mirror/content/2004-07/29/347565.html",
        "",
    )
    assert scope.resolve("http://paper.sxworker.com/xpaper/news/624/3054/26593-1.shtml", page) == (
        "http://127.0.0.1:9/mirror/xpaper/news/624/3054/26593-1.shtml",
        "",
    )
    assert scope.resolve("../30//node_3.htm", page) == ("http://127.0.0.1:9/mirror/content/2004-07/30/node_3.htm", "")
    for href, why in [
        ("javascript:void(0)", "scheme"),
        (" JavaScript:x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("mailto:a@b.c", "scheme"),
        ("data:text/html,x", "scheme"),
        ("ftp://h/x.htm", "scheme"),
        ("http://evil.example.com/content/2004-07/29/1.html", "offsite"),
        ("http://127.0.0.1:10/content/2004-07/29/1.html", "offsite"),
        ("", "empty"),
        ("#top", "empty"),
    ]:
        assert scope.resolve(href, page) == (None, why), href
    assert canonical_url("HTTP://Example.COM//a//b.htm?x=1#y") == "http://example.com/a/b.htm"


def test_date_ranges():
    assert [d.day for d in days_between(date(2023, 4, 29), date(2023, 5, 2))] == [29, 30, 1, 2]
    assert days_between(date(2023, 4, 2), date(2023, 4, 1)) == []
    assert months_between(date(2022, 12, 30), date(2023, 2, 1)) == [(2022, 12), (2023, 1), (2023, 2)]


# ----------------------------------------------------------------------------- fixtures


def test_fixture_pages_follow_the_documented_structures(sites):
    root, manifest = sites

    def page(a):
        raw = (root / a["path"].lstrip("/")).read_bytes()
        return Selector(text=raw.decode(a["encoding"], errors="replace"))

    for a in manifest["systems"]["grrb"]["articles"]:
        if a["truncated"]:
            continue
        s = page(a)
        assert s.css("#ctitle::text").get() == a["title"] and (s.css("#pretitle::text").get() or "") == a["kicker"]
        assert s.css("#ccontent p::text").getall()[: len(a["paragraphs"])] == a["paragraphs"]
        assert a["paper_line"] in s.get() and len(s.css("#imgs img")) == len(a["images"])
    for a in manifest["systems"]["grrb-legacy"]["articles"]:
        if not a["truncated"]:
            s = page(a)
            assert s.css("div.text_c h1::text").get() == a["title"]
            assert s.css("div#ozoom div span p::text").getall() == a["paragraphs"]
            assert (s.css("div.lai span::text").get() or "") == a["byline"]
    for a in manifest["systems"]["founder"]["articles"]:
        if not a["truncated"]:
            s = page(a)
            assert s.css("h1 founder-title::text").get() == a["title"]
            assert s.css("div#ozoom founder-content p::text").getall() == a["paragraphs"]
    layout = Selector(text=(root / manifest["systems"]["grrb"]["layouts"][0].lstrip("/")).read_text(encoding="utf-8"))
    assert layout.css("div.holder ul#pageUrl li a.pdf") and layout.css("div.holder ul#pageTitle li a")
    assert sum(a["repeats_body"] == "inside" for a in manifest["systems"]["grrb"]["articles"]) == 1
