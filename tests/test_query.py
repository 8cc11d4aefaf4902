import pytest

from index.keyword.base import QuerySyntaxError, parse_query


def test_quoted_phrase_is_required_and_free_words_optional():
    q = parse_query('"集体协商" 靖西')
    req = [c for c in q.clauses if c.required]
    opt = [c for c in q.clauses if not c.required]
    assert [c.terms for c in req] == [("集体协商",)]
    assert [c.terms for c in opt] == [("靖西",)]


def test_number_with_unit_becomes_one_phrase_clause():
    q = parse_query("经费4000万元")
    assert ("4000", "万", "元") in [c.terms for c in q.clauses]


def test_question_words_are_dropped():
    q = parse_query("哪个县推出了马背送学？")
    assert "哪个" not in q.terms and "了" not in q.terms
    assert "马背送学" in q.terms


@pytest.mark.parametrize("bad", ['"集体协商', "   ", "的了", "？？"])
def test_malformed_or_empty_queries_raise_a_clear_error(bad):
    with pytest.raises(QuerySyntaxError):
        parse_query(bad)


def test_lone_single_characters_leave_the_free_words_but_stay_in_phrases():
    q = parse_query("给送外卖的人提供歇脚喝水的地方")
    assert {"外卖", "歇脚", "喝水"} <= set(q.terms)
    assert not {"给", "送", "人"} & set(q.terms)
    assert [c.terms for c in parse_query('"给" 外卖').clauses] == [("给",), ("外卖",)]
    assert ("4000", "万", "元") in [c.terms for c in parse_query("给农民工4000万元").clauses]
    assert [c.terms for c in parse_query("煤 电").clauses] == [("煤",), ("电",)]  # nothing longer: kept
