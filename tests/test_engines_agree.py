"""Whoosh and tantivy, fed the same documents, return the same top 10 (up to score ties).

Both engines score BM25 (k1 1.2, b 0.75) with query-time field boosts over the same
tokens, so a document's score differs between them only through how each stores a
field's length in one byte: tantivy rounds down (exact to 40 tokens, then steps of at
most 1/8), Whoosh rounds up (exact to 10, then steps of ~3.5%). Hence:
- on documents whose fields are at most 10 tokens, the scores are equal (float32 aside);
- on real articles each score may differ by at most that rounding (< 1/8 of the
  length-dependent part), and two documents may swap places only when their scores are
  that close in both engines.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest

from index.keyword import tantivy_backend, whoosh_backend
from index.keyword.base import Filters, KeywordDoc, parse_query
from index.keyword.tantivy_backend import TantivyIndex
from index.keyword.whoosh_backend import WhooshIndex
from pipeline import segment as segment_module
from pipeline.segment import segment
from tests.helpers import CORPUS, RMRB, require_shared

LENGTH_ROUNDING = 1 / 8  # tantivy's coarsest fieldnorm step; Whoosh's is finer
FLOAT32 = 1e-5

QUERIES = [
    "工会",
    "职工 权益",
    "农民工 工资",
    "劳动模范",
    "脱贫攻坚",
    "习近平 会谈",
    '"一带一路"',
    "疫情防控 医护人员",
    "科技 创新 发展",
    "春节 返乡",
    '"人民大会堂" 会见',
    "经济 增长 2019",
    "生态 环境 保护",
    "教育 改革",
    "冬奥会",
    "总工会 职工 服务",
    '"工会干部"',
    "集体协商 工资",
    "4000万元",
    "91%",
    "困难职工 帮扶",
    '"娘家" 职工',
    "安全生产 事故",
    "乡村振兴 农民",
    "改革开放 40年",
]


def rmrb_docs(n: int, step: int) -> list[KeywordDoc]:
    """Every ``step``-th People's Daily article (the file is in date order, so all five months)."""
    out = []
    with open(require_shared(RMRB), encoding="utf-8") as f:
        for line in itertools.islice(f, 0, n * step, step):
            r = json.loads(line)
            kicker = " ".join(x for x in (r["kicker"], r["subtitle"]) if x)
            out.append(KeywordDoc(r["id"], r["title"] or "", kicker, r["text"] or "", r["date"], r["source"], ()))
    return out


def seed_docs() -> list[KeywordDoc]:
    """The sample newspaper pages cut crudely at headings: union news, not People's Daily."""
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        parts = re.split(r"\n(?=# )", path.read_text(encoding="utf-8"))
        for i, part in enumerate(p for p in parts if p.strip()):
            lines = part.strip().splitlines()
            title = lines[0].lstrip("# ").strip()
            out.append(KeywordDoc(f"{path.stem}-{i}", title, "", "\n".join(lines[1:]), "2021-06-01", "工人日报", ()))
    return out


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    docs = rmrb_docs(300, 34) + seed_docs()
    root = tmp_path_factory.mktemp("agree")
    w, t = WhooshIndex(root / "whoosh"), TantivyIndex(root / "tantivy")
    for ix in (w, t):
        ix.add(docs)
        ix.commit()
    yield w, t, docs
    w.close()
    t.close()


def score_in(ix, query, doc_id) -> float:
    hits = ix.search(query, 1, Filters(ids=frozenset({doc_id})))
    return hits[0].score if hits else 0.0


def check_same_ranking(w, t, text: str, k: int = 10) -> None:
    """Top-k ids equal except where the documents' scores are within length rounding in both engines."""
    q = parse_query(text)
    wh, th = w.search(q, k), t.search(q, k)
    assert wh and th, f"{text!r}: no hits"
    ids = {h.id for h in wh} | {h.id for h in th}
    sw = {i: score_in(w, q, i) for i in ids}
    st = {i: score_in(t, q, i) for i in ids}
    for i in ids:  # same scoring model: per-document scores agree up to the length rounding
        assert st[i] == pytest.approx(sw[i], rel=LENGTH_ROUNDING), f"{text!r}: {i} scores {sw[i]} vs {st[i]}"

    def close(a, b):
        return abs(sw[a] - sw[b]) <= LENGTH_ROUNDING * max(sw[a], sw[b]) and abs(
            st[a] - st[b]
        ) <= LENGTH_ROUNDING * max(st[a], st[b])

    w_rank = {h.id: r for r, h in enumerate(wh)}
    t_rank = {h.id: r for r, h in enumerate(th)}
    for a, b in itertools.combinations(ids, 2):
        # a pair both engines rank, in opposite orders; or one ranked by one engine only and
        # pushed out by the other: either way only a near-tie may explain it
        if a in w_rank and b in w_rank and a in t_rank and b in t_rank:
            if (w_rank[a] < w_rank[b]) != (t_rank[a] < t_rank[b]):
                assert close(a, b), (
                    f"{text!r}: {a} and {b} swap places (whoosh {sw[a]:.4f}/{sw[b]:.4f}, tantivy {st[a]:.4f}/{st[b]:.4f})"
                )
    for only, other_hits, _scores in ((set(w_rank) - set(t_rank), th, st), (set(t_rank) - set(w_rank), wh, sw)):
        for i in only:  # in one top-k only: must tie with the other engine's k-th
            last = other_hits[-1].id
            assert len(other_hits) == k and close(i, last), f"{text!r}: {i} is in one top {k} only"


@pytest.mark.parametrize("text", QUERIES)
def test_same_top10_up_to_ties_on_real_articles(engines, text):
    w, t, _ = engines
    check_same_ranking(w, t, text)


def test_filters_select_the_same_documents(engines):
    w, t, docs = engines
    some = frozenset(d.id for d in docs[::7])
    for f in (
        Filters(since="2019-10-01", until="2020-01-31"),
        Filters(source="工人日报"),
        Filters(ids=some),
        Filters(since="2020-02-01", ids=some),
    ):
        for text in ("职工", "发展 经济", '"一带一路"'):
            q = parse_query(text)
            assert {h.id for h in w.search(q, 500, f)} == {h.id for h in t.search(q, 500, f)}, (text, f)


SHORT_DOCS = [  # every field at most 10 tokens: both engines store the exact length
    KeywordDoc("s1", "职工之家建设", "工会 服务", "工会为职工办实事"),
    KeywordDoc("s2", "劳模工作室", "", "劳模带徒 工会 支持"),
    KeywordDoc("s3", "职工书屋", "工会 职工", "职工 读书 工会"),
    KeywordDoc("s4", "农民工讨薪", "", "工会帮助农民工讨薪"),
    KeywordDoc("s5", "工会 工会", "", "职工"),
    KeywordDoc("s6", "肃北蒙古族自治县", "", "肃北 职工 之家"),
    KeywordDoc("s7", "全县33.65万名职工", "", "33.65万 职工"),
]


def test_scores_are_equal_when_lengths_are_exact(tmp_path):
    for d in SHORT_DOCS:
        for text in (d.title, d.kicker, d.body):
            assert len(segment(text)) <= 10
    w, t = WhooshIndex(tmp_path / "w"), TantivyIndex(tmp_path / "t")
    for ix in (w, t):
        ix.add(SHORT_DOCS)
        ix.commit()
    for text in ("工会", "职工 工会", '"职工之家"', "肃北", "33.65万", '"工会" 职工 讨薪', "劳模 农民工"):
        q = parse_query(text)
        wh, th = w.search(q, 10), t.search(q, 10)
        assert {h.id for h in wh} == {h.id for h in th}, text
        sw = {h.id: h.score for h in wh}
        for h in th:
            assert h.score == pytest.approx(sw[h.id], rel=FLOAT32), (text, h.id)
    w.close()
    t.close()


def test_both_engines_index_the_tokens_of_pipeline_segment(engines):
    """Same segmentation at index time: each field's term dictionary (terms and document
    frequencies) is identical in the two indexes, and equals segment() over the documents."""
    w, t, docs = engines
    assert whoosh_backend.segment is segment_module.segment is tantivy_backend.segment
    searcher = t.ix.searcher()
    with w.ix.reader() as reader:
        for field in ("title", "kicker", "body"):
            expected: dict[str, int] = {}
            for d in docs:
                for term in {tok.text for tok in segment(getattr(d, field))}:
                    expected[term] = expected.get(term, 0) + 1
            in_whoosh = {
                term.decode("utf-8") if isinstance(term, bytes) else term: info.doc_frequency()
                for term, info in reader.iter_field(field)
            }
            in_tantivy = dict(searcher.terms_with_prefix(field, ""))
            assert in_whoosh == expected, field
            assert in_tantivy == expected, field


def test_query_words_are_segmented_like_documents():
    """Query time uses the same segment() (no sub-words): a query's words are the
    top-level tokens of the same text indexed as a document."""
    for text in ("肃北蒙古族自治县总工会", "全县33.65万名职工", "工资集体协商要约行动", "Covid-19疫情防控"):
        doc_words = [tok.text for tok in segment(text) if not tok.sub]
        assert [w for c in parse_query(f'"{text}"').clauses for w in c.terms] == doc_words


# -- alternative segmenters: what changes if jieba were swapped ----------------------------------
def _dictionary_tokenizers():
    from importlib import resources

    jieba_fast = pytest.importorskip(
        "jieba_fast", reason="jieba-fast is an optional comparison segmenter (pip install jieba-fast)"
    )

    jb = segment_module._jieba()
    jf = jieba_fast.Tokenizer()
    with resources.files("pipeline").joinpath("data", segment_module.USER_DICT).open(encoding="utf-8") as f:
        jf.load_userdict(f)
    return jb, jf


def test_jieba_fast_differs_from_jieba_only_in_ties_and_new_word_guesses():
    """jieba-fast is not a drop-in: on real text it differs (1.7% of 2,000 articles in
    benchmarks/engines.py --segmenters) in exactly two ways, checked here on a sample:
    a character tripled (好好好) is split AA|A by jieba but A|AA by jieba-fast (equal-probability
    routes), and its HMM glues unknown characters into new words (蔡加讃 vs 蔡|加|讃)."""
    import difflib

    jb, jf = _dictionary_tokenizers()
    texts = [d.body for d in rmrb_docs(400, 5)]
    differing = 0
    for text in texts:
        a, b = list(jb.tokenize(text)), list(jf.tokenize(text))
        if a == b:
            continue
        differing += 1
        ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
        for op, i1, i2, j1, j2 in ops:
            if op == "equal":
                continue
            ours, theirs = a[i1:i2], b[j1:j2]
            assert ours[0][1] == theirs[0][1] and ours[-1][2] == theirs[-1][2]  # same stretch of text
            span = text[ours[0][1] : ours[-1][2]]
            tripled = len(set(span)) == 1 and len(span) == 3
            new_word = any(w not in jf.FREQ or not jf.FREQ[w] for w, _, _ in theirs)
            assert tripled or new_word, (span, ours, theirs)
    assert 0 < differing < 0.05 * len(texts)


def test_rjieba_is_not_a_drop_in_either():
    """rjieba keeps letters-digits-hyphen runs whole where jieba splits them, so the
    index and query sides would disagree with anything built by jieba."""
    rjieba = pytest.importorskip("rjieba", reason="rjieba is an optional comparison segmenter (pip install rjieba)")

    jb = segment_module._jieba()
    text = "Covid-19疫情防控"
    ours = [w for w, _, _ in jb.tokenize(text)]
    theirs = [w for w, _, _ in rjieba.Jieba().tokenize(text)]
    assert "Covid-19" in theirs and "Covid-19" not in ours
