"""Publication dates with their precision: a day, or only a month or a year.

`read_date` reads one value that is meant to be a date (a page's published-time
meta tag, a feed entry's published/updated, a "Date:" header, a record's
`published_at`); finding such values is the format loaders' job, and none of
them searches arbitrary page text (an RDF namespace URL ".../2000/01/rdf-schema#"
is not a date). Forms read: ISO 8601 (2022-02-21, 2022-02-21T10:00:00Z,
2022-02, 2022), 2022/02/21, RFC 822 ("Mon, 21 Feb 2022 10:00:00 GMT"),
"February 21, 2022", "21 Feb 2022", "February 2022". Years outside
1900..2100 are not dates.

The rule for partial dates: only a full day becomes `Article.published_at`
(YYYY-MM-DD), so filters and "this week" never place an article on a day it
does not name. A year-month or a year alone is never padded to the 1st of
January or of the month: `published_at` stays "" and the partial date is kept
in `Article.extra` as `published_partial` ("2019", "2019-05") with
`published_precision` ("year" / "month"). It does not look for dates in text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate

__all__ = ["PublishedDate", "read_date", "date_fields", "states_day"]

_YEARS = range(1900, 2101)
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?=$|[T\s]|[+-]\d\d:?\d\d$|Z$)")
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})\b")
_DAY_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%d %b. %Y")
_MONTH_FORMATS = ("%B %Y", "%b %Y", "%b. %Y")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


@dataclass(frozen=True)
class PublishedDate:
    """A date read from one value: `value` is YYYY-MM-DD, YYYY-MM or YYYY ("" when none)."""

    value: str = ""
    precision: str = ""  # "day", "month", "year" or ""

    @property
    def day(self) -> str:
        return self.value if self.precision == "day" else ""


def _checked(year: int, month: int | None = None, day: int | None = None) -> PublishedDate:
    if year not in _YEARS:
        return PublishedDate()
    try:
        if day is not None:
            return PublishedDate(date(year, month or 0, day).isoformat(), "day")
        if month is not None:
            date(year, month, 1)
            return PublishedDate(f"{year:04d}-{month:02d}", "month")
    except ValueError:
        return PublishedDate()
    return PublishedDate(f"{year:04d}", "year")


def read_date(value: object) -> PublishedDate:
    """The date `value` states, at the precision it states it (see the module docstring)."""
    text = " ".join(str(value or "").split()).replace("Sept.", "Sep.").replace("Sept ", "Sep ")
    if not text:
        return PublishedDate()
    m = _ISO.match(text) or _SLASHED.match(text)
    if m:
        year, month, day = (int(g) if g else None for g in m.groups())
        return _checked(year, month, day)
    parsed = parsedate(text) if "," in text or ":" in text else None
    if parsed and parsed[0] and parsed[1] and parsed[2]:
        return _checked(parsed[0], parsed[1], parsed[2])
    for formats, precision in ((_DAY_FORMATS, "day"), (_MONTH_FORMATS, "month")):
        for fmt in formats:
            try:
                when = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return _checked(when.year, when.month, when.day if precision == "day" else None)
    return PublishedDate()


def date_fields(found: PublishedDate) -> tuple[str, dict[str, str]]:
    """(published_at, extra fields) for an Article: the day, or "" and the partial date kept aside."""
    if found.precision in ("year", "month"):
        return "", {"published_partial": found.value, "published_precision": found.precision}
    return found.day, {}


def states_day(text: str, day: str) -> bool:
    """Whether `text` writes the day `day` (YYYY-MM-DD) out in full, in a common numeric or English form."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return False
    y, m, d = when.year, when.month, when.day
    numeric = [f"{y}-{m:02d}-{d:02d}", f"{y}/{m:02d}/{d:02d}", f"{y}/{m}/{d}/", f"{y}.{m:02d}.{d:02d}",
               f"{y}{m:02d}{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{d}.{m}.{y}", f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}",
               f"{d:02d}/{m:02d}/{y}"]
    if any(form in text for form in numeric):
        return True
    month = _MONTHS[m - 1]
    names = f"(?:{month}|{month[:3]}\\.?)"
    return bool(re.search(rf"\b{names}\s+0?{d}(?:st|nd|rd|th)?,?\s+{y}\b|\b0?{d}(?:st|nd|rd|th)?\.?\s+{names},?\s+{y}\b",
                          text, re.I))
