"""The article store: one SQLite file, the single source of truth. Indexes are rebuilt from it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.durability import DiskFullError, is_disk_full
from pipeline.models import Article, Byline, Mention

ID_LENGTH = 16  # hex digits of the content hash: 64 bits, no collisions at archive scale

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    kicker TEXT NOT NULL DEFAULT '',
    subtitle TEXT NOT NULL DEFAULT '',
    byline TEXT NOT NULL DEFAULT '{}',
    dateline TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'news',
    date TEXT,
    source TEXT NOT NULL DEFAULT '',
    url TEXT,
    page TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);
CREATE INDEX IF NOT EXISTS articles_seq ON articles(seq);
CREATE TABLE IF NOT EXISTS mentions (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    field TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    value TEXT NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS mentions_article ON mentions(article_id);
CREATE INDEX IF NOT EXISTS mentions_value ON mentions(type, value);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class StoreError(RuntimeError):
    """The store file is missing, locked or not ours."""


@dataclass(frozen=True)
class StoredArticle:
    id: str
    article: Article


def article_id(article: Article) -> str:
    return article.content_hash[:ID_LENGTH]


def _byline_json(b: Byline) -> str:
    return json.dumps(
        {"raw": b.raw, "reporters": b.reporters, "correspondents": b.correspondents, "photographers": b.photographers},
        ensure_ascii=False,
    )


def _byline_from(s: str) -> Byline:
    d = json.loads(s or "{}")
    return Byline(
        raw=d.get("raw", ""),
        reporters=tuple(d.get("reporters", ())),
        correspondents=tuple(d.get("correspondents", ())),
        photographers=tuple(d.get("photographers", ())),
    )


_COLUMNS = "id, title, kicker, subtitle, byline, dateline, body, kind, date, source, url, page, position, origin"


def _where(conditions: list[tuple[str, object]]) -> tuple[str, list[object]]:
    """ " WHERE a AND b" and its arguments for the conditions whose value is given (not None/empty)."""
    given = [(sql, value) for sql, value in conditions if value]
    return (" WHERE " + " AND ".join(sql for sql, _ in given) if given else ""), [v for _, v in given]


def _row_to_stored(row: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        row["id"],
        Article(
            title=row["title"],
            body=row["body"],
            kicker=row["kicker"],
            subtitle=row["subtitle"],
            byline=_byline_from(row["byline"]),
            dateline=row["dateline"],
            kind=row["kind"],
            date=row["date"],
            source=row["source"],
            url=row["url"],
            page=row["page"],
            position=row["position"],
            origin=row["origin"],
        ),
    )


class ArticleStore:
    """Articles with provenance, deduplicated by content hash, plus their entity mentions."""

    def __init__(self, path: Path, create: bool = True, read_only: bool = False):
        """``read_only``: never write (SQLite ``mode=ro``; ``immutable`` when the directory itself
        cannot be written, e.g. a published copy on a read-only mount)."""
        path = Path(path)
        if (not create or read_only) and not path.exists():
            raise StoreError(f"no article store at {path}")
        self.path = path
        self.read_only = read_only
        self.immutable = False  # opened as an unchangeable file (read-only directory)
        self.notes: list[str] = []  # what a read-only open could not see
        if read_only:
            self.db = self._connect_read_only(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we open transactions explicitly, so a batch is all or nothing.
        self.db = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path} is not a usable article store: {e}") from None

    def reopen(self, read_only: bool) -> None:
        """Switch this store to a read-only or a writing connection on the same file."""
        self.db.close()
        self.__init__(self.path, create=not read_only, read_only=read_only)  # type: ignore[misc]  # reconnect in place

    def _connect_read_only(self, path: Path) -> sqlite3.Connection:
        # mode=ro reads the WAL too but needs its -shm file (created beside the store, or there
        # already); where neither is possible, immutable=1 reads the main file alone.
        last: Exception | None = None
        for query in ("mode=ro", "immutable=1"):
            try:
                db = sqlite3.connect(
                    f"{path.resolve().as_uri()}?{query}",
                    uri=True,
                    timeout=60,
                    isolation_level=None,
                    check_same_thread=False,
                )
                db.row_factory = sqlite3.Row
                db.execute("SELECT 1 FROM articles LIMIT 1").fetchall()
            except sqlite3.DatabaseError as e:
                last = e
                continue
            if query == "immutable=1":
                self.immutable = True
                wal = path.with_name(path.name + "-wal")
                if wal.exists() and wal.stat().st_size > 0:
                    self.notes.append(
                        f"{wal.name} cannot be read in this read-only directory: "
                        "articles committed since SQLite last folded it into the store are not shown"
                    )
            return db
        raise StoreError(f"{path} is not a usable article store: {last}")

    # -- writing -------------------------------------------------------------------------------
    def add_articles(
        self, articles: Iterable[Article], mentions: Mapping[str, Sequence[Mention]] | None = None
    ) -> tuple[list[StoredArticle], int]:
        """Insert articles not stored yet; returns (the new ones, duplicates skipped).

        Rows join the open transaction (one is begun if none is): nothing is visible to
        other readers or durable until ``commit()``, so a killed ingest leaves the last checkpoint.

        ``mentions`` maps content_hash to entity mentions (objects with type, text, field,
        start, end, value, attrs) stored with the article.
        """
        new: list[StoredArticle] = []
        dupes = 0
        cur = self.db.cursor()
        if not self.db.in_transaction:
            cur.execute("BEGIN IMMEDIATE")
        try:
            seq = cur.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0]
            for a in articles:
                h = a.content_hash
                aid = h[:ID_LENGTH]
                seq += 1
                cur.execute(
                    f"INSERT OR IGNORE INTO articles (content_hash, seq, {_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        h,
                        seq,
                        aid,
                        a.title,
                        a.kicker,
                        a.subtitle,
                        _byline_json(a.byline),
                        a.dateline,
                        a.body,
                        a.kind,
                        a.date,
                        a.source,
                        a.url,
                        a.page,
                        a.position,
                        a.origin,
                    ),
                )
                if cur.rowcount == 0:
                    dupes += 1
                    continue
                new.append(StoredArticle(aid, a))
                for m in (mentions or {}).get(h, ()):
                    cur.execute(
                        "INSERT INTO mentions (article_id, type, text, field, start, end, value, attrs) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            aid,
                            m.type,
                            m.text,
                            m.field,
                            m.start,
                            m.end,
                            str(m.value),
                            json.dumps(m.attrs, ensure_ascii=False, default=list),
                        ),
                    )
        except BaseException as e:
            self.rollback()
            if isinstance(e, sqlite3.DatabaseError) and is_disk_full(e):
                raise DiskFullError(self.path) from e
            raise
        return new, dupes

    def commit(self) -> None:
        """Make everything added since the last commit durable (one atomic checkpoint).
        Out of space: DiskFullError, with the transaction rolled back (the last checkpoint stays)."""
        if self.db.in_transaction:
            try:
                self.db.execute("COMMIT")
            except sqlite3.DatabaseError as e:
                if is_disk_full(e):
                    self.rollback()
                    raise DiskFullError(self.path) from e
                raise

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def replace_mentions(self, article_id: str, mentions: list) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM mentions WHERE article_id = ?", (article_id,))
            self.db.executemany(
                "INSERT INTO mentions (article_id, type, text, field, start, end, value, attrs) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        article_id,
                        m.type,
                        m.text,
                        m.field,
                        m.start,
                        m.end,
                        str(m.value),
                        json.dumps(m.attrs, ensure_ascii=False, default=list),
                    )
                    for m in mentions
                ],
            )

    def set_meta(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    # -- reading -------------------------------------------------------------------------------
    def get(self, aid: str) -> StoredArticle | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (aid,)).fetchone()
        return _row_to_stored(row) if row else None

    def get_many(self, ids: list[str]) -> dict[str, StoredArticle]:
        out: dict[str, StoredArticle] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT {_COLUMNS} FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            for row in self.db.execute(q, chunk):
                out[row["id"]] = _row_to_stored(row)
        return out

    def resolve_id(self, prefix: str) -> list[str]:
        """Ids starting with ``prefix`` (users may type a short unique prefix, as with git)."""
        rows = self.db.execute("SELECT id FROM articles WHERE id LIKE ? LIMIT 5", (prefix.lower() + "%",))
        return [r[0] for r in rows]

    def iter_articles(self, batch: int = 1000) -> Iterator[StoredArticle]:
        """All articles in ingest order, streamed."""
        last = 0
        while True:
            rows = self.db.execute(
                f"SELECT seq, {_COLUMNS} FROM articles WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield _row_to_stored(r)
            last = rows[-1]["seq"]

    def ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM articles")}

    def headlines(self, ids: Iterable[str]) -> dict[str, dict]:
        """{id: {id, title, date, source, kind, page}} without the bodies (cheap for long lists)."""
        ids = list(ids)
        out: dict[str, dict] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id, title, date, source, kind, page FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            for r in self.db.execute(q, chunk):
                out[r["id"]] = dict(r)
        return out

    def data_version(self) -> int:
        """Changes whenever another connection (another process's ingest) commits: a cheap
        way for a long-lived reader to notice new articles."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def has_url(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE url = ? LIMIT 1", (url,)).fetchone() is not None

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def mentions(self, aid: str, type: str | None = None) -> list[Mention]:
        q = "SELECT * FROM mentions WHERE article_id = ?" + (" AND type = ?" if type else "")
        args = (aid, type) if type else (aid,)
        return [self._mention(r) for r in self.db.execute(q, args)]

    def mentions_for(self, ids: list[str]) -> dict[str, list[Mention]]:
        out: dict[str, list[Mention]] = {i: [] for i in ids}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for r in self.db.execute(
                f"SELECT * FROM mentions WHERE article_id IN ({','.join('?' * len(chunk))})", chunk
            ):
                out[r["article_id"]].append(self._mention(r))
        return out

    def values_for(self, ids: list[str], type: str) -> dict[str, set[str]]:
        """The normalised values of one entity type per article (no attrs parsed: cheap per query)."""
        out: dict[str, set[str]] = {i: set() for i in ids}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            # "+type": keep SQLite on the article_id index (the (type, value) one scans every program)
            q = f"SELECT article_id, value FROM mentions WHERE article_id IN ({','.join('?' * len(chunk))}) AND +type = ?"
            for aid, value in self.db.execute(q, (*chunk, type)):
                out[aid].add(value)
        return out

    def entity_counts(
        self, type: str | None = None, limit: int = 50, article_ids: set[str] | None = None
    ) -> list[tuple[str, str, int, int]]:
        """(type, value, mentions, articles) most frequent first, optionally within some articles."""
        where, args = [], []
        if type:
            where.append("type = ?")
            args.append(type)
        if article_ids is not None:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS _ids (id TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM _ids")
            self.db.executemany("INSERT OR IGNORE INTO _ids VALUES (?)", [(i,) for i in article_ids])
            where.append("article_id IN (SELECT id FROM _ids)")
        q = "SELECT type, value, COUNT(*) n, COUNT(DISTINCT article_id) a FROM mentions"
        if where:
            q += " WHERE " + " AND ".join(where)
        q += " GROUP BY type, value ORDER BY a DESC, n DESC LIMIT ?"
        return [tuple(r) for r in self.db.execute(q, (*args, limit))]

    def ids_matching(self, since: str | None = None, until: str | None = None, source: str | None = None) -> set[str]:
        where, args = _where([("date >= ?", since), ("date <= ?", until), ("source = ?", source)])
        return {r[0] for r in self.db.execute("SELECT id FROM articles" + where, args)}

    def articles_in_regions(self, codes: set[str]) -> set[str]:
        """Articles that mention any of these region codes (or a unit below them)."""
        out: set[str] = set()
        codes_l = sorted(codes)
        for i in range(0, len(codes_l), 500):
            chunk = codes_l[i : i + 500]
            q = f"SELECT DISTINCT article_id FROM mentions WHERE type = 'region' AND value IN ({','.join('?' * len(chunk))})"
            out.update(r[0] for r in self.db.execute(q, chunk))
        return out

    @staticmethod
    def _mention(r: sqlite3.Row) -> Mention:
        return Mention(r["type"], r["text"], r["field"], r["start"], r["end"], r["value"], json.loads(r["attrs"]))

    def stats(self) -> dict:
        db = self.db
        by_source = dict(db.execute("SELECT source, COUNT(*) FROM articles GROUP BY source ORDER BY 2 DESC").fetchall())
        by_kind = dict(db.execute("SELECT kind, COUNT(*) FROM articles GROUP BY kind ORDER BY 2 DESC").fetchall())
        lo, hi = db.execute("SELECT MIN(date), MAX(date) FROM articles").fetchone()
        undated = db.execute("SELECT COUNT(*) FROM articles WHERE date IS NULL").fetchone()[0]
        mentions = dict(db.execute("SELECT type, COUNT(*) FROM mentions GROUP BY type").fetchall())
        return {
            "articles": self.count(),
            "sources": by_source,
            "kinds": by_kind,
            "date_range": [lo, hi],
            "undated": undated,
            "mentions": mentions,
            "store_bytes": self.path.stat().st_size,
        }

    def close(self) -> None:
        self.db.close()


# ============================================================================ cases
# Best-practice cases (index/cases.py) are an index derived from the stored mentions: per-article
# evidence rows, and the cases clustered from them with a full-text table over their words.
# They live in the store's file so that an ingest checkpoint commits them with the articles.

CASES_FORMAT = 1  # raise when the case rules change: archives rebuild their cases on next use

_CASES_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS case_evidence (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        grp TEXT NOT NULL,
        data TEXT NOT NULL,
        vector BLOB
    )""",
    "CREATE INDEX IF NOT EXISTS case_evidence_grp ON case_evidence(grp)",
    "CREATE INDEX IF NOT EXISTS case_evidence_article ON case_evidence(article_id)",
    """CREATE TABLE IF NOT EXISTS cases (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        grp TEXT NOT NULL,
        region_path TEXT NOT NULL,
        programs TEXT NOT NULL,
        first_date TEXT,
        last_date TEXT,
        independent INTEGER NOT NULL,
        data TEXT NOT NULL,
        vector BLOB
    )""",
    "CREATE INDEX IF NOT EXISTS cases_grp ON cases(grp)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_fts USING fts5(terms, tokenize='unicode61')",
)


@dataclass(frozen=True)
class CaseRow:
    """A stored case: its JSON, its description vector (float16 bytes or None), and the words the
    full-text table indexes."""

    id: str
    group: str
    region_path: str  # "/62/6209/620923/": the region's codes top-down, "/" for a national body
    programs: str  # every name it was reported under, joined by "\x1f"
    first_date: str | None
    last_date: str | None
    independent: int
    data: str
    vector: bytes | None
    terms: str


class CaseStore:
    """The case tables of one store connection. Writes join the connection's open transaction."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        for statement in _CASES_SCHEMA:  # one by one: executescript would commit an open transaction
            self.db.execute(statement)

    def candidate_article_ids(self) -> list[str]:
        """Articles that may report a case (a program, or a headline opening with an organisation
        or a place), in ingest order: a rebuild reads only these."""
        q = (
            "SELECT a.id FROM articles a WHERE a.id IN (SELECT article_id FROM mentions WHERE type = 'program' "
            "OR (field = 'title' AND start <= 1 AND type IN ('org', 'region'))) ORDER BY a.seq"
        )
        return [r[0] for r in self.db.execute(q)]

    def evidence_groups(self, article_ids: list[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(article_ids), 500):
            chunk = article_ids[i : i + 500]
            q = f"SELECT DISTINCT grp FROM case_evidence WHERE article_id IN ({','.join('?' * len(chunk))})"
            out.update(r[0] for r in self.db.execute(q, chunk))
        return out

    def add_evidence(self, rows: Iterable[tuple[str, str, str, bytes | None]]) -> None:
        """(article_id, group, evidence JSON, vector bytes) rows."""
        self.db.executemany("INSERT INTO case_evidence (article_id, grp, data, vector) VALUES (?, ?, ?, ?)", rows)

    def evidence_of_groups(self, groups: Iterable[str]) -> list[tuple[str, str, bytes | None]]:
        """(group, evidence JSON, vector bytes) of every evidence row in these groups."""
        groups = sorted(groups)
        out: list[tuple[str, str, bytes | None]] = []
        for i in range(0, len(groups), 500):
            chunk = groups[i : i + 500]
            q = f"SELECT grp, data, vector FROM case_evidence WHERE grp IN ({','.join('?' * len(chunk))}) ORDER BY rowid"
            out.extend(tuple(r) for r in self.db.execute(q, chunk))
        return out

    def replace_groups(self, groups: Iterable[str], rows: Iterable[CaseRow]) -> None:
        """Drop the cases of these groups and store their new ones."""
        groups = sorted(groups)
        for i in range(0, len(groups), 500):
            chunk = groups[i : i + 500]
            marks = ",".join("?" * len(chunk))
            self.db.execute(
                f"DELETE FROM cases_fts WHERE rowid IN (SELECT rowid FROM cases WHERE grp IN ({marks}))", chunk
            )
            self.db.execute(f"DELETE FROM cases WHERE grp IN ({marks})", chunk)
        for r in rows:
            cur = self.db.execute(
                "INSERT INTO cases (id, grp, region_path, programs, first_date, last_date, independent, data, vector) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r.id, r.group, r.region_path, r.programs, r.first_date, r.last_date, r.independent, r.data, r.vector),
            )
            self.db.execute("INSERT INTO cases_fts (rowid, terms) VALUES (?, ?)", (cur.lastrowid, r.terms))

    def clear(self) -> None:
        for table in ("cases_fts", "cases", "case_evidence"):
            self.db.execute(f"DELETE FROM {table}")

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]

    def filtered(
        self,
        region_path: str | None = None,
        since: str | None = None,
        until: str | None = None,
        program: str | None = None,
    ) -> list[tuple[int, str, int, bytes | None]]:
        """(rowid, id, independent articles, vector) of the cases that pass the filters.

        A case passes ``since``/``until`` when its dates overlap them; a case without dates does not."""
        where, args = _where(
            [
                ("region_path LIKE ?", region_path.replace("%", "") + "%" if region_path else None),
                ("last_date >= ?", since),
                ("first_date <= ?", until),
                ("instr(lower(programs), lower(?)) > 0", program),
            ]
        )
        return [tuple(r) for r in self.db.execute("SELECT rowid, id, independent, vector FROM cases" + where, args)]

    def match(self, fts_query: str, limit: int) -> list[tuple[int, float]]:
        """(rowid, BM25 score, higher is better) of the cases whose words match an FTS5 query."""
        try:
            rows = self.db.execute(
                "SELECT rowid, bm25(cases_fts) FROM cases_fts WHERE cases_fts MATCH ? ORDER BY bm25(cases_fts) LIMIT ?",
                (fts_query, limit),
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # nothing a full-text query can use (only punctuation, say)
        return [(r[0], -r[1]) for r in rows]

    def data_of(self, rowids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for i in range(0, len(rowids), 500):
            chunk = rowids[i : i + 500]
            q = f"SELECT rowid, data FROM cases WHERE rowid IN ({','.join('?' * len(chunk))})"
            out.update((r[0], r[1]) for r in self.db.execute(q, chunk))
        return out

    def resolve(self, prefix: str) -> list[tuple[int, str]]:
        """(rowid, id) of the cases whose id starts with ``prefix`` (at most 5)."""
        rows = self.db.execute(
            "SELECT rowid, id FROM cases WHERE id LIKE ? ORDER BY id LIMIT 5", (prefix.lower().replace("%", "") + "%",)
        )
        return [tuple(r) for r in rows]
