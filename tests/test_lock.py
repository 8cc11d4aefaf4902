"""One writer at a time: real processes for each pair of writers (ingest, embed, rebuild, crawl).

A holder process is stopped just after it took the archive's lock (UNIONKB_PAUSE_AT), so the
second writer certainly meets it: it must wait, saying whom for, or with --no-wait exit 1 with
that message; readers meanwhile answer at once. Then two writers are simply started together
on real work, which without the lock lost vectors or crashed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time

import pytest
from click.testing import CliRunner

from index.lock import LOCK_FILE, read_holder
from search_cli import cli
from tests.archive_procs import Proc, archive_state, run_cli, seed_archive
from tests.fixtures.sites.make_sites import build_sites
from tests.fixtures.sites.server import serve
from tests.helpers import RMRB, head_lines

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("sites")
    manifest = build_sites(root)
    base, stop, _hits = serve(root)
    yield base, manifest
    stop()


@pytest.fixture(scope="module")
def rmrb_parts(tmp_path_factory):
    """Two disjoint slices of the People's Daily set, as JSONL files."""
    d = tmp_path_factory.mktemp("rmrb")
    lines = head_lines(RMRB, d / "all.jsonl", 360).read_text(encoding="utf-8").splitlines(keepends=True)
    parts = []
    for n, (a, b) in enumerate(((0, 30), (30, 60), (60, 210), (210, 360))):
        p = d / f"part{n}.jsonl"
        p.write_text("".join(lines[a:b]), encoding="utf-8")
        parts.append(p)
    return parts


def writer_args(kind: str, data, site) -> list[str]:
    if kind == "ingest":
        return ["ingest", str(data), "--workers", "1"]
    if kind == "embed":
        return ["embed", "--model", "static"]
    if kind == "rebuild":
        return ["rebuild"]
    if kind == "crawl":
        base, manifest = site
        days = manifest["days"]
        return ["crawl", "founder", "--from", days[0], "--to", days[-1], "--base-url", base]
    raise ValueError(kind)


def hold(root, kind, data, site, flag) -> Proc:
    """Start a writer and wait until it holds the lock and stands still there."""
    flag.touch()
    p = Proc(
        root, *writer_args(kind, data, site), env={"UNIONKB_PAUSE_AT": "writer_locked", "UNIONKB_PAUSE_FILE": str(flag)}
    )
    p.wait_for_stderr(r"^paused at writer_locked")
    return p


def assert_whole(root):
    s = archive_state(root)
    assert s["store"] == s["keyword"], "store and keyword index disagree"
    assert s["store"] == s["static"], "store and static vectors disagree"
    assert len(s["keyword_dirs"]) == 1


PAIRS = [
    ("ingest", "ingest"),
    ("ingest", "embed"),
    ("embed", "embed"),
    ("rebuild", "ingest"),
    ("embed", "rebuild"),
    ("crawl", "ingest"),
    ("ingest", "crawl"),
]


@pytest.mark.parametrize("first,second", PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_a_second_writer_waits_naming_the_holder_while_readers_answer(
    tmp_path_factory, tmp_path, rmrb_parts, site, first, second
):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    flag = tmp_path / "hold"
    a = hold(root, first, rmrb_parts[0], site, flag)
    try:
        b = Proc(root, *writer_args(second, rmrb_parts[1], site))
        line = b.wait_for_stderr(r"^waiting: ")
        assert re.search(rf"busy: being written by pid {a.pid} \(.* {first}\b.*\), since ", line), line
        # readers neither wait nor fail while the writers queue
        t0 = time.monotonic()
        r = CliRunner().invoke(cli, ["--index", str(root), "search", "马背送学", "--mode", "keyword", "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)[0]["title"]
        assert time.monotonic() - t0 < 30
        time.sleep(0.5)
        assert b.p.poll() is None, "the second writer did not wait:\n" + b.text()
    finally:
        flag.unlink(missing_ok=True)
    assert a.finish() == 0, a.text()
    assert b.finish() == 0, b.text()
    assert "Traceback" not in a.text() + b.text()
    assert_whole(root)


@pytest.mark.parametrize("second", ["ingest", "embed", "rebuild", "crawl"])
def test_no_wait_exits_1_at_once_with_the_holder(tmp_path_factory, tmp_path, rmrb_parts, site, second):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    flag = tmp_path / "hold"
    a = hold(root, "ingest", rmrb_parts[0], site, flag)
    try:
        t0 = time.monotonic()
        r = run_cli(root, *writer_args(second, rmrb_parts[1], site), "--no-wait")
        assert r.returncode == 1, r.stdout + r.stderr
        assert time.monotonic() - t0 < 60
        assert "Traceback" not in r.stderr
        msg = r.stderr.strip().splitlines()[-1]
        assert re.search(rf"busy: being written by pid {a.pid} \(.*ingest .*\), since \d{{4}}-\d\d-\d\d", msg), msg
    finally:
        flag.unlink(missing_ok=True)
    assert a.finish() == 0, a.text()
    assert_whole(root)


def test_two_ingests_started_together_keep_every_vector(tmp_path_factory, tmp_path, rmrb_parts):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    procs = [Proc(root, "ingest", str(part), "--workers", "1", "--json") for part in rmrb_parts[2:]]
    for p in procs:
        assert p.finish() == 0, p.text()
    added = sum(json.loads("\n".join(p.out))["added"] for p in procs)
    assert added >= 280
    s = archive_state(root)
    assert len(s["store"]) == 44 + added
    assert s["store"] == s["keyword"] == s["static"]


def test_two_embeds_started_together_both_succeed(tmp_path_factory, tmp_path, rmrb_parts):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    r = run_cli(root, "ingest", rmrb_parts[2], "--workers", "1", "--no-embed")
    assert r.returncode == 0, r.stderr
    procs = [Proc(root, "embed", "--model", "static", "--batch-size", "16") for _ in range(2)]
    for p in procs:
        assert p.finish() == 0, p.text()
        assert "Traceback" not in p.text()
    s = archive_state(root)
    assert s["store"] == s["static"]


def test_a_killed_writer_leaves_no_lock_behind(tmp_path_factory, tmp_path, rmrb_parts, site):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    a = hold(root, "ingest", rmrb_parts[0], site, tmp_path / "hold")
    a.kill()
    holder = read_holder(root)
    assert holder is not None and holder.pid == a.pid and not holder.alive()  # stale text, no lock
    r = run_cli(root, "ingest", rmrb_parts[1], "--workers", "1", "--no-wait")
    assert r.returncode == 0, r.stderr
    assert (root / LOCK_FILE).read_text() == ""  # released cleanly: no holder named
    assert_whole(root)


FORK_SCRIPT = """
import os, sys, time
from index.lock import WriterLock
WriterLock(sys.argv[1]).acquire("parent")
if os.fork() == 0:      # a worker, as the pipeline forks them
    time.sleep(20)
    os._exit(0)
print("forked", flush=True)
os._exit(0)             # the parent dies without releasing anything; the worker lives on
"""


def test_a_forked_worker_outliving_its_writer_does_not_keep_the_lock(tmp_path):
    parent = Proc(tmp_path, cmd=[sys.executable, "-c", FORK_SCRIPT, str(tmp_path)])
    assert parent.finish(60) == 0, parent.text()
    assert parent.out == ["forked"]
    probe = Proc(
        tmp_path,
        cmd=[
            sys.executable,
            "-c",
            "import sys; from index.lock import WriterLock; "
            "WriterLock(sys.argv[1]).acquire('probe', wait=False); print('locked')",
            str(tmp_path),
        ],
    )
    assert probe.finish(60) == 0, probe.text()
    assert probe.out == ["locked"]


def test_a_read_only_archive_directory_refuses_writers_in_one_line(tmp_path_factory, tmp_path):
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("needs root and chattr to make a directory that refuses even root's writes")
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    (root / LOCK_FILE).unlink(missing_ok=True)
    if os.system(f"chattr +i {root} 2>/dev/null") != 0:
        pytest.skip("this file system does not support the immutable attribute")
    try:
        r = run_cli(root, "embed", "--model", "static")
        assert r.returncode == 1
        assert "read-only" in r.stderr and "Traceback" not in r.stderr
    finally:
        os.system(f"chattr -i {root}")
