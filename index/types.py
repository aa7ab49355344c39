"""The plain data that flows through ingestion: articles, chunks, reports.

Frozen dataclasses only; no I/O, no heavy imports. The assistant package reuses
`Chunk` for what it retrieves, so these are the shared vocabulary of the project.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["Article", "Chunk", "Duplicate", "LoadFailure", "IngestReport", "content_hash"]


def content_hash(text: str) -> str:
    """A stable short hash of an article's clean text (identity of its content)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Article:
    """One news article after loading and cleaning. `text` is what offsets refer to."""

    id: str
    title: str
    text: str
    url: str = ""
    source: str = ""
    published_at: str = ""  # ISO date (YYYY-MM-DD) or "" when unknown
    origin: str = ""  # the file (and line) it was loaded from
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


@dataclass(frozen=True)
class Chunk:
    """A contiguous, sentence-aligned span `article.text[start:end]` of one article."""

    id: str
    article_id: str
    text: str
    start: int
    end: int
    index: int
    title: str = ""
    url: str = ""
    source: str = ""
    published_at: str = ""
    content_hash: str = ""
    n_chunks: int = 0


@dataclass(frozen=True)
class LoadFailure:
    """An input that could not be used, with a one-line reason naming it."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Duplicate:
    """An article skipped because it nearly duplicates one already kept."""

    article_id: str
    of: str  # the kept article's id
    origin: str = ""
    resemblance: float = 1.0  # share of word 3-shingles the two texts have in common
    of_origin: str = ""  # where the kept one came from, when it came in the same run

    def __str__(self) -> str:
        where = f" ({self.origin})" if self.origin else ""
        if self.of_origin and self.of == self.article_id:
            return f"{self.article_id}{where}: same id and text as {self.of_origin}, earlier in this run"
        kept = f" ({self.of_origin})" if self.of_origin else ""
        return f"{self.article_id}{where}: near-duplicate of {self.of}{kept}"


@dataclass
class IngestReport:
    """What one ingest run did. Mutable while the run fills it in."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[LoadFailure] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, duplicates {len(self.duplicates)}, failed {len(self.failed)} "
            f"({self.chunks_written} chunks written in {self.seconds:.1f}s)"
        )

    def to_dict(self) -> dict:
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "duplicates": [{"id": d.article_id, "of": d.of, "origin": d.origin, "resemblance": d.resemblance,
                            **({"of_origin": d.of_origin} if d.of_origin else {})} for d in self.duplicates],
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
        }
