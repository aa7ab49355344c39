"""Chat history as the assistant reads it, from whatever shape the page sends.

Gradio 6 sends each message's `content` as a list of parts
(`[{"type": "text", "text": "..."}]`), older pages and API callers send plain
strings, (role, text) pairs or [user, bot] pairs, and a part may be a file or
a component. Only the text survives; files and components are dropped. Our own
rendered answers are cut back to their text (no sources, no progress notes),
so follow-up rewriting sees what was said, not the quotes. No gradio import.
"""

from __future__ import annotations

import html
import re

__all__ = ["message_text", "plain_history", "ANSWER_END", "PROGRESS_MARK"]

# Everything after this in a rendered answer is ours (sources, notes), not what the assistant said.
ANSWER_END = "\n\n<!-- citewire:end -->"
# A message that only says what is being done (searching, checking): never part of the history.
PROGRESS_MARK = "<!-- citewire:progress -->"
# Older renders (and tests) cut at these instead.
_LEGACY_CUTS = ("\n\n**Sources**", "\n\n_Searched for:")
_ROLES = ("user", "assistant", "system")


MAX_DEPTH = 8  # content nested deeper than this (no chat client sends it) is read as no text


def message_text(content, _depth: int = 0) -> str:
    """The text of one message's content: a string, a text part, or a list of parts (files skipped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if _depth >= MAX_DEPTH:  # hostile nesting: never a RecursionError
        return ""
    if isinstance(content, (list, tuple)):
        return "\n".join(t for t in (message_text(part, _depth + 1) for part in content) if t)
    if isinstance(content, dict):
        kind = content.get("type")
        if kind not in (None, "text"):
            return ""  # a file, image or component part
        text = content.get("text", content.get("content"))
        return message_text(text, _depth + 1) if isinstance(text, (str, list, tuple, dict)) else ""
    # A gradio ChatMessage/TextMessage-like object.
    for attr in ("text", "content"):
        value = getattr(content, attr, None)
        if isinstance(value, (str, list, tuple, dict)):
            return message_text(value, _depth + 1)
    return ""


def _strip_rendered(text: str) -> str:
    """Our Markdown back to the words: tags (marker links), bold and escapes removed, entities decoded.
    Safe because render.py escapes every "<", "*" and "\\" of the answer itself."""
    cut = text.split(ANSWER_END)[0]
    for marker in _LEGACY_CUTS:
        cut = cut.split(marker)[0]
    cut = re.sub(r"(?<!\\)\*\*", "", re.sub(r"<[^>]*>", "", cut))
    cut = re.sub(r"\\(.)", r"\1", cut)
    return html.unescape(cut).strip()


def _messages(history):
    """(role, content) for every message, whatever the container shape."""
    for item in history or ():
        if isinstance(item, dict):
            yield item.get("role"), item.get("content")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            first, second = item
            if isinstance(first, str) and first in _ROLES:
                yield first, second
            else:  # legacy [user, bot] pair
                yield "user", first
                yield "assistant", second
        elif hasattr(item, "role"):
            yield getattr(item, "role"), getattr(item, "content", None)


def plain_history(history) -> list[dict]:
    """User and assistant turns as {"role", "content": str}; system, empty, non-text and progress-only
    messages (a question stopped before its answer) are dropped."""
    turns = []
    for role, content in _messages(history):
        if role not in ("user", "assistant"):
            continue
        text = message_text(content)
        if role == "assistant":
            if PROGRESS_MARK in text:
                continue
            text = _strip_rendered(text)
        text = text.strip()
        if text:
            turns.append({"role": role, "content": text})
    return turns
