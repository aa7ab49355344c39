"""Add article files (.txt, .md, .json, .jsonl, or folders of them) to the index.

Prints one line per file that could not be used, then a summary; exits 1 if
anything failed (the rest is still ingested).
"""

from __future__ import annotations

import json
import sys


def configure(parser) -> None:
    parser.add_argument("paths", nargs="+", help="files or folders to ingest")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args) -> int:
    from assistant import Settings, build_assistant

    settings = Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url, generator="extractive")
    report = build_assistant(settings=settings).ingest(args.paths)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for failure in report.failed:
            print(f"skipped {failure}", file=sys.stderr)
        print(report.summary())
    return 0 if report.ok else 1
