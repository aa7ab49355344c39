"""`Library`: the stored article collection as one object (store + embedder).

Ingest, remove and count articles. The assistant receives a Library and never
touches the store or the embedder's settings itself. Listing lives on the store.
Derived indexes (the keyword index) subscribe with `on_change` and are told
after every ingest or removal that changed what is stored.
"""

from __future__ import annotations

from typing import Callable, Iterable

from .chunk import DEFAULT_CHUNK_TOKENS
from .embed import Embedder
from .ingest import ProgressCallback, ingest
from .store import ChromaStore
from .types import IngestReport

__all__ = ["Library"]


class Library:
    def __init__(self, store: ChromaStore, embedder: Embedder, chunk_tokens: int = DEFAULT_CHUNK_TOKENS):
        self.store = store
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after each ingest or removal that changed the stored chunks."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def ingest(
        self,
        paths: Iterable[str],
        on_article: ProgressCallback | None = None,
        keep_duplicates: bool = False,
    ) -> IngestReport:
        """Ingest files, folders and URLs; see `index.ingest` for what is skipped and why.

        `on_article(article_id, outcome, chunks_written)` reports progress;
        `keep_duplicates` stores near-duplicate articles instead of skipping them."""
        try:
            report = ingest(paths, self.embedder, self.store, max_tokens=self.chunk_tokens, on_article=on_article,
                            keep_duplicates=keep_duplicates)
        except BaseException:
            # A failure part-way: whatever did get stored must be searchable everywhere.
            self._changed()
            raise
        if report.added or report.updated:  # an unchanged re-run costs the listeners nothing
            self._changed()
        return report

    def remove(self, article_ids: Iterable[str]) -> list[str]:
        """Delete these articles' chunks; returns the ids that were stored (and so removed)."""
        wanted = list(dict.fromkeys(article_ids))
        states = self.store.article_states(wanted)
        removed = [a for a in wanted if states[a].counts]
        for article_id in removed:
            self.store.delete_article(article_id)
        if removed:
            self._changed()
        return removed

    def count(self) -> int:
        """Number of stored chunks."""
        return self.store.count()
