"""ChromaStore.checkpoint: Chroma's vector index written to disk now, so every process that opens the store
searches the same graph (the measuring tools call it: two eval.fit runs of the same code read different
rows when each process replayed Chroma's unwritten writes in its own order)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from index import ChromaStore, Chunk

ROOT = Path(__file__).resolve().parents[1]
_QUERY = """
import json, sys
import numpy as np
from index import ChromaStore
store = ChromaStore(sys.argv[1])
rng = np.random.default_rng(7)
print(json.dumps([[c for c, _ in store.query_ids(v.tolist(), 30)] for v in rng.standard_normal((100, 64))]))
"""


def _chunks(n: int) -> tuple[list[Chunk], list[list[float]]]:
    rng = np.random.default_rng(0)
    chunks = [Chunk(id=f"a{i}::0", article_id=f"a{i}", text=f"text {i}", start=0, end=6, index=0,
                    content_hash=f"h{i}", n_chunks=1) for i in range(n)]
    return chunks, rng.standard_normal((n, 64)).tolist()


def _sync_threshold(store: ChromaStore) -> int:
    return store.client.get_collection(store.collection_name).configuration["hnsw"]["sync_threshold"]


def _ids_in_a_fresh_process(path: Path) -> list:
    run = subprocess.run([sys.executable, "-c", _QUERY, str(path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_checkpoint_makes_every_process_search_the_same_graph(tmp_path):
    store = ChromaStore(tmp_path)
    chunks, vectors = _chunks(2600)  # written to disk at 1,000 and 2,000, 600 left to replay on every open
    for i in range(0, len(chunks), 100):
        store.add(chunks[i:i + 100], vectors[i:i + 100])
    assert store._vector_lag() == 600
    before = store.version()
    assert store.checkpoint() is True
    assert store._vector_lag() <= 1 and store.checkpoint() is False  # nothing left to write
    assert store.version() != before  # a write as far as the derived indexes know
    assert _sync_threshold(store) == 1000  # restored
    assert store.count() == 2600
    assert [c.text for c in store.chunks(["a0::0"])] == ["text 0"]
    store.close()
    first = _ids_in_a_fresh_process(tmp_path)
    assert all(_ids_in_a_fresh_process(tmp_path) == first for _ in range(2))


def test_a_checkpoint_left_half_done_is_mended_by_the_next(tmp_path):
    store = ChromaStore(tmp_path)
    chunks, vectors = _chunks(40)
    store.add(chunks, vectors)
    store.collection.modify(configuration={"hnsw": {"sync_threshold": 2}})  # as a crash inside would leave it
    store.add(chunks[:1], vectors[:1])
    assert store.checkpoint() is True
    assert _sync_threshold(store) == 1000
