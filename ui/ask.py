"""What the chat form adds to a question, without gradio: filters, top-k, examples, a fresh archive.

`form_filters` turns the filter fields into `Assistant.ask_stream`'s filters;
`with_top_k` gives the same Assistant parts under another top-k (nothing is
rebuilt or reloaded); `ArchiveWatch` refreshes the keyword index when another
process (the CLI) changed the stored articles, so the page finds them without
a restart; `example_questions` picks example questions for the loaded archive.
"""

from __future__ import annotations

import threading

from assistant import Assistant

__all__ = ["ArchiveWatch", "EXAMPLES", "example_questions", "form_filters", "with_top_k"]

EXAMPLES = ["Who proposed the summit?", "What did Belarus say about Russian forces?",
            "What is the name of Ukraine's president?"]


class ArchiveWatch:
    """Notices stored articles changed by someone else (the CLI, another process) and refreshes the
    keyword index, so the chat finds them without a restart. Cheap: one count per question."""

    def __init__(self, assistant: Assistant):
        self.library = assistant.library
        self._lock = threading.Lock()
        self._count = self.library.count()

    def sync(self, force: bool = False) -> None:
        with self._lock:
            count = self.library.count()
            if force or count != self._count:
                self.library.refresh_derived()
                self._count = count


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
    return Assistant(assistant.library, assistant.retriever, assistant.generator,
                     assistant.settings.replace(top_k=int(top_k)), fallback=assistant.fallback,
                     rewriter=assistant.rewriter, scorer=assistant.scorer, ranker=assistant.ranker)


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
