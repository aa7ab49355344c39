"""Follow-up rewriting: turn "who did he call on Sunday?" into a standalone question.

`RuleRewriter.rewrite(question, history)` resolves what a follow-up leaves to
the conversation, keeping the follow-up's own words:

- he/him/his/she/her -> the person it most likely means: after a "who"
  question, the person the last answer added; otherwise the first person of
  the last question, then the rest of the answer, then older turns;
- they/them/their -> two people the last question named ("Biden and Putin"),
  else the organisation or place named last (answer first after a wh-question);
- it/its and a bare this/that -> the main noun phrase of the last question
  ("the summit"); "this meeting" -> the history's noun phrase with that head;
  "there" -> "in <the place named last>";
- "and Putin?" / "what about Putin?" -> the last question with Putin in place
  of the name of the same kind; "When?" / "and why?" -> the last question with
  its wh-word swapped (or "Why did ...?" for a yes/no question).

Names are found with capitalisation: runs of capitalised words (joined by
"of"), titles ("French President", "Press Secretary") dropped, so the name is
"Emmanuel Macron"; a run with an organisation word, an acronym or a known
country or city is a group or place. A question with no history or nothing to
resolve is returned unchanged. An optional `model_rewrite` completion hook is
tried first with `rewrite_prompt`; its output is used only when it is one
question line that keeps the follow-up's content words and adds only words the
history has. Deterministic; it does not resolve "the other one", "the first",
gender, or a pronoun whose referent the history never names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from .lexical import STOPWORDS, terms

__all__ = ["Rewriter", "RuleRewriter", "rewrite_prompt"]

Turn = tuple[str, str]

_TITLES = {
    "president", "vice", "prime", "minister", "secretary", "state", "foreign", "defense", "defence", "press",
    "chancellor", "chief", "executive", "general", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sen",
    "sen.", "senator", "rep", "rep.", "representative", "governor", "gov", "gov.", "king", "queen", "prince",
    "princess", "pope", "leader", "ambassador", "spokesperson", "spokesman", "spokeswoman", "premier", "deputy",
    "director", "chairman", "chairwoman", "chair", "ceo", "justice", "judge", "mayor", "speaker", "finance",
    "interior", "commissioner", "envoy", "coach", "captain", "lord", "lady", "sir", "dame", "white", "house",
    "of", "u.s.", "u.k.", "u.n.", "eu", "un", "uk", "us",
}
_DEMONYMS = {
    "american", "british", "chinese", "french", "german", "russian", "ukrainian", "japanese", "polish", "italian",
    "canadian", "indian", "israeli", "iranian", "korean", "spanish", "turkish", "australian", "belarusian",
    "european", "mexican", "brazilian", "saudi", "dutch", "swedish", "finnish", "greek", "irish", "afghan",
}
_ORG_WORDS = {
    "ministry", "house", "union", "organization", "organisation", "treaty", "nations", "states", "kingdom",
    "republic", "council", "bank", "committee", "party", "group", "department", "office", "court", "agency",
    "university", "company", "corp", "inc", "ltd", "news", "times", "post", "region", "sea", "river", "city",
    "island", "islands", "street", "association", "federation", "parliament", "congress", "senate", "assembly",
    "commission", "fund", "reserve", "forces", "army", "navy", "police", "government", "administration",
    "kremlin", "pentagon", "alliance", "league", "club", "institute", "airlines", "motors", "olympics",
}
_PLACES = {
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
_AUX = {
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
_NOT_NAMES = STOPWORDS | _AUX | _QUESTION_WORDS | _CALENDAR | _OPENERS
_WORD = re.compile(r"(?:[A-Z]\.){2,}|[A-Za-z][\w\-]*(?:['\u2019][a-z]+)?|\d[\d,.]*|[^\w\s]")
_CITATION = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]")


@dataclass(frozen=True)
class _Name:
    text: str  # "Emmanuel Macron", "Russia", "North Atlantic Treaty Organization"
    person: bool
    start: int  # token position in its turn


class Rewriter(Protocol):
    """Rewrites a follow-up into a standalone question, given (role, text) turns, oldest first."""

    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


# --- names and noun phrases ---------------------------------------------------------------------------------

def _tokens(text: str) -> list[str]:
    return _WORD.findall(_CITATION.sub("", text))


def _is_cap(tok: str, first: bool) -> bool:
    if not tok[:1].isupper():
        return False
    if tok.lower().rstrip(".") in _NOT_NAMES or tok.lower() in _NOT_NAMES or len(tok) < 2:
        return False
    return True


def _names(text: str, known_people: set[str]) -> list[_Name]:
    """Capitalised runs in `text`, titles dropped, each marked person or not."""
    toks = _tokens(text)
    out: list[_Name] = []
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
        titled = [k for k, t in enumerate(low) if t in _TITLES or t in _DEMONYMS]
        has_org = any(t in _ORG_WORDS for t in low) and not (titled and titled[-1] < len(run) - 1
                                                                and run[-1].lower() not in _ORG_WORDS)
        if titled and not has_org:
            rest = run[titled[-1] + 1:]
            if rest and not (len(rest) == 1 and rest[0].lower() in _PLACES):
                out.append(_Name(" ".join(rest), True, start + titled[-1] + 1))
            continue
        name = " ".join(run)
        if first and len(run) == 1 and low[0] not in _PLACES and run[0] not in known_people:
            continue  # a capitalised sentence opener is not evidence of a name
        group = has_org or any(t in _PLACES for t in low) or (len(run) == 1 and run[0].isupper() and len(run[0]) > 1)
        if low[-1] in _DEMONYMS:
            continue
        out.append(_Name(name, not group, start))
    return out


def _people_index(history: Sequence[Turn]) -> set[str]:
    """Surnames of full names seen anywhere ("Biden" once "Joe Biden" appeared), as known people."""
    known: set[str] = set()
    for _, text in history:
        for n in _names(text, set()):
            if n.person and " " in n.text:
                known.add(n.text.split()[-1])
    return known


_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those"}
_NP_LINKS = {"between", "with", "of", "on", "in", "over"}


def _noun_phrases(text: str) -> list[str]:
    """Determiner noun phrases as "the ...": "the summit", "the meeting between Blinken and Lavrov".

    Up to three words after the determiner (stopping at a stopword), plus a
    linking preposition and the capitalised names after it.
    """
    toks = _tokens(text)
    out = []
    for i, tok in enumerate(toks):
        if tok.lower() not in _DETERMINERS:
            continue
        words = []
        j = i + 1
        while j < len(toks) and len(words) < 3 and re.match(r"[A-Za-z]", toks[j]) and \
                toks[j].lower() not in STOPWORDS and toks[j].lower() not in _AUX:
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


# --- rewriting ----------------------------------------------------------------------------------------------

def _last(history: Sequence[Turn], role: str) -> str:
    for r, text in reversed(history):
        if r == role:
            return text
    return ""


def _ranked_names(history: Sequence[Turn], person: bool, exclude: str) -> list[str]:
    """Candidate referents, best first, never one the follow-up already names."""
    known = _people_index(history)
    last_q, last_a = _last(history, "user"), _last(history, "assistant")
    q_names = [n.text for n in _names(last_q, known) if n.person == person]
    a_names = [n.text for n in _names(last_a, known) if n.person == person]
    new_in_answer = [n for n in a_names if not any(n in q or q in n for q in q_names)]
    asks_who = re.match(r"\s*(?:who|whom|whose|which|what)\b", last_q, re.I)
    order = (new_in_answer + q_names + a_names) if asks_who else (q_names + a_names)
    for _, text in reversed(history):
        order += [n.text for n in reversed(_names(text, known)) if n.person == person]
    seen, out = set(), []
    for n in order:
        surname = n.split()[-1]
        if n not in seen and not re.search(r"\b" + re.escape(surname) + r"\b", exclude):
            seen.add(n)
            out.append(n)
    return out


def _main_phrase(history: Sequence[Turn]) -> str:
    for text in (_last(history, "user"), _last(history, "assistant")):
        phrases = _noun_phrases(text)
        if phrases:
            return phrases[0]
    return ""


def _cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _possessive(name: str) -> str:
    return name + ("'" if name.endswith("s") else "'s")


_ELLIPSIS = re.compile(r"^\s*(?i:and|but|also|so)?\s*(?i:what|how)?\s*(?i:about)?\s*(?P<x>[A-Z][\w.\-]*(?:\s+[A-Z][\w.\-]*)*)\s*\??\s*$")
_BARE_WH = re.compile(r"^\s*(?:(?:and|but|so)\s+)?(?P<wh>when|where|why|how|who|how many|how much)\s*\??\s*$", re.I)
_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|theirs|it|its|this|that|there)\b", re.I)
_EXISTENTIAL_THERE = re.compile(r"\b(?:is|are|was|were|will|would|could|can|has|have|had)\s+there\b(?!\s*[?.!]?\s*$)|\bthere\s+(?:is|are|was|were|'s|will|"
                                r"have|has|had|been|be|seem|appear)\b", re.I)
_DUMMY_IT = re.compile(r"\bit\s+(?:is|was|'s)\s+(?:true|likely|possible|clear|expected|said|reported|known|time)\b"
                       r"|\b(?:is|was)\s+it\s+(?:true|likely|possible|clear)\b|\bit\s+takes?\b", re.I)
_FOLLOWS_NOUN = re.compile(r"\s+([A-Za-z][\w\-]*)")
_PREPOSITIONS = {"about", "of", "on", "to", "for", "with", "after", "before", "against", "over", "by", "behind", "from"}


def _replace_names_of_kind(question: str, new: str, history: Sequence[Turn]) -> str:
    known = _people_index(history) | {new.split()[-1]}
    wanted = next((n for n in _names(new, known)), _Name(new, True, 0))
    names = _names(question, known)
    same = [n for n in names if n.person == wanted.person] or names
    if not same:
        return ""
    m = re.search(r"\b" + re.escape(same[0].text) + r"\b", question)
    if not m:
        return ""
    start = m.start()
    while True:  # "French President Macron": the title goes with the name
        title = re.search(r"(\S+)\s+$", question[:start])
        if not title or not title.group(1)[:1].isupper() or (
                title.group(1).lower() not in _TITLES and title.group(1).lower() not in _DEMONYMS):
            break
        start = title.start(1)
    return question[:start] + new + question[m.end():]


def _rewrite_ellipsis(question: str, history: Sequence[Turn]) -> str | None:
    last_q = _last(history, "user").strip()
    if not last_q:
        return None
    wh = _BARE_WH.match(question)
    if wh:
        word = _cap_first(wh.group("wh").lower())
        lead = re.match(r"\s*(?:who|whom|what|when|where|why|how|which)\b(?:\s+(?:many|much))?\s+(?P<aux>\w+)", last_q, re.I)
        if lead and lead.group("aux").lower() in _AUX:
            return word + last_q[lead.end("aux") - len(lead.group("aux")) - 1:]
        if re.match(r"\s*(?:%s)\b" % "|".join(_AUX), last_q, re.I):
            return word + " " + last_q[:1].lower() + last_q[1:]
        answer = _CITATION.sub("", _last(history, "assistant")).strip()
        sentence = re.split(r"(?<=[.!?])\s+", answer)[0].rstrip(".!? ") if answer else ""
        if sentence:
            return f"{word} was it that {sentence}?"
        return None
    m = _ELLIPSIS.match(question)
    if m and len(m.group("x").split()) <= 4 and m.group("x").split()[0].lower() not in _NOT_NAMES:
        new = m.group("x").strip()
        swapped = _replace_names_of_kind(last_q, new, history)
        if swapped:
            return swapped
        phrase = _main_phrase(history)
        return f"What about {new} and {phrase}?" if phrase else None
    return None


def _plural_referents(history: Sequence[Turn], groups: list[str], question: str) -> list[str]:
    """Referents for they/them/their, best first: two people, a plural noun phrase, a group or place."""
    known = _people_index(history)
    last_q, last_a = _last(history, "user"), _last(history, "assistant")
    people: list[str] = []
    for n in _names(last_q, known) + _names(last_a, known):
        surname = n.text.split()[-1]
        if n.person and not re.search(r"\b" + re.escape(surname) + r"\b", question):
            if not any(p.split()[-1] == surname for p in people):
                people.append(n.text)
            else:  # keep the fuller form: "Blinken" then "Antony Blinken"
                people = [n.text if p.split()[-1] == surname and len(n.text) > len(p) else p for p in people]
    pair = [" and ".join(people[:2])] if len(people) >= 2 else []
    plural = [m.group(0) for m in re.finditer(
        r"\b(?:(?:the|these|those)\s+|[A-Z][\w.\-]*\s+)(?:[A-Z][\w.\-]*\s+)?[a-z][\w\-]*[^s\W]s\b", last_q)
        if m.group(0).split()[0].lower() not in _NOT_NAMES - {"the", "these", "those"}]
    asks_which = re.match(r"\s*(?:who|whom|which|what)\b", last_q, re.I)
    order = pair + (groups + plural if asks_which else plural + groups)
    return order


def _rewrite_references(question: str, history: Sequence[Turn]) -> str:
    out: list[str] = []
    pos = 0
    people = _ranked_names(history, True, question)
    groups = _ranked_names(history, False, question)
    groups = _plural_referents(history, groups, question)
    phrase = _main_phrase(history)
    own = _names(question, _people_index(history))
    own_people = [n.text for n in own if n.person]
    own_groups = [n.text for n in own if not n.person]
    skip_there = {m.start() for m in _EXISTENTIAL_THERE.finditer(question)}
    skip_it = {m.start() for m in _DUMMY_IT.finditer(question)}
    for m in _PRONOUN.finditer(question):
        word = m.group(1)
        low = word.lower()
        nxt = _FOLLOWS_NOUN.match(question, m.end())
        next_word = nxt.group(1).lower() if nxt else ""
        before = question[: m.start()].rstrip()
        sub = None
        # An antecedent in the question itself wins: "Did Biden say he would go?"
        if low in ("he", "him", "his", "she", "her", "hers") and any(p in before for p in own_people):
            continue
        if low in ("they", "them", "their", "theirs", "it", "its", "there") and (
                any(g in before for g in own_groups) or sum(p in before for p in own_people) >= 2):
            continue
        if low in ("it", "its") and _noun_phrases(before):
            continue
        if low in ("he", "him", "she") and people:
            sub = people[0]
        elif low in ("his", "hers") and people:
            sub = _possessive(people[0])
        elif low == "her" and people:
            possessive = next_word and next_word not in STOPWORDS and next_word not in _AUX
            sub = _possessive(people[0]) if possessive else people[0]
        elif low in ("they", "them") and groups:
            sub = groups[0]
        elif low in ("their", "theirs") and groups:
            sub = _possessive(groups[0])
        elif low == "it" and phrase and not any(s <= m.start() < s + 40 for s in skip_it):
            sub = phrase
        elif low == "its" and phrase:
            sub = _possessive(phrase)
        elif low in ("this", "that"):
            if next_word and next_word not in STOPWORDS and next_word not in _AUX:
                same_head = [p for p in _noun_phrases(" ".join(t for _, t in reversed(history)))
                             if p.split()[1].lower() == next_word and len(p.split()) > 2]
                if same_head:
                    sub = same_head[0]
                    out.append(question[pos:m.start()])
                    out.append(sub if m.start() else _cap_first(sub))
                    pos = nxt.end()
                continue
            # Only a subject ("When was that?") or a preposition's object ("about that"): after a
            # verb it is usually the last answer's claim, and "that Russia ..." is a conjunction.
            prev_word = before.split()[-1].lower() if before.split() else ""
            if phrase and (next_word in _AUX or (not next_word and prev_word in _PREPOSITIONS | _AUX)):
                sub = phrase
        elif low == "there" and m.start() not in skip_there and not any(
                s <= m.start() <= s + 12 for s in skip_there):
            places = [g for g in groups if g.lower() in _PLACES or g.split()[-1].lower() in _PLACES]
            if places:
                sub = places[0] if re.search(r"\b(?:in|at|to|from)$", before, re.I) else "in " + places[0]
        if sub is None:
            continue
        out.append(question[pos:m.start()])
        out.append(_cap_first(sub) if m.start() == 0 or before.endswith(("?", ".", "!")) else sub)
        pos = m.end()
    out.append(question[pos:])
    return "".join(out)


def rewrite_prompt(question: str, history: Sequence[Turn], max_turns: int = 4, max_chars: int = 300) -> str:
    """A few-shot completion prompt for a base model; its answer is the line after the last colon."""
    shots = [
        ([("user", "Who chairs the Federal Reserve?"), ("assistant", "Jerome Powell chairs the Federal Reserve.")],
         "What did he say on Wednesday?", "What did Jerome Powell say on Wednesday?"),
        ([("user", "Did Spain win the match?"), ("assistant", "Yes, Spain beat Italy 2-1.")],
         "and Italy?", "Did Italy win the match?"),
        ([("user", "Where will the climate talks be held?"), ("assistant", "The talks will be held in Egypt.")],
         "When?", "When will the climate talks be held?"),
    ]
    blocks = ["Rewrite the follow-up as a standalone question. Keep its words; add only names and "
              "things from the conversation."]
    for turns, follow, standalone in shots + [(list(history)[-max_turns:], question, "")]:
        lines = ["Conversation:"]
        lines += [f"{'User' if r == 'user' else 'Assistant'}: {' '.join(_CITATION.sub('', t).split())[:max_chars]}" for r, t in turns]
        lines += [f"Follow-up: {follow.strip()}", f"Standalone question: {standalone}".rstrip()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


_REFERENCE_WORDS = {"he", "him", "his", "she", "her", "hers", "they", "them", "their", "theirs", "it", "its",
                    "this", "that", "there", "about", "and"}


def _acceptable(candidate: str, question: str, history: Sequence[Turn]) -> str | None:
    line = candidate.strip().split("\n", 1)[0].strip().strip('"').strip()
    line = re.sub(r"^standalone question:\s*", "", line, flags=re.I)
    if not line.endswith("?") or line.count("?") != 1 or len(line) > 3 * len(question) + 120:
        return None
    got = terms(line).content
    needed = terms(question).content - _REFERENCE_WORDS
    allowed = terms(question).content | {s for _, t in history for s in terms(t).content}
    if not needed <= got or not got <= allowed:
        return None
    return line


class RuleRewriter:
    """Rule-based follow-up rewriting, with an optional model completion tried first.

    `model_rewrite(prompt) -> text` gets `rewrite_prompt(question, history)`;
    its first line is used only when `_acceptable`, else (or on error) the rules decide.
    """

    name = "rules"

    def __init__(self, model_rewrite: Callable[[str], str] | None = None):
        self.model_rewrite = model_rewrite

    def needs_rewrite(self, question: str, history: Sequence[Turn]) -> bool:
        """Whether the question leans on the history (and there is history to lean on)."""
        return bool(history) and self._rules(question, history) != question

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        history = [(r, t) for r, t in history if r in ("user", "assistant") and t.strip()]
        if not history or not question.strip():
            return question
        ruled = self._rules(question, history)
        if ruled == question:
            return question
        if self.model_rewrite is not None:
            try:
                accepted = _acceptable(self.model_rewrite(rewrite_prompt(question, history)), question, history)
            except Exception:  # a failing model must not break asking
                accepted = None
            if accepted:
                return accepted
        return ruled

    def _rules(self, question: str, history: Sequence[Turn]) -> str:
        elided = _rewrite_ellipsis(question, history)
        if elided:
            return elided
        return _rewrite_references(question, history)
