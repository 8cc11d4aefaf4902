"""Out of space: "disk full while writing <path>", and the archive stays as of its last checkpoint.

For real on a small tmpfs filled nearly to the brim (needs root: mount), and by injecting the
error each engine gives at each step of a checkpoint (vector files, keyword commit, store commit).
"""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import subprocess

import numpy as np
import pytest

from index.archive import Archive, ArchiveDiskFullError
from index.keyword.tantivy_backend import TantivyIndex
from pipeline.loaders import iter_sources
from tests.archive_procs import archive_state, run_cli, seed_archive
from tests.helpers import RMRB, head_lines

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return head_lines(RMRB, tmp_path_factory.mktemp("rmrb") / "rmrb.jsonl", 150)


@pytest.fixture(scope="module")
def few(tmp_path_factory):
    return head_lines(RMRB, tmp_path_factory.mktemp("rmrb-few") / "rmrb.jsonl", 20)


def assert_at_last_checkpoint(root, seed_ids):
    """The store is as before the failed write, no index names an article the store lacks
    that readers would show, and the next writer completes the archive."""
    s = archive_state(root)
    assert s["store"] == seed_ids
    assert s["store"] <= s["keyword"] and s["store"] <= s["static"]
    assert not list((root / "vectors" / "static").glob("*.tmp*")), "temp files left behind"
    r = run_cli(root, "stats", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["articles"] == len(seed_ids), r.stderr


@pytest.fixture
def tiny_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)])


def fill(disk, leave: int) -> None:
    """Take all the free space but ``leave`` bytes."""
    import shutil

    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as f:
        f.truncate(0)
        chunk = b"\0" * (1 << 20)
        todo = free - leave
        while todo > 0:
            f.write(chunk[: min(len(chunk), todo)])
            todo -= len(chunk)


@pytest.mark.parametrize("backend,leave_kb", [("tantivy", 64), ("tantivy", 700), ("whoosh", 300)])
def test_a_real_full_disk_is_named_and_the_archive_stays_whole(tmp_path_factory, tiny_disk, data, backend, leave_kb):
    root = seed_archive(tmp_path_factory, tiny_disk / "a", backend=backend)
    seed_ids = archive_state(root)["store"]
    fill(tiny_disk, leave_kb * 1024)
    r = run_cli(root, "ingest", data, "--workers", "1")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert re.fullmatch(rf"Error: disk full while writing {re.escape(str(root))}/\S+", last), last
    (tiny_disk / "filler").unlink()
    assert_at_last_checkpoint(root, seed_ids)
    r = run_cli(root, "ingest", data, "--workers", "1", "--no-wait")  # space again, and no lock left behind
    assert r.returncode == 0, r.stderr
    s = archive_state(root)
    assert s["store"] == s["keyword"] == s["static"] and len(s["store"]) > len(seed_ids) + 100


# ---------------------------------------------------------------------- each step, injected


class _Proxy:
    def __init__(self, inner):
        object.__setattr__(self, "_inner", inner)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __setattr__(self, name, value):
        setattr(self._inner, name, value)


def inject_vectors_full(monkeypatch):
    real = np.save

    def save(f, arr, **kw):
        if str(getattr(f, "name", "")).endswith(".tmp" + str(os.getpid())) and "vectors." in str(f.name):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(f, arr, **kw)

    monkeypatch.setattr(np, "save", save)
    return r"vectors/static/vectors\.\d+\.npy"


def inject_keyword_full(monkeypatch, message="An IO error occurred: 'No space left on device (os error 28)'"):
    class FullOnCommit(_Proxy):
        def commit(self):
            raise ValueError(message)

    real_w = TantivyIndex._w

    def _w(self):
        real_w(self)
        if not isinstance(self._writer, FullOnCommit):
            self._writer = FullOnCommit(self._writer)
        return self._writer

    monkeypatch.setattr(TantivyIndex, "_w", _w)
    return "keyword"


def inject_store_full(monkeypatch):
    class FullOnCommit(_Proxy):
        def execute(self, sql, *args):
            if sql.strip().upper() == "COMMIT":
                raise sqlite3.OperationalError("database or disk is full")
            return self._inner.execute(sql, *args)

    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **kw: FullOnCommit(real_connect(*a, **kw)))
    return r"store\.sqlite"


@pytest.mark.parametrize(
    "inject", [inject_vectors_full, inject_keyword_full, inject_store_full], ids=["vectors", "keyword", "store"]
)
def test_each_checkpoint_step_reports_disk_full_and_keeps_the_last_checkpoint(
    tmp_path_factory, tmp_path, few, monkeypatch, inject
):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    seed_ids = archive_state(root)["store"]
    where = inject(monkeypatch)
    with Archive.open(root) as ar:
        with pytest.raises(ArchiveDiskFullError) as e:
            ar.ingest(iter_sources([few]), workers=1)
    monkeypatch.undo()
    assert re.fullmatch(rf"disk full while writing {re.escape(str(root))}/{where}", str(e.value)), str(e.value)
    assert_at_last_checkpoint(root, seed_ids)
    with Archive.open(root) as ar:
        assert ar.ingest(iter_sources([few]), workers=1).added > 10
    s = archive_state(root)
    assert s["store"] == s["keyword"] == s["static"]


def test_a_killed_index_writer_counts_as_disk_full_only_when_space_is_short(
    tmp_path_factory, tmp_path, few, monkeypatch
):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    killed = (
        "An error occurred in a thread: 'An index writer was killed.. A worker thread encountered an "
        "error (io::Error most likely) or panicked.'"
    )
    inject_keyword_full(monkeypatch, killed)
    with Archive.open(root) as ar:
        with pytest.raises(ValueError, match="index writer was killed"):  # plenty of space: not called disk full
            ar.ingest(iter_sources([few]), workers=1)
        monkeypatch.setattr("index.durability.free_bytes", lambda path: 4096)
        with pytest.raises(ArchiveDiskFullError, match=r"disk full while writing .*/keyword"):
            ar.ingest(iter_sources([few]), workers=1)
