"""Read article files into `Article`s: plain text, Markdown, JSON and JSONL.

Directories are walked recursively. Every input that cannot be used becomes a
`LoadFailure` naming the file (and line) and the reason, and loading goes on.
It does not fetch URLs or parse HTML/feeds (see the ingestion issue for those).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from .clean import clean_text, headline_from
from .types import Article, LoadFailure, content_hash

__all__ = ["load_articles", "article_from_record", "TEXT_SUFFIXES", "RECORD_SUFFIXES"]

TEXT_SUFFIXES = {".txt", ".md"}
RECORD_SUFFIXES = {".jsonl", ".json"}
MAX_FILE_BYTES = 50 * 1024 * 1024

_KNOWN_FIELDS = {"id", "title", "text", "url", "source", "published_at"}
# "kyodo-2022-02-21-biden-putin-summit.txt": source, date, slug
_FILENAME_META = re.compile(r"^(?P<source>[a-z]+)-(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>.+)$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def _iso_date(value: object) -> str:
    m = _ISO_DATE.match(str(value or "").strip())
    return m.group(1) if m else ""


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > MAX_FILE_BYTES:
        raise ValueError(f"file too large ({size // (1024 * 1024)} MB > {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older wire exports are often Windows-1252; never crash on them.
        return data.decode("cp1252", errors="replace")


def _article_from_text(path: Path, raw: str) -> Article:
    cleaned = clean_text(raw)
    if not cleaned.text:
        raise ValueError("no article text after cleaning")
    text, title = cleaned.text, ""
    first, _, rest = text.partition("\n\n")
    first = first.strip().lstrip("#").strip()
    # A short first paragraph without a closing period is a headline.
    if rest.strip() and "\n" not in first and len(first) <= 120 and not first.endswith((".", "\"", "\u201d")):
        title, text = first, rest.strip()
    meta = _FILENAME_META.match(path.stem)
    source = cleaned.source or (meta.group("source").capitalize() if meta else "")
    return Article(
        id=path.stem,
        title=title or headline_from(text),
        text=text,
        source=source,
        published_at=meta.group("date") if meta else "",
        origin=str(path),
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
    article_id = str(record.get("id") or url or content_hash(cleaned.text))
    return Article(
        id=article_id,
        title=str(record.get("title") or headline_from(cleaned.text)),
        text=cleaned.text,
        url=url,
        source=str(record.get("source") or cleaned.source),
        published_at=_iso_date(record.get("published_at")),
        origin=origin,
        extra={k: v for k, v in record.items() if k not in _KNOWN_FIELDS},
    )


def _load_records(path: Path, raw: str) -> Iterator[Article | LoadFailure]:
    if path.suffix == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield LoadFailure(str(path), f"invalid JSON ({exc.msg} at line {exc.lineno})")
            return
        records = data if isinstance(data, list) else [data]
        for i, record in enumerate(records):
            try:
                yield article_from_record(record, f"{path}[{i}]")
            except ValueError as exc:
                yield LoadFailure(f"{path}[{i}]", str(exc))
        return
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            yield article_from_record(json.loads(line), where)
        except json.JSONDecodeError as exc:
            yield LoadFailure(where, f"malformed JSON line ({exc.msg})")
        except ValueError as exc:
            yield LoadFailure(where, str(exc))


def _walk(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and Path(name).suffix.lower() in TEXT_SUFFIXES | RECORD_SUFFIXES:
                    yield Path(root) / name
    else:
        yield path


def load_articles(paths: Iterable[str | os.PathLike]) -> Iterator[Article | LoadFailure]:
    """Yield an Article for every usable article in `paths`, a LoadFailure for the rest."""
    for given in paths:
        top = Path(given)
        if not top.exists():
            yield LoadFailure(str(top), "no such file or directory")
            continue
        for path in _walk(top):
            suffix = path.suffix.lower()
            if suffix not in TEXT_SUFFIXES | RECORD_SUFFIXES:
                yield LoadFailure(str(path), f"unsupported file type '{suffix or '(none)'}' (use .txt, .md, .json, .jsonl)")
                continue
            try:
                raw = _read_text(path)
            except (OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                yield LoadFailure(str(path), reason)
                continue
            if suffix in RECORD_SUFFIXES:
                yield from _load_records(path, raw)
            else:
                try:
                    yield _article_from_text(path, raw)
                except ValueError as exc:
                    yield LoadFailure(str(path), str(exc))
