import socket

import pytest

from assistant import Answer, Citation, Claim
from ui import render_answer


def test_render_answer_lists_sources_with_quote_and_offsets():
    c = Citation(1, "a1", "Summit *talks*", "http://news/1", "2022-02-21", "Macron proposed it.", 10, 29, 1.0, "Kyodo")
    md = render_answer(Answer("q", "Macron proposed it [1].", False, citations=(c,)))
    assert md.startswith("Macron proposed it [1].")
    assert "1. [Summit \\*talks\\*](http://news/1) (Kyodo, 2022-02-21)" in md
    assert "\u201cMacron proposed it.\u201d" in md and "characters 10\u201329" in md


def test_render_abstention_explains_a_withheld_draft_and_escapes_html():
    ans = Answer("q", "The articles I have do not answer that.", True,
                 claims=(Claim("<b>X</b>", False, 0.0, reason="no retrieved article mentions <script>"),))
    md = render_answer(ans)
    assert "withheld" in md and "<script>" not in md


def test_rewritten_follow_up_is_shown_and_history_loses_the_sources():
    from ui.render import plain_history

    c = Citation(1, "a1", "Summit", "", "2022-02-21", "Macron proposed it.", 10, 29, 1.0, "Kyodo")
    first = render_answer(Answer("Who proposed the summit?", "Emmanuel Macron proposed it [1].", False,
                                 citations=(c,), query="Who proposed the summit?"))
    assert "Searched for" not in first
    follow = render_answer(Answer("Who did he call?", "He called Biden [1].", False, citations=(c,),
                                  query="Who did Emmanuel Macron call?"))
    assert "_Searched for: Who did Emmanuel Macron call?_" in follow
    history = plain_history([{"role": "user", "content": "Who proposed the summit?"},
                             {"role": "assistant", "content": first}])
    assert history[1] == {"role": "assistant", "content": "Emmanuel Macron proposed it [1]."}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chat_page_answers_through_gradio_client(make_assistant, sample_path):
    pytest.importorskip("gradio")
    from gradio_client import Client

    from ui import build_app

    a = make_assistant("extractive")
    a.ingest([str(sample_path)])
    app = build_app(a)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        reply = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("who proposed the summit",
                                                                           api_name="/chat")
        assert "Macron" in reply and "**Sources**" in reply
        assert "proposed by French President Emmanuel Macron" in reply
    finally:
        app.close()
