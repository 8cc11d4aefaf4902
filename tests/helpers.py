"""Paths and small builders shared by the tests."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = REPO / "corpus"
SEEDS = CORPUS  # the five seed pages ship with the project as the sample corpus
RMRB = SHARED / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"
UNION_PAGES = SHARED / "data" / "union-news-pages" / "union_news_pages.jsonl"


def require_shared(path: Path) -> Path:
    """``path`` under ../shared, or skip the test: that data sits beside a clone, not in it."""
    if not path.exists():
        pytest.skip(f"{path.name} not present (the ../shared data beside the project)")
    return path


def head_lines(src: Path, dst: Path, n: int) -> Path:
    """The first n lines of a JSONL file (a streamed excerpt, never the whole set in memory)."""
    require_shared(src)
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i >= n:
                break
            out.write(line)
    return dst


def cli_ok(index_dir, *args) -> str:
    """Run search_cli with --index and return its output, failing the test on a non-zero exit."""
    from click.testing import CliRunner

    from search_cli import cli

    r = CliRunner().invoke(cli, ["--index", str(index_dir), *map(str, args)])
    assert r.exit_code == 0, r.output
    return r.output


def cli_json(index_dir, *args):
    import json

    return json.loads(cli_ok(index_dir, *args, "--json"))
