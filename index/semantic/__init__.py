"""Semantic search: offline embedding models (models.py) and passage vectors (vectors.py).

Importing this package is cheap: torch and sentence-transformers load only when a
transformer model is loaded or built.
"""

from index.semantic.models import (
    BUILTIN_MODELS,
    DEFAULT_MODEL,
    E5_NAME,
    FAST_MODEL,
    STATIC_NAME,
    Encoder,
    ModelError,
    ModelStatus,
    build_e5_small,
    build_models,
    build_static,
    default_cache_dir,
    load_model,
    models_status,
)
from index.semantic.vectors import (
    EmbedStats,
    VectorIndex,
    VectorIndexError,
    embed_missing,
    similar_articles,
    split_into_passages,
)

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
