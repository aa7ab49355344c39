"""The Chroma adapter: where chunks and their vectors live.

Embedded (a PersistentClient under a data directory) by default, or a Chroma
server through the HTTP client when given a URL. chromadb is imported here and
nowhere else. A chunk is stored under `{article_id}::{chunk_index}`, so a new
version of an article overwrites its old chunks in one upsert (readers see the
old or the new text, never neither); only chunks past the new version's end are
deleted after, by content hash. Each chunk's metadata carries the content hash
and chunk count of its version, so an interrupted write is recognised as
incomplete and redone by the next ingest. It does not embed.

Removed and replaced text is purged from disk (`purge_deleted`, embedded store
only). Chroma keeps every write in its log table (`embeddings_queue` in
chroma.sqlite3, document text included) until the vector index next persists
(every `hnsw:sync_threshold` = 1000 writes by default), and SQLite leaves deleted
rows' bytes in free pages. So, as Chroma's own `chroma utils vacuum` does, the
log is pruned and the file rebuilt with VACUUM; the pruning here also drops a
log row when a later row for the same chunk id exists (an upsert or a delete)
and the metadata segment has already applied it. Replaying the remaining log
after a restart gives the same index: only upsert and delete are ever written,
and for those the last row per id decides. A Chroma server's files are the
server's to purge (`chroma utils vacuum --path DIR` there).

`checkpoint()` has Chroma write its vector index to disk now rather than at
its next 1,000th write, so every process that opens the store afterwards
searches the same graph; the measuring tools (eval) call it before they search.

Faults are translated here, at the seam (errors.py): chromadb's and sqlite3's
"file is not a database" / "database disk image is malformed" become
`IndexDamaged` naming chroma.sqlite3, "database or disk is full" and ENOSPC
become `DiskFull` naming the file and the articles being written. A missing
chroma.sqlite3 is damage too when the directory still holds index segments or
the caller knows articles were stored (`require_existing`): Chroma would
otherwise start an empty index in silence.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlparse

from .errors import DiskFull, IndexDamaged, is_corruption, is_disk_full
from .filters import SearchFilters
from .types import Chunk

__all__ = ["ChromaStore", "ArticleState", "chunk_metadata", "chunk_from_record", "storage_id", "CHROMA_DIR"]

CHROMA_DIR = "chroma"

COLLECTION = "citewire"
EXTRA_PREFIX = "extra_"
_INT64 = 2**63


def storage_id(chunk: Chunk) -> str:
    """The id a chunk is stored under: stable across versions of its article."""
    return f"{chunk.article_id}::{chunk.index}"


def _metadata_value(value: object) -> str | int | float | bool | None:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _day(iso_date: str) -> int:
    """An ISO date as the integer stored in `published_day` (2022-02-21 -> 20220221; unknown -> 0)."""
    return int(iso_date[:10].replace("-", "")) if iso_date else 0


def _where(filters: SearchFilters | None) -> dict | None:
    """SearchFilters as a Chroma `where` over the chunk metadata (None when nothing is filtered)."""
    if filters is None or filters.empty:
        return None
    parts: list[dict] = []
    if filters.sources:
        parts.append({"source": {"$in": list(filters.sources)}})
    if filters.article_ids:
        parts.append({"article_id": {"$in": list(filters.article_ids)}})
    if filters.date_from:
        parts.append({"published_day": {"$gte": _day(filters.date_from)}})
    if filters.date_to:
        parts.append({"published_day": {"$lte": _day(filters.date_to)}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def chunk_metadata(chunk: Chunk, extra: Mapping[str, object] | None = None) -> dict:
    """Flat metadata stored with a chunk (Chroma allows str/int/float/bool only).

    `extra` (article-level fields such as the SimHash or a record's own fields)
    is stored under "extra_<key>"; lists and objects become JSON strings."""
    meta = {
        "article_id": chunk.article_id,
        "title": chunk.title,
        "url": chunk.url,
        "source": chunk.source,
        "published_at": chunk.published_at,
        # An integer date (20220221) so date ranges can be filtered with $gte/$lte.
        "published_day": _day(chunk.published_at),
        "chunk_index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": chunk.content_hash,
        "n_chunks": chunk.n_chunks,
    }
    for key, value in (extra or {}).items():
        stored = _metadata_value(value)
        if stored is not None:
            meta[key if key == "simhash" else EXTRA_PREFIX + str(key)] = stored
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    """Rebuild a Chunk from what `chunk_metadata` stored."""
    return Chunk(
        id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        text=text or "",
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        index=int(meta.get("chunk_index", 0)),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        source=str(meta.get("source", "")),
        published_at=str(meta.get("published_at", "")),
        content_hash=str(meta.get("content_hash", "")),
        n_chunks=int(meta.get("n_chunks", 0)),
    )


class ArticleState:
    """What the store holds for one article id: its content hashes and completeness."""

    def __init__(self, counts: dict[str, tuple[int, int]]):
        self.counts = counts  # content_hash -> (chunks stored, chunks expected)

    def is_complete(self, content_hash: str) -> bool:
        stored, expected = self.counts.get(content_hash, (0, -1))
        return stored == expected


def _problem(exc: BaseException) -> str:
    """The words of a sqlite error without chromadb's wrapping ("error returned from database: (code: 26)")."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    m = re.search(r"\(code: \d+\)\s*(.+)", text)
    return m.group(1) if m else text


_STAMP = "citewire-version"  # ChromaStore.version()'s file, beside chroma.sqlite3

_PURGE = """
import sqlite3, sys
path, collection_id = sys.argv[1], sys.argv[2]
con = sqlite3.connect(path, timeout=60, isolation_level=None)
con.execute("PRAGMA secure_delete = ON")  # what this connection deletes is zeroed, not just unlinked
row = con.execute("SELECT m.seq_id FROM segments s JOIN max_seq_id m ON m.segment_id = s.id "
                  "WHERE s.collection = ? AND s.scope = 'METADATA'", (collection_id,)).fetchone()
applied = row[0] if row else None
if isinstance(applied, bytes):  # stored big-endian by Chroma before 0.5
    applied = int.from_bytes(applied, "big")
pruned = 0
if applied is not None:
    topic = "%/" + collection_id
    con.execute("BEGIN IMMEDIATE")
    pruned = con.execute(
        "DELETE FROM embeddings_queue WHERE topic LIKE ? AND seq_id <= ? AND seq_id NOT IN "
        "(SELECT MAX(seq_id) FROM embeddings_queue WHERE topic LIKE ? GROUP BY id)",
        (topic, int(applied), topic)).rowcount
    con.execute("COMMIT")
con.execute("VACUUM")
con.close()
print(pruned)
"""


_VECTOR_LAG = """
import sqlite3, sys
path, collection_id = sys.argv[1], sys.argv[2]
con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
num = lambda v: int.from_bytes(v, "big") if isinstance(v, bytes) else int(v or 0)
row = con.execute("SELECT m.seq_id FROM segments s JOIN max_seq_id m ON m.segment_id = s.id "
                  "WHERE s.collection = ? AND s.scope = 'VECTOR'", (collection_id,)).fetchone()
last = con.execute("SELECT MAX(seq_id) FROM embeddings_queue WHERE topic LIKE ?", ("%/" + collection_id,)).fetchone()
print(max(0, num(last[0] if last else 0) - num(row[0] if row else 0)))
"""
_SYNC_THRESHOLD = 1000  # Chroma's default: the vector index is written to disk every this many writes
_CHECKPOINT_SYNC = 2
_CHECKPOINT = """
import sys
import chromadb
path, name, low, default = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = chromadb.PersistentClient(path=path, settings=chromadb.Settings(anonymized_telemetry=False))
collection = client.get_collection(name)
keep = int((collection.configuration.get("hnsw") or {}).get("sync_threshold") or default)
keep = default if keep <= low else keep
collection.modify(configuration={"hnsw": {"sync_threshold": low}})
try:
    got = collection.get(limit=1, include=["embeddings", "documents", "metadatas"])
    if got["ids"]:
        vector = [list(map(float, got["embeddings"][0]))]
        collection.upsert(ids=got["ids"], embeddings=vector, documents=got["documents"], metadatas=got["metadatas"])
        collection.query(query_embeddings=vector, n_results=1, include=[])
finally:
    collection.modify(configuration={"hnsw": {"sync_threshold": keep}})
"""


def _in_child(script: str, *args: str, timeout: int = 3600) -> tuple[int, str, str]:
    """Run `script` in a child Python with `args`: (exit status, stdout, the last line of stderr). Raw SQLite
    work on chroma.sqlite3 goes there: chromadb links its own copy of SQLite, and two copies in one process
    break each other's POSIX locks."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout)
    last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return done.returncode, done.stdout.strip(), last


def _translated(method):
    """Run a store method with chromadb's and sqlite3's faults translated (ChromaStore._faults)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._faults():
            return method(self, *args, **kwargs)
    return wrapper


class ChromaStore:
    """Chunks with embeddings in one Chroma collection (cosine distance)."""

    def __init__(self, data_dir: str | Path | None = None, url: str | None = None, collection: str = COLLECTION,
                 require_existing: bool = False, folder: str = CHROMA_DIR):
        """`require_existing`: the caller knows articles were stored, so a missing chroma.sqlite3 is damage.
        `folder`: the directory under `data_dir` (reindex builds a fresh index beside the old one)."""
        self.sqlite_path: Path | None = None  # the embedded store's file, which `purge_deleted` rewrites
        self.location = url or str(Path(data_dir or "data") / folder)
        self.collection_name = collection
        if not url:
            self._check_present(Path(self.location), require_existing)
            self.sqlite_path = Path(self.location) / "chroma.sqlite3"
        with self._faults():
            self._open(url, collection)

    @staticmethod
    def _check_present(path: Path, require_existing: bool) -> None:
        if (path / "chroma.sqlite3").exists():
            return
        segments = path.is_dir() and any(p.is_dir() for p in path.iterdir())
        if segments or require_existing:
            why = "while the article store holds articles" if require_existing else "while its index segments remain"
            raise IndexDamaged(path / "chroma.sqlite3", f"is missing {why}")

    @contextmanager
    def _faults(self, article_ids: Sequence[str] = ()) -> Iterator[None]:
        try:
            yield
        except (IndexDamaged, DiskFull):
            raise
        except Exception as exc:
            # chromadb's own clean-up after a failed open can fail too (1.x: an AttributeError), so the
            # sqlite error may be the context of the exception that arrives here.
            for cause in _chain(exc):
                if is_disk_full(cause):
                    raise DiskFull(self.sqlite_path or self.location, article_ids) from exc
                if self.sqlite_path is not None and _is_store_error(cause) and is_corruption(cause):
                    raise IndexDamaged(self.sqlite_path, f"is damaged ({_problem(cause)})") from exc
            raise

    def _open(self, url: str | None, collection: str) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"Chroma URL must look like http://host:port, got {url!r}")
            self.client = chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        else:
            path = Path(self.location)
            path.mkdir(parents=True, exist_ok=True)
            try:
                self.client = chromadb.PersistentClient(path=str(path), settings=settings)
            except Exception:
                _forget_client(str(path))
                raise
        # No embedding function: we always pass vectors, and Chroma's default one would download a model.
        self.collection = self.client.get_or_create_collection(
            collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def close(self) -> None:
        """Let go of the files (chromadb keeps one client per path and process until closed)."""
        close = getattr(self.client, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # already closed, or an older chromadb: nothing to let go of
                pass

    @_translated
    def reset(self) -> None:
        """Drop every chunk: delete the collection and create it empty (reindex on a Chroma server)."""
        with self._writing():
            try:
                self.client.delete_collection(self.collection_name)
            except Exception:  # not there (a rerun after a crash right after the delete)
                pass
            self.collection = self.client.get_or_create_collection(
                self.collection_name, embedding_function=None, metadata={"hnsw:space": "cosine"})

    @_translated
    def count(self) -> int:
        return self.collection.count()

    @_translated
    def version(self) -> str | None:
        """A stamp that changes with every write through this adapter, from any process, read in constant
        time: a small file beside chroma.sqlite3 (`_STAMP`), replaced before and after each write, so a
        reader that saw the stamp of a write under way sees another once it is done. None for a server: it
        offers no such number, so a caller must compare the chunks themselves. (Not read from
        chroma.sqlite3: chromadb's own SQLite copy loses its locks when another copy in the same process
        opens and closes that file.)"""
        if self.sqlite_path is None:
            return None
        try:
            stamp = (self.sqlite_path.parent / _STAMP).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            try:
                stamp = self._stamp()  # a store from before the stamp: indexes heal once against the chunks
            except OSError:  # a read-only data dir: nobody writes it, so one fixed stamp is right
                stamp = "unstamped"
        return f"{self.collection.id}:{stamp}"

    def _stamp(self) -> str:
        if self.sqlite_path is None:
            return ""
        import uuid

        stamp = uuid.uuid4().hex
        path = self.sqlite_path.parent / _STAMP
        tmp = path.with_name(f".{_STAMP}-{os.getpid()}-{threading.get_ident()}")
        tmp.write_text(stamp, encoding="utf-8")
        os.replace(tmp, path)
        return stamp

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Around every write: a new stamp before (a crash mid-write is still a change) and after."""
        self._stamp()
        try:
            yield
        finally:
            self._stamp()

    def _max_batch(self) -> int:
        try:
            return max(1, int(self.client.get_max_batch_size()))
        except Exception:  # older servers do not say; Chroma's documented floor
            return 1000

    def add(
        self,
        chunks: Sequence[Chunk],
        embeddings: Sequence[Sequence[float]],
        extra: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        """Upsert chunks with their vectors (same id again overwrites, never duplicates).

        `extra[article_id]` is stored with every chunk of that article. One upsert
        call per Chroma batch limit, so an article is normally written in one step."""
        extra = extra or {}
        batch = self._max_batch()
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            with self._faults(list(dict.fromkeys(c.article_id for c in part))), self._writing():
                self._upsert(part, embeddings[i:i + batch], extra)

    def _upsert(self, part: Sequence[Chunk], embeddings: Sequence[Sequence[float]],
                extra: Mapping[str, Mapping[str, object]]) -> None:
        self.collection.upsert(
            ids=[storage_id(c) for c in part],
            documents=[c.text for c in part],
            embeddings=[list(map(float, e)) for e in embeddings],
            metadatas=[chunk_metadata(c, extra.get(c.article_id)) for c in part],
        )

    @_translated
    def article_states(self, article_ids: Iterable[str], batch: int = 500) -> dict[str, ArticleState]:
        """What is stored for each of `article_ids`, with one query per `batch` ids."""
        ids = list(dict.fromkeys(article_ids))
        counts: dict[str, dict[str, tuple[int, int]]] = {a: {} for a in ids}
        for i in range(0, len(ids), batch):
            part = ids[i:i + batch]
            where = {"article_id": part[0]} if len(part) == 1 else {"article_id": {"$in": part}}
            got = self.collection.get(where=where, include=["metadatas"])
            for meta in got["metadatas"] or []:
                per_article = counts.setdefault(str(meta.get("article_id", "")), {})
                h = str(meta.get("content_hash", ""))
                stored, _ = per_article.get(h, (0, 0))
                per_article[h] = (stored + 1, int(meta.get("n_chunks", 0)))
        return {a: ArticleState(c) for a, c in counts.items()}

    @_translated
    def query(self, vector: Sequence[float], k: int, filters: SearchFilters | None = None) -> list[tuple[Chunk, float]]:
        """The `k` chunks nearest to `vector` that pass `filters`, with cosine similarity, best first."""
        if k < 1:
            return []
        got = self.collection.query(query_embeddings=[list(map(float, vector))], n_results=k, where=_where(filters),
                                    include=["documents", "metadatas", "distances"])
        rows = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        return [(chunk_from_record(i, d, m or {}), 1.0 - float(dist)) for i, d, m, dist in rows]

    @_translated
    def query_ids(self, vector: Sequence[float], k: int, filters: SearchFilters | None = None
                  ) -> list[tuple[str, float]]:
        """`query` without reading the chunks: (chunk id, cosine similarity), best first. A third of the
        cost at 150k chunks (metadata is the dear part); the caller fetches text for what it keeps."""
        if k < 1:
            return []
        got = self.collection.query(query_embeddings=[list(map(float, vector))], n_results=k, where=_where(filters),
                                    include=["distances"])
        return [(i, 1.0 - float(dist)) for i, dist in zip(got["ids"][0], got["distances"][0])]

    @_translated
    def fingerprints(self) -> list[tuple[str, str]]:
        """(article_id, simhash) of every stored article that has one (read from its first chunk)."""
        got = self.collection.get(where={"chunk_index": 0}, include=["metadatas"])
        return [(str(m.get("article_id", "")), str(m["simhash"])) for m in got["metadatas"] or [] if m.get("simhash")]

    @_translated
    def delete_article(self, article_id: str, keep_hash: str | None = None, purge: bool = True) -> None:
        """Remove an article's chunks, or only those not of version `keep_hash`; with `purge`
        (the default) their text is then purged from disk too (`purge_deleted`)."""
        where: dict = {"article_id": article_id}
        if keep_hash is not None:
            where = {"$and": [where, {"content_hash": {"$ne": keep_hash}}]}
        with self._writing():
            self.collection.delete(where=where)
        if purge:
            self.purge_deleted()

    @_translated
    def purge_deleted(self) -> int:
        """Make the text of removed and overwritten chunks unreadable on disk (see the module docstring).

        Returns the number of log rows pruned; a no-op (0) for a Chroma server. Costs one VACUUM of
        chroma.sqlite3 (about a second per 100 MB), so callers purge once after a batch of changes."""
        if self.sqlite_path is None or not self.sqlite_path.exists():
            return 0
        # In a child process: chromadb links its own copy of SQLite, and two copies in one process break each
        # other's POSIX locks (a VACUUM here tore the reads of the page's answering threads: "disk image is
        # malformed"). Across processes the locks hold; Chroma's readers wait out the VACUUM.
        status, out, error = _in_child(_PURGE, str(self.sqlite_path), str(self.collection.id))
        if status != 0:
            raise sqlite3.OperationalError(error.split(": ", 1)[-1])
        return int(out or 0)

    @_translated
    def checkpoint(self) -> bool:
        """Have Chroma write its vector index to disk now; True when it had writes not yet written.

        Chroma writes its HNSW index every `sync_threshold` writes; a process that opens the store replays
        the writes since into its own copy of the graph, in an order that differs from process to process,
        so the nearest 30 chunks of one question in a few hundred could differ between two runs of the same
        code (two `eval.fit` runs read 25,752-25,763 sentences). After a checkpoint every process that opens
        the store loads the same graph. For the measuring tools (eval), before they search; a no-op for a
        Chroma server. A child process opens the store with the collection's sync threshold lowered, so
        its replay writes the index, rewrites one unchanged chunk, and restores the threshold (or Chroma's
        default, if a crash left the lowered one)."""
        if self.sqlite_path is None or not self.sqlite_path.exists() or self._vector_lag() <= 1:
            return False
        with self._writing():
            status, _, error = _in_child(_CHECKPOINT, str(self.sqlite_path.parent), self.collection_name,
                                         str(_CHECKPOINT_SYNC), str(_SYNC_THRESHOLD))
        if status != 0:
            raise RuntimeError(f"checkpoint of {self.sqlite_path} failed: {error}")
        return True

    def _vector_lag(self) -> int:
        """Writes the vector index has not written to disk yet (read in a child process, as _PURGE is)."""
        status, out, _ = _in_child(_VECTOR_LAG, str(self.sqlite_path), str(self.collection.id), timeout=600)
        return int(out or 0) if status == 0 else 0  # other table layouts: nothing known, nothing done

    @_translated
    def chunks_of(self, article_id: str) -> list[Chunk]:
        got = self.collection.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        chunks = [chunk_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(chunks, key=lambda c: c.index)

    @_translated
    def chunks_of_articles(self, article_ids: Sequence[str], batch: int = 500) -> list[Chunk]:
        """Every stored chunk of these articles (any version), with one query per `batch` ids."""
        ids = list(dict.fromkeys(article_ids))
        out: list[Chunk] = []
        for i in range(0, len(ids), batch):
            part = ids[i:i + batch]
            where = {"article_id": part[0]} if len(part) == 1 else {"article_id": {"$in": part}}
            got = self.collection.get(where=where, include=["documents", "metadatas"])
            out += [chunk_from_record(c, d, m) for c, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return out

    @_translated
    def chunks(self, ids: Sequence[str] | None = None, with_text: bool = True, page: int = 5000) -> list[Chunk]:
        """The stored chunks with these `ids` (missing ones are left out), or every chunk, paged.
        Without `with_text` only metadata is read (Chunk.text is "")."""
        include = ["documents", "metadatas"] if with_text else ["metadatas"]
        if ids is not None:
            got = self.collection.get(ids=list(ids), include=include) if ids else {"ids": []}
            return [chunk_from_record(i, d, m or {}) for i, d, m in
                    zip(got["ids"], got.get("documents") or [""] * len(got["ids"]), got.get("metadatas") or [])]
        out: list[Chunk] = []
        offset = 0
        while True:
            got = self.collection.get(include=include, limit=page, offset=offset)
            texts = got.get("documents") or [""] * len(got["ids"])
            out += [chunk_from_record(i, d, m or {}) for i, d, m in zip(got["ids"], texts, got["metadatas"] or [])]
            if len(got["ids"]) < page:
                return out
            offset += page

    def article_text(self, article_id: str) -> str | None:
        """An article's clean text rebuilt from its chunks (exact slices at known offsets), or None."""
        chunks = self.chunks_of(article_id)
        if not chunks:
            return None
        version = chunks[0].content_hash
        text = ""
        for chunk in (c for c in chunks if c.content_hash == version):
            text = text[:chunk.start] + " " * max(0, chunk.start - len(text)) + chunk.text
        return text

    @_translated
    def list_articles(self, page: int = 5000) -> list[dict]:
        """One row per stored article: id, title, published_at, source, url, chunks.

        Read from each article's first chunk, which carries the article's chunk count: one chunk per
        article instead of all of them (2.1 s instead of 17.7 s at 154k chunks)."""
        rows: dict[str, dict] = {}
        offset = 0
        while True:
            got = self.collection.get(where={"chunk_index": 0}, include=["metadatas"], limit=page, offset=offset)
            metadatas = got["metadatas"] or []
            for meta in metadatas:
                rows[meta["article_id"]] = {
                    "id": meta["article_id"], "title": meta.get("title", ""),
                    "published_at": meta.get("published_at", ""), "source": meta.get("source", ""),
                    "url": meta.get("url", ""), "chunks": int(meta.get("n_chunks", 1))}
            if len(metadatas) < page:
                break
            offset += page
        return sorted(rows.values(), key=lambda r: (r["published_at"], r["id"]))


def _is_store_error(exc: BaseException) -> bool:
    """An error from chromadb or sqlite3 (not, say, a bug's TypeError that happens to mention a disk)."""
    if isinstance(exc, sqlite3.Error):
        return True
    return type(exc).__module__.startswith("chromadb")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the exceptions it was raised from or while handling, nearest first."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _forget_client(path: str) -> None:
    """Drop chromadb's cached client for `path` after a failed open: chromadb (1.x) caches the system
    before starting it, so every later open in this process would get the broken one (and a
    misleading "Could not connect to tenant") instead of trying the file again."""
    from chromadb.api.shared_system_client import SharedSystemClient

    getattr(SharedSystemClient, "_identifier_to_system", {}).pop(path, None)
    getattr(SharedSystemClient, "_identifier_to_refcount", {}).pop(path, None)
