"""Distributed crawling: two crawler processes share one scrapy-redis queue and duplicate
filter in a real redis-server (Debian's, started here on a free loopback port), against one
fixture site. Every article page must be delivered exactly once across both processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.fixtures.sites.make_sites import build_sites
from tests.fixtures.sites.server import serve

REPO = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server")

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server binary not found (Debian: apt-get install -y redis-server)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    import redis

    port = _free_port()
    proc = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def _worker(system: str, days: list[str], base: str, redis: str, out: Path) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "crawler.run",
        system,
        "--from",
        days[0],
        "--to",
        days[-1],
        "--base-url",
        base,
        "--redis",
        redis,
        "--out",
        str(out),
        "--local",
        # One request at a time per process against a slow server: no worker holds more
        # than it is fetching, and the crawl lasts long enough for both to take work.
        "-s",
        "CONCURRENT_REQUESTS=1",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _delivered(out: Path) -> list[str]:
    if not out.exists():
        return []
    return [json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()]


def test_two_processes_share_one_queue_and_deliver_each_article_once(tmp_path, redis_url):
    import redis

    manifest = build_sites(tmp_path / "sites")
    site = manifest["systems"]["grrb"]
    base, stop, hits = serve(tmp_path / "sites", delay=0.1)
    outs = [tmp_path / "worker-a.jsonl", tmp_path / "worker-b.jsonl"]
    try:
        workers = [_worker("grrb", manifest["days"], base, redis_url, out) for out in outs]
        for w in workers:
            _out, err = w.communicate(timeout=120)
            assert w.returncode == 0, err
        per_worker = [_delivered(out) for out in outs]

        # A third process on the same range after both finished: the shared duplicate
        # filter has seen every page, so it fetches nothing and delivers nothing.
        n_hits = len(hits)
        late_out = tmp_path / "worker-late.jsonl"
        late = _worker("grrb", manifest["days"], base, redis_url, late_out)
        _out, err = late.communicate(timeout=60)
        assert late.returncode == 0, err
        late_hits = hits[n_hits:]
    finally:
        stop()

    expected = {base + a["path"] for a in site["articles"]}
    counts = Counter(url for urls in per_worker for url in urls)
    assert set(counts) == expected
    assert max(counts.values()) == 1, [u for u, n in counts.items() if n > 1]
    assert all(per_worker), f"one worker did no work: {[len(u) for u in per_worker]}"
    # At the server: each article page answered once with 200 (the flaky one after a 500).
    article_paths = {a["path"] for a in site["articles"]}
    ok = Counter(h.path for h in hits[:n_hits] if h.path in article_paths and h.status == 200)
    assert ok == Counter(article_paths)
    assert _delivered(late_out) == []
    assert {h.path for h in late_hits} <= {"/robots.txt"}
    # The shared state outlives the workers but expires.
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("unionkb:grrb:*")
    assert keys and all(0 < client.ttl(k) <= 24 * 3600 for k in keys)
    assert not client.keys("unionkb:grrb:*:busy:*")
