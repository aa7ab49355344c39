"""Ask a question; print the cited answer (or --json for one JSON object).

If the index is empty, the bundled sample article is ingested first. When a
Citewire server is running (`citewire serve`: --server URL, $CITEWIRE_SERVER,
or one on http://127.0.0.1:7860) over the same archive with the same
generator, the question goes to it: no model is loaded here, so the answer
comes in well under a second once that server is warm. --no-server answers
in this process.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.error
import urllib.request

from .terminal import printable

DEFAULT_SERVER = "http://127.0.0.1:7860"


def configure(parser) -> None:
    parser.add_argument("question")
    parser.add_argument(
        "--generator", metavar="NAME",
        help="local (default), extractive, ollama:<model> (Ollama at $CITEWIRE_OLLAMA_URL) or "
             "openai:<base_url>#<model> (any OpenAI-compatible server; key from $CITEWIRE_OPENAI_API_KEY "
             "or $OPENAI_API_KEY)",
    )
    parser.add_argument("--json", action="store_true", help="print answer, span, abstained, citations, timings as JSON")
    parser.add_argument("--server", metavar="URL",
                        help=f"a running Citewire server to ask (default: $CITEWIRE_SERVER, else {DEFAULT_SERVER} "
                             "when one is up over the same archive)")
    parser.add_argument("--no-server", action="store_true", help="answer in this process even if a server is up")


def _request(url: str, body: dict | None, timeout: float, auth: str | None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _server_for(settings, explicit: str | None, auth: str | None) -> str | None:
    """The base URL of a running server over this archive with this generator, or None."""
    url = (explicit or os.environ.get("CITEWIRE_SERVER") or DEFAULT_SERVER).rstrip("/")
    try:
        health = _request(url + "/api/health", None, timeout=1.0 if explicit else 0.3, auth=auth)
    except (OSError, ValueError):  # nothing listening, refused, not ours, or behind auth we lack
        if explicit:
            raise ValueError(f"no Citewire server answers at {url}") from None
        return None
    if health.get("archive") != settings.archive_key or health.get("generator") != settings.generator:
        if explicit:
            print(f"note: the server at {url} serves another archive or generator "
                  f"({health.get('generator')}); answering here", file=sys.stderr)
        return None
    return url


def _print(answer: dict, as_json: bool) -> None:
    if as_json:
        keys = ("n", "article_id", "title", "url", "published_at", "quote", "start", "end")
        print(json.dumps({"answer": answer["answer"], "span": answer.get("span"), "abstained": answer["abstained"],
                          "citations": [{k: c.get(k) for k in keys} for c in answer["citations"]],
                          "timings": answer.get("timings", {})}, ensure_ascii=False))
        return
    print(printable(answer["answer"]))
    for c in answer["citations"]:
        where = f"{c.get('source') or c['article_id']}, {c.get('published_at') or 'undated'}"
        print(printable(f"  [{c['n']}] {c['title']} ({where})"))
        print(printable(f"      \u201c{c['quote']}\u201d  (chars {c['start']}-{c['end']})"))


def run(args) -> int:
    from assistant import GeneratorError, Settings, build_assistant, ingest_sample_if_empty

    settings = Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url, generator=args.generator)
    auth = os.environ.get("CITEWIRE_AUTH")
    server = None if args.no_server else _server_for(settings, args.server, auth)
    if server is not None:
        try:
            answer = _request(server + "/api/ask", {"question": args.question}, timeout=600, auth=auth)
        except urllib.error.HTTPError as exc:  # a 4xx/5xx with the server's own reason
            print(f"error: the server at {server} said {exc.code}: {exc.read().decode(errors='replace')[:300]}",
                  file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"error: the server at {server} did not answer: {exc}", file=sys.stderr)
            return 1
        print(f"(answered by the running server at {server})", file=sys.stderr)
        _print(answer, args.json)
        return 0
    assistant = build_assistant(settings=settings)
    if ingest_sample_if_empty(assistant):
        print("index was empty: ingested the bundled sample article", file=sys.stderr)
    try:
        answer = assistant.ask(args.question)
    except GeneratorError as exc:  # the chat server is down or refused: say so, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _print(answer.to_dict(), args.json)
    return 0
