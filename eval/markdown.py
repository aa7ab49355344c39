"""Render an eval run as a Markdown report (a string; eval.write saves it).

Sections: the summary table (Citewire beside the baseline, with their ratio), one
row per configuration of a --grid, the per-question-type breakdown, latency, the
figures, the failing questions grouped by reason, and the questions the baseline
answers that Citewire does not. It formats what eval.run / eval.baseline
measured; it computes no new metric and writes no file.
"""

from __future__ import annotations

from typing import Sequence

from .plots import coverage_curve
from .report import METRIC_LABELS
from .run import FAILURE_REASONS, STAGES, EvalResult

__all__ = ["render_markdown", "GRID_COLUMNS", "TYPE_COLUMNS"]

GRID_COLUMNS = ("recall@1", "recall@5", "mrr", "answer_contains", "answer_f1", "confidently_wrong",
                "span_exact", "citation_precision", "citation_recall", "abstention_recall",
                "false_abstention_rate", "latency_total_p50_s")
TYPE_COLUMNS = ("questions", "recall@5", "mrr", "answer_contains", "answer_em", "answer_f1", "confidently_wrong",
                "span_exact", "citation_precision", "abstention_recall", "false_abstention_rate")
_SHORT = {"questions": "n", "recall@1": "R@1", "recall@5": "R@5", "recall@10": "R@10", "mrr": "MRR",
          "answer_contains": "contains", "answer_em": "EM", "answer_f1": "F1", "confidently_wrong": "conf. wrong",
          "span_exact": "span EM", "citation_precision": "cite P",
          "citation_recall": "cite R", "abstention_recall": "abstain R", "false_abstention_rate": "false abstain",
          "latency_total_p50_s": "p50 total s"}


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool) or isinstance(v, int):
        return str(int(v))
    return f"{v:.3f}"


def _ratio(a, b) -> str:
    return "n/a" if a is None or not b else f"{a / b:.2f}x"


def _cell(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _name(run: EvalResult) -> str:
    return "baseline (llama-index)" if run.name == "llamaindex" else f"Citewire ({run.label or 'defaults'})"


def _summary_section(main: EvalResult, baseline: EvalResult | None) -> list[str]:
    header = ["metric", _name(main)] + ([_name(baseline), "ratio"] if baseline else [])
    rows = []
    for key, label in METRIC_LABELS.items():
        a = main.summary.get(key)
        row = [label, _fmt(a)]
        if baseline:
            b = baseline.summary.get(key)
            row += [_fmt(b), _ratio(a, b)]
        rows.append(row)
    counts = (f"{main.summary['questions']} questions: {main.summary['answerable']} answerable, "
              f"{main.summary['unanswerable']} unanswerable; Citewire answered {main.summary['answered']}"
              + (f", the baseline {baseline.summary['answered']}" if baseline else "") + ".")
    return ["## Summary", "", counts, ""] + _table(header, rows) + [
        "", "Ratio = Citewire / baseline (for latency, false abstention and confidently wrong, lower is better).", ""]


def _grid_section(runs: Sequence[EvalResult], baseline: EvalResult | None) -> list[str]:
    header = ["configuration", "generator"] + [_SHORT[c] for c in GRID_COLUMNS]
    rows = [[_cell(r.label or "defaults"), r.generator] + [_fmt(r.summary.get(c)) for c in GRID_COLUMNS]
            for r in [*runs, *([baseline] if baseline else [])]]
    if baseline:
        rows[-1][0] = "baseline (llama-index)"
    return ["## Configurations", ""] + _table(header, rows) + [""]


def _type_section(runs: Sequence[EvalResult]) -> list[str]:
    lines = ["## By question type", ""]
    header = ["type", "run"] + [_SHORT[c] for c in TYPE_COLUMNS]
    rows = []
    types = list(dict.fromkeys(t for r in runs for t in r.by_type))
    for t in types:
        for r in runs:
            if t in r.by_type:
                rows.append([t, _name(r)] + [_fmt(r.by_type[t].get(c)) for c in TYPE_COLUMNS])
    return lines + _table(header, rows) + [""]


def _latency_section(runs: Sequence[EvalResult]) -> list[str]:
    header = ["run"] + [f"{s} {q}" for s in STAGES for q in ("p50", "p95")]
    rows = [[_name(r)] + [_fmt(r.summary.get(f"latency_{s}_{q}_s")) for s in STAGES for q in ("p50", "p95")]
            for r in runs]
    return ["## Latency (seconds per question)", ""] + _table(header, rows) + [
        "", "Model loading and ingest are not counted: both pipelines are warmed up first.", ""]


def _failure_detail(r: dict, reason: str) -> str:
    if reason == "missed retrieval":
        return f"gold {r['gold_evidence_ids']}, retrieved {r['retrieved_article_ids']}"
    if reason == "unsupported citation":
        bad = next(c for c in r["citation_checks"] if not c["supported"])
        return f"claim \u201c{bad['sentence']}\u201d cites [{bad['n']}] \u201c{bad['quote']}\u201d"
    if reason == "false abstention":
        why = sorted({c["reason"] for c in r["claims"] if c.get("reason")})
        return f"gold {r['gold_answers']}; draft \u201c{r['draft']}\u201d" + (f" ({'; '.join(why)})" if why else "")
    if reason == "wrong answer":  # answered without a gold answer: counted as confidently wrong
        return f"gold {r['gold_answers']}" + (f"; span \u201c{r['span']}\u201d" if r.get("span") else "")
    return "the articles do not answer it"


def _failures_section(run: EvalResult) -> list[str]:
    lines = [f"## Failing questions: {_name(run)}", ""]
    any_failed = False
    for reason in FAILURE_REASONS:
        failed = [r for r in run.records if reason in r["failures"]]
        if not failed:
            continue
        any_failed = True
        lines += [f"### {reason} ({len(failed)})", ""]
        lines += _table(["id", "question", "answer", "detail"],
                        [[r["id"], _cell(r["question"], 90), _cell(r["answer"], 90), _cell(_failure_detail(r, reason), 160)]
                         for r in failed])
        lines.append("")
    return lines + ([] if any_failed else ["None.", ""])


def _losses_section(main: EvalResult, baseline: EvalResult) -> list[str]:
    base = {r["id"]: r for r in baseline.records}
    lost = [r for r in main.records if r["id"] in base and _got_right(base[r["id"]]) and not _got_right(r)]
    won = [r for r in main.records if r["id"] in base and _got_right(r) and not _got_right(base[r["id"]])]
    lines = ["## Citewire vs baseline, question by question", "",
             f"Citewire right and the baseline wrong: {len(won)}; the baseline right and Citewire wrong: {len(lost)} "
             "(right = contains a gold answer, or abstained on an unanswerable question).", ""]
    if lost:
        lines += _table(["id", "question", "Citewire", "baseline"],
                        [[r["id"], _cell(r["question"], 80), _cell(r["answer"], 80), _cell(base[r["id"]]["answer"], 80)]
                         for r in lost])
        lines.append("")
    return lines


def _got_right(r: dict) -> bool:
    return bool(r["answer_contains"]) if r["answerable"] else r["abstained"]


COVERAGE_STEPS = (0.25, 0.5, 0.75)  # report precision at these shares of the run's own answers, and at all


def _coverage_section(runs: Sequence[EvalResult]) -> list[str]:
    """Precision if only the most confident answers were given: at a quarter, half, three quarters, all."""
    header = ["configuration", *[f"top {int(s * 100)}% of answers" for s in COVERAGE_STEPS], "all answers"]
    rows = []
    for run in runs:
        curve = coverage_curve(run.records)
        if not curve:
            continue
        full = curve[-1][1]
        cells = []
        for step in (*COVERAGE_STEPS, 1.0):
            point = next((p for p in curve if p[1] >= step * full - 1e-9), curve[-1])
            cells.append(f"{point[2]:.3f} (cov {point[1]:.2f}, conf \u2265 {point[0]:.2f})")
        rows.append([_name(run), *cells])
    if not rows:
        return []
    return ["## Precision / coverage (answers ranked by confidence)", ""] + _table(header, rows) + [
        "", "Precision: answers that contain a gold answer; coverage: share of all questions answered at or "
        "above that confidence. Raising the threshold trades coverage for precision along this curve.", ""]


def render_markdown(dataset: str, runs: Sequence[EvalResult], baseline: EvalResult | None = None,
                    meta: dict | None = None, figures: dict[str, str] | None = None) -> str:
    """The report for Citewire `runs` (one per configuration; the first is the main one) and a baseline."""
    meta = meta or {}
    main = runs[0]
    lines = [f"# Eval: {dataset}", ""]
    for key in ("command", "started", "wall_seconds", "seed", "index"):
        if meta.get(key) is not None:
            lines.append(f"- {key.replace('_', ' ')}: `{meta[key]}`")
    lines.append(f"- generator: `{main.generator}`; top_k: `{main.settings.get('top_k')}`")
    lines.append("")
    lines += _summary_section(main, baseline)
    if len(runs) > 1 or baseline:
        lines += _grid_section(runs, baseline)
    lines += _type_section([main, *([baseline] if baseline else [])])
    lines += _latency_section([*runs, *([baseline] if baseline else [])])
    lines += _coverage_section(runs)
    if figures:
        lines += ["## Figures", ""] + [f"![{name}]({path})" for name, path in figures.items()] + [""]
    lines += _failures_section(main)
    if baseline:
        lines += _losses_section(main, baseline)
    top_k = main.settings.get("top_k")
    if isinstance(top_k, int) and top_k < 10:
        lines += ["## Notes", "",
                  f"Both pipelines return top_k={top_k} passages, so recall@10 is computed on at most {top_k} "
                  "distinct articles (it equals recall@5 or less here); `--set top_k=10` measures it fully.", ""]
    return "\n".join(lines)
