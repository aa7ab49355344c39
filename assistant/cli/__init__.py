"""Command line: `python -m assistant` or `citewire` {ingest,ask,list,remove,reindex,serve}.

Each subcommand lives in its own module with `configure(parser)` and
`run(args) -> exit code`; its docstring is its --help text. This is an entry
point, so it is where the environment is read (via Settings.from_env).
A fault (a damaged index, a full disk, a data dir another writer holds too
long) is printed as one `error: ...` line with exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..settings import offline_environment
from . import ask, ingest, list_articles, reindex, remove, serve

__all__ = ["main"]

COMMANDS = {"ingest": ingest, "ask": ask, "list": list_articles, "remove": remove, "reindex": reindex,
            "serve": serve}


def common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="index directory (default: $CITEWIRE_DATA_DIR or ./data)")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    # The installed `citewire` command and `python -m assistant` are the same program.
    prog = "citewire" if os.path.basename(sys.argv[0] or "") == "citewire" else "python -m assistant"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
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
    except (ValueError, OSError) as exc:  # ours name the file and what to do; OSError: a full disk, say
        print(f"error: {exc}", file=sys.stderr)
        return 2
