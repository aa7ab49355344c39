"""The Gradio chat page around a built Assistant (`python -m ui`)."""

from .render import render_answer, render_draft

__all__ = ["build_app", "render_answer", "render_draft"]


def build_app(assistant):
    """Build the chat page for `assistant` (imports gradio on call)."""
    from .app import build_app as _build

    return _build(assistant)
