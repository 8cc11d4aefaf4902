"""A small archive for the web tests, built once per test session: the sample corpus plus
one article written to attack the pages (script tags in its title and body, a javascript: URL)."""

import json
from pathlib import Path

from tests.helpers import CORPUS, cli_ok

HOSTILE_TITLE = "<script>alert(1)</script>职工书屋"
HOSTILE = {
    "title": HOSTILE_TITLE,
    "text": "某市总工会为职工书屋添置图书<img src=x onerror=alert(2)>，并举办读书分享会。\n职工书屋建设继续推进。",
    "date": "2021-03-04",
    "source": "测试报",
    "url": "javascript:alert(3)",
}


# Dated stories (the sample pages carry no dates) for the time chart and the region facets.
DATED = [
    (
        "肃北县总工会开展冬季送温暖活动",
        "2020-01-15",
        "甘肃省酒泉市肃北蒙古族自治县总工会近日开展冬季送温暖活动，为牧区困难职工送去棉衣和慰问金。",
    ),
    (
        "兰州市总工会为环卫工人送温暖",
        "2020-01-20",
        "甘肃省兰州市总工会开展送温暖活动，为一线环卫工人送去米面油和手套。",
    ),
    ("白银市总工会送温暖到一线", "2020-02-10", "甘肃省白银市总工会走访慰问企业一线职工，开展春节送温暖活动。"),
    ("武汉市总工会慰问抗疫一线职工", "2020-03-01", "湖北省武汉市总工会开展送温暖活动，慰问坚守抗疫一线的职工。"),
    ("靖西市总工会开展送温暖活动", "2020-04-03", "广西壮族自治区百色市靖西市总工会开展送温暖活动，帮扶困难职工家庭。"),
    (
        "肃北县总工会举办职工技能大赛",
        "2020-06-08",
        "甘肃省酒泉市肃北蒙古族自治县总工会举办职工技能大赛，并为获奖职工送温暖。",
    ),
]


def sample_web_archive(tmp_path_factory) -> Path:
    """The archive directory (shared by the web test modules of one session)."""
    root = tmp_path_factory.getbasetemp() / "web-sample-archive"
    if not (root / "store.sqlite").exists():
        src = tmp_path_factory.getbasetemp() / "web-extra.jsonl"
        rows = [HOSTILE] + [{"title": t, "text": body, "date": d, "source": "工人日报"} for t, d, body in DATED]
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        cli_ok(root, "ingest", CORPUS, src)
    return root


def ok(client, url):
    """GET ``url`` through the test client, requiring 200."""
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r


def error(client, url, status):
    """GET ``url``, requiring ``status`` and a one-message JSON error without a traceback; the message."""
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body["error"]
