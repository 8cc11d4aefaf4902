import subprocess
import sys
from pathlib import Path

import pipeline.segment as segment_module
from pipeline.segment import fold_width, query_terms, segment


def test_positions_are_consecutive_and_offsets_point_at_the_word():
    text = "甘肃省酒泉市肃北蒙古族自治县人口仅有1.5万"
    toks = segment(text)
    main = [t for t in toks if not t.sub]
    assert [t.pos for t in main] == list(range(len(main)))
    for t in toks:
        assert fold_width(text[t.start : t.end]).lower() == t.text


def test_subwords_share_their_parents_position():
    toks = segment("肃北蒙古族自治县")
    parent = next(t for t in toks if t.text == "肃北蒙古族自治县")
    subs = {t.text for t in toks if t.sub}
    assert {"肃北", "蒙古族", "自治县"} <= subs
    assert all(t.pos == parent.pos for t in toks if t.sub)


def test_numbers_split_from_magnitude_and_unit_the_same_way_on_both_sides():
    assert query_terms("4000万元") == ["4000", "万", "元"]
    assert query_terms("33.65万") == ["33.65", "万"]
    assert query_terms("91%") == ["91", "%"]
    doc = [t.text for t in segment("为33.65万名职工提供精准就业服务")]
    assert doc[:3] == ["为", "33.65", "万"]


def test_single_digits_letters_kept_lowercased_no_stemming():
    terms = query_terms("第１版 ABC running 5G")
    assert "1" in terms and "abc" in terms and "running" in terms
    # a digit run is split from what follows it, identically in documents and queries
    assert terms[-2:] == ["5", "g"] == [t.text for t in segment("5G网络")][:2]


def test_union_dictionary_words_stay_whole():
    assert "集体协商" in query_terms("开展集体协商要约行动")
    assert "新就业形态劳动者" in query_terms("为新就业形态劳动者提供服务")
    assert "职工之家" in query_terms("建设职工之家")


# ------------------------------------------------------------------ the dictionary read from disk

REPO = Path(__file__).resolve().parents[1]


def _seed_lines() -> list[str]:
    lines = []
    for page in sorted((REPO / "corpus").glob("*.txt")):
        lines += [ln for ln in page.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines


def test_the_dictionary_on_disk_segments_exactly_as_the_whole_dictionary(tmp_path):
    full = segment_module._jieba()
    path = str(tmp_path / "dict.sqlite")
    segment_module._save_dictionary_file(full, path)
    lazy = segment_module._open_lazy_tokenizer(path)
    assert lazy is not None and lazy.total == full.total
    lines = _seed_lines()
    assert len(lines) > 300
    for line in lines:
        assert list(lazy.tokenize(line, HMM=True)) == list(full.tokenize(line, HMM=True)), line
    # words a process adds stay in that process
    lazy.add_word("马背送学", 20000)
    assert lazy.FREQ["马背送学"] == 20000
    assert segment_module._open_lazy_tokenizer(path).FREQ.get("马背送学") == full.FREQ.get("马背送学")


def test_a_cache_folder_that_cannot_be_written_only_costs_the_copy(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    segment_module._save_dictionary_file(segment_module._jieba(), str(not_a_folder / "dict.sqlite"))  # no raise
    assert not_a_folder.read_text() == "x"
    assert segment_module._open_lazy_tokenizer(str(not_a_folder / "dict.sqlite")) is None


def test_a_damaged_dictionary_file_is_not_used(tmp_path):
    bad = tmp_path / "dict.sqlite"
    bad.write_bytes(b"\x00not a database" * 100)
    assert segment_module._open_lazy_tokenizer(str(bad)) is None
    assert segment_module._open_lazy_tokenizer(str(tmp_path / "absent.sqlite")) is None


_PROBE = """
import json, sys
import pipeline.segment as s
out = {"terms": s.query_terms(sys.argv[1]), "whole_dictionary_after_query": s._tokenizer is not None}
s.segment("职工" * s.LAZY_CHAR_BUDGET)
out["whole_dictionary_after_long_text"] = s._tokenizer is not None
print(json.dumps(out, ensure_ascii=False))
"""


def test_a_fresh_process_answers_a_query_without_loading_the_whole_dictionary(tmp_path):
    """The first process writes the copy; the next reads only what a query needs, with the same words."""
    import json
    import os

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    query = "哪个县推出了马背送学给送外卖的人提供歇脚喝水的地方"
    runs = []
    for _ in range(2):
        r = subprocess.run(
            [sys.executable, "-c", _PROBE, query], cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(r.stdout))
    assert list(tmp_path.glob("unionkb-jieba-*.sqlite"))
    assert runs[0]["whole_dictionary_after_query"] is True  # no copy yet: loaded, copy written
    assert runs[1]["whole_dictionary_after_query"] is False
    assert runs[1]["terms"] == runs[0]["terms"] == query_terms(query)
    assert runs[1]["whole_dictionary_after_long_text"] is True
