import subprocess
import sys
import types

import assistant
import index


def _exposed(package) -> set[str]:
    """Every public name the package binds, except its submodules."""
    return {name for name, value in vars(package).items()
            if not name.startswith("_") and not isinstance(value, types.ModuleType)}


def test_all_is_exactly_what_the_package_exposes():
    for package in (assistant, index):
        assert len(package.__all__) == len(set(package.__all__))
        assert set(package.__all__) == _exposed(package), package.__name__


def test_the_documented_api_is_exported():
    assert {"build_assistant", "build_library", "Assistant", "Answer", "Citation", "Claim", "Passage", "Settings",
            "SearchFilters", "Generator", "GeneratorError", "NOT_FOUND", "CITATION_MARKER", "GENERATORS",
            "IngestReport", "LoadFailure", "ingest_sample_if_empty", "make_generator",
            "offline_environment"} <= set(assistant.__all__)


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
