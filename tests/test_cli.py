"""The CLI end to end on the sample corpus, through click's CliRunner, plus bad input."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from search_cli import cli
from tests.helpers import CORPUS, REPO, cli_json, cli_ok


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("archive")
    cli_ok(d, "ingest", CORPUS)
    return d


def run(archive_dir, *args):
    return CliRunner().invoke(cli, ["--index", str(archive_dir), *args])


def search_json(archive_dir, *args):
    return cli_json(archive_dir, "search", *args)


def test_ingest_summary_and_reingest_adds_nothing(archive_dir):
    r = run(archive_dir, "ingest", str(CORPUS), "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["pages"] == 5 and summary["added"] == 0 and summary["duplicates"] == summary["articles"] > 20


@pytest.mark.parametrize(
    "query, title_has",
    [
        ("马背送学", "县级工会"),
        ('"集体协商"', "集体协商"),
        ("4000万元", "县级工会"),
        ("91%", "靖西"),
    ],
)
def test_key_queries_put_the_right_article_first_with_marked_snippet(archive_dir, query, title_has):
    results = search_json(archive_dir, query)
    assert results, query
    first = results[0]
    assert title_has in first["title"], (query, [r["title"] for r in results[:3]])
    assert "<mark>" in first["snippet"]
    assert {"id", "title", "date", "source", "score", "snippet", "text"} <= set(first)
    assert len(first["text"]) > 100


def has_phrase(r, phrase):
    return phrase in (r["title"] + r["kicker"] + r["subtitle"] + r["text"]).replace(" ", "")


def test_phrase_query_only_returns_articles_with_the_exact_phrase(archive_dir):
    results = search_json(archive_dir, '"集体协商"', "-k", "50", "--mode", "keyword")
    assert len(results) >= 3 and all(has_phrase(r, "集体协商") for r in results)


def test_hybrid_never_buries_an_exact_phrase_under_semantic_near_misses(archive_dir):
    results = search_json(archive_dir, '"集体协商"', "-k", "20")
    flags = [has_phrase(r, "集体协商") for r in results]
    assert flags[0] and flags == sorted(flags, reverse=True), flags


def test_human_output_and_show_and_list(archive_dir):
    r = run(archive_dir, "search", "马背送学")
    assert r.exit_code == 0 and "«马背送学»" in r.output
    rows = json.loads(run(archive_dir, "list", "--json").output)
    assert len(rows) > 20 and set(rows[0]) == {"id", "title", "date", "source", "kind"}
    assert len({r["id"] for r in rows}) == len(rows)
    titles = [r["title"] for r in rows]
    assert len(titles) == len(set(titles)), "an article is doubled"
    one = json.loads(run(archive_dir, "show", rows[0]["id"][:8], "--json").output)
    assert one["id"] == rows[0]["id"] and one["text"]
    st = json.loads(run(archive_dir, "stats", "--json").output)
    assert st["articles"] == len(rows) == st["keyword_documents"]


def test_date_filter_and_bad_date(archive_dir):
    assert search_json(archive_dir, "工会", "--since", "2100-01-01") == []
    r = run(archive_dir, "search", "工会", "--since", "yesterday")
    assert r.exit_code == 2 and "--since" in r.output


def test_missing_index_is_one_line_error(tmp_path):
    r = CliRunner().invoke(cli, ["--index", str(tmp_path / "nope"), "search", "工会"])
    assert r.exit_code == 1
    assert "no archive at" in r.output and "Traceback" not in r.output


def test_unknown_option_and_malformed_query(archive_dir):
    r = run(archive_dir, "search", "工会", "--bogus")
    assert r.exit_code == 2 and "--bogus" in r.output
    r = run(archive_dir, "search", '"集体协商')
    assert r.exit_code == 1 and "quote" in r.output and "Traceback" not in r.output
    r = run(archive_dir, "show", "ffffffffffff")
    assert r.exit_code == 1 and "no article" in r.output


def test_bad_files_are_named_skipped_and_the_rest_ingested(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (d / "empty.txt").write_bytes(b"")
    (d / "gbk.txt").write_bytes(
        "## 宝鸡52个爱心驿站投入使用\n\n本报讯 宝鸡市总建设的52个户外劳动者爱心驿站全部建成投用。".encode("gbk")
    )
    (d / "big5.txt").write_bytes(
        "## 臺北工會舉辦職工讀書會\n\n本報訊 臺北市總工會日前舉辦職工讀書會，吸引許多職工參加。".encode("big5")
    )
    (d / "cut.html").write_bytes("<html><body><div id='ccontent'><p>只有半".encode())
    idx = tmp_path / "idx"
    r = CliRunner().invoke(cli, ["--index", str(idx), "ingest", str(d)])
    assert r.exit_code == 1, r.output
    assert "binary.txt" in r.output and "empty.txt" in r.output
    assert "Traceback" not in r.output
    hits = json.loads(CliRunner().invoke(cli, ["--index", str(idx), "search", "爱心驿站", "--json"]).output)
    assert hits and "爱心驿站" in hits[0]["title"]
    hits = json.loads(CliRunner().invoke(cli, ["--index", str(idx), "search", "讀書會", "--json"]).output)
    assert hits and "讀書會" in hits[0]["title"]


def test_console_script_entry_runs_without_traceback(tmp_path):
    env = dict(os.environ, UNIONKB_INDEX=str(tmp_path / "none"))
    p = subprocess.run(
        [sys.executable, str(REPO / "search_cli.py"), "search", "工会"], env=env, capture_output=True, text=True
    )
    assert p.returncode == 1
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_rebuild_from_the_store_keeps_search_results(archive_dir):
    before = [r["id"] for r in search_json(archive_dir, "职工之家", "--mode", "keyword")]
    r = run(archive_dir, "rebuild")
    assert r.exit_code == 0 and "keyword index" in r.output
    assert [r["id"] for r in search_json(archive_dir, "职工之家", "--mode", "keyword")] == before


def test_every_command_has_help():
    for cmd in (
        "ingest",
        "search",
        "show",
        "list",
        "stats",
        "who",
        "entities",
        "similar",
        "embed",
        "crawl",
        "export",
        "rebuild",
        "models",
    ):
        r = CliRunner().invoke(cli, [cmd, "--help"])
        assert r.exit_code == 0 and len(r.output.splitlines()) > 4, cmd
