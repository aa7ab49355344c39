"""Rebuild the index (Chroma and keyword search) from the article store alone.

Every article recorded in <data-dir>/articles.sqlite3 is chunked and embedded
again into a fresh index; the original files are not needed. Use it when a
command reports a damaged or missing index file. An unreadable old index is
kept in <data-dir>/broken-<time>/, a readable one is replaced. Safe to stop and
run again. If the old index holds articles the article store lacks (they were
ingested before it existed), it stops and says so: --from-index recovers them
from the old index first (exactly, or not at all), --force drops them.
Prints one summary line: articles, chunks, seconds.
"""

from __future__ import annotations

import sys


def configure(parser) -> None:
    parser.add_argument("--from-index", action="store_true",
                        help="first copy articles the article store lacks from the old index's chunks")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even if the old index holds articles the article store lacks (drops them)")


def run(args) -> int:
    from assistant import Settings
    from assistant.factory import rebuild_index

    settings = Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url)
    report = rebuild_index(settings, backfill=args.from_index, force=args.force,
                           on_wait=lambda message: print(message, file=sys.stderr, flush=True))
    for article_id in report.not_backfilled:
        print(f"not recovered {article_id}: its chunks do not rebuild its text exactly; ingest its file again",
              file=sys.stderr)
    print(report.summary())
    return 0
