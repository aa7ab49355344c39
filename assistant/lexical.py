"""Word-level matching shared by the extractive answerer and the citation checker.

Tokens are lower-cased, possessives dropped and lightly stemmed, so "proposed"
matches "propose" and "Ukrainian" matches "Ukraine" (demonyms come from
`names.DEMONYMS`). Salient tokens (names and numbers) are what a claim may not
invent. No embeddings, no model: fast and deterministic. It does not
understand paraphrase.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from .names import CAPITALS, DEMONYMS  # "Japanese Defense Minister" answers "Japan's defense minister"

__all__ = [
    "STOPWORDS", "Terms", "answer_type", "focus_pairs", "has_pair", "idf_weights", "states_answer_type", "stem",
    "terms", "weighted_coverage",
]

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
# (suffix, replacement), first match wins: "denied"/"deny", "invasion"/"invade", "talks"/"talk".
_SUFFIXES = (
    ("ations", ""), ("ation", ""), ("ings", ""), ("ing", ""), ("ians", ""), ("ian", ""), ("ia", ""),
    ("sion", "d"), ("edly", ""), ("ied", "y"), ("ies", "y"), ("ed", ""), ("es", ""), ("s", ""), ("ly", ""), ("e", ""),
)


# British spellings read as American ones: "defence chief" finds "Defense Minister".
_SPELLING = {
    "defence": "defense", "offence": "offense", "licence": "license", "centre": "center", "centres": "centers",
    "theatre": "theater", "programme": "program", "programmes": "programs", "labour": "labor",
    "favour": "favor", "honour": "honor", "neighbour": "neighbor", "neighbours": "neighbors",
    "neighbouring": "neighboring", "colour": "color", "behaviour": "behavior", "harbour": "harbor",
    "organisation": "organization", "organisations": "organizations", "organised": "organized",
    "recognised": "recognized", "criticised": "criticized", "authorised": "authorized", "apologised": "apologized",
    "jewellery": "jewelry", "tonnes": "tons", "tonne": "ton", "kilometres": "kilometers", "metres": "meters",
}


def stem(word: str) -> str:
    """A deliberately small stemmer: strips one common suffix when enough remains."""
    w = word.lower()
    w = _SPELLING.get(w, w)
    w = DEMONYMS.get(w, w)
    for suffix, replacement in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= (2 if replacement == "y" else 4):
            return w[: -len(suffix)] + replacement
    return w


@dataclass(frozen=True)
class Terms:
    """The matchable tokens of a text, in order, with which ones are salient."""

    stems: tuple[str, ...]
    content: frozenset[str]  # stems that are not stopwords
    salient: frozenset[str]  # stems of names and numbers
    # Positions of verb forms ("heading", "headed"): they share a stem with a role ("head") but name none.
    verbal: frozenset[int] = frozenset()

    def positions(self, stem_: str) -> list[int]:
        return [i for i, s in enumerate(self.stems) if s == stem_]


_VERB_FORM = re.compile(r"[a-z]{2}(?:ing|ed)$")


def terms(text: str) -> Terms:
    stems, content, salient, verbal = [], set(), set(), set()
    for m in _TOKEN.finditer(text):
        raw = re.sub(r"['\u2019]s$", "", m.group(0)).strip("-")
        if not raw:
            continue
        low = raw.lower()
        if raw != m.group(0) and low in CAPITALS:  # "Moscow's": the country (names.CAPITALS)
            s = stem(CAPITALS[low])
        elif "." in low:  # dotted acronym: "U.S." stays "u.s." (not the pronoun "us")
            s = low
        elif low[0].isdigit():
            s = low.rstrip("%").replace(",", "")
        else:
            s = stem(low)
            if _VERB_FORM.search(low):
                verbal.add(len(stems))
        stems.append(s)
        if low in STOPWORDS:
            continue
        content.add(s)
        if raw[0].isdigit() or raw[0].isupper():
            salient.add(s)
    return Terms(tuple(stems), frozenset(content), frozenset(salient), frozenset(verbal))


def idf_weights(docs: Sequence[Terms], also: Iterable[str] = ()) -> dict[str, float]:
    """Inverse document frequency of each content stem over `docs` (smoothed, >= 1).

    Stems in `also` that no doc contains weigh most: a question word that no
    passage has is the strongest sign the passages do not answer it.
    """
    n = len(docs)
    df: dict[str, int] = {}
    for d in docs:
        for s in d.content:
            df[s] = df.get(s, 0) + 1
    weights = {s: 1.0 + math.log((n + 1) / (c + 0.5)) for s, c in df.items()}
    unseen = 1.0 + max(weights.values(), default=1.0)
    for s in also:
        weights.setdefault(s, unseen)
    return weights


def weighted_coverage(needles: Iterable[str], haystack: frozenset[str], weights: dict[str, float]) -> float:
    """Share of `needles` (weighted) found in `haystack`; 0 when there are none."""
    total = found = 0.0
    for s in needles:
        w = weights.get(s, 1.0)
        total += w
        if s in haystack:
            found += w
    return found / total if total else 0.0


# Owners are names (capitalised): "which state's capital" asks for the owner, it does not name one.
_POSSESSIVE = re.compile(r"\b([A-Z][\w\-]*)['\u2019]s\s+(?:(?:top|senior|former|new|current|longtime|own|leading|"
                         r"acting|interim)\s+)?(?:[a-z]+\s+){0,2}?([a-z][\w\-]*)\b")
_OF_NAME = re.compile(r"\b([a-z][\w\-]*)\s+of\s+(?:the\s+)?([A-Z][\w\-]*)(?:\s+([a-z][\w\-]*))?")
# "the Ukrainian president", "the Ukrainian head of state": a demonym before an office names its country.
_DEMONYM_OFFICE = re.compile(r"\b([A-Z][a-z]+)\s+(?:[a-z]+\s+)?(president|leader|head|minister|premier|chancellor|"
                             r"king|queen|ambassador|envoy|spokes(?:man|woman|person))\b")


# The heads of a relation that names a person by role ("Ukraine's president", "Russia's foreign minister",
# "Moscow's top diplomat"): only such a relation must be stated. "Russia's dwindling population" or "the
# NBA's highest paid player" in a long quiz question is context, weighed by the word scores like any word.
_ROLE_HEADS = frozenset(stem(w) for w in (
    "president presidency chancellor premier prime minister ministry secretary foreign defense defence finance "
    "interior justice health ambassador envoy diplomat chief official boss representative spokesman spokeswoman "
    "spokesperson leader head king queen monarch prince princess emperor mayor governor ceo chairman chairwoman "
    "chair founder owner coach captain manager commander general director wife husband spouse son daughter "
    "father mother brother sister successor predecessor deputy lawyer attorney").split())


# "the White House spokesperson", "the Kremlin spokesman": an institution's name right before a spokesperson
# names whose (its last word is the owner: "House" states it in "White House Press Secretary Jen Psaki").
_NAME_SPOKESPERSON = re.compile(r"\b([A-Z][\w\-]*)\s+(spokes(?:man|woman|person))\b")
_NOT_OWNERS = frozenset("former then top chief senior new deputy acting longtime current".split())  # "Former spokesman"


def focus_pairs(question: str) -> list[tuple[str, str]]:
    """Relations a question asks about, when they name a person by role: "Ukraine's president", "the
    president of Ukraine" and "the Ukrainian president" all give (ukrain, president); "the White House
    spokesperson" gives (hous, spokesperson).

    An answer sentence must state the same relation, not just mention both words
    far apart ("President Biden ... the Ukraine crisis" does not name Ukraine's president).
    """
    found = [(m.group(1), m.group(2)) for m in _POSSESSIVE.finditer(question)]
    # "the top of the US box office": a name that modifies a following noun is not the owner.
    found += [(m.group(2), m.group(1)) for m in _OF_NAME.finditer(question)
              if not m.group(3) or m.group(3).lower() in STOPWORDS]
    found += [(m.group(1), m.group(2)) for m in _NAME_SPOKESPERSON.finditer(question)
              if m.group(1).lower() not in _NOT_OWNERS]
    # Not "American"/"European": articles name those offices "U.S."/"EU", which the stemmer does not link.
    found += [(m.group(1), m.group(2)) for m in _DEMONYM_OFFICE.finditer(question)
              if m.group(1).lower() in DEMONYMS and m.group(1).lower() not in ("american", "european")]
    pairs = []
    for owner, head in found:
        owner = CAPITALS.get(owner.lower(), owner.lower())  # "Moscow's top diplomat" is Russia's
        owner, head = stem(owner), stem(head.lower())
        if head in _ROLE_HEADS and owner not in STOPWORDS and (owner, head) not in pairs:
            pairs.append((owner, head))
    return pairs


# Words that describe an official without naming the office ("Tokyo's defence chief", "Moscow's top
# diplomat"): a sentence that does not use the word states the relation with any office title right after
# the owner ("Japanese Defense Minister Nobuo Kishi", "Russian Foreign Minister Sergey Lavrov").
_GENERIC_OFFICIALS = frozenset(stem(w) for w in (
    "chief diplomat official boss envoy representative spokesman spokeswoman spokesperson").split())
_OFFICE_TITLES = frozenset(stem(w) for w in (
    "minister secretary ambassador envoy president chancellor premier chief official spokesman spokeswoman "
    "spokesperson commander general director foreign defense finance interior").split())


_COUNTERPART = stem("counterpart")


def has_pair(t: Terms, pair: tuple[str, str], window: int = 3) -> bool:
    """True when both stems of `pair` occur within `window` tokens of each other (for a generic official
    the sentence does not name, an office title within two tokens after the owner), or the owner's
    "counterpart" of an office the sentence names ("Japanese Defense Minister Nobuo Kishi and his Polish
    counterpart Mariusz Blaszczak" names Poland's defense minister)."""
    # A role is a noun: "the Ukraine situation is heading toward" names no head of Ukraine.
    a, b = t.positions(pair[0]), [j for j in t.positions(pair[1]) if j not in t.verbal]
    if b and any(t.stems[i + 1:i + 2] == (_COUNTERPART,) for i in a):
        return True
    if not b and pair[1] in _GENERIC_OFFICIALS:
        b = [i for i, s in enumerate(t.stems) if s in _OFFICE_TITLES]
        return any(0 < j - i <= 2 for i in a for j in b)
    return any(abs(i - j) <= window for i in a for j in b)


_TIME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|"
    r"today|tonight|tomorrow|yesterday|morning|afternoon|evening|weekend|week|month|year|decade|century|"
    r"ago|soon|later|earlier|since|until|now)\b|\b\d{4}\b|\b\d{1,2}(?::\d{2})?\s*(?:a\.m\.|p\.m\.)",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|double|triple|several)\b",
    re.I,
)
_ASKS_TIME = re.compile(r"^\s*when\b|\bwhat (?:day|date|time|year|month)\b|\bhow long ago\b", re.I)
_ASKS_NUMBER = re.compile(r"\bhow (?:many|much|old|long|far|big|large|high)\b|\bwhat (?:number|percentage|share)\b", re.I)
_ASKS_PERSON = re.compile(r"^\s*(?:who|whom)\b", re.I)


def answer_type(question: str) -> str | None:
    """What kind of answer the question wants: "time", "number", "person", or None (any)."""
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_PERSON.search(question):
        return "person"
    return None


def states_answer_type(kind: str | None, sentence: str, question: Terms) -> bool:
    """Whether `sentence` contains an answer of that kind (a date, a number, a name the question lacks)."""
    if kind == "time":
        return bool(_TIME.search(sentence))
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "person":
        t = terms(sentence)
        return bool(t.salient - question.content - {s for s in t.stems[:1]})
    return True
