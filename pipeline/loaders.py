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

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline.dates import find_dateline, find_paper_line, parse_date
from pipeline.decode import DecodeError, decode_bytes
from pipeline.html import find_byline_text, normalize_page, parse_article_html, parse_byline_text
from pipeline.models import ARTICLE_KINDS, Article, LoadProblem, Page

PAGE_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
SUPPORTED_SUFFIXES = PAGE_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES

Source = Page | Article | LoadProblem


def iter_sources(paths: Iterable[str | Path]) -> Iterator[Source]:
    """Everything in `paths` (files, or folders read recursively in sorted order), lazily."""
    for item in iter_files(paths):
        if isinstance(item, LoadProblem):
            yield item
        else:
            yield from load_file(item)


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | LoadProblem]:
    """The files iter_sources will read, in order; a LoadProblem for a path that is not there.

    Hidden files and folders (.git, .DS_Store …) inside a folder are skipped; a hidden
    file named explicitly is read.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield path
        elif path.exists():
            yield LoadProblem(str(path), "not a regular file")
        else:
            yield LoadProblem(str(path), "no such file or directory")


def count_files(paths: Iterable[str | Path]) -> int:
    """How many files iter_sources will open (for a progress bar's total)."""
    return sum(1 for item in iter_files(paths) if not isinstance(item, LoadProblem))


def load_file(path: str | Path) -> Iterator[Source]:
    """The Page, Article(s) or LoadProblem(s) in one file, chosen by its extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _load_jsonl(path)
        return
    if suffix not in PAGE_SUFFIXES + HTML_SUFFIXES:
        yield LoadProblem(str(path), f"unsupported file type {suffix or '(no extension)'}"
                                     f" (expected {', '.join(SUPPORTED_SUFFIXES)})")
        return
    try:
        data = path.read_bytes()
    except OSError as e:
        yield LoadProblem(str(path), f"cannot read: {e.strerror or e}")
        return
    if suffix in HTML_SUFFIXES:
        yield parse_article_html(data, str(path))
        return
    try:
        text = decode_bytes(data, str(path))
    except DecodeError as e:
        yield LoadProblem(str(path), e.reason)
        return
    yield page_from_text(text, str(path))


def page_from_text(text: str, origin: str) -> Page:
    """A Page, dated only when it prints a 《工人日报》(2016年01月22日 02版) line."""
    date, page, paper = find_paper_line(text)
    return Page(text=text, origin=origin, source=paper or "", date=date, page=normalize_page(page))


def problem_line(problem: LoadProblem) -> str:
    """The one line to show a user for a LoadProblem."""
    return f"{problem.origin}: {problem.reason}"


# --- JSONL ---------------------------------------------------------------------------------

_TEXT_FIELDS = ("title", "text", "source", "kicker", "subtitle", "url", "byline")


def _load_jsonl(path: Path) -> Iterator[Article | LoadProblem]:
    """One Article per line, streamed: memory stays flat however long the file is."""
    try:
        f = path.open("rb")
    except OSError as e:
        yield LoadProblem(str(path), f"cannot read: {e.strerror or e}")
        return
    with f:
        head = f.read(8192)
        if not head.strip():
            yield LoadProblem(str(path), "empty file")
            return
        if b"\x00" in head:
            yield LoadProblem(str(path), "binary file (contains NUL bytes), not JSON Lines")
            return
        f.seek(0)
        good = 0
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            item = article_from_json_line(raw, f"{path}:{lineno}")
            yield item
            if isinstance(item, Article):
                good += 1
            elif good == 0 and lineno >= 20:
                # twenty unreadable lines and not one article: not a JSONL file at all
                yield LoadProblem(str(path), "not JSON Lines (no readable article in the first 20 lines); rest skipped")
                return


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
        byline=parse_byline_text((rec.get("byline") or "").strip() or find_byline_text(body)),
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


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name
