"""Shared fixtures. ``embedding_models``: the real offline models, built once into a cache.

Tests never touch the user's model cache: they build into $UNIONKB_TEST_MODEL_CACHE, else
``.test-model-cache/`` in the checkout, and point $UNIONKB_MODEL_CACHE there for everything
they run (CLI calls and subprocesses included). Only the first test session of a checkout
pays the build (~15 s for e5-small, ~1 min for static). Nothing here imports torch at
collection time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TEST_MODEL_CACHE = Path(
    os.environ.get("UNIONKB_TEST_MODEL_CACHE") or Path(__file__).resolve().parents[1] / ".test-model-cache"
).expanduser()
os.environ["UNIONKB_MODEL_CACHE"] = str(TEST_MODEL_CACHE)


@dataclass
class EmbeddingModels:
    """Built model folders plus encoders loaded on first use and kept for the session."""

    cache_dir: Path
    e5_path: Path
    static_path: Path
    _loaded: dict = field(default_factory=dict)

    def encoder(self, name: str):
        """'e5-small' or 'static' (an index.semantic.encoding.Encoder), loaded once per session."""
        if name not in self._loaded:
            from index.semantic.encoding import load_model

            self._loaded[name] = load_model(name, self.cache_dir)
        return self._loaded[name]

    @property
    def e5(self):
        return self.encoder("e5-small")

    @property
    def static(self):
        return self.encoder("static")


@pytest.fixture(scope="session")
def embedding_models() -> EmbeddingModels:
    from index.semantic.building import build_e5_small, default_cache_dir
    from index.semantic.distilling import build_static

    cache = default_cache_dir()
    say = lambda msg: print(f"[embedding_models] {msg}")  # noqa: E731 -- shown with pytest -s
    e5 = build_e5_small(cache, say)
    static = build_static(cache, say)
    return EmbeddingModels(cache, e5, static)
