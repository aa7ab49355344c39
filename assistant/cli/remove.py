"""Remove articles (all their chunks) from the index by id; see `list` for ids.

Exits 1 if any given id was not stored.
"""

from __future__ import annotations

import sys


def configure(parser) -> None:
    parser.add_argument("ids", nargs="+", metavar="ID", help="article ids to remove")


def run(args) -> int:
    from assistant import Settings, build_library

    # Through the Library, so derived indexes (keyword search) follow the removal.
    library = build_library(Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url))
    library.on_wait(lambda message: print(message, file=sys.stderr, flush=True))  # another writer holds the dir
    removed = library.remove(args.ids)
    missing = [a for a in dict.fromkeys(args.ids) if a not in removed]
    for article_id in removed:
        print(f"removed {article_id}")
    for article_id in missing:
        print(f"not found {article_id}", file=sys.stderr)
    print(f"removed {len(removed)}, not found {len(missing)}")
    return 1 if missing else 0
