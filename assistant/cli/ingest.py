"""Add articles to the index: files, folders, feeds or http(s) URLs.

Formats: .txt/.md, .json/.jsonl records, .html/.htm pages, .rss/.atom/.xml
feeds; folders are walked recursively. Unchanged articles are skipped without
re-embedding; a changed article replaces its old version; a near-duplicate of
an article already kept is skipped (--keep-duplicates keeps it). Prints one
line per input that could not be used, then a summary; exits 1 if anything
failed (the rest is still ingested). A progress bar shows articles/s and
chunks/s on a terminal.
"""

from __future__ import annotations

import json
import sys


def configure(parser) -> None:
    parser.add_argument("paths", nargs="+", help="files, folders or http(s) URLs to ingest")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--keep-duplicates", action="store_true", help="store near-duplicate articles too")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


class _Progress:
    """A tqdm bar over articles whose postfix shows chunks written and chunks/s."""

    def __init__(self, enabled: bool):
        self.bar = None
        self.chunks = 0
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(unit=" articles", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)

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
    progress = _Progress(enabled=not args.quiet and not args.json and sys.stderr.isatty())
    try:
        report = library.ingest(args.paths, on_article=progress, keep_duplicates=args.keep_duplicates)
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for failure in report.failed:
            print(f"skipped {failure}", file=sys.stderr)
        for duplicate in report.duplicates:
            print(f"duplicate {duplicate}", file=sys.stderr)
        print(report.summary())
    return 0 if report.ok else 1
