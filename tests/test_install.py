"""`pip install` of the checkout: the packages, their run-time data and the `citewire` command, used from
another directory. Offline: no build isolation (setuptools from this environment) and no dependencies
(they are this environment's). Built from a copy, so the checkout gets no build/ or *.egg-info."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "index", "ui", "eval")

CHECK_IMPORT = """
import sys
from pathlib import Path
from assistant import build_assistant, Settings
import assistant, index, ui, eval
site = Path(sys.argv[1]).resolve()
for module in (assistant, index, ui, eval):
    assert Path(module.__file__).resolve().is_relative_to(site), module.__file__
# Data read at run time came along.
from index import SAMPLE_DIR
from assistant.ranker import DEFAULT_MODEL_PATH
from eval.__main__ import DEFAULT_DATASET, DEFAULT_THRESHOLDS
assert any(SAMPLE_DIR.glob("*.txt")), SAMPLE_DIR
for path in (DEFAULT_MODEL_PATH, DEFAULT_THRESHOLDS, DEFAULT_DATASET / "questions.jsonl",
             DEFAULT_DATASET / "corpus.jsonl"):
    assert path.is_file(), path
import ui.server, assistant.cli.serve
print("ok")
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The checkout pip-installed into a fresh target folder; returns that folder."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in PACKAGES:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    site = tmp / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(site), str(src)],
                          capture_output=True, text=True, timeout=300, cwd=tmp,
                          env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def elsewhere(site: Path, tmp_path: Path) -> dict:
    """An environment whose only route to the packages is the install target (cwd is not the checkout)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    return env


def test_packages_and_data_import_from_another_directory(installed, tmp_path):
    out = subprocess.run([sys.executable, "-c", CHECK_IMPORT, str(installed)], capture_output=True, text=True,
                         cwd=tmp_path, env=elsewhere(installed, tmp_path), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_citewire_command_has_every_subcommand(installed, tmp_path):
    script = installed / "bin" / "citewire"
    assert script.is_file()
    out = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=tmp_path,
                         env=elsewhere(installed, tmp_path), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: citewire")
    for command in ("ingest", "ask", "list", "remove", "serve"):
        assert command in out.stdout
    serve = subprocess.run([sys.executable, str(script), "serve", "--help"], capture_output=True, text=True,
                           cwd=tmp_path, env=elsewhere(installed, tmp_path), timeout=120)
    assert serve.returncode == 0 and "--auth" in serve.stdout and "127.0.0.1" in serve.stdout


def test_the_checkout_stays_clean():
    assert not (ROOT / "build").exists() and not list(ROOT.glob("*.egg-info"))


BUILD_AND_ASK = """
from assistant import build_assistant, ingest_sample_if_empty
a = build_assistant(data_dir="data", generator="extractive")
assert ingest_sample_if_empty(a) is not None
ans = a.ask("who proposed the summit")
assert "Macron" in ans.text and ans.citations, ans.text
print(ans.citations[0].quote)
"""


@pytest.mark.integration
def test_build_assistant_answers_from_another_directory(installed, tmp_path):
    """The README's example with the real embedder, from a folder that is not the checkout."""
    out = subprocess.run([sys.executable, "-c", BUILD_AND_ASK], capture_output=True, text=True, cwd=tmp_path,
                         env=elsewhere(installed, tmp_path), timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "proposed by French President Emmanuel Macron" in out.stdout
