"""The ingest stage: paths in, chunks with vectors in the store, a report out.

Articles are looked up in the store a window at a time (one query per few
hundred ids), so a re-run over an unchanged archive costs a few queries, not one
per article, and embeds nothing. New and changed articles are checked for near
duplicates (SimHash, see dedup.py) against the store and earlier articles of the
same run; the later copy is skipped unless `keep_duplicates`. A second article
with the same id and text in one run is always skipped and reported as a
duplicate naming both files; one with the same id and other text is refused. Chunks are
embedded in batches across articles while a writer thread stores the previous
batch. A changed article's chunks are overwritten in one upsert and its surplus
old chunks deleted right after; every chunk carries its version's content hash
and chunk count, so whatever a crash (even kill -9) leaves half-written is seen
as incomplete and redone by the next run. When anything was replaced, the old
text is purged from disk once at the end (store.purge_deleted). With
`records` (the Library's ArticleStore), each batch's articles are recorded there
before their chunks go to the store, and an unchanged article the record lacks
(a data dir from before the record existed) is recorded without re-embedding.
A `watcher` hears of each batch before and after it is stored, so readers can
be shown each article whole or not at all while an ingest runs.
It does not decide where the store lives or which embedder to use.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from .chunk import DEFAULT_CHUNK_TOKENS, chunk_article, embedding_text
from .dedup import NearDuplicates, simhash
from .embed import Embedder
from .load import load_articles
from .store import ChromaStore
from .types import Article, Chunk, Duplicate, IngestReport, LoadFailure

__all__ = ["ingest", "BatchWatcher", "ProgressCallback", "Records"]


class Records(Protocol):
    """Where ingested articles are recorded before their chunks are stored (index.articles.ArticleStore)."""

    def put(self, articles: Sequence[Article]) -> None: ...

    def hashes(self, article_ids: Iterable[str]) -> dict[str, str]: ...


class BatchWatcher(Protocol):
    """Told around each stored batch, on the writer thread (the Library keeps readers' views whole with it):
    `writing(ids)` before the chunks of these already-stored articles are overwritten, `written(ids)` once
    every chunk of the batch's articles is stored (surplus old chunks deleted)."""

    def writing(self, article_ids: list[str]) -> None: ...

    def written(self, article_ids: list[str]) -> None: ...


# on_article(article_id_or_path, outcome, chunks_written)
ProgressCallback = Callable[[str, str, int], None]


def _windows(items: Iterable[Article | LoadFailure], size: int) -> Iterator[list[Article | LoadFailure]]:
    window: list[Article | LoadFailure] = []
    for item in items:
        window.append(item)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    existed: bool  # an older version is stored
    fingerprint: str
    surplus: bool  # some stored chunk lies past this version's last chunk


class _Writer:
    """Stores embedded batches on a background thread, in order, one batch queued at most."""

    def __init__(self, store: ChromaStore, report: IngestReport, notify: ProgressCallback,
                 records: Records | None = None, watcher: "BatchWatcher | None" = None):
        self.store, self.report, self.notify, self.records, self.watcher = store, report, notify, records, watcher
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name="citewire-ingest-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self.error is None:
                try:
                    self._write(*job)
                except BaseException as exc:  # handed to the main thread, which re-raises it
                    self.error = exc

    def _write(self, batch: list[_Pending], vectors: list[list[float]]) -> None:
        chunks = [c for p in batch for c in p.chunks]
        if self.watcher is not None:  # readers stop seeing the old versions before they are overwritten
            self.watcher.writing([p.article.id for p in batch if p.existed])
        if self.records is not None:  # the record first: chunks never exist without one
            self.records.put([p.article for p in batch])
        self.store.add(chunks, vectors, extra={p.article.id: {**p.article.extra, "simhash": p.fingerprint}
                                               for p in batch})
        for p in batch:
            article, article_chunks, existed = p.article, p.chunks, p.existed
            if p.surplus:
                # Chunks past the new version's end (the old one was longer): the only step after the upsert.
                self.store.delete_article(article.id, keep_hash=article.content_hash, purge=False)
            (self.report.updated if existed else self.report.added).append(article.id)
            self.report.chunks_written += len(article_chunks)
            self.notify(article.id, "updated" if existed else "added", len(article_chunks))
        if self.watcher is not None:  # every chunk of the batch is stored: readers may see them all now
            self.watcher.written([p.article.id for p in batch])

    def put(self, batch, vectors) -> None:
        self.raise_error()
        self._queue.put((batch, vectors))

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()


def ingest(
    paths: Iterable[str],
    embedder: Embedder,
    store: ChromaStore,
    max_tokens: int = DEFAULT_CHUNK_TOKENS,
    batch_chunks: int = 256,
    on_article: ProgressCallback | None = None,
    keep_duplicates: bool = False,
    lookup_window: int = 256,
    records: Records | None = None,
    watcher: BatchWatcher | None = None,
) -> IngestReport:
    """Load, chunk, embed and store every article under `paths`.

    `on_article(article_id, outcome, chunks_written)` is called once per article
    or failure (outcome: added / updated / unchanged / duplicate / failed), e.g.
    to drive a progress bar; added/updated come from the writer thread.
    """
    started = time.perf_counter()
    report = IngestReport()
    notify = on_article or (lambda _id, _outcome, _chunks: None)
    writer = _Writer(store, report, notify, records, watcher)
    seen: dict[str, Article] = {}
    near: NearDuplicates | None = None
    pending: list[_Pending] = []
    token_offsets = getattr(embedder, "token_offsets", None)  # optional: makes chunking one tokenizer pass

    def flush() -> None:
        chunks = [c for p in pending for c in p.chunks]
        vectors = embedder.embed_batch([embedding_text(c.title, c.text) for c in chunks])
        writer.put(list(pending), vectors)
        pending.clear()

    def fail(failure: LoadFailure) -> None:
        report.failed.append(failure)
        notify(failure.path, "failed", 0)

    try:
        for window in _windows(load_articles(paths), lookup_window):
            states = store.article_states([a.id for a in window if isinstance(a, Article)])
            recorded = records.hashes(states) if records is not None else {}
            unrecorded: list[Article] = []
            for item in window:
                if isinstance(item, LoadFailure):
                    fail(item)
                    continue
                article = item
                earlier = seen.get(article.id)
                if earlier is not None:
                    if earlier.content_hash == article.content_hash:
                        # The same article twice in one run (two copies of a file): say which two.
                        report.duplicates.append(Duplicate(article.id, article.id, article.origin, 1.0,
                                                           of_origin=earlier.origin))
                        notify(article.id, "duplicate", 0)
                    else:
                        fail(LoadFailure(article.origin or article.id,
                                         f"article id {article.id!r} already used by {earlier.origin} in this run"))
                    continue
                seen[article.id] = article
                state = states[article.id]
                if state.is_complete(article.content_hash):
                    if len(state.counts) > 1:
                        # A run stopped between writing this version and deleting the old one's surplus.
                        store.delete_article(article.id, keep_hash=article.content_hash, purge=False)
                        report.updated.append(article.id)
                        notify(article.id, "updated", 0)
                    else:
                        report.unchanged.append(article.id)
                        notify(article.id, "unchanged", 0)
                    if records is not None and recorded.get(article.id) != article.content_hash:
                        unrecorded.append(article)
                    continue
                fingerprint = simhash(article.text)
                if near is None:
                    near = NearDuplicates(store.article_text)
                    for stored_id, stored_fingerprint in store.fingerprints():
                        near.add(stored_id, stored_fingerprint)
                match = near.find(article.id, article.text, fingerprint)
                if match is not None and not keep_duplicates:
                    report.duplicates.append(Duplicate(article.id, match[0], article.origin, match[1]))
                    notify(article.id, "duplicate", 0)
                    continue
                near.add(article.id, fingerprint, text=article.text)
                offsets = token_offsets(article.text) if token_offsets else None
                chunks = chunk_article(article, embedder.count_tokens, max_tokens=max_tokens, token_offsets=offsets)
                existed = any(h != article.content_hash for h in state.counts)
                # Stored chunks of any version have indexes below that version's chunk count.
                surplus = max((expected for _, expected in state.counts.values()), default=0) > len(chunks)
                pending.append(_Pending(article, chunks, existed, fingerprint, surplus))
                if sum(len(p.chunks) for p in pending) >= batch_chunks:
                    flush()
            if unrecorded:
                records.put(unrecorded)
        if pending:
            flush()
    finally:
        # Even when interrupted: let the writer store what was already embedded.
        writer.close()
    writer.raise_error()
    if report.updated:
        store.purge_deleted()  # the replaced versions' text, once for the whole run
    report.seconds = time.perf_counter() - started
    return report
