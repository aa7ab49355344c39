"""The server under load: one line for the model shared by the page and the API, a bounded queue, and a
short run of the load runner (eval/load.py) against the real server on a loopback port.

The assistants use the fake embedder, as in test_http_api.py; the local model's load run is marked
`integration`.
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("gradio")

from tests.conftest import SAMPLE  # noqa: E402
from tests.fakes import FakeEmbedder  # noqa: E402
from tests.test_http_api import start  # noqa: E402
from ui.gate import ModelGate, QueueFull  # noqa: E402

MACRON = "The idea of a summit was proposed by French President Emmanuel Macron."


class SlowGenerator:
    """Not thread-safe, like llama.cpp: records how many questions are inside `stream` at once."""

    name = "slow"

    def __init__(self, seconds: float = 0.8):
        self.seconds = seconds
        self.inside = 0
        self.most_inside = 0
        self.calls = 0
        self._lock = threading.Lock()

    def stream(self, question, passages, history=()):
        with self._lock:
            self.inside += 1
            self.calls += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            time.sleep(self.seconds / 2)
            yield MACRON.split(" ", 1)[0]
            time.sleep(self.seconds / 2)
            yield " " + MACRON.split(" ", 1)[1]
        finally:
            with self._lock:
                self.inside -= 1


def serve(tmp_path, generator, **settings):
    from assistant import build_assistant
    from ui.server import build_server

    a = build_assistant(data_dir=tmp_path / "data", generator=generator, embedder=FakeEmbedder(),
                        extractive_fallback=False, **settings)
    a.ingest([str(SAMPLE)])
    server, thread, url = start(build_server(a, page=True))
    return a, server, thread, url


def stop(server, thread):
    server.should_exit = True
    thread.join(10)


# --- the gate itself -----------------------------------------------------------------------------------------


def test_gate_admits_in_order_reports_places_and_refuses_beyond_its_limit():
    gate = ModelGate(slots=1, limit=2)
    first = gate.ticket()
    assert first.admitted and first.ahead() == 0
    second, third = gate.ticket(), gate.ticket()
    assert (second.admitted, third.admitted) == (False, False)
    assert (second.ahead(), third.ahead()) == (1, 2)
    with pytest.raises(QueueFull) as refused:
        gate.ticket()
    assert refused.value.waiting == 2 and refused.value.retry_after >= 1 and "busy" in str(refused.value)

    heard: list[int] = []
    waiter = threading.Thread(target=lambda: heard.extend(third.wait()))
    waiter.start()
    time.sleep(0.1)
    first.close()  # second is admitted, third moves up
    assert second.admitted and not third.admitted
    time.sleep(0.1)
    second.close()
    waiter.join(5)
    assert third.admitted and heard == [2, 1]
    third.close()
    third.close()  # twice is harmless
    assert gate.status() == {"slots": 1, "running": 0, "waiting": 0, "limit": 2}


def test_a_question_that_leaves_the_line_frees_its_place():
    gate = ModelGate(slots=1, limit=4)
    held = gate.ticket()
    leaving = gate.ticket()
    cancel = threading.Event()
    cancel.set()
    assert list(leaving.wait(cancel=cancel, poll=0.01)) == [] and not leaving.admitted
    assert gate.waiting == 0
    later = gate.ticket()
    assert later.ahead() == 1
    held.close()
    assert later.admitted


def test_thread_safe_generators_get_parallel_slots_and_the_local_model_one():
    from assistant.chat_llm import ChatLLMGenerator
    from assistant.extractive import ExtractiveGenerator
    from assistant.local_llm import LlamaCppGenerator

    assert ModelGate.for_generator(ExtractiveGenerator(), parallel=3).slots == 3
    assert ModelGate.for_generator(ChatLLMGenerator(lambda: None, name="x"), parallel=3).slots == 3
    assert LlamaCppGenerator.thread_safe is False
    assert ModelGate.for_generator(SlowGenerator(), parallel=3).slots == 1  # unknown: one at a time


# --- the page and the API share the line ---------------------------------------------------------------------


def _stream_chat(url: str, record: dict) -> None:
    body = {"model": "citewire", "stream": True, "messages": [{"role": "user", "content": "who proposed the summit"}]}
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=60) as r:
        for line in r.iter_lines():
            if line.startswith("data: {"):
                chunk = json.loads(line[6:])
                if chunk.get("progress"):
                    record.setdefault("progress", []).append(chunk["progress"])
                if chunk["choices"][0]["finish_reason"] == "stop":
                    record["final"] = chunk["choices"][0]["delta"]


def _page(url: str, record: dict) -> None:
    from gradio_client import Client

    job = Client(url + "/", verbose=False).submit("who proposed the summit", [], "", "", [], "", 5, api_name="/ask")
    notes = []
    while not job.done():
        for out in job.outputs():
            notes.append(str(out[0][-1]["content"]))
        time.sleep(0.03)
    record["notes"] = notes
    record["final"] = str(job.result(timeout=60)[0][-1]["content"])


def test_page_and_api_questions_never_overlap_in_the_model_and_waiters_see_their_place(tmp_path):
    slow = SlowGenerator(0.8)
    a, server, thread, url = serve(tmp_path, slow)
    try:
        from gradio_client import Client

        Client(url + "/", verbose=False)  # the page's config is fetched once before the race starts
        records = [{} for _ in range(4)]
        api_first = threading.Thread(target=lambda: records[0].update(
            httpx.post(url + "/api/ask", json={"question": "who proposed the summit"}, timeout=60).json()))
        others = [threading.Thread(target=_stream_chat, args=(url, records[1])),
                  threading.Thread(target=_page, args=(url, records[2])),
                  threading.Thread(target=_page, args=(url, records[3]))]
        api_first.start()
        time.sleep(0.3)  # the API question holds the model; the rest arrive while it is busy
        for t in others:
            t.start()
            time.sleep(0.1)
        for t in [api_first, *others]:
            t.join(60)
    finally:
        stop(server, thread)

    assert slow.calls == 4 and slow.most_inside == 1  # four questions, never two inside the model at once
    assert "Emmanuel Macron" in records[0]["answer"] and records[0]["timings"]["queue"] < 0.3
    # The stream said how many questions were ahead, then searched; its final chunk says how long it waited.
    stages = [p["stage"] for p in records[1]["progress"]]
    assert stages[0] == "queue" and records[1]["progress"][0]["ahead"] >= 1 and "search" in stages
    assert stages.index("search") > stages.index("queue")
    assert records[1]["final"]["queue_s"] > 0.3 and records[1]["final"]["citations"]
    for page in records[2:]:
        assert any("Waiting for the model:" in n and "ahead of yours" in n for n in page["notes"]), page["notes"]
        assert "Emmanuel Macron" in page["final"]


def test_a_full_line_is_refused_with_503_and_retry_after_on_the_api_and_a_message_on_the_page(tmp_path):
    slow = SlowGenerator(1.5)
    a, server, thread, url = serve(tmp_path, slow, queue_limit=1)
    try:
        from gradio_client import Client

        page = Client(url + "/", verbose=False)
        ask = lambda: httpx.post(url + "/api/ask", json={"question": "who proposed the summit"}, timeout=60)  # noqa
        held, waiting = threading.Thread(target=ask), threading.Thread(target=ask)
        held.start()
        time.sleep(0.3)
        waiting.start()
        time.sleep(0.3)
        refused = ask()
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
        assert "busy" in refused.json()["detail"]
        chat = httpx.post(url + "/v1/chat/completions", timeout=60, json={
            "model": "citewire", "stream": True, "messages": [{"role": "user", "content": "who proposed it"}]})
        assert chat.status_code == 503 and chat.headers["retry-after"]
        busy = page.predict("who proposed the summit", [], "", "", [], "", 5, api_name="/ask")[0][-1]["content"]
        assert "The model is busy" in str(busy) and "ask again" in str(busy)
        held.join(30)
        waiting.join(30)
        # Once the line is short again the server answers as usual.
        assert "Emmanuel Macron" in ask().json()["answer"]
    finally:
        stop(server, thread)
    assert slow.most_inside == 1


# --- the load runner -----------------------------------------------------------------------------------------


def test_ten_seconds_of_load_on_page_and_api_gives_answers_with_valid_citations(tmp_path):
    from eval.load import run_load, summarise

    a, server, thread, url = serve(tmp_path, "extractive")
    try:
        texts = {r["id"]: a.library.article_text(r["id"]) for r in a.library.list_articles()}
        titles = {r["id"]: r["title"] for r in a.library.list_articles()}
        outcomes = run_load(url, texts, clients=6, seconds=10, titles=titles)
    finally:
        stop(server, thread)
    summary = summarise(outcomes, 10)
    kinds = {o.kind for o in outcomes}
    assert kinds == {"api", "chat", "page"}
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["answers"] >= 12 and summary["citations_invalid"] == 0
    assert summary["citations_valid"] == summary["answers"]
    # Both answers and abstentions came back (the question set has one the article does not answer).
    assert 0 < summary["abstained"] < summary["answers"]


def test_citation_checks_catch_wrong_offsets_and_cited_abstentions():
    from eval.load import _Texts, check_citations, check_page_citations

    texts = _Texts({"a": "Macron proposed it. Biden agreed."}, {"Summit": ["a"]})
    good = {"article_id": "a", "quote": "Biden agreed.", "start": 20, "end": 33}
    assert check_citations(False, [good], texts)
    assert not check_citations(False, [dict(good, start=19)], texts)
    assert not check_citations(False, [dict(good, article_id="b")], texts)
    assert not check_citations(True, [good], texts) and check_citations(True, [], texts)
    assert not check_citations(False, [], texts)
    card = ("<div class='cw-cards'><div class='cw-card' id='cw-source-1'><div class='cw-head'>[1] Summit</div>"
            "<div class='cw-meta'>Kyodo</div><blockquote>Macron proposed it. <mark>{}</mark></blockquote></div></div>")
    assert check_page_citations(card.format("Biden agreed."), texts) == (True, 1, False)
    assert check_page_citations(card.format("Biden refused."), texts)[0] is False


@pytest.mark.integration
def test_load_on_the_local_model_answers_one_at_a_time(tmp_path):
    """The real Gemma model behind the real server, two clients for 20 s (python -m eval.load --full: 4 x 60 s)."""
    from eval.load import main

    out = tmp_path / "load.json"
    assert main(["--phase", "local:2:20", "--json", str(out)]) == 0
    phase = json.loads(out.read_text())["phases"][0]
    assert phase["summary"]["errors"] == 0 and phase["summary"]["answers"] >= 2
