"""Files and folders → Pages (newspaper page text), Articles (HTML, JSONL) and LoadProblems.

The only stage that touches the file system on the way in. Bad input never raises:
every file that cannot be read becomes a LoadProblem whose `origin` names it (for JSONL,
`file:line`) and whose `reason` is one line; the run goes on. Show one as
f"{p.origin}: {p.reason}" (see problem_line).

  .txt / .md    one Page per file (several articles; the splitter takes it from there)
  .html / .htm  one Article per file (pipeline.html: e-paper systems, then generic news)
  .jsonl        one Article per line: title, date, text, optional url, source, page,
                kicker, subtitle (the format of every set in shared/data); streamed
"""

from __future__ import annotations

import codecs
import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from crawler.urls import normalize_page
from pipeline.byline import find_byline_text, parse_byline
from pipeline.dates import find_dateline, find_paper_line, parse_date
from pipeline.decode import DecodeError, decode_bytes, detect_encoding, iter_decoded
from pipeline.html import parse_article_html
from pipeline.models import ARTICLE_KINDS, Article, LoadProblem, Page

PAGE_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
SUPPORTED_SUFFIXES = PAGE_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES

# Size limits. A printed newspaper page is 10-25 thousand characters and an article page's
# HTML well under a megabyte; far larger inputs are dumps or accidents, and the cleaning,
# splitting and segmentation of one item happen in memory.
PAGE_PIECE_CHARS = 100_000  # a longer text file is read in pieces of about this size, cut at paragraph breaks
HTML_MAX_BYTES = 10_000_000  # a bigger .html/.htm file is refused
JSONL_RECORD_MAX_BYTES = 2_000_000  # a longer JSONL line is refused (file:line), the rest of the file is read
_READ_BLOCK = 1 << 20

Source = Page | Article | LoadProblem


def iter_sources(paths: Iterable[str | Path], follow_links: bool = False) -> Iterator[Source]:
    """Everything in `paths` (files, or folders read recursively in sorted order), lazily."""
    for item in iter_files(paths, follow_links):
        if isinstance(item, LoadProblem):
            yield item
        else:
            yield from load_file(item)


def iter_files(paths: Iterable[str | Path], follow_links: bool = False) -> Iterator[Path | LoadProblem]:
    """The files iter_sources will read, in order; a LoadProblem for anything else.

    Hidden files and folders (.git, .DS_Store …) inside a folder are skipped; a hidden
    file named explicitly is read. Inside a folder, a symbolic link whose target lies
    outside that folder is not followed unless `follow_links` (a link to /etc/passwd in a
    folder of pages must not be ingested); named FIFOs, sockets and devices are skipped
    with a LoadProblem (reading a FIFO would wait forever).
    """
    for raw in paths:
        path = Path(raw)
        try:
            st = path.stat()  # a path named on the command line is followed, link or not
        except OSError as e:
            yield LoadProblem(display_name(path), _missing_reason(path, e))
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(path, follow_links)
        elif stat.S_ISREG(st.st_mode):
            yield path
        else:
            yield LoadProblem(display_name(path), _not_regular(st.st_mode))


def count_files(paths: Iterable[str | Path], follow_links: bool = False) -> int:
    """How many files iter_sources will open (for a progress bar's total)."""
    return sum(1 for item in iter_files(paths, follow_links) if not isinstance(item, LoadProblem))


def display_name(path: str | Path) -> str:
    """A path as one printable line: bytes that are not UTF-8 as \\xff, control and
    invisible characters (ESC, newline, U+202E …) as \\x1b, \\n, \\u202e."""
    raw = os.fsencode(path)
    text = raw.decode("utf-8", errors="backslashreplace")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def load_file(path: str | Path) -> Iterator[Source]:
    """The Page(s), Article(s) or LoadProblem(s) in one file, chosen by its extension."""
    path = Path(path)
    name = display_name(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield LoadProblem(
            name,
            f"unsupported file type {display_name(suffix) or '(no extension)'}"
            f" (expected {', '.join(SUPPORTED_SUFFIXES)})",
        )
        return
    opened = _open_regular(path, name)
    if isinstance(opened, LoadProblem):
        yield opened
        return
    with opened as f:
        if suffix in JSONL_SUFFIXES:
            yield from _load_jsonl(f, name)
        elif suffix in HTML_SUFFIXES:
            yield _load_html(f, name)
        else:
            yield from _load_page(f, name)


def page_from_text(text: str, origin: str) -> Page:
    """A Page, dated only when it prints a 《工人日报》(2016年01月22日 02版) line."""
    date, page, paper = find_paper_line(text)
    return Page(text=text, origin=origin, source=paper or "", date=date, page=normalize_page(page))


def problem_line(problem: LoadProblem) -> str:
    """The one line to show a user for a LoadProblem."""
    return f"{problem.origin}: {problem.reason}"


# --- opening files -------------------------------------------------------------------------


def _open_regular(path: Path, name: str) -> BinaryIO | LoadProblem:
    """The file opened for reading, or a LoadProblem; never blocks (O_NONBLOCK) and checks
    the opened file itself, so a file swapped for a FIFO after the folder walk cannot hang."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        return LoadProblem(name, _missing_reason(path, e) if e.errno == 2 else f"cannot read: {e.strerror or e}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            return LoadProblem(name, _not_regular(st.st_mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except OSError as e:
        os.close(fd)
        return LoadProblem(name, f"cannot read: {e.strerror or e}")


def _read_blocks(f: BinaryIO) -> Iterator[bytes]:
    while block := f.read(_READ_BLOCK):
        yield block


def _missing_reason(path: Path, err: OSError) -> str:
    if path.is_symlink():
        return f"broken symbolic link (to {display_name(os.readlink(path))})"
    return "no such file or directory" if err.errno == 2 else f"cannot read: {err.strerror or err}"


def _not_regular(mode: int) -> str:
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a file"
    )
    return f"not a regular file ({kind}); skipped"


# --- pages and HTML ------------------------------------------------------------------------


def _load_page(f: BinaryIO, name: str) -> Iterator[Page | LoadProblem]:
    """One Page per text file; a file longer than PAGE_PIECE_CHARS is decoded as a stream
    and read as pages of about that size, cut where a paragraph ends."""
    try:
        first = f.read(_READ_BLOCK)
    except OSError as e:
        yield LoadProblem(name, f"cannot read: {e.strerror or e}")
        return
    more = f.read(1)
    if not more:  # the whole file is in `first`
        try:
            text = decode_bytes(first, name)
        except DecodeError as e:
            yield LoadProblem(name, e.reason)
            return
        if len(text) <= PAGE_PIECE_CHARS:
            yield page_from_text(text, name) if _has_text(text) else LoadProblem(name, "empty file (only white space)")
            return
        chunks: Iterator[str] = iter((text,))
    else:
        first += more
        try:
            codec, _ = detect_encoding(first[:_READ_BLOCK], name)
            chunks = iter_decoded(_chain_first(first, f), codec, "replace", name)
        except DecodeError as e:
            yield LoadProblem(name, e.reason)
            return
    found = False
    try:
        for piece in text_pieces(chunks, PAGE_PIECE_CHARS):
            if _has_text(piece):
                found = True
                yield page_from_text(piece, name)
    except DecodeError as e:
        yield LoadProblem(name, e.reason)
        return
    except OSError as e:
        yield LoadProblem(name, f"cannot read: {e.strerror or e}")
        return
    if not found:
        yield LoadProblem(name, "empty file (only white space)")


def _chain_first(first: bytes, f: BinaryIO) -> Iterator[bytes]:
    yield first
    yield from _read_blocks(f)


def text_pieces(chunks: Iterable[str], max_chars: int) -> Iterator[str]:
    """The text of `chunks` re-cut into pieces of at most `max_chars`, each ending at a blank
    line where there is one in its second half, else at a line end, else anywhere."""
    buf = ""
    for chunk in chunks:
        buf += chunk
        while len(buf) > max_chars:
            cut = _cut_point(buf, max_chars)
            yield buf[:cut]
            buf = buf[cut:]
    if buf:
        yield buf


def _cut_point(text: str, max_chars: int) -> int:
    half = max_chars // 2
    for sep in ("\n\n", "\r\n\r\n", "\n"):
        at = text.rfind(sep, half, max_chars)
        if at != -1:
            return at + len(sep)
    return max_chars


def _has_text(text: str) -> bool:
    """Anything besides white space and invisible format characters (BOM, zero-width)."""
    return any(not (ch.isspace() or ch in "\ufeff\u200b\u200c\u200d\u2060") for ch in text)


def _load_html(f: BinaryIO, name: str) -> Article | LoadProblem:
    try:
        data = f.read(HTML_MAX_BYTES + 1)
    except OSError as e:
        return LoadProblem(name, f"cannot read: {e.strerror or e}")
    if len(data) > HTML_MAX_BYTES:
        size = os.fstat(f.fileno()).st_size
        return LoadProblem(
            name,
            f"too large for one article page ({size / 1e6:.0f} MB; "
            f"an HTML file may be at most {HTML_MAX_BYTES // 1_000_000} MB)",
        )
    if not data.strip():
        return LoadProblem(name, "empty file" if not data else "empty file (only white space)")
    return parse_article_html(data, name)


# --- JSONL ---------------------------------------------------------------------------------

_TEXT_FIELDS = ("title", "text", "source", "kicker", "subtitle", "url", "byline")


def _load_jsonl(f: BinaryIO, name: str) -> Iterator[Article | LoadProblem]:
    """One Article per line, streamed: memory stays flat however long the file is, and a
    line longer than JSONL_RECORD_MAX_BYTES is skipped without being held in memory."""
    head = f.read(8192)
    if not head.strip():
        yield LoadProblem(name, "empty file" if not head else "empty file (only white space)")
        return
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield LoadProblem(name, "UTF-16 text; JSON Lines must be UTF-8")
        return
    if b"\x00" in head:
        yield LoadProblem(name, "binary file (contains NUL bytes), not JSON Lines")
        return
    f.seek(0)
    good = 0
    lineno = 0
    while True:
        raw = f.readline(JSONL_RECORD_MAX_BYTES + 1)
        if not raw:
            break
        lineno += 1
        if len(raw) > JSONL_RECORD_MAX_BYTES and not raw.endswith(b"\n"):
            size = len(raw) + _skip_line(f)
            yield LoadProblem(
                f"{name}:{lineno}",
                f"record too large ({size / 1e6:.1f} MB; a JSONL record "
                f"may be at most {JSONL_RECORD_MAX_BYTES / 1e6:.0f} MB)",
            )
            continue
        if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        if not raw.strip():
            continue
        item = article_from_json_line(raw, f"{name}:{lineno}")
        yield item
        if isinstance(item, Article):
            good += 1
        elif good == 0 and lineno >= 20:
            # twenty unreadable lines and not one article: not a JSONL file at all
            yield LoadProblem(name, "not JSON Lines (no readable article in the first 20 lines); rest skipped")
            return


def _skip_line(f: BinaryIO) -> int:
    """Read past the rest of the current line in blocks; the number of bytes skipped."""
    skipped = 0
    while block := f.readline(_READ_BLOCK):
        skipped += len(block)
        if block.endswith(b"\n"):
            break
    return skipped


def article_from_json_line(raw: bytes | str, origin: str) -> Article | LoadProblem:
    """One JSONL record → Article; a LoadProblem naming `origin` (file:line) when malformed."""
    try:
        rec = json.loads(raw.rstrip(b"\r\n") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError:
        return LoadProblem(origin, "line is not UTF-8 text")
    except json.JSONDecodeError as e:
        return LoadProblem(origin, f"not valid JSON: {e.msg} (column {e.colno})")
    if not isinstance(rec, dict):
        return LoadProblem(origin, f"expected a JSON object, got {type(rec).__name__}")
    for key in _TEXT_FIELDS:
        value = rec.get(key)
        if value is not None and not isinstance(value, str):
            return LoadProblem(origin, f"field {key!r} must be a string, got {type(value).__name__}")
    title = (rec.get("title") or "").strip()
    body = (rec.get("text") or "").strip()
    if not title and not body:
        return LoadProblem(origin, "record has neither a title nor a text")
    kind = rec.get("kind")
    return Article(
        title=title,
        body=body,
        kicker=(rec.get("kicker") or "").strip(),
        subtitle=(rec.get("subtitle") or "").strip(),
        byline=parse_byline((rec.get("byline") or "").strip() or find_byline_text(body)),
        dateline=find_dateline(body),
        kind=kind if kind in ARTICLE_KINDS else "news",
        date=parse_date(str(rec["date"])) if rec.get("date") else None,
        source=(rec.get("source") or "").strip(),
        url=(rec.get("url") or "").strip() or None,
        page=normalize_page(rec.get("page")),
        position=_position(rec),
        origin=origin,
    )


def _position(rec: dict) -> int:
    """Order on the page from 0: `position` as given, or People's Daily's 1-based `seq_on_page`."""
    pos = rec.get("position")
    if isinstance(pos, int) and not isinstance(pos, bool) and pos >= 0:
        return pos
    seq = rec.get("seq_on_page")
    if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1:
        return seq - 1
    return 0


# --- folders -------------------------------------------------------------------------------


def _walk(root: Path, follow_links: bool) -> Iterator[Path | LoadProblem]:
    top = os.path.realpath(root)
    seen_dirs = {top}
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=follow_links):
        while errors:
            e = errors.pop()
            yield LoadProblem(display_name(e.filename or dirpath), f"cannot read folder: {e.strerror or e}")
        if follow_links:
            seen_dirs.add(os.path.realpath(dirpath))
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                real = os.path.realpath(full)
                if not follow_links:
                    if not _inside(real, top):
                        yield LoadProblem(display_name(full), _outside_reason(full))
                    continue  # a link to a folder inside the tree: its files are read there
                if real in seen_dirs:
                    continue  # a loop, or a folder read already
                seen_dirs.add(real)
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    if not follow_links and not _inside(os.path.realpath(full), top):
                        yield LoadProblem(display_name(full), _outside_reason(full))
                        continue
                    st = os.stat(full)
            except OSError as e:
                yield LoadProblem(display_name(full), _missing_reason(Path(full), e))
                continue
            if stat.S_ISREG(st.st_mode):
                yield Path(full)
            elif not stat.S_ISDIR(st.st_mode):
                yield LoadProblem(display_name(full), _not_regular(st.st_mode))
    while errors:
        err = errors.pop()
        yield LoadProblem(display_name(err.filename or root), f"cannot read folder: {err.strerror or err}")


def _inside(real: str, top: str) -> bool:
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _outside_reason(link: str) -> str:
    return (
        f"symbolic link to {display_name(os.readlink(link))}, outside the folder being read; "
        "not followed (use --follow-links)"
    )
