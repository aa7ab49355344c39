from pathlib import Path

import pytest

from assistant import Answer, Settings
from tests.fakes import QueueGenerator


@pytest.fixture
def sample_assistant(make_assistant, sample_path):
    def _make(generator="extractive", **overrides):
        a = make_assistant(generator, **overrides)
        a.ingest([str(sample_path)])
        return a

    return _make


def test_extractive_answers_with_a_verified_citation(sample_assistant, sample_text):
    ans = sample_assistant().ask("who proposed the summit")
    assert not ans.abstained and ans.span == "Emmanuel Macron" and ans.text.startswith("Emmanuel Macron \u2014 ")
    c = ans.citations[0]  # the ranker may cite a runner-up sentence too (within its fitted margin)
    assert "proposed by French President Emmanuel Macron" in c.quote and "[1]" in ans.text
    assert all(x.article_id == "kyodo-2022-02-21-biden-putin-summit" and x.quote in sample_text
               for x in ans.citations)
    assert set(ans.timings) == {"retrieve", "generate", "verify", "total"}
    assert ans.passages and ans.passages[0].score >= ans.passages[-1].score


def test_extractive_abstains_on_ukraines_president(sample_assistant):
    ans = sample_assistant().ask("What is the name of Ukraine's president?")
    assert ans.abstained and not ans.citations


def test_hallucinating_generator_is_caught(sample_assistant):
    gen = QueueGenerator("Volodymyr Zelensky is the president of Ukraine.")
    ans = sample_assistant(gen, extractive_fallback=False).ask("What is the name of Ukraine's president?")
    assert ans.abstained and ans.draft.startswith("Volodymyr Zelensky")
    assert "Zelensky" in ans.claims[0].reason


def test_fallback_quotes_the_article_when_the_draft_fails(sample_assistant):
    gen = QueueGenerator("The summit was proposed by Angela Merkel.")
    ans = sample_assistant(gen).ask("who proposed the summit")
    assert not ans.abstained and "Macron" in ans.text
    assert ans.generator == "fake+extractive"
    assert not ans.claims[0].supported  # the rejected draft claim stays visible


def test_ask_stream_yields_draft_pieces_then_the_answer(sample_assistant):
    gen = QueueGenerator("French President Emmanuel Macron proposed the summit.")
    items = list(sample_assistant(gen).ask_stream("who proposed the summit"))
    assert all(isinstance(i, str) for i in items[:-1]) and len(items) > 2
    assert isinstance(items[-1], Answer)
    assert items[-1].text == "French President Emmanuel Macron proposed the summit [1]."


def test_history_accepts_pairs_and_message_dicts(sample_assistant):
    gen = QueueGenerator("Macron proposed it.")
    a = sample_assistant(gen)
    a.ask("and who proposed it?", history=[("user", "tell me about the summit"), ("assistant", "ok")])
    a.ask("and who proposed it?", history=[{"role": "user", "content": "tell me about the summit"}])
    assert gen.prompts[0][2] == [("user", "tell me about the summit"), ("assistant", "ok")]
    assert gen.prompts[1][2] == [("user", "tell me about the summit")]


def test_empty_index_or_question_abstains(make_assistant):
    a = make_assistant()
    assert a.is_empty()
    assert a.ask("who proposed the summit").abstained
    assert a.ask("   ").abstained


def test_retrieve_returns_passages_with_article_ids(sample_assistant):
    passages = sample_assistant().retrieve("who proposed the summit", k=3)
    assert len(passages) == 3
    assert all(p.article_id == "kyodo-2022-02-21-biden-putin-summit" and p.text for p in passages)


def test_ingest_report_and_unknown_generator(sample_assistant, make_assistant, sample_path):
    a = sample_assistant()
    assert a.ingest(str(sample_path)).unchanged == ["kyodo-2022-02-21-biden-putin-summit"]
    with pytest.raises(ValueError, match="unknown generator 'gpt'"):
        make_assistant("gpt")


def test_settings_reject_unknown_keys_and_read_env():
    with pytest.raises(ValueError, match="unknown setting"):
        Settings().replace(top_kk=3)
    s = Settings.from_env({"CITEWIRE_TOP_K": "7", "CITEWIRE_DATA_DIR": "/x", "CITEWIRE_EXTRACTIVE_FALLBACK": "no"},
                          generator="extractive")
    assert (s.top_k, str(s.data_dir), s.extractive_fallback, s.generator) == (7, "/x", False, "extractive")
    with pytest.raises(ValueError, match="chunk_tokens"):
        Settings(chunk_tokens=400)
    # Optional fields are read by their annotation, as eval's --set reads them (one reader for both).
    s = Settings.from_env({"CITEWIRE_RELEVANCE_BAR": "0.5", "CITEWIRE_LLM_THREADS": "2",
                           "CITEWIRE_MODEL_CACHE_DIR": "/m", "CITEWIRE_OPENAI_API_KEY": "k"})
    assert (s.relevance_bar, s.llm_threads, s.model_cache_dir, s.openai_api_key) == (0.5, 2, Path("/m"), "k")
    with pytest.raises(ValueError, match="CITEWIRE_HYBRID: setting hybrid: 'maybe' is not a valid bool"):
        Settings.from_env({"CITEWIRE_HYBRID": "maybe"})


def test_ingest_skips_a_republished_copy_unless_asked(make_assistant, sample_path, tmp_path):
    copy = tmp_path / "copy" / "kyodo-2022-02-22-republished.txt"
    copy.parent.mkdir()
    copy.write_text(sample_path.read_text(encoding="utf-8").replace("Sunday", "Sunday evening", 1), encoding="utf-8")
    a = make_assistant("extractive")
    a.ingest(str(sample_path))
    report = a.ingest(str(copy))
    assert report.duplicates and not report.added
    assert a.ingest(str(copy), keep_duplicates=True).added == ["kyodo-2022-02-22-republished"]


def test_a_long_past_year_dates_the_event_not_the_articles(sample_assistant):
    from datetime import date

    from assistant.plan import plan_search
    from assistant.settings import DEFAULT_SETTINGS

    # "annexed in 2014": a 2022 article may answer (before, only articles of 2014 could, and it abstained).
    plan = plan_search("Which region did Russia annex in 2014?", date(2022, 2, 21), DEFAULT_SETTINGS)
    assert plan.answer_window is None and plan.strict is None and plan.boost.date_from == "2013-12-29"
    assert plan_search("Who resigned this week?", date(2022, 2, 21), DEFAULT_SETTINGS).answer_window is not None
    ans = sample_assistant().ask("Which region did Russia annex in 2014?", as_of="2022-02-21")
    assert not ans.abstained and "Crimea" in ans.citations[0].quote
