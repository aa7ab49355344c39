"""The `extractive` generator: answers with the article sentence that best
matches the question. No language model; deterministic and fast.

It picks the sentence covering the most of the question's weighted content
words (and any relation the question asks about), that also adds something the
question did not already say. Below the relevance bar it drafts nothing, which
makes the assistant abstain. It does not compose or summarise.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from .ground import evidence_sentences, question_relevance
from .lexical import focus_pairs, idf_weights, terms
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
        idf = idf_weights([e.terms for e in evidence])
        q = terms(question)
        unseen = 1.0 + max(idf.values(), default=1.0)
        for s in q.content:
            idf.setdefault(s, unseen)
        pairs = focus_pairs(question)
        best, best_key = "", (self.min_relevance, 0.0)
        for rank, ev in enumerate(evidence):
            if not (ev.terms.content - q.content):
                continue  # restates the question, answers nothing
            relevance = question_relevance(q, ev, idf, pairs)
            # Ties go to the better-ranked passage (earlier in the list).
            key = (round(relevance, 6), -rank)
            if relevance >= self.min_relevance and key > best_key:
                best, best_key = ev.text, key
        return best

    def stream(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> Iterator[str]:
        sentence = self.best_sentence(question, passages)
        if sentence:
            yield sentence
