"""Entity extraction on articles cut from the five seed pages (real text, real gazetteer, real jieba)."""

from __future__ import annotations

from functools import cache

import pytest

from pipeline.entities import Mention, extract_entities
from pipeline.models import Article, Byline
from tests.helpers import SEEDS

# (seed, title, kicker, body starts with, body ends before, publication date)
# Titles and kickers are the seed page's own lines; bodies are the text between two markers.
SEED_ARTICLES = {
    "anhui_open_day": (
        "000",
        "“第一次回‘娘家’，收获太多”",
        "43名基层工会干部在“机关开放日”走进安徽省总工会参观并座谈。",
        "把基层工会干部请进来",
        "## 厨艺培训促就业",
        "2020-08-12",
    ),
    "runzhou_cooking": ("000", "厨艺培训促就业", "", "8月11日，厨艺老师", "## 靖西市总", "2020-08-12"),
    "jingxi": ("000", "靖西市总开展集体协商要约行动", "", "本报讯（记者庞慧敏", "## 戈壁滩上", "2020-08-12"),
    "qianguo": ("000", "前郭县总发起消费扶贫“四大行动”", "", "本报讯（记者彭冰", "## 探索完善", "2020-08-12"),
    "gansu_inventors": (
        "000",
        "甘肃评选“工人发明家”",
        "探索完善科技创新人才的发现、培养、激励机制",
        "本报讯（记者康劲 通讯员崔小清）",
        "沈阳和平区劳模广场落成",
        "2020-08-12",
    ),
    "shenyang_heping": ("000", "沈阳和平区劳模广场落成", "", "8月11日，沈阳市和平区", "## 无锡市总工会", "2020-08-12"),
    "subei": (
        "001",
        '"1年+3年"持续发力建强县级工会',
        '甘肃省总瞄准县级工会工作短板出实招,提出"一年打基础,两年大变化,三年上台阶"',
        "本报讯(记者康劲)甘肃省酒泉市肃北",
        "围绕企业用工的难点",
        "2023-04-12",
    ),
    "qinghai": (
        "001",
        "青海开展集体协商集中要约行动",
        "围绕企业用工的难点和职工关切的热点开展协商",
        "本报讯(记者邢生祥)",
        "北京丰台区总推进",
        "2023-04-12",
    ),
    "fengtai": ("001", '北京丰台区总推进"两新"群体工会工作', "", "本报讯(记者赖志凯)", "朝阳市总组织", "2023-04-12"),
    "chaoyang": (
        "001",
        "朝阳市总组织电力企业创新工作室建联盟",
        "上下游企业职工联合攻关创新发展",
        "本报讯 (记者刘旭",
        "川渝联手举办招聘会",
        "2023-04-12",
    ),
    "rushan": (
        "001",
        "山东乳山市总下沉人员、资金、服务助力乡村振兴",
        "特色小镇建起工会服务阵地",
        "本报讯(记者杨明清",
        "全国争一流",
        "2023-04-12",
    ),
    "qinhuangdao": (
        "001",
        "秦皇岛市总探索职工志愿服务新模式",
        '快递小哥变身爱"新"骑手志愿者',
        "莹 贾丽莉)",
        "佛山市工会干部周少莹",
        "2023-04-12",
    ),
    "keqiao": (
        "002",
        "绍兴柯桥区百名工会干部进千企",
        "多走动 常联系 聊得开 谈得拢",
        "**本报讯** (记者李丹青",
        "## 扬州今年",
        "2019-04-09",
    ),
    "danzhou": (
        "003",
        "小镇上有了职工之家……",
        "海南儋州市总工会以点带面推进职工服务阵地建设，构筑全覆盖工会网络——",
        "“桌球、唱歌",
        None,
        "2022-06-20",
    ),
    "jiaxing": (
        "004",
        "嘉兴工会打造50多个“美好生活能量站”",
        "瞄准有益、有趣、有用",
        "本报讯(记者邹倜然",
        "农贸市场里的家庭医生工作室",
        "2021-05-20",
    ),
    "zhenjiang_clinic": (
        "004",
        "农贸市场里的家庭医生工作室",
        "",
        "5月18日,在江苏省镇江市",
        "大带小、强带弱",
        "2021-05-20",
    ),
    "baiyin": (
        "004",
        "白银推进职工之家结对共建",
        "大带小、强带弱、城带乡、国有带非公",
        "本报讯(通讯员白家华",
        "武汉市总举办",
        "2021-05-20",
    ),
    "wuhan": (
        "004",
        "武汉市总举办系列文艺活动",
        "职工乐享文化盛宴",
        "本报讯(记者张翀",
        "福建省总帮环卫工人",
        "2021-05-20",
    ),
}


@cache
def seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def seed_article(key: str) -> Article:
    prefix, title, kicker, start, end, date = SEED_ARTICLES[key]
    text = seed_text(prefix)
    i = text.index(start)
    j = text.index(end, i + 1) if end else len(text)
    return Article(title=title, kicker=kicker, body=text[i:j].strip(), date=date, origin=f"seed {prefix}")


@cache
def mentions_of(key: str) -> tuple[Mention, ...]:
    return tuple(extract_entities(seed_article(key)))


def regions(key: str) -> list[Mention]:
    return [m for m in mentions_of(key) if m.type == "region"]


def of_type(key: str, type_: str) -> list[Mention]:
    return [m for m in mentions_of(key) if m.type == type_]


def region_values(key: str) -> set[str]:
    return {m.value for m in regions(key)}


@pytest.mark.parametrize("key", sorted(SEED_ARTICLES))
def test_offsets_point_at_the_text_as_written(key):
    article = seed_article(key)
    for m in mentions_of(key):
        field_text = getattr(article, m.field)
        assert field_text[m.start : m.end] == m.text, m


def test_subei_written_across_a_line_break_is_the_autonomous_county():
    found = [m for m in regions("subei") if m.value == "620923"]
    assert found, regions("subei")
    first = found[0]
    assert first.text == "甘肃省酒泉市肃北 蒙古族自治县"  # OCR line break kept in the text, not in the match
    assert first.attrs["name"] == "肃北蒙古族自治县"
    assert first.attrs["level"] == "county"
    assert first.attrs["parents"] == ["甘肃省", "酒泉市"]
    assert first.attrs["parent_codes"] == ["62", "6209"]
    assert any(m.text == "肃北县" for m in found)


@pytest.mark.parametrize(
    "key, code, name, parents",
    [
        ("qianguo", "220721", "前郭尔罗斯蒙古族自治县", ["吉林省", "松原市"]),
        ("jingxi", "451081", "靖西市", ["广西壮族自治区", "百色市"]),
        ("rushan", "371083", "乳山市", ["山东省", "威海市"]),
        ("qinhuangdao", "130302", "海港区", ["河北省", "秦皇岛市"]),
        ("danzhou", "4604", "儋州市", ["海南省"]),
        ("shenyang_heping", "210102", "和平区", ["辽宁省", "沈阳市"]),
        ("runzhou_cooking", "321111", "润州区", ["江苏省", "镇江市"]),
        ("zhenjiang_clinic", "321111", "润州区", ["江苏省", "镇江市"]),
        ("keqiao", "330603", "柯桥区", ["浙江省", "绍兴市"]),
        ("baiyin", "6204", "白银市", ["甘肃省"]),
        ("gansu_inventors", "622923", "永靖县", ["甘肃省", "临夏回族自治州"]),
    ],
)
def test_hard_places_resolve_to_the_right_unit(key, code, name, parents):
    hits = [m for m in regions(key) if m.value == code]
    assert hits, [(m.text, m.value) for m in regions(key)]
    assert all(m.attrs["name"] == name and m.attrs["parents"] == parents for m in hits)
    assert all(not m.attrs["ambiguous"] for m in hits)


def test_heping_is_never_the_tianjin_district_on_the_shenyang_story():
    assert "120101" not in region_values("shenyang_heping")
    assert all(m.attrs["level"] == "county" for m in regions("shenyang_heping") if m.value == "210102")


def test_nested_mention_resolves_to_the_deepest_unit_and_keeps_the_town():
    mayan = [m for m in regions("keqiao") if m.attrs["town"]]
    assert [(m.text, m.value, m.attrs["town"]) for m in mayan] == [("柯桥区马鞍镇", "330603", "马鞍镇")]
    jinshan = [m for m in regions("runzhou_cooking") if m.value == "321111"][0]
    assert jinshan.text == "江苏省镇江市润州区金山街道" and jinshan.attrs["town"] == "金山街道"
    # 金山 inside 金山街道 is not 上海市金山区
    assert "310116" not in region_values("runzhou_cooking")


def test_county_level_city_is_a_county():
    jingxi = [m for m in regions("jingxi") if m.value == "451081"]
    assert {m.attrs["level"] for m in jingxi} == {"county"}


def test_chaoyang_city_in_liaoning_not_a_chaoyang_district():
    values = region_values("chaoyang")
    assert "2113" in values
    assert not values & {"110105", "220104"}


def _bare(body: str, title: str = "") -> list[Mention]:
    return [m for m in extract_entities(Article(title=title, body=body)) if m.type == "region"]


def test_same_name_districts_follow_the_other_places_named():
    beijing = _bare("朝阳区总工会开展慰问活动。北京市总工会有关负责人出席。")
    assert [m.value for m in beijing][:1] == ["110105"]
    changchun = _bare("吉林省长春市总工会部署工作，朝阳区总工会开展慰问活动。")
    assert "220104" in {m.value for m in changchun}
    tianjin = _bare("天津市总工会表彰劳模，和平区总工会组织职工观看。")
    assert "120101" in {m.value for m in tianjin}


def test_unresolved_same_name_says_so():
    gulou = _bare("鼓楼区总工会开展职工技能竞赛。")
    assert len(gulou) == 1
    assert sorted(gulou[0].attrs["ambiguous"]) == ["320106", "320302", "350102", "410204"]
    resolved = _bare("福建省福州市鼓楼区总工会开展职工技能竞赛。")
    assert resolved[0].value == "350102" and resolved[0].attrs["ambiguous"] == []


@pytest.mark.parametrize(
    "text, not_code",
    [
        ("沈阳市和平区劳模广场在中山公园落成。", "4420"),  # 中山公园 is a park, not 中山市
        ("工会助力乡村振兴，推动产业发展。", "210603"),  # 振兴 is a word, not 丹东市振兴区
        ("开展模范县级工会评比活动。", "410926"),  # 模范|县级, not 范县
        ("这是记者在桥头镇新兴村看到的场景。", "445321"),  # 新兴村 is a village, not 新兴县
        ("船队停泊在长江西岸。", "36"),  # 长江|西岸, not 江西
        ("推动百人以上企业新建工会组织11家。", "360112"),  # 新建 is a verb, not 南昌市新建区
        ("来自成渝地区双城经济圈的企业参加招聘。", "230113"),  # 双城 with nothing around it
    ],
)
def test_words_that_look_like_places_are_not_places(text, not_code):
    assert not_code not in {m.value for m in _bare(text)}


def test_union_abbreviations_resolve_to_the_places_union():
    values = {m.value for m in of_type("anhui_open_day", "org")}
    assert "安徽省总工会" in values
    assert {m.value for m in of_type("anhui_open_day", "org") if m.text == "省总"} == {"安徽省总工会"}
    jingxi = {(m.text, m.value) for m in of_type("jingxi", "org")}
    assert ("靖西市总", "靖西市总工会") in jingxi
    assert ("市人社局", "靖西市人社局") in jingxi
    fengtai = {(m.text, m.value) for m in of_type("fengtai", "org")}
    assert ("区总工会", "丰台区总工会") in fengtai
    assert ("北京丰台区总", "丰台区总工会") in fengtai
    qianguo = [m for m in of_type("qianguo", "org") if m.text == "前郭县总"]
    assert qianguo and qianguo[0].value == "前郭尔罗斯蒙古族自治县总工会" and qianguo[0].attrs["region"] == "220721"


def _orgs(body: str, title: str = "") -> list[Mention]:
    return [m for m in extract_entities(Article(title=title, body=body)) if m.type == "org"]


@pytest.mark.parametrize(
    "text",
    [
        "南京溧水区总投资482亿元的56个重点项目集中开工。",  # the district's total investment
        "据统计，高新区总投资120亿元的机器人项目已经投产。",  # a bare 区总 with no place before it
        "决战脱贫攻坚，贵州总攻深度贫困堡垒。",  # 贵州 makes its final assault
        "通报显示，广州总排查河湖问题1200多个。",
        "衡阳市总人口和城区人口均排在全省前列。",
        "整修后的园区总面积188亩，分为三个区域。",
    ],
)
def test_a_places_total_is_not_its_union(text):
    assert [m.value for m in _orgs(text) if m.attrs["kind"] != "gov"] == []


def test_union_abbreviation_still_read_before_a_verb():
    assert [(m.text, m.value) for m in _orgs("靖西市总投入资金300万元，区总攻坚克难为农民工讨薪。")] == [
        ("靖西市总", "靖西市总工会"),
        ("区总", "区总工会"),
    ]


def test_a_bureau_after_its_city_is_the_citys_not_a_county_named_like_it():
    mentions = extract_entities(Article(title="", body="荆州市公安局联合市总工会开展送温暖活动。"))
    assert [(m.type, m.text, m.value) for m in mentions if m.type in ("region", "org")] == [
        ("org", "荆州市公安局", "荆州市公安局"),
        ("region", "荆州市", "4210"),
        ("org", "市总工会", "荆州市总工会"),
    ]
    assert {m.attrs["region"] for m in mentions if m.type == "org"} == {"4210"}
    # the county itself is still found, written out or right after its city
    county = extract_entities(Article(title="", body="湖北省荆州市公安县公安局交警大队埠河中队开展巡逻。"))
    assert [(m.value, m.attrs.get("region")) for m in county if m.type in ("region", "org")] == [
        ("公安县公安局", "421022"),
        ("421022", None),
    ]


def test_industry_and_town_unions():
    anhui = {m.value: m.attrs["kind"] for m in of_type("anhui_open_day", "org")}
    assert anhui.get("快递行业工会联合会") == "industry_union"
    assert "宣城市金坝街道总工会" in anhui
    fengtai = {m.value for m in of_type("fengtai", "org")}
    assert "楼宇工会联合会" in fengtai
    keqiao = {m.value: m.attrs["region"] for m in of_type("keqiao", "org")}
    assert keqiao.get("柯桥区马鞍镇总工会") == "330603"
    qhd = {m.value: m.attrs["region"] for m in of_type("qinhuangdao", "org")}
    assert qhd.get("海港区人民里社区工会联合会") == "130302"


@pytest.mark.parametrize(
    "key, program, org",
    [
        ("subei", "马背送学", "肃北蒙古族自治县总工会"),
        ("subei", "四抓两评", "甘肃省总工会"),
        ("keqiao", "百名工会干部进千企", "柯桥区总工会"),
        ("jiaxing", "美好生活能量站", "嘉兴市总工会"),
        ("qianguo", "四大行动", "前郭尔罗斯蒙古族自治县总工会"),
    ],
)
def test_programs_with_the_organisation_that_runs_them(key, program, org):
    found = [m for m in of_type(key, "program") if m.value == program]
    assert found, [m.value for m in of_type(key, "program")]
    assert org in {m.attrs["org"] for m in found}


def test_document_titles_are_programs_of_kind_document():
    docs = [m for m in of_type("keqiao", "program") if m.attrs["kind"] == "document"]
    assert [m.value for m in docs] == ["服务手册"]
    wuhan = [m.value for m in of_type("wuhan", "program") if m.attrs["kind"] == "document"]
    assert "学党史知国情跟党走" in wuhan and "女驸马" in wuhan


def _figure(key: str, text_startswith: str) -> Mention:
    found = [m for m in of_type(key, "figure") if m.text.replace(" ", "").startswith(text_startswith)]
    assert found, [m.text for m in of_type(key, "figure")]
    return found[0]


def test_figures_are_parsed_with_unit_and_what_they_count():
    money = _figure("subei", "4000万元")
    assert (money.value, money.attrs["unit"], money.attrs["number"]) == ("40000000", "元", 40000000.0)
    assert "经费" in money.attrs["counted"]
    workers = _figure("subei", "33.65万名")
    assert (workers.value, workers.attrs["unit"], workers.attrs["counted"]) == ("336500", "名", "职工")
    fairs = _figure("subei", "657场次")
    assert (fairs.value, fairs.attrs["unit"], fairs.attrs["counted"]) == ("657", "场次", "专场招聘会")
    population = _figure("subei", "1.5万")
    assert population.value == "15000" and population.attrs["counted"].endswith("人口")
    rate = _figure("jingxi", "91%")
    assert (rate.value, rate.attrs["unit"]) == ("91", "%")
    hundred = _figure("keqiao", "百名")
    assert (hundred.value, hundred.attrs["counted"]) == ("100", "工会干部")


def test_people_after_role_words():
    people = {(m.value, m.attrs["role"]) for m in of_type("gansu_inventors", "person")}
    assert {("康劲", "记者"), ("崔小清", "通讯员"), ("张弘强", "副主席"), ("胡耀琼", "理事长")} <= people
    keqiao = {m.value: m.attrs for m in of_type("keqiao", "person")}
    assert keqiao["盛兴来"]["role"] == "主席" and keqiao["盛兴来"]["org"] == "柯桥区马鞍镇总工会"
    anhui = {m.value: m.attrs for m in of_type("anhui_open_day", "person")}
    assert anhui["班宝林"]["role"] == "副主席"
    assert anhui["李勋"]["role"] == "主席"  # 李勋如数家珍: the name stops before the idiom
    qianguo = {m.value for m in of_type("qianguo", "person")}
    assert {"彭冰", "柳姗姗", "刘长宇"} <= qianguo


def test_byline_outside_the_body_is_read_too():
    article = Article(title="标题", body="正文没有署名。", byline=Byline(raw="本报记者 吴铎思 本报通讯员 杨林"))
    people = [(m.field, m.value, m.attrs["role"]) for m in extract_entities(article) if m.type == "person"]
    assert people == [("byline", "吴铎思", "记者"), ("byline", "杨林", "通讯员")]


def test_dates_take_the_publication_year_or_stay_as_stated():
    article = seed_article("gansu_inventors").with_(dateline="8月8日")
    dates = {m.text: (m.value, m.attrs["kind"]) for m in extract_entities(article) if m.type == "date"}
    assert dates["8月8日"] == ("2020-08-08", "dateline")
    subei = {m.text: m.value for m in of_type("subei", "date")}
    assert subei["今年以来"] == "今年以来"
    fengtai = {m.text: m.value for m in of_type("fengtai", "date")}
    assert fengtai["2022年以来"] == "2022年以来"
    undated = Article(title="t", body="6月7日，省总工会召开推进会。")
    assert [m.value for m in extract_entities(undated) if m.type == "date"] == ["6月7日"]


def test_statistical_people_are_opt_in():
    article = Article(title="t", body="座谈会上，王金星带着几名技术骨干前去考察。")
    rules_only = [m for m in extract_entities(article) if m.type == "person"]
    with_lac = [m for m in extract_entities(article, statistical=True) if m.type == "person"]
    assert rules_only == []
    assert [(m.value, m.attrs["source"]) for m in with_lac] == [("王金星", "lac")]


def test_ner_spans_keep_a_province_apart_from_the_organisation_after_it():
    from benchmarks.ner import ner_spans

    text = "今年3月6日，江苏省宿迁市中级人民法院以受贿罪判处原宿迁市副市长。"
    spans = {(text[s:e], label) for s, e, label in ner_spans(text, statistical=False)}
    assert {("江苏省", "LOC"), ("宿迁市中级人民法院", "ORG"), ("宿迁市", "LOC")} <= spans


def test_ner_spans_fix_lac_slips():
    from benchmarks.ner import ner_spans

    text = "为了照顾这五个孩子，王大娘十多年来没睡过一个安稳觉。"
    assert ("王", "PER") in {(text[s:e], label) for s, e, label in ner_spans(text)}
    pair = "把欧美、港台流行的食品类图谱汇集一堂。"
    assert {("欧", "LOC"), ("美", "LOC")} <= {(pair[s:e], label) for s, e, label in ner_spans(pair)}


def test_figures_on_literals():
    from pipeline.figures import find_figures

    found = {t[2]: t[3] for t in find_figures("共返还13.2亿元，投入两亿元以上，超1000场“文化大餐”，万众一心。")}
    assert found["1320000000"]["unit"] == "元"
    assert found["200000000"]["unit"] == "元"
    assert found["1000"]["counted"] == "文化大餐"
    assert len(found) == 3  # 万众一心 is not ten thousand of anything
