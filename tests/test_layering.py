"""Data flows one way: crawler → pipeline → index → CLI and web app. A stage never imports a later one.

The pipeline reads one module of the crawler, crawler.urls (what an e-paper URL and a page label
say), because saved pages carry the same URLs the crawler follows; nothing else of the crawler,
and crawler.urls itself imports no stage and no scrapy."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LATER = {
    "crawler": {"pipeline", "index", "search_cli", "unionkb"},
    "pipeline": {"index", "search_cli", "unionkb"},  # and of the crawler only crawler.urls (below)
    "index": {"search_cli", "crawler", "unionkb"},
    # the web app is a top-level consumer beside the CLI: the CLI starts it, never the reverse
    "unionkb/web": {"search_cli", "crawler"},
}


SHARED_CRAWLER_MODULE = "crawler.urls"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("stage", sorted(LATER))
def test_stage_imports_no_later_stage(stage):
    bad = {}
    for f in (REPO / stage).rglob("*.py"):
        hit = imported_top_modules(f) & LATER[stage]
        if hit:
            bad[str(f.relative_to(REPO))] = hit
    assert not bad, bad


def test_the_pipeline_reads_only_the_crawlers_url_module_and_it_stands_alone():
    bad = {}
    for f in (REPO / "pipeline").rglob("*.py"):
        hit = {m for m in imported_modules(f) if m.split(".")[0] == "crawler" and m != SHARED_CRAWLER_MODULE}
        if hit:
            bad[str(f.relative_to(REPO))] = hit
    assert not bad, bad
    urls = REPO / "crawler" / "urls.py"
    stages = {"crawler", "pipeline", "index", "search_cli", "unionkb", "scrapy", "scrapy_redis", "twisted"}
    assert not imported_top_modules(urls) & stages
