"""The `extractive` generator: answers with the article sentence that best
matches the question. No language model; deterministic and fast.

It picks the sentence covering the most of the question's weighted content
words (and any relation the question asks about), that also adds something the
question did not already say. Below the relevance bar it drafts nothing, which
makes the assistant abstain. It does not compose or summarise.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from .ground import Focus, evidence_sentences, question_relevance
from .lexical import idf_weights
from .types import Passage, Turn

__all__ = ["ExtractiveGenerator"]


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, min_relevance: float = 0.5):
        self.min_relevance = min_relevance

    def best_sentence(self, question: str, passages: Sequence[Passage]) -> str:
        evidence = evidence_sentences(passages)
        if not evidence:
            return ""
        focus = Focus.of(question)
        q = focus.terms
        idf = idf_weights([e.terms for e in evidence], also=q.content)
        best, best_key = "", None
        for rank, ev in enumerate(evidence):
            if not (ev.terms.content - q.content):
                continue  # restates the question, answers nothing
            relevance = question_relevance(focus, ev, idf)
            # Ties go to the better-ranked passage (earlier in the list).
            key = (round(relevance, 6), -rank)
            if relevance >= self.min_relevance and (best_key is None or key > best_key):
                best, best_key = ev.text, key
        return best

    def stream(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> Iterator[str]:
        sentence = self.best_sentence(question, passages)
        if sentence:
            yield sentence
