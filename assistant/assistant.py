"""`Assistant`: retrieve -> draft -> verify -> cited `Answer`.

It is handed its parts (a library of articles, a retriever, a generator and
settings) and never builds them; `build_assistant` does that. `ask_stream`
yields the draft as it is written, then the verified Answer; `ask` returns just
the Answer. When every claim of the draft fails verification, an optional
fallback generator (the extractive one) gets a chance, and its draft is verified
the same way. Before retrieval a follow-up is rewritten into a standalone
question (`rewrite.py`) and time phrases ("this week", "in February 2022") become
a date filter or a boost relative to the question's `as_of` date (`when.py`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Iterable, Iterator, Sequence

from index import IngestReport, Library

from .filters import SearchFilters
from .generate import Generator, generate
from .ground import ground_answer
from .relevance import RelevanceScorer
from .retrieve import Retriever
from .rewrite import Rewriter, RuleRewriter
from .settings import Settings
from .types import Answer, Passage, Turn
from .when import TimeScope, strip_time_phrase, time_scope

__all__ = ["Assistant"]


def _normalise_history(history: Iterable) -> list[Turn]:
    """Accept (role, text) pairs or {"role", "content"} dicts (Gradio/OpenAI style)."""
    turns: list[Turn] = []
    for item in history or ():
        if isinstance(item, dict):
            role, text = item.get("role", ""), item.get("content", "")
        else:
            role, text = item
        if isinstance(text, str) and role in ("user", "assistant"):
            turns.append((role, text))
    return turns


def _as_date(value: date | str | None) -> date:
    if value is None or value == "":
        return date.today()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


@dataclass(frozen=True)
class _TimePlan:
    search: str  # the query without its time phrase
    strict: TimeScope | None = None  # filter to this window (falls back to a boost when it is empty)
    boost: SearchFilters | None = None  # prefer passages in this window
    answer_window: SearchFilters | None = None  # only passages in this window may answer


class Assistant:
    def __init__(self, library: Library, retriever: Retriever, generator: Generator, settings: Settings,
                 fallback: Generator | None = None, rewriter: Rewriter | None = None,
                 scorer: RelevanceScorer | None = None):
        self.library = library
        self.retriever = retriever
        self.generator = generator
        self.settings = settings
        self.fallback = fallback
        self.rewriter = rewriter or RuleRewriter()
        self.scorer = scorer or RelevanceScorer()

    def warm_up(self) -> None:
        """Load the embedder and the generator's model now rather than on the first question."""
        self.retrieve("warm-up")
        load = getattr(self.generator, "load", None)
        if callable(load):
            load()

    def ingest(self, paths: Iterable[str] | str, keep_duplicates: bool = False) -> IngestReport:
        """Add articles (files, folders, URLs; txt/md/html/json/jsonl/rss) to the index; see IngestReport.

        Near-duplicates of stored articles are skipped and reported unless `keep_duplicates`."""
        if isinstance(paths, str):
            paths = [paths]
        return self.library.ingest([str(p) for p in paths], keep_duplicates=keep_duplicates)

    def is_empty(self) -> bool:
        return self.library.count() == 0

    def retrieve(self, query: str, k: int | None = None, filters: SearchFilters | dict | None = None, *,
                 as_of: date | str | None = None) -> list[Passage]:
        """The top passages for `query`, limited by `filters` (SearchFilters or a dict), with
        time phrases in the query read relative to `as_of` (default: today)."""
        return self._retrieve(query, k or self.settings.top_k, SearchFilters.of(filters), _as_date(as_of))

    def _time_plan(self, query: str, as_of: date) -> _TimePlan:
        """How `query`'s time phrase (if any) shapes retrieval and what may answer it."""
        scope = time_scope(query, as_of)
        if scope is None:
            days = self.settings.recency_days
            if days <= 0:
                return _TimePlan(query)
            recent = TimeScope(as_of - timedelta(days=days), as_of, "", False)
            return _TimePlan(query, boost=recent.to_filters())
        search = strip_time_phrase(query, scope) or query
        if scope.strict:
            return _TimePlan(search, strict=scope.widened(2))
        window = scope.widened(3).to_filters()
        # "this week", "recently", "yesterday" speak of the present: only articles of that window can
        # answer. A bare weekday ("on Sunday") often means the articles' own week, so it only boosts.
        present = scope.date_to <= as_of and not scope.weekday
        answer_window = window if present else None
        return _TimePlan(search, boost=window, answer_window=answer_window)

    def _retrieve(self, query: str, k: int, filters: SearchFilters, as_of: date,
                  plan: _TimePlan | None = None) -> list[Passage]:
        if not query.strip():
            return []
        plan = plan or self._time_plan(query, as_of)
        boost = plan.boost
        if plan.strict is not None and not (filters.date_from or filters.date_to):
            passages = self.retriever.retrieve(plan.search, k, plan.strict.to_filters(filters), boost=None)
            if passages:
                return passages
            # Nothing dated so: search everything, preferring that window, and let verification decide.
            boost = plan.strict.to_filters()
        return self.retriever.retrieve(plan.search, k, filters, boost=boost)

    def ask_stream(self, question: str, history: Sequence = (), *, as_of: date | str | None = None,
                   filters: SearchFilters | dict | None = None) -> Iterator[str | Answer]:
        """Yield draft text pieces as the generator writes them, then the final Answer.

        `as_of` is the date the question is asked on (default: today), for phrases
        like "this week"; `filters` limits retrieval by source, article id or date.
        """
        question = question.strip()
        turns = _normalise_history(history)
        filters = SearchFilters.of(filters)
        as_of_day = _as_date(as_of)
        t0 = time.perf_counter()
        query = question
        if turns and question and self.settings.rewrite_followups:
            query = self.rewriter.rewrite(question, turns) or question
        plan = self._time_plan(query, as_of_day)
        passages = self._retrieve(query, self.settings.top_k, filters, as_of_day, plan)
        usable = passages
        if plan.answer_window is not None:
            w = plan.answer_window
            usable = [p for p in passages if not p.published_at or w.matches(p.source, p.article_id, p.published_at)]
        t1 = time.perf_counter()
        pieces: list[str] = []
        if usable:
            for piece in self.generator.stream(query, usable, turns):
                pieces.append(piece)
                yield piece
        draft = "".join(pieces).strip()
        t2 = time.perf_counter()
        # Verify against every usable passage, not only the ones an LLM prompt had room for.
        grounded = self._ground(query, draft, usable)
        used = self.generator.name
        if grounded.abstained and self.fallback is not None and usable:
            second = generate(self.fallback, query, usable, turns)
            regrounded = self._ground(query, second, usable)
            if not regrounded.abstained:
                # Keep the rejected claims of the first draft visible for debugging.
                grounded = replace(regrounded, claims=grounded.claims + regrounded.claims)
                used = f"{self.generator.name}+{self.fallback.name}"
        t3 = time.perf_counter()
        yield Answer(
            question=question,
            text=grounded.text,
            abstained=grounded.abstained,
            citations=grounded.citations,
            claims=grounded.claims,
            passages=tuple(passages),
            draft=draft,
            generator=used,
            timings={"retrieve": t1 - t0, "generate": t2 - t1, "verify": t3 - t2, "total": t3 - t0},
            query=query,
            as_of=as_of_day.isoformat(),
            filters=filters.to_dict(),
        )

    def _ground(self, question: str, draft: str, passages: Sequence[Passage]):
        return ground_answer(question, draft, passages, self.settings.min_support, self.settings.min_relevance,
                             scorer=self.scorer)

    def ask(self, question: str, history: Sequence = (), *, as_of: date | str | None = None,
            filters: SearchFilters | dict | None = None) -> Answer:
        """Answer `question` from the stored articles, with verified citations (see ask_stream)."""
        for item in self.ask_stream(question, history, as_of=as_of, filters=filters):
            if isinstance(item, Answer):
                return item
        raise RuntimeError("ask_stream ended without an Answer")  # unreachable
