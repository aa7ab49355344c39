"""Kicker labels ("EXCLUSIVE", "Analysis") and the headline repeated with small
changes at the top of a body are dropped, never stored or quoted as evidence
(the rule: index/clean.py). Fixtures live in tests/fixtures/realworld/."""

from pathlib import Path

import pytest

from index import Article, ChromaStore, LoadFailure, ingest, load_articles
from index.clean import drop_kickers, is_kicker, repeats_headline
from tests.fakes import FakeEmbedder

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"


def load_one(name):
    items = list(load_articles([str(FIXTURES / name)]))
    assert not [i for i in items if isinstance(i, LoadFailure)]
    (article,) = [i for i in items if isinstance(i, Article)]
    return article


@pytest.mark.parametrize("name, title, first_words", [
    ("kicker-exclusive.html", "Council approves harbour budget", "The town council approved"),      # kicker + <h1>
    ("kicker-headline-variant.html", "Storm closes mountain pass", "Police closed the mountain pass"),  # + variant
    ("kicker-above-headline.txt", "Why the harbour budget matters", "The town council approved"),   # kicker is no title
    ("kicker-title-header.txt", "Library extends opening hours", "The town library will stay open"),
])
def test_kickers_and_repeated_headlines_leave_the_body(name, title, first_words):
    article = load_one(name)
    assert article.title == title
    assert article.text.startswith(first_words)
    for label in ("EXCLUSIVE", "Exclusive", "ANALYSIS", "Analysis", "Storm Closes the Mountain Pass",
                  "Library Extends Its Opening Hours", "Why the harbour budget matters"):
        assert label not in article.text


def test_kickers_are_never_stored_as_evidence(tmp_path):
    store = ChromaStore(tmp_path / "data")
    names = ["kicker-exclusive.html", "kicker-headline-variant.html", "kicker-above-headline.txt",
             "kicker-title-header.txt"]
    report = ingest([str(FIXTURES / n) for n in names], FakeEmbedder(), store)
    assert not report.failed and len(report.added) == 4
    documents = store.collection.get(include=["documents"])["documents"]
    assert not any(d.startswith(("EXCLUSIVE", "Exclusive", "ANALYSIS", "Analysis", "Storm Closes")) for d in documents)
    # The lede that repeats the headline's words is a sentence, and stays.
    assert any("The storm closes the pass for the second time" in d for d in documents)


@pytest.mark.parametrize("line, expected", [
    ("EXCLUSIVE", True), ("Analysis:", True), ("World news", True), ("Live updates", True),
    ("The council met.", False),                       # a sentence
    ("Five words is one too many here", False),        # longer than a label
    ("\u201cWe will rebuild,\u201d", False),            # a quote
    ("", False),
])
def test_kicker_rule(line, expected):
    assert is_kicker(line) is expected


@pytest.mark.parametrize("line, title, expected", [
    ("Storm Hits the Coast, Officials Say", "Storm hits coast", True),
    ("Storm hits coast", "Storm hits coast", True),
    ("Stürm hits coast", "Sturm hits coast", True),                              # accents ignored
    ("The storm hit the coast on Friday, officials said.", "Storm hits coast", False),  # a lede: ends with a period
    ("Rain expected across the north tomorrow", "Storm hits coast", False),       # other words
    ("Storm hits coast as thousands lose power and roads close across the region tonight",
     "Storm hits coast", False),                                                  # far longer than the title
])
def test_repeated_headline_rule(line, title, expected):
    assert repeats_headline(line, title) is expected


def test_at_most_three_lines_go_and_the_body_never_empties():
    assert drop_kickers(["EXCLUSIVE", "Storm hits coast", "Live", "Analysis", "Body."], "Storm hits coast") == [
        "Analysis", "Body."]
    assert drop_kickers(["EXCLUSIVE"], "") == ["EXCLUSIVE"]
