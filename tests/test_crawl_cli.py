"""`search_cli.py crawl` end to end: real spiders against fixture sites on 127.0.0.1, into the
archive; Founder presets, the per-day JSON summary and the exit status."""

import json
import socket
import unicodedata
from datetime import date

import pytest
from click.testing import CliRunner

from index.archive import Archive
from search_cli import cli
from tests.fixtures.sites.make_sites import build_sites
from tests.fixtures.sites.server import serve
from unionkb.crawl import SiteUnreachable, crawl_into


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("sites")
    manifest = build_sites(root)
    base, stop, hits = serve(root)
    yield base, manifest, hits
    stop()


def norm(s: str) -> str:
    """Compare text as a reader would: width variants and spaces folded."""
    s = unicodedata.normalize("NFKC", s).translate(str.maketrans("“”‘’", "\"\"''"))
    return "".join(s.split())


def crawl(index, system, base, manifest):
    days = manifest["days"]
    return CliRunner().invoke(
        cli, ["--index", str(index), "crawl", system, "--from", days[0], "--to", days[-1], "--base-url", base, "--json"]
    )


@pytest.mark.parametrize("system", ["grrb", "grrb-legacy", "founder"])
def test_crawled_articles_land_in_the_store_with_provenance_and_are_searchable(tmp_path, site, system):
    base, manifest, hits = site
    r = crawl(tmp_path / "idx", system, base, manifest)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    expected = [a for a in manifest["systems"][system]["articles"] if not a.get("truncated")]
    assert summary["added"] >= len(expected) - 1  # the truncated page may or may not keep a body
    with Archive.open(tmp_path / "idx") as ar:
        by_url = {sa.article.url: sa.article for sa in ar.store.iter_articles()}
        for exp in expected:
            art = by_url.get(base + exp["path"])
            assert art is not None, exp["path"]
            assert norm(art.title) == norm(exp["title"])
            assert norm(art.kicker) == norm(exp["kicker"])
            assert art.date == exp["date"] and art.page == exp["page"]
            assert art.source == exp["source"]
            # a body the page repeats is stored once
            first = norm(exp["paragraphs"][0])[:30]
            assert norm(art.body).count(first) == 1
        title = expected[0]["title"]
        assert ar.search(title, k=5)[0].title == title

    # a second crawl of the same range fetches no article page again and adds nothing
    article_paths = {a["path"] for a in manifest["systems"][system]["articles"]}
    before = len(hits)
    r = crawl(tmp_path / "idx", system, base, manifest)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["added"] == 0
    again = {h.path for h in hits[before:]} & {p for p in article_paths if base + p in by_url}
    assert again == set()


def crawl_site(index, manifest, base, key, *extra):
    site = manifest["systems"][key]
    days = manifest["days"]
    paper = ["--paper", site["paper"]] if site["paper"] else []
    return CliRunner().invoke(
        cli,
        [
            "--index",
            str(index),
            "crawl",
            site["system"],
            *paper,
            "--from",
            days[0],
            "--to",
            days[-1],
            "--base-url",
            base + site["base_path"],
            "--json",
            *extra,
        ],
    )


@pytest.mark.parametrize("key", ["founder:zjgrrb", "founder:sxgrb"])
def test_founder_presets_store_publication_and_page_with_every_article(tmp_path, site, key):
    base, manifest, _hits = site
    r = crawl_site(tmp_path / "idx", manifest, base, key)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    expected = manifest["systems"][key]["articles"]
    # a 本版导读 digest page is one article per item (▲/△ …), every other page one article
    digest = {e["path"] for e in expected if e["title"] == "本版导读"}

    def marked(e: dict) -> list[str]:
        return [p for p in e["paragraphs"] if p.lstrip()[:1] in "▲△"]

    items = sum(len(marked(e)) for e in expected if e["path"] in digest)
    assert summary["paper"] == manifest["systems"][key]["paper"]
    assert summary["added"] == len(expected) - len(digest) + items
    assert [d["status"] for d in summary["days"]] == ["ok"] * len(manifest["days"])
    by_url: dict[str, list] = {}
    with Archive.open(tmp_path / "idx") as ar:
        for sa in ar.store.iter_articles():
            by_url.setdefault(sa.article.url, []).append(sa.article)
    for exp in expected:
        arts = by_url[base + exp["path"]]
        assert {(a.source, a.page, a.date) for a in arts} == {(exp["source"], exp["page"], exp["date"])}
        if exp["path"] in digest:
            assert len(arts) == len(marked(exp))
            assert all(norm(a.title)[:8] in norm(" ".join(marked(exp))) for a in arts)
        else:
            assert len(arts) == 1 and norm(arts[0].title) == norm(exp["title"])
            assert norm(exp["paragraphs"][0])[:20] in norm(arts[0].body)


def test_json_summary_has_a_verdict_and_counts_per_day(tmp_path, site):
    base, manifest, _hits = site
    r = crawl_site(tmp_path / "idx", manifest, base, "grrb")
    summary = json.loads(r.stdout)
    days = {d["day"]: d for d in summary["days"]}
    assert list(days) == manifest["days"]
    articles = manifest["systems"]["grrb"]["articles"]
    for day, d in days.items():
        assert d["status"] == "ok" and d["articles"] == sum(a["date"] == day for a in articles)
        assert d["pages"] >= d["articles"] + 2 and d["skipped_known"] == 0
    assert days["2023-04-04"]["errors"] == {"http_404": 1}  # the withdrawn article
    assert summary["failures"] == [] and summary["errors"]["http_404"] == 1
    again = json.loads(crawl_site(tmp_path / "idx", manifest, base, "grrb").stdout)
    assert [d["skipped_known"] for d in again["days"]] == [days[d]["articles"] for d in manifest["days"]]


def test_a_day_with_nothing_fetched_ends_the_crawl_with_status_1_and_one_line(tmp_path):
    root = tmp_path / "sites"
    manifest = build_sites(root)
    for layout in manifest["systems"]["founder:zjgrrb"]["layouts"]:
        if "/2023-04/04/" in layout:
            (root / layout.lstrip("/")).unlink()
    base, stop, _hits = serve(root)
    try:
        r = crawl_site(tmp_path / "idx", manifest, base, "founder:zjgrrb")
    finally:
        stop()
    assert r.exit_code == 1
    line = "crawl: 2023-04-04: no article page fetched: the index lists the day but its layout page failed (http_404=1)"
    assert r.stderr.strip().splitlines()[-1] == line
    assert json.loads(r.stdout)["failures"] == [line.removeprefix("crawl: ")]


def test_a_day_without_an_issue_is_not_an_error(tmp_path, site):
    base, _manifest, _hits = site
    r = CliRunner().invoke(
        cli,
        [
            "--index",
            str(tmp_path / "idx"),
            "crawl",
            "founder",
            "--from",
            "2023-04-05",
            "--to",
            "2023-04-06",
            "--base-url",
            base,
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    days = json.loads(r.stdout)["days"]
    assert [(d["day"], d["status"]) for d in days] == [("2023-04-05", "ok"), ("2023-04-06", "no_issue")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_base_url_is_one_line_and_status_3(tmp_path):
    port = free_port()
    r = CliRunner().invoke(
        cli,
        [
            "--index",
            str(tmp_path / "idx"),
            "crawl",
            "grrb",
            "--from",
            "2023-04-03",
            "--to",
            "2023-04-03",
            "--base-url",
            f"http://127.0.0.1:{port}",
        ],
    )
    assert r.exit_code == 3
    assert r.stderr.strip().splitlines()[-1] == (
        f"crawl: http://127.0.0.1:{port}: unreachable (connection to 127.0.0.1:{port} refused)"
    )


def test_paper_is_only_for_founder(tmp_path):
    r = CliRunner().invoke(
        cli,
        [
            "--index",
            str(tmp_path / "idx"),
            "crawl",
            "grrb",
            "--paper",
            "zjgrrb",
            "--from",
            "2023-04-03",
            "--to",
            "2023-04-03",
        ],
    )
    assert r.exit_code == 2 and "--paper" in r.stderr and "Traceback" not in r.output


def test_crawl_into_an_archive_is_the_library_call_behind_the_command(tmp_path, site):
    base, manifest, _hits = site
    first, last = (date.fromisoformat(d) for d in (manifest["days"][0], manifest["days"][-1]))
    with Archive.open(tmp_path / "idx", create=True, write=True) as archive:
        run = crawl_into(archive, "grrb-legacy", first, last, base_url=base)
        assert run.exit_code == 0 and run.failures() == []
        assert run.report.added == archive.count() > 0 and run.stats.article_pages >= run.report.added
        summary = run.to_dict()
        assert summary["added"] == run.report.added and summary["system"] == "grrb-legacy"
        assert [d["day"] for d in summary["days"]] == manifest["days"]
    # an unreachable site raises once the archive has closed the crawl's session: still usable
    with Archive.open(tmp_path / "idx", write=True) as archive:
        with pytest.raises(SiteUnreachable, match="unreachable"):
            crawl_into(archive, "grrb", first, first, base_url=f"http://127.0.0.1:{free_port()}")
        again = crawl_into(archive, "grrb-legacy", first, last, base_url=base)
        stored_urls = {sa.article.url for sa in archive.store.iter_articles()}
        assert again.report.added == 0 and again.stats.skipped_known == len(stored_urls)
