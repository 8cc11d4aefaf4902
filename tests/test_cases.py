"""Best-practice cases from real entity mentions: who acts, which figures belong, what merges.

Articles go through the real extractor (pipeline.entities); case rules are index.cases.
"""

from __future__ import annotations

import pytest

from index.cases import (
    ArticleText,
    CaseEvidence,
    article_case_evidence,
    cases_csv,
    cases_csv_rows,
    cluster_cases,
)
from pipeline.entities import extract_entities
from pipeline.models import Article
from tests.helpers import CORPUS


def evidence_of(article: Article, aid: str = "a1") -> list[CaseEvidence]:
    text = ArticleText(aid, article.title, article.body, article.kicker, article.subtitle, article.date)
    return article_case_evidence(text, extract_entities(article))


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The sample corpus ingested into a real archive (cleaned, split, extracted as in use)."""
    from index.archive import Archive
    from pipeline.loaders import iter_sources

    archive = Archive.open(tmp_path_factory.mktemp("cases") / "archive", create=True)
    archive.ingest(iter_sources([CORPUS]), workers=1)
    yield archive
    archive.close()


def all_cases(archive):
    return archive.cases(k=10000)


def seed_case(archive, program: str):
    found = [c for c in all_cases(archive) if c.program == program]
    assert len(found) == 1, [c.program for c in all_cases(archive)]
    return found[0]


# Questions about the seed pages with the region (and organisation) that answer them right.
WHO_ANSWERS = [
    ("哪个县推出了马背送学？", "肃北蒙古族自治县", "肃北蒙古族自治县总工会"),
    ('哪个省首次评选"工人发明家"', "甘肃省", "甘肃省总工会"),
    ("哪个省要求工资集体协商建制率超90%", "青海省", "青海省总工会"),
    ("哪个县发起了消费扶贫四大行动", "前郭尔罗斯蒙古族自治县", "前郭尔罗斯蒙古族自治县总工会"),
    ("哪个区在社区成立了共享职工之家", "海港区", "海港区总工会"),
    ('哪个区成立爱"新"骑手志愿服务队', "海港区", None),
    ("哪个城市打造美好生活能量站", "嘉兴市", "嘉兴市总工会"),
    ("哪个城市的工会举办了职工经典诵读分享会", "武汉市", "武汉市总工会"),
    ("哪个县级市的集体协商建制率保持在91%", "靖西市", "靖西市总工会"),
    ("哪个县级市总工会开展集体协商要约行动", "靖西市", "靖西市总工会"),
    ("哪个区开展了百名工会干部进千企活动", "柯桥区", "柯桥区总工会"),
    ("哪个城市开展模范职工之家结对共建", "白银市", "白银市总工会"),
    ("哪个区打造楼宇工会联合会", "丰台区", "丰台区总工会"),
]


def test_every_program_in_a_correct_who_answer_is_a_case_with_its_region_and_organisation(seed):
    from index.cases import canonical_org, normalise_program
    from pipeline.regions import is_within

    cases = all_cases(seed)
    checked = []
    for question, region, org in WHO_ANSWERS:
        for a in seed.who(question, k=5):
            right = a.region == region and (org is None or canonical_org(a.org, a.code) == org)
            if not (right and a.program):
                continue
            matches = [
                c
                for c in cases
                if normalise_program(a.program) in {normalise_program(p) for p in c.programs}
                and canonical_org(c.org, c.region_code) == canonical_org(a.org, a.code)
                and (c.region_code == a.code or is_within(c.region_code, a.code))
            ]
            assert matches, (question, a.org, a.program, a.region)
            checked.append(a.program)
    assert {"马背送学", "工人发明家", "四大行动", "共享职工之家", "美好生活能量站"} <= set(checked), checked


def test_a_county_program_is_a_case_with_its_region_hierarchy_and_defining_sentence(seed):
    c = seed_case(seed, "马背送学")
    assert (c.org, c.region, c.level, c.parents) == (
        "肃北蒙古族自治县总工会",
        "肃北蒙古族自治县",
        "county",
        ["甘肃省", "酒泉市"],
    )
    assert "创新推出“马背送学”" in c.description and c.description.startswith("今年以来")
    assert [a.title for a in c.articles] == ["“1年+3年”持续发力建强县级工会"]


def test_4000_wan_yuan_belongs_to_the_provincial_case_not_to_its_county_neighbour(seed):
    owners = [c for c in all_cases(seed) if any(f.text == "4000万元" for f in c.figures)]
    assert [(c.org, c.region, c.program) for c in owners] == [("甘肃省总工会", "甘肃省", "县级工会加强年")]
    money = next(f for f in owners[0].figures if f.text == "4000万元")
    assert (money.value, money.unit, money.kind, money.what) == (40000000.0, "元", "money", "专项补助经费")
    assert not seed_case(seed, "马背送学").figures  # the county's story names no figure of its own
    # an area or a population is not a result
    assert not any(f.text in ("6.6万平方公里", "1.5万") for c in all_cases(seed) for f in c.figures)


def test_an_organisation_named_as_an_object_does_not_act(seed):
    # 甘肃省总工会在准确把握全总要求…提出…“县级工会加强年”: the province acts, not 全总
    assert seed_case(seed, "县级工会加强年").org == "甘肃省总工会"
    assert not any(c.org == "中华全国总工会" for c in all_cases(seed))


def test_a_headline_place_takes_the_union_the_body_names_for_it(seed):
    c = seed_case(seed, "工人发明家")  # 甘肃评选“工人发明家”
    assert (c.org, c.region) == ("甘肃省总工会", "甘肃省")


def test_a_headline_action_without_a_program_is_a_case(seed):
    c = seed_case(seed, "吸纳绣艺工匠入会")  # 新余市总吸纳绣艺工匠入会
    assert (c.org, c.region, c.parents) == ("新余市总工会", "新余市", ["江西省"])
    assert c.description.startswith("近日，江西省新余市总工会推动")


def test_a_round_up_of_several_provinces_gives_one_case_per_province_and_program(seed):
    (title,) = {a.title for c in all_cases(seed) for a in c.articles if a.title.startswith("坚持不懈增")}
    got = {(c.org, c.region, c.program) for c in all_cases(seed) if any(a.title == title for a in c.articles)}
    for expected in [
        ("上海市工会", "上海市", "申工网"),
        ("浙江省工会", "浙江省", "五个一"),
        ("福建省工会", "福建省", "劳模八闽行"),
        ("广东省工会", "广东省", "尊法守法·携手筑梦"),
        ("辽宁省工会", "辽宁省", "解放思想推动高质量发展大讨论"),
    ]:
        assert expected in got, expected
    # 按照省委“三服务”活动的统一部署: a frame, not a program 浙江 runs
    assert not any(p == "三服务" for _, _, p in got)


def test_evidence_points_at_the_sentence_as_written(seed):
    checked = 0
    for sa in seed.store.iter_articles():
        a = sa.article
        for e in evidence_of(a, sa.id):
            written = getattr(a, e.field)[e.start : e.end]
            assert written.replace(" ", "").replace("\n", "") == e.description.replace(" ", "")
            checked += 1
    assert checked >= 40


ROUND_UP = Article(
    title="甘肃多地县级工会创新服务职工",
    body=(
        "本报讯（记者康劲）今年以来，甘肃各县区工会创新服务方式。\n"
        "肃北县总工会推出“马背送学”宣讲模式，为牧区职工送去学习资料。全年投入经费20万元。\n"
        "临泽县总工会开展“技能夜校”培训活动，培训职工1200人次。\n"
        "据介绍，两县工会还将继续扩大服务范围，覆盖职工3万人。"
    ),
    date="2021-03-02",
)


def test_each_county_of_a_round_up_keeps_its_own_figures():
    ev = {e.program: e for e in evidence_of(ROUND_UP)}
    assert set(ev) == {"马背送学", "技能夜校"}
    assert (ev["马背送学"].org, ev["马背送学"].region) == ("肃北蒙古族自治县总工会", "620923")
    assert (ev["技能夜校"].org, ev["技能夜校"].region) == ("临泽县总工会", "620723")
    # the sentence after a case's own, in its paragraph, still belongs to it; a new paragraph does not
    assert [f.text for f in ev["马背送学"].figures] == ["20万元"]
    assert [f.text for f in ev["技能夜校"].figures] == ["1200人次"]


def test_a_person_with_an_organisations_title_is_not_the_organisation_acting():
    a = Article(
        title="全国“敬老月”活动启动",
        body="国务院副总理孙春兰8日出席全国“敬老月”主题宣传活动，向全国老年人致以节日问候。",
    )
    assert not evidence_of(a)


def test_a_places_total_is_no_union_acting_and_a_citys_bureau_is_the_citys():
    total = Article(
        title="溧水重点项目集中开工", body="南京溧水区总投资482亿元，启动“项目攻坚年”行动，帮助企业复工复产。"
    )
    assert not evidence_of(total)
    assault = Article(title="贵州总攻深度贫困", body="贵州总攻深度贫困，开展“百日攻坚”行动，帮助贫困群众脱贫。")
    assert not evidence_of(assault)
    bureau = Article(title="荆州警方护航复工", body="荆州市公安局推出“警企直通车”服务，帮助企业复工复产。")
    assert [(e.org, e.region, e.program) for e in evidence_of(bureau)] == [("荆州市公安局", "4210", "警企直通车")]


def test_a_program_given_as_a_goal_is_not_run_by_the_subject():
    a = Article(
        title="江苏工会建功新时代",
        body="近年来，江苏工会大力实施“建功立业”行动，引领全省职工为建设“强富美高”新江苏作出积极贡献。",
    )
    assert [e.program for e in evidence_of(a)] == ["建功立业"]


def _report(aid: str, date: str, lead: str, more: str = "") -> CaseEvidence:
    a = Article(title="肃北县总工会马背送学进牧区", body=lead + more, date=date)
    (e,) = [e for e in evidence_of(a, aid) if e.program == "马背送学"]
    return e


def test_the_same_program_by_the_same_organisation_across_articles_is_one_case():
    first = _report(
        "b1", "2020-03-01", "今年以来，肃北县总工会创新推出“马背送学”宣讲模式，走进牧区。", "共送学120场次。"
    )
    follow = _report("b2", "2021-05-20", "一年来，肃北县总工会持续开展“马背送学”活动，累计惠及牧民群众8000人。")
    reprint = _report("b3", "2021-05-21", "一年来，肃北县总工会持续开展“马背送学”活动，累计惠及牧民群众8000人。")
    other_org = CaseEvidence(
        **{
            **first.to_dict(),
            "figures": (),
            "article_id": "b4",
            "org": "阿克塞哈萨克族自治县总工会",
            "region": "620924",
        }
    )
    cases = cluster_cases([first, follow, reprint, other_org])
    assert len(cases) == 2
    c = next(c for c in cases if c.org == "肃北蒙古族自治县总工会")
    assert [a.id for a in c.articles] == ["b1", "b2", "b3"]
    assert (c.first_date, c.last_date) == ("2020-03-01", "2021-05-21")
    assert [f.text for f in c.figures] == ["120场次", "8000人"]  # the reprint's figure is not counted twice
    assert c.independent_articles == 2  # the reprint repeats its original's defining sentence
    assert cluster_cases([follow, first])[0].id == c.id  # the id does not depend on the order


def test_near_identical_descriptions_merge_through_the_vectors(embedding_models):
    base = dict(title="t", date=None, org="靖西市总工会", region="451081", field="body", start=0, end=10)
    a = CaseEvidence(
        article_id="c1",
        program="集体协商要约行动",
        kind="action",
        description="广西靖西市总工会日前联合市人社局共同举办了2020年靖西市集体协商集中要约行动启动仪式。",
        **base,
    )
    b = CaseEvidence(
        article_id="c2",
        program="要约行动",
        kind="program",
        description="靖西市总工会日前联合市人社局举办2020年靖西市集体协商集中“要约行动”启动仪式。",
        **base,
    )
    c = CaseEvidence(
        article_id="c3",
        program="职工书屋",
        kind="program",
        description="靖西市总工会在全市企业建设职工书屋，丰富职工文化生活。",
        **base,
    )
    doc = dict(base, org="中共中央", region="", kind="action")
    d1 = CaseEvidence(
        article_id="d1",
        program="印发《中国共产党国有企业基层组织工作条例（试行）》",
        **doc,
        description="近日，中共中央印发了《中国共产党国有企业基层组织工作条例（试行）》，要求各地区各部门认真遵照执行。",
    )
    d2 = CaseEvidence(
        article_id="d2",
        program="印发《中国共产党党和国家机关基层组织工作条例》",
        **doc,
        description="近日，中共中央印发了《中国共产党党和国家机关基层组织工作条例》，要求各地区各部门认真遵照执行。",
    )
    evidence = [a, b, c, d1, d2]
    vectors = embedding_models.static.encode_passages([e.description for e in evidence])
    cases = cluster_cases(evidence, vectors)
    assert sorted(sorted(x.id for x in k.articles) for k in cases) == [["c1", "c2"], ["c3"], ["d1"], ["d2"]]
    merged = next(k for k in cases if len(k.articles) == 2)
    assert merged.program == "要约行动"  # a named program over a headline's wording
    assert len(cluster_cases(evidence)) == 5  # without vectors only equal names merge


def test_csv_rows_carry_the_region_path_figures_and_first_title(seed):
    c = seed_case(seed, "县级工会加强年")
    header, row = cases_csv_rows([c])
    assert header[0] == "地区" and len(row) == len(header)
    assert row[0] == "甘肃省" and row[1] == "甘肃省总工会" and "4000万元（专项补助经费）" in row[5]
    assert row[6] == "1" and row[7] == "“1年+3年”持续发力建强县级工会"
    data = cases_csv([c])
    assert data.startswith("\ufeff".encode()) and data.count(b"\r\n") == 2


def test_an_archive_without_cases_builds_them_on_first_use(tmp_path):
    from index.archive import Archive
    from pipeline.loaders import iter_sources

    with Archive.open(tmp_path / "old", create=True) as archive:
        archive.build_cases = False  # as an archive made before cases existed
        archive.ingest(iter_sources([CORPUS]), workers=1)
        assert not archive.case_index.is_current()
    with Archive.open(tmp_path / "old") as archive:
        assert seed_case(archive, "马背送学").org == "肃北蒙古族自治县总工会"
        assert archive.case_index.is_current()


def test_cases_commit_with_the_store_or_not_at_all(tmp_path, monkeypatch):
    from index.archive import Archive
    from index.store import ArticleStore
    from pipeline.loaders import iter_sources

    def fail(self):
        raise OSError("disk full")

    archive = Archive.open(tmp_path / "a", create=True)
    monkeypatch.setattr(ArticleStore, "commit", fail)
    with pytest.raises(OSError):
        archive.ingest(iter_sources([CORPUS]), workers=1)
    monkeypatch.undo()
    archive.close()
    with Archive.open(tmp_path / "a") as archive:
        assert archive.store.count() == 0
        assert archive.case_index.count() == 0
        assert not archive.case_index.tables.evidence_of_groups(["肃北蒙古族自治县总工会\x1f620923"])
