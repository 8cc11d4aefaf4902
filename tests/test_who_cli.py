"""`who`, `entities` and region filters through the CLI on the sample corpus."""

import pytest
from click.testing import CliRunner

from search_cli import cli
from tests.helpers import CORPUS, cli_json, cli_ok


@pytest.fixture(scope="module")
def idx(tmp_path_factory):
    d = tmp_path_factory.mktemp("who")
    cli_ok(d, "ingest", CORPUS)
    return d


j = cli_json


@pytest.mark.parametrize(
    "question, region, level, parents",
    [
        ("哪个县推出了马背送学？", "肃北蒙古族自治县", "county", ["甘肃省", "酒泉市"]),
        ("哪个城市的工会举办了职工经典诵读分享会", "武汉市", "city", ["湖北省"]),
        ('哪个省首次评选"工人发明家"', "甘肃省", "province", []),
        ("哪个省要求工资集体协商建制率超90%", "青海省", "province", []),
        ("哪个县发起了消费扶贫四大行动", "前郭尔罗斯蒙古族自治县", "county", ["吉林省", "松原市"]),
        ("哪个县级市的集体协商建制率保持在91%", "靖西市", "county", ["广西壮族自治区", "百色市"]),
        ("哪个区在社区成立了共享职工之家", "海港区", "county", ["河北省", "秦皇岛市"]),
        ("哪个区开展了百名工会干部进千企活动", "柯桥区", "county", ["浙江省", "绍兴市"]),
    ],
)
def test_who_answers_seed_questions_at_rank_one_with_evidence(idx, question, region, level, parents):
    answers = j(idx, "who", question)
    assert answers, question
    top = answers[0]
    assert top["region"] == region, [a["region"] for a in answers]
    assert top["level"] == level and top["parents"] == parents
    assert top["evidence"] and top["article_id"] and top["title"]


def test_who_level_option_rolls_counties_up(idx):
    answers = j(idx, "who", "马背送学", "--level", "province")
    assert answers[0]["region"] == "甘肃省"


def test_region_filter_includes_everything_below(idx):
    titles = [r["title"] for r in j(idx, "search", "工会", "--region", "甘肃省", "-k", "50")]
    assert any("县级工会" in t for t in titles)  # 肃北
    assert any("白银" in t for t in titles)
    assert not any("靖西" in t for t in titles)


def test_ambiguous_and_unknown_region_are_one_line_errors(idx):
    r = CliRunner().invoke(cli, ["--index", str(idx), "search", "工会", "--region", "朝阳"])
    assert r.exit_code == 1 and "ambiguous" in r.output and "--level" in r.output
    r = CliRunner().invoke(cli, ["--index", str(idx), "search", "工会", "--region", "火星省"])
    assert r.exit_code == 1 and "unknown region" in r.output


def test_entities_lists_programs_and_regions_with_counts(idx):
    programs = {e["value"] for e in j(idx, "entities", "--type", "program", "--limit", "200")}
    assert {"马背送学", "美好生活能量站"} <= programs
    regions = j(idx, "entities", "--type", "region", "--region", "甘肃省", "--limit", "200")
    names = {e["name"] for e in regions}
    assert "肃北蒙古族自治县" in names and "白银市" in names
    assert all(e["articles"] >= 1 for e in regions)


def test_who_answers_in_one_line_when_the_place_is_unknown_or_nothing_fits(idx):
    r = CliRunner().invoke(cli, ["--index", str(idx), "who", "火星省哪个县推出了马背送学"])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and "火星省" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["--index", str(idx), "who", "哪个县推出了登月计划和深海潜航"])
    assert r.exit_code == 0 and "Traceback" not in r.output


def test_who_never_answers_above_the_level_asked(idx):
    answers = j(idx, "who", '哪个县首次评选"工人发明家"')
    assert all(a["level"] == "county" and a["region"] != "甘肃省" for a in answers)
    r = CliRunner().invoke(cli, ["--index", str(idx), "who", "马背送学", "--level", "town"])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_who_json_says_whether_the_region_is_in_the_gazetteer(idx):
    top = j(idx, "who", "哪个县推出了马背送学")[0]
    assert top["in_gazetteer"] is True and top["code"] == "620923" and top["successor"] == ""
