"""BM25 over segments that can be added to and deleted from: the arithmetic behind `KeywordIndex`.

A `Segment` is an immutable block of tokenised chunks: a sparse term-frequency
matrix stored by column (token -> the rows holding it) plus each row's chunk
id, article id, source and day. An index is a list of segments and, per
segment, a mask of the rows still alive; adding chunks adds a segment, deleting
them clears bits. Document frequencies, the document count and the mean length
are taken over live rows at query time, so scores are exact BM25 over whatever
is stored now, with no rebuild (Lucene's variant with k1 = 1.5, b = 0.75, as
bm25s scores it by default). `merge` folds segments into one when they pile
up. Persistence and keeping in step with the store are `keyword_index.py`'s;
this module does not tokenise, read files or know about Chroma.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


from index import Chunk, SearchFilters

__all__ = ["Live", "Segment", "build_segment", "live_stats", "merge", "score", "K1", "B"]

K1, B = 1.5, 0.75


def _day(published_at: str) -> int:
    try:
        return int(published_at[:10].replace("-", "")) if published_at else 0
    except ValueError:
        return 0


@dataclass(frozen=True)
class Segment:
    """Rows (chunks) by columns (tokens): `indptr`, `rows`, `tfs` as a CSC matrix."""

    ids: tuple[str, ...]
    article_ids: tuple[str, ...]
    sources: tuple[str, ...]
    published: tuple[str, ...]  # ISO day per row, "" when unknown
    hashes: tuple[str, ...]  # the chunk's content hash: an update may reuse a chunk id
    tokens: tuple[str, ...]  # column -> token
    indptr: np.ndarray  # int64, len(tokens) + 1
    rows: np.ndarray  # int32
    tfs: np.ndarray  # float32
    lengths: np.ndarray  # float32, tokens per row

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def columns(self) -> dict[str, int]:
        cached = self.__dict__.get("_columns")
        if cached is None:
            cached = {t: i for i, t in enumerate(self.tokens)}
            object.__setattr__(self, "_columns", cached)
        return cached

    @property
    def days(self) -> np.ndarray:
        import numpy as np

        cached = self.__dict__.get("_days")
        if cached is None:
            cached = np.array([_day(d) for d in self.published], dtype=np.int64)
            object.__setattr__(self, "_days", cached)
        return cached

    def posting(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        col = self.columns.get(token)
        if col is None:
            return None
        start, end = self.indptr[col], self.indptr[col + 1]
        return self.rows[start:end], self.tfs[start:end]

    def arrays(self) -> dict[str, np.ndarray]:
        return {"indptr": self.indptr, "rows": self.rows, "tfs": self.tfs, "lengths": self.lengths}

    def meta(self) -> dict:
        return {"ids": list(self.ids), "article_ids": list(self.article_ids), "sources": list(self.sources),
                "published": list(self.published), "hashes": list(self.hashes), "tokens": list(self.tokens)}

    @classmethod
    def from_parts(cls, meta: dict, arrays) -> "Segment":
        import numpy as np

        return cls(tuple(meta["ids"]), tuple(meta["article_ids"]), tuple(meta["sources"]), tuple(meta["published"]),
                   tuple(meta["hashes"]), tuple(meta["tokens"]), np.asarray(arrays["indptr"], dtype=np.int64),
                   np.asarray(arrays["rows"], dtype=np.int32), np.asarray(arrays["tfs"], dtype=np.float32),
                   np.asarray(arrays["lengths"], dtype=np.float32))


def _from_rows(chunks: Sequence[tuple[str, str, str, str, str]], docs: Sequence[Sequence[str]]) -> Segment:
    """A segment from (id, article_id, source, day, hash) rows and their token lists (an empty list counts 1)."""
    import numpy as np

    vocab: dict[str, int] = {}
    cols, rows, tfs, lengths = [], [], [], []
    for r, tokens in enumerate(docs):
        tokens = list(tokens) or ["\u2205"]  # as bm25s was fed: an empty chunk still has a length
        lengths.append(len(tokens))
        counts: dict[str, int] = {}
        for t in tokens:
            counts[t] = counts.get(t, 0) + 1
        for t, n in counts.items():
            cols.append(vocab.setdefault(t, len(vocab)))
            rows.append(r)
            tfs.append(n)
    cols_a = np.asarray(cols, dtype=np.int64)
    order = np.argsort(cols_a, kind="stable")  # by column, rows ascending within one
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols_a, minlength=len(vocab)), out=indptr[1:])
    tokens = [""] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    return Segment(tuple(c[0] for c in chunks), tuple(c[1] for c in chunks), tuple(c[2] for c in chunks),
                   tuple(c[3] for c in chunks), tuple(c[4] for c in chunks), tuple(tokens), indptr,
                   np.asarray(rows, dtype=np.int32)[order], np.asarray(tfs, dtype=np.float32)[order],
                   np.asarray(lengths, dtype=np.float32))


def build_segment(chunks: Sequence[Chunk], docs: Sequence[Sequence[str]]) -> Segment:
    """A segment holding `chunks`, tokenised as `docs` (one token list per chunk)."""
    return _from_rows([(c.id, c.article_id, c.source, c.published_at[:10], c.content_hash) for c in chunks], docs)


def merge(segments: Sequence[Segment], alive: Sequence[np.ndarray]) -> Segment:
    """One segment with the live rows of `segments`, in order (token counts are kept, not recomputed)."""
    import numpy as np

    vocab: dict[str, int] = {}
    rows, cols, tfs, lengths, meta = [], [], [], [], []
    offset = 0
    for seg, mask in zip(segments, alive):
        live = np.flatnonzero(mask)
        renumber = np.full(len(seg), -1, dtype=np.int64)
        renumber[live] = np.arange(len(live)) + offset
        column = np.array([vocab.setdefault(t, len(vocab)) for t in seg.tokens], dtype=np.int64)
        col_of = np.repeat(np.arange(len(seg.tokens)), np.diff(seg.indptr))
        new_rows = renumber[seg.rows]
        keep = new_rows >= 0
        rows.append(new_rows[keep])
        cols.append(column[col_of[keep]])
        tfs.append(seg.tfs[keep])
        lengths.append(seg.lengths[live])
        meta += [(seg.ids[r], seg.article_ids[r], seg.sources[r], seg.published[r], seg.hashes[r])
                 for r in live.tolist()]
        offset += len(live)
    rows_a, cols_a = np.concatenate(rows or [np.zeros(0, np.int64)]), np.concatenate(cols or [np.zeros(0, np.int64)])
    order = np.lexsort((rows_a, cols_a))  # by column, rows ascending within one
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols_a, minlength=len(vocab)), out=indptr[1:])
    tokens = [""] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    return Segment(tuple(m[0] for m in meta), tuple(m[1] for m in meta), tuple(m[2] for m in meta),
                   tuple(m[3] for m in meta), tuple(m[4] for m in meta), tuple(tokens), indptr,
                   rows_a[order].astype(np.int32), np.concatenate(tfs or [np.zeros(0, np.float32)])[order],
                   np.concatenate(lengths or [np.zeros(0, np.float32)]).astype(np.float32))


def _filter_mask(seg: Segment, rows: np.ndarray, filters: SearchFilters) -> np.ndarray:
    """Which of `rows` pass `filters` (an unknown date fails a date limit, as SearchFilters.matches)."""
    import numpy as np

    ok = np.ones(len(rows), dtype=bool)
    if filters.sources:
        ok &= np.array([seg.sources[r] in filters.sources for r in rows.tolist()], dtype=bool)
    if filters.article_ids:
        ok &= np.array([seg.article_ids[r] in filters.article_ids for r in rows.tolist()], dtype=bool)
    days = seg.days[rows]
    if filters.date_from:
        ok &= (days > 0) & (days >= _day(filters.date_from))
    if filters.date_to:
        ok &= (days > 0) & (days <= _day(filters.date_to))
    return ok


@dataclass(frozen=True)
class Live:
    """What every query over one (segments, alive) state shares: the live row count, each row's BM25
    length norm K1 * (1 - B + B * length / mean live length), and each segment's dead rows."""

    n: int
    norms: tuple[np.ndarray, ...]  # float32 per segment row
    dead: tuple[np.ndarray | None, ...]  # row indices, None when every row is alive


def live_stats(segments: Sequence[Segment], alive: Sequence[np.ndarray]) -> Live:
    import numpy as np

    lengths = [s.lengths[a] for s, a in zip(segments, alive)]
    n = sum(len(x) for x in lengths)
    avgdl = float(sum(float(x.sum()) for x in lengths)) / n if n else 1.0
    norms = tuple((K1 * ((1 - B) + B * s.lengths / avgdl)).astype(np.float32) for s in segments)
    dead = tuple(None if bool(a.all()) else np.flatnonzero(~a) for a in alive)
    return Live(n, norms, dead)


def score(segments: Sequence[Segment], alive: Sequence[np.ndarray], tokens: Sequence[str], k: int,
          filters: SearchFilters | None = None, live: Live | None = None) -> list[tuple[str, float]]:
    """The top `k` live rows for the query `tokens` by BM25 (positive scores only), best first. `live`:
    live_stats(segments, alive), computed once per index state by the caller (else here)."""
    import numpy as np

    if live is None:
        live = live_stats(segments, alive)
    n = live.n
    if not n or not tokens:
        return []
    postings = {t: [s.posting(t) for s in segments] for t in set(tokens)}
    idf = {}
    for t, per_segment in postings.items():
        df = sum(int(a[p[0]].sum()) for a, p in zip(alive, per_segment) if p is not None)
        if df:
            idf[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
    candidates: list[tuple[np.ndarray, np.ndarray, int]] = []  # (rows, scores, segment)
    for i, seg in enumerate(segments):
        scores = None
        for t in tokens:  # a repeated query word counts again, as in bm25s
            p = postings[t][i]
            if p is None or t not in idf:
                continue
            rows, tf = p
            if scores is None:
                scores = np.zeros(len(seg), dtype=np.float32)
            scores[rows] += np.float32(idf[t]) * tf / (live.norms[i][rows] + tf)
        if scores is None:
            continue
        if live.dead[i] is not None:
            scores[live.dead[i]] = 0.0
        rows = np.flatnonzero(scores > 0)
        if filters is not None and not filters.empty and len(rows):
            rows = rows[_filter_mask(seg, rows, filters)]
        if len(rows):
            candidates.append((rows, scores[rows], i))
    if not candidates:
        return []
    all_scores = np.concatenate([c[1] for c in candidates])
    owners = np.concatenate([np.full(len(c[0]), c[2]) for c in candidates])
    all_rows = np.concatenate([c[0] for c in candidates])
    k = min(k, len(all_scores))
    top = np.argpartition(-all_scores, k - 1)[:k]
    top = top[np.argsort(-all_scores[top], kind="stable")]
    return [(segments[owners[j]].ids[all_rows[j]], float(all_scores[j])) for j in top]
