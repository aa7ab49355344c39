"""End-to-end runs on the real bundled models (all-MiniLM-L6-v2, Gemma 3 270M GGUF).

Marked `integration`: the fast loop is `pytest -m "not integration"`; CI runs all.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
MACRON_QUOTE = "proposed by French President Emmanuel Macron"


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def local_assistant(tmp_path_factory, models_dir):
    from assistant import build_assistant, ingest_sample_if_empty

    a = build_assistant(data_dir=tmp_path_factory.mktemp("data"), generator="local", model_cache_dir=models_dir)
    assert ingest_sample_if_empty(a).added == ["kyodo-2022-02-21-biden-putin-summit"]
    return a


def _no_network_prefix() -> list[str]:
    """`unshare -n` (a process with no network at all) where this machine allows it."""
    try:
        ok = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return ["unshare", "-n"] if ok else []


def env_for(models_dir):
    return dict(os.environ, CITEWIRE_MODEL_CACHE_DIR=str(models_dir), PYTHONPATH=str(ROOT))


def test_real_chunks_fit_the_embedder_window(local_assistant):
    from index import load_articles, chunk_article

    embedder = local_assistant.library.embedder
    (article,) = load_articles([str(ROOT / "index" / "sample")])
    for chunk in chunk_article(article, embedder.count_tokens):
        assert embedder.count_tokens(f"{chunk.title}\n{chunk.text}") + 2 <= 256


def test_a_question_is_embedded_once_with_encodes_vector(local_assistant, monkeypatch):
    import numpy as np

    embedder = local_assistant.library.embedder
    question = "Who proposed the summit between Biden and Putin?"
    embedder.forget_recent()
    direct = np.array(embedder.embed_batch([question])[0])
    encoded = embedder.model.encode([question], normalize_embeddings=True)[0]
    assert np.abs(direct - encoded).max() < 1e-5
    # Dense search and the answer checks of one question share that vector: it goes through the model once.
    embedder.forget_recent()
    seen: list[str] = []
    assert embedder.backend == "onnx"  # the default: ONNX Runtime, exported into the data dir's models folder
    encoder = embedder._encoder()
    encode = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts, *a, **k: seen.extend(texts) or encode(texts, *a, **k))
    passages = local_assistant.retrieve(question)
    local_assistant.scorer(question, passages)
    assert seen.count(question) == 1 and len(seen) > 1  # the sentences were embedded too


def test_local_model_answers_with_the_macron_citation(local_assistant):
    ans = local_assistant.ask("who proposed the summit")
    assert not ans.abstained and "Macron" in ans.text
    assert any(MACRON_QUOTE in c.quote for c in ans.citations)


def test_local_model_abstains_on_ukraines_president(local_assistant):
    ans = local_assistant.ask("What is the name of Ukraine's president?")
    assert ans.abstained and not ans.citations


def test_extractive_names_every_member_a_plural_question_asks_for(tmp_path):
    from assistant import build_assistant, ingest_sample_if_empty

    a = build_assistant(data_dir=tmp_path, generator="extractive")  # the real embedder and spaCy tagger
    ingest_sample_if_empty(a)
    members = "Britain, Canada, France, Germany, Italy, Japan and the United States"
    ans = a.ask("Which countries are members of the G-7?", as_of="2022-02-21")
    assert ans.span == members and ans.text.startswith(members) and members in ans.citations[0].quote
    ans = a.ask("Which country is a member of the G-7?", as_of="2022-02-21")
    assert ans.span == "Britain"


def test_cli_ask_json_on_a_fresh_data_dir_without_network(tmp_path, models_dir):
    out = subprocess.run(
        _no_network_prefix() + [sys.executable, "-m", "assistant", "ask", "who proposed the summit", "--json", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, env=env_for(models_dir), timeout=300,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "Macron" in data["answer"] and data["abstained"] is False
    assert any(MACRON_QUOTE in c["quote"] for c in data["citations"])
    assert set(data["citations"][0]) == {"n", "article_id", "title", "url", "published_at", "quote", "start", "end"}
    assert {"retrieve", "generate", "verify", "total"} <= set(data["timings"])


def test_cli_ingest_reports_failures_with_exit_code(tmp_path, models_dir):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "Fine text."}\n{oops\n')
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(bad), "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, cwd=ROOT, env=env_for(models_dir), timeout=300,
    )
    assert out.returncode == 1
    assert f"{bad}:2: malformed JSON line" in out.stderr and "added 1" in out.stdout


def test_ui_serves_the_cited_answer(tmp_path, models_dir):
    from gradio_client import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui", "--port", str(port), "--data-dir", str(tmp_path)],
        cwd=ROOT, env=env_for(models_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(1)
        reply = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("who proposed the summit",
                                                                           api_name="/chat")
        assert "Macron" in reply and MACRON_QUOTE in reply
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_eval_gate_on_the_gold_set_with_the_local_model(tmp_path, models_dir):
    out = subprocess.run(
        [sys.executable, "-m", "eval", "--generator", "local", "--check", "-q", "--data-dir", str(tmp_path),
         "--json", str(tmp_path / "eval.json")],
        capture_output=True, text=True, cwd=ROOT, env=env_for(models_dir), timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    summary = json.loads((tmp_path / "eval.json").read_text())["summary"]
    assert summary["questions"] >= 15 and summary["unanswerable"] >= 3
