"""The Gradio page around a built Assistant (`python -m ui`): chat with checked answers, sources, library.

Importing `ui` does not import gradio; `build_app` and `launch_app` do, on call.
"""

from .render import render_answer, render_draft

__all__ = ["build_app", "launch_app", "render_answer", "render_draft"]


def build_app(assistant, **kwargs):
    """Build the page for `assistant` (imports gradio on call); see ui.app.build_app."""
    from .app import build_app as _build

    return _build(assistant, **kwargs)


def launch_app(app, **kwargs):
    """Launch `app` with the page's CSS and upload size limit; kwargs go to `Blocks.launch`."""
    from .app import launch_app as _launch

    return _launch(app, **kwargs)
