"""Dense search: a llama-index `VectorStoreIndex` retriever over the project's `ChromaStore`.

The one module of assistant/ that uses llama-index for retrieval. llama-index
runs the retrieval (query embedding through our `Embedder`, passed explicitly,
never the global `Settings`; top-k; `NodeWithScore`), while the vector store it
queries is a read-only shim over `ChromaStore.query`, so Chroma's record layout
and its `where` syntax stay in index/store.py. The nodes are turned back into
`Passage`s here and go no further. It does not write to the store (ingest goes
through `index.Library`) and does not fuse, boost or diversify (`retrieve.py`).

The hybrid retriever's ranked ids skip llama-index's retriever: it adds about
2 ms a question (instrumentation events, node objects, ids) to a 20 ms search
whose result is only ids, so `ranked_ids` embeds the query with the same
`Embedder` and asks `ChromaStore.query_ids` directly.
"""

from __future__ import annotations

import threading

from index import ChromaStore, Chunk, Embedder, SearchFilters

from .types import Passage

__all__ = ["DenseRetriever", "llama_index_embedding"]


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


def _store_as_vector_store(store: ChromaStore):
    """A read-only llama-index vector store that answers queries with `store.query`.

    Filters arrive as our SearchFilters through the retriever's `vector_store_kwargs`,
    and the found Chunks are handed back in the `found` dict of the same call."""
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import BasePydanticVectorStore, VectorStoreQueryResult
    from pydantic import PrivateAttr

    class _ChromaStoreShim(BasePydanticVectorStore):
        stores_text: bool = True
        _store: ChromaStore = PrivateAttr()

        def __init__(self, store: ChromaStore):
            super().__init__()
            self._store = store

        @property
        def client(self):
            return None

        def add(self, nodes, **kwargs):
            raise NotImplementedError("read-only: ingest through index.Library")

        def delete(self, ref_doc_id, **delete_kwargs):
            raise NotImplementedError("read-only: remove through index.Library")

        def query(self, query, search_filters: SearchFilters | None = None, found: dict | None = None, **kwargs):
            hits = self._store.query(query.query_embedding, query.similarity_top_k, search_filters)
            if found is not None:
                found.update((chunk.id, chunk) for chunk, _ in hits)
            return VectorStoreQueryResult(nodes=[TextNode(id_=chunk.id, text=chunk.text) for chunk, _ in hits],
                                          similarities=[score for _, score in hits],
                                          ids=[chunk.id for chunk, _ in hits])

    return _ChromaStoreShim(store)


class DenseRetriever:
    """Nearest chunks to the query by embedding (no boost, no fusion: see HybridRetriever)."""

    def __init__(self, store: ChromaStore, embedder: Embedder):
        self._store = store
        self._embedder = embedder
        self._index = None  # llama-index's VectorStoreIndex, built on first dense-only search (importing
        self._index_lock = threading.Lock()  # llama-index takes about 2 s; hybrid search never needs it)

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        """The `k` nearest chunks as passages (dense-only search: no keyword index to take metadata from)."""
        if not query.strip():
            return []
        found: dict[str, Chunk] = {}
        nodes = self._nodes(query, k, search_filters=filters, found=found)
        passages = [Passage.from_chunk(found[n.node.node_id], float(n.score or 0.0)) for n in nodes]
        return sorted(passages, key=lambda p: -p.score)

    def ranked_ids(self, query: str, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        """The `k` nearest chunk ids with their similarity, best first, reading no chunk (the hybrid
        retriever takes metadata from the keyword index and text only for the passages it keeps)."""
        if not query.strip():
            return []
        vector = self._embedder.embed_batch([query])[0]
        return sorted(self._store.query_ids(vector, k, filters), key=lambda pair: -pair[1])

    def _nodes(self, query: str, k: int, **store_kwargs):
        """llama-index's retrieval, with `store_kwargs` passed through to the store shim's query."""
        with self._index_lock:
            if self._index is None:
                from llama_index.core import VectorStoreIndex

                self._index = VectorStoreIndex.from_vector_store(_store_as_vector_store(self._store),
                                                                 embed_model=llama_index_embedding(self._embedder))
            index = self._index
        return index.as_retriever(similarity_top_k=k, vector_store_kwargs=store_kwargs).retrieve(query)
