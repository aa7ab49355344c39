"""The embedder on ONNX Runtime: exported once from the bundled torch model, the same vectors and word
pieces, and a fresh process that answers without importing torch (the CLI in a fresh shell)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import SAMPLE_DIR, SentenceTransformerEmbedder
from index.onnx_encoder import onnx_path

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["who proposed the summit", "How many Russian troops are near Ukraine's borders?", "",
             "  Biden Putin  ", "¿Quién propuso la cumbre? 北京"]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def _sample_text() -> str:
    return next(SAMPLE_DIR.glob("*.txt")).read_text(encoding="utf-8")


def test_the_export_gives_torchs_vectors_and_word_pieces(onnx_dir, torch_embedder):
    embedder = SentenceTransformerEmbedder(onnx_dir=onnx_dir)
    assert embedder.backend == "onnx"
    assert onnx_path(Path(embedder.model_dir or _bundled()), onnx_dir).exists()
    text = _sample_text()
    passages = [text[i:i + 900] for i in range(0, len(text), 700)] + [text * 3]  # the last is cut at 256 pieces
    for texts in ([q] for q in QUESTIONS), [QUESTIONS[:3]], [passages]:
        for batch in texts:
            got, want = np.array(embedder.embed_batch(batch)), np.array(torch_embedder.embed_batch(batch))
            assert got.shape == want.shape
            assert np.abs(got - want).max() < 1e-5
    assert embedder.count_tokens(text) == torch_embedder.count_tokens(text)
    assert embedder.token_offsets(text) == torch_embedder.token_offsets(text)


def _bundled() -> Path:
    from index import bundled_embedder_path

    return bundled_embedder_path()


def test_a_fresh_process_answers_without_importing_torch(onnx_dir, tmp_path, torch_embedder):
    """The path of `citewire ask` in a fresh shell once the export exists: ingest the sample, ask, and
    neither the embedder (ingest and question) nor spaCy's NER has loaded torch (about 3 s and 300 MB)."""
    SentenceTransformerEmbedder(onnx_dir=onnx_dir).backend  # noqa: B018 - the export exists (module fixture)
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    export = next(onnx_dir.glob("embedder-*.onnx"))
    os.link(export, data / "models" / export.name)
    script = (
        "import sys, json\n"
        "from assistant import Settings, build_assistant, ingest_sample_if_empty, offline_environment\n"
        "offline_environment()\n"
        f"a = build_assistant(settings=Settings(data_dir={str(data)!r}), generator='extractive')\n"
        "ingest_sample_if_empty(a)\n"
        "r = a.ask('Who proposed the summit?')\n"
        "print(json.dumps({'answer': r.text, 'torch': 'torch' in sys.modules,\n"
        "                  'st': 'sentence_transformers' in sys.modules}))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "Macron" in out["answer"]
    assert out == {**out, "torch": False, "st": False}


def test_a_refused_export_falls_back_to_torch_once_and_says_why(tmp_path, monkeypatch, caplog, torch_embedder):
    calls = []

    def refuse(model, model_dir, path):
        calls.append(path)
        return "its vectors differ from torch's by up to 0.5"

    monkeypatch.setattr("index.onnx_encoder.export_onnx", refuse)
    with caplog.at_level(logging.WARNING, logger="citewire"):
        first = SentenceTransformerEmbedder(onnx_dir=tmp_path)
        first._model = torch_embedder.model  # the loaded torch model: no second load
        assert first.backend == "torch"
    assert "its vectors differ" in caplog.text
    assert not list(tmp_path.glob("*.onnx"))
    second = SentenceTransformerEmbedder(onnx_dir=tmp_path)
    second._model = torch_embedder.model
    assert second.backend == "torch"
    assert len(calls) == 1  # the reason is kept beside where the export would be: not retried every start
    vector = second.embed_batch(["who proposed the summit"])[0]
    assert np.allclose(vector, torch_embedder.embed_batch(["who proposed the summit"])[0])


def test_without_torch_hides_torch_only_inside_and_only_when_not_loaded():
    script = (
        "import sys\n"
        "from index.embed import without_torch\n"
        "with without_torch():\n"
        "    try:\n"
        "        import torch\n"
        "        hidden = False\n"
        "    except ImportError:\n"
        "        hidden = True\n"
        "import torch\n"
        "with without_torch():\n"
        "    import torch as again\n"
        "print(hidden, again is torch)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "True"]


def test_a_damaged_export_is_removed_and_torch_embeds(tmp_path, caplog, torch_embedder):
    path = onnx_path(_bundled(), tmp_path)
    path.write_bytes(b"\x00garbage, as a truncated copy would be")
    embedder = SentenceTransformerEmbedder(onnx_dir=tmp_path)
    embedder._model = torch_embedder.model
    with caplog.at_level(logging.WARNING, logger="citewire"):
        assert embedder.backend == "torch"
    assert "did not load" in caplog.text and not path.exists()  # the next process exports it afresh
    assert np.allclose(embedder.embed_batch(["who proposed the summit"])[0],
                       torch_embedder.embed_batch(["who proposed the summit"])[0])
