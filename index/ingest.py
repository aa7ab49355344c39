"""The ingest stage: paths in, chunks with vectors in the store, a report out.

Unchanged articles (same id, same content, fully stored) are skipped without
embedding. Chunks are embedded in batches across articles. A changed article is
written under its new content hash first and its old version deleted after, so
a crash at any point leaves either version searchable and a rerun completes it.
It does not decide where the store lives or which embedder to use.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from .chunk import DEFAULT_CHUNK_TOKENS, chunk_article, embedding_text
from .embed import Embedder
from .load import load_articles
from .store import ChromaStore
from .types import Article, Chunk, IngestReport, LoadFailure

__all__ = ["ingest"]


def ingest(
    paths: Iterable[str],
    embedder: Embedder,
    store: ChromaStore,
    max_tokens: int = DEFAULT_CHUNK_TOKENS,
    batch_chunks: int = 128,
    on_article: Callable[[str, str], None] | None = None,
) -> IngestReport:
    """Load, chunk, embed and store every article under `paths`.

    `on_article(article_id, outcome)` is called once per article or failure
    (outcome: added / updated / unchanged / failed), e.g. to drive a progress bar.
    """
    started = time.perf_counter()
    report = IngestReport()
    pending: list[tuple[Article, list[Chunk], bool]] = []
    seen: set[str] = set()
    notify = on_article or (lambda _id, _outcome: None)

    def flush() -> None:
        chunks = [c for _, article_chunks, _ in pending for c in article_chunks]
        vectors = embedder.embed_batch([embedding_text(c.title, c.text) for c in chunks])
        store.add(chunks, vectors)
        for article, _, existed in pending:
            store.delete_article(article.id, keep_hash=article.content_hash)
            (report.updated if existed else report.added).append(article.id)
            notify(article.id, "updated" if existed else "added")
        report.chunks_written += len(chunks)
        pending.clear()

    for item in load_articles(paths):
        if isinstance(item, LoadFailure):
            report.failed.append(item)
            notify(item.path, "failed")
            continue
        article = item
        if article.id in seen:
            report.unchanged.append(article.id)
            notify(article.id, "unchanged")
            continue
        seen.add(article.id)
        state = store.article_state(article.id)
        if state.is_complete(article.content_hash) and len(state.counts) == 1:
            report.unchanged.append(article.id)
            notify(article.id, "unchanged")
            continue
        chunks = chunk_article(article, embedder.count_tokens, max_tokens=max_tokens)
        existed = any(h != article.content_hash for h in state.counts)
        pending.append((article, chunks, existed))
        if sum(len(c) for _, c, _ in pending) >= batch_chunks:
            flush()
    if pending:
        flush()
    report.seconds = time.perf_counter() - started
    return report
