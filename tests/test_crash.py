"""Crash consistency: a writer killed at every stage boundary (UNIONKB_CRASH_AT stops the process
there with os._exit, no clean-up) leaves an archive whose store never names an article an index
lacks; readers answer from the store's part, say what is off, and the next writer repairs it."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from index.archive import Archive
from index.durability import CRASH_EXIT_CODE
from index.keyword.base import parse_query
from search_cli import cli
from tests.archive_procs import Proc, archive_state, run_cli, seed_archive
from tests.helpers import RMRB, head_lines

pytestmark = pytest.mark.slow

INGEST_SCRIPT = """
import sys
from index.archive import Archive
from pipeline.loaders import iter_sources
root, data, every, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
with Archive.open(root) as ar:
    ar.ingest(iter_sources([data]), workers=1, checkpoint=every, checkpoint_seconds=seconds)
"""

EMBED_SCRIPT = """
import sys
from index.archive import Archive
from index.semantic.vectors import embed_missing
with Archive.open(sys.argv[1]) as ar, ar.writing():
    index = ar.vectors("static", create=True)
    embed_missing(ar.store.iter_articles(), index, ar.encoder("static"), batch_size=16, save_every=10**6,
                  save_seconds=0.0)
"""


def crash(root, point: str, script: str, *args) -> Proc:
    p = Proc(root, cmd=[sys.executable, "-c", script, str(root), *map(str, args)], env={"UNIONKB_CRASH_AT": point})
    assert p.finish() == CRASH_EXIT_CODE, p.text()
    return p


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return head_lines(RMRB, tmp_path_factory.mktemp("rmrb") / "rmrb.jsonl", 150)


@pytest.fixture(scope="module")
def complete(tmp_path_factory, data):
    """The ids of the seed archive with ``data`` fully ingested, undisturbed."""
    root = seed_archive(tmp_path_factory, tmp_path_factory.mktemp("reference") / "a")
    r = run_cli(root, "ingest", data, "--workers", "1")
    assert r.returncode == 0, r.stderr
    return archive_state(root)["store"]


def stats(root) -> tuple[dict, str]:
    r = CliRunner().invoke(cli, ["--index", str(root), "stats", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout), r.stderr


def search_ids(root, query, mode="keyword", k=5) -> list[str]:
    r = CliRunner().invoke(cli, ["--index", str(root), "search", query, "--mode", mode, "-k", str(k), "--json"])
    assert r.exit_code == 0, r.output
    return [x["id"] for x in json.loads(r.stdout)]


def assert_whole(root, expected_store=None):
    s = archive_state(root)
    assert s["store"] == s["keyword"] == s["static"]
    assert len(s["keyword_dirs"]) == 1
    if expected_store is not None:
        assert s["store"] == expected_store
    st, err = stats(root)
    assert st["consistency"]["consistent"] and not st["consistency"]["notes"] and "warning" not in err


@pytest.mark.parametrize("point", ["after_vectors_save", "after_keyword_commit", "after_store_commit"])
def test_ingest_killed_at_a_checkpoint_stage(tmp_path_factory, tmp_path, data, complete, point):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    seed = archive_state(root)["store"]
    crash(root, f"{point}@2", INGEST_SCRIPT, data, 40, 1e9)  # the second checkpoint of 40 articles
    s = archive_state(root)
    assert seed < s["store"] <= s["keyword"] and s["store"] <= s["static"], "the store names what an index lacks"
    extra_kw, extra_vec = s["keyword"] - s["store"], s["static"] - s["store"]
    if point == "after_vectors_save":
        assert extra_vec and not extra_kw
    elif point == "after_keyword_commit":
        assert extra_vec and extra_kw
    else:
        assert not extra_vec and not extra_kw

    # readers: answers from the store's part only, saying what they leave out
    st, err = stats(root)
    c = st["consistency"]
    assert (c["keyword_extra"], c["vectors_extra"].get("static", 0)) == (len(extra_kw), len(extra_vec))
    assert c["consistent"] == (not extra_kw and not extra_vec)
    if extra_kw or extra_vec:
        assert "left out" in err and "next write" in err
    for mode in ("keyword", "hybrid"):
        ids = search_ids(root, "职工", mode=mode, k=10)
        assert len(ids) == 10 and set(ids) <= s["store"]
    if extra_kw:  # where hits beyond the store rank first, the reader still gets k stored articles
        with Archive.open(root) as ar:
            for word in ("发展", "工作", "全国", "建设", "企业", "职工"):
                raw = [h.id for h in ar._open_keyword().search(parse_query(word), k=1000)]
                if set(raw[:10]) & extra_kw:
                    break
            else:
                pytest.fail("the test should meet hits beyond the store")
        assert search_ids(root, word, k=10) == [i for i in raw if i in s["store"]][:10]

    # the next writer repairs, and the same ingest again completes the archive
    r = run_cli(root, "embed", "--model", "static")
    assert r.returncode == 0, r.stderr
    assert_whole(root)
    r = run_cli(root, "ingest", data, "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert_whole(root, complete)


def test_checkpoints_come_by_time_too(tmp_path_factory, tmp_path, data):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    seed = archive_state(root)["store"]
    # one checkpoint by count would come only after a million articles: this one comes by time
    crash(root, "after_store_commit@1", INGEST_SCRIPT, data, 10**6, 0.5)
    s = archive_state(root)
    assert len(s["store"]) > len(seed)
    assert s["store"] == s["keyword"] == s["static"]


@pytest.mark.parametrize("point", ["rebuild_mid", "rebuild_before_swap", "rebuild_after_swap"])
def test_a_killed_rebuild_leaves_a_whole_keyword_index_serving(tmp_path_factory, tmp_path, point):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    before = search_ids(root, "马背送学")
    r = run_cli(root, "rebuild", env={"UNIONKB_CRASH_AT": point})
    assert r.returncode == CRASH_EXIT_CODE, r.stderr
    assert len(archive_state(root)["keyword_dirs"]) == 2  # the old one and the new one
    st, err = stats(root)
    assert st["keyword_documents"] == st["articles"] == 44 and st["consistency"]["consistent"], err
    assert search_ids(root, "马背送学") == before
    r = run_cli(root, "rebuild")  # the next writer clears what the killed one left, and rebuilds
    assert r.returncode == 0, r.stderr
    assert_whole(root)
    assert search_ids(root, "马背送学") == before


def test_a_killed_embed_keeps_what_it_saved_and_resumes(tmp_path_factory, tmp_path):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    import shutil

    shutil.rmtree(root / "vectors" / "static")
    crash(root, "embed_after_save@1", EMBED_SCRIPT)  # saved after its first batch (by time)
    saved = archive_state(root)["static"]
    assert 0 < len(saved) < 44
    assert search_ids(root, "马背送学", mode="semantic")  # partial vectors still serve
    r = run_cli(root, "embed", "--model", "static", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["already_present"] == len(saved)
    assert_whole(root)


def test_a_killed_repair_is_finished_by_the_next_writer(tmp_path_factory, tmp_path, data):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    crash(root, "after_keyword_commit@1", INGEST_SCRIPT, data, 40, 1e9)
    r = run_cli(root, "embed", "--model", "static", env={"UNIONKB_CRASH_AT": "reconcile_after_keyword"})
    assert r.returncode == CRASH_EXIT_CODE, r.stderr
    s = archive_state(root)
    assert s["store"] == s["keyword"] == s["static"]  # vectors and keyword repaired before the kill
    r = run_cli(root, "embed", "--model", "static")
    assert r.returncode == 0, r.stderr
    assert_whole(root)


def test_articles_missing_from_the_keyword_index_are_reported_then_restored(tmp_path_factory, tmp_path):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    with Archive.open(root) as ar:
        target = search_ids(root, "马背送学")[0]
        with ar.writing():  # damage the keyword index behind the archive's back
            ar.keyword.delete([target])
            ar.keyword.commit()
    st, err = stats(root)
    assert st["consistency"]["keyword_missing"] == 1
    assert "lacks 1 of 44 stored articles" in err
    title = "持续发力建强县级工会"  # the target's headline, without its quoted part
    r = CliRunner().invoke(cli, ["--index", str(root), "search", title, "--json"])
    assert r.exit_code == 0 and "lacks 1 of 44" in r.stderr  # hybrid says it is partly by meaning only
    assert target in [x["id"] for x in json.loads(r.stdout)]  # the semantic side still finds it
    assert target not in search_ids(root, "马背送学")
    r = run_cli(root, "embed", "--model", "static")
    assert r.returncode == 0, r.stderr
    assert search_ids(root, "马背送学")[0] == target
    assert_whole(root)


def test_a_lost_keyword_index_is_reported_and_rebuilt_by_the_next_writer(tmp_path_factory, tmp_path):
    import shutil

    root = seed_archive(tmp_path_factory, tmp_path / "a")
    shutil.rmtree(root / "keyword")
    st, err = stats(root)
    assert not (root / "keyword").exists(), "a reader must not create anything"
    assert st["keyword_documents"] == 0 and "no keyword index" in err
    assert search_ids(root, "马背送学", mode="hybrid")  # by meaning
    r = run_cli(root, "embed", "--model", "static")
    assert r.returncode == 0, r.stderr
    assert_whole(root)


def test_a_killed_vector_rebuild_leaves_the_old_vectors_serving_and_is_resumed(tmp_path_factory, tmp_path):
    root = seed_archive(tmp_path_factory, tmp_path / "a")
    r = run_cli(root, "embed", "--model", "e5-small-int8", "--leads-only")  # lead passages only, as staged
    assert r.returncode == 0, r.stderr
    with Archive.open(root) as ar:
        assert set(ar.vector_models()) == {"static", "e5-small-int8", "e5-small-int8#lead"}
    before = search_ids(root, "持续发力建强县级工会", mode="semantic")
    # the static model is rebuilt and switched to first; the kill comes before e5's switch
    r = run_cli(root, "rebuild", "--vectors", env={"UNIONKB_CRASH_AT": "rebuild_vectors_before_swap@2"})
    assert r.returncode == CRASH_EXIT_CODE, r.stderr
    vec = root / "vectors"
    assert (vec / "static.1").is_dir() and not (vec / "static").exists()
    assert (vec / "e5-small-int8.rebuild").is_dir()
    with Archive.open(root) as ar:
        assert ar.vectors("e5-small-int8#lead").count() == 44  # the lead vectors in use are untouched
    st, err = stats(root)
    assert st["consistency"]["consistent"], err
    assert search_ids(root, "持续发力建强县级工会", mode="semantic") == before  # the old e5 vectors still serve
    r = run_cli(root, "rebuild", "--vectors")
    assert r.returncode == 0, r.stderr
    assert "e5-small-int8 vectors: 0 articles" in r.stdout  # resumed: everything was embedded already
    with Archive.open(root) as ar:
        assert set(ar.vector_models()) == {"static", "e5-small-int8"}  # complete: no lead vectors needed
        assert ar.vectors("e5-small-int8").count() == 44
    assert sorted(p.name for p in vec.iterdir()) == ["e5-small-int8.1", "static"]
    assert_whole(root)
