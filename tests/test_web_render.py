"""The web app's pure pieces: escaping, entity annotation, time buckets, the chart, CSV."""

import csv
import io

from unionkb.web.render import (
    Bucket,
    Span,
    annotate_html,
    chart_svg,
    non_overlapping,
    plain_snippet,
    safe_url,
    shared_spans,
    snippet_html,
    time_buckets,
    to_csv,
)


def test_snippet_keeps_only_the_library_marks_and_escapes_the_rest():
    html = str(snippet_html('…<script>alert(1)</script> 职工<mark>书屋</mark> & "x"<mark>'))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>书屋</mark>" in html
    assert "&amp;" in html and "&#34;x&#34;" in html
    assert html.count("<mark>") == html.count("</mark>") == 2  # an unclosed mark is closed
    assert plain_snippet("a<mark>b</mark>c") == "abc"


def test_safe_url_allows_only_web_links():
    assert safe_url("https://www.workercn.cn/a.html") == "https://www.workercn.cn/a.html"
    assert safe_url("http://x.cn/") == "http://x.cn/"
    for bad in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<b>",
        "file:///etc/passwd",
        "",
        None,
        "/relative",
    ):
        assert safe_url(bad) is None


def test_annotate_wraps_spans_links_and_evidence_and_escapes_text():
    text = "甘肃<b>肃北</b>县总工会推出马背送学。\n第二段"
    spans = [Span(0, 2, "region", "/regions/62", "甘肃省"), Span(5, 7, "region", "/regions/620923")]
    html = str(annotate_html(text, spans, highlight=(0, 22), paragraphs=True))
    assert html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 2
    assert '<a class="ent ent-region" href="/regions/62" title="甘肃省">甘肃</a>' in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count('id="evidence"') == 1
    assert "马背送学" in html and "第二段" in html
    # a highlight across a paragraph break is closed and reopened around it
    two = str(annotate_html("一二\n三四", [], highlight=(1, 4), paragraphs=True))
    assert two == '<p>一<mark class="evidence" id="evidence">二</mark></p><p><mark class="evidence">三</mark>四</p>'
    # every character of the text is still there, in order
    import re

    assert re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">") == text.replace("\n", "")


def test_annotate_escapes_attribute_values():
    html = str(annotate_html("abc", [Span(0, 3, 'x"y', '/s?q="a"&b=<c>', 'he said "hi"')]))
    assert 'href="/s?q=&#34;a&#34;&amp;b=&lt;c&gt;"' in html
    assert 'class="ent ent-x&#34;y"' in html and 'title="he said &#34;hi&#34;"' in html


def test_non_overlapping_keeps_longest_first_in_text_order():
    kept = non_overlapping([Span(0, 2, "a"), Span(0, 8, "b"), Span(6, 10, "c"), Span(9, 12, "d"), Span(3, 3, "e")])
    assert [(s.start, s.end, s.kind) for s in kept] == [(0, 8, "b"), (9, 12, "d")]


def test_shared_spans_marks_the_words_a_sentence_shares_with_the_question():
    text = "肃北县总工会推出马背送学服务"
    spans = shared_spans(text, "哪个县推出了马背送学？")
    assert [text[s:e] for s, e in spans] == ["推出", "马背送学"]


def test_time_buckets_by_month_with_gaps_and_by_year_for_long_spans():
    b = time_buckets(["2019-11-02", "2019-11-30", "2020-01-05", None, "bad", "2020-02"])
    assert [(x.label, x.count) for x in b] == [("2019-11", 2), ("2019-12", 0), ("2020-01", 1), ("2020-02", 1)]
    assert b[3].since == "2020-02-01" and b[3].until == "2020-02-29"  # a leap year
    years = time_buckets(["2001-05-01", "2010-01-01", "2010-03-01"])
    assert [(x.label, x.count) for x in years][:2] == [("2001", 1), ("2002", 0)] and years[-1].count == 2
    assert time_buckets([None, ""]) == []


def test_chart_is_inline_svg_with_links_and_counts():
    buckets = [Bucket("2019-11", "2019-11-01", "2019-11-30", 3), Bucket("2019-12", "2019-12-01", "2019-12-31", 0)]
    svg = str(chart_svg(buckets, ["/search?q=a&since=2019-11-01", "/x"]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="bar"') == 2
    assert svg.count("<a ") == 1  # an empty month is no link
    assert "/search?q=a&amp;since=2019-11-01" in svg and "2019-11：3 篇" in svg
    assert str(chart_svg([])) == ""


def test_csv_has_bom_header_lists_and_no_formulas():
    text = to_csv(
        [{"id": "a1", "title": '=HYPERLINK("x")', "shared": ["甘肃省", "酒泉市"], "score": 0.5, "n": -3}],
        ["id", "title", "shared", "score", "n", "missing"],
    )
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["id", "title", "shared", "score", "n", "missing"]
    assert rows[1] == ["a1", '\'=HYPERLINK("x")', "甘肃省、酒泉市", "0.5", "-3", ""]
