"""The ``static`` model: a model2vec static model distilled from e5-small.

model2vec embeds every vocabulary piece once with the transformer and keeps the table (PCA to
256 dimensions); a text's vector is then the mean of its pieces' rows: ~100x faster than e5.
The vocabulary is chosen here from real Chinese text (:func:`static_vocabulary`); the model
is read at query time by :func:`index.semantic.encoding.load_static`."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from index.semantic.building import build_e5_small, finish_build, is_built, say, trim_vocabulary
from index.semantic.encoding import offline_env, torch_setup
from index.semantic.models import E5_NAME, STATIC_DIMS, STATIC_NAME, Progress
from pipeline.chars import HAN


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
    if is_built(target):
        return target
    e5_dir = build_e5_small(cache_dir, progress)
    started = time.perf_counter()
    say(progress, f"building model {STATIC_NAME} (model2vec distillation of {E5_NAME}) into {target} (once, ~2 min)")
    offline_env()
    tmp = Path(tempfile.mkdtemp(prefix=f".{STATIC_NAME}-", dir=cache_dir))
    try:
        counts = chinese_piece_counts(e5_dir / "tokenizer.json", _chinese_text_sample())
        # Without ../shared (People's Daily) only the seed pages are at hand: too little text.
        small_sample = sum(counts.values()) < MIN_SAMPLE_PIECES
        keep = static_vocabulary(e5_dir / "tokenizer.json", counts, min_count, all_cjk=small_sample)
        say(progress, f"{STATIC_NAME}: vocabulary of {len(keep):,} pieces (of 250,002) chosen from Chinese text")
        trimmed = tmp / "trimmed-e5"
        trim_vocabulary(e5_dir, keep, trimmed)

        torch_setup()
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
        finish_build(
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
        say(progress, f"built {STATIC_NAME} in {seconds:.0f} s")
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
