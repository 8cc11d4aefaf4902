"""A long-lived reader (a server) beside writers in other processes: it never blocks, sees each
checkpoint once committed, and keeps answering across a rebuild's swap of the keyword index."""

from __future__ import annotations

import pytest

from index.archive import Archive
from tests.archive_procs import Proc, run_cli, seed_archive
from tests.helpers import RMRB, head_lines

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["tantivy", "whoosh"])
def test_a_reader_open_across_ingest_and_rebuild(tmp_path_factory, tmp_path, backend):
    root = seed_archive(tmp_path_factory, tmp_path / "a", backend=backend)
    data = head_lines(RMRB, tmp_path / "rmrb.jsonl", 30)
    with Archive.open(root) as reader:
        first = reader.search("马背送学", k=1)[0].id
        n0 = reader.store.count()
        assert reader.vectors("static").count() == n0
        r = run_cli(root, "ingest", data, "--workers", "1")
        assert r.returncode == 0, r.stderr
        n1 = reader.store.count()
        assert n1 > n0
        assert reader.vectors("static").count() == n1  # vectors saved by the other process are taken in
        new = [sa for sa in reader.store.iter_articles()][-1].article
        hits = [h.title for h in reader.search(new.title, k=3, mode="keyword")]
        assert new.title in hits
        assert reader.check().consistent and reader.warnings() == []
        # a rebuild in another process replaces the keyword directory under the reader
        p = Proc(root, "rebuild")
        assert p.finish() == 0, p.text()
        assert not (root / "keyword").exists()
        assert reader.search("马背送学", k=1)[0].id == first
        assert new.title in [h.title for h in reader.search(new.title, k=3, mode="keyword")]
