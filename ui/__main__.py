"""Start the chat page and the HTTP API: `python -m ui [--host H] [--port P] [--data-dir D] [--generator G]`.

One server (ui/server.py): the page at `/`, the API under `/v1` and `/api`, docs at `/docs`; the
same as `citewire serve`. Ingests the bundled sample article first when the index is empty.
"""

from __future__ import annotations

import argparse
import sys

from assistant import offline_environment


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    from assistant.cli.serve import add_server_options, server_options

    parser = argparse.ArgumentParser(prog="python -m ui", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--data-dir", help="index directory (default: $CITEWIRE_DATA_DIR or ./data)")
    parser.add_argument("--generator", metavar="NAME",
                        help="local (default), extractive, ollama:<model> or openai:<base_url>#<model>")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    add_server_options(parser)
    args = parser.parse_args(argv)

    from assistant import Settings
    from index.errors import IndexDamaged, WriteLocked

    from .server import serve

    try:
        options = server_options(args)
        settings = Settings.from_env(data_dir=args.data_dir, generator=args.generator, chroma_url=args.chroma_url)
        return serve(settings, args.host, args.port, **options)
    except (IndexDamaged, WriteLocked, OSError) as exc:  # a fault in the data dir: one line naming the fix
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. a malformed --generator name or --auth
        parser.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
