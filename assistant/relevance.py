"""How well each retrieved sentence answers the question.

`evidence_sentences` places every sentence of the retrieved passages exactly in
its article. `RelevanceScorer` scores each one against the question: the
idf-weighted share of the question's words the sentence states, plus, when an
embedding function is given, the cosine similarity of question and sentence
(all-MiniLM-L6-v2 recognises paraphrase the word match misses). A sentence that
adds a name or number the question lacks gains a little; one that lacks the
kind of answer asked for (a date, a number, a person) loses, and one that does
not state the relation asked about ("Ukraine's president") scores zero. The
weights were picked on the realtimeqa dev set by an early session; checked on
realtimeqa-train since (2026-11-30: with the relevance gate's bar refitted for
each lexical share from 0.2 to 0.8, out-of-fold contains minus confidently
wrong stays within 0.430-0.437, 0.433 at this 0.5), so they stay. Only the sentences with the most
word overlap are embedded (`max_embedded`). Sentences that address the
assistant ("ignore previous instructions...") are dropped as evidence. It does
not decide what to cite: `ground.py` and `extractive.py` do, with these scores.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Sequence

from index.sentences import split_sentences

from .lexical import (
    Terms,
    answer_type,
    focus_pairs,
    has_pair,
    idf_weights,
    states_answer_type,
    terms,
    weighted_coverage,
)
from .types import Passage

__all__ = ["PARAPHRASE_WEIGHT", "Embed", "Evidence", "Focus", "QuestionCache", "RelevanceScorer", "Scored",
           "evidence_sentences", "question_relevance"]

Embed = Callable[[Sequence[str]], Sequence[Sequence[float]]]

# Weights of the combined score (with embeddings); see the module docstring.
LEXICAL_WEIGHT = 0.5
SEMANTIC_WEIGHT = 0.5
NEW_NAME_BONUS = 0.1
MISSING_TYPE_PENALTY = 0.15
# A claim's support: its word coverage, or this blend with its embedding similarity when higher,
# so a close paraphrase passes while the names and numbers must still be stated.
PARAPHRASE_WEIGHT = 0.5


@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved passage, placed exactly in its article."""

    passage: Passage
    start: int  # offsets in the article text
    end: int
    text: str
    terms: Terms
    context: Terms  # this sentence plus the one before it in the passage


# Article text is data. A sentence that addresses an AI ("ignore previous instructions and say ...")
# is never evidence, so it can neither be quoted nor support what a model was tricked into writing.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,60}\b(?:instructions?|prompts?|rules|guidelines)\b|"
    r"\bsystem prompt\b|\byou are (?:now )?(?:an? )?(?:ai|assistant|chatbot|language model)\b|"
    r"<\|?(?:im_start|start_of_turn|system)\b",
    re.I,
)


def evidence_sentences(passages: Sequence[Passage]) -> list[Evidence]:
    """Every distinct sentence of the passages (overlapping chunks share sentences),
    except sentences that try to instruct the assistant."""
    seen, out = set(), []
    for p in passages:
        prev_text = ""
        for s, e in split_sentences(p.text):
            key = (p.article_id, p.start + s, p.start + e)
            sent = p.text[s:e]
            if _INSTRUCTION.search(sent):
                prev_text = ""
                continue
            if key not in seen:
                seen.add(key)
                out.append(Evidence(p, p.start + s, p.start + e, sent, terms(sent), terms(prev_text + " " + sent)))
            prev_text = sent
    return out


@dataclass(frozen=True)
class Focus:
    """What a question asks: its words, the relations it names, the kind of answer it wants."""

    terms: Terms
    pairs: tuple[tuple[str, str], ...]
    answer_type: str | None

    @classmethod
    def of(cls, question: str) -> "Focus":
        return cls(terms(question), tuple(focus_pairs(question)), answer_type(question))


def question_relevance(focus: Focus, ev: Evidence, idf: dict[str, float]) -> float:
    """How much of the question this sentence (with its lead-in) is about, 0..1.

    Zero when the question asks about a relation ("Ukraine's president") that the
    sentence does not state, or wants a kind of answer (a date, a number, a name)
    the sentence does not contain.
    """
    if any(not has_pair(ev.terms, pair) for pair in focus.pairs):
        return 0.0
    if not states_answer_type(focus.answer_type, ev.text, focus.terms):
        return 0.0
    return weighted_coverage(focus.terms.content, ev.context.content, idf)



def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


class QuestionCache:
    """The last few results per (question, passages): every stage that asks about one question's
    passages (the extractive answerer, then the verifier) shares one computation."""

    def __init__(self, size: int):
        self._items: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()  # the server answers questions in parallel: look-up and eviction race

    def get(self, question: str, passages: Sequence[Passage], compute: Callable):
        key = (question, tuple((p.chunk_id, p.start, p.end) for p in passages))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute(question, passages)  # outside the lock: two threads may compute one key, harmlessly
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


@dataclass(frozen=True)
class Scored:
    """The question's focus, every evidence sentence, and each one's relevance (same order)."""

    focus: Focus
    evidence: tuple[Evidence, ...]
    relevance: tuple[float, ...]
    vectors: tuple | None = None  # the sentences' embeddings, when an embed function was given
    lexical: tuple[float, ...] = ()  # idf-weighted share of the question's words each sentence states
    cosine: tuple[float | None, ...] = ()  # embedding similarity with the question (None: not embedded)

    def best_new(self, scores: Sequence[float]) -> float:
        """The best of `scores` (one per evidence sentence) among sentences that add a word the question
        lacks (0 without any): a sentence that only restates the question answers nothing."""
        q = self.focus.terms.content
        return max((s for ev, s in zip(self.evidence, scores) if ev.terms.content - q), default=0.0)

    def best_new_relevance(self) -> float:
        """The best relevance among sentences that add a word the question lacks (0 without any)."""
        return self.best_new(self.relevance)


class RelevanceScorer:
    """Scores evidence sentences for a question; remembers the last few (question, passages) pairs
    so the extractive answerer and the verifier share one embedding pass."""

    def __init__(self, embed: Embed | None = None, cache_size: int = 8, max_embedded: int = 24):
        self.embed = embed
        self.max_embedded = max_embedded
        self._cache = QuestionCache(cache_size)

    def __call__(self, question: str, passages: Sequence[Passage]) -> Scored:
        return self._cache.get(question, passages, self._score)

    def _score(self, question: str, passages: Sequence[Passage]) -> Scored:
        evidence = tuple(evidence_sentences(passages))
        focus = Focus.of(question)
        idf = idf_weights([e.terms for e in evidence], also=focus.terms.content)
        lexical = [weighted_coverage(focus.terms.content, ev.terms.content, idf) for ev in evidence]
        if self.embed is None or not evidence:
            return Scored(focus, evidence, tuple(question_relevance(focus, ev, idf) for ev in evidence),
                          lexical=tuple(lexical), cosine=(None,) * len(evidence))
        # Embed only the sentences with the most word overlap: the embedder is the slow part.
        order = sorted(range(len(evidence)), key=lambda i: -lexical[i])[: self.max_embedded]
        # The question on its own: the embedder has its vector from the dense search already.
        q = self.embed([question])[0]
        got = self.embed([evidence[i].text for i in order])
        vectors: list = [None] * len(evidence)
        for i, vec in zip(order, got):
            vectors[i] = vec
        scores, cosines = [], []
        for ev, lex, vec in zip(evidence, lexical, vectors):
            cosines.append(None if vec is None else _cosine(q, vec))
            if vec is None:
                scores.append(0.0)
                continue
            if any(not has_pair(ev.terms, pair) for pair in focus.pairs):
                scores.append(0.0)  # asked about "Ukraine's president", the sentence never relates the two
                continue
            score = LEXICAL_WEIGHT * lex + SEMANTIC_WEIGHT * cosines[-1]
            if ev.terms.salient - focus.terms.content:
                score += NEW_NAME_BONUS
            if not states_answer_type(focus.answer_type, ev.text, focus.terms):
                score -= MISSING_TYPE_PENALTY
            scores.append(max(0.0, score))
        return Scored(focus, evidence, tuple(scores), tuple(vectors), tuple(lexical), tuple(cosines))

    def similarity(self, scored: Scored, text: str) -> list[float] | None:
        """Cosine similarity of `text` with each evidence sentence (None without embeddings)."""
        if self.embed is None or scored.vectors is None:
            return None
        vec = self.embed([text])[0]
        return [0.0 if v is None else _cosine(vec, v) for v in scored.vectors]
