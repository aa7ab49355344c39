"""One line in front of the model, shared by the page and the API: `ModelGate`.

A llama.cpp context answers one question at a time, so a generator that is not
thread-safe gets one slot; a thread-safe one (`generator.thread_safe`, e.g. the
extractive quoter or an HTTP chat backend) gets `parallel` slots. A question
takes a `Ticket`, waits its turn in arrival order, hearing how many questions
are ahead of it, and holds its slot while it is answered (retrieval,
generation, verification). At most `limit` questions wait: one more is refused
with `QueueFull`, which carries a Retry-After estimate (the API answers 503,
the page says the model is busy) instead of leaving the caller to time out.

It does not time out waiting questions, reorder them, or know about HTTP or
gradio; the server and the page own one gate each run and pass it around.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Iterator

__all__ = ["ModelGate", "QueueFull", "Ticket", "DEFAULT_QUEUE_LIMIT", "DEFAULT_PARALLEL"]

DEFAULT_QUEUE_LIMIT = 24  # questions that may wait; below the 40 worker threads the server and the page each have
DEFAULT_PARALLEL = 4  # questions answered at once by a thread-safe generator


class QueueFull(RuntimeError):
    """`limit` questions already wait for the model; `retry_after` is an estimate in whole seconds."""

    def __init__(self, waiting: int, retry_after: int):
        super().__init__(f"the model is busy: {waiting} questions are already waiting; "
                         f"ask again in about {retry_after} s")
        self.waiting = waiting
        self.retry_after = retry_after


class Ticket:
    """One question's place in line: `wait()` until admitted, then `close()` (or `with`) frees the slot."""

    def __init__(self, gate: "ModelGate"):
        self._gate = gate
        self.created = time.perf_counter()
        self.admitted_at: float | None = None
        self.closed = False

    @property
    def admitted(self) -> bool:
        return self.admitted_at is not None

    @property
    def waited_s(self) -> float:
        """Seconds spent waiting for a slot (so far, while still waiting)."""
        return (self.admitted_at or time.perf_counter()) - self.created

    def ahead(self) -> int:
        """Questions ahead of this one: those answered now plus those that arrived earlier (0 once admitted)."""
        return self._gate._ahead(self)

    def wait(self, cancel: threading.Event | None = None, poll: float = 0.25) -> Iterator[int]:
        """Yield the number of questions ahead whenever it changes, until admitted; when `cancel` is set first,
        leave the line and return without being admitted (check `admitted`)."""
        last = None
        while True:
            ahead = self._gate._await_change(self, last, poll)
            if ahead is None:
                return
            if cancel is not None and cancel.is_set():
                self.close()
                return
            if ahead != last:
                last = ahead
                yield ahead

    def close(self) -> None:
        """Leave the line, or free the slot when admitted; safe to call twice."""
        self._gate._close(self)

    def __enter__(self) -> "Ticket":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ModelGate:
    """`slots` questions answered at once, at most `limit` waiting, first come first served."""

    def __init__(self, slots: int = 1, limit: int = DEFAULT_QUEUE_LIMIT):
        if slots < 1 or limit < 0:
            raise ValueError("a gate needs at least one slot and a non-negative queue limit")
        self.slots = slots
        self.limit = limit
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running = 0
        self._mean_s = 5.0  # seconds per answer, an estimate updated as answers finish (for Retry-After)

    @classmethod
    def for_generator(cls, generator, parallel: int = DEFAULT_PARALLEL, limit: int = DEFAULT_QUEUE_LIMIT
                      ) -> "ModelGate":
        """One slot unless the generator says it is thread-safe (`thread_safe = True`); then `parallel`."""
        slots = max(1, parallel) if getattr(generator, "thread_safe", False) else 1
        return cls(slots, limit)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    @property
    def running(self) -> int:
        with self._cond:
            return self._running

    def ticket(self) -> Ticket:
        """A place in line (admitted at once when a slot is free); QueueFull when `limit` already wait."""
        with self._cond:
            if self._running >= self.slots and len(self._waiting) >= self.limit:
                raise QueueFull(len(self._waiting), self._retry_after())
            ticket = Ticket(self)
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def status(self) -> dict:
        with self._cond:
            return {"slots": self.slots, "running": self._running, "waiting": len(self._waiting),
                    "limit": self.limit}

    # -- under the condition's lock ---------------------------------------------------------------------------

    def _retry_after(self) -> int:
        return max(1, min(600, math.ceil(self._mean_s * (len(self._waiting) + 1) / self.slots)))

    def _admit(self) -> None:
        now = time.perf_counter()
        while self._waiting and self._running < self.slots:
            ticket = self._waiting.popleft()
            ticket.admitted_at = now
            self._running += 1
        self._cond.notify_all()

    def _ahead(self, ticket: Ticket) -> int:
        with self._cond:
            if ticket.admitted or ticket.closed:
                return 0
            return self._running + self._waiting.index(ticket)

    def _await_change(self, ticket: Ticket, last: int | None, poll: float) -> int | None:
        """The count ahead once it differs from `last` (or after `poll` s); None once admitted or closed."""
        with self._cond:
            while True:
                if ticket.admitted or ticket.closed:
                    return None
                ahead = self._running + self._waiting.index(ticket)
                if ahead != last:
                    return ahead
                if not self._cond.wait(poll):
                    return ahead  # nothing moved: let the caller check its cancel flag

    def _close(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket.closed:
                return
            ticket.closed = True
            if ticket.admitted:
                self._running -= 1
                took = time.perf_counter() - ticket.admitted_at
                self._mean_s = 0.8 * self._mean_s + 0.2 * took
            else:
                self._waiting.remove(ticket)
            self._admit()
