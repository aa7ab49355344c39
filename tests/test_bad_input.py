"""Bad input: each unusable file is skipped with a one-line reason naming it,
the rest is ingested, and the CLI ends with a summary and a non-zero exit code."""

import json
import os

import pytest

import assistant
from index import Article, ChromaStore, LoadFailure, ingest, load_articles
from tests.fakes import FakeEmbedder

GOOD = "The council approved the budget on Monday. The vote was 7 to 2."


def load(*paths):
    items = list(load_articles([str(p) for p in paths]))
    return [i for i in items if isinstance(i, Article)], {os.path.basename(i.path): i.reason
                                                           for i in items if isinstance(i, LoadFailure)}


def test_empty_and_whitespace_files(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.md").write_text("  \n\n ")
    articles, reasons = load(tmp_path)
    assert not articles
    assert reasons == {"empty.txt": "empty file", "blank.md": "empty file (only whitespace)"}


def test_binary_file(tmp_path):
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _, reasons = load(tmp_path / "photo.txt")
    assert "binary file" in reasons["photo.txt"]


@pytest.mark.parametrize("encoding, text", [
    ("cp1252", "Caf\u00e9 owners said prices rose \u2018sharply\u2019 this year, according to the survey."),
    ("latin-1", "Der B\u00fcrgermeister er\u00f6ffnete am Montag die neue Br\u00fccke \u00fcber den Fluss."),
    ("utf-16", "Le ma\u00eetre a inaugur\u00e9 le nouveau pont lundi, a d\u00e9clar\u00e9 la mairie."),
])
def test_non_utf8_text_is_decoded_by_detection(tmp_path, encoding, text):
    p = tmp_path / "story.txt"
    p.write_bytes(text.encode(encoding))
    (article,), reasons = load(p)
    assert not reasons and article.text == text


def test_truncated_html_keeps_what_arrived_or_says_why(tmp_path):
    body = "<p>The council approved the budget on Monday after a long debate in the chamber.</p>" * 3
    (tmp_path / "cut.html").write_text(f"<html><head><title>Budget passes</title></head><body><article>{body}"
                                       "<p>The mayor said the vote was")
    (tmp_path / "headonly.html").write_text("<html><head><title>Budget passes</title><meta name=")
    articles, reasons = load(tmp_path)
    assert [a.id for a in articles] == ["cut"] and "approved the budget" in articles[0].text
    assert reasons == {"headonly.html": "no article text found in the HTML"}


def test_malformed_jsonl_line_names_file_and_line(tmp_path):
    p = tmp_path / "dump.jsonl"
    p.write_text(json.dumps({"id": "a", "text": GOOD}) + "\n{\"id\": \"b\", \"text\": \n"
                 + json.dumps({"id": "c", "text": GOOD + " Again."}) + "\n")
    items = list(load_articles([str(p)]))
    assert [i.id for i in items if isinstance(i, Article)] == ["a", "c"]
    (failure,) = [i for i in items if isinstance(i, LoadFailure)]
    assert failure.path == f"{p}:2" and "malformed JSON line" in failure.reason


def test_file_over_50_mb(tmp_path):
    p = tmp_path / "huge.txt"
    with open(p, "wb") as f:  # sparse: no 50 MB actually written
        f.truncate(50 * 1024 * 1024 + 1)
    _, reasons = load(p)
    assert reasons["huge.txt"].startswith("file too large (50 MB > 50 MB)")


def test_unreadable_paths(tmp_path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")  # listed in the folder, cannot be opened
    locked = tmp_path / "locked.txt"
    locked.write_text(GOOD)
    locked.chmod(0)
    _, reasons = load(tmp_path, tmp_path / "missing.txt")
    assert reasons["gone.txt"] == "cannot read (No such file or directory)"
    assert reasons["missing.txt"] == "no such file or directory"
    if os.geteuid() != 0:  # root reads mode-000 files anyway
        assert reasons["locked.txt"] == "cannot read (Permission denied)"


def test_same_id_with_different_text_in_one_run_is_a_failure(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "story.txt").write_text(GOOD)
    (tmp_path / "b" / "story.txt").write_text("A different story entirely. Nothing alike.")
    report = ingest([str(tmp_path)], FakeEmbedder(), ChromaStore(tmp_path / "data"))
    assert report.added == ["story"]
    (failure,) = report.failed
    assert failure.path.endswith("b/story.txt") and "already used by" in failure.reason


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `python -m assistant` in-process with the fake embedder."""
    from assistant.cli import main

    real = assistant.build_assistant
    monkeypatch.setattr(assistant, "build_assistant", lambda **kw: real(embedder=FakeEmbedder(), **kw))

    def _run(*argv):
        return main([*argv, "--data-dir", str(tmp_path / "data")])

    return _run


def test_cli_skips_bad_files_ingests_the_rest_and_exits_nonzero(tmp_path, cli, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(GOOD)
    (docs / "empty.txt").write_text("")
    (docs / "binary.md").write_bytes(b"\x00\x01\x02")
    (docs / "dump.jsonl").write_text(json.dumps({"id": "j1", "text": "Rain fell all week. Rivers rose."}) + "\n{oops\n")
    code = cli("ingest", str(docs))
    out, err = capsys.readouterr()
    assert code == 1
    assert f"skipped {docs / 'empty.txt'}: empty file" in err
    assert f"skipped {docs / 'binary.md'}: binary file" in err
    assert f"skipped {docs / 'dump.jsonl'}:2: malformed JSON line" in err
    assert out.startswith("added 2, updated 0, unchanged 0, duplicates 0, failed 3")

    (docs / "empty.txt").unlink()
    (docs / "binary.md").unlink()
    (docs / "dump.jsonl").write_text(json.dumps({"id": "j1", "text": "Rain fell all week. Rivers rose."}) + "\n")
    assert cli("ingest", str(docs)) == 0
    assert capsys.readouterr().out.startswith("added 0, updated 0, unchanged 2, duplicates 0, failed 0")


def test_cli_list_and_remove(tmp_path, cli, capsys):
    (tmp_path / "good.txt").write_text(GOOD)
    assert cli("ingest", "--quiet", str(tmp_path / "good.txt")) == 0
    capsys.readouterr()
    assert cli("list") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("good\t-\t1\t") and out.endswith("1 articles\n")
    assert cli("remove", "good", "nope") == 1
    out, err = capsys.readouterr()
    assert "removed good" in out and "not found nope" in err
    assert cli("list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
