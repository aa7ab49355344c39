"""The Chroma adapter: where chunks and their vectors live.

Embedded (a PersistentClient under a data directory) by default, or a Chroma
server through the HTTP client when given a URL. chromadb is imported here and
nowhere else. Chunk ids carry the article's content hash, so a new version of an
article is written beside the old one and the old one removed afterwards: an
interrupted write never loses what was stored before. It does not embed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence
from urllib.parse import urlparse

from .types import Chunk

__all__ = ["ChromaStore", "ArticleState", "chunk_metadata", "chunk_from_record"]

COLLECTION = "citewire"


def chunk_metadata(chunk: Chunk) -> dict:
    """Flat metadata stored with a chunk (Chroma allows str/int/float/bool only)."""
    return {
        "article_id": chunk.article_id,
        "title": chunk.title,
        "url": chunk.url,
        "source": chunk.source,
        "published_at": chunk.published_at,
        # An integer date (20220221) so date ranges can be filtered with $gte/$lte.
        "published_day": int(chunk.published_at.replace("-", "")) if chunk.published_at else 0,
        "chunk_index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": chunk.content_hash,
        "n_chunks": chunk.n_chunks,
    }


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


class ChromaStore:
    """Chunks with embeddings in one Chroma collection (cosine distance)."""

    def __init__(self, data_dir: str | Path | None = None, url: str | None = None, collection: str = COLLECTION):
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
            self.location = url
        else:
            path = Path(data_dir or "data") / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(path), settings=settings)
            self.location = str(path)
        # No embedding function: we always pass vectors, and Chroma's default one would download a model.
        self.collection = self.client.get_or_create_collection(
            collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def count(self) -> int:
        return self.collection.count()

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]], batch: int = 1000) -> None:
        """Upsert chunks with their vectors (same id again overwrites, never duplicates)."""
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                embeddings=[list(map(float, e)) for e in embeddings[i:i + batch]],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def article_state(self, article_id: str) -> ArticleState:
        got = self.collection.get(where={"article_id": article_id}, include=["metadatas"])
        counts: dict[str, tuple[int, int]] = {}
        for meta in got["metadatas"] or []:
            h = str(meta.get("content_hash", ""))
            stored, _ = counts.get(h, (0, 0))
            counts[h] = (stored + 1, int(meta.get("n_chunks", 0)))
        return ArticleState(counts)

    def delete_article(self, article_id: str, keep_hash: str | None = None) -> None:
        """Remove an article's chunks, or only those not of version `keep_hash`."""
        where: dict = {"article_id": article_id}
        if keep_hash is not None:
            where = {"$and": [where, {"content_hash": {"$ne": keep_hash}}]}
        self.collection.delete(where=where)

    def chunks_of(self, article_id: str) -> list[Chunk]:
        got = self.collection.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        chunks = [chunk_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(chunks, key=lambda c: c.index)

    def list_articles(self) -> list[dict]:
        """One row per stored article: id, title, published_at, source, chunks."""
        got = self.collection.get(include=["metadatas"])
        rows: dict[str, dict] = {}
        for meta in got["metadatas"] or []:
            row = rows.setdefault(
                meta["article_id"],
                {"id": meta["article_id"], "title": meta.get("title", ""), "published_at": meta.get("published_at", ""),
                 "source": meta.get("source", ""), "chunks": 0},
            )
            row["chunks"] += 1
        return sorted(rows.values(), key=lambda r: (r["published_at"], r["id"]))
