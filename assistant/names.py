"""Names and noun phrases in news text, found by capitalisation and word lists.

`find_names(text, known_people)` returns the capitalised runs of a text
("Emmanuel Macron", "North Atlantic Treaty Organization"), joined by "of",
with titles and demonyms ("French President", "Press Secretary") dropped, each
marked as a person or not: a run with an organisation word, an acronym or a
known country or city is a group or place. `people_index(turns)` collects the
surnames of full names seen ("Biden" once "Joe Biden" appeared), so a bare
surname that opens a sentence still counts as a person. `noun_phrases(text)`
returns determiner phrases as "the ...": "the summit", "the meeting between
Blinken and Lavrov".

The word lists live here too, and `DEMONYMS` (demonym -> country) is the one
such mapping: `lexical` stems with it. Deterministic, no model, no
gazetteer: it does not resolve coreference, tell people from places beyond the
lists, or handle names written in lower case.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Sequence

from .types import CITATION_MARKER, Turn

__all__ = [
    "AUX", "CAPITALS", "COUNTRY_NAMES", "DEMONYMS", "Name", "PLACES", "STATE_AND_CITY", "TITLES", "US_STATES",
    "find_names", "noun_phrases", "not_names", "people_index",
]

# Demonyms and their countries: "Japanese Defense Minister" answers "Japan's defense minister" (lexical), and
# "French President Emmanuel Macron" is the person "Emmanuel Macron" (find_names).
DEMONYMS = {
    "afghan": "afghanistan", "american": "america", "australian": "australia", "belarusian": "belarus",
    "brazilian": "brazil", "british": "britain", "canadian": "canada", "chinese": "china", "cuban": "cuba",
    "dutch": "netherlands", "egyptian": "egypt", "european": "europe", "filipino": "philippines",
    "finnish": "finland", "french": "france", "german": "germany", "greek": "greece", "indian": "india",
    "indonesian": "indonesia", "iranian": "iran", "iraqi": "iraq", "irish": "ireland", "israeli": "israel",
    "italian": "italy", "japanese": "japan", "korean": "korea", "lebanese": "lebanon", "mexican": "mexico",
    "nigerian": "nigeria", "norwegian": "norway", "pakistani": "pakistan", "palestinian": "palestine",
    "polish": "poland", "russian": "russia", "saudi": "saudi", "scottish": "scotland", "spanish": "spain",
    "swedish": "sweden", "swiss": "switzerland", "syrian": "syria", "taiwanese": "taiwan", "turkish": "turkey",
    "ukrainian": "ukraine", "venezuelan": "venezuela", "vietnamese": "vietnam", "welsh": "wales",
}
# Country names as spaCy tags them (GPE), beyond the DEMONYMS countries: a country is no answer to "which city".
COUNTRY_NAMES = frozenset(DEMONYMS.values()) | {
    "u.s.", "us", "usa", "u.s.a.", "united states", "united states of america", "u.k.", "uk", "united kingdom",
    "great britain", "north korea", "south korea", "saudi arabia", "new zealand", "south africa", "argentina",
    "chile", "colombia", "peru", "thailand", "malaysia", "bangladesh", "ethiopia", "kenya", "austria",
    "belgium", "denmark", "portugal", "hungary", "romania", "czech republic", "serbia", "qatar", "jordan",
    "morocco", "algeria", "libya", "sudan", "yemen", "myanmar", "cambodia", "nepal", "sri lanka",
    "kazakhstan", "georgia", "armenia", "azerbaijan", "moldova", "lithuania", "latvia", "estonia", "croatia",
    "bulgaria", "slovakia", "slovenia", "haiti", "ecuador", "bolivia", "uruguay", "paraguay", "ghana",
    # The rest of the world's countries and territories (English names as in Unicode CLDR, with common
    # alternatives): "Which country" is answered by one of these, not by a city or a state.
    "albania", "andorra", "angola", "antigua and barbuda", "bahamas", "bahrain", "barbados", "belize", "benin",
    "bermuda", "bhutan", "bosnia", "bosnia and herzegovina", "botswana", "brunei", "burkina faso", "burundi",
    "cameroon", "cape verde", "cabo verde", "central african republic", "chad", "comoros", "congo",
    "democratic republic of the congo", "democratic republic of congo", "dr congo", "drc", "republic of the congo",
    "costa rica", "cyprus", "czechia", "ivory coast", "côte d'ivoire", "côte d’ivoire", "djibouti", "dominica",
    "dominican republic", "el salvador", "equatorial guinea", "eritrea", "eswatini", "swaziland", "fiji", "gabon",
    "gambia", "greenland", "grenada", "guatemala", "guinea", "guinea-bissau", "guyana", "honduras", "hong kong",
    "iceland", "jamaica", "kiribati", "kosovo", "kuwait", "kyrgyzstan", "laos", "lesotho", "liberia",
    "liechtenstein", "luxembourg", "macau", "macao", "madagascar", "malawi", "maldives", "mali", "malta",
    "marshall islands", "mauritania", "mauritius", "micronesia", "monaco", "mongolia", "montenegro", "mozambique",
    "namibia", "nauru", "nicaragua", "niger", "north macedonia", "macedonia", "oman", "palau",
    "palestinian territories", "panama", "papua new guinea", "puerto rico", "rwanda", "samoa", "san marino",
    "são tomé and príncipe", "sao tome and principe", "senegal", "seychelles", "sierra leone", "singapore",
    "solomon islands", "somalia", "south sudan", "suriname", "tajikistan", "tanzania", "timor-leste",
    "east timor", "togo", "tonga", "trinidad and tobago", "tunisia", "turkmenistan", "türkiye", "tuvalu",
    "uganda", "united arab emirates", "uae", "uzbekistan", "vanuatu", "vatican", "vatican city",
    "western sahara", "zambia", "zimbabwe", "england", "northern ireland", "st. kitts and nevis",
    "saint kitts and nevis", "st. lucia", "saint lucia", "st. vincent and the grenadines",
    "saint vincent and the grenadines", "holland",
}
# The states of the United States (and its capital district): "which state" in the American sense asks for one
# of these, and none of them (but the two that are cities too) answers "which city".
US_STATES = frozenset("""alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii
idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia wisconsin
wyoming""".split()) | {"new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota",
                       "rhode island", "south carolina", "south dakota", "west virginia", "washington",
                       "district of columbia", "washington, d.c."}
STATE_AND_CITY = frozenset({"new york", "washington"})
# A capital in the possessive stands for its country: "Moscow's top diplomat" is Russia's, "Tokyo's defence
# chief" Japan's (lexical reads them so).
CAPITALS = {
    "moscow": "russia", "kyiv": "ukraine", "kiev": "ukraine", "beijing": "china", "tokyo": "japan",
    "london": "britain", "paris": "france", "berlin": "germany", "tehran": "iran", "ankara": "turkey",
    "seoul": "korea", "taipei": "taiwan", "minsk": "belarus", "warsaw": "poland", "rome": "italy",
    "madrid": "spain", "ottawa": "canada", "canberra": "australia", "delhi": "india", "baghdad": "iraq",
    "damascus": "syria", "cairo": "egypt", "havana": "cuba", "caracas": "venezuela", "islamabad": "pakistan",
    "kabul": "afghanistan", "athens": "greece", "dublin": "ireland", "stockholm": "sweden", "helsinki": "finland",
    "oslo": "norway", "brasilia": "brazil", "hanoi": "vietnam", "jakarta": "indonesia", "manila": "philippines",
}
TITLES = {
    "president", "vice", "prime", "minister", "secretary", "state", "foreign", "defense", "defence", "press",
    "chancellor", "chief", "executive", "general", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sen",
    "sen.", "senator", "rep", "rep.", "representative", "governor", "gov", "gov.", "king", "queen", "prince",
    "princess", "pope", "leader", "ambassador", "spokesperson", "spokesman", "spokeswoman", "premier", "deputy",
    "director", "chairman", "chairwoman", "chair", "ceo", "justice", "judge", "mayor", "speaker", "finance",
    "interior", "commissioner", "envoy", "coach", "captain", "lord", "lady", "sir", "dame", "white", "house",
    "of", "u.s.", "u.k.", "u.n.", "eu", "un", "uk", "us",
}
_ORG_WORDS = {
    "ministry", "house", "union", "organization", "organisation", "treaty", "nations", "states", "kingdom",
    "republic", "council", "bank", "committee", "party", "group", "department", "office", "court", "agency",
    "university", "company", "corp", "inc", "ltd", "news", "times", "post", "region", "sea", "river", "city",
    "island", "islands", "street", "association", "federation", "parliament", "congress", "senate", "assembly",
    "commission", "fund", "reserve", "forces", "army", "navy", "police", "government", "administration",
    "kremlin", "pentagon", "alliance", "league", "club", "institute", "airlines", "motors", "olympics",
}
PLACES = {
    "afghanistan", "america", "australia", "belarus", "brazil", "britain", "canada", "china", "crimea", "cuba",
    "donbass", "donbas", "egypt", "england", "europe", "finland", "france", "germany", "greece", "india",
    "indonesia", "iran", "iraq", "ireland", "israel", "italy", "japan", "korea", "lebanon", "mexico",
    "netherlands", "nigeria", "norway", "pakistan", "palestine", "poland", "russia", "scotland", "spain",
    "sweden", "switzerland", "syria", "taiwan", "turkey", "ukraine", "venezuela", "vietnam", "wales", "asia",
    "africa", "moscow", "kyiv", "kiev", "washington", "beijing", "london", "paris", "tokyo", "berlin",
    "brussels", "geneva", "minsk", "warsaw", "rome", "madrid", "seoul", "taipei", "gaza", "jerusalem", "nato",
    "g7", "g-7", "g20", "g-20", "fed", "opec", "who", "imf",
}
_QUESTION_WORDS = {"who", "whom", "whose", "what", "when", "where", "why", "how", "which"}
AUX = {
    "did", "does", "do", "is", "are", "was", "were", "will", "would", "could", "can", "should", "has", "have",
    "had", "may", "might", "must", "shall",
}
_CALENDAR = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "june", "july", "august", "september", "october", "november", "december",
}
# Capitalised only because they open a sentence (a small list; names are rarely these words).
_OPENERS = {
    "yes", "no", "along", "among", "amid", "despite", "following", "meanwhile", "separately", "however",
    "earlier", "later", "although", "though", "unlike", "like", "including", "combined", "related", "still",
    "yet", "instead", "neither", "either", "both", "none", "western", "eastern", "soviet",
}
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those"}
_NP_LINKS = {"between", "with", "of", "on", "in", "over"}
_WORD = re.compile(r"(?:[A-Z]\.){2,}|[A-Za-z][\w\-]*(?:['\u2019][a-z]+)?|\d[\d,.]*|[^\w\s]")


@functools.cache
def _stopwords() -> frozenset[str]:
    # Imported late: lexical imports DEMONYMS from this module, so this module may not import lexical at load time.
    from .lexical import STOPWORDS
    return STOPWORDS


@functools.cache
def not_names() -> frozenset[str]:
    """Lower-case words that never start (or, capitalised, extend) a name: stopwords, auxiliaries, wh-words,
    days and months, sentence openers."""
    return _stopwords() | AUX | _QUESTION_WORDS | _CALENDAR | _OPENERS


@dataclass(frozen=True)
class Name:
    text: str  # "Emmanuel Macron", "Russia", "North Atlantic Treaty Organization"
    person: bool
    start: int  # token position in its turn


def _tokens(text: str) -> list[str]:
    return _WORD.findall(CITATION_MARKER.sub("", text))


def _is_cap(tok: str, first: bool) -> bool:
    if not tok[:1].isupper():
        return False
    skip = not_names()
    if tok.lower().rstrip(".") in skip or tok.lower() in skip or len(tok) < 2:
        return False
    return True


def find_names(text: str, known_people: set[str]) -> list[Name]:
    """Capitalised runs in `text`, titles dropped, each marked person or not.

    A single capitalised word that opens a sentence counts only when it is a
    known place or one of `known_people` (surnames, see `people_index`).
    """
    toks = _tokens(text)
    out: list[Name] = []
    i = 0
    while i < len(toks):
        first = i == 0 or toks[i - 1] in (".", "?", "!", ":", '"')
        if not _is_cap(toks[i], first):
            i += 1
            continue
        j = i
        run: list[str] = []
        while j < len(toks) and (_is_cap(toks[j], False) or (
                toks[j] == "of" and run and j + 1 < len(toks) and _is_cap(toks[j + 1], False))):
            run.append(toks[j])
            j += 1
            if re.search(r"['\u2019]s$", run[-1]):
                break
        start = i
        i = j
        run = [re.sub(r"['\u2019]s$", "", t) for t in run]
        low = [t.lower() for t in run]
        titled = [k for k, t in enumerate(low) if t in TITLES or t in DEMONYMS]
        has_org = any(t in _ORG_WORDS for t in low) and not (titled and titled[-1] < len(run) - 1
                                                                and run[-1].lower() not in _ORG_WORDS)
        if titled and not has_org:
            rest = run[titled[-1] + 1:]
            if rest and not (len(rest) == 1 and rest[0].lower() in PLACES):
                out.append(Name(" ".join(rest), True, start + titled[-1] + 1))
            continue
        name = " ".join(run)
        if first and len(run) == 1 and low[0] not in PLACES and run[0] not in known_people:
            continue  # a capitalised sentence opener is not evidence of a name
        group = has_org or any(t in PLACES for t in low) or (len(run) == 1 and run[0].isupper() and len(run[0]) > 1)
        if low[-1] in DEMONYMS:
            continue
        out.append(Name(name, not group, start))
    return out


def people_index(turns: Sequence[Turn]) -> set[str]:
    """Surnames of full names seen anywhere in (role, text) turns ("Biden" once "Joe Biden" appeared)."""
    known: set[str] = set()
    for _, text in turns:
        for n in find_names(text, set()):
            if n.person and " " in n.text:
                known.add(n.text.split()[-1])
    return known


def noun_phrases(text: str) -> list[str]:
    """Determiner noun phrases as "the ...": "the summit", "the meeting between Blinken and Lavrov".

    Up to three words after the determiner (stopping at a stopword), plus a
    linking preposition and the capitalised names after it.
    """
    stopwords = _stopwords()
    toks = _tokens(text)
    out = []
    for i, tok in enumerate(toks):
        if tok.lower() not in _DETERMINERS:
            continue
        words = []
        j = i + 1
        while j < len(toks) and len(words) < 3 and re.match(r"[A-Za-z]", toks[j]) and \
                toks[j].lower() not in stopwords and toks[j].lower() not in AUX:
            words.append(toks[j])
            j += 1
        if not words or not words[-1][:1].islower():
            continue
        if j + 1 < len(toks) and toks[j].lower() in _NP_LINKS and _is_cap(toks[j + 1], False):
            tail = [toks[j]]
            k = j + 1
            while k < len(toks) and (_is_cap(toks[k], False) or (toks[k] == "and" and k + 1 < len(toks)
                                                                  and _is_cap(toks[k + 1], False))):
                tail.append(toks[k])
                k += 1
            words += tail
        out.append("the " + " ".join(words))
    return out
