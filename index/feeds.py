"""RSS/Atom and JSON Feed documents -> one Article per entry.

RSS/Atom go through feedparser. Their bytes are decoded first the way article
files are (decode.py) unless a BOM or the XML declaration names an encoding
that decodes them: feeds in KOI8-R, Shift_JIS, EUC-KR, windows-1255... often
declare nothing, and feedparser would then read them as windows-1252 mojibake.
Decoded feeds reach feedparser as UTF-8 with the declaration saying so.
JSON Feed (jsonfeed.org, version 1 and 1.1) is read from the parsed JSON:
content_text, else content_html as text, else summary; title; url, else
external_url; date_published; authors[].name / author.name as byline.

Each entry's full content (or, failing that, its summary) becomes the text; its
title, link, published/updated date and author come along; a date the feed
gives as only a year or a year-month stays partial (dates.py). Minimum: the
quality floor of quality.py, the same as for every format: an entry whose body
has fewer than MIN_WORDS (4) words gets its headline put in front of it (a
headline-and-link entry becomes a short article of its headline); if that still
has fewer than MIN_WORDS words the entry is skipped with a reason. An HTML body
that is mostly links ("Read the full story" and nothing else) counts as no body.
The id is
the entry's id/guid, else its link, else the hash of its text. The feed's own
title is the source unless the entry names one. feedparser is imported here and
nowhere else. It does not fetch feeds or follow entry links to the full article.
"""

from __future__ import annotations

import codecs
import re
import time
from typing import Iterator

from .clean import clean_text, headline_from
from .dates import PublishedDate, date_fields, read_date
from .decode import decode_text, wide_encoding
from .html import fragment_text, link_only_fragment
from .quality import MIN_WORDS, with_headline, word_count
from .types import Article, LoadFailure, content_hash

__all__ = ["articles_from_feed", "articles_from_json_feed", "is_json_feed", "looks_like_feed", "MIN_ENTRY_WORDS"]

MIN_ENTRY_WORDS = MIN_WORDS  # the one floor, quality.MIN_WORDS
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_XML_DECL_ANY = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"


def looks_like_feed(head: bytes) -> bool:
    """An XML document whose root is an RSS, RDF or Atom feed."""
    start = head[:2048].lower()
    return b"<rss" in start or b"<feed" in start or b"<rdf:rdf" in start


def _declared_encoding_fits(data: bytes) -> bool:
    """A BOM, or an XML declaration naming an encoding that decodes `data`."""
    if data.startswith(_BOMS):
        return True
    m = _XML_DECL.match(data[:1024])
    if not m:
        return False
    try:
        data.decode(m.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return False
    return True


def _feed_bytes(data: bytes) -> bytes:
    """Bytes feedparser reads right: as given when their encoding is declared and fits, else UTF-8 re-encoded."""
    if wide_encoding(data) is None and _declared_encoding_fits(data):
        return data
    try:
        data.decode("utf-8")
        if wide_encoding(data) is None and not _XML_DECL.match(data[:1024]):
            return data  # undeclared UTF-8: feedparser's default
    except UnicodeDecodeError:
        pass
    text = decode_text(data).lstrip("\ufeff")
    text = _XML_DECL_ANY.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    return text.encode("utf-8")


def _entry_text(entry) -> str:
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if value.strip():
            return _body_text(value)
    return _body_text(entry.get("summary") or entry.get("description") or "")


def _body_text(fragment: str) -> str:
    """An entry body as text; "" when its HTML is mostly links (quality.py rule 2)."""
    return "" if link_only_fragment(fragment) else fragment_text(fragment)


def _entry_date(entry) -> PublishedDate:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        found = read_date(raw)
        if found.precision in ("year", "month"):
            return found  # as stated: feedparser would pad "2019" to 2019-01-01
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return read_date(time.strftime("%Y-%m-%d", parsed))
    return PublishedDate()


def _short_entry_text(body: str, title: str) -> tuple[str, str]:
    """(text, "") for a usable entry, ("", reason) for one under the quality floor (quality.with_headline)."""
    return with_headline(title, body, "feed entry")


def _entry_article(where: str, body_raw: str, title: str, entry_id: str, link: str, source: str,
                   published: PublishedDate, byline: str, feed_title: str) -> Article | LoadFailure:
    """One entry as an Article; its source is the entry's own, else one its text names, else the feed's."""
    cleaned = clean_text(body_raw)
    title = " ".join(title.split())
    text, problem = _short_entry_text(cleaned.text, title)
    if problem:
        return LoadFailure(where, problem)
    published_at, extra = date_fields(published)
    if byline:
        extra["byline"] = byline
    return Article(
        id=entry_id or link or content_hash(text),
        title=title or headline_from(text),
        text=text,
        url=link,
        source=source or cleaned.source or feed_title,
        published_at=published_at,
        origin=where,
        extra=extra,
    )


def articles_from_feed(data: bytes, origin: str) -> Iterator[Article | LoadFailure]:
    """Yield an Article per usable entry of the feed in `data`, a LoadFailure per unusable one."""
    import feedparser

    feed = feedparser.parse(_feed_bytes(data))
    if not feed.entries:
        problem = f" ({feed.bozo_exception})" if feed.get("bozo") and feed.get("bozo_exception") else ""
        yield LoadFailure(origin, f"no feed entries found{problem}")
        return
    feed_title = (feed.feed.get("title") or "").strip()
    for i, entry in enumerate(feed.entries):
        yield _entry_article(
            f"{origin}[{i}]", _entry_text(entry), entry.get("title") or "", (entry.get("id") or "").strip(),
            (entry.get("link") or "").strip(),
            ((entry.get("source") or {}).get("title") or "").strip(),
            _entry_date(entry), (entry.get("author") or "").strip(), feed_title,
        )


def is_json_feed(data: object) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("version"), str)
            and data["version"].startswith(_JSON_FEED_VERSION))


def _json_author(obj: dict) -> str:
    authors = obj.get("authors")  # a list of objects, but a hostile feed may put anything here
    names = [str(a.get("name") or "").strip() for a in (authors if isinstance(authors, list) else [])
             if isinstance(a, dict)]
    if not any(names) and isinstance(obj.get("author"), dict):
        names = [str(obj["author"].get("name") or "").strip()]
    return ", ".join(n for n in names if n)


def articles_from_json_feed(data: dict, origin: str) -> Iterator[Article | LoadFailure]:
    """Yield an Article per usable item of a parsed JSON Feed, a LoadFailure per unusable one."""
    items = data.get("items")
    if not isinstance(items, list) or not items:
        yield LoadFailure(origin, "no feed entries found (JSON Feed without items)")
        return
    feed_title = str(data.get("title") or "").strip()
    feed_author = _json_author(data)
    for i, item in enumerate(items):
        where = f"{origin}[{i}]"
        if not isinstance(item, dict):
            yield LoadFailure(where, "JSON Feed item is not an object")
            continue
        text = item.get("content_text")
        if not isinstance(text, str) or not text.strip():
            html = item.get("content_html")
            text = _body_text(html) if isinstance(html, str) and html.strip() else ""
        if not text.strip() and isinstance(item.get("summary"), str):
            text = item["summary"]
        date = str(item.get("date_published") or item.get("date_modified") or "")
        yield _entry_article(
            where, text, str(item.get("title") or ""), str(item.get("id") or "").strip(),
            str(item.get("url") or item.get("external_url") or "").strip(), "",
            read_date(date), _json_author(item) or feed_author, feed_title,
        )
