"""The `extractive` generator: answers with the article sentences that best
answer the question. No language model; deterministic and fast.

Sentences are ranked by the learned `AnswerRanker` (ranker.py) when one is
given, else by `RelevanceScorer` (question words stated, embedding similarity,
the kind of answer asked for); only sentences that add something the question
did not already say count. The best one is the answer; the runner-up may join
it when it scores nearly as well, since quiz-style questions often have the
answer in the sentence beside the one that echoes them. Below the threshold it
drafts nothing, which makes the assistant abstain. The verifier then leads the
answer with the phrase of the asked kind. It does not compose or summarise.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from .ranker import AnswerRanker
from .relevance import RelevanceScorer
from .settings import DEFAULT_SETTINGS, Settings
from .types import Passage, Turn

__all__ = ["ExtractiveGenerator"]


class ExtractiveGenerator:
    name = "extractive"
    thread_safe = True  # no per-question state; the scorer's shared cache takes a lock

    def __init__(self, settings: Settings = DEFAULT_SETTINGS, scorer: RelevanceScorer | None = None,
                 ranker: AnswerRanker | None = None):
        self.min_relevance = settings.min_relevance
        self.scorer = scorer or (ranker.scorer if ranker is not None else RelevanceScorer())
        self.second_within = settings.second_sentence_within
        self.ranker = ranker

    def _ranked_sentences(self, question: str, passages: Sequence[Passage]) -> list[str]:
        """The ranker's best sentence when it reaches the threshold (the ranker's relevance gate applied);
        the runner-up joins it when it reaches the threshold too and scores within the fitted margin of
        the best."""
        question_words = self.scorer(question, passages).focus.terms.content
        ranked = [r for r in self.ranker(question, passages) if r.evidence.terms.content - question_words]
        model = self.ranker.model
        if not ranked or ranked[0].probability < model.threshold:
            return []
        picked = [ranked[0]]
        if (len(ranked) > 1 and ranked[1].probability >= model.threshold
                and ranked[1].probability >= ranked[0].probability - model.margin):
            picked.append(ranked[1])
        return [r.evidence.text for r in picked]  # best first: the verifier takes the answer phrase from it

    def best_sentences(self, question: str, passages: Sequence[Passage]) -> list[str]:
        if self.ranker is not None:
            return self._ranked_sentences(question, passages)
        scored = self.scorer(question, passages)
        q = scored.focus.terms
        ranked = []
        for rank, (ev, relevance) in enumerate(zip(scored.evidence, scored.relevance)):
            if not (ev.terms.content - q.content):
                continue  # restates the question, answers nothing
            if relevance >= self.min_relevance:
                # Ties go to the better-ranked passage (earlier in the list).
                ranked.append((round(relevance, 6), -rank, ev.text))
        ranked.sort(reverse=True)
        if not ranked:
            return []
        picked = [ranked[0]]
        if len(ranked) > 1 and ranked[1][0] >= ranked[0][0] - self.second_within:
            picked.append(ranked[1])
        return [text for _, _, text in sorted(picked, key=lambda r: -r[1])]  # in passage order

    def stream(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> Iterator[str]:
        for i, sentence in enumerate(self.best_sentences(question, passages)):
            yield sentence if i == 0 else "\n" + sentence  # one quote per line: verified one by one
