"""Asking, as the page and the API both do it, without gradio: events, filters, top-k, a fresh archive.

`ask_events` runs one question behind the shared `ModelGate` (ui/gate.py) and
reports what happens as events, the page and the API each rendering them their
own way; `form_filters` turns the filter fields into `Assistant.ask_stream`'s
filters; `with_top_k` gives the same Assistant parts under another top-k
(nothing is rebuilt or reloaded); `ArchiveWatch` refreshes the keyword index
when another process (the CLI) changed the stored articles, so the page finds
them without a restart; `example_questions` picks example questions.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Iterator

from assistant import Answer, Assistant, GeneratorError

from .gate import ModelGate, QueueFull, Ticket
from .history import PROGRESS_MARK

__all__ = ["ArchiveWatch", "EXAMPLES", "Failure", "Models", "ask_events", "example_questions", "form_filters",
           "make_gate", "render_busy", "render_waiting", "with_top_k"]


@dataclass(frozen=True)
class Failure:
    """Why a question got no answer. `kind`: "timeout" (the model backend did not answer in time), "backend"
    (it was unreachable, refused, broke off or sent an unreadable reply), "input" (a bad filter or date) or
    "internal"; `status` is what the API answers with (504 for a timeout, else 502)."""

    message: str
    kind: str

    @property
    def status(self) -> int:
        return 504 if self.kind == "timeout" else 502

    @property
    def backend(self) -> bool:
        return self.kind in ("timeout", "backend")


def _failure(exc: Exception) -> Failure:
    if isinstance(exc, GeneratorError):
        return Failure(str(exc), "timeout" if getattr(exc, "timed_out", False) else "backend")
    if isinstance(exc, ValueError):
        return Failure(str(exc), "input")
    return Failure(f"{type(exc).__name__}: {exc}", "internal")


def make_gate(assistant: Assistant) -> ModelGate:
    """The line in front of `assistant`'s generator, sized by its settings (parallel_answers, queue_limit)."""
    return ModelGate.for_generator(assistant.generator, parallel=assistant.settings.parallel_answers,
                                   limit=assistant.settings.queue_limit)


class Models:
    """The generators a reader may pick on the page: the one served (with the server's gate), the extractive
    quoter, the local model when llama.cpp is installed, and whatever the operator named (`--generators`,
    e.g. an Ollama model or an OpenAI-compatible URL). Never a name typed by a reader: on a shared server
    that would let anyone point it at any address. Each is built on first use (the local model loads then),
    over the same archive, retriever and checks, and gets a gate of its own (one slot for llama.cpp)."""

    def __init__(self, assistant: Assistant, gate: ModelGate, extra: tuple[str, ...] = ()):
        import importlib.util

        self.default = assistant.settings.generator
        local = ["local"] if importlib.util.find_spec("llama_cpp") is not None else []
        self.names = list(dict.fromkeys([self.default, "extractive", *local, *extra]))
        self._assistant = assistant
        self._built: dict[str, tuple[Assistant, ModelGate]] = {self.default: (assistant, gate)}
        self._lock = threading.Lock()

    def get(self, name: str | None) -> tuple[Assistant, ModelGate]:
        """The Assistant answering with generator `name` (default: the one served) and its gate."""
        name = name or self.default
        if name not in self.names:
            raise ValueError(f"unknown model {name!r}; this server offers {', '.join(self.names)}")
        with self._lock:
            if name not in self._built:
                from assistant import make_generator

                a = self._assistant
                settings = a.settings.replace(generator=name)
                chosen = _variant(a, settings, make_generator(name, settings, scorer=a.scorer, ranker=a.ranker))
                self._built[name] = (chosen, make_gate(chosen))
            return self._built[name]


def render_waiting(ahead: int) -> str:
    """The page's progress note while a question waits for the model (a progress message: never history)."""
    if ahead <= 0:
        return f"{PROGRESS_MARK}_Waiting for the model\u2026_"
    questions = "question" if ahead == 1 else "questions"
    return f"{PROGRESS_MARK}_Waiting for the model: {ahead} {questions} ahead of yours\u2026_"


def render_busy(exc: QueueFull) -> str:
    """The page's message when the line is full: no answer, ask again later."""
    return (f"The model is busy: {exc.waiting} questions are already waiting for it. "
            f"Please ask again in about {exc.retry_after} s.")


def ask_events(assistant: Assistant, question: str, turns: list, as_of, filters: dict, ticket: Ticket
               ) -> Iterator[tuple]:
    """Start answering now; the events, in order: ("queue", questions_ahead) while waiting for the model
    (only when it is busy), ("progress", "search", 0) once admitted, ("progress", "check", words_drafted),
    then ("answer", Answer) or ("error", Failure). The caller closes nothing: the ticket is freed here.

    The question runs to its end in a worker thread of its own, so a client that hangs up mid-answer never
    leaves a generator (and the model it holds) half-run; one that hangs up while waiting leaves the line.
    Draft words are counted, never passed on: an error never carries draft text."""
    events: queue.Queue = queue.Queue()
    gone = threading.Event()

    def work():
        with ticket:
            for ahead in ticket.wait(cancel=gone):
                events.put(("queue", ahead))
            if not ticket.admitted:
                return
            events.put(("progress", "search", 0))
            try:
                words = 0
                for item in assistant.ask_stream(question, turns, as_of=as_of, filters=filters):
                    if isinstance(item, Answer):
                        events.put(("answer", item))
                        return
                    drafted = len(item.split())
                    words += drafted
                    if words == drafted or words % 8 < drafted:
                        events.put(("progress", "check", words))
                events.put(("error", Failure("the assistant gave no answer", "internal")))
            except Exception as exc:  # noqa: BLE001 - reported to the client as an answer-level error
                events.put(("error", _failure(exc)))

    threading.Thread(target=work, name="citewire-ask", daemon=True).start()
    return _drain(events, gone)


def _drain(events: queue.Queue, gone: threading.Event) -> Iterator[tuple]:
    try:
        while True:
            event = events.get()
            yield event
            if event[0] in ("answer", "error"):
                return
    finally:
        gone.set()  # heard only while still waiting in line

EXAMPLES = ["Who proposed the summit?", "What did Belarus say about Russian forces?",
            "What is the name of Ukraine's president?"]


class ArchiveWatch:
    """Notices stored articles changed by someone else (the CLI, another process) and refreshes the
    keyword index, so the chat finds them without a restart. Cheap: the store's write stamp per question
    (a file read), or a chunk count where the store has no stamp (a Chroma server)."""

    def __init__(self, assistant: Assistant):
        self.library = assistant.library
        self._lock = threading.Lock()
        self._seen = self._mark()

    def _mark(self):
        version = self.library.version()
        return ("version", version) if version is not None else ("count", self.library.count())

    def sync(self, force: bool = False) -> None:
        with self._lock:
            mark = self._mark()
            if force or mark != self._seen:
                self.library.refresh_derived()
                self._seen = mark


def example_questions(articles: list[dict]) -> list[str]:
    """The sample's questions when it is loaded, else questions about the newest stored headlines."""
    if any("summit" in (a.get("title", "") + a.get("id", "")).lower() for a in articles):
        return EXAMPLES
    newest = sorted(articles, key=lambda a: a.get("published_at", ""), reverse=True)[:3]
    return [f"What happened: {a['title'][:80]}?" for a in newest if a.get("title")] or EXAMPLES


def with_top_k(assistant: Assistant, top_k) -> Assistant:
    """`assistant` retrieving `top_k` passages: the same parts under changed settings (nothing reloads)."""
    if not top_k or int(top_k) == assistant.settings.top_k:
        return assistant
    return _variant(assistant, assistant.settings.replace(top_k=int(top_k)))


def _variant(assistant: Assistant, settings, generator=None) -> Assistant:
    """`assistant`'s archive, retriever and checks under other settings (and generator): nothing reloads."""
    return Assistant(assistant.library, assistant.retriever, generator or assistant.generator, settings,
                     fallback=assistant.fallback, rewriter=assistant.rewriter, scorer=assistant.scorer,
                     ranker=assistant.ranker)


def form_filters(date_from: str, date_to: str, sources) -> dict:
    """The filter fields as ask_stream filters (empty fields left out; dates are checked there)."""
    out: dict = {}
    if (date_from or "").strip():
        out["date_from"] = date_from.strip()
    if (date_to or "").strip():
        out["date_to"] = date_to.strip()
    if sources:
        out["sources"] = list(sources)
    return out
