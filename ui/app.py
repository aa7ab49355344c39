"""The Gradio chat page: a thin shell around an already-built Assistant.

Streams the draft while the model writes it, then replaces it with the verified
answer and its sources. gradio is imported only here (and in ui/__main__).
"""

from __future__ import annotations

from datetime import date
from typing import Iterator

from assistant import Answer, Assistant

from .render import plain_history, render_answer, render_draft

__all__ = ["build_app", "TITLE", "EXAMPLES"]

TITLE = "Citewire"
EXAMPLES = ["Who proposed the summit?", "What did Belarus say about Russian forces?",
            "What is the name of Ukraine's president?"]


def build_app(assistant: Assistant):
    import gradio as gr

    def respond(message: str, history: list) -> Iterator[str]:
        draft = ""
        # as_of: today, so "this week" means this week; history without our rendered sources.
        for item in assistant.ask_stream(message, plain_history(history), as_of=date.today()):
            if isinstance(item, Answer):
                yield render_answer(item)
            else:
                draft += item
                yield render_draft(draft)

    return gr.ChatInterface(
        respond,
        title=TITLE,
        description="Ask the news archive. Every sentence of an answer cites the article sentence it comes from; "
        "when the articles do not say, Citewire says so.",
        examples=EXAMPLES,
        cache_examples=False,
        chatbot=gr.Chatbot(height=560, sanitize_html=True, render_markdown=True),
        analytics_enabled=False,
        api_name="chat",
        concurrency_limit=1,  # one llama.cpp model, answers one question at a time
    )
