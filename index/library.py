"""`Library`: the stored article collection as one object (store + embedder).

Ingest and count articles. The assistant receives a Library and never touches
the store or the embedder's settings itself. Listing lives on the store.
"""

from __future__ import annotations

from typing import Callable, Iterable

from .chunk import DEFAULT_CHUNK_TOKENS
from .embed import Embedder
from .ingest import ingest
from .store import ChromaStore
from .types import IngestReport

__all__ = ["Library"]


class Library:
    def __init__(self, store: ChromaStore, embedder: Embedder, chunk_tokens: int = DEFAULT_CHUNK_TOKENS):
        self.store = store
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens

    def ingest(self, paths: Iterable[str], on_article: Callable[[str, str], None] | None = None) -> IngestReport:
        return ingest(paths, self.embedder, self.store, max_tokens=self.chunk_tokens, on_article=on_article)

    def count(self) -> int:
        """Number of stored chunks."""
        return self.store.count()
