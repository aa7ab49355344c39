"""Serve the chat page and the HTTP API on one server (default http://127.0.0.1:7860).

API: POST /v1/chat/completions (OpenAI-compatible, streaming or not, with a
`citations` field), POST /api/ask, GET/POST /api/articles, DELETE
/api/articles/{id}, GET /api/health; docs at /docs. Binds 127.0.0.1 unless
--host says otherwise. --auth user:password (or $CITEWIRE_AUTH) puts HTTP basic
auth on the page and every API route; CORS is off unless --cors-origin (or
$CITEWIRE_CORS_ORIGINS, comma-separated) names origins. Ingests the bundled
sample article first when the index is empty.
"""

from __future__ import annotations

import os


def configure(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--generator", metavar="NAME",
                        help="local (default), extractive, ollama:<model> or openai:<base_url>#<model>")
    add_server_options(parser)


def add_server_options(parser) -> None:
    """--auth, --cors-origin, --no-page and --generators (shared with `python -m ui`)."""
    parser.add_argument("--auth", metavar="USER:PASSWORD",
                        help="HTTP basic auth for the page and the API (default: $CITEWIRE_AUTH; none)")
    parser.add_argument("--cors-origin", action="append", default=None, metavar="ORIGIN",
                        help="allow browser calls from ORIGIN (repeatable; default: $CITEWIRE_CORS_ORIGINS; none)")
    parser.add_argument("--no-page", action="store_true", help="serve the API only")
    parser.add_argument("--generators", metavar="NAMES",
                        help="more models the page lets a reader pick, comma-separated, e.g. "
                             "ollama:llama3.2:3b,openai:http://127.0.0.1:8000/v1#model (default: "
                             "$CITEWIRE_GENERATORS; the page always offers the served one, extractive and local)")


def server_options(args, env=None) -> dict:
    """auth, cors_origins and the page's generators from the arguments, else the environment (read here, at
    the entry point)."""
    env = os.environ if env is None else env
    origins = args.cors_origin
    if origins is None:
        origins = [o.strip() for o in env.get("CITEWIRE_CORS_ORIGINS", "").split(",") if o.strip()]
    auth = args.auth or env.get("CITEWIRE_AUTH") or None
    if auth and (":" not in auth or not auth.split(":", 1)[0] or not auth.split(":", 1)[1]):
        raise ValueError("--auth / CITEWIRE_AUTH must be user:password")
    names = args.generators if args.generators is not None else env.get("CITEWIRE_GENERATORS", "")
    generators = tuple(n.strip() for n in names.split(",") if n.strip())
    from assistant.factory import check_generator_name

    for name in generators:
        check_generator_name(name)
    return {"auth": auth, "cors_origins": tuple(origins), "page": not args.no_page, "generators": generators}


def run(args) -> int:
    from assistant import Settings

    from ui.server import serve

    options = server_options(args)
    settings = Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url, generator=args.generator)
    return serve(settings, args.host, args.port, **options)
