"""The eval report's two figures, as PNG files: a recall@k curve and a latency histogram.

matplotlib is imported here and nowhere else in eval/, inside the functions and
with the non-interactive Agg backend, so importing eval stays cheap and no
display is needed. It draws what it is given; it computes no metric beyond
averaging the per-question recall@k it reads off the records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .metrics import precision_coverage, rate, recall_at_k

__all__ = ["recall_curve", "coverage_curve", "plot_recall_at_k", "plot_latency", "plot_precision_coverage"]

MAX_K = 10


def recall_curve(records: Sequence[dict], max_k: int = MAX_K) -> list[float | None]:
    """Mean article recall@k for k = 1..max_k over the answerable records."""
    answerable = [r for r in records if r["answerable"]]
    return [rate(recall_at_k(r["retrieved_article_ids"], r["gold_evidence_ids"], k) for r in answerable)
            for k in range(1, max_k + 1)]


def coverage_curve(records: Sequence[dict]) -> list[tuple[float, float, float]]:
    """precision_coverage over a run's records: right = answered and containing a gold answer."""
    points = [(r["confidence"], bool(r["answerable"] and r["answer_contains"])) for r in records
              if not r["abstained"] and r.get("confidence") is not None]
    return precision_coverage(points, len(records))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, ax, path: str | Path, title: str) -> Path:
    """Title, legend (when something is labelled), layout, PNG; closes the figure."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_recall_at_k(runs: Sequence[tuple[str, Sequence[dict]]], path: str | Path, max_k: int = MAX_K) -> Path:
    """One recall@k line per (name, records) run."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ks = list(range(1, max_k + 1))
    for name, records in runs:
        curve = [v if v is not None else float("nan") for v in recall_curve(records, max_k)]
        ax.plot(ks, curve, marker="o", label=name)
    ax.set_xlabel("k (distinct articles)")
    ax.set_ylabel("recall@k (gold article)")
    ax.set_xticks(ks)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    return _save(plt, fig, ax, path, "Article recall@k")


def plot_latency(runs: Sequence[tuple[str, Sequence[dict]]], path: str | Path, stage: str = "total") -> Path:
    """Overlaid histograms of each run's per-question `stage` latency (seconds)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    series = [(name, [r["timings"][stage] for r in records if stage in r["timings"]]) for name, records in runs]
    values = [v for _, vs in series for v in vs]
    bins = 20
    if values:
        lo, hi = min(values), max(values)
        bins = [lo + (hi - lo) * i / 20 for i in range(21)] if hi > lo else 20
    for name, vs in series:
        if vs:
            ax.hist(vs, bins=bins, alpha=0.55, label=name)
    ax.set_xlabel(f"{stage} latency per question (s)")
    ax.set_ylabel("questions")
    return _save(plt, fig, ax, path, f"Latency ({stage})")


def plot_precision_coverage(runs: Sequence[tuple[str, Sequence[dict]]], path: str | Path) -> Path:
    """One precision/coverage line per run, from answering only above each confidence."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, records in runs:
        curve = coverage_curve(records)
        if curve:
            ax.plot([c for _, c, _ in curve], [p for _, _, p in curve], marker=".", label=name)
    ax.set_xlabel("coverage (share of all questions answered)")
    ax.set_ylabel("precision (answers containing the gold answer)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    return _save(plt, fig, ax, path, "Precision / coverage by answer confidence")
