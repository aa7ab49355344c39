"""The eval's scoring rules, as pure functions over strings, ids and flags.

Answer matching is SQuAD-style (normalised text, gold answers as alternatives);
retrieval is scored on the ranked, de-duplicated article ids (recall@k, MRR);
a citation is checked by `quote_supports`, a rule defined here and independent
of the assistant's own verifier (it imports nothing from `assistant`).
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

from assistant import CITATION_MARKER

__all__ = [
    "strip_citation_markers",
    "split_answer_sentences",
    "normalize_answer",
    "contains_answer",
    "exact_match",
    "token_f1",
    "is_confidently_wrong",
    "span_exact",
    "span_wrong",
    "distinct_ranked",
    "recall_at_k",
    "precision_coverage",
    "hit_at_k",
    "reciprocal_rank",
    "citations_correct",
    "quote_supports",
    "best_matching_sentence",
    "abstention_scores",
    "rate",
    "percentile",
    "MIN_CLAIM_COVERAGE",
    "STOPWORDS",
]

MIN_CLAIM_COVERAGE = 0.7  # share of a claim's new content words its cited sentence must contain
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_MARKER_NUMBERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence ends at . ! or ? (plus closing quotes and any [n] markers) followed by
# whitespace and something that can start a sentence. "3.5" and "e.g. the" do not split.
_SENTENCE_END = re.compile(r"([.!?]+[\"'\u201d\u2019)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*)\s+(?=[A-Z0-9\"'\u201c\u2018])")
_WORD = re.compile(r"\S+")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # U.S, U.K, D.C (the final dot is the one tested)
_ABBREVIATIONS = frozenset("mr mrs ms dr st jr sr prof gen sen rep gov lt col sgt capt cmdr adm rev "
                           "no vs etc inc corp co ltd jan feb mar apr jun jul aug sep sept oct nov dec".split())
# Function words that carry no claim of their own; names and numbers are never in here.
STOPWORDS = frozenset("""
a an the and or but nor so yet of in on at to for from by with about as into onto over under than then
that this these those there here it its it's is are was were be been being am do does did done has have
had having will would shall should can could may might must not no yes he she they them their his her
him hers we us our you your i me my mine who whom whose which what when where why how also just only
very more most less least such any some all each every both either neither other another same own
if while after before because since until unless though although whether s said says say told
""".split())


def strip_citation_markers(text: str) -> str:
    """The answer without its [n] markers, so a gold answer "1" never matches "[1]"."""
    return CITATION_MARKER.sub("", text)


def _ends_sentence(text: str, dot: int) -> bool:
    """Whether the punctuation at `dot` ends a sentence rather than an abbreviation ("U.S.", "Mr.")."""
    if text[dot] != ".":
        return True
    word = text[:dot].rsplit(None, 1)[-1].lstrip("\"'(\u201c\u2018") if text[:dot].strip() else ""
    return not (_INITIALS.fullmatch(word) or word.lower() in _ABBREVIATIONS)


def split_answer_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """An answer's sentences as (sentence without markers, the [n] numbers it carries).

    A sentence ends at . ! or ? (plus closing quotes and [n] markers) followed by
    whitespace and a capital, digit or opening quote; "3.5", "U.S. President"
    and "Mr. Biden" do not end one. A marker belongs to the sentence it
    follows, before or after the closing punctuation ("... Macron [1]." or
    "... Macron. [1]").
    """
    text = text.strip()
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if _ends_sentence(text, m.start(1)):
            parts.append(text[start:m.end(1)])
            start = m.end()
    parts.append(text[start:])
    out = []
    for part in parts:
        numbers = tuple(int(n) for group in _MARKER_NUMBERS.findall(part) for n in group.split(","))
        sentence = " ".join(strip_citation_markers(part).split())
        if sentence:
            out.append((sentence, numbers))
    return out


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


def is_confidently_wrong(answer: str, answers: Iterable[str], abstained: bool) -> bool:
    """True when an answer was given (not abstained) and it contains no gold answer (`contains_answer`).

    Meant for answerable questions: a wrong answer shown with its citations, the
    worst outcome for a user (an abstention is never confidently wrong).
    """
    return not abstained and not contains_answer(answer, answers)


def span_exact(span: str, answers: Iterable[str]) -> bool:
    """True when the short answer `span` is non-empty and exactly matches a gold answer (normalised)."""
    return bool(normalize_answer(span or "")) and exact_match(span, answers)


def span_wrong(span: str, answers: Iterable[str]) -> bool:
    """True when the short answer `span` is non-empty and names no gold answer: neither holds the other,
    normalised ("French President Emmanuel Macron" names "Emmanuel Macron"; "Vladimir Putin" does not name
    "Jen Psaki"). The phrase an answer leads with is what a reader takes for the answer, so a wrong one is
    a wrong answer even when a later cited sentence holds the gold one (which `contains_answer` credits)."""
    phrase = normalize_answer(span or "")
    if not phrase:
        return False
    golds = [g for g in map(normalize_answer, answers) if g]
    return bool(golds) and not any(f" {g} " in f" {phrase} " or f" {phrase} " in f" {g} " for g in golds)


def distinct_ranked(ids: Iterable[str]) -> list[str]:
    """`ids` in rank order with repeats removed (several passages of one article count once)."""
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i, None)
    return list(seen)


def recall_at_k(ranked_ids: Sequence[str], gold_ids: Iterable[str], k: int) -> float:
    """Share of the gold ids among the first `k` distinct ranked ids (0 with no gold ids).

    With fewer than `k` distinct ids ranked, it is computed on what is there.
    """
    gold = set(gold_ids)
    return len(gold & set(distinct_ranked(ranked_ids)[:k])) / len(gold) if gold else 0.0


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


def _salient(claim: str) -> set[str]:
    """Normalised tokens of the claim's numbers and capitalised names (not function words)."""
    out: set[str] = set()
    for word in _WORD.findall(claim):
        core = word.strip("\"'()[]{}.,;:!?\u201c\u201d\u2018\u2019")
        if not core:
            continue
        if any(ch.isdigit() for ch in core) or (core[0].isupper() and core.lower() not in STOPWORDS):
            out.update(t for t in normalize_answer(core).split() if t not in STOPWORDS)
    return out


def _content(text: str) -> set[str]:
    return {t for t in normalize_answer(text).split() if t not in STOPWORDS and (len(t) > 1 or t.isdigit())}


def quote_supports(quote: str, claim: str, question: str = "", min_coverage: float = MIN_CLAIM_COVERAGE) -> bool:
    """Whether the cited sentence `quote` supports `claim` (the eval's own rule).

    Both are SQuAD-normalised and the claim's [n] markers dropped. Supported when
    the normalised quote contains the whole normalised claim, or when (a) every
    number and capitalised name token of the claim occurs in the quote and (b)
    at least `min_coverage` of the claim's content tokens (not stopwords) that are
    not in `question` occur in the quote; when the claim adds no token to the
    question, all its content tokens count. No stemming: "proposal" does not
    support "proposed". A claim with no content tokens is never supported.
    """
    claim = strip_citation_markers(claim)
    norm_claim, norm_quote = normalize_answer(claim), normalize_answer(quote)
    quote_tokens = set(norm_quote.split())
    content = _content(claim)
    if not content:
        return False
    if f" {norm_claim} " in f" {norm_quote} ":
        return True
    if _salient(claim) - quote_tokens:
        return False
    new = (content - set(normalize_answer(question).split())) or content
    return len(new & quote_tokens) / len(new) >= min_coverage


def best_matching_sentence(claim: str, sentences: Sequence[str]) -> str:
    """The sentence sharing the most normalised content tokens with `claim` ("" if none share any)."""
    want = _content(strip_citation_markers(claim))
    best, best_score = "", 0
    for s in sentences:
        score = len(want & _content(s))
        if score > best_score:
            best, best_score = s, score
    return best


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Abstention quality over paired per-question flags.

    precision: share of abstentions that were on unanswerable questions;
    recall: share of unanswerable questions abstained on; false_rate: share of
    answerable ones abstained on; accuracy: share of all where abstained is
    exactly "not answerable". None where a share has no questions.
    """
    pairs = list(zip(abstained, answerable, strict=True))
    return {
        "precision": rate(not ok for a, ok in pairs if a),
        "recall": rate(a for a, ok in pairs if not ok),
        "false_rate": rate(a for a, ok in pairs if ok),
        "accuracy": rate(a != ok for a, ok in pairs),
    }


def precision_coverage(points: Sequence[tuple[float, bool]], total: int) -> list[tuple[float, float, float]]:
    """The precision/coverage curve of answering only above a confidence threshold.

    `points` are (confidence, right) for every answered question (an answered unanswerable question is
    never right); `total` counts every question. One (threshold, coverage, precision) per distinct
    confidence, highest first: coverage = share of all questions answered at or above the threshold,
    precision = share of those answers that are right. Abstained questions cannot be scored, so the curve
    ends at the run's own coverage."""
    ranked = sorted(points, key=lambda p: -p[0])
    out: list[tuple[float, float, float]] = []
    right = 0
    for i, (conf, ok) in enumerate(ranked, start=1):
        right += bool(ok)
        if i == len(ranked) or ranked[i][0] != conf:
            out.append((conf, i / max(1, total), right / i))
    return out


def rate(flags: Iterable[bool | float | None]) -> float | None:
    """The mean of `flags` (booleans count 0/1, None is skipped); None for no flags, not 0."""
    values = [float(f) for f in flags if f is not None]
    return sum(values) / len(values) if values else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """The `q`-th percentile (0..100) with linear interpolation, as numpy's default; None if empty."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
