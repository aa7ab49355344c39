"""Add articles to the index: files, folders, feeds or http(s) URLs.

Formats: .txt/.md, .json/.jsonl records, .html/.htm pages, .rss/.atom/.xml
feeds; folders are walked recursively. Unchanged articles are skipped without
re-embedding; a changed article replaces its old version; a near-duplicate of
an article already kept is skipped (--keep-duplicates keeps it). Prints one
line per input that could not be used, then a summary; exits 1 if anything
failed (the rest is still ingested). A progress bar shows articles/s,
chunks/s and the time left on a terminal. Stopped part-way (Ctrl-C, kill -9),
the same command continues where it stopped: stored articles are skipped
without re-embedding.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from .terminal import printable


def configure(parser) -> None:
    parser.add_argument("paths", nargs="+", help="files, folders or http(s) URLs to ingest")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--keep-duplicates", action="store_true", help="store near-duplicate articles too")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


_ENTRY = re.compile(rb"<item[\s>]|<entry[\s>]")


def _articles_in(path: Path) -> int:
    """About how many articles one file holds, without parsing it (for the time-left estimate)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            with path.open("rb") as f:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) or 1
        if suffix in {".rss", ".atom", ".xml"}:
            return max(1, len(_ENTRY.findall(path.read_bytes())))
    except OSError:
        pass
    return 1


def estimate_articles(paths) -> int:
    """About how many articles `paths` hold: lines of JSONL, entries of feeds, one per other file or URL."""
    total = 0
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                total += sum(_articles_in(Path(root) / name) for name in files if not name.startswith("."))
        elif path.is_file():
            total += _articles_in(path)
        else:
            total += 1  # a URL, or a path that will be reported missing
    return total


class _Progress:
    """A tqdm bar over articles (total estimated up front, so it shows the time left) whose postfix shows
    chunks written and chunks/s."""

    def __init__(self, enabled: bool, total: int | None = None):
        self.bar = None
        self.chunks = 0
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" articles", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)

    def __call__(self, article_id: str, outcome: str, chunks: int) -> None:
        if self.bar is None:
            return
        self.chunks += chunks
        self.bar.update(1)
        elapsed = self.bar.format_dict.get("elapsed") or 0.0
        rate = self.chunks / elapsed if elapsed > 0 else 0.0
        self.bar.set_postfix_str(f"{self.chunks} chunks, {rate:.1f} chunks/s", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args) -> int:
    from assistant import Settings, build_library

    library = build_library(Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url))
    library.on_wait(lambda message: print(message, file=sys.stderr, flush=True))  # another writer holds the dir
    show = not args.quiet and not args.json and sys.stderr.isatty()
    progress = _Progress(enabled=show, total=estimate_articles(args.paths) if show else None)
    try:
        report = library.ingest(args.paths, on_article=progress, keep_duplicates=args.keep_duplicates)
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for failure in report.failed:
            print(printable(f"skipped {failure}"), file=sys.stderr)
        for duplicate in report.duplicates:
            print(printable(f"duplicate {duplicate}"), file=sys.stderr)
        print(report.summary())
    return 0 if report.ok else 1
