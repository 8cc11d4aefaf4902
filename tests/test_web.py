"""The web app and JSON API through the framework's test client, on a real archive
(the sample corpus plus a hostile article and a few dated stories)."""

import csv
import io
import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from search_cli import cli
from tests.helpers import REPO, cli_json
from tests.web_helpers import HOSTILE_TITLE, error, ok, sample_web_archive
from unionkb.web import create_app

WEB = REPO / "unionkb" / "web"


@pytest.fixture(scope="module")
def idx(tmp_path_factory, embedding_models):
    return sample_web_archive(tmp_path_factory)


@pytest.fixture(scope="module")
def client(idx):
    with TestClient(create_app(idx)) as c:
        yield c


def sushbei_id(client) -> str:
    return ok(client, "/api/search?q=马背送学&k=1").json()[0]["id"]


# -- the API speaks the CLI's --json -----------------------------------------------------------
@pytest.mark.parametrize(
    "query, extra",
    [
        ("马背送学", []),
        ('"集体协商"', ["-k", "3"]),
        ("送温暖", ["--mode", "keyword", "--region", "甘肃省"]),
        ("送温暖", ["--since", "2020-02-01", "--until", "2020-05-01", "--source", "工人日报"]),
    ],
)
def test_api_search_is_the_cli_search(client, idx, query, extra):
    opts = dict(zip(extra[::2], extra[1::2]))
    params = {"q": query, "k": opts.get("-k", "10"), **{k.lstrip("-"): v for k, v in opts.items() if k != "-k"}}
    api = ok(client, "/api/search?" + "&".join(f"{k}={v}" for k, v in params.items())).json()
    cli_rows = cli_json(idx, "search", query, *extra)
    assert api and [r["id"] for r in api] == [r["id"] for r in cli_rows]
    assert list(api[0]) == list(cli_rows[0])  # same field names in the same order
    assert api[0]["title"] == cli_rows[0]["title"]


def test_api_filters_do_what_they_say(client):
    gansu = ok(client, "/api/search?q=送温暖&mode=keyword&region=甘肃省&k=20").json()
    titles = {r["title"] for r in gansu}
    assert "肃北县总工会开展冬季送温暖活动" in titles and "武汉市总工会慰问抗疫一线职工" not in titles
    dated = ok(client, "/api/search?q=送温暖&mode=keyword&since=2020-02-01&until=2020-04-30&k=20").json()
    assert dated and all("2020-02-01" <= r["date"] <= "2020-04-30" for r in dated)
    assert all(r["source"] == "测试报" for r in ok(client, "/api/search?q=职工书屋&source=测试报").json())


def test_api_who_article_similar_entities_stats_match_the_cli(client, idx):
    who = ok(client, "/api/who?q=哪个县推出了马背送学？").json()
    assert who == cli_json(idx, "who", "哪个县推出了马背送学？")
    assert who[0]["region"] == "肃北蒙古族自治县" and who[0]["parents"] == ["甘肃省", "酒泉市"]
    assert ok(client, "/api/who?q=马背送学&level=province").json()[0]["region"] == "甘肃省"

    aid = sushbei_id(client)
    assert ok(client, f"/api/articles/{aid}").json() == cli_json(idx, "show", aid)
    assert ok(client, f"/api/articles/{aid[:8]}").json()["id"] == aid  # a unique prefix, as in the CLI
    similar = ok(client, f"/api/similar/{aid}?k=3").json()
    assert similar == cli_json(idx, "similar", aid, "-k", "3")
    assert len(similar) == 3 and set(similar[0]["shared"]) == {"regions", "programs", "topics"}

    programs = ok(client, "/api/entities?type=program&limit=500").json()
    assert {"马背送学", "美好生活能量站"} <= {e["value"] for e in programs}
    assert programs == cli_json(idx, "entities", "--type", "program", "--limit", "500")
    in_gansu = ok(client, "/api/entities?type=region&region=甘肃&limit=100").json()
    assert all(
        e["parents"][:1] == ["甘肃省"] or e["name"] == "甘肃省"
        for e in in_gansu
        if e["level"] != "province" or e["name"] == "甘肃省"
    )

    stats = ok(client, "/api/stats").json()
    cli_stats = cli_json(idx, "stats")
    assert stats["articles"] == cli_stats["articles"] == 51 and stats["vectors"] == cli_stats["vectors"]


def test_region_suggestions_put_exact_names_first_with_their_parents(client):
    rows = ok(client, "/api/regions?q=肃北").json()
    assert rows[0]["name"] == "肃北蒙古族自治县" and rows[0]["parents"] == ["甘肃省", "酒泉市"]
    assert rows[0]["articles"] >= 2 and rows[0]["code"] == "620923"
    chaoyang = ok(client, "/api/regions?q=朝阳&limit=20").json()
    assert {r["level"] for r in chaoyang} >= {"city", "county"}  # the same name at two levels: both offered


def test_openapi_schema_lists_every_endpoint_with_the_cli_field_names(client):
    schema = ok(client, "/api/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/search",
        "/api/who",
        "/api/articles/{article_id}",
        "/api/similar/{article_id}",
        "/api/entities",
        "/api/stats",
        "/api/regions",
    } <= paths
    assert not any(p.startswith(("/search", "/who", "/regions")) for p in paths)  # pages are not the API
    hit = schema["components"]["schemas"]["SearchHit"]["properties"]
    assert {"id", "title", "date", "source", "score", "snippet", "text", "kicker", "url", "page", "scores"} <= set(hit)
    params = {p["name"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert params == {"q", "k", "mode", "since", "until", "region", "level", "source"}
    # the documentation pages would load their scripts from a CDN: they are off
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404


# -- errors: JSON, 4xx, one message --------------------------------------------------------------
def test_api_errors_are_one_json_message_with_a_4xx_status(client):
    assert "k" in error(client, "/api/search?q=工会&k=1000", 422)
    assert "k" in error(client, "/api/search?q=工会&k=0", 422)
    assert "q" in error(client, "/api/search?q=" + "工" * 201, 422)
    assert "q" in error(client, "/api/search", 422)
    assert "mode" in error(client, "/api/search?q=工会&mode=magic", 422)
    assert "since" in error(client, "/api/search?q=工会&since=yesterday", 422)
    assert "ambiguous" in error(client, "/api/search?q=工会&region=朝阳", 400)
    assert "unknown region" in error(client, "/api/search?q=工会&region=火星省", 400)
    assert "level" in error(client, "/api/who?q=马背送学&level=village", 422)
    assert "type" in error(client, "/api/entities?type=planet", 422)
    assert "no article" in error(client, "/api/articles/0000000000000000", 404)
    assert "not an article id" in error(client, "/api/articles/%25", 422)  # no LIKE wildcards into the store
    assert "not an article id" in error(client, "/api/similar/zz-top", 422)
    assert error(client, "/api/nothing-here", 404) == "not found"
    r = client.post("/api/search?q=工会")
    assert r.status_code == 405 and "read-only" in r.json()["error"]


def test_page_errors_are_pages_with_one_message(client):
    r = client.get("/articles/0000000000000000")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "no article" in r.text
    r = client.get("/search?q=工会&region=朝阳")
    assert r.status_code == 400 and "ambiguous" in r.text
    r = client.get("/regions/999999")
    assert r.status_code == 404
    assert "Traceback" not in r.text


# -- pages ------------------------------------------------------------------------------------------
def test_search_page_results_facets_chart_and_pagination(client):
    html = ok(client, "/search?q=送温暖&mode=keyword").text
    assert "肃北县总工会开展冬季送温暖活动" in html
    assert "<mark>" in html  # matched words highlighted
    facets = html[html.index('class="facets"') :]
    assert "甘肃省" in facets and "酒泉市" in facets and "肃北蒙古族自治县" in facets
    assert "region=62" in facets  # a facet narrows the search to that province
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group()
    assert svg.count('class="bar"') >= 6  # 2020-01 .. 2020-06 at least, one bar per month
    assert "since=2020-01-01&amp;until=2020-01-31" in svg
    narrowed = ok(client, "/search?q=送温暖&mode=keyword&region=62").text
    assert "武汉市总工会" not in narrowed and "肃北县总工会开展冬季送温暖活动" in narrowed
    many = ok(client, "/search?q=工会&mode=keyword").text
    assert 'rel="next"' in many and "第 1 / " in many
    page2 = ok(client, "/search?q=工会&mode=keyword&page=2").text
    assert '<ol class="hits" start="11">' in page2


def test_landing_page_and_about(client):
    html = ok(client, "/").text  # redirects to the search page
    assert 'name="q"' in html and "data-suggest" in html and "51" in html
    about = ok(client, "/about").text
    assert "/api/search" in about and "/api/openapi.json" in about


def test_who_page_shows_path_org_evidence_and_links_the_evidence(client):
    html = ok(client, "/who?q=哪个县推出了马背送学？").text
    answer = html[html.index('class="answer') :]
    assert "甘肃省 › " in answer and "酒泉市 › " in answer and ">肃北蒙古族自治县</a>" in answer
    assert 'href="/regions/620923"' in answer
    assert "ent-org" in answer and "马背送学" in answer
    assert re.search(r'<span class="ent ent-hit">推出</span>', answer)
    link = re.search(r'href="(/articles/[0-9a-f]+\?ev=body:\d+:\d+#evidence)"', answer).group(1)
    article = ok(client, link.replace("&amp;", "&")).text
    evidence = re.search(r'<mark class="evidence" id="evidence">(.*?)</mark>', article).group(1)
    assert evidence  # the evidence sentence is marked in the article


def test_article_page_links_entities_and_shows_similar_stories(client):
    aid = sushbei_id(client)
    html = ok(client, f"/articles/{aid}").text
    assert 'href="/regions/620923"' in html  # 肃北 → its region page
    assert re.search(r'<a class="ent ent-program" href="/search\?q=%22%E9%A9%AC%E8%83%8C', html)  # "马背送学"
    assert "ent-org" in html
    assert "相似报道" in html and f"/articles/{aid}/similar" in html
    similar = html[html.index('class="similar"') :]
    assert similar[: similar.index("</ol>")].count("<li>") == 5
    page = ok(client, f"/articles/{aid}/similar").text
    assert page.count('class="hit"') == 10 and "共同" in page


def test_region_page_rolls_up_the_places_below(client):
    html = ok(client, "/regions/62").text
    assert "<h1>甘肃省" in html
    below = html[html.index('class="rollup"') : html.index("</ul>", html.index('class="rollup"'))]
    names = re.findall(r'<a href="/regions/(\d+)">([^<]+)</a> <span class="count">(\d+) 篇', below)
    assert ("6209", "酒泉市", names[[n[1] for n in names].index("酒泉市")][2]) in names
    jiuquan = int(dict((n[1], n[2]) for n in names)["酒泉市"])
    assert jiuquan >= 3  # 肃北's stories count for 酒泉市
    assert "肃北县总工会开展冬季送温暖活动" in html  # articles about places below are listed
    county = ok(client, "/regions/620923").text
    assert "甘肃省" in county and "马背送学" in county
    root = ok(client, "/regions").text
    assert 'href="/regions/62"' in root


# -- exports ------------------------------------------------------------------------------------------
def test_every_result_list_exports_as_csv_and_json(client):
    aid = sushbei_id(client)
    for url, key in [
        ("/search?q=送温暖&mode=keyword", "id"),
        ("/who?q=哪个县推出了马背送学", "region"),
        (f"/articles/{aid}/similar?k=4", "id"),
        ("/regions/62", "id"),
    ]:
        sep = "&" if "?" in url else "?"
        r = ok(client, url + sep + "format=csv")
        assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
        js = ok(client, url + sep + "format=json").json()
        assert rows and len(rows) == len(js)
        assert [x[key] for x in rows] == [str(x[key]) for x in js]
    rows = list(
        csv.DictReader(io.StringIO(ok(client, "/search?q=送温暖&mode=keyword&format=csv").text.lstrip("\ufeff")))
    )
    assert "<mark>" not in rows[0]["snippet"] and rows[0]["title"]
    assert client.get("/search?q=工会&format=xml").status_code == 422


# -- safety -----------------------------------------------------------------------------------------------
def test_archive_text_is_escaped_everywhere(client):
    hostile = ok(client, "/api/search?q=职工书屋&source=测试报").json()[0]
    assert hostile["title"] == HOSTILE_TITLE  # the API hands over the data as it is
    for url in ("/search?q=职工书屋", f"/articles/{hostile['id']}", "/search?q=职工书屋&format=json"):
        text = ok(client, url).text
        if url.endswith("json"):
            continue
        assert "<script>alert(1)" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "javascript:alert" not in text.replace("来源 javascript:alert(3)", "")
    article = ok(client, f"/articles/{hostile['id']}").text
    assert 'href="javascript:' not in article and "来源 javascript:alert(3)" in article  # shown, never linked


def test_security_headers_and_read_only(client):
    r = ok(client, "/search?q=工会")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    for method in ("post", "put", "delete"):
        assert getattr(client, method)("/api/stats").status_code == 405


def test_assets_are_vendored_in_the_package(client):
    assert "body" in ok(client, "/static/style.css").text
    assert "fetch(" in ok(client, "/static/app.js").text
    text = "".join(p.read_text(encoding="utf-8") for p in (WEB / "templates").iterdir())
    text += "".join(p.read_text(encoding="utf-8") for p in (WEB / "static").iterdir() if p.suffix in (".css", ".js"))
    # no script, stylesheet or font from anywhere but this server
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', text)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text) and "@import" not in text


def test_serve_reports_a_missing_archive_and_a_busy_port_in_one_line(tmp_path, idx):
    r = CliRunner().invoke(cli, ["--index", str(tmp_path / "none"), "serve", "--port", "0"])
    assert r.exit_code == 1 and "no archive at" in r.output and "Traceback" not in r.output
    from unionkb.web import bind

    sock = bind("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        r = CliRunner().invoke(cli, ["--index", str(idx), "serve", "--port", str(port)])
        assert r.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in r.output
    finally:
        sock.close()


def test_an_unexpected_failure_is_one_line_not_a_traceback(idx, monkeypatch):
    app = create_app(idx)
    with TestClient(app, raise_server_exceptions=False) as c:
        with app.state.live.use() as archive:
            monkeypatch.setattr(type(archive), "search", lambda *a, **k: 1 / 0)
        r = c.get("/api/search?q=工会")
        assert r.status_code == 500 and r.json() == {"error": "internal error (ZeroDivisionError)"}
        page = c.get("/search?q=工会")
        assert page.status_code == 500 and "internal error" in page.text and "Traceback" not in page.text
