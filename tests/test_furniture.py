"""Page furniture and digests, on lines written for these tests in the shapes e-papers print.

Header lines, navigation and the page's headline list are not text of a story; a table of
contents or a column's opening note is kept as kind "furniture" and left out of search and
who; a digest of items with their own text becomes one article per item.
"""

from __future__ import annotations

import json

import pytest

from pipeline.models import Article, Page
from pipeline.process import articles_from_source
from pipeline.split import finish_article, is_furniture_line, split_page_into_articles
from tests.helpers import cli_json, cli_ok


@pytest.mark.parametrize(
    "line",
    [
        "00003版:综合新闻",
        "第2046期:第03版 要闻",
        "第05版：工会",
        "第B02版:城事·民生",
        "3上一版  下一版4",
        "上一篇 下一篇",
        "版面导航",
        "本版导读",
        "往期回顾",
        "字号：",
        "版面：04：读书",
        "江南工人报 要闻 00001 县总工会开展技能比武 2019-03-08 2 2019年03月08日 星期五",
    ],
)
def test_page_furniture_lines_are_recognised(line):
    assert is_furniture_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "县总工会开展技能比武",
        "本报讯 3月5日，平遥县总工会启动职工书屋进工地活动。",
        "第二届职工运动会开幕",
        "他说：“下一篇文章我还要写工会。”",
    ],
)
def test_story_lines_are_not_furniture(line):
    assert not is_furniture_line(line)


def test_header_and_trailer_lines_leave_a_story_and_its_real_headline():
    art = Article(
        title="00001版:要闻",
        body=(
            "平遥职工书屋开到工地\n"
            "本报讯 3月5日，平遥县总工会启动职工书屋进工地活动，首批书屋设在高铁站建设项目部。\n"
            "江南工人报 要闻 00001 平遥职工书屋开到工地 2019-03-08 2 2019年03月08日 星期五"
        ),
    )
    [out] = finish_article(art)
    assert out.title == "平遥职工书屋开到工地" and out.kind == "news"
    assert out.body.startswith("本报讯") and "00001" not in out.body


def test_the_pages_headline_list_goes_and_the_repeated_headline_is_the_title():
    art = Article(
        title="第05版:工会",
        body=(
            "东城区总工会举办职工书法展\n寿宁县茶厂工人上夜校\n桐乡职工运动会开幕\n寿宁县茶厂工人上夜校\n"
            "寿宁县是闽东的产茶大县。该县总工会为茶厂工人开设了技能夜校，每周授课两次。"
        ),
    )
    [out] = finish_article(art)
    assert out.title == "寿宁县茶厂工人上夜校"
    assert out.body == "寿宁县是闽东的产茶大县。该县总工会为茶厂工人开设了技能夜校，每周授课两次。"


def test_a_column_opening_note_is_furniture():
    [out] = finish_article(
        Article(title="开栏语", body="今日起，本报开设“身边的工匠”专栏，讲述一线职工钻研技术的故事。")
    )
    assert out.kind == "furniture"


def test_a_digest_gives_one_article_per_item_with_its_writer():
    art = Article(
        title="本版导读",
        body=(
            "工会动态\n"
            "▲延庆区总工会举办职工书画展，展出作品一百余幅。\n（李明）\n"
            "▲怀柔县总工会组织机关职工到水库边义务植树。 （怀柔县总工会）\n"
            "寿宁县总工会为茶厂工人开设技能夜校，每周授课两次。（王芳 陈刚）"
        ),
        date="1990-03-12",
        source="江南工人报",
    )
    items = finish_article(art)
    assert [a.title for a in items] == [
        "延庆区总工会举办职工书画展",
        "怀柔县总工会组织机关职工到水库边义务植树",
        "寿宁县总工会为茶厂工人开设技能夜校",
    ]
    assert [a.byline.raw for a in items] == ["李明", "怀柔县总工会", "王芳 陈刚"]
    assert all(a.kicker == "工会动态" and a.kind == "news" and a.date == "1990-03-12" for a in items)
    assert items[1].body == "怀柔县总工会组织机关职工到水库边义务植树。"


def test_a_page_of_text_loses_its_furniture_too():
    page = Page(
        text=(
            "第03版:工会\n\n3上一版  下一版4\n\n本版导读\n\n工会动态\n\n"
            "▲延庆区总工会举办职工书画展，展出作品一百余幅。（李明）\n\n"
            "▲平遥县总工会启动职工书屋进工地活动，首批书屋设在高铁站建设项目部。（赵强）\n"
        ),
        origin="page.txt",
    )
    arts = split_page_into_articles(page)
    titles = [a.title for a in arts]
    assert "延庆区总工会举办职工书画展" in titles and "平遥县总工会启动职工书屋进工地活动" in titles
    assert not any("上一版" in a.title or "上一版" in a.body for a in arts)


def test_jsonl_records_are_finished_the_same_way():
    rec = Article(title="开栏的话", body="版面：07：人物 上一篇 下一篇\n今日起，本报开设“走近大国工匠”专栏。")
    [out] = articles_from_source(rec)
    assert out.kind == "furniture" and "上一篇" not in out.body


@pytest.fixture(scope="module")
def furniture_archive(tmp_path_factory):
    d = tmp_path_factory.mktemp("furniture")
    records = [
        {
            "title": "开栏语",
            "text": "今日起，本报开设“技能夜校”专栏，讲述茶厂工人上夜校学技术的故事。",
            "date": "2020-03-01",
        },
        {
            "title": "本版导读",
            "date": "1990-03-12",
            "text": "工会动态\n▲怀柔县总工会组织机关职工到水库边义务植树。（怀柔县总工会）\n"
            "▲延庆区总工会举办职工书画展，展出作品一百余幅。（李明）",
        },
        {
            "title": "茶厂工人上夜校",
            "date": "2020-03-02",
            "text": "寿宁县是闽东的产茶大县。该县总工会为茶厂工人开设了技能夜校，每周授课两次。",
        },
    ]
    src = d / "pages.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    cli_ok(d / "archive", "ingest", src)
    return d / "archive"


def test_furniture_is_stored_but_left_out_of_search(furniture_archive):
    kinds = {a["title"]: a["kind"] for a in cli_json(furniture_archive, "list")}
    assert kinds["开栏语"] == "furniture" and "本版导读" not in kinds
    assert "怀柔县总工会组织机关职工到水库边义务植树" in kinds
    results = cli_json(furniture_archive, "search", "技能夜校 茶厂工人", "-k", "5")
    assert results and all(r["kind"] != "furniture" for r in results)
    assert results[0]["title"] == "茶厂工人上夜校"


def test_who_answers_from_the_digest_item_and_keeps_an_unlisted_county(furniture_archive):
    top = cli_json(furniture_archive, "who", "哪个县的总工会组织职工植树")[0]
    assert (top["region"], top["in_gazetteer"], top["parents"], top["code"]) == ("怀柔县", False, ["北京市"], "")
    assert top["title"] == "怀柔县总工会组织机关职工到水库边义务植树"
    top = cli_json(furniture_archive, "who", "哪个县给茶厂工人办夜校")[0]
    assert top["region"] == "寿宁县" and top["parents"] == ["福建省", "宁德市"]


def test_who_text_output_flags_a_county_the_gazetteer_lacks(furniture_archive):
    out = cli_ok(furniture_archive, "who", "哪个县的总工会组织职工植树")
    assert out.splitlines()[0].startswith("1. 北京市 › 怀柔县 (county)  [not in the gazetteer; now 怀柔区]")
