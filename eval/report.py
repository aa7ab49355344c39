"""Present an eval run: the metrics table, per-question lines, failures, threshold checks.

Pure formatting and comparison over the records and summary that eval.run
produces, for the terminal; it never runs the assistant and never writes files
(the Markdown report is eval.markdown's job).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["format_summary", "format_question", "format_failures", "load_thresholds", "check_thresholds",
           "METRIC_LABELS", "LOWER_IS_BETTER"]

METRIC_LABELS = {
    "recall@1": "retrieval recall@1 (gold article)",
    "recall@5": "retrieval recall@5 (gold article)",
    "recall@10": "retrieval recall@10 (gold article)",
    "hit@1": "retrieval hit@1 (a gold article first)",
    "hit@5": "retrieval hit@5 (a gold article in top 5)",
    "mrr": "retrieval MRR (gold article)",
    "evidence_hit@1": "evidence hit@1 (gold sentence in passage)",
    "evidence_hit@5": "evidence hit@5 (gold sentence in passage)",
    "evidence_mrr": "evidence MRR",
    "answer_contains": "answer contains gold",
    "answer_contains_in_text": "answer contains gold (answer in article text)",
    "answer_em": "answer exact match",
    "answer_f1": "answer token F1",
    "confidently_wrong": "confidently wrong (answerable)",
    "span_exact": "answer span exact (answered answerable)",
    "span_wrong": "leads with a wrong phrase (answerable)",
    "wrong_shown": "wrong as shown (confidently wrong or wrong phrase)",
    "citation_correctness": "citation correctness (answered)",
    "citation_precision": "citation precision (cited sentences)",
    "citation_recall": "citation recall (answer sentences)",
    "abstention_precision": "abstention precision",
    "abstention_recall": "abstention recall (unanswerable)",
    "false_abstention_rate": "false abstention rate (answerable)",
    "abstention_accuracy": "abstention accuracy (all)",
    "latency_retrieve_p50_s": "latency retrieve p50 (s)",
    "latency_retrieve_p95_s": "latency retrieve p95 (s)",
    "latency_generate_p50_s": "latency generate p50 (s)",
    "latency_generate_p95_s": "latency generate p95 (s)",
    "latency_total_p50_s": "latency total p50 (s)",
    "latency_total_p95_s": "latency total p95 (s)",
}
# Metrics whose threshold is a maximum ("at most"); every other threshold is a minimum ("at least").
LOWER_IS_BETTER = frozenset({"confidently_wrong", "span_wrong", "wrong_shown", "false_abstention_rate"}
                            | {k for k in METRIC_LABELS if k.startswith("latency_")})


def _value(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def format_summary(summary: dict, title: str = "") -> str:
    """A two-column table of every metric, with the question counts on top."""
    width = max(map(len, METRIC_LABELS.values()))
    lines = [title] if title else []
    lines.append(f"{summary['questions']} questions: {summary['answerable']} answerable "
                 f"({summary['answered']} answered), {summary['unanswerable']} unanswerable")
    lines.append("-" * (width + 10))
    lines += [f"{label:<{width}}  {_value(summary.get(key)):>7}" for key, label in METRIC_LABELS.items()]
    return "\n".join(lines)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def format_question(r: dict) -> str:
    """One line per question: verdict, id, abstained or not, question and answer."""
    mark = "ok  " if r["correct"] else "FAIL"
    state = "abstained" if r["abstained"] else "answered "
    return f"{mark} {r['id']:<10} {state} {r['timings'].get('total', 0):5.2f}s  {_short(r['question'], 60)}\n" \
           f"{'':16}-> {_short(r['answer'])}"


def _why(r: dict) -> str:
    parts = []
    for reason in r.get("failures", []):
        if reason == "false abstention":
            why = sorted({c["reason"] for c in r["claims"] if c.get("reason")})
            parts.append("abstained" + (f" ({'; '.join(why)})" if why else ""))
        elif reason == "wrong answer":
            parts.append(f"confidently wrong: answer lacks every gold answer {r['gold_answers']}"
                         + (f" (span \u201c{r['span']}\u201d)" if r.get("span") else ""))
        elif reason == "wrong phrase":
            parts.append(f"leads with \u201c{r['span']}\u201d, which names no gold answer {r['gold_answers']}")
        elif reason == "missed retrieval":
            parts.append(f"no gold article {r['gold_evidence_ids']} retrieved")
        elif reason == "unsupported citation":
            parts.append("a cited sentence does not support its claim")
        else:
            parts.append("answered a question the articles cannot answer")
    if not parts and r["answerable"] and not r["correct"]:
        parts.append("citations miss the gold evidence")
    return "; ".join(parts)


def format_failures(records: list[dict]) -> str:
    """The questions scored wrong or with a failure reason, each with why."""
    failed = [r for r in records if not r["correct"] or r.get("failures")]
    if not failed:
        return "No failing questions."
    lines = [f"Failing questions ({len(failed)}):"]
    for r in failed:
        lines.append(f"  {r['id']}: {r['question']}\n      {_why(r)}\n      answer: {_short(r['answer'], 140)}")
    return "\n".join(lines)


def load_thresholds(path: str | Path) -> dict[str, float]:
    """{metric: bound} from a JSON file: a minimum, or a maximum for LOWER_IS_BETTER metrics
    (confidently_wrong, false_abstention_rate, the latencies)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    unknown = sorted(set(data) - set(METRIC_LABELS))
    if unknown:
        raise ValueError(f"{path}: unknown metric(s) {', '.join(unknown)}")
    return {k: float(v) for k, v in data.items()}


def check_thresholds(summary: dict, thresholds: dict[str, float]) -> list[str]:
    """One message per metric on the wrong side of its bound (a metric with no questions fails too)."""
    failures = []
    for key, bound in thresholds.items():
        value, upper = summary.get(key), key in LOWER_IS_BETTER
        if value is None or (value > bound if upper else value < bound):
            failures.append(f"{METRIC_LABELS[key]}: {_value(value)} {'>' if upper else '<'} {bound:.3f}")
    return failures
