"""Splitting the five real seed pages into the articles a newspaper reader sees on them.

The expected titles were decided by reading each page as a reader: every article once, with
its own headline (not a kicker, a column label or a caption line), in page order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.byline import parse_byline
from pipeline.models import ARTICLE_KINDS, Page
from pipeline.split import split_page_into_articles

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED_DIR = Path(__file__).resolve().parents[1] / "corpus"  # the seed pages
UNION_PAGES = SHARED / "data" / "union-news-pages"

EXPECTED_TITLES = {
    "000": [
        "“第一次回‘娘家’，收获太多”",
        "厨艺培训促就业",
        "靖西市总开展集体协商要约行动",
        "戈壁滩上的“世外桃源”",
        "前郭县总发起消费扶贫“四大行动”",
        "甘肃评选“工人发明家”",
        "沈阳和平区劳模广场落成",
        "放手拼搏，有“娘家人”做后盾",
    ],
    "001": [
        "“1年+3年”持续发力建强县级工会",
        "青海开展集体协商集中要约行动",
        "北京丰台区总推进“两新”群体工会工作",
        "上下游企业职工联合攻关创新发展",
        "川渝联手举办招聘会",
        "工地上唱响劳动之歌",
        "特色小镇建起工会服务阵地",
        "快递小哥变身爱“新”骑手志愿者",
        "致富路上的“工会莹姐”",
    ],
    "002": [
        "绍兴柯桥区百名工会干部进千企",
        "扬州今年将建百家“职工好食堂” 让职工全程参与并监督",
        "宝鸡52个“爱心驿站”投入使用",
        "新余市总吸纳绣艺工匠入会",
        "通号集团机电公司实行年金制",
        "山东省总出台工友创业计划助力乡村振兴",
        "家政培训",
        "张掖市总：10项措施支持服务民营企业",
        "青岛市总密织工会维权网络 去年为职工挽回经济损失2100余万元",
        "银川市总千堂百场公益课提升职工幸福感",
        "坚持不懈增“三性” 一以贯之抓落实",
    ],
    "003": [
        "看看谁把困难职工找得更全帮得更好",
        "超1000场“文化大餐”送到职工身边",
        "68项“产改”任务取得阶段性成效",
        "电动车行业开展集体协商",
        "上海市总全力助推经济恢复",
        "“体验了，才更了解他们的需求”",
        "内蒙古工会为3000名女职工免费筛查“两癌”",
        "为月嫂务工提供“敲门砖”",
        "小镇上有了职工之家……",
    ],
    "004": [
        "嘉兴工会打造50多个“美好生活能量站”",
        "农贸市场里的家庭医生工作室",
        "白银推进职工之家结对共建",
        "职工乐享文化盛宴",
        "福建省总帮环卫工人实现“微心愿”",
        "文艺演出进工地",
        "江苏工会五大行动引领职工建功新时代",
    ],
}

# Labels printed on the pages that are never a title, kicker or body line.
LABELS = [
    "阅读提示",
    "新闻特写",
    "工会工作巡礼",
    "奋斗百年路 启航新征程",
    "团结奋斗开新局 喜迎工会十八大",
    "抗疫情促发展 工会在行动",
    "工“娘家人”故事",
]

_cache: dict[str, list] = {}


def seed_articles(prefix: str):
    if prefix not in _cache:
        path = next(SEED_DIR.glob(f"{prefix}_*.txt"))
        page = Page(text=path.read_text(encoding="utf-8"), origin=str(path), source="工人日报")
        _cache[prefix] = split_page_into_articles(page)
    return _cache[prefix]


def article(prefix: str, title: str):
    found = [a for a in seed_articles(prefix) if a.title == title]
    assert len(found) == 1, f"{title!r} on seed {prefix}: {[a.title for a in seed_articles(prefix)]}"
    return found[0]


def norm(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fff\w]", "", text)


# ---------------------------------------------------------------- titles, page by page


@pytest.mark.parametrize("prefix", sorted(EXPECTED_TITLES))
def test_seed_page_yields_the_articles_a_reader_sees(prefix):
    assert [a.title for a in seed_articles(prefix)] == EXPECTED_TITLES[prefix]


@pytest.mark.parametrize("prefix", sorted(EXPECTED_TITLES))
def test_articles_carry_position_kind_and_provenance(prefix):
    arts = seed_articles(prefix)
    assert [a.position for a in arts] == list(range(len(arts)))
    for a in arts:
        assert a.kind in ARTICLE_KINDS
        assert a.origin.endswith(".txt") and a.source == "工人日报"
        assert a.date is None  # the seed pages state no year: never guessed
        assert a.body.strip()


# ---------------------------------------------------------------- heads and kinds


@pytest.mark.parametrize(
    "prefix,title,kicker,subtitle,kind",
    [
        (
            "000",
            "“第一次回‘娘家’，收获太多”",
            "43名基层工会干部在“机关开放日”走进安徽省总工会参观并座谈。一番交流学习后，大家纷纷感叹——",
            "",
            "feature",
        ),
        ("000", "厨艺培训促就业", "", "", "photo"),
        ("000", "靖西市总开展集体协商要约行动", "", "协商建制率动态保持在91%", "news"),
        ("000", "甘肃评选“工人发明家”", "探索完善科技创新人才的发现、培养、激励机制", "", "news"),
        (
            "000",
            "放手拼搏，有“娘家人”做后盾",
            "无锡市总工会精准施策、创新手段，全方位助力疫情后生产生活秩序恢复——",
            "",
            "feature",
        ),
        (
            "001",
            "“1年+3年”持续发力建强县级工会",
            "甘肃省总瞄准县级工会工作短板出实招，提出“一年打基础，两年大变化，三年上台阶”",
            "",
            "news",
        ),
        ("001", "特色小镇建起工会服务阵地", "山东乳山市总下沉人员、资金、服务助力乡村振兴", "", "news"),
        (
            "001",
            "致富路上的“工会莹姐”",
            "佛山市工会干部周少莹积极作为，把助力乡村振兴的文章写进田间地头——",
            "",
            "feature",
        ),
        (
            "002",
            "绍兴柯桥区百名工会干部进千企",
            "多走动 常联系 聊得开 谈得拢",
            "活动规定，100名区镇两级工会干部每人联系10家重点服务企业，每月走访不少于1次，完成10项工作任务",
            "news",
        ),
        (
            "002",
            "银川市总千堂百场公益课提升职工幸福感",
            "采取“大讲堂+流动学堂+微讲堂”模式，提供普惠性文化服务",
            "",
            "news",
        ),
        ("002", "张掖市总：10项措施支持服务民营企业", "", "涉及职工帮扶救助、民营企业工会主席岗位补助等方面", "news"),
        ("003", "上海市总全力助推经济恢复", "", "聚焦提振发展信心、促进劳动关系和谐稳定等四方面", "news"),
        ("003", "“体验了，才更了解他们的需求”", "", "", "feature"),
        (
            "003",
            "小镇上有了职工之家……",
            "海南儋州市总工会以点带面推进职工服务阵地建设，构筑全覆盖工会网络——",
            "",
            "feature",
        ),
        (
            "004",
            "嘉兴工会打造50多个“美好生活能量站”",
            "瞄准有益、有趣、有用",
            "弥补了职工文化阵地短板，吸引超过2万人进站参与活动",
            "news",
        ),
        ("004", "福建省总帮环卫工人实现“微心愿”", "", "启动“送爱到家”专项行动，惠及近万人次", "news"),
        ("004", "江苏工会五大行动引领职工建功新时代", "学悟守正 举旗育人 建功立业 暖心聚力 强基固本", "", "feature"),
    ],
)
def test_kicker_subtitle_and_kind(prefix, title, kicker, subtitle, kind):
    a = article(prefix, title)
    assert (a.kicker, a.subtitle, a.kind) == (kicker, subtitle, kind)


@pytest.mark.parametrize(
    "prefix,title,reporters,correspondents,photographers",
    [
        ("000", "前郭县总发起消费扶贫“四大行动”", ("彭冰", "柳姗姗"), ("刘长宇",), ()),
        ("000", "甘肃评选“工人发明家”", ("康劲",), ("崔小清",), ()),
        ("000", "戈壁滩上的“世外桃源”", ("吴铎思",), ("杨林",), ()),
        ("000", "厨艺培训促就业", (), ("石玉成",), ("石玉成",)),
        ("000", "沈阳和平区劳模广场落成", (), (), ("黄金魁",)),
        ("001", "工地上唱响劳动之歌", ("李润钊",), ("薛晓秋",), ("李润钊", "薛晓秋")),
        ("001", "特色小镇建起工会服务阵地", ("杨明清", "张嫱"), ("夏丽萍",), ()),
        ("001", "川渝联手举办招聘会", (), (), ("赵俊超",)),
        ("002", "绍兴柯桥区百名工会干部进千企", ("李丹青", "邹偶然"), (), ()),
        ("002", "宝鸡52个“爱心驿站”投入使用", ("毛浓曦",), ("谢红江",), ()),
        ("002", "家政培训", (), (), ("毕兴世",)),
        ("003", "为月嫂务工提供“敲门砖”", (), ("杨楠", "吕莉莉"), ("杨楠", "吕莉莉")),
        ("004", "职工乐享文化盛宴", ("张翀",), ("胡文辉", "曾可可"), ()),
    ],
)
def test_bylines_are_parsed(prefix, title, reporters, correspondents, photographers):
    b = article(prefix, title).byline
    assert (b.reporters, b.correspondents, b.photographers) == (reporters, correspondents, photographers)
    assert b.raw


@pytest.mark.parametrize(
    "prefix,title,dateline",
    [
        ("000", "甘肃评选“工人发明家”", "8月8日"),
        ("003", "看看谁把困难职工找得更全帮得更好", "6月7日"),
        ("000", "厨艺培训促就业", "8月11日"),
        ("000", "前郭县总发起消费扶贫“四大行动”", ""),
    ],
)
def test_datelines(prefix, title, dateline):
    assert article(prefix, title).dateline == dateline


# ---------------------------------------------------------------- bodies


@pytest.mark.parametrize("prefix", sorted(EXPECTED_TITLES))
def test_no_paragraph_or_sentence_is_printed_twice_on_a_page(prefix):
    paras = [norm(p) for a in seed_articles(prefix) for p in a.body.split("\n")]
    long_paras = [p for p in paras if len(p) >= 10]
    assert len(long_paras) == len(set(long_paras))
    sentences = [norm(s) for a in seed_articles(prefix) for s in re.findall(r"[^。！？]+[。！？]", a.body)]
    long_sentences = [s for s in sentences if len(s) >= 15]
    assert len(long_sentences) == len(set(long_sentences))


@pytest.mark.parametrize("prefix", sorted(EXPECTED_TITLES))
def test_bodies_hold_no_headline_byline_or_label_lines(prefix):
    for a in seed_articles(prefix):
        lines = set(a.body.split("\n"))
        for head in (a.title, a.kicker, a.subtitle, a.byline.raw):
            assert not head or head not in lines, (a.title, head)
        assert not any(lab in lines or lab in (a.title, a.kicker, a.subtitle) for lab in LABELS)
        assert "本报讯" not in a.body and "#" not in a.body and "**" not in a.body


@pytest.mark.parametrize(
    "prefix,title,sentence",
    [
        ("001", "“1年+3年”持续发力建强县级工会", "肃北县总工会针对地广人稀的情况创新推出“马背送学”宣讲模式"),
        # the fragment that column order printed under another article comes back into its sentence
        (
            "001",
            "“1年+3年”持续发力建强县级工会",
            "牢固树立“西部是标杆，全国争一流”的目标，采取更加扎实有力的措施推动“县级工会加强年”暨强县级工会行动",
        ),
        ("001", "上下游企业职工联合攻关创新发展", "能源管理中心发电机站长武立军赞不绝口"),
        ("001", "上下游企业职工联合攻关创新发展", "开发了“朝阳钢铁公司用电系统经济运行方式分析与控制”项目"),
        ("000", "“第一次回‘娘家’，收获太多”", "遇到问题怎么解决？"),
        ("000", "甘肃评选“工人发明家”", "为建设一支高素质产业工人大军发挥积极作用。"),
        ("002", "绍兴柯桥区百名工会干部进千企", "柯桥区是浙江省第一批县级工会先行改革试点之一"),
        ("002", "绍兴柯桥区百名工会干部进千企", "更了解企业和职工所盼所愿"),
        # column order put the Qingdao headline after its body and mixed the two columns
        (
            "002",
            "青岛市总密织工会维权网络 去年为职工挽回经济损失2100余万元",
            "成立工会法律服务律师团，聘任202名律师服务各级工会",
        ),
        (
            "002",
            "青岛市总密织工会维权网络 去年为职工挽回经济损失2100余万元",
            "加强“四方联动”机制建设，形成维权服务合力。",
        ),
        (
            "002",
            "银川市总千堂百场公益课提升职工幸福感",
            "给予相应扶持。在兴庆区工会，瑜伽、舞蹈、声乐、插花等公益课场场爆满",
        ),
        ("002", "坚持不懈增“三性” 一以贯之抓落实", "及时跟进学。全总坚持第一时间传达学习贯彻"),
        ("003", "小镇上有了职工之家……", "在了解到职工的诉求并向上级工会反映后，儋州市总工会给予木棠镇50万元"),
        ("003", "小镇上有了职工之家……", "儋州市总工会组织宣教基层工作部部长赵小刚介绍说"),
        ("004", "江苏工会五大行动引领职工建功新时代", "60余年间，江苏工会诸多工作走在前列"),
        ("004", "江苏工会五大行动引领职工建功新时代", "仅2020年，江苏省有606名劳模工匠到796所学校宣讲劳动故事"),
    ],
)
def test_key_sentences_are_whole_in_the_right_article(prefix, title, sentence):
    assert sentence in article(prefix, title).body
    others = [a.title for a in seed_articles(prefix) if a.title != title and sentence in a.body]
    assert not others


@pytest.mark.parametrize(
    "prefix,title,phrase",
    [
        ("000", "放手拼搏，有“娘家人”做后盾", "截至目前，该平台关注人数已超22万人次。"),  # printed twice on the page
        (
            "004",
            "江苏工会五大行动引领职工建功新时代",
            "382名思政教师到1243家企业宣讲党的创新理论",
        ),  # the feature is repeated
        ("004", "江苏工会五大行动引领职工建功新时代", "将产改试点做成示范，办实事服务职工"),
        (
            "003",
            "小镇上有了职工之家……",
            "逐步形成覆盖职工广泛、设施设备完善、规章制度健全的工会活动阵地网络",
        ),  # an OCR double
    ],
)
def test_repeated_text_is_kept_once(prefix, title, phrase):
    assert article(prefix, title).body.count(phrase) == 1


def test_qingdao_paragraphs_stay_out_of_yinchuan():
    yinchuan = article("002", "银川市总千堂百场公益课提升职工幸福感").body
    assert "维权" not in yinchuan and "律师" not in yinchuan


# ---------------------------------------------------------------- small pages


def test_paper_line_gives_date_page_and_source_when_the_page_has_none():
    text = (
        "冰与火的考验\n《工人日报》(2014年07月22日 02版)\n\n"
        "7月20日,江苏省扬州市,当日气温达到35摄氏度。在该市一家制冰厂内,工人师傅穿着棉大衣运冰。孟德龙 摄\n×"
    )
    [a] = split_page_into_articles(Page(text=text, origin="x.txt"))
    assert (a.title, a.date, a.page, a.source, a.kind) == ("冰与火的考验", "2014-07-22", "02", "工人日报", "photo")
    assert a.byline.photographers == ("孟德龙",)
    assert "《工人日报》" not in a.body and "×" not in a.body


def test_page_metadata_wins_over_the_paper_line():
    text = "冰与火的考验\n《工人日报》(2014年07月22日 02版)\n本报讯 工人们在冷库里忙着运冰。"
    [a] = split_page_into_articles(Page(text=text, origin="x.txt", date="2014-07-23", page="05", source="某报"))
    assert (a.date, a.page, a.source) == ("2014-07-23", "05", "某报")


def test_commentary_is_recognised_by_its_label():
    text = "短评\n\n为劳动者撑起“防暑伞”\n\n高温天气下，户外劳动者的权益保障不能打折扣。各级工会要把清凉送到一线。"
    [a] = split_page_into_articles(Page(text=text, origin="x.txt"))
    assert (a.title, a.kind) == ("为劳动者撑起“防暑伞”", "commentary")


def test_lone_continuation_is_kept_under_a_title_from_its_text():
    text = (
        "## 某地开展送清凉\n\n本报讯（记者张三）某地总工会日前开展送清凉活动。\n\n"
        "（上接第1版）\n\n### 精准服务\n\n各级工会将深入一线，为职工送去防暑降温物品。"
    )
    arts = split_page_into_articles(Page(text=text, origin="x.txt"))
    assert [a.title for a in arts] == ["某地开展送清凉", "精准服务"]
    assert "为职工送去防暑降温物品" in arts[1].body


def test_empty_page_gives_no_article():
    assert split_page_into_articles(Page(text="\n \n×\n", origin="x.txt")) == []


# ---------------------------------------------------------------- bylines on their own


@pytest.mark.parametrize(
    "text,reporters,correspondents,photographers",
    [
        ("本报讯（记者康劲 通讯员崔小清）", ("康劲",), ("崔小清",), ()),
        ("本报记者 吴铎思 本报通讯员 杨林", ("吴铎思",), ("杨林",), ()),
        ("记者彭冰 柳姗姗 通讯员刘长宇", ("彭冰", "柳姗姗"), ("刘长宇",), ()),
        ("记者李丹青 邹偶然", ("李丹青", "邹偶然"), (), ()),
        ("本报通讯员 石玉成 摄", (), ("石玉成",), ("石玉成",)),
        ("黄金魁 摄/视觉中国", (), (), ("黄金魁",)),
        ("毕兴世 摄 视觉中国", (), (), ("毕兴世",)),
        ("记者杨明清 张嫱 通讯员夏丽 萍", ("杨明清", "张嫱"), ("夏丽萍",), ()),
        ("新华社北京6月7日电（记者周玮、史竞男）", ("周玮", "史竞男"), (), ()),
        ("通讯员张晓燕 摄影报道", (), ("张晓燕",), ("张晓燕",)),
    ],
)
def test_parse_byline(text, reporters, correspondents, photographers):
    b = parse_byline(text)
    assert (b.reporters, b.correspondents, b.photographers, b.raw) == (reporters, correspondents, photographers, text)


def test_parse_byline_of_nothing_is_empty():
    assert parse_byline("").raw == "" and parse_byline("   ").reporters == ()


# ---------------------------------------------------------------- smoke: 100 real web pages


@pytest.mark.skipif(not UNION_PAGES.exists(), reason="shared union-news pages not present")
def test_union_news_pages_split_without_error():
    records = [json.loads(line) for f in UNION_PAGES.glob("*.jsonl") for line in f.open(encoding="utf-8")]
    total = 0
    for rec in records:
        arts = split_page_into_articles(Page(text=rec["raw_excerpt"], origin=rec["url"], url=rec["url"]))
        assert arts, rec["url"]
        assert all(a.title.strip() and a.kind in ARTICLE_KINDS and a.url == rec["url"] for a in arts)
        total += len(arts)
    assert total >= len(records)
