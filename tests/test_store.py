from index.store import ArticleStore, article_id
from pipeline.models import Article, Byline


def art(title, body, **kw):
    return Article(title=title, body=body, **kw)


def test_same_article_twice_is_stored_once_even_with_width_and_space_noise(tmp_path):
    s = ArticleStore(tmp_path / "s.sqlite")
    new, dupes = s.add_articles(
        [art("靖西市总开展集体协商", "建制率保持在91%。"), art("靖西市总开展集体协商", "建制率保持在 ９１％。")]
    )
    s.commit()
    assert len(new) == 1 and dupes == 1
    assert s.count() == 1


def test_round_trip_keeps_provenance_and_byline(tmp_path):
    a = art(
        "甘肃评选“工人发明家”",
        "正文",
        kicker="引题",
        byline=Byline("本报讯（记者康劲）", ("康劲",)),
        date="2020-08-12",
        source="工人日报",
        page="03",
        position=2,
        origin="corpus/000.txt",
    )
    s = ArticleStore(tmp_path / "s.sqlite")
    s.add_articles([a])
    s.commit()
    got = s.get(article_id(a)).article
    assert got == a


def test_uncommitted_rows_vanish_on_rollback_and_reopen(tmp_path):
    path = tmp_path / "s.sqlite"
    s = ArticleStore(path)
    s.add_articles([art("一", "甲")])
    s.commit()
    s.add_articles([art("二", "乙")])
    s.close()  # closing without commit discards the open transaction
    assert ArticleStore(path).count() == 1


def test_id_prefix_resolution(tmp_path):
    s = ArticleStore(tmp_path / "s.sqlite")
    (new, _) = s.add_articles([art("一", "甲")])
    s.commit()
    aid = new[0].id
    assert s.resolve_id(aid[:6]) == [aid]
    assert s.resolve_id("zzzz") == []
