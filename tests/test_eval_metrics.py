"""Each eval metric on hand-made cases with known values: retrieval, answers, the
independent citation check, citation recall, abstention, percentiles, per-type breakdown."""

from __future__ import annotations

import pytest

from assistant import Answer, Citation, Passage
from eval.dataset import Question, select_questions
from eval.metrics import (
    abstention_scores,
    best_matching_sentence,
    contains_answer,
    distinct_ranked,
    exact_match,
    is_confidently_wrong,
    percentile,
    quote_supports,
    recall_at_k,
    reciprocal_rank,
    span_exact,
    span_wrong,
    split_answer_sentences,
    token_f1,
)
from eval.run import score_answer, summarise, summarise_by_type


def test_recall_at_k_over_distinct_articles():
    ranked = ["a", "a", "b", "c", "b", "d"]
    assert distinct_ranked(ranked) == ["a", "b", "c", "d"]
    assert recall_at_k(ranked, ["b"], 1) == 0.0
    assert recall_at_k(ranked, ["b"], 2) == 1.0  # the second *distinct* article, though the third passage
    assert recall_at_k(ranked, ["b", "d"], 2) == 0.5
    assert recall_at_k(ranked, ["b", "d"], 10) == 1.0  # fewer than 10 distinct: computed on what is there
    assert recall_at_k(ranked, ["z"], 10) == 0.0 and recall_at_k(ranked, [], 5) == 0.0
    assert recall_at_k([], ["a"], 5) == 0.0


def test_mrr_is_one_over_the_first_gold_rank():
    ids = distinct_ranked(["x", "x", "y", "gold"])
    assert reciprocal_rank([i in {"gold"} for i in ids]) == pytest.approx(1 / 3)
    assert reciprocal_rank([True]) == 1.0 and reciprocal_rank([False, False]) == 0.0


@pytest.mark.parametrize("prediction, answers, contains, em, f1", [
    ("Emmanuel Macron", ["Emmanuel Macron"], True, True, 1.0),
    ("The  Emmanuel Macron!", ["emmanuel macron"], True, True, 1.0),  # SQuAD normalisation
    ("It was Emmanuel Macron", ["Emmanuel Macron"], True, False, 2 * (2 / 4) * 1 / (2 / 4 + 1)),
    ("Macron", ["Emmanuel Macron"], False, False, 2 * 1 * 0.5 / 1.5),
    ("Putin", ["Emmanuel Macron", "Macron"], False, False, 0.0),
    ("about 150,000 troops", ["150,000"], True, False, 2 / 3),  # "150 000" is 2 of 4 tokens
    ("Macron [1].", ["1"], False, False, 0.0),  # scored on the answer without its markers (see score_answer)
])
def test_contains_exact_match_and_f1_known_values(prediction, answers, contains, em, f1):
    from eval.metrics import strip_citation_markers

    body = strip_citation_markers(prediction)
    assert contains_answer(body, answers) is contains
    assert exact_match(body, answers) is em
    assert token_f1(body, answers) == pytest.approx(f1)


QUOTE = "The idea of a summit was proposed by French President Emmanuel Macron on Sunday."


@pytest.mark.parametrize("claim, supported", [
    ("The idea of a summit was proposed by French President Emmanuel Macron [1].", True),  # contained verbatim
    ("Macron proposed the summit.", True),
    ("French President Macron proposed the idea on Sunday.", True),
    ("Scholz proposed the summit.", False),  # a name the sentence lacks
    ("Macron proposed the summit on Monday.", False),  # a capitalised day the sentence lacks
    ("Macron proposed the summit in 2021.", False),  # a number the sentence lacks
    ("Macron rejected further talks with Moscow.", False),  # Moscow missing (a name)
    ("Macron rejected any further talks.", False),  # 1 of 4 new content words
    ("Macron put forward the plan.", False),  # paraphrase is not recognised
    ("It was.", False),  # nothing to check
])
def test_quote_supports_hand_made_pairs(claim, supported):
    assert quote_supports(QUOTE, claim) is supported


def test_quote_supports_judges_what_the_claim_adds_beyond_the_question():
    quote = "Biden agreed to a summit provided Moscow does not take military action."
    question = "On what condition did Biden agree to a summit with Putin?"
    # Echoing the question's words is free; the answer part must be in the sentence.
    assert quote_supports(quote, "Biden agreed to a summit with Putin provided Moscow does not take military action.",
                          question) is False  # "Putin" is a name the sentence lacks
    assert quote_supports(quote, "The summit depends on Moscow not taking military action.", question) is False
    assert quote_supports(quote, "Biden agreed provided Moscow does not take military action.", question)
    assert quote_supports("More than 150,000 troops.", "More than 160,000 troops.") is False


def test_split_answer_sentences_keeps_markers_with_their_sentence():
    text = "Biden met U.S. Secretary Blinken [1]. Mr. Putin agreed. [2] It cost 3.5 billion [1, 3]! Then more."
    assert split_answer_sentences(text) == [
        ("Biden met U.S. Secretary Blinken.", (1,)), ("Mr. Putin agreed.", (2,)),
        ("It cost 3.5 billion!", (1, 3)), ("Then more.", ())]
    assert split_answer_sentences("") == []


def test_best_matching_sentence():
    sentences = ["Moscow denied it.", QUOTE, "Talks went on."]
    assert best_matching_sentence("Macron proposed a summit [1].", sentences) == QUOTE
    assert best_matching_sentence("Nothing shared.", sentences) == ""


def test_abstention_precision_recall_and_false_rate():
    abstained = [True, True, True, False, False, False]
    answerable = [False, False, True, True, True, False]
    s = abstention_scores(abstained, answerable)
    assert s["precision"] == pytest.approx(2 / 3)  # 3 abstentions, 2 on unanswerable questions
    assert s["recall"] == pytest.approx(2 / 3)  # 3 unanswerable, 2 abstained on
    assert s["false_rate"] == pytest.approx(1 / 3)  # 3 answerable, 1 abstained on
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert abstention_scores([False], [True])["precision"] is None


def test_percentiles_interpolate_like_numpy():
    values = [0.5, 0.1, 0.3, 0.2, 0.4]
    assert percentile(values, 50) == pytest.approx(0.3)
    assert percentile(values, 95) == pytest.approx(0.48)
    assert percentile(range(1, 101), 95) == pytest.approx(95.05)


def _q(qid, qtype="single-hop", file="questions.jsonl", **kw):
    base = dict(answers=("Macron",), evidence_ids=("a1",)) if qtype != "null" else {}
    return Question(id=qid, question="Who proposed the summit?", type=qtype, file=file, **{**base, **kw})


def _answer(text, passages, abstained=False, citations=(), timings=None, span=""):
    return Answer("Who proposed the summit?", text, abstained, citations=citations, passages=passages,
                  timings=timings or {"retrieve": 0.1, "generate": 0.2, "total": 0.3}, span=span)


P_GOLD, P_OTHER = Passage("c1", "a1", QUOTE, 0.9), Passage("c2", "b1", "Unrelated.", 0.5)
CITE = Citation(1, "a1", "t", "", "", QUOTE, 0, len(QUOTE), 0.9)


def test_citation_recall_and_precision_in_summary():
    two = _answer("Macron proposed the summit [1]. Putin agreed.", (P_GOLD,), citations=(CITE,))
    r = score_answer(_q("q1"), two)
    assert r["citation_recall"] == 0.5 and r["citation_precision"] == 1.0
    bad = _answer("Scholz proposed it [1].", (P_OTHER, P_GOLD), citations=(CITE,))
    b = score_answer(_q("q2"), bad)
    assert b["citation_precision"] == 0.0 and b["failures"] == ["wrong answer", "unsupported citation"]
    assert b["rr"] == 0.5 and b["recall@1"] == 0.0 and b["recall@5"] == 1.0
    s = summarise([r, b])
    assert s["citation_precision"] == 0.5  # 1 of 2 cited sentences
    assert s["citation_recall"] == pytest.approx(2 / 3)  # 2 of 3 answer sentences carry a marker
    assert s["mrr"] == 0.75 and s["recall@1"] == 0.5 and s["answer_contains"] == 0.5


def test_failure_reasons_and_per_type_breakdown():
    missed = score_answer(_q("q1"), _answer("The articles do not answer that.", (P_OTHER,), abstained=True,
                                             timings={"retrieve": 0.1, "generate": 0.1, "total": 1.0}))
    assert missed["failures"] == ["missed retrieval", "false abstention"] and missed["answer_f1"] == 0.0
    answered_null = score_answer(_q("q2", "null"), _answer("Macron did [1].", (P_GOLD,), citations=(CITE,),
                                                           timings={"retrieve": 0.1, "generate": 0.1, "total": 3.0}))
    assert answered_null["failures"] == ["should have abstained"] and answered_null["recall@5"] is None
    ok = score_answer(_q("q3", "multi-hop"), _answer("Macron [1].", (P_GOLD,), citations=(CITE,),
                                                     timings={"retrieve": 0.1, "generate": 0.1, "total": 2.0}))
    assert ok["failures"] == [] and ok["answer_em"] and ok["answer_f1"] == 1.0
    by_type = summarise_by_type([missed, answered_null, ok])
    assert list(by_type) == ["single-hop", "null", "multi-hop"]
    assert by_type["single-hop"]["false_abstention_rate"] == 1.0 and by_type["single-hop"]["recall@10"] == 0.0
    assert by_type["null"]["abstention_recall"] == 0.0 and by_type["multi-hop"]["answer_em"] == 1.0
    s = summarise([missed, answered_null, ok])
    assert s["latency_total_p50_s"] == 2.0 and s["latency_total_p95_s"] == pytest.approx(2.9)
    assert s["answer_em"] == 0.5 and s["abstention_precision"] == 0.0


def test_limit_takes_the_first_n_of_each_questions_file():
    qs = [_q("a1", file="questions.jsonl"), _q("a2", file="questions.jsonl"), _q("a3", file="questions.jsonl"),
          _q("n1", "null", file="questions_null.jsonl"), _q("n2", "null", file="questions_null.jsonl")]
    assert [q.id for q in select_questions(qs, 2)] == ["a1", "a2", "n1", "n2"]
    assert [q.id for q in select_questions(qs, 1)] == ["a1", "n1"]
    assert len(select_questions(qs, None)) == 5


def test_hit_at_k_counts_any_gold_article_where_recall_counts_each():
    two_gold = _q("q3", evidence_ids=("a1", "a2"))
    r = score_answer(two_gold, _answer("Macron proposed the summit [1].", (P_GOLD, P_OTHER), citations=(CITE,)))
    assert (r["hit@1"], r["hit@5"], r["recall@1"], r["recall@5"]) == (True, True, 0.5, 0.5)
    miss = score_answer(_q("q4"), _answer("Macron proposed the summit.", (P_OTHER,)))
    assert (miss["hit@1"], miss["hit@5"]) == (False, False)
    s = summarise([r, miss])
    assert s["hit@1"] == 0.5 and s["recall@1"] == 0.25


@pytest.mark.parametrize("answer, answers, abstained, wrong", [
    ("Macron proposed the summit [1].", ["Emmanuel Macron", "Macron"], False, False),  # contains a gold answer
    ("Putin proposed the summit [1].", ["Emmanuel Macron", "Macron"], False, True),  # answered, no gold answer
    ("The articles do not answer that.", ["Macron"], True, False),  # an abstention is never confidently wrong
    ("Emmanuel Macronism.", ["Emmanuel Macron"], False, True),  # whole words only, as contains_answer
    ("some 300 troops", ["30"], False, True),
])
def test_is_confidently_wrong_known_values(answer, answers, abstained, wrong):
    assert is_confidently_wrong(answer, answers, abstained) is wrong


@pytest.mark.parametrize("span, answers, exact", [
    ("Emmanuel Macron", ["Emmanuel Macron", "Macron"], True),
    ("the Donbass region.", ["Donbass", "the Donbass region"], True),  # SQuAD normalisation
    ("French President Emmanuel Macron", ["Emmanuel Macron", "Macron"], False),  # longer than the gold answer
    ("150,000", ["150,000", "more than 150,000"], True),
    ("", ["Macron"], False),  # no span given
    ("the", ["the"], False),  # empty after normalising never matches
])
def test_span_exact_known_values(span, answers, exact):
    assert span_exact(span, answers) is exact


def test_confidently_wrong_and_span_exact_per_question_and_in_summary():
    gold_answers = ("Emmanuel Macron", "Macron")
    right = score_answer(_q("q1", answers=gold_answers),
                         _answer("Macron proposed the summit [1].", (P_GOLD,), citations=(CITE,), span="Emmanuel Macron"))
    assert right["confidently_wrong"] is False and right["span_exact"] is True and right["span"] == "Emmanuel Macron"
    long_span = score_answer(_q("q2", answers=gold_answers),
                             _answer("Macron proposed it [1].", (P_GOLD,), citations=(CITE,),
                                     span="French President Emmanuel Macron"))
    assert long_span["confidently_wrong"] is False and long_span["span_exact"] is False
    wrong = score_answer(_q("q3", answers=gold_answers),
                         _answer("Putin proposed it [1].", (P_GOLD,), citations=(CITE,), span="Putin"))
    assert wrong["confidently_wrong"] is True and wrong["span_exact"] is False
    assert wrong["failures"] == ["wrong answer", "unsupported citation"]
    no_span = score_answer(_q("q4", answers=gold_answers), _answer("Macron did [1].", (P_GOLD,), citations=(CITE,)))
    assert no_span["confidently_wrong"] is False and no_span["span_exact"] is False and no_span["span"] == ""
    abstained = score_answer(_q("q5", answers=gold_answers),
                             _answer("The articles do not answer that.", (P_GOLD,), abstained=True))
    assert abstained["confidently_wrong"] is False and abstained["span_exact"] is None  # not answered: n/a
    null = score_answer(_q("q6", "null"), _answer("Macron did [1].", (P_GOLD,), citations=(CITE,), span="Macron"))
    assert null["confidently_wrong"] is None and null["span_exact"] is None  # answerable questions only

    s = summarise([right, long_span, wrong, no_span, abstained, null])
    assert s["answerable"] == 5 and s["answered"] == 5
    assert s["confidently_wrong"] == pytest.approx(1 / 5)  # 1 of 5 answerable (the abstention counts as not)
    assert s["span_exact"] == pytest.approx(1 / 4)  # 1 of the 4 answered answerable questions
    # On answerable questions: contains gold + confidently wrong + false abstention = 1.
    assert s["answer_contains"] + s["confidently_wrong"] + s["false_abstention_rate"] == pytest.approx(1.0)
    by_type = summarise_by_type([right, wrong, null])
    assert by_type["single-hop"]["confidently_wrong"] == 0.5 and by_type["null"]["confidently_wrong"] is None


@pytest.mark.parametrize("span, answers, wrong", [
    ("Emmanuel Macron", ["Emmanuel Macron", "Macron"], False),
    ("French President Emmanuel Macron", ["Emmanuel Macron"], False),  # holds the gold answer
    ("Kishida", ["Fumio Kishida"], False),  # the gold answer holds it
    ("Vladimir Putin", ["Jen Psaki", "Psaki"], True),
    ("Macronism", ["Macron"], True),  # whole words only
    ("", ["Macron"], False),  # no phrase: nothing led with
])
def test_span_wrong_known_values(span, answers, wrong):
    assert span_wrong(span, answers) is wrong


def test_a_wrong_lead_phrase_fails_even_when_a_later_sentence_holds_the_answer():
    gold_answers = ("Jen Psaki", "Psaki")
    led = score_answer(_q("q1", answers=gold_answers),
                       _answer("Vladimir Putin — Putin met Biden [1]. Psaki spoke [2].", (P_GOLD,),
                               citations=(CITE,), span="Vladimir Putin"))
    assert led["answer_contains"] is True and led["confidently_wrong"] is False
    assert led["span_wrong"] is True and led["wrong_shown"] is True and led["correct"] is False
    assert "wrong phrase" in led["failures"]
    right = score_answer(_q("q2", answers=gold_answers),
                         _answer("Jen Psaki — Psaki spoke [1].", (P_GOLD,), citations=(CITE,), span="Jen Psaki"))
    assert right["span_wrong"] is False and right["wrong_shown"] is False
    s = summarise([led, right])
    assert s["span_wrong"] == pytest.approx(0.5) and s["wrong_shown"] == pytest.approx(0.5)


def test_answers_without_a_span_attribute_score_span_exact_zero():
    class Bare:  # an answer object from before Answer had `span` (or another pipeline's)
        def __init__(self, ans):
            self._ans = ans

        def __getattr__(self, name):
            if name == "span":
                raise AttributeError(name)
            return getattr(self._ans, name)

    r = score_answer(_q("q1"), Bare(_answer("Macron [1].", (P_GOLD,), citations=(CITE,))))
    assert r["span"] == "" and r["span_exact"] is False and r["confidently_wrong"] is False


def test_summary_skips_records_saved_before_the_new_metrics():
    r = score_answer(_q("q1"), _answer("Putin [1].", (P_GOLD,), citations=(CITE,)))
    old = {k: v for k, v in r.items() if k not in ("confidently_wrong", "span_exact", "span")}
    s = summarise([old])
    assert s["confidently_wrong"] is None and s["span_exact"] is None and s["answer_contains"] == 0.0


def test_precision_coverage_ranks_answers_by_confidence():
    from eval.metrics import precision_coverage

    points = [(0.9, True), (0.8, False), (0.8, True), (0.5, True)]
    assert precision_coverage(points, total=10) == [(0.9, 0.1, 1.0), (0.8, 0.3, 2 / 3), (0.5, 0.4, 0.75)]
    assert precision_coverage([], total=5) == []
