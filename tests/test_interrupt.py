"""Interrupting an ingest (Ctrl-C, SIGTERM) ends it without a worker's traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _write_articles(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(
                json.dumps(
                    {
                        "title": f"全国总工会举行第{i}次会议",
                        "date": "2019-02-01",
                        "text": f"本报北京1月31日电（记者杜一菲）全国总工会31日召开第{i}次会议，研究职工服务工作。"
                        * 30,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("how", ["SIGINT to the process group", "SIGTERM to the parent"])
def test_interrupted_ingest_prints_no_worker_traceback(tmp_path, how):
    data = tmp_path / "many.jsonl"
    _write_articles(data, 40_000)
    p = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "search_cli.py"),
            "--index",
            str(tmp_path / "idx"),
            "ingest",
            "--no-embed",
            "--workers",
            "2",
            str(data),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len(_children(p.pid)) < 2 and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.2)
        workers = _children(p.pid)
        assert len(workers) >= 2, "the pipeline workers never started"
        time.sleep(3)  # results in flight between the workers and the parent
        assert p.poll() is None, "ingest finished before it could be interrupted; give it more input"
        if how.startswith("SIGINT"):
            os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        else:
            p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=120)  # waits for the workers too: they hold stderr
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert "Traceback" not in err and "Error" not in err, err[-2000:]
    # Ctrl-C: click's "Aborted!" (exit 1) or the CLI's "interrupted" (130); SIGTERM: its default
    assert p.returncode in ((1, 130) if how.startswith("SIGINT") else (-signal.SIGTERM, 143)), err[-500:]
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(Path(f"/proc/{w}").exists() for w in workers), "a worker outlived the ingest"


def _double(x: str) -> int:
    return 2 * len(x)


def test_ordered_map_keeps_only_two_batches_of_text_in_flight():
    """Huge items (pieces of a 200 MB page) are batched by their text, not only by count."""
    from pipeline.parallel import ordered_map

    pulled = 0

    def items():
        nonlocal pulled
        for _ in range(40):
            pulled += 1
            yield "字" * 1000

    seen = []
    for result in ordered_map(_double, items(), processes=2, batch=256, size=len, batch_size=3000):
        seen.append(pulled)
        assert result == 2000
    assert len(seen) == 40
    assert seen[0] <= 6  # two batches of three 1,000-character items, not 2 x 256 items
