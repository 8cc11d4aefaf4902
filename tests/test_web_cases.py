"""The cases pages and API through the framework's test client, on the web tests' real archive."""

import csv
import io

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from search_cli import cli
from tests.helpers import cli_json
from tests.web_helpers import error, ok, sample_web_archive
from unionkb.web import create_app

HOSTILE = "<script>alert(1)</script><b>职工书屋"


@pytest.fixture(scope="module")
def idx(tmp_path_factory, embedding_models):
    return sample_web_archive(tmp_path_factory)


@pytest.fixture(scope="module")
def client(idx):
    with TestClient(create_app(idx)) as c:
        yield c


@pytest.mark.parametrize(
    "params, extra",
    [
        ("k=500", ["-k", "500"]),
        ("q=马背送学&k=3", ["马背送学", "-k", "3"]),
        ("region=甘肃省&k=100", ["--region", "甘肃省", "-k", "100"]),
        ("program=送学", ["--program", "送学"]),
        ("since=2020-02-01&until=2020-05-01", ["--since", "2020-02-01", "--until", "2020-05-01"]),
    ],
)
def test_api_cases_is_the_cli_cases(client, idx, params, extra):
    api = ok(client, "/api/cases?" + params).json()
    assert api and api == cli_json(idx, "cases", *extra)


def test_api_case_filters_and_one_case(client, idx):
    gansu = ok(client, "/api/cases?region=甘肃省&k=100").json()
    everything = ok(client, "/api/cases?k=500").json()
    assert gansu and len(gansu) < len(everything)
    assert all(c["parents"][:1] == ["甘肃省"] or c["region"] == "甘肃省" for c in gansu)
    assert [c["program"] for c in ok(client, "/api/cases?program=送学").json()] == ["马背送学"]
    dated = ok(client, "/api/cases?since=2020-02-01&until=2020-05-01&k=100").json()
    assert dated and all(
        (c["last_date"] or "") >= "2020-02" and (c["first_date"] or "9") <= "2020-05-01" for c in dated
    )
    top = ok(client, "/api/cases?q=马背送学&k=1").json()[0]
    assert top["program"] == "马背送学" and top["region"] == "肃北蒙古族自治县"
    assert ok(client, f"/api/cases/{top['id']}").json() == cli_json(idx, "case", top["id"])
    assert ok(client, f"/api/cases/{top['id'][:6]}").json()["id"] == top["id"]


def test_bad_case_requests_are_one_json_error(client):
    assert "no case" in error(client, "/api/cases/ffffffffffff", 404)
    error(client, "/api/cases/not-an-id", 422)
    assert "since" in error(client, "/api/cases?since=yesterday", 422)
    assert "level" in error(client, "/api/cases?level=planet", 422)
    assert "region" in error(client, "/api/cases?region=火星省", 400)
    error(client, "/api/cases?k=0", 422)
    assert client.get("/cases/ffffffffffff").status_code == 404  # the page: an error page, not a traceback


def test_csv_export_is_the_cli_csv_with_a_bom(client, idx):
    r = ok(client, "/cases?region=甘肃省&format=csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="cases.csv"' in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode("utf-8"))
    cli_out = CliRunner().invoke(cli, ["--index", str(idx), "cases", "--region", "甘肃省", "--csv"]).stdout_bytes
    assert r.content == cli_out
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert (
        rows[0][:3] == ["地区", "组织", "项目/行动"]
        and len(rows) == len(cli_json(idx, "cases", "--region", "甘肃省")) + 1
    )
    assert ok(client, "/cases?region=甘肃省&format=json").json() == cli_json(idx, "cases", "--region", "甘肃省")


def test_pages_show_cases_and_their_articles(client):
    top = ok(client, "/api/cases?q=马背送学&k=1").json()[0]
    listing = ok(client, "/cases?q=马背送学").text
    assert "马背送学" in listing and f'href="/cases/{top["id"]}"' in listing and top["org"] in listing
    assert "format=csv" in listing and "format=json" in listing and 'class="on">案例<' in listing
    assert "甘肃省 › " in listing and f"{len(top['articles'])} 篇报道" in listing
    detail = ok(client, f"/cases/{top['id']}").text
    for a in top["articles"]:
        assert f'href="/articles/{a["id"]}"' in detail and a["evidence"] in detail
    for f in top["figures"]:
        assert f["text"] in detail
    region = ok(client, "/regions/620923").text  # 肃北: its cases above its articles
    assert f'href="/cases/{top["id"]}"' in region and "/cases?region=620923" in region
    assert 'href="/cases"' in ok(client, "/search").text  # the header's nav link


def test_hostile_input_is_escaped(client):
    for params, status in (
        ({"q": HOSTILE}, 200),
        ({"program": '">' + HOSTILE, "region": "甘肃省"}, 200),
        ({"q": '"' + HOSTILE}, 400),
    ):  # unbalanced quotes: the error page repeats the query
        r = client.get("/cases", params=params)
        assert r.status_code == status, r.text[:300]
        assert "<script>alert(1)" not in r.text and "<b>" not in r.text and "&lt;script&gt;" in r.text
    # the sample's hostile article: whatever case text comes from it is escaped too
    html = ok(client, "/cases?q=职工书屋&k=50").text
    assert "<img" not in html and "<script>alert" not in html
