"""Semantic and hybrid search, `similar` and `embed` through the CLI, with the real models."""

import json

import pytest
from click.testing import CliRunner

from search_cli import cli
from tests.helpers import CORPUS, REPO, cli_json, cli_ok

PARAPHRASES = [
    json.loads(x)
    for x in (REPO / "tests" / "fixtures" / "paraphrase_queries.jsonl").read_text(encoding="utf-8").splitlines()
    if x.strip()
]


@pytest.fixture(scope="module")
def idx(tmp_path_factory, embedding_models):
    d = tmp_path_factory.mktemp("sem")
    cli_ok(d, "ingest", CORPUS)
    cli_ok(d, "embed", "--model", "e5-small")
    return d


j = cli_json


def hit(results, case) -> bool:
    return any(any(t in r["title"] for t in case["expect_title_contains"]) for r in results)


@pytest.mark.parametrize("case", PARAPHRASES, ids=[c["query"][:12] for c in PARAPHRASES])
def test_paraphrase_finds_the_story_in_the_top_5(idx, case):
    # the query shares no keyword with the story: keyword search alone cannot do this
    assert hit(j(idx, "search", case["query"], "-k", "5"), case), case["query"]


def test_hybrid_beats_keyword_on_the_paraphrases(idx):
    found = {
        m: sum(hit(j(idx, "search", c["query"], "-k", "5", "--mode", m), c) for c in PARAPHRASES)
        for m in ("keyword", "hybrid")
    }
    assert found["hybrid"] > found["keyword"], found


def test_semantic_mode_with_each_model_and_json_fields_kept(idx):
    for model in ("static", "e5-small"):
        res = j(idx, "search", "给户外劳动者歇脚的地方", "--mode", "semantic", "--model", model, "-k", "3")
        assert len(res) == 3 and {"id", "title", "date", "source", "score", "snippet", "text"} <= set(res[0])
        assert "semantic" in res[0]["scores"]


def test_similar_gives_precedents_with_what_they_share_and_not_itself(idx):
    rows = j(idx, "list")
    aid = next(r["id"] for r in rows if "集体协商要约" in r["title"] and "靖西" in r["title"])
    sims = j(idx, "similar", aid, "-k", "5")
    assert sims and aid not in [s["id"] for s in sims]
    assert any("集体协商" in s["title"] for s in sims[:3]), [s["title"] for s in sims]
    assert any(s["shared"]["topics"] for s in sims)


def test_embed_is_resumable_and_idempotent(idx):
    out = j(idx, "embed", "--model", "e5-small")
    assert out["lead_articles"] == out["completed_articles"] == out["passages"] == 0
    assert j(idx, "stats")["vectors"]["e5-small"] == len(j(idx, "list"))


def test_printed_score_falls_with_rank_and_json_keeps_the_components(idx):
    # a quoted programme name lifts its exact matches over semantic near-misses: the shown
    # score carries the lift, so it still falls with rank
    for query in ('"集体协商" 工资', "给送外卖的人提供歇脚喝水的地方"):
        res = j(idx, "search", query, "-k", "10")
        shown = [r["score"] for r in res]
        assert shown == sorted(shown, reverse=True), (query, shown)
        assert all("fused" in r["scores"] for r in res)
        assert any({"keyword", "semantic"} <= set(r["scores"]) for r in res)
    exact = j(idx, "search", '"集体协商" 工资', "-k", "10")
    assert exact[0]["scores"].get("exact") == 1.0 and "集体协商" in exact[0]["text"]


def test_leads_first_embed_then_the_rest_and_partial_coverage_mixes_with_static(tmp_path, embedding_models):
    from index.archive import Archive
    from index.semantic.vectors import embed_missing

    d = tmp_path / "staged"
    cli_ok(d, "ingest", CORPUS)
    n = len(j(d, "list"))
    # an e5 index covering only some articles: the others still rank, through the static model
    with Archive.open(d) as ar:
        ar.model_cache = embedding_models.cache_dir
        index = ar.vectors("e5-small-int8", create=True)
        covered = [sa for sa in ar.store.iter_articles() if "骑手" not in sa.article.title][: n // 2]
        embed_missing(covered, index, ar.encoder("e5-small-int8"))
        covered_ids = {sa.id for sa in covered}
    res = j(d, "search", "给送外卖的人提供歇脚喝水的地方", "--mode", "semantic", "-k", str(n))
    assert {r["id"] for r in res} - covered_ids, "uncovered articles must still be ranked (static stands in)"
    assert any("骑手" in r["title"] for r in res[:5]), [r["title"] for r in res[:5]]
    # the documented step: lead passages of every article first, then the rest, reusing the leads
    lead = j(d, "embed", "--leads-only")
    assert lead["lead_articles"] == n - len(covered_ids) and lead["completed_articles"] == 0
    stats = j(d, "stats")["vectors"]
    assert stats["e5-small-int8#lead"] == n - len(covered_ids)
    rest = j(d, "embed")
    assert rest["lead_articles"] == 0 and rest["completed_articles"] == n - len(covered_ids)
    stats = j(d, "stats")["vectors"]
    assert stats["e5-small-int8"] == n and "e5-small-int8#lead" not in stats  # leads dropped once complete
    hits = j(d, "search", "给送外卖的人提供歇脚喝水的地方", "-k", "5")
    assert any("骑手" in r["title"] or "驿站" in r["title"] for r in hits)


def test_best_model_is_the_one_covering_the_archive_counted_without_the_vector_files(tmp_path, embedding_models):
    from index.archive import Archive, ArchiveError
    from index.semantic.vectors import embed_missing

    d = tmp_path / "best"
    cli_ok(d, "ingest", CORPUS)  # static vectors come with the ingest
    n = len(j(d, "list"))
    with Archive.open(d) as ar:
        assert ar.vector_models() == ["static"] and ar.best_model() == "static"
        ar.model_cache = embedding_models.cache_dir
        index = ar.vectors("e5-small-int8", create=True)
        embed_missing(list(ar.store.iter_articles())[: n // 2], index, ar.encoder("e5-small-int8"))
        assert ar.best_model() == "static"  # e5 covers half: the static model covers more
    with Archive.open(d) as ar:  # a fresh reader counts from meta.json
        assert ar.best_model() == "static" and ar.stats()["vectors"] == {"static": n, "e5-small-int8": n // 2}
    cli_ok(d, "embed", "--model", "e5-small-int8")
    with Archive.open(d) as ar:
        assert ar.best_model() == "e5-small-int8"
    # choosing reads no vector matrix: with every matrix gone the answer stands,
    # while opening an index does need its matrix
    for matrix in (d / "vectors").rglob("vectors.*.npy"):
        matrix.unlink()
    with Archive.open(d) as ar:
        assert ar.best_model() == "e5-small-int8"
        assert ar.stats()["vectors"] == {"static": n, "e5-small-int8": n}
        with pytest.raises(ArchiveError, match="vector files missing"):
            ar.vectors("static")


def test_an_archive_with_old_e5_vectors_keeps_working_and_embed_migrates_it(tmp_path, embedding_models):
    d = tmp_path / "old"
    cli_ok(d, "ingest", CORPUS)
    cli_ok(d, "embed", "--model", "e5-small")  # the former default model
    before = j(d, "search", "给送外卖的人提供歇脚喝水的地方", "-k", "5")
    assert any("骑手" in r["title"] or "驿站" in r["title"] for r in before)
    cli_ok(d, "embed")  # the default model now: e5-small-int8
    vectors = j(d, "stats")["vectors"]
    assert vectors["e5-small-int8"] == vectors["e5-small"] == len(j(d, "list"))
    after = j(d, "search", "给送外卖的人提供歇脚喝水的地方", "-k", "5")
    assert [r["id"] for r in after][:1] == [r["id"] for r in before][:1]
    cli_ok(d, "rebuild", "--vectors")
    assert j(d, "stats")["vectors"] == vectors


def test_semantic_without_vectors_is_a_clear_error(tmp_path, embedding_models):
    d = tmp_path / "nov"
    assert CliRunner().invoke(cli, ["--index", str(d), "ingest", "--no-embed", str(CORPUS)]).exit_code == 0
    r = CliRunner().invoke(cli, ["--index", str(d), "search", "工会", "--mode", "semantic"])
    assert r.exit_code == 1 and "embed" in r.output
    # hybrid falls back to keyword search when there are no vectors
    r = CliRunner().invoke(cli, ["--index", str(d), "search", "马背送学", "--json"])
    assert r.exit_code == 0 and "县级工会" in json.loads(r.output)[0]["title"]


def test_export_opensearch_writes_mapping_and_bulk_files_for_the_whole_store(idx, tmp_path):
    out = j(idx, "export", str(tmp_path / "os"))
    mapping = json.loads((tmp_path / "os" / "mapping.json").read_text(encoding="utf-8"))
    props = mapping["mappings"]["properties"]
    assert props["vector"]["type"] == "knn_vector" and props["vector"]["dimension"] == 384
    lines = [
        json.loads(x) for f in out["files"] for x in (tmp_path / "os" / f).read_text(encoding="utf-8").splitlines()
    ]
    actions, docs = lines[0::2], lines[1::2]
    assert len(docs) == out["documents"] == len(j(idx, "list"))
    assert all(a["index"]["_id"] == d["id"] for a, d in zip(actions, docs))
    assert all(len(d["vector"]) == 384 for d in docs)
    assert set(docs[0]) <= set(props)
