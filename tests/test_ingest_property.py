"""Property test: whatever bytes or small HTML / RSS / JSON / text documents sit in a
folder, loading never raises, every file is accounted for (articles or failures that
name it), and ingest never lets two different texts share one article id silently."""

import itertools
import json
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index import Article, ChromaStore, LoadFailure, ingest, load_articles
from tests.fakes import FakeEmbedder

SUFFIXES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".rss", ".atom", ".xml"]
WORDS = st.sampled_from("storm coast council budget river bridge the a of on said Friday Monday 2024 "
                        "U.S. mph – | - — : , . é Ё \u00a0".split())
SENTENCE = st.lists(WORDS, min_size=0, max_size=14).map(" ".join)
PROSE = st.lists(SENTENCE, min_size=0, max_size=4).map(lambda s: ". ".join(s) + ("." if s else ""))
IDS = st.sampled_from(["1", "2", "https://news.example/a", "https://news.example/", ""])  # few: collisions
URLS = st.sampled_from(["", "https://news.example/a", "https://news.example/b?id=3", "https://news.example/",
                        "/relative", "javascript:x", "http://[bad"])


@st.composite
def html_doc(draw):
    title = draw(SENTENCE)
    head = f"<title>{escape(title)}</title>"
    if draw(st.booleans()):
        head += f'<link rel="canonical" href="{escape(draw(URLS))}">'
    if draw(st.booleans()):
        head += f'<meta property="og:site_name" content="{escape(draw(SENTENCE))}">'
    if draw(st.booleans()):
        head += f'<meta property="og:title" content="{escape(draw(SENTENCE))}">'
    paras = "".join(f"<p>{escape(p)}</p>" for p in draw(st.lists(PROSE, max_size=4)))
    h1 = f"<h1>{escape(draw(SENTENCE))}</h1>" if draw(st.booleans()) else ""
    doc = f"<html><head>{head}</head><body><article>{h1}{paras}</article></body></html>"
    return draw(st.sampled_from([".html", ".htm"])), doc.encode(draw(st.sampled_from(["utf-8", "utf-16"])))


@st.composite
def rss_doc(draw):
    items = ""
    for _ in range(draw(st.integers(0, 3))):
        guid = draw(IDS)
        items += (f"<item><title>{escape(draw(SENTENCE))}</title><link>{escape(draw(URLS))}</link>"
                  + (f"<guid>{escape(guid)}</guid>" if guid else "")
                  + f"<description>{escape(draw(PROSE))}</description></item>")
    doc = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'
    return draw(st.sampled_from([".rss", ".xml"])), doc.encode("utf-8")


@st.composite
def json_doc(draw):
    records = [{"id": draw(IDS), "title": draw(SENTENCE), "text": draw(PROSE), "url": draw(URLS)}
               for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        return ".jsonl", "\n".join(json.dumps(r) for r in records).encode("utf-8")
    if draw(st.booleans()):
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Feed",
                "items": [{"id": r["id"], "title": r["title"], "content_text": r["text"], "url": r["url"]}
                          for r in records]}
        return ".json", json.dumps(feed).encode("utf-8")
    return ".json", json.dumps(records if len(records) != 1 else records[0]).encode("utf-8")


@st.composite
def text_doc(draw):
    lines = []
    if draw(st.booleans()):
        lines += ["---", f"title: {draw(SENTENCE)}", f"date: {draw(st.sampled_from(['2024-01-02', 'soon', '']))}",
                  f"source: {draw(SENTENCE)}", "---"]
    if draw(st.booleans()):
        lines += [f"Source: {draw(SENTENCE)}", "Date: 2024-03-08", f"Title: {draw(SENTENCE)}", ""]
    if draw(st.booleans()):
        lines += [f"{draw(SENTENCE)}, 2024-05-17", ""]
    lines += draw(st.lists(PROSE, max_size=4))
    return draw(st.sampled_from([".txt", ".md"])), "\n".join(lines).encode(draw(st.sampled_from(["utf-8", "utf-16-le"])))


RANDOM_BYTES = st.tuples(st.sampled_from(SUFFIXES), st.binary(max_size=300))
ANY_FILE = st.one_of(RANDOM_BYTES, html_doc(), rss_doc(), json_doc(), text_doc())


def _names_file(where: str, path: Path) -> bool:
    return where == str(path) or where.startswith((f"{path}[", f"{path}:"))


_RUN = itertools.count()


@example([(".json", b"[]")])  # an empty list once yielded nothing at all: now one failure naming the file
@example([(".txt", b"One story here. It is short."), (".txt", b"A different story entirely. Nothing alike.")])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(ANY_FILE, min_size=1, max_size=4))
def test_any_folder_loads_and_ingests_without_silent_overwrites(files):
    folder = Path(tempfile.mkdtemp(prefix="citewire-prop-"))
    try:
        docs = folder / "docs"
        (docs / "sub").mkdir(parents=True)
        paths = []
        for i, (suffix, data) in enumerate(files):
            # Same stems in two folders: text files and id-less pages then claim the same id.
            path = docs / ("sub" if i % 2 else "") / f"f{i // 2}{suffix}"
            path.write_bytes(data)
            paths.append(path)

        items = list(load_articles([str(docs)]))  # never raises
        for path in paths:
            mine = [i for i in items if _names_file(i.origin if isinstance(i, Article) else i.path, path)]
            assert mine, f"{path.name} yielded neither an article nor a failure"
        for item in items:
            where = item.origin if isinstance(item, Article) else item.path
            assert any(_names_file(where, p) for p in paths), f"{where} names no input file"
            if isinstance(item, LoadFailure):
                assert item.reason and "\n" not in item.reason
            else:
                assert item.id and item.text.strip()

        store = ChromaStore(folder / "data", collection=f"prop{next(_RUN)}")
        report = ingest([str(docs)], FakeEmbedder(), store)  # never raises

        # Replay the run: the first text for an id wins; any later, different text must be refused aloud.
        first: dict[str, str] = {}
        expected_refusals: dict[str, int] = defaultdict(int)
        for article in (i for i in items if isinstance(i, Article)):
            if article.id not in first:
                first[article.id] = article.text
            elif article.text != first[article.id]:
                expected_refusals[article.id] += 1
        for article_id, count in expected_refusals.items():
            refused = [f for f in report.failed if f"article id {article_id!r} already used by" in f.reason]
            assert len(refused) >= count, (article_id, report.failed)
        stored = store.collection.get(include=["metadatas"])
        for meta in stored["metadatas"]:
            article_id = meta["article_id"]
            assert article_id in first
            assert meta["content_hash"] == Article(article_id, "", first[article_id]).content_hash
    finally:
        shutil.rmtree(folder, ignore_errors=True)
