"""Reliability under faults (issue 15): a damaged index file, a full disk, two writers at once.

Each fault gives one clear line naming the file, never a traceback; a derived keyword index
heals itself; what was stored before a full disk stays intact and consistent; writers that
share a data dir are serialised by `<data_dir>/write.lock`."""

import errno
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant import build_assistant, build_library
from assistant.cli import main
from assistant.factory import rebuild_index
from index import ArticleStore, ChromaStore, DiskFull, IndexDamaged, WriteLock, WriteLocked
from tests.fakes import FakeEmbedder
from tests.test_article_store import settings_for, write_corpus

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False",
           PYTHONPATH=str(ROOT))


@pytest.fixture
def data(tmp_path):
    """A data dir with 6 articles, its index closed again."""
    data = tmp_path / "data"
    library = build_library(settings_for(data), FakeEmbedder())
    library.ingest([write_corpus(tmp_path / "corpus.jsonl", 6)])
    library.store.close()
    return data


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=120)


def damage(data: Path, how: str) -> None:
    db = data / "chroma" / "chroma.sqlite3"
    if how == "garbage":
        db.write_bytes(os.urandom(db.stat().st_size))
    else:
        db.unlink()


@pytest.mark.parametrize("how, commands", [
    ("garbage", (["ask", "--generator", "extractive", "What did the council do?"], ["ingest", "README.md"],
                 ["list"])),
    ("missing", (["ask", "--generator", "extractive", "What did the council do?"], ["list"])),
])
def test_a_damaged_or_missing_chroma_file_is_one_line_from_every_command(data, how, commands):
    damage(data, how)
    for command in commands:
        done = cli(command[0], "--data-dir", str(data), *command[1:])
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
        line = done.stderr.strip()
        assert "\n" not in line, line
        problem = "is damaged (file is not a database)" if how == "garbage" else \
            "is missing while the article store holds articles"
        assert line == (f"error: {data / 'chroma' / 'chroma.sqlite3'} {problem}; "
                        "run `citewire reindex` to rebuild it from the article store")
    rebuild_index(settings_for(data), FakeEmbedder())  # `citewire reindex`, which then works again
    assert cli("list", "--data-dir", str(data)).stdout.strip().endswith("6 articles")


def test_the_factory_and_the_server_start_fail_with_that_line(data):
    damage(data, "garbage")
    with pytest.raises(IndexDamaged, match=r"chroma\.sqlite3 is damaged .*run `citewire reindex`"):
        build_assistant(data_dir=data, generator="extractive", embedder=FakeEmbedder())
    done = subprocess.run([sys.executable, "-m", "ui", "--data-dir", str(data), "--generator", "extractive",
                           "--port", "0"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "usage:" not in done.stderr
    (line,) = done.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: ")
    assert "chroma.sqlite3 is damaged (file is not a database); run `citewire reindex`" in line


@pytest.mark.parametrize("target", ["manifest.json", "segment .npz", "segment .json"])
def test_a_damaged_keyword_index_rebuilds_itself_from_the_store(data, target):
    bm25 = data / "bm25"
    path = {"manifest.json": bm25 / "manifest.json", "segment .npz": next(bm25.glob("*.npz")),
            "segment .json": next(p for p in bm25.glob("s-*.json"))}[target]
    path.write_bytes(os.urandom(300))
    assistant = build_assistant(data_dir=data, generator="extractive", embedder=FakeEmbedder(), chunk_tokens=48)
    keyword = assistant.library.derived[0]
    assert keyword.search("harbour council storm", k=5)  # healed, not silently empty
    assert len(keyword) == assistant.library.count()
    assert assistant.ask("What did the council do?").citations
    # Healed on disk too: a new process loads it without rebuilding.
    assert path.name not in {p.name for p in bm25.iterdir()} or path.read_bytes()[:1] in (b"{", b"P")


@pytest.mark.parametrize("fault", ["chroma ENOSPC", "chroma SQLITE_FULL", "article store SQLITE_FULL"])
def test_a_full_disk_mid_ingest_names_the_file_and_keeps_what_was_stored(tmp_path, monkeypatch, capsys, fault):
    """The third write of a multi-batch ingest fails as a full disk would."""
    import chromadb.errors

    data = tmp_path / "data"
    corpus = write_corpus(tmp_path / "corpus.jsonl", 100)  # about 800 chunks: 4 batches
    calls = {"n": 0}
    if fault.startswith("chroma"):
        real = ChromaStore._upsert
        error = OSError(errno.ENOSPC, "No space left on device") if fault == "chroma ENOSPC" else \
            chromadb.errors.InternalError("error returned from database: (code: 13) database or disk is full")
        target, file = "_upsert", "chroma.sqlite3"
        owner = ChromaStore
    else:
        real = ArticleStore._insert
        error = sqlite3.OperationalError("database or disk is full")
        target, file = "_insert", "articles.sqlite3"
        owner = ArticleStore

    def failing(self, *args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise error
        return real(self, *args)

    monkeypatch.setattr(owner, target, failing)
    monkeypatch.setattr("assistant.factory.default_embedder", lambda settings=None: FakeEmbedder())
    monkeypatch.setenv("CITEWIRE_CHUNK_TOKENS", "48")
    assert main(["ingest", "--quiet", "--data-dir", str(data), corpus]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("error: No space left on device writing ") and file in line and "(article 'art-" in line
    assert calls["n"] == 3

    library = build_library(settings_for(data), FakeEmbedder())
    stored = library.store.chunks()
    records = library.articles.hashes(library.articles.ids())
    by_article: dict[str, list] = {}
    for chunk in stored:
        by_article.setdefault(chunk.article_id, []).append(chunk)
    assert 0 < len(by_article) < 100
    for article_id, chunks in by_article.items():  # consistent: every chunk of one version, and its record
        assert len({c.content_hash for c in chunks}) == 1 and len(chunks) == chunks[0].n_chunks
        assert records[article_id] == chunks[0].content_hash
    assert len(library.derived[0]) == len(stored)  # the keyword index followed what was stored

    monkeypatch.setattr(owner, target, real)  # space again: the same command completes
    assert main(["ingest", "--quiet", "--data-dir", str(data), corpus]) == 0
    report = capsys.readouterr().out
    assert f"unchanged {len(by_article)}" in report
    library = build_library(settings_for(data), FakeEmbedder())
    assert len(library.list_articles()) == 100 and len(library.articles) == 100


def test_disk_full_is_an_oserror_with_enospc():
    exc = DiskFull("/d/chroma/chroma.sqlite3", ["a", "b", "c", "d"])
    assert isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    assert str(exc).startswith("No space left on device writing /d/chroma/chroma.sqlite3 (article 'a', 'b', 'c'"
                               " and 1 more)")


def test_writers_wait_for_the_lock_and_readers_do_not(data):
    lock = WriteLock(data)
    with lock.held():  # another writer, as far as the library's own lock file handle is concerned
        library = build_library(settings_for(data), FakeEmbedder())
        library.lock.timeout = 0.3
        heard = []
        library.on_wait(heard.append)
        with pytest.raises(WriteLocked, match=r"another writer \(pid \d+\) still holds .* after waiting"):
            library.remove(["art-0001"])
        assert heard == [f"waiting for another ingest (pid {os.getpid()}) to finish\u2026"]
        assert len(library.list_articles()) == 6  # reading needs no lock
        assistant = build_assistant(data_dir=data, generator="extractive", embedder=FakeEmbedder(), chunk_tokens=48)
        assert assistant.ask("What did the council do?").text
    assert library.remove(["art-0001"]) == ["art-0001"]


WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[4])
    from assistant import Settings, build_library
    from tests.fakes import FakeEmbedder

    class Slow(FakeEmbedder):
        def embed_batch(self, texts):
            time.sleep(float(sys.argv[5]))
            return super().embed_batch(texts)

    library = build_library(Settings(data_dir=sys.argv[1], chunk_tokens=48), Slow())
    library.lock.timeout = float(sys.argv[3])
    library.on_wait(lambda message: print(message, flush=True))
    def progress(article_id, outcome, chunks):
        print(f"{time.time():.6f} {outcome} {article_id}", flush=True)
    try:
        report = library.ingest([sys.argv[2]], on_article=progress)
    except ValueError as exc:
        print(f"error: {exc}", flush=True)
        sys.exit(2)
    print(f"{time.time():.6f} done {report.summary()}", flush=True)
""")


def start(data: Path, corpus: str, timeout: float = 60, pause: float = 0.0) -> subprocess.Popen:
    """An ingest in its own process that sleeps `pause` seconds per embedding batch."""
    return subprocess.Popen([sys.executable, "-c", WORKER, str(data), corpus, str(timeout), str(ROOT), str(pause)],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_ingesting_processes_are_serialised_never_interleaved(tmp_path):
    data = tmp_path / "data"
    first_corpus = write_corpus(tmp_path / "first.jsonl", 100)  # about 4 embedding batches
    second_corpus = tmp_path / "second.jsonl"
    write_corpus(second_corpus, 40, version=2)
    second_corpus.write_text(second_corpus.read_text().replace('"art-', '"second-'))
    first = start(data, first_corpus, pause=2.0)
    assert "added" in first.stdout.readline()  # it is writing, so it holds the lock, for seconds more
    second = start(data, str(second_corpus))
    out_first, _ = first.communicate(timeout=120)
    out_second, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out_second.splitlines()[0] == f"waiting for another ingest (pid {first.pid}) to finish\u2026"
    first_done = float(out_first.splitlines()[-1].split()[0])
    second_writes = [float(line.split()[0]) for line in out_second.splitlines()[1:]]
    assert second_writes and min(second_writes) > first_done  # not one write of the second before the first ended
    library = build_library(settings_for(data), FakeEmbedder())
    assert len(library.list_articles()) == 140 and len(library.articles) == 140
