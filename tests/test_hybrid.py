"""Fusion functions on hand-made ranked lists: ranks, ties, disjoint and empty lists, weights."""

import pytest

from index.hybrid import (
    EXACT_BONUS,
    best_per_article,
    convex_combination,
    fuse,
    min_max_normalise,
    mix_partial_coverage,
    monotone_scores,
    protect_exact_matches,
    reciprocal_rank_fusion,
)

KEYWORD = [("a", 12.0), ("b", 9.0), ("c", 3.0)]
SEMANTIC = [("c", 0.91), ("d", 0.90), ("a", 0.40)]


def ids(ranked):
    return [d for d, _ in ranked]


# -- reciprocal rank fusion ------------------------------------------------------------------


def test_rrf_scores_are_sums_of_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([KEYWORD, SEMANTIC], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["d"] == pytest.approx(1 / 62)


def test_rrf_document_in_both_lists_beats_documents_in_one():
    fused = ids(reciprocal_rank_fusion([KEYWORD, SEMANTIC]))
    assert set(fused[:2]) == {"a", "c"}
    assert set(fused[2:]) == {"b", "d"}


def test_rrf_ignores_score_scale():
    scaled = [(d, s * 1000) for d, s in KEYWORD]
    assert reciprocal_rank_fusion([scaled, SEMANTIC]) == reciprocal_rank_fusion([KEYWORD, SEMANTIC])


def test_rrf_equal_fused_scores_keep_first_seen_order():
    # a and c tie exactly (1/61 + 1/63 each); a was met first (keyword list comes first)
    assert ids(reciprocal_rank_fusion([KEYWORD, SEMANTIC]))[:2] == ["a", "c"]
    assert ids(reciprocal_rank_fusion([SEMANTIC, KEYWORD]))[:2] == ["c", "a"]


def test_rrf_tied_scores_within_a_list_share_a_rank():
    tied = [("x", 5.0), ("y", 5.0), ("z", 1.0)]
    fused = dict(reciprocal_rank_fusion([tied], k=0))
    assert fused["x"] == fused["y"] == pytest.approx(1.0)
    assert fused["z"] == pytest.approx(1 / 3)  # competition ranking: 1, 1, 3


def test_rrf_disjoint_lists_interleave_by_rank():
    left = [("a", 3.0), ("b", 2.0)]
    right = [("x", 0.9), ("y", 0.8)]
    assert ids(reciprocal_rank_fusion([left, right])) == ["a", "x", "b", "y"]


def test_rrf_empty_lists():
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    assert ids(reciprocal_rank_fusion([[], SEMANTIC])) == ids(SEMANTIC)


def test_rrf_weights_favour_one_list():
    favour_semantic = ids(reciprocal_rank_fusion([KEYWORD, SEMANTIC], weights=[1.0, 3.0]))
    assert favour_semantic[0] == "c"
    assert favour_semantic.index("d") < favour_semantic.index("b")
    zero_keyword = reciprocal_rank_fusion([KEYWORD, SEMANTIC], weights=[0.0, 1.0])
    assert ids(zero_keyword)[:3] == ["c", "d", "a"]
    assert dict(zero_keyword)["b"] == 0.0


def test_rrf_duplicate_id_in_one_list_counts_once():
    fused = dict(reciprocal_rank_fusion([[("a", 2.0), ("a", 1.0)]], k=0))
    assert fused == {"a": pytest.approx(1.0)}


def test_bad_weights_are_rejected():
    with pytest.raises(ValueError, match="2 ranked lists"):
        reciprocal_rank_fusion([KEYWORD, SEMANTIC], weights=[1.0])
    with pytest.raises(ValueError, match="negative"):
        convex_combination([KEYWORD, SEMANTIC], weights=[1.0, -0.5])


# -- convex combination --------------------------------------------------------------------


def test_min_max_normalise():
    assert min_max_normalise(KEYWORD) == {"a": 1.0, "b": pytest.approx(6 / 9), "c": 0.0}
    assert min_max_normalise([("x", 4.0), ("y", 4.0)]) == {"x": 1.0, "y": 1.0}
    assert min_max_normalise([]) == {}


def test_convex_combination_weighted_sum_of_normalised_scores():
    fused = dict(convex_combination([KEYWORD, SEMANTIC], [0.5, 0.5]))
    # semantic normalised: c 1.0, d (0.90-0.40)/0.51, a 0.0
    assert fused["a"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert fused["c"] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert fused["d"] == pytest.approx(0.5 * 0.5 / 0.51)
    assert fused["b"] == pytest.approx(0.5 * 6 / 9)


def test_convex_weights_move_the_winner():
    assert ids(convex_combination([KEYWORD, SEMANTIC], [0.9, 0.1]))[0] == "a"
    assert ids(convex_combination([KEYWORD, SEMANTIC], [0.1, 0.9]))[0] == "c"


def test_convex_uses_scores_not_just_ranks():
    # d is a near-tie with the semantic winner; b is far below the keyword winner
    close = [("c", 0.91), ("d", 0.909), ("a", 0.40)]
    far = [("a", 12.0), ("b", 0.5), ("c", 0.4)]
    fused = ids(convex_combination([far, close], [0.5, 0.5]))
    assert fused.index("d") < fused.index("b")
    rrf = ids(reciprocal_rank_fusion([far, close]))
    assert rrf.index("b") < rrf.index("d")  # rank 2 in both lists: a tie, first seen wins


def test_convex_disjoint_and_empty_lists():
    assert convex_combination([[], []], [0.5, 0.5]) == []
    fused = convex_combination([[("a", 2.0), ("b", 1.0)], [("x", 0.9), ("y", 0.1)]], [0.6, 0.4])
    assert ids(fused) == ["a", "x", "b", "y"]
    assert dict(fused)["b"] == 0.0 and dict(fused)["y"] == 0.0


def test_fuse_dispatches_and_rejects_unknown_method():
    assert fuse([KEYWORD, SEMANTIC], "rrf") == reciprocal_rank_fusion([KEYWORD, SEMANTIC])
    assert fuse([KEYWORD, SEMANTIC], "convex", [0.3, 0.7]) == convex_combination([KEYWORD, SEMANTIC], [0.3, 0.7])
    with pytest.raises(ValueError, match="unknown fusion method 'max'"):
        fuse([KEYWORD], "max")


# -- exact matches are never buried ----------------------------------------------------------


def test_exact_matches_move_above_semantic_near_misses():
    fused = [("s1", 0.9), ("s2", 0.8), ("e1", 0.3), ("s3", 0.2), ("e2", 0.1)]
    out = protect_exact_matches(fused, ["e2", "e1"], k=4)
    assert ids(out) == ["e1", "e2", "s1", "s2"]  # exact ones in fused order, then the rest
    assert dict(out)["e1"] == 0.3  # scores are kept


def test_exact_matches_missing_from_fusion_are_still_included():
    fused = [("s1", 0.9), ("e1", 0.5)]
    out = protect_exact_matches(fused, ["e1", "e9"], k=3)
    assert ids(out) == ["e1", "e9", "s1"]
    assert dict(out)["e9"] == 0.0


def test_more_exact_matches_than_k_fill_the_page():
    fused = [("s1", 0.9), ("e1", 0.5), ("e2", 0.4), ("e3", 0.3)]
    assert ids(protect_exact_matches(fused, ["e3", "e2", "e1"], k=2)) == ["e1", "e2"]


def test_no_exact_matches_leaves_fusion_alone():
    fused = reciprocal_rank_fusion([KEYWORD, SEMANTIC])
    assert protect_exact_matches(fused, [], k=10) == fused
    assert protect_exact_matches(fused, ["a"], k=0) == []


# -- shown scores, merged indexes, partial coverage ----------------------------------------------


def test_shown_scores_fall_with_rank_when_exact_matches_are_lifted():
    fused = [("near", 0.98), ("x", 0.7), ("exact", 0.33)]
    ranked = protect_exact_matches(fused, ["exact"], k=3)
    shown = monotone_scores(ranked, ["exact"])
    assert ids(shown) == ["exact", "near", "x"]
    assert shown[0][1] == pytest.approx(0.33 + EXACT_BONUS) and shown[1][1] == 0.98
    assert [s for _, s in shown] == sorted((s for _, s in shown), reverse=True)


def test_best_per_article_keeps_each_articles_best_score():
    merged = best_per_article([[("a", 0.5), ("b", 0.4)], [("b", 0.9), ("c", 0.1)]])
    assert merged == [("b", 0.9), ("a", 0.5), ("c", 0.1)]


def test_partial_coverage_ranks_uncovered_articles_by_the_fallback_on_the_main_scale():
    main = [("a", 0.90), ("b", 0.85), ("c", 0.80)]  # only a, b, c are covered
    fallback = [("u", 0.60), ("a", 0.55), ("b", 0.50), ("c", 0.45), ("v", 0.20)]
    mixed = dict(mix_partial_coverage(main, fallback, {"a", "b", "c"}))
    assert set(mixed) == {"a", "b", "c", "u", "v"}
    assert mixed["a"] == 0.90  # covered articles keep the main model's score
    assert mixed["u"] == pytest.approx(0.95)  # fallback mapped onto main's mean and spread: above a
    assert mixed["v"] < mixed["c"]


def test_partial_coverage_ignores_the_fallback_score_of_a_covered_article():
    mixed = dict(mix_partial_coverage([("a", 0.9)], [("b", 0.99), ("a", 0.1)], {"a"}))
    assert mixed["a"] == 0.9 and "b" in mixed
