from pipeline.segment import fold_width, query_terms, segment


def test_positions_are_consecutive_and_offsets_point_at_the_word():
    text = "甘肃省酒泉市肃北蒙古族自治县人口仅有1.5万"
    toks = segment(text)
    main = [t for t in toks if not t.sub]
    assert [t.pos for t in main] == list(range(len(main)))
    for t in toks:
        assert fold_width(text[t.start : t.end]).lower() == t.text


def test_subwords_share_their_parents_position():
    toks = segment("肃北蒙古族自治县")
    parent = next(t for t in toks if t.text == "肃北蒙古族自治县")
    subs = {t.text for t in toks if t.sub}
    assert {"肃北", "蒙古族", "自治县"} <= subs
    assert all(t.pos == parent.pos for t in toks if t.sub)


def test_numbers_split_from_magnitude_and_unit_the_same_way_on_both_sides():
    assert query_terms("4000万元") == ["4000", "万", "元"]
    assert query_terms("33.65万") == ["33.65", "万"]
    assert query_terms("91%") == ["91", "%"]
    doc = [t.text for t in segment("为33.65万名职工提供精准就业服务")]
    assert doc[:3] == ["为", "33.65", "万"]


def test_single_digits_letters_kept_lowercased_no_stemming():
    terms = query_terms("第１版 ABC running 5G")
    assert "1" in terms and "abc" in terms and "running" in terms
    # a digit run is split from what follows it, identically in documents and queries
    assert terms[-2:] == ["5", "g"] == [t.text for t in segment("5G网络")][:2]


def test_union_dictionary_words_stay_whole():
    assert "集体协商" in query_terms("开展集体协商要约行动")
    assert "新就业形态劳动者" in query_terms("为新就业形态劳动者提供服务")
    assert "职工之家" in query_terms("建设职工之家")
