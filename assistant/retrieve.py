"""Retrieval: question -> the best-matching passages, dense + keyword, fused.

`Retriever.retrieve` is the seam. `VectorRetriever` runs a llama-index
VectorStoreIndex over the Chroma collection, with our embedder wrapped as a
llama-index embedding (never the global `Settings`). llama-index types are
converted to `Passage` here and go no further. `HybridRetriever` fuses it with
BM25 (`KeywordIndex`) by reciprocal rank fusion, can boost passages that match
a preference (a date window), and keeps one article from filling every slot.
Query rewriting and turning "this week" into dates happen before this.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, runtime_checkable

from index import ChromaStore, Embedder

from .filters import SearchFilters
from .keyword_index import KeywordIndex
from .types import Passage

__all__ = ["Retriever", "VectorRetriever", "HybridRetriever", "diversify", "llama_index_embedding"]


@runtime_checkable
class Retriever(Protocol):
    """`filters` excludes what does not match; `boost` only ranks what matches higher."""

    def retrieve(self, query: str, k: int = 5, filters: SearchFilters | None = None,
                 boost: SearchFilters | None = None) -> list[Passage]: ...


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


def llama_index_embedding(embedder: Embedder):
    """Our Embedder as a llama-index BaseEmbedding (passed explicitly, never via the global Settings)."""
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


def _passage(chunk_id: str, text: str, meta: dict, score: float) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        text=text or "",
        score=score,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        source=str(meta.get("source", "")),
        published_at=str(meta.get("published_at", "")),
    )


def _to_passage(node_with_score) -> Passage:
    node = node_with_score.node
    return _passage(node.node_id, node.get_content(), node.metadata or {}, float(node_with_score.score or 0.0))


class VectorRetriever:
    """Dense retrieval over a ChromaStore with a llama-index VectorStoreIndex (no boost: see HybridRetriever)."""

    def __init__(self, store: ChromaStore, embedder: Embedder):
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        vector_store = ChromaVectorStore(chroma_collection=store.collection)
        self._index = VectorStoreIndex.from_vector_store(vector_store, embed_model=llama_index_embedding(embedder))

    def retrieve(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Passage]:
        if not query.strip():
            return []
        nodes = self._index.as_retriever(similarity_top_k=k, filters=_metadata_filters(filters)).retrieve(query)
        return sorted((_to_passage(n) for n in nodes), key=lambda p: -p.score)


def diversify(passages: list[Passage], k: int, per_article: int) -> list[Passage]:
    """The first `k` passages in order, at most `per_article` from any one article
    (others fill in only when too few articles are left)."""
    picked, counts, spill = [], {}, []
    for p in passages:
        if counts.get(p.article_id, 0) < per_article:
            picked.append(p)
            counts[p.article_id] = counts.get(p.article_id, 0) + 1
        else:
            spill.append(p)
        if len(picked) == k:
            return picked
    return picked + spill[: k - len(picked)]


class HybridRetriever:
    """Dense (Chroma via llama-index) + BM25, fused by reciprocal rank, then diversified.

    `boost` (optional SearchFilters) marks passages to prefer without excluding the
    rest: the caller's soft date window ("this week"). Scores in the returned
    passages are the fused (reciprocal rank) scores.
    """

    def __init__(self, store: ChromaStore, dense: VectorRetriever, keyword: KeywordIndex | None,
                 candidates: int = 30, rrf_k: int = 60, per_article: int = 2, keyword_weight: float = 1.0,
                 boost_weight: float = 1.0):
        self.store = store
        self.dense = dense
        self.keyword = keyword
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.per_article = per_article
        self.keyword_weight = keyword_weight
        self.boost_weight = boost_weight

    def _fetch(self, ids: list[str]) -> dict[str, Passage]:
        return {c.id: Passage(c.id, c.article_id, c.text, 0.0, c.start, c.end, c.title, c.url, c.source,
                              c.published_at) for c in self.store.chunks(ids)}

    def retrieve(self, query: str, k: int = 5, filters: SearchFilters | None = None,
                 boost: SearchFilters | None = None) -> list[Passage]:
        if not query.strip():
            return []
        n = max(self.candidates, k)
        dense = self.dense.retrieve(query, n, filters)
        lists: list[tuple[float, list[str]]] = [(1.0, [p.chunk_id for p in dense])]
        known = {p.chunk_id: p for p in dense}
        if self.keyword is not None:
            hits = self.keyword.search(query, n, filters)
            lists.append((self.keyword_weight, [chunk_id for chunk_id, _ in hits]))
            known.update(self._fetch([chunk_id for chunk_id, _ in hits if chunk_id not in known]))
        fused: dict[str, float] = {}
        for weight, ranked in lists:
            for rank, chunk_id in enumerate(ranked):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (self.rrf_k + rank + 1)
        if boost is not None and not boost.empty:
            for chunk_id, score in fused.items():
                p = known.get(chunk_id)
                if p is not None and boost.matches(p.source, p.article_id, p.published_at):
                    fused[chunk_id] = score * (1.0 + self.boost_weight)
        ranked = [replace(known[c], score=round(s, 6)) for c, s in sorted(fused.items(), key=lambda kv: -kv[1])
                  if c in known]
        return diversify(ranked, k, self.per_article)
