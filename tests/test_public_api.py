import subprocess
import sys

import assistant
import index


def test_exported_names():
    assert sorted(assistant.__all__) == sorted([
        "CITATION_MARKER", "GENERATORS", "NOT_FOUND", "Answer", "Assistant", "Citation", "Claim", "Generator",
        "GeneratorError", "IngestReport", "LoadFailure",
        "Passage", "Retriever", "SearchFilters", "Settings", "build_assistant", "ingest_sample_if_empty", "make_generator",
    ])
    for name in assistant.__all__ + index.__all__:
        assert hasattr(assistant if name in assistant.__all__ else index, name)


def test_importing_the_api_loads_no_heavy_library():
    code = ("import sys, assistant, index, ui; "
            "print(sorted(m for m in ('torch','chromadb','gradio','llama_index','llama_cpp','sentence_transformers')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_ui_and_eval_do_not_import_llama_index():
    """llama-index stays behind the assistant's adapters; the one exception is the eval
    baseline, which exists to run a plain llama-index pipeline for comparison."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    exempt = {root / "eval" / "baseline.py"}
    for package in ("ui", "eval"):
        for path in (root / package).rglob("*.py"):
            if path not in exempt:
                assert "llama_index" not in path.read_text(), path
