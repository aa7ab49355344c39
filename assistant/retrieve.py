"""Retrieval: question -> the best-matching passages, through llama-index.

`Retriever.retrieve` is the seam. `VectorRetriever` runs a llama-index
VectorStoreIndex over the Chroma collection, with our embedder wrapped as a
llama-index embedding (never the global `Settings`). llama-index types are
converted to `Passage` here and go no further. Dense only; hybrid search,
date filters and query rewriting are separate concerns.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from index import ChromaStore, Embedder

from .filters import SearchFilters
from .types import Passage

__all__ = ["Retriever", "VectorRetriever"]


@runtime_checkable
class Retriever(Protocol):
    def retrieve(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Passage]: ...


def _metadata_filters(filters: SearchFilters | None):
    """SearchFilters -> llama-index MetadataFilters over the chunk metadata (None when empty)."""
    if filters is None or filters.empty:
        return None
    from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

    parts = []
    if filters.sources:
        parts.append(MetadataFilter(key="source", value=list(filters.sources), operator=FilterOperator.IN))
    if filters.article_ids:
        parts.append(MetadataFilter(key="article_id", value=list(filters.article_ids), operator=FilterOperator.IN))
    if filters.date_from:
        day = int(filters.date_from.replace("-", ""))
        parts.append(MetadataFilter(key="published_day", value=day, operator=FilterOperator.GTE))
    if filters.date_to:
        day = int(filters.date_to.replace("-", ""))
        parts.append(MetadataFilter(key="published_day", value=day, operator=FilterOperator.LTE))
    return MetadataFilters(filters=parts)


def _embedding_adapter(embedder: Embedder):
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class _Adapter(BaseEmbedding):
        _embedder: Embedder = PrivateAttr()

        def __init__(self, embedder: Embedder):
            super().__init__(model_name="citewire-embedder", embed_batch_size=32)
            self._embedder = embedder

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed_batch([query])[0]

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed_batch([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed_batch(texts)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return _Adapter(embedder)


def _to_passage(node_with_score) -> Passage:
    node = node_with_score.node
    meta = node.metadata or {}
    return Passage(
        chunk_id=node.node_id,
        article_id=str(meta.get("article_id", "")),
        text=node.get_content(),
        score=float(node_with_score.score or 0.0),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        source=str(meta.get("source", "")),
        published_at=str(meta.get("published_at", "")),
    )


class VectorRetriever:
    """Dense retrieval over a ChromaStore with a llama-index VectorStoreIndex."""

    def __init__(self, store: ChromaStore, embedder: Embedder):
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        vector_store = ChromaVectorStore(chroma_collection=store.collection)
        self._index = VectorStoreIndex.from_vector_store(vector_store, embed_model=_embedding_adapter(embedder))

    def retrieve(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Passage]:
        if not query.strip():
            return []
        nodes = self._index.as_retriever(similarity_top_k=k, filters=_metadata_filters(filters)).retrieve(query)
        return sorted((_to_passage(n) for n in nodes), key=lambda p: -p.score)

