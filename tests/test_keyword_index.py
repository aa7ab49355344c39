"""The keyword index: BM25 arithmetic, in-place updates, the constant-time start-up check, healing."""

import json
import random
import subprocess
import sys

import pytest

from assistant import SearchFilters
from assistant.bm25 import build_segment, live_stats, merge, score
from assistant.keyword_index import KeywordIndex, keyword_tokens
from index import Chunk

WORDS = "river flood mayor budget zebra council storm harbour election vaccine summit court".split()


def chunk(i: int, words: list[str], day: str = "2022-06-10", source: str = "Wire") -> Chunk:
    return Chunk(id=f"a{i}::0", article_id=f"a{i}", text=" ".join(words), start=0, end=1, index=0, title="",
                 url="", source=source, published_at=day, content_hash=f"h{i}", n_chunks=1)


def corpus(n: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(WORDS) for _ in range(rng.randint(1, 12))] for _ in range(n)]


def ranked(segments, alive, query, k=50, filters=None):
    return [(cid, round(s, 4)) for cid, s in score(segments, alive, query, k, filters)]


def ones(segment):
    import numpy as np

    return np.ones(len(segment), dtype=bool)


def test_scores_equal_bm25s_on_one_segment():
    bm25s = pytest.importorskip("bm25s")
    docs = corpus(40)
    chunks = [chunk(i, d) for i, d in enumerate(docs)]
    seg = build_segment(chunks, docs)
    model = bm25s.BM25()
    model.index(docs, show_progress=False)
    for query in (["river", "flood"], ["zebra"], ["mayor", "mayor", "court"]):
        expected = model.get_scores(query)
        got = dict(score([seg], [ones(seg)], query, 100))
        for i, c in enumerate(chunks):
            assert got.get(c.id, 0.0) == pytest.approx(float(expected[i]), rel=1e-5, abs=1e-6)


def test_adds_and_deletes_score_as_a_fresh_build_of_what_is_left():
    docs = corpus(60, seed=1)
    chunks = [chunk(i, d) for i, d in enumerate(docs)]
    first, second = build_segment(chunks[:40], docs[:40]), build_segment(chunks[40:], docs[40:])
    alive = [ones(first), ones(second)]
    dead = {3, 7, 22, 45, 51}
    for i in dead:
        alive[0 if i < 40 else 1][i % 40 if i < 40 else i - 40] = False
    live = [i for i in range(60) if i not in dead]
    fresh = build_segment([chunks[i] for i in live], [docs[i] for i in live])
    for query in (["river"], ["storm", "harbour", "storm"], ["vaccine", "summit"]):
        assert ranked([first, second], alive, query) == ranked([fresh], [ones(fresh)], query)
        merged = merge([first, second], alive)
        assert len(merged) == len(live)
        assert ranked([merged], [ones(merged)], query) == ranked([fresh], [ones(fresh)], query)
        # The statistics an index state computes once give the same scores as computing them per query.
        shared = live_stats([first, second], alive)
        assert score([first, second], alive, query, 100, None, shared) == score([first, second], alive, query, 100)


def test_filters_match_search_filters_rules():
    docs = [["flood"]] * 4
    chunks = [chunk(0, docs[0], "2022-06-01", "A"), chunk(1, docs[1], "2022-06-20", "B"),
              chunk(2, docs[2], "", "A"), chunk(3, docs[3], "2022-07-02", "A")]
    seg = build_segment(chunks, docs)
    for f in (SearchFilters(date_from="2022-06-10"), SearchFilters(sources=("A",)),
              SearchFilters(article_ids=("a1", "a2")), SearchFilters(date_to="2022-06-30", sources=("A",))):
        expected = {c.id for c in chunks if f.matches(c.source, c.article_id, c.published_at)}
        assert {cid for cid, _ in score([seg], [ones(seg)], ["flood"], 10, f)} == expected


# -- through the Library, over a real (embedded) Chroma store with the fake embedder ------------------


def write(path, rows):
    path.write_text("\n".join(json.dumps({"id": i, "published_at": "2022-06-10", "title": t, "text": x,
                                          "source": "Wire"}) for i, t, x in rows), encoding="utf-8")
    return str(path)


STORIES = [("floods", "Floods hit the valley", "Heavy rain flooded the river valley. The mayor ordered an evacuation."),
           ("budget", "City passes budget", "The council passed a budget of 40 million dollars for barriers."),
           ("zebra", "Zoo welcomes a zebra", "The city zoo welcomed a zebra foal named Quagga.")]


@pytest.fixture
def library(make_assistant, tmp_path):
    a = make_assistant()
    assert a.ingest(write(tmp_path / "first.jsonl", STORIES)).ok
    return a.library


def keyword(library) -> KeywordIndex:
    return library.derived[0]


def segment_files(index):
    return sorted(p.name for p in index.path.glob("s-*.npz"))


def test_adding_articles_writes_one_small_segment_not_a_rebuild(library, tmp_path):
    index = keyword(library)
    before = segment_files(index)
    library.ingest([write(tmp_path / "more.jsonl", [("storm", "Storm nears the harbour",
                                                      "A storm named Olga neared the harbour on Friday.")])])
    after = segment_files(index)
    assert set(before) < set(after) and len(after) == len(before) + 1  # the old segment was kept as it was
    assert index.search("storm Olga harbour")[0][0] == "storm::0"
    assert len(index) == library.count() == 4


def test_removing_marks_rows_dead_and_reloads_the_same(library):
    index = keyword(library)
    index.max_dead = 0.9  # a third of this tiny index dies: keep it from merging
    files = segment_files(index)
    assert library.remove(["zebra"]) == ["zebra"]
    assert segment_files(index) == files and index.search("zebra foal Quagga") == []
    again = KeywordIndex(library.store, index.path)
    assert len(again) == 2 and again.search("zebra foal") == [] and again.refresh() is False


def test_an_updated_article_replaces_its_old_text(library, tmp_path):
    index = keyword(library)
    library.ingest([write(tmp_path / "v2.jsonl", [("zebra", "Zoo welcomes an okapi",
                                                    "The city zoo welcomed an okapi calf named Kivu.")])])
    assert index.search("zebra Quagga") == [] and index.search("okapi Kivu")[0][0] == "zebra::0"
    assert len(index) == library.count()


def test_start_up_check_reads_no_chunk_metadata(library, monkeypatch):
    index = keyword(library)

    def scan(*args, **kwargs):
        raise AssertionError("the start-up check scanned the store")

    monkeypatch.setattr(library.store, "chunks", scan)
    monkeypatch.setattr(library.store, "list_articles", scan)
    fresh = KeywordIndex(library.store, index.path)
    assert fresh.refresh() is False
    assert fresh.search("zebra foal")[0][0] == "zebra::0"


@pytest.mark.parametrize("crash_at", ["segment", "manifest", "after the store write"])
def test_a_crash_at_any_point_of_an_update_heals_at_the_next_start(library, tmp_path, monkeypatch, crash_at):
    index = keyword(library)

    class Crash(Exception):
        pass

    real_write = KeywordIndex._write
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a writer that died: its temporary files are litter

    def crashing_write(self, path, write_fn):
        if (crash_at == "segment" and path.suffix == ".npz") or (crash_at == "manifest" and path.name ==
                                                                   "manifest.json"):
            write_fn(path.with_name(f".tmp-{gone.pid}-{path.name}"))  # a half-done file left behind
            raise Crash()
        return real_write(self, path, write_fn)

    if crash_at == "after the store write":
        # The process dies right after the store write: neither the batch's update nor the failure path's
        # refresh reaches the index.
        monkeypatch.setattr(KeywordIndex, "update", lambda self, ids: (_ for _ in ()).throw(Crash()))
        monkeypatch.setattr(type(library), "refresh_derived", lambda self: None)
    else:
        monkeypatch.setattr(KeywordIndex, "_write", crashing_write)
    with pytest.raises(Crash):
        library.ingest([write(tmp_path / "more.jsonl", [("storm", "Storm nears the harbour",
                                                          "A storm named Olga neared the harbour.")])])
    monkeypatch.undo()
    assert library.count() == 4  # the store has it
    restarted = KeywordIndex(library.store, index.path)
    assert restarted.refresh() is True
    assert restarted.search("storm Olga")[0][0] == "storm::0" and len(restarted) == 4
    assert restarted.refresh() is False
    assert not [p for p in index.path.iterdir() if p.name.startswith(".tmp-")]  # leftovers removed


def test_a_write_behind_the_librarys_back_is_noticed_and_applied(library):
    index = keyword(library)
    library.store.delete_article("budget")  # not through the Library: no update
    stale = KeywordIndex(library.store, index.path)
    assert len(stale) == 3 and stale.refresh() is True and len(stale) == 2
    assert stale.search("council budget") == []


def test_an_unreadable_manifest_is_rebuilt(library):
    index = keyword(library)
    (index.path / "manifest.json").write_text("{not json", encoding="utf-8")
    fresh = KeywordIndex(library.store, index.path)
    assert fresh.refresh() is True and len(fresh) == 3
    assert fresh.search("zebra foal")[0][0] == "zebra::0"


def test_another_process_update_is_picked_up_at_refresh(library, tmp_path):
    index = keyword(library)
    assert index.search("zebra")  # loaded
    other = KeywordIndex(library.store, index.path)  # e.g. the CLI beside the running page
    from index import Library

    Library(library.store, library.embedder, derived=(other,)).ingest(
        [write(tmp_path / "cli.jsonl", [("storm", "Storm nears the harbour", "A storm named Olga neared.")])])
    index.refresh()
    assert index.search("storm Olga")[0][0] == "storm::0"


def test_many_updates_merge_segments(library, tmp_path):
    index = keyword(library)
    index.max_segments = 3
    for i in range(5):
        library.ingest([write(tmp_path / f"n{i}.jsonl", [(f"n{i}", f"Note {i}", f"Quarterly note number q{i}x.")])])
    assert len(segment_files(index)) <= 3
    assert len(index) == library.count() == 8
    assert index.search("q4x")[0][0] == "n4::0"
    assert KeywordIndex(library.store, index.path).search("q0x")[0][0] == "n0::0"


def test_keyword_tokens_are_stemmed_content_words():
    assert keyword_tokens("The floods were flooding") == ["flood", "flood"]
