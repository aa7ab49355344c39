"""List the stored articles: id, date, chunks, title."""

from __future__ import annotations


def configure(parser) -> None:
    pass


def run(args) -> int:
    from index import ChromaStore

    from assistant import Settings

    settings = Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url)
    rows = ChromaStore(settings.data_dir, url=settings.chroma_url).list_articles()
    for row in rows:
        print(f"{row['id']}\t{row['published_at'] or '-'}\t{row['chunks']}\t{row['title']}")
    print(f"{len(rows)} articles")
    return 0
