"""Which retrieved sentence answers the question: a learned ranker over evidence sentences.

`AnswerRanker(question, passages)` scores every sentence of the retrieved
passages with a logistic model (`RankerModel`, weights fitted on
realtimeqa-train by `python -m eval.fit`, shipped as assistant/models/ranker.json)
over features that say whether a sentence answers: how much of the question it
states (idf-weighted words, with context; MiniLM similarity), whether it holds
a phrase of the kind asked for (spaCy entities: a person for "who", a number for
"how many", a country for "which country") that the question lacks, whether it
states the relation asked about ("Ukraine's president"), where its passage
ranked and where it sits in its article. The score is a probability that the
sentence contains the answer; one threshold on it (fitted for a stated false
abstention rate) decides answer vs abstain; with a relevance bar (the
relevance gate) nothing answers unless relevance.py's best sentence reaches it. Entities are tagged only for the
sentences a cheap pre-score puts first (`tag_top`), and none behind a shut
relevance gate, which keeps ranking fast.

It does not retrieve, draft or cite; `extractive.py` and `ground.py` use it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from index.clean import strip_accents

from .entities import Entity, EntityTagger
from .lexical import Terms, has_pair, states_answer_type, terms
from .relevance import Evidence, QuestionCache, RelevanceScorer, Scored
from .spans import NUMERIC_LABELS, answer_spans, asked_types, lead_order, preferred_types
from .types import Passage

__all__ = ["FEATURES", "DEFAULT_MODEL_PATH", "AnswerRanker", "Ranked", "RankerModel", "gated", "sentence_features",
           "untyped_answer"]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "models" / "ranker.json"

FEATURES = (
    "lexical",  # idf-weighted share of the question's words the sentence states
    "lexical_context",  # the same over the sentence and the one before it
    "lexical_gap",  # lexical minus the best lexical among all candidates (<= 0)
    "cosine",  # MiniLM similarity with the question (0 when not embedded)
    "cosine_gap",  # cosine minus the best cosine among all candidates (<= 0)
    "passage_rank",  # 1 / (1 + rank of its passage in retrieval order)
    "lede",  # near the top of its article
    "new_names",  # names and numbers the question does not have (share of 3)
    "relation",  # states every "X's Y" relation the question asks about
    "type_words",  # has a word of the kind asked (a date, a number, a new name) by the word rules
    "typed_span",  # asked a typed question and holds an entity of that type the question lacks
    "typed_question",  # the question asks for a type of entity at all
    "new_entity",  # holds any entity the question lacks
    "length",  # words, up to 60, scaled to 0..1
    "passage_words",  # share of the question's words its passage states anywhere
    "passage_names",  # share of the question's names and numbers its passage states (1 when it has none)
    "span_near",  # 1 / (1 + words between its best answer phrase and the nearest question word); 0 without one
    "span_preferred",  # its best answer phrase has a first-choice label (a person for "who", not a country)
    "article_rank",  # 1 / (1 + rank of its article among the distinct retrieved articles)
)


RELATION = FEATURES.index("relation")
TYPED_SPAN = FEATURES.index("typed_span")
TYPED_QUESTION = FEATURES.index("typed_question")


def untyped_answer(x: Sequence[float]) -> bool:
    """The question asks for a kind of phrase (a person, a date, a number...) the sentence does not hold."""
    return bool(x[TYPED_QUESTION]) and not x[TYPED_SPAN]


@dataclass(frozen=True)
class RankerModel:
    """Standardised logistic regression: p = sigmoid(bias + sum(w * (x - mean) / scale))."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # answer only when the best sentence's probability reaches this
    margin: float  # a cited sentence must score within this of the best one
    info: dict  # how and on what it was fitted
    # A sentence without a phrase of the asked kind answers only when its probability reaches this (fitted
    # by eval.fit; the plain threshold when the model file predates it).
    untyped_threshold: float | None = None
    # The relevance gate's bar fitted with the model (factory.gate_bar; None in a model file from before).
    relevance_bar: float | None = None

    @property
    def untyped_bar(self) -> float:
        return self.threshold if self.untyped_threshold is None else self.untyped_threshold

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_PATH) -> "RankerModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: fitted for features {data['features']}, this code computes {list(FEATURES)}; "
                             "rerun python -m eval.fit")
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                   float(data["bias"]), float(data["threshold"]), float(data["margin"]), dict(data.get("info", {})),
                   data.get("untyped_threshold"), data.get("relevance_bar"))

    def probability(self, x: Sequence[float]) -> float:
        z = self.bias + sum(w * (v - m) / s for w, v, m, s in zip(self.weights, x, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


@dataclass(frozen=True)
class Ranked:
    """One evidence sentence with its probability of answering and the answer spans it holds."""

    evidence: Evidence
    probability: float
    spans: tuple[Entity, ...]  # entities of the asked type the question lacks, in the order an answer leads
    features: tuple[float, ...]


def _words(text: str) -> int:
    return len(text.split())


def sentence_features(scored: Scored, i: int, passage_rank: int, entities: Sequence[Entity] | None,
                      spans: Sequence[Entity], typed: bool, passage_terms: Terms,
                      preferred: frozenset[str] = frozenset(), article_rank: int = 0) -> tuple[float, ...]:
    """The FEATURES of evidence sentence `i` (`entities` None: not tagged, counts as none found;
    `article_rank`: its article's place among the distinct retrieved articles, 0 first)."""
    ev = scored.evidence[i]
    focus = scored.focus
    lexical = scored.lexical[i]
    cosines = [c for c in scored.cosine if c is not None]
    cosine = scored.cosine[i] if scored.cosine[i] is not None else 0.0
    context = ev.context.content
    share = sum(1 for s in focus.terms.content if s in context) / max(1, len(focus.terms.content))
    question_words = {w.lower() for w in focus.terms.stems}
    new_entity = any(not set(e.text.lower().split()) <= question_words for e in entities or ())
    return (
        lexical,
        share,
        lexical - max(scored.lexical, default=0.0),
        cosine,
        (cosine - max(cosines)) if scored.cosine[i] is not None and cosines else -1.0,
        1.0 / (1 + passage_rank),
        1.0 / (1 + ev.start / 300.0),
        min(len(ev.terms.salient - focus.terms.content), 3) / 3.0,
        1.0 if all(has_pair(ev.terms, pair) for pair in focus.pairs) else 0.0,
        1.0 if states_answer_type(focus.answer_type, ev.text, focus.terms) else 0.0,
        1.0 if typed and spans else 0.0,
        1.0 if typed else 0.0,
        1.0 if new_entity else 0.0,
        min(_words(ev.text), 60) / 60.0,
        _share(focus.terms.content, passage_terms.content),
        _share(focus.terms.salient, passage_terms.content) if focus.terms.salient else 1.0,
        _nearness(ev.text, spans[0], focus.terms.content) if spans else 0.0,
        1.0 if spans and spans[0].label in preferred else 0.0,
        1.0 / (1 + article_rank),
    )


_WORD = re.compile(r"\S+")


def _nearness(sentence: str, span: Entity, question: frozenset[str]) -> float:
    """1 / (1 + words between `span` and the nearest word of the sentence that the question has)."""
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(sentence)]
    inside = [i for i, (s, e, _) in enumerate(words) if s < span.end and e > span.start]
    if not inside:
        return 0.0
    anchors = [i for i, (_, _, w) in enumerate(words) if i not in inside and terms(w).content & question]
    if not anchors:
        return 0.0
    gap = min(min(abs(a - inside[0]), abs(a - inside[-1])) for a in anchors)
    return 1.0 / gap


def _share(needles: frozenset[str], haystack: frozenset[str]) -> float:
    return sum(1 for s in needles if s in haystack) / max(1, len(needles))


def _fold(text: str) -> str:
    """Lower case without accents: "López Obrador" and "Lopez Obrador" are one name to the news."""
    return strip_accents(text.lower())


def _lead_order(question: str, spans: tuple[Entity, ...], i: int, evidence: Sequence[Evidence],
                texts: Sequence[str]) -> tuple[Entity, ...]:
    """Sentence `i`'s answer phrases in the order an answer leads with them (spans.lead_order): a phrase
    another retrieved article states too comes before the rest of its kind (the news names its answer
    more than once; its own article does not count: there the story's topic, "Putin", is everywhere).
    Names are compared without accents, and a person by surname ("Claudia Sheinbaum" is stated wherever
    "Sheinbaum" is), so a full name is not passed over for a name the other articles shorten; numbers
    are never corroborated.
    The features use answer_spans' order. `texts`: the evidence sentences, folded (_fold)."""
    if len(spans) < 2:
        return spans
    own = evidence[i].passage.article_id

    def corroborated(e: Entity) -> bool:
        if e.label in NUMERIC_LABELS:
            return False  # numbers recur for other reasons: "Five of 33 Raptor engines", 33 in every story
        words = _fold(e.text).split()
        needle = words[-1] if e.label == "PERSON" and len(words) > 1 and len(words[-1]) >= 4 else " ".join(words)
        return any(needle in t for ev, t in zip(evidence, texts) if ev.passage.article_id != own)

    return tuple(lead_order(question, spans, corroborated))


def gated(model: RankerModel, x: Sequence[float]) -> float:
    """The model's probability for features `x`, 0 where a hard rule says the sentence cannot answer."""
    if not x[RELATION]:
        return 0.0
    p = model.probability(x)
    return 0.0 if untyped_answer(x) and p < model.untyped_bar else p


class AnswerRanker:
    """Ranks evidence sentences by the probability that they answer the question (best first).

    Shares the RelevanceScorer's embedding pass; remembers its last few results so the
    extractive answerer and the verifier rank once per question."""

    def __init__(self, scorer: RelevanceScorer, tagger: EntityTagger | None, model: RankerModel,
                 tag_top: int = 12, cache_size: int = 8, relevance_bar: float | None = None):
        self.scorer = scorer
        self.tagger = tagger
        self.model = model
        self.tag_top = tag_top
        # The relevance gate: no sentence answers unless relevance.py's best one reaches this (None: no gate).
        self.relevance_bar = relevance_bar
        self._cache = QuestionCache(cache_size)

    def __call__(self, question: str, passages: Sequence[Passage]) -> list[Ranked]:
        return self._cache.get(question, passages, self._rank)

    def entities_of(self, sentence: str) -> list[Entity]:
        """The entities of one sentence (none without a tagger)."""
        return self.tagger.entities([sentence])[0] if self.tagger is not None else []

    def features(self, question: str, passages: Sequence[Passage], tag: bool = True
                 ) -> tuple[Scored, list[tuple[float, ...]], list[tuple[Entity, ...]]]:
        """Every evidence sentence's features and answer spans (for fitting and for ranking); `tag` False
        tags nothing (no spans, the entity features as for an untagged sentence)."""
        scored = self.scorer(question, passages)
        evidence = scored.evidence
        rank_of = {}
        for r, p in enumerate(passages):
            rank_of.setdefault((p.article_id, p.chunk_id), r)
        # Tag only the sentences a cheap score puts first: spaCy is the slow part.
        cheap = sorted(range(len(evidence)), key=lambda i: -(scored.lexical[i] + (scored.cosine[i] or 0.0)))
        tagged: dict[int, list[Entity]] = {}
        if self.tagger is not None and evidence and tag:
            top = cheap[: self.tag_top]
            for i, ents in zip(top, self.tagger.entities([evidence[i].text for i in top])):
                tagged[i] = ents
        types = asked_types(question)
        preferred = preferred_types(question)
        rows, spans_of = [], []
        passage_terms: dict[str, Terms] = {}
        article_rank: dict[str, int] = {}
        for p in passages:
            article_rank.setdefault(p.article_id, len(article_rank))
        for i, ev in enumerate(evidence):
            p = ev.passage
            if p.chunk_id not in passage_terms:
                passage_terms[p.chunk_id] = terms(f"{p.title}\n{p.text}")
            ents = tagged.get(i)
            spans = tuple(answer_spans(question, ev.text, ents)) if ents is not None else ()
            rank = rank_of.get((ev.passage.article_id, ev.passage.chunk_id), len(passages))
            rows.append(sentence_features(scored, i, rank, ents, spans, bool(types), passage_terms[p.chunk_id],
                                          preferred, article_rank.get(p.article_id, len(article_rank))))
            spans_of.append(spans)
        return scored, rows, spans_of

    def _rank(self, question: str, passages: Sequence[Passage]) -> list[Ranked]:
        # The relevance gate: the two scores must agree that the passages answer at all. When it is shut no
        # sentence can answer, so none is tagged (spaCy is the slow part of ranking).
        scored = self.scorer(question, passages)
        shut = self.relevance_bar is not None and scored.best_new_relevance() < self.relevance_bar
        scored, rows, spans_of = self.features(question, passages, tag=not shut)
        # A relation the question asks about ("Ukraine's president") that the sentence does not state is a
        # hard rule, not a feature to outweigh: such a sentence cannot answer. A sentence without a phrase of
        # the kind asked for needs the (higher) fitted untyped bar.
        # Only a sentence with two answer phrases or more needs the others' text (a shut gate tags none).
        texts = [_fold(ev.text) for ev in scored.evidence] if any(len(s) > 1 for s in spans_of) else []
        out = [Ranked(ev, 0.0 if shut else gated(self.model, x), _lead_order(question, spans, i, scored.evidence,
                                                                              texts), x)
               for i, (ev, x, spans) in enumerate(zip(scored.evidence, rows, spans_of))]
        # Ties go to the better-ranked passage (evidence is in passage order).
        return sorted(out, key=lambda r: -r.probability)
