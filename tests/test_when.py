"""time_scope / strip_time_phrase: date phrases read against fixed as_of dates (never today's)."""

from datetime import date

import pytest

from assistant import SearchFilters
from assistant.when import TimeScope, strip_time_phrase, time_scope

THU = date(2022, 6, 16)  # a Thursday, like the dev set's question_date
MON = date(2022, 2, 21)  # the sample article's date, a Monday


def _span(question, as_of=THU):
    s = time_scope(question, as_of)
    assert s is not None, question
    return s.date_from.isoformat(), s.date_to.isoformat(), s.phrase, s.strict


@pytest.mark.parametrize("question, expected", [
    # relative phrases: soft (strict=False), ending at as_of
    ("What happened today?", ("2022-06-16", "2022-06-16", "today", False)),
    ("What was announced yesterday?", ("2022-06-15", "2022-06-15", "yesterday", False)),
    ("Which country's leader announced this week that he would resign?",
     ("2022-06-10", "2022-06-16", "this week", False)),
    ("Who resigned earlier this week?", ("2022-06-10", "2022-06-16", "earlier this week", False)),
    ("What did the court rule this past week?", ("2022-06-10", "2022-06-16", "this past week", False)),
    ("What happened over the past week?", ("2022-06-10", "2022-06-16", "over the past week", False)),
    ("Who won the election last week?", ("2022-06-06", "2022-06-12", "last week", False)),
    ("What rose this month?", ("2022-06-01", "2022-06-16", "this month", False)),
    ("What fell last month?", ("2022-05-01", "2022-05-31", "last month", False)),
    ("Who has led the polls this year?", ("2022-01-01", "2022-06-16", "this year", False)),
    ("Who won the title last year?", ("2021-01-01", "2021-12-31", "last year", False)),
    ("Which wildly popular show was recently green lit for a new season?",
     ("2022-06-03", "2022-06-16", "recently", False)),
    ("Who has been criticised lately?", ("2022-06-03", "2022-06-16", "lately", False)),
    ("What is the latest on Ukraine?", ("2022-06-03", "2022-06-16", "latest", False)),
    ("Where did storms hit in the past few days?", ("2022-06-14", "2022-06-16", "in the past few days", False)),
    ("What changed over the last two weeks?", ("2022-06-03", "2022-06-16", "over the last two weeks", False)),
    ("Who spoke in recent days?", ("2022-06-10", "2022-06-16", "in recent days", False)),
    ("Who resigned three days ago?", ("2022-06-13", "2022-06-13", "three days ago", False)),
    ("What did the Fed announce on Wednesday?", ("2022-06-15", "2022-06-15", "on Wednesday", False)),
    ("What did the Fed announce on Thursday?", ("2022-06-16", "2022-06-16", "on Thursday", False)),
    ("Who spoke last Thursday?", ("2022-06-09", "2022-06-09", "last Thursday", False)),
    ("Who spoke last Tuesday?", ("2022-06-14", "2022-06-14", "last Tuesday", False)),
    ("What did the White House say Sunday?", ("2022-06-12", "2022-06-12", "Sunday", False)),
    ("What happened on Sunday night?", ("2022-06-12", "2022-06-12", "on Sunday night", False)),
    ("What did leaders agree over the weekend?", ("2022-06-11", "2022-06-12", "over the weekend", False)),
    ("Which prices rose since last week?", ("2022-06-06", "2022-06-16", "since last week", False)),
    # explicit calendar references: strict
    ("What happened in February 2022?", ("2022-02-01", "2022-02-28", "in February 2022", True)),
    ("Who met February 2022?", ("2022-02-01", "2022-02-28", "February 2022", True)),
    ("What happened in February?", ("2022-02-01", "2022-02-28", "in February", True)),
    ("What happened in June?", ("2022-06-01", "2022-06-30", "in June", True)),
    ("What happened in July?", ("2021-07-01", "2021-07-31", "in July", True)),
    ("Who spoke on Feb. 21, 2022?", ("2022-02-21", "2022-02-21", "on Feb. 21, 2022", True)),
    ("Who spoke on March 3, 2022?", ("2022-03-03", "2022-03-03", "on March 3, 2022", True)),
    ("Who spoke February 21?", ("2022-02-21", "2022-02-21", "February 21", True)),
    ("Who spoke on 21 February 2022?", ("2022-02-21", "2022-02-21", "on 21 February 2022", True)),
    ("Who spoke on the 21st of February?", ("2022-02-21", "2022-02-21", "on the 21st of February", True)),
    ("What was reported on 2022-02-21?", ("2022-02-21", "2022-02-21", "on 2022-02-21", True)),
    ("Who spoke on Friday, Feb. 18?", ("2022-02-18", "2022-02-18", "on Friday, Feb. 18", True)),
    ("Which team won in 2021?", ("2021-01-01", "2021-12-31", "in 2021", True)),
    ("What rose since June?", ("2022-06-01", "2022-06-16", "since June", True)),
    ("What rose since 2021?", ("2021-01-01", "2022-06-16", "since 2021", True)),
    ("Who led between March and May 2022?", ("2022-03-01", "2022-05-31", "between March and May 2022", True)),
    ("Who led from Feb. 1 to Feb. 10, 2022?", ("2022-02-01", "2022-02-10", "from Feb. 1 to Feb. 10, 2022", True)),
    ("Who spoke in early March?", ("2022-03-01", "2022-03-10", "in early March", True)),
    ("Who spoke in mid-February?", ("2022-02-11", "2022-02-20", "in mid-February", True)),
    ("Who spoke in late 2021?", ("2021-09-01", "2021-12-31", "in late 2021", True)),
    ("What was agreed last May?", ("2022-05-01", "2022-05-31", "last May", True)),
    ("What was agreed last June?", ("2021-06-01", "2021-06-30", "last June", True)),
    ("What did Biden say in may 2022?", ("2022-05-01", "2022-05-31", "in may 2022", True)),
    ("What did Biden say on May 5?", ("2022-05-05", "2022-05-05", "on May 5", True)),
    ("Did they march on March 3?", ("2022-03-03", "2022-03-03", "on March 3", True)),
    # a named period long past dates the event, not the article; one in the future cannot be a filter
    ("Which region did Russia annex in 2014?", ("2014-01-01", "2014-12-31", "in 2014", False)),
    ("Who will host the Games in 2024?", ("2024-01-01", "2024-12-31", "in 2024", False)),
])
def test_time_scope_reads_phrase(question, expected):
    assert _span(question) == expected


@pytest.mark.parametrize("question", [
    "Who proposed the summit?",
    "May I ask who proposed the summit?",
    "Who may attend the summit?",
    "Did protesters march on Washington?",
    "Who spoke at the March on Washington?",
    "This may take a while: who won?",
    "Which shops had Black Friday sales?",
    "What did the Sunday Times report?",
    "How many troops did Russia mass along the border?",
    "What is in the 2022 budget?",  # a bare year is a name part, not a date
    "Who is June Carter?",
    "Did the scandal mar his campaign?",
])
def test_time_scope_none_without_a_time_phrase(question):
    assert time_scope(question, THU) is None


def test_sample_article_questions_against_its_date():
    assert _span("Who did Macron call on Sunday?", MON) == ("2022-02-20", "2022-02-20", "on Sunday", False)
    assert _span("When will Blinken and Lavrov meet, as agreed yesterday?", MON)[:2] == ("2022-02-20",) * 2
    assert _span("What did Biden say on Friday?", MON)[:2] == ("2022-02-18",) * 2
    assert _span("What did Kishida tell a committee on Monday?", MON)[:2] == ("2022-02-21",) * 2
    assert _span("What did Psaki say this week?", MON)[:2] == ("2022-02-15", "2022-02-21")


def test_this_may_capitalised_is_the_month():
    assert _span("What was signed this May?")[:3] == ("2022-05-01", "2022-05-31", "this May")


def test_day_or_month_without_year_is_the_most_recent_one():
    assert _span("What happened on December 25?")[:2] == ("2021-12-25",) * 2
    assert _span("What happened on June 16?")[:2] == ("2022-06-16",) * 2
    assert _span("What happened on June 17?")[:2] == ("2021-06-17",) * 2
    assert time_scope("What happened on February 30?", THU) is None


def test_last_weekday_on_that_weekday_is_a_week_back():
    assert _span("What happened last Thursday?")[:2] == ("2022-06-09",) * 2
    assert _span("What happened on Thursday?")[:2] == ("2022-06-16",) * 2


def test_longest_phrase_wins():
    assert _span("What rose since June 3, 2022 according to reports this week?")[2] == "since June 3, 2022"


def test_case_insensitive():
    assert _span("WHAT HAPPENED IN FEBRUARY 2022?")[:2] == ("2022-02-01", "2022-02-28")
    assert _span("what happened This Week?")[2] == "This Week"


def test_widened_and_filters():
    s = time_scope("Who spoke on Feb. 21, 2022?", THU)
    w = s.widened(2)
    assert (w.date_from, w.date_to, w.phrase, w.strict) == (date(2022, 2, 19), date(2022, 2, 23), s.phrase, True)
    assert s.to_filters() == SearchFilters(date_from="2022-02-21", date_to="2022-02-21")
    base = SearchFilters(sources=("kyodo",), date_to="2022-02-22")
    assert s.to_filters(base) == SearchFilters(sources=("kyodo",), date_from="2022-02-21", date_to="2022-02-22")


def test_scope_is_frozen():
    s = time_scope("this week", THU)
    with pytest.raises(AttributeError):
        s.strict = True


@pytest.mark.parametrize("question, expected", [
    ("Which wildly popular show was recently green lit for a new season?",
     "Which wildly popular show was green lit for a new season?"),
    ("Which country's leader announced this week that he would resign?",
     "Which country's leader announced that he would resign?"),
    ("What did the Fed announce on Wednesday?", "What did the Fed announce?"),
    ("Last week, who won the election?", "Who won the election?"),
    ("Who spoke on Feb. 21, 2022, in Geneva?", "Who spoke in Geneva?"),
    ("Who proposed the summit?", "Who proposed the summit?"),
])
def test_strip_time_phrase(question, expected):
    assert strip_time_phrase(question, time_scope(question, THU)) == expected


def test_strip_time_phrase_without_scope_is_identity():
    assert strip_time_phrase("  Who won?", None) == "  Who won?"
