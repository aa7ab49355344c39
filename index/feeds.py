"""RSS/Atom feed files -> one Article per entry, via feedparser.

Each entry's full content (or, failing that, its summary) becomes the text; its
title, link, published/updated date and author come along. The id is the entry's
id/guid, else its link, else the hash of its text. The feed's own title is the
source unless the entry names one. feedparser is imported here and nowhere else.
It does not fetch feeds or follow entry links to the full article.
"""

from __future__ import annotations

import time
from typing import Iterator

from .clean import clean_text, headline_from
from .html import fragment_text
from .types import Article, LoadFailure, content_hash

__all__ = ["articles_from_feed", "looks_like_feed"]


def looks_like_feed(head: bytes) -> bool:
    """An XML document whose root is an RSS, RDF or Atom feed."""
    start = head[:2048].lower()
    return b"<rss" in start or b"<feed" in start or b"<rdf:rdf" in start


def _entry_text(entry) -> str:
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if value.strip():
            return fragment_text(value)
    return fragment_text(entry.get("summary") or entry.get("description") or "")


def _entry_date(entry) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    return ""


def articles_from_feed(data: bytes, origin: str) -> Iterator[Article | LoadFailure]:
    """Yield an Article per usable entry of the feed in `data`, a LoadFailure per unusable one."""
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries:
        problem = f" ({feed.bozo_exception})" if feed.get("bozo") and feed.get("bozo_exception") else ""
        yield LoadFailure(origin, f"no feed entries found{problem}")
        return
    feed_title = (feed.feed.get("title") or "").strip()
    for i, entry in enumerate(feed.entries):
        where = f"{origin}[{i}]"
        cleaned = clean_text(_entry_text(entry))
        if not cleaned.text:
            yield LoadFailure(where, "feed entry has no text")
            continue
        link = (entry.get("link") or "").strip()
        source = ((entry.get("source") or {}).get("title") or "").strip() or cleaned.source or feed_title
        yield Article(
            id=(entry.get("id") or "").strip() or link or content_hash(cleaned.text),
            title=(entry.get("title") or "").strip() or headline_from(cleaned.text),
            text=cleaned.text,
            url=link,
            source=source,
            published_at=_entry_date(entry),
            origin=where,
            extra={k: v for k, v in {"byline": (entry.get("author") or "").strip()}.items() if v},
        )
