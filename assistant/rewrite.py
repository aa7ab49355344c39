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

Only the rules live here: which names and noun phrases a turn holds comes
from `names`. A question with no history or nothing to resolve is returned
unchanged. Deterministic, no model; it does not resolve "the other one",
"the first", gender, or a pronoun whose referent the history never names.
"""

from __future__ import annotations

import re
from typing import Protocol, Sequence

from .lexical import STOPWORDS
from .names import AUX, DEMONYMS, PLACES, TITLES, Name, find_names, noun_phrases, not_names, people_index
from .types import CITATION_MARKER, Turn

__all__ = ["Rewriter", "RuleRewriter"]


class Rewriter(Protocol):
    """Rewrites a follow-up into a standalone question, given (role, text) turns, oldest first."""

    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


def _last(history: Sequence[Turn], role: str) -> str:
    for r, text in reversed(history):
        if r == role:
            return text
    return ""


def _ranked_names(history: Sequence[Turn], person: bool, exclude: str) -> list[str]:
    """Candidate referents, best first, never one the follow-up already names."""
    known = people_index(history)
    last_q, last_a = _last(history, "user"), _last(history, "assistant")
    q_names = [n.text for n in find_names(last_q, known) if n.person == person]
    a_names = [n.text for n in find_names(last_a, known) if n.person == person]
    new_in_answer = [n for n in a_names if not any(n in q or q in n for q in q_names)]
    asks_who = re.match(r"\s*(?:who|whom|whose|which|what)\b", last_q, re.I)
    order = (new_in_answer + q_names + a_names) if asks_who else (q_names + a_names)
    for _, text in reversed(history):
        order += [n.text for n in reversed(find_names(text, known)) if n.person == person]
    seen, out = set(), []
    for n in order:
        surname = n.split()[-1]
        if n not in seen and not re.search(r"\b" + re.escape(surname) + r"\b", exclude):
            seen.add(n)
            out.append(n)
    return out


def _main_phrase(history: Sequence[Turn]) -> str:
    for text in (_last(history, "user"), _last(history, "assistant")):
        phrases = noun_phrases(text)
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
    known = people_index(history) | {new.split()[-1]}
    wanted = next((n for n in find_names(new, known)), Name(new, True, 0))
    names = find_names(question, known)
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
                title.group(1).lower() not in TITLES and title.group(1).lower() not in DEMONYMS):
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
        if lead and lead.group("aux").lower() in AUX:
            return word + last_q[lead.end("aux") - len(lead.group("aux")) - 1:]
        if re.match(r"\s*(?:%s)\b" % "|".join(AUX), last_q, re.I):
            return word + " " + last_q[:1].lower() + last_q[1:]
        answer = CITATION_MARKER.sub("", _last(history, "assistant")).strip()
        sentence = re.split(r"(?<=[.!?])\s+", answer)[0].rstrip(".!? ") if answer else ""
        if sentence:
            return f"{word} was it that {sentence}?"
        return None
    m = _ELLIPSIS.match(question)
    if m and len(m.group("x").split()) <= 4 and m.group("x").split()[0].lower() not in not_names():
        new = m.group("x").strip()
        swapped = _replace_names_of_kind(last_q, new, history)
        if swapped:
            return swapped
        phrase = _main_phrase(history)
        return f"What about {new} and {phrase}?" if phrase else None
    return None


def _plural_referents(history: Sequence[Turn], groups: list[str], question: str) -> list[str]:
    """Referents for they/them/their, best first: two people, a plural noun phrase, a group or place."""
    known = people_index(history)
    last_q, last_a = _last(history, "user"), _last(history, "assistant")
    people: list[str] = []
    for n in find_names(last_q, known) + find_names(last_a, known):
        surname = n.text.split()[-1]
        if n.person and not re.search(r"\b" + re.escape(surname) + r"\b", question):
            if not any(p.split()[-1] == surname for p in people):
                people.append(n.text)
            else:  # keep the fuller form: "Blinken" then "Antony Blinken"
                people = [n.text if p.split()[-1] == surname and len(n.text) > len(p) else p for p in people]
    pair = [" and ".join(people[:2])] if len(people) >= 2 else []
    plural = [m.group(0) for m in re.finditer(
        r"\b(?:(?:the|these|those)\s+|[A-Z][\w.\-]*\s+)(?:[A-Z][\w.\-]*\s+)?[a-z][\w\-]*[^s\W]s\b", last_q)
        if m.group(0).split()[0].lower() not in not_names() - {"the", "these", "those"}]
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
    own = find_names(question, people_index(history))
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
        if low in ("it", "its") and noun_phrases(before):
            continue
        if low in ("he", "him", "she") and people:
            sub = people[0]
        elif low in ("his", "hers") and people:
            sub = _possessive(people[0])
        elif low == "her" and people:
            possessive = next_word and next_word not in STOPWORDS and next_word not in AUX
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
            if next_word and next_word not in STOPWORDS and next_word not in AUX:
                same_head = [p for p in noun_phrases(" ".join(t for _, t in reversed(history)))
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
            if phrase and (next_word in AUX or (not next_word and prev_word in _PREPOSITIONS | AUX)):
                sub = phrase
        elif low == "there" and m.start() not in skip_there and not any(
                s <= m.start() <= s + 12 for s in skip_there):
            places = [g for g in groups if g.lower() in PLACES or g.split()[-1].lower() in PLACES]
            if places:
                sub = places[0] if re.search(r"\b(?:in|at|to|from)$", before, re.I) else "in " + places[0]
        if sub is None:
            continue
        out.append(question[pos:m.start()])
        out.append(_cap_first(sub) if m.start() == 0 or before.endswith(("?", ".", "!")) else sub)
        pos = m.end()
    out.append(question[pos:])
    return "".join(out)


class RuleRewriter:
    """Rule-based follow-up rewriting (see the module docstring for the rules)."""

    name = "rules"

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        history = [(r, t) for r, t in history if r in ("user", "assistant") and t.strip()]
        if not history or not question.strip():
            return question
        return self._rules(question, history)

    def _rules(self, question: str, history: Sequence[Turn]) -> str:
        elided = _rewrite_ellipsis(question, history)
        if elided:
            return elided
        return _rewrite_references(question, history)
