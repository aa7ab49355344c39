"""Dates come only from date-bearing fields, at the precision they are given:
a "/2000/01/" in an RDF namespace URL is no date, and a year or a year-month
is never padded to January 1 (the rule: index/dates.py). Fixtures live in
tests/fixtures/realworld/."""

from pathlib import Path

import pytest

from index import Article, ChromaStore, LoadFailure, SearchFilters, ingest, load_articles
from index.dates import PublishedDate, read_date, states_day
from tests.fakes import FakeEmbedder

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"


def load(name):
    items = list(load_articles([str(FIXTURES / name)]))
    assert not [i for i in items if isinstance(i, LoadFailure)]
    return [i for i in items if isinstance(i, Article)]


def partial(article):
    return article.extra.get("published_partial"), article.extra.get("published_precision")


def test_a_namespace_url_is_not_a_date():
    (article,) = load("date-rdf-namespace.html")  # trafilatura alone says 2000-01-01
    assert article.published_at == "" and partial(article) == (None, None)


@pytest.mark.parametrize("name, value, precision", [
    ("date-year-only.html", "2019", "year"),        # <meta property="article:published_time" content="2019">
    ("date-year-month.html", "2021-05", "month"),   # <meta name="date" content="2021-05">
    ("date-month-year.txt", "2023-10", "month"),    # "Date: October 2023"
])
def test_partial_dates_stay_partial(name, value, precision):
    (article,) = load(name)
    assert article.published_at == ""  # never 2019-01-01
    assert partial(article) == (value, precision)


@pytest.mark.parametrize("name", ["date-year-only.json", "date-year-only.atom"])
def test_feed_entries_keep_partial_and_full_dates_apart(name):
    year_only, full = load(name)
    assert (year_only.published_at, partial(year_only)) == ("", ("2022", "year"))
    assert (full.published_at, partial(full)) == ("2022-03-14", (None, None))


def test_a_stated_day_is_still_read(tmp_path):
    page = tmp_path / "dated.html"
    body = "".join(f"<p>Sentence {i} about the harbour works and the new quay wall.</p>" for i in range(6))
    page.write_text(f"<html><head><title>Harbour works</title></head><body><article><h1>Harbour works</h1>"
                    f"<p>Published February 21, 2022</p>{body}</article></body></html>", encoding="utf-8")
    meta = tmp_path / "meta.html"
    meta.write_text(f'<html><head><title>Quay wall</title><meta property="article:published_time" '
                    f'content="2022-02-21T08:00:00+01:00"></head><body><article>{body}</article></body></html>',
                    encoding="utf-8")
    assert [a.published_at for a in load_articles([str(page), str(meta)])] == ["2022-02-21", "2022-02-21"]


def test_partial_dates_are_stored_and_never_match_a_day_filter(tmp_path):
    store = ChromaStore(tmp_path / "data")
    report = ingest([str(FIXTURES / "date-year-only.html")], FakeEmbedder(), store)
    assert report.added == ["date-year-only"]
    (meta,) = store.collection.get(include=["metadatas"])["metadatas"]
    assert meta["published_at"] == "" and meta["published_day"] == 0
    assert (meta["extra_published_partial"], meta["extra_published_precision"]) == ("2019", "year")
    (vector,) = FakeEmbedder().embed_batch(["lighthouse"])
    assert store.query(vector, 3, SearchFilters(date_from="2019-01-01", date_to="2019-01-31")) == []


@pytest.mark.parametrize("value, expected", [
    ("2022-02-21", PublishedDate("2022-02-21", "day")),
    ("2022-02-21T23:10:00-05:00", PublishedDate("2022-02-21", "day")),
    ("Mon, 21 Feb 2022 10:00:00 GMT", PublishedDate("2022-02-21", "day")),
    ("Sept. 3, 2021", PublishedDate("2021-09-03", "day")),
    ("2022-02", PublishedDate("2022-02", "month")),
    ("February 2022", PublishedDate("2022-02", "month")),
    ("2019", PublishedDate("2019", "year")),
    ("1492", PublishedDate()), ("2022-13", PublishedDate()), ("soon", PublishedDate()), ("", PublishedDate()),
])
def test_read_date(value, expected):
    assert read_date(value) == expected


def test_states_day():
    assert states_day("Published Feb. 21, 2022 at noon", "2022-02-21")
    assert states_day("21 February 2022", "2022-02-21")
    assert not states_day("namespace 2000/01/rdf-schema", "2000-01-01")
