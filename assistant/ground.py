"""Verify a draft answer against the retrieved passages and attach citations.

The draft (from any generator) is split into claims, one per sentence. Each
claim is matched against every sentence of the retrieved passages; it survives
only if one article sentence (a) contains every name and number the claim
states, (b) covers most of the claim's content words, and most of those it
adds beyond the question, and (c) is about what was asked. Surviving claims
get an [n] pointing at that sentence, with its exact character offsets in the
article. Markers a model wrote itself are discarded and recomputed: a model is
never trusted to cite. If no claim survives, the answer abstains. Paraphrase
beyond light stemming is not recognised (no embeddings here); that errs toward
dropping, never toward inventing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

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
from .types import Citation, Claim, Passage

__all__ = [
    "ABSTAIN_TEXT", "Evidence", "Focus", "Grounded", "evidence_sentences", "ground_answer", "question_relevance",
]

ABSTAIN_TEXT = "The articles I have do not answer that."
_MODEL_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_REFUSAL = re.compile(
    r"\b(not (?:in|mentioned in|stated in|given in) the (?:articles?|excerpts?|text)|"
    r"(?:do|does) not (?:say|mention|state)|no information|cannot answer|can't answer|"
    r"i don't know|i do not know|^unknown|^not (?:mentioned|specified|stated))\b",
    re.I,
)


@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved passage, placed exactly in its article."""

    passage: Passage
    start: int  # offsets in the article text
    end: int
    text: str
    terms: Terms
    context: Terms  # this sentence plus the one before it in the passage


@dataclass(frozen=True)
class Grounded:
    text: str
    citations: tuple[Citation, ...]
    claims: tuple[Claim, ...]
    abstained: bool


def evidence_sentences(passages: Sequence[Passage]) -> list[Evidence]:
    """Every distinct sentence of the passages (overlapping chunks share sentences)."""
    seen, out = set(), []
    for p in passages:
        prev_text = ""
        for s, e in split_sentences(p.text):
            key = (p.article_id, p.start + s, p.start + e)
            sent = p.text[s:e]
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


def _surface_words(text: str, stems: set[str]) -> list[str]:
    """The words of `text` (as written) whose stems are in `stems`, in order, once each."""
    words = []
    for word in re.findall(r"[\w.'\u2019-]+", text):
        word = word.strip(".,'\u2019")
        if word and terms(word).content & stems and word not in words:
            words.append(word)
    return words


def _with_marker(claim: str, n: int) -> str:
    claim = claim.rstrip()
    m = re.search(r"[.!?]+[\"'\u201d\u2019]*$", claim)
    if m:
        return f"{claim[:m.start()]} [{n}]{claim[m.start():]}"
    return f"{claim} [{n}]."


def ground_answer(
    question: str,
    draft: str,
    passages: Sequence[Passage],
    min_support: float = 0.6,
    min_relevance: float = 0.5,
) -> Grounded:
    """Keep only the claims of `draft` that a retrieved sentence supports; cite each."""
    evidence = evidence_sentences(passages)
    focus = Focus.of(question)
    idf = idf_weights([e.terms for e in evidence], also=focus.terms.content | terms(draft).content)

    claims: list[Claim] = []
    citations: list[Citation] = []
    kept: list[str] = []
    clean_draft = _MODEL_MARKER.sub("", draft).strip()
    for s, e in split_sentences(clean_draft):
        text = clean_draft[s:e].strip()
        ct = terms(text)
        if _REFUSAL.search(text):
            claims.append(Claim(text, False, 0.0, reason="the model said the articles do not answer"))
            continue
        if not ct.content:
            claims.append(Claim(text, False, 0.0, reason="no content to check"))
            continue
        if text.endswith("?"):
            claims.append(Claim(text, False, 0.0, reason="a question, not an answer"))
            continue
        new_words = ct.content - focus.terms.content
        if not new_words:
            claims.append(Claim(text, False, 0.0, reason="only restates the question"))
            continue
        best, best_key = None, (-1.0, -1.0)
        for ev in evidence:
            if ct.salient - ev.terms.content:
                continue  # a name or number the sentence does not state
            # What the claim adds beyond the question must be supported too, not just its echo of it.
            support = min(weighted_coverage(ct.content, ev.terms.content, idf),
                          weighted_coverage(new_words, ev.terms.content, idf))
            key = (support, question_relevance(focus, ev, idf))
            if key > best_key:
                best, best_key = ev, key
        if best is None:
            stated = set().union(*(ev.terms.content for ev in evidence)) if evidence else set()
            missing = _surface_words(text, ct.salient - stated)
            why = f"no retrieved article mentions {', '.join(missing)}" if missing else "no retrieved sentence states it"
            claims.append(Claim(text, False, 0.0, reason=why))
            continue
        support, relevance = best_key
        if support < min_support:
            claims.append(Claim(text, False, round(support, 3), reason="not supported by any retrieved sentence"))
            continue
        if relevance < min_relevance:
            claims.append(Claim(text, False, round(support, 3), reason="supported, but not about the question"))
            continue
        n = next((c.n for c in citations if c.article_id == best.passage.article_id and c.start == best.start), 0)
        if not n:
            n = len(citations) + 1
            p = best.passage
            citations.append(
                Citation(n, p.article_id, p.title, p.url, p.published_at, best.text, best.start, best.end,
                         round(support, 3), p.source)
            )
        claims.append(Claim(text, True, round(support, 3), citation=n))
        kept.append(_with_marker(text, n))

    if not kept:
        return Grounded(ABSTAIN_TEXT, (), tuple(claims), True)
    return Grounded(" ".join(kept), tuple(citations), tuple(claims), False)
