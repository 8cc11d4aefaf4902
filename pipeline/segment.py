"""Word segmentation shared by indexing and querying (jieba, precise mode + a union-domain dictionary).

Why not jieba's own ``ChineseAnalyzer``: it stores character offsets as token
positions (phrase queries break), drops one-character digits and letters, and
stems English. Here every token carries a consecutive position *and* its real
character offsets in the original text, numbers are split from their units the
same way on both sides (``33.65万名`` -> ``33.65`` ``万`` ``名``, so a query for
``33.65万`` matches as a phrase), and long words also emit the dictionary words
inside them at the same position (``肃北蒙古族自治县`` also yields ``肃北``,
``蒙古族``, ``自治县``) so short names find long ones.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib import resources

from pipeline.script import to_simplified

USER_DICT = "union_dict.txt"

# Full-width ASCII (！..～) and the ideographic space fold to their half-width forms.
# One character in, one out, so offsets stay valid in the original text.
_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MAGNITUDE = "万亿千百"
_KEEP_SYMBOLS = {"%", "‰", "+"}
_WORDLIKE = re.compile(r"[\w%‰]", re.UNICODE)


@dataclass(frozen=True)
class Token:
    text: str  # normalised form: half-width, lower case
    start: int  # character offsets in the original text
    end: int
    pos: int  # word position; sub-words share their parent's position
    sub: bool = False  # a dictionary word found inside a longer word


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to half-width; same length as the input."""
    return text.translate(_WIDTH_TABLE)


_tokenizer = None
_lock = threading.Lock()


def _jieba():
    """A private jieba tokenizer with the union dictionary, built on first use (≈1 s)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                with resources.files(__package__).joinpath("data", USER_DICT).open(encoding="utf-8") as f:
                    tok.load_userdict(f)
                _tokenizer = tok
    return _tokenizer


def add_words(words: list[str], freq: int = 20000) -> None:
    """Teach the segmenter extra words (e.g. gazetteer names) before indexing starts."""
    tok = _jieba()
    for w in words:
        tok.add_word(w, freq)


def _pieces(text: str):
    """Split into (start, end, is_number_part) runs: numbers and their magnitude/percent stand alone."""
    i = 0
    for m in _NUMBER.finditer(text):
        if m.start() > i:
            yield i, m.start(), False
        yield m.start(), m.end(), True
        i = m.end()
        if i < len(text) and (text[i] in _MAGNITUDE or text[i] in _KEEP_SYMBOLS):
            yield i, i + 1, True
            i += 1
    if i < len(text):
        yield i, len(text), False


def _subwords(word: str, freq: dict) -> list[tuple[str, int]]:
    """Dictionary words of length 2 to 4 inside ``word`` (jieba's search mode adds 2 and 3;
    4 lets 集体协商 be found inside 工资集体协商)."""
    out = []
    for n in (2, 3, 4):
        for k in range(len(word) - n + 1):
            gram = word[k : k + n]
            if gram != word and freq.get(gram):
                out.append((gram, k))
    return out


def segment(text: str, subwords: bool = True) -> list[Token]:
    """Tokens of ``text`` for indexing (or, with ``subwords=False``, for queries).

    Traditional text is segmented in Simplified (pipeline.script.to_simplified, one
    character for one), so 馬背送學 and 马背送学 give the same words at the same offsets.
    """
    folded = to_simplified(fold_width(text)).lower()
    tok = _jieba()
    tokens: list[Token] = []
    pos = 0
    for a, b, is_num in _pieces(folded):
        if is_num:
            tokens.append(Token(folded[a:b], a, b, pos))
            pos += 1
            continue
        for word, s, e in tok.tokenize(folded[a:b], HMM=True):
            if not _WORDLIKE.search(word):
                continue  # white space and punctuation carry no meaning for search
            tokens.append(Token(word, a + s, a + e, pos))
            if subwords and len(word) > 2:
                for gram, k in _subwords(word, tok.FREQ):
                    tokens.append(Token(gram, a + s + k, a + s + k + len(gram), pos, sub=True))
            pos += 1
    return tokens


def query_terms(text: str) -> list[str]:
    """The words a query string is made of, segmented exactly as documents are."""
    return [t.text for t in segment(text, subwords=False)]


def jieba_tokenizer():
    """The shared jieba tokenizer (with the union dictionary) for other pipeline steps."""
    return _jieba()


# Segmented text travels between processes packed: the words joined by NUL and their
# (position, start, end) as one int32 array. Pickling that is far cheaper than a list of
# Token objects, which would cost more to move than to compute.
PackedTokens = tuple[str, bytes]
_SEP = "\x00"


def pack_tokens(tokens: list[Token]) -> PackedTokens:
    from array import array

    words = _SEP.join(t.text.replace(_SEP, "") for t in tokens)
    return words, array("i", [x for t in tokens for x in (t.pos, t.start, t.end)]).tobytes()


def unpack_tokens(packed: PackedTokens) -> list[tuple[str, int, int, int]]:
    """(text, pos, start, end) for each token of a packed field."""
    from array import array

    words = packed[0].split(_SEP) if packed[0] else []
    nums = array("i")
    nums.frombytes(packed[1])
    return [(w, nums[3 * i], nums[3 * i + 1], nums[3 * i + 2]) for i, w in enumerate(words)]


def segment_packed(text: str) -> PackedTokens:
    return pack_tokens(segment(text)) if text else ("", b"")
