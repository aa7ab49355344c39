"""Save an eval run to a folder: results.json, report.md, recall_at_k.png, latency.png, precision_coverage.png.

results.json holds the configuration, every run's summary, per-type breakdown
and every per-question record (retrieved ids, answer, citations, scores,
timings); `summary` at the top level is the first Citewire configuration's, the
one `--check` gates on. It only writes what it is given (the Markdown comes from
eval.markdown, the figures from eval.plots).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from .markdown import render_markdown
from .plots import plot_latency, plot_precision_coverage, plot_recall_at_k
from .run import EvalResult

__all__ = ["results_dict", "write_outputs"]


def results_dict(dataset: str, runs: Sequence[EvalResult], baseline: EvalResult | None = None,
                 meta: dict | None = None) -> dict:
    """Everything measured, as plain JSON."""
    return {
        "dataset": dataset,
        "meta": meta or {},
        "summary": runs[0].summary,
        "runs": [r.to_dict() for r in runs],
        "baseline": baseline.to_dict() if baseline else None,
    }


def _figure_runs(runs: Sequence[EvalResult], baseline: EvalResult | None):
    named = [(f"Citewire ({r.label})" if len(runs) > 1 else "Citewire", r.records) for r in runs]
    return named + ([("baseline (llama-index)", baseline.records)] if baseline else [])


def write_outputs(out_dir: str | Path, dataset: str, runs: Sequence[EvalResult], baseline: EvalResult | None = None,
                  meta: dict | None = None, figures: bool = True) -> dict[str, Path]:
    """Write the files into `out_dir` (created if needed); returns {kind: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "markdown": out / "report.md"}
    paths["json"].write_text(json.dumps(results_dict(dataset, runs, baseline, meta), indent=2, ensure_ascii=False),
                             encoding="utf-8")
    shown = {}
    if figures:
        series = _figure_runs(runs, baseline)
        paths["recall"] = plot_recall_at_k(series, out / "recall_at_k.png")
        paths["latency"] = plot_latency(series, out / "latency.png")
        paths["coverage"] = plot_precision_coverage(series[: len(runs)], out / "precision_coverage.png")
        shown = {"recall@k": "recall_at_k.png", "latency": "latency.png", "precision/coverage": "precision_coverage.png"}
    paths["markdown"].write_text(render_markdown(dataset, runs, baseline, meta, shown), encoding="utf-8")
    return paths
