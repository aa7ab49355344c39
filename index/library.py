"""`Library`: the stored article collection as one object (store + embedder + derived indexes).

Ingest, remove, list and count articles. The assistant and the CLI receive a
Library (built by `assistant.build_library`) and never touch the store or the
embedder's settings themselves. Derived indexes (the keyword index) are handed
in as `derived`: each has a `refresh()` that brings it in line with the store,
called by `refresh_derived()` at start-up (which heals a crash between a store
write and an index save). After an ingest or removal that changed what is
stored, an index that can `update(article_ids)` is told which articles changed
(so it re-reads only those); others are refreshed. During an ingest this
happens batch by batch, as each batch is stored, and an article about to be
rewritten is first withdrawn from indexes that can `withdraw(article_ids)`:
a reader filtering through the keyword index's view sees every article whole
or not at all. Before an ingest, such an
index is refreshed first (a constant-time check when it is current), so the
update starts from the store's state.

The articles themselves are recorded in an `ArticleStore` (articles.py), the
record the index is derived from: `ingest` records each batch before its
chunks are stored, `remove` marks the records, deletes the chunks, then the
records. Writers (ingest, remove, reindex) hold the data dir's `WriteLock`
(lock.py), so two processes never interleave their writes; readers do not
take it. An embedded store gets both beside it by default; a Library over a
Chroma server records articles only when handed an ArticleStore. It does not
search.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

from .articles import STORE_NAME, ArticleStore
from .chunk import DEFAULT_CHUNK_TOKENS
from .embed import Embedder
from .ingest import ProgressCallback, ingest
from .lock import WriteLock
from .store import ChromaStore
from .types import IngestReport

_log = logging.getLogger("citewire")

__all__ = ["DerivedIndex", "Library"]


class DerivedIndex(Protocol):
    """An index computed from the stored chunks (e.g. BM25) that must follow every change.

    Optional: `update(article_ids) -> bool`, re-reading only those articles from the store."""

    def refresh(self) -> bool: ...


class _Publisher:
    """The ingest's BatchWatcher: each stored batch goes into the derived indexes at once, so an article
    becomes searchable (whole: dense and keyword alike) batch by batch during a long ingest, and an article
    being rewritten is withdrawn from indexes that can (`withdraw(ids)`) until its new version is in."""

    def __init__(self, library: "Library"):
        self.library = library
        self.withdrawn: set[str] = set()
        self.published: set[str] = set()

    def writing(self, article_ids: list[str]) -> None:
        self.withdrawn.update(article_ids)
        self.library._withdraw(article_ids)

    def written(self, article_ids: list[str]) -> None:
        self.library._changed(article_ids)
        self.withdrawn.difference_update(article_ids)
        self.published.update(article_ids)


class Library:
    def __init__(self, store: ChromaStore, embedder: Embedder, chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
                 derived: Sequence[DerivedIndex] = (), articles: ArticleStore | None = None,
                 lock: WriteLock | None = None, data_dir: str | Path | None = None):
        """`data_dir`: where the record and the lock live (default: beside an embedded store)."""
        self.store = store
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.derived = tuple(derived)
        if data_dir is None and store.sqlite_path is not None:
            data_dir = store.sqlite_path.parent.parent
        self.data_dir = Path(data_dir) if data_dir is not None else None
        if articles is None and self.data_dir is not None and store.sqlite_path is not None:
            articles = ArticleStore(self.data_dir / STORE_NAME)
        self.articles = articles
        if lock is None and self.data_dir is not None:
            lock = WriteLock(self.data_dir)
        self.lock = lock
        self._listing: tuple[str, list[dict]] | None = None  # (store stamp, list_articles rows)
        self._listing_lock = threading.Lock()

    def on_wait(self, notify: Callable[[str], None] | None) -> None:
        """Have `notify(message)` told when another writer makes this one wait for the write lock."""
        if self.lock is not None:
            self.lock.on_wait = notify

    def _writing(self):
        if self.lock is None:
            from contextlib import nullcontext

            return nullcontext()
        return self.lock.held()

    def refresh_derived(self) -> None:
        """Bring every derived index in line with the store (each rebuilds only if it is stale)."""
        for index in self.derived:
            index.refresh()

    def _refresh_updatable(self) -> None:
        for index in self.derived:
            if getattr(index, "update", None) is not None:
                index.refresh()

    def _withdraw(self, article_ids: Sequence[str]) -> None:
        """Hide these articles from readers (indexes that can `withdraw`) until `_changed` re-indexes them."""
        if not article_ids:
            return
        for index in self.derived:
            withdraw = getattr(index, "withdraw", None)
            if withdraw is not None:
                withdraw(article_ids)

    def _changed(self, article_ids: Sequence[str]) -> None:
        for index in self.derived:
            update = getattr(index, "update", None)
            if update is not None:
                update(article_ids)
            else:
                index.refresh()

    def ingest(
        self,
        paths: Iterable[str],
        on_article: ProgressCallback | None = None,
        keep_duplicates: bool = False,
    ) -> IngestReport:
        """Ingest files, folders and URLs; see `index.ingest` for what is skipped and why.

        `on_article(article_id, outcome, chunks_written)` reports progress;
        `keep_duplicates` stores near-duplicate articles instead of skipping them."""
        with self._writing():
            self._refresh_updatable()
            watcher = _Publisher(self)
            try:
                report = ingest(paths, self.embedder, self.store, max_tokens=self.chunk_tokens,
                                on_article=on_article, keep_duplicates=keep_duplicates, records=self.articles,
                                watcher=watcher)
            except BaseException:
                # A failure part-way: whatever did get stored must be searchable everywhere. If that fails
                # too (the disk is still full), the next start-up's refresh does it; the first error is news.
                try:
                    if watcher.withdrawn:
                        self._changed(sorted(watcher.withdrawn))
                    self.refresh_derived()
                except Exception as exc:  # noqa: BLE001
                    _log.warning("derived indexes not refreshed after a failed ingest: %s", exc)
                raise
            rest = [a for a in report.added + report.updated if a not in watcher.published]
            if rest:  # e.g. an update whose only change was deleting a crashed run's surplus chunks
                self._changed(rest)
            return report

    def remove(self, article_ids: Iterable[str]) -> list[str]:
        """Delete these articles' chunks; returns the ids that were stored (and so removed)."""
        wanted = list(dict.fromkeys(article_ids))
        with self._writing():
            self._refresh_updatable()
            states = self.store.article_states(wanted)
            recorded = self.articles.hashes(wanted) if self.articles is not None else {}
            # Also an article recorded but never indexed (a crash or a full disk between the two writes).
            removed = [a for a in wanted if states[a].counts or a in recorded]
            if self.articles is not None:
                self.articles.mark_removing(removed)
            indexed = [a for a in removed if states[a].counts]
            self._withdraw(indexed)  # readers stop seeing them before their chunks go, not half-way
            for article_id in indexed:
                self.store.delete_article(article_id, purge=False)
            if indexed:
                self.store.purge_deleted()  # one VACUUM for the batch: the removed text leaves the disk
            if self.articles is not None:
                self.articles.delete(wanted)  # also rows an interrupted removal left marked
            if indexed:
                self._changed(indexed)
            return removed

    def count(self) -> int:
        """Number of stored chunks."""
        return self.store.count()

    def is_empty(self) -> bool:
        """Nothing stored. Answered from the article record when it has rows (a count of every chunk
        takes a Chroma scan: 0.2-0.5 s at 150k chunks), else from the store."""
        return not self._recorded() and self.store.count() == 0

    def latest_articles(self, n: int) -> list[dict]:
        """The `n` articles stored last (at least id and title), without listing the archive."""
        return self.articles.latest(n) if self._recorded() else self.list_articles()[-n:][::-1]

    def _recorded(self) -> bool:
        """The article record exists and has rows (an index built before it had one may have none)."""
        return self.articles is not None and len(self.articles) > 0

    def version(self) -> str | None:
        """The store's write stamp (constant time; None for a Chroma server, which has none)."""
        return self.store.version()

    def list_articles(self) -> list[dict]:
        """One row per stored article: id, title, published_at, source, url, chunks.

        Kept until the store's stamp changes: listing reads every article's first chunk (1.5 s at
        13,000 articles), and the page asks on every load and every opened article."""
        version = self.store.version()
        with self._listing_lock:
            if version is not None and self._listing is not None and self._listing[0] == version:
                return list(self._listing[1])
        rows = self.store.list_articles()
        if version is not None and version == self.store.version():  # no write finished meanwhile
            with self._listing_lock:
                self._listing = (version, rows)
        return list(rows)

    def article_text(self, article_id: str) -> str | None:
        """An article's stored clean text (its chunks joined at their offsets), or None if not stored.

        Read-only: what the page shows when a reader opens a cited article."""
        return self.store.article_text(article_id)
