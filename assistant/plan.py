"""The search plan: how a question's time phrase shapes retrieval and what may answer it.

`plan_search(query, as_of, settings)` reads the query's time phrase relative to
`as_of` (`when.py` finds and resolves it) and decides:

- a calendar period the question names ("in February 2022") is a hard date
  filter, widened by two days; when nothing is dated so, `search` falls back to
  searching everything with that window preferred;
- a relative phrase ("this week", "recently", "on Sunday") is a boost, and when
  it speaks of the present ("this week", not a bare weekday, which often means
  the articles' own week) only passages of that window may answer;
- a named period long past ("annexed in 2014") dates the event, not the
  articles: a boost only, and any article may answer;
- with no phrase, articles of the last `recency_days` are mildly preferred.

`search(retriever, plan, k, filters)` runs it; `SearchPlan.may_answer` filters
what the generator sees. It does not retrieve by itself, rank or verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

from index import SearchFilters

from .retrieve import Retriever
from .settings import Settings
from .types import Passage
from .when import TimeScope, strip_time_phrase, time_scope

__all__ = ["SearchPlan", "as_of_date", "plan_search", "search"]


def as_of_date(value: date | str | None) -> date:
    """The date a question is asked on: a date, an ISO string, or None/"" for today."""
    if value is None or value == "":
        return date.today()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


@dataclass(frozen=True)
class SearchPlan:
    search: str  # the query without its time phrase
    strict: TimeScope | None = None  # filter to this window (falls back to a boost when it is empty)
    boost: SearchFilters | None = None  # prefer passages in this window
    answer_window: SearchFilters | None = None  # only passages in this window may answer

    def may_answer(self, passages: Sequence[Passage]) -> list[Passage]:
        """The passages allowed to answer: all, or those in the answer window (undated ones pass)."""
        w = self.answer_window
        if w is None:
            return list(passages)
        return [p for p in passages if not p.published_at or w.matches(p.source, p.article_id, p.published_at)]


def plan_search(query: str, as_of: date, settings: Settings) -> SearchPlan:
    """How `query`'s time phrase (if any), read as of `as_of`, shapes retrieval and what may answer."""
    scope = time_scope(query, as_of)
    if scope is None:
        days = settings.recency_days
        if days <= 0:
            return SearchPlan(query)
        recent = TimeScope(as_of - timedelta(days=days), as_of, "", False)
        return SearchPlan(query, boost=recent.to_filters())
    text = strip_time_phrase(query, scope) or query
    if scope.strict:
        return SearchPlan(text, strict=scope.widened(2))
    window = scope.widened(3).to_filters()
    present = scope.date_to <= as_of and not scope.weekday and not scope.named
    return SearchPlan(text, boost=window, answer_window=window if present else None)


def search(retriever: Retriever, plan: SearchPlan, k: int, filters: SearchFilters) -> list[Passage]:
    """The top `k` passages for the plan, within the caller's explicit `filters`."""
    if not plan.search.strip():
        return []
    boost = plan.boost
    if plan.strict is not None and not (filters.date_from or filters.date_to):
        passages = retriever.retrieve(plan.search, k, plan.strict.to_filters(filters), boost=None)
        if passages:
            return passages
        # Nothing dated so: search everything, preferring that window, and let verification decide.
        boost = plan.strict.to_filters()
    return retriever.retrieve(plan.search, k, filters, boost=boost)
