"""`search_cli.py crawl` end to end: real spiders against fixture sites on 127.0.0.1, into the archive."""
import json
import unicodedata

import pytest
from click.testing import CliRunner

from index.archive import Archive
from search_cli import cli
from tests.fixtures.sites.make_sites import build_sites
from tests.fixtures.sites.server import serve


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
    return CliRunner().invoke(cli, ["--index", str(index), "crawl", system, "--from", days[0], "--to", days[-1],
                                    "--base-url", base, "--json"])


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
