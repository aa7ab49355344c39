"""Word-level matching shared by the extractive answerer and the citation checker.

Tokens are lower-cased, possessives dropped and lightly stemmed, so "proposed"
matches "propose" and "Ukrainian" matches "Ukraine". Salient tokens (names and
numbers) are what a claim may not invent. No embeddings, no model: fast and
deterministic. It does not understand paraphrase.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["Terms", "terms", "stem", "STOPWORDS", "idf_weights", "weighted_coverage", "focus_pairs", "has_pair"]

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
    not now of off on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom whose why will with would you your yours yourself yourselves
    said says say according told tell week month year today yesterday recently new one name named called
    many much did does one's ones whom whose which what's who's it's according via per upon
    mr mrs ms""".split()
)

_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Za-z][A-Za-z\-]*(?:['\u2019][A-Za-z]+)?|\d+(?:[.,]\d+)*%?")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ians", "ian", "ia", "edly", "ed", "ies", "es", "s", "ly", "e")


def stem(word: str) -> str:
    """A deliberately small stemmer: strips one common suffix when enough remains."""
    w = word.lower()
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            if suffix == "ies":
                w += "y"
            break
    return w


@dataclass(frozen=True)
class Terms:
    """The matchable tokens of a text, in order, with which ones are salient."""

    stems: tuple[str, ...]
    content: frozenset[str]  # stems that are not stopwords
    salient: frozenset[str]  # stems of names and numbers

    def positions(self, stem_: str) -> list[int]:
        return [i for i, s in enumerate(self.stems) if s == stem_]


def terms(text: str) -> Terms:
    stems, content, salient = [], set(), set()
    for m in _TOKEN.finditer(text):
        raw = re.sub(r"['\u2019]s$", "", m.group(0)).strip("-")
        if not raw:
            continue
        low = raw.lower()
        if "." in low:  # dotted acronym: "U.S." stays "u.s." (not the pronoun "us")
            s = low
        elif low[0].isdigit():
            s = low.rstrip("%").replace(",", "")
        else:
            s = stem(low)
        stems.append(s)
        if low in STOPWORDS:
            continue
        content.add(s)
        if raw[0].isdigit() or raw[0].isupper():
            salient.add(s)
    return Terms(tuple(stems), frozenset(content), frozenset(salient))


def idf_weights(docs: Sequence[Terms]) -> dict[str, float]:
    """Inverse document frequency of each content stem over `docs` (smoothed, >= 1)."""
    n = len(docs)
    df: dict[str, int] = {}
    for d in docs:
        for s in d.content:
            df[s] = df.get(s, 0) + 1
    return {s: 1.0 + math.log((n + 1) / (c + 0.5)) for s, c in df.items()}


def weighted_coverage(needles: Iterable[str], haystack: frozenset[str], weights: dict[str, float]) -> float:
    """Share of `needles` (weighted) found in `haystack`; 0 when there are none."""
    total = found = 0.0
    for s in needles:
        w = weights.get(s, 1.0)
        total += w
        if s in haystack:
            found += w
    return found / total if total else 0.0


_POSSESSIVE = re.compile(r"\b([A-Za-z][\w\-]*)['\u2019]s\s+(?:[a-z]+\s+){0,2}?([a-z][\w\-]*)\b")


def focus_pairs(question: str) -> list[tuple[str, str]]:
    """Possessive relations a question asks about: "Ukraine's president" -> (ukrain, president).

    An answer sentence must state the same relation, not just mention both words
    far apart ("President Biden ... the Ukraine crisis" does not name Ukraine's president).
    """
    pairs = []
    for m in _POSSESSIVE.finditer(question):
        owner, head = stem(m.group(1).lower()), stem(m.group(2).lower())
        if head not in STOPWORDS and owner not in STOPWORDS:
            pairs.append((owner, head))
    return pairs


def has_pair(t: Terms, pair: tuple[str, str], window: int = 3) -> bool:
    """True when both stems of `pair` occur within `window` tokens of each other."""
    a, b = t.positions(pair[0]), t.positions(pair[1])
    return any(abs(i - j) <= window for i in a for j in b)
