"""The llama-index baseline (eval/baseline.py) on the gold set with the fake embedder and
the extractive generator, alone and beside Citewire in one `python -m eval` run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import load_dataset
from tests.fakes import FakeEmbedder

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold" / "sample"


def test_baseline_scores_a_plain_llamaindex_pipeline(tmp_path):
    from eval.baseline import run_baseline

    ds = load_dataset(GOLD)
    result = run_baseline(ds, generator="extractive", embedder=FakeEmbedder(), limit=4, cache_dir=tmp_path / "bl")
    assert result.name == "llamaindex" and len(result.records) == 8  # --limit applies to each questions file (2)
    assert result.ingest["chunks"] >= 1 and (tmp_path / "bl" / "docstore.json").exists()
    r = result.records[0]
    assert r["retrieved_article_ids"] == ["kyodo-2022-02-21-biden-putin-summit"] and r["recall@1"] == 1.0
    assert r["generator"] == "llamaindex+extractive" and set(r["timings"]) == {"retrieve", "generate", "total"}
    answered = [r for r in result.records if not r["abstained"]]
    assert answered and all(r["citation_recall"] == 1.0 for r in answered)  # every sentence cites the top node
    assert result.summary["citation_precision"] is not None
    again = run_baseline(ds, generator="extractive", embedder=FakeEmbedder(), limit=1, cache_dir=tmp_path / "bl")
    assert again.ingest["cached"] is True


@pytest.fixture
def fake_runs(monkeypatch):
    import eval.baseline
    import eval.run

    real_eval, real_baseline = eval.run.run_eval, eval.baseline.run_baseline
    monkeypatch.setattr(eval.run, "run_eval", lambda ds, **kw: real_eval(ds, **{**kw, "embedder": FakeEmbedder()}))
    monkeypatch.setattr(eval.baseline, "run_baseline",
                        lambda ds, **kw: real_baseline(ds, **{**kw, "embedder": FakeEmbedder(), "cache_dir": None}))


def test_cli_grid_and_baseline_write_one_table_json_markdown_and_pngs(tmp_path, fake_runs, capsys):
    from eval.__main__ import main

    out = tmp_path / "report"
    argv = ["--generator", "extractive", "--limit", "2", "-q", "--out", str(out), "--seed", "7",
            "--set", "min_support=0.6", "--grid", "top_k=3,5", "--baseline", "llamaindex",
            "--data-dir", str(tmp_path / "data")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| min_support=0.6 generator=extractive top_k=3 |" in printed and "| baseline (llama-index) |" in printed
    data = json.loads((out / "results.json").read_text())
    assert [r["label"] for r in data["runs"]] == ["min_support=0.6 generator=extractive top_k=3",
                                                "min_support=0.6 generator=extractive top_k=5"]
    assert data["runs"][0]["settings"]["top_k"] == 3 and data["meta"]["seed"] == 7
    assert data["baseline"]["name"] == "llamaindex" and len(data["baseline"]["questions"]) == 4  # 2 per file
    record = data["runs"][0]["questions"][0]
    assert {"retrieved_article_ids", "answer", "citations", "citation_checks", "recall@5", "answer_f1",
            "timings", "failures"} <= set(record)
    report = (out / "report.md").read_text()
    for heading in ("## Summary", "## Configurations", "## By question type", "## Latency", "## Failing questions",
                    "## Citewire vs baseline", "![recall@k](recall_at_k.png)"):
        assert heading in report
    assert "| ratio |" in report
    for png in ("recall_at_k.png", "latency.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


