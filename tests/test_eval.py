"""The eval harness: scoring rules on hand-made cases, the gold set's integrity,
and an end-to-end run on the gold set with the extractive generator and a fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Answer, Citation, Claim, Passage
from eval.dataset import load_dataset
from eval.metrics import (
    abstention_scores,
    citations_correct,
    contains_answer,
    exact_match,
    hit_at_k,
    normalize_answer,
    percentile,
    quote_supports,
    rate,
    reciprocal_rank,
    strip_citation_markers,
    token_f1,
)
from eval.report import check_thresholds, format_failures, format_summary, load_thresholds
from eval.run import run_eval, score_answer, summarise
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "gold" / "sample"
SAMPLE_ID = "kyodo-2022-02-21-biden-putin-summit"


# --- metrics -------------------------------------------------------------------------------------

def test_normalize_answer_is_squad_style_with_punctuation_as_space():
    assert normalize_answer("  The Donbass   region! ") == "donbass region"
    assert normalize_answer("a 30-country alliance") == "30 country alliance"
    assert normalize_answer("\u201cSwift and severe\u201d") == "swift and severe"
    assert normalize_answer("Then another theme") == "then another theme"  # only whole-word articles go


def test_contains_answer_matches_whole_normalised_words():
    assert contains_answer("more than 150,000 Russian troops", ["150,000"])
    assert contains_answer("Macron's idea [1].", ["Putin", "macron"])
    assert contains_answer("the 30-country military alliance", ["30"])
    assert not contains_answer("some 300 troops", ["30"])
    assert not contains_answer("Macron proposed it", [])
    assert not contains_answer("Macron proposed it", ["", "the"])  # empty after normalising never matches


def test_strip_citation_markers_keeps_the_answer_only():
    assert strip_citation_markers("Macron proposed it [1]. Putin agreed [2, 3].") == "Macron proposed it. Putin agreed."
    assert not contains_answer(strip_citation_markers("Thursday [1]."), ["1"])


def test_exact_match_and_token_f1():
    assert exact_match("The Donbass.", ["Luhansk", "donbass"])
    assert not exact_match("the Donbass region", ["Donbass"])
    assert token_f1("Emmanuel Macron proposed it", ["Emmanuel Macron"]) == pytest.approx(2 / 3)
    assert token_f1("Emmanuel Macron proposed it", ["Putin", "Emmanuel Macron proposed"]) == pytest.approx(6 / 7)
    assert token_f1("Putin", ["Macron"]) == 0.0
    assert token_f1("Putin", []) == 0.0


def test_hit_at_k_and_reciprocal_rank():
    ranked = [False, True, False]
    assert not hit_at_k(ranked, 1) and hit_at_k(ranked, 2) and hit_at_k(ranked, 5)
    assert reciprocal_rank(ranked) == 0.5
    assert reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)
    assert reciprocal_rank([]) == 0.0 and not hit_at_k([], 5)


def test_citations_correct_needs_gold_articles_and_one_evidence_quote():
    quote = "The idea of a summit was proposed by French President Emmanuel Macron, who held talks."
    evidence = ["proposed by French President Emmanuel Macron"]
    other = "Moscow has denied any intention to invade Ukraine."
    assert citations_correct([("a1", quote)], ["a1"], evidence)
    assert citations_correct([("a1", other), ("a1", quote)], ["a1"], evidence)
    assert not citations_correct([("a1", quote), ("a2", quote)], ["a1"], evidence)  # one from a wrong article
    assert not citations_correct([("a1", other)], ["a1"], evidence)
    assert not citations_correct([], ["a1"], evidence)
    assert citations_correct([("a1", other)], ["a1"], [])  # no evidence strings: article ids only


def test_quote_supports_needs_names_numbers_and_most_content_words():
    quote = "The idea of a summit was proposed by French President Emmanuel Macron."
    assert quote_supports(quote, "Macron proposed the summit.")
    assert not quote_supports(quote, "Scholz proposed the summit.")  # a name the quote lacks
    assert not quote_supports(quote, "Macron rejected further talks.")  # 1 of 4 content words
    assert not quote_supports(quote, "It was.")  # nothing to check
    assert not quote_supports("More than 150,000 troops.", "More than 160,000 troops.")


def test_abstention_scores_rate_and_percentile():
    scores = abstention_scores([True, True, False, False, False], [False, False, True, True, False])
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["false_rate"] == 0.0
    assert scores["accuracy"] == pytest.approx(0.8)
    assert abstention_scores([False], [True]) == {"precision": None, "recall": None, "false_rate": 0.0, "accuracy": 1.0}
    assert rate([True, False, True, True]) == 0.75 and rate([]) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([0.3, 0.1, 0.9, 0.2, 0.5], 95) == pytest.approx(0.82)
    assert percentile([5.0], 95) == 5.0 and percentile([], 50) is None


# --- scoring one answer and the summary, on hand-made answers ------------------------------------

def _question(**kw):
    from eval.dataset import Question

    base = dict(id="q1", question="Who proposed the summit?", answers=("Macron",), evidence_ids=("a1",),
                evidence=("proposed by French President Emmanuel Macron",))
    return Question(**{**base, **kw})


QUOTE = "The idea of a summit was proposed by French President Emmanuel Macron."
PASSAGES = (Passage("c2", "a1", "Moscow has denied any intention to invade Ukraine.", 0.9),
            Passage("c1", "a1", QUOTE, 0.8), Passage("c9", "b2", "Unrelated.", 0.1))


def test_score_answer_and_summarise_on_hand_made_answers():
    cited = Answer("Who proposed the summit?", "Macron proposed the summit [1].", False,
                   citations=(Citation(1, "a1", "t", "", "", QUOTE, 0, len(QUOTE), 0.9),),
                   claims=(Claim("Macron proposed the summit.", True, 0.9, citation=1),),
                   passages=PASSAGES, timings={"total": 1.0})
    r = score_answer(_question(), cited)
    assert r["answer_contains"] and r["citation_correct"] and r["correct"]
    assert (r["recall@1"], r["rr"], r["evidence_hit@1"], r["evidence_hit@5"], r["evidence_rr"]) == (1.0, 1.0, False, True, 0.5)
    assert [c["supported"] for c in r["citation_checks"]] == [True] and r["retrieved_article_ids"] == ["a1", "b2"]
    assert r["citation_recall"] == 1.0 and r["failures"] == []

    abstained = Answer("Who is Ukraine's president?", "The articles I have do not answer that.", True,
                       passages=PASSAGES, timings={"total": 3.0})
    u = score_answer(_question(id="q2", answers=(), evidence_ids=(), evidence=(), type="unanswerable"), abstained)
    assert u["correct"] and u["answer_contains"] is None and u["recall@5"] is None and u["failures"] == []

    wrong = Answer("Who proposed the summit?", "Putin did [1].", False,
                   citations=(Citation(1, "b2", "t", "", "", "Unrelated.", 0, 10, 0.9),),
                   claims=(Claim("Putin did.", True, 0.9, citation=1),), passages=PASSAGES, timings={"total": 2.0})
    w = score_answer(_question(id="q3"), wrong)
    assert not w["answer_contains"] and not w["citation_correct"] and not w["correct"]
    assert [c["supported"] for c in w["citation_checks"]] == [False]
    assert w["failures"] == ["wrong answer", "unsupported citation"]

    s = summarise([r, u, w])
    assert (s["questions"], s["answerable"], s["unanswerable"], s["answered"]) == (3, 2, 1, 2)
    assert s["answer_contains"] == 0.5 and s["citation_correctness"] == 0.5 and s["citation_precision"] == 0.5
    assert s["abstention_recall"] == 1.0 and s["false_abstention_rate"] == 0.0 and s["abstention_accuracy"] == 1.0
    assert s["abstention_precision"] == 1.0 and s["recall@5"] == 1.0 and s["mrr"] == 1.0
    assert s["evidence_mrr"] == 0.5 and s["latency_total_p50_s"] == 2.0
    assert "answer contains gold" in format_summary(s)
    assert "q3" in format_failures([r, u, w]) and "q1" not in format_failures([r, u, w])


def test_thresholds_are_minimums_except_lower_is_better_metrics(tmp_path):
    summary = {"answer_contains": 0.7, "citation_correctness": None, "latency_total_p95_s": 4.0}
    assert check_thresholds(summary, {"answer_contains": 0.6, "latency_total_p95_s": 5.0}) == []
    failures = check_thresholds(summary, {"answer_contains": 0.8, "citation_correctness": 0.5,
                                          "latency_total_p95_s": 3.0})
    assert len(failures) == 3
    (tmp_path / "t.json").write_text('{"answer_contans": 0.5}')
    with pytest.raises(ValueError, match="answer_contans"):
        load_thresholds(tmp_path / "t.json")
    assert set(load_thresholds(ROOT / "eval" / "thresholds.json")) >= {"recall@5", "answer_contains",
                                                                      "citation_correctness", "abstention_accuracy"}


def test_confidently_wrong_and_false_abstention_thresholds_are_maximums(tmp_path):
    summary = {"confidently_wrong": 0.2, "false_abstention_rate": 0.1, "span_exact": 0.4}
    assert check_thresholds(summary, {"confidently_wrong": 0.2, "false_abstention_rate": 0.1}) == []  # at most
    assert check_thresholds(summary, {"confidently_wrong": 0.3, "false_abstention_rate": 0.5}) == []
    (failure,) = check_thresholds(summary, {"confidently_wrong": 0.0})
    assert failure == "confidently wrong (answerable): 0.200 > 0.000"
    assert check_thresholds(summary, {"false_abstention_rate": 0.05}) == [
        "false abstention rate (answerable): 0.100 > 0.050"]
    # span_exact is an ordinary "at least" metric
    assert check_thresholds(summary, {"span_exact": 0.4}) == []
    assert check_thresholds(summary, {"span_exact": 0.5}) == ["answer span exact (answered answerable): 0.400 < 0.500"]
    assert check_thresholds({"confidently_wrong": None}, {"confidently_wrong": 1.0})  # no questions: fails
    (tmp_path / "t.json").write_text('{"confidently_wrong": 0.0, "span_exact": 0.5}')
    assert load_thresholds(tmp_path / "t.json") == {"confidently_wrong": 0.0, "span_exact": 0.5}


# --- the dataset format and the gold set ---------------------------------------------------------

def test_load_dataset_reads_every_question_file_and_keeps_extra_fields(tmp_path):
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"id": "a1", "text": "Macron proposed it."}) + "\n")
    (tmp_path / "questions.jsonl").write_text(json.dumps(
        {"id": "q1", "question": "Who?", "answers": ["Macron"], "evidence_ids": ["a1"], "evidence": [],
         "type": "single-hop", "difficulty": "easy"}) + "\n\n")
    (tmp_path / "questions-extra.jsonl").write_text(json.dumps(
        {"id": "q2", "question": "Why?", "answers": [], "evidence_ids": [], "type": "unanswerable"}) + "\n")
    ds = load_dataset(tmp_path)
    assert [q.id for q in ds.questions] == ["q2", "q1"]  # files in name order
    assert ds.questions[1].extra == {"difficulty": "easy"} and not ds.questions[0].answerable
    assert ds.corpus == (tmp_path / "corpus.jsonl",)


@pytest.mark.parametrize("record, message", [
    ({"id": "q1", "question": "Who?", "answers": ["X"], "evidence_ids": [], "type": "unanswerable"}, "no answers"),
    ({"id": "q1", "question": "Who?", "answers": [], "evidence_ids": ["a1"]}, "needs 'answers'"),
    ({"id": "q1", "question": "Who?", "answers": "X", "evidence_ids": ["a1"]}, "list of non-empty strings"),
    ({"id": "q1", "question": "Who?", "answers": ["X"], "evidence_ids": ["a1"], "type": 3}, "'type' must be"),
    ({"id": "q1", "question": "Who?", "answers": ["X"], "evidence_ids": [], "type": "null"}, "no answers"),
])
def test_load_dataset_rejects_bad_records_naming_the_line(tmp_path, record, message):
    (tmp_path / "corpus.jsonl").write_text("{}\n")
    (tmp_path / "questions.jsonl").write_text(json.dumps(record) + "\n")
    with pytest.raises(ValueError, match=message) as err:
        load_dataset(tmp_path)
    assert "questions.jsonl:1" in str(err.value)


def test_gold_corpus_is_the_sample_article(sample_path):
    (record,) = [json.loads(line) for line in (GOLD / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["id"] == SAMPLE_ID and record["source"] == "Kyodo" and record["published_at"] == "2022-02-21"
    assert record["text"] == sample_path.read_text(encoding="utf-8")


def test_gold_questions_are_grounded_in_the_article():
    from index import load_articles, split_sentences

    ds = load_dataset(GOLD)
    (article,) = load_articles([str(GOLD / "corpus.jsonl")])
    sentences = [article.text[s:e] for s, e in split_sentences(article.text)]
    answerable = [q for q in ds.questions if q.answerable]
    unanswerable = [q for q in ds.questions if not q.answerable]
    assert len(ds.questions) >= 18 and len(unanswerable) >= 4
    assert "What is the name of Ukraine's president?" in {q.question for q in unanswerable}
    for q in answerable:
        assert q.evidence_ids == (SAMPLE_ID,) and q.answers and q.evidence, q.id
        for answer in q.answers:
            assert answer in article.text, (q.id, answer)
        for ev in q.evidence:
            # Within one sentence, so that a single citation can contain it.
            assert any(ev in s for s in sentences), (q.id, ev)
        assert any(contains_answer(ev, q.answers) for ev in q.evidence), q.id  # the evidence states the answer
    for q in unanswerable:
        assert not (q.answers or q.evidence_ids or q.evidence), q.id


def test_reworded_questions_keep_their_originals_gold():
    ds = load_dataset(GOLD)
    by_id = {q.id: q for q in ds.questions}
    assert len(by_id) == len(ds.questions)  # ids unique across the question files
    reworded = [q for q in ds.questions if q.file == "questions_reworded.jsonl"]
    assert [q.id for q in reworded] == [f"sample-r{i:02d}" for i in range(1, len(reworded) + 1)]
    assert ds.questions[-len(reworded):] == tuple(reworded)  # read after questions.jsonl (name order)
    # every answerable single-turn original has exactly one reworded variant
    originals = [q.id for q in ds.questions if q.file == "questions.jsonl" and q.answerable and not q.turns]
    variants = [q.extra["variant_of"] for q in reworded if q.answerable]
    assert sorted(variants) == originals
    assert sum(not q.answerable for q in reworded) >= 3
    for q in reworded:
        original = by_id.get(q.extra.get("variant_of"))
        if original is None:
            assert not q.answerable, q.id  # a new near miss
            continue
        assert q.question != original.question and q.answerable == original.answerable, q.id
        assert (q.answers, q.evidence_ids, q.evidence, q.type) == \
            (original.answers, original.evidence_ids, original.evidence, original.type), q.id


# --- end to end ----------------------------------------------------------------------------------

def test_run_eval_end_to_end_with_extractive_and_fake_embedder(tmp_path):
    ds = load_dataset(GOLD)
    result = run_eval(ds, generator="extractive", data_dir=tmp_path / "data", embedder=FakeEmbedder())
    s = result.summary
    assert s["questions"] == len(ds.questions) == len(result.records)
    assert s["recall@5"] == 1.0  # one-article corpus: every passage is from the gold article
    # The floors are for the original wording; the reworded variants are meant to be harder and have none.
    original = summarise([r for r in result.records if r["file"] == "questions.jsonl"])
    assert original["answer_contains"] >= 0.6 and original["abstention_accuracy"] >= 0.6
    assert s["confidently_wrong"] is not None and s["span_exact"] is not None
    assert s["answer_contains"] + s["confidently_wrong"] + s["false_abstention_rate"] == pytest.approx(1.0)
    assert {r["id"] for r in result.records} == {q.id for q in ds.questions}
    ukraine = next(r for r in result.records if r["question"] == "What is the name of Ukraine's president?")
    assert ukraine["abstained"] and ukraine["correct"]
    json.dumps(result.to_dict())  # every record is plain JSON


def test_cli_prints_the_table_writes_json_and_gates_on_thresholds(tmp_path, monkeypatch, capsys):
    import eval.run
    from eval.__main__ import main

    real = eval.run.run_eval
    monkeypatch.setattr(eval.run, "run_eval", lambda ds, **kw: real(ds, **{**kw, "embedder": FakeEmbedder()}))
    out = tmp_path / "out.json"
    (tmp_path / "easy.json").write_text('{"recall@5": 0.5}')
    (tmp_path / "hard.json").write_text('{"answer_contains": 1.01}')
    argv = ["--generator", "extractive", "--data-dir", str(tmp_path / "data"), "--limit", "3", "--quiet",
            "--out", str(tmp_path / "report")]
    assert main(argv + ["--json", str(out), "--check", "--thresholds", str(tmp_path / "easy.json")]) == 0
    printed = capsys.readouterr().out
    assert "answer contains gold" in printed and "thresholds: all met" in printed
    assert "confidently wrong (answerable)" in printed and "answer span exact" in printed
    data = json.loads(out.read_text())
    # --limit 3 takes the first 3 of each questions file: questions.jsonl and questions_reworded.jsonl
    assert data["summary"]["questions"] == 6 and len(data["runs"][0]["questions"]) == 6
    assert {"confidently_wrong", "span_exact"} <= set(data["summary"])
    assert {"confidently_wrong", "span_exact", "span"} <= set(data["runs"][0]["questions"][0])
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| confidently wrong (answerable) |" in report and "conf. wrong" in report
    assert {p.name for p in (tmp_path / "report").iterdir()} == {"results.json", "report.md", "recall_at_k.png",
                                                                  "latency.png", "precision_coverage.png"}
    assert "## Precision / coverage (answers ranked by confidence)" in report
    assert all(isinstance(q["confidence"], float) for q in data["runs"][0]["questions"])
    assert main(argv + ["--check", "--thresholds", str(tmp_path / "hard.json")]) == 1
    assert main(argv + ["--thresholds", str(tmp_path / "hard.json")]) == 0  # thresholds only gate with --check
    assert main(["--dataset", str(tmp_path)]) == 2  # not a dataset
