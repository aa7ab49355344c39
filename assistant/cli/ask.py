"""Ask a question; print the cited answer (or --json for one JSON object).

If the index is empty, the bundled sample article is ingested first.
"""

from __future__ import annotations

import json
import sys


def configure(parser) -> None:
    parser.add_argument("question")
    parser.add_argument(
        "--generator", metavar="NAME",
        help="local (default), extractive, ollama:<model> (Ollama at $CITEWIRE_OLLAMA_URL) or "
             "openai:<base_url>#<model> (any OpenAI-compatible server; key from $CITEWIRE_OPENAI_API_KEY "
             "or $OPENAI_API_KEY)",
    )
    parser.add_argument("--json", action="store_true", help="print answer, span, abstained, citations, timings as JSON")


def _as_json(answer) -> dict:
    keys = ("n", "article_id", "title", "url", "published_at", "quote", "start", "end")
    return {
        "answer": answer.text,
        "span": answer.span,
        "abstained": answer.abstained,
        "citations": [{k: getattr(c, k) for k in keys} for c in answer.citations],
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
    }


def run(args) -> int:
    from assistant import GeneratorError, Settings, build_assistant, ingest_sample_if_empty

    settings = Settings.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url, generator=args.generator)
    assistant = build_assistant(settings=settings)
    if ingest_sample_if_empty(assistant):
        print("index was empty: ingested the bundled sample article", file=sys.stderr)
    try:
        answer = assistant.ask(args.question)
    except GeneratorError as exc:  # the chat server is down or refused: say so, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(_as_json(answer), ensure_ascii=False))
        return 0
    print(answer.text)
    for c in answer.citations:
        print(f"  [{c.n}] {c.title} ({c.source or c.article_id}, {c.published_at or 'undated'})")
        print(f"      \u201c{c.quote}\u201d  (chars {c.start}-{c.end})")
    return 0
