"""`KeywordIndex`: BM25 (bm25s) over every stored chunk, kept beside the store.

The Chroma collection is the source of truth; this index is derived from it.
It is saved under a folder (one subfolder per version plus a CURRENT pointer
written atomically) and stamped with a hash of the chunk ids and content hashes
it covers. On `refresh()` (called after every ingest or removal, and on
start-up) it compares that stamp with the store's and rebuilds when they
differ, so a crash between a Chroma write and a BM25 save heals on the next
start. It rebuilds from scratch (a few seconds for the 6k chunks of the dev
corpus on 2 cores); it does not update incrementally. bm25s is imported here
and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Sequence

from index import Chunk, ChromaStore, SearchFilters

from .lexical import terms

__all__ = ["KeywordIndex", "keyword_tokens"]

_META = "chunks.json"


def keyword_tokens(text: str) -> list[str]:
    """Stemmed content words, stopwords dropped: the same normalisation the verifier uses."""
    t = terms(text)
    return [s for s in t.stems if s in t.content]


def _stamp(chunks: Sequence[Chunk]) -> str:
    """Identifies the stored chunks: ids plus content hashes (an update may reuse a chunk id)."""
    digest = hashlib.sha256()
    for chunk_id, content in sorted((c.id, c.content_hash) for c in chunks):
        digest.update(f"{chunk_id}\0{content}\0".encode("utf-8"))
    return digest.hexdigest()[:24]


class KeywordIndex:
    """BM25 search over the chunks of a ChromaStore; `search` returns (chunk_id, score) pairs."""

    def __init__(self, store: ChromaStore, path: str | Path):
        self.store = store
        self.path = Path(path)
        self._lock = threading.Lock()
        self._model = None
        self._stamp = ""
        self._ids: list[str] = []
        self._articles: list[str] = []
        self._sources: list[str] = []
        self._days: list[str] = []
        self._loaded = False  # read from disk on first use, so building a Library stays cheap

    # -- persistence -----------------------------------------------------------------

    def _current_dir(self) -> Path | None:
        pointer = self.path / "CURRENT"
        if not pointer.is_file():
            return None
        folder = self.path / pointer.read_text(encoding="utf-8").strip()
        return folder if (folder / _META).is_file() else None

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self._load()

    def _load(self) -> None:
        folder = self._current_dir()
        if folder is None:
            return
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
            model = None
            if meta["ids"]:
                import bm25s

                model = bm25s.BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError, KeyError):
            return  # unreadable: refresh() rebuilds it
        self._apply(meta, model)

    def _apply(self, meta: dict, model) -> None:
        self._model = model
        self._stamp = meta["stamp"]
        self._ids = meta["ids"]
        self._articles = meta["article_ids"]
        self._sources = meta["sources"]
        self._days = meta["days"]

    def _save(self, meta: dict, model) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        folder = self.path / f"v-{meta['stamp']}"
        tmp = self.path / f".tmp-{meta['stamp']}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if model is not None:
            model.save(str(tmp), show_progress=False)
        (tmp / _META).write_text(json.dumps(meta), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
        pointer_tmp = self.path / f".CURRENT-{os.getpid()}"
        pointer_tmp.write_text(folder.name, encoding="utf-8")
        os.replace(pointer_tmp, self.path / "CURRENT")
        for old in self.path.iterdir():
            if old.is_dir() and old.name != folder.name:
                shutil.rmtree(old, ignore_errors=True)

    # -- sync ------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Rebuild if the store's chunks changed since the last build; True when rebuilt."""
        with self._lock:
            self._ensure_loaded()
            if _stamp(self.store.chunks(with_text=False)) == self._stamp:
                return False
            chunks = sorted(self.store.chunks(), key=lambda c: c.id)
            meta = {
                "stamp": _stamp(chunks),
                "ids": [c.id for c in chunks],
                "article_ids": [c.article_id for c in chunks],
                "sources": [c.source for c in chunks],
                "days": [c.published_at[:10] for c in chunks],
            }
            model = None
            if chunks:
                import bm25s

                model = bm25s.BM25()
                model.index([keyword_tokens(f"{c.title}\n{c.text}") or ["\u2205"] for c in chunks], show_progress=False)
            self._save(meta, model)
            self._apply(meta, model)
            return True

    # -- search ----------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            self._ensure_loaded()
        return len(self._ids)

    def _mask(self, filters: SearchFilters | None):
        if filters is None or filters.empty:
            return None
        import numpy as np

        return np.array(
            [filters.matches(s, a, d) for s, a, d in zip(self._sources, self._articles, self._days)], dtype=bool
        )

    def search(self, query: str, k: int = 20, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        """The top `k` chunk ids for `query` by BM25 score (only positive scores), best first."""
        tokens = keyword_tokens(query)
        with self._lock:
            self._ensure_loaded()
        model = self._model
        if model is None or not tokens or not self._ids:
            return []
        import numpy as np

        scores = model.get_scores(tokens)
        mask = self._mask(filters)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]
