"""A conversation as Markdown: each question, its verified answer and its citations with links.

Built from the Answers themselves (not the rendered chat), so the export says
exactly what was checked. A withheld draft is not exported. No gradio.
"""

from __future__ import annotations

from typing import Iterable

from assistant import Answer

from .cards import safe_url
from .render import WITHHELD_NOTE, _escape, draft_was_withheld

__all__ = ["export_markdown"]


def export_markdown(answers: Iterable[Answer]) -> str:
    """The conversation as a Markdown document."""
    parts = ["# Citewire conversation", ""]
    for answer in answers:
        parts += [f"## Q: {_escape(answer.question)}", ""]
        if answer.query and answer.query != answer.question:
            parts += [f"_Searched for: {_escape(answer.query)}_", ""]
        parts += [_escape(answer.text).replace("\\[", "[").replace("\\]", "]"), ""]
        if answer.abstained and draft_was_withheld(answer):
            parts += [f"_{WITHHELD_NOTE}_", ""]
        for c in answer.citations:
            title = _escape(c.title or c.article_id)
            url = safe_url(c.url)
            head = f"[{title}]({url})" if url else title
            meta = ", ".join(_escape(x) for x in (c.source, c.published_at) if x)
            parts.append(f"[{c.n}] {head}" + (f" ({meta})" if meta else "") + f", article `{c.article_id}`")
            parts.append(f"> {_escape(c.quote)}")
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"
