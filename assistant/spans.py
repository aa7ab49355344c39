"""Short answers are spans: which entity of a cited sentence answers the question.

Pure logic over `Entity` offsets (from `assistant.entities`, or a fake in tests); no spaCy here.

- `asked_types(question)`: the spaCy entity labels that can answer it ("who" -> PERSON, ORG, ...);
  an empty set means any entity or noun phrase (why/how/yes-no questions, or "what <noun>" with an
  unknown noun).
- `answer_spans(question, sentence, entities)`: the sentence's entities of an asked type that add
  something the question lacks, best first (nearest the question's words in the sentence).
- `is_typed_span(question, span_text, sentence, entities)`: whether a model's short answer is a
  verbatim span of the sentence that covers such an entity; "The French president and the Russian
  president" for "who proposed the summit" is not, "French President Emmanuel Macron" is.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Iterable, Sequence

from .entities import Entity
from .lexical import STOPWORDS, focus_pairs, stem, terms
from .names import COUNTRY_NAMES, DEMONYMS, STATE_AND_CITY, TITLES, US_STATES

__all__ = ["MAX_EXTRA_WORDS", "NUMERIC_LABELS", "answer_spans", "asked_types", "find_verbatim",
           "is_typed_span", "joined_answer", "lead_order", "preferred_types"]

# --- label groups ----------------------------------------------------------------------------------------

# "who" answers: people and organisations first. NORP ("Democrats", "the Taliban" is ORG, "French") and
# GPE are accepted too but ranked after them: in news, countries and cities act ("Who annexed Crimea?"
# "Russia"; "Who will host the Games?" "Tokyo"; "Who won the World Cup?" "Argentina"), and spaCy labels
# them GPE, so leaving GPE out would reject correct answers. The type check is necessary, not sufficient:
# the verifier's support and relevance checks still decide whether the sentence says that entity did it.
_WHO = (("PERSON", "ORG"), ("NORP", "GPE"))
_NUMBER = (("CARDINAL", "MONEY", "PERCENT", "QUANTITY"), ())
_MONEY = (("MONEY",), ())
_WHEN = (("DATE", "TIME"), ())
_WHERE = (("GPE", "LOC", "FAC"), ())
_AGE = (("DATE", "CARDINAL"), ())  # spaCy tags "63" in "Tim Cook, 63," and "45-year-old" as DATE
_COUNT = (("CARDINAL",), ())  # "how many passengers": a count
_DURATION = (("DATE", "TIME", "QUANTITY", "CARDINAL"), ())  # "three days", "90 minutes"
_MEASURE = (("QUANTITY", "CARDINAL"), ())
_RANK = (("ORDINAL", "CARDINAL"), ())
_ANY: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

_PERSON = (("PERSON",), ())
_ORG = (("ORG",), ())
# "Which country proposed the summit?" is often answered by a demonym: "French President Emmanuel Macron".
_COUNTRY = (("GPE",), ("NORP",))
_GPE = (("GPE",), ())
_REGION = (("GPE", "LOC"), ())
_LOC = (("LOC",), ("GPE",))
_FAC = (("FAC",), ("ORG", "GPE"))  # spaCy often tags venues ("Yankee Stadium", hospitals) as ORG
_PLACE = _WHERE
_WORK = (("WORK_OF_ART",), ())
_EVENT = (("EVENT",), ())
_LAW = (("LAW",), ())
_PRODUCT = (("PRODUCT",), ())
_LANGUAGE = (("LANGUAGE",), ("NORP",))
_NORP = (("NORP",), ())
_PARTY = (("ORG", "NORP"), ())  # "the Democratic Party" is ORG, "Democrats" NORP

_HEAD_NOUNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _nouns(group, words: str) -> None:
    for w in words.split():
        _HEAD_NOUNS[w] = group


_nouns(_COUNTRY, "country countries nation nations")
_nouns(_GPE, "state states city cities capital capitals town towns village villages province provinces county "
             "counties municipality prefecture prefectures territory territories republic kingdom district")
_nouns(_REGION, "region regions area areas")
_nouns(_LOC, "continent continents ocean oceans sea seas river rivers mountain mountains lake lakes island "
             "islands peninsula desert valley gulf strait")
_nouns(_FAC, "airport airports bridge bridges building buildings stadium stadiums arena venue hospital "
             "port station plant prison palace museum street road highway tower dam checkpoint")
_nouns(_PLACE, "place places location locations site")
_nouns(_ORG, "company companies firm firms organization organizations organisation organisations agency "
             "agencies team teams club clubs group groups network networks bank banks airline airlines "
             "carrier brand manufacturer automaker carmaker retailer startup broadcaster newspaper newspapers "
             "paper outlet university universities school college institution institute union alliance "
             "coalition bloc ministry department court committee council body militia army band label "
             "studio exchange charity publisher website business businesses giant maker operator lender "
             "insurer developer supplier channel platform platforms chain chains supermarket supermarkets "
             "league leagues")
_nouns(_PARTY, "party parties")
_nouns(_PERSON, "person people man woman men women official officials leader leaders president presidents "
                "minister ministers premier ceo chief executive executives actor actress actors singer "
                "singers player players politician senator governor mayor author writer director athlete "
                "coach king queen chancellor secretary spokesman spokeswoman spokesperson lawmaker "
                "lawmakers diplomat envoy judge candidate candidates star artist musician rapper footballer "
                "striker founder chairman chairwoman journalist reporter scientist general commander pope "
                "prince princess emperor ambassador opponent rival successor predecessor winner champion "
                "billionaire suspect victim husband wife son daughter celebrity celebrities gymnast swimmer "
                "golfer skater boxer quarterback pitcher comedian host anchor chef designer entrepreneur "
                "astronaut activist poet novelist composer filmmaker producer dancer investor monarch justice "
                "cyclist sprinter influencer economist head")  # "the Ukrainian head of state"
_nouns(_WORK, "film films movie movies show shows series book books novel novels song songs album albums "
              "play painting programme documentary opera single track")
_nouns(_EVENT, "event events war wars battle tournament championship championships festival olympics "
               "games storm hurricane typhoon earthquake disaster conference summit")
_nouns(_LAW, "law laws act bill treaty agreement accord constitution amendment regulation resolution")
_nouns(_PRODUCT, "product products vehicle vehicles car cars phone smartphone device aircraft plane jet "
                 "missile missiles weapon weapons ship vessel app software console satellite")
_nouns(_LANGUAGE, "language languages")
_nouns(_NORP, "nationality religion ethnicity")
_nouns(_WHEN, "year years date day days month months decade century season")
_nouns((("TIME",), ("DATE",)), "time hour")
_nouns(_AGE, "age")
_nouns(_NUMBER, "number amount figure sum total percentage percent share proportion rate population")
_nouns(_MONEY, "price cost value")
_nouns(_RANK, "rank ranking")

# Words that end the noun phrase after "which"/"what": verbs, auxiliaries, prepositions, relatives.
_PHRASE_END = frozenset(
    """is are was were be been being am do does did has have had will would can could should may might must
    shall of in on at to for from by with about as into over under after before between during than that
    who whom whose which what where when why how and or but if not no""".split()
)
_MONEY_CUES = re.compile(
    r"\b(?:cost|costs|costing|pay|pays|paid|paying|worth|spen[dt]|spending|charge[sd]?|fined?|"
    r"earn(?:s|ed)?|owe[sd]?|money|dollars?|yen|euros?|pounds|yuan|won|rubles?|funding|budget|salary|"
    r"raised?|invest(?:ed)?|sold for|bought for|fee|compensation|damages|ransom|bail)\b")
_TIME_UNITS = re.compile(r"^(?:years?|months?|weeks?|days?|decades?|centuries|hours?|minutes?|seconds?)\b")
# "How many" counts, unless what it counts is a unit of measure or money ("how many miles", "how many
# square feet", "how many dollars"), which a QUANTITY or MONEY phrase states.
_UNITS = re.compile(r"^(?:[a-z][\w-]* ){0,2}(?:miles|kilometers|kilometres|meters|metres|feet|inches|yards|acres|"
                    r"hectares|tons|tonnes|pounds|kilograms|kilos|grams|ounces|gallons|liters|litres|barrels|"
                    r"degrees|calories|watts|kilowatts|megawatts|gigawatts|volts|bytes|gigabytes|terabytes|"
                    r"dollars|euros|yen|yuan|rupees|pesos|cents|points|votes|percent|times)\b")

_WH_WORDS = "who|whom|whose|when|where|which|what|how"
_WH = re.compile(rf"\b({_WH_WORDS})\b")
# A question that opens by asking, perhaps after a preposition or a conjunction: "In which city...".
_LEADING_WH = re.compile(r"^(?:(?:and|but|so|then|also|in|on|at|for|to|from|by|with|of|since|until|during|"
                         rf"after|before|about|under|over|into|among|between|through|against)\s+)*(?:{_WH_WORDS})\b")


def _normalize(question: str) -> str:
    q = question.replace("\u2019", "'").lower()
    q = re.sub(r"[^\w\s'$%-]", " ", q)
    q = re.sub(r"\s+", " ", q).strip()
    # "What is the name of the company that ..." / "Name the company ..." -> "which company ..."
    q = re.sub(r"\b(?:what|which)(?: is|'s| was| are| were)? the names? of (?:the |a |an )?", "which ", q)
    q = re.sub(r"^(?:please )?(?:name|identify|give|list)(?: the names? of)? (?:the |a |an |one |two |three )?",
               "which ", q)
    return q


def _head_noun(words: list[str]) -> tuple[str | None, tuple | None]:
    """The head noun of the noun phrase `words` (text after "which"/"what") and its label group.

    Without a parser: skip up to three modifiers to the first known noun ("which oil company"), then
    take the last of the known nouns right after it ("what film festival", "which company president").
    A verb or preposition ends the phrase ("which country proposed the summit", "what did ...").
    """
    head = None
    for i, w in enumerate(words[:7]):
        if w in _PHRASE_END:
            break
        possessive = w.endswith("'s") or w.endswith("s'")
        w = w[:-2] if w.endswith("'s") else w.rstrip("'")
        if w == "figure" and i and words[i - 1] in ("public", "political", "key", "prominent", "famous"):
            return w, _PERSON  # "which public figure": a person, not a number
        if w in _HEAD_NOUNS:
            head = w
        elif head is not None or i >= 3:
            break
        if possessive:
            if head is not None:
                break  # "which country's president" asks for the country
            continue  # "(name) Moscow's top diplomat": the owner is no head noun; the phrase goes on
    return (head, _HEAD_NOUNS[head]) if head else (None, None)


# A sentence break inside a question: "...ever recorded. Where did the leak occur?" (not after "U.S." or "Mr.")
_SENTENCE_BREAK = re.compile(r"(?<=[a-z0-9]{2}[.!?])[\"”’]?\s+(?=[\"“‘'(]?[A-Z])")


def _asking_sentence(question: str) -> str:
    """The sentence that asks: the last one with a wh-word (a quiz question often opens with context)."""
    sentences = _SENTENCE_BREAK.split(question.strip())
    for sentence in reversed(sentences):
        if _WH.search(_normalize(sentence)):
            return sentence
    return sentences[-1] if sentences else question


def _groups(question: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(preferred labels, also accepted labels) for the asking sentence's first wh-phrase; when that asks for
    no type ("began what could be her final act by playing in which tournament?"), a later which/what
    phrase with a known head noun."""
    return _asked(question)[0]


# "Who is Antony Blinken?" asks what he is (his role), not for a name: no phrase of a kind answers it.
# "Who is US President?" or "Who is Japan's PM?" asks for a name.
_WHO_IS = re.compile(r"^\s*(?:[Aa]nd\s+)?[Ww]ho\s+(?:is|was|are|were)\s+(.+?)[?.!]?\s*$")


def _asks_who_someone_is(sentence: str) -> bool:
    m = _WHO_IS.match(sentence)
    words = m.group(1).split() if m else []
    return 1 <= len(words) <= 4 and all(
        w[0].isupper() and "'" not in w and "\u2019" not in w and w.lower().rstrip(".") not in TITLES
        and w.lower() not in _HEAD_NOUNS and w.lower() not in ("pm", "ceo", "us", "u.s.") for w in words)


def _asked(question: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], str | None]:
    """_groups' label group, and the head noun of the wh-phrase it came from (None without one)."""
    if _asks_who_someone_is(_asking_sentence(question)):
        return _ANY, None
    q = _normalize(_asking_sentence(question))
    phrases = [(m.group(1), _wh_phrase(q, m)) for m in _WH.finditer(q)]  # (wh-word, what it asks), in order
    if not phrases:
        return _ANY, None  # yes/no questions, imperatives we do not know
    if not _LEADING_WH.match(q):
        # Mid-sentence, a first "when", "who" or "which" is often a relative word and the question is
        # asked in place at the end: "...this week when it announced it would part ways with which
        # top-rated host?", "...a balloon which officials said ... off the coast of which state?". Such a
        # sentence asks with its last "which"/"what" phrase or typed "how many"-like one.
        in_place = [p for wh, p in phrases if wh in ("which", "what") or (wh == "how" and p[0] != _ANY)]
        if in_place and (in_place[-1][0] != _ANY or phrases[0][0] in ("when", "where", "who", "whom")):
            return in_place[-1]
    if phrases[0][1][0] != _ANY:
        return phrases[0][1]
    # "In what was the largest cull, how many cows died?": a later which/what/how phrase that asks a type.
    return next((p for wh, p in phrases[1:] if wh in ("which", "what", "how") and p[0] != _ANY), (_ANY, None))


def _wh_phrase(q: str, m: re.Match) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], str | None]:
    """The label group the wh-phrase at `m` asks for, and its head noun (None without one)."""
    wh, rest = m.group(1), q[m.end():].split()
    if wh in ("who", "whom", "whose"):
        return _WHO, None
    if wh == "when":
        return _WHEN, None
    if wh == "where":
        return _WHERE, None
    if wh == "how":
        nxt = rest[0] if rest else ""
        after = " ".join(rest[1:])
        if nxt == "much":
            return (_MONEY if _MONEY_CUES.search(after) else _NUMBER), None
        if nxt == "many":
            if _TIME_UNITS.match(after):
                return (("DATE", "TIME", "CARDINAL"), ("QUANTITY",)), None
            # "How many passengers" counts them: not "870 miles", "an estimated 2%" or "$5 million".
            if not _UNITS.match(after):
                return _COUNT, None
            return _NUMBER, None
        if nxt == "old":
            return _AGE, None
        if nxt == "long":
            return (_WHEN if after.startswith("ago") else _DURATION), None
        if nxt in ("far", "big", "large", "high", "tall", "deep", "heavy", "wide", "fast", "hot", "cold"):
            return _MEASURE, None
        return _ANY, None  # "how did", "how often": manner or frequency, not an entity
    # which / what (and "name the ..." rewritten to "which ...")
    if wh == "what" and rest[:1] and rest[0] in ("is", "was", "are", "were", "'s"):
        rest = rest[1:]
        if rest[:1] and rest[0] in ("the", "a", "an"):
            rest = rest[1:]  # "what is the capital of France"
        elif not (rest[:1] and rest[0].endswith("'s")):  # "what is Japan's capital" goes on
            return _ANY, None  # "what is happening", "what was it"
    elif rest[:1] and rest[0] in ("kind", "type", "sort") and rest[1:2] == ["of"]:
        rest = rest[2:]  # "what kind of company"
    head, group = _head_noun(rest)
    return (group, head) if group is not None else (_ANY, None)


def preferred_types(question: str) -> frozenset[str]:
    """The labels that answer `question` first ("who": PERSON, ORG; not the NORP/GPE also accepted)."""
    return frozenset(_groups(question)[0])


def asked_types(question: str) -> frozenset[str]:
    """The spaCy entity labels that can answer `question`; empty means any entity or noun phrase."""
    preferred, also = _groups(question)
    return frozenset(preferred) | frozenset(also)


# --- spans -----------------------------------------------------------------------------------------------

_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|\w+(?:[.,'\u2019-]\w+)*")
_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Z]{2,5}")
_IGNORED = frozenset({"the", "a", "an"})
NUMERIC_LABELS = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE", "TIME", "ORDINAL"})
# Words of a span outside any entity: "French President Emmanuel Macron" adds 1 ("President").
MAX_EXTRA_WORDS = 3
# How many tokens of distance a secondary label costs ("French" NORP vs "Emmanuel Macron" PERSON).
_SECONDARY_PENALTY = 3


def _word_key(word: str) -> str:
    """Comparison form: possessive dropped; acronyms upper-case without dots ("U.S." == "US" != "us")."""
    word = re.sub(r"['\u2019]s?$", "", word)
    if _ACRONYM.fullmatch(word):
        return word.replace(".", "").upper()
    return word.lower()


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def _question_words(question: str) -> tuple[set[str], set[str]]:
    keys = {_word_key(w) for _, _, w in _words(question)}
    keys |= {part for k in keys if "-" in k for part in k.split("-") if part}  # "Biden-Putin" names both
    return keys, {stem(k) for k in keys if not k.isupper()}


def _names_asked_about(entity: Entity, qkeys: set[str]) -> bool:
    """A person the question already names (by surname): "Joe Biden" for "...a Biden-Putin meeting?"
    Asking who did something about a summit of Biden's is not answered by Biden."""
    words = [_word_key(w) for _, _, w in _words(entity.text)]
    return entity.label == "PERSON" and bool(words) and words[-1] in qkeys


def _adds_something(entity_text: str, qkeys: set[str], qstems: set[str]) -> bool:
    """True when the entity has a word the question lacks (so it can answer rather than echo it). A
    hyphened word counts by its parts, common words left out: "the All-WNBA" adds nothing to "Which WNBA
    team...?", "Blink-182" adds to "Which band...?"."""
    for _, _, w in _words(entity_text):
        k = _word_key(w)
        parts = [k] if "-" not in k or k in qkeys else [_word_key(part) for part in w.split("-") if part]
        for part in parts:
            if part in _IGNORED or part in qkeys or (not part.isupper() and stem(part) in qstems):
                continue
            if len(parts) > 1 and part.lower() in STOPWORDS:
                continue
            return True
    return False


_LEADING_MARK = re.compile(r"[\u2013\u2014\u2212\u2022\u25c6\u220e\u00b7*-]+\s*")
_TRIMMED_POSSESSIVE = frozenset({"PERSON", "GPE", "LOC", "FAC", "NORP"})
_POSSESSIVE = re.compile(r"(?<=\w)(?:['\u2019]s|(?<=s)['\u2019])$")
# A currency sign right before an amount the tagger took without it ("a jaw-dropping $12,600,000": MONEY is
# "12,600,000"), with a currency prefix ("US$", "C$", "A$").
_CURRENCY_BEFORE = re.compile(r"(?:(?:\b(?:US|USD|C|CA|A|AU|NZ|HK|S))?\$|[\u00a3\u20ac\u00a5\u20b9])$")


def _valid(sentence: str, entities: Iterable[Entity]) -> list[Entity]:
    """The entities that are offsets into this sentence (misaligned ones are ignored), trimmed of a dash or
    bullet the tagger took in ("– Northeastern University") and of a person's or a place's possessive
    ending: "Steven Spielberg's film" names "Steven Spielberg". An organisation's is trimmed only after a
    word for an institution ("Northeastern University's"): a company's is often its name ("Wendy's"). An
    amount of money gets back a currency sign the tagger left out ("$12,600,000", not "12,600,000")."""
    out = []
    for e in entities:
        if not (0 <= e.start < e.end <= len(sentence) and sentence[e.start:e.end] == e.text):
            continue
        lead = _LEADING_MARK.match(e.text)
        if lead and lead.end() < len(e.text):
            e = Entity(e.start + lead.end(), e.end, e.label, e.text[lead.end():])
        m = _POSSESSIVE.search(e.text)
        if m and m.start() > 0 and (e.label in _TRIMMED_POSSESSIVE or (
                e.label == "ORG" and _HEAD_NOUNS.get(e.text[:m.start()].split()[-1].lower()) == _ORG)):
            e = Entity(e.start, e.start + m.start(), e.label, e.text[:m.start()])
        if e.label == "MONEY" and e.text[:1].isdigit():
            sign = _CURRENCY_BEFORE.search(sentence, 0, e.start)
            if sign:
                e = Entity(sign.start(), e.end, e.label, sentence[sign.start():e.end])
        out.append(e)
    return out


# "U.S. President Joe Biden", "Russian Foreign Minister": a country or demonym right before a capitalised
# title names whose official it is; it is neither where something happens nor who did it.
_TITLE_AFTER = re.compile(r"\s+(?:President|Vice|Prime|Minister|Secretary|Foreign|Defen[cs]e|Press|Chancellor|"
                          r"Ambassador|Embassy|Envoy|Officials?|Leader|Government|Forces|Troops|Army|Navy)\b")


def _title_modifier(entity: Entity, sentence: str) -> bool:
    return entity.label in ("GPE", "NORP") and bool(_TITLE_AFTER.match(sentence, entity.end))


# "Secretary of State Antony Blinken": the tagger's ORG "State" is the end of a title, not an organisation.
_TITLE_OF = re.compile(r"\b(?:Secretary|Minister|Secretary-General|Under Secretary|Chancellor)\s+of\s+(?:the\s+)?$")


# "Japanese Defense Minister Nobuo Kishi": the tagger's ORG "Defense" is the start of a person's title.
_TITLE_NOUN_AFTER = re.compile(r"\s+(?:Minister|Secretary|Secretary-General|Chief|Adviser|Advisor|"
                               r"Spokes(?:man|woman|person)|Czar|Envoy)\b")


def _title_part(entity: Entity, sentence: str) -> bool:
    return entity.label == "ORG" and len(entity.text.split()) == 1 and bool(
        _TITLE_OF.search(sentence[max(0, entity.start - 40):entity.start])
        or _TITLE_NOUN_AFTER.match(sentence, entity.end))


# "a summit on the Ukraine crisis", "the Russia probe": a place naming what a matter is about is not where
# anything happens.
_MATTER_AFTER = re.compile(r"\s+(?:crisis|conflict|war|issue|situation|question|talks|deal|policy|probe|standoff|"
                           r"tensions?|dispute|row|affair|scandal|file|problem|invasion|sanctions|stance|strategy|"
                           r"relations|ties|border dispute)\b")


# "provided Moscow does not take military action", "Beijing said": a place standing for its government,
# the subject of a verb, is an actor there, not where something happens.
_VERB_AFTER = re.compile(r"\s+(?:does|did|do|has|have|had|is|was|will|would|could|should|may|might|must|can|"
                         r"said|says|wants?|wanted|denie[sd]|warn(?:s|ed)|accuse[sd]|insist(?:s|ed)|refuse[sd]|"
                         r"agree[sd]|demand(?:s|ed)|plan(?:s|ned)|claim(?:s|ed)|announce[sd]|reject(?:s|ed)|"
                         r"launch(?:es|ed)|sent|sends|threaten(?:s|ed)|vow(?:s|ed)|hope[sd])\b")


def _matter_modifier(entity: Entity, sentence: str, actor: bool = False) -> bool:
    """A place naming a matter ("the Ukraine crisis"); unless `actor`, also one standing for its
    government before a verb ("Moscow does not"), which answers "who" but not "where"."""
    if entity.label not in ("GPE", "LOC"):
        return False
    if _MATTER_AFTER.match(sentence, entity.end):
        return True
    if actor:
        return False
    # "officials in Geneva said": after a preposition it is still the place.
    return bool(_VERB_AFTER.match(sentence, entity.end)) and not _PREPOSITION_BEFORE.search(sentence[:entity.start])


# "the White House said Sunday", "told reporters on Monday": a day right after the verb of saying dates the
# report, not what it reports, unless the question asks when it was said.
_SAID_BEFORE = re.compile(r"\b(?:said|says|told\s+(?:reporters|journalists|[A-Z]\w+))\s+(?:on\s+)?$")
_SAYING = frozenset(stem(w) for w in "say said says tell told".split())


def _report_date(entity: Entity, sentence: str, qstems: set[str]) -> bool:
    return (entity.label in ("DATE", "TIME") and not (_SAYING & qstems)
            and bool(_SAID_BEFORE.search(sentence[max(0, entity.start - 40):entity.start])))


# "In which city will they meet?": a preposition before the question word asks where, as "where" does.
_WHERE_PREPOSITION = re.compile(r"\b(?:in|at|to|from|near|into|inside|outside) (?:which|what) ")


_PREPOSITION_BEFORE = re.compile(r"\b(?:in|at|to|from|near|into|outside|inside|across|around)\s+(?:the\s+)?$", re.I)


# A country is no answer to "which city/town/capital": spaCy tags both GPE.
_SETTLEMENT = re.compile(r"\b(?:which|what) (?:\w+ )?(?:city|cities|town|towns|capital|village|villages)\b")
# Nor to "which state" in the American sense ("Which state has the most cases?" is not "the United States");
# "which Gulf state" or "which member state" may be a country, so only a bare or American "state" counts.
_SUBDIVISION = re.compile(r"\b(?:which|what) (?:us |u s |american )?(?:state|states|province|provinces|county|"
                          r"counties)\b")


# "his Russian counterpart", "Russian troops": a demonym before a common noun modifies it; it names nobody
# who did anything, so it is no answer to "who" ("the Russians", "Democrats said" still are).
_NOUN_AFTER = re.compile(r"\s+(?!(?:and|or|but|said|says|is|was|are|were|has|have|had|will|would|did|does|do|"
                         r"to|of|in|on|at|for|with|by|from|as|that|who|which)\b)[a-z][a-z-]+\b")


def _demonym_modifier(entity: Entity, sentence: str) -> bool:
    return (entity.label == "NORP" and entity.text.lower() in DEMONYMS
            and bool(_NOUN_AFTER.match(sentence, entity.end)))


# "7:20 a.m. ET": spaCy tags a time zone as a place or an organisation; it is neither.
_TIME_ZONES = frozenset("ET EST EDT CT CST CDT MT MST MDT PT PST PDT GMT UTC BST CET CEST EET JST KST AEST AEDT".split())
# "Millions of baby swings": a word for a rough size gives no number ("about 2 million" does).
_VAGUE_NUMBER = re.compile(r"(?:(?:tens|hundreds|thousands|millions|billions|dozens|scores|several|numerous|many|"
                           r"some|a few|few)(?:\s+of)?\s*)+", re.I)


def _no_answer_text(entity: Entity, numeric: bool) -> bool:
    """A time zone, or, where a number is asked for, a word for a rough size without a figure."""
    text = entity.text.strip()
    if text in _TIME_ZONES:
        return True
    return numeric and not any(c.isdigit() for c in text) and bool(_VAGUE_NUMBER.fullmatch(text))


# An age is a number: "17-year-old", "63", "sixty-two"; spaCy tags "Wednesday" DATE as it does "17-year-old".
_AGE_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                         r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
                         r"ninety|hundred)", re.I)


_HYPHEN_WORD = re.compile(r"-([A-Za-z]+)")


def _hyphen_modifier(entity: Entity, sentence: str, qstems: set[str]) -> bool:
    """A number joined by a hyphen to the noun it modifies ("Two-term president", "a 10-point lead"): it
    counts no thing the question asks about, unless that noun is the question's ("how many terms")."""
    m = _HYPHEN_WORD.match(sentence, entity.end)
    return bool(m) and stem(m.group(1).lower()) not in qstems


def _parenthesised(entity: Entity, sentence: str) -> bool:
    """A whole parenthetical: a photo credit "(Getty/Kyodo)", "(L)", an acronym repeating a name."""
    return sentence[:entity.start].rstrip().endswith("(") and sentence[entity.end:].lstrip().startswith(")")


def _is_country(text: str) -> bool:
    key = text.lower().removeprefix("the ").strip()
    return key in COUNTRY_NAMES or key in DEMONYMS.values()


def _asks_us_state(subdivision: re.Match | None) -> bool:
    """Whether a question's `_SUBDIVISION` match is a bare or American "which state"."""
    return subdivision is not None and subdivision.group(0).split()[-1] in ("state", "states")


def lead_order(question: str, spans: Sequence[Entity], corroborated: Callable[[Entity], bool]) -> list[Entity]:
    """`answer_spans`' phrases (in its order) as an answer leads with them: for "which state" a US state
    first, for "how old" one with a number ("17-year-old" before "Wednesday", both DATE to spaCy), then one
    of a first-choice label, then a `corroborated` one (named elsewhere in the news), then `answer_spans`'
    order."""
    groups = _groups(question)
    preferred = groups[0]
    states = _asks_us_state(_SUBDIVISION.search(_normalize(question)))
    age = groups == _AGE
    order = {e: k for k, e in enumerate(spans)}
    return sorted(spans, key=lambda e: (states and not _is_us_state(e.text),
                                        age and not _AGE_NUMBER.search(e.text),
                                        bool(preferred) and e.label not in preferred,
                                        not corroborated(e), order[e]))


def _is_us_state(text: str, also_city: bool = True) -> bool:
    """A US state's name ("Pennsylvania"); `also_city` False leaves out the two that name a city too."""
    key = text.lower().removeprefix("the ").removeprefix("state of ").strip()
    return key in US_STATES and (also_city or key not in STATE_AND_CITY)


# "..., according to results announced by Mexico's National Electoral Institute": the source a sentence cites,
# no answer unless the question asks who said, reported or found it.
_ATTRIBUTED = re.compile(r"\baccording to\b[^,;.]*$", re.I)
_ASKS_SOURCE = re.compile(r"\b(?:accord\w*|sa(?:y|ys|id)|report\w*|announc\w*|told|tell|source|claim\w*|estimat\w*|"
                          r"predict\w*|found|find|study|survey|poll|data|analys[ie]s)\b", re.I)


# "Which official announced...?", "Who said...?": the question asks for the source a sentence cites.
_ASKS_WHO_SAID = re.compile(r"^(?:who|which (?:(?!is |was |are |were )\w+ ){1,3}?) ?(?:(?:has |have |had )?(?:\w+ly )?"
                            r"(?:said|says|announced|announces|told|confirmed|reported|stated|warned|claimed|revealed|"
                            r"declared)|(?:is|was|were|being) quoted)\b")
# "..., the White House said Sunday": the source named in a clause that ends the report.
_CLAUSE_BEFORE = re.compile(r",\s*(?:the\s+)?$", re.I)
_SAID_AFTER = re.compile(r"\s+(?:said|says|reported|announced|added|noted|confirmed|told)\b")


def _according_to(entity: Entity, sentence: str) -> re.Match | None:
    """The "according to ..." words right before the phrase, when the sentence cites it that way."""
    return _ATTRIBUTED.search(sentence[max(0, entity.start - 90):entity.start])


def _cited_source(entity: Entity, sentence: str) -> bool:
    """The phrase is the source the sentence cites: "according to X", or ", X said" after the report."""
    return bool(_according_to(entity, sentence)) or (
        bool(_SAID_AFTER.match(sentence, entity.end)) and bool(_CLAUSE_BEFORE.search(sentence[:entity.start])))


def _attributed(entity: Entity, sentence: str, asked: frozenset[str]) -> bool:
    """Whether the phrase is the source the sentence cites ("according to ..."), the cited words
    describing none of the question's common words ("according to White House Press Secretary Jen
    Psaki" answers "Who is the press secretary?")."""
    m = _according_to(entity, sentence)
    return bool(m) and not (terms(m.group(0)).content & asked)


# "Five of 33 engines", "three of the 10 victims": the second number is the whole the first is part of.
_PART_OF = re.compile(r"\s+(?:out\s+)?of\s+(?:the\s+|its\s+|their\s+|his\s+|her\s+)?")
# "How many Ukrainian troops" is not answered by "150,000 Russian troops": the sentence gives the number of
# another country's (or people's) troops.
_HOW_MANY_OF = re.compile(r"\b[Hh]ow many ([A-Z][a-z]+) ([a-z]+)")


def _other_owner(question: str, entity: Entity, sentence: str) -> bool:
    m = _HOW_MANY_OF.search(question)
    if not m or m.group(1).lower() not in DEMONYMS:
        return False
    owner, noun = DEMONYMS[m.group(1).lower()], stem(m.group(2))
    after = re.match(r"\s+(?:[\w-]+\s+){0,2}?([A-Z][a-z]+)\s+([a-z]+)", sentence[entity.end:])
    if not after or stem(after.group(2)) != noun:
        return False
    other = after.group(1).lower()
    return DEMONYMS.get(other, other) != owner


def _anothers_official(owners: set[str], entity: Entity, sentence: str) -> bool:
    """For "Who is Poland's defense minister?" (`owners`: the relations' owners, stemmed), a person whose
    title names another country: "Japanese Defense Minister Nobuo Kishi", where "his Polish counterpart
    Mariusz Blaszczak" is Poland's. The nearest country or demonym in the four words before the name decides."""
    if not owners or entity.label != "PERSON":
        return False
    for word in reversed(sentence[max(0, entity.start - 80):entity.start].split()[-4:]):
        low = _POSSESSIVE.sub("", word.lower().strip(",;:()\"“”"))
        if low in DEMONYMS or low in COUNTRY_NAMES:
            return stem(low) not in owners
    return False


def answer_spans(question: str, sentence: str, entities: Sequence[Entity]) -> list[Entity]:
    """Entities of `sentence` that can answer `question`, best first.

    Kept: an asked type (any label when `asked_types` is empty), a word the question lacks, not a
    person the question names by surname, not a whole parenthetical ("(Getty/Kyodo)") nor a time zone
    ("ET"), for a number not a word for a rough size ("Millions") nor one hyphened to a noun the question
    lacks ("Two-term president" for "How old is Biden?"), for "where"/"who" not a country or
    demonym that only modifies a title ("U.S. President"), for a place not one naming a matter ("the
    Ukraine crisis") or, for "where" or "in which city" (not "which state"), standing for its government
    ("Moscow does not"), for "when" not the day a statement was made ("the White House said Sunday")
    unless the question asks when something was said, for "who" not a demonym modifying a noun ("his
    Russian counterpart"), for "which city" or "which state" not a country, for "which city" not a US
    state (but New York and Washington), for "which country" no place but a country ("Santa Cruz" is
    none), for "how many Ukrainian troops" not a number of another country's troops, for "Poland's
    defense minister" not a person titled for another country ("Japanese Defense Minister Nobuo
    Kishi"), and never the "State" of "Secretary of State" nor the "Defense" of "Defense Minister".
    Order: for "which state", US states first; then any phrase before a source the sentence cites
    ("according to ...") unless the question asks for a source, and for "who said" or "which official
    announced" the cited source first ("according to X", ", X said" closing the report); then token
    distance to the nearest question content word in the sentence, plus a penalty for secondary labels
    (NORP/GPE for "who") and for the whole in "five of 33", then position. With no question word in the
    sentence, preferred labels first, then position.
    """
    preferred, also = _groups(question)
    allowed = set(preferred) | set(also)
    qkeys, qstems = _question_words(question)
    # For "where" and "who", a country naming whose official follows is no answer ("Which country" keeps it).
    place_or_actor = (preferred, also) in (_WHERE, _WHO)
    place = (preferred, also) in (_WHERE, _GPE, _REGION, _LOC, _PLACE)
    actor = (preferred, also) == _WHO
    numeric = bool(allowed) and allowed <= NUMERIC_LABELS
    when = (preferred, also) == _WHEN
    normalized = _normalize(question)
    # A place standing for its government ("Moscow does not") answers "which city passed...", not "where".
    located = (preferred, also) == _WHERE or bool(_WHERE_PREPOSITION.search(normalized))
    city = bool(_SETTLEMENT.search(normalized))
    subdivision = _SUBDIVISION.search(normalized)
    settlement = city or bool(subdivision)
    us_state = _asks_us_state(subdivision)
    country = (preferred, also) == _COUNTRY
    owners = {owner for owner, _ in focus_pairs(question)}
    candidates = [e for e in _valid(sentence, entities)
                  if (not allowed or e.label in allowed) and _adds_something(e.text, qkeys, qstems)
                  and not _names_asked_about(e, qkeys)
                  and not _parenthesised(e, sentence)
                  and not _no_answer_text(e, numeric)
                  and not (numeric and _hyphen_modifier(e, sentence, qstems))
                  and not (place_or_actor and _title_modifier(e, sentence))
                  and not _title_part(e, sentence)
                  and not (place and _matter_modifier(e, sentence, actor=not located))
                  and not (when and _report_date(e, sentence, qstems))
                  and not (actor and (_matter_modifier(e, sentence, actor=True) or _demonym_modifier(e, sentence)))
                  and not (settlement and _is_country(e.text))
                  and not (city and _is_us_state(e.text, also_city=False))
                  and not (country and e.label != "NORP" and not _is_country(e.text))
                  and not _other_owner(question, e, sentence)
                  and not _anothers_official(owners, e, sentence)]
    if not candidates:
        return []
    if (preferred, also) == _WHEN:
        candidates += _day_and_time(candidates, sentence)
    tokens = _words(sentence)
    anchors = []
    for i, (_, _, w) in enumerate(tokens):
        k = _word_key(w)
        if k.lower() in STOPWORDS or k in _IGNORED:
            continue
        if k in qkeys or (not k.isupper() and stem(k) in qstems):
            anchors.append(i)

    attribution = not _ASKS_SOURCE.search(question)
    source = bool(_ASKS_WHO_SAID.search(_normalize(_asking_sentence(question))))
    question_terms = terms(question)
    asked = question_terms.content - question_terms.salient  # its common words: "press secretary", "elect"
    numbers = [e for e in candidates if e.label in NUMERIC_LABELS]
    totals = {b for a in numbers for b in numbers
              if a.end <= b.start and _PART_OF.fullmatch(sentence[a.end:b.start])}

    def key(e: Entity):
        idx = [i for i, (s, t, _) in enumerate(tokens) if s < e.end and t > e.start] or [0]
        first, last = idx[0], idx[-1]
        inside = [a for a in anchors if first <= a <= last]
        outside = [a for a in anchors if not first <= a <= last]
        if inside:
            distance = 0.0
        elif outside:
            distance = float(min(first - a if a < first else a - last for a in outside))
        else:
            distance = math.inf
        penalty = 0 if (not preferred or e.label in preferred) else _SECONDARY_PENALTY
        if e in totals:
            penalty += _SECONDARY_PENALTY  # "Five of 33 Raptor engines were lost": five, not the 33
        # "..., according to results announced by Mexico's electoral body": after every phrase not so cited;
        # for "Which official announced...?" the cited source before every other phrase.
        if source:
            after = not _cited_source(e, sentence)
        else:
            after = attribution and _attributed(e, sentence, asked)
        # "Which state": a state first, wherever it stands (Detroit is no state, Michigan is).
        no_state = us_state and not _is_us_state(e.text)
        return (no_state, after, distance + penalty, penalty, e.start, -e.end)

    return sorted(candidates, key=key)


def _day_and_time(candidates: Sequence[Entity], sentence: str) -> list[Entity]:
    """A date and a time the tagger split, side by side ("Friday" "morning", "9 a.m." "Friday"), as one
    phrase for "when": "Friday morning". The parts stay candidates (a model may answer "Friday")."""
    when = sorted((e for e in candidates if e.label in ("DATE", "TIME")), key=lambda e: e.start)
    return [Entity(a.start, b.end, "DATE", sentence[a.start:b.end]) for a, b in zip(when, when[1:])
            if a.label != b.label and sentence[a.end:b.start] == " "]


# "Which two countries...", "name both companies": the answer is a pair.
_TWO = re.compile(r"\b(?:which|what|who) (?:are |were )?(?:the )?(?:two|2|both)\b|^which both\b")
_IRREGULAR_PLURALS = frozenset({"people", "men", "women"})
_COMMA = re.compile(r"\s*,\s*")
_AND = re.compile(r"\s*,?\s+(?:and|&)\s+")


def _plural(noun: str | None) -> bool:
    """A head noun in the plural ("countries", "companies", "people"), by the singular's being a head noun."""
    if not noun:
        return False
    if noun in _IRREGULAR_PLURALS:
        return True
    return noun.endswith("s") and any(
        singular in _HEAD_NOUNS for singular in (noun[:-1], noun[:-2] if noun.endswith("es") else "",
                                                 noun[:-3] + "y" if noun.endswith("ies") else ""))


def joined_answer(question: str, sentence: str, spans: Sequence[Entity]) -> str | None:
    """For a question asking for several things, the sentence's list that holds the lead answer phrase
    `spans[0]`, verbatim: for "Which two countries..." a pair ("Sweden and Finland"), for a plural
    "Which countries..." the whole list of phrases of its label joined by commas and one final "and"
    ("Britain, Canada, France ... and the United States"). None when one thing is asked for, or the
    sentence names no such list around the lead phrase."""
    if len(spans) < 2:
        return None
    head = _asked(question)[1]
    two = bool(_TWO.search(_normalize(_asking_sentence(question))))
    if not two and not _plural(head):
        return None
    lead = spans[0]
    kind = sorted({(e.start, e.end): e for e in spans if e.label == lead.label}.values(), key=lambda e: e.start)
    i = next(k for k, e in enumerate(kind) if (e.start, e.end) == (lead.start, lead.end))
    first = last = i
    ended = False  # the list's "and" is its last joint
    while last + 1 < len(kind) and not ended:
        gap = sentence[kind[last].end:kind[last + 1].start]
        if _AND.fullmatch(gap):
            ended = True
        elif not _COMMA.fullmatch(gap):
            break
        last += 1
    while first > 0:
        gap = sentence[kind[first - 1].end:kind[first].start]
        if _AND.fullmatch(gap) and not ended and last == i:
            ended = True
        elif not _COMMA.fullmatch(gap):
            break
        first -= 1
    items = last - first + 1
    if items < 2 or (two and items != 2):
        return None
    return sentence[kind[first].start:kind[last].end]


def _occurrences(span: str, sentence: str) -> list[tuple[int, int]]:
    """Where `span` occurs verbatim in `sentence` (whitespace runs may differ), on word boundaries:
    "150" does not occur in "150,000", nor "acron" in "Macron"."""
    parts = span.split()
    if not parts:
        return []
    pattern = re.compile(r"\s+".join(re.escape(p) for p in parts))
    return [(m.start(), m.end()) for m in pattern.finditer(sentence)
            if _boundary(sentence, m.start()) and _boundary(sentence, m.end())]


def _boundary(text: str, i: int) -> bool:
    """Whether offset `i` falls between words: not inside a word, nor inside a number like 150,000 or 1.2."""
    if i <= 0 or i >= len(text):
        return True
    before, after = text[i - 1], text[i]
    if before.isalnum() and after.isalnum():
        return False
    if before in ".," and after.isdigit() and i >= 2 and text[i - 2].isdigit():
        return False  # "150,|000"
    if after in ".," and before.isdigit() and i + 1 < len(text) and text[i + 1].isdigit():
        return False  # "150|,000"
    return True


def _extra_words(sentence: str, start: int, end: int, entities: Sequence[Entity]) -> int:
    """Words of sentence[start:end] not inside any entity."""
    count = 0
    for s, t, w in _words(sentence[start:end]):
        s, t = s + start, t + start
        if w.lower() in _IGNORED:
            continue
        if not any(e.start <= s and t <= e.end for e in entities):
            count += 1
    return count


def _verbatim_spots(span_text: str, sentence: str) -> tuple[str, list[tuple[int, int]]]:
    """`span_text` with trailing punctuation and quotes trimmed, and where it (or, failing that, the
    trimmed form) occurs verbatim in `sentence`."""
    span = span_text.strip()
    trimmed = span.rstrip(".,;:!?").strip().strip("\"'\u201c\u201d\u2018\u2019").strip()
    return trimmed, _occurrences(span, sentence) or _occurrences(trimmed, sentence)


def find_verbatim(span_text: str, sentence: str) -> tuple[int, int] | None:
    """Where `span_text` first occurs verbatim in `sentence` (word boundaries; trailing punctuation and
    quotes forgiven), or None: the one test of "copied, not paraphrased"."""
    spots = _verbatim_spots(span_text, sentence)[1]
    return spots[0] if spots else None


def is_typed_span(question: str, span_text: str, sentence: str, entities: Sequence[Entity]) -> bool:
    """Whether `span_text` is a short answer copied from `sentence` of the type `question` asks for.

    True when it occurs verbatim in the sentence (at word boundaries; trailing punctuation forgiven)
    and either covers one of `answer_spans(...)` with at most MAX_EXTRA_WORDS words outside entities
    ("French President Emmanuel Macron"), or lies inside one: the trailing words of a PERSON ("Macron"),
    or words with a digit of a number, date or time ("150,000" of "more than 150,000").
    When the question asks for no particular type, any verbatim span with a word the question lacks.
    """
    trimmed, spots = _verbatim_spots(span_text, sentence)
    if not spots:
        return False  # not verbatim: a paraphrase
    valid = _valid(sentence, entities)
    if not asked_types(question):
        qkeys, qstems = _question_words(question)
        return _adds_something(trimmed, qkeys, qstems)
    candidates = answer_spans(question, sentence, valid)
    for s, t in spots:
        for e in candidates:
            if s <= e.start and e.end <= t:
                if _extra_words(sentence, s, t, valid) <= MAX_EXTRA_WORDS:
                    return True
            elif e.start <= s and t <= e.end:
                # Part of an entity: a surname ("Macron" of "Emmanuel Macron"), or the figure of a
                # number or date ("150,000" of "more than 150,000", "2022" of "Feb. 18, 2022").
                if e.label == "PERSON" and t == e.end:
                    return True
                if e.label in NUMERIC_LABELS and any(c.isdigit() for c in sentence[s:t]):
                    return True
    return False
