"""Removed and replaced article text is gone from disk, not just from search results.

Chroma keeps every write, document text included, in its log table until the
vector index persists, and SQLite keeps deleted rows' bytes in free pages; the
store purges both (index/store.py). Every file under the data directory is read
as bytes and searched for the old sentences."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index import ChromaStore, SearchFilters, ingest
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent

REPLACED = "The zebra quartet painted the lighthouse violet on Thursday evening."
REMOVED = "The marmalade committee dissolved itself after a unanimous vote."
SURPLUS = "Volunteers from the quilting guild counted seventeen herons along the pier."
NEW = "Volunteers repainted the lighthouse white after the storm."
KEPT = "The ferry timetable changes on Monday for the winter season."


def files_holding(data_dir: Path, *sentences: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for sentence in sentences:
                if sentence.encode("utf-8") in data:
                    found.setdefault(sentence, []).append(str(path.relative_to(data_dir)))
    return found


def write(path: Path, title: str, *sentences: str) -> Path:
    path.write_text(f"{title}\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def archive(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    # Long enough for several chunks at max_tokens=40, so the update also leaves surplus chunks to delete.
    write(src / "lighthouse.txt", "Lighthouse news", REPLACED, "It was a calm day in the harbour town.",
          "Fishermen watched from the quay as the paint dried.", SURPLUS,
          "The mayor said the colour would be reviewed in spring.")
    write(src / "committee.txt", "Committee news", REMOVED, "Members went home early that afternoon.")
    write(src / "ferry.txt", "Ferry news", KEPT, "Passengers should check the new times online.")
    return src


def test_updated_and_removed_text_is_in_no_file_of_the_data_dir(tmp_path, archive):
    data = tmp_path / "data"
    store = ChromaStore(data)
    first = ingest([str(archive)], FakeEmbedder(), store, max_tokens=40)
    assert sorted(first.added) == ["committee", "ferry", "lighthouse"]
    assert files_holding(data, REPLACED, REMOVED, SURPLUS).keys() == {REPLACED, REMOVED, SURPLUS}  # stored

    write(archive / "lighthouse.txt", "Lighthouse news", NEW, "Nobody objected to the new colour.")
    second = ingest([str(archive / "lighthouse.txt")], FakeEmbedder(), store, max_tokens=40)
    assert second.updated == ["lighthouse"]
    store.delete_article("committee")

    assert files_holding(data, REPLACED, REMOVED, SURPLUS) == {}
    assert files_holding(data, NEW, KEPT).keys() == {NEW, KEPT}  # what is still stored stays stored

    # The index still answers: search, filters, listing, and a re-ingest of the removed article.
    assert sorted(r["id"] for r in store.list_articles()) == ["ferry", "lighthouse"]
    (vector,) = FakeEmbedder().embed_batch(["ferry timetable winter"])
    hits = store.query(vector, 3)
    assert hits[0][0].article_id == "ferry" and KEPT in hits[0][0].text
    assert {c.article_id for c, _ in store.query(vector, 5, SearchFilters(article_ids=("lighthouse",)))} == {"lighthouse"}
    assert NEW in store.article_text("lighthouse")
    third = ingest([str(archive)], FakeEmbedder(), store, max_tokens=40)
    assert third.added == ["committee"] and sorted(third.unchanged) == ["ferry", "lighthouse"]
    assert REMOVED in store.article_text("committee")


_REOPEN = """
import json, sys
from index import ChromaStore
from tests.fakes import FakeEmbedder
store = ChromaStore(sys.argv[1])
(vector,) = FakeEmbedder().embed_batch(["lighthouse repainted white"])
print(json.dumps({"count": store.count(), "ids": [r["id"] for r in store.list_articles()],
                  "top": store.query(vector, 1)[0][0].article_id}))
"""


def test_a_purged_store_reopens_consistent_in_a_new_process(tmp_path, archive):
    data = tmp_path / "data"
    store = ChromaStore(data)
    ingest([str(archive)], FakeEmbedder(), store, max_tokens=40)
    write(archive / "lighthouse.txt", "Lighthouse news", NEW, "Nobody objected to the new colour.")
    ingest([str(archive / "lighthouse.txt")], FakeEmbedder(), store, max_tokens=40)
    store.delete_article("committee")
    expected = store.count()

    out = subprocess.run([sys.executable, "-c", _REOPEN, str(data)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # The vector index is rebuilt from what the pruned log still holds: same chunks, same answers.
    assert got == {"count": expected, "ids": ["ferry", "lighthouse"], "top": "lighthouse"}
