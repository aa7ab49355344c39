"""`ArticleStore`: the record of every stored article, from which the index is derived.

One SQLite file (stdlib sqlite3, WAL journal): one row per article with its
clean text and every field chunking and embedding need again (id, title, text,
url, source, published_at, the partial-date and other `Article.extra` fields as
JSON, the content hash). Chroma's collection and the keyword index are derived
from these rows: `citewire reindex` rebuilds both from this file alone, without
the original files. The `Library` writes an article's row (one transaction per
batch) before its chunks go to Chroma, so a crash or a full disk between the two
leaves a row whose chunks the next ingest or reindex writes, never chunks
without a row. A removal marks the rows first, deletes the chunks, then the
rows; a reindex skips (and finishes deleting) rows a crash left marked.

Where it lives: `<data_dir>/articles.sqlite3` beside the embedded Chroma store.
With a Chroma server the chunks live on the server, but the record is still
kept locally, under the data dir (which always has a value: `./data` by
default), as `<data_dir>/articles-<hash of the URL>.sqlite3`, one per server as
the keyword index is; `store_path` says which. Removed and replaced text
leaves the disk as it does from Chroma (store.py): `secure_delete` zeroes
freed rows, and the WAL is checkpointed and truncated after such a change, so
old page images do not linger in it. A data dir from before this file
existed gets an empty one and keeps working; `reindex` says how many articles
it lacks. It does not chunk, embed or search.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .errors import DiskFull, IndexDamaged, is_corruption, is_disk_full
from .types import Article

__all__ = ["ArticleStore", "store_path", "STORE_NAME"]

STORE_NAME = "articles.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    published_at TEXT NOT NULL,
    extra TEXT NOT NULL,          -- Article.extra as a JSON object (partial dates, byline, record fields)
    content_hash TEXT NOT NULL,
    origin TEXT NOT NULL,         -- the file it was last ingested from (information only)
    stored_at REAL NOT NULL,
    removing INTEGER NOT NULL DEFAULT 0  -- a removal began: its chunks may already be gone
)
"""
_COLUMNS = "id, title, text, url, source, published_at, extra, content_hash, origin"
_HINT = "move it aside and ingest the original files again (it is the record the index is rebuilt from)"


def store_path(data_dir: str | Path, chroma_url: str | None = None) -> Path:
    """Where the article store of this data dir (and Chroma server, if any) lives."""
    if chroma_url:
        tag = hashlib.sha256(chroma_url.encode()).hexdigest()[:12]
        return Path(data_dir) / f"articles-{tag}.sqlite3"
    return Path(data_dir) / STORE_NAME


def _article(row: tuple) -> Article:
    article_id, title, text, url, source, published_at, extra, _hash, origin = row
    return Article(id=article_id, title=title, text=text, url=url, source=source, published_at=published_at,
                   origin=origin, extra=json.loads(extra))


class ArticleStore:
    """Articles by id in one SQLite file; safe to share between threads (one lock) and processes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._guard():
            self._con = sqlite3.connect(str(self.path), timeout=60, isolation_level=None, check_same_thread=False)
            self._con.execute("PRAGMA journal_mode = WAL")
            self._con.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a commit survives a process crash
            self._con.execute("PRAGMA secure_delete = ON")  # removed or replaced text is zeroed, not left behind
            self._con.execute(_SCHEMA)

    def _guard(self, article_ids: Sequence[str] = ()):
        return _Translate(self.path, article_ids)

    def close(self) -> None:
        self._con.close()

    # -- writes ----------------------------------------------------------------------

    def _insert(self, rows: list[tuple]) -> None:
        self._con.executemany(
            f"INSERT OR REPLACE INTO articles ({_COLUMNS}, stored_at, removing) VALUES (?,?,?,?,?,?,?,?,?,?,0)", rows)

    def put(self, articles: Sequence[Article]) -> None:
        """Store these articles (a stored one with the same id is replaced), all or none."""
        if not articles:
            return
        now = time.time()
        rows = [(a.id, a.title, a.text, a.url, a.source, a.published_at,
                 json.dumps(dict(a.extra), ensure_ascii=False, default=str), a.content_hash, a.origin, now)
                for a in articles]
        ids = [a.id for a in articles]
        with self._lock, self._guard(ids):
            self._con.execute("BEGIN IMMEDIATE")
            try:
                replaced = self._con.execute(
                    f"SELECT COUNT(*) FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids).fetchone()[0] \
                    if len(ids) < 900 else 1
                self._insert(rows)
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")
            if replaced:
                self._checkpoint()

    def _checkpoint(self) -> None:
        """Fold the WAL into the file and empty it: it holds the replaced pages' old text until then."""
        self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def mark_removing(self, article_ids: Sequence[str]) -> None:
        """Note that these articles' removal has begun (see the module docstring)."""
        self._many("UPDATE articles SET removing = 1 WHERE id = ?", article_ids)

    def delete(self, article_ids: Sequence[str]) -> None:
        self._many("DELETE FROM articles WHERE id = ?", article_ids)
        if article_ids:
            with self._lock, self._guard(article_ids):
                self._checkpoint()

    def _many(self, sql: str, article_ids: Sequence[str]) -> None:
        ids = list(article_ids)
        if not ids:
            return
        with self._lock, self._guard(ids):
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.executemany(sql, [(a,) for a in ids])
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    # -- reads -----------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._lock, self._guard():
            return self._con.execute(sql, params).fetchall()

    def __len__(self) -> int:
        return self._query("SELECT COUNT(*) FROM articles WHERE removing = 0")[0][0]

    def latest(self, n: int) -> list[dict]:
        """The `n` articles stored last (id and title): cheap, it reads no column after the title."""
        rows = self._query("SELECT id, title FROM articles WHERE removing = 0 ORDER BY rowid DESC LIMIT ?", (n,))
        return [{"id": i, "title": t} for i, t in rows]

    def ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT id FROM articles WHERE removing = 0 ORDER BY id")]

    def removing(self) -> list[str]:
        """Ids whose removal a crash interrupted."""
        return [r[0] for r in self._query("SELECT id FROM articles WHERE removing = 1 ORDER BY id")]

    def hashes(self, article_ids: Iterable[str], batch: int = 500) -> dict[str, str]:
        """article id -> stored content hash, for those of `article_ids` that are stored."""
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, str] = {}
        for i in range(0, len(ids), batch):
            part = ids[i:i + batch]
            marks = ",".join("?" * len(part))
            out.update(self._query(f"SELECT id, content_hash FROM articles WHERE removing = 0 AND id IN ({marks})",
                                   part))
        return out

    def get(self, article_id: str) -> Article | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM articles WHERE id = ? AND removing = 0", (article_id,))
        return _article(rows[0]) if rows else None

    def articles(self, batch: int = 200) -> Iterator[Article]:
        """Every stored article, in id order, read `batch` rows at a time."""
        after = ""
        while True:
            rows = self._query(f"SELECT {_COLUMNS} FROM articles WHERE removing = 0 AND id > ? ORDER BY id LIMIT ?",
                               (after, batch))
            for row in rows:
                yield _article(row)
            if len(rows) < batch:
                return
            after = rows[-1][0]


class _Translate:
    """sqlite3's errors on this file as the project's: damaged -> IndexDamaged, full -> DiskFull."""

    def __init__(self, path: Path, article_ids: Sequence[str]):
        self.path, self.article_ids = path, article_ids

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or not isinstance(exc, (sqlite3.Error, OSError)) or isinstance(exc, DiskFull):
            return False
        if is_disk_full(exc):
            raise DiskFull(self.path, self.article_ids) from exc
        if isinstance(exc, sqlite3.DatabaseError) and is_corruption(exc):
            raise IndexDamaged(self.path, f"is damaged ({exc})", hint=_HINT) from exc
        return False
