"""Render the chat messages: progress while working, then the verified Answer as Markdown.

Pure string formatting, no gradio: the same text serves the chat page and tests.
A draft is never rendered: while the assistant works the reader sees only what
it is doing, then the checked answer with its key phrase in bold and a short
source list (title, outlet, date, the quoted sentence). When the answer was
withheld, the page says so in general terms and never shows the rejected text.
Character offsets stay in the API (`Citation.start/end`), not on screen; the
full source cards with the quote in its paragraph are `ui/cards.py`.
"""

from __future__ import annotations

import html
import re

from assistant import NOT_FOUND, Answer

from .cards import safe_url
from .history import ANSWER_END, PROGRESS_MARK, plain_history

__all__ = ["render_answer", "render_progress", "render_draft", "plain_history", "WITHHELD_NOTE"]

WITHHELD_NOTE = "A draft answer was withheld because the articles found did not support it."
_MARKER = re.compile(r"\\\[(\d+(?:\s*,\s*\d+)*)\\\]")


def _escape(text: str) -> str:
    # Article text is data: never let it inject markup into the page.
    return (html.escape(text, quote=False).replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
            .replace("[", "\\[").replace("]", "\\]").replace("`", "\\`"))


def render_progress(stage: str, words: int = 0) -> str:
    """What the assistant is doing, never what it drafted: stage is "search" or "check"."""
    if stage == "search":
        note = "Searching the archive\u2026"
    else:
        note = "Drafting an answer from the articles found and checking it against them\u2026"
        if words:
            note += f" ({words} words drafted; shown only once checked)"
    return f"{PROGRESS_MARK}_{note}_"


def render_draft(text: str) -> str:
    """Kept for API compatibility: a draft is never shown, only that one is being checked."""
    return render_progress("check", len(text.split()))


def _answer_markdown(answer: Answer) -> str:
    text = _escape(answer.text)
    if answer.span and not answer.abstained:
        span = _escape(answer.span)
        if span in text:
            text = text.replace(span, f"**{span}**", 1)
    # Each marker links to its source card beside the chat (ui/cards.py gives card n the id cw-source-n).
    return _MARKER.sub(lambda m: "[" + ", ".join(
        f'<a href="#cw-source-{n.strip()}" class="cw-marker">{n.strip()}</a>' for n in m.group(1).split(",")) + "]",
        text)


def draft_was_withheld(answer: Answer) -> bool:
    """True when the generator wrote something that verification then rejected."""
    draft = answer.draft.strip()
    return bool(draft) and draft != NOT_FOUND and any(not c.supported for c in answer.claims)


def render_answer(answer: Answer) -> str:
    """The chat message for a verified Answer (the text above ANSWER_END is what follow-ups read)."""
    lines = [_answer_markdown(answer) + ANSWER_END]
    if answer.query and answer.query != answer.question:
        # A follow-up was rewritten before retrieval: show what was searched, for checking.
        lines += ["", f"_Searched for: {_escape(answer.query)}_"]
    if answer.abstained:
        if draft_was_withheld(answer):
            lines += ["", f"<details><summary>Why no answer?</summary>{WITHHELD_NOTE}</details>"]
        return "\n".join(lines)
    lines += ["", "**Sources**"]
    for c in answer.citations:
        title = _escape(c.title or c.article_id)
        url = safe_url(c.url)
        if url:
            title = f"[{title}]({url})"
        meta = ", ".join(_escape(x) for x in (c.source, c.published_at) if x)
        lines.append(f"{c.n}. {title}" + (f" ({meta})" if meta else ""))
        lines.append(f"   > \u201c{_escape(c.quote)}\u201d")
    return "\n".join(lines)
