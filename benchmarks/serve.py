#!/usr/bin/env python3
"""The web server under load: warm /api/search (hybrid) latency at concurrency 1 and
throughput at concurrency 8, over real HTTP on 127.0.0.1, against the People's Daily set.

    python benchmarks/serve.py [--archive DIR] [--rounds 3] [--concurrency 8]

Without --archive the set is ingested into a temporary archive first (a few minutes);
with --archive an existing one is used (built if the folder is empty, then kept).

The server runs as `search_cli.py serve` in its own process; the client here keeps one
HTTP/1.1 connection per worker thread. Baseline, measured in this process on the same
archive and queries: the library call the endpoint wraps, ``Archive.search(q, k=10,
mode="hybrid")``. So server p95 / in-process p95 is what HTTP, the framework and JSON add,
and the concurrency-8 throughput is compared with one in-process caller's.
Target: warm hybrid p95 <= 50 ms at concurrency 1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"
QUERIES = Path(__file__).with_name("queries_rmrb.txt")
TARGET_P95_MS = 50.0


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def build(archive: Path, data: Path) -> None:
    print(f"ingesting {data.name} into {archive} …", flush=True)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "search_cli.py"), "--index", str(archive), "ingest", str(data), "--json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  {time.perf_counter() - t:.0f} s", flush=True)


def start_server(archive: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "search_cli.py"), "--index", str(archive), "serve", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the server did not start")
    return proc, json.loads(line)["url"]


class Client:
    """One keep-alive HTTP/1.1 connection (what a browser or a script's session holds)."""

    def __init__(self, url: str):
        u = urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        return r.status, r.read()

    def close(self) -> None:
        self.conn.close()


def wait_ready(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            c = Client(url)
            if c.get("/api/stats")[0] == 200:
                c.close()
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not answer")
        time.sleep(0.2)


def timed_sequence(client: Client, paths: list[str]) -> list[float]:
    out = []
    for p in paths:
        t = time.perf_counter()
        status, body = client.get(p)
        out.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise SystemExit(f"{p}: HTTP {status}: {body[:200]!r}")
    return out


def concurrent(url: str, paths: list[str], workers: int) -> tuple[float, list[float]]:
    """All paths spread over ``workers`` threads with a connection each: (requests/s, latencies)."""
    lat: list[float] = []
    lock = threading.Lock()
    chunks = [paths[i::workers] for i in range(workers)]
    clients = [Client(url) for _ in range(workers)]
    for c in clients:  # connect outside the timing
        c.get("/api/stats")
    start = threading.Barrier(workers + 1)

    def run(c: Client, chunk: list[str]) -> None:
        start.wait()
        mine = timed_sequence(c, chunk)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=run, args=(c, ch)) for c, ch in zip(clients, chunks)]
    for th in threads:
        th.start()
    start.wait()
    t = time.perf_counter()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t
    for c in clients:
        c.close()
    return len(paths) / seconds, lat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path, help="use (or build and keep) the archive here")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--rounds", type=int, default=3, help="passes over the 100 queries per measurement")
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()

    tmp = None
    archive = args.archive
    if archive is None:
        tmp = Path(tempfile.mkdtemp(prefix="unionkb-serve-bench-"))
        archive = tmp / "archive"
    if not (archive / "store.sqlite").exists():
        build(archive, args.data)
    queries = [q for q in QUERIES.read_text(encoding="utf-8").splitlines() if q.strip()]
    api = [f"/api/search?q={quote(q)}&k=10&mode=hybrid" for q in queries]
    proc, url = start_server(archive)
    try:
        wait_ready(url)
        # baseline: the library call itself, in this process (the server process is idle meanwhile)
        from unionkb import Archive

        with Archive.open(archive) as ar:
            n_articles = ar.store.count()
            model = ar.best_model()
            for q in queries:  # warm: model, dictionaries, OS caches
                ar.search(q, k=10, mode="hybrid")
            base = []
            for _ in range(args.rounds):
                for q in queries:
                    t = time.perf_counter()
                    ar.search(q, k=10, mode="hybrid")
                    base.append((time.perf_counter() - t) * 1000)
        client = Client(url)
        timed_sequence(client, api)  # warm the server the same way
        c1 = []
        for _ in range(args.rounds):
            c1 += timed_sequence(client, api)
        page = timed_sequence(client, [f"/search?q={quote(q)}" for q in queries])
        kw = timed_sequence(client, [f"/api/search?q={quote(q)}&k=10&mode=keyword" for q in queries])
        client.close()
        rps8, c8 = concurrent(url, api * args.rounds, args.concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    base_rps = 1000 / statistics.mean(base)
    p95 = percentile(c1, 95)
    print(
        f"archive: {n_articles} articles ({archive}); hybrid with {model} vectors; {len(queries)} queries x "
        f"{args.rounds} rounds; {os.cpu_count()} CPUs"
    )
    print(
        f"baseline Archive.search in-process: p50 {percentile(base, 50):.1f} ms, p95 {percentile(base, 95):.1f} ms, "
        f"{base_rps:.0f} queries/s (one caller)"
    )
    print(
        f"GET /api/search hybrid, concurrency 1: p50 {percentile(c1, 50):.1f} ms, p95 {p95:.1f} ms "
        f"-> server/in-process p95 = {p95 / percentile(base, 95):.2f}x"
    )
    print(
        f"GET /api/search hybrid, concurrency {args.concurrency}: {rps8:.0f} requests/s "
        f"({rps8 / base_rps:.2f}x one in-process caller), p50 {percentile(c8, 50):.1f} ms, "
        f"p95 {percentile(c8, 95):.1f} ms"
    )
    print(f"GET /api/search keyword, concurrency 1: p50 {percentile(kw, 50):.1f} ms, p95 {percentile(kw, 95):.1f} ms")
    print(
        f"GET /search page (HTML, 100 ranked + facets + chart), concurrency 1: p50 {percentile(page, 50):.1f} ms, "
        f"p95 {percentile(page, 95):.1f} ms"
    )
    print(
        f"target: warm hybrid p95 <= {TARGET_P95_MS:.0f} ms at concurrency 1: "
        f"{'met' if p95 <= TARGET_P95_MS else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
