"""Hybrid retrieval: BM25 kept in sync with the store, fusion, diversity, filters, time, follow-ups."""

import json

import pytest

from assistant import SearchFilters
from assistant.keyword_index import KeywordIndex
from assistant.retrieve import diversify
from assistant.types import Passage
from tests.fakes import QueueGenerator

STORIES = [
    # id, date, title, text
    ("floods-june", "2022-06-10", "Floods hit the valley",
     "Heavy rain flooded the river valley on Monday. The mayor, Ana Ruiz, ordered an evacuation of 300 homes."),
    ("floods-october", "2022-10-12", "Floods return to the valley",
     "Heavy rain flooded the river valley again on Tuesday. The mayor, Tom Berg, ordered an evacuation of 90 homes."),
    ("budget", "2022-10-11", "City passes budget",
     "The council passed a budget of 40 million dollars. It funds new flood barriers along the river."),
    ("zebra", "2022-10-01", "Zoo welcomes a zebra",
     "The city zoo welcomed a zebra foal named Quagga. Keepers said the foal was healthy."),
]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "published_at": d, "title": t, "text": x, "source": "Wire"})
                              for i, d, t, x in STORIES), encoding="utf-8")
    return path


@pytest.fixture
def news(make_assistant, corpus):
    def _make(generator="extractive", **overrides):
        a = make_assistant(generator, **overrides)
        assert a.ingest([str(corpus)]).ok
        return a

    return _make


def test_keyword_index_follows_ingest_and_removal(news, tmp_path):
    a = news()
    keyword = a.retriever.keyword
    assert len(keyword) == a.library.count() == 4
    assert keyword.search("zebra foal")[0][0].startswith("zebra::")
    assert a.library.remove(["zebra"]) == ["zebra"]
    assert len(keyword) == 3 and keyword.search("zebra foal") == []
    # Persisted: a new index over the same folder is already current.
    again = KeywordIndex(a.library.store, keyword.path)
    assert len(again) == 3 and again.refresh() is False


def test_derived_indexes_refresh_on_changes_only(news, corpus):
    a = news()
    heard = []

    class Counting:
        def refresh(self):
            heard.append(1)
            return False

    a.library.derived += (Counting(),)
    assert a.ingest([str(corpus)]).unchanged and heard == []
    a.library.remove(["zebra"])
    assert heard == [1]


def test_keyword_index_heals_when_the_store_changed_behind_its_back(news):
    a = news()
    keyword = a.retriever.keyword
    a.library.store.delete_article("budget")  # not through Library: no notification
    stale = KeywordIndex(a.library.store, keyword.path)
    assert len(stale) == 4 and stale.refresh() is True and len(stale) == 3


def test_hybrid_can_be_turned_off(news):
    a = news(hybrid=False)
    assert a.retriever.keyword is None
    assert a.retrieve("Quagga", k=1)[0].article_id == "zebra"
    assert not (a.settings.data_dir / "bm25").exists()


def test_filters_limit_sources_ids_and_dates(news):
    a = news()
    assert {p.article_id for p in a.retrieve("river flood", filters={"article_ids": ["budget"]})} == {"budget"}
    got = a.retrieve("river flood", filters=SearchFilters(date_from="2022-10-01"))
    assert got and all(p.published_at >= "2022-10-01" for p in got)
    assert a.retrieve("river flood", filters={"sources": ["Nobody"]}) == []
    with pytest.raises(ValueError, match="unknown filter"):
        a.retrieve("river flood", filters={"sauce": "x"})


def test_this_week_prefers_articles_of_that_week(news):
    a = news()
    june = a.ask("Who ordered the evacuation of the flooded valley this week?", as_of="2022-06-14")
    october = a.ask("Who ordered the evacuation of the flooded valley this week?", as_of="2022-10-14")
    assert june.passages[0].article_id == "floods-june" and "Ana Ruiz" in june.text
    assert october.passages[0].article_id == "floods-october" and "Tom Berg" in october.text
    assert october.as_of == "2022-10-14"


def test_an_explicit_month_filters_and_falls_back_when_nothing_matches(news):
    a = news()
    got = a.retrieve("Who ordered the evacuation in June 2022?", as_of="2022-11-01")
    assert {p.article_id for p in got} == {"floods-june"}
    assert a.retrieve("Who ordered the evacuation in March 2021?", as_of="2022-11-01")  # falls back


def test_one_article_cannot_fill_every_slot():
    ps = [Passage(f"a::{i}", "a", "t", 1 - i / 10) for i in range(4)] + [Passage("b::0", "b", "t", 0.1)]
    assert [p.chunk_id for p in diversify(ps, 3, per_article=2)] == ["a::0", "a::1", "b::0"]
    assert [p.chunk_id for p in diversify(ps[:4], 3, per_article=2)] == ["a::0", "a::1", "a::2"]


def test_follow_up_is_rewritten_before_retrieval_and_shown(make_assistant, sample_path):
    gen = QueueGenerator("French President Emmanuel Macron proposed it.")
    a = make_assistant(gen, extractive_fallback=False)
    a.ingest([str(sample_path)])
    history = [("user", "Who proposed the summit?"),
               ("assistant", "French President Emmanuel Macron proposed the summit [1].")]
    ans = a.ask("Who did he call on Sunday?", history)
    assert ans.query == "Who did Emmanuel Macron call on Sunday?"
    assert gen.prompts[-1][0] == ans.query  # the generator sees the standalone question too
    plain = a.ask("Who proposed the summit?")
    assert plain.query == "Who proposed the summit?"


def test_keyword_index_follows_an_update_in_place(news, corpus):
    a = news()
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    rows[3]["text"] = "The city zoo welcomed an okapi calf named Kivu. Keepers said the calf was healthy."
    corpus.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    report = a.ingest([str(corpus)])
    assert report.updated == ["zebra"]
    keyword = a.retriever.keyword
    assert keyword.search("okapi Kivu")[0][0].startswith("zebra::")
    assert keyword.search("Quagga") == []
