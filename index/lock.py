"""`WriteLock`: one writer per data directory at a time, across processes.

`<data_dir>/write.lock` is held with `fcntl.flock` by every ingest, removal and
reindex (the `Library` takes it); readers (ask, list, search) never do. The
kernel drops a flock when its holder exits, even by kill -9, so a crashed
writer never leaves the directory locked. The file holds the holder's pid, for
the message only.

A second writer waits rather than being refused: two `citewire ingest` runs
started together (a cron job beside a manual run, the page's upload beside the
CLI) then both finish, one after the other, and each announces once that it is
"waiting for another ingest (pid N) to finish…". Waiting is bounded
(`timeout`, 10 minutes by default): a writer that hangs longer is reported as
`WriteLocked` naming the pid, one line. Within one process the lock is
re-entrant per WriteLock object and serialises threads (each acquisition opens
the file anew, and flock locks belong to the open file). It does not lock
readers out, and it does not guard a Chroma server against other machines.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import WriteLocked

__all__ = ["WriteLock", "LOCK_NAME", "DEFAULT_LOCK_TIMEOUT"]

LOCK_NAME = "write.lock"
DEFAULT_LOCK_TIMEOUT = 600.0
_POLL = 0.1


class WriteLock:
    """The write lock of one data directory; use `with lock.held(): ...`."""

    def __init__(self, data_dir: str | Path, timeout: float = DEFAULT_LOCK_TIMEOUT,
                 on_wait: Callable[[str], None] | None = None):
        self.path = Path(data_dir) / LOCK_NAME
        self.timeout = timeout
        self.on_wait = on_wait  # told once, in words, when another writer makes this one wait
        self._local = threading.local()

    def _holder(self) -> str:
        try:
            pid = self.path.read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            pid = ""
        return f"pid {pid}" if pid.isdigit() else "another process"

    @contextmanager
    def held(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        if depth:  # this thread holds it already (a reindex that ingests, say)
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="ascii")
        try:
            self._acquire(handle)
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            self._local.depth = 1
            try:
                yield
            finally:
                self._local.depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()

    def _acquire(self, handle) -> None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = self._holder()
        if self.on_wait is not None:
            self.on_wait(f"waiting for another ingest ({holder}) to finish\u2026")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriteLocked(self.path.parent, self._holder(), self.timeout) from None
                time.sleep(_POLL)
