"""The page's formatting (no browser): answers, progress, history shapes, cards, library helpers, export;
and the real page's HTTP endpoints through gradio_client."""

import socket
from types import SimpleNamespace

import pytest

from assistant import Answer, Citation, Claim
from ui import render_answer
from ui.archive import corpus_stats, render_report, safe_upload_name, save_uploads
from ui.cards import cited_articles, quote_in_paragraph, render_article, render_cards, safe_url
from ui.export import export_markdown
from ui.history import message_text, plain_history
from ui.render import WITHHELD_NOTE, render_draft, render_progress

ARTICLE = "Headline line\n\nFirst paragraph. Macron proposed it. More words.\n\nSecond paragraph."
START = ARTICLE.index("Macron proposed it.")
CIT = Citation(1, "a1", "Summit *talks*", "http://news/1", "2022-02-21", "Macron proposed it.", START,
               START + len("Macron proposed it."), 1.0, "Kyodo")


def test_render_answer_lists_sources_with_quote_but_no_offsets():
    md = render_answer(Answer("q", "Macron proposed it [1].", False, citations=(CIT,)))
    # The marker links to its source card beside the chat.
    assert md.startswith('Macron proposed it [<a href="#cw-source-1" class="cw-marker">1</a>].')
    assert "1. [Summit \\*talks\\*](http://news/1) (Kyodo, 2022-02-21)" in md
    assert "\u201cMacron proposed it.\u201d" in md
    assert "characters" not in md and str(START) not in md


def test_answer_key_phrase_is_bold():
    md = render_answer(Answer("q", "Emmanuel Macron proposed it [1].", False, citations=(CIT,), span="Emmanuel Macron"))
    assert md.startswith("**Emmanuel Macron** proposed it [")
    assert plain_history([{"role": "assistant", "content": md}]) == [
        {"role": "assistant", "content": "Emmanuel Macron proposed it [1]."}]
    two = render_answer(Answer("q", "A & B <i>said</i> it [1, 2].", False, citations=(CIT,)))
    assert 'href="#cw-source-2"' in two and "<i>" not in two
    assert plain_history([{"role": "assistant", "content": two}])[0]["content"] == "A & B <i>said</i> it [1, 2]."


def test_javascript_urls_are_never_links():
    bad = Citation(1, "a1", "T", "javascript:alert(1)", "", "Q.", 0, 2, 1.0)
    md = render_answer(Answer("q", "Q [1].", False, citations=(bad,)))
    assert "javascript" not in md
    for bad_url in ("javascript:alert(1)", " JaVaScRiPt:x", "data:text/html,x", "//evil.org", "http://"):
        assert safe_url(bad_url) == ""
    assert safe_url("https://x.org/a b)\"<") == "https://x.org/a%20b%29%22%3C"
    assert "javascript" not in render_cards(Answer("q", "Q [1].", False, citations=(bad,)), lambda _: None)


def test_abstention_never_shows_the_rejected_draft_or_its_reason():
    ans = Answer("What is the name of Ukraine's president?", "The articles I have do not say.", True,
                 claims=(Claim("Volodymyr Zelenskiy is president.", False, 0.0,
                               reason="no retrieved article mentions Volodymyr, Zelenskiy"),),
                 draft="Volodymyr Zelenskiy is president.")
    md = render_answer(ans)
    assert "Zelenskiy" not in md and "Volodymyr" not in md
    assert WITHHELD_NOTE in md and "<details>" in md
    assert "Zelenskiy" not in export_markdown([ans])
    # The model itself said the articles do not answer: nothing was withheld.
    plain = Answer("q", "The articles I have do not say.", True, draft="Not in the articles.",
                   claims=(Claim("Not in the articles.", False, 0.0, reason="the model said so"),))
    assert WITHHELD_NOTE not in render_answer(plain)


def test_progress_never_contains_draft_text():
    assert "Zelenskiy" not in render_draft("Volodymyr Zelenskiy")
    assert "Searching" in render_progress("search")
    assert "3 words" in render_progress("check", 3)


def test_abstention_escapes_html():
    ans = Answer("q", "<b>no</b>", True, claims=(Claim("<b>X</b>", False, 0.0, reason="<script>"),), draft="<b>X</b>")
    md = render_answer(ans)
    assert "<script>" not in md and "<b>" not in md


def test_rewritten_follow_up_is_shown_and_history_loses_the_sources():
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


@pytest.mark.parametrize("shape", ["gradio6_parts", "strings", "role_tuples", "pairs", "objects", "part_dict"])
def test_plain_history_reads_every_shape_gradio_sends(shape):
    answer = render_answer(Answer("q", "Emmanuel Macron proposed it [1].", False, citations=(CIT,)))
    if shape == "gradio6_parts":
        history = [{"role": "user", "content": [{"type": "text", "text": "who proposed the summit"}],
                    "metadata": None, "options": None},
                   {"role": "assistant", "content": [{"type": "text", "text": answer}], "metadata": None}]
    elif shape == "strings":
        history = [{"role": "user", "content": "who proposed the summit"}, {"role": "assistant", "content": answer}]
    elif shape == "role_tuples":
        history = [("user", "who proposed the summit"), ("assistant", answer)]
    elif shape == "pairs":
        history = [["who proposed the summit", answer]]
    elif shape == "objects":
        history = [SimpleNamespace(role="user", content="who proposed the summit"),
                   SimpleNamespace(role="assistant", content=[SimpleNamespace(text=answer, type="text")])]
    else:
        history = [{"role": "user", "content": {"type": "text", "text": "who proposed the summit"}},
                   {"role": "assistant", "content": {"text": answer}}]
    assert plain_history(history) == [{"role": "user", "content": "who proposed the summit"},
                                      {"role": "assistant", "content": "Emmanuel Macron proposed it [1]."}]


def test_plain_history_drops_files_system_and_progress_messages():
    history = [{"role": "system", "content": "be nice"},
               {"role": "user", "content": [{"type": "file", "file": {"path": "/tmp/x.png"}},
                                            {"type": "text", "text": "what is this"}]},
               {"role": "assistant", "content": [{"type": "text", "text": render_progress("check", 5)}]},
               {"role": "user", "content": None}]
    assert plain_history(history) == [{"role": "user", "content": "what is this"}]
    assert message_text([{"type": "text", "text": "a"}, "b", {"type": "image", "url": "u"}]) == "a\nb"


def test_card_highlights_the_quote_inside_its_paragraph():
    html = quote_in_paragraph(ARTICLE, CIT)
    assert html == "First paragraph. <mark>Macron proposed it.</mark> More words."
    cards = render_cards(Answer("q", "x [1].", False, citations=(CIT,)), lambda _: ARTICLE)
    assert "<mark>Macron proposed it.</mark>" in cards and "Kyodo" in cards and "2022-02-21" in cards
    assert 'href="http://news/1"' in cards and "Summit *talks*" in cards
    # Offsets that no longer match (article updated): the quote is found by text, or shown alone.
    moved = Citation(1, "a1", "T", "", "", "Macron proposed it.", 0, 5, 1.0)
    assert "<mark>Macron proposed it.</mark> More words." in quote_in_paragraph(ARTICLE, moved)
    assert quote_in_paragraph(None, moved) == "<mark>Macron proposed it.</mark>"


EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_article_text_and_titles_are_escaped_everywhere():
    quote = f"He said {EVIL} today."
    text = f"{EVIL}\n\n{quote}"
    c = Citation(1, "evil", EVIL, "javascript:alert(3)", "2022-01-01", quote, len(EVIL) + 2,
                 len(EVIL) + 2 + len(quote), 1.0, EVIL)
    ans = Answer("q", f"He said {EVIL} [1].", False, citations=(c,))
    for out in (render_answer(ans), render_cards(ans, lambda _: text),
                render_article({"id": "evil", "title": EVIL, "source": EVIL, "url": "javascript:alert(3)"}, text, [c]),
                cited_articles([ans])[0][0] and render_report(None, [EVIL])):
        assert "<script>" not in out and "<img" not in out and "javascript:" not in out
    assert "&lt;script&gt;" in render_cards(ans, lambda _: text)


def test_article_view_highlights_every_cited_sentence_and_works_without_url():
    c2 = Citation(2, "a1", "T", "", "", "Second paragraph.", ARTICLE.index("Second"), len(ARTICLE), 1.0)
    row = {"id": "a1", "title": "Summit", "source": "Kyodo", "published_at": "2022-02-21", "url": ""}
    out = render_article(row, ARTICLE, [CIT, c2])
    assert "<p>First paragraph. <mark>Macron proposed it.</mark> More words.</p>" in out
    assert "<p><mark>Second paragraph.</mark></p>" in out and "<a " not in out
    assert "not in the archive" in render_article(None, None)


def test_upload_names_never_leave_the_folder(tmp_path):
    for evil in ("../../etc/passwd.txt", "..\\..\\x.md", "/abs/path/kyodo-2022-02-21-a.txt", ".hidden.txt", ""):
        name = safe_upload_name(evil)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and name
    assert safe_upload_name("/abs/path/kyodo-2022-02-21-a.txt") == "kyodo-2022-02-21-a.txt"
    src = tmp_path / "src"
    src.mkdir()
    ok = src / "in.txt"
    ok.write_text("hello")
    big = src / "big.txt"
    big.write_text("x" * 2000)
    exe = src / "run.sh"
    exe.write_text("x")
    saved, refused = save_uploads([SimpleNamespace(path=str(ok), orig_name="../../../escape.txt"), big, exe],
                                  tmp_path / "data" / "uploads", max_bytes=1000)
    assert saved == [str((tmp_path / "data" / "uploads" / "escape.txt").resolve())]
    assert any("upload limit" in r for r in refused) and any("not a supported type" in r for r in refused)
    assert not (tmp_path / "escape.txt").exists()


def test_corpus_stats_and_export():
    arts = [{"id": "a", "title": "A", "source": "Kyodo", "published_at": "2022-02-21", "chunks": 3},
            {"id": "b", "title": "B", "source": "CNN", "published_at": "2022-06-01", "chunks": 2}]
    stats = corpus_stats(arts)
    assert "**2** articles" in stats and "**5** chunks" in stats and "2022-02-21 to 2022-06-01" in stats
    assert "CNN, Kyodo" in stats
    md = export_markdown([Answer("who proposed the summit", "Macron proposed it [1].", False, citations=(CIT,))])
    assert "## Q: who proposed the summit" in md and "Macron proposed it [1]." in md
    assert "[1] [Summit \\*talks\\*](http://news/1) (Kyodo, 2022-02-21)" in md and "> Macron proposed it." in md


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(make_assistant, sample_path, tmp_path):
    """The real page over the sample article (extractive generator), served on a loopback port."""
    pytest.importorskip("gradio")
    from ui import build_app, launch_app

    a = make_assistant("extractive")
    a.ingest([str(sample_path)])
    app = build_app(a)
    port = free_port()
    launch_app(app, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", assistant=a, app=app)
    finally:
        app.close()


def test_chat_api_answers_through_gradio_client(served):
    from gradio_client import Client

    reply = Client(served.url, verbose=False).predict("who proposed the summit", api_name="/chat")  # no history
    assert "Macron" in reply and "**Sources**" in reply
    assert "proposed by French President Emmanuel Macron" in reply


def test_page_follow_up_keeps_its_context_through_the_real_endpoint(served):
    """Regression: the page sends history as lists of parts; the follow-up must still be rewritten."""
    from gradio_client import Client

    client = Client(served.url, verbose=False)
    first = client.predict("who proposed the summit", [], "", "", [], "", 5, api_name="/ask")
    history = first[0]
    assert "Emmanuel Macron" in str(history[-1]["content"])
    second = client.predict("When did he call them?", history, "", "", [], "", 5, api_name="/ask")
    last = str(second[0][-1]["content"])
    assert "Searched for" in last and "Macron" in last
    assert "on Sunday" in last
    # The export button now holds the conversation as Markdown with its citations.
    from pathlib import Path

    exported = Path(second[-1]).read_text(encoding="utf-8")
    assert "## Q: who proposed the summit" in exported and "## Q: When did he call them?" in exported
    assert "> The idea of a summit was proposed by French President Emmanuel Macron" in exported


OTHER_PROCESS_INGEST = """
import sys
from assistant import Settings, build_library
from tests.fakes import FakeEmbedder
report = build_library(Settings(data_dir=sys.argv[1]), FakeEmbedder()).ingest([sys.argv[2]])
assert report.added, report.summary()
"""


def test_page_finds_articles_another_process_ingested_without_restart(served, tmp_path):
    """As `python -m assistant ingest` into the same data dir while the page runs (with the test's fake embedder)."""
    import subprocess
    import sys
    from pathlib import Path

    from gradio_client import Client

    story = tmp_path / "zorb-2022-03-01-mayor.txt"
    story.write_text("Zorbtown elects a mayor\n\nQuentin Marsh was elected mayor of Zorbtown on Tuesday.\n",
                     encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", OTHER_PROCESS_INGEST, str(served.assistant.settings.data_dir), str(story)],
                   check=True, cwd=root, timeout=300)
    reply = Client(served.url, verbose=False).predict("Who was elected mayor of Zorbtown?", [], api_name="/chat")
    assert "Quentin Marsh" in reply


def test_library_endpoints_ingest_report_and_remove(served, tmp_path):
    from gradio_client import Client, handle_file

    story = tmp_path / "zorb-2022-03-01-mayor.txt"
    story.write_text("Zorbtown elects a mayor\n\nQuentin Marsh was elected mayor of Zorbtown on Tuesday.\n",
                     encoding="utf-8")
    bad = tmp_path / "notes.exe"
    bad.write_text("x", encoding="utf-8")
    client = Client(served.url, verbose=False)
    with pytest.raises(Exception, match="Invalid file type"):  # the page refuses it before our check does
        client.predict([handle_file(str(bad))], "", "", api_name="/ingest")
    out = client.predict([handle_file(str(story))], "javascript:alert(1)", "", api_name="/ingest")
    report, stats = out[0], out[3]
    assert "added: zorb-2022-03-01-mayor" in report
    assert "javascript:alert(1): only http(s) URLs" in report
    assert "**2** articles" in stats
    uploads = served.assistant.settings.data_dir / "uploads"
    assert (uploads / "zorb-2022-03-01-mayor.txt").is_file() and not (uploads / "notes.exe").exists()
    # Unchanged on a second ingest; then removed.
    again = client.predict([handle_file(str(story))], "", "", api_name="/ingest")[0]
    assert "unchanged: zorb-2022-03-01-mayor" in again
    note, stats = client.predict(["zorb-2022-03-01-mayor"], "", api_name="/remove")[:2]
    assert note == "Removed 1 article(s)." and "**1** articles" in stats
    assert served.assistant.library.article_text("zorb-2022-03-01-mayor") is None


def test_page_filters_limit_the_search_and_bad_dates_are_reported(served):
    from gradio_client import Client

    client = Client(served.url, verbose=False)
    later = client.predict("who proposed the summit", [], "2023-01-01", "", [], "", 5, api_name="/ask")[0]
    assert "do not say" in str(later[-1]["content"])
    kyodo = client.predict("who proposed the summit", [], "2022-02-01", "2022-02-28", ["Kyodo"], "2022-02-22", 3,
                           api_name="/ask")[0]
    assert "Emmanuel Macron" in str(kyodo[-1]["content"])
    bad = client.predict("who proposed the summit", [], "not a date", "", [], "", 5, api_name="/ask")[0]
    assert "Could not search" in str(bad[-1]["content"])


def test_top_k_reuses_the_built_parts(make_assistant):
    from ui.ask import form_filters, with_top_k

    a = make_assistant("extractive")
    assert with_top_k(a, a.settings.top_k) is a and with_top_k(a, None) is a
    b = with_top_k(a, 2)
    assert b.settings.top_k == 2 and b.retriever is a.retriever and b.generator is a.generator
    assert form_filters(" 2022-02-01 ", "", ["Kyodo"]) == {"date_from": "2022-02-01", "sources": ["Kyodo"]}
    assert form_filters("", "", None) == {}


def test_page_answers_with_the_model_the_reader_picks_and_only_from_its_list(served):
    """The Model field: the served generator by default, another on the list when picked (built once, with a
    line of its own), never a name the operator did not offer."""
    from gradio_client import Client

    client = Client(served.url, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/ask"]["parameters"]
    model = next(p for p in info if p["label"] == "Model")
    assert model["parameter_has_default"] and model["parameter_default"] == "extractive"
    picked = client.predict("who proposed the summit", [], "", "", [], "", 5, "extractive", api_name="/ask")[0]
    assert "Emmanuel Macron" in str(picked[-1]["content"])
    with pytest.raises(Exception):  # not on the list: gradio refuses it before the page sees it
        client.predict("who proposed the summit", [], "", "", [], "", 5, "openai:http://10.0.0.1/v1#x",
                       api_name="/ask")


def test_models_offer_the_served_one_extractive_local_and_the_operators(make_assistant):
    from tests.fakes import QueueGenerator
    from ui.ask import Models, make_gate

    a = make_assistant(QueueGenerator("x"))
    gate = make_gate(a)
    models = Models(a, gate, ("ollama:llama3.2:3b", "openai:http://127.0.0.1:9/v1#m"))
    assert models.names[0] == a.settings.generator and "extractive" in models.names
    assert models.names[-2:] == ["ollama:llama3.2:3b", "openai:http://127.0.0.1:9/v1#m"]
    assert models.get(None) == (a, gate)
    chosen, line = models.get("extractive")
    assert chosen.generator.name == "extractive" and line is not gate and models.get("extractive")[0] is chosen
    assert chosen.retriever is a.retriever and chosen.library is a.library  # nothing reloaded
    with pytest.raises(ValueError, match="unknown model"):
        models.get("openai:http://10.0.0.1/v1#x")


def test_the_operator_names_the_pages_models_and_bad_names_are_refused():
    import argparse

    from assistant.cli.serve import add_server_options, server_options

    parser = argparse.ArgumentParser()
    add_server_options(parser)
    args = parser.parse_args(["--generators", "ollama:llama3.2:3b, openai:http://127.0.0.1:8000/v1#m"])
    assert server_options(args, env={})["generators"] == ("ollama:llama3.2:3b", "openai:http://127.0.0.1:8000/v1#m")
    assert server_options(parser.parse_args([]), env={"CITEWIRE_GENERATORS": "extractive"})["generators"] == (
        "extractive",)
    with pytest.raises(ValueError, match="ollama:<model>"):
        server_options(parser.parse_args(["--generators", "ollama:"]), env={})


def test_article_table_shows_the_newest_rows_of_a_large_archive():
    from ui.archive import ROWS_SHOWN, article_rows

    arts = [{"id": f"a{i:05d}", "title": f"T{i}", "source": "S", "published_at": f"2023-01-{1 + i % 28:02d}",
             "chunks": 1} for i in range(ROWS_SHOWN + 100)]
    rows = article_rows(arts)
    assert len(rows) == ROWS_SHOWN and rows[0][2] == "2023-01-28"
    assert [r[-1] for r in article_rows(arts, "T7")][:1] and all("T7" in r[0] for r in article_rows(arts, "T7"))
    assert f"newest {ROWS_SHOWN}" in corpus_stats(arts) and "newest" not in corpus_stats(arts[:3])


def test_listing_is_kept_until_the_store_changes(tmp_path, sample_path):
    from assistant import Settings
    from assistant.factory import build_library
    from tests.fakes import FakeEmbedder

    library = build_library(Settings(data_dir=tmp_path), FakeEmbedder())
    assert library.is_empty()
    library.ingest([str(sample_path)])
    assert not library.is_empty()
    reads = []
    real = library.store.list_articles
    library.store.list_articles = lambda: reads.append(1) or real()
    first = library.list_articles()
    assert library.list_articles() == first and len(reads) == 1  # the second from memory
    first.clear()  # a caller's copy: the kept one is untouched
    assert len(library.list_articles()) == 1 and len(reads) == 1
    library.remove([library.list_articles()[0]["id"]])
    assert library.list_articles() == [] and len(reads) == 2 and library.is_empty()
