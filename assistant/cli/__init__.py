"""Command line: `python -m assistant {ingest,ask,list,remove}`.

Each subcommand lives in its own module with `configure(parser)` and
`run(args) -> exit code`; its docstring is its --help text. This is an entry
point, so it is where the environment is read (via Settings.from_env).
"""

from __future__ import annotations

import argparse
import sys

from ..settings import offline_environment
from . import ask, ingest, list_articles, remove

__all__ = ["main"]

COMMANDS = {"ingest": ingest, "ask": ask, "list": list_articles, "remove": remove}


def common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="index directory (default: $CITEWIRE_DATA_DIR or ./data)")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        doc = (module.__doc__ or "").strip()
        p = sub.add_parser(name, help=doc.splitlines()[0], description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        common_options(p)
        module.configure(p)
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
