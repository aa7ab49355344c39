"""Run a gold dataset through the public assistant API and score every answer.

`run_eval` builds one Assistant over an index of the dataset's corpus, ingests
it, asks every question (no history) and returns per-question records plus a
summary of the metrics in eval.metrics. It talks to the assistant only through
`assistant`'s public API. It does not print, parse arguments or apply
thresholds (see eval.report and eval.__main__), and it never changes the
assistant's settings beyond the index location and generator it is given.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from assistant import Answer, Assistant, Settings, build_assistant

from .dataset import Dataset, Question
from .metrics import (
    abstention_scores,
    citations_correct,
    contains_answer,
    hit_at_k,
    percentile,
    quote_supports,
    rate,
    reciprocal_rank,
    strip_citation_markers,
    token_f1,
)

__all__ = ["EvalResult", "run_eval", "ask_all", "score_answer", "summarise", "default_data_dir", "corpus_fingerprint"]

CACHE_VERSION = "1"  # bump when what an index holds changes in a way its content hash does not show
AssistantFactory = Callable[[Path, str], Assistant]


@dataclass
class EvalResult:
    dataset: str
    generator: str
    data_dir: str
    records: list[dict]
    summary: dict
    ingest: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "generator": self.generator, "data_dir": self.data_dir,
                "ingest": self.ingest, "summary": self.summary, "questions": self.records}


def corpus_fingerprint(paths, extra: str = "") -> str:
    """A short hash of the corpus files' names and bytes (folders walked, sorted) plus `extra`."""
    digest = hashlib.sha256(f"{CACHE_VERSION}|{extra}".encode())
    for top in map(Path, paths):
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def default_data_dir(dataset: Dataset, settings: Settings) -> Path:
    """Where the dataset's index is cached: <data_dir>/eval-cache/<corpus fingerprint>."""
    return settings.data_dir / "eval-cache" / corpus_fingerprint(dataset.corpus, f"chunk_tokens={settings.chunk_tokens}")


def score_answer(q: Question, ans: Answer) -> dict:
    """One question's record: what was asked, answered and cited, and how it scores."""
    retrieved = [p.article_id for p in ans.passages]
    by_article = [aid in q.evidence_ids for aid in retrieved]
    by_evidence = [contains_answer(p.text, q.evidence) for p in ans.passages] if q.evidence else by_article
    quotes = {c.n: c.quote for c in ans.citations}
    cited_claims = [c for c in ans.claims if c.supported and c.citation in quotes]
    body = strip_citation_markers(ans.text)
    record = {
        "id": q.id,
        "type": q.type,
        "answerable": q.answerable,
        "question": q.question,
        "answer": ans.text,
        "abstained": ans.abstained,
        "gold_answers": list(q.answers),
        "answer_correct": None,
        "answer_f1": None,
        "citation_correct": None,
        "citation_support": [quote_supports(quotes[c.citation], c.text) for c in cited_claims],
        "retrieved_article_ids": retrieved,
        "hit@1": None, "hit@5": None, "rr": None,
        "evidence_hit@1": None, "evidence_hit@5": None, "evidence_rr": None,
        "citations": [c.to_dict() for c in ans.citations],
        "claims": [c.to_dict() for c in ans.claims],
        "draft": ans.draft,
        "generator": ans.generator,
        "timings": {k: round(v, 4) for k, v in ans.timings.items()},
    }
    if q.answerable:
        record.update({
            "answer_correct": not ans.abstained and contains_answer(body, q.answers),
            "hit@1": hit_at_k(by_article, 1), "hit@5": hit_at_k(by_article, 5), "rr": reciprocal_rank(by_article),
            "evidence_hit@1": hit_at_k(by_evidence, 1), "evidence_hit@5": hit_at_k(by_evidence, 5),
            "evidence_rr": reciprocal_rank(by_evidence),
        })
        if not ans.abstained:
            record["answer_f1"] = round(token_f1(body, q.answers), 4)
            pairs = [(c.article_id, c.quote) for c in ans.citations]
            record["citation_correct"] = citations_correct(pairs, q.evidence_ids, q.evidence)
    # Answerable: right answer with right citations; unanswerable: abstained.
    record["correct"] = bool(record["answer_correct"] and record["citation_correct"]) if q.answerable else ans.abstained
    return record


def _mean(key: str, rows: list[dict]) -> float | None:
    return rate(r[key] for r in rows)


def summarise(records: list[dict]) -> dict:
    """The dataset-level metrics over `records` (None where a metric has no questions)."""
    answerable = [r for r in records if r["answerable"]]
    answered = [r for r in answerable if not r["abstained"]]
    abst = abstention_scores([r["abstained"] for r in records], [r["answerable"] for r in records])
    totals = [r["timings"].get("total", 0.0) for r in records]
    p50, p95 = percentile(totals, 50), percentile(totals, 95)
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "unanswerable": len(records) - len(answerable),
        "answered": len(answered),
        "hit@1": _mean("hit@1", answerable),
        "hit@5": _mean("hit@5", answerable),
        "mrr": _mean("rr", answerable),
        "evidence_hit@1": _mean("evidence_hit@1", answerable),
        "evidence_hit@5": _mean("evidence_hit@5", answerable),
        "evidence_mrr": _mean("evidence_rr", answerable),
        "answer_accuracy": _mean("answer_correct", answerable),
        "answer_f1": _mean("answer_f1", answered),
        "citation_correctness": _mean("citation_correct", answered),
        "citation_precision": rate(flag for r in answered for flag in r["citation_support"]),
        "abstention_recall": abst["recall"],
        "false_abstention_rate": abst["false_rate"],
        "abstention_accuracy": abst["accuracy"],
        "latency_p50_s": None if p50 is None else round(p50, 4),
        "latency_p95_s": None if p95 is None else round(p95, 4),
    }


def ask_all(assistant: Assistant, questions, on_record: Callable[[dict], None] | None = None) -> list[dict]:
    """Ask each question once, without history, and score the answer."""
    records = []
    for q in questions:
        records.append(score_answer(q, assistant.ask(q.question)))
        if on_record:
            on_record(records[-1])
    return records


def run_eval(
    dataset: Dataset,
    generator: str = "local",
    data_dir: str | Path | None = None,
    settings: Settings | None = None,
    limit: int | None = None,
    embedder=None,
    assistant_factory: AssistantFactory | None = None,
    on_record: Callable[[dict], None] | None = None,
) -> EvalResult:
    """Index `dataset.corpus`, ask its questions (the first `limit`), and score them.

    The index lives in `data_dir`, by default a cache keyed by the corpus
    (see default_data_dir), or a temporary folder when a custom `embedder` or
    `assistant_factory` is given, so that test vectors never reach the cache.
    `assistant_factory(data_dir, generator)` replaces build_assistant entirely.
    """
    settings = settings or Settings()
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
        started = time.perf_counter()
        assistant.warm_up()  # model loading is not answer latency
        ingest = {"added": len(report.added), "updated": len(report.updated), "unchanged": len(report.unchanged),
                  "seconds": round(report.seconds, 3), "warm_up_seconds": round(time.perf_counter() - started, 3)}
        questions = dataset.questions if limit is None else dataset.questions[:limit]
        records = ask_all(assistant, questions, on_record)
    return EvalResult(dataset.name, generator, str(data_dir), records, summarise(records), ingest)
