"""Turn raw article text into the clean text that chunks and citations refer to.

Normalises line endings and blank lines, drops wire boilerplate that is not part
of the story (a trailing "Related coverage:" list, "==Kyodo"-style end markers),
and reports what it learned on the way (the wire source). It does not parse
HTML; that belongs to a format loader.

`drop_kickers` removes the labels and repeated headlines that pages put above
the story, so they are never quoted as evidence. Only the first
MAX_KICKER_LINES paragraphs are looked at, and only while at least one
paragraph stays. A paragraph goes when it is
- a kicker: one line of at most KICKER_WORDS words and 40 characters that does
  not end like a sentence (. ! ? or a closing quote), such as "EXCLUSIVE",
  "Analysis:", "World news", "Live updates"; or
- the headline again: one line, not ending with a period, of at most twice
  the title's words plus 2, sharing (case, punctuation and accents ignored)
  at least 2 words (1 for a one-word title) and at least HEADLINE_OVERLAP of
  the words of the shorter of the two ("Storm Closes the Mountain Pass, Drivers
  Told to Wait" under the title "Storm closes mountain pass").
A lede ends with a period, so it is never taken for a repeated headline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["CleanText", "clean_text", "drop_kickers", "headline_from", "is_kicker", "repeats_headline", "strip_accents"]

_WIRE_MARKER = re.compile(r"[ \t]*==\s*([A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)?)[ \t]*")
_TRAILERS = re.compile(r"\n\s*(?:Related coverage|Related stories|Read more)\s*:\s*\n.*\Z", re.S | re.I)


MAX_KICKER_LINES = 3
KICKER_WORDS = 4
HEADLINE_OVERLAP = 0.6
_SENTENCE_END = (".", "!", "?", "\"", "\u201d", "\u2019", "'", "\u2026")
_WORDS = re.compile(r"[^\W_]+")


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


def strip_accents(text: str) -> str:
    """`text` decomposed (NFKD) without its combining marks: "López" -> "Lopez"."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _word_set(text: str) -> set[str]:
    return set(_WORDS.findall(strip_accents(text.casefold())))


def is_kicker(paragraph: str) -> bool:
    """A short label line above a story ("EXCLUSIVE", "Analysis:"): see the module docstring."""
    line = paragraph.strip()
    return (bool(line) and "\n" not in line and len(line) <= 40 and len(line.split()) <= KICKER_WORDS
            and bool(_WORDS.search(line)) and not line.endswith(_SENTENCE_END))


def repeats_headline(paragraph: str, title: str) -> bool:
    """`paragraph` is `title` again, give or take a few words or the case (see the module docstring)."""
    line = paragraph.strip()
    if not line or not title.strip() or "\n" in line or line.endswith("."):
        return False
    if len(line.split()) > 2 * len(title.split()) + 2:
        return False
    words, headline = _word_set(line), _word_set(title)
    if not words or not headline:
        return False
    shared = len(words & headline)
    return shared >= min(2, len(headline)) and shared / min(len(words), len(headline)) >= HEADLINE_OVERLAP


def drop_kickers(paragraphs: list[str], *titles: str) -> list[str]:
    """`paragraphs` without the kicker paragraphs, and those repeating one of `titles`, at their top."""
    kept = list(paragraphs)
    for _ in range(MAX_KICKER_LINES):
        if len(kept) < 2 or not (is_kicker(kept[0]) or any(repeats_headline(kept[0], t) for t in titles)):
            break
        kept = kept[1:]
    return kept
