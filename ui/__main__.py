"""Start the chat page: `python -m ui [--host H] [--port P] [--data-dir D] [--generator G]`.

Ingests the bundled sample article first when the index is empty.
"""

from __future__ import annotations

import argparse
import sys
import time

from assistant import offline_environment


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python -m ui", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--data-dir", help="index directory (default: $CITEWIRE_DATA_DIR or ./data)")
    parser.add_argument("--generator", metavar="NAME",
                        help="local (default), extractive, ollama:<model> or openai:<base_url>#<model>")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    args = parser.parse_args(argv)

    from assistant import Settings, build_assistant, ingest_sample_if_empty

    from .app import build_app, launch_app

    started = time.perf_counter()
    settings = Settings.from_env(data_dir=args.data_dir, generator=args.generator, chroma_url=args.chroma_url)
    try:
        assistant = build_assistant(settings=settings)
    except ValueError as exc:  # e.g. a malformed --generator name
        parser.error(str(exc))
    report = ingest_sample_if_empty(assistant)
    if report is not None:
        print(f"index was empty: ingested the bundled sample ({report.summary()})", file=sys.stderr)
    assistant.warm_up()
    app = build_app(assistant)
    launch_app(app, server_name=args.host, server_port=args.port, show_error=True, quiet=True,
               prevent_thread_lock=True)
    # Printed once the page answers, so scripts can wait for this line.
    print(f"ready in {time.perf_counter() - started:.1f}s: http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    app.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
