"""The tantivy keyword backend on real tantivy indexes in temp dirs."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from index.keyword.base import Filters, KeywordDoc, parse_query
from index.keyword.tantivy_backend import TantivyIndex, segment_many
from pipeline.segment import pack_tokens, segment, unpack_tokens
from tests.helpers import require_shared

ROOT = Path(__file__).resolve().parents[1]
PEOPLES_DAILY = ROOT.parent / "shared" / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"


def doc(id, title="", body="", kicker="", date=None, source="工人日报", regions=()):
    return KeywordDoc(id, title, kicker, body, date, source, tuple(regions))


def ids_of(hits):
    return [h.id for h in hits]


@pytest.fixture
def index(tmp_path):
    ix = TantivyIndex(tmp_path / "kw")
    yield ix
    ix.close()


def build(ix, docs):
    ix.add(docs)
    ix.commit()
    return ix


def search(ix, text, k=10, **filters):
    return ix.search(parse_query(text), k, Filters(**filters))


def test_add_is_invisible_until_commit_then_count_ids_delete(index):
    index.add([doc("a", "职工之家建设", "工会为职工办实事"), doc("b", "劳模工作室", "劳模带徒")])
    assert index.count() == 0 and search(index, "职工") == []
    index.commit()
    assert index.count() == 2 and index.ids() == {"a", "b"}
    assert ids_of(search(index, "职工")) == ["a"]
    index.delete(["a"])
    assert ids_of(search(index, "职工")) == ["a"]  # deletes too wait for commit
    index.commit()
    assert index.count() == 1 and index.ids() == {"b"} and search(index, "职工") == []


def test_delete_then_add_in_one_commit_replaces_the_document(index):
    build(index, [doc("a", "职工", "工会")])
    index.delete(["a"])
    index.add([doc("a", "职工之家", "工会")])
    index.commit()
    assert index.count() == 1
    assert ids_of(search(index, "职工之家")) == ["a"] and ids_of(search(index, "工会")) == ["a"]


def test_close_drops_uncommitted_work_and_reopen_sees_commits(tmp_path):
    ix = TantivyIndex(tmp_path / "kw")
    build(ix, [doc("a", "职工之家", "工会")])
    ix.add([doc("b", "职工书屋", "工会")])
    ix.close()
    again = TantivyIndex(tmp_path / "kw")
    assert again.ids() == {"a"}
    build(again, [doc("c", "职工书屋", "工会")])  # the writer lock was released by close()
    assert again.ids() == {"a", "c"}
    again.close()


def test_subwords_sit_at_their_parents_position(index):
    build(index, [doc("long", body="肃北蒙古族自治县举办活动"), doc("other", body="蒙古族 群众 举办活动")])
    # a short name finds the long one it is part of
    assert ids_of(search(index, "肃北")) == ["long"]
    # the sub-words sit at the position of 肃北蒙古族自治县, so 举办活动 directly follows each;
    # in "other" a word stands between them
    assert ids_of(search(index, '"自治县举办活动"')) == ["long"]
    assert ids_of(search(index, '"蒙古族举办活动"')) == ["long"]
    # two sub-words of one word share a position, so as a phrase they are not adjacent
    assert ids_of(search(index, '"肃北蒙古族"')) == []


def test_phrases_are_required_and_adjacent(index):
    build(
        index,
        [
            doc("adjacent", body="全县33.65万名职工参加"),
            doc("apart", body="全县33.65亿元，新增万名职工"),
            doc("none", body="职工书屋"),
        ],
    )
    assert ids_of(search(index, "33.65万")) == ["adjacent"]  # number + magnitude is a phrase even unquoted
    hits = search(index, '"33.65万" 职工')
    assert ids_of(hits) == ["adjacent"]  # the optional 职工 alone does not let other docs in


def test_optional_words_score_and_required_words_filter(index):
    build(
        index,
        [
            doc("both", body="工会组织职工开展技能竞赛"),
            doc("union", body="工会开展技能竞赛活动"),
            doc("workers", body="职工开展技能竞赛活动"),
        ],
    )
    hits = search(index, "工会 职工")
    assert ids_of(hits)[0] == "both" and set(ids_of(hits)) == {"both", "union", "workers"}
    assert hits[0].score > hits[1].score
    assert set(ids_of(search(index, '"工会" 职工'))) == {"both", "union"}


def test_title_outweighs_kicker_and_body(index):
    """A headline word counts 1.5x (FIELD_BOOSTS, calibrated on the paraphrase dev set); the
    kicker (引题) counts like the body."""
    text = "农民工讨薪"
    build(
        index,
        [
            doc("body", title="某地新闻", kicker="一则报道", body=text),
            doc("kicker", title="某地新闻", kicker=text, body="一则报道"),
            doc("title", title=text, kicker="一则报道", body="某地新闻"),
        ],
    )
    ranked = ids_of(search(index, "讨薪"))
    assert ranked[0] == "title" and set(ranked[1:]) == {"kicker", "body"}


def test_filters_restrict_without_changing_scores(index):
    build(
        index,
        [
            doc("jan", "职工医保", "职工", date="2019-01-31", source="工人日报", regions=("62", "6209", "620923")),
            doc("feb1", "职工医保", "职工", date="2019-02-01", source="人民日报", regions=("62", "6209")),
            doc("feb28", "职工医保", "职工", date="2019-02-28", source="工人日报", regions=("11",)),
            doc("mar", "职工医保", "职工", date="2019-03-01", source="工人日报"),
            doc("nodate", "职工医保", "职工"),
            doc("offtopic", "天气", "晴", date="2019-02-10", source="工人日报", regions=("62",)),
        ],
    )
    assert set(ids_of(search(index, "职工", since="2019-02-01", until="2019-02-28"))) == {"feb1", "feb28"}
    assert set(ids_of(search(index, "职工", until="2019-02"))) == {"jan", "feb1", "feb28"}  # whole month
    assert set(ids_of(search(index, "职工", since="2019-02"))) == {"feb1", "feb28", "mar"}
    assert set(ids_of(search(index, "职工", source="人民日报"))) == {"feb1"}
    # a province code finds articles about its prefectures and counties; filter-only matches stay out
    assert set(ids_of(search(index, "职工", region="62"))) == {"jan", "feb1"}
    assert set(ids_of(search(index, "职工", region="620923"))) == {"jan"}
    assert set(ids_of(search(index, "职工", ids=frozenset({"mar", "offtopic"})))) == {"mar"}
    assert search(index, "职工", ids=frozenset()) == []
    all_scores = {h.id: h.score for h in search(index, "职工")}
    for h in search(index, "职工", since="2019-02-01", source="工人日报"):
        assert h.score == pytest.approx(all_scores[h.id], rel=1e-6)


def test_bad_date_filter_is_a_clear_error(index):
    build(index, [doc("a", "职工", "职工", date="2019-01-31")])
    with pytest.raises(ValueError, match="YYYY-MM-DD.*'31/01/2019'"):
        search(index, "职工", since="31/01/2019")


def test_killed_writer_leaves_last_commit_searchable(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from index.keyword.base import KeywordDoc
        from index.keyword.tantivy_backend import TantivyIndex
        ix = TantivyIndex({str(tmp_path / "kw")!r})
        ix.add(KeywordDoc(f"c{{i}}", "职工之家", "", "工会为职工办实事") for i in range(50))
        ix.commit()
        ix.add(KeywordDoc(f"u{{i}}", "职工之家", "", "工会为职工办实事") for i in range(5000))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    ix = TantivyIndex(tmp_path / "kw")
    assert ix.count() == 50 and ix.ids() == {f"c{i}" for i in range(50)}
    assert len(search(ix, "职工", k=100)) == 50
    build(ix, [doc("after", "职工", "职工")])  # the dead process's writer lock is gone
    assert ix.count() == 51
    ix.close()


def real_docs(n):
    with open(require_shared(PEOPLES_DAILY), encoding="utf-8") as f:
        for line in itertools.islice(f, n):
            r = json.loads(line)
            kicker = " ".join(x for x in (r["kicker"], r["subtitle"]) if x)
            yield KeywordDoc(r["id"], r["title"] or "", kicker, r["text"] or "", r["date"], r["source"], ())


def test_two_segmentation_processes_build_the_same_index(tmp_path):
    docs = list(real_docs(80))
    one = build(TantivyIndex(tmp_path / "one"), docs)
    two = build(TantivyIndex(tmp_path / "two", segment_processes=2), docs)
    for q in ["习近平 会谈", '"一带一路"', "春节 返乡 农民工", "经济 增长"]:
        a, b = search(one, q), search(two, q)
        assert a and [(h.id, round(h.score, 5)) for h in a] == [(h.id, round(h.score, 5)) for h in b]
    one.close()
    two.close()


def test_segment_many_equals_segment_in_order():
    texts = [d.body for d in real_docs(40)] + ["", "全县33.65万名职工"]
    expected = [pack_tokens(segment(t)) for t in texts]
    assert list(segment_many(texts, processes=2)) == expected
    assert list(segment_many(texts, processes=1)) == expected
    toks = segment("肃北蒙古族自治县33.65万名职工")
    assert unpack_tokens(pack_tokens(toks)) == [(t.text, t.pos, t.start, t.end) for t in toks]
