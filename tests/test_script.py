"""Traditional Chinese: read in Simplified for splitting, entities, segmentation and search,
stored as printed; a query in either script finds articles in the other."""

from __future__ import annotations

import json
from pathlib import Path

import opencc
import pytest
from click.testing import CliRunner

from pipeline.models import Page
from pipeline.process import articles_from_source, prepare_source
from pipeline.script import is_traditional, restore_printed, to_simplified
from pipeline.segment import query_terms
from search_cli import cli
from tests.helpers import CORPUS

S2T = opencc.OpenCC("s2t.json")

SUBEI = (
    "## 肃北县总工会推出马背送学\n\n本报讯（记者康劲 通讯员崔小清）甘肃省肃北蒙古族自治县总工会近日推出“马背送学”活动，"
    "工作人员骑马把技能培训送到牧区职工家中，受到牧民职工欢迎。\n"
)
BAOJI = (
    "## 宝鸡爱心驿站投入使用\n\n本报讯 宝鸡市总工会建设的52个户外劳动者爱心驿站近日全部建成投用，"
    "为环卫工人和快递员提供歇脚喝水的地方。\n"
)


# --- the conversion ----------------------------------------------------------------------------


def test_traditional_text_is_converted_character_for_character():
    trad = "甘肅省肅北蒙古族自治縣總工會推出「馬背送學」活動，後來在乾隆年間"
    simple = to_simplified(trad)
    assert simple == "甘肃省肃北蒙古族自治县总工会推出「马背送学」活动，后来在乾隆年间"
    assert len(simple) == len(trad)
    assert is_traditional(trad) and not is_traditional(simple)


def test_simplified_text_is_left_exactly_as_it_is():
    for page in sorted(CORPUS.glob("*.txt")):
        text = page.read_text(encoding="utf-8")
        assert to_simplified(text) is text
    # Simplified prose quoting one Traditional name: only that character changes (t2s on the
    # whole text would turn the Simplified 坏 into 坯)
    assert to_simplified("工会在臺北举办活动，破坏了规则，坏人") == "工会在台北举办活动，破坏了规则，坏人"


def test_queries_in_either_script_segment_to_the_same_words():
    assert query_terms("馬背送學") == query_terms("马背送学")
    assert query_terms("肅北蒙古族自治縣") == query_terms("肃北蒙古族自治县")


def test_restoring_puts_back_the_printed_characters_of_cleaned_text():
    printed = "後來他們\n在會\n議上發言。頭髮 很長"
    converted = to_simplified(printed)
    assert restore_printed("后来他们在会议上发言。", printed, converted) == "後來他們在會議上發言。"
    assert restore_printed("头发很长", printed, converted) == "頭髮很長"


# --- pages and articles ----------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(CORPUS.glob("*.txt"))[1:], ids=lambda p: p.name[:3])
def test_traditional_page_splits_like_its_simplified_original(page):
    simple_text = page.read_text(encoding="utf-8")
    trad_text = S2T.convert(simple_text)
    simple = articles_from_source(Page(simple_text, "s.txt"))
    trad = articles_from_source(Page(trad_text, "t.txt"))
    assert [to_simplified(a.title) for a in trad] == [a.title for a in simple]
    assert [to_simplified(a.body) for a in trad] == [a.body for a in simple]
    assert [a.byline.reporters for a in trad] == [tuple(S2T.convert(n) for n in a.byline.reporters) for a in simple]
    assert all(is_traditional(a.title + a.body) for a in trad if len(a.body) > 50)  # stored as printed


def test_traditional_article_has_its_headline_as_title_and_its_regions():
    (art,) = prepare_source(Page(S2T.convert(SUBEI), "subei.txt"))
    assert art.article.title == "肅北縣總工會推出馬背送學"
    assert art.article.byline.raw.startswith("本報訊") and art.article.byline.reporters == ("康勁",)
    regions = [m for m in art.mentions if m.type == "region"]
    texts = {m.text for m in regions}
    assert "肅北縣" in texts and any("肅北蒙古族自治縣" in t for t in texts)
    assert {m.value for m in regions} == {
        m.value for m in prepare_source(Page(SUBEI, "s.txt"))[0].mentions if m.type == "region"
    }
    for m in art.mentions:  # mention text as printed, at its offsets in the printed field
        field = {"title": art.article.title, "body": art.article.body, "byline": art.article.byline.raw}.get(m.field)
        if field is not None:
            assert field[m.start : m.end] == m.text


# --- search, both ways ---------------------------------------------------------------------------


def _cli(idx: Path, *args: str):
    r = CliRunner().invoke(cli, ["--index", str(idx), *args])
    assert r.exit_code == 0, r.output
    return r


@pytest.fixture(scope="module")
def mixed_archive(tmp_path_factory):
    d = tmp_path_factory.mktemp("pages")
    (d / "subei_big5.txt").write_bytes(S2T.convert(SUBEI).encode("big5"))
    (d / "baoji.txt").write_text(BAOJI, encoding="utf-8")
    idx = tmp_path_factory.mktemp("idx")
    _cli(idx, "ingest", "--no-embed", "--workers", "1", str(d))
    return idx


def _search(idx: Path, query: str, *args: str) -> list[dict]:
    return json.loads(_cli(idx, "search", query, "--json", "--mode", "keyword", *args).output)


@pytest.mark.parametrize("query", ["马背送学", "馬背送學", "肅北", "肃北", '"马背送学"'])
def test_simplified_or_traditional_query_finds_the_traditional_article(mixed_archive, query):
    hits = _search(mixed_archive, query)
    assert hits and hits[0]["title"] == "肅北縣總工會推出馬背送學"
    assert "騎馬把技能培訓" in hits[0]["text"]  # the text as printed
    assert "<mark>" in hits[0]["snippet"]  # highlighted in the printed text


@pytest.mark.parametrize("query", ["寶雞愛心驛站", "爱心驿站", "歇腳喝水"])
def test_traditional_query_finds_the_simplified_article(mixed_archive, query):
    hits = _search(mixed_archive, query)
    assert hits and hits[0]["title"] == "宝鸡爱心驿站投入使用"


def test_region_filter_finds_the_traditional_article(mixed_archive):
    hits = _search(mixed_archive, "总工会", "--region", "甘肃省")
    assert [h["title"] for h in hits] == ["肅北縣總工會推出馬背送學"]


def test_semantic_query_in_either_script_embeds_the_same(embedding_models):
    enc = embedding_models.static
    a, b = enc.encode_queries(["馬背送學 肅北縣總工會"]), enc.encode_queries(["马背送学 肃北县总工会"])
    assert (a == b).all()
    p, q = enc.encode_passages([S2T.convert(BAOJI)]), enc.encode_passages([BAOJI])
    assert (p == q).all()


def test_traditional_who_question_and_region_name_are_understood(tmp_path):
    """哪個縣 asks what 哪个县 asks, and --region 甘肅省 is 甘肃省."""
    from index.archive import Archive
    from pipeline.loaders import iter_sources
    from tests.helpers import CORPUS

    root = tmp_path / "a"
    with Archive.open(root, create=True) as archive:
        archive.ingest_models = []
        archive.ingest(iter_sources([CORPUS]), workers=1)
    with Archive.open(root) as archive:
        assert archive.resolve_region("甘肅省").code == archive.resolve_region("甘肃省").code
        simplified = archive.who("哪个县推出了马背送学？", k=1)
        traditional = archive.who("哪個縣推出了馬背送學？", k=1)
        assert simplified and traditional
        assert traditional[0].region == simplified[0].region
