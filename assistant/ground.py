"""Verify a draft answer against the retrieved passages and attach citations.

The draft (from any generator) is split into claims, one per sentence. Each
claim is matched against every sentence of the retrieved passages; it survives
only if one article sentence (a) contains every name and number the claim
states, (b) covers most of the claim's content words, and most of those it
adds beyond the question (or, with embeddings, is a close paraphrase), and (c)
answers what was asked: the learned ranker's probability that it answers
(ranker.py) reaches the fitted threshold and comes within the fitted margin of
the best retrieved sentence (with its relevance gate: relevance.py's best
sentence must reach `min_relevance` too; without a ranker: relevance.py's
score, `min_relevance` and BEST_ANSWER_MARGIN). A short answer from the local model
must in addition be a phrase copied verbatim from that sentence, of the kind
the question asks for (spans.py: a person for "who", a number for "how many"),
so "The French president and the Russian president" never passes for "who
proposed". Surviving claims get an [n] pointing at that sentence, with its
exact character offsets in the article; the answer leads with the phrase that
answers (a name, number, date, place), copied from the first cited sentence,
then the cited sentences. Markers a model wrote itself are discarded and
recomputed: a model is never trusted to cite. If no claim survives, the
answer abstains. Names and numbers must be stated word for word, which errs
toward dropping, never toward inventing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from index.sentences import split_sentences

from .lexical import idf_weights, terms, weighted_coverage
from .ranker import AnswerRanker
from .relevance import PARAPHRASE_WEIGHT, RelevanceScorer
from .settings import DEFAULT_SETTINGS, Settings
from .spans import asked_types, find_verbatim, is_typed_span, joined_answer
from .types import CITATION_MARKER, Citation, Claim, Passage, with_marker

__all__ = ["ABSTAIN_TEXT", "Grounded", "ground_answer"]

ABSTAIN_TEXT = "The articles I have do not say."
BEST_ANSWER_MARGIN = 0.1
_REFUSAL = re.compile(
    r"\b(not (?:in|mentioned in|stated in|given in) the (?:articles?|excerpts?|text)|"
    r"(?:do|does) not (?:say|mention|state)|no information|cannot answer|can't answer|"
    r"i don't know|i do not know|^unknown|^not (?:mentioned|specified|stated))\b",
    re.I,
)


@dataclass(frozen=True)
class Grounded:
    text: str
    citations: tuple[Citation, ...]
    claims: tuple[Claim, ...]
    abstained: bool
    span: str = ""  # the short answer leading `text`, verbatim from citations[0].quote ("" when none)
    confidence: float = 0.0  # answer score of the first cited sentence; when abstaining, of the best one


def _claims(draft: str, quoted: set[str]) -> list[str]:
    """The draft's sentences, one claim each. Lines are split separately, and a line that
    quotes a retrieved sentence exactly stays whole (the splitter may cut it otherwise)."""
    claims = []
    for line in draft.splitlines():
        line = line.strip()
        if " ".join(line.split()) in quoted:
            claims.append(line)
            continue
        claims += [line[s:e].strip() for s, e in split_sentences(line) if line[s:e].strip()]
    return claims


def _surface_words(text: str, stems: set[str]) -> list[str]:
    """The words of `text` (as written) whose stems are in `stems`, in order, once each."""
    words = []
    for word in re.findall(r"[\w.'\u2019-]+", text):
        word = word.strip(".,'\u2019")
        if word and terms(word).content & stems and word not in words:
            words.append(word)
    return words


def ground_answer(
    question: str,
    draft: str,
    passages: Sequence[Passage],
    settings: Settings = DEFAULT_SETTINGS,
    scorer: RelevanceScorer | None = None,
    ranker: AnswerRanker | None = None,
    short_answers: bool = False,
) -> Grounded:
    """Keep only the claims of `draft` that a retrieved sentence supports; cite each.

    How well a sentence answers the question is the ranker's probability (threshold and margin
    fitted with it) or, without a ranker, relevance.py's score (`settings.min_relevance`,
    BEST_ANSWER_MARGIN). With `short_answers` (the local model answers with a phrase) every claim
    must be a verbatim phrase of its sentence, of the kind the question asks for."""
    min_support = settings.min_support
    scorer = scorer or (ranker.scorer if ranker is not None else RelevanceScorer())
    scored = scorer(question, passages)
    evidence, focus = scored.evidence, scored.focus
    idf = idf_weights([e.terms for e in evidence], also=focus.terms.content | terms(draft).content)
    if ranker is not None:
        by_place = {(r.evidence.passage.article_id, r.evidence.start): r for r in ranker(question, passages)}
        ranked = [by_place.get((ev.passage.article_id, ev.start)) for ev in evidence]
        answers = [r.probability if r is not None else 0.0 for r in ranked]
        threshold, margin = ranker.model.threshold, ranker.model.margin
    else:
        ranked = [None] * len(evidence)
        answers = list(scored.relevance)
        threshold, margin = settings.min_relevance, BEST_ANSWER_MARGIN

    claims: list[Claim] = []
    citations: list[Citation] = []
    kept: list[str] = []
    span = ""
    lead = False  # the span leads the text when the answer quotes its sentence (free text keeps its own words)
    quoted = {" ".join(ev.text.split()) for ev in evidence}
    # A claim answers the question only if its sentence is among the best answers retrieved: "South Korea."
    # is not verified by a sentence that merely mentions South Korea near the topic.
    typed = bool(asked_types(question))
    confidence = 0.0
    top_answer = scored.best_new(answers)
    for text in _claims(CITATION_MARKER.sub("", draft).strip(), quoted):
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
        best_i, best_key = None, (-1.0, -1.0)
        similarity = None
        for i, ev in enumerate(evidence):
            if ct.salient - ev.terms.content:
                continue  # a name or number the sentence does not state
            if short_answers and find_verbatim(text, ev.text) is None:
                continue  # a short answer is a phrase copied from its sentence, never a paraphrase
            # What the claim adds beyond the question must be supported too, not just its echo of it.
            support = min(weighted_coverage(ct.content, ev.terms.content, idf),
                          weighted_coverage(new_words, ev.terms.content, idf))
            if support < min_support and scorer.embed is not None and not short_answers:
                if similarity is None:
                    similarity = scorer.similarity(scored, text) or [0.0] * len(evidence)
                support = max(support, (1 - PARAPHRASE_WEIGHT) * support + PARAPHRASE_WEIGHT * similarity[i])
            key = (support, answers[i])
            if key > best_key:
                best_i, best_key = i, key
        if best_i is None:
            stated = set().union(*(ev.terms.content for ev in evidence)) if evidence else set()
            missing = _surface_words(text, ct.salient - stated)
            why = f"no retrieved article mentions {', '.join(missing)}" if missing else (
                "not a phrase copied from a retrieved sentence" if short_answers else "no retrieved sentence states it")
            claims.append(Claim(text, False, 0.0, reason=why))
            continue
        best = evidence[best_i]
        support, answer = best_key
        if support < min_support:
            claims.append(Claim(text, False, round(support, 3), reason="not supported by any retrieved sentence"))
            continue
        if answer < threshold:
            claims.append(Claim(text, False, round(support, 3), reason="supported, but not about the question"))
            continue
        if answer < top_answer - margin:
            claims.append(Claim(text, False, round(support, 3),
                                reason="supported, but other retrieved sentences answer the question better"))
            continue
        if short_answers and ranker is not None and not is_typed_span(
                question, text, best.text, ranker.entities_of(best.text)):
            claims.append(Claim(text, False, round(support, 3),
                                reason="not the kind of answer asked for (a name, number, date or place)"))
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
        if not kept:
            confidence = answer
        if short_answers:
            # The phrase leads; its sentence follows as the evidence the reader can check.
            if not kept:
                where = find_verbatim(text, best.text)
                span, lead = best.text[where[0]:where[1]], True
            kept.append(with_marker(best.text, n))
            continue
        if not kept and ranked[best_i] is not None and typed:
            # Only a question that asks for a kind of thing (who, how many, which country) gets a phrase
            # lead: for "what did they vow" any entity of the sentence would read as a wrong answer.
            spans = [e for e in ranked[best_i].spans if find_verbatim(e.text, text)]
            span = (joined_answer(question, best.text, spans) or spans[0].text) if spans else ""
            lead = " ".join(text.split()) in quoted
        kept.append(with_marker(text, n))

    if not kept:
        return Grounded(ABSTAIN_TEXT, (), tuple(claims), True, confidence=max(answers, default=0.0))
    kept = list(dict.fromkeys(kept))
    body = " ".join(kept)
    return Grounded(f"{span} \u2014 {body}" if span and lead else body, tuple(citations), tuple(claims), False, span,
                    confidence)
