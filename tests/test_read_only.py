"""A read-only archive (a published copy) serves every read command and refuses writers in one line.

Writes must really fail, and this suite often runs as root, which permission bits do not stop.
So the archive is put on a read-only bind mount (EROFS for everyone, root included), and,
separately, a chmod a-w copy is read by an unprivileged user (setpriv to nobody: EACCES).
Each test skips, saying why, where the machine allows neither.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from search_cli import cli
from tests.archive_procs import CLI, seed_archive

pytestmark = pytest.mark.slow


def _mount_read_only(src: Path, mnt: Path) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only bind mount needs root and mount(8)")
    mnt.mkdir()
    r = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {r.stderr.strip()}")
    r = subprocess.run(["mount", "-o", "remount,bind,ro", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["umount", str(mnt)])
        pytest.skip(f"cannot make the bind mount read-only: {r.stderr.strip()}")


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture(params=["clean", "with-wal"])
def ro_archive(request, tmp_path_factory, tmp_path):
    """The sample archive on a read-only mount: as closed normally (no SQLite side files, read as
    immutable), or copied while its write-ahead log still held a commit (read with mode=ro)."""
    src = seed_archive(tmp_path_factory, tmp_path / "src")
    for side in ("store.sqlite-wal", "store.sqlite-shm", "writer.lock"):
        (src / side).unlink(missing_ok=True)
    if request.param == "with-wal":
        live = tmp_path / "live"
        shutil.copytree(src, live)
        db = sqlite3.connect(live / "store.sqlite", isolation_level=None)
        db.execute("PRAGMA wal_autocheckpoint=0")
        db.execute("UPDATE articles SET title = title || '（更新）' WHERE title LIKE '%持续发力建强县级工会%'")
        shutil.rmtree(src)
        shutil.copytree(live, src)  # the copy holds the commit in store.sqlite-wal only
        db.close()
        assert (src / "store.sqlite-wal").stat().st_size > 0
    mnt = tmp_path / "ro"
    _mount_read_only(src, mnt)
    before = _snapshot(src)
    try:
        yield mnt, request.param
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)])  # busy (a file still open): detach it anyway
    assert _snapshot(src) == before, "a reader changed the archive"


def invoke(root, *args):
    return CliRunner().invoke(cli, ["--index", str(root), *map(str, args)])


def test_every_read_command_works_on_a_read_only_mount(ro_archive, tmp_path):
    root, kind = ro_archive
    with pytest.raises(OSError):
        (root / "probe").write_text("x")  # writes really fail here
    hits = json.loads(invoke(root, "search", "马背送学", "--json").stdout)
    assert hits and "马背送学" in hits[0]["text"]
    for mode in ("keyword", "semantic"):
        r = invoke(root, "search", "马背送学", "--mode", mode, "--json")
        assert r.exit_code == 0 and json.loads(r.stdout), r.output
    aid = hits[0]["id"]
    r = invoke(root, "show", aid, "--json")
    assert r.exit_code == 0, r.output
    if kind == "with-wal":  # the commit still in the write-ahead log is seen
        assert json.loads(r.stdout)["title"].endswith("（更新）")
    r = invoke(root, "stats", "--json")
    assert r.exit_code == 0, r.output
    st = json.loads(r.stdout)
    assert st["read_only"] and st["articles"] == st["keyword_documents"] == 44 and st["consistency"]["consistent"]
    assert r.stderr == ""
    for args in (
        ["list", "--json"],
        ["who", "哪个县推出了马背送学？", "--json"],
        ["entities", "--type", "region", "--json"],
        ["entities", "--region", "甘肃省", "--json"],
        ["similar", aid, "--json"],
        ["export", str(tmp_path / "out"), "--json"],
        ["cases", "--json"],
    ):
        r = invoke(root, *args)
        assert r.exit_code == 0, (args, r.output)
        assert json.loads(r.stdout), args
    who = json.loads(invoke(root, "who", "哪个县推出了马背送学？", "--json").stdout)
    assert "肃北" in who[0]["region"]


@pytest.mark.parametrize("args", [["ingest", "corpus"], ["embed", "--model", "static"], ["rebuild"]])
def test_writers_refuse_a_read_only_archive_in_one_line(ro_archive, args):
    root, _ = ro_archive
    r = invoke(root, *args)
    assert r.exit_code == 1
    assert "read-only" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1, r.output


def test_an_unprivileged_user_reads_a_write_protected_copy(tmp_path_factory):
    """chmod a-w stops everyone but root: run the reads as nobody. nobody keeps one capability,
    CAP_DAC_READ_SEARCH (read any file: the interpreter and model cache under /root), which
    grants no write at all."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv(1) to run as an unprivileged user")
    base = Path(tempfile.mkdtemp(prefix="unionkb-ro-test-"))
    try:
        base.chmod(0o755)
        root = seed_archive(tmp_path_factory, base / "a")
        for side in ("store.sqlite-wal", "store.sqlite-shm"):
            (root / side).unlink(missing_ok=True)
        for p in [root, *root.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        before = _snapshot(root)
        nobody = [
            setpriv,
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=+dac_read_search",
            "--ambient-caps=+dac_read_search",
        ]
        as_nobody = [*nobody, *CLI, "--index", str(root)]
        env = {**os.environ, "HOME": str(base)}

        def run(*args):
            return subprocess.run(
                [*as_nobody, *args], capture_output=True, text=True, env=env, timeout=300, cwd=str(base)
            )

        if subprocess.run([*nobody, CLI[0], "-c", "import click, tantivy"], env=env, cwd=str(base)).returncode:
            pytest.skip("the project cannot be imported as an unprivileged user here")
        probe = subprocess.run([*nobody, "touch", str(root / "probe")], capture_output=True)
        assert probe.returncode != 0, "nobody could write the copy"
        for mode in ("keyword", "hybrid"):
            r = run("search", "马背送学", "--mode", mode, "--json")
            assert r.returncode == 0, r.stderr
        aid = json.loads(r.stdout)[0]["id"]
        for args in (
            ["show", aid, "--json"],
            ["stats", "--json"],
            ["list", "--json"],
            ["who", "哪个县推出了马背送学？", "--json"],
            ["entities", "--json"],
        ):
            r = run(*args)
            assert r.returncode == 0 and json.loads(r.stdout), (args, r.stderr)
        r = run("ingest", str(root / "config.json"))
        assert r.returncode == 1 and "read-only" in r.stderr and "Traceback" not in r.stderr
        assert _snapshot(root) == before
    finally:
        for p in [base, *base.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)
