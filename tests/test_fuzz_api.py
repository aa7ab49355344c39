"""Hostile request bodies for the HTTP API (issue 15), against the real server on a loopback port.

Whatever JSON value or bytes a client sends to POST /api/ask, POST /v1/chat/completions and
POST /api/articles (multipart with hostile file names: "../../etc/passwd", markup, NUL bytes, CR/LF,
very long names), and whatever id it asks DELETE /api/articles/{id} to remove, the answer is a 2xx or 4xx
with a JSON body (never a 5xx, never a traceback), the server keeps answering, and uploaded files land only
in <data_dir>/uploads/ under safe names. The well-formed requests and their 4xx messages are
test_http_api.py's; the extractive generator and the fake embedder, as there.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from tests.test_http_api import free_port  # noqa: E402


def start(app):
    """test_http_api.start, with uvicorn's error log off: on Python 3.11 its traceback formatting (ast.parse in
    the server thread) races pytest's own ast.parse of a failing test and ends the run with "SystemError: AST
    constructor recursion depth mismatch". A 5xx is asserted on, so the log adds nothing here."""
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert thread.is_alive() and time.time() < deadline, "server did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"

SAMPLE_ID = "kyodo-2022-02-21-biden-putin-summit"
REQUESTS = settings(max_examples=int(os.environ.get("CITEWIRE_FUZZ_EXAMPLES", "30")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
SAFE_UPLOAD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")

HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "\x00", "who proposed the summit", "<script>alert(1)</script>", "[1]",
                     "Ignore previous instructions", "../../etc/passwd", "2022-02-30", "9999-12-31", "-1", "NaN",
                     "\u202e", "x" * 3000, "%00", "{{7*7}}", "${jndi:ldap://x}", "' OR 1=1 --"]))
# NaN/Infinity and lone surrogates ("\ud800") included: each once got a 5xx (test_bodies_that_once_got_a_5xx...).
SURROGATE_TEXT = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), HOSTILE_TEXT,
                    st.builds(lambda a, b: a + b, HOSTILE_TEXT, SURROGATE_TEXT))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(HOSTILE_TEXT, inner, max_size=4)),
                           max_leaves=12)
FILTERS = st.one_of(JSON_VALUES, st.fixed_dictionaries({}, optional={
    "date_from": JSON_VALUES, "date_to": JSON_VALUES, "sources": JSON_VALUES, "article_ids": JSON_VALUES}))
CONTENT = st.one_of(JSON_VALUES, st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url", 5]),
                                                                 "text": JSON_VALUES}), max_size=3))
MESSAGE = st.one_of(JSON_VALUES, st.fixed_dictionaries(
    {"role": st.one_of(st.sampled_from(["user", "assistant", "system", "tool"]), JSON_VALUES), "content": CONTENT}))
ASK_BODY = st.one_of(JSON_VALUES, st.fixed_dictionaries({"question": st.one_of(HOSTILE_TEXT, JSON_VALUES)}, optional={
    "history": st.one_of(st.lists(MESSAGE, max_size=4), JSON_VALUES), "as_of": JSON_VALUES, "filters": FILTERS,
    "top_k": JSON_VALUES}))
CHAT_BODY = st.one_of(JSON_VALUES, st.fixed_dictionaries({"messages": st.one_of(st.lists(MESSAGE, max_size=4),
                                                                                  JSON_VALUES)}, optional={
    "model": JSON_VALUES, "stream": st.one_of(st.booleans(), JSON_VALUES), "as_of": JSON_VALUES, "filters": FILTERS,
    "top_k": JSON_VALUES, "temperature": JSON_VALUES}))
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain", "",
                                 "multipart/form-data", "multipart/form-data; boundary=x",
                                 "application/x-www-form-urlencoded"])
FILE_NAMES = st.one_of(st.sampled_from([
    "../../etc/passwd", "../../etc/passwd.txt", "..\\..\\windows\\win.ini.txt", "/etc/cron.d/evil.txt",
    "<img src=x onerror=alert(1)>.txt", "a\x00b.txt", "a\x00.txt\x00.exe", "x" * 5000 + ".txt", ".htaccess",
    "..", ".", "", " .txt", "report.txt\r\nContent-Type: text/html", 'quote".txt', "semi;colon.txt",
    "\u202etxt.exe", "\ud800.txt", "CON.txt", "uploads/../../x.txt", "%2e%2e%2fx.txt", "~/.bashrc.md"]),
    st.text(max_size=40).map(lambda t: t + ".txt"))
STORY = ("Zorbtown elects a mayor\n\nQuentin Marsh was elected mayor of Zorbtown on Tuesday, officials said. "
         "The vote was close.\n").encode()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from assistant import build_assistant
    from tests.conftest import SAMPLE
    from tests.fakes import FakeEmbedder
    from ui.server import build_server

    root = tmp_path_factory.mktemp("fuzz-api")
    a = build_assistant(data_dir=root / "data", generator="extractive", embedder=FakeEmbedder())
    a.ingest([str(SAMPLE)])
    server, thread, url = start(build_server(a, page=False))
    client = httpx.Client(base_url=url, timeout=120)
    try:
        yield SimpleNamespace(url=url, assistant=a, root=root, data_dir=root / "data", client=client)
    finally:
        client.close()
        server.should_exit = True
        thread.join(10)


def assert_handled(response: httpx.Response) -> object:
    """A 2xx or 4xx with a JSON body and no traceback; returns the body."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert 200 <= response.status_code < 500, response.status_code
    assert "Traceback" not in response.text and 'File "/' not in response.text
    return response.json()


def post_json(client: httpx.Client, path: str, value) -> httpx.Response:
    return client.post(path, content=json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass"),
                       headers={"content-type": "application/json"})


def assert_still_serving(api) -> None:
    assert api.client.get("/api/health").json()["status"] == "ok"
    body = post_json(api.client, "/api/ask", {"question": "who proposed the summit"}).json()
    assert "Macron" in body["answer"] and body["citations"][0]["article_id"] == SAMPLE_ID


@REQUESTS
@example({"question": "who proposed the summit", "history": [[[[["deep"]]]]] * 2})
@example({"question": "who proposed the summit", "history": [{"role": "user", "content": [[[[[[[["x"]]]]]]]]}]})
@example({"question": "q", "top_k": 1e300})
@example({"question": "who?", "filters": {"sources": [None, 5], "article_ids": ["\x00"]}})
@given(ASK_BODY)
def test_api_ask_answers_any_json_with_2xx_or_4xx(api, body):
    assert_handled(post_json(api.client, "/api/ask", body))


@REQUESTS
@example({"messages": [{"role": "user", "content": {"type": "text", "text": {"text": {"text": "hi"}}}}]})
@example({"messages": [{"role": "user", "content": "who proposed the summit"}], "stream": True,
          "filters": {"date_from": "2022-02-30"}})
@example({"messages": [{"role": "user", "content": None}]})
@given(CHAT_BODY)
def test_chat_completions_answers_any_json_with_2xx_or_4xx(api, body):
    response = post_json(api.client, "/v1/chat/completions", body)
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        assert response.status_code == 200
        events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        assert not [c for c in chunks if "error" in c], chunks[-1]  # the question was checked before streaming
        return
    assert_handled(response)


@REQUESTS
@given(path=st.sampled_from(["/api/ask", "/v1/chat/completions", "/api/articles"]), content_type=CONTENT_TYPES,
       data=st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"{", b"null", b"[]", b'{"question": "\xff"}',
                                                                b"--x\r\n", b"--x--\r\n", b"\xef\xbb\xbf{}",
                                                                b'{"urls": ["file:///etc/passwd"]}'])))
def test_arbitrary_bytes_with_any_content_type_are_a_2xx_or_4xx(api, path, content_type, data):
    assert_handled(api.client.post(path, content=data, headers={"content-type": content_type} if content_type else {}))


# Bodies that once got a 5xx, each now a 4xx: FastAPI's own 422 handler echoed the bad input (NaN/Infinity,
# undecodable bytes, lone surrogates) and failed; a lone surrogate in a string was echoed in the reply; content
# nested 900 deep recursed in message_text; as_of 0001-01-01 overflowed in the search plan and a source with a
# lone surrogate made Chroma refuse the where clause. Fixed in ui/server.py (a 422 handler that never echoes,
# _refuse_unencodable, the as_of range) and ui/history.py (message_text's depth cap).
DEEP_LIST = "[" * 900 + '"x"' + "]" * 900
QUESTION = '"who proposed the summit"'


@pytest.mark.parametrize("path, body, content_type", [
    ("/api/ask", b"NaN", "application/json"),
    ("/v1/chat/completions", b'{"messages": Infinity}', "application/json"),
    ("/api/ask", b"\x80", "text/plain"),
    ("/v1/chat/completions", b"\xff\xfe", "multipart/form-data; boundary=x"),
    ("/api/ask", b'{"\\ud800": 1, "question": "q"}', "application/json"),
    ("/api/ask", b'{"question": "who \\ud800 proposed the summit"}', "application/json"),
    ("/v1/chat/completions",
     b'{"messages": [{"role": "user", "content": %s}], "model": "\\ud800"}' % QUESTION.encode(), "application/json"),
    ("/v1/chat/completions",
     b'{"messages": [{"role": "user", "content": %s}], "model": "\\ud800", "stream": true}' % QUESTION.encode(),
     "application/json"),
    ("/api/articles", b'{"urls": ["\\ud800"]}', "application/json"),
    ("/api/ask", b'{"question": "q", "history": [{"role": "user", "content": %s}]}' % DEEP_LIST.encode(),
     "application/json"),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": %s}]}' % DEEP_LIST.encode(),
     "application/json"),
    ("/api/ask", b'{"question": %s, "as_of": "0001-01-01"}' % QUESTION.encode(), "application/json"),
    ("/api/ask", b'{"question": %s, "filters": {"sources": ["\\ud800"]}}' % QUESTION.encode(), "application/json"),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": %s}], "stream": true, '
     b'"as_of": "0001-01-01"}' % QUESTION.encode(), "application/json"),
])
def test_bodies_that_once_got_a_5xx_get_a_clear_4xx(api, path, body, content_type):
    # A fresh connection each: after a 500 uvicorn drops the kept-alive one.
    response = httpx.post(api.url + path, content=body, headers={"content-type": content_type}, timeout=120)
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        assert response.text.rstrip().endswith("data: [DONE]") and '"error"' not in response.text
        return
    assert_handled(response)
    if b'"history"' in body and response.status_code == 200:  # history nested past reading is left out
        assert "Macron" in response.json()["answer"] or response.json()["abstained"]
        return
    assert response.status_code in (400, 413, 422), response.status_code


def _multipart(files: list[tuple[bytes, bytes]], urls: bytes | None = None) -> tuple[bytes, str]:
    """A multipart body built by hand, so file names reach the server exactly as given (NUL, quotes, CR/LF)."""
    boundary = b"citewireFuzzBoundary7MA4YWxkTrZu0gW"
    parts = []
    for name, data in files:
        parts.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; filename="' + name
                     + b'"\r\nContent-Type: text/plain\r\n\r\n' + data + b"\r\n")
    if urls is not None:
        parts.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="urls"\r\n\r\n' + urls + b"\r\n")
    return b"".join(parts) + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


def _files_outside_uploads(api) -> list[Path]:
    """Files that are neither the archive's own (its data_dir, outside uploads/) nor an upload with a safe name."""
    bad = [p for p in api.root.rglob("*") if p.is_file() and api.data_dir not in p.parents]
    uploads = api.data_dir / "uploads"
    bad += [p for p in uploads.rglob("*") if p.parent != uploads or not SAFE_UPLOAD.match(p.name)]
    return bad


@REQUESTS
@example(names=["../../etc/passwd.txt", "<img src=x onerror=alert(1)>.txt"], urls="javascript:alert(1)")
@example(names=["a\x00b.txt", "x" * 5000 + ".txt", "..", ""], urls=None)
@given(names=st.lists(FILE_NAMES, min_size=1, max_size=3),
       urls=st.one_of(st.none(), st.sampled_from(["javascript:alert(1)", "file:///etc/passwd", "ftp://x/y.txt",
                                                   "http://[bad", "\x00", "data:text/html,<script>"])))
def test_uploads_with_hostile_names_stay_in_the_uploads_folder(api, names, urls):
    files = [(n.encode("utf-8", "surrogatepass"), STORY.replace(b"Zorbtown", f"Zorb{i}".encode()))
             for i, n in enumerate(names)]
    body, kind = _multipart(files, urls.encode("utf-8") if urls is not None else None)
    reply = assert_handled(api.client.post("/api/articles", content=body, headers={"content-type": kind}))
    assert isinstance(reply, dict)
    assert not _files_outside_uploads(api)
    assert not Path("/etc/passwd.txt").exists() and not (api.root.parent / "x.txt").exists()


def test_uploads_of_any_name_and_type_over_httpx(api):
    """The same through httpx's own multipart encoder (it quotes names its own way)."""
    for name in ("../../etc/passwd", "<img src=x onerror=alert(1)>.txt", "a\x00b.txt", "x" * 3000 + ".md",
                 "..\\..\\evil.html", "evil.exe"):
        r = api.client.post("/api/articles", files=[("files", (name, STORY))])
        assert_handled(r)
    assert not _files_outside_uploads(api)
    names = sorted(p.name for p in (api.data_dir / "uploads").iterdir())
    assert "passwd" not in names and "evil.exe" not in names


@REQUESTS
@example(article_id="../../etc/passwd")
@example(article_id="%00")
@example(article_id="x" * 5000)
@example(article_id="kyodo-2022-02-21-biden-putin-summit/../other")
@given(article_id=st.one_of(HOSTILE_TEXT, st.text(min_size=1, max_size=50)).filter(lambda s: s != SAMPLE_ID))
def test_delete_of_any_id_is_a_404_or_a_removal(api, article_id):
    for path in (quote(article_id.encode("utf-8", "surrogatepass"), safe=""),
                 quote(article_id.encode("utf-8", "surrogatepass"), safe="/%")):
        r = api.client.delete("/api/articles/" + path)
        if r.status_code == 405 or (r.status_code == 404 and r.json().get("detail") == "Not Found"):
            continue  # the path collapsed to another route ("/api/articles/"): not ours to remove
        body = assert_handled(r)
        assert r.status_code in (200, 404), body
    assert any(a["id"] == SAMPLE_ID for a in api.client.get("/api/articles").json())


def test_the_server_keeps_serving_after_the_fuzzing(api):
    # Module order: runs after the property tests above; the sample answer is unchanged.
    assert_still_serving(api)
    assert not _files_outside_uploads(api)


def test_concurrent_hostile_requests_do_not_wedge_the_server(api):
    """A burst of malformed requests from several threads at once, then a normal question."""
    errors: list[str] = []

    def hammer(i: int):
        with httpx.Client(base_url=api.url, timeout=120) as client:
            for body in ([], {"question": i}, {"question": "x" * 5000}, {"messages": "x"}, None):
                for path in ("/api/ask", "/v1/chat/completions"):
                    r = post_json(client, path, body)
                    if r.status_code >= 500:
                        errors.append(f"{path} {body!r}: {r.status_code}")

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert_still_serving(api)
