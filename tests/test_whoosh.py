from index.keyword.base import Filters, KeywordDoc, parse_query
from index.keyword.whoosh_backend import WhooshIndex

DOCS = [
    KeywordDoc(
        "a",
        "肃北县总工会“马背送学”",
        "",
        "甘肃省酒泉市肃北蒙古族自治县，每年预算安排4000万元，建制率91%，为33.65万名职工服务。",
        "2023-04-11",
        "工人日报",
        ("620000", "620900", "620923"),
    ),
    KeywordDoc(
        "b",
        "靖西市总开展集体协商要约行动",
        "协商建制率动态保持在91%",
        "工资集体协商，集体合同。",
        "2020-08-12",
        "工人日报",
        ("450000", "451000", "451081"),
    ),
    KeywordDoc("c", "其他新闻", "", "集体的协商；4000人参加；万元户；91个单位%", None, "人民日报", ()),
]


def make(tmp_path):
    ix = WhooshIndex(tmp_path / "kw")
    ix.add(DOCS)
    ix.commit()
    return ix


def top(ix, q, **f):
    return [h.id for h in ix.search(parse_query(q), k=10, filters=Filters(**f))]


def test_words_phrases_and_numbers_with_units(tmp_path):
    ix = make(tmp_path)
    assert top(ix, "马背送学") == ["a"]
    assert top(ix, '"集体协商"') == ["b"]  # c has 集体 … 协商 apart: not the phrase
    assert top(ix, "4000万元")[0] == "a"
    assert top(ix, "91%")[0] in {"a", "b"} and "c" not in top(ix, "91%")
    assert top(ix, "33.65万") == ["a"]
    assert top(ix, "肃北") == ["a"]  # short name inside the long official name


def test_title_outranks_body(tmp_path):
    ix = WhooshIndex(tmp_path / "kw")
    ix.add(
        [
            KeywordDoc("t", "爱心驿站建成", "", "正文没有那个词。"),
            KeywordDoc("u", "别的标题", "", "爱心驿站在正文里出现一次。"),
        ]
    )
    ix.commit()
    assert top(ix, "爱心驿站") == ["t", "u"]


def test_filters_by_date_source_region_and_ids(tmp_path):
    ix = make(tmp_path)
    assert top(ix, "91%", since="2021-01-01") == ["a"]
    assert top(ix, "91%", until="2021-01-01") == ["b"]
    assert top(ix, "4000", source="人民日报") == ["c"]
    assert top(ix, "职工", region="620000") == ["a"]  # province code finds the county's article
    assert top(ix, "91%", ids=frozenset({"b"})) == ["b"]


def test_delete_and_reopen(tmp_path):
    ix = make(tmp_path)
    ix.delete(["a"])
    ix.commit()
    ix.close()
    ix2 = WhooshIndex(tmp_path / "kw")
    assert ix2.ids() == {"b", "c"} and ix2.count() == 2
    assert top(ix2, "马背送学") == []


def test_analyzer_offsets_drive_whooshs_own_highlighter(tmp_path):
    from whoosh.highlight import ContextFragmenter, Highlighter, UppercaseFormatter
    from whoosh.query import Term

    ix = make(tmp_path)
    text = DOCS[0].body
    with ix.ix.searcher() as s:
        hit = s.search(Term("body", "4000"))[0]
        hl = Highlighter(fragmenter=ContextFragmenter(), formatter=UppercaseFormatter())
        frag = hl.highlight_hit(hit, "body", text=text)
    assert "4000" in frag and "预算安排" in frag
