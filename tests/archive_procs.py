"""Real processes against real archives: the CLI in a subprocess, its output collected as it comes,
and a seed archive (the sample corpus) built once per test session and copied per test."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.helpers import CORPUS, REPO

CLI = [sys.executable, str(REPO / "search_cli.py")]


class Proc:
    """A CLI process whose stdout and stderr are read line by line in the background."""

    def __init__(self, index: Path, *args: str, env: dict | None = None, cmd: list[str] | None = None):
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        argv = cmd if cmd is not None else [*CLI, "--index", str(index), *map(str, args)]
        self.p = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, cwd=str(REPO)
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._err_q: queue.Queue[str] = queue.Queue()
        for stream, sink, q in ((self.p.stdout, self.out, None), (self.p.stderr, self.err, self._err_q)):
            threading.Thread(target=self._pump, args=(stream, sink, q), daemon=True).start()

    @staticmethod
    def _pump(stream, sink: list[str], q) -> None:
        for line in iter(stream.readline, ""):
            # tqdm redraws with \r: keep each redraw as its own line
            for part in line.replace("\r", "\n").splitlines():
                sink.append(part)
                if q is not None:
                    q.put(part)

    @property
    def pid(self) -> int:
        return self.p.pid

    def wait_for_stderr(self, pattern: str, timeout: float = 180.0) -> str:
        """The first stderr line matching ``pattern`` (a regex), waiting for it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._err_q.get(timeout=0.2)
            except queue.Empty:
                if self.p.poll() is not None and self._err_q.empty():
                    time.sleep(0.2)  # let the pump drain
                    if self._err_q.empty():
                        break
                continue
            if rx.search(line):
                return line
        raise AssertionError(f"no stderr line matching {pattern!r} (exit {self.p.poll()}):\n" + self.text())

    def finish(self, timeout: float = 300.0) -> int:
        rc = self.p.wait(timeout=timeout)
        time.sleep(0.1)
        return rc

    def text(self) -> str:
        return "\n".join(["--- stdout", *self.out, "--- stderr", *self.err])

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def run_cli(index: Path, *args: str, env: dict | None = None, timeout: float = 300.0) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*CLI, "--index", str(index), *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=str(REPO),
    )


def seed_archive(tmp_path_factory, dest: Path, backend: str = "tantivy") -> Path:
    """A copy of an archive of the sample corpus (built once per session and backend)."""
    from index.archive import Archive
    from pipeline.loaders import iter_sources

    master = tmp_path_factory.getbasetemp() / f"seed-archive-{backend}"
    if not (master / "config.json").exists():
        building = master.with_name(master.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        with Archive.open(building, create=True, backend=backend) as ar:
            ar.ingest(iter_sources([CORPUS]), workers=1)
        building.rename(master)
    shutil.copytree(master, dest)
    return dest


def archive_state(root: Path) -> dict:
    """What each part of an archive holds, read directly (store, keyword index, each model's vectors)."""
    from index.archive import Archive
    from index.semantic.vectors import VectorIndex

    with Archive.open(root) as ar:
        state = {"store": ar.store.ids(), "keyword": ar._open_keyword().ids()}
        for model in ar.vector_models():
            state[model] = VectorIndex.saved_ids(ar._vector_dir(model)) or set()
        state["keyword_dirs"] = sorted(d.name for d in root.glob("keyword*") if d.is_dir())
    return state
