"""The `extractive` generator: answers with the article sentences that best
answer the question. No language model; deterministic and fast.

Sentences are ranked by `RelevanceScorer` (question words stated, embedding
similarity when available, the kind of answer asked for); only sentences that
add something the question did not already say count. The best one is the
answer; the runner-up joins it when it scores nearly as well (within
`second_within`), since quiz-style questions often have the answer in the
sentence beside the one that echoes them. Below the relevance bar it drafts
nothing, which makes the assistant abstain. It does not compose or summarise.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from .relevance import RelevanceScorer
from .settings import DEFAULT_SETTINGS, Settings
from .types import Passage, Turn

__all__ = ["ExtractiveGenerator"]


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, settings: Settings = DEFAULT_SETTINGS, scorer: RelevanceScorer | None = None):
        self.min_relevance = settings.min_relevance
        self.scorer = scorer or RelevanceScorer()
        self.second_within = settings.second_sentence_within

    def best_sentences(self, question: str, passages: Sequence[Passage]) -> list[str]:
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
