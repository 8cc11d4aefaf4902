"""Loading an embedding model for use: queries and passages in, L2-normalised float32 rows out.

* ``e5-small`` / ``e5-small-int8``: the ONNX export run by onnxruntime + tokenizers, without
  torch (:mod:`index.semantic.onnx_e5`): a fresh process loads it in well under a second.
* ``static``: the model2vec model read with safetensors + tokenizers (no model2vec import at
  query time).
* any other name or path: a model2vec folder, else sentence-transformers.

A built-in model missing from the cache is built on first use (:mod:`index.semantic.building`).
Heavy imports (torch, transformers, sentence-transformers) happen inside functions only: the
CLI must start fast for keyword search.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.semantic.models import (
    BUILTIN_MODELS,
    E5_NAME,
    LEAD_SUFFIX,
    STATIC_NAME,
    ModelError,
    Progress,
)
from pipeline.script import to_simplified

# e5 was trained with these prefixes; the e5 builds record them as the sentence-transformers prompts.
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
TORCH_THREADS = 2  # the target machine has two cores


def offline_env() -> None:
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


def torch_setup() -> None:
    """Import torch with two threads that sleep when idle."""
    # Must precede torch's OpenMP start-up: idle threads then sleep instead of spinning.
    # Spinning, two threads on two cores with any other load (a background `embed`, another
    # process) made one query encoding take ~940 ms instead of ~25 ms; bulk speed is unchanged.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    if torch.get_num_threads() != TORCH_THREADS:
        torch.set_num_threads(TORCH_THREADS)


@dataclass
class Encoder:
    """Turns queries and passages into L2-normalised float32 vectors (rows).

    ``_encode(texts, kind, batch_size, show_progress)``, kind "query" or "passage", is the
    model's own runtime; each runtime decides how far it follows ``batch_size``."""

    name: str
    dim: int
    _encode: Callable[[list[str], str, int, bool], np.ndarray]

    # Traditional text is embedded in Simplified (the models' vocabulary), queries and
    # passages alike, so either script finds the other; Simplified text passes unchanged.
    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode([to_simplified(t) for t in texts], "query", batch_size, False)

    def encode_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self._encode([to_simplified(t) for t in texts], "passage", batch_size, show_progress)


def normalised(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (an all-zero row stays zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def load_sentence_transformer(name_or_path: str, name: str) -> Encoder:
    """A sentence-transformers model through torch, offline; its prompts applied when it has them."""
    offline_env()
    torch_setup()
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
        return normalised(vecs)

    return Encoder(name=name, dim=dim, _encode=encode)


def load_static(path: Path, name: str = STATIC_NAME) -> Encoder:
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
        return normalised(out)

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
        return normalised(vecs)

    return Encoder(name=name, dim=dim, _encode=encode)


def _is_model2vec_folder(path: Path) -> bool:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == "model2vec"


def load_model(name_or_path: str, cache_dir: Path | None = None, progress: Progress | None = None) -> Encoder:
    """'e5-small' | 'e5-small-int8' | 'static' (built into the cache on first use) | a model2vec folder |
    any sentence-transformers name or path. The e5 models run through ONNX Runtime: no torch import."""
    if name_or_path.endswith(LEAD_SUFFIX):  # a lead-passage index is in its model's vector space
        return load_model(name_or_path[: -len(LEAD_SUFFIX)], cache_dir, progress)
    if name_or_path in BUILTIN_MODELS:
        # building loads encoders to check what it builds, so it is imported only here
        from index.semantic.building import built_folder

        folder = built_folder(name_or_path, cache_dir, progress)
        if name_or_path == STATIC_NAME:
            return load_static(folder)
        from index.semantic.onnx_e5 import FP32_FILE, INT8_FILE, load_onnx_encoder

        return load_onnx_encoder(
            folder, FP32_FILE if name_or_path == E5_NAME else INT8_FILE, name_or_path, TORCH_THREADS
        )
    path = Path(name_or_path).expanduser()
    if _is_model2vec_folder(path):
        return load_static(path, name_or_path)  # numpy runtime, no torch
    return load_sentence_transformer(str(path) if path.exists() else name_or_path, name_or_path)
