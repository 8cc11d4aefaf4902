"""Bytes → text for files and fetched pages: UTF-8 (with or without BOM), GB18030/GBK, Big5,
UTF-16 (with or without BOM).

Why not just charset-normalizer: on short Chinese text (a headline, one paragraph) it
confuses GBK and Big5, because both are double-byte codes over nearly the same byte
ranges and either decodes the other without error. So the CJK decision is made here by
decoding with each candidate codec and scoring the result by how *ordinary* its characters
are for that codec (GB2312 hanzi for Simplified, Big5 level-1 hanzi for Traditional) and
how much debris a wrong decoding leaves (private-use code points, kana, bopomofo, Greek,
box drawing — what Big5 bytes become in GBK and vice versa). charset-normalizer is
consulted only for files that are none of the three.

Traditional text is returned as Traditional, as printed; pipeline.script converts it for
segmentation, splitting, entities and search.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from functools import lru_cache

import charset_normalizer


class DecodeError(ValueError):
    """A file or page whose bytes are not text we can read; str() is one line naming it."""

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


# Labels as they appear in HTTP headers and <meta charset>, mapped to the codec we use.
# GB2312/GBK labels get GB18030: a strict superset, and pages labelled gb2312 routinely
# contain GBK-only characters (镕, 喆 …).
_GB_LABELS = {
    "gb2312",
    "gbk",
    "x-gbk",
    "gb_2312-80",
    "gb_2312",
    "cp936",
    "ms936",
    "euc-cn",
    "euccn",
    "csgb2312",
    "chinese",
    "gb18030",
    "windows-936",
}
_BIG5_LABELS = {"big5", "big-5", "x-big5", "cp950", "ms950", "csbig5", "big5-hkscs", "big5hkscs", "windows-950"}
# HTTP clients report ISO-8859-1 when a server names no charset at all; such a label says
# nothing about Chinese bytes, so it is treated as no hint.
_WEAK_LABELS = {
    "iso-8859-1",
    "latin-1",
    "latin1",
    "l1",
    "us-ascii",
    "ascii",
    "windows-1252",
    "cp1252",
    "iso8859-1",
    "iso_8859-1",
}

_GB = "gb18030"
_BIG5_CODECS = ("cp950", "big5hkscs")  # cp950 = Big5 + Microsoft extras; HKSCS for HK texts
_SAMPLE_CHARS = 20000  # scoring a prefix is enough to tell codecs apart and keeps big files cheap
_MAX_REPLACED = 0.01  # share of characters that may be undecodable before a file counts as binary
_MAX_TAIL = 3  # bytes of an incomplete character tolerated at the end (a file cut mid-character)

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{2,30})""", re.I)


def sniff_meta_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in <meta charset> / http-equiv, if any (first 4 KB)."""
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii").lower() if m else None


def decode_bytes(data: bytes, origin: str, hint: str | None = None) -> str:
    """Decode a file's or page's bytes to text, or raise DecodeError naming `origin`.

    `hint` is a declared charset (HTTP header, <meta charset>); it is honoured when the
    bytes decode under it, unless they are also valid UTF-8 that reads clearly better
    (servers mislabel UTF-8 pages as gb2312 far more often than GBK bytes form valid UTF-8).
    """
    return _choose(data, origin, hint)[2]


def detect_encoding(sample: bytes, origin: str, hint: str | None = None) -> tuple[str, str]:
    """(codec, errors) for decoding a file whose first bytes are `sample`, for streaming a
    file too big to hold whole; raises DecodeError like decode_bytes."""
    codec, errors, _ = _choose(sample, origin, hint)
    return codec, errors


def iter_decoded(blocks: Iterator[bytes], codec: str, errors: str, origin: str, skip: int = 0) -> Iterator[str]:
    """Text of a stream of byte blocks in a codec chosen by detect_encoding.

    Stray undecodable bytes become U+FFFD; a block where they are more than 1% of the
    text means the rest is not text, and raises DecodeError naming where it starts.
    """
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    offset = skip
    for block in blocks:
        text = decoder.decode(block)
        if text.count("\ufffd") > max(_MAX_REPLACED * len(text), 8):
            raise DecodeError(origin, f"not {codec} text from byte {offset} on (the start was); rest skipped")
        offset += len(block)
        yield text
    tail = decoder.decode(b"", final=True)
    if tail.strip("\ufffd"):
        yield tail


def _choose(data: bytes, origin: str, hint: str | None) -> tuple[str, str, str]:
    """(codec, errors, text) for `data`, or DecodeError."""
    if not data.strip():
        raise DecodeError(origin, "empty file" if not data else "empty file (only white space)")
    if data.startswith(codecs.BOM_UTF8):
        text = _decode_prefix(data[len(codecs.BOM_UTF8) :], "utf-8")
        if text is None:
            raise DecodeError(origin, "starts with a UTF-8 byte-order mark but is not valid UTF-8")
        return "utf-8-sig", "strict", text
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_prefix(data, "utf-16")
        if text is None:
            raise DecodeError(origin, "starts with a UTF-16 byte-order mark but is not valid UTF-16")
        return "utf-16", "strict", text
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise DecodeError(origin, "binary file (contains NUL bytes), not text")
        return utf16[0], "strict", utf16[1]

    hinted = _codec_for_label(hint)
    hinted_text = None
    if hinted:
        for codec in _expand(hinted):
            hinted_text = _decode_prefix(data, codec)
            if hinted_text is not None:
                hinted = codec
                break
    utf8 = _decode_prefix(data, "utf-8")
    if hinted_text is not None:
        assert hinted is not None  # a hinted reading exists only under a hinted codec
        if utf8 is None or utf8 == hinted_text:
            return hinted, "strict", hinted_text  # the declaration fits the bytes
        codec, text, _ = _best([(hinted, hinted_text), ("utf-8", utf8)], margin_for_first=0.2)
        return codec, "strict", text
    if utf8 is not None and (utf8.isascii() or any(ord(ch) >= 0x800 for ch in utf8)):
        return (
            "utf-8",
            "strict",
            utf8,
        )  # real UTF-8 Chinese has 3-byte characters; GBK/Big5 bytes never form them by chance
    candidates = [("utf-8", utf8)] if utf8 is not None else []
    for codec in (_GB, *_BIG5_CODECS):
        text = _decode_prefix(data, codec)
        if text is not None:
            candidates.append((codec, text))
            if codec in _BIG5_CODECS:
                break  # one Big5 reading is enough; HKSCS only when cp950 fails
    if candidates:
        codec, best, cost = _best(candidates)
        if utf8 is not None and best is not utf8 and cost >= 0.1:
            # Valid UTF-8 made only of 2-byte characters (Latin, Cyrillic …) that a CJK codec
            # reads as a jumble of rare hanzi: it is UTF-8 after all.
            return "utf-8", "strict", utf8
        if cost < 0.5:  # above this the "text" is mostly debris: not a CJK text file
            return codec, "strict", best
    # Chinese in UTF-16 without a byte-order mark and without a single ASCII character
    # (so without NUL bytes): every GB/Big5 reading above was debris.
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16[0], "strict", utf16[1]
    # A page with a few corrupt bytes (a bad copy, a stray byte from a CMS) is still worth
    # reading: take the reading with the fewest replacement characters, if they are rare.
    lenient = []
    for codec in ("utf-8", _GB, _BIG5_CODECS[0]):
        text = data.decode(codec, errors="replace")
        if text.count("\ufffd") <= max(_MAX_REPLACED * len(text), 8):
            lenient.append((codec, text))
    if lenient:
        codec, best, cost = _best(lenient)
        if cost < 0.5:
            return codec, "replace", best
    # Neither UTF-8 nor a Chinese double-byte code: some other legacy encoding or binary.
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding and guess.chaos < 0.2:
        text = _decode_prefix(data, guess.encoding)
        if text is not None and _control_ratio(text) < 0.01:
            return guess.encoding, "strict", text
    raise DecodeError(origin, "binary or undecodable file (not UTF-8, UTF-16, GB18030/GBK or Big5 text)")


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """(codec, text) when `data` reads as UTF-16 (LE or BE) without a byte-order mark.

    ASCII characters (digits, newlines) put a NUL in every other byte, on the odd side in
    little-endian and the even side in big-endian; a text with NULs on both sides is binary.
    Either way the reading must be ordinary text: few controls, mostly common hanzi.
    """
    sample = data[: 2 * _SAMPLE_CHARS]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if even and odd:
        if min(even, odd) > 0.01 * len(sample):
            return None
        order: tuple[str, ...] = ("utf-16-le", "utf-16-be") if odd > even else ("utf-16-be", "utf-16-le")
    elif odd:
        order = ("utf-16-le",)
    elif even:
        order = ("utf-16-be",)
    else:
        order = ("utf-16-le", "utf-16-be")
    for codec in order:
        text = _decode_prefix(data, codec)
        if text is None or _control_ratio(text) >= 0.01:
            continue
        han = sum(1 for ch in text[:_SAMPLE_CHARS] if _is_han(ord(ch)))
        if han and _cost(text, _any_common_hanzi()) < 0.3:
            return codec, text
        if not han and (even or odd) and text.isascii() and text.strip():
            return codec, text  # plain ASCII in UTF-16
    return None


def _codec_for_label(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _WEAK_LABELS:
        return None
    if label in _GB_LABELS:
        return _GB
    if label in _BIG5_LABELS:
        return "big5"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None  # an unknown label is as good as none


def _expand(codec: str) -> tuple[str, ...]:
    return _BIG5_CODECS if codec == "big5" else (codec,)


def _decode_prefix(data: bytes, codec: str) -> str | None:
    """Strict decode that tolerates only an incomplete character at the very end (a cut file)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        text = decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None
    pending, _ = decoder.getstate()
    if len(pending) > _MAX_TAIL:
        return None
    return text


def _best(candidates: list[tuple[str, str]], margin_for_first: float = 0.0) -> tuple[str, str, float]:
    """(codec, text, cost) of the candidate that reads most like real text for its codec.

    Earlier candidates win ties; the first one also keeps `margin_for_first` of slack
    (used for a declared charset, which should lose only to a clearly better reading).
    """
    scored = [(_cost(text, _common_for_codec(codec)), codec, text) for codec, text in candidates]
    best_cost, best_codec, best_text = scored[0]
    best_cost -= margin_for_first
    for cost, codec, text in scored[1:]:
        if cost < best_cost:
            best_cost, best_codec, best_text = cost, codec, text
    return best_codec, best_text, max(best_cost, 0.0)


def _common_for_codec(codec: str) -> frozenset[str]:
    if codec == _GB:
        return _gb2312_hanzi()
    if codec in _BIG5_CODECS or codec.startswith("big5"):
        return _big5_level1_hanzi()
    return _any_common_hanzi()


def _is_han(cp: int) -> bool:
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3FFFF


def _is_debris(cp: int) -> bool:
    """Code points a wrong CJK decoding produces and real Chinese prose almost never has."""
    return (
        0xE000 <= cp <= 0xF8FF  # private use: GB18030's user-defined areas, where Big5 punctuation lands
        or cp == 0xFFFD
        or 0x3040 <= cp <= 0x31BF  # kana, bopomofo
        or 0x0370 <= cp <= 0x04FF  # Greek, Cyrillic
        or 0x2500 <= cp <= 0x259F  # box drawing, blocks
        or 0x0080 <= cp <= 0x009F  # C1 controls
        or 0x0100 <= cp <= 0x024F  # Latin extended (pinyin with tone marks)
        or (cp < 0x20 and cp not in (0x09, 0x0A, 0x0C, 0x0D))
    )


def _cost(text: str, common: frozenset[str]) -> float:
    """0 for ordinary text; grows with rare hanzi (weight 1) and decoding debris (weight 3)."""
    sample = text[:_SAMPLE_CHARS]
    han = rare = debris = 0
    for ch in sample:
        cp = ord(ch)
        if cp < 0x80:
            if cp < 0x20 and cp not in (0x09, 0x0A, 0x0C, 0x0D):
                debris += 1
            continue
        if _is_han(cp):
            han += 1
            if ch not in common:
                rare += 1
        elif _is_debris(cp):
            debris += 1
    return (rare + 3 * debris) / max(1, han + debris)


def _control_ratio(text: str) -> float:
    sample = text[:_SAMPLE_CHARS]
    bad = sum(1 for ch in sample if ord(ch) < 0x20 and ch not in "\t\n\r\f")
    return bad / max(1, len(sample))


@lru_cache(maxsize=1)
def _gb2312_hanzi() -> frozenset[str]:
    """The 6,763 hanzi of GB2312: nearly every character of modern Simplified prose."""
    return frozenset(_table("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF)))


@lru_cache(maxsize=1)
def _big5_level1_hanzi() -> frozenset[str]:
    """Big5's 5,401 frequent hanzi (A440–C67E): nearly every character of Traditional prose."""
    chars = _table("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)])
    return frozenset(ch for ch in chars if _is_han(ord(ch)))


@lru_cache(maxsize=1)
def _any_common_hanzi() -> frozenset[str]:
    return _gb2312_hanzi() | _big5_level1_hanzi()


def _table(codec: str, leads, trails) -> list[str]:
    out = []
    for lead in leads:
        for trail in trails:
            try:
                out.append(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                pass
    return out
