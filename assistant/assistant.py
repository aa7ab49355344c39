"""`Assistant`: retrieve -> draft -> verify -> cited `Answer`.

It is handed its parts (a library of articles, a retriever, a generator and
settings) and never builds them; `build_assistant` does that. `ask_stream`
reads as the pipeline does: rewrite a follow-up into a standalone question
(`rewrite.py`) -> plan the search from its time phrase and `as_of` (`plan.py`)
-> retrieve (`retrieve.py`) -> draft (a Generator) -> verify and cite
(`ground.py`). It yields the draft as it is written, then the verified Answer;
`ask` returns just the Answer. When every claim of the draft fails
verification, an optional fallback generator (the extractive one) gets a
chance, and its draft is verified the same way.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from typing import Iterable, Iterator, Sequence

from index import IngestReport, Library, SearchFilters

from .generate import Generator, generate, load_model
from .ground import ground_answer
from .plan import as_of_date, plan_search, search
from .ranker import AnswerRanker
from .relevance import RelevanceScorer
from .retrieve import Retriever
from .rewrite import Rewriter, RuleRewriter
from .settings import Settings
from .types import Answer, Passage, Turn

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


class Assistant:
    def __init__(self, library: Library, retriever: Retriever, generator: Generator, settings: Settings,
                 fallback: Generator | None = None, rewriter: Rewriter | None = None,
                 scorer: RelevanceScorer | None = None, ranker: AnswerRanker | None = None):
        self.library = library
        self.retriever = retriever
        self.generator = generator
        self.settings = settings
        self.fallback = fallback
        self.rewriter = rewriter or RuleRewriter()
        self.scorer = scorer or (ranker.scorer if ranker is not None else RelevanceScorer())
        self.ranker = ranker

    def warm_up(self) -> None:
        """Load the embedder and the generator's model now rather than on the first question."""
        self.retrieve("warm-up")
        load_model(self.generator)

    def ingest(self, paths: Iterable[str] | str, keep_duplicates: bool = False) -> IngestReport:
        """Add articles (files, folders, URLs; txt/md/html/json/jsonl/rss) to the index; see IngestReport.

        Near-duplicates of stored articles are skipped and reported unless `keep_duplicates`."""
        if isinstance(paths, str):
            paths = [paths]
        return self.library.ingest([str(p) for p in paths], keep_duplicates=keep_duplicates)

    def is_empty(self) -> bool:
        return self.library.is_empty()

    def retrieve(self, query: str, k: int | None = None, filters: SearchFilters | dict | None = None, *,
                 as_of: date | str | None = None) -> list[Passage]:
        """The top passages for `query`, limited by `filters` (SearchFilters or a dict), with
        time phrases in the query read relative to `as_of` (default: today)."""
        plan = plan_search(query, as_of_date(as_of), self.settings)
        return search(self.retriever, plan, k or self.settings.top_k, SearchFilters.of(filters))

    def ask_stream(self, question: str, history: Sequence = (), *, as_of: date | str | None = None,
                   filters: SearchFilters | dict | None = None) -> Iterator[str | Answer]:
        """Yield draft text pieces as the generator writes them, then the final Answer.

        `as_of` is the date the question is asked on (default: today), for phrases
        like "this week"; `filters` limits retrieval by source, article id or date.
        """
        question = question.strip()
        turns = _normalise_history(history)
        filters = SearchFilters.of(filters)
        as_of_day = as_of_date(as_of)
        t0 = time.perf_counter()
        query = question
        if turns and question and self.settings.rewrite_followups:
            query = self.rewriter.rewrite(question, turns) or question
        plan = plan_search(query, as_of_day, self.settings)
        passages = search(self.retriever, plan, self.settings.top_k, filters)
        usable = plan.may_answer(passages)
        t1 = time.perf_counter()
        pieces: list[str] = []
        if usable:
            for piece in self.generator.stream(query, usable, turns):
                pieces.append(piece)
                yield piece
        draft = "".join(pieces).strip()
        t2 = time.perf_counter()
        # Verify against every usable passage, not only the ones an LLM prompt had room for.
        grounded = self._ground(query, draft, usable, self.generator)
        used = self.generator.name
        if grounded.abstained and self.fallback is not None and usable:
            second = generate(self.fallback, query, usable, turns)
            regrounded = self._ground(query, second, usable, self.fallback)
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
            span=grounded.span,
            confidence=grounded.confidence,
        )

    def _ground(self, question: str, draft: str, passages: Sequence[Passage], generator: Generator):
        return ground_answer(question, draft, passages, self.settings, scorer=self.scorer, ranker=self.ranker,
                             short_answers=getattr(generator, "short_answers", False))

    def ask(self, question: str, history: Sequence = (), *, as_of: date | str | None = None,
            filters: SearchFilters | dict | None = None) -> Answer:
        """Answer `question` from the stored articles, with verified citations (see ask_stream)."""
        for item in self.ask_stream(question, history, as_of=as_of, filters=filters):
            if isinstance(item, Answer):
                return item
        raise RuntimeError("ask_stream ended without an Answer")  # unreachable
