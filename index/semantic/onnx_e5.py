"""e5-small through ONNX Runtime: exported once at model-build time, loaded without torch.

Loading e5 through torch + sentence-transformers costs seconds of imports in every fresh
process (a CLI search). The build exports the same network, with mean pooling and
normalisation inside the graph, to ONNX (``torch.onnx.export``), and quantises a copy to
int8 (``onnxruntime.quantization.quantize_dynamic``). At run time only onnxruntime, the
``tokenizers`` library and numpy are imported.

The vocabulary is cut to the pieces Chinese news can produce (see :func:`e5_vocabulary`):
the tokenizer then loads in a fraction of the time (its 250k-piece JSON was most of the
cost), the word-embedding matrix shrinks by half, and Chinese text tokenises exactly as
before (every People's Daily and union-news text we checked; 0.4% of the RGB passages,
which carry Cyrillic names and the like, tokenise differently).

Files in the build folder: ``model.onnx`` (fp32), the int8 graph (``INT8_FILE``),
``tokenizer.json``. The build around the export (temp folder, agreement checks, the cache) is
:func:`index.semantic.building.build_e5_onnx`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import numpy as np

from index.semantic.encoding import PASSAGE_PROMPT, QUERY_PROMPT, Encoder, normalised

FP32_FILE = "model.onnx"
# int8 weights with one scale per output channel: mean cosine 0.9975 to fp32 on People's Daily
# passages (one scale per tensor: 0.986), RGB nDCG@10 of the hybrid 0.626 against 0.614, at the
# same speed. A cache built with the per-tensor file gets this one on first use (quantise_int8).
INT8_FILE = "model.int8-per-channel.onnx"
MAX_TOKENS = 512
PAD_ID = 1  # <pad>: ids 0..3 (<s> <pad> </s> <unk>) keep their places in the cut vocabulary (export only)

# A piece is kept when every character is one Chinese news uses: CJK ideographs, CJK and
# full-width punctuation, ASCII, Latin-1, general punctuation, number forms, circled
# numbers, geometric shapes; "▁" marks a word start. Any single-character piece is kept
# too, so text in other scripts falls back to characters instead of <unk>.
_NEWS_PIECE = re.compile(
    r"^[\u2581\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u2100-\u214f\u2160-\u218f\u2460-\u24ff\u25a0-\u25ff"
    r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+$"
)


def e5_vocabulary(tokenizer_file: Path) -> list[int]:
    """The XLM-R piece ids the ONNX model keeps, in their original order (~123k of 250k)."""
    vocab = json.loads(Path(tokenizer_file).read_text(encoding="utf-8"))["model"]["vocab"]
    keep = {0, 1, 2, 3}
    for i, (piece, _score) in enumerate(vocab):
        if _NEWS_PIECE.match(piece) or len(piece.lstrip("\u2581")) == 1:
            keep.add(i)
    return sorted(keep)


def export_onnx(st_folder: Path, out_file: Path) -> None:
    """The transformer of a sentence-transformers folder plus mean pooling and L2 normalisation,
    as one fp32 ONNX graph (torch and transformers are imported here)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(st_folder), dtype="float32").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    ids = torch.tensor([[0, 6, 100, 200, 2], [0, 7, 8, 2, PAD_ID]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow in transformers
        torch.onnx.export(
            Pooled(model).eval(),
            (ids, mask),
            str(out_file),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            opset_version=17,
            dynamo=False,
            external_data=False,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
        )


def quantise_int8(folder: Path) -> Path:
    """Write ``folder``'s int8 graph from its fp32 one (dynamic quantisation, per channel); ~20 s, atomic."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    target = folder / INT8_FILE
    if not target.exists():
        tmp = folder / f".{INT8_FILE}.{os.getpid()}.tmp"
        # quantize_dynamic advises "pre-processing" through logging.warning on the root logger,
        # which would also install a stderr handler on it for good: a handler of our own
        # (dropping everything) keeps both out of the user's terminal.
        root = logging.getLogger()
        quiet = logging.NullHandler()
        level = root.level
        root.addHandler(quiet)
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(str(folder / FP32_FILE), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
            os.replace(tmp, target)
        finally:
            root.removeHandler(quiet)
            root.setLevel(level)
            tmp.unlink(missing_ok=True)
    return target


def load_onnx_encoder(folder: Path, file: str, name: str, threads: int = 2) -> Encoder:
    """An :class:`~index.semantic.encoding.Encoder` over an exported graph: onnxruntime + tokenizers, no torch."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    options = ort.SessionOptions()
    # One thread per run, ``threads`` runs at once: on two cores two single-threaded runs embed
    # ≈ 20 % more passages per CPU-second than one run split over two threads (10.4 against
    # 8.7 on People's Daily passages); a one-line query is as fast either way.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: spinning threads on two shared cores
    # slow everyone else (a background embed, the keyword engine) for no gain.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    session = ort.InferenceSession(str(Path(folder) / file), options, providers=["CPUExecutionProvider"])
    dim = int(session.get_outputs()[0].shape[-1])
    prompts = {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}

    def encode(texts: list[str], kind: str, batch_size: int, show_progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), dim), np.float32)
        if not texts:
            return out
        encodings = tokenizer.encode_batch([prompts[kind] + t for t in texts])
        # One text per run, whatever batch_size says: int8 dynamic quantisation scales the
        # activations over the whole input tensor, so padding in a batch changed a vector
        # (cosine 0.997 to itself alone); unpadded runs are also faster on CPU (9.4 against
        # 6-7 passages per CPU-second for batches of 8-32).
        bar = None
        if show_progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc=name, unit=" passages")

        def run(enc) -> np.ndarray:
            ids = np.asarray([enc.ids], dtype=np.int64)
            return session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]

        if threads > 1 and len(encodings) > 1:
            from concurrent.futures import ThreadPoolExecutor

            # onnxruntime releases the GIL while it runs, so threads are enough; map keeps the order.
            with ThreadPoolExecutor(threads) as pool:
                vectors = pool.map(run, encodings)
                for i, vector in enumerate(vectors):
                    out[i] = vector
                    if bar is not None:
                        bar.update(1)
        else:
            for i, enc in enumerate(encodings):
                out[i] = run(enc)
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
        return normalised(out)

    return Encoder(name=name, dim=dim, _encode=encode)
