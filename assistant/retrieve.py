"""Retrieval: question -> the best-matching passages, dense + keyword, fused.

`Retriever.retrieve` is the seam. `HybridRetriever` fuses dense search
(`dense.DenseRetriever`) with BM25 (`KeywordIndex`) by reciprocal rank fusion,
can boost passages that match a preference (a date window), and keeps one
article from filling every slot. Both lists pass through one `KeywordView`:
a chunk is shown only when the keyword index holds it at that content, so
while an ingest runs an article is found whole (dense and keyword) or not yet.
The view also holds each chunk's article, source and date, so candidates are
fused by id and only the passages kept are read. It reads chunks only through
the store adapter and sees no Chroma or llama-index type. Query rewriting and the search plan
(what "this week" means, `plan.py`) happen before this.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Protocol, runtime_checkable

from index import ChromaStore, SearchFilters

from .dense import DenseRetriever
from .keyword_index import KeywordIndex
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

    def retrieve(self, query: str, k: int, filters: SearchFilters | None = None,
                 boost: SearchFilters | None = None) -> list[Passage]:
        if not query.strip():
            return []
        if self.keyword is None:
            return self._dense_only(query, k, filters, boost)
        n = max(self.candidates, k)
        # One view of what is indexed filters both lists: during an ingest an article is seen whole or not yet.
        # It also holds each chunk's article, source and date, so candidates are fused by id and only the
        # passages kept are read from the store. BM25 runs beside the dense search (embedding the question
        # releases the GIL), so hybrid costs about what dense alone does.
        view = self.keyword.view()
        keyword = _POOL.submit(self.keyword.search, query, n, filters)
        dense = [chunk_id for chunk_id, _ in self.dense.ranked_ids(query, n, filters)]
        lists = [(1.0, dense), (self.keyword_weight, [chunk_id for chunk_id, _ in keyword.result()])]
        meta = {}
        for _, ranked in lists:
            for chunk_id in ranked:
                if chunk_id not in meta:
                    meta[chunk_id] = view.meta(chunk_id)
        known = {c: m for c, m in meta.items() if m is not None}
        scores = self._scores(lists, lambda c: c in known and (known[c][1], known[c][0], known[c][2]), boost)
        stubs = [Passage(c, known[c][0], "", score, source=known[c][1], published_at=known[c][2])
                 for c, score in scores if c in known]
        # A few spare, read only when needed: a chunk whose text changed since the view was taken is dropped.
        picked = diversify(stubs, k + 3, self.per_article)
        out: list[Passage] = []
        for batch in (picked[:k], picked[k:]):
            if len(out) >= k or not batch:
                break
            chunks = {c.id: c for c in self.store.chunks([p.chunk_id for p in batch])}
            out += [Passage.from_chunk(chunks[p.chunk_id], p.score) for p in batch
                    if p.chunk_id in chunks and view.shows(chunks[p.chunk_id])]
        return out[:k]

    def _dense_only(self, query: str, k: int, filters: SearchFilters | None, boost: SearchFilters | None
                    ) -> list[Passage]:
        dense = self.dense.retrieve(query, max(self.candidates, k), filters)
        ranked = self._fuse([(1.0, [p.chunk_id for p in dense])], {p.chunk_id: p for p in dense}, boost)
        return diversify(ranked, k, self.per_article)

    def _fuse(self, lists: list[tuple[float, list[str]]], known: dict[str, Passage],
              boost: SearchFilters | None) -> list[Passage]:
        """Reciprocal rank fusion of the ranked id lists (weighted), boosted, as `known`'s passages best first."""
        def where(c: str):
            p = known.get(c)
            return p and (p.source, p.article_id, p.published_at)

        return [replace(known[c], score=s) for c, s in self._scores(lists, where, boost) if c in known]

    def _scores(self, lists: list[tuple[float, list[str]]], where, boost: SearchFilters | None
                ) -> list[tuple[str, float]]:
        """Reciprocal rank fusion of the ranked id lists (weighted), boosted where `where(id)` (source,
        article id, date; None when unknown) matches `boost`: (id, score) best first."""
        fused: dict[str, float] = {}
        for weight, ranked in lists:
            for rank, chunk_id in enumerate(ranked):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (self.rrf_k + rank + 1)
        if boost is not None and not boost.empty:
            for chunk_id, score in fused.items():
                found = where(chunk_id)
                if found and boost.matches(*found):
                    fused[chunk_id] = score * (1.0 + self.boost_weight)
        return [(c, round(s, 6)) for c, s in sorted(fused.items(), key=lambda kv: -kv[1])]
