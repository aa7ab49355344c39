"""List the stored articles: id, date, chunks, title (--json for one object per article)."""

from __future__ import annotations

import json

from .terminal import printable


def configure(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list of id, title, published_at, "
                        "source, url, chunks")


def run(args) -> int:
    from assistant import Settings, build_library

    rows = build_library(Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url)).list_articles()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(printable(f"{row['id']}\t{row['published_at'] or '-'}\t{row['chunks']}\t{row['title']}"))
    print(f"{len(rows)} articles")
    return 0
