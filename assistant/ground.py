"""Verify a draft answer against the retrieved passages and attach citations.

The draft (from any generator) is split into claims, one per sentence. Each
claim is matched against every sentence of the retrieved passages; it survives
only if one article sentence (a) contains every name and number the claim
states, (b) covers most of the claim's content words, and most of those it
adds beyond the question, and (c) answers what was asked: its relevance (see
relevance.py) reaches `min_relevance` and comes within BEST_ANSWER_MARGIN of
the best-answering sentence retrieved. Surviving claims
get an [n] pointing at that sentence, with its exact character offsets in the
article. Markers a model wrote itself are discarded and recomputed: a model is
never trusted to cite. If no claim survives, the answer abstains. With an
embedding function (see relevance.py) a close paraphrase counts as support and
"about the question" blends word overlap with embedding similarity; names and
numbers must be stated word for word either way, which errs toward dropping,
never toward inventing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from index.sentences import split_sentences

from .lexical import idf_weights, terms, weighted_coverage
from .relevance import PARAPHRASE_WEIGHT, RelevanceScorer
from .settings import DEFAULT_SETTINGS, Settings
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
) -> Grounded:
    """Keep only the claims of `draft` that a retrieved sentence supports; cite each
    (thresholds: `settings.min_support`, `settings.min_relevance`)."""
    min_support, min_relevance = settings.min_support, settings.min_relevance
    scorer = scorer or RelevanceScorer()
    scored = scorer(question, passages)
    evidence, focus = scored.evidence, scored.focus
    idf = idf_weights([e.terms for e in evidence], also=focus.terms.content | terms(draft).content)

    claims: list[Claim] = []
    citations: list[Citation] = []
    kept: list[str] = []
    quoted = {" ".join(ev.text.split()) for ev in evidence}
    # A claim answers the question only if its sentence is among the best answers retrieved: "South Korea."
    # is not verified by a sentence that merely mentions South Korea near the topic.
    top_relevance = max((r for ev, r in zip(evidence, scored.relevance) if ev.terms.content - focus.terms.content),
                        default=0.0)
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
        best, best_key = None, (-1.0, -1.0)
        similarity = None
        for i, ev in enumerate(evidence):
            if ct.salient - ev.terms.content:
                continue  # a name or number the sentence does not state
            # What the claim adds beyond the question must be supported too, not just its echo of it.
            support = min(weighted_coverage(ct.content, ev.terms.content, idf),
                          weighted_coverage(new_words, ev.terms.content, idf))
            if support < min_support and scorer.embed is not None:
                if similarity is None:
                    similarity = scorer.similarity(scored, text) or [0.0] * len(evidence)
                support = max(support, (1 - PARAPHRASE_WEIGHT) * support + PARAPHRASE_WEIGHT * similarity[i])
            key = (support, scored.relevance[i])
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
        if relevance < top_relevance - BEST_ANSWER_MARGIN:
            claims.append(Claim(text, False, round(support, 3),
                                reason="supported, but other retrieved sentences answer the question better"))
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
        kept.append(with_marker(text, n))

    if not kept:
        return Grounded(ABSTAIN_TEXT, (), tuple(claims), True)
    return Grounded(" ".join(kept), tuple(citations), tuple(claims), False)
