"""The HTTP API (ui/server.py) on a loopback port: the openai client, streaming and not, and plain httpx.

The assistant is the extractive one over the sample article with the fake embedder, as in test_ui.py.
"""

from __future__ import annotations

import socket
import threading
import time
from types import SimpleNamespace

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert thread.is_alive() and time.time() < deadline, "server did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from assistant import build_assistant
    from tests.conftest import SAMPLE
    from tests.fakes import FakeEmbedder
    from ui.server import build_server

    a = build_assistant(data_dir=tmp_path_factory.mktemp("api") / "data", generator="extractive",
                        embedder=FakeEmbedder())
    a.ingest([str(SAMPLE)])
    server, thread, url = start(build_server(a, page=True))
    try:
        yield SimpleNamespace(url=url, assistant=a)
    finally:
        server.should_exit = True
        thread.join(10)


def openai_client(url, **kwargs):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=60, **kwargs)


def test_openai_client_gets_the_answer_with_its_citations(api):
    reply = openai_client(api.url).chat.completions.create(
        model="citewire", messages=[{"role": "user", "content": "who proposed the summit"}])
    message = reply.choices[0].message
    assert "Emmanuel Macron" in message.content and "[1]" in message.content
    extra = message.model_extra
    assert extra["abstained"] is False
    first = extra["citations"][0]
    assert {"n", "article_id", "title", "source", "published_at", "url", "quote", "start", "end"} <= set(first)
    text = api.assistant.library.article_text(first["article_id"])
    assert text[first["start"]:first["end"]] == first["quote"]
    assert "proposed by French President Emmanuel Macron" in first["quote"]
    assert first["source"] == "Kyodo" and first["published_at"] == "2022-02-21"


def test_openai_client_streams_only_checked_text_and_ends_with_citations(api):
    stream = openai_client(api.url).chat.completions.create(
        model="citewire", stream=True, messages=[{"role": "user", "content": "who proposed the summit"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Emmanuel Macron" in text
    # Progress chunks say what is being done, with no words of a draft.
    progress = [c.model_extra["progress"] for c in chunks if (c.model_extra or {}).get("progress")]
    assert progress and progress[0]["stage"] == "search"
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    extra = final.choices[0].delta.model_extra
    assert extra["abstained"] is False and extra["citations"][0]["quote"] in api.assistant.library.article_text(
        extra["citations"][0]["article_id"])
    # Streamed or not, the same verified text.
    whole = openai_client(api.url).chat.completions.create(
        model="citewire", messages=[{"role": "user", "content": "who proposed the summit"}])
    assert text == whole.choices[0].message.content


def test_not_in_the_archive_is_a_normal_message_that_abstains(api):
    reply = openai_client(api.url).chat.completions.create(
        model="citewire", messages=[{"role": "user", "content": "What is the name of Ukraine's president?"}])
    message = reply.choices[0].message
    assert message.model_extra["abstained"] is True and message.model_extra["citations"] == []
    assert "do not say" in message.content and reply.choices[0].finish_reason == "stop"


def test_history_in_messages_drives_follow_up_rewriting(api):
    client = openai_client(api.url)
    first = client.chat.completions.create(
        model="citewire", messages=[{"role": "user", "content": "who proposed the summit"}])
    follow = client.chat.completions.create(model="citewire", messages=[
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "who proposed the summit"},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "When did he call them?"}]}])
    extra = follow.choices[0].message.model_extra
    assert "Macron" in extra["query"] and "on Sunday" in follow.choices[0].message.content
    # The same as the page's own history handling: Assistant.ask with plain_history.
    from ui.history import plain_history

    direct = api.assistant.ask("When did he call them?", plain_history(
        [{"role": "user", "content": "who proposed the summit"},
         {"role": "assistant", "content": first.choices[0].message.content}]))
    assert direct.query == extra["query"] and direct.text == follow.choices[0].message.content


def test_api_ask_returns_the_answer_json_without_the_draft(api):
    r = httpx.post(api.url + "/api/ask", json={"question": "who proposed the summit", "as_of": "2022-02-22",
                                               "filters": {"sources": ["Kyodo"], "date_from": "2022-02-01"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "Emmanuel Macron" in body["answer"] and body["abstained"] is False
    assert body["as_of"] == "2022-02-22" and body["filters"]["sources"] == ["Kyodo"]
    assert body["citations"][0]["article_id"] and "draft" not in body
    assert all(c["supported"] for c in body["claims"])
    later = httpx.post(api.url + "/api/ask", json={"question": "who proposed the summit",
                                                   "filters": {"date_from": "2023-01-01"}}).json()
    assert later["abstained"] is True


def test_bad_requests_get_clear_4xx_errors(api):
    post = lambda path, **kw: httpx.post(api.url + path, **kw)  # noqa: E731
    too_long = post("/api/ask", json={"question": "why " * 1000})
    assert too_long.status_code == 400 and "limit is" in too_long.json()["detail"]
    assert post("/api/ask", json={"question": "  "}).status_code == 400
    bad_date = post("/api/ask", json={"question": "who proposed the summit", "filters": {"date_from": "soon"}})
    assert bad_date.status_code == 400 and "soon" in bad_date.json()["detail"]
    assert post("/api/ask", json={"question": "q", "nonsense": 1}).status_code == 422
    huge = post("/api/ask", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                headers={"content-type": "application/json"})
    assert huge.status_code == 413 and "limit" in huge.json()["detail"]
    last_not_user = post("/v1/chat/completions", json={"model": "x", "messages": [{"role": "assistant",
                                                                                  "content": "hi"}]})
    assert last_not_user.status_code == 400
    import openai

    with pytest.raises(openai.BadRequestError):
        openai_client(api.url).chat.completions.create(
            model="citewire", messages=[{"role": "user", "content": "x" * 5000}])


def test_articles_list_ingest_and_remove_over_http(api, tmp_path):
    health = httpx.get(api.url + "/api/health").json()
    assert health == {"status": "ok", "chunks": 7, "generator": "extractive",
                      "archive": api.assistant.settings.archive_key}
    listed = httpx.get(api.url + "/api/articles").json()
    assert [a["id"] for a in listed] == ["kyodo-2022-02-21-biden-putin-summit"]
    story = b"Zorbtown elects a mayor\n\nQuentin Marsh was elected mayor of Zorbtown on Tuesday.\n"
    r = httpx.post(api.url + "/api/articles", files=[("files", ("../zorb-2022-03-01-mayor.txt", story)),
                                                      ("files", ("notes.exe", b"x"))],
                   data={"urls": "javascript:alert(1)"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["report"]["added"] == ["zorb-2022-03-01-mayor"] and body["ok"] is False
    assert any("notes.exe" in x for x in body["refused"]) and any("only http(s)" in x for x in body["refused"])
    uploads = api.assistant.settings.data_dir / "uploads"
    assert (uploads / "zorb-2022-03-01-mayor.txt").is_file() and not (uploads / "notes.exe").exists()
    ask = httpx.post(api.url + "/api/ask", json={"question": "Who was elected mayor of Zorbtown?"}).json()
    assert "Quentin Marsh" in ask["answer"]
    assert httpx.delete(api.url + "/api/articles/zorb-2022-03-01-mayor").json() == {
        "removed": ["zorb-2022-03-01-mayor"]}
    assert httpx.delete(api.url + "/api/articles/zorb-2022-03-01-mayor").status_code == 404
    assert httpx.post(api.url + "/api/articles", json={"urls": []}).status_code == 400
    assert httpx.post(api.url + "/api/articles", json={"url": "x"}).status_code == 400


def test_docs_and_page_are_served_on_the_same_port(api):
    assert httpx.get(api.url + "/docs").status_code == 200
    spec = httpx.get(api.url + "/openapi.json").json()
    assert {"/v1/chat/completions", "/api/ask", "/api/articles", "/api/health"} <= set(spec["paths"])
    page = httpx.get(api.url + "/", follow_redirects=True)
    assert page.status_code == 200 and "gradio" in page.text.lower()


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    from assistant import build_assistant
    from tests.conftest import SAMPLE
    from tests.fakes import FakeEmbedder
    from ui.server import build_server

    a = build_assistant(data_dir=tmp_path_factory.mktemp("locked") / "data", generator="extractive",
                        embedder=FakeEmbedder())
    a.ingest([str(SAMPLE)])
    server, thread, url = start(build_server(a, auth="reader:s3cret", cors_origins=("http://app.example",),
                                             page=True))
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def test_auth_protects_the_page_and_every_api_route(locked):
    for method, path in (("GET", "/"), ("GET", "/api/health"), ("GET", "/api/articles"), ("POST", "/api/ask"),
                         ("POST", "/v1/chat/completions"), ("DELETE", "/api/articles/x"), ("GET", "/docs"),
                         ("GET", "/gradio_api/info")):
        r = httpx.request(method, locked + path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"].startswith("Basic")
        assert httpx.request(method, locked + path, auth=("reader", "wrong")).status_code == 401
    assert httpx.get(locked + "/api/health", auth=("reader", "s3cret")).status_code == 200
    assert httpx.get(locked + "/", auth=("reader", "s3cret"), follow_redirects=True).status_code == 200
    import base64

    token = base64.b64encode(b"reader:s3cret").decode()
    reply = openai_client(locked, default_headers={"Authorization": f"Basic {token}"}).chat.completions.create(
        model="citewire", messages=[{"role": "user", "content": "who proposed the summit"}])
    assert reply.choices[0].message.model_extra["citations"]


def test_cors_only_for_configured_origins(locked, api):
    auth = ("reader", "s3cret")
    ok = httpx.get(locked + "/api/health", headers={"Origin": "http://app.example"}, auth=auth)
    assert ok.headers.get("access-control-allow-origin") == "http://app.example"
    other = httpx.get(locked + "/api/health", headers={"Origin": "http://evil.example"}, auth=auth)
    assert "access-control-allow-origin" not in other.headers
    # Off by default.
    plain = httpx.get(api.url + "/api/health", headers={"Origin": "http://app.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_server_options_default_to_loopback_and_read_the_environment():
    import argparse

    from assistant.cli import serve

    parser = argparse.ArgumentParser()
    serve.configure(parser)
    args = parser.parse_args([])
    assert args.host == "127.0.0.1"
    assert serve.server_options(args, env={}) == {"auth": None, "cors_origins": (), "page": True, "generators": ()}
    env = {"CITEWIRE_AUTH": "u:p", "CITEWIRE_CORS_ORIGINS": "http://a, http://b"}
    assert serve.server_options(args, env=env) == {"auth": "u:p", "cors_origins": ("http://a", "http://b"),
                                                   "page": True, "generators": ()}
    with pytest.raises(ValueError, match="user:password"):
        serve.server_options(parser.parse_args(["--auth", "nocolon"]), env={})


def test_mounted_page_still_answers_through_gradio_client(api):
    """`python -m ui` now serves the mounted page: its gradio endpoints keep working."""
    from gradio_client import Client

    reply = Client(api.url + "/", verbose=False).predict("who proposed the summit", api_name="/chat")
    assert "Emmanuel Macron" in reply and "**Sources**" in reply


def test_page_behind_auth_answers_in_a_browser(locked):
    """The page's own requests (config, queue, stream) pass the basic auth the browser was given."""
    import os

    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        pytest.skip(f"no chromium at {chromium}")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(http_credentials={"username": "reader", "password": "s3cret"})
            page.set_default_timeout(60_000)
            page.goto(locked + "/", wait_until="load")
            box = page.locator("#cw-question textarea")
            box.fill("who proposed the summit")
            box.press("Enter")
            page.wait_for_function("() => /Sources/.test(document.querySelector('#cw-chat').innerText)")
            assert "Emmanuel Macron" in page.locator("#cw-chat").inner_text()
        finally:
            browser.close()
