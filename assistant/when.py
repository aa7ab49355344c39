"""Time awareness: find the one date phrase in a question and turn it into a date range.

`time_scope(question, as_of)` reads phrases such as "this week", "last month",
"on Sunday", "in February 2022", "Feb. 21, 2022", "since June" or "between
March and May 2022" relative to `as_of` (the date the question is asked on)
and returns a `TimeScope`: an inclusive `date_from`..`date_to`, the matched
phrase exactly as written, and `strict`.

`strict` is True when the phrase names the calendar period itself (a year, a
month, a day of a month, an ISO date); the caller may filter on it, though an
article about an event usually appears a day or two later, so `widened(2)`
is the safer hard filter. It is False for ranges inferred from `as_of`
("today", "this week", weekdays, "recently", "last year"): use those as a soft
boost. A named period that ended over a year before `as_of`, or that starts
after it, is also not strict: "annexed in 2014" dates the event, not the
article. Conventions: "this week" and "the past week" are the 7 days up to and
including `as_of`; "last week" is the previous Monday-Sunday week; "recently"
is the last 14 days; a weekday or month without a year is the most recent one
on or before `as_of` ("last Tuesday": strictly before). Relative ranges end at
`as_of`.

When several phrases occur, the longest wins (then the first). It does not
read times of day, future phrases ("tomorrow", "next week"), holidays, seasons
or numeric dates other than ISO ("2022-02-21"); it does not decide how a
retriever uses the range.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from index import SearchFilters

__all__ = ["TimeScope", "time_scope", "strip_time_phrase"]

RECENT_DAYS = 14  # "recently", "lately", "latest"
HISTORY_DAYS = 365  # a named period ending longer ago than this dates an event, not an article


@dataclass(frozen=True)
class TimeScope:
    """An inclusive published_at range read from `phrase`; `strict` says whether to filter or only boost;
    `named`, whether the phrase names the calendar period itself ("in 2014", "in February 2022"), however
    long ago, rather than one relative to the day asked ("this week", "last year")."""

    date_from: date
    date_to: date
    phrase: str
    strict: bool
    named: bool = False

    def widened(self, days: int) -> "TimeScope":
        """The same scope with `days` of tolerance on each side (for articles published a day late)."""
        return replace(self, date_from=self.date_from - timedelta(days=days),
                       date_to=self.date_to + timedelta(days=days))

    @property
    def weekday(self) -> bool:
        """Whether the phrase names a weekday ("on Sunday"): news often means the articles' own week."""
        return re.search(_WEEKDAY, self.phrase, re.I) is not None

    def to_filters(self, base: SearchFilters | None = None) -> SearchFilters:
        """`base` (default: no filters) with this range filling the date limits it leaves empty."""
        base = base or SearchFilters()
        return replace(base, date_from=base.date_from or self.date_from.isoformat(),
                       date_to=base.date_to or self.date_to.isoformat())


# --- patterns -----------------------------------------------------------------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}  # monday == 0
_AMBIGUOUS_MONTHS = {"may", "march", "mar"}  # also verbs: need a day, a year or a preposition
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "couple": 2, "a couple": 2, "couple of": 2, "a couple of": 2, "few": 3, "a few": 3,
    "several": 5,
}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}

_MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
          r"|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\.?(?![a-z])")
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?![a-z])"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:])"
_YEAR = r"(?:19|20)\d\d(?![\d:])"
_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"
_ATOM = (
    rf"(?:{_YEAR}-[01]\d-[0-3]\d(?!\d)"
    rf"|(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?"
    rf"|(?:{_WEEKDAY},?\s+)?(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_MONTH},?\s+(?:of\s+)?{_YEAR}"
    rf"|{_WEEKDAY}{_PART}|{_MONTH}|{_YEAR})"
)
_MOD = r"(?:(?P<mod>early|mid|late|last|this)(?:\s+|-))?"
_EXPLICIT = re.compile(rf"\b(?:(?P<prep>on|in|during|throughout|since)\s+)?{_MOD}(?P<atom>{_ATOM})", re.I)
_RANGE = re.compile(
    rf"\b(?:between|from)\s+(?P<a>{_ATOM})\s+(?:and|to|until|till|through|-)\s+(?P<b>{_ATOM})", re.I)
_SINCE = re.compile(r"\bsince\s+", re.I)
_NUM = r"(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|several)"
_UNIT = r"(?P<unit>day|week|month|year)s?"
_POSS = r"(?:['\u2019]s)?\b"
_NOT_WEEKDAY_BEFORE = {"super", "black", "bloody", "good", "easter", "cyber", "giving", "ash", "palm", "holy"}
_NOT_WEEKDAY_AFTER = {"times", "telegraph", "mirror", "express", "herald", "league", "school"}


def _vague_patterns():
    """(regex, kind) for phrases whose range comes from as_of alone."""
    return [
        (r"\b(?:(?:earlier|later)\s+)?today" + _POSS + r"|\btonight\b|\b(?:earlier\s+)?this\s+(?:morning|afternoon|evening)\b", "today"),
        (r"\byesterday" + _POSS + r"|\blast\s+night\b", "yesterday"),
        (r"\b(?:(?:earlier|later)\s+)?this\s+(?:past\s+)?week" + _POSS
         + r"|\b(?:(?:in|over|during)\s+)?the\s+(?:past|last)\s+week\b|\bpast\s+week\b", "this week"),
        (r"\blast\s+week" + _POSS, "last week"),
        (r"\b(?:(?:over|during)\s+)?(?:this|the|last)\s+(?:past\s+)?weekend\b", "weekend"),
        (r"\b(?:(?:earlier|later)\s+)?this\s+month" + _POSS + r"|\b(?:(?:in|over|during)\s+)?the\s+(?:past|last)\s+month\b"
         r"|\bpast\s+month\b", "this month"),
        (r"\blast\s+month" + _POSS, "last month"),
        (r"\b(?:(?:earlier|later)\s+)?this\s+year" + _POSS, "this year"),
        (r"\b(?:(?:in|over|during)\s+)?the\s+(?:past|last)\s+year\b|\bpast\s+year\b", "past year"),
        (r"\blast\s+year" + _POSS, "last year"),
        (r"\b(?:(?:in|over|during|within)\s+)?(?:the\s+)?(?:past|last|previous)\s+" + _NUM + r"\s+" + _UNIT + r"\b", "past n"),
        (r"\b" + _NUM.replace("(?P<n>", "(?P<n>an?|") + r"\s+" + _UNIT + r"\s+ago\b", "ago"),
        (r"\bin\s+recent\s+(?P<unit>day|week|month)s\b", "recent units"),
        (r"\b(?:most\s+)?recent(?:ly)?\b|\blately\b|\blatest\b|\bnewly\b", "recent"),
    ]


_VAGUE = [(re.compile(p, re.I), kind) for p, kind in _vague_patterns()]


# --- resolution ---------------------------------------------------------------------------------------------

def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + delta
    return k // 12, k % 12 + 1


def _count(text: str) -> int:
    text = re.sub(r"\s+", " ", text.lower())
    return int(text) if text.isdigit() else _NUMBERS[text]


def _resolve_vague(kind: str, m: re.Match, as_of: date) -> tuple[date, date]:
    day = timedelta(days=1)
    if kind == "today":
        return as_of, as_of
    if kind == "yesterday":
        return as_of - day, as_of - day
    if kind == "this week":
        return as_of - 6 * day, as_of
    if kind == "last week":
        monday = as_of - as_of.weekday() * day
        return monday - 7 * day, monday - day
    if kind == "weekend":
        saturday = as_of - ((as_of.weekday() - 5) % 7) * day
        if m.group(0).lower().split()[-2] == "last" and as_of.weekday() >= 5:
            saturday -= 7 * day
        return saturday, min(saturday + day, as_of)
    if kind == "this month":
        if "past" in m.group(0).lower() or "the last" in m.group(0).lower():
            return as_of - 29 * day, as_of
        return as_of.replace(day=1), as_of
    if kind == "last month":
        y, mo = _shift_month(as_of.year, as_of.month, -1)
        return date(y, mo, 1), _month_end(y, mo)
    if kind == "this year":
        return date(as_of.year, 1, 1), as_of
    if kind == "past year":
        return as_of - 364 * day, as_of
    if kind == "last year":
        return date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31)
    if kind == "past n":
        n = _count(m.group("n")) * _UNIT_DAYS[m.group("unit").lower()]
        return as_of - (n - 1) * day, as_of
    if kind == "ago":
        unit = _UNIT_DAYS[m.group("unit").lower()]
        n = m.group("n").lower()
        centre = as_of - _count(n) * unit * day
        vague = n.replace("a ", "").strip() in ("few", "several", "couple", "couple of")
        half = unit // 2 if unit > 1 else int(vague)  # "a week ago": that week; "a few days ago": +-1 day
        return centre - half * day, min(centre + half * day, as_of)
    if kind == "recent units":
        n = {"day": 7, "week": 28, "month": 90}[m.group("unit").lower()]
        return as_of - (n - 1) * day, as_of
    return as_of - (RECENT_DAYS - 1) * day, as_of  # recent


def _on_or_before(month: int, dom: int, ref: date) -> date | None:
    for year in (ref.year, ref.year - 1, ref.year - 2, ref.year - 3, ref.year - 4):
        try:
            d = date(year, month, dom)
        except ValueError:  # Feb 29 in a non-leap year, or "February 30"
            continue
        if d <= ref:
            return d
    return None


def _resolve_atom(text: str, mod: str, prep: str, ref: date) -> tuple[date, date, bool] | None:
    """(from, to, names_calendar) for one date expression, or None when it is not a date here."""
    low = text.lower()
    mod = mod.lower()
    iso = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", low)
    if iso:
        try:
            d = date(*map(int, iso.groups()))
        except ValueError:
            return None
        return (d, d, True) if not mod else None
    month_m = re.search(r"\b" + _MONTH, low)
    year_m = re.search(r"(?<!\d)" + _YEAR, low)
    day_m = re.search(r"(?<![\d-])(\d{1,2})(?:st|nd|rd|th)?(?!\d)", low)
    weekday_m = re.search(_WEEKDAY, low)
    if month_m:
        month = _MONTHS[month_m.group(0).rstrip(".")]
        if day_m:  # a day of a month
            if mod:
                return None
            dom = int(day_m.group(1))
            if year_m:
                try:
                    d = date(int(year_m.group(0)), month, dom)
                except ValueError:
                    return None
            else:
                d = _on_or_before(month, dom, ref)
                if d is None:
                    return None
            return d, d, True
        if year_m:
            year = int(year_m.group(0))
        else:
            word = month_m.group(0).rstrip(".")
            if not (prep or mod):
                return None  # a bare "June" or "march" is not a date
            if word in _AMBIGUOUS_MONTHS and not prep and mod not in ("last", "early", "mid", "late"):
                if not text[month_m.start()].isupper():  # "this may take", but "this March"
                    return None
            if mod == "this":
                year = ref.year
            elif mod == "last":
                year = ref.year if month < ref.month else ref.year - 1
            else:
                year = ref.year if month <= ref.month else ref.year - 1
        if mod == "last" and year_m:
            return None
        first, last = date(year, month, 1), _month_end(year, month)
        if mod == "early":
            last = date(year, month, 10)
        elif mod == "mid":
            first, last = date(year, month, 11), date(year, month, 20)
        elif mod == "late":
            first = date(year, month, 21)
        return first, last, True
    if year_m:
        if not (prep or mod) or mod in ("last", "this"):
            return None
        year = int(year_m.group(0))
        spans = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}.get(mod, (1, 12))
        return date(year, spans[0], 1), _month_end(year, spans[1]), True
    if weekday_m:
        if mod in ("early", "mid"):
            return None
        back = (ref.weekday() - _WEEKDAYS[weekday_m.group(0)]) % 7
        if mod == "last" and back == 0:
            back = 7
        d = ref - timedelta(days=back)
        return d, d, False
    return None


def _weekday_is_name(question: str, m: re.Match) -> bool:
    """False for "Black Friday", "Super Tuesday", "the Sunday Times"."""
    before = re.findall(r"[A-Za-z]+", question[: m.start("atom")])
    after = re.findall(r"[A-Za-z]+", question[m.end("atom"):])
    if before and before[-1].lower() in _NOT_WEEKDAY_BEFORE and not m.group("prep") and not m.group("mod"):
        return False
    return not (after and after[0].lower() in _NOT_WEEKDAY_AFTER)


def _candidates(question: str, as_of: date):
    """Every readable phrase as (start, end, from, to, strict)."""
    for m in _EXPLICIT.finditer(question):
        prep, mod = (m.group("prep") or "").lower(), m.group("mod") or ""
        atom = m.group("atom")
        if re.fullmatch(_WEEKDAY + _PART, atom, re.I) and not _weekday_is_name(question, m):
            continue
        got = _resolve_atom(atom, mod, prep, as_of)
        if got is None and mod:  # "this may": try without the modifier word
            got = _resolve_atom(atom, "", prep, as_of)
            if got is not None and prep == "":
                yield (m.start("atom"), m.end(), *got)
            continue
        if got is None:
            continue
        start, end = m.start(), m.end()
        first, last, strict = got
        if prep == "since":
            last = as_of
        yield start, end, first, last, strict
    for m in _RANGE.finditer(question):
        b = _resolve_atom(m.group("b"), "", "in", as_of)
        a = _resolve_atom(m.group("a"), "", "in", b[1]) if b else None
        if a and b and a[0] <= b[1]:
            yield m.start(), m.end(), a[0], b[1], a[2] and b[2]
    for pattern, kind in _VAGUE:
        for m in pattern.finditer(question):
            first, last = _resolve_vague(kind, m, as_of)
            yield m.start(), m.end(), first, last, False
    for m in _SINCE.finditer(question):
        for pattern, kind in _VAGUE:
            inner = pattern.match(question, m.end())
            if inner:
                first, _ = _resolve_vague(kind, inner, as_of)
                yield m.start(), inner.end(), first, as_of, False


def time_scope(question: str, as_of: date) -> TimeScope | None:
    """The date range the question's time phrase refers to, relative to `as_of`; None if it has none."""
    best = None
    for start, end, first, last, strict in _candidates(question, as_of):
        if best is None or (end - start, -start) > (best[1] - best[0], -best[0]):
            best = (start, end, first, last, strict)
    if best is None:
        return None
    start, end, first, last, named = best
    strict = named and not (last < as_of - timedelta(days=HISTORY_DAYS) or first > as_of)
    return TimeScope(date_from=first, date_to=last, phrase=question[start:end], strict=strict, named=named)


def strip_time_phrase(question: str, scope: TimeScope | None) -> str:
    """`question` without the scope's phrase, whitespace and punctuation tidied (for retrieval queries)."""
    if scope is None or not scope.phrase:
        return question
    at = question.find(scope.phrase)
    if at < 0:
        return question
    before, after = question[:at], question[at + len(scope.phrase):]
    if after.lstrip().startswith(",") and not before.rstrip().endswith(","):
        after = after.lstrip()[1:]  # the comma closed the phrase: "on Feb. 21, 2022, in Geneva"
    out = before + " " + after
    out = re.sub(r"\s+", " ", out)
    out = re.sub(r"\s+([?.!,;:])", r"\1", out)
    out = re.sub(r",(?=[?.!,;:])", "", out)
    out = re.sub(r"^[\s,;:]+", "", out).strip()
    if out and question[:1].isupper():
        out = out[0].upper() + out[1:]
    return out
