"""The eval's configuration options (--set, --grid) and the report writer (JSON,
Markdown, PNGs), on the gold set with the fake embedder and the extractive
generator so that they run in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Settings
from eval.config import apply_overrides, coerce_value, config_label, expand_grid, parse_assignment, parse_grid
from eval.dataset import load_dataset
from tests.fakes import FakeEmbedder

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold" / "sample"


def test_set_converts_values_to_the_settings_field_types():
    s = apply_overrides(Settings(), dict(map(parse_assignment, [
        "top_k=10", "min_support=0.5", "extractive_fallback=off", "generator=extractive", "llm_threads=2"])))
    assert (s.top_k, s.min_support, s.extractive_fallback, s.generator, s.llm_threads) == (10, 0.5, False,
                                                                                           "extractive", 2)
    assert coerce_value("llm_threads", "none") is None
    assert coerce_value("extractive_fallback", "TRUE") is True


@pytest.mark.parametrize("text, message", [
    ("topk=10", "unknown setting 'topk'; known: .*top_k"),
    ("top_k=ten", "top_k: 'ten' is not a valid int"),
    ("extractive_fallback=maybe", "not a valid bool"),
    ("top_k", "expected key=value"),
    ("top_k=0", "at least 1"),  # Settings' own validation
])
def test_set_rejects_unknown_keys_and_bad_values_clearly(text, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(Settings(), dict([parse_assignment(text)]))


def test_grid_expands_to_the_cartesian_product():
    grid = [parse_grid("top_k=5,10"), parse_grid("generator=local, extractive")]
    combos = expand_grid(grid)
    assert combos == [{"top_k": "5", "generator": "local"}, {"top_k": "5", "generator": "extractive"},
                      {"top_k": "10", "generator": "local"}, {"top_k": "10", "generator": "extractive"}]
    assert expand_grid([]) == [{}]
    assert config_label(combos[1]) == "top_k=5 generator=extractive" and config_label({}) == "defaults"
    with pytest.raises(ValueError, match="twice"):
        expand_grid([parse_grid("top_k=1"), parse_grid("top_k=2")])
    with pytest.raises(ValueError, match="no values"):
        parse_grid("top_k=")


def test_index_cache_key_follows_index_settings_only():
    from eval.run import default_data_dir

    ds = load_dataset(GOLD)
    base = default_data_dir(ds, Settings())
    assert default_data_dir(ds, Settings(top_k=9, generator="extractive")) == base
    assert default_data_dir(ds, Settings(chunk_tokens=120)) != base


@pytest.fixture
def fake_runs(monkeypatch):
    import eval.run

    real_eval = eval.run.run_eval
    monkeypatch.setattr(eval.run, "run_eval", lambda ds, **kw: real_eval(ds, **{**kw, "embedder": FakeEmbedder()}))


def test_cli_grid_writes_one_table_json_markdown_and_pngs(tmp_path, fake_runs, capsys):
    from eval.__main__ import main

    out = tmp_path / "report"
    argv = ["--generator", "extractive", "--limit", "2", "-q", "--out", str(out), "--seed", "7",
            "--set", "min_support=0.6", "--grid", "top_k=3,5",
            "--data-dir", str(tmp_path / "data")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| min_support=0.6 generator=extractive top_k=3 |" in printed
    data = json.loads((out / "results.json").read_text())
    assert [r["label"] for r in data["runs"]] == ["min_support=0.6 generator=extractive top_k=3",
                                                "min_support=0.6 generator=extractive top_k=5"]
    assert data["runs"][0]["settings"]["top_k"] == 3 and data["meta"]["seed"] == 7
    assert data["baseline"] is None
    record = data["runs"][0]["questions"][0]
    assert {"retrieved_article_ids", "answer", "citations", "citation_checks", "recall@5", "answer_f1",
            "timings", "failures"} <= set(record)
    report = (out / "report.md").read_text()
    for heading in ("## Summary", "## Configurations", "## By question type", "## Latency", "## Failing questions",
                    "![recall@k](recall_at_k.png)"):
        assert heading in report
    assert "| ratio |" not in report
    for png in ("recall_at_k.png", "latency.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_cli_rejects_an_unknown_setting_before_running(capsys):
    from eval.__main__ import main

    assert main(["--set", "topk=3", "-q"]) == 2
    assert "unknown setting 'topk'" in capsys.readouterr().err


def test_markdown_lists_failures_by_reason():
    from eval.markdown import render_markdown
    from eval.run import EvalResult, summarise

    rec = {"id": "q9", "type": "null", "answerable": False, "question": "Who is Ukraine's president?",
           "answer": "Zelenskyy [1].", "abstained": False, "gold_answers": [], "gold_evidence_ids": [],
           "retrieved_article_ids": ["a"], "recall@1": None, "recall@5": None, "recall@10": None, "rr": None,
           "evidence_hit@1": None, "evidence_hit@5": None, "evidence_rr": None, "answer_contains": None,
           "answer_em": None, "answer_f1": None, "citation_correct": None,
           "citation_checks": [{"sentence": "Zelenskyy.", "n": 1, "quote": "Kyiv.", "supported": False}],
           "claims": [], "draft": "", "timings": {"total": 1.0}, "correct": False,
           "failures": ["should have abstained", "unsupported citation"]}
    run = EvalResult("d", "extractive", "", [rec], summarise([rec]), settings={"top_k": 5})
    md = render_markdown("d", [run])
    assert "### should have abstained (1)" in md and "### unsupported citation (1)" in md
    assert "\u201cZelenskyy.\u201d cites [1] \u201cKyiv.\u201d" in md and "recall@10 is computed on at most 5" in md
