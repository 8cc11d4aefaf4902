"""Hostile and odd files beside good ones: undecodable names, links out of the tree, FIFOs,
sockets, devices, blank files, control characters — and bad files of every kind. The run
always goes on: good articles are kept, each bad file is named on one line, exit 1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.loaders import display_name, iter_files, iter_sources
from pipeline.models import Article, LoadProblem, Page
from search_cli import cli
from tests.helpers import REPO

GOOD_PAGE = (
    "## 肃北县总工会推出马背送学\n\n本报讯（记者康劲）甘肃省肃北蒙古族自治县总工会近日推出“马背送学”"
    "活动，工作人员骑马把技能培训送到牧区职工家中，受到牧民职工欢迎。\n"
)
OTHER_PAGE = (
    "## 宝鸡爱心驿站投入使用\n\n本报讯 宝鸡市总工会建设的52个户外劳动者爱心驿站近日全部建成投用，"
    "为环卫工人和快递员提供歇脚喝水的地方。\n"
)


def invoke(idx: Path, *args: str):
    return CliRunner().invoke(cli, ["--index", str(idx), *args])


def ingest(idx: Path, *args: str):
    return invoke(idx, "ingest", "--no-embed", "--workers", "1", *args)


def skipped_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("skipped ")]


def titles(idx: Path) -> list[str]:
    return [r["title"] for r in json.loads(invoke(idx, "list", "--json").output)]


# --- names -----------------------------------------------------------------------------------


def test_undecodable_file_name_is_ingested_under_an_escaped_name(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(OTHER_PAGE, encoding="utf-8")
    bad = os.path.join(os.fsencode(d), b"bad\xff.txt")
    with open(bad, "wb") as f:
        f.write(GOOD_PAGE.encode("utf-8"))
    idx = tmp_path / "idx"
    r = ingest(idx, str(d))
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    assert sorted(titles(idx)) == ["宝鸡爱心驿站投入使用", "肃北县总工会推出马背送学"]
    hit = json.loads(invoke(idx, "search", "马背送学", "--json", "--mode", "keyword").output)[0]
    assert hit["origin"].endswith("bad\\xff.txt")


def test_display_name_escapes_bytes_and_control_characters():
    assert display_name(b"/tmp/bad\xff.txt") == "/tmp/bad\\xff.txt"
    assert display_name("/tmp/a\x1b[31mred\n.txt") == "/tmp/a\\x1b[31mred\\n.txt"
    assert display_name("/tmp/evil\u202etxt.md") == "/tmp/evil\\u202etxt.md"
    assert display_name("/tmp/工会.txt") == "/tmp/工会.txt"


# --- links, FIFOs, sockets, devices ------------------------------------------------------------


def test_symlink_out_of_the_tree_is_not_followed_unless_asked(tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(GOOD_PAGE, encoding="utf-8")
    (tmp_path / "outside" / "sub").mkdir()
    (tmp_path / "outside" / "sub" / "also.txt").write_text(GOOD_PAGE.replace("马背", "驼背"), encoding="utf-8")
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(OTHER_PAGE, encoding="utf-8")
    (d / "passwd.txt").symlink_to(secret)
    (d / "folder").symlink_to(tmp_path / "outside" / "sub")
    (d / "inner.txt").symlink_to(d / "good.txt")  # a link inside the tree is read
    (d / "loop").symlink_to(d)

    idx = tmp_path / "idx"
    r = ingest(idx, str(d))
    assert r.exit_code == 1, r.output
    lines = skipped_lines(r.stdout)
    assert len(lines) == 2 and all("outside the folder" in x and "--follow-links" in x for x in lines)
    assert any("passwd.txt" in x for x in lines) and any("folder" in x for x in lines)
    assert titles(idx) == ["宝鸡爱心驿站投入使用"]

    idx2 = tmp_path / "idx2"
    r = ingest(idx2, "--follow-links", str(d))
    assert r.exit_code == 0, r.output
    assert len(titles(idx2)) == 3  # the loop back to the folder is not walked twice


def test_symlink_named_on_the_command_line_is_followed(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text(GOOD_PAGE, encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert [type(x) for x in iter_sources([link])] == [Page]
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (problem,) = list(iter_files([tmp_path / "dangling.txt"]))
    assert isinstance(problem, LoadProblem) and "broken symbolic link" in problem.reason


def _ingest_in_subprocess(idx: Path, folder: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "search_cli.py"),
            "--index",
            str(idx),
            "ingest",
            "--no-embed",
            "--workers",
            "1",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def test_fifo_socket_and_device_are_skipped_with_a_message_and_never_hang(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(OTHER_PAGE, encoding="utf-8")
    os.mkfifo(d / "fifo.txt")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock_path = d / "s.txt"
    if len(os.fsencode(sock_path)) < 100:
        sock.bind(str(sock_path))
    (d / "null.txt").symlink_to("/dev/null")  # a device reached through a link
    idx = tmp_path / "idx"
    try:
        p = _ingest_in_subprocess(idx, d)  # before: waited on the FIFO forever
    finally:
        sock.close()
    assert p.returncode == 1, p.stdout + p.stderr
    out = p.stdout + p.stderr
    assert "Traceback" not in out
    assert "fifo.txt: not a regular file (a named pipe (FIFO))" in out
    if sock_path.exists():
        assert "s.txt: not a regular file (a socket)" in out
    assert "null.txt" in out
    assert titles(idx) == ["宝鸡爱心驿站投入使用"]
    (problem,) = list(iter_sources(["/dev/null"]))
    assert "a device" in problem.reason


# --- blank files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,data",
    [
        ("spaces.txt", b"   \n\t\n  \r\n"),
        ("ideographic.txt", "\u3000\u3000\n\u00a0\n".encode("utf-8")),
        ("bom.txt", "\ufeff \u200b\n".encode("utf-8")),
        ("utf16.md", "\n \n".encode("utf-16")),
        ("blank.html", b"  \n\n "),
        ("blank.jsonl", b"\n\n  \n"),
    ],
)
def test_whitespace_only_file_is_named_as_empty(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    (item,) = list(iter_sources([tmp_path / name]))
    assert isinstance(item, LoadProblem) and item.reason.startswith("empty file"), item
    assert item.origin.endswith(name)


# --- a folder of bad files beside good ones ---------------------------------------------------


def _page(word: str) -> str:
    return (
        "## 肃北县总工会推出新举措\n\n本报讯（记者康劲）甘肃省肃北蒙古族自治县总工会近日推出“"
        + word
        + "”活动，工作人员骑马把服务送到牧区职工家中，受到牧民职工欢迎。\n"
    )


def _bad_folder(d: Path) -> dict[str, str]:
    """Good and bad files; returns {bad file name: what its reason must say}."""
    (d / "good.txt").write_text(OTHER_PAGE, encoding="utf-8")
    (d / "gbk.txt").write_bytes(_page("马背送教").encode("gbk"))
    (d / "big5.txt").write_bytes(
        "## 臺北工會舉辦職工讀書會\n\n本報訊 臺北市總工會日前舉辦職工讀書會，吸引許多職工參加。\n".encode("big5")
    )
    (d / "utf16_bom.txt").write_bytes(_page("马背送医").encode("utf-16"))
    (d / "utf16le.txt").write_bytes(_page("马背送书").encode("utf-16-le"))
    (d / "utf16be.txt").write_bytes(_page("马背送法").encode("utf-16-be"))
    (d / "nested.html").write_text(
        "<html><head><title>深层嵌套的工会新闻</title></head><body>"
        + "<div>" * 10_000
        + "<p>本报讯 甘肃省总工会近日推出新举措，为牧民职工送去技能培训。</p>"
        + "</div>" * 10_000
        + "</body></html>",
        encoding="utf-8",
    )
    (d / "articles.jsonl").write_text(
        json.dumps({"title": "JSONL里的好文章", "text": "本报讯 全国总工会召开会议。"}, ensure_ascii=False)
        + "\n"
        + '{"title": "坏行", "text": \n'
        + "[1, 2]\n"
        + json.dumps({"title": "JSONL里的第二篇", "text": "本报讯 工会干部下基层。"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    (d / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (d / "empty.md").write_bytes(b"")
    (d / "cut.html").write_bytes(b"<html><head><title>\xe5\xb7\xa5")
    (d / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    return {
        "binary.txt": "binary",
        "empty.md": "empty file",
        "cut.html": "truncated",
        "image.html": "binary",
        "articles.jsonl:2": "not valid JSON",
        "articles.jsonl:3": "expected a JSON object",
    }


def test_folder_of_bad_files_beside_good_ones_keeps_every_good_article(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    bad = _bad_folder(d)
    idx = tmp_path / "idx"
    p = _ingest_in_subprocess(idx, d)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "Traceback" not in out
    summary_lines = [x for x in p.stdout.splitlines() if x.strip().startswith("skipped ")]
    assert len(summary_lines) == len(bad), p.stdout
    for name, why in bad.items():
        (line,) = [x for x in summary_lines if f"{name}: " in x]
        assert why in line, line
    got = titles(idx)
    for title in (
        "宝鸡爱心驿站投入使用",
        "臺北工會舉辦職工讀書會",
        "深层嵌套的工会新闻",
        "JSONL里的好文章",
        "JSONL里的第二篇",
    ):
        assert title in got
    assert got.count("肃北县总工会推出新举措") == 4  # GBK, UTF-16 with BOM, LE and BE without
    bodies = {
        json.loads(invoke(idx, "show", r["id"], "--json").output)["text"]
        for r in json.loads(invoke(idx, "list", "--json").output)
        if r["title"] == "肃北县总工会推出新举措"
    }
    assert {next(w for w in ("送教", "送医", "送书", "送法") if w in b) for b in bodies} == {
        "送教",
        "送医",
        "送书",
        "送法",
    }


# --- control and bidi characters --------------------------------------------------------------

HOSTILE_TITLE = "工会\x1b[31m红色\x1b[0m标题\x07\u202e反转"
HOSTILE_BODY = (
    "本报讯 甘肃省肃北县总工会推出马背\u200d送\u200b学活动\x1b]0;owned\x07，牧民\u2066职工\u2069受益\x08。\x1b[2J"
)


def test_control_and_bidi_characters_never_reach_the_store_or_the_terminal(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"title": HOSTILE_TITLE, "text": HOSTILE_BODY, "source": "工人\x1b[1m日报"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "p.txt").write_text(
        "## 页面\u202e里的\x1b[5m标题\n\n本报讯 职工\u200c之家\x07建成。\n", encoding="utf-8"
    )
    idx = tmp_path / "idx"
    r = ingest(idx, str(tmp_path / "a.jsonl"), str(tmp_path / "p.txt"))
    assert r.exit_code == 0, r.output
    rows = json.loads(invoke(idx, "list", "--json").output)
    assert sorted(x["title"] for x in rows) == ["工会红色标题反转", "页面里的标题"]
    for row in rows:
        art = json.loads(invoke(idx, "show", row["id"], "--json").output)
        stored = json.dumps(art, ensure_ascii=False)
        assert not any(c in stored for c in "\x1b\x07\x08\u202e\u200b\u200c\u200d\u2066\u2069"), stored
    hits = json.loads(invoke(idx, "search", "马背送学", "--json", "--mode", "keyword").output)
    assert hits and "马背送学活动" in hits[0]["text"]  # the zero-width joiner inside the word is gone
    assert json.loads(invoke(idx, "search", "职工之家", "--json", "--mode", "keyword").output)


def test_terminal_output_is_sanitised_even_for_text_stored_raw(tmp_path):
    """An archive written before cleaning stripped these: show, search and list still print none."""
    from index.archive import Archive
    from pipeline.process import PreparedArticle

    idx = tmp_path / "idx"
    with Archive.open(idx, create=True) as ar:
        ar.ingest_models = []
        with ar.session() as session:
            session.add_prepared(
                [
                    PreparedArticle(
                        Article(title=HOSTILE_TITLE, body=HOSTILE_BODY + " 马背送学", source="工人\x1b[1m日报")
                    )
                ]
            )
    outputs = [invoke(idx, "list").output, invoke(idx, "search", "马背送学", "--mode", "keyword").output]
    aid = json.loads(invoke(idx, "list", "--json").output)[0]["id"]
    outputs.append(invoke(idx, "show", aid).output)
    for out in outputs:
        assert "红色" in out or "马背" in out
        assert not any(c in out for c in "\x1b\x07\x08\u202e\u200b\u200d\u2066\u2069"), repr(out)
