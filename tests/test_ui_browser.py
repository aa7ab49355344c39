"""The real page in headless Chromium (Playwright driving Debian's `chromium`): ask, follow up, never see a
draft, open the cited article, upload an article whose text holds markup, ask about it, remove it.

Skips when the `playwright` package or a chromium binary is missing (`.ci/run` installs both). Waits for
`load`, never `networkidle`: Gradio keeps a connection open.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.integration

CHROMIUM = os.environ.get("CITEWIRE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT_MS = 90_000

# Every text the chat ever showed, so a draft that flashed by is caught too.
RECORD_CHAT = """
window.__seen = [];
new MutationObserver(() => {
  const chat = document.querySelector('#cw-chat');
  if (!chat) return;
  const text = chat.innerText;
  if (window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

INVENTED = "Volodymyr Zelenskiy is the president of Ukraine."


class InventingGenerator:
    """The extractive generator, except that it invents a name for the president question (slowly, so the
    page has time to show a draft if it ever did)."""

    def __init__(self, extractive):
        self.extractive = extractive
        self.name = "inventing"

    def stream(self, question, passages, history=()):
        if "president" in question.lower():
            for word in INVENTED.split(" "):
                time.sleep(0.1)
                yield word + " "
            return
        yield from self.extractive.stream(question, passages, history)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def page_server(make_assistant, sample_path, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (see requirements.txt)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium (as .ci/run does)")
    pytest.importorskip("gradio")
    from assistant import make_generator
    from ui import build_app, launch_app

    base = make_assistant("extractive")
    generator = InventingGenerator(make_generator("extractive", base.settings))
    a = make_assistant(generator, extractive_fallback=False)
    a.ingest([str(sample_path)])
    app = build_app(a, upload_dir=tmp_path / "uploads")
    port = _free_port()
    launch_app(app, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.add_init_script(RECORD_CHAT)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
        page.wait_for_selector("#cw-question textarea")
        try:
            yield SimpleNamespace(page=page, assistant=a, dialogs=dialogs, tmp_path=tmp_path)
        finally:
            browser.close()
            app.close()


def _bot_messages(page) -> list[str]:
    return page.locator("#cw-chat .bot").all_inner_texts() or page.locator("#cw-chat .message").all_inner_texts()


def _ask(page, question: str, answers_before: int) -> str:
    """Type `question`, press Enter, wait for the verified answer; returns the chat's text afterwards."""
    box = page.locator("#cw-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        """n => {
          const chat = document.querySelector('#cw-chat');
          if (!chat) return false;
          const text = chat.innerText;
          const done = (text.match(/Sources|do not say|Could not search/g) || []).length;
          return done > n && !/Searching the archive|Drafting an answer/.test(text);
        }""", arg=answers_before, timeout=TIMEOUT_MS)
    return page.locator("#cw-chat").inner_text()


def test_page_answers_follows_up_and_never_shows_a_draft(page_server):
    page = page_server.page
    t0 = time.perf_counter()
    chat = _ask(page, "who proposed the summit", 0)
    first_answer = time.perf_counter() - t0
    assert "Emmanuel Macron" in chat and "Sources" in chat
    assert "characters" not in chat  # no offsets on screen
    # The source card shows the quote highlighted inside its paragraph.
    marks = page.locator("#cw-cards mark").all_inner_texts()
    assert any("proposed by French President Emmanuel Macron" in m for m in marks)
    assert "Kyodo" in page.locator("#cw-cards").inner_text()
    # The cited article opens (the sample has no URL), with the cited sentence highlighted.
    page.wait_for_selector("#cw-article mark")
    marked = " ".join(page.locator("#cw-article mark").all_inner_texts())
    assert "proposed by French President Emmanuel Macron" in marked
    assert "Belarus said Russian forces" in page.locator("#cw-article").inner_text()
    # The [1] marker in the answer links to its source card.
    page.locator("#cw-chat a.cw-marker").first.click()
    page.wait_for_function("() => location.hash === '#cw-source-1'")
    assert page.locator("#cw-source-1").is_visible()

    # The follow-up is read with its context: Macron's calls, on Sunday.
    chat = _ask(page, "When did he call them?", 1)
    last = chat.split("When did he call them?")[-1]
    assert "Searched for" in last and "Macron" in last
    assert "on Sunday" in last

    # An invented name is never shown, not even while it is being checked.
    chat = _ask(page, "What is the name of Ukraine's president?", 2)
    seen = page.evaluate("window.__seen")
    assert seen and not [s for s in seen if "Zelenskiy" in s or "Volodymyr" in s]
    assert any("Searching the archive" in s for s in seen)  # progress was shown
    last = chat.split("Ukraine's president?")[-1]
    assert "do not say" in last or "Sources" in last
    if "do not say" in last:
        assert "withheld" in last or "Why no answer" in last
        assert page.locator("#cw-cards mark").count() == 0
        # Clicking the first answer brings its sources back.
        page.locator("#cw-chat .bot").first.click()
        page.wait_for_selector("#cw-cards mark")
        assert "proposed by French President" in page.locator("#cw-cards").inner_text()
    print(f"\nfirst verified answer in the browser after {first_answer:.1f}s")


def test_page_uploads_escapes_and_removes_an_article(page_server):
    page, tmp_path = page_server.page, page_server.tmp_path
    evil = tmp_path / "zorb-2022-03-01-mayor.txt"
    evil.write_text(
        "Zorbtown <script>window.__pwned = 1; alert(1)</script> elects a mayor\n\n"
        "Quentin Marsh was elected mayor of Zorbtown on Tuesday <img src=x onerror=\"window.__pwned = 2\">.\n\n"
        "The vote was close.\n", encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.locator("#cw-upload input[type=file]").set_input_files(str(evil))
    # Uploaded once its name (shown as "zorb-2022-03-01-mayor" + ".txt") and size are listed.
    page.wait_for_function(
        "() => /zorb-2022-03-01-mayor[\\s\\S]*\\d\\sB/.test(document.querySelector('#cw-upload').innerText)")
    page.locator("#cw-ingest").click()
    page.wait_for_function("() => /added/.test(document.querySelector('#cw-report').innerText)")
    assert "added: zorb-2022-03-01-mayor" in page.locator("#cw-report").inner_text()
    assert (tmp_path / "uploads" / "zorb-2022-03-01-mayor.txt").is_file()
    page.wait_for_function("() => /2<\\/strong> articles|\\*\\*2\\*\\*|2 articles/.test("
                           "document.querySelector('#cw-stats').innerHTML)")
    page.wait_for_function("() => /Zorbtown <script>/.test(document.querySelector('#cw-table').innerText)")
    assert page.locator("#cw-table script").count() == 0  # the list shows the title's markup as text

    page.get_by_role("tab", name="Chat").click()
    chat = _ask(page, "Who was elected mayor of Zorbtown?", 0)
    assert "Quentin Marsh" in chat
    # The markup in the title and the quote shows as text, in the chat, the card and the opened article.
    assert '<img src=x onerror="window.__pwned = 2">' in chat
    cards = page.locator("#cw-cards").inner_text()
    assert "Zorbtown <script>window.__pwned = 1; alert(1)</script> elects a mayor" in cards
    assert '<img src=x onerror="window.__pwned = 2">' in cards
    page.wait_for_selector("#cw-article mark")
    assert "<script>window.__pwned" in page.locator("#cw-article").inner_text()
    assert page.locator("#cw-chat img[src=x], #cw-cards img, #cw-cards script, #cw-article img, "
                        "#cw-article script, #cw-table script").count() == 0
    assert page.evaluate("window.__pwned") is None and not page_server.dialogs

    page.get_by_role("tab", name="Library").click()
    page.locator("#cw-remove-pick input").fill("zorb")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator("#cw-remove").click()
    page.wait_for_function("() => /Removed 1/.test(document.querySelector('#cw-report').innerText)")
    assert "zorb" not in page.locator("#cw-table").inner_text().lower()
    assert page_server.assistant.library.article_text("zorb-2022-03-01-mayor") is None
