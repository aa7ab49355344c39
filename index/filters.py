"""`SearchFilters`: explicit limits on what retrieval may return.

Sources, article ids and an inclusive published_at date range. Plain data with
no store-specific syntax: the store adapter turns it into Chroma's `where`, the
keyword index into a mask. Turning phrases such as "this week" into a date range
is `assistant/when.py`'s job. Re-exported by `assistant` as part of its API.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Iterable, Mapping

__all__ = ["SearchFilters"]


def _iso(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    date.fromisoformat(text[:10])  # raises ValueError for a malformed date
    return text[:10]


def _strings(values: Iterable[str] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(str(v) for v in values if str(v))


@dataclass(frozen=True)
class SearchFilters:
    """Only passages matching every given field are retrieved; empty fields do not filter."""

    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None  # ISO date, inclusive

    def __post_init__(self):
        object.__setattr__(self, "sources", _strings(self.sources))
        object.__setattr__(self, "article_ids", _strings(self.article_ids))
        object.__setattr__(self, "date_from", _iso(self.date_from))
        object.__setattr__(self, "date_to", _iso(self.date_to))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")

    @classmethod
    def of(cls, value: "SearchFilters | Mapping | None") -> "SearchFilters":
        """Accept a SearchFilters, a dict with the same keys (unknown keys raise), or None."""
        if value is None:
            return cls()
        if isinstance(value, SearchFilters):
            return value
        known = {"sources", "article_ids", "date_from", "date_to"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**dict(value))

    @property
    def empty(self) -> bool:
        return not (self.sources or self.article_ids or self.date_from or self.date_to)

    def matches(self, source: str, article_id: str, published_at: str) -> bool:
        """Whether one passage's metadata passes (an unknown date fails a date limit)."""
        if self.sources and source not in self.sources:
            return False
        if self.article_ids and article_id not in self.article_ids:
            return False
        day = (published_at or "")[:10]
        if self.date_from and not (day and day >= self.date_from):
            return False
        if self.date_to and not (day and day <= self.date_to):
            return False
        return True

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
