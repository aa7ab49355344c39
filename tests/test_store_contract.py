"""One contract for both store modes: embedded Chroma and a `chroma run` server
on loopback reached through the HTTP client. Same ingest, re-ingest, update,
remove, list, query and retrieve behaviour in each. The embedded half runs in
the fast loop; the server half is marked integration (it starts a process)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import SearchFilters
from tests.fakes import FakeEmbedder

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A real Chroma server on 127.0.0.1 with its own data dir; yields its URL."""
    if not CHROMA.exists():
        pytest.skip(f"no chroma executable next to {sys.executable}")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False", CHROMA_ANONYMIZED_TELEMETRY="False")
    log = open(path / "server.log", "wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path / "db"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"chroma server did not start: {(path / 'server.log').read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.integration)])
def make(request, tmp_path):
    """build_assistant over a fresh store in the given mode, with the fake embedder."""
    from assistant import build_assistant

    url = request.getfixturevalue("chroma_server") if request.param == "server" else None

    def _make():
        return build_assistant(data_dir=tmp_path / "data", generator="extractive", embedder=FakeEmbedder(),
                               chroma_url=url)

    return _make


def records(path: Path, changed: bool = False) -> str:
    rows = [
        {"id": "flood", "title": "Floods in the north", "source": "Wire", "published_at": "2022-03-01",
         "text": "Heavy rain flooded the northern valley on Sunday. Rescue boats reached cut-off villages. "
                 "The army helped move thousands of residents to shelters."},
        {"id": "budget", "title": "Council passes budget", "source": "Gazette", "published_at": "2022-04-02",
         "text": "The city council approved the budget on Monday by seven votes to two. It raises spending on "
                 "schools and roads and cuts the parking fee."},
    ]
    if changed:
        rows[1]["text"] = "The city council rejected the budget on Monday. The mayor must submit a new one."
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_store_contract(make, tmp_path):
    a = make()
    assert a.library.store.client.get_settings().anonymized_telemetry is False
    corpus = records(tmp_path / "c.jsonl")
    first = a.ingest([corpus])
    assert first.added == ["flood", "budget"] and first.ok
    assert a.ingest([corpus]).unchanged == ["flood", "budget"]

    (passage, *_) = a.retrieve("Which valley flooded after heavy rain?", k=2)
    assert passage.article_id == "flood" and "flooded the northern valley" in passage.text
    dated = a.retrieve("council budget", k=5, filters={"date_from": "2022-04-01"})
    assert {p.article_id for p in dated} == {"budget"}

    records(tmp_path / "c.jsonl", changed=True)
    again = make()  # a new process would see the same store
    report = again.ingest([corpus])
    assert report.updated == ["budget"] and report.unchanged == ["flood"]
    (passage, *_) = again.retrieve("Did the council reject the budget?", k=1)
    assert "rejected the budget" in passage.text

    store = again.library.store
    vector = FakeEmbedder().embed_batch(["council budget"])[0]
    assert {c.article_id for c, _ in store.query(vector, 5)} == {"flood", "budget"}
    for filters, expected in [(SearchFilters(sources=["Gazette"]), {"budget"}),
                              (SearchFilters(article_ids=["flood"]), {"flood"}),
                              (SearchFilters(date_from="2022-03-01", date_to="2022-03-01"), {"flood"}),
                              (SearchFilters(date_to="2022-02-28"), set()),
                              (SearchFilters(sources=["Wire"], date_from="2022-04-01"), set())]:
        hits = store.query(vector, 5, filters)
        assert {c.article_id for c, _ in hits} == expected, filters
        assert all(-1.0 <= score <= 1.0 for _, score in hits)
    (chunk, _), *_ = store.query(vector, 1, SearchFilters(article_ids=["budget"]))
    assert chunk.published_at == "2022-04-02" and chunk.text == "The city council rejected the budget on Monday. " \
        "The mayor must submit a new one."[:len(chunk.text)]

    rows = {r["id"]: r for r in again.library.list_articles()}
    assert set(rows) == {"flood", "budget"}
    assert rows["budget"]["published_at"] == "2022-04-02" and rows["budget"]["chunks"] == 1

    assert again.library.remove(["budget", "missing"]) == ["budget"]
    assert [r["id"] for r in again.library.store.list_articles()] == ["flood"]
    assert {p.article_id for p in again.retrieve("council budget", k=5)} == {"flood"}
