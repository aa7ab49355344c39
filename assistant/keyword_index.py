"""`KeywordIndex`: BM25 over every stored chunk, kept beside the store and updated in place.

The Chroma collection is the source of truth; this index is derived from it.
The BM25 arithmetic is `bm25.py`'s: immutable segments plus a mask of live
rows, so adding or removing articles writes one small segment and a new
manifest, never a rebuild. On disk: `<segment>.npz` + `<segment>.json` files,
written first, and `manifest.json` (which segments, which of their rows are
dead, and the store version it reflects), replaced atomically last. A crash
at any point leaves either the old manifest or the new one, and segment files
nothing names are removed later.

`update(article_ids)` (the `Library` calls it after an ingest or removal)
re-reads just those articles from the store. `refresh()` (start-up, and
whenever the caller does not know what changed) compares the manifest's
version with `ChromaStore.version()`: one small file and one SQL row, however
big the archive. Only when they differ (a crash between a store write and a
manifest save, or a write that bypassed the Library) does it read the chunk
metadata and apply the difference; with a Chroma server, which has no version
number, every refresh compares the metadata, as before. Segments are merged
when there are more than `max_segments` or a quarter of the rows are dead.

Damage heals itself: the files are derived, so an unreadable manifest, segment
or segment metadata (garbage bytes, a truncated file) is not an error but a
reason to rebuild the index from the store, logged once on the "citewire"
logger. `rebuild()` does so on purpose (`citewire reindex`). It does not
tokenise beyond `keyword_tokens` and does not fuse or rank.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence


from index import Chunk, ChromaStore, SearchFilters

from .bm25 import Live, Segment, build_segment, live_stats, merge, score
from .lexical import terms

__all__ = ["KeywordIndex", "KeywordView", "keyword_tokens"]

_MANIFEST = "manifest.json"
_FORMAT = 2
_log = logging.getLogger("citewire")


def keyword_tokens(text: str) -> list[str]:
    """Stemmed content words, stopwords dropped: the same normalisation the verifier uses."""
    t = terms(text)
    return [s for s in t.stems if s in t.content]


def _stamp(chunks: Sequence[Chunk]) -> str:
    """Identifies the stored chunks: ids plus content hashes (an update may reuse a chunk id)."""
    digest = hashlib.sha256()
    for chunk_id, content in sorted((c.id, c.content_hash) for c in chunks):
        digest.update(f"{chunk_id}\0{content}\0".encode("utf-8"))
    return "chunks:" + digest.hexdigest()[:24]


def _tokens(chunks: Sequence[Chunk]) -> list[list[str]]:
    return [keyword_tokens(f"{c.title}\n{c.text}") for c in chunks]


@dataclass(frozen=True)
class _State:
    """One consistent view: searches read it without a lock; changes build a new one."""

    segments: tuple[Segment, ...] = ()
    names: tuple[str, ...] = ()
    alive: tuple[np.ndarray, ...] = ()
    stamp: str = ""
    generation: str = ""
    where: dict = field(default_factory=dict)  # live chunk id -> (segment, row)

    @property
    def live(self) -> int:
        return len(self.where)

    @property
    def stats(self) -> Live:
        """bm25.live_stats of this state, computed on its first search (states never change)."""
        cached = self.__dict__.get("_stats")
        if cached is None:
            cached = live_stats(self.segments, self.alive)
            object.__setattr__(self, "_stats", cached)
        return cached

    def hashes(self) -> dict[str, str]:
        return {cid: self.segments[s].hashes[r] for cid, (s, r) in self.where.items()}


def _where(segments: Sequence[Segment], alive: Sequence[np.ndarray]) -> dict:
    import numpy as np

    return {seg.ids[r]: (i, r) for i, (seg, mask) in enumerate(zip(segments, alive))
            for r in np.flatnonzero(mask).tolist()}


class KeywordIndex:
    """BM25 search over the chunks of a ChromaStore; `search` returns (chunk_id, score) pairs."""

    def __init__(self, store: ChromaStore, path: str | Path, max_segments: int = 8, max_dead: float = 0.25):
        self.store = store
        self.path = Path(path)
        self.max_segments = max_segments
        self.max_dead = max_dead
        self._lock = threading.RLock()
        self._damage = ""  # why the files on disk could not be read, for the log
        self._held = 0  # depth of _exclusive in the thread holding self._lock (flock is not re-entrant)
        self._state: _State | None = None  # read from disk on first use, so building a Library stays cheap
        self._hidden: frozenset[str] = frozenset()  # articles being rewritten in the store right now

    # -- persistence -----------------------------------------------------------------

    def _read_manifest(self) -> dict | None:
        try:
            manifest = json.loads((self.path / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return manifest if manifest.get("format") == _FORMAT else None

    def _load(self) -> _State | None:
        """The state on disk; an empty one when there is none yet, None when its files are damaged."""
        import numpy as np

        manifest = self._read_manifest()
        if manifest is None:
            return _State()
        try:
            segments, alive = [], []
            for entry in manifest["segments"]:
                meta = json.loads((self.path / f"{entry['name']}.json").read_text(encoding="utf-8"))
                with np.load(self.path / f"{entry['name']}.npz") as arrays:
                    segment = Segment.from_parts(meta, arrays)
                mask = np.ones(len(segment), dtype=bool)
                mask[np.asarray(entry["dead"], dtype=np.int64)] = False
                segments.append(segment)
                alive.append(mask)
        except Exception as exc:  # noqa: BLE001 - garbage in a derived file: any error means "rebuild"
            self._damage = f"{type(exc).__name__}: {exc}"
            return None
        return _State(tuple(segments), tuple(e["name"] for e in manifest["segments"]), tuple(alive),
                      manifest["stamp"], manifest["generation"], _where(segments, alive))

    def _current(self) -> _State:
        """The state on disk: loaded once, and again when another process has saved a newer one."""
        state = self._state
        if state is None:
            state = self._state = self._load_or_heal()
        else:
            manifest = self._read_manifest()
            if manifest is not None and manifest.get("generation") != state.generation:
                state = self._state = self._load_or_heal()
        return state

    def _load_or_heal(self) -> _State:
        state = self._load()
        if state is not None:
            return state
        with self._exclusive():
            state = self._load()  # another process may have healed it meanwhile
            if state is None:
                _log.warning("keyword index in %s is damaged (%s); rebuilding it from the store", self.path,
                             self._damage)
                state = self._rebuild(self.store.chunks(), self.store.version() or "")
                self._save(state)
            return state

    @contextmanager
    def _exclusive(self):
        """Serialise writers in this process and across processes (the CLI beside a running page)."""
        with self._lock:
            if self._held:  # this thread holds the file lock already (healing while refreshing)
                self._held += 1
                try:
                    yield
                finally:
                    self._held -= 1
                return
            self.path.mkdir(parents=True, exist_ok=True)
            with open(self.path / ".lock", "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._held = 1
                try:
                    yield
                finally:
                    self._held = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, path: Path, write) -> None:
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        write(tmp)
        os.replace(tmp, path)

    def _save(self, state: _State) -> None:
        import numpy as np

        for name, segment in zip(state.names, state.segments):
            if not (self.path / f"{name}.npz").exists():  # segments never change once written
                self._write(self.path / f"{name}.json",
                            lambda p, s=segment: p.write_text(json.dumps(s.meta()), encoding="utf-8"))
                self._write(self.path / f"{name}.npz", lambda p, s=segment: _savez(p, s.arrays()))
        manifest = {"format": _FORMAT, "stamp": state.stamp, "generation": state.generation,
                    "segments": [{"name": n, "dead": np.flatnonzero(~a).tolist()}
                                 for n, a in zip(state.names, state.alive)]}
        self._write(self.path / _MANIFEST, lambda p: p.write_text(json.dumps(manifest), encoding="utf-8"))
        keep = {f"{n}{ext}" for n in state.names for ext in (".json", ".npz")} | {_MANIFEST, ".lock"}
        for old in self.path.iterdir():
            if old.name in keep or (old.name.startswith(".tmp-") and _writer_alive(old.name)):
                continue
            if old.is_dir():  # the rebuild-only layout before this one (v-<stamp>/ and CURRENT)
                import shutil

                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)

    # -- changes ---------------------------------------------------------------------

    def _changed(self, state: _State, gone: Iterable[str], added: Sequence[Chunk], stamp: str) -> _State:
        """`state` without the chunk ids `gone` and with `added`, merged if segments piled up."""
        import numpy as np

        alive = [a.copy() for a in state.alive]
        for chunk_id in gone:
            hit = state.where.get(chunk_id)
            if hit is not None:
                alive[hit[0]][hit[1]] = False
        segments, names = list(state.segments), list(state.names)
        if added:
            segments.append(build_segment(added, _tokens(added)))
            names.append(f"s-{uuid.uuid4().hex[:16]}")
            alive.append(np.ones(len(added), dtype=bool))
        total = sum(len(s) for s in segments)
        dead = total - sum(int(a.sum()) for a in alive)
        if total and dead > self.max_dead * total:
            segments, names = [merge(segments, alive)], [f"s-{uuid.uuid4().hex[:16]}"]
            alive = [np.ones(len(segments[0]), dtype=bool)]
        elif len(segments) > self.max_segments:
            # Fold the small segments together and leave the biggest (the bulk of the archive) as it is.
            big = max(range(len(segments)), key=lambda i: len(segments[i]))
            small = [i for i in range(len(segments)) if i != big]
            folded = merge([segments[i] for i in small], [alive[i] for i in small])
            segments = [segments[big], folded]
            names = [names[big], f"s-{uuid.uuid4().hex[:16]}"]
            alive = [alive[big], np.ones(len(folded), dtype=bool)]
        keep = [i for i, s in enumerate(segments) if len(s)]
        segments, names, alive = [segments[i] for i in keep], [names[i] for i in keep], [alive[i] for i in keep]
        return _State(tuple(segments), tuple(names), tuple(alive), stamp, uuid.uuid4().hex, _where(segments, alive))

    def _rebuild(self, chunks: Sequence[Chunk], stamp: str) -> _State:
        chunks = sorted(chunks, key=lambda c: c.id)
        return self._changed(_State(), (), chunks, stamp)

    def _heal(self, state: _State, version: str | None) -> bool:
        """Compare the stored chunk ids and hashes with the indexed ones and apply the difference."""
        stored_chunks = self.store.chunks(with_text=False)
        stamp = version or _stamp(stored_chunks)
        stored = {c.id: c.content_hash for c in stored_chunks}
        indexed = state.hashes()
        gone = [cid for cid, h in indexed.items() if stored.get(cid) != h]
        new = [cid for cid, h in stored.items() if indexed.get(cid) != h]
        if not gone and not new:
            if stamp != state.stamp:
                self._state = _State(state.segments, state.names, state.alive, stamp, uuid.uuid4().hex, state.where)
                self._save(self._state)
            return False
        if len(gone) + len(new) > max(len(stored), 1) // 2:
            self._state = self._rebuild(self.store.chunks(), stamp)
        else:
            self._state = self._changed(state, gone, self.store.chunks(new), stamp)
        self._save(self._state)
        return True

    def refresh(self) -> bool:
        """Bring the index in line with the store if it is not; True when anything was re-indexed.

        Constant time when it is current (embedded store): the store's version against the manifest's."""
        version = self.store.version()
        with self._lock:
            if version is not None and self._state is not None and self._state.stamp == version:
                manifest = self._read_manifest()
                if manifest is None or manifest.get("generation") == self._state.generation:
                    return False
            if version is not None and self._state is None:
                manifest = self._read_manifest()
                if manifest is not None and manifest.get("stamp") == version:
                    return False  # current on disk; its segments load on the first search
        with self._exclusive():
            state = self._current()
            if version is not None and state.stamp == version:
                return False
            return self._heal(state, version)

    def rebuild(self) -> None:
        """Index every stored chunk afresh, whatever is on disk (`citewire reindex`)."""
        version = self.store.version()
        with self._exclusive():
            self._state = self._rebuild(self.store.chunks(), version or _stamp(self.store.chunks(with_text=False)))
            self._save(self._state)

    def withdraw(self, article_ids: Iterable[str]) -> None:
        """Hide these articles from `view()` until `update` re-indexes them: their chunks are about to be
        rewritten in the store, and a reader must see the old version whole or nothing, never a mix."""
        with self._lock:
            self._hidden = self._hidden | frozenset(article_ids)

    def view(self) -> "KeywordView":
        """What searches may show now: the chunks this index holds, at the content it indexed."""
        return KeywordView(self._ready(), self._hidden)

    def update(self, article_ids: Iterable[str]) -> bool:
        """Re-index these articles from the store (added, replaced or removed ones); True when done.

        The store's version is read first, so a write that lands meanwhile shows as a mismatch at the
        next `refresh`. If the live chunk count then differs from the store's (another process wrote
        too), the whole difference is applied at once."""
        wanted = list(dict.fromkeys(article_ids))
        version = self.store.version()
        with self._exclusive():
            state = self._current()
            if version is not None and not wanted and state.stamp == version:
                return False
            articles = set(wanted)
            gone = [cid for cid in state.where if cid.rpartition("::")[0] in articles] if wanted else []
            added = self.store.chunks_of_articles(wanted)
            stamp = version or ""  # a server: the next refresh compares the chunks
            self._state = self._changed(state, gone, added, stamp)
            if self._state.live != self.store.count():
                self._heal(self._state, version)
            self._save(self._state)
            self._hidden = self._hidden - articles
            return True

    # -- search ----------------------------------------------------------------------

    def _ready(self) -> _State:
        state = self._state
        if state is None:
            with self._lock:
                state = self._state if self._state is not None else self._current()
        return state

    def __len__(self) -> int:
        return self._ready().live

    def search(self, query: str, k: int = 20, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        """The top `k` chunk ids for `query` by BM25 score (only positive scores), best first."""
        tokens = keyword_tokens(query)
        if not tokens:
            return []
        state = self._ready()
        return score(state.segments, state.alive, tokens, k, filters, state.stats)


class KeywordView:
    """One moment of the index: `shows(chunk)` is True when the chunk is indexed with exactly this content
    and its article is not being rewritten. The retriever filters dense and keyword hits through one view,
    so an article being ingested is seen whole (every chunk, in both indexes) or not at all."""

    def __init__(self, state: _State, hidden: frozenset[str]):
        self._state = state
        self._hidden = hidden

    def meta(self, chunk_id: str) -> tuple[str, str, str] | None:
        """(article id, source, published day) of a chunk this view shows by id, else None. Its content is
        checked with `shows` once the chunk is read."""
        hit = self._state.where.get(chunk_id)
        if hit is None:
            return None
        segment, row = self._state.segments[hit[0]], hit[1]
        if segment.article_ids[row] in self._hidden:
            return None
        return segment.article_ids[row], segment.sources[row], segment.published[row]

    def shows(self, chunk: Chunk) -> bool:
        hit = self._state.where.get(chunk.id)
        if hit is None or chunk.article_id in self._hidden:
            return False
        return self._state.segments[hit[0]].hashes[hit[1]] == chunk.content_hash


def _writer_alive(tmp_name: str) -> bool:
    """Whether the process that is writing `.tmp-<pid>-<name>` still runs (this one's own are done)."""
    pid = tmp_name.split("-")[1]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def _savez(path: Path, arrays: dict) -> None:
    import numpy as np

    with open(path, "wb") as handle:  # an open file: np.savez would add ".npz" to a bare name
        np.savez(handle, **arrays)
