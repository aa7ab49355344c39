"""The Gradio page: a thin shell around an already-built Assistant.

Chat tab: the question, then only progress ("Searching the archive…",
"Checking…") while the assistant works, then the verified answer; a draft is
never shown. Beside it, the source cards of the latest answer (the quote
highlighted in its paragraph) and an "open article" view of any cited article,
read from the store. Filters (dates, sources, "as of") and a Markdown export of
the conversation. Library tab: upload and ingest files with a per-file report,
a searchable article list with remove, and corpus stats.

gradio is imported only here (and launched from ui/__main__); the rest of ui/
(render.py, cards.py, history.py, archive.py, export.py, ask.py) never imports it.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from assistant import Assistant

from .ask import (ArchiveWatch, Models, ask_events, example_questions, form_filters, make_gate, render_busy,
                  render_waiting, with_top_k)
from .archive import ARTICLE_COLUMNS, MAX_UPLOAD_BYTES, UPLOAD_TYPES, article_rows, corpus_stats, render_report, \
    save_uploads
from .cards import CARDS_CSS, cited_articles, render_article, render_cards
from .export import export_markdown
from .gate import ModelGate, QueueFull
from .history import ANSWER_END, message_text, plain_history
from .render import _escape as escape_markdown
from .render import render_answer, render_progress

__all__ = ["build_app", "launch_app", "TITLE", "CSS"]

TITLE = "Citewire"
CSS = CARDS_CSS


def build_app(assistant: Assistant, upload_dir: str | Path | None = None, max_upload_bytes: int = MAX_UPLOAD_BYTES,
              gate: ModelGate | None = None, generators: tuple[str, ...] = ()):
    """The page for `assistant`; uploads are saved under `upload_dir` (default: <data_dir>/uploads).

    Questions wait for the model in `gate`'s line (default: a gate of the page's own; the server passes
    the one its API uses), so the page can run them all at once and each reader sees their place.
    `generators`: more generator names a reader may pick besides the served one, extractive and local
    (e.g. "ollama:llama3.2:3b", "openai:http://127.0.0.1:8000/v1#model"; see `Models`)."""
    import gradio as gr

    gate = gate or make_gate(assistant)
    models = Models(assistant, gate, tuple(generators))

    library = assistant.library
    uploads = Path(upload_dir) if upload_dir else Path(assistant.settings.data_dir) / "uploads"
    watch = ArchiveWatch(assistant)

    def source_choices(articles: list[dict]) -> list[str]:
        return sorted({a["source"] for a in articles if a.get("source")})

    def respond(message: str, history: list, answers: list, date_from: str, date_to: str, sources, as_of: str,
                top_k=None, model=None):
        message = (message or "").strip()
        if not message:
            yield (gr.skip(),) * 7
            return
        turns = plain_history(history)
        shown = list(history or []) + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]

        def note(text: str) -> tuple:
            shown[-1] = {"role": "assistant", "content": text}
            return (shown, "") + (gr.skip(),) * 5

        watch.sync()
        try:
            chosen, line = models.get(model)
        except Exception as exc:  # noqa: BLE001 - an unknown name, or a model that cannot load: said, not raised
            yield note(f"Could not answer: {escape_markdown(str(exc))}")
            return
        try:
            ticket = line.ticket()
        except QueueFull as exc:  # a clear message now, rather than a wait that ends in a timeout
            yield note(render_busy(exc))
            return
        first = render_progress("search") if ticket.admitted else render_waiting(ticket.ahead())
        events = ask_events(with_top_k(chosen, top_k), message, turns, (as_of or "").strip() or date.today(),
                            form_filters(date_from, date_to, sources), ticket)  # from here on it frees the ticket
        try:
            yield note(first)
            for event in events:
                if event[0] == "queue":
                    yield note(render_waiting(event[1]))
                elif event[0] == "progress":
                    # Only the fact that a draft is being checked, never its words.
                    yield note(render_progress(event[1], event[2]))
                elif event[0] == "error":
                    failure = event[1]
                    # A malformed filter date is the question's fault; anything else is the model's side.
                    lead = "Could not search" if failure.kind == "input" else "Could not answer"
                    yield note(f"{lead}: {escape_markdown(failure.message)}")
                else:
                    item = event[1]
                    answers = list(answers or []) + [item]
                    shown[-1] = {"role": "assistant", "content": render_answer(item)}
                    choices = cited_articles(answers)
                    first = item.citations[0].article_id if item.citations else None
                    download = export(answers)
                    try:
                        yield (shown, "", answers, render_cards(item, library.article_text),
                               gr.update(choices=choices, value=first), show_article(first, answers), download)
                    finally:  # gradio has copied it into its cache by the time it asks for more
                        shutil.rmtree(Path(download).parent, ignore_errors=True)
        finally:
            events.close()  # a reader who left while waiting leaves the line

    def show_article(article_id: str | None, answers: list) -> str:
        if not article_id:
            return ""
        citations = [c for ans in (answers or []) for c in ans.citations]
        # The citation carries the article's headline, outlet, date and URL: no need to list the archive.
        cited = next((c for c in citations if c.article_id == article_id), None)
        row = ({"id": article_id, "title": cited.title, "source": cited.source, "published_at": cited.published_at,
                "url": cited.url} if cited else
               next((a for a in library.list_articles() if a["id"] == article_id), None))
        return render_article(row, library.article_text(article_id), citations)

    def pick_answer(history: list, answers: list, evt: gr.SelectData):
        """Clicking an answer in the chat shows its sources (the panel otherwise shows the latest)."""
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        history = list(history or [])
        if not 0 <= index < len(history) or ANSWER_END not in message_text(history[index].get("content")):
            return gr.skip(), gr.skip(), gr.skip()
        n = sum(ANSWER_END in message_text(m.get("content")) for m in history[:index + 1]
                if m.get("role") == "assistant")
        if not 0 < n <= len(answers or []):
            return gr.skip(), gr.skip(), gr.skip()
        answer = answers[n - 1]
        first = answer.citations[0].article_id if answer.citations else None
        return render_cards(answer, library.article_text), gr.update(value=first), show_article(first, answers)

    # gradio finds the event-data argument by its annotation, which `from __future__ import annotations`
    # turned into a string it cannot resolve (gradio is imported in this function only).
    pick_answer.__annotations__["evt"] = gr.SelectData

    def new_chat():
        return [], "", [], render_cards(None, library.article_text), gr.update(choices=[], value=None), "", None

    def export(answers: list) -> str:
        text = export_markdown(answers or [])
        folder = Path(tempfile.mkdtemp(prefix="citewire-export-"))
        path = folder / "citewire-conversation.md"
        path.write_text(text, encoding="utf-8")
        return str(path)

    def library_view(search: str = ""):
        articles = library.list_articles()
        rows = article_rows(articles, search or "")
        return (corpus_stats(articles), rows, gr.update(choices=[r[-1] for r in rows], value=[]),
                gr.update(choices=source_choices(articles)))

    def ingest(files, urls: str, search: str, progress=gr.Progress()):
        saved, refused = save_uploads(files or [], uploads, max_upload_bytes)
        links = [u.strip() for u in (urls or "").splitlines() if u.strip()]
        refused += [f"{u}: only http(s) URLs" for u in links if not u.lower().startswith(("http://", "https://"))]
        links = [u for u in links if u.lower().startswith(("http://", "https://"))]
        report = None
        if saved or links:
            done = [0]

            def on_article(article_id: str, outcome: str, chunks: int) -> None:
                done[0] += 1
                progress((done[0], None), desc=f"{outcome}: {article_id}"[:80], unit="articles")

            progress(0, desc="Reading and embedding the articles…")
            report = library.ingest(saved + links, on_article=on_article)
        watch.sync(force=True)
        return (render_report(report, refused), None, "") + library_view(search)

    def remove(ids, search: str):
        removed = library.remove(ids or [])
        watch.sync(force=True)
        note = f"Removed {len(removed)} article(s)." if removed else "Nothing removed."
        return (note,) + library_view(search)

    def refresh(search: str):
        watch.sync(force=True)
        return library_view(search)

    # The archive's listing (1.5 s at 13,000 articles) fills the Library tab on page load, not here: the
    # page serves before the archive is read. Examples need only the last few articles stored.
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"# {TITLE}\nAsk the news archive. Every sentence of an answer cites the article sentence it "
                    "comes from; when the articles do not say, Citewire says so.")
        answers = gr.State([])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(height=520, sanitize_html=True, render_markdown=True, elem_id="cw-chat",
                                             label="Conversation", feedback_options=None)
                        question = gr.Textbox(placeholder="Ask about the archive, e.g. who proposed the summit",
                                              show_label=False, elem_id="cw-question", lines=1)
                        with gr.Row():
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="cw-ask")
                            new_btn = gr.Button("New chat", elem_id="cw-new")
                            export_btn = gr.DownloadButton("Export as Markdown", elem_id="cw-export")  # set per answer
                        gr.Examples(example_questions(library.latest_articles(3)), inputs=question,
                                    label="Examples")
                        with gr.Accordion("Filters", open=False):
                            with gr.Row():
                                date_from = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="cw-from")
                                date_to = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="cw-to")
                                as_of = gr.Textbox(label="As of (for \"this week\"; default today)",
                                                   elem_id="cw-asof")
                            # Choices arrive with the archive on page load; a typed source name is a filter too.
                            sources = gr.Dropdown([], multiselect=True, label="Sources",
                                                  elem_id="cw-sources", allow_custom_value=True)
                            with gr.Row():
                                top_k = gr.Slider(1, 20, value=assistant.settings.top_k, step=1,
                                                  label="Passages retrieved (top-k)", elem_id="cw-topk")
                                model = gr.Dropdown(models.names, value=models.default, label="Model",
                                                    elem_id="cw-model", allow_custom_value=False,
                                                    info="extractive quotes the best sentence; local is Gemma "
                                                         "3 270M (loads on first use)")
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources")
                        cards = gr.HTML(render_cards(None, library.article_text), elem_id="cw-cards")
                        article_pick = gr.Dropdown([], label="Open a cited article", elem_id="cw-open",
                                                   allow_custom_value=False)
                        article_view = gr.HTML("", elem_id="cw-article")
            with gr.Tab("Library", id="library"):
                stats = gr.Markdown("Reading the archive…", elem_id="cw-stats")
                with gr.Row():
                    files = gr.File(file_count="multiple", file_types=list(UPLOAD_TYPES), label="Upload articles",
                                    elem_id="cw-upload")
                    urls = gr.Textbox(lines=3, label="Or paste http(s) URLs, one a line", elem_id="cw-urls")
                ingest_btn = gr.Button("Ingest", variant="primary", elem_id="cw-ingest")
                report = gr.Markdown(elem_id="cw-report")
                search = gr.Textbox(label="Search articles", elem_id="cw-search")
                table = gr.Dataframe([], headers=ARTICLE_COLUMNS, interactive=False,
                                     elem_id="cw-table", wrap=True)
                with gr.Row():
                    remove_pick = gr.Dropdown([], multiselect=True,
                                              allow_custom_value=True,  # an id of an article not in the table
                                              label="Articles to remove", elem_id="cw-remove-pick")
                    remove_btn = gr.Button("Remove", variant="stop", elem_id="cw-remove")
                    refresh_btn = gr.Button("Refresh", elem_id="cw-refresh")

        chat_in = [question, chatbot, answers, date_from, date_to, sources, as_of, top_k, model]
        chat_out = [chatbot, question, answers, cards, article_pick, article_view, export_btn]
        # No gradio limit on questions: they wait in the gate's line, shared with the API, and see their place.
        question.submit(respond, chat_in, chat_out, api_name="ask", concurrency_limit=None)
        ask_btn.click(respond, chat_in, chat_out, api_visibility="private", concurrency_limit=None)
        new_btn.click(new_chat, None, chat_out, api_visibility="private")
        chatbot.select(pick_answer, [chatbot, answers], [cards, article_pick, article_view], api_visibility="private")
        article_pick.change(show_article, [article_pick, answers], article_view, api_visibility="private")
        library_out = [stats, table, remove_pick, sources]
        ingest_btn.click(ingest, [files, urls, search], [report, files, urls] + library_out, api_name="ingest",
                         concurrency_limit=1)
        remove_btn.click(remove, [remove_pick, search], [report] + library_out, api_name="remove",
                         concurrency_limit=1)
        refresh_btn.click(refresh, search, library_out, api_visibility="private")
        search.change(library_view, search, library_out, api_visibility="private")
        app.load(library_view, search, library_out, api_visibility="private")
        gr.api(_chat_api(assistant, watch, gate), api_name="chat", concurrency_limit=None)
    return app


def _chat_api(assistant: Assistant, watch: ArchiveWatch, gate: ModelGate):
    def chat(message: str, history: list | None = None) -> str:
        """The verified answer to `message` (with its sources) as Markdown; `history` in any chat format."""
        watch.sync()
        try:
            ticket = gate.ticket()
        except QueueFull as exc:
            return render_busy(exc)
        event = None
        for event in ask_events(assistant, message, plain_history(history), date.today(), {}, ticket):
            pass
        if event[0] == "error":
            return f"Could not answer: {escape_markdown(event[1].message)}"
        return render_answer(event[1])

    return chat


def launch_app(app, **kwargs):
    """`app.launch` with the page's CSS and upload limit (kwargs win)."""
    kwargs.setdefault("css", CSS)
    kwargs.setdefault("max_file_size", MAX_UPLOAD_BYTES)
    return app.launch(**kwargs)
