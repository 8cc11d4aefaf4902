"""The page-text cleaner: one small literal per rule, then properties on the real seed pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.clean import clean_article_body, clean_page_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = sorted((Path(__file__).resolve().parents[1] / "corpus").glob("*.txt"))
UNION_PAGES = SHARED / "data" / "union-news-pages"


def paragraphs(text: str) -> list[str]:
    return [p for p in clean_page_text(text).split("\n\n") if p]


def han_count(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


# ---------------------------------------------------------------- broken words and sentences


def test_word_broken_over_blank_line_is_joined():
    text = "基层工会工作怎么做？遇到问题怎么解\n\n决？有没有可以学习培训、相互交流经验的好平台等都是大家关注的焦点。"
    assert paragraphs(text) == [
        "基层工会工作怎么做？遇到问题怎么解决？有没有可以学习培训、相互交流经验的好平台等都是大家关注的焦点。"
    ]


def test_short_sentence_end_rejoins_its_sentence():
    text = "希望通过发现、鼓励、培养职工创新人才，为建设一支高素质产业工人大军发挥积\n\n极作用。"
    assert paragraphs(text) == ["希望通过发现、鼓励、培养职工创新人才，为建设一支高素质产业工人大军发挥积极作用。"]


def test_open_quotation_continues_on_next_line():
    text = "为帮助企业走出困境，江阴市总创新推出福利专栏“职工周末\n\n欢乐购”，从6月起每周末陆续推出棉席。"
    assert paragraphs(text) == [
        "为帮助企业走出困境，江阴市总创新推出福利专栏“职工周末欢乐购”，从6月起每周末陆续推出棉席。"
    ]


def test_narrow_column_lines_close_up():
    text = "仅2020年,江苏省有606名劳模工匠\n\n到796所学校宣讲劳动故事,学生和教\n\n职工受众达88.4万人。"
    assert paragraphs(text) == ["仅2020年，江苏省有606名劳模工匠到796所学校宣讲劳动故事，学生和教职工受众达88.4万人。"]


def test_real_paragraph_breaks_are_kept():
    text = "第一段讲的是工会工作。\n\n第二段讲的是职工服务。\n单行换行也分段。"
    assert paragraphs(text) == ["第一段讲的是工会工作。", "第二段讲的是职工服务。", "单行换行也分段。"]


def test_headline_is_not_glued_to_the_caption_below_it():
    text = "沈阳和平区劳模广场落成\n\n8月11日，沈阳市和平区劳模广场在中山公园落成。\n\n黄金魁 摄/视觉中国"
    assert paragraphs(text) == [
        "沈阳和平区劳模广场落成",
        "8月11日，沈阳市和平区劳模广场在中山公园落成。",
        "黄金魁 摄/视觉中国",
    ]


def test_headline_lines_above_a_byline_stay_apart_even_after_a_broken_sentence():
    text = (
        "为33.65万名职工提供精准就业服务,在扩就业稳就业中展现工会组织\n\n"
        "围绕企业用工的难点和职工关切的热点开展协商\n\n青海开展集体协商集中要约行动\n\n"
        "本报讯(记者邢生祥)青海省总工会决定开展集中要约行动。"
    )
    paras = paragraphs(text)
    assert paras[1:3] == ["围绕企业用工的难点和职工关切的热点开展协商", "青海开展集体协商集中要约行动"]
    assert paras[3].startswith("本报讯（记者邢生祥）青海省总工会")


def test_doubled_paragraph_wedged_into_a_sentence_steps_aside():
    doubled = "儋州市总工会通过打造各具特色的职工之家，逐步形成覆盖职工广泛、设施设备完善的工会活动阵地网络。"
    text = (
        "木棠镇总工会主席唐敏告诉记者，在了解到职工的诉求并向上\n\n" + doubled + "\n\n"
        "级工会反映后，儋州市总工会给予木棠镇50万元。\n\n"
        "赵小刚介绍说，市总工会通过打造各具特色的职工之家，以点带面，逐步形成覆盖职工广泛、设施设备完善的工会活动阵地网络。"
    )
    paras = paragraphs(text)
    assert (
        paras[0] == "木棠镇总工会主席唐敏告诉记者，在了解到职工的诉求并向上级工会反映后，儋州市总工会给予木棠镇50万元。"
    )
    assert doubled in paras  # moved, not lost: the splitter decides about doubles


def test_space_after_full_stop_is_a_paragraph_indent():
    assert paragraphs("站长武立军赞不绝口。 据悉，为实现创新工作室资源共享。") == [
        "站长武立军赞不绝口。",
        "据悉，为实现创新工作室资源共享。",
    ]


def test_trailing_photo_credit_becomes_its_own_line():
    assert paragraphs("涉及130余家川渝重点企业，提供近2000 赵俊超 摄/视觉中国") == [
        "涉及130余家川渝重点企业，提供近2000",
        "赵俊超 摄/视觉中国",
    ]
    assert paragraphs("毕兴世 摄  \n视觉中国") == ["毕兴世 摄/视觉中国"]


# ---------------------------------------------------------------- spaces


def test_column_spaces_inside_chinese_are_removed():
    text = "甘肃省酒泉市肃北 蒙古族自治县人口仅有1.5万,面积却有6.6 万平方公里,如何让工会政策传 入家家户户。"
    assert paragraphs(text) == [
        "甘肃省酒泉市肃北蒙古族自治县人口仅有1.5万，面积却有6.6万平方公里，如何让工会政策传入家家户户。"
    ]


def test_spaces_between_latin_words_and_numbers_are_kept():
    # between two numbers or latin words a space is kept; between a number and Chinese it is column debris
    assert paragraphs("职工可登录 Workers Daily App 查询，编号 12 34 不变。") == [
        "职工可登录 Workers Daily App 查询，编号12 34不变。"
    ]


def test_spaces_that_separate_names_and_headline_phrases_are_kept():
    assert paragraphs("多走动 常联系 聊得开 谈得拢") == ["多走动 常联系 聊得开 谈得拢"]
    assert paragraphs("本报讯（记者彭冰 柳姗姗 通讯员刘长宇）为助力解决 部分扶贫产品滞销问题。") == [
        "本报讯（记者彭冰 柳姗姗 通讯员刘长宇）为助力解决部分扶贫产品滞销问题。"
    ]
    assert paragraphs("本报记者 吴铎思 本报通讯员 杨林") == ["本报记者 吴铎思 本报通讯员 杨林"]


# ---------------------------------------------------------------- characters


def test_fullwidth_digits_and_letters_become_ascii():
    assert paragraphs("２０２０年ＡＢＣ公司工会增长９１％。") == ["2020年ABC公司工会增长91%。"]


def test_halfwidth_punctuation_in_chinese_becomes_fullwidth():
    assert paragraphs("本报讯(记者康劲)张掖市总:10项措施,支持企业?是的!") == [
        "本报讯（记者康劲）张掖市总：10项措施，支持企业？是的！"
    ]


def test_times_decimals_and_latin_punctuation_are_left_alone():
    assert paragraphs("会议于10:30开始,共有33.65万名职工参加。") == ["会议于10:30开始，共有33.65万名职工参加。"]
    assert paragraphs("Hello, world: it's fine.") == ["Hello, world: it's fine."]


def test_straight_quotes_become_curly_by_direction():
    assert paragraphs('推出"马背送学"宣讲模式,爱"新"骑手志愿者。') == ["推出“马背送学”宣讲模式，爱“新”骑手志愿者。"]
    # a lone quote at a fragment's head that closes a quotation opened elsewhere
    assert paragraphs('全国争一流"的目标,采取更加扎实有力的措') == ["全国争一流”的目标，采取更加扎实有力的措"]


def test_english_and_between_chinese_is_restored_to_he():
    assert paragraphs("更了解企业 and 职工所盼所愿。") == ["更了解企业和职工所盼所愿。"]


def test_kicker_dash_is_restored():
    assert paragraphs("把助力乡村振兴的文章写进田间地头-") == ["把助力乡村振兴的文章写进田间地头——"]


# ---------------------------------------------------------------- debris


@pytest.mark.parametrize(
    "debris",
    [
        "第03版:工会",
        "3上一版 下一版4",
        "×",
        "版面导航",
        "第8835期:第02版 综合",
        "浙江工人日报 数字报纸",
        "关于中工网 | 版权声明 | 举报电话",
    ],
)
def test_layout_debris_lines_are_dropped(debris):
    assert paragraphs(f"工会送清凉活动启动。\n{debris}\n职工纷纷点赞。") == ["工会送清凉活动启动。", "职工纷纷点赞。"]


def test_markdown_heading_markers_are_kept_and_inline_bold_dropped():
    text = "## 靖西市总开展集体协商要约行动\n\n**本报讯** (记者庞慧敏)广西靖西市总工会日前启动要约行动。\n\n**促生产：精准施策**"
    assert paragraphs(text) == [
        "## 靖西市总开展集体协商要约行动",
        "本报讯（记者庞慧敏）广西靖西市总工会日前启动要约行动。",
        "**促生产：精准施策**",
    ]


# ---------------------------------------------------------------- article bodies


def test_article_body_cleaning_keeps_every_paragraph_break():
    body = "第一段没有句号\n第二段 继续。\n×\n\n第三段,内容。"
    assert clean_article_body(body) == "第一段没有句号\n第二段继续。\n第三段，内容。"


def test_article_body_cleaning_is_idempotent():
    body = '记者"走进"车间 , 了解１２项措施\n本报讯 (记者 林金彦) 9月6日上午'
    once = clean_article_body(body)
    assert clean_article_body(once) == once


# ---------------------------------------------------------------- the real pages


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_cleaning_a_seed_page_is_idempotent(seed):
    once = clean_page_text(seed.read_text(encoding="utf-8"))
    assert clean_page_text(once) == once


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_cleaning_keeps_every_chinese_character_of_a_seed(seed):
    raw = seed.read_text(encoding="utf-8")
    # the seeds carry no debris lines; the only change is " and " turning back into 和
    assert han_count(clean_page_text(raw)) == han_count(raw) + raw.count(" and ")


def test_seed_001_key_sentence_comes_out_whole():
    raw = next(p for p in SEEDS if p.name.startswith("001")).read_text(encoding="utf-8")
    assert "肃北县总工会针对地广人稀的情况创新推出“马背送学”宣讲模式" in clean_page_text(raw)


@pytest.mark.skipif(not UNION_PAGES.exists(), reason="shared union-news pages not present")
def test_cleaning_union_news_pages_is_idempotent():
    records = [json.loads(line) for f in UNION_PAGES.glob("*.jsonl") for line in f.open(encoding="utf-8")]
    assert len(records) >= 100
    not_stable = []
    for rec in records:
        once = clean_page_text(rec["raw_excerpt"])
        if clean_page_text(once) != once:
            not_stable.append(rec["url"])
    assert not not_stable


@pytest.mark.parametrize(
    "dirty,clean",
    [
        ("工会\x1b[31m红色\x1b[0m", "工会红色"),  # colour escape sequence, whole
        ("标题\x1b]0;window title\x07尾", "标题尾"),  # terminal title (OSC) sequence
        ("铃\x07声\x08退格\x00空", "铃声退格空"),
        ("\u202e反转\u202c与\u2066隔离\u2069", "反转与隔离"),
        ("马背\u200d送\u200b学\u200c\u2060活动\ufeff", "马背送学活动"),  # zero-width inside a word
        ("第一行\u2028第二行\f第三行", "第一行\n第二行\n第三行"),
        ("保留\t制表符\n换行", "保留\t制表符\n换行"),
    ],
)
def test_control_bidi_and_zero_width_characters_are_stripped(dirty, clean):
    from pipeline.clean import strip_invisible

    assert strip_invisible(dirty) == clean
    assert strip_invisible(clean) == clean


def test_cleaning_strips_invisible_characters_from_pages_and_bodies():
    page = "## 马背\u200d送学\x1b[31m\n\n本报讯\u202e 肃北县总工会推出马背\u200b送学活动。\x07\n"
    out = clean_page_text(page)
    assert "马背送学活动" in out and "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert clean_page_text(out) == out
    body = clean_article_body("职工\u200c之家\x1b[5m建成。")
    assert body == "职工之家建成。"
