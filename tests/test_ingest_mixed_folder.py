"""A benchmark-style run over a mixed folder of 100 files: the real-world fixtures,
the sample article, realtimeqa-dev articles exported as HTML pages (generated
pages when ../shared is absent) and junk (empty, binary, a duplicate copy).
Prints the counts: added / updated / unchanged / duplicates / failed by reason,
and the ingest time (run with -s to see them). Every file must be accounted for."""

import html
import json
import random
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from index import ChromaStore, SAMPLE_DIR, ingest
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "realworld"
RTQA = ROOT.parent / "shared" / "eval" / "realtimeqa-dev" / "corpus.jsonl"
TOTAL = 100


def _page(record: dict) -> str:
    paragraphs = "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in record["text"].split("\n") if p.strip())
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(record["title"])}</title>\n'
            f'<link rel="canonical" href="{html.escape(record["url"])}">\n'
            f'<meta property="article:published_time" content="{record["published_at"]}">\n'
            f'<meta property="og:site_name" content="{html.escape(record["source"])}">\n</head><body>\n'
            f'<nav><a href="/">Home</a></nav><article><h1>{html.escape(record["title"])}</h1>\n{paragraphs}'
            f"</article><footer>Copyright</footer></body></html>\n")


def _records(n: int) -> list[dict]:
    if RTQA.exists():
        with RTQA.open(encoding="utf-8") as f:
            return [json.loads(line) for _, line in zip(range(n), f)]
    # Without ../shared: distinct made-up stories (random words per story, so none is a near-duplicate).
    words = ("harbour council budget storm bridge ferry market library school river road mill mayor court "
             "teacher farmer orchard station museum festival tunnel clinic stadium factory garden tower "
             "election tariff bakery canal airport forest highway theatre hospital university").split()
    records = []
    for i in range(n):
        rng = random.Random(i)
        text = "\n".join(" ".join(rng.choice(words) for _ in range(14)).capitalize() + "." for _ in range(12))
        records.append({"title": f"Story {i} about the {words[i % len(words)]}", "url": f"https://news.example/{i}",
                        "published_at": f"2022-03-{1 + i % 28:02d}", "source": "Example News", "text": text})
    return records


def build_folder(folder: Path) -> list[Path]:
    files = []
    for path in sorted(FIXTURES.iterdir()):
        files.append(Path(shutil.copy(path, folder / path.name)))
    files.append(Path(shutil.copy(next(SAMPLE_DIR.glob("*.txt")), folder / "sample.txt")))
    (folder / "copies").mkdir()
    files.append(Path(shutil.copy(folder / "sample.txt", folder / "copies" / "sample.txt")))  # same id, same text
    junk = {"empty.txt": b"", "blank.md": b"\n\n  \n", "binary.html": b"\x00\x01\x02PNG\x00" * 20,
            "broken.json": b'{"id": "x", "text": ', "nothing.rss": b"<rss><channel><title>t</title></channel></rss>"}
    for name, data in junk.items():
        (folder / name).write_bytes(data)
        files.append(folder / name)
    (folder / "rtqa").mkdir()
    for i, record in enumerate(_records(TOTAL - len(files))):
        path = folder / "rtqa" / f"{re.sub(r'[^a-z0-9]+', '-', record['title'].lower())[:40]}-{i}.html"
        path.write_text(_page(record), encoding="utf-8")
        files.append(path)
    return files


def _reason(text: str) -> str:
    return re.sub(r"\d+", "N", text.split(" (")[0].split(":")[0])


def run_and_print(tmp_path, embedder) -> tuple[list[Path], object, float]:
    folder = tmp_path / "mixed"
    folder.mkdir()
    files = build_folder(folder)
    assert len(files) == TOTAL
    store = ChromaStore(tmp_path / "data")
    started = time.perf_counter()
    report = ingest([str(folder)], embedder, store)
    seconds = time.perf_counter() - started
    reasons = Counter(_reason(f.reason) for f in report.failed)
    print(f"\n{TOTAL} files: {report.summary()}; wall {seconds:.1f}s")
    print(f"  articles stored {len(store.list_articles())}, chunks {store.count()}")
    for reason, n in reasons.most_common():
        print(f"  failed {n:3d}  {reason}")
    for d in report.duplicates:
        print(f"  duplicate  {d}")
    return files, report, seconds


def test_a_mixed_folder_of_100_files_is_fully_accounted_for(tmp_path):
    files, report, _ = run_and_print(tmp_path, FakeEmbedder())
    outcomes = ([a for a in report.added] + [f.path for f in report.failed] + [d.origin for d in report.duplicates])
    assert report.added and report.failed
    named = " ".join(f.path for f in report.failed) + " " + " ".join(d.origin for d in report.duplicates)
    for junk in ("empty.txt", "blank.md", "binary.html", "broken.json", "nothing.rss"):
        assert junk in named
    assert "copies" in named  # the second copy of the sample is named, not silently "unchanged"
    assert len(outcomes) >= TOTAL - 3  # feeds give several articles each; every other file gives one outcome


@pytest.mark.integration
def test_a_mixed_folder_of_100_files_with_the_real_embedder(tmp_path):
    from index import SentenceTransformerEmbedder

    _, report, seconds = run_and_print(tmp_path, SentenceTransformerEmbedder())
    assert len(report.added) >= 80 and seconds < 600
