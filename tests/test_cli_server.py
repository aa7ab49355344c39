"""`citewire ask` reuses a running server over the same archive (no model loaded in the CLI), and answers
in its own process when the server serves another archive or --no-server is given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.test_http_api import start

ROOT = Path(__file__).resolve().parent.parent
# Runs the CLI and reports whether it loaded the embedding model's library (it must not, to reuse a server).
PROBE = ("import sys; from assistant.cli import main; rc = main(sys.argv[1:]); "
         "print('TORCH_LOADED' if 'torch' in sys.modules else 'NO_TORCH', file=sys.stderr); sys.exit(rc)")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from assistant import build_assistant
    from tests.conftest import SAMPLE
    from tests.fakes import FakeEmbedder
    from ui.server import build_server

    data = tmp_path_factory.mktemp("served") / "data"
    a = build_assistant(data_dir=data, generator="extractive", embedder=FakeEmbedder())
    a.ingest([str(SAMPLE)])
    server, thread, url = start(build_server(a, page=False))
    try:
        yield SimpleNamespace(url=url, data=data)
    finally:
        server.should_exit = True
        thread.join(10)


def cli(*args, env_extra=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CITEWIRE_SERVER": "", **(env_extra or {})}
    return subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_ask_goes_to_the_running_server_over_the_same_archive(served):
    done = cli("ask", "who proposed the summit", "--data-dir", str(served.data), "--generator", "extractive",
               "--server", served.url, "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "Emmanuel Macron" in answer["answer"] and not answer["abstained"]
    assert "proposed by French President Emmanuel Macron" in answer["citations"][0]["quote"]
    assert f"answered by the running server at {served.url}" in done.stderr
    assert "NO_TORCH" in done.stderr  # nothing heavy was loaded here


def test_the_server_is_found_through_citewire_server_too(served):
    done = cli("ask", "who proposed the summit", "--data-dir", str(served.data), "--generator", "extractive",
               env_extra={"CITEWIRE_SERVER": served.url})
    assert done.returncode == 0, done.stderr
    assert "answered by the running server" in done.stderr and "[1]" in done.stdout


def test_a_server_over_another_archive_is_not_used(served, tmp_path):
    done = cli("ask", "who proposed the summit", "--data-dir", str(tmp_path / "other"), "--generator", "extractive",
               "--server", served.url)
    assert "serves another archive" in done.stderr and "answered by the running server" not in done.stderr


def test_an_explicit_server_that_is_down_is_one_error_line(tmp_path):
    from tests.test_http_api import free_port

    done = cli("ask", "x", "--data-dir", str(tmp_path / "d"), "--server", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error: no Citewire server answers at http://127.0.0.1:" in done.stderr
