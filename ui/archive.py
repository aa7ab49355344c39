"""The Library tab's work, without gradio: store uploads safely, report an ingest, list and sum up articles.

Uploaded files are copied into `<data_dir>/uploads/` under a cleaned name (no
folders, no leading dots, only letters, digits, `.`, `-`, `_`), so a name like
`../../etc/passwd` can never write outside that folder; files over the size
limit or of another type are refused with a reason. The original name is kept
as far as it is safe, since ingest reads source and date from
`source-YYYY-MM-DD-slug` names. It does not ingest by itself: the page hands
the saved paths to `Assistant.ingest`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Iterable

from assistant import IngestReport

__all__ = ["UPLOAD_TYPES", "MAX_UPLOAD_BYTES", "safe_upload_name", "save_uploads", "render_report",
           "article_rows", "corpus_stats", "ARTICLE_COLUMNS", "ROWS_SHOWN"]

UPLOAD_TYPES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".xml", ".rss", ".atom")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ARTICLE_COLUMNS = ["title", "source", "date", "chunks", "id"]
ROWS_SHOWN = 500  # the article table's rows (newest matching first): a search narrows a large archive


def safe_upload_name(name: str) -> str:
    """A file name that stays inside the folder it is joined to: the last path part, cleaned."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip("._-")[:120]
    return base or "upload.txt"


def save_uploads(files: Iterable, folder: Path, max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[list[str], list[str]]:
    """Copy uploaded files (paths, or objects with `.name`/`.path` and an optional `orig_name`) into
    `folder`; returns (saved paths, refusal lines)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    saved, refused = [], []
    for item in files or ():
        if isinstance(item, (str, os.PathLike)):
            src = Path(item)
        else:  # a gradio upload: FileData-like (.path) or tempfile-like (.name)
            src = Path(str(getattr(item, "path", None) or getattr(item, "name", None)))
        shown = getattr(item, "orig_name", None) or src.name
        name = safe_upload_name(shown)
        if not name.lower().endswith(UPLOAD_TYPES):
            refused.append(f"{shown}: not a supported type ({', '.join(UPLOAD_TYPES)})")
            continue
        try:
            size = src.stat().st_size
        except OSError as exc:
            refused.append(f"{shown}: cannot be read ({exc.strerror or exc})")
            continue
        if size > max_bytes:
            refused.append(f"{shown}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB upload limit")
            continue
        target = (folder / name).resolve()
        if target.parent != root:  # belt and braces: the cleaned name has no folders
            refused.append(f"{shown}: refused name")
            continue
        shutil.copyfile(src, target)
        saved.append(str(target))
    return saved, refused


def render_report(report: IngestReport | None, refused: Iterable[str] = ()) -> str:
    """The per-file outcome of an ingest as Markdown: added, updated, unchanged, duplicate, failed (why)."""
    from .render import _escape

    lines = []
    if report is not None:
        lines.append(f"**Ingest:** {_escape(report.summary())}")
        for label, ids in (("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged)):
            lines += [f"- {label}: {_escape(a)}" for a in ids]
        lines += [f"- duplicate: {_escape(d.article_id)} (of {_escape(d.of)}, "
                  f"{d.resemblance:.0%} alike; skipped)" for d in report.duplicates]
        lines += [f"- failed: {_escape(Path(f.path).name or f.path)}: {_escape(f.reason)}" for f in report.failed]
    lines += [f"- refused: {_escape(r)}" for r in refused]
    return "\n".join(lines) or "Nothing to ingest."


def article_rows(articles: list[dict], search: str = "", limit: int = ROWS_SHOWN) -> list[list]:
    """Rows for the article table (ARTICLE_COLUMNS), newest first, limited to those matching `search`,
    at most `limit` of them (a page listing 13,000 rows is megabytes and no help to anyone)."""
    words = search.lower().split()
    rows = []
    for a in sorted(articles, key=lambda r: (r.get("published_at", ""), r.get("id", "")), reverse=True):
        hay = " ".join(str(a.get(k, "")) for k in ("title", "source", "published_at", "id")).lower()
        if all(w in hay for w in words):
            rows.append([a.get("title", ""), a.get("source", ""), a.get("published_at", ""), a.get("chunks", 0),
                         a.get("id", "")])
            if len(rows) >= limit:
                break
    return rows


def corpus_stats(articles: list[dict]) -> str:
    """Articles, chunks, date range and sources, as one Markdown line."""
    if not articles:
        return "The archive is empty: upload articles below."
    days = sorted(a["published_at"][:10] for a in articles if a.get("published_at"))
    sources = sorted({a["source"] for a in articles if a.get("source")})
    span = f"{days[0]} to {days[-1]}" if days else "no dates"
    shown = ", ".join(sources[:12]) + (f" and {len(sources) - 12} more" if len(sources) > 12 else "")
    from .render import _escape

    more = (f" The table shows the newest {ROWS_SHOWN}; search to find others."
            if len(articles) > ROWS_SHOWN else "")
    return (f"**{len(articles)}** articles, **{sum(a.get('chunks', 0) for a in articles)}** chunks, {span}; "
            f"sources: {_escape(shown) or 'none named'}.{more}")
