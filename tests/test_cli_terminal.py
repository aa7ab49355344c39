"""A hostile title cannot drive the terminal: the CLI prints control characters as U+FFFD."""

from __future__ import annotations

import json

from assistant.cli import main
from assistant.cli.terminal import printable

EVIL = "Harbour \x1b[2J\x1b]0;owned\x07reopens\r\x9b31m today"


def test_printable_keeps_text_tabs_and_newlines_and_defuses_controls():
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable(EVIL) == "Harbour \ufffd[2J\ufffd]0;owned\ufffdreopens\ufffd\ufffd31m today"


def test_list_and_a_failed_ingest_print_no_control_characters(tmp_path, capsys):
    from assistant import build_library
    from assistant.settings import Settings
    from tests.fakes import FakeEmbedder

    data = tmp_path / "data"
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": "evil", "title": EVIL, "text": "The harbour reopens today after repairs."})
                       + "\n")
    build_library(Settings(data_dir=data), embedder=FakeEmbedder()).ingest([str(records)])
    assert main(["list", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "evil" in out and "\x1b" not in out and "\x07" not in out and "\r" not in out and "\x9b" not in out
    bad = tmp_path / "bad\x1b[31m.bin"
    bad.write_bytes(b"\x00\x01")
    main(["ingest", "--data-dir", str(data), "--quiet", str(bad)])
    err = capsys.readouterr().err
    assert "skipped" in err and "\x1b" not in err
