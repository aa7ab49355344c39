import json

import pytest

from index import ChromaStore, ingest
from tests.fakes import FakeEmbedder


def write_corpus(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def record(i, text=None):
    return {"id": f"a{i}", "title": f"Story {i}", "source": "Wire", "published_at": "2022-02-2%d" % (i % 9),
            "text": text or f"Event number {i} happened in town {i}. Officials said number {i} was large. " * 6}


def snapshot(store):
    got = store.collection.get(include=["metadatas"])
    return sorted(got["ids"])


@pytest.fixture
def store(tmp_path):
    return ChromaStore(tmp_path / "data")


def test_ingest_then_reingest_is_unchanged_and_not_duplicated(tmp_path, store, sample_path):
    emb = FakeEmbedder()
    first = ingest([str(sample_path)], emb, store)
    assert first.added == ["kyodo-2022-02-21-biden-putin-summit"] and first.ok
    count = store.count()
    calls = emb.calls
    again = ingest([str(sample_path)], emb, store)
    assert again.unchanged == ["kyodo-2022-02-21-biden-putin-summit"] and not again.added
    assert store.count() == count and emb.calls == calls  # nothing re-embedded


def test_stored_metadata_is_filterable_and_offsets_exact(store, sample_path, sample_text):
    ingest([str(sample_path)], FakeEmbedder(), store)
    got = store.collection.get(where={"published_day": {"$gte": 20220221}}, include=["metadatas", "documents"])
    assert got["ids"]
    (chunk,) = [c for c in store.chunks_of("kyodo-2022-02-21-biden-putin-summit") if c.index == 0]
    assert chunk.source == "Kyodo" and chunk.published_at == "2022-02-21"
    assert sample_text.startswith(chunk.text[:100])


def test_changed_article_replaces_its_old_chunks(tmp_path, store):
    corpus = write_corpus(tmp_path / "c.jsonl", [record(1), record(2)])
    ingest([str(corpus)], FakeEmbedder(), store)
    write_corpus(corpus, [record(1, "A wholly new text about something else. It is short."), record(2)])
    report = ingest([str(corpus)], FakeEmbedder(), store)
    assert report.updated == ["a1"] and report.unchanged == ["a2"]
    chunks = store.chunks_of("a1")
    assert len(chunks) == 1 and chunks[0].text.startswith("A wholly new text")


def test_failures_are_reported_and_the_rest_ingested(tmp_path, store):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps(record(1)) + "\n{broken\n")
    report = ingest([str(corpus), str(tmp_path / "nope.txt")], FakeEmbedder(), store)
    assert report.added == ["a1"]
    assert [str(f) for f in report.failed] == [f"{corpus}:2: malformed JSON line (Expecting property name "
                                              "enclosed in double quotes)", f"{tmp_path / 'nope.txt'}: no such file "
                                              "or directory"]
    assert not report.ok


class CrashingEmbedder(FakeEmbedder):
    def __init__(self, crash_on_call):
        super().__init__()
        self.crash_on_call = crash_on_call

    def embed_batch(self, texts):
        if self.calls + 1 == self.crash_on_call:
            raise KeyboardInterrupt("simulated crash")
        return super().embed_batch(texts)


def test_a_crash_mid_ingest_leaves_an_index_that_a_rerun_completes(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", [record(i) for i in range(12)])
    clean = ChromaStore(tmp_path / "clean")
    ingest([str(corpus)], FakeEmbedder(), clean, batch_chunks=4)

    store = ChromaStore(tmp_path / "crashy")
    with pytest.raises(KeyboardInterrupt):
        ingest([str(corpus)], CrashingEmbedder(crash_on_call=3), store, batch_chunks=4)
    partial = store.count()
    assert 0 < partial < clean.count()
    report = ingest([str(corpus)], FakeEmbedder(), store, batch_chunks=4)
    assert len(report.unchanged) + len(report.added) == 12
    assert snapshot(store) == snapshot(clean)


def test_unchanged_reingest_queries_the_store_a_window_at_a_time(tmp_path, store, monkeypatch):
    corpus = write_corpus(tmp_path / "c.jsonl", [record(i) for i in range(30)])
    ingest([str(corpus)], FakeEmbedder(), store)
    calls = []
    real_get = store.collection.get
    monkeypatch.setattr(store.collection, "get", lambda *a, **kw: calls.append(kw) or real_get(*a, **kw))
    emb = FakeEmbedder()
    report = ingest([str(corpus)], emb, store, lookup_window=16)
    assert len(report.unchanged) == 30 and emb.calls == 0
    assert len(calls) == 2  # 30 ids in windows of 16, no per-article lookups


def test_every_chunk_carries_article_metadata_and_span(tmp_path, store):
    rec = dict(record(3), url="http://x/3", section="World")
    corpus = write_corpus(tmp_path / "c.jsonl", [rec])
    ingest([str(corpus)], FakeEmbedder(), store, max_tokens=40)
    got = store.collection.get(include=["metadatas", "documents"])
    assert len(got["ids"]) > 1
    for chunk_id, meta, doc in zip(got["ids"], got["metadatas"], got["documents"]):
        assert chunk_id == f"a3::{meta['chunk_index']}"
        assert meta["article_id"] == "a3" and meta["title"] == "Story 3" and meta["source"] == "Wire"
        assert meta["published_at"] == "2022-02-23" and meta["published_day"] == 20220223
        assert meta["url"] == "http://x/3" and meta["extra_section"] == "World" and len(meta["simhash"]) == 16
        assert rec["text"].strip()[meta["start"]:meta["end"]] == doc
        assert meta["n_chunks"] == len(got["ids"])


def test_update_overwrites_chunks_in_place_and_drops_the_surplus(tmp_path, store):
    corpus = write_corpus(tmp_path / "c.jsonl", [record(1)])
    ingest([str(corpus)], FakeEmbedder(), store, max_tokens=40)
    old_ids = snapshot(store)
    assert len(old_ids) > 2
    write_corpus(corpus, [record(1, "Short new text. Only two sentences.")])
    report = ingest([str(corpus)], FakeEmbedder(), store, max_tokens=40)
    assert report.updated == ["a1"] and snapshot(store) == ["a1::0"]
    assert store.article_text("a1") == "Short new text. Only two sentences."


def test_progress_callback_reports_every_article_with_chunk_counts(tmp_path, store):
    corpus = write_corpus(tmp_path / "c.jsonl", [record(1), record(2)])
    corpus.write_text(corpus.read_text() + "{bad\n")
    events = []
    ingest([str(corpus)], FakeEmbedder(), store, on_article=lambda *e: events.append(e))
    assert sorted(e[1] for e in events) == ["added", "added", "failed"]
    assert sum(e[2] for e in events) == store.count()
