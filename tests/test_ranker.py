"""The learned answer ranker (assistant/ranker.py) and the verifier's span rule, with a hand-made tagger."""

from __future__ import annotations

import json
import random

import pytest

from assistant.entities import Entity
from assistant.ground import ground_answer
from assistant.ranker import DEFAULT_MODEL_PATH, FEATURES, AnswerRanker, RankerModel
from assistant.relevance import RelevanceScorer
from assistant.types import Passage
from eval.fit import MARGINS
from tests.fakes import FakeEmbedder
from tests.test_entities_spans import DEAL, MACRON, PHONE, PSAKI, TROOPS, FakeTagger

ARTICLE = " ".join([PSAKI, MACRON, PHONE, TROOPS])
QUESTION = "Who proposed the summit?"


def _passage() -> Passage:
    return Passage("kyodo::0", "kyodo", ARTICLE, 0.5, start=100, end=100 + len(ARTICLE), title="Summit",
                   source="Kyodo", published_at="2022-02-21")


def _model(untyped_threshold=None, **weights) -> RankerModel:
    """A hand-set model: weights on raw (unscaled) features."""
    n = len(FEATURES)
    w = tuple(float(weights.get(f, 0.0)) for f in FEATURES)
    return RankerModel(FEATURES, (0.0,) * n, (1.0,) * n, w, -2.0, threshold=0.3, margin=0.1, info={},
                       untyped_threshold=untyped_threshold)


@pytest.fixture
def ranker():
    return AnswerRanker(RelevanceScorer(FakeEmbedder().embed_batch), FakeTagger(),
                        _model(lexical=3.0, typed_span=2.0, cosine=1.0))


def test_the_shipped_model_loads_and_gives_probabilities():
    model = RankerModel.load()
    assert model.features == FEATURES and 0.0 < model.threshold < 1.0 and model.margin in MARGINS
    info = json.loads(DEFAULT_MODEL_PATH.read_text())["info"]
    assert "train" in info["dataset"] and "dev" not in info["dataset"]  # fitted on the training set only
    assert 0.0 < model.probability([0.5] * len(FEATURES)) < 1.0


def test_a_model_fitted_for_other_features_is_refused(tmp_path):
    data = json.loads(DEFAULT_MODEL_PATH.read_text())
    data["features"] = data["features"][:-1]
    (tmp_path / "m.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="eval.fit"):
        RankerModel.load(tmp_path / "m.json")


def test_the_sentence_naming_who_proposed_ranks_first(ranker):
    ranked = ranker(QUESTION, [_passage()])
    assert ranked[0].evidence.text == MACRON
    assert [e.text for e in ranked[0].spans][:1] == ["Emmanuel Macron"]
    assert all(len(r.features) == len(FEATURES) for r in ranked)
    assert ranked == sorted(ranked, key=lambda r: -r.probability)


def test_article_rank_is_the_place_of_its_article_among_the_distinct_retrieved_ones(ranker):
    second = Passage("kyodo::1", "kyodo", PHONE, 0.45, title="Summit")
    other = Passage("other::0", "other", DEAL, 0.4, title="Deal")
    rank = FEATURES.index("article_rank")
    by_text = {r.evidence.text: r.features[rank] for r in ranker(QUESTION, [_passage(), second, other])}
    assert by_text[MACRON] == by_text[PHONE] == 1.0 and by_text[DEAL] == 0.5


def test_a_short_answer_must_be_a_verbatim_phrase_of_the_asked_kind(ranker):
    bad = ground_answer(QUESTION, "The French president and the Russian president.", [_passage()],
                        ranker=ranker, short_answers=True)
    assert bad.abstained and not bad.span
    good = ground_answer(QUESTION, "Emmanuel Macron", [_passage()], ranker=ranker, short_answers=True)
    assert not good.abstained and good.span == "Emmanuel Macron"
    assert good.text.startswith("Emmanuel Macron \u2014 The idea of a summit was proposed by")
    assert good.citations[0].quote == MACRON and good.text.endswith("[1].")


def test_a_sentence_answer_leads_with_its_span(ranker):
    g = ground_answer(QUESTION, MACRON, [_passage()], ranker=ranker)
    assert not g.abstained and g.span == "Emmanuel Macron" and g.text.startswith("Emmanuel Macron \u2014 The idea")


def test_below_the_threshold_nothing_is_answered():
    low = AnswerRanker(RelevanceScorer(FakeEmbedder().embed_batch), FakeTagger(), _model())  # p = sigmoid(-2)
    assert ground_answer(QUESTION, MACRON, [_passage()], ranker=low).abstained


def test_a_sentence_without_a_phrase_of_the_asked_kind_needs_the_untyped_bar():
    # "How many" over sentences of which only TROOPS holds a number: every other sentence lacks the asked kind.
    question = "How many officials did Psaki mention?"
    scorer = RelevanceScorer(FakeEmbedder().embed_batch)
    plain = AnswerRanker(scorer, FakeTagger(), _model(typed_question=4.0))
    strict = AnswerRanker(scorer, FakeTagger(), _model(untyped_threshold=0.99, typed_question=4.0))
    plain_ranked, strict_ranked = plain(question, [_passage()]), strict(question, [_passage()])
    untyped = [r for r in plain_ranked if r.features[FEATURES.index("typed_question")]
               and not r.features[FEATURES.index("typed_span")]]
    assert untyped and any(r.probability > 0 for r in untyped)
    by_text = {r.evidence.text: r.probability for r in strict_ranked}
    assert all(by_text[r.evidence.text] == 0.0 for r in untyped if r.probability < 0.99)
    assert RankerModel.load().untyped_bar >= RankerModel.load().threshold


def test_build_assistant_with_the_ranker_leads_with_the_answer_phrase(make_assistant, sample_path):
    """End to end with the shipped model and real spaCy entities (the embedder is the fake one)."""
    a = make_assistant("extractive", answer_ranker=True)
    a.ingest([str(sample_path)])
    assert a.ranker is not None and a.ranker.model.info["dataset"] == "realtimeqa-train"
    ans = a.ask("Who proposed the summit between Biden and Putin?", as_of="2022-02-21")
    assert not ans.abstained and ans.citations
    assert ans.span and ans.text.startswith(f"{ans.span} \u2014 ") and ans.span in ans.citations[0].quote
    assert ans.confidence >= a.ranker.model.threshold and ans.to_dict()["confidence"] == round(ans.confidence, 4)
    declined = a.ask("What is the name of Ukraine's president?", as_of="2022-02-21")
    assert declined.abstained and not declined.span and declined.confidence < a.ranker.model.threshold


def test_without_the_ranker_nothing_loads_spacy(make_assistant):
    a = make_assistant("extractive", answer_ranker=False)
    assert a.ranker is None and a.generator.ranker is None


def test_the_ranker_is_on_by_default(make_assistant):
    a = make_assistant("extractive")
    assert a.ranker is not None and a.generator.ranker is a.ranker and a.settings.relevance_gate


def test_article_written_training_questions_ask_for_an_entity_of_a_body_sentence():
    from eval.fit import WH, synthesize

    body = " ".join([PSAKI, MACRON, TROOPS, DEAL]) + " " + "Filler words keep this article long enough. " * 8
    corpus = [{"id": "a1", "text": body, "published_at": "2022-02-21T00:00:00"}]
    qs = synthesize(corpus, FakeTagger(), 5, seed=0)
    assert len(qs) == 1 and qs == synthesize(corpus, FakeTagger(), 5, seed=0)  # one per article, seeded
    q = qs[0]
    assert q["synthetic"] and q["question_date"] == "2022-02-21" and q["evidence_ids"] == ["a1"]
    answer = q["answers"][0]
    assert q["question"].split()[0] in {w.split()[0] for w in WH.values()} and q["question"].endswith("?")
    assert answer not in q["question"]  # asks for the entity, never names it
    assert any(answer in s for s in (PSAKI, MACRON, TROOPS, DEAL))
    assert len(q["question"].split()) >= 5


def test_the_relevance_gate_abstains_when_relevance_finds_no_answer(ranker):
    """With the ranker, relevance.py's best sentence must reach the gate's bar too (relevance_gate): the one
    fitted with the model, unless relevance_bar says otherwise."""
    from assistant.extractive import ExtractiveGenerator
    from assistant.factory import make_ranker
    from assistant.settings import DEFAULT_SETTINGS

    strict = DEFAULT_SETTINGS.replace(relevance_bar=0.99)
    ungated = strict.replace(relevance_gate=False)

    def like(settings):  # the fixture's ranker, gated as make_ranker gates it for `settings`
        bar = make_ranker(ranker.scorer, settings, model=ranker.model).relevance_bar
        return AnswerRanker(ranker.scorer, ranker.tagger, ranker.model, relevance_bar=bar)

    assert like(strict).relevance_bar == 0.99 and like(ungated).relevance_bar is None
    for settings, abstains in ((DEFAULT_SETTINGS, False), (strict, True), (ungated, False)):
        gated_ranker = like(settings)
        assert ground_answer(QUESTION, MACRON, [_passage()], settings, ranker=gated_ranker).abstained is abstains
        best = ExtractiveGenerator(settings, ranker=gated_ranker).best_sentences(QUESTION, [_passage()])
        assert best == [] if abstains else best[0] == MACRON


def test_a_shut_relevance_gate_tags_nothing(ranker):
    """Behind a shut gate no sentence can answer: spaCy, the slow part, is not run for it."""
    class CountingTagger(FakeTagger):
        calls = 0

        def entities(self, texts):
            CountingTagger.calls += 1
            return super().entities(texts)

    def ranked(bar):
        CountingTagger.calls = 0
        out = AnswerRanker(ranker.scorer, CountingTagger(), ranker.model, relevance_bar=bar)(QUESTION, [_passage()])
        return out, CountingTagger.calls

    shut, calls = ranked(0.99)
    assert calls == 0 and all(r.probability == 0.0 and r.spans == () for r in shut)
    open_, calls = ranked(0.1)
    assert calls == 1 and open_[0].evidence.text == MACRON and open_[0].spans


def test_an_answer_leads_with_the_phrase_another_article_states_too(ranker):
    """Of a sentence's answer phrases the answer leads with one another retrieved article names as well
    (its own article does not count: there the story's topic is everywhere); the features keep
    answer_spans' order."""
    met = "Officials said Sue Smith and Tom Jones met the board on Monday."
    named = "Sue Smith was later named chair."
    tags = {met: [("Sue Smith", "PERSON"), ("Tom Jones", "PERSON"), ("Monday", "DATE")],
            named: [("Sue Smith", "PERSON")]}

    class Tagger:
        def entities(self, texts):
            return [[Entity(t.index(s), t.index(s) + len(s), label, s) for s, label in tags.get(t, [])]
                    for t in texts]

    def lead(other_article: str) -> list[str]:
        passages = [Passage("a::0", "a", met, 0.5, start=0, end=len(met), title="Board"),
                    Passage(f"{other_article}::1", other_article, named, 0.4, start=0, end=len(named), title="Chair")]
        ranked = AnswerRanker(ranker.scorer, Tagger(), ranker.model)("Who met the board?", passages)
        return [e.text for e in next(r for r in ranked if r.evidence.text == met).spans]

    assert lead("a") == ["Tom Jones", "Sue Smith"]  # nearest the question's words first
    assert lead("b") == ["Sue Smith", "Tom Jones"]


def test_the_fits_policy_simulation_applies_the_relevance_gate():
    from eval.fit import _question_outcomes

    data = [{"id": "a", "answerable": True, "rows": [[1.0] * len(FEATURES)], "labels": [True], "relevance": 0.6},
            {"id": "b", "answerable": True, "rows": [[1.0] * len(FEATURES)], "labels": [True], "relevance": 0.2},
            {"id": "u", "answerable": False, "rows": [[1.0] * len(FEATURES)], "labels": [False], "relevance": 0.3}]
    probs = {"a": [0.9], "b": [0.9], "u": [0.9]}
    open_ = _question_outcomes(data, probs, 0.5)
    gated = _question_outcomes(data, probs, 0.5, relevance_bar=0.48)
    assert (open_["answer_contains"], open_["unanswerable_abstained"]) == (1.0, 0.0)
    assert (gated["answer_contains"], gated["false_abstention"], gated["unanswerable_abstained"]) == (0.5, 0.5, 1.0)


def test_the_lead_phrase_counts_names_without_accents_by_surname_and_never_numbers():
    from assistant.entities import Entity
    from assistant.ranker import _fold, _lead_order
    from assistant.relevance import evidence_sentences
    from assistant.types import Passage

    own = "Sheinbaum succeeds outgoing President Andres Manuel Lopez Obrador; five of 33 engines failed."
    other = "López Obrador praised Sheinbaum. All 33 engines were new."
    evidence = evidence_sentences([Passage("a::0", "a", own, 1.0, title=""), Passage("b::0", "b", other, 0.9, title="")])
    texts = [_fold(ev.text) for ev in evidence]

    def ent(text, label):
        return Entity(own.index(text), own.index(text) + len(text), label, text)

    people = (ent("Sheinbaum", "PERSON"), ent("Andres Manuel Lopez Obrador", "PERSON"))
    question = "Who is the outgoing president?"
    assert _lead_order(question, people, 0, evidence, texts) == people  # both named elsewhere: order kept
    numbers = (ent("five", "CARDINAL"), ent("33", "CARDINAL"))
    assert _lead_order("How many engines failed?", numbers, 0, evidence, texts) == numbers  # 33 is not promoted


def test_the_relevance_gates_bar_is_fitted_with_the_model():
    """The shipped model carries its gate bar; a model file from before falls back to min_relevance; fit()
    picks the highest bar whose out-of-fold false abstention stays within its bound."""
    import dataclasses

    from assistant.factory import gate_bar
    from assistant.settings import DEFAULT_SETTINGS
    from eval.fit import GATE_BARS, fit

    shipped = RankerModel.load()
    assert shipped.relevance_bar in GATE_BARS and shipped.info["relevance_bar"] == shipped.relevance_bar
    assert gate_bar(DEFAULT_SETTINGS, shipped) == shipped.relevance_bar
    assert gate_bar(DEFAULT_SETTINGS, dataclasses.replace(shipped, relevance_bar=None)) == DEFAULT_SETTINGS.min_relevance
    assert gate_bar(DEFAULT_SETTINGS.replace(relevance_bar=0.3), shipped) == 0.3
    assert gate_bar(DEFAULT_SETTINGS.replace(relevance_gate=False), shipped) is None

    # 20 answerable questions whose best relevance runs 0.40, 0.41, ... (all answered right without a gate)
    # and 5 unanswerable ones: a bar of 0.41 loses 1 of 20 (0.05), 0.42 loses 2 (0.10).
    rng = random.Random(0)
    data = []
    for i in range(20):
        rows = [[rng.random() for _ in FEATURES] for _ in range(3)]
        for r in rows:
            r[FEATURES.index("relation")] = 1.0
        rows[0][FEATURES.index("lexical")] = 5.0
        data.append({"id": f"q{i}", "answerable": True, "rows": rows, "labels": [True, False, False],
                     "relevance": 0.40 + 0.01 * i})
    for i in range(5):
        data.append({"id": f"u{i}", "answerable": False, "rows": [[0.0] * len(FEATURES)], "labels": [False],
                     "relevance": 0.3})
    fitted = fit(data, folds=2, c=1.0, max_false_abstention=0.0, seed=0, gate_false_abstention=0.06)
    assert fitted["relevance_bar"] == 0.41
    assert fitted["gate_table"]["0.41"]["false_abstention"] == 0.05


def test_fit_retrieval_archive_without_an_index_names_it(tmp_path, capsys):
    """`python -m eval.fit --retrieval --archive DIR` searches an index of the whole training corpus; a dir
    without one is refused by name, before anything loads."""
    from eval.fit import main

    dataset = tmp_path / "realtimeqa-train"
    dataset.mkdir()
    (dataset / "questions.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(SystemExit, match="no index there"):
        main(["--dataset", str(dataset), "--retrieval", "--archive", str(tmp_path / "nothing")])
