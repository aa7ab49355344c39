"""The eval's scoring rules, as pure functions over strings, ids and flags.

Answer matching is SQuAD-style (normalised text, gold answers as alternatives);
retrieval is scored on ranked relevance flags (hit@k, reciprocal rank);
citations are checked against the gold article ids and evidence substrings.
Nothing here calls the assistant, reads files or loads a model, and nothing
judges paraphrase: a correct answer worded differently from every gold string
counts as wrong, so gold sets list the usual wordings.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Iterable, Sequence

from assistant.lexical import terms

__all__ = [
    "strip_citation_markers",
    "normalize_answer",
    "contains_answer",
    "exact_match",
    "token_f1",
    "hit_at_k",
    "reciprocal_rank",
    "citations_correct",
    "quote_supports",
    "abstention_scores",
    "rate",
    "percentile",
    "MIN_QUOTE_COVERAGE",
]

MIN_QUOTE_COVERAGE = 0.6  # share of a claim's content words its quote must contain
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def strip_citation_markers(text: str) -> str:
    """The answer without its [n] markers, so a gold answer "1" never matches "[1]"."""
    return _MARKER.sub("", text)


def normalize_answer(text: str) -> str:
    """Lower-case, punctuation to spaces, drop a/an/the, collapse whitespace.

    As SQuAD's normaliser, except that punctuation becomes a space instead of
    vanishing, so "30-country" still contains the answer "30" and "150,000" in
    an answer matches "150,000" in the text (both become "150 000").
    """
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text.lower())
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """True when some answer, normalised, occurs in normalised `text` as whole words."""
    haystack = f" {normalize_answer(text)} "
    return any(norm and f" {norm} " in haystack for norm in map(normalize_answer, answers))


def exact_match(prediction: str, answers: Iterable[str]) -> bool:
    """True when normalised `prediction` equals some normalised answer."""
    pred = normalize_answer(prediction)
    return any(pred == normalize_answer(a) for a in answers)


def token_f1(prediction: str, answers: Iterable[str]) -> float:
    """The best SQuAD token F1 of `prediction` against any of `answers` (0 when there are none)."""
    pred = normalize_answer(prediction).split()
    best = 0.0
    for answer in answers:
        gold = normalize_answer(answer).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            precision, recall = common / len(pred), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def hit_at_k(relevant: Sequence[bool], k: int) -> bool:
    """True when one of the first `k` ranked items is relevant."""
    return any(relevant[:k])


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    """1 / rank of the first relevant item (ranks from 1); 0 when none is."""
    return next((1.0 / rank for rank, hit in enumerate(relevant, start=1) if hit), 0.0)


def citations_correct(citations: Sequence[tuple[str, str]], evidence_ids: Iterable[str],
                      evidence: Iterable[str]) -> bool:
    """Whether (article_id, quote) `citations` point at the gold evidence.

    All must come from a gold article, and at least one quote must contain a
    gold evidence substring (normalised). No citations is never correct; with
    no gold evidence strings only the article ids are checked.
    """
    gold_ids, evidence = set(evidence_ids), list(evidence)
    if not citations or any(article_id not in gold_ids for article_id, _ in citations):
        return False
    return not evidence or any(contains_answer(quote, evidence) for _, quote in citations)


def quote_supports(quote: str, claim: str, min_coverage: float = MIN_QUOTE_COVERAGE) -> bool:
    """Whether `quote` supports `claim`: it states every name and number of the claim
    and at least `min_coverage` of the claim's content words (lightly stemmed,
    unweighted; see assistant.lexical.terms). A claim with no content words is unsupported.
    """
    c, q = terms(claim), terms(quote)
    if not c.content or c.salient - q.content:
        return False
    return len(c.content & q.content) / len(c.content) >= min_coverage


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Abstention quality over paired per-question flags.

    recall: share of unanswerable questions abstained on; false_rate: share of
    answerable ones abstained on; accuracy: share of all where abstained is
    exactly "not answerable". None where a share has no questions.
    """
    pairs = list(zip(abstained, answerable, strict=True))
    return {
        "recall": rate(a for a, ok in pairs if not ok),
        "false_rate": rate(a for a, ok in pairs if ok),
        "accuracy": rate(a != ok for a, ok in pairs),
    }


def rate(flags: Iterable[bool | float]) -> float | None:
    """The mean of `flags` (booleans count 0/1); None for no flags, not 0."""
    values = [float(f) for f in flags]
    return sum(values) / len(values) if values else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """The `q`-th percentile (0..100) with linear interpolation, as numpy's default; None if empty."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
