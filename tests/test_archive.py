"""Archive-level guarantees: checkpoints, reconciling indexes with the store, and a killed ingest."""

import os
import signal
import subprocess
import sys
import time

from index.archive import Archive
from pipeline.loaders import iter_sources
from tests.helpers import CORPUS, REPO, RMRB, head_lines


def test_store_and_keyword_index_agree_after_ingest(tmp_path):
    with Archive.open(tmp_path / "a", create=True) as ar:
        rep = ar.ingest(iter_sources([CORPUS]), workers=1)
        assert rep.added > 20 and rep.pages == 5
        assert ar.store.ids() == ar.keyword.ids()


def test_reconcile_repairs_an_index_that_lost_or_gained_documents(tmp_path):
    with Archive.open(tmp_path / "a", create=True) as ar:
        ar.ingest(iter_sources([CORPUS]), workers=1)
        ids = sorted(ar.store.ids())
        with ar.writing():
            ar.keyword.delete(ids[:3])
            ar.keyword.commit()
            assert ar.keyword.count() == len(ids) - 3
            added, removed = ar.reconcile()
        assert (added, removed) == (3, 0)
        assert ar.keyword.ids() == set(ids)


def test_rebuild_from_store_gives_the_same_results(tmp_path):
    with Archive.open(tmp_path / "a", create=True) as ar:
        ar.ingest(iter_sources([CORPUS]), workers=1)
        before = [r.id for r in ar.search("职工之家", k=5)]
        ar.rebuild_keyword_index()
        assert [r.id for r in ar.search("职工之家", k=5)] == before


KILL_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from index.archive import Archive
from pipeline.loaders import iter_sources
with Archive.open({root!r}) as ar:
    ar.ingest(iter_sources([{data!r}]), workers=1, checkpoint=50,
              on_progress=lambda r: print(r.added, flush=True))
"""


def test_sigkill_half_way_leaves_the_previous_index_searchable_and_whole(tmp_path):
    root = tmp_path / "a"
    with Archive.open(root, create=True) as ar:
        ar.ingest(iter_sources([CORPUS]), workers=1)
        seed_ids = ar.store.ids()
        seed_hit = ar.search("马背送学")[0].id
    data = head_lines(RMRB, tmp_path / "rmrb.jsonl", 600)
    p = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT.format(repo=str(REPO), root=str(root), data=str(data))],
        stdout=subprocess.PIPE,
        text=True,
    )
    # wait until it is past at least one checkpoint, then kill it without warning
    for line in p.stdout:
        if int(line.split()[0]) >= 120:
            break
    time.sleep(0.3)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    with Archive.open(root) as ar:
        stored = ar.store.ids()
        assert seed_ids <= stored
        assert stored <= ar.keyword.ids(), "the store names an article the keyword index lacks"
        assert ar.search("马背送学")[0].id == seed_hit
        rep = ar.ingest(iter_sources([data]), workers=1)  # resumes: adds only what is missing
        assert ar.store.ids() == ar.keyword.ids()
        assert ar.store.count() == len(seed_ids) + rep.added + (len(stored) - len(seed_ids))


def test_parallel_ingest_gives_the_same_archive_as_serial(tmp_path):
    data = head_lines(RMRB, tmp_path / "rmrb.jsonl", 150)
    results = []
    for workers in (1, 2):
        with Archive.open(tmp_path / f"w{workers}", create=True) as ar:
            ar.ingest(iter_sources([CORPUS, data]), workers=workers)
            ids = [sa.id for sa in ar.store.iter_articles()]
            hits = [[r.id for r in ar.search(q, k=10)] for q in ("职工之家", '"集体协商"', "疫情 防控", "4000万元")]
            mentions = sorted((i, m.type, m.value) for i in ids for m in ar.store.mentions(i))
            results.append((ids, hits, mentions))
    assert results[0] == results[1]


def test_both_backends_serve_the_archive_alike(tmp_path):
    firsts = {}
    for backend in ("whoosh", "tantivy"):
        with Archive.open(tmp_path / backend, create=True, backend=backend) as ar:
            assert ar.backend == backend
            ar.ingest(iter_sources([CORPUS]), workers=1)
            firsts[backend] = [
                ar.search(q, k=1, mode="keyword")[0].title
                for q in ("马背送学", '"集体协商"', "4000万元", "91%", "爱心驿站")
            ]
    assert firsts["whoosh"] == firsts["tantivy"]
    with Archive.open(tmp_path / "whoosh") as ar:  # the backend is recorded in the archive
        assert ar.backend == "whoosh"
