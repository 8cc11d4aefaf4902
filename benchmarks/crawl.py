#!/usr/bin/env python3
"""Crawler fetch rate against the fixture server, and whether fetching or the page callback
is the bottleneck.

    python benchmarks/crawl.py [--system grrb] [--days 40] [--pages 4] [--articles 5] [--delay 0]
    python benchmarks/crawl.py --hostile

The fixture sites (tests/fixtures/sites) are generated at the given size and served by a
separate process (so server and crawler do not share a GIL); throttling is off
(LOCAL_SERVER_OVERRIDES). Three measurements in this one run, on the same pages:
  1. baseline: crawl with a callback that does nothing → fetch pages/s (articles/s);
  2. callback alone: pipeline.html.parse_fetched_page on every page fetched in (1), no
     network → callback pages/s (skipped, and said so, when pipeline.html is missing);
  3. crawl with parse_fetched_page as the callback → pages/s, and its ratio to (1).
The slower of (1) and (2) is the bottleneck; (3) confirms it. `--delay` adds seconds per
response at the server, to see how a slow origin shifts the balance.

--hostile: peak resident memory and time of one crawl (python -m crawler.run, a child
process) per case of the hostile site (tests/fixtures/sites/hostile.py) — a 100 MB page
with and without Content-Length, a gzip bomb, a query-string loop, an endless chain of new
pages, a slow drip — against a baseline crawl of one good page on the same server.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.items import FetchedPage  # noqa: E402
from crawler.run import crawl  # noqa: E402
from crawler.settings import LOCAL_SERVER_OVERRIDES  # noqa: E402
from tests.fixtures.sites.make_sites import build_sites  # noqa: E402


def start_server(root: Path, delay: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.sites.server", str(root), "--delay", str(delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    base = proc.stdout.readline().strip()
    if not base.startswith("http://"):
        proc.kill()
        raise SystemExit("benchmark: fixture server did not start")
    return proc, base


# Runs a module as __main__ and reports its peak resident memory when it exits.
_PEAK_RSS = (
    "import atexit, resource, runpy, sys\n"
    "atexit.register(lambda: print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)
HOSTILE_CASES = [
    ("baseline: one good page", ["content_1.htm"]),
    ("100 MB page, Content-Length", ["content_2.htm"]),
    ("100 MB page, streamed", ["content_3.htm"]),
    ("gzip bomb (1 MB -> 1 GiB)", ["content_4.htm"]),
    ("?loop=N self-links", ["content_5.htm"]),
    ("endless chain of new pages", ["chain"]),
    ("slow drip (never ends)", ["content_10.htm"]),
    ("everything at once", []),
]


def hostile() -> None:
    import re

    print(
        f"hostile site, one crawl per case (crawler.run in a child process, DOWNLOAD_TIMEOUT 5 s, "
        f"day budget {__import__('crawler.settings', fromlist=['x']).CRAWL_DAY_BUDGET})"
    )
    print(f"  {'case':30} {'peak RSS':>9} {'× base':>7} {'time':>7}  outcome")
    baseline_kb = None
    for label, only in HOSTILE_CASES:
        cmd = [sys.executable, "-m", "tests.fixtures.sites.hostile", *[a for o in only for a in ("--only", o)]]
        server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        base = server.stdout.readline().strip()
        try:
            t0 = time.perf_counter()
            run = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _PEAK_RSS,
                    "crawler.run",
                    "founder",
                    "--paper",
                    "ldwb",
                    "--from",
                    "2023-04-03",
                    "--to",
                    "2023-04-03",
                    "--base-url",
                    base,
                    "--local",
                    "--out",
                    "/dev/null",
                    "-s",
                    "DOWNLOAD_TIMEOUT=5",
                    "-s",
                    "LOG_LEVEL=ERROR",
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
            )
            elapsed = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=10)
        peak = re.search(r"PEAK_RSS_KB (\d+)", run.stderr)
        kb = int(peak.group(1)) if peak else 0
        baseline_kb = baseline_kb or kb
        summary = next((line for line in run.stderr.splitlines() if line.startswith("founder")), run.stderr[-200:])
        outcome = re.search(r"(\d+ articles).*errors: ([^;]*)", summary)
        print(
            f"  {label:30} {kb / 1024:7.0f}MB {kb / baseline_kb:6.2f}× {elapsed:6.1f}s  "
            f"{outcome.group(1) + ', errors: ' + outcome.group(2) if outcome else summary} (exit {run.returncode})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--system", default="grrb", choices=["grrb", "grrb-legacy", "founder"])
    ap.add_argument("--days", type=int, default=40)
    ap.add_argument("--pages", type=int, default=4, help="pages per day (at most 6)")
    ap.add_argument("--articles", type=int, default=5, help="articles per page")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds the server waits per response")
    ap.add_argument("--hostile", action="store_true", help="peak memory per hostile-site case instead")
    args = ap.parse_args()
    if args.hostile:
        hostile()
        return

    try:
        from pipeline.html import parse_fetched_page
    except ImportError as exc:  # the pipeline is optional for a fetch-only measurement
        parse_fetched_page = None
        print(f"pipeline.html not importable ({exc}); measuring the fetch only")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sites"
        manifest = build_sites(root, days=args.days, pages_per_day=args.pages, articles_per_page=args.articles)
        first, last = date.fromisoformat(manifest["days"][0]), date.fromisoformat(manifest["days"][-1])
        n_expected = len(manifest["systems"][args.system]["articles"])
        server, base = start_server(root, args.delay)
        try:
            # Warm-up (imports, first connections) so the baseline is not charged for them.
            crawl(args.system, first, first, lambda p: None, base_url=base, settings=LOCAL_SERVER_OVERRIDES)
            fetched: list[FetchedPage] = []
            t0 = time.perf_counter()
            base_stats = crawl(args.system, first, last, fetched.append, base_url=base, settings=LOCAL_SERVER_OVERRIDES)
            fetch_s = time.perf_counter() - t0
            fetch_rate = base_stats.pages_fetched / fetch_s
            print(
                f"{args.system}: {n_expected} articles over {args.days} days × {args.pages} pages; server delay {args.delay}s"
            )
            print(
                f"  1. fetch only        : {base_stats.pages_fetched} pages in {fetch_s:.2f}s = "
                f"{fetch_rate:.1f} pages/s ({len(fetched) / fetch_s:.1f} articles/s)  [baseline]"
            )
            if len(fetched) != n_expected:
                print(f"     note: {len(fetched)} of {n_expected} articles delivered ({base_stats.summary()})")
            if parse_fetched_page is None:
                return

            t0 = time.perf_counter()
            problems = 0
            for p in fetched:
                result = parse_fetched_page(p.body, p.url, p.encoding, p.date, p.page, p.source)
                problems += not hasattr(result, "title")
            parse_s = time.perf_counter() - t0
            parse_rate = len(fetched) / parse_s
            print(
                f"  2. callback alone    : {len(fetched)} pages in {parse_s:.2f}s = {parse_rate:.1f} pages/s "
                f"({problems} LoadProblems)"
            )

            parsed = 0

            def on_page(p: FetchedPage) -> None:
                nonlocal parsed
                parse_fetched_page(p.body, p.url, p.encoding, p.date, p.page, p.source)
                parsed += 1

            t0 = time.perf_counter()
            both_stats = crawl(args.system, first, last, on_page, base_url=base, settings=LOCAL_SERVER_OVERRIDES)
            both_s = time.perf_counter() - t0
            both_rate = both_stats.pages_fetched / both_s
            print(
                f"  3. fetch + callback  : {both_stats.pages_fetched} pages in {both_s:.2f}s = "
                f"{both_rate:.1f} pages/s  (×{both_rate / fetch_rate:.2f} of baseline)"
            )
            article_fetch_rate = len(fetched) / fetch_s
            slower = "callback (parse_fetched_page)" if parse_rate < article_fetch_rate else "fetch"
            print(
                f"  bottleneck: {slower} — articles/s fetched {article_fetch_rate:.1f} vs parsed {parse_rate:.1f} "
                f"(callback takes {parse_s / fetch_s:.0%} of the fetch time)"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
