"""OpenSearch export: every bulk document checked against the mapping the export wrote.

No OpenSearch server exists here, so the checks are what the server would enforce for
this mapping ("dynamic": "strict", field types, date format, vector dimension) plus what
our search relies on (the *_seg fields hold exactly the segmenter's words, space-joined).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from pathlib import Path

import pytest

from index.export_opensearch import ExportError, article_record, export_opensearch
from pipeline.entities import extract_entities
from pipeline.models import Article
from pipeline.segment import segment
from tests.helpers import RMRB, require_shared


def rmrb_articles(n: int) -> list[tuple[str, Article]]:
    out = []
    with open(require_shared(RMRB), encoding="utf-8") as f:
        for line in itertools.islice(f, n):
            r = json.loads(line)
            out.append(
                (
                    r["id"],
                    Article(
                        title=r["title"] or "",
                        body=r["text"] or "",
                        kicker=r["kicker"] or "",
                        subtitle=r["subtitle"] or "",
                        date=r["date"],
                        source=r["source"],
                        page=str(r["page"]),
                    ),
                )
            )
    return out


@pytest.fixture(scope="module")
def records() -> list[dict]:
    """Real articles with their real entities (regions with parents, programs, people, orgs)."""
    return [article_record(aid, art, extract_entities(art)) for aid, art in rmrb_articles(60)]


def char_vectors(dim: int):
    """A cheap deterministic embedding (hashed character counts): the export only carries vectors."""

    def embed(batch: list[dict]) -> list[list[float]]:
        out = []
        for a in batch:
            v = [0.0] * dim
            for ch in a["title"] + a["body"]:
                v[int(hashlib.md5(ch.encode()).hexdigest(), 16) % dim] += 1.0
            out.append(v)
        return out

    return embed


def read_bulk(out: Path, names: list[str]) -> list[tuple[dict, dict]]:
    pairs = []
    for name in names:
        lines = (out / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) % 2 == 0 and lines, name
        pairs += [(json.loads(a), json.loads(d)) for a, d in zip(lines[::2], lines[1::2])]
    return pairs


def check_against_mapping(doc: dict, mapping: dict) -> None:
    """What OpenSearch would reject, and what our search needs from the pre-segmented fields."""
    props = mapping["mappings"]["properties"]
    analyzers = mapping["settings"]["index"]["analysis"]["analyzer"]
    assert mapping["mappings"]["dynamic"] == "strict"
    unknown = set(doc) - set(props)
    assert not unknown, f"{doc['id']}: fields not in the mapping {unknown}"
    for name, value in doc.items():
        spec = props[name]
        kind = spec["type"]
        if kind == "keyword":
            values = value if isinstance(value, list) else [value]
            assert values and all(isinstance(v, str) and v for v in values), (name, value)
        elif kind == "text":
            assert isinstance(value, str), (name, value)
            if spec.get("index", True):
                assert analyzers[spec["analyzer"]]["tokenizer"] == "whitespace"
                # pre-segmented: single spaces between non-empty tokens, no other white space
                assert value == " ".join(value.split()) and not re.search(r"[\t\n\r\u3000]", value), (name, value[:60])
        elif kind == "date":
            assert spec["format"] == "strict_date"
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and dt.date.fromisoformat(value), value
        elif kind == "knn_vector":
            assert isinstance(value, list) and len(value) == spec["dimension"], (name, len(value))
            assert all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
        else:
            pytest.fail(f"unexpected mapping type {kind} for {name}")


def test_every_bulk_document_matches_the_mapping(tmp_path, records):
    dim = 32
    stats = export_opensearch(records, tmp_path, dim=dim, vectors=char_vectors(dim), docs_per_file=25)
    mapping = json.loads((tmp_path / "mapping.json").read_text(encoding="utf-8"))
    assert mapping["settings"]["index"]["knn"] is True
    assert set(mapping["mappings"]["_source"]["excludes"]) <= set(mapping["mappings"]["properties"])
    assert mapping["mappings"]["properties"]["vector"]["dimension"] == dim
    assert stats.files == ["bulk-0001.ndjson", "bulk-0002.ndjson", "bulk-0003.ndjson"]  # 25 + 25 + 10
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["mapping.json"] + stats.files)
    pairs = read_bulk(tmp_path, stats.files)
    assert len(pairs) == stats.documents == stats.with_vector == len(records)
    assert [d["id"] for _, d in pairs] == [r["id"] for r in records]
    for action, doc in pairs:
        assert action == {"index": {"_index": "unionkb-articles", "_id": doc["id"]}}
        check_against_mapping(doc, mapping)
    assert stats.bytes == sum((tmp_path / n).stat().st_size for n in stats.files)


def test_segmented_fields_are_the_segmenters_words(tmp_path, records):
    stats = export_opensearch(records, tmp_path)
    by_id = {r["id"]: r for r in records}
    for _, doc in read_bulk(tmp_path, stats.files):
        r = by_id[doc["id"]]
        for field, text in (
            ("title", r["title"]),
            ("body", r["body"]),
            ("kicker", " ".join(x for x in (r["kicker"], r["subtitle"]) if x)),
        ):
            toks = segment(text)
            assert doc[f"{field}_seg"].split() == [t.text for t in toks if not t.sub]
            assert doc[f"{field}_sub"].split() == [t.text for t in toks if t.sub]


def test_facets_carry_entities_and_no_vector_field_without_dim(tmp_path, records):
    stats = export_opensearch(records, tmp_path)
    mapping = json.loads((tmp_path / "mapping.json").read_text(encoding="utf-8"))
    assert "vector" not in mapping["mappings"]["properties"] and "knn" not in mapping["settings"]["index"]
    docs = [d for _, d in read_bulk(tmp_path, stats.files)]
    assert stats.with_vector == 0 and not any("vector" in d for d in docs)
    for d in docs:
        check_against_mapping(d, mapping)
    with_regions = [d for d in docs if d.get("regions")]
    assert with_regions and any(d.get("programs") for d in docs)
    # a prefecture- or county-level code comes with its province's code, as in the keyword filter
    # (numeric codes only: the gazetteer also yields a placeholder "资料暂缺" as a parent code)
    deep = [d for d in with_regions if any(len(c) > 2 and c.isdigit() for c in d["regions"])]
    assert deep and all(
        any(len(c) == 2 and code.startswith(c) for c in d["regions"])
        for d in deep
        for code in d["regions"]
        if len(code) > 2 and code.isdigit()
    )


def test_bad_input_is_a_clear_error_and_leaves_no_partial_file(tmp_path, records):
    with pytest.raises(ExportError, match="both dim and vectors"):
        export_opensearch(records, tmp_path, dim=8)
    with pytest.raises(ExportError, match=r"article rmrb-\S+: vector has 7 dimensions, the mapping says 8"):
        export_opensearch(records, tmp_path, dim=8, vectors=lambda b: [[0.0] * 7 for _ in b])
    assert not list(tmp_path.glob("bulk-*"))
    with pytest.raises(ExportError, match="without a string id"):
        export_opensearch([{"title": "无编号"}], tmp_path)


def test_strict_dates_only_and_stale_files_removed(tmp_path):
    (tmp_path / "bulk-0009.ndjson").write_text("stale\n", encoding="utf-8")
    arts = [
        {"id": "a", "title": "职工", "body": "工会", "date": "2019-02-30"},
        {"id": "b", "title": "职工", "body": "工会", "date": "2019-02"},
        {"id": "c", "title": "职工", "body": "工会", "date": "2019-02-28"},
    ]
    stats = export_opensearch(arts, tmp_path)
    assert stats.dates_dropped == 2 and stats.files == ["bulk-0001.ndjson"]
    assert not (tmp_path / "bulk-0009.ndjson").exists()
    docs = {d["id"]: d for _, d in read_bulk(tmp_path, stats.files)}
    assert "date" not in docs["a"] and "date" not in docs["b"] and docs["c"]["date"] == "2019-02-28"
