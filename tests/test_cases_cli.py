"""`cases` and `case` through the CLI on real archives: filters, JSON shape, CSV, and the case
index kept in step with ingest (incremental equals rebuilt)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from click.testing import CliRunner

from search_cli import cli
from tests.helpers import CORPUS, cli_json, cli_ok

CASE_KEYS = {
    "id",
    "region",
    "level",
    "parents",
    "org",
    "program",
    "description",
    "first_date",
    "last_date",
    "figures",
    "articles",
    "score",
}

# Two reports of one county program a year apart, and another county's program, with dates.
DATED = [
    {
        "title": "肃北县总工会“马背送学”进牧区",
        "date": "2020-03-02",
        "source": "工人日报",
        "text": "今年以来，甘肃省肃北县总工会创新推出“马背送学”宣讲模式，以骑马流动宣讲的方式走进牧区。共送学120场次。",
    },
    {
        "title": "“马背送学”一年惠及牧民8000人",
        "date": "2021-05-20",
        "source": "工人日报",
        "text": "一年来，甘肃省肃北县总工会持续开展“马背送学”活动，累计惠及牧民群众8000人。",
    },
    {
        "title": "临泽县总工会开办技能夜校",
        "date": "2021-06-01",
        "source": "工人日报",
        "text": "近日，甘肃省临泽县总工会开展“技能夜校”培训活动，培训职工1200人次。",
    },
]


def run(index_dir, *args):
    return CliRunner().invoke(cli, ["--index", str(index_dir), *map(str, args)])


@pytest.fixture(scope="module")
def idx(tmp_path_factory):
    d = tmp_path_factory.mktemp("cases_cli")
    cli_ok(d, "ingest", CORPUS)
    return d


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    d = tmp_path_factory.mktemp("cases_dated")
    src = d / "dated.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in DATED), encoding="utf-8")
    cli_ok(d / "archive", "ingest", src)
    return d / "archive"


def test_cases_json_has_the_documented_shape(idx):
    found = cli_json(idx, "cases", "-k", "500")
    assert len(found) >= 40
    for c in found:
        assert set(c) == CASE_KEYS
        assert c["articles"] and all(set(a) == {"id", "title", "date", "evidence"} for a in c["articles"])
        assert c["org"] and c["program"] and c["description"] and c["level"]
    scores = [c["score"] for c in found]
    assert scores == sorted(scores, reverse=True)


def test_a_query_finds_the_case_by_program_description_or_figure(idx):
    top = cli_json(idx, "cases", "马背送学", "-k", "3")[0]
    assert (top["program"], top["org"], top["region"]) == ("马背送学", "肃北蒙古族自治县总工会", "肃北蒙古族自治县")
    assert top["parents"] == ["甘肃省", "酒泉市"]
    # described in other words: hybrid matching finds it by meaning and words together
    assert cli_json(idx, "cases", "骑马到牧区宣讲政策", "-k", "3")[0]["program"] == "马背送学"
    money = cli_json(idx, "cases", "4000万元", "-k", "3")[0]
    assert money["org"] == "甘肃省总工会" and any(f["text"] == "4000万元" for f in money["figures"])


def test_region_and_program_filters(idx):
    gansu = cli_json(idx, "cases", "--region", "甘肃省", "-k", "100")
    assert gansu and all("甘肃省" in [*c["parents"], c["region"]] for c in gansu)
    assert {"马背送学", "工人发明家", "县级工会加强年"} <= {c["program"] for c in gansu}
    county = cli_json(idx, "cases", "--region", "酒泉市", "-k", "100")
    assert [c["program"] for c in county] == ["马背送学"]
    assert [c["program"] for c in cli_json(idx, "cases", "--program", "送学")] == ["马背送学"]


def test_one_case_by_id_prefix(idx):
    listed = cli_json(idx, "cases", "马背送学", "-k", "1")[0]
    shown = cli_json(idx, "case", listed["id"][:6])
    assert {k: v for k, v in shown.items() if k != "score"} == {k: v for k, v in listed.items() if k != "score"}
    text = cli_ok(idx, "case", listed["id"])
    assert "肃北蒙古族自治县总工会" in text and "马背送学" in text and "“1年+3年”持续发力建强县级工会" in text


def test_csv_is_a_spreadsheet_a_union_office_can_open(idx):
    r = CliRunner().invoke(cli, ["--index", str(idx), "cases", "--region", "甘肃省", "--csv"])
    assert r.exit_code == 0, r.output
    data = r.stdout_bytes
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["地区", "组织", "项目/行动", "开始日期", "最近日期", "关键数字", "文章数", "首篇文章"]
    gansu = cli_json(idx, "cases", "--region", "甘肃省")
    assert len(rows) == len(gansu) + 1
    row = next(r for r in rows if r[2] == "县级工会加强年")
    assert row[0] == "甘肃省" and row[1] == "甘肃省总工会" and "4000万元" in row[5] and row[6] == "1"
    assert next(r for r in rows if r[2] == "马背送学")[0] == "甘肃省 / 酒泉市 / 肃北蒙古族自治县"


def test_bad_input_is_one_line(idx):
    for args, message in [
        (("cases", "--region", "朝阳"), "ambiguous"),
        (("cases", "--region", "火星省"), "unknown region"),
        (("case", "ffffffffffff"), "no case"),
        (("cases", '"马背'), "unbalanced quotes"),
        (("cases", "--since", "yesterday"), "not a date"),
        (("cases", "--json", "--csv"), "choose one"),
    ]:
        r = run(idx, *args)
        assert r.exit_code != 0 and message in r.output, (args, r.output)
        assert "Traceback" not in r.output


def test_same_program_across_articles_is_one_case_with_first_and_last_date(dated):
    (case,) = [c for c in cli_json(dated, "cases") if c["program"] == "马背送学"]
    assert (case["first_date"], case["last_date"]) == ("2020-03-02", "2021-05-20")
    assert [a["date"] for a in case["articles"]] == ["2020-03-02", "2021-05-20"]
    assert {f["text"] for f in case["figures"]} == {"120场次", "8000人"}
    # two independent reports rank it above the one-article case
    assert [c["program"] for c in cli_json(dated, "cases")] == ["马背送学", "技能夜校"]


def test_date_filters_keep_cases_whose_dates_overlap(dated):
    assert [c["program"] for c in cli_json(dated, "cases", "--since", "2021-05-25")] == ["技能夜校"]
    assert [c["program"] for c in cli_json(dated, "cases", "--until", "2020-12-31")] == ["马背送学"]
    assert sorted(c["program"] for c in cli_json(dated, "cases", "--since", "2021-01-01")) == ["技能夜校", "马背送学"]


def test_incremental_cases_equal_a_rebuild_from_the_store(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    pages = sorted(CORPUS.glob("*.txt"))
    for p in pages[:3]:
        shutil.copy(p, first)
    for p in pages[3:]:
        shutil.copy(p, second)
    archive = tmp_path / "archive"
    cli_ok(archive, "ingest", first)
    before = {c["id"] for c in cli_json(archive, "cases", "-k", "1000")}
    cli_ok(archive, "ingest", second)
    incremental = cli_json(archive, "cases", "-k", "1000")
    assert before < {c["id"] for c in incremental}
    out = cli_ok(archive, "rebuild")
    assert f"cases: {len(incremental)}" in out
    assert cli_json(archive, "cases", "-k", "1000") == incremental
