"""The faults a data directory can have, as the project's own exceptions.

Each message is one line naming the file and what to do, so an entry point
prints `error: <message>` and exits, never a traceback. `IndexDamaged` and
`WriteLocked` are ValueErrors (what the CLI's main already reports that way);
`DiskFull` is an OSError with errno ENOSPC, so code that checks `errno` still
sees what it is. Where the exceptions of chromadb and sqlite3 are translated
into these: the store adapter (store.py) and the article store (articles.py).
It does not decide what to do about a fault.
"""

from __future__ import annotations

import errno
from typing import Sequence

__all__ = ["DiskFull", "IndexDamaged", "WriteLocked", "REINDEX_HINT", "is_corruption", "is_disk_full"]

REINDEX_HINT = "run `citewire reindex` to rebuild it from the article store"

# What sqlite (also under chromadb's Rust bindings) says about a damaged file: SQLITE_CORRUPT (11),
# SQLITE_NOTADB (26), and the same in words.
_CORRUPT = ("(code: 11)", "(code: 26)", "malformed", "not a database", "file is encrypted", "disk image")
# SQLITE_FULL (13), or the OS's ENOSPC surfacing through Rust ("No space left on device (os error 28)").
_FULL = ("(code: 13)", "disk is full", "no space left", "os error 28")


def is_corruption(exc: BaseException) -> bool:
    """Whether `exc` (a sqlite3 or chromadb error) says a database file is damaged."""
    text = str(exc).lower()
    return any(marker in text for marker in _CORRUPT)


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk is full (errno ENOSPC, or sqlite's SQLITE_FULL in any wrapping)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return any(marker in text for marker in _FULL)


class IndexDamaged(ValueError):
    """A derived file (Chroma's chroma.sqlite3, its segments) cannot be read; `reindex` rebuilds it."""

    def __init__(self, path: object, problem: str, hint: str = REINDEX_HINT):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path} {problem}; {hint}")


class DiskFull(OSError):
    """No space left while writing `path`; names the articles of the write that failed."""

    def __init__(self, path: object, article_ids: Sequence[str] = ()):
        super().__init__(errno.ENOSPC, "No space left on device", str(path))
        self.article_ids = list(article_ids)

    def __str__(self) -> str:
        ids = self.article_ids
        which = ""
        if ids:
            shown = ", ".join(repr(a) for a in ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
            which = f" (article {shown})"
        return (f"No space left on device writing {self.filename}{which}; the articles stored before it are "
                "intact: free some space and run the same command again")


class WriteLocked(ValueError):
    """Another process holds the data directory's write lock (an ingest, removal or reindex)."""

    def __init__(self, path: object, holder: str, waited: float):
        self.path = str(path)
        super().__init__(f"another writer ({holder}) still holds {self.path} after waiting {waited:.0f}s; "
                         "try again when it has finished")
