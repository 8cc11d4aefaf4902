"""Semantic search: offline embedding models and passage vectors.

* :mod:`~index.semantic.models`: the model names, dimensions and cache folders (standard library only)
* :mod:`~index.semantic.building`: making a built-in model available offline in the model cache
  (:mod:`~index.semantic.distilling` for the static model, :mod:`~index.semantic.onnx_e5` for the ONNX export)
* :mod:`~index.semantic.encoding`: loading a model and turning queries and passages into vectors
* :mod:`~index.semantic.vectors`: passage vectors of articles, exact search, resumable embedding
  (:mod:`~index.semantic.staged` for the two-pass transformer embed)

Importing this package imports none of them: each name below loads its module when first used,
so the model names are read without numpy, and torch and sentence-transformers load only when a
transformer model is loaded or built.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.semantic.building import ModelStatus, build_e5_small, build_models, default_cache_dir, models_status
    from index.semantic.distilling import build_static
    from index.semantic.encoding import Encoder, load_model
    from index.semantic.models import BUILTIN_MODELS, DEFAULT_MODEL, E5_NAME, FAST_MODEL, STATIC_NAME, ModelError
    from index.semantic.vectors import (
        EmbedStats,
        VectorIndex,
        VectorIndexError,
        embed_missing,
        similar_articles,
        split_into_passages,
    )

_MODULE_OF = {
    "BUILTIN_MODELS": "models",
    "DEFAULT_MODEL": "models",
    "E5_NAME": "models",
    "FAST_MODEL": "models",
    "STATIC_NAME": "models",
    "Encoder": "encoding",
    "ModelError": "models",
    "ModelStatus": "building",
    "build_e5_small": "building",
    "build_models": "building",
    "build_static": "distilling",
    "default_cache_dir": "building",
    "load_model": "encoding",
    "models_status": "building",
    "EmbedStats": "vectors",
    "VectorIndex": "vectors",
    "VectorIndexError": "vectors",
    "embed_missing": "vectors",
    "similar_articles": "vectors",
    "split_into_passages": "vectors",
}

__all__ = [
    "BUILTIN_MODELS",
    "DEFAULT_MODEL",
    "E5_NAME",
    "FAST_MODEL",
    "STATIC_NAME",
    "Encoder",
    "ModelError",
    "ModelStatus",
    "build_e5_small",
    "build_models",
    "build_static",
    "default_cache_dir",
    "load_model",
    "models_status",
    "EmbedStats",
    "VectorIndex",
    "VectorIndexError",
    "embed_missing",
    "similar_articles",
    "split_into_passages",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # looked up once
    return value
