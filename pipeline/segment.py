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


_tokenizer = None  # jieba with the whole dictionary in memory
_lock = threading.Lock()


def _jieba():
    """A private jieba tokenizer with the union dictionary, built on first use (≈1 s)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _load_full_tokenizer()
                _save_dictionary_file(_tokenizer, _dictionary_file())
    return _tokenizer


def _load_full_tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    with resources.files(__package__).joinpath("data", USER_DICT).open(encoding="utf-8") as f:
        tok.load_userdict(f)
    return tok


def add_words(words: list[str], freq: int = 20000) -> None:
    """Teach the segmenter extra words (e.g. gazetteer names) before indexing starts."""
    tok = _jieba()
    for w in words:
        tok.add_word(w, freq)


# ------------------------------------------------------------------ short texts, fast start
#
# jieba unpickles its whole prefix dictionary (≈ 600k entries) before the first word: ≈ 1 s,
# most of a cold one-query CLI call. The same dictionary is also kept as a SQLite file (written
# once, beside jieba's own cache), from which a process segmenting only a little text (a query)
# reads just the entries it asks for. Results are identical: the same words, frequencies and
# total. Past LAZY_CHAR_BUDGET characters the process loads the whole dictionary as before.

LAZY_CHAR_BUDGET = 2000
_DICTIONARY_FORMAT = 1
_lazy_tokenizer = None
_lazy_chars = 0


class DictionaryOnDisk:
    """jieba's ``FREQ`` mapping (word or word prefix → frequency) read entry by entry from SQLite.

    Only what jieba's Tokenizer uses is provided: ``in``, ``[]``, ``get`` and assignment
    (``add_word`` writes into a per-process overlay; the file is never changed).
    """

    def __init__(self, path: str) -> None:
        import sqlite3

        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._known: dict[str, int | None] = {}  # looked-up entries, and words added in this process
        self._db_lock = threading.Lock()
        self.total = int(self._db.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()[0])

    def get(self, word: str, default: int | None = None) -> int | None:
        try:
            freq = self._known[word]
        except KeyError:
            with self._db_lock:
                row = self._db.execute("SELECT freq FROM words WHERE word = ?", (word,)).fetchone()
            freq = self._known[word] = row[0] if row else None
        return default if freq is None else freq

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        freq = self.get(word)
        if freq is None:
            raise KeyError(word)
        return freq

    def __setitem__(self, word: str, freq: int) -> None:
        self._known[word] = freq


def _dictionary_file() -> str:
    """Where the SQLite copy of the current dictionary lives; its name changes with any input."""
    import hashlib
    import os
    import tempfile

    import jieba

    main = os.stat(os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME))
    h = hashlib.sha1(f"{_DICTIONARY_FORMAT} {jieba.__version__} {main.st_size} {main.st_mtime_ns}".encode())
    h.update(resources.files(__package__).joinpath("data", USER_DICT).read_bytes())
    return os.path.join(tempfile.gettempdir(), f"unionkb-jieba-{h.hexdigest()[:16]}.sqlite")


def _save_dictionary_file(tok, path: str) -> None:
    """Write ``tok``'s dictionary to ``path`` (once per machine; atomic; skipped when /tmp is unwritable)."""
    import os
    import sqlite3
    import tempfile

    if os.path.exists(path):
        return
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".unionkb-jieba-", suffix=".sqlite", dir=os.path.dirname(path))
        os.close(fd)
        db = sqlite3.connect(tmp)
        try:
            db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.executemany("INSERT INTO words VALUES (?, ?)", tok.FREQ.items())
            db.execute("INSERT INTO meta VALUES ('total', ?)", (str(tok.total),))
            db.commit()
        finally:
            db.close()
        os.chmod(tmp, 0o644)  # readable by every user's processes, like the dictionary it copies
        os.replace(tmp, path)
    except (OSError, sqlite3.Error):
        pass  # a cache only: without it every process loads the whole dictionary
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _tokenizer_for(n_chars: int):
    """The whole-dictionary tokenizer, or, while this process has segmented little text and the
    SQLite copy exists, one reading that copy."""
    global _lazy_tokenizer, _lazy_chars
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None and _lazy_chars + n_chars <= LAZY_CHAR_BUDGET:
            if _lazy_tokenizer is None:
                _lazy_tokenizer = _open_lazy_tokenizer(_dictionary_file())
            if _lazy_tokenizer is not None:
                _lazy_chars += n_chars
                return _lazy_tokenizer
    return _jieba()


def _open_lazy_tokenizer(path: str):
    """A jieba Tokenizer over the SQLite copy at ``path``, or None when there is none (yet)."""
    import os
    import sqlite3

    if not os.path.exists(path):
        return None
    import jieba

    try:
        freq = DictionaryOnDisk(path)
    except (sqlite3.Error, TypeError, ValueError):
        return None
    tok = jieba.Tokenizer()
    tok.FREQ, tok.total, tok.initialized = freq, freq.total, True
    return tok


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
    tok = _tokenizer_for(len(folded))
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
