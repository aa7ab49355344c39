"""Turn raw article text into the clean text that chunks and citations refer to.

Normalises line endings and blank lines, drops wire boilerplate that is not part
of the story (a trailing "Related coverage:" list, "==Kyodo"-style end markers),
and reports what it learned on the way (the wire source). It does not parse
HTML; that belongs to a format loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CleanText", "clean_text", "headline_from"]

_WIRE_MARKER = re.compile(r"[ \t]*==\s*([A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)?)[ \t]*")
_TRAILERS = re.compile(r"\n\s*(?:Related coverage|Related stories|Read more)\s*:\s*\n.*\Z", re.S | re.I)


@dataclass(frozen=True)
class CleanText:
    text: str
    source: str = ""


def clean_text(raw: str) -> CleanText:
    """Clean `raw` article text; the result never has leading/trailing whitespace."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _TRAILERS.sub("\n", text)
    source = ""
    marker = _WIRE_MARKER.search(text)
    if marker:
        source = marker.group(1)
        text = _WIRE_MARKER.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return CleanText(text=text, source=source)


def headline_from(text: str, limit: int = 90) -> str:
    """A display title for an article that has none: its first line, shortened at a word."""
    first = text.strip().split("\n", 1)[0].strip()
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"
