"""The assistant's public value types: passages, citations, claims, answers.

Plain frozen dataclasses with `to_dict()` for JSON; nothing from llama-index
leaks past the retriever, so the UI, the eval harness and embedding apps only
ever see these.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from index import Chunk

__all__ = ["Passage", "Citation", "Claim", "Answer", "Turn", "CITATION_MARKER", "with_marker"]

Turn = tuple[str, str]  # (role, text), role in {"user", "assistant"}

# An answer's citation markers: " [1]", " [1, 2]" (with the space before them, so a sub() leaves clean text).
CITATION_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def with_marker(sentence: str, n: int) -> str:
    """`sentence` with " [n]" before its closing punctuation ("He said so [1].")."""
    sentence = sentence.rstrip()
    m = re.search(r"[.!?]+[\"'\u201d\u2019]*$", sentence)
    if m:
        return f"{sentence[:m.start()]} [{n}]{sentence[m.start():]}"
    return f"{sentence} [{n}]."


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: `text == article text[start:end]`, with its score (higher is better)."""

    chunk_id: str
    article_id: str
    text: str
    score: float
    start: int = 0
    end: int = 0
    title: str = ""
    url: str = ""
    source: str = ""
    published_at: str = ""

    @classmethod
    def from_chunk(cls, chunk: Chunk, score: float) -> "Passage":
        """A stored chunk as a retrieved passage with `score`."""
        return cls(chunk.id, chunk.article_id, chunk.text, score, chunk.start, chunk.end, chunk.title, chunk.url,
                   chunk.source, chunk.published_at)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """The exact article sentence that supports part of an answer; `quote == text[start:end]`."""

    n: int
    article_id: str
    title: str
    url: str
    published_at: str
    quote: str
    start: int
    end: int
    score: float
    source: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Claim:
    """One sentence of the draft answer and how well the articles support it."""

    text: str
    supported: bool
    score: float
    citation: int | None = None  # the Citation.n it carries, if supported
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns. `text` only says what the citations support."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    claims: tuple[Claim, ...] = ()
    passages: tuple[Passage, ...] = ()
    draft: str = ""  # the generator's raw output, before verification
    generator: str = ""
    timings: dict = field(default_factory=dict)  # seconds: retrieve, generate, verify, total
    query: str = ""  # the standalone query retrieval used (a follow-up rewritten with its history)
    as_of: str = ""  # ISO date the question was asked "as of" ("today" for relative dates)
    filters: dict = field(default_factory=dict)  # SearchFilters applied to retrieval, as a dict
    span: str = ""  # the short answer (a name, number, date, place) copied verbatim from citations[0].quote
    # How well the first cited sentence (when abstaining: the best retrieved one) answers the question: the
    # ranker's probability, or relevance.py's score without it. Answers are given at or above the threshold.
    confidence: float = 0.0

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "claims": [c.to_dict() for c in self.claims],
            "passages": [p.to_dict() for p in self.passages],
            "draft": self.draft,
            "generator": self.generator,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "query": self.query,
            "as_of": self.as_of,
            "filters": dict(self.filters),
            "span": self.span,
            "confidence": round(self.confidence, 4),
        }
