"""`reindex`: rebuild Chroma and the derived indexes from the article store alone.

No original file is read: every article recorded in `articles.sqlite3` is
chunked and embedded again, exactly as ingest does, into a fresh collection.
Embedded store: the new index is built in `<data_dir>/chroma-rebuild/` while
the old one stays where it is (readers keep working on it), then swapped in by
two renames; an old index that cannot be read is kept aside in
`<data_dir>/broken-<timestamp>/` for inspection, a readable one is deleted. A
kill at any point leaves either the old index or the new one (or, between
the two renames, none, which every command reports) and an unused
chroma-rebuild/ that the next run discards: running it again completes.
A Chroma server's collection is deleted and refilled in place.

Before anything is deleted, the articles in the old index are compared with
the record: if the index holds articles the record lacks (a data dir from before
the record existed), reindex refuses unless told to `backfill` them from the
index first or to drop them (`force`). Backfill is exact or nothing: chunks
are exact slices of the article text at stored offsets, and only the
whitespace between two chunks that do not overlap is not stored, so candidate
fillers are tried until the rebuilt text has the content hash every chunk
carries; an article for which none matches is left out and named.
It does not load files and does not decide where the data dir is.
"""

from __future__ import annotations

import itertools
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .articles import ArticleStore
from .chunk import DEFAULT_CHUNK_TOKENS, chunk_article, embedding_text
from .dedup import simhash
from .embed import Embedder
from .errors import IndexDamaged
from .store import CHROMA_DIR, EXTRA_PREFIX, ChromaStore
from .types import Article, Chunk, content_hash

__all__ = ["ReindexReport", "UnrecordedArticles", "reindex", "rebuild_store", "backfill_from_index", "REBUILD_DIR"]

REBUILD_DIR = "chroma-rebuild"
_MAX_FILLINGS = 4096  # whitespace combinations tried per article when backfilling

# rebuild_derived(store): bring the derived indexes (keyword index) in line with this freshly built store
DerivedRebuild = Callable[[ChromaStore], None]


@dataclass
class ReindexReport:
    articles: int = 0
    chunks: int = 0
    seconds: float = 0.0
    moved_aside: Path | None = None  # where an unreadable old index was kept
    dropped: list[str] = field(default_factory=list)  # in the old index, not in the record (force)
    backfilled: list[str] = field(default_factory=list)
    not_backfilled: list[str] = field(default_factory=list)  # could not be rebuilt exactly from chunks
    removals_finished: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = f"reindexed {self.articles} articles, {self.chunks} chunks in {self.seconds:.1f}s"
        if self.backfilled:
            line += f"; {len(self.backfilled)} recovered from the old index first"
        if self.not_backfilled:
            line += f"; {len(self.not_backfilled)} could not be recovered exactly and were dropped"
        if self.dropped:
            line += f"; {len(self.dropped)} in the old index but not in the article store were dropped"
        if self.moved_aside is not None:
            line += f"; the unreadable old index is kept in {self.moved_aside}"
        return line


def rebuild_store(articles: Iterable[Article], embedder: Embedder, store: ChromaStore,
                  max_tokens: int = DEFAULT_CHUNK_TOKENS, batch_chunks: int = 256) -> tuple[int, int]:
    """Chunk, embed and store `articles` as ingest does; returns (articles, chunks) written."""
    token_offsets = getattr(embedder, "token_offsets", None)
    pending: list[tuple[Article, list[Chunk]]] = []
    n_articles = n_chunks = 0

    def flush() -> None:
        chunks = [c for _, cs in pending for c in cs]
        vectors = embedder.embed_batch([embedding_text(c.title, c.text) for c in chunks])
        store.add(chunks, vectors, extra={a.id: {**a.extra, "simhash": simhash(a.text)} for a, _ in pending})
        pending.clear()

    for article in articles:
        offsets = token_offsets(article.text) if token_offsets else None
        chunks = chunk_article(article, embedder.count_tokens, max_tokens=max_tokens, token_offsets=offsets)
        pending.append((article, chunks))
        n_articles += 1
        n_chunks += len(chunks)
        if sum(len(cs) for _, cs in pending) >= batch_chunks:
            flush()
    if pending:
        flush()
    return n_articles, n_chunks


# -- backfill ---------------------------------------------------------------------------

def _fillers(n: int) -> list[str]:
    return list(dict.fromkeys([" " * n, "\n" * n, "\n" + " " * (n - 1), "\n\n" + " " * max(0, n - 2)]))


def _reassemble(chunks: Sequence[Chunk]) -> str | None:
    """The text whose exact slices `chunks` are, checked against their content hash; None if unsure."""
    parts: list[str | int] = []  # text, or the length of a gap between two chunks that do not overlap
    text_end = 0
    for chunk in chunks:
        if chunk.start > text_end:
            parts.append(chunk.start - text_end)
            text_end = chunk.start
        overlap = text_end - chunk.start
        if overlap < len(chunk.text):
            parts.append(chunk.text[overlap:])
            text_end = chunk.end
    options = [_fillers(p) for p in parts if isinstance(p, int)]
    for fills in itertools.islice(itertools.product(*options), _MAX_FILLINGS):
        it = iter(fills)
        candidate = "".join(p if isinstance(p, str) else next(it) for p in parts)
        if content_hash(candidate) == chunks[0].content_hash:
            return candidate
    return None


def _article_from_chunks(chunks: Sequence[Chunk], meta: dict) -> Article | None:
    by_version: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_version.setdefault(chunk.content_hash, []).append(chunk)
    complete = [cs for cs in by_version.values() if len(cs) == cs[0].n_chunks]
    if len(complete) != 1:
        return None  # none complete, or an interrupted update: which version is current is unknown
    version = sorted(complete[0], key=lambda c: c.index)
    text = _reassemble(version)
    if text is None:
        return None
    first = version[0]
    extra = {k[len(EXTRA_PREFIX):]: v for k, v in meta.get(first.id, {}).items() if k.startswith(EXTRA_PREFIX)}
    return Article(id=first.article_id, title=first.title, text=text, url=first.url, source=first.source,
                   published_at=first.published_at, extra=extra)


def backfill_from_index(store: ChromaStore, articles: ArticleStore,
                        article_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Record these articles from their chunks in `store`; returns (recovered, not recoverable) ids."""
    recovered: list[str] = []
    lost: list[str] = []
    for i in range(0, len(article_ids), 200):
        part = list(article_ids[i:i + 200])
        where = {"article_id": part[0]} if len(part) == 1 else {"article_id": {"$in": part}}
        got = store.collection.get(where=where, include=["metadatas"])
        meta = {cid: m or {} for cid, m in zip(got["ids"], got["metadatas"] or [])}
        grouped: dict[str, list[Chunk]] = {}
        for chunk in store.chunks_of_articles(part):
            grouped.setdefault(chunk.article_id, []).append(chunk)
        found = []
        for article_id in part:
            article = _article_from_chunks(grouped.get(article_id, []), meta) if grouped.get(article_id) else None
            (found if article is not None else lost).append(article if article is not None else article_id)
        articles.put(found)
        recovered += [a.id for a in found]
    return recovered, lost


# -- the whole rebuild ------------------------------------------------------------------

class UnrecordedArticles(ValueError):
    """The old index holds articles the article store lacks: a rebuild would drop them."""


def _old_index(data_dir: Path, chroma_url: str | None) -> tuple[ChromaStore | None, bool]:
    """The current index, opened if it can be (store, damaged)."""
    if not chroma_url:
        path = data_dir / CHROMA_DIR
        if not path.exists():
            return None, False
        if not (path / "chroma.sqlite3").exists():
            return None, any(path.iterdir())
    try:
        return ChromaStore(data_dir, url=chroma_url), False
    except IndexDamaged:
        return None, True
    except Exception:  # noqa: BLE001 - whatever keeps the old embedded index from opening, it is replaced
        if chroma_url:
            raise
        return None, True


def _stored_ids(store: ChromaStore) -> set[str]:
    try:
        return {row["id"] for row in store.list_articles()}
    except IndexDamaged:  # opened, but its rows cannot be read
        return set()


def reindex(data_dir: str | Path, articles: ArticleStore, embedder: Embedder, rebuild_derived: DerivedRebuild,
            chunk_tokens: int = DEFAULT_CHUNK_TOKENS, chroma_url: str | None = None, backfill: bool = False,
            force: bool = False) -> ReindexReport:
    """Rebuild the index of `data_dir` (or the Chroma server at `chroma_url`) from `articles`.

    The caller holds the data dir's write lock. See the module docstring for `backfill` and `force`."""
    started = time.perf_counter()
    data_dir = Path(data_dir)
    report = ReindexReport()
    report.removals_finished = articles.removing()
    articles.delete(report.removals_finished)  # removals a crash interrupted: their chunks go with the old index
    old, damaged = _old_index(data_dir, chroma_url)
    if old is not None:
        unrecorded = sorted(_stored_ids(old) - set(articles.ids()) - set(report.removals_finished))
        if unrecorded and backfill:
            report.backfilled, report.not_backfilled = backfill_from_index(old, articles, unrecorded)
        elif unrecorded and force:
            report.dropped = unrecorded
        elif unrecorded:
            if not chroma_url:
                old.close()
            raise UnrecordedArticles(
                f"the article store {articles.path} has {len(articles)} articles but the index holds "
                f"{len(unrecorded)} more (ingested before the store existed); run `citewire reindex --from-index` "
                "to recover them from the index first, ingest their files again, or pass --force to drop them")
    if chroma_url:
        store = old or ChromaStore(data_dir, url=chroma_url)
        store.reset()
    else:
        if old is not None:
            old.close()
        shutil.rmtree(data_dir / REBUILD_DIR, ignore_errors=True)  # what a killed run left
        store = ChromaStore(data_dir, folder=REBUILD_DIR)
    report.articles, report.chunks = rebuild_store(articles.articles(), embedder, store, max_tokens=chunk_tokens)
    rebuild_derived(store)
    if not chroma_url:
        store.close()
        report.moved_aside = _swap(data_dir, damaged)
    report.seconds = time.perf_counter() - started
    return report


def _swap(data_dir: Path, damaged: bool) -> Path | None:
    """Put chroma-rebuild/ in the place of chroma/; keep an unreadable old one aside, delete a readable one."""
    current, fresh = data_dir / CHROMA_DIR, data_dir / REBUILD_DIR
    aside = None
    if current.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        if damaged:
            aside = data_dir / f"broken-{stamp}"
            aside.mkdir(exist_ok=True)
            target = aside / CHROMA_DIR
            current.rename(target if not target.exists() else aside / f"{CHROMA_DIR}-{time.time_ns()}")
        else:
            old = data_dir / f"chroma-old-{stamp}-{time.time_ns()}"
            current.rename(old)
            shutil.rmtree(old, ignore_errors=True)
    fresh.rename(current)
    # Leftovers of an earlier run killed between the rename and the delete.
    for stale in data_dir.glob("chroma-old-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return aside
