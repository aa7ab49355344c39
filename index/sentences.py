"""Split news text into sentences, as character spans into the original string.

Spans (not copies) let chunks and citations point at exact offsets in an article.
Rule-based and tuned for English wire copy: it knows common abbreviations
("U.S.", "Feb.", "Mr.") and initials, and always breaks at blank lines.
It does not handle quotations spanning several sentences specially.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt",
    "st", "jr", "sr", "inc", "corp", "co", "ltd", "no", "vs", "etc", "approx", "dept", "est",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "e.g", "i.e", "a.m", "p.m", "ft", "mt",
}

# A candidate end: terminal punctuation, optional closing quotes/brackets, then whitespace.
_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_PARAGRAPH = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` ends an abbreviation rather than a sentence."""
    # Only the word just before the dot matters; searching from 0 made long articles quadratic.
    window = max(0, dot - 40)
    m = _WORD_BEFORE.search(text, window, dot)
    if not m or (m.start() == window and window > 0 and text[window - 1].isalpha()):
        return False  # no word, or one longer than any abbreviation
    word = m.group(1)
    # Initials and dotted acronyms: "J.", "U.S.", "U.N."
    if re.fullmatch(r"[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]", word):
        return True
    return word.lower().rstrip(".") in _ABBREVIATIONS


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for m in _END.finditer(text, start, end):
        stop = m.end()
        nxt = _SPACE.match(text, stop, end)
        following = text[nxt.end():nxt.end() + 1] if nxt else ""
        # The next sentence must start like one: capital, digit or an opening quote.
        if not following or not (following.isupper() or following.isdigit() or following in "\"'\u201c\u2018"):
            continue
        if m.group(0).startswith(".") and len(m.group(0).rstrip("\"'\u201d\u2019)]")) == 1:
            if _is_abbreviation(text, m.start()):
                continue
        spans.append((cursor, stop))
        cursor = nxt.end() if nxt else stop
    if cursor < end:
        spans.append((cursor, end))
    return spans


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Return `(start, end)` spans of the sentences in `text`, shifted by `offset`.

    Leading and trailing whitespace is excluded from every span, and no span is empty.
    """
    spans: list[tuple[int, int]] = []
    block_start = 0
    for block_end, next_start in [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)] + [
        (len(text), len(text))
    ]:
        for s, e in _split_block(text, block_start, block_end):
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e:
                spans.append((s + offset, e + offset))
        block_start = next_start
    return spans
