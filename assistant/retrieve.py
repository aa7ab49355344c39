"""Retrieval: question -> the best-matching passages, dense + keyword, fused.

`Retriever.retrieve` is the seam. `HybridRetriever` fuses dense search
(`dense.DenseRetriever`) with BM25 (`KeywordIndex`) by reciprocal rank fusion,
can boost passages that match a preference (a date window), and keeps one
article from filling every slot. Both lists pass through one `KeywordView`:
a chunk is shown only when the keyword index holds it at that content, so
while an ingest runs an article is found whole (dense and keyword) or not yet. It reads chunks only through the store adapter
and sees no Chroma or llama-index type. Query rewriting and the search plan
(what "this week" means, `plan.py`) happen before this.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Protocol, runtime_checkable

from index import ChromaStore, SearchFilters

from .dense import DenseRetriever
from .keyword_index import KeywordIndex, KeywordView
from .types import Passage

__all__ = ["Retriever", "HybridRetriever", "diversify"]

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="citewire-keyword")  # threads start on first use


@runtime_checkable
class Retriever(Protocol):
    """`filters` excludes what does not match; `boost` only ranks what matches higher."""

    def retrieve(self, query: str, k: int = 5, filters: SearchFilters | None = None,
                 boost: SearchFilters | None = None) -> list[Passage]: ...


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

    def __init__(self, store: ChromaStore, dense: DenseRetriever, keyword: KeywordIndex | None, *,
                 candidates: int, rrf_k: int, per_article: int, keyword_weight: float, boost_weight: float):
        self.store = store
        self.dense = dense
        self.keyword = keyword
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.per_article = per_article
        self.keyword_weight = keyword_weight
        self.boost_weight = boost_weight

    def _keyword_hits(self, query: str, n: int, filters: SearchFilters | None, view: KeywordView):
        hits = self.keyword.search(query, n, filters)
        return hits, {c.id: Passage.from_chunk(c, 0.0) for c in self.store.chunks([chunk_id for chunk_id, _ in hits])
                      if view.shows(c)}

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None,
                 boost: SearchFilters | None = None) -> list[Passage]:
        if not query.strip():
            return []
        n = max(self.candidates, k)
        # BM25 and its chunk fetch run beside the dense search (embedding the question releases the GIL),
        # so hybrid costs about what dense alone does.
        # One view of what is indexed filters both lists: during an ingest an article is seen whole or not yet.
        view = self.keyword.view() if self.keyword is not None else None
        keyword = _POOL.submit(self._keyword_hits, query, n, filters, view) if view is not None else None
        dense = self.dense.retrieve(query, n, filters, keep=view.shows if view is not None else None)
        lists: list[tuple[float, list[str]]] = [(1.0, [p.chunk_id for p in dense])]
        known = {p.chunk_id: p for p in dense}
        if keyword is not None:
            hits, fetched = keyword.result()
            lists.append((self.keyword_weight, [chunk_id for chunk_id, _ in hits]))
            known.update((chunk_id, p) for chunk_id, p in fetched.items() if chunk_id not in known)
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
