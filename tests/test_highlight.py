from index.highlight import find_term_spans, make_snippet


def test_marks_every_occurrence_in_the_window():
    text = "前言。" + "无关内容" * 30 + "肃北县总工会创新推出“马背送学”宣讲模式，马背送学很受欢迎。"
    s = make_snippet(text, ["马背送学"], width=60)
    assert s.count("<mark>马背送学</mark>") == 2
    assert s.startswith("…")


def test_longer_terms_win_over_their_parts_and_width_folding_matches():
    spans = find_term_spans("集体协商建制率９１％", ["集体协商", "协商", "91", "%"])
    assert spans == [(0, 4), (7, 9), (9, 10)]


def test_no_match_gives_the_opening_of_the_text():
    assert make_snippet("甲乙丙丁", ["戊"], width=2) == "甲乙…"


def test_touching_words_share_one_mark():
    s = make_snippet("每年安排经费4000万元支持县区", ["4000", "万", "元"])
    assert "<mark>4000万元</mark>" in s
