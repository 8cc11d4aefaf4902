"""The server keeps one archive open while other processes write to it: searches keep
answering during a real `search_cli.py ingest` / `embed`, and the new articles and vectors
show up once they are committed. Also `serve` itself, over real HTTP."""

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient

from tests.helpers import CORPUS, REPO, cli_ok
from unionkb.web import create_app

NEW = 300  # articles the second process adds


def write_batch(path, n: int) -> None:
    rows = [
        {
            "title": f"雪域驿站第{i}站开门迎客",
            "date": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "source": "测试报",
            "text": f"西藏自治区拉萨市总工会建成雪域驿站第{i}站，为户外劳动者提供热水、休息和充电服务，"
            f"这是当地第{i}个服务站点。驿站编号{i:04d}，由工会干部轮流值守。",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def run_cli(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "search_cli.py"), *map(str, args)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def poll_while_running(client, proc, seconds: float = 600, pause: float = 0.05):
    """Query the server in a loop until the process ends: (status codes, article counts seen)."""
    statuses, counts = [], []
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        statuses.append(client.get("/api/search?q=工会&k=5").status_code)
        statuses.append(client.get("/api/search?q=职工&mode=keyword&k=5").status_code)
        stats = client.get("/api/stats")
        statuses.append(stats.status_code)
        counts.append(stats.json()["articles"])
        time.sleep(pause)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    return statuses, counts


@pytest.fixture
def idx(tmp_path, embedding_models):
    d = tmp_path / "archive"
    cli_ok(d, "ingest", CORPUS)
    return d


def test_searches_keep_working_during_an_ingest_and_see_its_articles_after_the_checkpoint(tmp_path, idx):
    batch = tmp_path / "new.jsonl"
    write_batch(batch, NEW)
    with TestClient(create_app(idx)) as client:
        before = client.get("/api/stats").json()["articles"]
        assert client.get('/api/search?q="雪域驿站"&mode=keyword').json() == []
        proc = run_cli("--index", idx, "ingest", batch, "--json")
        statuses, counts = poll_while_running(client, proc)
        assert len(counts) >= 3, "the ingest ended before the server was asked anything"
        assert set(statuses) == {200}
        # one checkpoint: the server saw the archive before it or after it, never half of it
        assert set(counts) <= {before, before + NEW}
        stats = client.get("/api/stats").json()
        assert stats["articles"] == before + NEW
        assert stats["keyword_documents"] == stats["articles"]  # the indexes are whole
        assert stats["vectors"]["static"] == stats["articles"]
        assert client.app.state.live.reloads >= 1
        hits = client.get("/api/search?q=雪域驿站第7站&k=3").json()
        assert hits[0]["title"] == "雪域驿站第7站开门迎客"  # hybrid: the new keyword index and vectors
        page = client.get("/search?q=雪域驿站&mode=keyword").text
        assert "雪域驿站" in page and "拉萨市" in page
        assert client.get(f"/api/similar/{hits[0]['id']}?k=3").status_code == 200


@pytest.mark.slow
def test_searches_keep_working_during_embed_and_then_use_the_new_vectors(idx):
    with TestClient(create_app(idx)) as client:
        assert "e5-small" not in client.get("/api/stats").json()["vectors"]
        proc = run_cli("--index", idx, "embed", "--model", "e5-small", "--json")
        statuses, _ = poll_while_running(client, proc, pause=0.3)  # leave the two cores to the model
        assert set(statuses) == {200}
        stats = client.get("/api/stats").json()
        assert stats["vectors"]["e5-small"] == stats["articles"]
        hits = client.get("/api/search?q=给送外卖的人提供歇脚喝水的地方&mode=semantic&k=5").json()
        assert hits and client.app.state.live.reloads >= 1


def test_serve_command_answers_over_real_http(idx):
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "search_cli.py"),
            "--index",
            str(idx),
            "serve",
            "--port",
            "0",
            "--json",
            "--no-warm",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert info["url"].startswith("http://127.0.0.1:") and info["articles"] == 44
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(info["url"] + "api/stats", timeout=10) as r:
                    stats = json.load(r)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert stats["articles"] == 44
        with urllib.request.urlopen(info["url"] + "search?q=%E9%A9%AC%E8%83%8C%E9%80%81%E5%AD%A6", timeout=30) as r:
            assert "肃北" in r.read().decode("utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
