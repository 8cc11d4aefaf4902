"""Loaders: encodings, e-paper HTML systems, JSONL, folders and bad input.

Fixtures in tests/fixtures/loaders are excerpts of ../shared (regenerate with
tests/fixtures/loaders/make_fixtures.py); the short-text encoding checks read
../shared/data directly.
"""

from __future__ import annotations

import itertools
import json
import re
import tracemalloc
from pathlib import Path

import pytest

from pipeline.decode import DecodeError, decode_bytes, sniff_meta_charset
from pipeline.html import parse_article_html, parse_fetched_page
from pipeline.loaders import count_files, iter_files, iter_sources, problem_line
from pipeline.models import Article, LoadProblem, Page

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIX = REPO / "tests" / "fixtures" / "loaders"
EXPECTED = json.loads((FIX / "expected_texts.json").read_text(encoding="utf-8"))
UNION = SHARED / "data" / "union-news-pages" / "union_news_pages.jsonl"
RGB = SHARED / "data" / "rgb-zh-news-retrieval" / "rgb_zh_passages.jsonl"

needs_shared = pytest.mark.skipif(not UNION.exists(), reason="../shared/data not present")


def union_record(url_part: str) -> dict:
    with UNION.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if url_part in rec["url"]:
                return rec
    raise KeyError(url_part)


def assert_one_line_naming(problem: LoadProblem, name: str) -> None:
    line = problem_line(problem)
    assert "\n" not in line and problem.reason.strip() == problem.reason
    assert name in problem.origin


def parse_fixture(name: str, url: str | None = None) -> Article:
    result = parse_article_html((FIX / name).read_bytes(), str(FIX / name), url=url)
    assert isinstance(result, Article), result
    return result


# --- decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["page_utf8.txt", "page_utf8_bom.txt", "page_gbk.txt", "page_big5.txt"])
def test_each_encoding_decodes_to_the_original_text(name):
    text = decode_bytes((FIX / name).read_bytes(), name)
    assert text == EXPECTED[name]
    assert not text.startswith("\ufeff")


def test_big5_traditional_text_is_kept_traditional():
    text = decode_bytes((FIX / "page_big5.txt").read_bytes(), "page_big5.txt")
    assert "安徽省總工會" in text and "总" not in text


@needs_shared
def test_real_short_simplified_texts_in_gbk_decode_exactly():
    """Headlines and first lines of the union-news pages, GBK-encoded: the classic misdetection case."""
    texts = []
    with UNION.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            texts += [rec["title"]] if rec["title"] else []
            texts += [ln[:20] for ln in rec["text"].split("\n")[:2] if len(ln) >= 4]
    wrong = [t for t in texts if decode_bytes(t.encode("gb18030"), "t") != t]
    assert len(texts) > 150 and wrong == []


@needs_shared
def test_real_short_traditional_texts_in_big5_decode_exactly():
    """Sentences (8–30 characters) of the Traditional passages in the RGB set, Big5-encoded."""
    texts = []
    with RGB.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if not rec.get("traditional_script_suspect"):
                continue
            for sentence in re.split(r"[。！？\n]", rec["text"]):
                sentence = sentence.strip()[:30]
                if len(sentence) >= 8:
                    try:
                        sentence.encode("big5")
                    except UnicodeEncodeError:
                        continue
                    texts.append(sentence)
    wrong = [t for t in texts if decode_bytes(t.encode("big5"), "t") != t]
    assert len(texts) > 150 and wrong == []


def test_charset_hint_is_honoured_and_bad_hints_are_not_trusted():
    # Two Big5 characters that also read as two common GBK hanzi: only the hint can tell.
    assert decode_bytes("國際".encode("big5"), "x", hint="big5") == "國際"
    assert decode_bytes("國際".encode("big5"), "x", hint="Big5") == "國際"
    gbk = "工会组织开展困难职工帮扶".encode("gbk")
    assert decode_bytes(gbk, "x", hint="gb2312") == "工会组织开展困难职工帮扶"
    # HTTP's ISO-8859-1 default says nothing; an unknown label is ignored.
    assert decode_bytes(gbk, "x", hint="iso-8859-1") == "工会组织开展困难职工帮扶"
    assert decode_bytes(gbk, "x", hint="no-such-charset") == "工会组织开展困难职工帮扶"
    # A UTF-8 page mislabelled gb2312 is still read as UTF-8.
    assert decode_bytes("职工之家建设".encode(), "x", hint="gb2312") == "职工之家建设"


def test_meta_charset_is_sniffed():
    assert sniff_meta_charset((FIX / "ldwb_2024-02-01_founder_gbk.htm").read_bytes()) == "gb2312"
    assert sniff_meta_charset(b'<html><head><meta charset="UTF-8"></head>') == "utf-8"
    assert sniff_meta_charset(b"<html><head></head>") is None


def test_text_cut_inside_a_multibyte_character_keeps_what_is_complete():
    data = "职工书屋".encode()[:-1]
    assert decode_bytes(data, "cut.txt") == "职工书"
    data = "职工书屋".encode("gbk")[:-1]
    assert decode_bytes(data, "cut.txt") == "职工书"


def test_a_few_corrupt_bytes_do_not_lose_the_page():
    original = EXPECTED["page_gbk.txt"]
    half = len(original) // 2
    for codec in ("utf-8", "gbk"):
        damaged = original[:half].encode(codec) + b"\xff" + original[half:].encode(codec)  # a stray byte
        text = decode_bytes(damaged, "damaged.txt")
        assert text.count("\ufffd") == 1 and text.replace("\ufffd", "") == original


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b" \n\t\n", "empty file"),
        ((FIX / "binary.txt").read_bytes(), "binary"),
        (bytes(range(0x80, 0x100)) * 4, "undecodable"),
    ],
)
def test_bad_bytes_raise_one_line_decode_error_naming_the_file(data, reason):
    with pytest.raises(DecodeError) as err:
        decode_bytes(data, "dir/bad file.txt")
    assert isinstance(err.value, ValueError)
    message = str(err.value)
    assert message.startswith("dir/bad file.txt: ") and "\n" not in message and reason in message


# --- e-paper and news HTML -----------------------------------------------------------------


@needs_shared
def test_workers_daily_current_system_page():
    art = parse_fixture("grrb_2016-01-22_news-5.html")
    rec = union_record("grrb/2016/01/22/2/news-5.html")
    assert art.title == "昆明五华区总启动春节送温暖"
    assert art.kicker == "" and art.subtitle == ""
    assert art.body == rec["text"]  # the read-mode copy of the body is not taken twice
    assert (art.date, art.page, art.source) == ("2016-01-22", "02", "工人日报")
    assert "陈昌云" in art.byline.raw and art.dateline == "1月20日"
    assert not any(w in art.body for w in ("上一版", "下一版", "×", "中工网"))


@needs_shared
def test_workers_daily_body_printed_twice_is_collapsed():
    art = parse_fixture("grrb_2025-10-28_photo.html")
    rec = union_record("grrb/2025/10/28/2/news-4.html")
    assert art.title == "让环卫工暖胃更暖心"
    assert art.body == rec["text"]
    assert art.body.count("据悉") == 1 and "×" not in art.body
    assert (art.date, art.page) == ("2025-10-28", "02")
    assert art.kind == "photo" and art.byline.raw.endswith("摄")


def test_workers_daily_kicker_and_subtitle_and_no_invented_date():
    art = parse_fixture("grrb_kicker_seed004.html")
    assert art.kicker == "瞄准有益、有趣、有用"
    assert art.title == "嘉兴工会打造50多个“美好生活能量站”"
    assert art.subtitle == "弥补了职工文化阵地短板,吸引超过2万人进站参与活动"
    assert art.body.startswith("本报讯(记者邹倜然 通讯员邱一梅)") and len(art.body.split("\n")) == 3
    assert art.date is None and art.page is None  # the page states neither


def test_workers_daily_legacy_system_gbk_page_with_url():
    url = "http://media.workercn.cn/sites/media/grrb/2012_05/03/GR0203.htm"
    art = parse_fixture("grrb_legacy_GR0203.htm", url=url)
    assert art.title == "重庆九龙坡区评选“金牌工人”"
    assert art.body.startswith("本报讯(记者李国 实习生孙欣)4月27日")
    assert len(art.body.split("\n")) == 2 and "上一篇" not in art.body
    assert art.byline.raw == "本报记者 李国 实习生 孙欣"  # from div.lai
    assert (art.date, art.page, art.source, art.url, art.position) == ("2012-05-03", "02", "工人日报", url, 2)


def test_founder_system_page_in_gb18030_labelled_gb2312():
    art = parse_fixture(
        "ldwb_2024-02-01_founder_gbk.htm", url="https://ldwb.workerbj.cn/content/2024-02/01/content_138094.htm"
    )
    assert art.title == "劳动者带上“微笑照”回家过年"
    assert art.kicker == "市总工会开展“最美劳动者 微笑带回家”公益活动"
    paras = art.body.split("\n")
    assert len(paras) == 3 and paras[0].startswith("本报讯 (记者 马春燕)") and paras[2].startswith("据了解")
    assert (art.date, art.page, art.source) == ("2024-02-01", "03", "劳动午报")
    assert not any(w in art.body for w in ("上一篇", "版面导航", "主办", "放大", "关闭", "望京街道"))


def test_founder_page_without_metadata_takes_page_from_chrome_and_date_from_url():
    path = FIX / "ldwb_2025-05-07_ozoom.html"
    from_file = parse_fixture(path.name)
    assert from_file.title == "开栏语" and from_file.page == "10" and from_file.date is None
    assert from_file.body.startswith("庆祝中华全国总工会成立100周年") and "下一篇" not in from_file.body
    crawled = parse_fixture(path.name, url="http://ldwb.workerbj.cn/content/2025-05/07/content_154867.htm")
    assert crawled.date == "2025-05-07" and crawled.source == "劳动午报"


def test_generic_news_page_main_text_title_and_date():
    art = parse_fixture("acftu_2021-10-19_generic.html")
    assert art.title == "现场传技"  # not the masthead's 人民网 h1
    assert art.date == "2021-10-19"
    assert art.body.startswith("10月7日,在田陈煤矿王立国劳模创新工作室") and "\n" not in art.body
    assert not any(w in art.body for w in ("全总简介", "首页", "相关新闻", "责编", "上一版"))
    assert art.byline.raw == "本报记者 田国垒 本报通讯员 任士鹏 梁晓彤 摄"


def test_truncated_html_keeps_what_is_there():
    art = parse_fixture("truncated_mid_body.html")
    assert art.title == "昆明五华区总启动春节送温暖"
    assert art.body.startswith("本报讯 (记者陈昌云)") and "\n" not in art.body
    assert art.date == "2016-01-22"


def test_html_with_nothing_usable_gives_a_clear_problem():
    problem = parse_article_html((FIX / "truncated_in_head.html").read_bytes(), "truncated_in_head.html")
    assert isinstance(problem, LoadProblem) and "truncated" in problem.reason
    assert_one_line_naming(problem, "truncated_in_head.html")
    problem = parse_article_html("<html><body><div></div></body></html>", "blank.html")
    assert isinstance(problem, LoadProblem) and "no article" in problem.reason
    problem = parse_article_html(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "logo.html")
    assert isinstance(problem, LoadProblem) and "binary" in problem.reason


def test_fetched_page_uses_declared_charset_and_fills_what_the_page_lacks():
    body = (FIX / "ldwb_2024-02-01_founder_gbk.htm").read_bytes()
    url = "https://ldwb.workerbj.cn/content/2024-02/01/content_138094.htm"
    for declared in (None, "gbk", "GB2312"):
        art = parse_fetched_page(body, url, declared, date="2024-02-01", page="3", source="劳动午报")
        assert isinstance(art, Article)
        assert art.title == "劳动者带上“微笑照”回家过年" and art.url == url and art.origin == url
    # The crawl's date/page/source fill a page that states none; what a page states wins.
    url2 = "https://www.workercn.cn/papers/grrb/2020/05/28/3/news-2.html"
    art = parse_fetched_page(
        (FIX / "grrb_kicker_seed004.html").read_bytes(), url2, "utf-8", date=None, page=None, source="工人日报"
    )
    assert (art.date, art.page, art.source, art.position) == ("2020-05-28", "03", "工人日报", 1)
    art = parse_fetched_page(
        (FIX / "grrb_2016-01-22_news-5.html").read_bytes(), url2, None, date="2020-05-28", page="3", source="x"
    )
    assert (art.date, art.page, art.source) == ("2016-01-22", "02", "工人日报")
    problem = parse_fetched_page(b"", url2, "utf-8", None, None, "工人日报")
    assert isinstance(problem, LoadProblem) and problem.origin == url2


# --- files, folders, JSONL -----------------------------------------------------------------


def test_corpus_folder_yields_five_pages():
    items = list(iter_sources([REPO / "corpus"]))
    assert len(items) == 5 and all(isinstance(p, Page) for p in items)
    assert [Path(p.origin).name for p in items] == sorted(p.name for p in (REPO / "corpus").glob("*.txt"))
    assert all(p.date is None for p in items)  # the seed pages state no issue date
    assert count_files([REPO / "corpus"]) == 5


def test_page_text_with_a_paper_line_is_dated(tmp_path):
    raw = "昆明五华区总启动春节送温暖\n《工人日报》(2016年01月22日 02版)\n本报讯 (记者陈昌云)1月20日……\n"
    (tmp_path / "p.md").write_text(raw, encoding="utf-8")
    # 2012-era pages print the page with three digits: 《工人日报》(2012年05月03日 002版)
    (tmp_path / "q.txt").write_text(
        "重庆九龙坡区评选“金牌工人”\n《工人日报》(2012年05月03日 002版)\n本报讯\n", encoding="utf-8"
    )
    page, page2012 = iter_sources([tmp_path / "p.md", tmp_path / "q.txt"])
    assert (page.date, page.page, page.source, page.text) == ("2016-01-22", "02", "工人日报", raw)
    assert (page2012.date, page2012.page) == ("2012-05-03", "02")


def test_folders_are_recursive_sorted_and_skip_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    for rel in ("b/2.txt", "a/deep/1.md", "a/0.txt", "z.txt", ".hidden.txt", ".git/HEAD.txt"):
        (tmp_path / rel).write_text(f"第{rel}页 工会新闻\n", encoding="utf-8")
    names = [Path(p.origin).relative_to(tmp_path).as_posix() for p in iter_sources([tmp_path])]
    assert names == ["z.txt", "a/0.txt", "a/deep/1.md", "b/2.txt"]
    assert count_files([tmp_path]) == 4
    # an explicitly named hidden file is read
    assert isinstance(next(iter_sources([tmp_path / ".hidden.txt"])), Page)


def test_bad_files_become_one_line_problems_and_the_run_goes_on(tmp_path):
    paths = [
        FIX / "binary.txt",
        FIX / "empty.txt",
        FIX / "notes.xyz",
        tmp_path / "missing.txt",
        FIX / "truncated_in_head.html",
        FIX / "page_gbk.txt",
    ]
    items = list(iter_sources(paths))
    problems, rest = items[:5], items[5:]
    assert all(isinstance(p, LoadProblem) for p in problems)
    for p, name in zip(problems, ["binary.txt", "empty.txt", "notes.xyz", "missing.txt", "truncated_in_head.html"]):
        assert_one_line_naming(p, name)
    assert "binary" in problems[0].reason and problems[1].reason == "empty file"
    assert problems[2].reason.startswith("unsupported file type .xyz")
    assert problems[3].reason == "no such file or directory"
    assert isinstance(rest[0], Page) and rest[0].text == EXPECTED["page_gbk.txt"]
    assert list(iter_files([tmp_path / "missing.txt"]))[0].origin.endswith("missing.txt")


def test_jsonl_bad_lines_are_reported_by_file_and_line():
    items = list(iter_sources([FIX / "bad_lines.jsonl"]))
    origins = [(type(i).__name__, i.origin.rsplit(":", 1)[1]) for i in items]
    assert origins == [
        ("Article", "1"),
        ("LoadProblem", "2"),
        ("LoadProblem", "4"),
        ("LoadProblem", "5"),
        ("LoadProblem", "6"),
        ("Article", "7"),
    ]
    for p in items[1:5]:
        assert_one_line_naming(p, "bad_lines.jsonl:")
    assert "not valid JSON" in items[1].reason and "object" in items[2].reason
    assert "neither a title nor a text" in items[3].reason and "'title'" in items[4].reason


@needs_shared
def test_people_daily_jsonl_fields():
    arts = list(iter_sources([FIX / "rmrb_excerpt.jsonl"]))
    assert all(isinstance(a, Article) for a in arts) and len(arts) == 3
    src = [json.loads(line) for line in (FIX / "rmrb_excerpt.jsonl").read_text(encoding="utf-8").splitlines()]
    for art, rec in zip(arts, src):
        assert art.title == rec["title"] and art.body == rec["text"].strip()
        assert (art.date, art.source, art.url) == (rec["date"], "人民日报", None)
        assert art.page == f"{rec['page']:02d}" and art.position == rec["seq_on_page"] - 1
        assert art.kicker == (rec["kicker"] or "") and art.subtitle == (rec["subtitle"] or "")
    assert arts[0].byline.raw == "本报北京1月31日电 （记者杜一菲）" and arts[0].dateline == "1月31日"
    assert arts[1].kicker and arts[1].subtitle
    assert arts[2].body == "" and arts[2].title  # a photo item with no text still loads


@needs_shared
def test_union_news_jsonl_fields():
    arts = list(iter_sources([FIX / "union_excerpt.jsonl"]))
    assert all(isinstance(a, Article) for a in arts)
    first, untitled, _ = arts
    assert first.title == "昆明五华区总启动春节送温暖" and first.url.endswith("/2016/01/22/2/news-5.html")
    assert (first.date, first.page, first.source) == ("2016-01-22", "02", "工人日报")
    assert untitled.title == "" and untitled.body.startswith("本报讯 第四届全国工人报刊好新闻好作品评比")
    assert untitled.date == "1991-06-20" and untitled.page is None


def test_binary_or_empty_jsonl_is_one_problem(tmp_path):
    (tmp_path / "x.jsonl").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "y.jsonl").write_bytes(b"")
    items = list(iter_sources([tmp_path]))
    assert [type(i) for i in items] == [LoadProblem, LoadProblem]
    assert "binary" in items[0].reason and items[1].reason == "empty file"


def test_a_file_of_garbage_lines_stops_after_twenty_problems(tmp_path):
    (tmp_path / "notjson.jsonl").write_text("这不是JSON\n" * 1000, encoding="utf-8")
    items = list(iter_sources([tmp_path / "notjson.jsonl"]))
    assert len(items) == 21 and "not JSON Lines" in items[-1].reason


def _write_big_jsonl(path: Path, lines: int) -> None:
    rec = {
        "title": "全国总工会举行会议",
        "date": "2019-02-01",
        "source": "人民日报",
        "page": 1,
        "text": "本报北京1月31日电 （记者杜一菲）全国总工会31日召开会议。",
    }
    block = ((json.dumps(rec, ensure_ascii=False) + "\n") * 10_000).encode("utf-8")
    with path.open("wb") as f:
        for _ in range(lines // 10_000):
            f.write(block)


def test_million_line_jsonl_is_streamed_not_loaded(tmp_path):
    big = tmp_path / "million.jsonl"
    _write_big_jsonl(big, 1_000_000)
    assert big.stat().st_size > 100_000_000
    tracemalloc.start()
    first = list(itertools.islice(iter_sources([big]), 1000))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(first) == 1000 and first[-1].origin.endswith("million.jsonl:1000")
    assert peak < 5_000_000  # a few MB for a >100 MB file: lines are read one by one


@pytest.mark.slow
def test_million_line_jsonl_loads_every_line(tmp_path):
    big = tmp_path / "million.jsonl"
    _write_big_jsonl(big, 1_000_000)
    n = 0
    last = None
    for article in iter_sources([big]):
        n += 1
        last = article
    assert n == 1_000_000 and isinstance(last, Article) and last.origin.endswith(":1000000")


# --- oversized input -------------------------------------------------------------------------


def _long_page(paragraphs: int) -> str:
    para = "本报讯（记者康劲）甘肃省肃北蒙古族自治县总工会近日推出“马背送学”活动，把技能培训送到牧区。"
    return "".join(f"## 第{i}篇 工会新闻\n\n{para}{i}\n\n" for i in range(paragraphs))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16", "utf-16-le"])
def test_long_text_file_is_streamed_as_pages_cut_at_paragraph_breaks(tmp_path, monkeypatch, encoding):
    import pipeline.loaders as loaders

    monkeypatch.setattr(loaders, "PAGE_PIECE_CHARS", 5_000)
    monkeypatch.setattr(loaders, "_READ_BLOCK", 4_099)  # odd: blocks end inside multi-byte characters
    text = _long_page(1_500)
    (tmp_path / "big.txt").write_bytes(text.encode(encoding))
    pages = list(iter_sources([tmp_path / "big.txt"]))
    assert all(isinstance(p, Page) for p in pages) and len(pages) > 10
    assert all(len(p.text) <= 5_000 and p.text.endswith("\n\n") for p in pages[:-1])
    assert "".join(p.text for p in pages) == text
    assert all(p.origin.endswith("big.txt") for p in pages)


def test_long_text_file_memory_does_not_grow_with_its_size(tmp_path, monkeypatch):
    import pipeline.loaders as loaders

    monkeypatch.setattr(loaders, "PAGE_PIECE_CHARS", 20_000)
    (tmp_path / "big.txt").write_text(_long_page(50_000), encoding="utf-8")  # ~9 MB
    assert (tmp_path / "big.txt").stat().st_size > 8_000_000
    tracemalloc.start()
    n = sum(1 for _ in iter_sources([tmp_path / "big.txt"]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n > 150
    assert peak < 8_000_000  # a block and a piece or two, not the file


def test_oversized_jsonl_record_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    import pipeline.loaders as loaders

    monkeypatch.setattr(loaders, "JSONL_RECORD_MAX_BYTES", 100_000)
    good = json.dumps({"title": "正常的记录", "text": "本报讯 全国总工会召开会议。"}, ensure_ascii=False)
    huge = json.dumps({"title": "巨大的记录", "text": "工会" * 3_500_000}, ensure_ascii=False)  # 21 MB
    (tmp_path / "a.jsonl").write_text(f"{good}\n{huge}\n{good}\n", encoding="utf-8")
    tracemalloc.start()
    items = list(iter_sources([tmp_path / "a.jsonl"]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [type(i) for i in items] == [Article, LoadProblem, Article]
    assert items[1].origin.endswith("a.jsonl:2") and "record too large (21.0 MB" in items[1].reason
    assert_one_line_naming(items[1], "a.jsonl:2")
    assert items[2].origin.endswith("a.jsonl:3")
    assert peak < 4_000_000  # blocks of the long line, never the line


def test_oversized_html_file_is_refused(tmp_path, monkeypatch):
    import pipeline.loaders as loaders

    monkeypatch.setattr(loaders, "HTML_MAX_BYTES", 50_000)
    (tmp_path / "huge.html").write_text(
        "<html><body>" + "<p>工会新闻。</p>" * 10_000 + "</body></html>", encoding="utf-8"
    )
    (problem,) = list(iter_sources([tmp_path / "huge.html"]))
    assert isinstance(problem, LoadProblem) and problem.reason.startswith("too large for one article page")
    assert_one_line_naming(problem, "huge.html")
