"""Run a gold dataset through the public assistant API and score every answer.

`run_eval` builds one Assistant over an index of the dataset's corpus (cached by
content hash and the settings that shape the index), ingests it, asks every
question (with its `question_date` as `as_of` and its `turns` as history) and
returns per-question records plus a summary of the metrics in eval.metrics.
`score_answer` and `summarise` are shared with the llama-index baseline
(eval.baseline), so both are scored by the same rules. It talks to the assistant
only through `assistant`'s public API. It does not print, parse arguments,
write files or apply thresholds, and it never changes the assistant's settings
beyond those it is given.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from assistant import Answer, Assistant, Settings, build_assistant

from .dataset import Dataset, Question, select_questions
from .metrics import (
    abstention_scores,
    citations_correct,
    contains_answer,
    distinct_ranked,
    exact_match,
    hit_at_k,
    is_confidently_wrong,
    percentile,
    quote_supports,
    rate,
    recall_at_k,
    reciprocal_rank,
    span_exact,
    span_wrong,
    split_answer_sentences,
    strip_citation_markers,
    token_f1,
)

__all__ = ["EvalResult", "run_eval", "ask_all", "score_answer", "summarise", "summarise_by_type",
           "failure_reasons", "default_data_dir", "corpus_fingerprint", "index_settings", "settings_dict",
           "FAILURE_REASONS", "RECALL_KS", "STAGES"]

CACHE_VERSION = "1"  # bump when what an index holds changes in a way its content hash does not show
RECALL_KS = (1, 5, 10)
STAGES = ("retrieve", "generate", "total")
# Settings that shape what ingest writes (chunking, embedding, a sparse index) go
# into the cache key, found by name so that a new such setting is covered too; a
# change to any other setting reuses the index.
INDEX_SETTING_PATTERN = re.compile(r"^(chunk|embed|hybrid|bm25|sparse|index)|_embed")
SECRET_PATTERN = re.compile(r"api_key|secret|password", re.I)
FAILURE_REASONS = ("missed retrieval", "false abstention", "wrong answer", "wrong phrase", "unsupported citation",
                   "should have abstained")
AssistantFactory = Callable[[Path, str], Assistant]


@dataclass
class EvalResult:
    dataset: str
    generator: str
    data_dir: str
    records: list[dict]
    summary: dict
    ingest: dict = field(default_factory=dict)
    name: str = "citewire"  # or "llamaindex" for the baseline
    label: str = ""  # the --set/--grid overrides that made this configuration
    settings: dict = field(default_factory=dict)
    by_type: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "dataset": self.dataset, "generator": self.generator,
                "data_dir": self.data_dir, "settings": self.settings, "ingest": self.ingest,
                "summary": self.summary, "by_type": self.by_type, "questions": self.records}


def settings_dict(settings: Settings) -> dict:
    """The settings as plain JSON values, secrets (API keys) masked."""
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if SECRET_PATTERN.search(f.name) and value:
            value = "***"
        out[f.name] = str(value) if isinstance(value, Path) else value
    return out


def index_settings(settings: Settings) -> str:
    """The settings that shape the index, as a stable string for the cache key."""
    return ",".join(f"{k}={v}" for k, v in sorted(settings_dict(settings).items()) if INDEX_SETTING_PATTERN.search(k))


def corpus_fingerprint(paths, extra: str = "") -> str:
    """A short hash of the corpus files' names and bytes (folders walked, sorted) plus `extra`."""
    digest = hashlib.sha256(f"{CACHE_VERSION}|{extra}".encode())
    for top in map(Path, paths):
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def default_data_dir(dataset: Dataset, settings: Settings) -> Path:
    """Where the dataset's index is cached: <data_dir>/eval-cache/<corpus + index settings hash>."""
    return settings.data_dir / "eval-cache" / corpus_fingerprint(dataset.corpus, index_settings(settings))


def _check_citations(ans: Answer, question: str) -> list[dict]:
    """Every (answer sentence, [n] it carries) pair, with whether the cited quote supports it."""
    quotes = {c.n: c.quote for c in ans.citations}
    checks = []
    for sentence, numbers in split_answer_sentences(ans.text):
        for n in numbers:
            quote = quotes.get(n, "")
            checks.append({"sentence": sentence, "n": n, "quote": quote,
                           "supported": bool(quote) and quote_supports(quote, sentence, question)})
    return checks


def failure_reasons(r: dict) -> list[str]:
    """Why a record counts as failing, in FAILURE_REASONS terms (empty when it does not)."""
    reasons = []
    if r["answerable"]:
        if r["recall@10"] == 0:
            reasons.append("missed retrieval")
        if r["abstained"]:
            reasons.append("false abstention")
        elif not r["answer_contains"]:
            reasons.append("wrong answer")
        elif r.get("span_wrong"):
            reasons.append("wrong phrase")
    elif not r["abstained"]:
        reasons.append("should have abstained")
    if any(not c["supported"] for c in r["citation_checks"]):
        reasons.append("unsupported citation")
    return reasons


def score_answer(q: Question, ans: Answer) -> dict:
    """One question's record: what was asked, retrieved, answered and cited, and how it scores."""
    retrieved = distinct_ranked(p.article_id for p in ans.passages)
    by_article = [aid in q.evidence_ids for aid in retrieved]
    by_evidence = [contains_answer(p.text, q.evidence) for p in ans.passages]
    body = strip_citation_markers(ans.text)
    sentences = split_answer_sentences(ans.text)
    checks = [] if ans.abstained else _check_citations(ans, q.question)
    span = getattr(ans, "span", "") or ""  # the answerer's short answer; "" when it gives none
    record = {
        "id": q.id,
        "type": q.type,
        "file": q.file,
        "answerable": q.answerable,
        "question": q.question,
        "question_date": q.question_date,
        "turns": len(q.turns),
        "answer": ans.text,
        "span": span,
        "confidence": getattr(ans, "confidence", None),
        "abstained": ans.abstained,
        "gold_answers": list(q.answers),
        "gold_evidence_ids": list(q.evidence_ids),
        "retrieved_article_ids": retrieved,
        "passages": [{"chunk_id": p.chunk_id, "article_id": p.article_id, "score": round(p.score, 4)}
                     for p in ans.passages],
        **{f"recall@{k}": None for k in RECALL_KS},
        "hit@1": None, "hit@5": None,
        "rr": None,
        "evidence_hit@1": None, "evidence_hit@5": None, "evidence_rr": None,
        "answer_contains": None, "answer_em": None, "answer_f1": None,
        "confidently_wrong": None, "span_exact": None, "span_wrong": None, "wrong_shown": None,
        # RealTime QA marks the questions whose answer string occurs verbatim in a gold article.
        "answer_in_text": q.extra.get("answer_in_evidence"),
        "citation_correct": None,
        "citation_checks": checks,
        "citation_precision": rate(c["supported"] for c in checks),
        "citation_recall": None if ans.abstained else rate(bool(n) for _, n in sentences),
        "citations": [c.to_dict() for c in ans.citations],
        "claims": [c.to_dict() for c in ans.claims],
        "draft": ans.draft,
        "generator": ans.generator,
        "query": ans.query,
        "timings": {k: round(v, 4) for k, v in ans.timings.items()},
    }
    if q.answerable:
        answered = not ans.abstained
        record.update({f"recall@{k}": recall_at_k(retrieved, q.evidence_ids, k) for k in RECALL_KS})
        record.update({"hit@1": hit_at_k(by_article, 1), "hit@5": hit_at_k(by_article, 5)})
        record["rr"] = reciprocal_rank(by_article)
        if q.evidence:
            record.update({"evidence_hit@1": hit_at_k(by_evidence, 1), "evidence_hit@5": hit_at_k(by_evidence, 5),
                           "evidence_rr": reciprocal_rank(by_evidence)})
        # An abstention on an answerable question scores 0 on every answer metric.
        record["answer_contains"] = answered and contains_answer(body, q.answers)
        record["answer_em"] = answered and exact_match(body, q.answers)
        record["answer_f1"] = round(token_f1(body, q.answers), 4) if answered else 0.0
        # Answered without any gold answer: a wrong answer shown with citations.
        record["confidently_wrong"] = is_confidently_wrong(body, q.answers, ans.abstained)
        # The phrase the answer leads with names no gold answer (False without a phrase or an answer).
        record["span_wrong"] = answered and span_wrong(span, q.answers)
        # Wrong as a reader sees it: the answer lacks every gold answer, or it leads with a wrong phrase.
        record["wrong_shown"] = bool(record["confidently_wrong"] or record["span_wrong"])
        if answered:
            record["span_exact"] = span_exact(span, q.answers)  # an empty span scores 0
            pairs = [(c.article_id, c.quote) for c in ans.citations]
            record["citation_correct"] = citations_correct(pairs, q.evidence_ids, q.evidence)
    record["failures"] = failure_reasons(record)
    # Answerable: right answer, led by no wrong phrase, with right citations; unanswerable: abstained.
    record["correct"] = bool(record["answer_contains"] and record["citation_correct"] and not record["span_wrong"]) \
        if q.answerable else ans.abstained
    return record


def _mean(key: str, rows: list[dict]) -> float | None:
    return rate(r.get(key) for r in rows)  # records saved before a metric existed lack its key: skipped


def _latency(records: list[dict], stage: str, q: float) -> float | None:
    value = percentile([r["timings"][stage] for r in records if stage in r["timings"]], q)
    return None if value is None else round(value, 4)


def summarise(records: list[dict]) -> dict:
    """The dataset-level metrics over `records` (None where a metric has no questions)."""
    answerable = [r for r in records if r["answerable"]]
    answered = [r for r in records if not r["abstained"]]
    abst = abstention_scores([r["abstained"] for r in records], [r["answerable"] for r in records])
    summary = {
        "questions": len(records),
        "answerable": len(answerable),
        "unanswerable": len(records) - len(answerable),
        "answered": len(answered),
        **{f"recall@{k}": _mean(f"recall@{k}", answerable) for k in RECALL_KS},
        "hit@1": _mean("hit@1", answerable),
        "hit@5": _mean("hit@5", answerable),
        "mrr": _mean("rr", answerable),
        "evidence_hit@1": _mean("evidence_hit@1", answerable),
        "evidence_hit@5": _mean("evidence_hit@5", answerable),
        "evidence_mrr": _mean("evidence_rr", answerable),
        "answer_contains": _mean("answer_contains", answerable),
        "answer_contains_in_text": _mean("answer_contains", [r for r in answerable if r.get("answer_in_text")]),
        "answer_em": _mean("answer_em", answerable),
        "answer_f1": _mean("answer_f1", answerable),
        "confidently_wrong": _mean("confidently_wrong", answerable),
        "span_exact": _mean("span_exact", [r for r in answerable if not r["abstained"]]),
        "span_wrong": _mean("span_wrong", answerable),
        "wrong_shown": _mean("wrong_shown", answerable),
        "citation_correctness": _mean("citation_correct", answerable),
        # Micro-averaged: every cited sentence / every answer sentence counts once.
        "citation_precision": rate(c["supported"] for r in answered for c in r["citation_checks"]),
        "citation_recall": rate(flag for r in answered
                                for flag in _sentence_flags(r)),
        "abstention_precision": abst["precision"],
        "abstention_recall": abst["recall"],
        "false_abstention_rate": abst["false_rate"],
        "abstention_accuracy": abst["accuracy"],
    }
    for stage in STAGES:
        summary[f"latency_{stage}_p50_s"] = _latency(records, stage, 50)
        summary[f"latency_{stage}_p95_s"] = _latency(records, stage, 95)
    return summary


def _sentence_flags(r: dict) -> list[bool]:
    return [bool(n) for _, n in split_answer_sentences(r["answer"])]


def summarise_by_type(records: list[dict]) -> dict[str, dict]:
    """`summarise` over each question type's records, types in first-seen order."""
    types = list(dict.fromkeys(r["type"] for r in records))
    return {t: summarise([r for r in records if r["type"] == t]) for t in types}


def ask_all(assistant: Assistant, questions, on_record: Callable[[dict], None] | None = None) -> list[dict]:
    """Ask each question once (its turns as history, its date as as_of) and score the answer."""
    records = []
    for q in questions:
        ans = assistant.ask(q.question, history=list(q.turns), as_of=q.question_date)
        records.append(score_answer(q, ans))
        if on_record:
            on_record(records[-1])
    return records


def run_eval(
    dataset: Dataset,
    generator: str | None = None,
    data_dir: str | Path | None = None,
    settings: Settings | None = None,
    limit: int | None = None,
    embedder=None,
    assistant_factory: AssistantFactory | None = None,
    on_record: Callable[[dict], None] | None = None,
    label: str = "",
) -> EvalResult:
    """Index `dataset.corpus`, ask its questions (the first `limit` of each file), and score them.

    `generator` defaults to `settings.generator`. The index lives in `data_dir`,
    by default a cache keyed by the corpus and index settings (see
    default_data_dir), or a temporary folder when a custom `embedder` or
    `assistant_factory` is given, so that test vectors never reach the cache.
    `assistant_factory(data_dir, generator)` replaces build_assistant entirely.
    """
    settings = settings or Settings()
    generator = generator or settings.generator
    settings = settings.replace(generator=generator)
    if data_dir is None and settings.model_cache_dir is None:
        settings = settings.replace(model_cache_dir=settings.models_dir)  # share the app's model cache
    with tempfile.TemporaryDirectory(prefix="citewire-eval-") as tmp:
        if data_dir is None:
            data_dir = Path(tmp) if embedder or assistant_factory else default_data_dir(dataset, settings)
        data_dir = Path(data_dir)
        if assistant_factory:
            assistant = assistant_factory(data_dir, generator)
        else:
            assistant = build_assistant(data_dir=data_dir, generator=generator, settings=settings, embedder=embedder)
        report = assistant.ingest([str(p) for p in dataset.corpus])
        if report.failed:
            raise ValueError("corpus did not load: " + "; ".join(str(f) for f in report.failed))
        _checkpoint(assistant)  # every later run over this index searches the same vector graph
        started = time.perf_counter()
        assistant.warm_up()  # model loading is not answer latency
        ingest = {"added": len(report.added), "updated": len(report.updated), "unchanged": len(report.unchanged),
                  "seconds": round(report.seconds, 3), "warm_up_seconds": round(time.perf_counter() - started, 3)}
        records = ask_all(assistant, select_questions(dataset.questions, limit), on_record)
    return EvalResult(dataset.name, generator, str(data_dir), records, summarise(records), ingest,
                      label=label, settings=settings_dict(settings), by_type=summarise_by_type(records))


def _checkpoint(assistant) -> None:
    """Chroma's vector index written to disk (ChromaStore.checkpoint), when the assistant has such a store."""
    store = getattr(getattr(assistant, "library", None), "store", None)
    if hasattr(store, "checkpoint"):
        store.checkpoint()
