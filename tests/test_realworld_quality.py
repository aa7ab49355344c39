"""The article quality floor (index/quality.py), the same for every format (issue 11, case 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.ingest import ingest
from index.load import load_articles
from index.quality import MIN_WORDS, word_count
from index.store import ChromaStore
from index.types import Article, LoadFailure
from tests.fakes import FakeEmbedder

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"
RTQA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "realtimeqa-dev" / "corpus.jsonl"
JUNK = {"caption-only.html", "link-list.html", "status-page.html", "tiny-entries.rss", "tiny-entry.txt",
        "tiny-records.jsonl"}


def load(name: str):
    items = list(load_articles([str(FIXTURES / name)]))
    return ([i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadFailure)])


@pytest.mark.parametrize("name, reason", [
    ("caption-only.html", "only a photo caption"),
    ("link-list.html", "mostly links"),
    ("status-page.html", "status or error page"),
    ("tiny-entry.txt", f"at least {MIN_WORDS} needed"),
])
def test_junk_page_is_skipped_with_its_reason(name, reason):
    articles, (failure,) = load(name)
    assert articles == []
    assert failure.path.endswith(name) and reason in failure.reason


def test_tiny_feed_entries_skipped_and_headline_only_entries_kept_as_short_articles():
    articles, failures = load("tiny-entries.rss")
    # "Snow" with "…", and "Photos" whose body is only a "Read the full story" link: no text, short headline.
    assert [f.path.rsplit("/", 1)[-1] for f in failures] == ["tiny-entries.rss[0]", "tiny-entries.rss[1]"]
    assert all(f"at least {MIN_WORDS} needed" in f.reason for f in failures)
    budget, port = articles
    assert budget.text == budget.title == "Council approves new budget for schools"  # the link text is not its body
    assert port.text == "Dockers returned to work on Monday after a week."


def test_record_without_words_is_skipped_and_a_short_record_kept():
    articles, (failure,) = load("tiny-records.jsonl")
    assert failure.path.endswith("tiny-records.jsonl:1") and f"at least {MIN_WORDS} needed" in failure.reason
    assert [a.id for a in articles] == ["short-record"]


def test_ingest_reports_one_line_per_skip_naming_the_file(tmp_path):
    store = ChromaStore(tmp_path / "data")
    report = ingest([str(FIXTURES / n) for n in sorted(JUNK)], FakeEmbedder(), store)
    lines = [str(f) for f in report.failed]
    assert len(lines) == 7 and all(line.count("\n") == 0 for line in lines)
    for name in ("caption-only.html", "link-list.html", "status-page.html", "tiny-entry.txt"):
        assert any(line.startswith(str(FIXTURES / name) + ": ") for line in lines), name
    assert sorted(report.added) == ["https://wire.example/budget", "https://wire.example/port", "short-record"]


def test_existing_fixtures_and_the_sample_are_still_stored(sample_path):
    names = sorted(p.name for p in FIXTURES.iterdir() if p.name not in JUNK)
    items = list(load_articles([str(FIXTURES / n) for n in names] + [str(sample_path)]))
    failures = [str(i) for i in items if isinstance(i, LoadFailure)]
    # Only the pre-existing skips of fixtures that hold a one-word headline and no text.
    assert failures == [f"{FIXTURES / 'feed.json'}[2]: feed entry has no text (headline has 1 word; at least 4 needed)",
                        f"{FIXTURES / 'short-entries.rss'}[1]: feed entry has no text (headline has 1 word; "
                        "at least 4 needed)"]
    origins = {Path(i.origin.split("[")[0].split(":")[0]).name for i in items if isinstance(i, Article)}
    assert origins == set(names) | {sample_path.name}


def test_an_article_under_a_large_menu_and_a_captioned_photo_is_kept(tmp_path):
    menu = "".join(f'<li><a href="/s{i}">Section number {i} of the site</a></li>' for i in range(40))
    body = "<p>The town council approved the school budget on Monday after a long debate. " * 8 + "</p>"
    page = (f"<html><head><title>Budget passes</title></head><body><nav><ul>{menu}</ul></nav><article>"
            f"<h1>Budget passes</h1><figure><img src=x.jpg><figcaption>Councillors vote on Monday evening in the"
            f" chamber.</figcaption></figure>{body}</article></body></html>")
    (tmp_path / "budget.html").write_text(page, encoding="utf-8")
    (article,) = list(load_articles([str(tmp_path / "budget.html")]))
    assert isinstance(article, Article) and "approved the school budget" in article.text


@pytest.mark.skipif(not RTQA.exists(), reason="realtimeqa-dev corpus not present")
def test_no_realtimeqa_dev_article_is_rejected():
    with RTQA.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    rejected = [r["id"] for r in records if word_count(r["text"]) < MIN_WORDS]
    assert rejected == []
