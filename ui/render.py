"""Render an Answer as chat Markdown: the answer, then its sources.

Pure string formatting, no gradio: the same text serves the chat page and tests.
Each source shows its number, the article title (linked when it has a URL),
source and date, and the exact quoted sentence with its character offsets.
"""

from __future__ import annotations

import html

from assistant import Answer

__all__ = ["render_answer", "render_draft", "plain_history"]

_SOURCES = "\n\n**Sources**"
_SEARCHED = "\n\n_Searched for:"


def _escape(text: str) -> str:
    # Article text is data: never let it inject markup into the page.
    return html.escape(text, quote=False).replace("*", "\\*").replace("_", "\\_").replace("[", "\\[")


def render_draft(text: str) -> str:
    return f"_Drafting (not yet checked against the articles)…_\n\n{_escape(text)}"


def render_answer(answer: Answer) -> str:
    lines = [_escape(answer.text).replace("\\[", "[")]
    if answer.query and answer.query != answer.question:
        # A follow-up was rewritten before retrieval: show what was searched, for checking.
        lines += ["", f"_Searched for: {_escape(answer.query)}_"]
    if answer.abstained:
        rejected = [c for c in answer.claims if not c.supported and c.reason]
        if rejected:
            lines.append("")
            lines.append(f"_A draft answer was withheld: {_escape(rejected[0].reason)}._")
        return "\n".join(lines)
    lines += ["", "**Sources**"]
    for c in answer.citations:
        title = _escape(c.title or c.article_id)
        if c.url.startswith(("http://", "https://")):
            title = f"[{title}]({c.url})"
        meta = ", ".join(x for x in (c.source, c.published_at) if x)
        lines.append(f"{c.n}. {title}" + (f" ({_escape(meta)})" if meta else ""))
        lines.append(f"   > \u201c{_escape(c.quote)}\u201d")
        lines.append(f"   > <sub>{_escape(c.article_id)}, characters {c.start}\u2013{c.end}</sub>")
    return "\n".join(lines)


def plain_history(history) -> list[dict]:
    """Chat history as the assistant should read it: our rendered answers cut back to their
    text (no sources, no markup), so follow-up rewriting sees what was said, not the quotes."""
    turns = []
    for item in history or ():
        role, text = (item.get("role"), item.get("content")) if isinstance(item, dict) else item
        if not isinstance(text, str):
            continue
        if role == "assistant":
            for marker in (_SEARCHED, _SOURCES):
                text = text.split(marker)[0]
            text = text.replace("\\", "")
        turns.append({"role": role, "content": text})
    return turns
