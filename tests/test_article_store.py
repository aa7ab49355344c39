"""The articles are the record, the index is derived: the article store beside Chroma, and
`citewire reindex` rebuilding Chroma and the keyword index from it alone (issue 15)."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import Settings, build_assistant, build_library
from assistant.cli import main
from assistant.factory import rebuild_index
from index import Article, ArticleStore, ChromaStore, Chunk, IndexDamaged, Library, chunk_article, content_hash
from index.reindex import REBUILD_DIR, _reassemble
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("harbour council budget river storm minister bridge election court museum festival railway school "
         "hospital farmers market factory airport vaccine treaty police union senate mayor drought harvest").split()


def story(i: int, version: int = 1) -> dict:
    rng = random.Random(i * 10 + version)
    paragraphs = ["\n".join(" ".join(rng.choice(WORDS) for _ in range(10)).capitalize() + f" on day {p}{s}."
                            for s in range(2 + (i + p) % 3)) for p in range(2 + i % 3)]
    record = {"id": f"art-{i:04d}", "title": f"Story {i} v{version}", "source": "Wire", "url": f"https://x.test/{i}",
              "published_at": f"2022-0{1 + i % 9}-1{i % 10}", "text": "\n\n".join(paragraphs), "desk": ["a", i]}
    if i % 5 == 0:
        record["published_at"] = "2019-05"  # a partial date: kept in extra, not padded
    return record


def write_corpus(path: Path, n: int, version: int = 1) -> str:
    path.write_text("".join(json.dumps(story(i, version)) + "\n" for i in range(n)), encoding="utf-8")
    return str(path)


def settings_for(data: Path) -> Settings:
    return Settings(data_dir=data, chunk_tokens=48)


def snapshot(data: Path) -> dict:
    """Every chunk: id -> (text, metadata, vector), read by a fresh process (Chroma caches per process)."""
    code = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, sys.argv[2])
        from index import ChromaStore
        got = ChromaStore(sys.argv[1]).collection.get(include=["documents", "metadatas", "embeddings"])
        print(json.dumps({i: [d, m, [round(float(x), 6) for x in e]]
                          for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])}))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(data), str(ROOT)], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    return json.loads(out)


@pytest.fixture
def ingested(tmp_path):
    """A data dir with 12 articles ingested through the Library, and what Chroma holds then."""
    data = tmp_path / "data"
    corpus = write_corpus(tmp_path / "corpus.jsonl", 12)
    library = build_library(settings_for(data), FakeEmbedder())
    report = library.ingest([corpus])
    assert len(report.added) == 12
    library.store.close()
    os.remove(corpus)  # reindex must not need the original files
    return data, snapshot(data)


def test_ingest_records_each_article_before_its_chunks(tmp_path, monkeypatch):
    data = tmp_path / "data"
    library = build_library(settings_for(data), FakeEmbedder())
    seen = []
    real_add = ChromaStore.add

    def add(self, chunks, embeddings, extra=None):
        recorded = library.articles.hashes({c.article_id for c in chunks})
        seen.extend((c.article_id, recorded.get(c.article_id) == c.content_hash) for c in chunks)
        return real_add(self, chunks, embeddings, extra)

    monkeypatch.setattr(ChromaStore, "add", add)
    library.ingest([write_corpus(tmp_path / "c.jsonl", 6)])
    assert seen and all(ok for _, ok in seen)
    stored = library.articles.get("art-0005")
    raw = story(5)
    assert (stored.title, stored.url, stored.source) == (raw["title"], raw["url"], raw["source"])
    assert stored.text == raw["text"] and stored.published_at == ""
    assert stored.extra == {"desk": ["a", 5], "published_partial": "2019-05", "published_precision": "month"}
    assert library.articles.get("art-0001").published_at == "2022-02-11"
    assert library.articles.hashes(["art-0001"]) == {"art-0001": stored_hash(library, "art-0001")}


def stored_hash(library: Library, article_id: str) -> str:
    return library.store.chunks_of(article_id)[0].content_hash


def test_an_update_replaces_the_record_and_a_removal_deletes_it(tmp_path):
    data = tmp_path / "data"
    library = build_library(settings_for(data), FakeEmbedder())
    library.ingest([write_corpus(tmp_path / "v1.jsonl", 4)])
    report = library.ingest([write_corpus(tmp_path / "v2.jsonl", 4, version=2)])
    assert sorted(report.updated) == [f"art-{i:04d}" for i in range(4)]
    assert library.articles.get("art-0002").title == "Story 2 v2"
    assert library.articles.get("art-0002").text == story(2, 2)["text"]
    assert library.remove(["art-0002", "nope"]) == ["art-0002"]
    assert library.articles.get("art-0002") is None and library.store.chunks_of("art-0002") == []
    assert sorted(library.articles.ids()) == ["art-0000", "art-0001", "art-0003"]
    # Removed text is in no file of the data dir: not in Chroma's, not in the article store or its WAL.
    gone = story(2, 2)["text"].split("\n")[0].encode()
    assert not [p for p in data.rglob("*") if p.is_file() and gone in p.read_bytes()]


def test_reindex_rebuilds_the_same_index_from_the_article_store_alone(ingested, capsys, monkeypatch):
    data, before = ingested
    monkeypatch.setattr("assistant.factory.default_embedder", lambda settings=None: FakeEmbedder())
    monkeypatch.setenv("CITEWIRE_CHUNK_TOKENS", "48")
    assert main(["reindex", "--data-dir", str(data)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("reindexed 12 articles, ") and "chunks in" in line and "\n" not in line
    assert snapshot(data) == before  # same ids, texts, metadata (simhash, partial dates) and vectors
    assert not (data / REBUILD_DIR).exists() and not list(data.glob("broken-*"))
    assistant = build_assistant(data_dir=data, generator="extractive", embedder=FakeEmbedder(), chunk_tokens=48)
    keyword = assistant.library.derived[0]
    assert keyword.search("harbour council", k=3)  # the keyword index was rebuilt too
    assert len(keyword) == len(before)


@pytest.mark.parametrize("damage", ["garbage", "missing", "no-dir"])
def test_reindex_works_when_chroma_sqlite3_is_garbage_or_missing(ingested, damage):
    data, before = ingested
    db = data / "chroma" / "chroma.sqlite3"
    if damage == "garbage":
        db.write_bytes(os.urandom(db.stat().st_size))
    elif damage == "missing":
        db.unlink()
    else:
        import shutil

        shutil.rmtree(data / "chroma")
    with pytest.raises(IndexDamaged, match="chroma.sqlite3 is (damaged|missing).*citewire reindex"):
        build_library(settings_for(data), FakeEmbedder())
    report = rebuild_index(settings_for(data), FakeEmbedder())
    assert (report.articles, report.chunks) == (12, len(before))
    assert snapshot(data) == before
    broken = list(data.glob("broken-*"))
    assert len(broken) == (1 if damage != "no-dir" else 0)
    assert (report.moved_aside is not None) == (damage != "no-dir")


def test_reindex_killed_part_way_then_run_again_completes(ingested):
    data, before = ingested
    worker = textwrap.dedent("""
        import sys, time
        sys.path.insert(0, sys.argv[2])
        from assistant import Settings
        from assistant.factory import rebuild_index
        from tests.fakes import FakeEmbedder

        class Slow(FakeEmbedder):
            def embed_batch(self, texts):
                print("batch", flush=True)
                time.sleep(0.3)
                return super().embed_batch(texts)

        rebuild_index(Settings(data_dir=sys.argv[1], chunk_tokens=48), Slow())
        print("done", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", worker, str(data), str(ROOT)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "batch"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert (data / REBUILD_DIR).exists()  # killed while building beside the old index...
    assert snapshot(data) == before  # ...which still serves every article
    report = rebuild_index(settings_for(data), FakeEmbedder())
    assert report.articles == 12 and snapshot(data) == before and not (data / REBUILD_DIR).exists()


def test_reindex_killed_between_its_two_renames_is_reported_then_completes(ingested, monkeypatch):
    data, before = ingested
    real_rename = Path.rename

    def rename(self, target):
        if self.name == REBUILD_DIR:
            raise KeyboardInterrupt  # as if killed right after the old index was moved away
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        rebuild_index(settings_for(data), FakeEmbedder())
    monkeypatch.undo()
    with pytest.raises(IndexDamaged, match="missing while the article store holds articles"):
        build_library(settings_for(data), FakeEmbedder())
    rebuild_index(settings_for(data), FakeEmbedder())
    assert snapshot(data) == before


def test_a_data_dir_from_before_the_article_store(tmp_path, capsys, monkeypatch):
    """Old data dirs keep working; reindex refuses to drop what only the index holds, and
    `--from-index` recovers those articles exactly from their chunks."""
    data = tmp_path / "data"
    corpus = write_corpus(tmp_path / "corpus.jsonl", 8)
    library = build_library(settings_for(data), FakeEmbedder())
    library.ingest([corpus])
    library.articles.close()
    library.store.close()
    for name in ("articles.sqlite3", "articles.sqlite3-wal", "articles.sqlite3-shm"):
        (data / name).unlink(missing_ok=True)
    before = snapshot(data)

    library = build_library(settings_for(data), FakeEmbedder())  # works, with an empty article store
    assert len(library.list_articles()) == 8 and len(library.articles) == 0
    library.store.close()
    monkeypatch.setattr("assistant.factory.default_embedder", lambda settings=None: FakeEmbedder())
    monkeypatch.setenv("CITEWIRE_CHUNK_TOKENS", "48")
    assert main(["reindex", "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the article store") and "8 more" in err and "--from-index" in err
    assert "\n" not in err and snapshot(data) == before  # nothing was dropped

    assert main(["reindex", "--data-dir", str(data), "--from-index"]) == 0
    out = capsys.readouterr().out
    assert "reindexed 8 articles" in out and "8 recovered from the old index" in out
    records = ArticleStore(data / "articles.sqlite3")
    assert all(records.get(f"art-{i:04d}").text == story(i)["text"] for i in range(8))
    assert snapshot(data) == before


def test_an_unchanged_reingest_fills_in_missing_records(tmp_path):
    data = tmp_path / "data"
    corpus = write_corpus(tmp_path / "corpus.jsonl", 5)
    library = build_library(settings_for(data), FakeEmbedder())
    library.ingest([corpus])
    library.articles.delete(["art-0001", "art-0003"])
    embedder = library.embedder
    calls = embedder.calls
    report = library.ingest([corpus])
    assert len(report.unchanged) == 5 and embedder.calls == calls  # nothing re-embedded
    assert sorted(library.articles.ids()) == [f"art-{i:04d}" for i in range(5)]


def test_reassembly_from_chunks_is_exact_or_nothing():
    text = ("First point here. Second point follows.\n\nA new paragraph starts. It goes on a while.\n"
            "A line of its own. The end comes now.")
    article = Article(id="a", title="", text=text)
    chunks = chunk_article(article, max_tokens=16, overlap_sentences=0)
    assert len(chunks) > 2 and any(b.start > a.end for a, b in zip(chunks, chunks[1:]))  # gaps to fill
    assert _reassemble(chunks) == text
    odd = "One sentence here.\t\tAnother sentence there."
    halves = [Chunk(id=f"b::{i}", article_id="b", text=odd[s:e], start=s, end=e, index=i,
                    content_hash=content_hash(odd), n_chunks=2) for i, (s, e) in enumerate([(0, 18), (20, 44)])]
    assert _reassemble(halves) is None  # two tabs between the chunks: not guessed, so not recovered
    halves[1] = replace(halves[1], text=odd[19:44], start=19)
    assert _reassemble(halves) is None  # an overlap that is not in the text either
