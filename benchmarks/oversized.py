"""Oversized input: ingest time and memory must grow linearly and stay bounded.

Generates, in a temporary folder (never in the repository), a text page of S and 4·S MB
made of the sample pages (every copy's paragraphs made unique, so nothing is skipped as a
duplicate), a JSONL file whose one record is R MB, and F small page files; ingests each
with the CLI in a subprocess and samples the whole process tree (parent and workers):

  peak RSS summed over the tree (counts pages the forked workers share once per process)
  peak PSS summed over the tree (shared pages split between them: the real footprint)
  CPU seconds of the tree (wall time on a shared machine says little)

and reports the CPU ratio of the 4·S page to the S page (4.0 is linear).

    python benchmarks/oversized.py                       # S=2.5, R=50, F=5000
    python benchmarks/oversized.py --page-mb 1 --files 500 --record-mb 10
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pages() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus").glob("*.txt"))]


def _unique(text: str, i: int) -> str:
    return "\n".join(line + f"第{i}号。" if len(line) > 30 else line for line in text.split("\n"))


def write_page(path: Path, mb: float) -> None:
    pages = _pages()
    with path.open("w", encoding="utf-8") as f:
        i = 0
        while f.tell() < mb * 1_000_000:
            f.write(_unique(pages[i % len(pages)], i) + "\n\n")
            i += 1


def write_record(path: Path, mb: float) -> None:
    pages = _pages()
    body, size, i = [], 0, 0
    while size < mb * 1_000_000:
        body.append(_unique(pages[i % len(pages)], i))
        size += len(body[-1].encode("utf-8"))
        i += 1
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"title": "巨大的记录", "text": "".join(body)}, ensure_ascii=False) + "\n")
        f.write(json.dumps({"title": "正常的记录", "text": "本报讯 全国总工会召开会议。"}, ensure_ascii=False) + "\n")


def write_files(folder: Path, n: int) -> None:
    folder.mkdir()
    pages = _pages()
    for i in range(n):
        p = pages[i % len(pages)]
        start = (i * 2000) % max(1, len(p) - 3000)
        (folder / f"p{i:05d}.txt").write_text(_unique(p[start : start + 3000], i), encoding="utf-8")


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                todo += [int(x) for x in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
        except OSError:
            pass
    return out


def _rss_pss(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def measure(args: list[str]) -> dict:
    """Run the CLI; peak tree RSS/PSS (MB), CPU and wall seconds, exit code, JSON summary."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "search_cli.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        mems = [_rss_pss(p) for p in _tree(proc.pid)]
        peak_rss = max(peak_rss, sum(m[0] for m in mems))
        peak_pss = max(peak_pss, sum(m[1] for m in mems))
        time.sleep(0.2)
    out, err = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        summary = json.loads(out)
    except ValueError:
        summary = {}
    return {
        "exit": proc.returncode,
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(cpu, 1),
        "peak_tree_rss_mb": peak_rss // 1024,
        "peak_tree_pss_mb": peak_pss // 1024,
        "articles": summary.get("articles"),
        "skipped": [s["reason"] for s in summary.get("skipped", [])][:3],
        "traceback": "Traceback" in err,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page-mb", type=float, default=2.5, help="size S of the smaller text page (MB)")
    ap.add_argument("--record-mb", type=float, default=50)
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--embed", action="store_true", help="also embed with the static model (default --no-embed)")
    a = ap.parse_args()
    embed = [] if a.embed else ["--no-embed"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="unionkb-oversized-") as tmp:
        t = Path(tmp)
        for name, mb in (("page_S", a.page_mb), ("page_4S", 4 * a.page_mb)):
            write_page(t / f"{name}.txt", mb)
            results[f"{name} ({mb:g} MB)"] = measure(
                ["--index", str(t / f"idx_{name}"), "ingest", *embed, "--json", str(t / f"{name}.txt")]
            )
        write_record(t / "record.jsonl", a.record_mb)
        results[f"one {a.record_mb:g} MB JSONL record"] = measure(
            ["--index", str(t / "idx_rec"), "ingest", *embed, "--json", str(t / "record.jsonl")]
        )
        write_files(t / "files", a.files)
        results[f"{a.files} small files"] = measure(
            ["--index", str(t / "idx_files"), "ingest", *embed, "--json", str(t / "files")]
        )
    for name, r in results.items():
        print(f"{name:28} {json.dumps(r, ensure_ascii=False)}")
    small, big = (results[k]["cpu_s"] for k in list(results)[:2])
    print(f"CPU ratio 4S/S page: {big / max(small, 1e-9):.2f} (4.0 = linear)")


if __name__ == "__main__":
    main()
