"""`Library`: the stored article collection as one object (store + embedder + derived indexes).

Ingest, remove, list and count articles. The assistant and the CLI receive a
Library (built by `assistant.build_library`) and never touch the store or the
embedder's settings themselves. Derived indexes (the keyword index) are handed
in as `derived`: each has a `refresh()` that brings it in line with the store,
called by `refresh_derived()` at start-up (which heals a crash between a store
write and an index save). After an ingest or removal that changed what is
stored, an index that can `update(article_ids)` is told which articles changed
(so it re-reads only those); others are refreshed. Before an ingest, such an
index is refreshed first (a constant-time check when it is current), so the
update starts from the store's state. It does not search.
"""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence

from .chunk import DEFAULT_CHUNK_TOKENS
from .embed import Embedder
from .ingest import ProgressCallback, ingest
from .store import ChromaStore
from .types import IngestReport

__all__ = ["DerivedIndex", "Library"]


class DerivedIndex(Protocol):
    """An index computed from the stored chunks (e.g. BM25) that must follow every change.

    Optional: `update(article_ids) -> bool`, re-reading only those articles from the store."""

    def refresh(self) -> bool: ...


class Library:
    def __init__(self, store: ChromaStore, embedder: Embedder, chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
                 derived: Sequence[DerivedIndex] = ()):
        self.store = store
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.derived = tuple(derived)

    def refresh_derived(self) -> None:
        """Bring every derived index in line with the store (each rebuilds only if it is stale)."""
        for index in self.derived:
            index.refresh()

    def _refresh_updatable(self) -> None:
        for index in self.derived:
            if getattr(index, "update", None) is not None:
                index.refresh()

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
        self._refresh_updatable()
        try:
            report = ingest(paths, self.embedder, self.store, max_tokens=self.chunk_tokens, on_article=on_article,
                            keep_duplicates=keep_duplicates)
        except BaseException:
            # A failure part-way: whatever did get stored must be searchable everywhere.
            self.refresh_derived()
            raise
        if report.added or report.updated:  # an unchanged re-run costs the listeners nothing
            self._changed(report.added + report.updated)
        return report

    def remove(self, article_ids: Iterable[str]) -> list[str]:
        """Delete these articles' chunks; returns the ids that were stored (and so removed)."""
        wanted = list(dict.fromkeys(article_ids))
        self._refresh_updatable()
        states = self.store.article_states(wanted)
        removed = [a for a in wanted if states[a].counts]
        for article_id in removed:
            self.store.delete_article(article_id, purge=False)
        if removed:
            self.store.purge_deleted()  # one VACUUM for the batch: the removed text leaves the disk
            self._changed(removed)
        return removed

    def count(self) -> int:
        """Number of stored chunks."""
        return self.store.count()

    def list_articles(self) -> list[dict]:
        """One row per stored article: id, title, published_at, source, url, chunks."""
        return self.store.list_articles()

    def article_text(self, article_id: str) -> str | None:
        """An article's stored clean text (its chunks joined at their offsets), or None if not stored.

        Read-only: what the page shows when a reader opens a cited article."""
        return self.store.article_text(article_id)
