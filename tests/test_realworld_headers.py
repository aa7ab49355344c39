"""Real-world headers: HTML titles without a site-name suffix, and .txt/.md headers
(Key: value lines, an "Outlet, YYYY-MM-DD" dateline, YAML front matter) read as
metadata and kept out of the body. Fixtures live in tests/fixtures/realworld/."""

from pathlib import Path

import pytest

from index import Article, ChromaStore, LoadFailure, ingest, load_articles
from index.html import strip_site_suffix
from tests.fakes import FakeEmbedder

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"


def load_one(name):
    items = list(load_articles([str(FIXTURES / name)]))
    failures = [i for i in items if isinstance(i, LoadFailure)]
    assert not failures, failures
    (article,) = [i for i in items if isinstance(i, Article)]
    return article


# 1. HTML titles: a trailing site-name segment goes, nothing else does.

@pytest.mark.parametrize("name, title", [
    ("title-og-site-name.html", "Storm hits coast"),               # og:title "... | The Daily Planet" = og:site_name
    ("title-host-name.html", "U.S. storm hits coast"),             # "... - Example News" on www.examplenews.com
    ("title-several-separators.html", "Storm hits coast \u2014 Weather"),  # last of several separators
    ("title-no-site-name.html", "Ukraine - Russia talks"),         # no site evidence, and "Ukraine" is < 3 words
])
def test_html_title_loses_only_a_site_name_suffix(name, title):
    article = load_one(name)
    assert article.title == title
    assert "The storm hit the coast" in article.text or "The talks hit the coast" in article.text


def test_site_name_is_the_source_not_the_headline():
    assert load_one("title-og-site-name.html").source == "The Daily Planet"
    assert load_one("title-host-name.html").source == "Example News"  # not trafilatura's "U.S. storm hits coast"


@pytest.mark.parametrize("title, names, hosts, expected", [
    ("Storm hits coast | The Daily Planet", ("Daily Planet",), (), "Storm hits coast"),
    ("Storm hits coast - Example News", (), ("www.examplenews.com",), "Storm hits coast"),
    ("Storm hits coast \u2013 Site", ("Site",), (), "Storm hits coast"),
    ("Storm hits coast \u2014 BBC News", (), ("www.bbc.co.uk",), "Storm hits coast"),
    ("Storm hits coast | Weather | Planet", (), (), "Storm hits coast | Weather"),
    ("Storm hits coast | The Daily Planet", (), (), "Storm hits coast | The Daily Planet"),  # no evidence
    ("Rain | Planet", ("Planet",), (), "Rain | Planet"),                                     # < 3 words left
    ("Storm hits coast | A very long trailing segment here", ("A very long trailing segment here",), (),
     "Storm hits coast | A very long trailing segment here"),                                # > 5 words
    ("Mid-term elections: what changed", (), (), "Mid-term elections: what changed"),         # hyphen, no spaces
])
def test_strip_site_suffix_rule(title, names, hosts, expected):
    assert strip_site_suffix(title, names, hosts) == expected


# 2. .txt / .md headers are metadata, not body text.

def test_key_value_header_lines_at_the_top():
    article = load_one("header-lines.txt")
    assert (article.title, article.source, article.published_at) == (
        "Harbour wall repairs begin", "Coastal Times", "2024-03-08")
    assert article.text.startswith("Work crews began repairing")
    assert "Source:" not in article.text and "Title:" not in article.text and "2024-03-08" not in article.text


def test_dateline_as_first_line():
    article = load_one("dateline-first.txt")
    assert (article.title, article.source, article.published_at) == (
        "Library extends opening hours", "Valley Gazette", "2024-04-02")
    assert article.text.startswith("The town library will stay open")
    assert "Valley Gazette" not in article.text


def test_dateline_as_second_line():
    article = load_one("dateline-second.txt")
    assert (article.title, article.source, article.published_at) == (
        "Ferry service resumes after strike", "North Shore Herald", "2024-05-17")
    assert article.text.startswith("The ferry between the two islands")
    assert "North Shore Herald" not in article.text


def test_yaml_front_matter():
    article = load_one("front-matter.md")
    assert article.id == "front-matter"  # the file stem, as for every text file
    assert (article.title, article.source, article.published_at, article.url) == (
        "New bridge opens to cyclists", "River City Post", "2024-06-21",
        "https://rivercitypost.example/2024/06/bridge-cyclists")
    assert article.text.startswith("The new footbridge over the river")
    assert "---" not in article.text and "layout" not in article.text and "transport" not in article.text


def test_headers_are_never_stored_as_evidence(tmp_path):
    store = ChromaStore(tmp_path / "data")
    names = ["header-lines.txt", "dateline-first.txt", "dateline-second.txt", "front-matter.md"]
    report = ingest([str(FIXTURES / n) for n in names], FakeEmbedder(), store)
    assert not report.failed and len(report.added) == 4
    documents = " ".join(store.collection.get(include=["documents"])["documents"])
    for header in ("Source:", "Title:", "Date:", "Valley Gazette, 2024", "North Shore Herald, 2024", "title:", "---"):
        assert header not in documents


def test_prose_that_looks_like_headers_is_left_alone(tmp_path):
    rule = tmp_path / "rule.md"
    rule.write_text("---\nThe council met on Monday. It voted to close the road.\n---\n\nMore text follows here.\n")
    late = tmp_path / "late.txt"
    late.write_text("Road closes for repairs\n\nThe road closes on Monday. Drivers should plan ahead.\n\n"
                    "Valley Gazette, 2024-04-02\n")
    articles = [a for a in load_articles([str(rule), str(late)]) if isinstance(a, Article)]
    assert "The council met on Monday" in articles[0].text
    assert articles[1].text.endswith("Valley Gazette, 2024-04-02")  # not in the first two lines
    assert articles[1].source == ""
