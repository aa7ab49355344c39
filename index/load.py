"""Read articles into `Article`s: text, Markdown, JSON/JSONL, HTML, RSS/Atom, URLs.

Directories are walked recursively; http(s) URLs are fetched. Every input that
cannot be used (including one that holds no records or entries at all, such as
an empty JSON list) becomes a `LoadFailure` naming the file (and line or entry) and
the reason, and loading goes on. Article ids: a .txt/.md file's stem (the name
the user gave it, so an edited file replaces its article); a JSON record's
`id`, else its `url`, else its content hash; an HTML page's canonical URL (from
its <link rel="canonical"> or og:url, query string kept) when that is a real
article URL and not a site root, else the file stem (or the fetched URL); a feed
entry's id/guid, else its link, else its content hash (RSS/Atom and JSON Feed,
which is recognised in .json files and responses by its "version" field).
Two different articles must not share an id silently: when a second, different
text claims an id already used in the same ingest run, ingest refuses it with
one failure line naming both files (ingest.py); nothing is overwritten.
Plain-text headers are metadata, never body text (so never quoted as evidence).
Read from the top of a .txt/.md file, in this order: YAML-style front matter
between "---" lines (title, date, source, url, author; other keys ignored);
"Key: value" lines (Title, Source, Date/Published/Updated, URL, By/Author); a
dateline "Outlet, YYYY-MM-DD" as the first or second non-blank line; then a
short first paragraph without a closing period is the headline (unless a
title header gave it); kicker labels above or below the headline and the
headline repeated in the body are dropped (clean.drop_kickers), and
"Key: value" lines right under it are read too. Missing source and date come
from a "==Kyodo" wire marker or a `source-YYYY-MM-DD-slug` file name. A header
`url` fills the article's url; the id stays the file stem. Dates ("Date:"
headers, a record's `published_at`) are read by dates.py: a year or a
year-month alone is kept as partial, never padded to January 1.
Every article passes the one quality floor of quality.py (at least MIN_WORDS
words, the headline put in front of a shorter body; JSON/JSONL records need only
one word in their text (a record with none falls under the general rule); HTML pages are also refused when they are status/error pages, mostly
links or only a photo caption); what fails it is a LoadFailure with the reason.
Format-specific parsing lives in html.py and feeds.py, text decoding (including
BOM-less UTF-16/32) in decode.py, fetching in fetch.py; this module only
dispatches.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlparse

from .clean import MAX_KICKER_LINES, clean_text, drop_kickers, headline_from, is_kicker
from .dates import date_fields, read_date
from .decode import decode_text, looks_binary
from .fetch import fetch_url, is_url
from .quality import MIN_RECORD_WORDS, with_headline, word_count
from .types import Article, LoadFailure, content_hash

__all__ = [
    "load_articles", "article_from_record", "TEXT_SUFFIXES", "RECORD_SUFFIXES", "HTML_SUFFIXES", "FEED_SUFFIXES",
    "MAX_FILE_BYTES",
]

TEXT_SUFFIXES = {".txt", ".md"}
RECORD_SUFFIXES = {".jsonl", ".json"}
HTML_SUFFIXES = {".html", ".htm"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | RECORD_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024
_NOTHING_FOUND = "no articles found (no records or feed entries)"

_KNOWN_FIELDS = {"id", "title", "text", "url", "source", "published_at"}
# Record fields never kept as extras: ingest stores the dedup fingerprint under this name, and a
# record's own "simhash" would replace it (and crash every later run that reads it back).
_RESERVED_EXTRAS = {"simhash"}
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# "kyodo-2022-02-21-biden-putin-summit.txt": source, date, slug
_FILENAME_META = re.compile(r"^(?P<source>[a-z]+)-(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>.+)$")
# "Source: Reuters", "Published: Feb. 21, 2022" lines at the top of a plain-text article.
_HEADER_LINE = re.compile(r"^(title|headline|source|publisher|outlet|published|date|updated|url|link|by|byline|author)"
                          r"\s*:\s*(\S.*)$", re.I)
_HEADER_KEYS = {"headline": "title", "publisher": "source", "outlet": "source", "published": "date",
                "published_at": "date", "updated": "date", "link": "url", "by": "byline", "author": "byline"}
# YAML-style front matter: "key: value" lines between "---" lines.
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
# "Reuters, 2022-02-21": an outlet and an ISO date on a line of their own.
_DATELINE = re.compile(r"^(?P<source>[^\W\d_][\w&.'\- ]{0,59}?)\s*,\s*(?P<date>\d{4}-\d{2}-\d{2})$")


def _read_bytes(path: Path) -> bytes:
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > MAX_FILE_BYTES:
        raise ValueError(f"file too large ({size / (1024 * 1024):.0f} MB > {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file (only whitespace)")
    return data


def _header_metadata(text: str) -> tuple[str, dict[str, str]]:
    """Strip "Key: value" lines (title, source, date, url, byline) from the top of `text`."""
    found: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines) and i < 8:
        m = _HEADER_LINE.match(lines[i].strip())
        if not m:
            if lines[i].strip() or not found:
                break
            i += 1
            continue
        key = m.group(1).lower()
        key = _HEADER_KEYS.get(key, key)
        found.setdefault(key, m.group(2).strip())
        i += 1
    return "\n".join(lines[i:]).strip() if found else text, found


def _front_matter(text: str) -> tuple[str, dict[str, str]]:
    """Strip a YAML-style block between "---" lines at the very top; {} and `text` when there is none.

    Only a block whose every line is `key: value` (or blank, a comment or a list item) counts, so a
    horizontal rule in prose is left alone. Quotes around values are dropped.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text, {}
    found: dict[str, str] = {}
    keys = 0  # a block of keys we do not read is still front matter, and still stripped
    for i in range(1, min(len(lines), 60)):
        line = lines[i].strip()
        if line in ("---", "..."):
            if not keys:
                return text, {}
            return "\n".join(lines[i + 1:]).strip(), found
        if not line or line.startswith(("#", "- ")) or lines[i][:1] in (" ", "\t"):
            continue  # blank, a comment, a list item or a nested / continued value
        m = _FRONT_MATTER_LINE.match(line)
        if not m:
            return text, {}
        key = m.group(1).lower()
        key = _HEADER_KEYS.get(key, key)
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1].strip()
        keys += bool(value)
        if value and key in ("title", "date", "source", "url", "byline"):
            found.setdefault(key, value)
    return text, {}


def _dateline(text: str) -> tuple[str, dict[str, str]]:
    """Strip an "Outlet, YYYY-MM-DD" line when it is the first or second non-blank line."""
    lines = text.split("\n")
    seen = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        m = _DATELINE.match(line.strip())
        if m:
            lines[i] = ""  # a paragraph break, so a headline above it stays a headline
            rest = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
            return rest, {"source": m.group("source").strip(), "date": m.group("date")}
        seen += 1
        if seen >= 2:
            break
    return text, {}


def _plain(paragraph: str) -> str:
    """A paragraph without surrounding space and Markdown heading marks."""
    return paragraph.strip().lstrip("#").strip()


def _is_headline(paragraph: str) -> bool:
    return bool(paragraph) and "\n" not in paragraph and len(paragraph) <= 120 and not paragraph.endswith(
        (".", "\"", "\u201d"))


def _article_from_text(stem: str, origin: str, raw: str, url: str = "") -> Article:
    cleaned = clean_text(raw)
    if not cleaned.text:
        raise ValueError("no article text after cleaning")
    text, matter = _front_matter(cleaned.text)
    text, top = _header_metadata(text)
    text, dated = _dateline(text)
    header = {**dated, **top, **matter}
    title = header.get("title", "")
    paragraphs = text.split("\n\n")
    if not title:
        # A kicker ("EXCLUSIVE") right above the headline is not the headline.
        for _ in range(MAX_KICKER_LINES):
            if len(paragraphs) > 2 and is_kicker(paragraphs[0]) and _is_headline(_plain(paragraphs[1])):
                paragraphs = paragraphs[1:]
        # A short first paragraph without a closing period is a headline.
        if len(paragraphs) > 1 and _is_headline(_plain(paragraphs[0])):
            title, paragraphs = _plain(paragraphs[0]), paragraphs[1:]
    text, below = _header_metadata("\n\n".join(paragraphs).strip())
    header = {**below, **header}
    # Kickers and the headline repeated (under a "Title:" header, or with small changes) are not body text.
    text = "\n\n".join(drop_kickers(text.split("\n\n"), title)).strip()
    if not text:
        raise ValueError("no article text after cleaning")
    text, short = with_headline(title, text, "article")
    if short:
        raise ValueError(short)
    meta = _FILENAME_META.match(stem)
    source = header.get("source") or cleaned.source or (meta.group("source").capitalize() if meta else "")
    published_at, extra = date_fields(read_date(header.get("date")))
    if not published_at and not extra and meta:
        published_at = read_date(meta.group("date")).day
    if header.get("byline"):
        extra["byline"] = header["byline"]
    return Article(
        id=url or stem,
        title=title or headline_from(text),
        text=text,
        url=url or header.get("url", ""),
        source=source,
        published_at=published_at,
        origin=origin,
        extra=extra,
    )


def article_from_record(record: dict, origin: str) -> Article:
    """Build an Article from a JSON record with fields id, title, text, url, source, published_at."""
    if not isinstance(record, dict):
        raise ValueError("record is not a JSON object")
    raw = record.get("text")
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("record has no 'text'")
    cleaned = clean_text(raw)
    url = str(record.get("url") or "")
    text = cleaned.text
    if word_count(text) < MIN_RECORD_WORDS:  # no word at all: the general rule, so its headline may stand alone
        text, short = with_headline(" ".join(str(record.get("title") or "").split()), text, "record")
        if short:
            raise ValueError(short)
    article_id = str(record.get("id") or "").strip() or url or content_hash(text)
    published_at, partial = date_fields(read_date(record.get("published_at")))
    return Article(
        id=article_id,
        title=" ".join(str(record.get("title") or "").split()) or headline_from(text),
        text=text,
        url=url,
        source=str(record.get("source") or cleaned.source),
        published_at=published_at,
        origin=origin,
        extra={**{k: v for k, v in record.items() if k not in _KNOWN_FIELDS | _RESERVED_EXTRAS}, **partial},
    )


def _without_surrogates(data):
    """Parsed JSON with lone surrogates ("\\ud800" escapes) replaced by U+FFFD: they cannot be stored as UTF-8."""
    def fix(value):
        return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value

    if not isinstance(data, (list, dict)):
        return fix(data)
    todo = [data]  # a loop, not recursion: the parser allows nesting deeper than a recursive walk would
    while todo:
        node = todo.pop()
        pairs = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if isinstance(node, dict):
            node.clear()
        for key, value in pairs:
            node[fix(key)] = fix(value)
            if isinstance(value, (list, dict)):
                todo.append(value)
    return data


def _parse_json(text: str):
    """json.loads, with nesting too deep for the parser as a ValueError and lone surrogates made harmless."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return _without_surrogates(data) if _SURROGATE_ESCAPE.search(text) else data


def _load_records(origin: str, raw: str, whole_json: bool) -> Iterator[Article | LoadFailure]:
    if whole_json:
        try:
            data = _parse_json(raw)
        except json.JSONDecodeError as exc:
            yield LoadFailure(origin, f"invalid JSON ({exc.msg} at line {exc.lineno})")
            return
        except ValueError as exc:
            yield LoadFailure(origin, f"invalid JSON ({exc})")
            return
        from .feeds import articles_from_json_feed, is_json_feed

        if is_json_feed(data):
            yield from articles_from_json_feed(data, origin)
            return
        records = data if isinstance(data, list) else [data]
        for i, record in enumerate(records):
            try:
                yield article_from_record(record, f"{origin}[{i}]")
            except ValueError as exc:
                yield LoadFailure(f"{origin}[{i}]", str(exc))
        return
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{origin}:{lineno}"
        try:
            yield article_from_record(_parse_json(line), where)
        except json.JSONDecodeError as exc:
            yield LoadFailure(where, f"malformed JSON line ({exc.msg})")
        except ValueError as exc:
            yield LoadFailure(where, str(exc))


def _parse(kind: str, data: bytes, origin: str, stem: str, url: str = "") -> Iterator[Article | LoadFailure]:
    """Articles from the bytes of one file or response of format `kind`."""
    if kind == "feed":
        from .feeds import articles_from_feed

        if looks_binary(data):
            raise ValueError("binary file (contains NUL bytes), not a feed")
        yield from articles_from_feed(data, origin)
        return
    raw = decode_text(data)
    if kind == "html":
        from .html import article_from_html

        yield article_from_html(raw, origin, fallback_id=url or stem, url=url)
    elif kind in ("json", "jsonl"):
        yield from _load_records(origin, raw, whole_json=kind == "json")
    else:
        yield _article_from_text(stem, origin, raw, url=url)


def _kind_of_suffix(suffix: str) -> str | None:
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in FEED_SUFFIXES:
        return "feed"
    if suffix in RECORD_SUFFIXES:
        return suffix[1:]
    return None


def _kind_of_response(content_type: str, url: str, data: bytes) -> str:
    from .feeds import looks_like_feed

    if "html" in content_type:
        return "html"
    if "rss" in content_type or "atom" in content_type or ("xml" in content_type and looks_like_feed(data)):
        return "feed"
    by_suffix = _kind_of_suffix(Path(urlparse(url).path).suffix.lower())
    if by_suffix:
        return by_suffix
    if "json" in content_type:
        return "json"
    if looks_like_feed(data):
        return "feed"
    return "html" if data.lstrip()[:1] == b"<" else "text"


def _load_url(url: str) -> Iterator[Article | LoadFailure]:
    try:
        fetched = fetch_url(url)
        kind = _kind_of_response(fetched.content_type, fetched.url, fetched.data)
        stem = Path(urlparse(fetched.url).path).stem or urlparse(fetched.url).hostname or "page"
        found = False
        for item in _parse(kind, fetched.data, url, stem, url=fetched.url):
            found = True
            yield item
        if not found:
            yield LoadFailure(url, _NOTHING_FOUND)
    except ValueError as exc:
        yield LoadFailure(url, str(exc))


def _walk(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                    yield Path(root) / name
    else:
        yield path


def _load_file(path: Path) -> Iterator[Article | LoadFailure]:
    kind = _kind_of_suffix(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        yield LoadFailure(str(path), f"unsupported file type '{path.suffix.lower() or '(none)'}' (use {supported})")
        return
    try:
        data = _read_bytes(path)
        # A generator: parse errors raised while iterating are caught below too.
        found = False
        for item in _parse(kind, data, str(path), path.stem):
            found = True
            yield item
        if not found:  # an empty JSON list, a feed without entries: still one line naming the file
            yield LoadFailure(str(path), _NOTHING_FOUND)
    except OSError as exc:
        yield LoadFailure(str(path), f"cannot read ({exc.strerror or exc})")
    except ValueError as exc:
        yield LoadFailure(str(path), str(exc))


def load_articles(paths: Iterable[str | os.PathLike]) -> Iterator[Article | LoadFailure]:
    """Yield an Article for every usable article in `paths`, a LoadFailure for the rest."""
    for given in paths:
        if isinstance(given, str) and is_url(given):
            yield from _load_url(given)
            continue
        top = Path(given)
        if not top.exists():
            reason = "broken link (its target is missing)" if top.is_symlink() else "no such file or directory"
            yield LoadFailure(str(top), reason)
            continue
        for path in _walk(top):
            yield from _load_file(path)
