"""kill -9 during a large ingest (new articles, then updates), then the same
command again: the index ends exactly as a clean run leaves it."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


pytestmark = pytest.mark.integration  # subprocesses and a few thousand Chroma writes: about a minute

ROOT = Path(__file__).resolve().parent.parent

WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[3])
    from index import ChromaStore, Library
    from tests.fakes import FakeEmbedder

    class SlowEmbedder(FakeEmbedder):
        def embed_batch(self, texts):
            time.sleep(0.02)  # long enough for the parent to kill us part-way
            return super().embed_batch(texts)

    def progress(article_id, outcome, chunks):
        print(outcome, article_id, flush=True)

    library = Library(ChromaStore(sys.argv[1]), SlowEmbedder(), chunk_tokens=48)
    from index import ingest
    report = ingest([sys.argv[2]], library.embedder, library.store, max_tokens=48, batch_chunks=16,
                    lookup_window=32, on_article=progress)
    print("done", report.summary(), flush=True)
""")

WORDS = ("harbour council budget river storm minister bridge election court museum festival railway school "
         "hospital farmers market factory airport vaccine treaty police union senate mayor drought harvest "
         "tariff protest summit pipeline satellite reactor border refugees wildfire earthquake").split()


def article(i: int, version: int = 1) -> dict:
    """A distinct made-up story; version 2 is longer for odd i and shorter for multiples of 3."""
    rng = random.Random(i * 10 + version)
    n_sentences = 6 + (i % 5) + (3 if version == 2 and i % 2 else 0) - (4 if version == 2 and i % 3 == 0 else 0)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + f" on day {s}."
                 for s in range(n_sentences)]
    return {"id": f"art-{i:04d}", "title": f"Story {i}", "source": "Wire",
            "published_at": f"2022-0{1 + i % 9}-1{i % 10}", "text": " ".join(sentences)}


def write_corpus(path: Path, version: int, n: int = 160) -> str:
    path.write_text("".join(json.dumps(article(i, version if i % 4 else 1)) + "\n" for i in range(n)))
    return str(path)


def run_worker(data_dir: Path, corpus: str, kill_after: int | None = None) -> str:
    """Run an ingest in a subprocess; with `kill_after`, SIGKILL it once that many articles were written."""
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(data_dir), corpus, str(ROOT)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    written = 0
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(("added", "updated")):
            written += 1
        if kill_after is not None and written >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    if kill_after is not None:
        assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    else:
        assert proc.returncode == 0, proc.stderr.read()
    return "".join(lines)


READER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[2])
    from index import ChromaStore
    got = ChromaStore(sys.argv[1]).collection.get(include=["documents", "metadatas", "embeddings"])
    print(json.dumps({i: [d, m, [round(float(x), 6) for x in e]]
                      for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])}))
""")


def contents(data_dir: Path) -> dict:
    """Everything stored: id -> (text, metadata, vector). Read in a fresh process, as a rerun would:
    Chroma caches an open store per process and would not see another process's writes."""
    out = subprocess.run([sys.executable, "-c", READER, str(data_dir), str(ROOT)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory):
    """What clean runs leave: version 1 of the corpus, then version 2 ingested over it."""
    tmp = tmp_path_factory.mktemp("clean")
    v1, v2 = write_corpus(tmp / "v1.jsonl", 1), write_corpus(tmp / "v2.jsonl", 2)
    run_worker(tmp / "data", v1)
    after_v1 = contents(tmp / "data")
    run_worker(tmp / "data", v2)
    return v1, v2, after_v1, contents(tmp / "data")


def test_kill_during_first_ingest_then_rerun_equals_a_clean_run(tmp_path, clean_runs):
    v1, _, after_v1, _ = clean_runs
    run_worker(tmp_path / "data", v1, kill_after=40)
    partial = contents(tmp_path / "data")
    assert 0 < len(partial) < len(after_v1)
    out = run_worker(tmp_path / "data", v1)
    assert "unchanged" in out and "added" in out
    assert contents(tmp_path / "data") == after_v1


def test_kill_during_updates_then_rerun_equals_a_clean_run(tmp_path, clean_runs):
    v1, v2, after_v1, after_v2 = clean_runs
    run_worker(tmp_path / "data", v1)
    run_worker(tmp_path / "data", v2, kill_after=30)
    mid = contents(tmp_path / "data")
    assert mid != after_v1 and mid != after_v2
    # Every article is still searchable at the moment of the kill.
    assert {m["article_id"] for _, m, _ in mid.values()} == {m["article_id"] for _, m, _ in after_v1.values()}
    run_worker(tmp_path / "data", v2)
    assert contents(tmp_path / "data") == after_v2
